import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { bootId } from '../../../server/processes.ts';
import { LOCK_FILE } from '../../../server/state-lock.ts';
import { PROGRESS_FILE, ProgressFileSchema } from '../../../server/tutorial/progress.ts';
import { MAX_CONCURRENT_CHECKS } from '../../../server/tutorial/step-controller.ts';
import { attackKit } from '../../helpers/attack-kit.ts';
import { childrenOf, exited, startCli } from '../../helpers/cli.ts';
import { alive } from '../../helpers/procs.ts';
import { pollUntil } from '../../helpers/ws-client.ts';

/** The chapters stored in a progress file (of the one workspace these tests use). */
function storedChapters(text: string) {
  const [only] = Object.values(ProgressFileSchema.parse(JSON.parse(text)).workspaces);
  return only?.chapters ?? {};
}

/**
 * Attacks from the same machine (another user, another process of the learner's, a crash), each
 * against the real server: its folders, its state lock, its checks, the shells' nonce, a full disk.
 * The threat each test covers is in its name.
 */

const FIXTURES = join(import.meta.dirname, 'fixtures', 'attacks');
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

const { cleanup, scratch, server, client } = attackKit('attacks', FIXTURES);

describe('state and workspace folders that are not the learner’s own', () => {
  it.skipIf(!isRoot)('a state folder that another user (nobody) created first is refused at start-up, naming it and the fix', async () => {
    const state = join(scratch(), 'state');
    mkdirSync(state, { mode: 0o700 });
    chownSync(state, NOBODY, NOBODY);
    const cli = startCli(['--port', '0', '--state', state]);
    expect(await exited(cli.child)).toBe(1);
    expect(cli.err().trim()).toBe(
      `The state folder ${state} belongs to another user (nobody, uid 65534), who could change the files your shells run. Remove it with \`sudo rm -r ${state}\` if nothing in it is yours, or choose another folder with --state DIR.`,
    );
    // Nothing was made in it: the other user's files were not used.
    expect(readdirSync(state)).toEqual([]);
  });

  it('a world-writable state folder is refused at start-up with the chmod that fixes it', async () => {
    const state = join(scratch(), 'state');
    mkdirSync(state);
    chmodSync(state, 0o777);
    const cli = startCli(['--port', '0', '--state', state]);
    expect(await exited(cli.child)).toBe(1);
    expect(cli.err().trim()).toBe(
      `The state folder ${state} can be written by every user (its mode is 0777), who could change the files your shells run. Make it yours alone with \`chmod 700 ${state}\`, or choose another folder with --state DIR.`,
    );
  });

  it('a symbolic link as the state folder is refused (whoever owns its target decides what the shells run)', async () => {
    const dir = scratch();
    const target = join(dir, 'elsewhere');
    mkdirSync(target, { mode: 0o700 });
    const state = join(dir, 'state');
    symlinkSync(target, state);
    await expect(server({ stateDir: state })).rejects.toThrow(
      `The state folder ${state} is a symbolic link (to ${target}); the tutorial keeps files there that your shells run, so it must be a real folder of your own. Remove the link with \`rm ${state}\`, or choose another folder with --state DIR.`,
    );
    expect(readdirSync(target)).toEqual([]);
  });

  it.skipIf(!isRoot)(
    'a workspace that another user (nobody) created first is refused (its .venv/bin/activate runs in every shell)',
    async () => {
      const workspace = join(scratch(), 'ws');
      mkdirSync(join(workspace, '.venv', 'bin'), { recursive: true });
      writeFileSync(join(workspace, '.venv', 'bin', 'activate'), 'touch /tmp/owned-by-nobody\n');
      chownSync(workspace, NOBODY, NOBODY);
      await expect(server({ workspace })).rejects.toThrow(
        `The workspace ${workspace} belongs to another user (nobody, uid 65534), who could change the files your shells run. Remove it with \`sudo rm -r ${workspace}\` if nothing in it is yours, or choose another folder with --workspace DIR.`,
      );
    },
  );

  it('a workspace its group may write to is refused, and the state lock is given back', async () => {
    const state = scratch();
    const workspace = join(state, 'ws');
    mkdirSync(workspace);
    chmodSync(workspace, 0o770);
    await expect(server({ stateDir: state, workspace })).rejects.toThrow(
      `The workspace ${workspace} can be written by its group (its mode is 0770), who could change the files your shells run. Make it yours alone with \`chmod 700 ${workspace}\`, or choose another folder with --workspace DIR.`,
    );
    expect(existsSync(join(state, LOCK_FILE))).toBe(false);
  });

  it('makes a missing state folder, workspace and shells folder private (0700)', async () => {
    const state = join(scratch(), 'new-state');
    const s = await server({ stateDir: state });
    await (await client(s)).attach('attacked');
    for (const dir of [state, s.workspace, join(state, 'shells')]) expect((statSync(dir).mode & 0o777).toString(8), dir).toBe('700');
  });
});

