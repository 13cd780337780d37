import { startTestServer } from '../helpers/server.ts';
import { expect, openChapter, terminalText, test } from './fixtures.ts';

/** The tutorial server restarts in the middle of a chapter (issue 15, point 11). */

test("the overlay names the exact restart command; afterwards the terminal says the shell is new, and the new shell has the stack's variables", async ({
  page,
  server,
}) => {
  await openChapter(page, server, 'tracking-experiments');
  const uri = page.locator('.tutorial-step[data-step="tracking-uri"]');
  // The first command sets a variable in the shell; the second needs MLflow, which is not here.
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
    // The step's commands change nothing in the shell itself: the shells get the stack's
    // variables from the server (MLFLOW_TRACKING_URI among them), the new one too. So the notice
    // names no step to run again and the step has no note. (A chapter step that does change the
    // shell is named in the notice: tests/integration/terminal/shell-integration.test.ts.)
    expect((await terminalText(page)).replaceAll('\n', '')).not.toContain('Run again:');
    await expect(uri.locator('.tutorial-step__shell-note')).toHaveCount(0);
    // Run again in the new shell: the variable is there.
    await uri.getByRole('button', { name: 'Run', exact: true }).first().click();
    await expect(uri.locator('.tutorial-step__state')).toHaveText('1 of 2 done');
    await expect
      .poll(async () => (await terminalText(page)).replaceAll('\n', ''))
      .toMatch(/echo "\$MLFLOW_TRACKING_URI"http:\/\/127\.0\.0\.1:\d+/);
  } finally {
    await again.close();
  }
});
