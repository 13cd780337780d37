"""DockerSpawner for workshop mode: one workspace container per learner, and beside it the
learner's own Docker engine (a Docker-in-Docker sidecar, rootless unless the workshop asks for a
privileged one), never the host's socket.

What it adds to DockerSpawner (jupyterhub/dockerspawner):

- Host networking (``network_name = "host"``, the only networking on machines without bridge
  networks): DockerSpawner then neither publishes a port nor can ask Docker for one
  (``get_ip_and_port`` says to override it), so each start picks a free port on 127.0.0.1 and the
  single-user server listens there (``Spawner.ip = "127.0.0.1"``).
- Named volumes per learner, created with labels so that ``npm run workshop -- down --volumes``
  finds them: ``<prefix>-<name>`` (home: workspace, progress, the workspace's .venv),
  ``<prefix>-<name>-engine`` (the engine's storage) and ``<prefix>-<name>-engine-socket`` (the
  engine's Unix socket, shared by both containers: with host networking a TCP port would be
  shared with every other learner).
- The engine sidecar ``<prefix>-<name>-engine``, started from the workspace image
  (``learner-engine``, workshop/image/learner-engine.sh). ``engine_mode = "rootless"`` (the
  default): dockerd runs as the learner's uid in a user namespace (rootlesskit), in a sidecar
  without privileges (see _rootless_host_config); its storage is ``<prefix>-<name>-engine-rootless``.
  ``engine_mode = "privileged"``: dockerd runs as root in a privileged sidecar, and whoever has
  its socket is root on the host; its storage is ``<prefix>-<name>-engine``. With
  ``engine_seed`` (a host folder with images.tar and id, which ``npm run workshop -- up`` saves)
  each engine loads the class's images once, before the workspace starts.
  A privileged engine with host networking shares the host's network and leaves it alone
  (``--bridge=none --iptables=false``); a rootless one has its own (slirp4netns). On a Docker network
  it joins the workspace's network namespace, like a sidecar in a Kubernetes pod, and has its
  own bridge there. If it cannot start, the workspace starts anyway and the tutorial's preflight
  says that no engine answers.
"""

import asyncio
import ipaddress
import json
import re
from pathlib import Path

import docker.errors
from dockerspawner import DockerSpawner
from jupyterhub.utils import random_port
from traitlets import Bool, Dict, List, Unicode, default

from learner_network import LearnerNetworks

SOCKET_DIR = "/run/learner-docker"
SEED_DIR = "/run/image-seed"
LEARNER_UID = "1000:1000"
# Each learner's rootless engine maps its containers' ids to a range of the host's of its own,
# far above the ranges a host gives its own users (useradd starts at 100000).
SUBID_BASE = 1_000_000_000
SUBID_COUNT = 65536
# The capabilities Docker knows by name (docker 20.10 and later), in kernel order.
CAPABILITIES = (
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE "
    "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO "
    "SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME "
    "SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG "
    "WAKE_ALARM BLOCK_SUSPEND AUDIT_READ"
).split()


def host_capabilities() -> list:
    """The capabilities in this process's bounding set (the hub runs beside the engine)."""
    try:
        with open("/proc/self/status") as f:
            bounding = int(next(line for line in f if line.startswith("CapBnd:")).split()[1], 16)
    except (OSError, StopIteration, ValueError):
        return [c for c in CAPABILITIES if c != "SYS_RESOURCE"]
    return [c for i, c in enumerate(CAPABILITIES) if bounding & (1 << i)]
LABEL = "tutorial.workshop"


