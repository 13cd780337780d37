import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layout's rules (CONTRIBUTING.md, "Where things live"), read from the import lines: every
 * import goes to the same room or a lower one, there are no import circles, the site never
 * imports the server, and no source file grows past 400 lines.
 */
const ROOT = resolve(import.meta.dirname, '../..');

/** Rooms from the bottom up; a file may import its own room and the rooms below it. */
const LAYERS: [prefix: string, floor: number][] = [
  ['protocol/', 0],
  ['server/paths.ts', 1],
  ['server/words.ts', 1],
  ['server/workspace.ts', 1],
  ['server/stack/', 2],
  ['server/checks/', 3],
  ['server/terminal/', 3],
  ['server/tutorial/', 4],
  ['server/web/', 5],
  ['server/app.ts', 6],
  ['server/cli/', 7],
];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) walk(path, out);
    else if (/\.(ts|astro|css|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)].map((m) =>
    relative(ROOT, resolve(ROOT, dirname(file), m[1] as string)),
  );
}

function room(file: string): [string, number] | undefined {
  const hit = LAYERS.find(([prefix]) => file.startsWith(prefix));
  return hit ? [hit[0], hit[1]] : undefined;
}

const serverFiles = [...walk('server'), ...walk('protocol')].filter((f) => f.endsWith('.ts'));

describe('the layout', () => {
  it('reads the import lines (the composition root imports the runtime and the sockets)', () => {
    expect(imports('server/app.ts')).toEqual(expect.arrayContaining(['server/tutorial/runtime.ts', 'server/web/sockets.ts']));
  });

  it('puts every server and protocol file in a room', () => {
    expect(serverFiles.filter((f) => !room(f))).toEqual([]);
  });

  it('has no import from a lower room to a higher one, nor across rooms of one floor', () => {
    const up: string[] = [];
    for (const file of serverFiles) {
      const [fromRoom, fromFloor] = room(file) ?? ['', -1];
      for (const target of imports(file)) {
        const [toRoom, toFloor] = room(target) ?? [target, 99];
        const across = toFloor === fromFloor && toRoom !== fromRoom && fromFloor !== 1;
        if (toFloor > fromFloor || across) up.push(`${file} -> ${target}`);
      }
    }
    expect(up).toEqual([]);
  });

  it('has no import circles', () => {
    const graph = new Map(serverFiles.map((f) => [f, imports(f)]));
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') circles.push([...path.slice(path.indexOf(next)), next].join(' -> '));
        else if (!state.has(next)) visit(next, [...path, next]);
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
    expect(circles).toEqual([]);
  });

  it('keeps the site apart from the server', () => {
    const crossing = walk('src').flatMap((f) =>
      imports(f)
        .filter((t) => t.startsWith('server/'))
        .map((t) => `${f} -> ${t}`),
    );
    expect(crossing).toEqual([]);
  });

  it('keeps every source file under 400 lines', () => {
    const long = [...walk('server'), ...walk('src'), ...walk('protocol')]
      .map((f) => [f, readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 400)
      .map(([f, lines]) => `${f}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
