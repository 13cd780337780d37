import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import type { ServerMessage, StepProgress } from '../../../protocol/messages.ts';
import { REPO_ROOT } from '../../../server/paths.ts';
import { hasWheelhouse, offlinePython, testEnv } from '../../helpers/env.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';

/**
 * A learner whose shell is zsh 5.9: the tutorial's terminals are zsh with the learner's own
 * ~/.zshrc, integrated through preexec/precmd (server/terminal/shells/zsh.zsh). Each fixture under
 * tests/fixtures/shells/ is a learner's home folder, copied to a HOME of the test's own (the
 * learner's condition: their ~/.zshrc runs), and every Run goes through a real server and
 * websocket into the real chapters: "Hello, terminal", the catch-up of "Version your data with
 * DVC", and `npm run tutorial -- verify` with $SHELL pointing at zsh.
 */

const FIXTURES = join(REPO_ROOT, 'tests', 'fixtures', 'shells');
type Refused = Extract<ServerMessage, { type: 'run-refused' }>;
type CatchUp = Extract<ServerMessage, { type: 'catch-up' }>;
const needsWheels = !hasWheelhouse() && !process.env.CI;

/** A HOME of the test's own with the fixture's files (its .zshrc) in it. */
function homeFrom(fixture: string): string {
  const home = mkdtempSync(join(tmpdir(), `shells-${fixture}-`));
  cpSync(join(FIXTURES, fixture), home, { recursive: true });
  return home;
}

