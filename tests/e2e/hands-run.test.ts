import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, openChapter, terminalText, test } from './fixtures.ts';

/**
 * Run types exactly the tutorial's command, or refuses with a one-click way out: written as a
 * learner with a keyboard acts (issue 15, points 1, 2, 3 and 7).
 */

const HELLO = 'echo "hello from the tutorial" | tee hello.txt';
const step = (page: Page, id: string) => page.locator(`.tutorial-step[data-step="${id}"]`);
/** Puts the keyboard into the terminal, as a click on it does. */
const typeInTerminal = async (page: Page, keys: string) => {
  await page.locator('.terminal-dock .xterm-helper-textarea').focus();
  await page.keyboard.type(keys);
};
/** The terminal's text on one line (a long command wraps across rows). */
const flatText = async (page: Page) => (await terminalText(page)).replaceAll('\n', '');
/** The prompt's row with nothing typed after it, as the test shells draw it. */
const emptyPromptAtEnd = /[$#]$/m;

test.describe('Run and the prompt line', () => {
  // Wide enough that no command here wraps in the terminal (its text is read row by row).
  test.use({ viewport: { width: 2200, height: 1000 } });

  test('type and erase, then Run: the emptied line takes the command and the step passes', async ({ page, server }) => {
    await openChapter(page, server);
    await typeInTerminal(page, 'ec');
    await expect.poll(() => terminalText(page)).toMatch(/[$#] ec$/m);
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await expect.poll(() => terminalText(page)).toMatch(emptyPromptAtEnd);
    const hello = step(page, 'say-hello');
    await hello.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(hello).toHaveAttribute('data-state', 'passed');
    await expect(hello.locator('.tutorial-step__refusal')).toBeHidden();
  });

  test('text left at the prompt: Run is refused with the line, and "Clear the line and run" runs the command alone', async ({
    page,
    server,
  }) => {
    await openChapter(page, server);
    await typeInTerminal(page, 'echo left-over');
    await expect.poll(() => terminalText(page)).toMatch(/echo left-over$/m);
    const hello = step(page, 'say-hello');
    await hello.getByRole('button', { name: 'Run', exact: true }).click();
    const refusal = hello.locator('.tutorial-step__refusal');
    await expect(refusal).toContainText(
      "The terminal's prompt line already holds echo left-over, so Run did not type the command after it.",
    );
    await expect(refusal.locator('code')).toHaveText('echo left-over');
    await expect(hello).toHaveAttribute('data-state', 'not-started');
    await refusal.getByRole('button', { name: 'Clear the line and run' }).click();
    await expect(hello).toHaveAttribute('data-state', 'passed');
    await expect(refusal).toBeHidden();
    // The line was cleared (bash shows ^C) and the command ran on its own line.
    await expect.poll(() => terminalText(page)).toMatch(/echo left-over\^C/);
    expect(await flatText(page)).not.toContain(`left-over${HELLO}`);
  });

  test('Tab Tab, then Run: the completion question refuses it, and "Clear the line and run" runs it', async ({ page, server }) => {
    await openChapter(page, server);
    await page.locator('.terminal-dock .xterm-helper-textarea').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect.poll(() => terminalText(page)).toMatch(/Display all \d+ possibilities\? \(y or n\)$/m);
    const note = step(page, 'find-the-note');
    await note.getByRole('button', { name: 'Run', exact: true }).click();
    const refusal = note.locator('.tutorial-step__refusal');
    await expect(refusal).toContainText('The terminal is waiting for an answer (Display all');
    await expect(note).toHaveAttribute('data-state', 'not-started');
    await refusal.getByRole('button', { name: 'Clear the line and run' }).click();
    await expect(note).toHaveAttribute('data-state', 'passed');
    await expect(note.locator('.tutorial-step__result')).toContainText('Passed.');
  });

  test('typing while a command runs, then Run: the typed text never runs with the command, and a leftover file does not pass', async ({
    page,
    server,
  }) => {
    // hello.txt from an earlier attempt, an hour old.
    const old = join(server.workspace, 'hello.txt');
    writeFileSync(old, 'hello from the tutorial\n');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(old, hourAgo, hourAgo);
    await openChapter(page, server);
    // A command that runs until the test lets it end (a file appears), reading no input meanwhile.
    await typeInTerminal(page, 'until [ -e go ]; do sleep 0.1; done');
    await page.keyboard.press('Enter');
    await typeInTerminal(page, 'echo TYPED-AHEAD');
    const hello = step(page, 'say-hello');
    // While it runs, Run is refused, naming the command that runs.
    await hello.getByRole('button', { name: 'Run', exact: true }).click();
    const refusal = hello.locator('.tutorial-step__refusal');
    await expect(refusal).toContainText('The terminal is still running until [ -e go ]; do sleep 0.1; done');
    await expect(refusal.getByRole('button', { name: 'Interrupt it and run' })).toBeVisible();
    // It ends; the typed text waits on the next prompt line, and Run is refused again.
    writeFileSync(join(server.workspace, 'go'), '');
    await expect.poll(() => terminalText(page)).toMatch(/[$#] echo TYPED-AHEAD$/m);
    await hello.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(refusal).toContainText('already holds echo TYPED-AHEAD');
    await expect(hello).not.toHaveAttribute('data-state', 'passed');
    expect(await flatText(page)).not.toContain(`TYPED-AHEAD${HELLO}`);
    // This attempt began with the click: Check does not pass on the hour-old hello.txt.
    await hello.getByRole('button', { name: 'Check' }).click();
    await expect(hello).toHaveAttribute('data-state', 'failed');
    await expect(hello.locator('.tutorial-step__message')).toContainText('A hello.txt left from an earlier attempt does not count.');
    await expect(hello.locator('.tutorial-step__hint')).toContainText(
      "Press Run again, or type the step's command yourself, then press Check.",
    );
    await refusal.getByRole('button', { name: 'Clear the line and run' }).click();
    await expect(hello).toHaveAttribute('data-state', 'passed');
    expect(await flatText(page)).not.toMatch(/TYPED-AHEAD\s*echo "hello/);
  });

  test('a step of two commands: "1 of 2 done", the next Run highlighted, no spinner between, then Run all', async ({ page, server }) => {
    await openChapter(page, server, 'before-you-start');
    const both = step(page, 'python-and-git');
    const commands = both.locator('.tutorial-step__command');
    await both.getByRole('button', { name: 'Run', exact: true }).first().click();
    await expect(both).toHaveAttribute('data-state', 'in-progress');
    await expect(both.locator('.tutorial-step__state')).toHaveText('1 of 2 done');
    await expect(commands.nth(0)).toHaveAttribute('data-command-state', 'done');
    await expect(commands.nth(0).locator('.tutorial-step__command-state')).toHaveText('Done');
    await expect(commands.nth(1)).toHaveAttribute('data-command-state', 'next');
    // Nothing runs now: no spinner, and the page says nothing is busy.
    await expect(both.locator('.state-icon__busy')).toBeHidden();
    await expect(both).toHaveAttribute('aria-busy', 'false');
    await commands.nth(1).getByRole('button', { name: 'Run', exact: true }).click();
    await expect(both).toHaveAttribute('data-state', 'passed');
    await expect(commands.nth(1)).toHaveAttribute('data-command-state', 'done');

    // Run all commands of this step: a new attempt, each command typed once the one before ended.
    await page.locator('.terminal-dock .xterm-helper-textarea').focus();
    await page.keyboard.type('clear');
    await page.keyboard.press('Enter');
    await expect.poll(() => terminalText(page)).not.toContain('git --version');
    await both.getByRole('button', { name: 'Run all commands of this step' }).click();
    await expect.poll(() => terminalText(page)).toMatch(/^git version \S+$/m);
    await expect(both).toHaveAttribute('data-state', 'passed');
    await expect(commands.nth(0)).toHaveAttribute('data-command-state', 'done');
    await expect(commands.nth(1)).toHaveAttribute('data-command-state', 'done');
    const text = await terminalText(page);
    // Typed into a busy shell, a command would show twice (the terminal's echo, then the prompt's).
    expect(text.split('python3 --version').length - 1).toBe(1);
    expect(text.split('git --version').length - 1).toBe(1);
    expect(text.indexOf('Python 3.')).toBeLessThan(text.indexOf('git --version'));
  });
});
