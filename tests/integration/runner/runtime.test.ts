import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { watchEndpoints } from '../../../server/stack/endpoints.ts';
import { loadContentIndex } from '../../../server/tutorial/content.ts';
import { TutorialRuntime } from '../../../server/tutorial/runtime.ts';

/**
 * The tutorial's runtime with real shells: the stack's addresses come from the workspace's
 * compose/.env into the shells' variables, the checks' commands and the placeholders, and follow
 * the file when it changes, without a restart.
 */
const content = loadContentIndex(join(import.meta.dirname, '..', '..', 'fixtures', 'stack-env', 'content'));
const stateDir = mkdtempSync(join(tmpdir(), 'runtime-test-'));
const workspace = join(stateDir, 'workspace');
const envFile = join(workspace, 'compose', '.env');
mkdirSync(join(workspace, 'compose'), { recursive: true });
writeFileSync(envFile, 'ES_PORT=19200\nMLFLOW_PORT=5099\nFLUENTD_PORT=34224\n');

const runtime = new TutorialRuntime({
  content,
  workspace,
  stateDir,
  // No process variables: this machine's environment must not move the ports under test.
  endpoints: watchEndpoints({ workspace, env: {} }),
  shells: { maxSessions: 2, idleGraceMs: 60_000, replayLimit: 64 * 1024 },
  log: () => {},
});
afterAll(async () => {
  await runtime.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const chapter = content.chapters[0]!;
const step = (id: string) => chapter.steps.find((s) => s.id === id)!;

async function runStep(id: string): Promise<number> {
  runtime.sessions.open(chapter.id, 120, 40);
  return runtime.controller.run(chapter.id, id, 0, { autoCheck: false, deadlineMs: 20_000 });
}

describe('TutorialRuntime and the stack addresses', () => {
  it("gives the shells, the checks and the placeholders the addresses of the workspace's compose/.env", async () => {
    // The workspace's own copy was kept; the repository's filled in the rest of compose/.
    expect(readFileSync(envFile, 'utf8')).toBe('ES_PORT=19200\nMLFLOW_PORT=5099\nFLUENTD_PORT=34224\n');
    expect(await runStep('shell-sees')).toBe(0);
    expect(readFileSync(join(workspace, 'seen.txt'), 'utf8')).toBe(
      'http://127.0.0.1:19200 http://127.0.0.1:5601 http://127.0.0.1:5099 127.0.0.1:34224 http://127.0.0.1:24220 http://127.0.0.1:8080\n',
    );
    const shell = await runtime.runCheck(step('shell-sees'));
    expect(shell.ok).toBe(true);
    const check = await runtime.runCheck(step('check-sees'));
    expect(check.ok).toBe(true);
    expect(JSON.stringify(check.evidence)).toContain('http://127.0.0.1:5099');
  });

  it('follows a port moved while it runs: the next check at once, the next shell when it starts', async () => {
    writeFileSync(envFile, '# moved\nES_PORT=19201\nMLFLOW_PORT=5098\nFLUENTD_PORT=34225\n');
    const check = await runtime.runCheck(step('check-sees'));
    expect(check.ok).toBe(true);
    expect(JSON.stringify(check.evidence)).toContain('http://127.0.0.1:5098');
    // The open shell keeps the variables it started with: its check now fails ...
    expect((await runtime.runCheck(step('shell-sees'))).ok).toBe(false);
    // ... and a new shell has the new ones.
    await runtime.sessions.end(chapter.id);
    expect(await runStep('shell-sees')).toBe(0);
    expect(readFileSync(join(workspace, 'seen.txt'), 'utf8')).toBe(
      'http://127.0.0.1:19201 http://127.0.0.1:5601 http://127.0.0.1:5098 127.0.0.1:34225 http://127.0.0.1:24220 http://127.0.0.1:8080\n',
    );
    expect((await runtime.runCheck(step('shell-sees'))).ok).toBe(true);
  });
});
