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
 * Later calls change nothing: a Ctrl-C in the terminal reaches the server twice (the terminal
 * sends it to npm and to the server, and npm passes its own on), so a repeat cannot mean "hurry";
 * `graceMs` bounds the wait instead. Returns the function to call with the reason (a signal's
 * name); the caller decides which signals and events lead to it.
 */
export function exitWhenAsked(server: Stoppable, onStop: (reason: string) => void = () => {}, graceMs = 5000): (reason: string) => void {
  let stopping = false;
  return (reason) => {
    if (stopping) return;
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

/**
 * Calls `onEnd` once the process that started this one has ended (this one is then re-parented,
 * to init or a subreaper). A parent that dies of a signal it does not pass on, as npm dies of
 * SIGHUP, would otherwise leave the server and its shells running with nobody to stop them.
 * Looks once every `everyMs`: Node has no parent-death signal (Linux's PR_SET_PDEATHSIG).
 */
export function whenParentEnds(onEnd: () => void, everyMs = 500): { dispose(): void } {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onEnd();
  }, everyMs);
  timer.unref();
  return { dispose: () => clearInterval(timer) };
}
