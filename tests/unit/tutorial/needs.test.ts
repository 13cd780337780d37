import { describe, expect, it } from 'vitest';
import type { Step } from '../../../protocol/content.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import type { ContentIndex } from '../../../server/tutorial/content.ts';
import { Needs } from '../../../server/tutorial/needs.ts';
import type { StepController } from '../../../server/tutorial/step-controller.ts';

/** A need whose check wants several containers names each one that is not running (issue 20). */

const composeUp = {
  id: 'compose-up',
  title: 'Start every service and wait until it is healthy',
  run: [],
  check: {
    all: [
      { kind: 'container', service: 'elasticsearch', health: 'healthy' },
      { kind: 'container', service: 'postgres', health: 'healthy' },
      { kind: 'container', service: 'mlflow', health: 'healthy' },
    ],
  },
} as unknown as Step;

function needsWith(running: string[]): Needs {
  const chapter = { id: 'mlflow-server', steps: [] };
  const stack = { id: 'start-the-stack' };
  return new Needs({
    content: { needs: () => [{ chapter: stack, step: composeUp }] } as unknown as ContentIndex,
    controller: { find: () => ({ chapter }) } as unknown as StepController,
    sessions: {} as never,
    broadcast: () => {},
    async runCheck(step: Step): Promise<CheckResult> {
      const c = step.check as { kind?: string; service?: string; all?: unknown[] };
      if (c.kind === 'container') {
        const ok = running.includes(c.service ?? '');
        return { ok, message: ok ? 'running' : `There is no container for the service ${c.service}.`, evidence: [] };
      }
      // The whole check fails with its first failing part's words, as the engine does.
      const first = ['elasticsearch', 'postgres', 'mlflow'].find((s) => !running.includes(s));
      return first
        ? { ok: false, message: `There is no container for the service ${first}.`, evidence: [] }
        : { ok: true, message: 'ok', evidence: [] };
    },
  });
}

describe('Needs.status', () => {
  it('names every service of the stack that is not running, not only the first one of the check', async () => {
    expect(await needsWith([]).status('mlflow-server')).toEqual([
      {
        chapter: 'start-the-stack',
        step: 'compose-up',
        ok: false,
        message: 'Not running and healthy yet: Elasticsearch, PostgreSQL and MLflow.',
      },
    ]);
    expect((await needsWith(['elasticsearch']).status('mlflow-server'))[0]?.message).toBe(
      'Not running and healthy yet: PostgreSQL and MLflow.',
    );
    expect((await needsWith(['elasticsearch', 'postgres', 'mlflow']).status('mlflow-server'))[0]?.ok).toBe(true);
  });
});
