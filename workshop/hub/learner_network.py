"""A bridge network of each learner's own, for workshop_spawner.py (per_learner_network).

Why one network per learner: the workspace, the learner's engine sidecar (which joins the
workspace's network namespace) and every container that engine runs then sit behind one address
of their own. Each learner's stack publishes 127.0.0.1:9200, :5601, :5001 … in that namespace, so
thirty learners' stacks never collide, and a learner's 127.0.0.1 is their own. The hub reaches each
workspace at its address on the learner's bridge (the host has one address on every bridge).

What keeps two learners apart is the host: a packet from learner 2 to learner 1's address has to
be forwarded by the host from one bridge to the other (no two learners share a link, so no route a
learner adds, however privileged their own engine, gets around the host). Docker's own rules do
that on a host whose engine manages iptables (its default: the DOCKER-ISOLATION chains drop
traffic between two bridge networks, and its NAT gives the learner's image builds the internet).
Where the engine runs with --iptables=false, nothing would stop the forwarding, so the learner's
bridge is told not to forward what arrives on it (net.ipv4.conf.<bridge>.forwarding=0, a
setting of that one interface). The learner then reaches the host's own addresses (the hub) and
nothing beyond; that engine gives no bridge network the internet anyway (it makes no NAT rules).
A one-shot container with host networking and NET_ADMIN from the workspace image looks at the
host's rules and sets the interface (the hub needs no root): on every start, because a restart of
the host's engine makes the bridge anew.
"""

import ipaddress

import docker.errors
from docker.types import IPAMConfig, IPAMPool

PREFIX = 28  # 14 addresses: the gateway (the host) and the workspace need two.

ISOLATE = r"""
br=$1
for ipt in iptables-nft iptables-legacy; do
  if command -v "$ipt" >/dev/null && "$ipt" -w -S DOCKER-ISOLATION-STAGE-1 >/dev/null 2>&1; then
    echo "docker-isolates ($ipt)"; exit 0
  fi
done
f=/proc/sys/net/ipv4/conf/$br/forwarding
[ -e "$f" ] || { echo "no interface $br on this host" >&2; exit 3; }
echo 0 >"$f" && echo "forwarding-off $(cat "$f")"
"""


class LearnerNetworks:
    def __init__(self, spawner, pool: ipaddress.IPv4Network):
        self.spawner = spawner
        self.docker = spawner.docker
        self.log = spawner.log
        self.pool = pool

    async def ensure(self, name: str, labels: dict) -> str:
        """The learner's network (made when missing), isolated from the other learners'. Returns its name."""
        try:
            net = await self.docker("inspect_network", name)
        except docker.errors.NotFound:
            net = await self._create(name, labels)
        await self._isolate(net)
        return name

    async def join(self, name: str, containers: dict) -> None:
        """Connects the class server's containers ({alias: container}) to the learner's network.

        The learner reaches them by the alias, on their own bridge: no packet crosses from one
        learner's bridge to another's. Those containers are started with forwarding off
        (compose/class-server.yml), so a learner with root in their own network namespace cannot
        route through them to another learner either.
        """
        for alias, container in containers.items():
            try:
                await self.docker("connect_container_to_network", container, name, aliases=[alias])
            except docker.errors.NotFound:
                # The workspace still starts: only "Work as a team" needs the class server, and
                # its hints say what "team-mlflow" not being known means.
                self.log.warning(
                    "The class server's container %s (%s) is not there, so %s cannot reach it; "
                    "`npm run workshop -- down` and `up --team-stack` start it again.",
                    container,
                    alias,
                    name,
                )
                continue
            except docker.errors.APIError as e:
                if "already exists" not in str(e):
                    raise
                continue
            self.log.info("The class server's %s (%s) joined the network %s", alias, container, name)

    async def _used_subnets(self) -> list:
        used = []
        for n in await self.docker("networks"):
            for cfg in (n.get("IPAM") or {}).get("Config") or []:
                try:
                    used.append(ipaddress.ip_network(cfg.get("Subnet", ""), strict=False))
                except ValueError:
                    pass
        return used

    async def _create(self, name: str, labels: dict) -> dict:
        used = await self._used_subnets()
        for subnet in self.pool.subnets(new_prefix=PREFIX):
            if any(subnet.overlaps(u) for u in used if u.version == 4):
                continue
            ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=str(subnet), gateway=str(subnet.network_address + 1))])
            try:
                await self.docker("create_network", name, driver="bridge", ipam=ipam, labels=labels, check_duplicate=True)
            except docker.errors.APIError as e:
                text = str(e)
                if "overlap" in text:  # another learner's start took it a moment ago
                    continue
                if "already exists" in text:
                    break
                raise
            self.log.info("Made the network %s (%s) for %s", name, subnet, labels.get("tutorial.workshop.learner"))
            break
        else:
            raise RuntimeError(
                f"No free /{PREFIX} is left in {self.pool} for the network {name}: set another subnet_pool "
                "(WORKSHOP_SUBNET_POOL), or remove old learners' networks (npm run workshop -- down)."
            )
        return await self.docker("inspect_network", name)

    async def _isolate(self, net: dict) -> None:
        options = net.get("Options") or {}
        bridge = options.get("com.docker.network.bridge.name") or f"br-{net['Id'][:12]}"
        host_config = self.spawner.client.create_host_config(network_mode="host", cap_add=["NET_ADMIN", "NET_RAW"])
        # /proc/sys writable (the one file written is the bridge's own forwarding switch).
        host_config["MaskedPaths"] = []
        host_config["ReadonlyPaths"] = []
        try:  # one a crashed hub left
            await self.docker("remove_container", f"{net['Name']}-isolate", force=True)
        except docker.errors.NotFound:
            pass
        created = await self.docker(
            "create_container",
            image=self.spawner.engine_image or self.spawner.image,
            name=f"{net['Name']}-isolate",
            user="root",
            entrypoint=["sh", "-c", ISOLATE, "isolate"],
            command=[bridge],
            labels={**self.spawner._labels(), "tutorial.workshop.role": "network-isolation"},
            host_config=host_config,
        )
        try:
            await self.docker("start", created["Id"])
            status = (await self.docker("wait", created["Id"]))["StatusCode"]
            said = (await self.docker("logs", created["Id"])).decode(errors="replace").strip()
        finally:
            await self.docker("remove_container", created["Id"], force=True)
        if status != 0:
            raise RuntimeError(f"Could not keep the network {net['Name']} apart from the other learners' ({bridge}): {said}")
        self.log.info("Network %s (%s): %s", net["Name"], bridge, said)