describe('two servers on one state folder', () => {
  it('the second says which server holds the folder and exits non-zero; the first keeps its shells and its progress', async () => {
    const first = await server();
    const page = await client(first);
    await page.attach('attacked');
    const shell = first.sessions.get('attacked')!.pid;
    await first.controller.check('attacked', 'quick');
    const progress = readFileSync(join(first.stateDir, PROGRESS_FILE), 'utf8');
    expect(storedChapters(progress).attacked?.quick?.state).toBe('passed');

    const second = startCli(['--port', '0', '--state', first.stateDir]);
    expect(await exited(second.child)).toBe(1);
    expect(second.err().trim()).toBe(
      `Another tutorial server (pid ${process.pid}) is using the state folder ${first.stateDir}; it serves ${first.url}. Open that address instead, or stop it first (\`kill ${process.pid}\`), or give this one another state folder with --state DIR. Two servers on one state folder would lose each other's progress.`,
    );
    // The second touched nothing: the first's shell runs, its progress is as it was, and it goes on storing.
    expect(alive(shell)).toBe(true);
    expect(readFileSync(join(first.stateDir, PROGRESS_FILE), 'utf8')).toBe(progress);
    await first.controller.check('attacked', 'slow-check');
    expect(Object.keys(storedChapters(readFileSync(join(first.stateDir, PROGRESS_FILE), 'utf8')).attacked ?? {})).toEqual([
      'quick',
      'slow-check',
    ]);
  });

  it.each([
    ['has ended', () => Number(execFileSync('bash', ['-c', 'sleep 0 & echo $!; wait'], { encoding: 'utf8' }).trim())],
    ['was given to another process since (same pid, another start time)', () => process.ppid],
  ])('a lock left by a killed server whose pid %s is taken over', async (_, pid) => {
    const state = scratch();
    writeFileSync(join(state, LOCK_FILE), JSON.stringify({ pid: pid(), start: '1', boot: bootId(), url: 'http://127.0.0.1:1/' }), {
      mode: 0o600,
    });
    const s = await server({ stateDir: state });
    expect(JSON.parse(readFileSync(join(state, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, url: s.url });
  });
});

/**
 * Counts the children of process `pid` from another thread every 2 ms (the main thread is busy
 * serving), and keeps the highest count.
 */
function sampleChildren(pid: number): { stop(): Promise<number> } {
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const { readdirSync, readFileSync } = require('node:fs');
     const { pid, shared } = workerData;
     const nap = new Int32Array(new SharedArrayBuffer(4));
     while (Atomics.load(shared, 0) === 0) {
       let n = 0;
       try {
         for (const t of readdirSync('/proc/' + pid + '/task')) {
           try { n += readFileSync('/proc/' + pid + '/task/' + t + '/children', 'utf8').trim().split(/\\s+/).filter(Boolean).length; } catch {}
         }
       } catch {}
       if (n > Atomics.load(shared, 1)) Atomics.store(shared, 1, n);
       Atomics.wait(nap, 0, 0, 2);
     }`,
    { eval: true, workerData: { pid, shared } },
  );
  const ended = new Promise((r) => worker.once('exit', r));
  return {
    async stop() {
      Atomics.store(shared, 0, 1);
      await ended;
      return Atomics.load(shared, 1);
    },
  };
}

describe('a flood of check requests', () => {
  it(`1,000 concurrent check requests keep the server's processes at ${MAX_CONCURRENT_CHECKS} checks at once`, async () => {
    const s = await server();
    const pages = [await client(s), await client(s)];
    const before = childrenOf(process.pid).length;
    const sampler = sampleChildren(process.pid);
    cleanup.push(() => void sampler.stop());
    // Each check runs `sleep 0.05`; two pages ask for 500 each, as fast as the socket takes them.
    for (let i = 0; i < 500; i++) for (const p of pages) p.send({ type: 'check', chapter: 'attacked', step: 'slow-check' });
    const passed = () =>
      pages[0]!.messages.filter((m) => m.type === 'step-progress' && m.step === 'slow-check' && m.progress.state === 'passed').length;
    await pollUntil(
      () => passed() === 1000,
      () => `1,000 results (${passed()} so far)`,
      120_000,
    );
    const peak = await sampler.stop();
    expect(pages.flatMap((p) => p.messages.filter((m) => m.type === 'error'))).toEqual([]);
    expect(peak - before).toBeGreaterThan(0);
    expect(peak - before).toBeLessThanOrEqual(MAX_CONCURRENT_CHECKS);
  });
});

