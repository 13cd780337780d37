import type { ProgressSnapshot, StepProgress } from '../protocol/messages.ts';
import type { ProgressLike } from './step-controller.ts';

/** Opens the learner's progress store in the state folder. */
export function openProgress(_stateDir: string, _log: (line: string) => void): ProgressLike & { flush(): Promise<void> } {
  const data: Record<string, Record<string, StepProgress & { hash: string }>> = {};
  return {
    snapshot(hashes) {
      const out: ProgressSnapshot = {};
      for (const [c, steps] of Object.entries(data)) {
        out[c] = {};
        for (const [s, p] of Object.entries(steps)) {
          const { hash, ...rest } = p;
          out[c][s] = hashes[c]?.[s] && hashes[c][s] !== hash ? { ...rest, state: 'stale' } : rest;
        }
      }
      return out;
    },
    async set(chapter, step, progress, hash) {
      data[chapter] ??= {};
      data[chapter][step] = { ...progress, hash };
    },
    async resetChapter(chapter) {
      delete data[chapter];
    },
    async flush() {},
  };
}
