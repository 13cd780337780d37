import { describe, expect, it } from 'vitest';
import { commandProbe } from '../../../protocol/probes/command.ts';
import { CheckSchema } from '../../../protocol/probes/index.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import { runCheck } from '../../../server/checks/engine.ts';
import type { ProbeModule } from '../../../server/checks/types.ts';
import { DEFAULT_ENDPOINTS } from '../../../server/stack/endpoints.ts';

/** A command probe module for tests: `run` is given, the schema is the command probe's. */
function fake(run: ProbeModule<typeof commandProbe>['run'], defaultTimeout = 5): ProbeModule<typeof commandProbe> {
  return { kind: 'command', schema: commandProbe, defaultTimeout, run };
}

const base = { workspace: '/home/learner/ws', endpoints: DEFAULT_ENDPOINTS, marker: 'ds-ch-st-0123abcd' };
const probe = (run: string, extra: Record<string, unknown> = {}) => CheckSchema.parse({ kind: 'command', run, ...extra });

describe('runCheck', () => {
  it('fills every placeholder in the strings of a spec', async () => {
    const seen: string[] = [];
    const modules = {
      command: fake(async (s) => {
        seen.push(s.run);
        return { ok: true, message: 'Fine.', evidence: [] };
      }),
    };
    await runCheck(
      probe('{{es}} {{kibana}} {{mlflow}} {{adminer}} {{fluentd_host}}:{{fluentd_port}} {{fluentd_monitor}} {{workspace}} {{ marker }}'),
      { ...base, modules },
    );
    expect(seen[0]).toBe(
      'http://127.0.0.1:9200 http://127.0.0.1:5601 http://127.0.0.1:5001 http://127.0.0.1:8080 127.0.0.1:24224 http://127.0.0.1:24220 /home/learner/ws ds-ch-st-0123abcd',
    );
  });

  it('throws on an unknown placeholder, a bug in the content', async () => {
    const modules = { command: fake(async () => ({ ok: true, message: 'Fine.', evidence: [] })) };
    await expect(runCheck(probe('{{elastic}}'), { ...base, modules })).rejects.toThrow(/\{\{elastic\}\} is not known/);
  });

  it('fails, without running the probe, when {{marker}} is used before the step ran', async () => {
    let ran = false;
    const modules = {
      command: fake(async () => {
        ran = true;
        return { ok: true, message: 'Fine.', evidence: [] };
      }),
    };
    const r = await runCheck(probe('grep {{marker}} log'), { ...base, marker: undefined, modules });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/has not been run yet/);
    expect(ran).toBe(false);
  });

  it('all: fails with the first failure and keeps the evidence of every part', async () => {
    const modules = {
      command: fake(async (s) => ({
        ok: s.run !== 'bad' && s.run !== 'worse',
        message: `Ran ${s.run}.`,
        evidence: [{ label: 'Command output', text: s.run }],
      })),
    };
    const check = CheckSchema.parse({
      all: [
        { kind: 'command', run: 'good' },
        { kind: 'command', run: 'bad' },
        { kind: 'command', run: 'worse' },
      ],
    });
    const r = await runCheck(check, { ...base, modules });
    expect(r.ok).toBe(false);
    expect(r.message).toBe('Ran bad.');
    expect(r.evidence.map((e) => e.text)).toEqual(['good', 'bad', 'worse']);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('any: passes when one part passes and stops there', async () => {
    const ran: string[] = [];
    const modules = {
      command: fake(async (s) => {
        ran.push(s.run);
        return { ok: s.run === 'b', message: `Ran ${s.run}.`, evidence: [] };
      }),
    };
    const check = CheckSchema.parse({
      any: [
        { kind: 'command', run: 'a' },
        { kind: 'command', run: 'b' },
        { kind: 'command', run: 'c' },
      ],
    });
    const r = await runCheck(check, { ...base, modules });
    expect(r).toMatchObject({ ok: true, message: 'Ran b.' });
    expect(ran).toEqual(['a', 'b']);
  });

  it('uses the message of the spec for a failure and keeps the probe message as evidence', async () => {
    const modules = { command: fake(async () => ({ ok: false, message: 'Exit status 1.', evidence: [] })) };
    const r = await runCheck(probe('x', { message: 'The virtualenv is not active.' }), { ...base, modules });
    expect(r.message).toBe('The virtualenv is not active.');
    expect(r.evidence).toContainEqual({ label: 'Probe message', text: 'Exit status 1.' });
  });

  it('turns a missed deadline into a result, even for a probe that ignores its signal', async () => {
    const modules = { command: fake(() => new Promise<CheckResult>(() => {})) };
    const r = await runCheck(probe('x', { timeout: 0.2 }), { ...base, modules });
    expect(r).toMatchObject({ ok: false, message: 'The command check did not answer within 0.2 seconds.' });
  });

  it('turns an abort error thrown at the deadline into a timeout result', async () => {
    const modules = {
      command: fake(
        (_s, ctx) =>
          new Promise<CheckResult>((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }),
          ),
      ),
    };
    const r = await runCheck(probe('x', { timeout: 0.1 }), { ...base, modules });
    expect(r.message).toMatch(/did not answer within 0.1 seconds/);
  });

  it('lets a bug in a probe throw', async () => {
    const modules = {
      command: fake(async () => {
        throw new TypeError('oops');
      }),
    };
    await expect(runCheck(probe('x'), { ...base, modules })).rejects.toThrow('oops');
  });

  it('diagnoses a failure from its evidence and puts the fix first in the hint', async () => {
    const line =
      '{"@timestamp":"2026-03-02T10:00:00.000Z", "log.level":"ERROR", "message":"node validation exception\\n[1] bootstrap checks failed. You must address the points described in the following [1] lines before starting Elasticsearch.\\nbootstrap check failure [1] of [1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]"}';
    const modules = {
      command: fake(async () => ({
        ok: false,
        message: 'Elasticsearch exited.',
        hint: 'Read the logs.',
        evidence: [{ label: 'Container logs (last 20 lines)', text: line }],
      })),
    };
    const r = await runCheck(probe('x'), { ...base, modules });
    expect(r.diagnosis?.id).toBe('es-max-map-count');
    expect(r.hint).toMatch(/^Elasticsearch stopped at its bootstrap check: the host kernel setting vm.max_map_count is 65530/);
    expect(r.hint).toMatch(/Read the logs\.$/);
  });
});