class WorkshopSpawner(DockerSpawner):
    engine = Bool(True, config=True, help="Run the learner's own Docker engine in a sidecar.")
    engine_mode = Unicode(
        "rootless",
        config=True,
        help="""How the learner's engine runs: "rootless" (dockerd as the learner's uid in a user
        namespace, in a sidecar with no privileges: the engine's root is not the host's) or
        "privileged" (dockerd as root in a privileged sidecar: whoever has the socket is root on
        the host, can mount its disks and read every other learner's files).""",
    )
    engine_seed = Unicode(
        "",
        config=True,
        help="A host folder with images.tar (docker save) and id: loaded into each learner's engine once.",
    )
    engine_image = Unicode("", config=True, help="Image of the engine sidecar (default: the workspace image).")
    engine_mem_limit = Unicode("7G", config=True, help="Memory limit of the engine sidecar (the learner's stack runs in it).")
    engine_args = List(Unicode(), config=True, help="Extra dockerd arguments.")
    engine_privileged = Unicode(
        "auto",
        config=True,
        help="""With engine_mode "privileged", how the sidecar gets its privileges: "privileged" (docker run --privileged),
        "capabilities" (every capability the host can grant, one by one, with seccomp, AppArmor
        and the masked /proc paths lifted: for hosts whose capability bounding set lacks one that
        --privileged asks for, where runc fails with "unable to apply caps"), or "auto" (the
        first, then the second if the first fails that way).""",
    )
    workshop = Unicode("tutorial-workshop", config=True, help="The workshop's name: a label on every container and volume.")
    labels = Dict(config=True, help="Extra labels on the containers and volumes.")
    per_learner_network = Bool(
        False,
        config=True,
        help="""Give each learner a bridge network of their own (<prefix>-<name>-net, a /28 of
        subnet_pool) instead of network_name: the workspace, its engine and everything the
        learner runs share that network namespace, so every learner's stack publishes the same
        127.0.0.1 ports, and no learner reaches another's (learner_network.py says how).""",
    )
    subnet_pool = Unicode("10.213.0.0/16", config=True, help="Where the learners' networks get their /28 subnets.")
    subid_dir = Unicode(
        "",
        config=True,
        help="""A folder of the hub's where each learner's rootless engine gets a range of
        subordinate uids and gids of its own (/etc/subuid and /etc/subgid in the sidecar), kept
        in subids.json there: the ids root and the other users in a learner's containers have on
        the host. Empty: every engine takes the image's range (100000, 65536 ids).""",
    )
    team_containers = Dict(
        config=True,
        help="""The class server's containers that join each learner's network, by the name the
        learner reaches them at (team-mlflow, team-s3): `npm run workshop -- up --team-stack`.""",
    )

    @default("engine_args")
    def _default_engine_args(self):
        # With host networking the engine shares the host's network namespace: it must not make a
        # bridge or touch iptables there. Its containers use host networking too.
        # A rootless engine has a network namespace of its own (slirp4netns): it keeps its bridge.
        privileged = self.engine_mode == "privileged"
        return ["--bridge=none", "--iptables=false", "--ip6tables=false"] if self.host_network and privileged else []

    @default("use_internal_ip")
    def _default_use_internal_ip(self):
        # With host networking DockerSpawner must not publish a port (Docker refuses port
        # bindings there); get_ip_and_port below says where the server listens.
        return self.host_network or self.per_learner_network or self.network_name not in {"bridge", "host"}

    @property
    def host_network(self) -> bool:
        return self.network_name == "host"

    @property
    def safe_name(self) -> str:
        """The user's name as it is when Docker accepts it (learner-1), else escaped."""
        name = self.user.name
        return name if re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name) else self.escaped_name

    def template_namespace(self):
        ns = super().template_namespace()
        ns["username"] = ns["safe_username"] = self.safe_name
        return ns

    @property
    def home_volume(self) -> str:
        return f"{self.prefix}-{self.safe_name}"

    @property
    def engine_name(self) -> str:
        return f"{self.container_name}-engine"

    @property
    def engine_volume(self) -> str:
        """The engine's storage: apart per mode (a rootless engine's files belong to the learner's uid)."""
        return f"{self.home_volume}-engine" + ("" if self.engine_mode == "privileged" else "-rootless")

    @property
    def learner_network(self) -> str:
        return f"{self.container_name}-net"

    def _learner_networks(self) -> LearnerNetworks:
        return LearnerNetworks(self, ipaddress.ip_network(self.subnet_pool))

    def _labels(self) -> dict:
        return {LABEL: self.workshop, f"{LABEL}.learner": self.user.name, **self.labels}

    # --- what DockerSpawner needs to know -------------------------------------------------

    async def get_ip_and_port(self):
        if self.host_network:
            return "127.0.0.1", self.port
        return await super().get_ip_and_port()

    def get_env(self):
        env = super().get_env()
        if self.engine:
            env["DOCKER_HOST"] = f"unix://{SOCKET_DIR}/docker.sock"
        return env

    # --- start and stop -------------------------------------------------------------------

    async def start(self):
        if self.host_network:
            # A new free port each start: every workspace shares the host's ports.
            self.port = random_port()
        await self._ensure_volumes()
        if self.per_learner_network:
            networks = self._learner_networks()
            self.network_name = await networks.ensure(self.learner_network, self._labels())
            await networks.join(self.learner_network, self.team_containers)
        if self.engine and self.host_network:
            await self._start_engine()
        try:
            ip_port = await super().start()
        except BaseException:
            await self._remove_engine()
            raise
        if self.engine and not self.host_network:
            await self._start_engine(network_mode=f"container:{self.container_id}")
        return ip_port

    async def stop(self, now=False):
        await super().stop(now=now)
        await self._remove_engine()

    # --- volumes and the engine sidecar ---------------------------------------------------

    async def _ensure_volumes(self):
        names = [self.home_volume] + ([self.engine_volume, f"{self.home_volume}-engine-socket"] if self.engine else [])
        for name in names:
            try:
                await self.docker("inspect_volume", name)
            except docker.errors.NotFound:
                await self.docker("create_volume", name=name, labels=self._labels())
                self.log.info("Created volume %s for %s", name, self.user.name)

    def _engine_privileges(self, mode: str) -> dict:
        if mode == "privileged":
            return {"privileged": True}
        return {
            "cap_add": host_capabilities(),
            "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
            "device_cgroup_rules": ["a *:* rwm"],
        }

    def _rootless_host_config(self, network_mode: str, binds: list) -> dict:
        """A sidecar without privileges for a rootless engine (learner-engine.sh, ENGINE_MODE=rootless).

        It runs as the learner's uid with no capability but SETUID, SETGID and SETFCAP, which
        newuidmap and newgidmap (file capabilities in the image) need to write the user
        namespace's maps; /dev/net/tun for slirp4netns. seccomp and AppArmor are off and /proc is
        unmasked because rootlesskit makes namespaces and mounts /proc and /sys inside them, which
        Docker's default profile refuses (unshare, mount) and the kernel refuses under masked
        /proc paths; none of that needs root on the host, and the uid has none. On cgroup v1 the
        engine cannot make cgroups: its containers' memory limits are not applied, but they are
        all processes of this sidecar, whose own memory limit (engine_mem_limit) holds them.
        """
        host_config = self.client.create_host_config(
            network_mode=network_mode,
            binds=[f"{self.engine_volume}:/home/learner/.local/share/docker:rw", *binds],
            mem_limit=self.engine_mem_limit or None,
            auto_remove=False,
            cap_drop=["ALL"],
            cap_add=["SETUID", "SETGID", "SETFCAP"],
            security_opt=["seccomp=unconfined", "apparmor=unconfined"],
            devices=["/dev/net/tun:/dev/net/tun:rwm"],
        )
        host_config["MaskedPaths"] = []
        host_config["ReadonlyPaths"] = []
        return host_config

    def _subid_file(self) -> str:
        """The file that is this learner's engine's /etc/subuid and /etc/subgid (see subid_dir)."""
        folder = Path(self.subid_dir)
        folder.mkdir(mode=0o700, exist_ok=True)
        ranges = folder / "subids.json"
        taken = json.loads(ranges.read_text()) if ranges.exists() else {}
        if self.user.name not in taken:
            # The next free range, for as long as the hub's state lives: the learner's engine
            # storage holds files owned by these ids, so a learner keeps theirs.
            taken[self.user.name] = max(taken.values(), default=-1) + 1
            tmp = ranges.with_suffix(".tmp")
            tmp.write_text(json.dumps(taken, indent=2) + "\n")
            tmp.replace(ranges)
        start = SUBID_BASE + taken[self.user.name] * SUBID_COUNT
        path = folder / self.safe_name
        path.write_text(f"learner:{start}:{SUBID_COUNT}\n")
        path.chmod(0o644)  # read by newuidmap as the learner's uid
        return str(path)

    async def _create_and_start_engine(self, network_mode: str, mode: str) -> None:
        await self._remove_engine()
        binds = [f"{self.home_volume}-engine-socket:{SOCKET_DIR}:rw"]
        if self.engine_seed:
            binds.append(f"{self.engine_seed}:{SEED_DIR}:ro")
        if mode == "rootless" and self.subid_dir:
            subids = self._subid_file()
            binds += [f"{subids}:/etc/subuid:ro", f"{subids}:/etc/subgid:ro"]
        if mode == "rootless":
            host_config = self._rootless_host_config(network_mode, binds)
        else:
            host_config = self.client.create_host_config(
                network_mode=network_mode,
                binds=[f"{self.engine_volume}:/var/lib/docker:rw", *binds],
                mem_limit=self.engine_mem_limit or None,
                auto_remove=False,
                **self._engine_privileges(mode),
            )
        if mode not in ("privileged", "rootless"):
            # `--security-opt systempaths=unconfined`: /proc and /sys as a privileged container has them.
            host_config["MaskedPaths"] = []
            host_config["ReadonlyPaths"] = []
        created = await self.docker(
            "create_container",
            image=self.engine_image or self.image,
            name=self.engine_name,
            user=LEARNER_UID if mode == "rootless" else "root",
            entrypoint=["/usr/local/bin/learner-engine"],
            command=self.engine_args,
            environment={"ENGINE_MODE": "rootless" if mode == "rootless" else "privileged"},
            labels={**self._labels(), f"{LABEL}.role": "engine", f"{LABEL}.privileges": mode},
            host_config=host_config,
            volumes=["/var/lib/docker", SOCKET_DIR],
        )
        await self.docker("start", created["Id"])

    async def _start_engine(self, network_mode="host"):
        if self.engine_mode == "rootless":
            modes = ["rootless"]
        elif self.engine_privileged == "auto":
            modes = ["privileged", "capabilities"]
        else:
            modes = [self.engine_privileged]
        for mode in modes:
            try:
                await self._create_and_start_engine(network_mode, mode)
                break
            except docker.errors.APIError as e:
                if mode == "privileged" and len(modes) > 1 and "apply caps" in str(e):
                    self.log.info("--privileged is refused here (%s); granting capabilities one by one", e)
                    continue
                # The workspace starts without it; the tutorial's preflight says no engine answers.
                self.log.warning("The Docker engine of %s could not start: %s", self.user.name, e)
                await self._remove_engine()
                return
        # Wait (briefly) for its socket, so the learner's first `docker info` finds it.
        for _ in range(60):
            info = await self.docker("inspect_container", self.engine_name)
            if not info["State"]["Running"]:
                logs = await self.docker("logs", self.engine_name, tail=20)
                self.log.warning("The Docker engine of %s stopped: %s", self.user.name, logs.decode(errors="replace"))
                return
            exit_code = await self._exec_in_engine(["docker", "-H", f"unix://{SOCKET_DIR}/docker.sock", "version"])
            if exit_code == 0:
                self.log.info("The Docker engine of %s is up (%s)", self.user.name, self.engine_mode)
                await self._seed_engine()
                return
            await asyncio.sleep(0.5)
        self.log.warning("The Docker engine of %s made no socket within 30 s; the workspace starts without it", self.user.name)

    async def _exec_in_engine(self, cmd):
        return (await self._exec_output(cmd))[0]

    async def _exec_output(self, cmd):
        created = await self.docker("exec_create", self.engine_name, cmd)
        output = await self.docker("exec_start", created["Id"])
        code = (await self.docker("exec_inspect", created["Id"]))["ExitCode"]
        return code, (output or b"").decode(errors="replace").strip()

    async def _seed_engine(self):
        """Loads the class's images (engine_seed) into the engine, unless it has this seed already."""
        if not self.engine_seed:
            return
        started = asyncio.get_running_loop().time()
        code, output = await self._exec_output(["/usr/local/bin/learner-engine", "seed"])
        took = asyncio.get_running_loop().time() - started
        if code == 0:
            self.log.info("Image seed for %s (%.1f s): %s", self.user.name, took, output.replace("\n", "; "))
        else:
            # The engine still works; its `docker compose up` pulls what is missing from the registries.
            self.log.warning("Loading the image seed into the engine of %s failed: %s", self.user.name, output)

    async def _remove_engine(self):
        try:
            await self.docker("remove_container", self.engine_name, force=True)
        except docker.errors.NotFound:
            pass
