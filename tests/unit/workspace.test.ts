import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { learnerEnv, prepareWorkspace } from '../../server/workspace.ts';

const workspace = mkdtempSync(join(tmpdir(), 'workspace-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe('learnerEnv', () => {
  const base = { PATH: '/usr/bin:/bin', HOME: '/home/learner' };

  it('leaves the environment as it is while the workspace has no virtualenv', () => {
    expect(learnerEnv(workspace, base)).toBe(base);
  });

  it("puts the workspace's virtualenv first on PATH and names it in VIRTUAL_ENV once it exists", () => {
    mkdirSync(join(workspace, '.venv', 'bin'), { recursive: true });
    expect(learnerEnv(workspace, base)).toEqual({
      PATH: `${join(workspace, '.venv', 'bin')}:/usr/bin:/bin`,
      HOME: '/home/learner',
      VIRTUAL_ENV: join(workspace, '.venv'),
    });
  });
});

describe('prepareWorkspace', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const d = mkdtempSync(join(tmpdir(), 'prepare-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A template (logging/, data/ and a file) and a compose folder, in a fresh scratch folder. */
  function fixture() {
    const root = scratch();
    const template = join(root, 'template');
    mkdirSync(join(template, 'logging'), { recursive: true });
    writeFileSync(join(template, 'logging', 'app.py'), 'print("template")\n');
    writeFileSync(join(template, 'requirements.txt'), 'mlflow\n');
    const compose = join(root, 'compose');
    mkdirSync(compose);
    writeFileSync(join(compose, 'docker-compose.yml'), 'services: {}\n');
    const outside = join(root, 'outside');
    mkdirSync(outside);
    return { root, template, compose, outside, workspace: join(root, 'ws') };
  }

  it('makes the workspace 0700 and copies the template and compose/ into it', () => {
    const f = fixture();
    prepareWorkspace(f.workspace, { template: f.template, compose: f.compose });
    expect(statSync(f.workspace).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(f.workspace, 'logging', 'app.py'), 'utf8')).toBe('print("template")\n');
    expect(readFileSync(join(f.workspace, 'compose', 'docker-compose.yml'), 'utf8')).toBe('services: {}\n');
  });

  it("never overwrites the learner's file, nor writes through a link the learner made", () => {
    const f = fixture();
    mkdirSync(f.workspace, { mode: 0o700 });
    writeFileSync(join(f.workspace, 'requirements.txt'), 'my own edit\n');
    // The learner's logging/ is a link to a folder elsewhere; so is compose/.
    symlinkSync(f.outside, join(f.workspace, 'logging'));
    symlinkSync(f.outside, join(f.workspace, 'compose'));
    const warnings: string[] = [];
    prepareWorkspace(f.workspace, { template: f.template, compose: f.compose, warn: (m) => warnings.push(m) });
    expect(readFileSync(join(f.workspace, 'requirements.txt'), 'utf8')).toBe('my own edit\n');
    expect(readdirSync(f.outside)).toEqual([]);
    expect(warnings).toEqual([
      `${join(f.workspace, 'logging')} is a link in your workspace, so the tutorial's files were not copied through it.`,
      `${join(f.workspace, 'compose')} is a link in your workspace, so the tutorial's files were not copied through it.`,
    ]);
  });

  it('copies a template with a link pointing outside without writing outside: the link is left out', () => {
    const f = fixture();
    // A template whose compose/ (and another folder) link out of the workspace: copied as links,
    // the compose copy that follows would write into the folder they point to.
    symlinkSync(f.outside, join(f.template, 'compose'));
    symlinkSync('../outside', join(f.template, 'escape'));
    symlinkSync('logging/app.py', join(f.template, 'inside'));
    const warnings: string[] = [];
    prepareWorkspace(f.workspace, { template: f.template, compose: f.compose, warn: (m) => warnings.push(m) });
    expect(readdirSync(f.outside)).toEqual([]);
    expect(lstatSync(join(f.workspace, 'compose')).isDirectory()).toBe(true);
    expect(readFileSync(join(f.workspace, 'compose', 'docker-compose.yml'), 'utf8')).toBe('services: {}\n');
    expect(readdirSync(f.workspace)).not.toContain('escape');
    expect(readlinkSync(join(f.workspace, 'inside'))).toBe('logging/app.py');
    expect(warnings.sort()).toEqual([
      `The template's link ${join(f.template, 'compose')} points outside the workspace (to ${f.outside}), so it was not copied.`,
      `The template's link ${join(f.template, 'escape')} points outside the workspace (to ../outside), so it was not copied.`,
    ]);
  });
});
