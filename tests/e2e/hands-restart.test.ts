import { startTestServer } from '../helpers/server.ts';
import { expect, openChapter, terminalText, test } from './fixtures.ts';

/** The tutorial server restarts in the middle of a chapter (issue 15, point 11). */

test('the overlay names the exact restart command; afterwards the terminal and the step say the shell is new', async ({ page, server }) => {
  await openChapter(page, server, 'tracking-experiments');
  const uri = page.locator('.tutorial-step[data-step="tracking-uri"]');
  // The first command shows the address the shell was given; the second needs MLflow, which is not here.
  await uri.getByRole('button', { name: 'Run', exact: true }).first().click();
  await expect(uri).toHaveAttribute('data-state', 'in-progress');
  await expect(uri.locator('.tutorial-step__state')).toHaveText('1 of 2 done');

  await server.close();
  const lost = page.locator('.terminal-dock__lost');
  await expect(lost).toBeVisible();
  await expect(lost.locator('code')).toHaveText(
    `npm start -- --port ${server.port} --workspace ${server.workspace} --state ${server.stateDir}`,
  );

  const again = await startTestServer({ port: server.port, stateDir: server.stateDir, workspace: server.workspace });
  try {
    await expect(page.locator('.terminal-dock__status')).toHaveText('Connected', { timeout: 30_000 });
    await expect(page.locator('.terminal-dock__message')).toContainText('This terminal is a new shell: the tutorial server restarted');
    await expect
      .poll(async () => (await terminalText(page)).replaceAll('\n', ''))
      .toContain('[This is a new shell: the one the earlier steps ran in has ended');
    // The shells get the stack's addresses (MLFLOW_TRACKING_URI, ...) from the server, so the first
    // command set nothing that the restart lost: no step is named to run again, and none carries a
    // note. (A step whose command sets shell state, such as `export`, is named: the integration
    // test of shell-integration covers that with a fixture chapter.)
    await expect.poll(async () => (await terminalText(page)).replaceAll('\n', '')).toContain('This is a new shell');
    expect((await terminalText(page)).replaceAll('\n', '')).not.toContain('Run again:');
    const note = uri.locator('.tutorial-step__shell-note');
    await expect(note).toHaveCount(0);
    // The step goes on in the new shell, which has the address too.
    await uri.getByRole('button', { name: 'Run', exact: true }).first().click();
    await expect(uri.locator('.tutorial-step__state')).toHaveText('1 of 2 done');
    await expect(note).toHaveCount(0);
  } finally {
    await again.close();
  }
});

test('a tab that gave its terminal away reconnects after a restart to the new shell: not "Detached", not the old output (issue 20)', async ({
  page,
  context,
  server,
}) => {
  await openChapter(page, server);
  await page.locator('.terminal-dock .xterm-helper-textarea').focus();
  await page.keyboard.type('echo before-the-restart');
  await page.keyboard.press('Enter');
  await expect.poll(() => terminalText(page)).toMatch(/^before-the-restart$/m);
  const second = await context.newPage();
  await openChapter(second, server);
  await expect(page.locator('.terminal-dock__status')).toHaveText('Detached');

  // The server stops; the tab that had taken the terminal is closed meanwhile.
  await server.close();
  await expect(page.locator('.terminal-dock__lost')).toBeVisible();
  await second.close();
  const again = await startTestServer({ port: server.port, stateDir: server.stateDir, workspace: server.workspace });
  try {
    // As the overlay promised: this page reconnects by itself, to a new shell.
    await expect(page.locator('.terminal-dock__status')).toHaveText('Connected', { timeout: 30_000 });
    await expect(page.locator('.terminal-dock')).toHaveAttribute('data-attached', 'true');
    await expect(page.locator('.terminal-dock')).not.toHaveAttribute('data-detached', 'true');
    await expect(page.locator('.terminal-dock__message')).toContainText('This terminal is a new shell');
    await expect.poll(() => terminalText(page)).not.toContain('before-the-restart');
    // Run does what it says.
    const hello = page.locator('.tutorial-step[data-step="say-hello"]');
    await hello.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(hello).toHaveAttribute('data-state', 'passed');
  } finally {
    await again.close();
  }
});
