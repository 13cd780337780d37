import type * as z from 'zod';
import { probeSchemas } from './probes/index.ts';

type Issue = z.core.$ZodIssue;

/** One problem in a chapter or a check: the field it is in, and what is wrong and what to write. */
export interface Problem {
  /** Where, from the value that was parsed: `['steps', 0, 'check', 'all', 1, 'kind']`. */
  path: PropertyKey[];
  /** A sentence without the field: `"htp" is not a probe kind; use one of command, file, ...`. */
  text: string;
}

/**
 * The problems of a failed parse of a check (or of anything that contains checks, such as a
 * chapter's frontmatter), each at its field.
 *
 * zod reports a union that failed as one issue at the union's own path with the errors of every
 * alternative. For a check the alternative is clear from the input (`kind` means a probe, `all`
 * or `any` a composition), so only that alternative's errors are reported, with full paths.
 */
export function checkProblems(issues: readonly Issue[], input: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) collect(issue, [], input, problems);
  const seen = new Set<string>();
  return problems.filter((p) => {
    const line = lineOf(p);
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
}

/**
 * Readable lines for the issues of a failed parse of a check or a chapter, each naming the field:
 * `steps.0.check.all.1.kind: "htp" is not a probe kind; use one of command, file, http, ...`.
 */
export function formatCheckIssues(issues: readonly Issue[], input: unknown): string[] {
  return checkProblems(issues, input).map(lineOf);
}

function lineOf(p: Problem): string {
  return `${where(p.path)}: ${p.text}`;
}

function collect(issue: Issue, base: PropertyKey[], input: unknown, out: Problem[]): void {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union') {
    const value = at(input, path);
    if ('note' in issue && issue.note === 'No matching discriminator') {
      const kinds = probeSchemas.map((s) => s.shape.kind.value).join(', ');
      const got = value === undefined ? 'A probe needs a kind' : `${JSON.stringify(value)} is not a probe kind`;
      out.push({ path, text: `${got}; use one of ${kinds}.` });
      return;
    }
    const branch = pickBranch(issue.errors, value);
    if (branch) {
      for (const sub of branch) collect(sub, path, input, out);
      return;
    }
    const keys = value !== null && typeof value === 'object' ? Object.keys(value) : [];
    const extra = keys.length > 0 ? ` It has ${keys.map((k) => `"${k}"`).join(', ')}.` : '';
    out.push({ path, text: `a check is a probe (with a "kind") or a list under "all" or "any".${extra}` });
    return;
  }
  if (issue.code === 'unrecognized_keys') {
    out.push({ path, text: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}.` });
    return;
  }
  if (issue.code === 'invalid_type' && at(input, path) === undefined) {
    out.push({ path, text: `this field is required (${issue.expected}).` });
    return;
  }
  out.push({ path, text: `${issue.message}.` });
}

/** The errors of the union alternative that the input was meant to be. */
function pickBranch(errors: Issue[][], value: unknown): Issue[] | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  // A check union lists the probes first, then `all`, then `any` (protocol/probes/index.ts).
  const wanted = keys.includes('kind') ? 0 : keys.includes('all') ? 1 : keys.includes('any') ? 2 : -1;
  const isCheckUnion = errors.length === 3 && errors[1]!.some((i) => i.path[0] === 'all') && errors[2]!.some((i) => i.path[0] === 'any');
  if (isCheckUnion) return wanted >= 0 ? errors[wanted] : undefined;
  // Any other union: the alternative with the fewest complaints.
  return [...errors].sort((a, b) => a.length - b.length)[0];
}

function at(input: unknown, path: PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function where(path: PropertyKey[]): string {
  return path.length === 0 ? 'check' : path.map(String).join('.');
}
