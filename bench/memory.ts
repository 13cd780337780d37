import { join } from 'node:path';
import { startOurs } from './lib/backends.ts';
import { OursDriver } from './lib/drivers.ts';
import { chapterIds, makeChapters, makeTextFile } from './lib/fixtures.ts';
import { descendants, rssOf, sleep } from './lib/proc.ts';
import { type Bench, repeat } from './lib/report.ts';

const MB = 1e6;
const SESSIONS = 20;
const FLOOD_MS = 5000;

interface MemoryRun {
  idle: number;
  sessions: number;
  shells: number;
  floodPeakGrowth: Record<string, number>;
  floodBytes: Record<string, number>;
}

/**
 * Server memory: resident size (VmRSS) of our server in a child process, idle, with 20 sessions
 * attached, and while a session floods a client that reads slowly.
 */
export const memory: Bench = async (ctx) => {
  const content = makeChapters(join(ctx.tmp, 'content-20'), SESSIONS);
  const big = makeTextFile(join(ctx.tmp, 'big-100MB.txt'), 100_000_000);
  const ids = chapterIds(SESSIONS);
  const floods = [
    { id: 'yes', cmd: 'yes', label: '`yes`' },
    { id: 'cat', cmd: `cat ${big.file}`, label: 'cat of a 100 MB file' },
  ];
  const t0 = performance.now();
  const phase = (what: string) => ctx.log(`    ${((performance.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const once = async (): Promise<MemoryRun> => {
    const backend = await startOurs({ contentDir: content, maxSessions: SESSIONS + 4 });
    const clients: OursDriver[] = [];
    try {
      await sleep(2000);
      await backend.gc?.();
      const idle = rssOf(backend.pid);
      clients.push(...(await Promise.all(ids.map((id) => OursDriver.connect(backend, id, { xterm: false })))));
      await Promise.all(clients.map((c) => c.setPrompt()));
      phase('sessions attached');
      await sleep(1000);
      await backend.gc?.();
      const sessions = rssOf(backend.pid);
      const shells = descendants(backend.pid).reduce((sum, pid) => sum + (rssOf(pid) || 0), 0);
      const floodPeakGrowth: Record<string, number> = {};
      const floodBytes: Record<string, number> = {};
      for (const [i, f] of floods.entries()) {
        // A slow page: it reads every frame but acknowledges only once a second.
        const slow = await OursDriver.connect(backend, ids[i]!, { xterm: false, ack: { kind: 'every', ms: 1000 } });
        await slow.setPrompt();
        const before = rssOf(backend.pid);
        let peak = before;
        const b0 = slow.bytes;
        slow.send(`${f.cmd}\r`);
        const end = performance.now() + FLOOD_MS;
        while (performance.now() < end) {
          await sleep(100);
          peak = Math.max(peak, rssOf(backend.pid));
        }
        floodBytes[f.id] = slow.bytes - b0;
        const prompt = slow.waitFor('__PS1__ ', 30_000);
        slow.send('\x03');
        await prompt;
        floodPeakGrowth[f.id] = peak - before;
        phase(`flood ${f.id} done`);
        await slow.close();
      }
      return { idle, sessions, shells, floodPeakGrowth, floodBytes };
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      phase('clients closed');
      await backend.stop();
      phase('server stopped');
    }
  };
  const runs = await repeat(ctx, 'memory', async () => {
    const r = await once();
    ctx.log(
      `    idle ${(r.idle / MB).toFixed(1)} MB, ${SESSIONS} sessions ${(r.sessions / MB).toFixed(1)} MB, flood growth ${floods.map((f) => `${f.id} ${(r.floodPeakGrowth[f.id]! / MB).toFixed(1)} MB`).join(', ')}`,
    );
    return r;
  });
  return {
    id: 'memory',
    title: 'Server memory',
    method: `Resident size (VmRSS from /proc) of our server, started in a child process (startTestServer, every service endpoint on a closed port, stack status polling on) with a fixture of ${SESSIONS} chapters: idle 2 s after it listens; then with ${SESSIONS} sockets attached, one per chapter (a shell each, prompt shown); then, still with them, while a session floods a client that reads every frame but acknowledges only once a second, sampled every 100 ms for ${FLOOD_MS / 1000} s (growth = peak − size just before). The idle and session figures are read after a full garbage collection (the child runs with --expose-gc and collects on SIGUSR2); the flood figures are not. A fresh server every run.`,
    rows: [
      { label: 'idle', unit: 'MB', values: runs.map((r) => r.idle / MB) },
      { label: `with ${SESSIONS} sessions`, unit: 'MB', values: runs.map((r) => r.sessions / MB) },
      {
        label: 'per idle session',
        unit: 'MB',
        values: runs.map((r) => (r.sessions - r.idle) / SESSIONS / MB),
        digits: 2,
        target: { op: '<', value: 15, text: '< 15 MB' },
      },
      { label: `the ${SESSIONS} bash processes together (not in the server's RSS)`, unit: 'MB', values: runs.map((r) => r.shells / MB) },
      ...floods.flatMap((f) => [
        {
          label: `growth during a slow-client flood: ${f.label}`,
          unit: 'MB',
          values: runs.map((r) => r.floodPeakGrowth[f.id]! / MB),
          target: { op: '<' as const, value: 50, text: '< 50 MB' },
        },
        {
          label: `output the slow client got in ${FLOOD_MS / 1000} s: ${f.label}`,
          unit: 'KB',
          values: runs.map((r) => r.floodBytes[f.id]! / 1000),
          digits: 0,
        },
      ]),
    ],
    notes: [
      'MB = 10^6 bytes. The per-session figure is (RSS with sessions − RSS idle) / sessions: the server side of a session (pty, replay ring up to 256 KiB, socket), not the shell process.',
    ],
  };
};
