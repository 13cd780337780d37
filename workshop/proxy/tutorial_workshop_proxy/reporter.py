"""Reports the learner's progress to the hub's progress service (workshop/hub/progress_service.py).

A Jupyter server extension: every WORKSHOP_PROGRESS_INTERVAL seconds it reads the tutorial
server's ``GET /api/progress`` straight from its Unix socket and, when it changed, posts it to
WORKSHOP_PROGRESS_URL with the workspace's own hub token (JUPYTERHUB_API_TOKEN), which says
whose progress it is. Reading the socket directly, not through jupyter-server-proxy, and posting
to the service, not to this server, keeps the reports from counting as the learner's activity:
the idle culler still stops a workspace nobody uses.
"""

import json
import os

from tornado import httpclient, ioloop
from tornado.simple_httpclient import SimpleAsyncHTTPClient

from . import SOCKET


class Reporter:
    def __init__(self, url: str, token: str, log):
        self.url = url.rstrip("/") + "/api/report"
        self.token = token
        self.log = log
        self.last: bytes | None = None

    async def tick(self) -> None:
        if not SOCKET.exists():
            return
        from jupyter_server_proxy.unixsock import UnixResolver

        local = SimpleAsyncHTTPClient(force_instance=True, resolver=UnixResolver(str(SOCKET)))
        try:
            r = await local.fetch("http://localhost/api/progress", raise_error=False, request_timeout=5)
        except OSError:
            return  # the tutorial server is starting or gone
        finally:
            local.close()
        if r.code != 200 or r.body == self.last:
            return
        try:
            json.loads(r.body)
            await httpclient.AsyncHTTPClient().fetch(
                self.url,
                method="POST",
                body=r.body,
                headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
                request_timeout=10,
            )
            self.last = r.body
        except Exception as e:  # the hub may be restarting: try again next time
            self.log.warning("tutorial progress: could not report to %s: %s", self.url, e)


def _load_jupyter_server_extension(serverapp):
    url = os.environ.get("WORKSHOP_PROGRESS_URL")
    token = os.environ.get("JUPYTERHUB_API_TOKEN")
    if not url or not token:
        serverapp.log.info("tutorial progress: no WORKSHOP_PROGRESS_URL or hub token, not reporting")
        return
    reporter = Reporter(url, token, serverapp.log)
    seconds = float(os.environ.get("WORKSHOP_PROGRESS_INTERVAL", "5"))
    ioloop.PeriodicCallback(reporter.tick, seconds * 1000).start()
    serverapp.log.info("tutorial progress: reporting to %s every %s s", reporter.url, seconds)
