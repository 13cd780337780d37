/** What a process needs to end its server cleanly. */
export interface Stoppable {
  /** Closes sockets, ends every shell, flushes progress. */
  close(): Promise<void>;
  /** The last resort when close() hangs: kills every shell at once. */
  closeSync(): void;
}

/**
 * Ends the process when it is asked to: the first call closes the server and exits 0 (1 if the
 * close failed); if closing takes longer than `graceMs`, every shell is killed and it exits 1.
 * A second call (a second Ctrl-C) exits at once with 130. Returns the function to call with the
 * signal's name; the caller decides which signals and events lead to it.
 */
export function exitWhenAsked(server: Stoppable, onStop: (reason: string) => void = () => {}, graceMs = 5000): (reason: string) => void {
  let stopping = false;
  return (reason) => {
    if (stopping) process.exit(130);
    stopping = true;
    onStop(reason);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => {
      server.closeSync();
      process.exit(1);
    }, graceMs).unref();
  };
}
