import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type DvcProbe, dvcProbe } from '../../../protocol/probes/dvc.ts';
import type { CheckResult, Evidence } from '../../../protocol/result.ts';
import { clip, isAbort, seconds } from '../../words.ts';
import { ev, LABEL } from '../evidence.ts';
import { runSteps } from '../steps.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

/** DVC: the repository is initialised, a path is tracked, a default remote is set, the cache is pushed, the workspace matches a version. */
export const dvcModule: ProbeModule<typeof dvcProbe> = {
  kind: 'dvc',
  schema: dvcProbe,
  // `dvc` is a Python program: a second or two to start, more on a busy machine.
  defaultTimeout: 30,
  async run(spec, ctx) {
    const repo = resolve(ctx.workspace, spec.repo);
    return runSteps([
      spec.initialized && (() => checkInitialized(repo, spec)),
      spec.tracked && (() => checkTracked(repo, spec.tracked!, ctx)),
      spec.remote && (() => checkRemote(repo, spec.remote as true | string, ctx)),
      spec.pushed && (() => checkPushed(repo, ctx)),
      spec.matches && (() => checkMatches(repo, spec.matches!, spec.md5, ctx)),
    ]);
  },
};

/** How a command ended: its exit status and output, or why it could not run. */
type Ran =
  | { kind: 'exited'; code: number; stdout: string; stderr: string; line: string }
  | { kind: 'missing' | 'timeout'; line: string }
  | { kind: 'failed'; line: string; detail: string };

/** Runs a program (found on ctx.env.PATH, so the learner's virtualenv wins) in `cwd`, bound to the probe's deadline. */
function runTool(cmd: string, args: string[], cwd: string, ctx: ProbeContext): Promise<Ran> {
  const line = [cmd, ...args].join(' ');
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      { cwd, env: ctx.env, signal: ctx.signal, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8', killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (!err) return done({ kind: 'exited', code: 0, stdout, stderr, line });
        const e = err as NodeJS.ErrnoException & { code?: string | number };
        if (ctx.signal.aborted || isAbort(err)) return done({ kind: 'timeout', line });
        if (e.code === 'ENOENT') return done({ kind: 'missing', line });
        if (typeof e.code === 'number') return done({ kind: 'exited', code: e.code, stdout, stderr, line });
        done({ kind: 'failed', line, detail: e.message });
      },
    );
  });
}

/** The failed result for a command that did not run to an exit status. */
function notRun(r: Exclude<Ran, { kind: 'exited' }>, ctx: ProbeContext): CheckResult {
  const tool = r.line.split(' ')[0];
  switch (r.kind) {
    case 'missing':
      return {
        ok: false,
        message: `The ${tool} command was not found on the PATH of this check.`,
        hint:
          tool === 'dvc'
            ? 'Install it into the workspace virtualenv with `pip install -r requirements.txt` (or `pip install dvc`), then check again.'
            : `Install ${tool}, then check again.`,
        evidence: [ev(LABEL.commandOutput, `${r.line}: not found`)],
      };
    case 'timeout':
      return {
        ok: false,
        message: `\`${r.line}\` did not finish within ${seconds(ctx.timeoutMs)}.`,
        hint: 'Run it yourself in the terminal to see what it waits for (a remote that does not answer, a lock held by another dvc command).',
        evidence: [ev(LABEL.commandOutput, `${r.line}: stopped at the deadline`)],
      };
    case 'failed':
      return { ok: false, message: `\`${r.line}\` could not be run: ${r.detail}.`, evidence: [ev(LABEL.commandOutput, r.detail)] };
  }
}

