import type { Out } from '../support.ts';
import { run } from './image.ts';

/**
 * The workshop's Docker networks (docs/workshop.md, "Networking"): the hub's own network, where the
 * workspaces reach the hub, and removing the learners' networks (workshop/hub/learner_network.py
 * makes those) with the rest at `down`.
 */

/**
 * Where the hub's network and the learners' networks (a /28 each) take their addresses: outside
 * the pools a Docker engine picks its own networks from (172.17-31.x and 192.168.x), since each
 * learner's engine makes its bridges in the learner's network namespace, and one of those on the
 * hub's subnet would hide the hub from that learner. WORKSHOP_SUBNET_POOL changes it.
 */
export const DEFAULT_SUBNET_POOL = '10.213.0.0/16';

/** The pool's last /28 (the learners' networks take the first ones), e.g. 10.213.255.240/28. */
export function lastSubnet(pool: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(pool.trim());
  const bits = Number(m?.[5]);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  if (!m || bits > 28 || octets.some((o) => o > 255)) {
    throw new Error(`WORKSHOP_SUBNET_POOL="${pool}" is no IPv4 network of /28 or larger (such as 10.213.0.0/16).`);
  }
  const base = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const last = base - (base % size) + size - 16;
  return `${[24, 16, 8, 0].map((s) => Math.floor(last / 2 ** s) % 256).join('.')}/28`;
}

/**
 * The hub's own Docker network (made when missing; no container joins it) and the host's address
 * on it, where the hub listens for the workspaces: each learner's network routes there through
 * its own gateway (the host), and the address is on no interface other machines reach.
 * Not used with --host-network.
 */
export async function dockerNetworkGateway(network: string, workshop: string, pool: string, out: Out): Promise<string> {
  if ((await run('docker', ['network', 'inspect', network])).code !== 0) {
    const subnet = lastSubnet(pool);
    const gateway = subnet.replace(/\.(\d+)\/28$/, (_, o: string) => `.${Number(o) + 1}`);
    const args = ['network', 'create', '--label', `tutorial.workshop=${workshop}`, '--subnet', subnet, '--gateway', gateway, network];
    const made = await run('docker', args);
    if (made.code !== 0) throw new Error(`Could not make the Docker network ${network}: ${made.stderr.trim()}`);
    out(`Made the Docker network ${network}, where the workspaces reach the hub.\n`);
  }
  const r = await run('docker', ['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Gateway}} {{end}}', network]);
  const gateway = r.stdout
    .trim()
    .split(/\s+/)
    .find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
  if (!gateway) throw new Error(`The Docker network ${network} has no IPv4 gateway for the workspaces to reach the hub at.`);
  return gateway;
}

/** The hub's network and the learners' (by the workshop's label); none is used once the containers are gone. */
export async function removeNetworks(name: string, out: Out, err: Out): Promise<number> {
  let failed = 0;
  const nets = await run('docker', ['network', 'ls', '--format', '{{.Name}}', '--filter', `label=tutorial.workshop=${name}`]);
  for (const n of nets.stdout.split('\n').filter(Boolean)) {
    const r = await run('docker', ['network', 'rm', n]);
    if (r.code === 0) out(`removed network ${n}\n`);
    else {
      failed++;
      err(`could not remove network ${n}: ${r.stderr.trim()}\n`);
    }
  }
  return failed;
}
