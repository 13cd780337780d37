import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { foregroundGroup } from '../../../server/terminal/interrupt.ts';
import { type LineState, TerminalSession } from '../../../server/terminal/session.ts';
import { pollUntil } from '../../helpers/net.ts';
import { FIXTURES } from '../shells/cases.ts';

/**
 * The prompt line's state as the server knows it (server/terminal/prompt-state.ts), from a real
 * bash in a real pty with the tutorial's shell integration, driven with the keys a learner types.
 */
describe('PromptState', () => {
  let dir: string;
  let session: TerminalSession;

  const open = async (cols = 100) => {
    session = new TerminalSession({
      name: 'prompt',
      cwd: dir,
      shellsDir: join(dir, 'shells'),
      env: process.env,
      cols,
      rows: 24,
      replayLimit: 256 * 1024,
    });
    await session.started(10_000);
    await until((s) => s.kind === 'empty', 'the first empty prompt');
  };
  /** Polls the settled line state until `ok` holds. */
  const until = (ok: (s: LineState) => boolean, what: string) => {
    let last: LineState | undefined;
    return pollUntil(
      async () => {
        last = await session.lineState();
        return ok(last) ? last : undefined;
      },
      () => `${what} (the line is ${JSON.stringify(last)})`,
    );
  };
  /** A command that runs until the test lets it end (a file appears), reading no input meanwhile. */
  const gate = () => join(dir, 'go');
  const waitingCommand = () => `until [ -e ${gate()} ]; do sleep 0.02; done`;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prompt-state-'));
    mkdirSync(join(dir, 'shells'), { mode: 0o700 });
    await open();
  });
  afterEach(async () => {
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an empty prompt is empty; typed text is text; erased again with Backspace it is empty', async () => {
    session.input('ec');
    expect(await until((s) => s.kind === 'text', 'the typed text')).toEqual({ kind: 'text', text: 'ec' });
    session.input('\x7f\x7f');
    await until((s) => s.kind === 'empty', 'the line to be empty again');
  });

  it('arrow keys, Home, End and Ctrl-L on an empty line leave it empty', async () => {
    session.input('\x1b[D\x1b[C\x1b[H\x1b[F');
    expect(await session.lineState()).toEqual({ kind: 'empty' });
    session.input('\x0c');
    expect(await session.lineState()).toEqual({ kind: 'empty' });
    session.input('x\x0c');
    expect(await until((s) => s.kind === 'text', 'the text after Ctrl-L redrew the prompt')).toEqual({ kind: 'text', text: 'x' });
  });

  it('Ctrl-U and Ctrl-C empty the line', async () => {
    session.input('echo one');
    await until((s) => s.kind === 'text', 'the text');
    session.input('\x15');
    await until((s) => s.kind === 'empty', 'Ctrl-U to empty it');
    session.input('echo two');
    await until((s) => s.kind === 'text', 'the text');
    session.input('\x03');
    await until((s) => s.kind === 'empty', 'Ctrl-C to give a fresh prompt');
  });

  it('a line longer than the terminal is wide is text across its rows, and empty once erased', async () => {
    await session.close();
    await open(40);
    const long = `echo ${'x'.repeat(90)}`;
    session.input(long);
    expect(await until((s) => s.kind === 'text' && s.text === long, 'the whole wrapped line')).toEqual({ kind: 'text', text: long });
    session.input('\x7f'.repeat(long.length));
    await until((s) => s.kind === 'empty', 'the line erased key by key');
  });

  it('Tab Tab asks "Display all …?" and pages the list: both are elsewhere, and clearLine brings back an empty prompt', async () => {
    session.input('\t\t');
    const question = await until((s) => s.kind === 'elsewhere', 'the completion question');
    expect(question).toMatchObject({ kind: 'elsewhere', text: expect.stringMatching(/^Display all \d+ possibilities\? \(y or n\)$/) });
    session.input('y');
    expect(await until((s) => s.kind === 'elsewhere' && s.text.includes('--More--'), 'the pager')).toMatchObject({ text: '--More--' });
    expect(await session.clearLine()).toEqual({ kind: 'empty' });
  });

  it('a running command is busy with its line; text typed meanwhile waits on the next prompt line', async () => {
    const command = waitingCommand();
    session.input(`${command}\r`);
    expect(await until((s) => s.kind === 'busy', 'the command to run')).toEqual({ kind: 'busy', command });
    session.input('echo TYPED-AHEAD');
    // Still busy: the shell has not read it; the terminal only echoes it.
    expect(await session.lineState()).toEqual({ kind: 'busy', command });
    writeFileSync(gate(), '');
    expect(await until((s) => s.kind !== 'busy', 'the prompt')).toEqual({ kind: 'text', text: 'echo TYPED-AHEAD' });
  });

  it('a prompt redrawn between Enter and the command start (Ctrl-L, a resize) does not take the submitted line for text', async () => {
    for (let i = 0; i < 5; i++) {
      const command = waitingCommand();
      // Readline redraws the prompt (its marks with it) for the Ctrl-L, then reads the Enter.
      session.input(`${command}\x0c\r`);
      // Asked at once, as a Run clicked right after Enter is: never "text", it is on its way to run.
      const first = await session.lineState();
      expect(first.kind, JSON.stringify(first)).toBe('busy');
      expect(await until((s) => s.kind === 'busy' && s.command !== undefined, 'the command to run')).toEqual({ kind: 'busy', command });
      writeFileSync(gate(), '');
      await until((s) => s.kind === 'empty', 'the prompt back');
      rmSync(gate());
    }
  });

  it('clearLine interrupts a running command and gives an empty prompt', async () => {
    session.input(`${waitingCommand()}\r`);
    await until((s) => s.kind === 'busy', 'the command to run');
    expect(await session.clearLine()).toEqual({ kind: 'empty' });
  });

  it('clearLine stops a loop of short commands, where a Ctrl-C can reach a command that has just ended', async () => {
    // Between one command's end and the next one's start the terminal's foreground group is the
    // ended command's for a moment: a Ctrl-C then reaches nobody, and the loop goes on.
    for (let i = 0; i < 3; i++) {
      session.input('while :; do /bin/true; done\r');
      await until((s) => s.kind === 'busy', 'the loop to run');
      const line = await session.clearLine();
      expect(line, `round ${i + 1}`).toEqual({ kind: 'empty' });
    }
  });

  it.each(['proc', 'ps'] as const)(
    "reads the terminal's foreground group (via %s): the shell's own at the prompt, a running command's while it runs",
    async (via) => {
      expect(await foregroundGroup(session.pid, via)).toBe(session.pid);
      const pidFile = join(dir, 'sleeper.pid');
      session.input(`sh -c 'echo $$ > ${pidFile}; exec sleep 30'\r`);
      const sleeper = await pollUntil(
        () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) || undefined : undefined),
        'the command to start',
      );
      // bash gives each command line a process group of its own, led by its first process.
      expect(await foregroundGroup(session.pid, via)).toBe(sleeper);
      expect(await session.clearLine()).toEqual({ kind: 'empty' });
      expect(await foregroundGroup(session.pid, via)).toBe(session.pid);
      expect(await foregroundGroup(2 ** 22 + 1, via)).toBeUndefined();
    },
  );

  it('clearLine gives a command that takes its time to stop one Ctrl-C, not a second (Compose takes that for "kill now")', async () => {
    const log = join(dir, 'interrupts');
    const ready = join(dir, 'handler-in-place');
    writeFileSync(
      join(dir, 'graceful.py'),
      [
        'import signal, sys, time',
        'def stop(*_):',
        `    with open(${JSON.stringify(log)}, 'a') as f: f.write('INT\\n')`,
        '    time.sleep(1.5)',
        '    sys.exit(0)',
        'signal.signal(signal.SIGINT, stop)',
        `open(${JSON.stringify(ready)}, 'w').close()`,
        'while True: time.sleep(0.05)',
        '',
      ].join('\n'),
    );
    session.input(`python3 ${join(dir, 'graceful.py')}\r`);
    await until((s) => s.kind === 'busy', 'the program to run');
    // A Ctrl-C before its handler is in place would end it at once (a loaded machine starts python slowly).
    await pollUntil(() => existsSync(ready), 'its SIGINT handler to be in place');
    expect(await session.clearLine()).toEqual({ kind: 'empty' });
    expect(readFileSync(log, 'utf8')).toBe('INT\n');
  });

  it('reports the line the shell ran (OSC 633;E), as written or with typed-ahead text before it', async () => {
    const command = String.raw`echo "a;b" 'c\d' $((1 + 2)) é€😀`;
    const ran = await session.typeCommand(command);
    expect(ran).toEqual({ executed: true, exitCode: 0, ran: command });
    // The command's end comes before its prompt: wait for the prompt, as a Run does.
    await until((s) => s.kind === 'empty', 'the prompt');
    // Keys that go in before the command are on the line before it: the shell runs them together.
    session.input('echo TYPED-AHEAD; ');
    expect(await session.typeCommand('echo "hello from the tutorial"')).toEqual({
      executed: true,
      exitCode: 0,
      ran: 'echo TYPED-AHEAD; echo "hello from the tutorial"',
    });
  });

  it('an Enter on an empty line and a Ctrl-C at the prompt end a round without a command', async () => {
    let end = session.nextCommandEnd();
    session.input('\r');
    expect(await end).toEqual({ executed: false, exitCode: 0 });
    await until((s) => s.kind === 'empty', 'the prompt');
    end = session.nextCommandEnd();
    session.input('abc\x03');
    expect(await end).toEqual({ executed: false, exitCode: 130 });
  });

  it('keeps the prompt marked when PS1 changes, as a virtualenv activate script does', async () => {
    await session.typeCommand('PS1="(venv) $PS1"');
    await until((s) => s.kind === 'empty', 'the new prompt');
    session.input('x');
    expect(await until((s) => s.kind === 'text', 'the text')).toEqual({ kind: 'text', text: 'x' });
    session.input('\x15');
    expect(await session.typeCommand('echo still marked')).toMatchObject({ ran: 'echo still marked' });
  });

  it('takes no prompt or command end from output that imitates them while a command runs', async () => {
    const command = `printf '\\033]133;B\\007\\033]133;D;0\\007'; ${waitingCommand()}`;
    session.input(`${command}\r`);
    expect(await until((s) => s.kind === 'busy', 'the command to run')).toEqual({ kind: 'busy', command });
    expect(session.busy).toBe(true);
    writeFileSync(gate(), '');
    await until((s) => s.kind === 'empty', 'the prompt after it');
  });
});

