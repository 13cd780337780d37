import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_DIR } from '../../../server/paths.ts';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'compose-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `docker compose config` on a copy of compose/ (Compose reads .env from the file's folder). */
async function composeConfig(edit?: (yaml: string) => string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(scratch, 'c-'));
  cpSync(COMPOSE_DIR, dir, { recursive: true });
  const file = join(dir, 'docker-compose.yml');
  if (edit) writeFileSync(file, edit(readFileSync(file, 'utf8')));
  try {
    const { stdout, stderr } = await run('docker', ['compose', '-f', file, 'config', '--format', 'json'], { cwd: dir });
    return { ok: true, stdout, stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

interface Resolved {
  name: string;
  services: Record<string, { image?: string; ports?: { host_ip?: string; published?: string }[]; healthcheck?: unknown }>;
}

describe('compose/docker-compose.yml under a real Compose v2', () => {
  it('is valid, and resolves to pinned images and ports bound to 127.0.0.1', async () => {
    const r = await composeConfig();
    expect(r.stderr).toBe('');
    expect(r.ok).toBe(true);
    const config = JSON.parse(r.stdout) as Resolved;
    expect(config.name).toBe('dstack');
    // Compose resolves every service the file defines (tests/unit/compose-rules.test.ts names them).
    const declared = parse(readFileSync(join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8')) as { services: object };
    expect(Object.keys(config.services).sort()).toEqual(Object.keys(declared.services).sort());
    for (const [name, service] of Object.entries(config.services)) {
      expect(service.image, name).toMatch(/:[\w.-]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
      for (const p of service.ports ?? []) expect(p.host_ip, `${name} publishes ${p.published}`).toBe('127.0.0.1');
    }
  });

  it('is refused by Compose when a key is misspelled', async () => {
    const r = await composeConfig((yaml) => yaml.replace(/^services:/m, 'servics:'));
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/servics/);
  });

  it('moves a published port when its variable is set', async () => {
    const dir = mkdtempSync(join(scratch, 'env-'));
    cpSync(COMPOSE_DIR, dir, { recursive: true });
    const { stdout } = await run('docker', ['compose', '-f', join(dir, 'docker-compose.yml'), 'config', '--format', 'json'], {
      cwd: dir,
      env: { ...process.env, MLFLOW_PORT: '5055' },
    });
    const config = JSON.parse(stdout) as Resolved;
    expect(config.services.mlflow?.ports?.[0]).toMatchObject({ host_ip: '127.0.0.1', published: '5055' });
  });
});
