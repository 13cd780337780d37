import { test as base, expect, type Page } from '@playwright/test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Every e2e test gets its own real server on a free port, with a fresh workspace, and a page
 * signed in the way the README says: it opens the login link the server gives (`npm start` prints
 * it) and lands on the site.
 */
export const test = base.extend<{ server: TestServer }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature.
  server: async ({}, use) => {
    const server = await startTestServer();
    await use(server);
    await server.dispose();
  },
  page: async ({ page, server }, use) => {
    // Every test starts signed in, the way the README says: the login link npm start printed.
    await signIn(page, server);
    await use(page);
  },
});

export { expect };

/** Opens the server's current login link in `page` and waits until it has gone on to the site. */
export async function signIn(page: Page, server: TestServer): Promise<void> {
  await page.goto(server.loginUrl());
  await expect(page).toHaveURL(server.url);
  await expect(page.locator('meta[name="tutorial-token"]')).toHaveAttribute('content', server.token);
}

/** The text the terminal shows, one line per row, as xterm's DOM renderer (the default) draws it. */
export async function terminalText(page: Page): Promise<string> {
  const rows = await page.locator('.terminal-dock .xterm-rows > div').allTextContents();
  return rows.map((r) => r.replace(/\u00a0/g, ' ').trimEnd()).join('\n');
}

/** Opens a chapter page and waits until its terminal is attached to the chapter's shell. */
export async function openChapter(page: Page, server: TestServer, chapter = 'hello-terminal'): Promise<void> {
  await page.goto(`${server.url}chapters/${chapter}/`);
  await expect(page.locator('.terminal-dock__status')).toHaveText('Connected');
  await expect(page.locator('.terminal-dock')).toHaveAttribute('data-attached', 'true');
}