/**
 * A learner's PROMPT_COMMAND hook that takes its time (pyenv-virtualenv's runs pyenv at every
 * prompt; tests/fixtures/shells/slow-prompt-hook is the learner's HOME): between the shell's 133;D
 * and the prompt's 133;B, keys already reach the terminal but not readline, which reads them only
 * once it has drawn the prompt.
 */
describe('PromptState with a slow PROMPT_COMMAND hook', () => {
  let dir: string;
  let session: TerminalSession;
  const gate = () => join(dir, 'go');
  const waitingCommand = () => `until [ -e ${gate()} ]; do sleep 0.02; done`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prompt-state-slow-'));
    mkdirSync(join(dir, 'shells'), { mode: 0o700 });
    cpSync(join(FIXTURES, 'slow-prompt-hook'), join(dir, 'home'), { recursive: true });
    session = new TerminalSession({
      name: 'prompt-slow',
      cwd: dir,
      shellsDir: join(dir, 'shells'),
      env: { ...process.env, HOME: join(dir, 'home') },
      cols: 100,
      rows: 24,
      replayLimit: 256 * 1024,
    });
  });
  afterEach(async () => {
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keys typed before the first prompt land on its line: a Run asked at once finds their command running, not an empty prompt', async () => {
    const command = waitingCommand();
    session.input(`${command}\r`);
    session.input('echo TYPED-AHEAD');
    expect(await session.started(15_000)).toBe(true);
    expect(await session.lineState()).toEqual({ kind: 'busy', command });
    writeFileSync(gate(), '');
    expect(await session.nextCommandEnd()).toMatchObject({ executed: true, ran: command });
  });

  it('keys typed while a later prompt comes back count for that prompt: its command, or its text', async () => {
    await session.started(15_000);
    const first = waitingCommand();
    session.input(`${first}\r`);
    let end = session.nextCommandEnd();
    writeFileSync(gate(), '');
    await end;
    // 133;D has come; the hook sleeps a second before the prompt is drawn.
    rmSync(gate());
    const second = `${waitingCommand()} # again`;
    session.input(`${second}\r`);
    expect(await session.lineState()).toEqual({ kind: 'busy', command: second });
    end = session.nextCommandEnd();
    writeFileSync(gate(), '');
    await end;
    session.input('echo not yet');
    expect(await session.lineState()).toEqual({ kind: 'text', text: 'echo not yet' });
  });
});
