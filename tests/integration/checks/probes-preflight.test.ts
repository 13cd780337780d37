import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckSchema } from '../../../protocol/probes/index.ts';
import { runCheck } from '../../../server/checks/engine.ts';
import { loadEndpoints } from '../../../server/stack/endpoints.ts';
import { freePort } from '../../helpers/net.ts';

/**
 * The preflight's port list comes from the workspace's compose/.env: every published port, named
 * by its variable, on real sockets of 127.0.0.1.
 */
const workspace = mkdtempSync(join(tmpdir(), 'preflight-'));
let holder: Server;
let busy: number;
const free: number[] = [];

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  busy = (holder.address() as { port: number }).port;
  for (let i = 0; i < 6; i++) free.push(await freePort());
  mkdirSync(join(workspace, 'compose'), { recursive: true });
  const [es, kibana, forward, monitor, adminer, s3] = free;
  writeFileSync(
    join(workspace, 'compose', '.env'),
    `ES_PORT=${es}\nKIBANA_PORT=${kibana}\nFLUENTD_PORT=${forward}\nFLUENTD_MONITOR_PORT=${monitor}\nMLFLOW_PORT=${busy}\nADMINER_PORT=${adminer}\nS3_PORT=${s3}\n`,
  );
});
afterAll(async () => {
  await new Promise((r) => holder.close(r));
  rmSync(workspace, { recursive: true, force: true });
});

describe('preflight probe with stackPorts', () => {
  it("checks every port of the workspace's compose/.env and names the variable of a busy one", async () => {
    const spec = CheckSchema.parse({ kind: 'preflight', docker: false, compose: false, maxMapCount: false, stackPorts: true });
    const r = await runCheck(spec, { workspace, endpoints: loadEndpoints({ workspace, env: {} }) });
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`Port ${busy} (MLFLOW_PORT) is busy: another program listens on it.`);
    // The diagnosis of a busy port comes first in the hint; the preflight's own words follow.
    expect(r.hint).toContain(
      `Find the program with \`lsof -nP -iTCP:${busy} -sTCP:LISTEN\` and stop it. Or give the service another port: change MLFLOW_PORT=${busy} in compose/.env.`,
    );
    const report = r.evidence.find((e) => e.label === 'Preflight')?.text.split('\n');
    expect(report).toEqual([
      `✓ Port ${free[0]} (ES_PORT) is free.`,
      `✓ Port ${free[1]} (KIBANA_PORT) is free.`,
      `✓ Port ${free[2]} (FLUENTD_PORT) is free.`,
      `✓ Port ${free[3]} (FLUENTD_MONITOR_PORT) is free.`,
      `✗ Port ${busy} (MLFLOW_PORT) is busy: another program listens on it.`,
      `✓ Port ${free[4]} (ADMINER_PORT) is free.`,
      `✓ Port ${free[5]} (S3_PORT) is free.`,
    ]);
  });
});
