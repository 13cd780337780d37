import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hasVenv, testEnv, venvBin } from '../../helpers/env.ts';

/**
 * The DVC chapter's flow, for real, in a git repository made from a copy of workspace/:
 * version a generated data set, push it to a local remote, make a second version, go back to
 * the first with git + dvc checkout, and restore it from the remote after losing the cache.
 * Runs the same commands a learner types, with the virtualenv's dvc and the system git.
 */

const execFileAsync = promisify(execFile);
const WORKSPACE = resolve(import.meta.dirname, '../../../workspace');
const DATA = 'data/sensors.csv';

let root: string;
let repo: string;
let remote: string;

// Never phone home from a test; a fixed identity so git commit works on a bare CI machine.
const env = {
  ...process.env,
  DVC_NO_ANALYTICS: '1',
  GIT_AUTHOR_NAME: 'Tutorial Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Tutorial Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(cmd: string, args: string[], allowFailure = false): Promise<Result> {
  const result = await execFileAsync(cmd, args, { cwd: repo, env, timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({
      code: err.code ?? -1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    }),
  );
  if (result.code !== 0 && !allowFailure) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}
const git = (...args: string[]) => sh('git', args);
const dvc = (...args: string[]) => sh(venvBin('dvc'), args);
const python = (...args: string[]) => sh(venvBin('python'), args);

async function md5Of(path: string): Promise<string> {
  return createHash('md5')
    .update(await readFile(join(repo, path)))
    .digest('hex');
}

/** The md5 that data/sensors.csv.dvc records for the file (DVC 3: the md5 of its bytes). */
async function recordedMd5(): Promise<string> {
  const meta = parse(await readFile(join(repo, `${DATA}.dvc`), 'utf8')) as { outs: { md5: string; path: string }[] };
  expect(meta.outs[0]!.path).toBe('sensors.csv');
  return meta.outs[0]!.md5;
}

/** Where DVC 3 keeps an object: <store>/files/md5/<first 2 hex>/<rest>. */
function objectPath(store: string, md5: string): string {
  return join(store, 'files', 'md5', md5.slice(0, 2), md5.slice(2));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  if (!hasVenv()) throw new Error(`The test virtualenv is missing at ${testEnv.venv} (set TUTORIAL_VENV; it needs dvc).`);
  root = await mkdtemp(join(tmpdir(), 'workspace-dvc-'));
  repo = join(root, 'workspace');
  remote = join(root, 'dvc-remote');
  await cp(WORKSPACE, repo, { recursive: true });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '.');
  await git('commit', '--quiet', '-m', 'The tutorial workspace');
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('versioning the generated data set with DVC', () => {
  let v1: string;
  let v2: string;
  let v1Commit: string;

  it('dvc init adds .dvc/ and .dvcignore, which go into git', async () => {
    await dvc('init', '--quiet');
    expect(await exists(join(repo, '.dvc', 'config'))).toBe(true);
    expect(await exists(join(repo, '.dvcignore'))).toBe(true);
    await git('add', '.dvc', '.dvcignore');
    await git('commit', '--quiet', '-m', 'dvc init');
  });

  it('dvc add tracks version 1: a .dvc file with its md5, the data ignored by git, a copy in the cache', async () => {
    await python('data/make_dataset.py', '--version', '1');
    v1 = await md5Of(DATA);
    await dvc('add', DATA);
    expect(await recordedMd5()).toBe(v1);
    expect(await readFile(join(repo, 'data', '.gitignore'), 'utf8')).toContain('/sensors.csv');
    expect(await exists(objectPath(join(repo, '.dvc', 'cache'), v1))).toBe(true);
    await git('add', `${DATA}.dvc`, 'data/.gitignore');
    await git('commit', '--quiet', '-m', 'Data set, version 1');
    v1Commit = (await git('rev-parse', 'HEAD')).stdout.trim();
    // git tracks the small .dvc file, never the data itself.
    expect((await git('ls-files', 'data')).stdout.split('\n')).not.toContain(DATA);
  });

  it('dvc push without a remote fails with "no remote specified"', async () => {
    const result = await sh(venvBin('dvc'), ['push'], true);
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/no remote specified/);
  });

  it('dvc remote add -d sets a default remote, and dvc push copies version 1 there', async () => {
    await dvc('remote', 'add', '-d', 'local', remote);
    expect(await readFile(join(repo, '.dvc', 'config'), 'utf8')).toMatch(/\[core\]\s*\n\s*remote = local/);
    expect((await dvc('remote', 'list')).stdout).toMatch(new RegExp(`^local\\s+${remote.replace(/[/\\.]/g, '\\$&')}`, 'm'));
    await git('add', '.dvc/config');
    await git('commit', '--quiet', '-m', 'A local DVC remote');
    await dvc('push');
    expect(await exists(objectPath(remote, v1))).toBe(true);
    // In sync: nothing to push (dvc status -c compares the cache with the remote).
    expect((await dvc('status', '--cloud')).stdout).toContain("Cache and remote 'local' are in sync.");
  });

  it('version 2 is a new md5, added, committed and pushed next to version 1', async () => {
    await python('data/make_dataset.py', '--version', '2');
    v2 = await md5Of(DATA);
    expect(v2).not.toBe(v1);
    await dvc('add', DATA);
    expect(await recordedMd5()).toBe(v2);
    await git('add', `${DATA}.dvc`);
    await git('commit', '--quiet', '-m', 'Data set, version 2');
    await dvc('push');
    expect(await exists(objectPath(remote, v1))).toBe(true);
    expect(await exists(objectPath(remote, v2))).toBe(true);
  });

  it("git checkout of version 1's .dvc file and dvc checkout bring back version 1's bytes", async () => {
    await git('checkout', v1Commit, '--', `${DATA}.dvc`);
    expect(await recordedMd5()).toBe(v1);
    // The workspace still holds version 2 until dvc checkout replaces it from the cache.
    expect(await md5Of(DATA)).toBe(v2);
    await dvc('checkout', `${DATA}.dvc`);
    expect(await md5Of(DATA)).toBe(v1);
  });

  it('after losing the cache and the file, dvc pull restores version 1 from the remote', async () => {
    await rm(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    await rm(join(repo, DATA), { force: true });
    const status = await sh(venvBin('dvc'), ['status'], true);
    expect(status.stdout).toMatch(/deleted:\s+sensors\.csv|not in cache/);
    await dvc('pull');
    expect(await md5Of(DATA)).toBe(v1);
    expect(await exists(objectPath(join(repo, '.dvc', 'cache'), v1))).toBe(true);
  });

  it('the remote keeps exactly the two versions, in the files/md5 layout of DVC 3', async () => {
    const prefixes = await readdir(join(remote, 'files', 'md5'));
    expect(prefixes.sort()).toEqual([...new Set([v1.slice(0, 2), v2.slice(0, 2)])].sort());
    const sizes = await Promise.all([v1, v2].map(async (md5) => (await stat(objectPath(remote, md5))).size));
    // A few hundred KB each, as the chapter promises (no 64 MB download).
    for (const size of sizes) {
      expect(size).toBeGreaterThan(100_000);
      expect(size).toBeLessThan(600_000);
    }
  });
});
