import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLOW } from '../protocol/messages.ts';
import { type Backend, SHELL_ENV, startOurs, startWetty } from './lib/backends.ts';
import { type Driver, OursDriver, RawDriver, WettyDriver } from './lib/drivers.ts';
import { chapterIds, makeChapters, makeTextFile } from './lib/fixtures.ts';
import { sleep } from './lib/proc.ts';
import { type Bench, type BenchContext, type Row, repeat } from './lib/report.ts';
import { percentile, summarize } from './lib/stats.ts';

/**
 * Terminal benchmarks: throughput (pty → client xterm), keystroke echo, Ctrl-C under flood.
 * Our server and wetty run in child processes; the clients and the raw pty run here.
 */

type Kind = 'raw' | 'ours' | 'wetty';

interface Target {
  kind: Kind;
  xterm: boolean;
  label: string;
}

/** An open driver with its backend, prompt set. */
async function open(ctx: BenchContext, t: Target): Promise<{ d: Driver; backend?: Backend }> {
  let backend: Backend | undefined;
  let d: Driver;
  if (t.kind === 'raw') d = new RawDriver(t.xterm, SHELL_ENV);
  else if (t.kind === 'ours') {
    const content = makeChapters(join(ctx.tmp, 'content-1'), 1);
    backend = await startOurs({ contentDir: content, stackStatusSeconds: 0 });
    d = await OursDriver.connect(backend, chapterIds(1)[0]!, { xterm: t.xterm });
  } else {
    backend = await startWetty();
    d = await WettyDriver.connect(backend.port, { xterm: t.xterm });
  }
  await d.setPrompt();
  return { d, backend };
}

async function shut(o: { d: Driver; backend?: Backend }): Promise<void> {
  await o.d.close();
  await o.backend?.stop();
}

let sentinelSeq = 0;

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; undefined elsewhere). */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

interface Throughput {
  bps: number;
  bytes: number;
  ms: number;
  chunk: number;
  /** CPU ms per MB of output: this process (the client, or the raw pty's reader) and the server's process. */
  clientCpu: number;
  serverCpu: number | undefined;
}

/** Runs `command` and returns output bytes per second until a sentinel printed after it has been written. */
async function throughputOnce(d: Driver, command: string, serverPid?: number): Promise<Throughput> {
  d.newTerminal();
  const c0 = process.cpuUsage();
  const s0 = serverPid === undefined ? undefined : cpuMs(serverPid);
  const id = `${process.pid}x${sentinelSeq++}`;
  const end = d.waitFor(`__END${id}__`);
  const prompt = d.waitFor('__PS1__ ');
  const bytes0 = d.bytes;
  const chunks0 = d.chunks;
  const t0 = performance.now();
  // The sentinel's two halves are joined only by printf: the echo of this line does not match.
  d.send(`${command}; printf '%s%s\\n' '__END' '${id}__'\r`);
  const seen = await end;
  await prompt;
  const c = process.cpuUsage(c0);
  const s1 = serverPid === undefined ? undefined : cpuMs(serverPid);
  const bytes = seen.bytes - bytes0;
  const ms = seen.at - t0;
  const mb = bytes / 1e6;
  return {
    bps: bytes / (ms / 1000),
    bytes,
    ms,
    chunk: bytes / Math.max(1, d.chunks - chunks0),
    clientCpu: (c.user + c.system) / 1000 / mb,
    serverCpu: s0 === undefined || s1 === undefined ? undefined : (s1 - s0) / mb,
  };
}

