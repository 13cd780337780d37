import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer, type Server as NetServer, type Socket } from 'node:net';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Check, CheckSchema } from '../../../protocol/probes/index.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import { runCheck } from '../../../server/checks/engine.ts';
import { DEFAULT_ENDPOINTS, type Endpoints } from '../../../server/stack/endpoints.ts';

const workspace = mkdtempSync(join(tmpdir(), 'probes-'));
let http: Server;
let silent: NetServer;
const silentSockets: Socket[] = [];
let httpUrl = '';
let silentPort = 0;
let closedPort = 0;

beforeAll(async () => {
  http = createHttpServer((req, res) => {
    if (req.url === '/_cluster/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ cluster_name: 'docker-cluster', status: 'yellow', number_of_nodes: 1, nested: { list: [{ n: 3 }] } }));
    } else if (req.url === '/mlflow') {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('Invalid Host header - possible DNS rebinding attack detected');
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  // Accepts connections and never says a word: a hung service.
  silent = createServer((s) => silentSockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as AddressInfo).port;
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
});
afterAll(async () => {
  for (const s of silentSockets) s.destroy();
  await new Promise((r) => silent.close(r));
  await new Promise((r) => http.close(r));
  rmSync(workspace, { recursive: true, force: true });
});

const endpoints = (): Endpoints => ({ ...DEFAULT_ENDPOINTS, es: httpUrl });
// HOME is the test's own folder, so `bash -l` reads no personal profile: a deadline that kills a
// login shell inside the machine's profile (pyenv rehash, say) would leave that tool's lock behind.
const env = { ...process.env, HOME: workspace };
const check = (input: unknown): Promise<CheckResult> =>
  runCheck(CheckSchema.parse(input) as Check, { workspace, endpoints: endpoints(), marker: 'ds-test-step-0123abcd', env });

describe('http probe', () => {
  it('passes on the status and a JSON path with allowed values, through the {{es}} placeholder', async () => {
    const r = await check({
      kind: 'http',
      url: '{{es}}/_cluster/health',
      json: { status: ['green', 'yellow'], 'nested.list.0.n': { gte: 3 } },
    });
    expect(r).toMatchObject({ ok: true, message: `GET ${httpUrl}/_cluster/health answered as expected (status 200).` });
  });

  it('names the JSON path, what it found and what the step expects', async () => {
    const r = await check({ kind: 'http', url: '{{es}}/_cluster/health', json: { status: 'green' } });
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`GET ${httpUrl}/_cluster/health answered, but status is "yellow", and the step expects "green".`);
  });

  it('fails on an unexpected status and diagnoses the body', async () => {
    const r = await check({ kind: 'http', url: `${httpUrl}/mlflow`, name: 'MLflow' });
    expect(r.message).toBe(`MLflow (GET ${httpUrl}/mlflow) answered with status 403, and the step expects a 2xx status.`);
    expect(r.diagnosis?.id).toBe('mlflow-host-header');
  });

  it('says the service is not running when the port refuses the connection', async () => {
    const r = await check({ kind: 'http', url: `http://127.0.0.1:${closedPort}/`, name: 'Elasticsearch' });
    expect(r.ok).toBe(false);
    expect(r.message).toBe(
      `Nothing answers at http://127.0.0.1:${closedPort}/ (connection refused): Elasticsearch is not running, or not on this port.`,
    );
    expect(r.message).not.toMatch(/within/);
  });

  it('says it timed out when the port accepts and never answers', async () => {
    const r = await check({ kind: 'http', url: `http://127.0.0.1:${silentPort}/`, timeout: 0.5 });
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`The service at http://127.0.0.1:${silentPort}/ did not answer within 0.5 seconds.`);
  });
});

describe('tcp probe', () => {
  it('passes when something listens', async () => {
    expect((await check({ kind: 'tcp', port: silentPort })).ok).toBe(true);
  });
  it('fails with "connection refused" on a closed port', async () => {
    const r = await check({ kind: 'tcp', port: closedPort, name: "fluentd's forward input" });
    expect(r.message).toBe(`Nothing listens at 127.0.0.1:${closedPort} (connection refused): fluentd's forward input is not running.`);
  });
  it('passes with open: false when nothing listens', async () => {
    expect((await check({ kind: 'tcp', port: closedPort, open: false })).ok).toBe(true);
  });
});

describe('command probe', () => {
  it('runs bash in the workspace with the marker filled in', async () => {
    const r = await check({ kind: 'command', run: 'pwd; echo {{marker}}', output: 'ds-test-step-0123abcd' });
    expect(r.ok).toBe(true);
    expect(r.evidence.find((e) => e.label.startsWith('Command output'))?.text).toBe(`${workspace}\nds-test-step-0123abcd`);
  });
  it('checks the exit status, the output and what must not be in it', async () => {
    expect((await check({ kind: 'command', run: 'exit 3', exit: 3 })).ok).toBe(true);
    expect((await check({ kind: 'command', run: 'exit 3' })).message).toBe(
      'The check ran its own command `exit 3`, which ended with exit status 3; the step expects 0.',
    );
    expect((await check({ kind: 'command', run: 'echo all good', output: 'fine' })).ok).toBe(false);
    const r = await check({
      kind: 'command',
      run: 'echo "ERROR: config file error: no remote specified in .dvc/config"',
      notOutput: 'ERROR: .*',
    });
    expect(r.message).toMatch(
      /its output shows "ERROR: config file error: no remote specified in \.dvc\/config", which means the step has not worked yet\.$/,
    );
    expect(r.diagnosis?.id).toBe('dvc-no-remote');
  });
  it('stops the whole process group at the deadline, children included', async () => {
    const pidFile = join(workspace, 'child.pid');
    const r = await check({ kind: 'command', run: `sleep 60 & echo $! > ${pidFile}; wait`, timeout: 0.5 });
    expect(r.message).toBe(
      `The check's own command \`sleep 60 & echo $! > ${pidFile}; wait\` did not finish within 0.5 seconds, so it was stopped.`,
    );
    const { readFileSync } = await import('node:fs');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((res) => setTimeout(res, 20));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });
});

describe('file probe', () => {
  beforeAll(() => {
    mkdirSync(join(workspace, '.dvc'), { recursive: true });
    mkdirSync(join(workspace, 'logging'), { recursive: true });
    writeFileSync(join(workspace, '.dvc', 'config'), '[core]\n    remote = storage\n[\'remote "storage"\']\n    url = /tmp/dvc-storage\n');
    writeFileSync(
      join(workspace, 'logging', 'logging.yml'),
      'version: 1\nhandlers:\n  fluent:\n    class: fluent.handler.FluentHandler\n    host: 127.0.0.1\n    port: 24224\n    tag: ds\n',
    );
  });
  it('checks existence and type', async () => {
    expect((await check({ kind: 'file', path: '.dvc', type: 'directory' })).ok).toBe(true);
    expect((await check({ kind: 'file', path: 'data.dvc' })).message).toBe('data.dvc does not exist yet.');
    expect((await check({ kind: 'file', path: 'data.dvc', exists: false })).ok).toBe(true);
  });
  it('checks INI keys, including DVC sections with quoted names', async () => {
    expect(
      (await check({ kind: 'file', path: '.dvc/config', ini: { 'core.remote': 'storage', 'remote "storage".url': { matches: '^/tmp/' } } }))
        .ok,
    ).toBe(true);
    const r = await check({ kind: 'file', path: '.dvc/config', ini: { 'core.autostage': true } });
    expect(r.message).toBe('In .dvc/config, core.autostage is missing, and the step expects true.');
  });
  it('checks YAML key paths and regular expressions in the text', async () => {
    expect(
      (
        await check({
          kind: 'file',
          path: 'logging/logging.yml',
          yaml: { 'handlers.fluent.port': 24224, 'handlers.fluent.tag': 'ds' },
          contains: '^version: 1$',
        })
      ).ok,
    ).toBe(true);
    const r = await check({ kind: 'file', path: '{{workspace}}/logging/logging.yml', yaml: { 'handlers.fluent.port': 24225 } });
    expect(r.message).toBe(`In ${workspace}/logging/logging.yml, handlers.fluent.port is 24224, and the step expects 24225.`);
  });
});

describe('preflight probe', () => {
  it('reports a busy port by number and diagnoses it', async () => {
    const r = await check({ kind: 'preflight', docker: false, compose: false, maxMapCount: false, ports: [silentPort] });
    expect(r.ok).toBe(false);
    expect(r.message).toBe(`Port ${silentPort} is busy: another program listens on it.`);
    expect(r.diagnosis?.id).toBe('port-in-use');
  });
  it('names no AirPlay Receiver for a busy port 5000 except on macOS', async () => {
    const holder = createServer();
    const bound = await new Promise<boolean>((r) => {
      holder.once('error', () => r(false));
      holder.listen(5000, '127.0.0.1', () => r(true));
    });
    try {
      const r = await check({ kind: 'preflight', docker: false, compose: false, maxMapCount: false, ports: [5000] });
      if (platform() === 'darwin') {
        expect(r.message).toBe('Port 5000 is busy: another program listens on it; on a Mac this is usually the AirPlay Receiver.');
        expect(r.diagnosis?.cause).toMatch(/AirPlay Receiver/);
      } else {
        expect(r.message).toBe('Port 5000 is busy: another program listens on it.');
        expect(`${r.message} ${r.hint}`).not.toMatch(/AirPlay|macOS|Mac\b/);
      }
      if (!bound) console.warn('Port 5000 was already taken on this machine; the test used whatever holds it.');
    } finally {
      if (bound) await new Promise((r) => holder.close(r));
    }
  });

  it('passes for a free port, enough memory and disk', async () => {
    const r = await check({
      kind: 'preflight',
      docker: false,
      compose: false,
      maxMapCount: false,
      ports: [closedPort],
      memoryMb: 1,
      diskMb: 1,
    });
    expect(r).toMatchObject({ ok: true, message: 'This machine is ready for the stack.' });
  });
  it('fails when more memory is asked for than the machine has free', async () => {
    const r = await check({ kind: 'preflight', docker: false, compose: false, maxMapCount: false, memoryMb: 1e9 });
    expect(r.message).toMatch(
      /^(Only \d+ MiB of memory are available|Docker's VM has only \d+ MiB of memory), and the stack needs about 1000000000 MiB\.$/,
    );
  });
  it('reads vm.max_map_count on Linux and, when it is low, passes with a warning and the sysctl command for this shell', async () => {
    const { readFileSync } = await import('node:fs');
    const now = Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    const r = await check({ kind: 'preflight', docker: false, compose: false, maxMapCount: true });
    // Single-node Elasticsearch only warns about a low value, so the step does not stay failed.
    expect(r.ok).toBe(true);
    if (now < 262144) {
      const sysctl = process.getuid?.() === 0 ? 'sysctl' : 'sudo sysctl';
      expect(r.message).toBe(
        `This machine is ready for the stack. vm.max_map_count is ${now}, below the 262144 Elasticsearch asks for; in this tutorial's single-node mode it only logs a warning about it. To raise it, run \`${sysctl} -w vm.max_map_count=262144\`.`,
      );
    }
  });
  it('finds Compose v2 missing through `docker compose version` and diagnoses it', async () => {
    // A docker command without the compose plugin, first on PATH.
    const bin = join(workspace, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'docker'), '#!/bin/sh\necho "docker: \'compose\' is not a docker command." >&2\nexit 1\n', { mode: 0o755 });
    const r = await runCheck(CheckSchema.parse({ kind: 'preflight', docker: false, maxMapCount: false }), {
      workspace,
      endpoints: endpoints(),
      env: { ...env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.message).toBe('Docker Compose v2 (`docker compose`) is not installed.');
    expect(r.diagnosis?.id).toBe('compose-v2-missing');
  });
});
