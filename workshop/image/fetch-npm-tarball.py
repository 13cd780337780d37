"""Fetches one package tarball from the npm registry, checks it against its published integrity
(sha512, as package-lock.json records it) and unpacks its package/ folder into a target folder.

    python3 fetch-npm-tarball.py npm 11.19.1 sha512-... /opt/node/lib/node_modules/npm
    python3 fetch-npm-tarball.py 'node-linux-{arch}' 22.23.3 amd64=sha512-...,arm64=sha512-... /opt/node

A name with {arch} is a package built for one CPU: {arch} becomes Node.js's name for the build's
architecture (arch.py: x64 or arm64), and the integrity is given per architecture (Debian's names,
each package's own checksum). Used by workshop/image/Dockerfile for Node.js (the node-linux-{arch}
packages are the official Linux builds) and npm: the npm registry is
reachable wherever `npm ci` is, so no other download site is needed. Standard library only (the
slim Python image has no curl).
"""

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

from arch import build_arch, name_for


def for_this_build(name: str, integrity: str, arch: str) -> tuple[str, str]:
    """The package name and integrity for `arch` (Debian's name) when the name has {arch}."""
    if "{arch}" not in name:
        return name, integrity
    by_arch = dict(item.partition("=")[::2] for item in integrity.split(","))
    if arch not in by_arch:
        sys.exit(f"{name}: no integrity given for {arch} (given for {', '.join(by_arch)}); add {arch}=sha512-... from `npm view`")
    return name.replace("{arch}", name_for("node", arch)), by_arch[arch]


def main(name: str, version: str, integrity: str, target: str) -> None:
    if "{arch}" in name:
        name, integrity = for_this_build(name, integrity, build_arch())
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
