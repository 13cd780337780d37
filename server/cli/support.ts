import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a command-line program writes; tests pass their own to capture it. */
export type Out = (s: string) => void;
export const toStdout: Out = (s) => {
  process.stdout.write(s);
};
export const toStderr: Out = (s) => {
  process.stderr.write(s);
};

/**
 * Parses the arguments with `parse` (node's parseArgs); a bad or unknown option prints its
 * message and the usage on `err` and gives undefined, for which the program exits with 2.
 */
export function parseOrExplain<R>(parse: () => R, usage: string, err: Out): R | undefined {
  try {
    return parse();
  } catch (e) {
    err(`${(e as Error).message}\n${usage}\n`);
    return undefined;
  }
}

/**
 * Runs a program's `main` when its file is the one Node was started with (`tsx server/cli/check.ts`),
 * and exits with the status it returns; an unexpected error prints its stack and exits with 1.
 */
export function runIfMain(moduleUrl: string, main: (argv: string[]) => Promise<number>): void {
  if (!process.argv[1] || fileURLToPath(moduleUrl) !== resolve(process.argv[1])) return;
  main(process.argv.slice(2)).then(
    // Exit once what was printed has been written (a pipe may still be draining it).
    (code) => process.stdout.write('', () => process.exit(code)),
    (e: unknown) => {
      console.error((e as Error).stack ?? e);
      process.exit(1);
    },
  );
}
