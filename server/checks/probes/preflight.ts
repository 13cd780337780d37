import { execFile } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { freemem, platform, totalmem } from 'node:os';
import { type PreflightProbe, preflightProbe } from '../../../protocol/probes/preflight.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import { type EngineInfo, engineInfo, pingDocker } from '../../stack/docker.ts';
import { publishedPorts } from '../../stack/endpoints.ts';
import { errorCode } from '../../words.ts';
import { ev, LABEL } from '../evidence.ts';
import { asRoot, freePortAdvice, thisHost, usualPortHolder } from '../host-advice.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

/** The vm.max_map_count Elasticsearch asks for (its bootstrap check requires it outside single-node mode). */
export const MIN_MAX_MAP_COUNT = 262144;

interface Item {
  ok: boolean;
  /** A sentence for the learner. */
  text: string;
  hint?: string;
  /** Passes, but the learner should know: the text is part of the passing message. */
  warning?: boolean;
}

/** Whether a port can be bound on 0.0.0.0 and on 127.0.0.1 (both, as Docker may publish on either). */
export async function portFree(port: number): Promise<{ free: true } | { free: false; code: string }> {
  for (const host of ['0.0.0.0', '127.0.0.1']) {
    const code = await new Promise<string | undefined>((resolve) => {
      const srv = createServer();
      srv.once('error', (err) => resolve(errorCode(err) ?? err.message));
      srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(undefined)));
    });
    if (code) return { free: false, code };
  }
  return { free: true };
}

function dockerCompose(signal: AbortSignal, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; text: string }> {
  return new Promise((resolve) => {
    execFile('docker', ['compose', 'version'], { signal, env, timeout: 10_000 }, (err, stdout, stderr) => {
      const text = `${stdout}${stderr}`.trim();
      if (!err) return resolve({ ok: true, text });
      if (errorCode(err) === 'ENOENT') return resolve({ ok: false, text: 'docker: command not found' });
      resolve({ ok: false, text: text || (err as Error).message });
    });
  });
}

