import { renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startTestServer } from '../helpers/server.ts';
import { expect, openChapter, terminalText, test } from './fixtures.ts';

const CHAPTER = 'hello-terminal';
const step = (page: Page, id: string) => page.locator(`.tutorial-step[data-step="${id}"]`);
const sidebarCount = (page: Page) => page.locator(`nav.sidebar .sidebar-progress[data-chapter="${CHAPTER}"] .sidebar-progress__text`);

test.describe('a chapter page', () => {
  test('Run types the command, its output appears, the check passes by itself and the sidebar moves', async ({ page, server }) => {
    await openChapter(page, server);
    await expect(sidebarCount(page)).toHaveText('0/3');
    const hello = step(page, 'say-hello');
    await hello.getByRole('button', { name: 'Run' }).click();
    // The command is typed visibly, then its output follows on a line of its own. A long line wraps,
    // and a space where it wraps ends a row, which reads like the row's blank rest: compare
    // without whitespace.
    await expect
      .poll(async () => (await terminalText(page)).replace(/\s+/g, ''))
      .toContain('echo "hello from the tutorial" | tee hello.txt'.replace(/\s+/g, ''));
    await expect.poll(() => terminalText(page)).toMatch(/^hello from the tutorial$/m);
    await expect(hello).toHaveAttribute('data-state', 'passed');
    await expect(hello.locator('.tutorial-step__state')).toHaveText('Passed');
    await expect(hello.locator('.tutorial-step__result')).toContainText('Passed.');
    await expect(sidebarCount(page)).toHaveText('1/3');
    await expect(page.locator('.chapter-bar__count')).toHaveText('1 of 3 steps passed');
    // The result is read out once, in the page's live region.
    await expect(page.locator('#tutorial-announcer')).toContainText('Step 1, Say hello from your shell: passed.');
  });

  test('a failing check shows its message and hint, and its evidence opens', async ({ page, server }) => {
    await openChapter(page, server);
    const note = step(page, 'find-the-note');
    await note.getByRole('button', { name: 'Check' }).click();
    await expect(note).toHaveAttribute('data-state', 'failed');
    const result = note.locator('.tutorial-step__result');
    await expect(result.locator('.tutorial-step__message')).toContainText('There is no note.txt in your workspace yet.');
    await expect(result.locator('.tutorial-step__hint')).toBeVisible();
    // The chapter's own hint for the step shows once it failed.
    await expect(note.locator('.tutorial-step__tips')).toContainText('echo hi > note.txt');
    const evidence = result.locator('details.tutorial-step__evidence');
    await expect(evidence.locator('pre').first()).toBeHidden();
    await evidence.locator('summary').click();
    await expect(evidence).toHaveAttribute('open', '');
    await expect(evidence.locator('pre').first()).toBeVisible();
    // A later progress message (another step's) must not fold it again.
    await step(page, 'load-logging-config').getByRole('button', { name: 'Check' }).click();
    await expect(step(page, 'load-logging-config')).toHaveAttribute('data-state', 'passed');
    await expect(evidence).toHaveAttribute('open', '');
  });

  test('after a reload, and after going to another page and back, the screen and the progress come back', async ({ page, server }) => {
    await openChapter(page, server);
    await step(page, 'say-hello').getByRole('button', { name: 'Run' }).click();
    await expect(step(page, 'say-hello')).toHaveAttribute('data-state', 'passed');
    await expect.poll(() => terminalText(page)).toMatch(/^hello from the tutorial$/m);

    await page.reload();
    await expect(page.locator('.terminal-dock__status')).toHaveText('Connected');
    await expect.poll(() => terminalText(page)).toMatch(/^hello from the tutorial$/m);
    await expect(step(page, 'say-hello')).toHaveAttribute('data-state', 'passed');
    await expect(step(page, 'say-hello').locator('.tutorial-step__result')).toContainText('Passed.');
    await expect(sidebarCount(page)).toHaveText('1/3');

    // The overview page lists the same state, over the same websocket without a terminal.
    await page.locator('nav.sidebar').getByRole('link', { name: 'Your progress' }).click();
    await expect(page).toHaveURL(/\/progress\/$/);
    const chapter = page.locator(`.progress-chapter[data-chapter="${CHAPTER}"]`);
    await expect(chapter.locator('[data-step="say-hello"]')).toHaveAttribute('data-state', 'passed');
    await expect(chapter.locator('.progress-chapter__count')).toHaveText('1 of 3 steps passed');
    await expect(page.locator('.terminal-dock')).toHaveCount(0);

    await page.goBack();
    await expect(page.locator('.terminal-dock__status')).toHaveText('Connected');
    await expect.poll(() => terminalText(page)).toMatch(/^hello from the tutorial$/m);
    await expect(step(page, 'say-hello')).toHaveAttribute('data-state', 'passed');
  });

  test('when the server stops the page says so, and it reconnects when the server starts again', async ({ page, server }) => {
    await openChapter(page, server);
    await server.close();
    await expect(page.locator('.terminal-dock__status')).toHaveText('Connection lost. Reconnecting…');
    await expect(page.locator('.terminal-dock__lost')).toBeVisible();
    await expect(page.locator('.terminal-dock__lost')).toContainText('The tutorial server is not answering.');

    // Same port and state folder, a new token: the page fetches itself again to learn it.
    const again = await startTestServer({ port: server.port, stateDir: server.stateDir, workspace: server.workspace });
    try {
      expect(again.token).not.toBe(server.token);
      await expect(page.locator('.terminal-dock__status')).toHaveText('Connected', { timeout: 30_000 });
      await expect(page.locator('.terminal-dock__lost')).toBeHidden();
      await expect(page.locator('meta[name="tutorial-token"]')).toHaveAttribute('content', again.token);
      // A new shell answers.
      await step(page, 'say-hello').getByRole('button', { name: 'Run' }).click();
      await expect(step(page, 'say-hello')).toHaveAttribute('data-state', 'passed');
    } finally {
      await again.close();
    }
  });

  test('no request leaves 127.0.0.1', async ({ page, server }) => {
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(server.url);
    await page.goto(`${server.url}progress/`);
    await openChapter(page, server);
    await step(page, 'say-hello').getByRole('button', { name: 'Run' }).click();
    await expect(step(page, 'say-hello')).toHaveAttribute('data-state', 'passed');
    // Search loads Pagefind's script, index and fragments on first use.
    await page.getByRole('button', { name: 'Search' }).click();
    await page.keyboard.type('terminal');
    await expect(page.locator('.pagefind-ui__result').first()).toBeVisible();
    expect(urls.length).toBeGreaterThan(5);
    const outside = urls.filter((u) => {
      const { protocol, hostname } = new URL(u);
      return !(protocol === 'data:' || protocol === 'blob:' || hostname === '127.0.0.1');
    });
    expect(outside).toEqual([]);
  });

  test('keyboard only: Tab reaches Run and Check, Enter presses them, focus is visible', async ({ page, server }) => {
    await openChapter(page, server);
    const hello = step(page, 'say-hello');
    const tabTo = async (name: string) => {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        // A string: tests are typechecked without DOM types.
        const here = await page.evaluate<string>(
          "`${document.activeElement?.closest('.tutorial-step')?.dataset.step}/${document.activeElement?.textContent?.trim()}`",
        );
        if (here === name) return;
      }
      throw new Error(`Tab never reached ${name}`);
    };
    await tabTo('say-hello/Run');
    const run = hello.getByRole('button', { name: 'Run' });
    await expect(run).toBeFocused();
    await expect(run).toHaveCSS('outline-style', 'solid');
    await page.keyboard.press('Enter');
    await expect(hello).toHaveAttribute('data-state', 'passed');
    await tabTo('say-hello/Check');
    await page.keyboard.press('Enter');
    await expect(hello).toHaveAttribute('data-state', 'passed');
    await expect(hello.locator('.tutorial-step__result')).toContainText('Passed.');
  });

  test('Run this chapter lists its commands, runs the steps and stops at the failing one with its diagnosis', async ({ page, server }) => {
    // Step 3 fails on a missing logging config, a failure the server recognises (signature
    // logging-config-not-found).
    renameSync(join(server.workspace, 'logging', 'logging.ini'), join(server.workspace, 'logging', 'logging.ini.away'));
    await openChapter(page, server);
    await page.getByRole('button', { name: 'Run this chapter for me' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run this chapter for you?' });
    await expect(dialog).toBeVisible();
    await expect(dialog.locator('pre')).toHaveText([
      'echo "hello from the tutorial" | tee hello.txt',
      'echo "a note from the tutorial" > note.txt',
      `python3 -c "import logging.config; logging.config.fileConfig('logging/logging.ini'); print('logging is configured')"`,
    ]);
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await dialog.getByRole('button', { name: 'Run the chapter' }).click();
    await expect(dialog).toBeHidden();

    const run = page.locator('.chapter-bar__run');
    await expect(run).toHaveAttribute('data-state', 'failed', { timeout: 45_000 });
    await expect(run).toContainText('Stopped at Step 3, Load the logging configuration: its check failed.');
    await expect(step(page, 'say-hello')).toHaveAttribute('data-state', 'passed');
    await expect(step(page, 'find-the-note')).toHaveAttribute('data-state', 'passed');
    const failed = step(page, 'load-logging-config');
    await expect(failed).toHaveAttribute('data-state', 'failed');
    const diagnosis = failed.locator('.tutorial-step__diagnosis');
    await expect(diagnosis).toContainText('Cause: Python could not find logging/logging.ini');
    await expect(diagnosis).toContainText('Fix: Run the script from the workspace folder');
    await expect(run.getByRole('button', { name: 'Stop' })).toBeHidden();
    await expect(sidebarCount(page)).toHaveText('2/3');
  });

  test('Reset asks first, says what it does not undo, and forgets the chapter’s results', async ({ page, server }) => {
    await openChapter(page, server);
    await step(page, 'say-hello').getByRole('button', { name: 'Run' }).click();
    await expect(sidebarCount(page)).toHaveText('1/3');
    await page.getByRole('button', { name: 'Reset this chapter' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset “Hello, terminal”?' });
    await expect(dialog).toContainText("forgets the stored check results of the chapter's 3 steps");
    await expect(dialog).toContainText('It does not undo what the commands did');
    await dialog.getByRole('button', { name: 'Forget 3 results' }).click();
    await expect(sidebarCount(page)).toHaveText('0/3');
    await expect(step(page, 'say-hello')).toHaveAttribute('data-state', 'not-started');
    await expect(step(page, 'say-hello').locator('.tutorial-step__result')).toBeHidden();
    // The terminal is left as it was.
    await expect.poll(() => terminalText(page)).toMatch(/^hello from the tutorial$/m);
  });

  test('the stack panel shows each service and links to its UI', async ({ page, server }) => {
    // From the chapter that starts the stack on, a service that does not answer is "down" (before
    // it, "not started yet": tests/e2e/newcomer.test.ts).
    await openChapter(page, server, 'start-the-stack');
    const panel = page.locator('.terminal-dock .stack-status');
    // The test server points every service at a closed port.
    for (const id of ['elasticsearch', 'kibana', 'fluentd', 'postgres', 'mlflow', 'adminer', 'seaweedfs']) {
      await expect(panel.locator(`[data-service="${id}"]`)).toHaveAttribute('data-state', 'down');
    }
    await expect(panel.getByRole('link', { name: 'Kibana' })).toHaveAttribute('href', 'http://127.0.0.1:1');
    // fluentd's monitor and SeaweedFS's S3 API have no page for a browser: their names link nowhere.
    await expect(panel.locator('[data-service="fluentd"] a')).toHaveCount(0);
    await expect(panel.locator('[data-service="seaweedfs"] a')).toHaveCount(0);
  });
});

// The README's screenshots are rewritten only on request (UPDATE_SCREENSHOTS=1 npx playwright
// test), so a test run leaves the working tree as it found it; otherwise they go to test-results/.
const SHOTS = process.env.UPDATE_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';

test.describe('screenshots for the README', () => {
  for (const theme of ['light', 'dark'] as const) {
    test(`a chapter page in the ${theme} theme`, async ({ page, server }) => {
      await page.addInitScript((t) => localStorage.setItem('starlight-theme', t), theme);
      await page.setViewportSize({ width: 1440, height: 900 });
      await openChapter(page, server);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await step(page, 'say-hello').getByRole('button', { name: 'Run' }).click();
      await expect(step(page, 'say-hello')).toHaveAttribute('data-state', 'passed');
      await step(page, 'find-the-note').getByRole('button', { name: 'Check' }).click();
      await expect(step(page, 'find-the-note')).toHaveAttribute('data-state', 'failed');
      await page.mouse.move(0, 0);
      await page.evaluate('document.activeElement?.blur(); window.scrollTo(0, 0)');
      await page.screenshot({ path: `${SHOTS}/chapter-${theme}.png` });
    });
  }
});
