import { test as base, expect, type Page } from '@playwright/test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** Every e2e test gets its own real server on a free port, with a fresh workspace. */
export const test = base.extend<{ server: TestServer }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature.
  server: async ({}, use) => {
    const server = await startTestServer();
    await use(server);
    await server.dispose();
  },
});

export { expect };

/** The text the terminal shows (xterm's DOM renderer). */
export async function terminalText(page: Page): Promise<string> {
  return (await page.locator('.terminal-dock .xterm-rows').innerText()).replace(/\u00a0/g, ' ');
}