async function run(spec: PreflightProbe, ctx: ProbeContext): Promise<CheckResult> {
  const host = thisHost();
  const items: Item[] = [];
  const evidence: CheckResult['evidence'] = [];

  if (spec.docker) {
    const reach = await pingDocker(ctx.endpoints.docker, ctx.signal);
    if (reach.ok) items.push({ ok: true, text: 'Docker is running.' });
    else {
      items.push({
        ok: false,
        text: reach.message,
        hint:
          reach.reason === 'permission'
            ? 'Run `sudo usermod -aG docker $USER` and log in again.'
            : 'Start Docker, then check with `docker info`.',
      });
      evidence.push(ev(LABEL.docker, reach.detail));
    }
  }
  if (spec.compose) {
    const c = await dockerCompose(ctx.signal, ctx.env);
    if (c.ok) items.push({ ok: true, text: `Docker Compose v2 is installed (${c.text.split('\n')[0]}).` });
    else {
      items.push({
        ok: false,
        text: 'Docker Compose v2 (`docker compose`) is not installed.',
        hint: 'Install the docker-compose-plugin package, then run `docker compose version`.',
      });
      evidence.push(ev(`${LABEL.commandOutput} of docker compose version`, c.text));
    }
  }
  if (spec.maxMapCount && host.platform === 'linux') {
    const raw = await readFile('/proc/sys/vm/max_map_count', 'utf8').catch(() => undefined);
    const n = raw === undefined ? Number.NaN : Number(raw.trim());
    if (Number.isNaN(n)) items.push({ ok: true, text: 'vm.max_map_count cannot be read here, so it is not checked.' });
    else if (n >= MIN_MAX_MAP_COUNT) items.push({ ok: true, text: `vm.max_map_count is ${n}.` });
    else {
      // The stack runs Elasticsearch as a single node, which only logs a warning for a low value:
      // the step passes and says so, with the command that raises it (no sudo at a root prompt).
      items.push({
        ok: true,
        warning: true,
        text: `vm.max_map_count is ${n}, below the ${MIN_MAX_MAP_COUNT} Elasticsearch asks for; in this tutorial's single-node mode it only logs a warning about it. To raise it, run \`${asRoot(`sysctl -w vm.max_map_count=${MIN_MAX_MAP_COUNT}`, host)}\`.`,
      });
      evidence.push(ev(`${LABEL.host} /proc/sys/vm/max_map_count`, String(n)));
    }
  }
  // The stack's ports come from the workspace's compose/.env (through the endpoints), named by their variable.
  const ports: { port: number; name?: string }[] = [
    ...spec.ports.map((port) => ({ port })),
    ...(spec.stackPorts ? publishedPorts(ctx.endpoints) : []),
  ];
  for (const { port, name } of ports) {
    const p = await portFree(port);
    const label = name ? `Port ${port} (${name})` : `Port ${port}`;
    if (p.free) items.push({ ok: true, text: `${label} is free.` });
    else {
      const holder = usualPortHolder(port, host);
      const who = holder ? `; on a Mac this is usually ${holder}` : '';
      const why = p.code === 'EADDRINUSE' ? 'another program listens on it' : `it cannot be used (${p.code})`;
      const move = name ? ` Or give the service another port: change ${name}=${port} in compose/.env.` : '';
      items.push({ ok: false, text: `${label} is busy: ${why}${who}.`, hint: `${freePortAdvice(port, host)}${move}` });
      evidence.push(ev(`${LABEL.host} port ${port}`, p.code === 'EADDRINUSE' ? `port ${port} is already in use (EADDRINUSE)` : p.code));
    }
  }
  if (spec.memoryMb !== undefined) {
    const engine = await engineInfo(ctx.endpoints.docker, ctx.signal);
    const vmStat = platform() === 'darwin' && !isVm(engine, totalmem()) ? await readVmStat(ctx.signal, ctx.env) : undefined;
    const m = measureMemory({ platform: platform(), hostTotal: totalmem(), hostFree: freemem(), engine, vmStat });
    items.push(memoryItem(m, spec.memoryMb));
    evidence.push(ev(`${LABEL.host} memory`, m.how));
  }
  if (spec.diskMb !== undefined) {
    const s = await statfs(ctx.workspace).catch(() => statfs('.'));
    const mb = Math.floor((s.bavail * s.bsize) / 1024 / 1024);
    items.push(freeSpace('disk', mb, spec.diskMb, 'Free disk space, for example with `docker system prune`.'));
  }

  evidence.unshift(ev('Preflight', items.map((i) => `${i.warning ? '!' : i.ok ? '✓' : '✗'} ${i.text}`).join('\n')));
  const failed = items.filter((i) => !i.ok);
  const warnings = items.filter((i) => i.warning).map((i) => ` ${i.text}`);
  if (failed.length === 0) return { ok: true, message: `This machine is ready for the stack.${warnings.join('')}`, evidence };
  const n = failed.length - 1;
  const more = n === 0 ? '' : n === 1 ? ' One more problem is listed below.' : ` ${n} more problems are listed below.`;
  return { ok: false, message: `${failed[0]!.text}${more}`, hint: failed[0]!.hint, evidence };
}

export const preflightModule: ProbeModule<typeof preflightProbe> = { kind: 'preflight', schema: preflightProbe, defaultTimeout: 20, run };

/** One line of the report on free disk space: enough, or how much is missing and what to do. */
function freeSpace(what: 'disk', mb: number, needMb: number, hint: string): Item {
  return mb >= needMb
    ? { ok: true, text: `${mb} MiB of ${what} are free.` }
    : { ok: false, text: `Only ${mb} MiB of ${what} are free, and the stack needs about ${needMb} MiB.`, hint };
}

/** How much memory the stack can have, in MiB, where that number comes from, and how it was measured. */
export interface MemoryMeasure {
  mb: number;
  /** `vm`: the memory of the VM Docker runs in; `host`: memory available on this machine; `host-total`: all of it. */
  of: 'vm' | 'host' | 'host-total';
  /** How it was measured, for the evidence. */
  how: string;
}

const MIB = 1024 * 1024;

/**
 * Whether the Docker engine runs in a VM of its own (Docker Desktop on macOS, Windows or Linux,
 * OrbStack, Colima) rather than on this machine: a native engine reports this machine's total
 * memory, a VM its own.
 */
