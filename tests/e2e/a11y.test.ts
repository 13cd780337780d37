import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, openChapter, test } from './fixtures.ts';

/** axe-core's serious and critical violations on the page as it is now, one line per element. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ').trim()}`),
    );
}

for (const theme of ['light', 'dark'] as const) {
  test.describe(`accessibility in the ${theme} theme`, () => {
    test.beforeEach(async ({ page }) => {
      await page.addInitScript((t) => localStorage.setItem('starlight-theme', t), theme);
    });

    test('the home page has no serious or critical axe violation', async ({ page, server }) => {
      await page.goto(server.url);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      expect(await seriousViolations(page)).toEqual([]);
    });

    test('a chapter, with a passed and a failed step and the terminal open, has none', async ({ page, server }) => {
      await openChapter(page, server);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      const hello = page.locator('.tutorial-step[data-step="say-hello"]');
      await hello.getByRole('button', { name: 'Run' }).click();
      await expect(hello).toHaveAttribute('data-state', 'passed');
      const note = page.locator('.tutorial-step[data-step="find-the-note"]');
      await note.getByRole('button', { name: 'Check' }).click();
      await expect(note).toHaveAttribute('data-state', 'failed');
      await note.locator('details.tutorial-step__evidence summary').click();
      expect(await seriousViolations(page)).toEqual([]);
    });

    test('a chapter whose terminal is hidden, and its confirmation dialog, have none', async ({ page, server }) => {
      await openChapter(page, server);
      await page.getByRole('button', { name: 'Hide the terminal' }).click();
      await expect(page.getByRole('button', { name: 'Show the terminal' })).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Reset this chapter' }).click();
      await expect(page.getByRole('dialog')).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
    });

    test('a complete chapter, with its completion lines, has none', async ({ page, server }) => {
      await openChapter(page, server);
      for (const id of ['say-hello', 'find-the-note', 'load-logging-config']) {
        const step = page.locator(`.tutorial-step[data-step="${id}"]`);
        await step.getByRole('button', { name: 'Run' }).click();
        await expect(step).toHaveAttribute('data-state', 'passed');
      }
      await expect(page.locator('.chapter-done').first()).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
    });

    test('the progress page, with a result, has none', async ({ page, server }) => {
      await openChapter(page, server);
      const note = page.locator('.tutorial-step[data-step="find-the-note"]');
      await note.getByRole('button', { name: 'Check' }).click();
      await expect(note).toHaveAttribute('data-state', 'failed');
      await page.goto(`${server.url}progress/`);
      await expect(page.locator('[data-step="find-the-note"]')).toHaveAttribute('data-state', 'failed');
      expect(await seriousViolations(page)).toEqual([]);
    });
  });
}
