import { describe, expect, it } from 'vitest';
import { probeSchemas } from '../../../protocol/probes/index.ts';
import { probeModules } from '../../../server/checks/probes/index.ts';
import type { ProbeRegistry } from '../../../server/checks/types.ts';

describe('probeModules', () => {
  it('has one module for every probe kind of the protocol, under its kind, with its schema', () => {
    const kinds = probeSchemas.map((s) => s.shape.kind.value);
    expect(Object.keys(probeModules).sort()).toEqual([...kinds].sort());
    for (const schema of probeSchemas) {
      const mod = probeModules[schema.shape.kind.value];
      expect(mod.kind).toBe(schema.shape.kind.value);
      expect(mod.schema).toBe(schema);
    }
  });

  it('does not compile without a module for a kind, or with a module for no kind', () => {
    const { kibana: _kibana, ...withoutKibana } = probeModules;
    // @ts-expect-error: the kibana kind has no module.
    const missing: ProbeRegistry = withoutKibana;
    // @ts-expect-error: there is no probe kind "smtp".
    const extra: ProbeRegistry = { ...probeModules, smtp: probeModules.tcp };
    // @ts-expect-error: the tcp module under the http kind.
    const swapped: ProbeRegistry = { ...probeModules, http: probeModules.tcp };
    expect([missing, extra, swapped]).toHaveLength(3);
  });
});