describe("the shell's nonce", () => {
  it('a program started from the shell finds no nonce to fake a command end with (not in the rc, the folder or any environment)', async () => {
    const s = await server();
    const page = await client(s);
    await page.attach('attacked');
    const session = s.sessions.get('attacked')!;
    await pollUntil(() => !session.busy, 'the first prompt');
    page.mark();
    // Everything such a program can read: the shell's integration folder (rc file, step files),
    // the shell's environment and command line, its own environment. Every 24-hex-digit string
    // found is tried as the nonce, then the program waits, so the shell stays busy unless a fake
    // end was believed.
    page.input(
      String.raw`bash -c 'n=0; for c in $(cat "$__TUT_DIR"/* /proc/$PPID/environ /proc/$PPID/cmdline /proc/self/environ 2>/dev/null | tr "\0" "\n" | grep -oE "[0-9a-f]{24}" | sort -u); do printf "\033]133;D;0;nonce=%s\007" "$c"; n=$((n+1)); done; echo "tried $n candidate""s"; read -r x'` +
        '\r',
    );
    const tried = await page.waitForText(/tried \d+ candidates/);
    expect(/tried (\d+) candidates/.exec(tried)?.[1]).toBe('0');
    expect(session.busy).toBe(true);
    expect(readdirSync(join(s.stateDir, 'shells', readdirSync(join(s.stateDir, 'shells'))[0]!))).not.toContain('nonce');
    page.input('\r');
    await pollUntil(() => !session.busy, 'the real command end');
  });
});

describe('a full disk', () => {
  it.skipIf(!isRoot)('a check on a full disk tells the page why its progress was not saved, and leaves no temp file', async () => {
    const state = scratch();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', state]);
    cleanup.push(() => void execFileSync('umount', ['-l', state]));
    const s = await server({ stateDir: state, workspace: join(scratch(), 'ws') });
    const page = await client(s);
    await page.attach('attacked');
    // The shell's rc deletes its nonce file before the first prompt: filling the disk before that
    // would leave a page free again for the progress file.
    const session = s.sessions.get('attacked')!;
    await pollUntil(() => !session.busy, 'the first prompt');
    try {
      writeFileSync(join(state, 'filler'), Buffer.alloc(256 * 1024));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    expect(statfsSync(state).bavail).toBe(0);
    const from = page.messages.length;
    page.send({ type: 'check', chapter: 'attacked', step: 'quick' });
    expect(await page.waitFor((m) => m.type === 'error', 'the error', from)).toEqual({
      type: 'error',
      code: 'progress-not-saved',
      message: `Your progress could not be saved in ${join(state, PROGRESS_FILE)} because the disk it is on is full. Free some space there (\`df -h ${state}\` shows how much is left), then check the step again; until then the server keeps your progress only while it runs.`,
    });
    // The page still hears the result, and no temp file (empty or not) is left behind.
    expect(page.messages.slice(from).some((m) => m.type === 'step-progress' && m.progress.state === 'passed')).toBe(true);
    expect(readdirSync(state).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(state, PROGRESS_FILE))).toBe(false);

    rmSync(join(state, 'filler'));
    await s.controller.check('attacked', 'quick');
    expect(storedChapters(readFileSync(join(state, PROGRESS_FILE), 'utf8')).attacked?.quick?.state).toBe('passed');
  });
});