export function isVm(engine: EngineInfo | undefined, hostTotal: number): boolean {
  if (!engine) return false;
  return engine.operatingSystem === 'Docker Desktop' || Math.abs(engine.memTotal - hostTotal) > hostTotal * 0.01;
}

/**
 * The memory that decides whether the stack fits:
 * - with an engine in a VM, the VM's memory (`docker info` MemTotal): the containers get nothing
 *   else, however much the Mac or PC has free;
 * - with a native engine or none: what this machine has available. Node's os.freemem() is that on
 *   Linux (MemAvailable) and Windows, but on macOS it counts only completely free pages, a few
 *   hundred MB on a healthy Mac that keeps its memory as cache. There, vm_stat's free, speculative
 *   and inactive pages (what macOS hands out without swapping) are counted instead, and without
 *   vm_stat the machine's total memory.
 */
export function measureMemory(m: {
  platform: NodeJS.Platform;
  hostTotal: number;
  hostFree: number;
  engine?: EngineInfo;
  vmStat?: string;
}): MemoryMeasure {
  const mib = (bytes: number) => Math.floor(bytes / MIB);
  if (m.engine && isVm(m.engine, m.hostTotal)) {
    const vm =
      m.engine.operatingSystem === 'Docker Desktop'
        ? "Docker Desktop's VM"
        : `Docker's VM (${m.engine.operatingSystem || 'unknown system'})`;
    return {
      mb: mib(m.engine.memTotal),
      of: 'vm',
      how: `${vm}: docker info MemTotal ${m.engine.memTotal} bytes; this machine has ${m.hostTotal} bytes.`,
    };
  }
  if (m.platform === 'darwin') {
    const available = m.vmStat === undefined ? undefined : availableFromVmStat(m.vmStat);
    if (available !== undefined) {
      return { mb: mib(available), of: 'host', how: `vm_stat: free + speculative + inactive pages = ${available} bytes.` };
    }
    return { mb: mib(m.hostTotal), of: 'host-total', how: `vm_stat could not be read; total memory ${m.hostTotal} bytes.` };
  }
  return { mb: mib(m.hostFree), of: 'host', how: `os.freemem() ${m.hostFree} bytes (MemAvailable on Linux).` };
}

/** Bytes macOS can hand out without swapping, from vm_stat's output: free, speculative and inactive pages. */
export function availableFromVmStat(text: string): number | undefined {
  const pageSize = Number(/page size of (\d+) bytes/.exec(text)?.[1]);
  const pages = (name: string) => Number(new RegExp(`^Pages ${name}:\\s+(\\d+)\\.`, 'm').exec(text)?.[1]);
  const sum = pages('free') + pages('speculative') + pages('inactive');
  return Number.isFinite(pageSize) && Number.isFinite(sum) ? sum * pageSize : undefined;
}

function readVmStat(signal: AbortSignal, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('vm_stat', [], { signal, env, timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** The memory line of the report: enough, or how much is missing and where to get it. */
export function memoryItem(m: MemoryMeasure, needMb: number): Item {
  if (m.of === 'vm') {
    return m.mb >= needMb
      ? { ok: true, text: `Docker's VM has ${m.mb} MiB of memory.` }
      : {
          ok: false,
          text: `Docker's VM has only ${m.mb} MiB of memory, and the stack needs about ${needMb} MiB.`,
          hint: `Give Docker more memory (Docker Desktop: Settings, Resources, Memory; at least ${Math.ceil(needMb / 1024) + 1} GB), then check again.`,
        };
  }
  const hint = 'Close memory-hungry programs (a second browser, a virtual machine), then check again.';
  if (m.of === 'host-total') {
    return m.mb >= needMb
      ? { ok: true, text: `This machine has ${m.mb} MiB of memory (vm_stat could not say how much is free).` }
      : { ok: false, text: `This machine has only ${m.mb} MiB of memory, and the stack needs about ${needMb} MiB.`, hint };
  }
  return m.mb >= needMb
    ? { ok: true, text: `${m.mb} MiB of memory are available.` }
    : { ok: false, text: `Only ${m.mb} MiB of memory are available, and the stack needs about ${needMb} MiB.`, hint };
}
