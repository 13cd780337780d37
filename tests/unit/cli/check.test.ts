import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type StepOutcome } from '../../../server/cli/check.ts';

const content = join(import.meta.dirname, '..', '..', 'fixtures', 'content');
const workspace = mkdtempSync(join(tmpdir(), 'check-cli-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(
    [...args, '--content', content, '--workspace', workspace],
    (s) => {
      out += s;
    },
    (s) => {
      err += s;
    },
  );
  return { code, out, err };
}

describe('npm run check', () => {
  it('prints one line per step and exits 1 when a check fails', async () => {
    const r = await cli();
    expect(r.out.split('\n').filter(Boolean)).toEqual([
      '✓ first/shell-works — The command `test -n "$BASH_VERSION"` ran as expected.',
      expect.stringMatching(/^✗ first\/always-fails — The command `echo .*` ended with exit status 1; the step expects 0\.$/),
      '✗ second/has-file — note.txt does not exist yet.',
    ]);
    expect(r.code).toBe(1);
  });

  it('exits 0 when every selected check passes', async () => {
    writeFileSync(join(workspace, 'note.txt'), 'hello\n');
    expect((await cli('second')).code).toBe(0);
    expect((await cli('first/shell-works')).code).toBe(0);
  });

  it('prints an array of results with --json, diagnosis included', async () => {
    const r = await cli('first', '--json');
    const outcomes = JSON.parse(r.out) as StepOutcome[];
    expect(outcomes.map((o) => [o.chapter, o.step, o.result.ok])).toEqual([
      ['first', 'shell-works', true],
      ['first', 'always-fails', false],
    ]);
    expect(outcomes[1]!.result.diagnosis?.id).toBe('logging-config-not-found');
  });

  it('names the valid ids for an unknown chapter or step and exits 2', async () => {
    const r = await cli('first/nope');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'There is no chapter or step "first/nope". Valid ids: first, first/shell-works, first/always-fails, second, second/has-file.\n',
    );
  });

  it("asks the services where the workspace's compose/.env puts them", async () => {
    // The issue this pins: with MLFLOW_PORT=5099 the checks asked 127.0.0.1:5000 all the same.
    const ws = join(workspace, 'moved');
    mkdirSync(join(ws, 'compose'), { recursive: true });
    writeFileSync(join(ws, 'compose', '.env'), 'MLFLOW_PORT=5099\n');
    let out = '';
    const steps = ['tracking-experiments/tracking-uri', 'tracking-experiments/first-run', 'mlflow-server/proxied-artifacts'];
    for (const step of steps) {
      const code = await main([step, '--json', '--workspace', ws], (t) => {
        out += t;
      });
      expect(code).toBe(1);
    }
    const outcomes = out.match(/127\.0\.0\.1:\d+/g) ?? [];
    expect(outcomes.length).toBeGreaterThanOrEqual(steps.length);
    expect(new Set(outcomes)).toEqual(new Set(['127.0.0.1:5099']));
  });
});

describe("npm run check: the marker of the step's latest attempt", () => {
  const base = mkdtempSync(join(tmpdir(), 'check-cli-marker-'));
  const docs = join(base, 'content', 'docs');
  const state = join(base, 'state');
  const ws = join(base, 'workspace');
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(docs, { recursive: true });
  mkdirSync(state);
  mkdirSync(ws);
  // A step whose check looks for what its run left behind, by the run's marker.
  writeFileSync(
    join(docs, 'sent.mdx'),
    '---\ntitle: Sent\nsteps:\n  - id: send\n    title: Send\n    duration: 5s\n    check:\n      kind: file\n      path: "sent-{{marker}}.txt"\n---\nA step.\n',
  );
  writeFileSync(join(ws, 'sent-ds-sent-send-0000aaaa.txt'), 'x');
  writeFileSync(join(ws, 'sent-ds-given-1111bbbb.txt'), 'x');

  const run = async (args: string[], env: Record<string, string | undefined> = {}) => {
    const saved = process.env.TUTORIAL_MARKER;
    if ('TUTORIAL_MARKER' in env) process.env.TUTORIAL_MARKER = env.TUTORIAL_MARKER;
    else delete process.env.TUTORIAL_MARKER;
    let out = '';
    try {
      const code = await main(['sent/send', ...args, '--content', join(base, 'content'), '--workspace', ws, '--state', state], (s) => {
        out += s;
      });
      return { code, out };
    } finally {
      if (saved === undefined) delete process.env.TUTORIAL_MARKER;
      else process.env.TUTORIAL_MARKER = saved;
    }
  };

  it('says plainly when no attempt is recorded for the workspace', async () => {
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      `✗ sent/send — No attempt of sent/send is recorded for the workspace ${ws}: its check looks for what the step's latest run sent, by that run's marker, and the step has not been run there from the tutorial.\n`,
    );
  });

  it("checks with the marker of the attempt recorded in the state folder's progress.json", async () => {
    const progress = {
      version: 2,
      workspaces: {
        [realpathSync(ws)]: {
          chapters: { sent: { send: { state: 'failed', marker: 'ds-sent-send-0000aaaa', startedAt: 1, contentHash: 'h' } } },
        },
      },
    };
    writeFileSync(join(state, 'progress.json'), JSON.stringify(progress));
    expect((await run([])).code).toBe(0);
  });

  it('takes --marker, or TUTORIAL_MARKER as the tutorial shells set it, over the recorded one', async () => {
    expect((await run(['--marker', 'ds-given-1111bbbb'])).code).toBe(0);
    expect((await run(['--marker', 'ds-other-2222cccc'])).code).toBe(1);
    expect((await run([], { TUTORIAL_MARKER: 'ds-given-1111bbbb' })).code).toBe(0);
    expect((await run([], { TUTORIAL_MARKER: 'ds-other-2222cccc' })).code).toBe(1);
  });
});
