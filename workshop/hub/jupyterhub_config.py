"""JupyterHub for workshop mode (docs/workshop.md): one workspace container per learner.

`npm run workshop -- up` starts the hub with this file and sets the WORKSHOP_* variables below;
a hand-made deployment may set them itself. Nothing of our own schedules, proxies or
authenticates: DockerSpawner starts the workspaces, configurable-http-proxy routes to them,
NativeAuthenticator checks the passwords, jupyterhub-idle-culler stops idle workspaces. Ours are
two small pieces: the spawner's Docker-in-Docker sidecar (workshop_spawner.py) and the
instructor's progress view (progress_service.py).
"""

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from nativeauthenticator import NativeAuthenticator  # noqa: E402
from workshop_spawner import WorkshopSpawner  # noqa: E402

c = get_config()  # noqa: F821 (JupyterHub provides it)


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise SystemExit(f"jupyterhub_config.py: {name} is not set (npm run workshop -- up sets it)")
    return value


name = env("WORKSHOP_NAME", "tutorial-workshop")
state = Path(env("WORKSHOP_STATE", str(Path.cwd()))).resolve()
host = env("WORKSHOP_HOST", "127.0.0.1")
port = int(env("WORKSHOP_PORT", "8000"))
hub_port = int(env("WORKSHOP_HUB_PORT", "8081"))
proxy_api_port = int(env("WORKSHOP_PROXY_API_PORT", "8001"))
progress_port = int(env("WORKSHOP_PROGRESS_PORT", "8002"))
# "learners": a bridge network per learner (workshop_spawner.py, learner_network.py); "host":
# every workspace on the host's network (`up --host-network`); any other name: that network.
network = env("WORKSHOP_NETWORK", "learners")
# Where the workspaces reach the hub's API and the progress service: 127.0.0.1 with host
# networking; else a host address on a Docker network (the gateway of the hub's network, which
# `up` makes; the learners reach it through their own bridge's gateway, the host).
connect_ip = env("WORKSHOP_HUB_CONNECT_IP", "127.0.0.1")

# --- The hub, its proxy and its state -------------------------------------------------------
c.JupyterHub.bind_url = f"http://{host}:{port}/"
c.JupyterHub.hub_bind_url = f"http://{connect_ip}:{hub_port}"
c.JupyterHub.hub_connect_url = f"http://{connect_ip}:{hub_port}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [env("WORKSHOP_CHP", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
# Stopping the hub stops every workspace (npm run workshop -- down).
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# --- Who may log in: one account per learner, and the instructor (admin) --------------------
learners = json.loads(Path(env("WORKSHOP_LEARNERS", str(state / "learners.json"))).read_text())
instructor = learners.get("instructor")
accounts = {a["name"]: a["password"] for a in learners["learners"]}
if instructor:
    accounts[instructor["name"]] = instructor["password"]


