import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endLeftovers } from '../../../server/terminal/leftovers.ts';
import { TerminalSession } from '../../../server/terminal/session.ts';
import { ownCgroup } from '../../../server/terminal/shell-cgroup.ts';
import { pollUntil } from '../../helpers/net.ts';

/**
 * A cgroup per shell (server/terminal/shell-cgroup.ts): a process that leaves the shell's session
 * with setsid() is ended with the shell, and with the leftovers of a server that was killed.
 *
 * The learner's condition is a cgroup v2 subtree of their own (a systemd desktop session
 * delegates one). This test makes one: it uses the machine's cgroup2 mount, or mounts the
 * hierarchy in a folder of its own where only cgroup v1 is mounted (as on the CI machine), makes a
 * cgroup for itself there and moves its own process (the test file's worker) into it, as a
 * terminal's scope holds the shell that runs `npm start`. It needs root for the mount and the
 * move; CI runs as root.
 */

/** "0::/path" of /proc/self/cgroup: this process's place in the cgroup v2 hierarchy. */
const v2Path = () =>
  readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'))
    ?.slice(3);
const cgroup2Mount = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((row) => row.split(' - '))
    .find(([, after]) => after?.startsWith('cgroup2 '))?.[0]
    ?.split(' ')[4];
const isRoot = process.getuid?.() === 0;
const usable = process.platform === 'linux' && v2Path() !== undefined && isRoot;
const alive = (pid: number) => {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
};

describe.runIf(usable || process.env.CI)('a cgroup per shell', () => {
  let mounted: string | undefined;
  let mountPoint: string;
  let home: string;
  let mine: string;
  let dir: string;

  beforeAll(() => {
    expect(usable, 'CI runs Linux as root, with the cgroup v2 hierarchy available (/proc/self/cgroup has a 0:: line)').toBe(true);
    const existing = cgroup2Mount();
    if (existing) mountPoint = existing;
    else {
      mounted = mkdtempSync(join(tmpdir(), 'cgroup2-'));
      execFileSync('mount', ['-t', 'cgroup2', 'none', mounted]);
      mountPoint = mounted;
    }
    home = join(mountPoint, v2Path()!);
    mine = join(home, `tutorial-cgtest-${process.pid}`);
    mkdirSync(mine);
    writeFileSync(join(mine, 'cgroup.procs'), String(process.pid));
    dir = mkdtempSync(join(tmpdir(), 'shell-cgroup-'));
    mkdirSync(join(dir, 'shells'), { mode: 0o700 });
  });

  afterAll(async () => {
    if (mine) {
      writeFileSync(join(home, 'cgroup.procs'), String(process.pid));
      // Whatever a failed test left in the test's cgroup (a shell, a setsid process) ends with it.
      writeFileSync(join(mine, 'cgroup.kill'), '1');
      await pollUntil(
        async () => (/^populated 0$/m.test(readFileSync(join(mine, 'cgroup.events'), 'utf8')) ? true : undefined),
        'the test cgroup to empty',
      );
      for (const child of readdirSync(mine, { withFileTypes: true })) if (child.isDirectory()) rmdirSync(join(mine, child.name));
      rmdirSync(mine);
    }
    if (mounted) {
      execFileSync('umount', [mounted]);
      rmdirSync(mounted);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const session = async (name: string) => {
    const s = new TerminalSession({
      name,
      cwd: dir,
      shellsDir: join(dir, 'shells'),
      env: process.env,
      cols: 100,
      rows: 24,
      replayLimit: 65536,
    });
    await s.started(10_000);
    return s;
  };
  /** Starts a process that leaves the shell's session (setsid) and returns its pid. */
  const escapee = async (s: TerminalSession, file: string) => {
    s.input(`setsid sh -c 'echo $$ > ${file}; exec sleep 600' < /dev/null > /dev/null 2>&1 &\r`);
    const pid = await pollUntil(
      async () => (existsSync(file) ? Number(readFileSync(file, 'utf8')) || undefined : undefined),
      'the setsid process',
    );
    // It has left the shell's session, and is still in the shell's cgroup.
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[4]).not.toBe(String(s.pid));
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toMatch(new RegExp(`^0::.*/tutorial-shell-${process.pid}-${s.pid}$`, 'm'));
    return pid;
  };

  it('the server finds its own cgroup writable, and each shell gets a cgroup of its own in it', async () => {
    expect(ownCgroup()).toBe(mine);
    const s = await session('one');
    expect(readFileSync(`/proc/${s.pid}/cgroup`, 'utf8')).toContain(
      `/tutorial-cgtest-${process.pid}/tutorial-shell-${process.pid}-${s.pid}`,
    );
    await s.close();
  });

  it('a process started with setsid ends with its shell, and the shell cgroup goes', async () => {
    const s = await session('setsid');
    const pid = await escapee(s, join(dir, 'escapee-1'));
    const cg = join(mine, `tutorial-shell-${process.pid}-${s.pid}`);
    await s.close();
    await pollUntil(async () => (!alive(pid) ? true : undefined), 'the setsid process to end');
    expect(existsSync(cg)).toBe(false);
  });

  it("a server killed outright: the next server's leftovers pass ends the setsid process through the recorded cgroup", async () => {
    const s = await session('leftover');
    const pid = await escapee(s, join(dir, 'escapee-2'));
    const folder = readdirSync(join(dir, 'shells')).find((n) => n.startsWith('leftover-'))!;
    const record = JSON.parse(readFileSync(join(dir, 'shells', folder, 'session.json'), 'utf8')) as { cgroup?: string };
    expect(record.cgroup).toBe(join(mine, `tutorial-shell-${process.pid}-${s.pid}`));
    // As the next server does at start, before any shell of its own.
    endLeftovers(join(dir, 'shells'));
    await pollUntil(async () => (!alive(pid) && !alive(s.pid) ? true : undefined), 'the shell and the setsid process to end');
    await s.close();
  });
});
