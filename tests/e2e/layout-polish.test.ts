import type { Page } from '@playwright/test';
import { expect, openChapter, test } from './fixtures.ts';

const step = (page: Page, id: string) => page.locator(`.tutorial-step[data-step="${id}"]`);

test('the favicon is served, and no page logs an error to the console or fails a request', async ({ page, server, request }) => {
  const favicon = await request.get(`${server.url}favicon.svg`);
  expect(favicon.status()).toBe(200);
  expect(favicon.headers()['content-type']).toContain('image/svg+xml');

  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(server.url);
  await expect(page.locator('link[rel="shortcut icon"], link[rel="icon"]').first()).toHaveAttribute('href', /favicon\.svg$/);
  await page.goto(`${server.url}progress/`);
  await expect(page.locator('.progress-chapter').first()).toBeVisible();
  await openChapter(page, server);
  await step(page, 'say-hello').getByRole('button', { name: 'Run' }).click();
  await expect(step(page, 'say-hello')).toHaveAttribute('data-state', 'passed');
  expect(problems).toEqual([]);
});

test('Previous and Next go from the overview through the chapters, never to the progress page in between', async ({ page, server }) => {
  await page.goto(server.url);
  await expect(page.locator('.pagination-links a[rel="next"]')).toContainText('Hello, terminal');
  await page.locator('.pagination-links a[rel="next"]').click();
  await expect(page).toHaveURL(/\/chapters\/hello-terminal\/$/);
  await expect(page.locator('.pagination-links a[rel="prev"]')).toContainText('Overview');
  await expect(page.locator('.pagination-links a[rel="next"]')).toContainText('Before you start');
});

test('search results name each step with its number apart from its title, and leave out the page’s state words', async ({
  page,
  server,
}) => {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.keyboard.type('dvc push');
  const results = page.locator('.pagefind-ui__result');
  await expect(results.first().locator('.pagefind-ui__result-title').first()).toContainText('Version your data with DVC');
  await expect(results.first()).toContainText(/Step \d: /);
  const text = (await results.allTextContents()).join('\n');
  expect(text).not.toMatch(/Step \d+[A-Z]/);
  expect(text).not.toContain('Not started');
  expect(text).not.toContain('RunCopy');
  expect(text).not.toContain('Run this chapter for me');
  expect(text).not.toContain('steps passed');

  // A state word finds none of the pages' own state.
  await page.locator('.pagefind-ui__search-input').fill('Not started');
  await expect(page.locator('.pagefind-ui__message')).toBeVisible();
  expect((await page.locator('.pagefind-ui__result').allTextContents()).join('\n')).not.toContain('Not started');
});

test('the index holds each step’s commands under the step’s own title', async ({ page, server }) => {
  await page.goto(server.url);
  // Pagefind's own API, as the search box uses it (its box shows the three parts with most matches).
  const found = await page.evaluate(async () => {
    const pagefind = await import(/* @vite-ignore */ `${location.origin}/pagefind/pagefind.js`);
    const search = await pagefind.search('dvc push');
    const first = await search.results[0].data();
    return {
      url: first.url as string,
      parts: (first.sub_results as { title: string; excerpt: string }[]).map((r) => ({ title: r.title, excerpt: r.excerpt })),
    };
  });
  expect(found.url).toBe('/chapters/data-versioning/');
  const push = found.parts.find((p) => p.title === 'Step 5: Push the data to the remote');
  expect(push?.excerpt).toContain('<mark>dvc</mark> <mark>push</mark>');
});

test('the moment the last step passes, the chapter says it is complete and where to go next', async ({ page, server }) => {
  await openChapter(page, server);
  const done = page.locator('.chapter-done');
  await expect(done).toHaveCount(2);
  for (const id of ['say-hello', 'find-the-note']) {
    await step(page, id).getByRole('button', { name: 'Run' }).click();
    await expect(step(page, id)).toHaveAttribute('data-state', 'passed');
  }
  await expect(done.first()).toBeHidden();
  await step(page, 'load-logging-config').getByRole('button', { name: 'Run' }).click();
  await expect(step(page, 'load-logging-config')).toHaveAttribute('data-state', 'passed');
  // Under the title and right after the last step, where the learner is.
  await expect(done.first()).toBeVisible();
  await expect(step(page, 'load-logging-config').locator('.chapter-done')).toBeVisible();
  await expect(done.first()).toContainText('Chapter complete. All 3 steps passed.');
  await expect(done.first().getByRole('link', { name: 'Next: Before you start' })).toHaveAttribute('href', '/chapters/before-you-start/');
  await expect(page.locator('#tutorial-announcer')).toHaveText(
    'Chapter complete: all 3 steps of “Hello, terminal” passed. Next: Before you start.',
  );
  // Coming back later, it still says so, without the moment's glow.
  await page.reload();
  await expect(page.locator('.terminal-dock__status')).toHaveText('Connected');
  await expect(done.first()).toBeVisible();
  await expect(done.first()).not.toHaveAttribute('data-just-now', '');
});

test('the dock says F6 leaves the terminal, and F6 does', async ({ page, server }) => {
  await openChapter(page, server);
  await expect(page.locator('.terminal-dock__keys')).toHaveText('F6 leaves the terminal');
  const input = page.locator('.terminal-dock .xterm-helper-textarea');
  await expect(input).toHaveAccessibleDescription('F6 leaves the terminal');
  await page.locator('.terminal-dock .xterm-screen').click();
  await expect(input).toBeFocused();
  await page.keyboard.press('F6');
  await expect(page.getByRole('button', { name: 'Hide the terminal' })).toBeFocused();
});

test('the progress page shows a message’s commands as code, not as backticks', async ({ page, server }) => {
  await openChapter(page, server);
  await step(page, 'load-logging-config').getByRole('button', { name: 'Check' }).click();
  await expect(step(page, 'load-logging-config')).toHaveAttribute('data-state', 'passed');
  await page.goto(`${server.url}progress/`);
  const message = page.locator('.progress-step[data-step="load-logging-config"] .progress-step__message');
  await expect(message.locator('code')).toContainText('python3 -c');
  expect(await message.textContent()).not.toContain('`');
});
