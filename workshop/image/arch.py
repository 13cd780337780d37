"""The CPU architecture the workspace image is built for, and what each download calls it.

    python3 arch.py            prints the architecture as Debian and Docker name it (amd64, arm64)
    python3 arch.py node       prints Node.js's name for it (x64, arm64)
    python3 arch.py compose    prints Docker Compose's release name for it (x86_64, aarch64)

The architecture is BuildKit's TARGETARCH when the build has one (docker buildx build
--platform linux/arm64 sets it), else what the base image's dpkg says (the legacy builder sets no
TARGETARCH, and the image being built is the architecture it runs on), else the kernel's. Used by
fetch-npm-tarball.py and install-compose.py; tests/unit/workshop-image-arch.test.ts checks the
names. Standard library only.
"""

import os
import platform
import subprocess
import sys

# Debian's (and Docker's TARGETARCH) name -> the name each download uses for it.
NAMES = {
    "amd64": {"node": "x64", "compose": "x86_64"},
    "arm64": {"node": "arm64", "compose": "aarch64"},
}
# The kernel's name (uname -m) -> Debian's.
KERNEL = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def _dpkg() -> str:
    try:
        return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def build_arch(env=None, dpkg=_dpkg, machine=platform.machine) -> str:
    """Debian's name for the architecture being built: TARGETARCH, else dpkg's, else the kernel's."""
    env = os.environ if env is None else env
    arch = env.get("TARGETARCH", "").strip() or dpkg() or KERNEL.get(machine(), machine())
    if arch not in NAMES:
        raise SystemExit(
            f"The workspace image is built for {' and '.join(NAMES)} only; this build is for {arch!r}. "
            "Build it on (or with --platform for) linux/amd64 or linux/arm64."
        )
    return arch


def name_for(download: str, arch: str) -> str:
    """What `download` (node or compose) calls the Debian architecture `arch`."""
    if download not in NAMES[arch]:
        raise SystemExit(f"arch.py knows no download called {download!r} (it knows {', '.join(NAMES[arch])})")
    return NAMES[arch][download]


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.exit(__doc__)
    a = build_arch()
    print(name_for(sys.argv[1], a) if len(sys.argv) == 2 else a)
