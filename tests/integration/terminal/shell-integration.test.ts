import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';

const CONTENT = join(import.meta.dirname, 'fixtures', 'content');
/** The server's handling of each click: StepController.run resolves with the command's exit status. */
const spyOnRun = (server: TestServer) => vi.spyOn(server.controller, 'run');

describe('Clicked commands report their exit status', () => {
  let server: TestServer;
  let client: TestClient;
  let runs: ReturnType<typeof spyOnRun>;
  beforeAll(async () => {
    server = await startTestServer({ contentDir: CONTENT });
    runs = spyOnRun(server);
    client = await TestClient.open(server);
    await client.attach('term-a');
    await pollUntil(() => !server.sessions.get('term-a')!.busy, 'the first prompt');
  });
  afterAll(async () => {
    await client?.close();
    await server?.dispose();
  });

  /** Clicks Run on the step's first command; `ended` is its exit status as the server saw it. */
  const click = async (step: string): Promise<{ ended: Promise<number> }> => {
    const n = runs.mock.results.length;
    client.send({ type: 'run', chapter: 'term-a', step, index: 0 });
    await pollUntil(() => runs.mock.results.length > n, `the server to take the click on ${step}`);
    return { ended: runs.mock.results[n]!.value };
  };
  const run = async (step: string): Promise<number> => (await click(step)).ended;
  /** What the page heard about a step since message `from`: its changes and any whole snapshot. */
  const heard = (step: string, from: number) =>
    client.messages
      .slice(from)
      .flatMap((m) =>
        m.type === 'step-progress' && m.step === step
          ? [m.progress.state]
          : (m.type === 'check-started' && m.step === step) || m.type === 'progress'
            ? [m.type]
            : [],
      );

  it('a command that succeeds ends with 0, with the step variables exported, and its check runs', async () => {
    const from = client.messages.length;
    client.mark();
    expect(await run('succeeds')).toBe(0);
    await client.waitForText('fixture step ran with term-a/succeeds');
    await client.waitFor(
      (m) => m.type === 'step-progress' && m.step === 'succeeds' && m.progress.state === 'passed' && m.progress.result?.ok === true,
      'the check result',
      from,
    );
    // One message per change of the step, and no whole snapshot: running, its check, passed.
    expect(heard('succeeds', from)).toEqual(['running', 'check-started', 'passed']);
    // The integration's OSC 133 sequences never reach the page.
    expect(client.text()).not.toContain('\x1b]133;');
  });

  it('a command that fails ends with its status', async () => {
    expect(await run('fails')).toBe(3);
  });

  it('a click while the shell is busy is refused; Ctrl-C ends the command with 130', async () => {
    const from = client.messages.length;
    const { ended } = await click('sleeps');
    await client.waitFor(
      (m) => m.type === 'step-progress' && m.step === 'sleeps' && m.progress.state === 'running',
      'sleeps running',
      from,
    );
    client.send({ type: 'run', chapter: 'term-a', step: 'succeeds', index: 0 });
    expect(await client.waitFor((m) => m.type === 'error', 'the busy error', from)).toEqual({
      type: 'error',
      code: 'shell-busy',
      message: 'The shell is still busy with another command. Wait for it to finish, or press Ctrl-C in the terminal, then try again.',
    });
    client.input('\x03');
    expect(await ended).toBe(130);
  });

  it('a click onto a half-typed prompt line is refused, and works once the line is cleared', async () => {
    await pollUntil(() => !server.sessions.get('term-a')!.busy, 'the prompt');
    client.input('echo half-typ');
    await pollUntil(() => server.sessions.get('term-a')!.lineHasText, 'the typed text to reach the session');
    let from = client.messages.length;
    client.send({ type: 'run', chapter: 'term-a', step: 'succeeds', index: 0 });
    expect(await client.waitFor((m) => m.type === 'error', 'the refusal', from)).toEqual({
      type: 'error',
      code: 'line-not-empty',
      message: 'There is text at the prompt that has not been run. Press Enter to run it, or Ctrl-U to clear it, then press Run again.',
    });
    // Ctrl-U clears the line; the same click then runs the command as written.
    client.input('\x15');
    from = client.messages.length;
    expect(await run('succeeds')).toBe(0);
    expect(client.messages.slice(from).some((m) => m.type === 'error')).toBe(false);
  });

  it('output that imitates a command end does not count: the shell stays busy', async () => {
    const session = server.sessions.get('term-a')!;
    await pollUntil(() => !session.busy, 'the prompt');
    client.mark();
    client.input("printf '\\033]133;D;0\\007'; printf '\\033]133;D;0;nonce=guess\\007'; read -r __line\r");
    await pollUntil(() => session.busy, 'busy');
    const from = client.messages.length;
    client.send({ type: 'run', chapter: 'term-a', step: 'succeeds', index: 0 });
    expect(await client.waitFor((m) => m.type === 'error', 'the busy error', from)).toMatchObject({ code: 'shell-busy' });
    client.input('\r');
    await pollUntil(() => !session.busy, 'the prompt after read');
    expect(await run('succeeds')).toBe(0);
  });
});
