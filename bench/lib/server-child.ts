/**
 * Runs the tutorial server in a process of its own for the benchmarks, so its event loop and
 * its memory are apart from the bench's clients. Options come as JSON in BENCH_SERVER_OPTIONS;
 * prints one line `READY {"port":..,"token":..,"cookie":..,"pid":..}` when it listens and stops on SIGTERM.
 */
import { exitWhenAsked } from '../../server/cli/shutdown.ts';
import { startTestServer } from '../../tests/helpers/server.ts';

const options = JSON.parse(process.env.BENCH_SERVER_OPTIONS ?? '{}') as Record<string, unknown>;
const server = await startTestServer(options);
console.log(
  `READY ${JSON.stringify({ port: server.port, token: server.token, cookie: server.cookie, pid: process.pid, url: server.url })}`,
);

const stop = exitWhenAsked({ close: () => server.dispose(), closeSync: () => server.sessions.closeAllSync() });
process.on('SIGTERM', () => stop('SIGTERM'));
// The memory benchmark asks for a collection before it reads the resident size.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  setTimeout(() => console.log('GC-DONE'), 200);
});
process.on('SIGINT', () => stop('SIGINT'));
process.stdin.on('end', () => stop('stdin closed'));
process.stdin.resume();
