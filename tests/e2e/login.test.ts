import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SESSION_KEY_FILE } from '../../server/web/session-key.ts';
import { startTestServer } from '../helpers/server.ts';
import { expect, openChapter, signIn, test } from './fixtures.ts';

test.describe('signing in', () => {
  test('a browser that has not signed in gets the page that says how to get in, and no token', async ({ browser, server }) => {
    const stranger = await browser.newPage();
    try {
      const res = await stranger.goto(`${server.url}chapters/hello-terminal/`);
      expect(res?.status()).toBe(403);
      await expect(stranger.getByRole('heading', { level: 1 })).toHaveText('Open the link from your terminal');
      await expect(stranger.locator('body')).toContainText('open the link that npm start printed in your terminal');
      await expect(stranger.locator('meta[name="tutorial-token"]')).toHaveCount(0);
      expect(await stranger.content()).not.toContain(server.token);
    } finally {
      await stranger.close();
    }
  });

  test('the signed-in browser browses, reloads and opens a second tab', async ({ page, server }) => {
    await openChapter(page, server);
    await page.reload();
    await expect(page.locator('.terminal-dock__status')).toHaveText('Connected');
    const second = await page.context().newPage();
    try {
      await openChapter(second, server);
      await page.goto(`${server.url}progress/`);
      await expect(page.locator('.progress-chapter').first()).toBeVisible();
    } finally {
      await second.close();
    }
  });

  test('a login link works once: a second browser that opens it after the first is not let in', async ({ browser, server }) => {
    const link = server.loginUrl();
    const mine = await browser.newContext();
    const thief = await browser.newContext();
    try {
      const learner = await mine.newPage();
      await learner.goto(link);
      await expect(learner).toHaveURL(server.url);
      await openChapter(learner, server);

      const stranger = await thief.newPage();
      const res = await stranger.goto(link);
      expect(res?.status()).toBe(403);
      await expect(stranger.locator('body')).toContainText('This login link has been used already');
      await expect(stranger.locator('meta[name="tutorial-token"]')).toHaveCount(0);
      await stranger.goto(`${server.url}chapters/hello-terminal/`);
      await expect(stranger.locator('meta[name="tutorial-token"]')).toHaveCount(0);
      // The server has the next link ready for another browser of the learner's.
      expect(server.loginUrl()).not.toBe(link);
    } finally {
      await mine.close();
      await thief.close();
    }
  });

  test('a signed-in tab keeps its session across a server restart on the same state folder', async ({ page, server }) => {
    await openChapter(page, server);
    await server.close();
    await expect(page.locator('.terminal-dock__status')).toHaveText('Connection lost. Reconnecting…');
    const again = await startTestServer({ port: server.port, stateDir: server.stateDir, workspace: server.workspace });
    try {
      // The page reconnects by itself (it fetches its own HTML again, with the cookie, for the new token) ...
      await expect(page.locator('.terminal-dock__status')).toHaveText('Connected', { timeout: 30_000 });
      await expect(page.locator('meta[name="tutorial-token"]')).toHaveAttribute('content', again.token);
      // ... and a reload needs no new login link.
      await page.reload();
      await expect(page.locator('.terminal-dock__status')).toHaveText('Connected');
    } finally {
      await again.close();
    }
  });

  test('a tab whose session no longer counts (the key was removed, then the server restarted) shows how to get in', async ({
    page,
    server,
  }) => {
    await openChapter(page, server);
    await server.close();
    rmSync(join(server.stateDir, SESSION_KEY_FILE));
    const again = await startTestServer({ port: server.port, stateDir: server.stateDir, workspace: server.workspace });
    try {
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Open the link from your terminal', { timeout: 30_000 });
      await expect(page.locator('meta[name="tutorial-token"]')).toHaveCount(0);
      // The link the new start gives signs the browser in again.
      await signIn(page, again);
      await openChapter(page, again);
    } finally {
      await again.close();
    }
  });

  test('localhost reaches the server too, which is why it is an allowed name', async ({ browser, server }) => {
    const other = await browser.newPage();
    try {
      const res = await other.goto(`http://localhost:${server.port}/healthz`);
      expect(res?.status()).toBe(200);
    } finally {
      await other.close();
    }
  });
});
