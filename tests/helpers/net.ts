import { type AddressInfo, createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listens on: bound once to get a free number, then closed
 * again. Use it to start a server on (a free port) or to point a probe at (a closed port).
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `f` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function pollUntil<T>(
  f: () => T | undefined | false | Promise<T | undefined | false>,
  what: string | (() => string),
  timeoutMs = 20_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${typeof what === 'string' ? what : what()} after ${timeoutMs} ms.`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
