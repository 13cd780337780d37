import type { Locator, Page } from '@playwright/test';
import { expect, openChapter, terminalText, test } from './fixtures.ts';

/** A bash prompt at the end of a line, as the test shells (no ~/.bashrc) print it: `bash-5.2# `. */
const PROMPT = /[#$]$/m;

/**
 * How many pixels of a screenshot differ clearly from the terminal's background: the ink of the
 * text that was drawn. The PNG is decoded by the browser in a blank page of its own.
 */
async function inkPixels(page: Page, shot: Buffer, background: string): Promise<number> {
  const blank = await page.context().newPage();
  try {
    return await blank.evaluate(
      async ({ png, bg }) => {
        const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
        const image = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        const canvas = new OffscreenCanvas(image.width, image.height);
        const g = canvas.getContext('2d');
        if (!g) return -1;
        g.drawImage(image, 0, 0);
        const data = g.getImageData(0, 0, image.width, image.height).data;
        const [r, gr, b] = (bg.match(/\d+/g) ?? ['0', '0', '0']).map(Number);
        let ink = 0;
        for (let i = 0; i < data.length; i += 4) {
          const d = Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - gr!) + Math.abs(data[i + 2]! - b!);
          if (d > 90) ink++;
        }
        return ink;
      },
      { png: shot.toString('base64'), bg: background },
    );
  } finally {
    await blank.close();
  }
}

/** The row of the terminal that shows the prompt (the last one, where the cursor waits). */
function promptRow(page: Page): Locator {
  return page
    .locator('.terminal-dock .xterm-rows > div')
    .filter({ hasText: /[#$]\s*$/ })
    .last();
}

for (const deviceScaleFactor of [1, 2]) {
  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    test.describe(`at devicePixelRatio ${deviceScaleFactor}, ${viewport.width} px wide`, () => {
      test.use({ deviceScaleFactor, viewport });

      test('the default renderer draws the prompt, whole, where the terminal says it is', async ({ page, server }) => {
        await openChapter(page, server);
        const show = page.getByRole('button', { name: 'Show the terminal' });
        if (await show.isVisible()) await show.click();
        const screen = page.locator('.terminal-dock__screen');
        await expect(screen).toBeVisible();
        expect(await page.evaluate(() => window.devicePixelRatio)).toBe(deviceScaleFactor);
        // Nothing forces a renderer here: this is the one a learner gets.
        await expect(screen).toHaveAttribute('data-renderer', 'dom');
        await expect.poll(() => terminalText(page)).toMatch(PROMPT);

        // The row is the size of 13 px text (not doubled) and lies inside the terminal's box.
        const row = promptRow(page);
        const rowBox = await row.boundingBox();
        const screenBox = await screen.boundingBox();
        expect(rowBox && screenBox).toBeTruthy();
        if (!rowBox || !screenBox) return;
        expect(rowBox.height).toBeGreaterThan(12);
        expect(rowBox.height).toBeLessThan(20);
        expect(rowBox.y).toBeGreaterThanOrEqual(screenBox.y);
        expect(rowBox.y + rowBox.height).toBeLessThanOrEqual(screenBox.y + screenBox.height);

        // And its pixels show ink: the prompt is drawn, not only present in the DOM.
        const background = await page.locator('.terminal-dock .xterm-viewport').evaluate((e) => getComputedStyle(e).backgroundColor);
        const shot = await page.screenshot({
          clip: { x: screenBox.x, y: rowBox.y, width: Math.min(screenBox.width, 200), height: rowBox.height },
        });
        // At least a few glyphs' worth of pixels (a 13 px glyph has about 20 to 40 at ratio 1).
        expect(await inkPixels(page, shot, background)).toBeGreaterThan(40 * deviceScaleFactor);
      });
    });
  }
}

test('WebGL is an opt-in; where it fails the terminal stays on the DOM renderer and still shows output', async ({ page, server }) => {
  await page.addInitScript({ content: "localStorage.setItem('tutorial-renderer', 'webgl')" });
  await openChapter(page, server);
  const screen = page.locator('.terminal-dock__screen');
  await expect(screen).toHaveAttribute('data-renderer', /^(webgl|dom)$/);
  // Which one this browser got (Chromium with --disable-gpu may still offer SwiftShader's WebGL).
  test.info().annotations.push({ type: 'renderer', description: (await screen.getAttribute('data-renderer')) ?? '' });
  const hello = page.locator('.tutorial-step[data-step="say-hello"]');
  await hello.getByRole('button', { name: 'Run' }).click();
  await expect(hello).toHaveAttribute('data-state', 'passed');
});
