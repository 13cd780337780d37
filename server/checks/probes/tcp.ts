import { type TcpProbe, tcpProbe } from '../../../protocol/probes/tcp.ts';
import type { CheckResult } from '../../../protocol/result.ts';
import { tryConnect } from '../../stack/tcp.ts';
import { seconds } from '../../words.ts';
import { ev, LABEL } from '../evidence.ts';
import type { ProbeContext, ProbeModule } from '../types.ts';

async function run(spec: TcpProbe, ctx: ProbeContext): Promise<CheckResult> {
  const where = `${spec.host}:${spec.port}`;
  const what = spec.name ? `${spec.name} at ${where}` : where;
  // A placeholder port ("{{fluentd_port}}") arrives filled in, as the string of a number.
  const o = await tryConnect(spec.host, Number(spec.port), ctx.signal);
  if (spec.open) {
    if (o.open)
      return { ok: true, message: `Something accepts connections at ${what}.`, evidence: [ev(LABEL.connection, `connected to ${where}`)] };
    if (o.timedOut) {
      return {
        ok: false,
        message: `Connecting to ${what} did not succeed within ${seconds(ctx.timeoutMs)}.`,
        hint: 'A firewall may drop the connection, or the host may be wrong.',
        evidence: [ev(LABEL.connection, `connect ${where}: no answer within ${seconds(ctx.timeoutMs)}`)],
      };
    }
    const refused = o.code === 'ECONNREFUSED';
    return {
      ok: false,
      message: refused
        ? `Nothing listens at ${where} (connection refused): ${spec.name ?? 'the service'} is not running.`
        : `Connecting to ${what} failed (${o.code}).`,
      hint: 'Start the service (`docker compose up -d`) and check `docker compose ps`.',
      evidence: [ev(LABEL.connection, `connect ${where}: ${refused ? 'connection refused (ECONNREFUSED)' : o.code}`)],
    };
  }
  if (o.open)
    return { ok: false, message: `Something still listens at ${what}.`, evidence: [ev(LABEL.connection, `connected to ${where}`)] };
  return { ok: true, message: `Nothing listens at ${what}, as expected.`, evidence: [] };
}

export const tcpModule: ProbeModule<typeof tcpProbe> = { kind: 'tcp', schema: tcpProbe, defaultTimeout: 3, run };
