import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ExpectedValue } from '../../../protocol/probes/file.ts';
import { type FileProbe, fileProbe } from '../../../protocol/probes/file.ts';
import type { CheckResult, Evidence } from '../../../protocol/result.ts';
import { clip, errorCode } from '../../words.ts';
import { ev, LABEL } from '../evidence.ts';
import { hasPath, matchExpected, show, valueAt } from '../expect.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

/**
 * Parses INI text (Python's configparser, DVC's `.dvc/config`) into section → key → value.
 * DVC quotes section names with subsections (`['remote "storage"']`); the outer quotes are
 * dropped, so the key path is `remote "storage".url`.
 */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (head) {
      const name = head[1]!.replace(/^'(.*)'$/, '$1');
      out[name] ??= {};
      section = out[name];
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv && section) section[kv[1]!.trim()] = kv[2]!;
  }
  return out;
}

/** Splits `section.key` at its last dot: section names may hold dots, keys do not. */
function iniLookup(ini: Record<string, Record<string, string>>, path: string): { present: boolean; value: unknown } {
  const dot = path.lastIndexOf('.');
  const section = ini[path.slice(0, dot)];
  const key = path.slice(dot + 1);
  return section && Object.hasOwn(section, key) ? { present: true, value: section[key] } : { present: false, value: undefined };
}

/**
 * How much older than the attempt a `fresh` file may look: the kernel stamps files from a coarse
 * clock, a few milliseconds behind the one the attempt's start is read from.
 */
const CLOCK_SLACK_MS = 1000;

async function run(spec: FileProbe, ctx: ProbeContext): Promise<CheckResult> {
  const full = isAbsolute(spec.path) ? spec.path : join(ctx.workspace, spec.path);
  const shown = spec.path;
  let info: Awaited<ReturnType<typeof stat>> | undefined;
  try {
    info = await stat(full);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT' && errorCode(err) !== 'ENOTDIR') {
      return { ok: false, message: `${shown} cannot be read (${errorCode(err) ?? (err as Error).message}).`, evidence: [] };
    }
  }
  if (!spec.exists) {
    return info
      ? { ok: false, message: `${shown} still exists, and the step expects it to be gone.`, evidence: [] }
      : { ok: true, message: `${shown} does not exist, as expected.`, evidence: [] };
  }
  if (!info) {
    return {
      ok: false,
      message: `${shown} does not exist yet.`,
      hint: 'Run the step that creates it, then check again.',
      evidence: [ev(LABEL.file, full)],
    };
  }
  const written = Number(info.mtimeMs);
  if (spec.fresh && ctx.attemptStartedAt !== undefined && written < ctx.attemptStartedAt - CLOCK_SLACK_MS) {
    const at = (ms: number) => new Date(ms).toTimeString().slice(0, 8);
    const why = `${shown} is left from an earlier attempt: it was last written at ${at(written)}, before this attempt's first command was typed at ${at(ctx.attemptStartedAt)}.`;
    return {
      ok: false,
      message: why,
      hint: "Press Run again, or type the step's command yourself, then press Check.",
      evidence: [ev(LABEL.file, full), ev('When it was written', why)],
    };
  }
  if (spec.type === 'directory' && !info.isDirectory())
    return { ok: false, message: `${shown} is a file, and the step expects a folder.`, evidence: [] };
  if (spec.type === 'file' && !info.isFile())
    return { ok: false, message: `${shown} is a folder, and the step expects a file.`, evidence: [] };
  const needsText = spec.contains !== undefined || spec.notContains !== undefined || spec.yaml !== undefined || spec.ini !== undefined;
  if (!needsText) return { ok: true, message: `${shown} exists.`, evidence: [] };
  if (!info.isFile()) return { ok: false, message: `${shown} is a folder, and the step expects a file to read.`, evidence: [] };

  const text = await readFile(full, { encoding: 'utf8', signal: ctx.signal });
  const evidence: Evidence[] = [ev(`${LABEL.file} ${shown}`, clip(text))];
  if (spec.contains !== undefined && !new RegExp(spec.contains, 'm').test(text)) {
    return {
      ok: false,
      message: `${shown} does not contain what the step expects (/${spec.contains}/).`,
      hint: 'Compare the file with the step.',
      evidence,
    };
  }
  if (spec.notContains !== undefined) {
    const m = new RegExp(spec.notContains, 'm').exec(text);
    if (m) return { ok: false, message: `${shown} still contains "${m[0].trim()}".`, hint: 'Edit the file as the step shows.', evidence };
  }
  if (spec.yaml) {
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch (err) {
      return {
        ok: false,
        message: `${shown} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
        hint: 'Check its indentation.',
        evidence,
      };
    }
    const bad = compare(spec.yaml, (path) => ({ present: hasPath(data, path), value: valueAt(data, path) }), shown);
    if (bad) return { ...bad, evidence };
  }
  if (spec.ini) {
    const ini = parseIni(text);
    const bad = compare(spec.ini, (path) => iniLookup(ini, path), shown);
    if (bad) return { ...bad, evidence };
  }
  return { ok: true, message: `${shown} has what the step expects.`, evidence };
}

function compare(
  wanted: Record<string, ExpectedValue>,
  lookup: (path: string) => { present: boolean; value: unknown },
  shown: string,
): Omit<CheckResult, 'evidence'> | undefined {
  for (const [path, expected] of Object.entries(wanted)) {
    const { present, value } = lookup(path);
    const m = matchExpected(value, present, expected);
    if (!m.ok) {
      const found = present ? `is ${show(value)}` : 'is missing';
      return {
        ok: false,
        message: `In ${shown}, ${path} ${found}, and the step expects ${m.wanted}.`,
        hint: 'Edit the file as the step shows.',
      };
    }
  }
  return undefined;
}

export const fileModule: ProbeModule<typeof fileProbe> = { kind: 'file', schema: fileProbe, defaultTimeout: 5, run };
