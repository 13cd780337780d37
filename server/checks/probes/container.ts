import { type ContainerProbe, containerProbe } from '../../../protocol/probes/container.ts';
import type { CheckResult, Evidence } from '../../../protocol/result.ts';
import { type ContainerInfo, containerLogs, findServiceContainers, pingDocker } from '../../stack/docker.ts';
import { clip } from '../../words.ts';
import { ev, LABEL } from '../evidence.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

/** One line a learner can read: `status exited, exit code 137, OOMKilled: true, health none, restarts 0`. */
export function describeState(c: ContainerInfo): string {
  const parts = [
    `container ${c.name}`,
    `status ${c.state}`,
    `exit code ${c.exitCode}`,
    `OOMKilled: ${c.oomKilled}`,
    `health ${c.health}`,
    `restarts ${c.restartCount}`,
  ];
  if (c.error) parts.push(`error: ${c.error}`);
  if (c.healthLog) parts.push(`last healthcheck: ${c.healthLog}`);
  return parts.join(', ');
}

async function run(spec: ContainerProbe, ctx: ProbeContext): Promise<CheckResult> {
  const docker = ctx.endpoints.docker;
  const reach = await pingDocker(docker, ctx.signal);
  if (!reach.ok) {
    return {
      ok: false,
      message: reach.message,
      hint:
        reach.reason === 'permission'
          ? 'Add yourself to the docker group (`sudo usermod -aG docker $USER`), log in again, and check with `docker info`.'
          : 'Start Docker (Docker Desktop, or `sudo systemctl start docker`), then check with `docker info`.',
      evidence: [ev(LABEL.docker, reach.detail)],
    };
  }
  const project = spec.project ?? ctx.endpoints.composeProject;
  const found = await findServiceContainers(docker, project, spec.service, ctx.signal);
  const c = found[0];
  if (!c) {
    return {
      ok: false,
      message: `There is no container for the service ${spec.service} in the compose project ${project}.`,
      hint: `Start it with \`docker compose up -d ${spec.service}\`.`,
      evidence: [
        ev(
          LABEL.containerState,
          `no container with labels com.docker.compose.project=${project}, com.docker.compose.service=${spec.service}`,
        ),
      ],
    };
  }

  const evidence: Evidence[] = [ev(LABEL.containerState, describeState(c))];
  let logs: string | undefined;
  const readLogs = async () => {
    logs ??= await containerLogs(docker, c.id, spec.tail, c.tty, ctx.signal);
    return logs;
  };
  const fail = async (message: string, hint: string): Promise<CheckResult> => {
    evidence.push(ev(`${LABEL.containerLogs} (last ${spec.tail} lines)`, clip((await readLogs()).trimEnd(), 8000)));
    return { ok: false, message, hint, evidence };
  };
  const logsHint = `Read its logs with \`docker compose logs --tail 50 ${spec.service}\`.`;
  const svc = spec.service;

  const wantState = spec.state ?? (spec.exitCode !== undefined ? 'exited' : 'running');
  if (c.state !== wantState) {
    const now = c.state === 'exited' ? `has exited with code ${c.exitCode}${c.oomKilled ? ' (killed for memory)' : ''}` : `is ${c.state}`;
    return fail(
      `The ${svc} container ${now}, and the step expects it to be ${wantState}.`,
      c.state === 'exited' ? logsHint : `Wait a moment and check again. ${logsHint}`,
    );
  }
  if (spec.exitCode !== undefined && c.exitCode !== spec.exitCode) {
    return fail(`The ${svc} container exited with code ${c.exitCode}, and the step expects ${spec.exitCode}.`, logsHint);
  }
  if (spec.health !== undefined && c.health !== spec.health) {
    const now =
      c.health === 'none'
        ? 'has no healthcheck'
        : c.health === 'starting'
          ? 'is still starting (its healthcheck has not passed yet)'
          : `is ${c.health}`;
    return fail(
      `The ${svc} container ${now}, and the step expects it to be ${spec.health}.`,
      c.health === 'starting' ? `Wait a few seconds and check again. ${logsHint}` : logsHint,
    );
  }
  if (spec.oomKilled !== undefined && c.oomKilled !== spec.oomKilled) {
    return fail(
      spec.oomKilled ? `The ${svc} container was not killed for memory.` : `The ${svc} container was killed because it ran out of memory.`,
      logsHint,
    );
  }
  if (spec.maxRestarts !== undefined && c.restartCount > spec.maxRestarts) {
    return fail(`The ${svc} container has restarted ${c.restartCount} times, more than the ${spec.maxRestarts} the step allows.`, logsHint);
  }
  if (spec.logs !== undefined || spec.notLogs !== undefined) {
    const text = await readLogs();
    if (spec.logs !== undefined && !new RegExp(spec.logs, 'm').test(text)) {
      return fail(`The last ${spec.tail} log lines of the ${svc} container do not show what the step expects (/${spec.logs}/).`, logsHint);
    }
    if (spec.notLogs !== undefined) {
      const m = new RegExp(spec.notLogs, 'm').exec(text);
      if (m) return fail(`The logs of the ${svc} container show "${m[0].trim()}".`, logsHint);
    }
    evidence.push(ev(`${LABEL.containerLogs} (last ${spec.tail} lines)`, clip(text.trimEnd(), 8000)));
  }
  const healthy = c.health === 'none' ? '' : `, ${c.health}`;
  return { ok: true, message: `The ${svc} container is ${c.state}${healthy}.`, evidence };
}

export const containerModule: ProbeModule<typeof containerProbe> = { kind: 'container', schema: containerProbe, defaultTimeout: 10, run };
