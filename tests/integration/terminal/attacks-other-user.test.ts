import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildIfNeeded } from '../../../server/cli/build.ts';
import { REPO_ROOT } from '../../../server/paths.ts';
import { builtProgram, exited } from '../../helpers/cli.ts';
import { pollUntil } from '../../helpers/net.ts';

/**
 * Attacks from a second real user of the same machine (tutorial-other), against `npm start` run by
 * a learner without root (tutorial-learner) and by root. .ci/run makes both users (useradd).
 * - A compile cache another user created first: tsx kept the compiled server in
 *   $TMPDIR/tsx-<uid> and Node's compile cache in $TMPDIR/node-compile-cache, folders the other
 *   user can make (and keep writable) before the learner's first start, then fill with code that
 *   the next start runs as the learner.
 * - A swap under a parent others may write to: the server checked the state folder or the
 *   workspace itself, then the other user renamed it away and put their own in its place.
 */

const isRoot = process.getuid?.() === 0;
const uidOf = (name: string): number | undefined => {
  try {
    return Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
};
const LEARNER = uidOf('tutorial-learner');
const OTHER = uidOf('tutorial-other');
const ready = isRoot && LEARNER !== undefined && OTHER !== undefined;
if (!ready)
  console.error(
    '!!! attacks-other-user: these tests need root and the users tutorial-learner and tutorial-other (bash .ci/run makes them with useradd).',
  );

const cleanup: (() => void)[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null && c.pid) killGroup(c.pid);
  for (const f of cleanup.splice(0).reverse()) f();
});

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Ended already.
  }
}

/** A folder like /tmp (root's, world-writable, sticky) that stands in for the machine's temp folder. */
function sharedTmp(): string {
  const d = mkdtempSync('/tmp/attacks-other-');
  chmodSync(d, 0o1777);
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A folder made by `uid` with `mode`, as that user would. */
function plant(path: string, uid: number, mode: number): string {
  mkdirSync(path);
  chownSync(path, uid, uid);
  chmodSync(path, mode);
  return path;
}

/** Everything under `dir`, as paths relative to it. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(join(rel, e.name));
      if (e.isDirectory()) walk(join(d, e.name), join(rel, e.name));
    }
  };
  walk(dir, '');
  return out;
}

/**
 * What `npm start -- ARGS` runs (package.json's script, as npm runs it: in sh, with
 * node_modules/.bin first on PATH), as `uid` through setpriv, with TMPDIR set and none of the test
 * runner's cache switches: a learner has none. npm's own process is left out: npm (11) keeps
 * Node's compile cache of its own code in $TMPDIR/node-compile-cache whatever the project does
 * (README.md, "On a machine you share").
 */
function npmStartAs(uid: number, tmp: string, args: string[]): { child: ChildProcess; out: () => string } {
  const script = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    TMPDIR: tmp,
  };
  for (const k of ['TSX_DISABLE_CACHE', 'NODE_DISABLE_COMPILE_CACHE', 'NODE_COMPILE_CACHE', 'CI']) delete env[k];
  if (uid !== 0) Object.assign(env, { HOME: '/home/tutorial-learner', USER: 'tutorial-learner', LOGNAME: 'tutorial-learner' });
  const sh = ['sh', '-c', `${script} "$@"`, 'npm-start', ...args];
  const [file, ...argv] = uid === 0 ? sh : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--init-groups', '--', ...sh];
  let out = '';
  const child = spawn(file as string, argv, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { child, out: () => out };
}

beforeAll(async () => {
  if (!ready) return;
  // Built here, as root: the learner's `npm start` finds the server and the site up to date
  // (they live in the repository, which is root's on this machine).
  builtProgram('start');
  await buildIfNeeded();
});
afterAll(() => {
  for (const c of children) if (c.pid) killGroup(c.pid);
});

describe.each([
  ['a learner without root', () => LEARNER as number],
  ['root', () => 0],
])('npm start by %s', (_who, uid) => {
  it.skipIf(!ready)('runs nothing from a compile cache that another user created first in the temp folder', async () => {
    const tmp = sharedTmp();
    const learner = uid();
    // The other user's folders, made before the learner's first start and left open to be filled.
    const planted = [
      plant(join(tmp, `tsx-${learner}`), OTHER as number, 0o777),
      plant(join(tmp, 'node-compile-cache'), OTHER as number, 0o777),
    ];
    const state = join(tmp, 'state');
    const cli = npmStartAs(learner, tmp, ['--port', '0', '--state', state]);
    const url = await pollUntil(
      () => /ready at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(cli.out())?.[1],
      () => `the URL line in: ${cli.out()}`,
      120_000,
    );
    expect((await fetch(`${url}healthz`)).status).toBe(200);
    // Nothing was compiled into, or read from, the other user's folders: they are as planted.
    for (const p of planted) expect(readdirSync(p), p).toEqual([]);
    // And nothing else of the learner's went into the shared temp folder but the state folder it was given.
    expect(readdirSync(tmp).sort()).toEqual(['node-compile-cache', 'state', `tsx-${learner}`].sort());
    expect(statSync(state).uid).toBe(learner);
    if (cli.child.pid) process.kill(-cli.child.pid, 'SIGTERM');
    await exited(cli.child);
  });

  it.skipIf(!ready)("refuses a state folder, a workspace or a socket's folder under a parent another user may write to", async () => {
    const tmp = sharedTmp();
    const learner = uid();
    // A folder made "for everyone" (root's, 0777, no sticky bit): the other user may rename anything in it.
    const shared = plant(join(tmp, 'shared'), 0, 0o777);
    const mine = plant(join(tmp, 'mine'), learner, 0o700);
    const cases: [string[], string, string][] = [
      [['--port', '0', '--state', join(shared, 'state')], 'state folder', join(shared, 'state')],
      [['--port', '0', '--state', join(mine, 'state'), '--workspace', join(shared, 'ws')], 'workspace', join(shared, 'ws')],
      [['--socket', join(shared, 'run', 'tutorial.sock'), '--state', join(mine, 'state2')], "socket's folder", join(shared, 'run')],
    ];
    for (const [args, what, folder] of cases) {
      const cli = npmStartAs(learner, tmp, args);
      expect(await exited(cli.child), cli.out()).toBe(1);
      const said = cli.out();
      expect(said, what).toContain(
        `${folder} is inside ${shared}, which can be written by every user (its mode is 0777, without the sticky bit)`,
      );
      expect(said, what).toContain('they could rename the');
      expect(said, what).toContain(`\`chmod go-w ${shared}\`${learner === 0 ? '' : ' (as root)'}`);
      // Nothing was started in the other user's reach.
      expect(tree(shared), what).toEqual([]);
    }
  });

  it.skipIf(!ready)('refuses a state folder inside a folder that belongs to another user, naming the owner', async () => {
    const tmp = sharedTmp();
    const learner = uid();
    // The other user's own folder, which they opened for the learner to work in (0755 + a 0777 child).
    const theirs = plant(join(tmp, 'theirs'), OTHER as number, 0o755);
    const inside = plant(join(theirs, 'for-you'), learner, 0o700);
    const cli = npmStartAs(learner, tmp, ['--port', '0', '--state', join(inside, 'state')]);
    expect(await exited(cli.child), cli.out()).toBe(1);
    expect(cli.out()).toContain(`${join(inside, 'state')} is inside ${theirs}, which belongs to tutorial-other, uid ${OTHER}`);
    expect(tree(inside)).toEqual([]);
  });
});