export const throughput: Bench = async (ctx) => {
  const file = makeTextFile(join(ctx.tmp, 'big-100MB.txt'), 100_000_000);
  const commands = [
    { label: `cat of a 100 MB file`, cmd: `cat ${file.file}`, expect: file.bytes + file.lines },
    { label: 'seq 1 3000000', cmd: 'seq 1 3000000', expect: 0 },
  ];
  const targets: Target[] = [
    { kind: 'raw', xterm: false, label: 'raw pty (node-pty alone): the limit' },
    { kind: 'ours', xterm: true, label: 'ours: pty → /ws → headless xterm' },
    { kind: 'wetty', xterm: true, label: 'wetty 3.2.0: pty → socket.io → headless xterm' },
    { kind: 'raw', xterm: true, label: 'diagnostic: raw pty → headless xterm, no socket' },
    { kind: 'ours', xterm: false, label: 'diagnostic: ours, client counts bytes (no xterm)' },
  ];
  const results = new Map<string, number[]>();
  const chunkSizes = new Map<string, number[]>();
  const sizes = new Map<string, number>();
  const cpu = new Map<string, { client: number; server: number | undefined }>();
  // Every end is open at once and the runs go in turns (raw, ours, wetty, ..., then again), so
  // that other work on a shared machine weighs on each end alike; a run of one end after all runs
  // of another measured different loads.
  const open_: { t: Target; o: Awaited<ReturnType<typeof open>>; runs: number }[] = [];
  try {
    for (const [ti, t] of targets.entries()) {
      ctx.log(`throughput: opening ${t.label}`);
      // The diagnostic rows get fewer runs: they explain the others.
      open_.push({ t, o: await open(ctx, t), runs: ti < 3 ? ctx.runs : Math.min(ctx.runs, 2) });
    }
    // Warm-up: the short command (the file is in the page cache since it was written).
    for (let i = 0; i < ctx.warmup; i++) for (const { o } of open_) await throughputOnce(o.d, commands[1]!.cmd);
    for (const c of commands) {
      const got = new Map<string, Throughput[]>(open_.map(({ t }) => [t.label, []]));
      for (let run = 0; run < ctx.runs; run++) {
        for (const { t, o, runs } of open_) {
          if (run >= runs) continue;
          const r = await throughputOnce(o.d, c.cmd, o.backend?.pid);
          got.get(t.label)!.push(r);
          ctx.log(
            `  ${t.kind}${t.xterm ? '' : ' (no xterm)'} ${c.label}, run ${run + 1}/${runs}: ${(r.bytes / 1e6).toFixed(1)} MB in ${r.ms.toFixed(0)} ms = ${(r.bps / 1e6).toFixed(1)} MB/s, ${r.chunk.toFixed(0)} B a chunk; CPU ms/MB client ${r.clientCpu.toFixed(1)}, server ${r.serverCpu?.toFixed(1) ?? '-'}`,
          );
        }
      }
      for (const { t } of open_) {
        const rs = got.get(t.label)!;
        results.set(
          `${t.label}|${c.label}`,
          rs.map((r) => r.bps / 1e6),
        );
        chunkSizes.set(
          `${t.label}|${c.label}`,
          rs.map((r) => r.chunk),
        );
        cpu.set(`${t.label}|${c.label}`, {
          client: summarize(rs.map((r) => r.clientCpu)).median,
          server: rs.every((r) => r.serverCpu !== undefined) ? summarize(rs.map((r) => r.serverCpu!)).median : undefined,
        });
        sizes.set(c.label, summarize(rs.map((r) => r.bytes)).median);
      }
    }
  } finally {
    for (const { o } of open_) await shut(o);
  }
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const c of commands) {
    for (const t of targets) {
      rows.push({ label: `${c.label}: ${t.label}`, unit: 'MB/s', values: results.get(`${t.label}|${c.label}`) ?? [], digits: 1 });
    }
    const med = (t: Target) => summarize(results.get(`${t.label}|${c.label}`) ?? []).median;
    const ours = med(targets[1]!);
    rows.push({
      label: `${c.label}: ours / raw pty`,
      unit: '%',
      values: (results.get(`${targets[1]!.label}|${c.label}`) ?? []).map((v) => (v / med(targets[0]!)) * 100),
      digits: 0,
      target: { op: '>=', value: 80, text: '≥ 80%' },
      note: 'each run of ours over the median of raw',
    });
    rows.push({
      label: `${c.label}: ours / wetty`,
      unit: '%',
      values: (results.get(`${targets[1]!.label}|${c.label}`) ?? []).map((v) => (v / med(targets[2]!)) * 100),
      digits: 0,
      target: { op: '>=', value: 100, text: '≥ 100% (not below wetty)' },
      note: 'each run of ours over the median of wetty',
    });
    const ratio = (a: Target, b: Target) => (med(a) / med(b)) * 100;
    notes.push(
      `${c.label}, diagnostics: ours without xterm / raw pty = ${ratio(targets[4]!, targets[0]!).toFixed(0)}%; ours / (raw pty → xterm) = ${ratio(targets[1]!, targets[3]!).toFixed(0)}%; average chunk (bytes a frame or read): ${targets.map((t) => `${t.kind}${t.xterm ? '' : ' no xterm'} ${summarize(chunkSizes.get(`${t.label}|${c.label}`) ?? []).median.toFixed(0)}`).join(', ')}.`,
    );
    notes.push(
      `${c.label}, CPU time per MB of output (medians; "client" is the bench process: the client's socket and xterm, or the raw pty's reader; "server" the server's process, not the shell): ${targets
        .map((t) => {
          const u = cpu.get(`${t.label}|${c.label}`);
          return `${t.kind}${t.xterm ? '' : ' no xterm'} ${u ? `${u.client.toFixed(1)} ms client${u.server === undefined ? '' : ` + ${u.server.toFixed(1)} ms server`}` : '-'}`;
        })
        .join('; ')}.`,
    );
    notes.push(
      `${c.label}, what limits ours: ours reaches ${ratio(targets[1]!, targets[0]!).toFixed(0)}% of the raw pty with the client's xterm and ${ratio(targets[4]!, targets[0]!).toFixed(0)}% with a client that only counts bytes, so about ${Math.max(0, ratio(targets[4]!, targets[0]!) - ratio(targets[1]!, targets[0]!)).toFixed(0)} points of the gap are the client's xterm parsing (it shares the 2 cores with the shell and the server) and ${Math.max(0, 100 - ratio(targets[4]!, targets[0]!)).toFixed(0)} points the websocket hop and the server's work per pty read (node-pty decodes each read of a few KB to a string, server/terminal/session.ts scans it for OSC 133 and keeps it in the replay ring, server/terminal/output-batch.ts gathers the reads of 2 ms and encodes them back to UTF-8 for one binary frame) with the ack round trip of the 256 KiB window. Raw pty → xterm in one process (${med(targets[3]!).toFixed(1)} MB/s) reads and parses on one event loop, so it is no upper bound for ours. wetty coalesces output for 2 ms into much larger frames (chunk sizes below), hence fewer xterm writes.`,
    );
    notes.push(
      `${c.label}: ${(sizes.get(c.label)! / 1e6).toFixed(1)} MB counted per run (after the pty's \\n → \\r\\n; the command's echo, the sentinel and the prompt included)${c.expect ? `, the file is ${(file.bytes / 1e6).toFixed(0)} MB` : ''}; ours median ${ours.toFixed(1)} MB/s.`,
    );
  }
  return {
    id: 'throughput',
    title: 'Terminal throughput',
    method: `Bytes per second from a command in the pty to the client, counted after the pty turns \\n into \\r\\n (1 MB = 10^6 bytes). Each run types \`COMMAND; printf\` of a sentinel into an interactive bash and stops the clock when the chunk carrying the sentinel has been written by a headless xterm (@xterm/headless, 100×30) on the client side, or received where the row says "no xterm". Ours: a Node \`ws\` client of /ws that writes and acks as the page does (frames that come while xterm parses are joined into one write, src/client/output-writer.ts; acks after xterm wrote them, every ${FLOW.ackEvery / 1024} KiB; server high/low water ${FLOW.highWater / 1024}/${FLOW.lowWater / 1024} KiB); our server runs in a child process. wetty: a socket.io-client (websocket transport) that commits like wetty's own client (every 256 KiB; wetty's high/low water 2 MiB/512 KiB). Raw: node-pty alone in the bench process, nothing behind it (the diagnostic row adds a headless xterm with the same watermarks as ours). All ends are open together and their runs go in turns (raw, ours, wetty, the diagnostics, then again), so that other work on the machine weighs on each alike; the CPU time per MB in the notes (the bench process as client, the server's process) moves less with that work than the rates do.`,
    rows,
    notes,
  };
};

