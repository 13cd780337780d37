import type { ExpectedValue } from '../../protocol/probes/file.ts';

/** The value at a dotted key path (`version.number`, `outs.0.md5`), or undefined. */
export function valueAt(data: unknown, path: string): unknown {
  let v = data;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Whether a key path is present (even with a null value). */
export function hasPath(data: unknown, path: string): boolean {
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.length ? valueAt(data, keys.join('.')) : data;
  return parent !== null && typeof parent === 'object' && Object.hasOwn(parent, last);
}

/** Compares a found value with an expectation; `wanted` describes the expectation for messages. */
export function matchExpected(found: unknown, present: boolean, expected: ExpectedValue): { ok: boolean; wanted: string } {
  if (Array.isArray(expected)) {
    return { ok: present && expected.some((e) => loosely(found, e)), wanted: `one of ${expected.map(show).join(', ')}` };
  }
  if (expected !== null && typeof expected === 'object') {
    const parts: string[] = [];
    let ok = true;
    if (expected.exists !== undefined) {
      ok &&= present === expected.exists;
      parts.push(expected.exists ? 'present' : 'absent');
    }
    const n = typeof found === 'number' ? found : typeof found === 'string' && found.trim() !== '' ? Number(found) : Number.NaN;
    const cmp: [number | undefined, string, (a: number, b: number) => boolean][] = [
      [expected.gte, 'at least', (a, b) => a >= b],
      [expected.gt, 'more than', (a, b) => a > b],
      [expected.lte, 'at most', (a, b) => a <= b],
      [expected.lt, 'less than', (a, b) => a < b],
    ];
    for (const [bound, words, f] of cmp) {
      if (bound === undefined) continue;
      ok &&= present && !Number.isNaN(n) && f(n, bound);
      parts.push(`${words} ${bound}`);
    }
    if (expected.matches !== undefined) {
      ok &&= present && new RegExp(expected.matches, 'm').test(typeof found === 'string' ? found : JSON.stringify(found));
      parts.push(`matching /${expected.matches}/`);
    }
    return { ok, wanted: parts.join(' and ') || 'anything' };
  }
  return { ok: present && loosely(found, expected), wanted: show(expected) };
}

/** Equality that lets an INI or YAML string "5" equal the number 5 and "true" equal true. */
function loosely(found: unknown, expected: string | number | boolean | null): boolean {
  if (found === expected) return true;
  if (typeof found === 'string' && typeof expected !== 'string') return found === String(expected);
  if (typeof expected === 'string' && (typeof found === 'number' || typeof found === 'boolean')) return String(found) === expected;
  return false;
}

/** A value as a learner would write it. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v);
}