function output(r: Extract<Ran, { kind: 'exited' }>): Evidence[] {
  return [ev(LABEL.commandOutput, clip(`$ ${r.line}\n${r.stdout}${r.stderr}`.trimEnd(), 3000)), ev(LABEL.exitStatus, String(r.code))];
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function checkInitialized(repo: string, spec: DvcProbe): Promise<CheckResult> {
  if (!(await isDir(repo))) {
    return {
      ok: false,
      message: `The folder ${spec.repo} does not exist in your workspace.`,
      hint: 'Run the earlier steps of this chapter first; they create it.',
      evidence: [ev(LABEL.file, `${repo}: missing`)],
    };
  }
  if (!(await isDir(join(repo, '.dvc')))) {
    const git = await isDir(join(repo, '.git'));
    return {
      ok: false,
      message: `DVC is not set up in ${spec.repo === '.' ? 'your workspace' : spec.repo}: there is no .dvc folder.`,
      hint: git
        ? 'Run `dvc init`, then commit what it created with `git commit -m "Initialize DVC"`.'
        : 'DVC works inside a Git repository: run `git init`, then `dvc init`.',
      evidence: [ev(LABEL.file, `${join(repo, '.dvc')}: missing`)],
    };
  }
  return { ok: true, message: 'DVC is initialized.', evidence: [ev(LABEL.file, `${join(repo, '.dvc')}: present`)] };
}

/** The first output of a `.dvc` file (its md5 and path), or why there is none. */
async function readDvcFile(repo: string, path: string): Promise<{ md5: string; path: string; text: string } | CheckResult> {
  const file = join(repo, `${path}.dvc`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {
      ok: false,
      message: `${path} is not tracked by DVC: there is no ${path}.dvc.`,
      hint: `Run \`dvc add ${path}\`, then \`git add ${path}.dvc .gitignore\` and commit.`,
      evidence: [ev(LABEL.file, `${file}: missing`)],
    };
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch {
    parsed = undefined;
  }
  const out = (parsed as { outs?: { md5?: unknown; path?: unknown }[] } | undefined)?.outs?.[0];
  if (typeof out?.md5 !== 'string') {
    return {
      ok: false,
      message: `${path}.dvc does not name an output with an md5, so DVC does not track a version of ${path}.`,
      hint: `Run \`dvc add ${path}\` again to rewrite it.`,
      evidence: [ev(LABEL.file, `${file}:\n${clip(text, 1000)}`)],
    };
  }
  return { md5: out.md5, path: typeof out.path === 'string' ? out.path : path, text };
}

async function checkTracked(repo: string, path: string, ctx: ProbeContext): Promise<CheckResult> {
  const dvcFile = await readDvcFile(repo, path);
  if ('ok' in dvcFile) return dvcFile;
  const evidence = [ev(LABEL.file, `${path}.dvc:\n${clip(dvcFile.text, 600)}`)];
  // Data that Git tracks as well is the guide's classic mistake ("already tracked by SCM").
  const git = await runTool('git', ['ls-files', '--', path], repo, ctx);
  if (git.kind === 'timeout') return notRun(git, ctx);
  if (git.kind === 'exited' && git.code === 0 && git.stdout.trim() !== '') {
    const files = git.stdout.trim().split('\n');
    return {
      ok: false,
      message: `${path} is tracked by DVC and also by Git (${files.length === 1 ? files[0] : `${files.length} files`}), so Git still stores the data.`,
      hint: `Stop tracking it in Git with \`git rm -r --cached '${path}'\`, then \`git add ${path}.dvc .gitignore && git commit -m 'Track ${path} with DVC'\`.`,
      evidence: [...evidence, ...output(git)],
    };
  }
  return { ok: true, message: `${path} is tracked by DVC (md5 ${dvcFile.md5}) and not by Git.`, evidence };
}

async function checkRemote(repo: string, want: true | string, ctx: ProbeContext): Promise<CheckResult> {
  const [def, list] = await Promise.all([runTool('dvc', ['remote', 'default'], repo, ctx), runTool('dvc', ['remote', 'list'], repo, ctx)]);
  if (def.kind !== 'exited') return notRun(def, ctx);
  const evidence = [...output(def), ...(list.kind === 'exited' ? output(list) : [])];
  const name = def.code === 0 ? def.stdout.trim() : '';
  if (!name) {
    return {
      ok: false,
      message: 'DVC has no default remote, so `dvc push` and `dvc pull` do not know where the data goes.',
      hint: 'Add one with `dvc remote add -d storage /tmp/dvc-storage` (any folder or URL), then commit .dvc/config.',
      evidence,
    };
  }
  if (typeof want === 'string' && name !== want) {
    return {
      ok: false,
      message: `DVC's default remote is ${name}, and this step expects ${want}.`,
      hint: `Make ${want} the default with \`dvc remote default ${want}\` (\`dvc remote list\` shows the remotes).`,
      evidence,
    };
  }
  return { ok: true, message: `DVC's default remote is ${name}.`, evidence };
}

async function checkPushed(repo: string, ctx: ProbeContext): Promise<CheckResult> {
  // Without a remote, `dvc status -c` may print `{}` and exit 0 when there is nothing to compare;
  // ask for the remote first so "no remote" is never mistaken for "in sync".
  const remote = await checkRemote(repo, true, ctx);
  if (!remote.ok) return remote;
  const r = await runTool('dvc', ['status', '--cloud', '--json'], repo, ctx);
  if (r.kind !== 'exited') return notRun(r, ctx);
  let status: Record<string, unknown> | undefined;
  try {
    status = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    status = undefined;
  }
  if (r.code !== 0 || !status) {
    return {
      ok: false,
      message: `\`dvc status --cloud\` failed with exit status ${r.code}.`,
      hint: 'Read its output below; run `dvc status -c` in the terminal to see it again.',
      evidence: output(r),
    };
  }
  const pending = Object.entries(status);
  if (pending.length > 0) {
    return {
      ok: false,
      message: `The remote lacks ${pending.length === 1 ? 'a file' : `${pending.length} files`} of your cache (${pending.map(([k, v]) => `${k}: ${String(v)}`).join(', ')}).`,
      hint: 'Run `dvc push`, then check again.',
      evidence: output(r),
    };
  }
  return { ok: true, message: 'The cache and the remote are in sync.', evidence: output(r) };
}

async function md5File(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function checkMatches(repo: string, path: string, expected: string | undefined, ctx: ProbeContext): Promise<CheckResult> {
  const dvcFile = await readDvcFile(repo, path);
  if ('ok' in dvcFile) return dvcFile;
  const evidence: Evidence[] = [ev(LABEL.file, `${path}.dvc names md5 ${dvcFile.md5}`)];
  if (expected && dvcFile.md5 !== expected) {
    return {
      ok: false,
      message: `${path}.dvc names the version ${dvcFile.md5}, and this step expects ${expected}.`,
      hint: `Check out the version this step uses (for example \`git checkout <commit> -- ${path}.dvc\`), then run \`dvc checkout ${path}.dvc\`.`,
      evidence,
    };
  }
  const target = join(repo, path);
  const info = await stat(target).catch(() => undefined);
  if (!info) {
    return {
      ok: false,
      message: `${path} is missing from your workspace.`,
      hint: `Run \`dvc checkout ${path}.dvc\` (or \`dvc pull\` when the cache is empty) to bring it back.`,
      evidence: [...evidence, ev(LABEL.file, `${target}: missing`)],
    };
  }
  if (info.isDirectory()) {
    // A folder's md5 is DVC's hash of its file list; `dvc status` compares it for us.
    const r = await runTool('dvc', ['status', '--json', `${path}.dvc`], repo, ctx);
    if (r.kind !== 'exited') return notRun(r, ctx);
    const clean = r.code === 0 && r.stdout.trim() === '{}';
    if (!clean) {
      return {
        ok: false,
        message: `The folder ${path} differs from the version its .dvc file names.`,
        hint: `Run \`dvc checkout ${path}.dvc\` to restore that version (or \`dvc add ${path}\` to record your changes as a new one).`,
        evidence: [...evidence, ...output(r)],
      };
    }
    return { ok: true, message: `The folder ${path} is the version ${dvcFile.md5}.`, evidence: [...evidence, ...output(r)] };
  }
  const actual = await md5File(target, ctx.signal);
  evidence.push(ev(LABEL.file, `${path} has md5 ${actual}`));
  if (actual !== dvcFile.md5) {
    return {
      ok: false,
      message: `${path} in your workspace (md5 ${actual}) is not the version ${path}.dvc names (${dvcFile.md5}).`,
      hint: `Run \`dvc checkout ${path}.dvc\` to restore that version, or \`dvc add ${path}\` to record your changes as a new one.`,
      evidence,
    };
  }
  return { ok: true, message: `${path} is the version ${actual}.`, evidence };
}
