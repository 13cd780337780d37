import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PLACEHOLDER_NAMES, placeholderValues } from '../../../server/checks/placeholders.ts';
import {
  DEFAULT_ENDPOINTS,
  loadEndpoints,
  PORT_VARIABLES,
  publishedPorts,
  STACK_VARIABLES,
  stackVariables,
  watchEndpoints,
  withStackVariables,
} from '../../../server/stack/endpoints.ts';
import { serviceProbes } from '../../../server/stack/status.ts';

const root = mkdtempSync(join(tmpdir(), 'endpoints-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A workspace whose compose/.env has these lines. */
function workspace(name: string, lines: string[]): { ws: string; env: string } {
  const ws = join(root, name);
  mkdirSync(join(ws, 'compose'), { recursive: true });
  const env = join(ws, 'compose', '.env');
  writeFileSync(env, `${lines.join('\n')}\n`);
  return { ws, env };
}

/** Every port of the stack moved: the repository's defaults plus 10000. */
const MOVED = {
  ES_PORT: 19200,
  KIBANA_PORT: 15601,
  FLUENTD_PORT: 34224,
  FLUENTD_MONITOR_PORT: 34220,
  MLFLOW_PORT: 15001,
  ADMINER_PORT: 18080,
  S3_PORT: 18333,
};
const DEFAULT_PORTS = [9200, 5601, 24224, 24220, 5001, 8080, 8333];

describe('loadEndpoints', () => {
  it("takes the defaults from the repository's compose/.env, MLflow on 5001 (macOS's AirPlay Receiver holds 5000)", () => {
    expect(DEFAULT_ENDPOINTS).toEqual({
      es: 'http://127.0.0.1:9200',
      kibana: 'http://127.0.0.1:5601',
      mlflow: 'http://127.0.0.1:5001',
      adminer: 'http://127.0.0.1:8080',
      fluentd: { host: '127.0.0.1', port: 24224 },
      fluentd_monitor: 'http://127.0.0.1:24220',
      s3: 'http://127.0.0.1:8333',
      team_mlflow: 'http://127.0.0.1:5001',
      team_s3: 'http://127.0.0.1:8333',
      docker: {},
      composeProject: 'dstack',
    });
    expect(publishedPorts(DEFAULT_ENDPOINTS).map((p) => p.port)).toEqual(DEFAULT_PORTS);
  });

  it("follows the workspace's compose/.env, the repository's filling what it leaves out", () => {
    const { ws } = workspace('one-line', ['MLFLOW_PORT=5099']);
    const e = loadEndpoints({ workspace: ws, env: {} });
    expect(e).toEqual({ ...DEFAULT_ENDPOINTS, mlflow: 'http://127.0.0.1:5099', team_mlflow: 'http://127.0.0.1:5099' });
  });

  it('lets a variable of the environment win over .env, as docker compose does, and TUTORIAL_*_URL win over both', () => {
    const { ws } = workspace('env-wins', ['MLFLOW_PORT=5099', 'ES_PORT=9201']);
    expect(loadEndpoints({ workspace: ws, env: { MLFLOW_PORT: '5098' } }).mlflow).toBe('http://127.0.0.1:5098');
    const e = loadEndpoints({
      workspace: ws,
      env: { MLFLOW_PORT: '5098', TUTORIAL_MLFLOW_URL: 'http://127.0.0.1:7777/', TUTORIAL_FLUENTD_PORT: '7778' },
    });
    expect(e.mlflow).toBe('http://127.0.0.1:7777');
    expect(e.es).toBe('http://127.0.0.1:9201');
    expect(e.fluentd.port).toBe(7778);
  });

  it('names the file and the line of a port that is not a number', () => {
    const { ws, env } = workspace('bad', ['KIBANA_PORT=56o1']);
    expect(() => loadEndpoints({ workspace: ws, env: {} })).toThrow(
      new TypeError(`KIBANA_PORT=56o1 in ${env} is not a port number; write a number from 1 to 65535.`),
    );
    expect(() => loadEndpoints({ workspace: ws, env: { KIBANA_PORT: '70000' } })).toThrow(
      'KIBANA_PORT=70000 in the environment variable KIBANA_PORT is not a port number; write a number from 1 to 65535.',
    );
  });

  it('moves every placeholder, shell variable and status target with every port of the workspace', () => {
    const { ws } = workspace(
      'all-moved',
      Object.entries(MOVED).map(([k, v]) => `${k}=${v}`),
    );
    const e = loadEndpoints({ workspace: ws, env: {} });
    expect(publishedPorts(e)).toEqual(Object.entries(MOVED).map(([name, port]) => ({ name, port })));

    const values = placeholderValues(e, ws, 'm');
    const addresses = PLACEHOLDER_NAMES.filter((n) => n !== 'workspace' && n !== 'marker' && n !== 'fluentd_host');
    expect(Object.fromEntries(addresses.map((n) => [n, values[n]]))).toEqual({
      es: 'http://127.0.0.1:19200',
      kibana: 'http://127.0.0.1:15601',
      mlflow: 'http://127.0.0.1:15001',
      adminer: 'http://127.0.0.1:18080',
      fluentd_port: '34224',
      fluentd_monitor: 'http://127.0.0.1:34220',
      s3: 'http://127.0.0.1:18333',
      // Without a class server, the team's services are the learner's own, moved with them.
      team_mlflow: 'http://127.0.0.1:15001',
      team_s3: 'http://127.0.0.1:18333',
    });

    expect(stackVariables(e)).toEqual({
      ES_URL: 'http://127.0.0.1:19200',
      KIBANA_URL: 'http://127.0.0.1:15601',
      MLFLOW_TRACKING_URI: 'http://127.0.0.1:15001',
      ADMINER_URL: 'http://127.0.0.1:18080',
      FLUENTD_HOST: '127.0.0.1',
      FLUENTD_FORWARD_PORT: '34224',
      FLUENTD_MONITOR_URL: 'http://127.0.0.1:34220',
      S3_ENDPOINT_URL: 'http://127.0.0.1:18333',
      TEAM_MLFLOW_TRACKING_URI: 'http://127.0.0.1:15001',
      TEAM_S3_ENDPOINT_URL: 'http://127.0.0.1:18333',
      MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD: 'false',
      MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: 'false',
    });

    const targets = Object.fromEntries(Object.entries(serviceProbes(e)).map(([id, p]) => [id, p.target]));
    expect(targets).toEqual({
      elasticsearch: 'http://127.0.0.1:19200/_cluster/health',
      kibana: 'http://127.0.0.1:15601/api/status',
      fluentd: 'http://127.0.0.1:34220/api/plugins.json',
      postgres: "docker: the dstack project's postgres container",
      mlflow: 'http://127.0.0.1:15001/health, /version and /api/2.0/mlflow/experiments/search',
      adminer: 'http://127.0.0.1:18080/',
      seaweedfs: 'http://127.0.0.1:18333/',
    });
    // Nothing still points at a default port.
    const everything = JSON.stringify([values, stackVariables(e), targets]);
    for (const port of DEFAULT_PORTS) expect(everything).not.toMatch(new RegExp(`:${port}\\b`));
  });

  it('has one compose/.env variable per published port', () => {
    expect(Object.values(PORT_VARIABLES).sort()).toEqual(Object.keys(MOVED).sort());
  });
});

describe('watchEndpoints', () => {
  it('reads the file again after it changes, and keeps the last good endpoints while it is broken', () => {
    const { ws, env } = workspace('watched', ['MLFLOW_PORT=5099']);
    const logged: string[] = [];
    const endpoints = watchEndpoints({ workspace: ws, env: {}, log: (l) => logged.push(l) });
    const first = endpoints();
    expect(first.mlflow).toBe('http://127.0.0.1:5099');
    expect(endpoints()).toBe(first);
    writeFileSync(env, 'MLFLOW_PORT=15099\n');
    expect(endpoints().mlflow).toBe('http://127.0.0.1:15099');
    writeFileSync(env, 'MLFLOW_PORT=five\n');
    expect(endpoints().mlflow).toBe('http://127.0.0.1:15099');
    expect(logged).toEqual([
      `MLFLOW_PORT=five in ${env} is not a port number; write a number from 1 to 65535. The tutorial keeps using the addresses it had until the file is fixed.`,
    ]);
    rmSync(env);
    // Without its own copy the workspace falls back to the repository's compose/.env.
    expect(endpoints().mlflow).toBe(DEFAULT_ENDPOINTS.mlflow);
  });

  it("points the team's variables at a class server when workshop mode names one, and only those", () => {
    const { ws } = workspace('class-server', ['MLFLOW_PORT=15001', 'S3_PORT=18333']);
    const e = loadEndpoints({
      workspace: ws,
      env: { TUTORIAL_TEAM_MLFLOW_URL: 'http://team-mlflow:5000/', TUTORIAL_TEAM_S3_URL: 'http://team-s3:8333' },
    });
    expect(stackVariables(e)).toMatchObject({
      MLFLOW_TRACKING_URI: 'http://127.0.0.1:15001',
      S3_ENDPOINT_URL: 'http://127.0.0.1:18333',
      TEAM_MLFLOW_TRACKING_URI: 'http://team-mlflow:5000',
      TEAM_S3_ENDPOINT_URL: 'http://team-s3:8333',
    });
    expect(() => loadEndpoints({ workspace: ws, env: { TUTORIAL_TEAM_S3_URL: 'team s3' } })).toThrow(/team_s3/);
  });

  it('throws at the first read when the file is broken, so the server does not start on wrong addresses', () => {
    const { ws } = workspace('broken-at-start', ['ES_PORT=']);
    expect(() => watchEndpoints({ workspace: ws, env: {} })()).toThrow(TypeError);
  });
});

describe('withStackVariables', () => {
  it('gives each copy of the environment the addresses of that moment', () => {
    let e = DEFAULT_ENDPOINTS;
    const env = withStackVariables({ PATH: '/usr/bin', ES_URL: 'http://elsewhere:1' }, () => e);
    expect({ ...env }).toEqual({ PATH: '/usr/bin', ...stackVariables(DEFAULT_ENDPOINTS) });
    e = { ...DEFAULT_ENDPOINTS, es: 'http://127.0.0.1:19200' };
    expect({ ...env }.ES_URL).toBe('http://127.0.0.1:19200');
    expect(Object.keys(env).filter((k) => k !== 'PATH')).toEqual([...STACK_VARIABLES]);
  });
});
