import type { Locator, Page } from '@playwright/test';
import { STACK_SERVICES } from '../../protocol/services.ts';
import { readDotenv, TEMPLATE_ENV_FILE } from '../../server/stack/compose-env.ts';
import { expect, openChapter, test } from './fixtures.ts';

/** What a newcomer tripped on (issue 20): deep links, ports and words, the keyboard, small things. */

const step = (page: Page, id: string) => page.locator(`.tutorial-step[data-step="${id}"]`);
const ports = readDotenv(TEMPLATE_ENV_FILE);

/** How far (px) the element's top is below the bottom of the site's sticky header. */
async function belowHeader(page: Page, target: Locator): Promise<number> {
  const header = await page.locator('header.header').evaluate((h) => h.getBoundingClientRect().bottom);
  return (await target.evaluate((e) => e.getBoundingClientRect().top)) - header;
}

/** Waits for the page that a link opened, then says where the step's heading is at once, 1 s and 3 s after the load. */
async function landing(page: Page, heading: Locator): Promise<number[]> {
  await page.waitForLoadState('load');
  const at = [await belowHeader(page, heading)];
  for (const wait of [1000, 2000]) {
    // Not a synchronisation: the step must still be in view this long after the load.
    await page.waitForTimeout(wait);
    at.push(await belowHeader(page, heading));
  }
  return at;
}

