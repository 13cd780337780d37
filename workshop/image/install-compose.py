"""Installs the Docker Compose v2 CLI plugin into the image.

    python3 install-compose.py VENDOR_DIR PLUGIN_PATH

Takes VENDOR_DIR/docker-compose when the build machine put one there (npm run workshop -- build
copies the plugin its own `docker compose` uses), else downloads the release COMPOSE_VERSION from
GitHub for the build's architecture (arch.py: x86_64 or aarch64) and checks it against
COMPOSE_SHA256, or against the release's own checksum file. The build machine's plugin is copied
unless its ELF header says it is for another architecture.
"""

import hashlib
import os
import shutil
import sys
import urllib.request

from arch import build_arch, name_for

# The machine field of an ELF header (bytes 18-19, little-endian) -> Debian's architecture.
ELF_MACHINE = {62: "amd64", 183: "arm64"}


def elf_arch(path: str) -> str:
    """Debian's name for the architecture of the ELF executable at `path`, or '' if unknown."""
    with open(path, "rb") as f:
        head = f.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return ""
    return ELF_MACHINE.get(int.from_bytes(head[18:20], "little"), "")


def main(vendor: str, plugin: str) -> None:
    os.makedirs(os.path.dirname(plugin), exist_ok=True)
    local = os.path.join(vendor, "docker-compose")
    arch = build_arch()
    if os.path.isfile(local) and elf_arch(local) not in ("", arch):
        print(f"docker-compose: the build machine's plugin is for {elf_arch(local)}, not {arch}; downloading the release instead")
        local = ""
    if local and os.path.isfile(local):
        shutil.copyfile(local, plugin)
        print(f"docker-compose: copied from the build machine ({os.path.getsize(local)} bytes)")
    else:
        version = os.environ.get("COMPOSE_VERSION", "v2.40.3")
        url = f"https://github.com/docker/compose/releases/download/{version}/docker-compose-linux-{name_for('compose', arch)}"
        data = urllib.request.urlopen(url, timeout=300).read()
        expected = os.environ.get("COMPOSE_SHA256") or urllib.request.urlopen(url + ".sha256", timeout=60).read().decode().split()[0]
        if hashlib.sha256(data).hexdigest() != expected:
            sys.exit(f"docker-compose {version}: the download does not match its checksum {expected}")
        with open(plugin, "wb") as f:
            f.write(data)
        print(f"docker-compose: {version} for {arch} downloaded, checksum checked")
    os.chmod(plugin, 0o755)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
