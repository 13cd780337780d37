/**
 * `npx tsx bench/shells.ts [--runs N] [--bash32 DIR] [--only WORD,...]`: how long Run takes in the
 * learner's shells. For each shell (bash 5 with PS0, bash 5 the DEBUG-trap way as bash 3.2 does,
 * each with this machine's ~/.bashrc and with a 3 s rc; zsh 5.9 with a plain and a themed .zshrc;
 * bash 3.2 itself when --bash32 names a folder holding a `bash` built by hand; --only keeps the
 * shells whose name holds one of the words, and the other rows stay as the last run wrote them), the real server runs "Hello, terminal"'s say-hello step
 * (StepController.runCommand, as a page's Run does) and times:
 *   Run → command start: until the command's own output arrives (it has started);
 *   Run → check result: until runCommand resolves, after the prompt came back and the check ran.
 * "warm" Runs go to a shell at its prompt; "first" Runs to a new shell (its rc still running).
 * Writes the "Run in the learner's shells" section of bench/RESULTS.md between its markers.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../server/paths.ts';
import { startTestServer } from '../tests/helpers/server.ts';
import { pollUntil } from '../tests/helpers/ws-client.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '30' }, bash32: { type: 'string' }, only: { type: 'string' } },
});
const RUNS = Number(values.runs);
const FIRST_RUNS = 5;

interface Variant {
  name: string;
  /** The shell the server starts (its --shell); bash unless said. */
  shell?: 'bash' | 'zsh';
  env: Record<string, string>;
  /** A fixture folder of tests/fixtures/shells/ as HOME, or the machine's HOME. */
  home?: string;
}
const slow = 'slow-banner-cd';
const variants: Variant[] = [
  { name: "bash 5.2, PS0, this machine's ~/.bashrc", env: {} },
  { name: "bash 5.2, no PS0 (DEBUG trap), this machine's ~/.bashrc", env: { __TUT_FORCE_NO_PS0: '1' } },
  { name: 'bash 5.2, PS0, a 3 s rc', env: {}, home: slow },
  { name: 'bash 5.2, no PS0, a 3 s rc', env: { __TUT_FORCE_NO_PS0: '1' }, home: slow },
];
// zsh 5.9 with a learner's .zshrc (the shells tier's fixtures): Debian's plain one, and one themed
// with powerlevel9k, zsh-autosuggestions and zsh-syntax-highlighting; SHELL as a zsh user has it.
const zshEnv = { SHELL: '/usr/bin/zsh' };
variants.push(
  { name: "zsh 5.9, plain (Debian's newuser .zshrc)", shell: 'zsh', env: zshEnv, home: 'zsh-plain' },
  { name: 'zsh 5.9, themed (powerlevel9k, autosuggestions, syntax highlighting)', shell: 'zsh', env: zshEnv, home: 'zsh-themed' },
);
if (values.bash32) {
  const PATH = `${values.bash32}:${process.env.PATH}`;
  variants.push(
    { name: "bash 3.2.48 (built by hand), this machine's ~/.bashrc", env: { PATH } },
    { name: 'bash 3.2.48 (built by hand), a 3 s rc', env: { PATH }, home: slow },
  );
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function measure(v: Variant): Promise<{ warm: { start: number[]; result: number[] }; first: { start: number[]; result: number[] } }> {
  const home = v.home ? mkdtempSync(join(tmpdir(), 'bench-shells-')) : undefined;
  if (home && v.home) cpSync(join(REPO_ROOT, 'tests', 'fixtures', 'shells', v.home), home, { recursive: true });
  const vars: Record<string, string> = { ...v.env, ...(home ? { HOME: home } : {}) };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  const server = await startTestServer({ shell: v.shell ?? 'bash' });
  const out = { warm: { start: [] as number[], result: [] as number[] }, first: { start: [] as number[], result: [] as number[] } };
  try {
    const once = async (kind: 'warm' | 'first') => {
      if (kind === 'first') await server.sessions.end('hello-terminal');
      const session = server.sessions.open('hello-terminal');
      if (kind === 'warm') {
        await session.started(30_000);
        await pollUntil(async () => ((await session.lineState()).kind === 'empty' ? true : undefined), 'an empty prompt', 30_000);
      }
      let text = '';
      let started: number | undefined;
      const t0 = performance.now();
      const listening = session.onOutput((t) => {
        text += t;
        if (started === undefined && /[\r\n]hello from the tutorial\r?\n/.test(text)) started = performance.now() - t0;
      });
      const outcome = await server.controller.runCommand('hello-terminal', 'say-hello', 0);
      const result = performance.now() - t0;
      listening.dispose();
      if (!outcome.asWritten || started === undefined) throw new Error(`say-hello did not run as written: ${JSON.stringify(outcome)}`);
      out[kind].start.push(started);
      out[kind].result.push(result);
    };
    await once('warm'); // warm-up
    out.warm.start.length = 0;
    out.warm.result.length = 0;
    for (let i = 0; i < RUNS; i++) await once('warm');
    for (let i = 0; i < FIRST_RUNS; i++) await once('first');
  } finally {
    await server.dispose();
    for (const [k, val] of Object.entries(saved)) {
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    }
    if (home) rmSync(home, { recursive: true, force: true });
  }
  return out;
}

const file = join(REPO_ROOT, 'bench', 'RESULTS.md');
const old = readFileSync(file, 'utf8');
const SECTION = /<!-- shells:start -->[\s\S]*<!-- shells:end -->/;
// Rows of an earlier run stay unless this run measures the same shell again (--only, or no --bash32).
const earlier = new Map<string, string>();
for (const line of SECTION.exec(old)?.[0].split('\n') ?? []) {
  const name = /^\| ([^|]+?) \| \d/.exec(line)?.[1];
  if (name) earlier.set(name, line);
}
const chosen = values.only ? variants.filter((v) => values.only!.split(',').some((w) => v.name.includes(w.trim()))) : variants;
const measured = new Map<string, string>();
for (const v of chosen) {
  console.log(`… ${v.name}`);
  const r = await measure(v);
  const cell = (xs: number[]) => `${ms(pct(xs, 50))} / ${ms(pct(xs, 99))}`;
  measured.set(v.name, `| ${v.name} | ${cell(r.warm.start)} | ${cell(r.warm.result)} | ${cell(r.first.start)} | ${cell(r.first.result)} |`);
  console.log(measured.get(v.name));
}
const names = [...new Set([...variants.map((v) => v.name), ...earlier.keys()])];
const rows = names.flatMap((n) => measured.get(n) ?? earlier.get(n) ?? []);
const keptNote =
  rows.length > measured.size ? ' Rows this run did not measure are kept from the run before (bash 3.2 needs `--bash32`).' : '';

const section = `<!-- shells:start -->
## Run in the learner's shells

\`npx tsx bench/shells.ts --runs ${RUNS}${values.bash32 ? ' --bash32 DIR' : ''}${values.only ? ` --only ${values.only}` : ''}\`, ${new Date().toISOString().slice(0, 10)}, on this machine (see the top).${keptNote} p50 / p99 in
milliseconds of "Hello, terminal"'s say-hello through StepController.runCommand (what a page's Run
does): Run → command start (the command's own output arrives), Run → check result (the prompt is
back and the check has run). Warm: ${RUNS} Runs into a shell at its prompt. First: ${FIRST_RUNS} Runs, each into a new
shell whose rc is still running (the Run waits for its first prompt). The 3 s rc is
tests/fixtures/shells/slow-banner-cd. "No PS0" is bash 5 forced the DEBUG-trap way
(\`__TUT_FORCE_NO_PS0=1\`), which bash 3.2 takes by itself. zsh's rows are zsh 5.9 (preexec/precmd) with
the .zshrc of tests/fixtures/shells/zsh-plain or zsh-themed as the learner's. With few first Runs, p99 is their maximum.

| shell | warm: Run → start | warm: Run → result | first: Run → start | first: Run → result |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
<!-- shells:end -->`;

const next = SECTION.test(old) ? old.replace(SECTION, section) : `${old.trimEnd()}\n\n${section}\n`;
writeFileSync(file, next);
console.log(`wrote the section to ${file}`);
