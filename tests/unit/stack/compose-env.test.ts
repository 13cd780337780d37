import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { composeEnvFile, fileVersion, parseDotenv, readDotenv, TEMPLATE_ENV_FILE } from '../../../server/stack/compose-env.ts';

const dir = mkdtempSync(join(tmpdir(), 'compose-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseDotenv', () => {
  it('reads KEY=VALUE lines as Compose does, skipping comments, blank and broken lines', () => {
    const text = [
      '# Host ports',
      '',
      'ES_PORT=9200',
      '  KIBANA_PORT = 5601  ',
      'export MLFLOW_PORT=5001',
      'ADMINER_PORT=8081 # moved: 8080 is taken',
      "SINGLE='a # not a comment'",
      'DOUBLE="line\\none \\"quoted\\""',
      'EMPTY=',
      'not a variable',
      'URL=http://host/#fragment',
    ].join('\r\n');
    expect(parseDotenv(text)).toEqual({
      ES_PORT: '9200',
      KIBANA_PORT: '5601',
      MLFLOW_PORT: '5001',
      ADMINER_PORT: '8081',
      SINGLE: 'a # not a comment',
      DOUBLE: 'line\none "quoted"',
      EMPTY: '',
      URL: 'http://host/#fragment',
    });
  });

  it('reads the repository compose/.env, which has every host port', () => {
    const vars = readDotenv(TEMPLATE_ENV_FILE);
    for (const name of ['ES_PORT', 'KIBANA_PORT', 'FLUENTD_PORT', 'FLUENTD_MONITOR_PORT', 'MLFLOW_PORT', 'ADMINER_PORT']) {
      expect(vars[name], name).toMatch(/^\d+$/);
    }
  });
});

describe('composeEnvFile', () => {
  it("is the workspace's compose/.env once it exists, the repository's before", () => {
    const ws = join(dir, 'ws');
    expect(composeEnvFile(ws)).toBe(TEMPLATE_ENV_FILE);
    expect(composeEnvFile()).toBe(TEMPLATE_ENV_FILE);
    mkdirSync(join(ws, 'compose'), { recursive: true });
    writeFileSync(join(ws, 'compose', '.env'), 'MLFLOW_PORT=5099\n');
    expect(composeEnvFile(ws)).toBe(join(ws, 'compose', '.env'));
    expect(readDotenv(join(dir, 'absent.env'))).toEqual({});
  });
});

describe('fileVersion', () => {
  it('changes when the file is rewritten or replaced, and when it goes away', () => {
    const f = join(dir, 'v.env');
    writeFileSync(f, 'A=1\n');
    const v1 = fileVersion(f);
    expect(fileVersion(f)).toBe(v1);
    writeFileSync(f, 'A=22\n');
    const v2 = fileVersion(f);
    expect(v2).not.toBe(v1);
    // An editor that saves by rename gives the file a new inode.
    writeFileSync(`${f}.tmp`, 'A=33\n');
    renameSync(`${f}.tmp`, f);
    expect(fileVersion(f)).not.toBe(v2);
    rmSync(f);
    expect(fileVersion(f)).toBe(`${f}:absent`);
    expect(fileVersion(undefined)).toBe('');
  });
});
