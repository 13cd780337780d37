import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasVenv, testEnv, venvBin } from '../../helpers/env.ts';

/**
 * workspace/logging/logging_test.py: plain logging configured by fileConfig() from a path
 * relative to the current folder. Run from the workspace it works; run from inside logging/
 * it fails, which the Python-logging chapter shows on purpose and its diagnosis recognises.
 */

const execFileAsync = promisify(execFile);
const WORKSPACE = resolve(import.meta.dirname, '../../../workspace');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Result> {
  return execFileAsync(venvBin('python'), args, { cwd, env: { ...process.env, ...env }, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({
      code: err.code ?? -1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    }),
  );
}

/**
 * The error text depends on the Python version: CPython 3.12 and 3.11.4+ check that the file
 * exists (gh-103606); older versions parse nothing and fail on the first missing section.
 */
function expectedMissingConfigError(version: [number, number, number]): RegExp {
  const [major, minor, micro] = version;
  const checksFile = major > 3 || (major === 3 && (minor > 11 || (minor === 11 && micro >= 4)));
  return checksFile ? /FileNotFoundError: logging\/logging\.ini doesn't exist/ : /KeyError: 'formatters'/;
}

let pythonVersion: [number, number, number];

beforeAll(async () => {
  if (!hasVenv()) throw new Error(`The test virtualenv is missing at ${testEnv.venv} (set TUTORIAL_VENV).`);
  const { stdout } = await execFileAsync(venvBin('python'), ['-c', 'import sys; print(*sys.version_info[:3])']);
  pythonVersion = stdout.trim().split(' ').map(Number) as [number, number, number];
});

describe('logging/logging_test.py', () => {
  it('logs every level to the console when run from the workspace folder', async () => {
    const result = await run(['logging/logging_test.py'], WORKSPACE, { TUTORIAL_MARKER: 'ds-logging-console-0a1b2c3d' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // The format from logging.ini: time, level, logger name, module.function, message.
    expect(result.stdout).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} DEBUG {4}experiment logging_test\.train: Loading the data set$/m);
    expect(result.stdout).toMatch(/ INFO {5}experiment logging_test\.train: Training started with learning_rate=0\.01$/m);
    expect(result.stdout).toMatch(/ WARNING {2}experiment logging_test\.train: Validation loss went up in epoch 3$/m);
    expect(result.stdout).toMatch(/ ERROR {4}experiment logging_test\.train: Evaluation failed\nTraceback \(most recent call last\):/);
    expect(result.stdout).toContain('ZeroDivisionError: division by zero');
    // propagate=0: each record is printed once, not again by the root logger.
    expect(result.stdout.match(/Loading the data set/g)).toHaveLength(1);
    expect(result.stdout).toMatch(/^marker: ds-logging-console-0a1b2c3d$/m);
  });

  it('prints no marker line when TUTORIAL_MARKER is not set', async () => {
    const result = await run(['logging/logging_test.py'], WORKSPACE, { TUTORIAL_MARKER: '' });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('marker:');
  });

  it('fails from inside logging/ because the relative configuration path is not found', async () => {
    const result = await run(['logging_test.py'], join(WORKSPACE, 'logging'));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(expectedMissingConfigError(pythonVersion));
    expect(result.stderr).toContain('logging.config.fileConfig("logging/logging.ini")');
  });

  it("fails with KeyError: 'formatters' where Python reads a missing file as an empty configuration", async () => {
    // Older Pythons (the 2021 guide's) do not check that the file exists. The same path through
    // configparser, which skips missing files silently, shows the error they print.
    const script = [
      'import configparser, logging.config',
      'cp = configparser.ConfigParser()',
      'cp.read("logging/logging.ini")',
      'logging.config.fileConfig(cp)',
    ].join('\n');
    const fromLogging = await run(['-c', script], join(WORKSPACE, 'logging'));
    expect(fromLogging.code).toBe(1);
    expect(fromLogging.stderr).toMatch(/KeyError: 'formatters'\s*$/);
    const fromWorkspace = await run(['-c', script], WORKSPACE);
    expect(fromWorkspace.code).toBe(0);
  });
});
