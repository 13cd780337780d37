import { expect, openChapter, terminalText, test } from './fixtures.ts';

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true });

  test('a chapter starts with the terminal hidden behind a clear button, which opens it, and the choice is kept', async ({
    page,
    server,
  }) => {
    await openChapter(page, server);
    const dock = page.locator('.terminal-dock');
    await expect(dock).toHaveAttribute('data-collapsed', '');
    await expect(page.locator('.terminal-dock__screen')).toBeHidden();
    // Hidden, the dock is one bar at the bottom: the prose has the screen.
    const bar = await dock.boundingBox();
    expect(bar?.height).toBeLessThan(60);

    const show = page.getByRole('button', { name: 'Show the terminal' });
    await expect(show).toHaveText('Show the terminal');
    await show.click();
    await expect(page.locator('.terminal-dock__screen')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Hide the terminal' })).toHaveAttribute('aria-expanded', 'true');
    await expect.poll(() => terminalText(page)).toMatch(/[#$]$/m);

    // The learner opened it: the next page keeps it open.
    await page.reload();
    await expect(page.locator('.terminal-dock__status')).toHaveText('Connected');
    await expect(dock).not.toHaveAttribute('data-collapsed', '');
    await expect(page.locator('.terminal-dock__screen')).toBeVisible();
  });

  test('Run opens the hidden terminal it types into', async ({ page, server }) => {
    await openChapter(page, server);
    await expect(page.locator('.terminal-dock')).toHaveAttribute('data-collapsed', '');
    const hello = page.locator('.tutorial-step[data-step="say-hello"]');
    await hello.getByRole('button', { name: 'Run' }).click();
    await expect(page.locator('.terminal-dock__screen')).toBeVisible();
    await expect.poll(() => terminalText(page)).toMatch(/^hello from the tutorial$/m);
    await expect(hello).toHaveAttribute('data-state', 'passed');
  });

  test("the stack diagram's text is readable, and the diagram opens on its own to zoom", async ({ page, server, request }) => {
    await page.goto(server.url);
    const image = page.locator('.diagram__image');
    await expect(image).toBeVisible();
    // The SVG's smallest text is 12 px at its drawing width of 960 px.
    const shown = await image.evaluate((e) => e.getBoundingClientRect().width);
    expect((12 * shown) / 960).toBeGreaterThanOrEqual(10);
    // Wider than the phone, so its frame scrolls sideways, and a keyboard can reach it.
    const frame = page.locator('.diagram__frame');
    expect(await frame.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
    await expect(frame).toHaveAttribute('tabindex', '0');
    const link = page.getByRole('link', { name: 'Open the diagram on its own' });
    const href = await link.getAttribute('href');
    expect(href).toBe('/diagrams/stack.svg');
    const svg = await request.get(new URL(href ?? '', server.url).href);
    expect(svg.status()).toBe(200);
    expect(svg.headers()['content-type']).toContain('image/svg+xml');
  });
});
