import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { portsOf } from '../../protocol/ports.ts';
import { readDotenv, TEMPLATE_ENV_FILE } from '../../server/stack/compose-env.ts';

/**
 * The stack's host ports have one home, compose/.env: the chapters write `{port.MLFLOW_PORT}` and
 * the home page's diagram `{{MLFLOW_PORT}}`, filled in when the site is built (src/lib/ports.ts),
 * never the number itself (the diagram said MLflow was on 5000 while compose/.env said 5001).
 */

const ROOT = join(import.meta.dirname, '..', '..');
const env = readDotenv(TEMPLATE_ENV_FILE);
const hostPorts = Object.entries(env).filter(([k]) => /_PORT$/.test(k));

/** Ports inside a container, which compose/.env does not set; each with why it may be written as a number. */
const INSIDE_CONTAINERS = [
  // fluentd's own configuration: monitor_agent listens on 24220 in its container (the compose file publishes it).
  '`monitor_agent` on port 24220,',
];

/** Every `.mdx` under content/, as [path, text]. */
function contentFiles(dir = join(ROOT, 'content')): [string, string][] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return contentFiles(p);
    return e.name.endsWith('.mdx') ? [[p, readFileSync(p, 'utf8')] as [string, string]] : [];
  });
}

/** The lines of a page outside its fenced code blocks (which show files as they are, with the ports inside the containers). */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

describe('the host ports in the site', () => {
  it('protocol/ports.ts reads the ports of compose/.env as the server does', () => {
    expect(portsOf(readFileSync(TEMPLATE_ENV_FILE, 'utf8'))).toEqual(Object.fromEntries(hostPorts.map(([k, v]) => [k, Number(v)])));
  });

  it('no chapter writes a port of compose/.env as a number: it writes {port.NAME}', () => {
    const found: string[] = [];
    for (const [file, text] of contentFiles()) {
      for (const line of proseLines(text)) {
        for (const [name, value] of hostPorts) {
          for (const m of line.matchAll(new RegExp(`(?<![\\w.-])${value}(?!\\d)`, 'g'))) {
            const before = line.slice(0, m.index);
            // `elasticsearch:9200` is the port inside the compose network, not the host's.
            if (/(^|[^\w.])(?!localhost\b)[a-z][a-z-]*:$/.test(before)) continue;
            if (INSIDE_CONTAINERS.some((ok) => line.includes(ok))) continue;
            found.push(`${file.slice(ROOT.length + 1)}: ${value} (${name}) in: ${line.trim()}`);
          }
        }
      }
    }
    expect(found).toEqual([]);
  });

  it("the home page's diagram takes every port from compose/.env", () => {
    const svg = readFileSync(join(ROOT, 'src', 'diagrams', 'stack.svg'), 'utf8');
    for (const [, value] of hostPorts) expect(svg).not.toMatch(new RegExp(`\\b${value}\\b`));
    const named = [...svg.matchAll(/\{\{([A-Z][A-Z0-9_]*)\}\}/g)].map((m) => m[1]);
    expect(new Set(named)).toEqual(
      new Set(['FLUENTD_PORT', 'FLUENTD_MONITOR_PORT', 'ES_PORT', 'KIBANA_PORT', 'MLFLOW_PORT', 'ADMINER_PORT', 'S3_PORT']),
    );
    // MLflow's own default, which the stack does not use (macOS gives it to AirPlay).
    expect(svg).not.toContain('5000');
  });
});
