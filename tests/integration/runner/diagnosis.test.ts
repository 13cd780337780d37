import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../protocol/messages.ts';
import { pageOnServer } from '../../helpers/page.ts';
import { pollUntil, type TestClient } from '../../helpers/ws-client.ts';

/**
 * What a step says after one of its commands failed in the terminal, from what real bash printed
 * and the status it reported (server/checks/diagnosis.ts explainFailedCommand): Run in a page's
 * real shell, the check afterwards, the result the page gets.
 */

const CONTENT = join(import.meta.dirname, '..', '..', 'fixtures', 'runner', 'content');

type Progress = Extract<ServerMessage, { type: 'step-progress' }>;

const pages = pageOnServer(CONTENT);
const page = (chapter: string) => pages.open(chapter);

function failedStep(c: TestClient, step: string, from: number): Promise<Progress> {
  return c.waitFor(
    (m): m is Progress => m.type === 'step-progress' && m.step === step && m.progress.state === 'failed',
    `${step} to fail`,
    from,
    40_000,
  );
}

describe('a command that fails in the terminal', () => {
  it('that bash does not find (127) names the program and the step that installs it', async () => {
    const c = await page('tool-user');
    const from = c.messages.length;
    c.send({ type: 'run', chapter: 'tool-user', step: 'use-tool', index: 0 });
    const { progress } = await failedStep(c, 'use-tool', from);
    expect(c.text()).toContain('fixture-tool: command not found');
    expect(progress.result).toMatchObject({
      ok: false,
      message: '`fixture-tool > tool-output.txt` did not run: this terminal has no program called fixture-tool.',
      hint: 'fixture-tool is installed by “Make the fixture tool” in “Runner fixture that installs a tool”, which this workspace has not done yet. Run that step first (Catch me up at the top of this chapter runs it for you), then run this command again.',
      diagnosis: { id: 'command-not-found' },
    });
    expect(progress.result?.evidence.slice(0, 3).map((e) => e.label)).toEqual([
      'Exit status in the terminal',
      'Terminal output of `fixture-tool > tool-output.txt` (last 40 lines)',
      'What the check found',
    ]);
    expect(progress.result?.evidence[0]?.text).toBe('127');
    expect(progress.result?.evidence[1]?.text).toMatch(/bash: fixture-tool: command not found/);
  });

  it('that the learner stops with Ctrl-C (130) says so, not what the check found missing', async () => {
    const c = await page('tool-maker');
    const from = c.messages.length;
    c.send({ type: 'run', chapter: 'tool-maker', step: 'interruptible', index: 0 });
    const shell = pages.server().sessions.get('tool-maker')!;
    await pollUntil(async () => (await shell.lineState()).kind === 'busy', 'the command to run');
    c.input('\x03');
    const { progress } = await failedStep(c, 'interruptible', from);
    expect(progress.result).toMatchObject({
      message: 'You interrupted `sleep 30 && touch slept.txt` (Ctrl-C) before it finished, so this step is not done yet.',
      diagnosis: { id: 'interrupted' },
    });
    expect(progress.result?.message).not.toMatch(/slept\.txt is not there/);
    expect(progress.result?.hint).toMatch(/Press Run on it again and let it finish/);
    expect(progress.result?.evidence[0]).toEqual({ label: 'Exit status in the terminal', text: '130' });
  });
});
