import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import type { ServerMessage } from '../../../protocol/messages.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';
import { CASES } from './cases.ts';
import { caseEnv, MACHINERY } from './harness.ts';

/**
 * What only zsh has, for the zsh rows of cases.ts (shells.test.ts runs what every shell must do
 * on them too: Run, typed-ahead text, a busy shell, a reload, catch-up and verify). The learner's
 * own ~/.zshrc is read with their HISTFILE and without our ZDOTDIR leaking; preexec loads the step
 * variables; Ctrl-C cuts zsh's precmd hooks short, and the prompt still reports the interrupted
 * command (130) and takes the next Run.
 */

type Refused = Extract<ServerMessage, { type: 'run-refused' }>;
const ci = Boolean(process.env.CI);

for (const c of CASES.filter((x) => x.shell === 'zsh')) {
  const why = c.missing?.();
  if (why && !ci) console.warn(`!!! SKIPPED shells: ${c.name}: ${why}`);

  describe.skipIf(Boolean(why) && !ci)(`${c.name}: what only zsh has`, () => {
    let env: ReturnType<typeof caseEnv>;
    let server: TestServer;
    let client: TestClient;
    let runs: MockInstance<TestServer['controller']['runCommand']>;
    const session = () => server.sessions.get('hello-terminal')!;

    beforeAll(async () => {
      // The server's shells inherit this process's environment, as they inherit the learner's.
      env = caseEnv(c);
      server = await startTestServer({ shell: 'zsh' });
      runs = vi.spyOn(server.controller, 'runCommand');
      client = await TestClient.open(server);
      await client.attach('hello-terminal');
      await pollUntil(() => !session().busy, 'the first prompt', 30_000);
    });
    afterAll(async () => {
      await client?.close();
      await server?.dispose();
      env?.restore();
    });
    beforeEach(async () => {
      expect(await session().clearLine()).toEqual({ kind: 'empty' });
    });

    const click = async (step: string, extra: { clear?: boolean } = {}) => {
      const n = runs.mock.results.length;
      client.send({ type: 'run', chapter: 'hello-terminal', step, index: 0, ...extra });
      await pollUntil(() => runs.mock.results.length > n, `the server to take the click on ${step}`);
      return runs.mock.results[n]!.value as ReturnType<TestServer['controller']['runCommand']>;
    };

    it("is zsh 5.9 with the learner's own .zshrc, and no mark or function of ours shows", async () => {
      expect(session().shell).toBe('zsh');
      expect(await client.run('print -r -- "[$ZSH_VERSION][$HISTFILE][$+ZDOTDIR]"')).toContain(`[5.9][${env.home}/.zsh_history][0]`);
      expect(client.text()).not.toMatch(MACHINERY);
    });

    it("preexec gives say-hello's command the step's variables", async () => {
      expect(await click('say-hello')).toEqual({ asWritten: true, exitCode: 0 });
      expect(await client.run('print -r -- "[$TUTORIAL_STEP]"')).toContain('[hello-terminal/say-hello]');
    });

    it('Ctrl-C: the running command is refused with its line, ends with 130 by the way out, and the Run runs', async () => {
      client.input('sleep 30\r');
      await pollUntil(async () => ((await session().lineState()).kind === 'busy' ? true : undefined), 'sleep to run');
      const from = client.messages.length;
      client.send({ type: 'run', chapter: 'hello-terminal', step: 'say-hello', index: 0 });
      expect(await client.waitFor((m): m is Refused => m.type === 'run-refused', 'the refusal', from)).toMatchObject({
        reason: 'busy',
        line: 'sleep 30',
        clear: 'Interrupt it and run',
      });
      const ended = session().nextCommandEnd();
      const outcome = click('say-hello', { clear: true });
      expect(await ended).toEqual({ executed: true, exitCode: 130, ran: 'sleep 30' });
      expect(await outcome).toEqual({ asWritten: true, exitCode: 0 });
    });
  });
}
