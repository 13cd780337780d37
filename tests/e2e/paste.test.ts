import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, openChapter, terminalText, test } from './fixtures.ts';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

test('a 120 KB paste into the terminal arrives whole', async ({ page, server }) => {
  await openChapter(page, server);
  // 1,200 lines of 99 characters and a newline: more than one websocket message can carry.
  const lines = Array.from({ length: 1200 }, (_, i) => `${String(i).padStart(5, '0')} ${'é'.repeat(10)}${'x'.repeat(83)}`);
  const text = `${lines.join('\n')}\n`;
  const textarea = page.locator('.terminal-dock .xterm-helper-textarea');
  await textarea.focus();
  await page.keyboard.type('cat > pasted.txt');
  await page.keyboard.press('Enter');
  await expect.poll(() => terminalText(page)).toContain('cat > pasted.txt');
  // A real paste event, as the browser fires it for Ctrl-V: xterm turns it into terminal input.
  await textarea.evaluate((el, data) => {
    const clipboardData = new DataTransfer();
    clipboardData.setData('text/plain', data);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
  }, text);
  // Ctrl-D ends cat's input; wait for the file to be complete.
  await page.keyboard.press('Control+D');
  const file = join(server.workspace, 'pasted.txt');
  await expect
    .poll(() => {
      try {
        return sha(readFileSync(file));
      } catch {
        return '';
      }
    })
    .toBe(sha(text));
});
