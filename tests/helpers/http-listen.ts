import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server listening on a free port of 127.0.0.1. */
export interface Listening {
  /** Its base URL, http://127.0.0.1:<port>. */
  url: string;
  /** Stops listening and closes the open connections. */
  close(): Promise<void>;
}

/** Starts `server` on a free port of 127.0.0.1 (the fakes' way to listen). */
export async function listenLocal(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
