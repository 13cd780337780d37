import { afterEach, describe, expect, it } from 'vitest';
import { ScreenMirror } from '../../../server/terminal/screen.ts';

/** The screen mirror fed the way a bash prompt and readline draw (bytes as a real shell sends them). */
describe('ScreenMirror', () => {
  let m: ScreenMirror;
  afterEach(() => m?.dispose());

  const prompt = async (text = '$ ') => {
    m.write(text);
    m.promptEnded();
    await m.flushed();
  };
  const line = async () => {
    await m.flushed();
    return m.line();
  };

  it('knows nothing before a prompt was drawn', async () => {
    m = new ScreenMirror(40, 10);
    m.write('starting…\r\n');
    expect(await line()).toEqual({ where: 'unknown' });
  });

  it('reads what follows the prompt, and nothing once it is erased with backspaces', async () => {
    m = new ScreenMirror(40, 10);
    await prompt('user@host:~$ ');
    expect(await line()).toEqual({ where: 'prompt', text: '' });
    m.write('ec');
    expect(await line()).toEqual({ where: 'prompt', text: 'ec' });
    // readline erases a character with BS, space, BS.
    m.write('\b \b\b \b');
    expect(await line()).toEqual({ where: 'prompt', text: '' });
  });

  it("leaves zsh's right prompt out of the line while it shows, and reads typed text that has covered it", async () => {
    m = new ScreenMirror(40, 10);
    await prompt('% ');
    // zsh draws the right prompt after the left one, then moves the cursor back.
    m.write('\x1b[27C');
    m.rightPrompt('start');
    m.write('✔ 12:00:00');
    m.rightPrompt('end');
    m.write('\x1b[10D\x1b[27D');
    expect(await line()).toEqual({ where: 'prompt', text: '' });
    m.write('echo hi');
    expect(await line()).toEqual({ where: 'prompt', text: 'echo hi' });
    // A longer line: zsh erases the right prompt first (to the end of the line), then the text covers it.
    m.write(`\x1b[K${'x'.repeat(30)}`);
    expect(await line()).toEqual({ where: 'prompt', text: `echo hi${'x'.repeat(30)}` });
  });

  it('reads a line that wraps onto the next rows as one', async () => {
    m = new ScreenMirror(20, 10);
    await prompt('$ ');
    const long = `echo ${'x'.repeat(40)}`;
    m.write(long);
    expect(await line()).toEqual({ where: 'prompt', text: long });
  });

  it('is elsewhere when readline asks below the prompt, and back at the prompt when it draws a new one', async () => {
    m = new ScreenMirror(60, 10);
    await prompt('$ ');
    m.write('\r\nDisplay all 2130 possibilities? (y or n)');
    expect(await line()).toEqual({ where: 'elsewhere', text: 'Display all 2130 possibilities? (y or n)' });
    m.write('\r\n');
    await prompt('$ ');
    expect(await line()).toEqual({ where: 'prompt', text: '' });
  });

  it('skips a running command’s output, keeps its last lines, and reads the next prompt’s line', async () => {
    m = new ScreenMirror(40, 10);
    await prompt('$ ');
    m.write('printf foo\r\n');
    m.commandStarted();
    for (let i = 0; i < 1000; i++) m.write(`line ${i}\r\n`);
    m.write('foo');
    m.commandFinished();
    await prompt('$ ');
    m.write('ls');
    expect(await line()).toEqual({ where: 'prompt', text: 'ls' });
  });
});