/** One character at a time into bash's readline: `a`, then DEL, alternately; each waits for its echo. */
async function echoOnce(d: Driver, keys: number): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < keys; i++) {
    const typed = i % 2 === 0 ? 'a' : '\x7f';
    const w = d.waitFor(typed === 'a' ? 'a' : '\b', 10_000);
    const t0 = performance.now();
    d.send(typed);
    const seen = await w;
    lat.push(seen.at - t0);
    // At most 400 keystrokes a second: under our server's rate limit (500 messages/s), and the
    // same pace for every target. A learner types far slower.
    const left = 2.5 - (performance.now() - t0);
    if (left > 0) await sleep(left);
  }
  return lat;
}

export const echo: Bench = async (ctx) => {
  const targets: Target[] = [
    { kind: 'raw', xterm: true, label: 'raw pty → xterm' },
    { kind: 'ours', xterm: true, label: 'ours: /ws → xterm' },
    { kind: 'wetty', xterm: true, label: 'wetty: socket.io → xterm' },
  ];
  const KEYS = 2000;
  const rows: Row[] = [];
  for (const t of targets) {
    ctx.log(`echo: ${t.label}`);
    const o = await open(ctx, t);
    let runs: number[][];
    try {
      runs = await repeat(ctx, `echo ${t.kind}`, async (i) => echoOnce(o.d, i < 0 ? 200 : KEYS));
    } finally {
      await shut(o);
    }
    const sorted = runs.map((r) => [...r].sort((a, b) => a - b));
    const isOurs = t.kind === 'ours';
    const isWetty = t.kind === 'wetty';
    rows.push({ label: `${t.label}: p50`, unit: 'ms', values: sorted.map((s) => percentile(s, 50)), digits: 2 });
    rows.push({
      label: `${t.label}: p99`,
      unit: 'ms',
      values: sorted.map((s) => percentile(s, 99)),
      digits: 2,
      ...(isOurs || isWetty ? { target: { op: '<' as const, value: 5, text: '< 5 ms' } } : {}),
    });
    rows.push({ label: `${t.label}: max`, unit: 'ms', values: sorted.map((s) => s[s.length - 1]!), digits: 2 });
  }
  return {
    id: 'echo',
    title: 'Keystroke echo',
    method: `Round trip of one keystroke typed into bash's readline (its own line editor echoes it) and back: the clock runs from sending the key to the moment the headless xterm on the client has written the echo. ${KEYS.toLocaleString('en-US')} keystrokes a run, \`a\` and DEL alternately (so the line never grows), at most one every 2.5 ms (our server allows 500 messages a second). p50 and p99 are per run; the table gives min / median / max over runs. Loopback, no browser rendering.`,
    rows,
    notes: [
      "wetty's server batches output for 2 ms before it emits (tinybuffer(socket, 2, 512 KiB) in its spawn.js), so its echo carries that timer; ours sends each pty read at once.",
    ],
  };
};

