import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dvcProbe } from '../../../protocol/probes/dvc.ts';
import { runCheck } from '../../../server/checks/engine.ts';
import { DEFAULT_ENDPOINTS } from '../../../server/stack/endpoints.ts';
import { hasVenv, testEnv } from '../../helpers/env.ts';

const run = promisify(execFile);
// The learner's PATH: the virtualenv first, as the server sets it for a chapter's checks.
const env = { ...process.env, PATH: `${join(testEnv.venv, 'bin')}${delimiter}${process.env.PATH}` };
const DATA = 'data/measurements.csv';

let root: string;
let ws: string;
let remoteDir: string;

function check(spec: Record<string, unknown>, probeEnv: NodeJS.ProcessEnv = env) {
  const probe = dvcProbe.parse({ kind: 'dvc', ...spec });
  return runCheck(probe, { workspace: ws, endpoints: DEFAULT_ENDPOINTS, env: probeEnv });
}

async function sh(cmd: string, ...args: string[]) {
  return run(cmd, args, { cwd: ws, env, timeout: 60_000 });
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const V1 = 'id,value\n1,0.5\n2,0.7\n';
const V2 = 'id,value\n1,0.5\n2,0.7\n3,0.9\n';

beforeAll(async () => {
  if (!hasVenv()) throw new Error('The test virtualenv is missing (tests/helpers/env.ts); .ci/run creates it.');
  root = await mkdtemp(join(tmpdir(), 'dvc-probe-'));
  ws = join(root, 'workspace');
  remoteDir = join(root, 'remote');
  await mkdir(join(ws, 'data'), { recursive: true });
  await writeFile(join(ws, DATA), V1);
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

// The steps run in order, as a learner walks the chapter: each probe fails before its step and passes after it.
describe('dvc probe against real dvc and git', () => {
  it('initialized: fails before `dvc init`, passes after', async () => {
    const before = await check({ initialized: true });
    expect(before.ok).toBe(false);
    expect(before.message).toBe('DVC is not set up in your workspace: there is no .dvc folder.');
    expect(before.hint).toBe('DVC works inside a Git repository: run `git init`, then `dvc init`.');
    await sh('git', 'init', '-q');
    await sh('git', 'config', 'user.email', 'test@example.invalid');
    await sh('git', 'config', 'user.name', 'Test');
    await sh('dvc', 'init', '-q');
    await sh('git', 'commit', '-qm', 'Initialize DVC');
    const after = await check({ initialized: true });
    expect(after.ok).toBe(true);
    expect(after.message).toBe('DVC is initialized.');
  });

  it('tracked: fails before `dvc add`, fails while Git tracks the data too, passes after', async () => {
    const before = await check({ tracked: DATA });
    expect(before.ok).toBe(false);
    expect(before.message).toBe(`${DATA} is not tracked by DVC: there is no ${DATA}.dvc.`);
    await sh('dvc', 'add', '-q', DATA);
    // The guide's mistake, forced past the .gitignore that `dvc add` wrote.
    await sh('git', 'add', '-f', DATA);
    const both = await check({ tracked: DATA });
    expect(both.ok).toBe(false);
    expect(both.message).toBe(`${DATA} is tracked by DVC and also by Git (${DATA}), so Git still stores the data.`);
    expect(both.hint).toContain(`git rm -r --cached '${DATA}'`);
    await sh('git', 'rm', '-q', '--cached', DATA);
    await sh('git', 'add', `${DATA}.dvc`, 'data/.gitignore');
    await sh('git', 'commit', '-qm', 'Track the data with DVC');
    const after = await check({ tracked: DATA });
    expect(after.ok).toBe(true);
    expect(after.message).toBe(`${DATA} is tracked by DVC (md5 ${md5(V1)}) and not by Git.`);
  });

  it('remote: fails before `dvc remote add -d`, passes after, and checks the name when given', async () => {
    const before = await check({ remote: true });
    expect(before.ok).toBe(false);
    expect(before.message).toBe('DVC has no default remote, so `dvc push` and `dvc pull` do not know where the data goes.');
    await sh('dvc', 'remote', 'add', '-d', 'storage', remoteDir);
    const after = await check({ remote: true });
    expect(after.ok).toBe(true);
    expect(after.message).toBe("DVC's default remote is storage.");
    const named = await check({ remote: 'backup' });
    expect(named.ok).toBe(false);
    expect(named.message).toBe("DVC's default remote is storage, and this step expects backup.");
  });

  it('pushed: fails before `dvc push`, passes after', async () => {
    const before = await check({ pushed: true });
    expect(before.ok).toBe(false);
    expect(before.message).toBe(`The remote lacks a file of your cache (${DATA}: new).`);
    expect(before.hint).toBe('Run `dvc push`, then check again.');
    await sh('dvc', 'push', '-q');
    const after = await check({ remote: 'storage', pushed: true });
    expect(after.ok).toBe(true);
    expect(after.message).toBe("DVC's default remote is storage. The cache and the remote are in sync.");
  });

  it('matches: follows the workspace through a second version and back to the first', async () => {
    expect((await check({ matches: DATA })).ok).toBe(true);
    expect((await check({ matches: DATA, md5: md5(V1) })).message).toBe(`${DATA} is the version ${md5(V1)}.`);

    // Edited but not recorded: the workspace no longer matches its .dvc.
    await writeFile(join(ws, DATA), V2);
    const edited = await check({ matches: DATA });
    expect(edited.ok).toBe(false);
    expect(edited.message).toBe(`${DATA} in your workspace (md5 ${md5(V2)}) is not the version ${DATA}.dvc names (${md5(V1)}).`);

    // Recorded as version 2: matches again, but not the first version.
    await sh('dvc', 'add', '-q', DATA);
    await sh('git', 'commit', '-qam', 'Version 2');
    expect((await check({ matches: DATA })).ok).toBe(true);
    const v1 = await check({ matches: DATA, md5: md5(V1) });
    expect(v1.ok).toBe(false);
    expect(v1.message).toBe(`${DATA}.dvc names the version ${md5(V2)}, and this step expects ${md5(V1)}.`);

    // Back to version 1, the way the chapter does it.
    await sh('git', 'checkout', 'HEAD~1', '--', `${DATA}.dvc`);
    await sh('dvc', 'checkout', '-q', `${DATA}.dvc`);
    expect(await readFile(join(ws, DATA), 'utf8')).toBe(V1);
    const back = await check({ matches: DATA, md5: md5(V1) });
    expect(back.ok).toBe(true);
  });

  it('says so when dvc is not on the PATH', async () => {
    const r = await check({ remote: true }, { ...process.env, PATH: '/usr/bin:/bin' });
    expect(r.ok).toBe(false);
    expect(r.message).toBe('The dvc command was not found on the PATH of this check.');
    expect(r.hint).toContain('pip install');
  });
});