class WorkshopAuthenticator(NativeAuthenticator):
    """NativeAuthenticator (bcrypt hashes in the hub's database, lock-out after repeated failed
    logins) with the class's accounts created at start; nobody signs up.

    JupyterHub's own login page is used: NativeAuthenticator 1.3.0's pages (login, sign-up,
    change password) call JupyterHub's statsd client, which JupyterHub 5 removed, and fail with
    a 500. Its authenticate() is what checks the password either way."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for username, password in accounts.items():
            if not self.user_exists(username):
                self.enable_signup = True
                self.create_user(username, password)
        self.enable_signup = False

    def get_handlers(self, app):
        return []


c.JupyterHub.authenticator_class = WorkshopAuthenticator
c.Authenticator.allowed_users = set(accounts) - ({instructor["name"]} if instructor else set())
c.Authenticator.admin_users = {instructor["name"]} if instructor else set()
c.NativeAuthenticator.enable_signup = False
c.NativeAuthenticator.open_signup = False
c.NativeAuthenticator.check_common_password = False
c.NativeAuthenticator.allowed_failed_logins = 10
c.NativeAuthenticator.seconds_before_next_try = 60

# --- The workspaces ---------------------------------------------------------------------------
c.JupyterHub.spawner_class = WorkshopSpawner
c.DockerSpawner.image = env("WORKSHOP_IMAGE")
c.DockerSpawner.pull_policy = env("WORKSHOP_PULL_POLICY", "ifnotpresent")
c.DockerSpawner.prefix = name
c.WorkshopSpawner.workshop = name
if network == "learners":
    c.WorkshopSpawner.per_learner_network = True
    c.WorkshopSpawner.subnet_pool = env("WORKSHOP_SUBNET_POOL", "10.213.0.0/16")
else:
    c.DockerSpawner.network_name = network
# The container goes when the server stops; the learner's files and progress stay in the volume.
c.DockerSpawner.remove = True
c.DockerSpawner.volumes = {"{prefix}-{username}": "/home/learner"}
c.DockerSpawner.mem_limit = env("WORKSHOP_MEM_LIMIT", "2G")
if os.environ.get("WORKSHOP_CPU_LIMIT"):
    c.DockerSpawner.cpu_limit = float(os.environ["WORKSHOP_CPU_LIMIT"])
c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
c.DockerSpawner.notebook_dir = "/home/learner"
c.DockerSpawner.extra_create_kwargs = lambda spawner: {"labels": spawner._labels()}
engine = env("WORKSHOP_ENGINE", "1") == "1"
c.WorkshopSpawner.engine = engine
c.WorkshopSpawner.engine_mem_limit = env("WORKSHOP_ENGINE_MEM_LIMIT", "7G")
# rootless (the default) or privileged (`npm run workshop -- up --engine privileged`); the class's
# images saved by `up` (image seed), loaded into each learner's engine when it starts.
c.WorkshopSpawner.engine_mode = env("WORKSHOP_ENGINE_MODE", "rootless")
c.WorkshopSpawner.engine_seed = env("WORKSHOP_ENGINE_SEED", "")
# A range of subordinate ids of each learner's own for their rootless engine (workshop_spawner.py).
c.WorkshopSpawner.subid_dir = str(state / "subids")
if engine:
    c.DockerSpawner.volumes["{prefix}-{username}-engine-socket"] = "/run/learner-docker"
if network == "host":
    # Every workspace shares the host's network: the single-user server listens on loopback
    # only, on a port the spawner picks, and the tutorial on a Unix socket inside its container.
    c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/tutorial/"
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 180
c.Spawner.environment = {
    # Where the workspace's progress reporter sends the steps passed: straight to the service
    # (progress_service.py), not through the proxy.
    "WORKSHOP_PROGRESS_URL": f"http://{connect_ip}:{progress_port}/services/progress/",
    "WORKSHOP_PROGRESS_INTERVAL": env("WORKSHOP_PROGRESS_INTERVAL", "5"),
    # The stack's UIs open through the learner's Jupyter server (/user/<name>/proxy/<port>/,
    # jupyter-server-proxy), not at 127.0.0.1 of the learner's laptop; compose/docker-compose.yml
    # reads these. Kibana writes its links under its base path (5601: KIBANA_PORT of compose/.env);
    # MLflow accepts the hub's Host header and origin.
    "KIBANA_BASE_PATH": lambda spawner: f"{spawner.user.url}proxy/5601",
    "MLFLOW_EXTRA_ALLOWED_HOST": "*",
    "MLFLOW_CORS_ALLOWED_ORIGINS": "*",
}
# The class server (`up --team-stack`): one MLflow server and one S3 storage for the whole class,
# which the "Work as a team" chapter uses instead of the learner's own stack (the tutorial reads
# these two into TEAM_MLFLOW_TRACKING_URI and TEAM_S3_ENDPOINT_URL). On the learners' own
# networks its two containers join each learner's network under these names at every start.
for var in ("TUTORIAL_TEAM_MLFLOW_URL", "TUTORIAL_TEAM_S3_URL"):
    if os.environ.get(f"WORKSHOP_{var}"):
        c.Spawner.environment[var] = os.environ[f"WORKSHOP_{var}"]
if os.environ.get("WORKSHOP_TEAM_CONTAINERS"):
    c.WorkshopSpawner.team_containers = dict(
        pair.split("=", 1) for pair in os.environ["WORKSHOP_TEAM_CONTAINERS"].split(",") if "=" in pair
    )
if os.environ.get("WORKSHOP_ACTIVITY_INTERVAL"):
    c.Spawner.environment["JUPYTERHUB_ACTIVITY_INTERVAL"] = os.environ["WORKSHOP_ACTIVITY_INTERVAL"]

# --- Services: idle culling, the progress view, the instructor's command line --------------
cull_timeout = env("WORKSHOP_CULL_TIMEOUT", "3600")
cull_every = env("WORKSHOP_CULL_EVERY", str(max(5, min(300, int(cull_timeout) // 4))))
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={cull_timeout}", f"--cull-every={cull_every}"],
    },
    {
        "name": "progress",
        "display": True,
        "url": f"http://{connect_ip}:{progress_port}",
        "oauth_no_confirm": True,
        "command": [sys.executable, str(HERE / "progress_service.py")],
        "environment": {"WORKSHOP_PROGRESS_STORE": str(state / "progress.json")},
    },
    {
        # No process: `npm run workshop -- status` uses this token (kept 0600 in the state folder).
        "name": "workshop-cli",
        "api_token": env("WORKSHOP_CLI_TOKEN"),
    },
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    },
    {
        "name": "progress",
        "scopes": ["list:users", "read:users", "read:servers"],
        "services": ["progress"],
    },
    {
        "name": "workshop-cli",
        "scopes": ["list:users", "read:users", "read:servers", "servers", "access:services!service=progress"],
        "services": ["workshop-cli"],
    },
]
