import { Socket } from 'node:net';
import { errorCode } from '../words.ts';

/** How a TCP connection attempt ended. */
export type ConnectOutcome = { open: true } | { open: false; code: string; timedOut: boolean };

/** Tries to open a TCP connection and closes it at once. */
export function tryConnect(host: string, port: number, signal: AbortSignal): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (o: ConnectOutcome) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(o);
    };
    const onAbort = () => done({ open: false, code: 'ETIMEDOUT', timedOut: true });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ open: true }));
    socket.once('error', (err) => done({ open: false, code: errorCode(err) ?? err.message, timedOut: false }));
    socket.connect(port, host);
  });
}
