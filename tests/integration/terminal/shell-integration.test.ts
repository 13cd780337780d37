import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import type { ServerMessage, StepProgress } from '../../../protocol/messages.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { pollUntil, TestClient } from '../../helpers/ws-client.ts';

const CONTENT = join(import.meta.dirname, 'fixtures', 'content');
type Refused = Extract<ServerMessage, { type: 'run-refused' }>;

/**
 * A page's Run over a real websocket into a real shell with the tutorial's shell integration: the
 * prompt line must be empty, the shell reports what it ran (OSC 633;E) and how it ended (133;D),
 * and each command's progress, the check and the result follow.
 */
describe('Run, as the shell integration reports it', () => {
  let server: TestServer;
  let client: TestClient;
  let runs: MockInstance<TestServer['controller']['runCommand']>;
  const session = () => server.sessions.get('term-a')!;

  beforeAll(async () => {
    server = await startTestServer({ contentDir: CONTENT });
    runs = vi.spyOn(server.controller, 'runCommand');
    client = await TestClient.open(server);
    await client.attach('term-a');
    await pollUntil(() => !session().busy, 'the first prompt');
  });
  afterAll(async () => {
    await client?.close();
    await server?.dispose();
  });
  beforeEach(async () => {
    // Each test starts at an empty prompt.
    expect(await session().clearLine()).toEqual({ kind: 'empty' });
  });

  /** Clicks Run on a command of a step; `outcome` is how the server's runCommand ended. */
  const click = async (step: string, index = 0, extra: { clear?: boolean } = {}) => {
    const n = runs.mock.results.length;
    client.send({ type: 'run', chapter: 'term-a', step, index, ...extra });
    await pollUntil(() => runs.mock.results.length > n, `the server to take the click on ${step}`);
    return { outcome: runs.mock.results[n]!.value as ReturnType<TestServer['controller']['runCommand']> };
  };
  /** The step's progress changes the page hears from message `from` on, until `until` holds. */
  const changes = (step: string, from: number): StepProgress[] =>
    client.messages.slice(from).flatMap((m) => (m.type === 'step-progress' && m.step === step ? [m.progress] : []));
  const settled = (step: string, from: number) =>
    pollUntil(
      () => changes(step, from).find((p) => p.state === 'passed' || p.state === 'failed'),
      `${step} to pass or fail (heard: ${JSON.stringify(changes(step, from).map((p) => p.state))})`,
    );
  const refusal = (from: number) => client.waitFor((m): m is Refused => m.type === 'run-refused', 'the refusal', from);
  /** Settled line state, polled until it is `kind`. */
  const lineIs = (kind: string) =>
    pollUntil(async () => ((await session().lineState()).kind === kind ? true : undefined), `the prompt line to be ${kind}`);

  it('a command that succeeds ends with 0, with the step variables exported; its check runs; no mark reaches the page', async () => {
    const from = client.messages.length;
    client.mark();
    const { outcome } = await click('succeeds');
    expect(await outcome).toEqual({ asWritten: true, exitCode: 0 });
    await client.waitForText('fixture step ran with term-a/succeeds');
    const passed = await settled('succeeds', from);
    expect(passed.result?.ok).toBe(true);
    // One message per change of the step: running, its check, passed.
    const heard = client.messages
      .slice(from)
      .flatMap((m) =>
        m.type === 'step-progress' && m.step === 'succeeds' ? [m.progress.state] : m.type === 'check-started' ? ['check-started'] : [],
      );
    expect(heard).toEqual(['running', 'check-started', 'passed']);
    expect(passed.commands).toEqual({ done: [0], total: 1 });
    expect(passed.shell).toBe(session().id);
    expect(client.text()).not.toMatch(/\x1b\][16]33;/);
  });

  it('a command that fails ends with its status, and the check runs after it', async () => {
    const { outcome } = await click('fails');
    expect(await outcome).toMatchObject({ asWritten: true, exitCode: 3 });
  });

  it('a step of three commands: running while one runs, "in progress" with the done ones between, passed after the last', async () => {
    const from = client.messages.length;
    await (await click('three', 0)).outcome;
    await pollUntil(() => changes('three', from).some((p) => p.state === 'in-progress'), 'in-progress after the first command');
    expect(changes('three', from).map((p) => [p.state, p.commands])).toEqual([
      ['running', { done: [], total: 3, running: 0 }],
      ['in-progress', { done: [0], total: 3 }],
    ]);
    await (await click('three', 1)).outcome;
    await (await click('three', 2)).outcome;
    const passed = await settled('three', from);
    expect(passed.commands).toEqual({ done: [0, 1, 2], total: 3 });
    expect(changes('three', from).map((p) => p.state)).toEqual(['running', 'in-progress', 'running', 'in-progress', 'running', 'passed']);
  });

  it('Run all commands of a step types each one after the previous one ended, each once', async () => {
    const from = client.messages.length;
    client.mark();
    client.send({ type: 'run-step', chapter: 'term-a', step: 'three' });
    const passed = await settled('three', from);
    expect(passed.commands).toEqual({ done: [0, 1, 2], total: 3 });
    const text = client.textSinceMark();
    // Each command line shows once (typed into a busy shell, it would show twice: echoed by the
    // terminal, then again at the prompt), and after the output of the one before.
    for (const c of ['echo "one of three"', 'sleep 0.3; echo "two of three"', 'echo "three of three"']) {
      expect(text.split(c).length - 1, c).toBe(1);
    }
    expect(text.indexOf('\r\ntwo of three')).toBeLessThan(text.indexOf('echo "three of three"'));
  });

  it('a Run onto a half-typed line is refused with the line and a way out; erased with Backspace, the line takes the Run', async () => {
    client.input('echo half-typ');
    await lineIs('text');
    const from = client.messages.length;
    client.send({ type: 'run', chapter: 'term-a', step: 'succeeds', index: 0 });
    expect(await refusal(from)).toEqual({
      type: 'run-refused',
      request: 'run',
      chapter: 'term-a',
      step: 'succeeds',
      index: 0,
      reason: 'text',
      line: 'echo half-typ',
      message:
        "The terminal's prompt line already holds `echo half-typ`, so Run did not type the command after it. Clear the line and run, or press Enter in the terminal to run that line first.",
      clear: 'Clear the line and run',
    });
    // A refusal is not a bad message: the page may be refused any number of times.
    expect(client.messages.slice(from).some((m) => m.type === 'error')).toBe(false);
    client.input('\x7f'.repeat('echo half-typ'.length));
    await lineIs('empty');
    expect(await (await click('succeeds')).outcome).toEqual({ asWritten: true, exitCode: 0 });
  });

  it('"Clear the line and run" empties a line with text on it, then runs the command as written', async () => {
    client.input('echo TYPED-AHEAD');
    await lineIs('text');
    const { outcome } = await click('succeeds', 0, { clear: true });
    expect(await outcome).toEqual({ asWritten: true, exitCode: 0 });
  });

  it('Run this chapter starts on an empty line too: refused with the line, and run after clearing it', async () => {
    client.input('echo half-typed');
    await lineIs('text');
    const from = client.messages.length;
    client.send({ type: 'run-chapter', chapter: 'term-a', upTo: 'succeeds' });
    expect(await refusal(from)).toMatchObject({
      request: 'run-chapter',
      chapter: 'term-a',
      step: 'succeeds',
      index: 0,
      upTo: 'succeeds',
      reason: 'text',
      clear: 'Clear the line and run',
    });
    expect(client.messages.slice(from).some((m) => m.type === 'chapter-run')).toBe(false);
    client.send({ type: 'run-chapter', chapter: 'term-a', upTo: 'succeeds', clear: true });
    await client.waitFor((m) => m.type === 'chapter-run' && m.state === 'passed', 'the chapter run to pass', from);
  });

  it('a completion question (Tab Tab) refuses the Run; clearing it runs the command', async () => {
    client.input('\t\t');
    await lineIs('elsewhere');
    const from = client.messages.length;
    client.send({ type: 'run', chapter: 'term-a', step: 'succeeds', index: 0 });
    const refused = await refusal(from);
    expect(refused).toMatchObject({
      reason: 'elsewhere',
      clear: 'Clear the line and run',
      line: expect.stringMatching(/^Display all \d+ possibilities/),
    });
    expect(refused.message).toContain('The terminal is waiting for an answer (`Display all');
    expect(await (await click('succeeds', 0, { clear: true })).outcome).toEqual({ asWritten: true, exitCode: 0 });
  });

  it('a Run while a command runs is refused with its line; "Interrupt it and run" stops it (130) and runs the command', async () => {
    client.input('sleep 30\r');
    await lineIs('busy');
    const from = client.messages.length;
    client.send({ type: 'run', chapter: 'term-a', step: 'succeeds', index: 0 });
    expect(await refusal(from)).toMatchObject({
      reason: 'busy',
      line: 'sleep 30',
      message:
        'The terminal is still running `sleep 30`, so Run did not type this one into it. Wait for it to finish, or interrupt it (Ctrl-C) and run this one.',
      clear: 'Interrupt it and run',
    });
    const ended = session().nextCommandEnd();
    const { outcome } = await click('succeeds', 0, { clear: true });
    expect(await ended).toEqual({ executed: true, exitCode: 130, ran: 'sleep 30' });
    expect(await outcome).toEqual({ asWritten: true, exitCode: 0 });
  });

  it('a command the shell runs as something else fails the step unchecked, saying what ran', async () => {
    // History expansion: bash runs `echo "bang <the previous command>"`, not the command as written.
    await (await click('succeeds')).outcome;
    const from = client.messages.length;
    const { outcome } = await click('bang');
    expect(await outcome).toMatchObject({ asWritten: false });
    const failed = await settled('bang', from);
    expect(failed.result?.message).toMatch(
      /^The command did not run as written, so the step was not checked\. The shell ran `echo "bang echo /,
    );
    expect(failed.result?.evidence.map((e) => e.label)).toEqual(['What the shell ran', 'The command of the step']);
    expect(client.messages.slice(from).some((m) => m.type === 'check-started')).toBe(false);
  });

  it('a file check with fresh: true wants the file of this attempt, not one left from an earlier one', async () => {
    const from = client.messages.length;
    await (await click('writes-note')).outcome;
    expect((await settled('writes-note', from)).result?.ok).toBe(true);
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(server.workspace, 'fixture-note.txt'), hourAgo, hourAgo);
    const result = await server.controller.check('term-a', 'writes-note');
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(
      /^fixture-note\.txt is left from an earlier attempt: it was last written at \d\d:\d\d:\d\d, before this attempt's first command was typed at \d\d:\d\d:\d\d\.$/,
    );
  });

  it('a new shell after one that ended says so, naming the steps whose commands changed the old one', async () => {
    const from = client.messages.length;
    await (await click('exports')).outcome;
    expect((await settled('exports', from)).shell).toBe(session().id);
    const old = session().id;
    await server.sessions.end('term-a');
    client.mark();
    const attached = await client.attach('term-a');
    expect(attached.shell).not.toBe(old);
    expect(attached.replay).toContain(
      '[This is a new shell: the one the earlier steps ran in has ended (the tutorial server restarted, or the shell exited), and what they set in it, such as variables, is gone. Run again: Step 7, A command that sets a variable in the shell.]',
    );
    expect(await client.run('echo "[$FIXTURE_VAR]"')).toContain('[]');
  });

  it('output that imitates a command end does not count: the shell stays busy', async () => {
    client.input("printf '\\033]133;D;0\\007'; printf '\\033]133;D;0;nonce=guess\\007'; read -r __line\r");
    await lineIs('busy');
    const from = client.messages.length;
    client.send({ type: 'run', chapter: 'term-a', step: 'succeeds', index: 0 });
    expect(await refusal(from)).toMatchObject({ reason: 'busy' });
    client.input('\r');
    await lineIs('empty');
    expect(await (await click('succeeds')).outcome).toEqual({ asWritten: true, exitCode: 0 });
  });
});
