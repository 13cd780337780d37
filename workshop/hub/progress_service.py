"""The instructor's view of the class: each learner's workspace and steps passed per chapter.

A JupyterHub service (jupyterhub_config.py starts it; the hub routes /services/progress/ to it):

- ``POST api/report``: a workspace reports its learner's progress (the tutorial server's
  ``GET /api/progress``, read over its Unix socket by the reporter in the workspace,
  workshop/proxy/tutorial_workshop_proxy/reporter.py). The workspace's own hub token says who it
  is (the hub tells whose a token is); a learner can only ever report for themselves. The last report of each learner is kept in
  a JSON file, so the view still shows the progress of a stopped workspace.
- ``GET api/learners``: every learner with their workspace's state (from the hub's API) and
  their progress, as JSON (``npm run workshop -- status`` reads it).
- ``GET /``: the same as a page, for the instructor (admins; learners have no access).

Reports come in; nothing polls the workspaces: a poll through a learner's server would count as
their activity and keep the idle culler from ever stopping it.
"""

import html
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import httpclient, ioloop, web

PREFIX = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/progress/")
STORE = Path(os.environ.get("WORKSHOP_PROGRESS_STORE", "progress.json"))
API = os.environ["JUPYTERHUB_API_URL"]
TOKEN = os.environ["JUPYTERHUB_API_TOKEN"]
MAX_REPORT = 256 * 1024


def load() -> dict:
    try:
        return json.loads(STORE.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        # A damaged store is set aside, never a crash.
        STORE.replace(STORE.with_suffix(".damaged"))
        return {}


def save(data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=STORE.parent, prefix=".progress-")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    os.replace(tmp, STORE)


def valid_summary(body: object) -> bool:
    """The shape of the tutorial server's /api/progress (server/web/progress-api.ts)."""
    if not isinstance(body, dict) or not isinstance(body.get("chapters"), list):
        return False
    for c in body["chapters"]:
        if not (
            isinstance(c, dict)
            and isinstance(c.get("id"), str)
            and isinstance(c.get("title"), str)
            and isinstance(c.get("steps"), int)
            and isinstance(c.get("passed"), list)
            and all(isinstance(s, str) for s in c["passed"])
        ):
            return False
    return True


async def hub_users() -> list:
    client = httpclient.AsyncHTTPClient()
    r = await client.fetch(url_path_join(API, "users"), headers={"Authorization": f"token {TOKEN}"}, request_timeout=10)
    return json.loads(r.body)


def server_state(user: dict) -> str:
    server = (user.get("servers") or {}).get("")
    if not server:
        return "stopped"
    if server.get("pending"):
        return "stopping" if server["pending"] == "stop" else "starting"
    return "running" if server.get("ready") else "starting"


async def learners() -> list:
    store = load()
    out = []
    for user in sorted(await hub_users(), key=lambda u: u["name"]):
        if user.get("admin") or user.get("kind") == "service":
            continue
        report = store.get(user["name"], {})
        chapters = report.get("chapters", [])
        server = (user.get("servers") or {}).get("") or {}
        out.append(
            {
                "name": user["name"],
                "server": server_state(user),
                "last_activity": server.get("last_activity") or user.get("last_activity"),
                "reported": report.get("reported"),
                "passed": sum(len(c["passed"]) for c in chapters),
                "steps": sum(c["steps"] for c in chapters),
                "chapters": chapters,
            }
        )
    return out


class Base(HubOAuthenticated, web.RequestHandler):
    """Reading the class's progress needs access to this service: the instructor (an admin) and
    the command line's token have it, learners do not."""


async def token_owner(authorization: str) -> dict | None:
    """Who a hub token belongs to, asked of the hub itself (GET /hub/api/user answers for any valid
    token, whatever its scopes): a workspace's own token names its learner."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token:
        return None
    client = httpclient.AsyncHTTPClient()
    r = await client.fetch(
        url_path_join(API, "user"), headers={"Authorization": f"token {token}"}, raise_error=False, request_timeout=10
    )
    return json.loads(r.body) if r.code == 200 else None


class Report(web.RequestHandler):
    async def post(self):
        owner = await token_owner(self.request.headers.get("Authorization", ""))
        if not owner or owner.get("kind") != "user":
            raise web.HTTPError(403, "Only a workspace reports progress, with its own token.")
        if len(self.request.body) > MAX_REPORT:
            raise web.HTTPError(413)
        try:
            body = json.loads(self.request.body)
        except ValueError:
            raise web.HTTPError(400, "The report is not JSON.") from None
        if not valid_summary(body):
            raise web.HTTPError(400, "The report does not have the shape of /api/progress.")
        data = load()
        data[owner["name"]] = {"chapters": body["chapters"], "reported": datetime.now(timezone.utc).isoformat()}
        save(data)
        self.set_status(204)


class Learners(Base):
    @web.authenticated
    async def get(self):
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"learners": await learners()}))


class Page(Base):
    @web.authenticated
    async def get(self):
        rows = []
        for learner in await learners():
            chapters = " ".join(
                f'<span title="{html.escape(c["title"])}: {", ".join(c["passed"]) or "none"}">'
                f"{html.escape(c['id'])} {len(c['passed'])}/{c['steps']}</span>"
                for c in learner["chapters"]
                if c["passed"]
            )
            rows.append(
                f"<tr><td>{html.escape(learner['name'])}</td><td>{learner['server']}</td>"
                f"<td>{learner['passed']}/{learner['steps'] or '?'}</td><td>{chapters or '-'}</td>"
                f"<td>{html.escape(learner['reported'] or 'never')}</td></tr>"
            )
        self.set_header("Cache-Control", "no-store")
        self.finish(
            "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=10>"
            "<title>Workshop progress</title>"
            "<style>body{font:15px system-ui;margin:2rem}td,th{padding:.3rem .8rem;text-align:left}"
            "tr:nth-child(even){background:#f3f4f6}span{margin-right:.8rem}</style>"
            "<h1>Workshop progress</h1><table><tr><th>Learner</th><th>Workspace</th><th>Steps passed</th>"
            "<th>Chapters with passed steps</th><th>Last report</th></tr>" + "".join(rows) + "</table>"
        )


def main() -> None:
    app = web.Application(
        [
            (PREFIX, Page),
            (url_path_join(PREFIX, "api/learners"), Learners),
            (url_path_join(PREFIX, "api/report"), Report),
            (url_path_join(PREFIX, "oauth_callback"), HubOAuthCallbackHandler),
        ],
        cookie_secret=os.urandom(32),
    )
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    app.listen(url.port, os.environ.get("WORKSHOP_PROGRESS_BIND") or url.hostname)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
