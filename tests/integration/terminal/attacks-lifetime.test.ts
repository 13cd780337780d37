import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attackKit } from '../../helpers/attack-kit.ts';
import { type Cli, connectCli, descendants, exited, sessionMembers, startCli } from '../../helpers/cli.ts';
import { alive } from '../../helpers/procs.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';

/**
 * The server's process lifetime, attacked the way a machine does it: a process manager or an IDE
 * stop button signals `npm start`, the server is killed outright, a bad option. Each test names
 * the threat it covers; all run the real `npm start` program with real shells.
 */

const { cleanup, scratch } = attackKit('lifetime');

/** Kills these processes, if a test failed before they ended. */
function killOnCleanup(pids: () => number[]): void {
  cleanup.push(() => {
    for (const pid of pids())
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
  });
}

/** Starts the program, signs in, opens the chapter's shell and starts jobs in it; returns their pids. */
async function serverWithJobs(cli: Cli, jobs: string): Promise<{ shell: number; jobs: number[] }> {
  const page = await TestClient.open(await connectCli(cli));
  cleanup.push(() => page.close());
  await page.attach('hello-terminal');
  const out = await page.run(`echo "shell=$$"; ${jobs}`);
  const shell = Number(/shell=(\d+)/.exec(out)?.[1]);
  const pids = [...out.matchAll(/job=(\d+)/g)].map((m) => Number(m[1]));
  expect(pids.length, out).toBeGreaterThan(0);
  for (const pid of [shell, ...pids]) expect(alive(pid), `pid ${pid}`).toBe(true);
  return { shell, jobs: pids };
}

describe('signals to `npm start`', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    '%s sent to the npm process (an IDE stop button, a process manager) leaves no server, no shell and no job running',
    async (signal) => {
      const cli = startCli(['--port', '0', '--state', scratch()], { via: 'npm' });
      const npm = cli.child.pid!;
      let all: number[] = [npm];
      killOnCleanup(() => all);
      const { shell } = await serverWithJobs(
        cli,
        'sleep 1000 & echo "job=$!"; nohup sleep 1000 >/dev/null 2>&1 & echo "job=$!"; (trap \'\' HUP; exec sleep 1000) >/dev/null 2>&1 & echo "job=$!"',
      );
      // npm, the server (and whatever runs between them), the shell and every job in its session.
      all = [...new Set([...descendants(npm), ...sessionMembers(shell)])];
      expect(all.length).toBeGreaterThanOrEqual(5);

      process.kill(npm, signal);
      await pollUntil(
        () => all.every((pid) => !alive(pid)),
        () => `every process to end; still running: ${all.filter(alive).join(', ')}`,
        30_000,
      );
      await exited(cli.child);
    },
  );
});

describe('a server killed outright (SIGKILL)', () => {
  it("the next start on the same state folder ends the shells' nohup, trap '' HUP and disowned jobs, and removes their folders", async () => {
    const state = scratch();
    const first = startCli(['--port', '0', '--state', state]);
    let jobs: number[] = [];
    killOnCleanup(() => [first.child.pid!, ...jobs]);
    const started = await serverWithJobs(
      first,
      [
        'nohup sleep 1001 >/dev/null 2>&1 & echo "job=$!"',
        '(trap \'\' HUP; exec sleep 1002) >/dev/null 2>&1 & echo "job=$!"',
        'sleep 1003 >/dev/null 2>&1 & disown; echo "job=$!"',
      ].join('; '),
    );
    jobs = started.jobs;
    const oldFolders = readdirSync(join(state, 'shells'));
    expect(oldFolders).toHaveLength(1);

    process.kill(first.child.pid!, 'SIGKILL');
    await exited(first.child);
    // The terminal hangs up, the shell ends; these jobs do not, and nobody is left to end them.
    await pollUntil(() => !alive(started.shell), 'the shell to end with its terminal');
    for (const pid of jobs) expect(alive(pid), `job ${pid} outlives the killed server`).toBe(true);

    const second = startCli(['--port', '0', '--state', state]);
    cleanup.push(async () => {
      second.child.kill('SIGTERM');
      await exited(second.child);
    });
    await pollUntil(
      () => /ready at/.test(second.out()),
      () => `the second server to start: ${second.out()}${second.err()}`,
      120_000,
    );
    await pollUntil(
      () => jobs.every((pid) => !alive(pid)),
      () => `the jobs to end; still running: ${jobs.filter(alive).join(', ')}`,
    );
    expect(second.out()).toContain(
      'Ended 3 processes that an earlier tutorial server on this state folder left running when it was killed.',
    );
    expect(readdirSync(join(state, 'shells')).filter((f) => oldFolders.includes(f))).toEqual([]);
  });
});

describe('--idle-minutes', () => {
  it.each(['abc', '0', '-5', ''])(
    '--idle-minutes=%j is a usage error (it meant "never", or ended a shell during a page reload)',
    async (value) => {
      const cli = startCli([`--idle-minutes=${value}`, '--port', '0', '--state', scratch()]);
      expect(await exited(cli.child)).toBe(2);
      expect(cli.err().trim()).toBe(
        `"${value}" is not a number of minutes. Pass a positive number, e.g. --idle-minutes 30 to end a chapter's shell 30 minutes after its last page closed.`,
      );
    },
  );
});
