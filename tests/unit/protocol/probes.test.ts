import { describe, expect, it } from 'vitest';
import { CheckSchema, ProbeSchema } from '../../../protocol/probes/index.ts';

/** The first issue's message of a spec that must not parse. */
function issue(spec: unknown): string | undefined {
  const r = ProbeSchema.safeParse(spec);
  return r.success ? undefined : r.error.issues[0]?.message;
}

describe('service probe schemas', () => {
  it('parses a chapter check that uses every service kind, with defaults filled in', () => {
    const check = CheckSchema.parse({
      all: [
        { kind: 'elasticsearch', health: ['green', 'yellow'] },
        { kind: 'elasticsearch', index: 'logstash-*', query: '"{{marker}}"' },
        { kind: 'kibana', status: ['available'], dataView: 'logstash-*' },
        { kind: 'fluentd', id: 'out_es' },
        {
          kind: 'mlflow',
          health: true,
          experiment: 'my-simple-experiment',
          marker: '{{marker}}',
          metric: { key: 'foo', atLeastPoints: 3 },
        },
        { kind: 'dvc', tracked: 'data/measurements.csv', remote: true, pushed: true },
      ],
    });
    const parts = (check as { all: Record<string, unknown>[] }).all;
    expect(parts[1]).toMatchObject({ atLeast: 1 });
    expect(parts[3]).toMatchObject({ type: 'elasticsearch' });
    expect(parts[5]).toMatchObject({ repo: '.' });
  });

  it('rejects a spec that asks nothing, naming what to give', () => {
    expect(issue({ kind: 'elasticsearch' })).toBe('Give at least one of health, index, query or major.');
    expect(issue({ kind: 'kibana' })).toBe('Give status, dataView or both.');
    expect(issue({ kind: 'mlflow' })).toBe('Give health, experiment or both.');
    expect(issue({ kind: 'dvc' })).toBe('Give at least one of initialized, tracked, remote, pushed or matches.');
  });

  it('rejects run fields without an experiment and md5 without matches', () => {
    expect(issue({ kind: 'mlflow', health: true, artifact: 'test.txt' })).toBe(
      'marker, param, metric, artifact and proxiedArtifacts look at a run, so they need experiment.',
    );
    expect(issue({ kind: 'dvc', initialized: true, md5: '0f343b0931126a20f133d67c2b018a3b' })).toBe(
      'md5 belongs to matches: give the path in matches.',
    );
  });

  it('rejects unknown fields and values out of range', () => {
    expect(issue({ kind: 'elasticsearch', health: ['blue'] })).toBeDefined();
    expect(issue({ kind: 'kibana', status: ['green'] })).toBeDefined();
    expect(issue({ kind: 'fluentd', retries: 0 })).toBeDefined();
    expect(issue({ kind: 'dvc', matches: 'data/x.csv', md5: 'not-an-md5' })).toBeDefined();
    expect(issue({ kind: 'mlflow', experiment: 'e', metric: { key: 'foo', atLeastPoints: 0 } })).toBeDefined();
  });
});
