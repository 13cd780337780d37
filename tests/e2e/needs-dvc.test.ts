import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { hasWheelhouse, offlinePython, testEnv } from '../helpers/env.ts';
import { expect, openChapter, terminalText, test } from './fixtures.ts';

/**
 * A learner opens "Version your data with DVC" in a fresh workspace: the page says what is missing
 * from earlier chapters (the virtualenv of "Before you start"), catches up with one click after
 * showing the commands, and the chapter's own steps then work in the same terminal. The real pip
 * install runs, from the wheelhouse (tests/helpers/env.ts) instead of the network.
 */

const CHAPTER = 'data-versioning';
const step = (page: Page, id: string) => page.locator(`.tutorial-step[data-step="${id}"]`);

test.describe('a chapter opened before the chapters it builds on', () => {
  test.skip(
    !hasWheelhouse() && !process.env.CI,
    `no wheelhouse at ${testEnv.wheelhouse}: make it with \`pip wheel -r workspace/requirements.txt -w ${testEnv.wheelhouse}\` (bash .ci/run does)`,
  );

  test('shows what is missing, catches up across chapters, and the chapter then works in the same terminal', async ({ page, server }) => {
    // The real pip install: 3 min 42 s for `python3 -m venv` and the install from the wheelhouse
    // alone, measured on this shared machine at a load average of 16.
    test.setTimeout(600_000);
    const saved = Object.fromEntries(Object.keys(offlinePython).map((k) => [k, process.env[k]]));
    Object.assign(process.env, offlinePython);
    try {
      await openChapter(page, server, CHAPTER);
      const panel = page.locator('.needs-panel');
      await expect(panel).toBeVisible();
      await expect(panel.getByRole('heading', { name: 'Missing from earlier chapters' })).toBeVisible();
      // Python and git are there; the virtualenv is not, and the panel says why.
      const venv = panel.locator('[data-need="before-you-start/python-venv"]');
      await expect(venv).toBeVisible();
      await expect(venv).toContainText('Create the Python environment, in “Before you start”');
      // There is no .venv at all: the panel says so, with the packages as requirements.txt names them.
      await expect(venv.locator('.needs-panel__why')).toHaveText(
        'There is no Python environment in .venv yet, so fluent-logger, PyYAML, mlflow-skinny and dvc (requirements.txt) are not installed.',
      );
      await expect(venv.getByRole('link', { name: 'Create the Python environment' })).toHaveAttribute(
        'href',
        '/chapters/before-you-start/#python-venv',
      );
      await expect(panel.locator('[data-need="before-you-start/python-and-git"]')).toBeHidden();

      // The commands are shown first.
      await panel.getByRole('button', { name: 'Catch me up' }).click();
      const dialog = page.getByRole('dialog', { name: 'Catch up with the earlier chapters?' });
      await expect(dialog).toBeVisible();
      await expect(dialog.locator('pre')).toHaveText(['python3 -m venv .venv', '.venv/bin/pip install -r requirements.txt']);
      await dialog.getByRole('button', { name: 'Run 1 step' }).click();

      // How it goes is told where the learner clicked, in the panel.
      const status = panel.locator('.needs-panel__status');
      await expect(status).toHaveText('Running “Create the Python environment” from “Before you start” (1 of 1)…');
      await expect(status).toBeInViewport();
      await expect(status).toHaveText('Done: you are caught up (1 step passed).', { timeout: 480_000 });
      await expect(panel.locator('.needs-panel__list')).toBeHidden();
      // The panel follows the steps' state: nothing is missing any more, so it no longer says so,
      // and offers no catch-up beside "you are caught up" (issue 20).
      await expect(panel.getByRole('heading', { name: 'Missing from earlier chapters' })).toBeHidden();
      await expect(panel.getByRole('button', { name: 'Catch me up' })).toBeHidden();
      await expect(panel.locator('.needs-panel__intro')).toBeHidden();
      await expect(status).toBeVisible();
      // The commands ran in this chapter's terminal, whose prompt now shows the virtualenv it picked up.
      await expect.poll(async () => (await terminalText(page)).replaceAll('\n', '')).toMatch(/dvc-3\.67\.1.*\(\.venv\) /);

      // The chapter's own steps now run in the same terminal, which uses the new virtualenv:
      // Catch me up to here, on step 2, says how it goes beside that button.
      const second = step(page, 'make-version-1');
      await second.getByRole('button', { name: 'Catch me up to here' }).click();
      const toHere = page.getByRole('dialog', { name: 'Catch up to step 2?' });
      await expect(toHere.locator('pre').first()).toHaveText('git init');
      await toHere.getByRole('button', { name: 'Run 2 steps' }).click();
      const beside = second.locator('.catch-up-status');
      await expect(beside).toBeInViewport();
      await expect(beside).toHaveText('Done: you are caught up (2 steps passed).', { timeout: 60_000 });
      await expect(step(page, 'init-repos')).toHaveAttribute('data-state', 'passed');
      await expect(second).toHaveAttribute('data-state', 'passed');
      // The repositories are there (the screen may have scrolled past `dvc init`'s own words).
      expect(existsSync(join(server.workspace, '.dvc', 'config'))).toBe(true);
      expect(existsSync(join(server.workspace, '.git'))).toBe(true);
      // The tutorial turns DVC's anonymous usage analytics off right after `dvc init`, and says so.
      expect(readFileSync(join(server.workspace, '.dvc', 'config'), 'utf8')).toMatch(/^\s*analytics = false$/m);
      await expect(step(page, 'init-repos').locator('.tutorial-step__prose')).toContainText('analytics');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

test.describe('the panel of what a chapter lacks', () => {
  for (const theme of ['light', 'dark'] as const) {
    test(`the panel of what is missing has no serious or critical axe violation (${theme})`, async ({ page, server }) => {
      await page.addInitScript((t) => localStorage.setItem('starlight-theme', t), theme);
      await openChapter(page, server, CHAPTER);
      await expect(page.locator('.needs-panel [data-need="before-you-start/python-venv"]')).toBeVisible();
      const { violations } = await new AxeBuilder({ page }).include('.needs-panel').analyze();
      expect(
        violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
      ).toEqual([]);
    });
  }
});
