import { expect, terminalText, test } from './fixtures.ts';

test.describe('a chapter page', () => {
  test('Run types the command into a real shell and Check shows a pass', async ({ page, server }) => {
    await page.goto(`${server.url}chapters/hello-terminal/`);
    await expect(page.locator('meta[name="tutorial-token"]')).toHaveAttribute('content', server.token);
    await expect(page.locator('.terminal-dock__status')).toHaveText('Connected');
    const step = page.locator('.tutorial-step[data-step="say-hello"]');
    await step.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => terminalText(page)).toContain('hello from the tutorial');
    // The check runs by itself when the command ends; pressing Check runs it again.
    await expect(step).toHaveAttribute('data-state', 'passed');
    await step.getByRole('button', { name: 'Check' }).click();
    await expect(step.locator('.tutorial-step__result')).toContainText('Passed');
  });

  test('a failing check shows its message', async ({ page, server }) => {
    await page.goto(`${server.url}chapters/hello-terminal/`);
    await expect(page.locator('.terminal-dock__status')).toHaveText('Connected');
    const step = page.locator('.tutorial-step[data-step="find-the-note"]');
    await step.getByRole('button', { name: 'Check' }).click();
    await expect(step).toHaveAttribute('data-state', 'failed');
    await expect(step.locator('.tutorial-step__result')).toContainText('There is no note.txt in your workspace yet.');
  });
});
