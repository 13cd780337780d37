"""The tutorial inside a learner's Jupyter server (workshop mode, docs/workshop.md).

jupyter-server-proxy calls ``setup_tutorial`` through the ``jupyter_serverproxy_servers`` entry
point. It starts the tutorial server on the first request to ``/user/<name>/tutorial/``, on a Unix
socket in a private folder (0700, the learner's own, inside the container), and proxies HTTP and
the terminal websocket to it after Jupyter's own login. Never a TCP port: the workspaces share
the host's network, so a port on 127.0.0.1 would be open to every other learner's container.
The site is built for the path the proxy serves it under.

The socket's path is fixed (``SOCKET``) so that the progress reporter (``reporter.py``, a
Jupyter server extension) can read the tutorial's progress from it directly.
"""

import os
import stat
from pathlib import Path

__all__ = ["setup_tutorial", "SOCKET"]

ICON = Path(__file__).parent / "icons" / "tutorial.svg"
SOCKET = Path(os.environ.get("TUTORIAL_SOCKET", f"/tmp/tutorial-{os.getuid()}/tutorial.sock"))


def private_socket_dir() -> Path:
    """The socket's folder: made 0700; refused when it is a symlink or someone else's."""
    folder = SOCKET.parent
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    st = folder.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise RuntimeError(f"{folder} is not a folder of this user's; remove it and start again")
    os.chmod(folder, 0o700)
    return folder


def _jupyter_server_extension_points():
    return [{"module": "tutorial_workshop_proxy.reporter"}]


def setup_tutorial() -> dict:
    private_socket_dir()
    home = os.environ.get("TUTORIAL_HOME", "/opt/tutorial")
    workspace = os.environ.get("TUTORIAL_WORKSPACE", os.path.expanduser("~/workspace"))
    state = os.environ.get("TUTORIAL_STATE_DIR", os.path.expanduser("~/.tutorial"))
    return {
        "command": [
            # The server as built JavaScript (the image builds it: server/bundle.mjs), never
            # TypeScript compiled at run time into a cache under /tmp.
            "/opt/node/bin/node",
            # As `npm start` runs it (package.json): a small young generation and the optimising
            # compiler on the main thread keep the idle server's memory down (bench/RESULTS.md,
            # "Idle memory"), once per learner.
            "--max-semi-space-size=1",
            "--no-concurrent-recompilation",
            f"{home}/build/server/start.js",
            "--socket",
            "{unix_socket}",
            # jupyter-server-proxy strips this path before forwarding; the pages link under it.
            "--base",
            "{base_url}tutorial/",
            "--workspace",
            workspace,
            "--state",
            state,
        ],
        # A copy of the site built for this learner's path, in their home volume: each start of
        # the workspace is a new container, whose site is the image's, built for "/"
        # (server/cli/build.ts). Only the first start builds it.
        "environment": {"TUTORIAL_SITE_CACHE": os.path.join(os.path.expanduser("~"), ".cache", "tutorial-site")},
        "unix_socket": str(SOCKET),
        # The first start builds the site for this learner's path (a few seconds, more on a
        # machine that is starting a whole class at once); later starts copy it back.
        "timeout": 300,
        "absolute_url": False,
        "new_browser_tab": True,
        "launcher_entry": {
            "title": "Tutorial",
            "icon_path": str(ICON),
            "category": "Notebook",
        },
    }
