import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { COMPOSE_DIR } from '../paths.ts';

/**
 * The stack's compose/.env: where the learner says which host port each service is published on
 * (and which image versions run). The workspace's copy is the one that counts, because the
 * chapters start the stack from there; the repository's copy is the template it was made from.
 */

/** The repository's compose/.env, copied into every workspace. */
export const TEMPLATE_ENV_FILE = join(COMPOSE_DIR, '.env');

/** The compose/.env the workspace's stack is started with: its own copy, else the repository's. */
export function composeEnvFile(workspace?: string): string {
  const own = workspace ? join(workspace, 'compose', '.env') : undefined;
  return own && existsSync(own) ? own : TEMPLATE_ENV_FILE;
}

/**
 * Reads a .env file as Docker Compose does for what this file holds: `KEY=VALUE` lines, `#`
 * comments, blank lines, an optional `export ` in front, values in single quotes (taken as they
 * are) or double quotes (a backslash escapes the next character, \n is a new line), and a ` #`
 * comment after an unquoted value. `${OTHER}` inside a value is kept as written (the ports and
 * pins here never use it). Lines that are not `KEY=VALUE` are skipped.
 */
export function parseDotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, key, rest] = m as unknown as [string, string, string];
    vars[key] = unquote(rest);
  }
  return vars;
}

function unquote(value: string): string {
  const q = value[0];
  if (q === "'") {
    const end = value.indexOf(q, 1);
    if (end > 0) return value.slice(1, end);
  }
  if (q === '"') {
    // Up to the first quote that no backslash escapes.
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(value);
    if (m) return m[1]!.replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
  }
  const comment = value.search(/\s#/);
  return (comment >= 0 ? value.slice(0, comment) : value).trim();
}

/** The variables of a .env file; an absent file has none. */
export function readDotenv(path: string): Record<string, string> {
  try {
    return parseDotenv(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

/**
 * A string that changes whenever the file does (written in place, replaced by a rename, removed),
 * so a reader can keep what it parsed until then.
 */
export function fileVersion(path: string | undefined): string {
  if (!path) return '';
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  return s ? `${path}:${s.ino}:${s.size}:${s.mtimeNs}` : `${path}:absent`;
}
