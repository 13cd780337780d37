import { execFile } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { freemem } from 'node:os';
import { type PreflightProbe, preflightProbe } from '../../../protocol/probes/preflight.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import { pingDocker } from '../../stack/docker.ts';
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
  for (const port of spec.ports) {
    const p = await portFree(port);
    if (p.free) items.push({ ok: true, text: `Port ${port} is free.` });
    else {
      const holder = usualPortHolder(port, host);
      const who = holder ? `; on a Mac this is usually ${holder}` : '';
      const why = p.code === 'EADDRINUSE' ? 'another program listens on it' : `it cannot be used (${p.code})`;
      items.push({ ok: false, text: `Port ${port} is busy: ${why}${who}.`, hint: freePortAdvice(port, host) });
      evidence.push(ev(`${LABEL.host} port ${port}`, p.code === 'EADDRINUSE' ? `port ${port} is already in use (EADDRINUSE)` : p.code));
    }
  }
  if (spec.memoryMb !== undefined) {
    const mb = Math.floor(freemem() / 1024 / 1024);
    items.push(freeSpace('memory', mb, spec.memoryMb, 'Close other programs, or give Docker Desktop more memory (Settings, Resources).'));
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

/** One line of the report on free memory or disk: enough, or how much is missing and what to do. */
function freeSpace(what: 'memory' | 'disk', mb: number, needMb: number, hint: string): Item {
  return mb >= needMb
    ? { ok: true, text: `${mb} MiB of ${what} are free.` }
    : { ok: false, text: `Only ${mb} MiB of ${what} are free, and the stack needs about ${needMb} MiB.`, hint };
}
