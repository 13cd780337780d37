import { parseArgs } from 'node:util';
import { describeDocker, listProjectResources, pingDocker, removeProjectResources } from '../stack/docker.ts';
import { loadEndpoints } from '../stack/endpoints.ts';
import { type Out, parseOrExplain, runIfMain, toStderr, toStdout } from './support.ts';

/**
 * `npm run teardown -- [--list] [--volumes]`
 *
 * Removes exactly this stack's containers and networks (and, with --volumes, its volumes), found
 * by the label com.docker.compose.project=<composeProject> from server/stack/endpoints.ts. Nothing else
 * on the machine is touched. --list prints what would be removed and removes nothing.
 */

const USAGE = 'Usage: npm run teardown -- [--list] [--volumes] [--project NAME]';

/** Runs the CLI with these arguments; returns the exit status. */
export async function main(argv: string[], out: Out = toStdout, err: Out = toStderr): Promise<number> {
  const parsed = parseOrExplain(
    () =>
      parseArgs({
        args: argv,
        options: {
          list: { type: 'boolean', default: false },
          volumes: { type: 'boolean', default: false },
          project: { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    USAGE,
    err,
  );
  if (!parsed) return 2;
  const { values } = parsed;
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  const endpoints = loadEndpoints();
  const project = values.project ?? endpoints.composeProject;
  const reach = await pingDocker(endpoints.docker);
  if (!reach.ok) {
    err(`${reach.message}\n`);
    return 1;
  }
  const found = await listProjectResources(endpoints.docker, project);
  const n = found.volumes.length;
  const volumesNote =
    values.volumes || n === 0
      ? ''
      : n === 1
        ? '1 volume is kept; add --volumes to remove it too.'
        : `${n} volumes are kept; add --volumes to remove them too.`;
  const lines = [
    ...found.containers.map((c) => `container ${c.name} (${c.state})`),
    ...found.networks.map((n) => `network ${n.name}`),
    ...(values.volumes ? found.volumes.map((v) => `volume ${v.name}`) : []),
  ];
  if (lines.length === 0) {
    out(
      `Nothing of the compose project ${project} is left on ${describeDocker(endpoints.docker)}.${volumesNote ? ` ${volumesNote}` : ''}\n`,
    );
    return 0;
  }
  if (values.list) {
    out(`Teardown would remove (compose project ${project}):\n${lines.map((l) => `  ${l}\n`).join('')}`);
    if (volumesNote) out(`${volumesNote}\n`);
    return 0;
  }
  const r = await removeProjectResources(endpoints.docker, found, { volumes: values.volumes });
  for (const what of r.removed) out(`removed ${what}\n`);
  for (const f of r.failed) err(`could not remove ${f.what}: ${f.reason}\n`);
  if (volumesNote) out(`${volumesNote}\n`);
  return r.failed.length ? 1 : 0;
}

runIfMain(import.meta.url, main);
