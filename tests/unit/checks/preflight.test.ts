import { describe, expect, it } from 'vitest';
import { availableFromVmStat, isVm, measureMemory, memoryItem } from '../../../server/checks/probes/preflight.ts';

/**
 * The memory preflight's decision on recorded machines. Sources: this project's CI machine
 * (`docker info` through the API and Node's os.totalmem/os.freemem, Debian 12, native engine);
 * an Apple Silicon Mac's `vm_stat` (HMCL-dev/HMCL#4876); a 64 GiB Mac with OrbStack's 16 GiB VM
 * (henrygd/beszel#2098: hw.memsize 68719476736, docker info MemTotal 16818024448); Docker for
 * Mac's 2 GB VM on a 16 GB Mac (moby/moby#31782: "Total Memory: 1.952 GiB", as docker info
 * prints it).
 */
const HMCL_VM_STAT = `Mach Virtual Memory Statistics: (page size of 16384 bytes)
Pages free:                                3857.
Pages active:                            446206.
Pages inactive:                          443760.
Pages speculative:                         1075.
Pages throttled:                              0.
Pages wired down:                        181483.
Pages purgeable:                          17340.
"Translation faults":                8667427138.
Pages copy-on-write:                  156847509.
Pages zero filled:                   4902315421.
Pages reactivated:                    586001636.
Pages purged:                         174538344.
File-backed pages:                       294894.
Anonymous pages:                         596147.
Pages stored in compressor:             1943619.
Pages occupied by compressor:            442179.
`;

const LINUX = {
  platform: 'linux' as const,
  hostTotal: 25276059648,
  hostFree: 23380578304,
  engine: { memTotal: 25276059648, operatingSystem: 'Debian GNU/Linux 12 (bookworm)', cpus: 2 },
};
const ORBSTACK = { memTotal: 16818024448, operatingSystem: 'OrbStack', cpus: 10 };
const DOCKER_FOR_MAC_2017 = { memTotal: Math.round(1.952 * 2 ** 30), operatingSystem: 'Alpine Linux v3.5', cpus: 4 };

describe('measureMemory', () => {
  it('with a native engine on Linux, counts what the machine has available', () => {
    expect(isVm(LINUX.engine, LINUX.hostTotal)).toBe(false);
    const m = measureMemory(LINUX);
    expect(m).toEqual({ mb: 22297, of: 'host', how: 'os.freemem() 23380578304 bytes (MemAvailable on Linux).' });
    expect(memoryItem(m, 3072)).toEqual({ ok: true, text: '22297 MiB of memory are available.' });
  });

  it("with the engine in a VM, counts the VM's memory, not the Mac's", () => {
    const m = measureMemory({ platform: 'darwin', hostTotal: 68719476736, hostFree: 80805888, engine: ORBSTACK });
    expect(m.of).toBe('vm');
    expect(m.mb).toBe(16038);
    expect(m.how).toBe("Docker's VM (OrbStack): docker info MemTotal 16818024448 bytes; this machine has 68719476736 bytes.");
    expect(memoryItem(m, 3072)).toEqual({ ok: true, text: "Docker's VM has 16038 MiB of memory." });

    const small = measureMemory({ platform: 'darwin', hostTotal: 16 * 2 ** 30, hostFree: 12 * 2 ** 30, engine: DOCKER_FOR_MAC_2017 });
    expect(memoryItem(small, 3072)).toEqual({
      ok: false,
      text: "Docker's VM has only 1998 MiB of memory, and the stack needs about 3072 MiB.",
      hint: 'Give Docker more memory (Docker Desktop: Settings, Resources, Memory; at least 4 GB), then check again.',
    });
  });

  it('names Docker Desktop by the system it reports, even when its VM has as much memory as the machine', () => {
    const desktop = { memTotal: 25276059648, operatingSystem: 'Docker Desktop', cpus: 2 };
    expect(isVm(desktop, 25276059648)).toBe(true);
    expect(measureMemory({ ...LINUX, engine: desktop }).how).toMatch(/^Docker Desktop's VM: /);
  });

  it("on macOS without Docker, counts vm_stat's free, speculative and inactive pages, not os.freemem()", () => {
    // os.freemem() on that Mac: free_count (free + speculative) pages, 77 MiB.
    const freemem = (3857 + 1075) * 16384;
    const m = measureMemory({ platform: 'darwin', hostTotal: 16 * 2 ** 30, hostFree: freemem, vmStat: HMCL_VM_STAT });
    expect(m).toEqual({ mb: 7010, of: 'host', how: 'vm_stat: free + speculative + inactive pages = 7351369728 bytes.' });
    expect(memoryItem(m, 3072).ok).toBe(true);
    expect(memoryItem(measureMemory({ platform: 'linux', hostTotal: 16 * 2 ** 30, hostFree: freemem }), 3072)).toEqual({
      ok: false,
      text: 'Only 77 MiB of memory are available, and the stack needs about 3072 MiB.',
      hint: 'Close memory-hungry programs (a second browser, a virtual machine), then check again.',
    });
  });

  it('on macOS without vm_stat, falls back to the total memory and says so', () => {
    const m = measureMemory({ platform: 'darwin', hostTotal: 8 * 2 ** 30, hostFree: 50 * 2 ** 20 });
    expect(m).toEqual({ mb: 8192, of: 'host-total', how: 'vm_stat could not be read; total memory 8589934592 bytes.' });
    expect(memoryItem(m, 3072)).toEqual({
      ok: true,
      text: 'This machine has 8192 MiB of memory (vm_stat could not say how much is free).',
    });
  });
});

describe('availableFromVmStat', () => {
  it('reads the page size and the page counts', () => {
    expect(availableFromVmStat(HMCL_VM_STAT)).toBe((3857 + 1075 + 443760) * 16384);
    expect(availableFromVmStat('vm_stat: command not found')).toBeUndefined();
  });
});
