import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileExclusive, ensurePrivateFolder, UnsafeFolderError, writeFileAtomic } from '../../server/private-fs.ts';

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'private-fs-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ROLE = { what: 'state folder', option: '--state DIR' };

describe('ensurePrivateFolder', () => {
  it('makes a missing folder (and its parents) with mode 0700, and accepts it from then on', () => {
    const dir = join(scratch(), 'a', 'b');
    ensurePrivateFolder(dir, ROLE);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(() => ensurePrivateFolder(dir, ROLE)).not.toThrow();
  });

  it('accepts a folder of this user that only this user may write to (0755 too)', () => {
    const dir = join(scratch(), 'x');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    expect(() => ensurePrivateFolder(dir, ROLE)).not.toThrow();
  });

  it('refuses a folder that a local attacker could have prepared, saying which problem and how to fix it', () => {
    const root = scratch();
    const link = join(root, 'link');
    symlinkSync(root, link);
    const file = join(root, 'file');
    writeFileSync(file, '');
    const group = join(root, 'group');
    mkdirSync(group);
    chmodSync(group, 0o775);
    const world = join(root, 'with space');
    mkdirSync(world);
    chmodSync(world, 0o1777);
    const messages = [link, file, group, world].map((d) => {
      try {
        ensurePrivateFolder(d, ROLE);
        return 'accepted';
      } catch (err) {
        expect(err).toBeInstanceOf(UnsafeFolderError);
        return (err as Error).message;
      }
    });
    expect(messages).toEqual([
      `The state folder ${link} is a symbolic link (to ${root}); the tutorial keeps files there that your shells run, so it must be a real folder of your own. Remove the link with \`rm ${link}\`, or choose another folder with --state DIR.`,
      `The state folder ${file} is a file, not a folder. Move it away, or choose another folder with --state DIR.`,
      `The state folder ${group} can be written by its group (its mode is 0775), who could change the files your shells run. Make it yours alone with \`chmod 700 ${group}\`, or choose another folder with --state DIR.`,
      `The state folder ${world} can be written by every user (its mode is 1777), who could change the files your shells run. Make it yours alone with \`chmod 700 '${world}'\`, or choose another folder with --state DIR.`,
    ]);
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a folder owned by another user (nobody)', () => {
    const dir = join(scratch(), 'theirs');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    expect(() => ensurePrivateFolder(dir, { what: 'shells folder' })).toThrow(
      `The shells folder ${dir} belongs to another user (nobody, uid 65534), who could change the files your shells run. Remove it with \`sudo rm -r ${dir}\` if nothing in it is yours.`,
    );
  });
});

describe('files created without following links', () => {
  it('createFileExclusive refuses a planted link (even a dangling one) and leaves its target alone', () => {
    const dir = scratch();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, join(dir, 'rc.bash'));
    symlinkSync(join(dir, 'not-yet'), join(dir, 'env.1'));
    expect(() => createFileExclusive(join(dir, 'rc.bash'), 'planted?')).toThrow(/EEXIST/);
    expect(() => createFileExclusive(join(dir, 'env.1'), 'planted?')).toThrow(/EEXIST/);
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(() => readFileSync(join(dir, 'not-yet'))).toThrow(/ENOENT/);
  });

  it('writeFileAtomic replaces a link in place of the target instead of writing through it, and makes the file 0600', () => {
    const dir = scratch();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, join(dir, 'progress.json'));
    writeFileAtomic(join(dir, 'progress.json'), 'new');
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(readFileSync(join(dir, 'progress.json'), 'utf8')).toBe('new');
    expect(statSync(join(dir, 'progress.json')).mode & 0o777).toBe(0o600);
  });
});
