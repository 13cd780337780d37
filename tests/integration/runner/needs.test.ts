import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../protocol/messages.ts';
import { pageOnServer } from '../../helpers/page.ts';
import { pollUntil, type TestClient } from '../../helpers/ws-client.ts';

/**
 * What a chapter needs, through the page's own messages on a real server with real shells: the
 * fixture chapter tool-user needs tool-maker/make-tool, which makes a small "virtualenv" in
 * .venv with one program, fixture-tool.
 */

const CONTENT = join(import.meta.dirname, '..', '..', 'fixtures', 'runner', 'content');

type CatchUp = Extract<ServerMessage, { type: 'catch-up' }>;
type Needs = Extract<ServerMessage, { type: 'needs' }>;

const pages = pageOnServer(CONTENT);
const page = (chapter: string) => pages.open(chapter);

async function needs(c: TestClient, chapter: string): Promise<Needs['needs']> {
  const from = c.messages.length;
  c.send({ type: 'needs', chapter });
  return (await c.waitFor((m): m is Needs => m.type === 'needs', 'the needs', from)).needs;
}

describe('a chapter that needs a step of an earlier chapter', () => {
  it('says what is missing, catches up in its own shell, one command after the other, and then nothing is', async () => {
    const c = await page('tool-user');
    expect(await needs(c, 'tool-user')).toEqual([
      { chapter: 'tool-maker', step: 'make-tool', ok: false, message: 'The fixture tool is not in .venv/bin yet.' },
    ]);

    c.mark();
    const from = c.messages.length;
    c.send({ type: 'catch-up', chapter: 'tool-user', upTo: 'use-tool' });
    const end = await c.waitFor(
      (m): m is CatchUp => m.type === 'catch-up' && m.state !== 'running',
      'the end of the catch-up',
      from,
      60_000,
    );
    expect(end).toEqual({ type: 'catch-up', chapter: 'tool-user', state: 'passed', total: 2 });
    const steps = c.messages
      .slice(from)
      .filter((m): m is CatchUp => m.type === 'catch-up' && m.at !== undefined)
      .map((m) => [m.at?.chapter, m.at?.step, m.position, m.total]);
    expect(steps).toEqual([
      ['tool-maker', 'make-tool', 1, 2],
      ['tool-user', 'use-tool', 2, 2],
    ]);

    // Every command was typed into this chapter's terminal once, in order: each after the prompt
    // that ended the one before.
    const shown = c.textSinceMark();
    const typed = ['mkdir -p .venv/bin', 'chmod +x .venv/bin/fixture-tool', "'PATH=", 'fixture-tool > tool-output.txt'];
    const at = typed.map((t) => shown.indexOf(t));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    for (const t of typed) expect(shown.split(t).length - 1, t).toBe(1);

    // The need's own chapter shows it passed; the need is in place now.
    const stored = c.messages.filter(
      (m) => m.type === 'step-progress' && m.chapter === 'tool-maker' && m.step === 'make-tool' && m.progress.state === 'passed',
    );
    expect(stored).toHaveLength(1);
    expect(await needs(c, 'tool-user')).toEqual([expect.objectContaining({ ok: true })]);
    // The shell started before .venv existed and uses it now.
    expect(await c.run('echo "[$VIRTUAL_ENV]"')).toContain(`[${join(pages.server().workspace, '.venv')}]`);
  });

  it("stops at the first step whose check fails, with the check's words, and runs nothing after it", async () => {
    const c = await page('tool-user');
    // A file where the need makes a folder: its first command fails, and so does its check.
    await c.run('touch .venv');
    const from = c.messages.length;
    c.send({ type: 'catch-up', chapter: 'tool-user', upTo: 'use-tool' });
    const end = await c.waitFor(
      (m): m is CatchUp => m.type === 'catch-up' && m.state !== 'running',
      'the end of the catch-up',
      from,
      60_000,
    );
    expect(end).toMatchObject({
      state: 'failed',
      at: { chapter: 'tool-maker', step: 'make-tool' },
      result: { ok: false, message: 'The fixture tool is not in .venv/bin yet.' },
    });
    expect(end.result?.evidence[0]).toEqual({ label: 'Exit status in the terminal', text: '1' });
    // The need's other commands and the chapter's step never ran.
    expect(c.text()).not.toContain('chmod +x');
    expect(existsSync(join(pages.server().workspace, 'tool-output.txt'))).toBe(false);
  });

  it('refuses a second catch-up of the same chapter while one runs, and stops when asked', async () => {
    const c = await page('tool-maker');
    const from = c.messages.length;
    c.send({ type: 'catch-up', chapter: 'tool-maker', upTo: 'interruptible' });
    await c.waitFor((m) => m.type === 'catch-up' && m.at?.step === 'interruptible', 'the catch-up to reach the long step', from, 30_000);
    c.send({ type: 'catch-up', chapter: 'tool-maker' });
    await c.waitFor((m) => m.type === 'error' && m.code === 'already-running', 'the refusal', from);
    const shell = pages.server().sessions.get('tool-maker')!;
    await pollUntil(async () => (await shell.lineState()).kind === 'busy', 'the long command to run');
    // Stop, then Ctrl-C the command that runs: the catch-up says it stopped, not that it failed.
    c.send({ type: 'stop-chapter', chapter: 'tool-maker' });
    c.input('\x03');
    const end = await c.waitFor((m): m is CatchUp => m.type === 'catch-up' && m.state !== 'running', 'the end of the catch-up', from);
    expect(end).toEqual({
      type: 'catch-up',
      chapter: 'tool-maker',
      state: 'stopped',
      at: { chapter: 'tool-maker', step: 'interruptible' },
    });
  });
});
