import { expect, openChapter, terminalText, test } from './fixtures.ts';

/** A chapter open in two tabs: the terminal is in one of them at a time (issue 15, point 6). */

// Wide enough that no command here wraps in the terminal (its text is read row by row).
test.use({ viewport: { width: 2200, height: 1000 } });

test('a second tab takes the terminal; the first says so, reads "Detached", and "Use it here" brings it back', async ({
  page,
  context,
  server,
}) => {
  await openChapter(page, server);
  const second = await context.newPage();
  await openChapter(second, server);

  const first = page.locator('.terminal-dock');
  await expect(first.locator('.terminal-dock__status')).toHaveText('Detached');
  const notice = first.locator('.terminal-dock__message');
  await expect(notice).toContainText('This chapter\'s terminal moved to another tab. Press "Use it here" to bring it back to this one.');
  await expect(notice.getByRole('button', { name: 'Use it here' })).toBeVisible();

  // Keys typed in the first tab are not lost in silence: it says where the terminal is.
  await page.locator('.terminal-dock .xterm-helper-textarea').focus();
  await page.keyboard.type('echo from-the-first-tab');
  await expect(notice).toContainText("This chapter's terminal is in use in another tab.");
  await expect(notice.getByRole('button', { name: 'Use it here' })).toBeVisible();
  // The keys did not reach the shell.
  await second.locator('.terminal-dock .xterm-helper-textarea').focus();
  await second.keyboard.type('echo from-the-second-tab');
  await expect.poll(() => terminalText(second)).toContain('echo from-the-second-tab');
  expect(await terminalText(second)).not.toContain('from-the-first-tab');
  // No protocol words reach the learner in either tab.
  for (const p of [page, second]) await expect(p.locator('body')).not.toContainText('send "attach"');

  await notice.getByRole('button', { name: 'Use it here' }).click();
  await expect(first.locator('.terminal-dock__status')).toHaveText('Connected');
  await expect(first).toHaveAttribute('data-attached', 'true');
  await expect(notice).toBeHidden();
  await expect(second.locator('.terminal-dock__status')).toHaveText('Detached');
  // The shell came along, with what the second tab typed on its line.
  await expect.poll(() => terminalText(page)).toContain('echo from-the-second-tab');
});

test('Run in a tab that gave the terminal away waits for "Use it here", then runs there', async ({ page, context, server }) => {
  await openChapter(page, server);
  const second = await context.newPage();
  await openChapter(second, server);
  await expect(page.locator('.terminal-dock__status')).toHaveText('Detached');
  const hello = page.locator('.tutorial-step[data-step="say-hello"]');
  await hello.getByRole('button', { name: 'Run', exact: true }).click();
  const notice = page.locator('.terminal-dock__message');
  await expect(notice).toContainText("This chapter's terminal is in use in another tab.");
  await expect(hello).toHaveAttribute('data-state', 'not-started');
  await notice.getByRole('button', { name: 'Use it here' }).click();
  await expect(hello).toHaveAttribute('data-state', 'passed');
  await expect(page.locator('.terminal-dock__status')).toHaveText('Connected');
});

test('when the tab that took the terminal closes, the first tab gets it back by itself (issue 20)', async ({ page, context, server }) => {
  await openChapter(page, server);
  const second = await context.newPage();
  await openChapter(second, server);
  const first = page.locator('.terminal-dock');
  await expect(first.locator('.terminal-dock__status')).toHaveText('Detached');
  await second.locator('.terminal-dock .xterm-helper-textarea').focus();
  await second.keyboard.type('echo typed-in-the-second-tab');

  await second.close();
  await expect(first.locator('.terminal-dock__status')).toHaveText('Connected');
  await expect(first).toHaveAttribute('data-attached', 'true');
  await expect(first.locator('.terminal-dock__message')).toBeHidden();
  // The same shell, with what the second tab typed on its line, and Run works here again.
  await expect.poll(() => terminalText(page)).toContain('echo typed-in-the-second-tab');
  await page.locator('.terminal-dock .xterm-helper-textarea').focus();
  await page.keyboard.press('Control+U');
  const hello = page.locator('.tutorial-step[data-step="say-hello"]');
  await hello.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(hello).toHaveAttribute('data-state', 'passed');
});
