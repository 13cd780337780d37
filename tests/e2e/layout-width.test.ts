import type { Page } from '@playwright/test';
import { expect, openChapter, test } from './fixtures.ts';

/** A box on the screen, in CSS pixels. */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The area two boxes share, in square pixels (0 when they only touch). */
function overlap(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0.5 && h > 0.5 ? Math.round(w * h) : 0;
}

/** The box of the first element that matches and is shown, or undefined. */
async function shownBox(page: Page, selector: string): Promise<Box | undefined> {
  return page.evaluate((sel) => {
    const e = document.querySelector(sel);
    if (!e) return undefined;
    const css = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    if (css.display === 'none' || css.visibility === 'hidden' || r.width === 0 || r.height === 0) return undefined;
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  }, selector);
}

/**
 * Window sizes from a small phone to a large desktop, with the widths where the layout used to
 * break (the dock under the sidebar between 800 and 1152 px) in between.
 */
const WINDOWS = [
  { width: 360, height: 740 },
  { width: 390, height: 844 },
  { width: 480, height: 800 },
  { width: 640, height: 800 },
  { width: 768, height: 1024 },
  { width: 800, height: 800 },
  { width: 900, height: 800 },
  { width: 1024, height: 768 },
  { width: 1100, height: 800 },
  { width: 1151, height: 800 },
  { width: 1152, height: 800 },
  { width: 1280, height: 800 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
  { width: 2560, height: 1440 },
];

/** Opens the terminal when the page started with it folded away (phones do). */
async function openTerminal(page: Page): Promise<void> {
  const show = page.getByRole('button', { name: 'Show the terminal' });
  if (await show.isVisible()) await show.click();
  await expect(page.locator('.terminal-dock__screen')).toBeVisible();
}

/** What is wrong with the terminal's place in the window, as sentences (none when all is well). */
async function terminalProblems(page: Page, size: { width: number; height: number }): Promise<string[]> {
  const problems: string[] = [];
  const dock = await shownBox(page, '.terminal-dock');
  const screen = await shownBox(page, '.terminal-dock__screen');
  if (!dock || !screen) return ['the terminal is not shown'];
  if (dock.x < 0 || dock.y < 0 || dock.x + dock.width > size.width + 0.5 || dock.y + dock.height > size.height + 0.5) {
    problems.push(`the dock ${JSON.stringify(dock)} is not inside the window`);
  }
  if (screen.width < 280 || screen.height < 100) problems.push(`the screen is only ${screen.width}×${screen.height} px`);

  // Neither Starlight's header nor its sidebar (where it is shown beside the page) overlaps it.
  for (const other of ['header.header', '.sidebar-pane']) {
    const box = await shownBox(page, other);
    const area = box ? overlap(box, dock) : 0;
    if (area > 0) problems.push(`${other} covers ${area} px² of the terminal`);
  }
  // What the learner sees at points spread over the screen is the terminal itself.
  const covered = await page.evaluate((s) => {
    const out: string[] = [];
    for (const fx of [0.02, 0.25, 0.5, 0.75, 0.98]) {
      for (const fy of [0.02, 0.5, 0.98]) {
        const x = s.x + s.width * fx;
        const y = s.y + s.height * fy;
        const hit = document.elementFromPoint(x, y);
        if (!hit?.closest('.terminal-dock')) out.push(`(${Math.round(x)}, ${Math.round(y)}) shows ${hit?.className || hit?.tagName}`);
      }
    }
    return out;
  }, screen);
  problems.push(...covered);
  // The terminal's own text fits its screen (no column is cut off).
  const text = await shownBox(page, '.terminal-dock .xterm-screen');
  if (!text) problems.push('the terminal draws no screen');
  else if (text.x + text.width > screen.x + screen.width + 0.5 || text.y + text.height > screen.y + screen.height + 0.5) {
    problems.push(`the terminal's text (${Math.round(text.width)}×${Math.round(text.height)}) is cut off by its box`);
  }
  // The end of the page can be scrolled clear of the terminal.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const footer = await shownBox(page, '.main-frame footer');
  const under = footer ? overlap(footer, dock) : 0;
  if (under > 0) problems.push(`the end of the page stays under the terminal (${under} px²)`);
  return problems;
}

test.describe('the layout at every window width', () => {
  test('nothing covers the terminal from 360 to 2560 px, and the dialog is centred', async ({ page, server }) => {
    for (const size of WINDOWS) {
      await test.step(`${size.width}×${size.height}`, async () => {
        await page.setViewportSize(size);
        await openChapter(page, server);
        await openTerminal(page);
        // Fitted: the screen has its rows.
        await expect.poll(() => page.locator('.terminal-dock .xterm-rows > div').count()).toBeGreaterThan(3);
        expect.soft(await terminalProblems(page, size), `at ${size.width}×${size.height}`).toEqual([]);

        // A dialog opens in the middle of the window, whole.
        await page.getByRole('button', { name: 'Run this chapter for me' }).click();
        const dialog = page.getByRole('dialog', { name: 'Run this chapter for you?' });
        await expect(dialog).toBeVisible();
        const d = await dialog.boundingBox();
        expect(d).not.toBeNull();
        if (d) {
          const off = {
            left: Math.round(d.x),
            top: Math.round(d.y),
            across: Math.round(d.x + d.width / 2 - size.width / 2),
            down: Math.round(d.y + d.height / 2 - size.height / 2),
          };
          const inside = d.x >= 0 && d.y >= 0 && d.x + d.width <= size.width && d.y + d.height <= size.height;
          // Above everything, the terminal included: its corners and centre show the dialog itself.
          const onTop = await page.evaluate((b) => {
            const points = [
              [b.x + 4, b.y + 4],
              [b.x + b.width - 4, b.y + 4],
              [b.x + b.width / 2, b.y + b.height / 2],
              [b.x + 4, b.y + b.height - 4],
              [b.x + b.width - 4, b.y + b.height - 4],
            ];
            return points.every(([x, y]) => document.elementFromPoint(x ?? 0, y ?? 0)?.closest('dialog') != null);
          }, d);
          expect
            .soft(
              { inside, onTop, centred: Math.abs(off.across) <= 2 && Math.abs(off.down) <= 2 },
              `dialog at ${size.width}: ${JSON.stringify(off)}`,
            )
            .toEqual({ inside: true, onTop: true, centred: true });
        }
        await page.keyboard.press('Escape');
        await expect(dialog).toBeHidden();
      });
    }
  });
});
