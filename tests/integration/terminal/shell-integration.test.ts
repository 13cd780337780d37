import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../protocol/messages.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';

const CONTENT = join(import.meta.dirname, 'fixtures', 'content');
type Ended = Extract<ServerMessage, { type: 'command-ended' }>;

describe('Clicked commands report their exit status', () => {
  let server: TestServer;
  let client: TestClient;
  beforeAll(async () => {
    server = await startTestServer({ contentDir: CONTENT });
    client = await TestClient.open(server);
    await client.attach('term-a');
    await pollUntil(() => !server.sessions.get('term-a')!.busy, 'the first prompt');
  });
  afterAll(async () => {
    await client?.close();
    await server?.dispose();
  });

  const run = async (step: string): Promise<Ended> => {
    const from = client.messages.length;
    client.send({ type: 'run', chapter: 'term-a', step, index: 0 });
    return client.waitFor((m): m is Ended => m.type === 'command-ended' && m.step === step, `command-ended of ${step}`, from);
  };

  it('a command that succeeds ends with 0, with the step variables exported, and its check runs', async () => {
    const from = client.messages.length;
    client.mark();
    expect(await run('succeeds')).toMatchObject({ chapter: 'term-a', step: 'succeeds', index: 0, exitCode: 0 });
    await client.waitForText('fixture step ran with term-a/succeeds');
    await client.waitFor((m) => m.type === 'check-result' && m.step === 'succeeds', 'the check result', from);
    // The integration's OSC 133 sequences never reach the page.
    expect(client.text()).not.toContain('\x1b]133;');
  });

  it('a command that fails ends with its status', async () => {
    expect(await run('fails')).toMatchObject({ step: 'fails', exitCode: 3 });
  });

  it('a click while the shell is busy is refused; Ctrl-C ends the command with 130', async () => {
    const from = client.messages.length;
    client.send({ type: 'run', chapter: 'term-a', step: 'sleeps', index: 0 });
    await client.waitFor((m) => m.type === 'command-started' && m.step === 'sleeps', 'command-started', from);
    client.send({ type: 'run', chapter: 'term-a', step: 'succeeds', index: 0 });
    expect(await client.waitFor((m) => m.type === 'error', 'the busy error', from)).toEqual({
      type: 'error',
      code: 'shell-busy',
      message: 'The shell is still busy with another command. Wait for it to finish, or press Ctrl-C in the terminal, then try again.',
    });
    client.input('\x03');
    const ended = await client.waitFor((m): m is Ended => m.type === 'command-ended' && m.step === 'sleeps', 'command-ended', from);
    expect(ended.exitCode).toBe(130);
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
    expect(await run('succeeds')).toMatchObject({ exitCode: 0 });
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
    expect(await run('succeeds')).toMatchObject({ exitCode: 0 });
  });
});