/** `yes` floods for a second, then Ctrl-C; the clock stops when the prompt has been written by the client's xterm. */
async function interruptOnce(d: Driver): Promise<{ ms: number; afterBytes: number }> {
  const started = d.waitFor('y\r\ny\r\n', 10_000);
  d.send('yes\r');
  await started;
  await sleep(1000);
  const prompt = d.waitFor('__PS1__ ', 30_000);
  const b0 = d.bytes;
  const t0 = performance.now();
  d.send('\x03');
  const seen = await prompt;
  return { ms: seen.at - t0, afterBytes: seen.bytes - b0 };
}

export const interrupt: Bench = async (ctx) => {
  const targets: Target[] = [
    { kind: 'raw', xterm: true, label: 'raw pty → xterm' },
    { kind: 'ours', xterm: true, label: 'ours: /ws → xterm' },
    { kind: 'wetty', xterm: true, label: 'wetty: socket.io → xterm' },
  ];
  const rows: Row[] = [];
  for (const t of targets) {
    ctx.log(`interrupt: ${t.label}`);
    const o = await open(ctx, t);
    let rs: { ms: number; afterBytes: number }[];
    try {
      rs = await repeat(ctx, `interrupt ${t.kind}`, () => interruptOnce(o.d));
    } finally {
      await shut(o);
    }
    rows.push({
      label: `${t.label}: Ctrl-C → prompt`,
      unit: 'ms',
      values: rs.map((r) => r.ms),
      digits: 1,
      ...(t.kind !== 'raw' ? { target: { op: '<=' as const, value: 200, text: '≤ 200 ms' } } : {}),
    });
    rows.push({ label: `${t.label}: output written after Ctrl-C`, unit: 'KB', values: rs.map((r) => r.afterBytes / 1000), digits: 0 });
  }
  return {
    id: 'interrupt',
    title: 'Interrupt under flood',
    method:
      "`yes` floods the terminal for one second; then Ctrl-C. The clock runs from sending Ctrl-C to the moment the client's headless xterm has written the shell's next prompt (a PS1 sentinel, `__PS1__ `; our server strips its OSC 133;D, so the prompt text is what a learner sees). The second row is how much output was still in flight (and had to be written) after Ctrl-C: the flow-control window.",
    rows,
    notes: [],
  };
};
