"""Installs the Docker Compose v2 CLI plugin into the image.

    python3 install-compose.py VENDOR_DIR PLUGIN_PATH

Takes VENDOR_DIR/docker-compose when the build machine put one there (npm run workshop -- build
copies the plugin its own `docker compose` uses), else downloads the release COMPOSE_VERSION from
GitHub and checks it against COMPOSE_SHA256, or against the release's own checksum file.
"""

import hashlib
import os
import shutil
import sys
import urllib.request


def main(vendor: str, plugin: str) -> None:
    os.makedirs(os.path.dirname(plugin), exist_ok=True)
    local = os.path.join(vendor, "docker-compose")
    if os.path.isfile(local):
        shutil.copyfile(local, plugin)
        print(f"docker-compose: copied from the build machine ({os.path.getsize(local)} bytes)")
    else:
        version = os.environ.get("COMPOSE_VERSION", "v2.40.3")
        url = f"https://github.com/docker/compose/releases/download/{version}/docker-compose-linux-x86_64"
        data = urllib.request.urlopen(url, timeout=300).read()
        expected = os.environ.get("COMPOSE_SHA256") or urllib.request.urlopen(url + ".sha256", timeout=60).read().decode().split()[0]
        if hashlib.sha256(data).hexdigest() != expected:
            sys.exit(f"docker-compose {version}: the download does not match its checksum {expected}")
        with open(plugin, "wb") as f:
            f.write(data)
        print(f"docker-compose: {version} downloaded, checksum checked")
    os.chmod(plugin, 0o755)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