for (const width of [1280, 360]) {
  test.describe(`a deep link to a step at ${width} px`, () => {
    test.use({ viewport: { width, height: 800 } });

    test('from the progress page lands on its step and stays there', async ({ page, server }) => {
      await page.goto(`${server.url}progress/`);
      await page.locator('a.progress-step__title[href$="/chapters/data-versioning/#version-2"]').click();
      await expect(page).toHaveURL(/\/chapters\/data-versioning\/#version-2$/);
      // The link names the step's section: its top is where the step begins.
      for (const top of await landing(page, page.locator('#version-2'))) {
        expect(top).toBeGreaterThanOrEqual(-10);
        expect(top).toBeLessThanOrEqual(100);
      }
    });

    test('from a search result lands on its step and stays there', async ({ page, server }) => {
      await page.goto(server.url);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.keyboard.type('track and push version 2');
      const link = page.locator('.pagefind-ui__result a[href$="/chapters/data-versioning/#step-version-2-title"]').first();
      await expect(link).toBeVisible();
      await link.click();
      await expect(page).toHaveURL(/#step-version-2-title$/);
      for (const top of await landing(page, page.locator('#step-version-2-title'))) {
        expect(top).toBeGreaterThanOrEqual(-10);
        expect(top).toBeLessThanOrEqual(100);
      }
    });
  });
}

test('the home page diagram names the ports of compose/.env', async ({ page, server }) => {
  await page.goto(server.url);
  const src = await page.locator('.diagram__image').getAttribute('src');
  const svg = await (await page.request.get(new URL(src ?? '', server.url).href)).text();
  expect(svg).toContain(`:${ports.MLFLOW_PORT} API and UI`);
  expect(svg).toContain(`MLflow UI at :${ports.MLFLOW_PORT}`);
  for (const name of ['ES_PORT', 'KIBANA_PORT', 'FLUENTD_PORT', 'FLUENTD_MONITOR_PORT', 'ADMINER_PORT', 'S3_PORT'])
    expect(svg).toContain(`:${ports[name]}`);
  expect(svg).not.toContain(':5000');
});

test('the warm-up chapter says the stack is not started yet, not a row of red "down"s', async ({ page, server }) => {
  await openChapter(page, server);
  const services = page.locator('.terminal-dock .stack-status__service');
  await expect(services).toHaveCount(STACK_SERVICES.length);
  await expect(services.first()).not.toHaveAttribute('data-state', 'unknown');
  for (const s of await services.all()) {
    await expect(s).not.toHaveAttribute('data-state', 'down');
    // (A stack that another program started on this Docker engine may well be up.)
    await expect(s.locator('.stack-status__state')).toHaveText(/^: (not started yet|up)$/);
  }
  await expect(page.locator('.terminal-dock [data-service="kibana"] .stack-status__state')).toHaveText(': not started yet');
  // Once the stack is the chapter's business, a service that does not run is "down", each in the same words.
  await page.goto(`${server.url}progress/`);
  const full = page.locator('.stack-status--full .stack-status__service');
  await expect(full.first()).toHaveAttribute('data-state', 'down');
  await expect(page.locator('.stack-status--full [data-service="postgres"] .stack-status__detail')).not.toHaveText('no container');
});

test('F6 leaves the terminal for where the learner came from, a second F6 goes back; the Tab path from Run to the terminal is short', async ({
  page,
  server,
}) => {
  await page.setViewportSize({ width: 1400, height: 900 });
  await openChapter(page, server);
  const run = step(page, 'say-hello').getByRole('button', { name: 'Run', exact: true });
  await run.focus();
  const inTerminal = () => page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea') === true);
  // Tab from the step's Run until the terminal has the focus: Enter on a link to the terminal counts as one key.
  let keys = 0;
  while (!(await inTerminal()) && keys < 40) {
    const skip = await page.evaluate(() => document.activeElement?.classList.contains('tutorial-to-terminal') === true);
    await page.keyboard.press(skip ? 'Enter' : 'Tab');
    keys++;
  }
  console.log(`keys from a step's Run to the terminal: ${keys}`);
  expect(keys).toBeLessThanOrEqual(4);

  await page.keyboard.press('F6');
  await expect(run).toBeFocused();
  await page.keyboard.press('F6');
  await expect.poll(inTerminal).toBe(true);
});

test('Run and Copy sit on one baseline, as do "Run all commands" and Check', async ({ page, server }) => {
  await page.setViewportSize({ width: 1400, height: 900 });
  await openChapter(page, server, 'data-versioning');
  const same = async (a: Locator, b: Locator) => {
    const [x, y] = [await a.boundingBox(), await b.boundingBox()];
    expect(x && y).toBeTruthy();
    expect(Math.abs(x!.y + x!.height - (y!.y + y!.height))).toBeLessThanOrEqual(1);
    expect(Math.abs(x!.y - y!.y)).toBeLessThanOrEqual(1);
  };
  const first = step(page, 'init-repos');
  await same(first.locator('.tutorial-run').first(), first.locator('.tutorial-copy').first());
  const runAll = first.getByRole('button', { name: 'Run all commands' });
  await expect(runAll).toBeVisible();
  await same(runAll, first.locator('.tutorial-check'));
});

test('at 360 px the site title is whole', async ({ page, server }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(server.url);
  const title = page.locator('.site-title');
  await expect(title).toBeVisible();
  const clip = await title.evaluate((t) => {
    const box = t.getBoundingClientRect();
    const span = t.querySelector('span') ?? t;
    return { scroll: span.scrollWidth, client: span.clientWidth, right: box.right, width: innerWidth };
  });
  expect(clip.scroll).toBeLessThanOrEqual(clip.client);
  expect(clip.right).toBeLessThanOrEqual(clip.width);
});

test('no failed request and no console error from signing in to a passed step', async ({ browser, server }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  const icon = async () => expect(await page.locator('link[rel~="icon"]').count()).toBeGreaterThan(0);
  try {
    const link = server.loginUrl();
    expect((await page.goto(link))?.status()).toBe(200);
    await expect(page).toHaveURL(server.url);
    await icon();
    // The page the link answers with (a signed-in browser gets it again) names its icon.
    const signedIn = await page.request.get(link);
    expect(signedIn.status()).toBe(200);
    expect(await signedIn.text()).toMatch(/<link rel="icon"/);
    // A browser asks for /favicon.ico of a page that names no icon (Playwright does not report that
    // request): the sign-in page named none, and the site has no /favicon.ico, hence one 404 at every sign-in.
    expect((await page.request.get(`${server.url}favicon.ico`)).status()).toBe(404);
    await openChapter(page, server);
    await step(page, 'say-hello').getByRole('button', { name: 'Run', exact: true }).click();
    await expect(step(page, 'say-hello')).toHaveAttribute('data-state', 'passed');
    expect(problems).toEqual([]);
  } finally {
    await context.close();
  }
});