describe.each(['zsh-plain', 'zsh-themed'])('zsh 5.9 with the .zshrc of %s', (fixture) => {
  let home: string;
  let server: TestServer;
  let client: TestClient;
  let runs: MockInstance<TestServer['controller']['runCommand']>;
  const saved = { ...process.env };
  const session = () => server.sessions.get('hello-terminal')!;

  beforeAll(async () => {
    home = homeFrom(fixture);
    // The server's shells inherit this process's environment, as they inherit the learner's.
    Object.assign(process.env, { HOME: home, SHELL: '/usr/bin/zsh', ...offlinePython });
    server = await startTestServer({ shell: 'zsh' });
    runs = vi.spyOn(server.controller, 'runCommand');
    client = await TestClient.open(server);
    await client.attach('hello-terminal');
    await pollUntil(() => !session().busy, 'the first prompt', 30_000);
  });
  afterAll(async () => {
    await client?.close();
    await server?.dispose();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    rmSync(home, { recursive: true, force: true });
  });
  beforeEach(async () => {
    expect(await session().clearLine()).toEqual({ kind: 'empty' });
  });

  const click = async (step: string, index = 0, extra: { clear?: boolean } = {}) => {
    const n = runs.mock.results.length;
    client.send({ type: 'run', chapter: 'hello-terminal', step, index, ...extra });
    await pollUntil(() => runs.mock.results.length > n, `the server to take the click on ${step}`);
    return runs.mock.results[n]!.value as ReturnType<TestServer['controller']['runCommand']>;
  };
  const settled = (step: string, from: number) =>
    pollUntil(
      () =>
        client.messages
          .slice(from)
          .flatMap((m): StepProgress[] => (m.type === 'step-progress' && m.step === step ? [m.progress] : []))
          .find((p) => p.state === 'passed' || p.state === 'failed'),
      `${step} to pass or fail`,
    );
  const lineIs = (kind: string) =>
    pollUntil(async () => ((await session().lineState()).kind === kind ? true : undefined), `the prompt line to be ${kind}`);

  it("is zsh 5.9 with the learner's own .zshrc, and no mark or function of ours shows", async () => {
    expect(session().shell).toBe('zsh');
    expect(await client.run('print -r -- "[$ZSH_VERSION][$HISTFILE][$+ZDOTDIR]"')).toContain(`[5.9][${home}/.zsh_history][0]`);
    expect(client.text()).not.toMatch(/\x1b\][16]33;|__tut|command not found/);
  });

  it("say-hello's Run passes: the line the shell ran, its status, the step variables, the check", async () => {
    const from = client.messages.length;
    client.mark();
    expect(await click('say-hello')).toEqual({ asWritten: true, exitCode: 0 });
    await client.waitForText('hello from the tutorial');
    expect((await settled('say-hello', from)).result?.ok).toBe(true);
    expect(await client.run('print -r -- "[$TUTORIAL_STEP]"')).toContain('[hello-terminal/say-hello]');
  });

  it('refuses a Run onto typed-ahead text with the way out, which then runs the command as written', async () => {
    client.input('echo typed-ahead');
    // zsh echoes as it highlights, key by key: wait for the whole text.
    await pollUntil(async () => {
      const line = await session().lineState();
      return line.kind === 'text' && line.text.endsWith('typed-ahead') ? true : undefined;
    }, 'the typed text on the prompt line');
    const from = client.messages.length;
    client.send({ type: 'run', chapter: 'hello-terminal', step: 'say-hello', index: 0 });
    const refused = await client.waitFor((m): m is Refused => m.type === 'run-refused', 'the refusal', from);
    expect(refused).toMatchObject({ reason: 'text', clear: 'Clear the line and run' });
    expect(refused.line).toContain('typed-ahead');
    expect(await click('say-hello', 0, { clear: true })).toEqual({ asWritten: true, exitCode: 0 });
  });

  it('Ctrl-C: a running command is refused with its line, interrupted (130) by the way out, and the Run runs', async () => {
    client.input('sleep 30\r');
    await lineIs('busy');
    const from = client.messages.length;
    client.send({ type: 'run', chapter: 'hello-terminal', step: 'say-hello', index: 0 });
    expect(await client.waitFor((m): m is Refused => m.type === 'run-refused', 'the refusal', from)).toMatchObject({
      reason: 'busy',
      line: 'sleep 30',
      clear: 'Interrupt it and run',
    });
    const ended = session().nextCommandEnd();
    const outcome = await click('say-hello', 0, { clear: true });
    expect(await ended).toEqual({ executed: true, exitCode: 130, ran: 'sleep 30' });
    expect(await outcome).toEqual({ asWritten: true, exitCode: 0 });
  });

  it('a reload gets the same shell back, its screen, and a prompt that takes the next Run', async () => {
    const id = session().id;
    await client.close();
    client = await TestClient.open(server);
    const attached = await client.attach('hello-terminal');
    expect(attached.shell).toBe(id);
    expect(attached.replay).toContain('hello from the tutorial');
    expect(attached.replay).not.toMatch(/\x1b\][16]33;/);
    await lineIs('empty');
    expect(await click('find-the-note')).toEqual({ asWritten: true, exitCode: 0 });
  });

  it.skipIf(needsWheels)(
    `catches up "Version your data with DVC" in its zsh: the virtualenv made, then its first step (needs the wheelhouse at ${testEnv.wheelhouse})`,
    async () => {
      const c = await TestClient.open(server);
      await c.attach('data-versioning');
      const from = c.messages.length;
      c.send({ type: 'catch-up', chapter: 'data-versioning', upTo: 'init-repos' });
      const end = await c.waitFor(
        (m): m is CatchUp => m.type === 'catch-up' && m.state !== 'running',
        'the end of the catch-up',
        from,
        600_000,
      );
      expect(end, c.text().slice(-2000)).toMatchObject({ chapter: 'data-versioning', state: 'passed' });
      // The shell started before .venv existed and uses it now.
      expect(await c.run('print -r -- "[$VIRTUAL_ENV]"')).toContain(`[${join(server.workspace, '.venv')}]`);
      await c.close();
    },
    900_000,
  );

  it.skipIf(needsWheels)(
    `npm run tutorial -- verify hello-terminal python-logging passes where $SHELL is zsh (needs the wheelhouse at ${testEnv.wheelhouse})`,
    async () => {
      const state = mkdtempSync(join(tmpdir(), `shells-verify-${fixture}-`));
      try {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'server/cli/tutorial.ts', 'verify', 'hello-terminal', 'python-logging', '--state', state, '--json'],
          { cwd: REPO_ROOT, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
        });
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        const report = JSON.parse(out) as { ok: boolean; steps: { chapter: string; step: string; outcome: string }[] };
        const failed = report.steps.find((s) => s.outcome !== 'passed');
        expect(failed, `${JSON.stringify(failed, null, 2)}\n${err.slice(-2000)}`).toBeUndefined();
        expect(code).toBe(0);
        const chapters = new Set(report.steps.map((s) => s.chapter));
        expect([...chapters]).toEqual(expect.arrayContaining(['hello-terminal', 'python-logging']));
      } finally {
        rmSync(state, { recursive: true, force: true });
      }
    },
    900_000,
  );
});
