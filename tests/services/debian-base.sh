#!/usr/bin/env bash
# Makes a local Debian 12 (bookworm) base image with Python 3 and pip, from Debian's own
# packages with debootstrap, and tags it with every name given as an argument. No Docker
# registry is reachable here, so images whose Dockerfile starts FROM python:...-slim-bookworm
# or debian:bookworm-slim are built on this stand-in instead; a real machine pulls the
# official image the Dockerfile names. Idempotent: an image that exists is kept.
#   bash tests/services/debian-base.sh python:3.12.11-slim-bookworm debian:bookworm-slim
set -euo pipefail
base=${DEBIAN_BASE_IMAGE:-tutorial-local/debian-python:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if ! docker image inspect "$base" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  root=$(mktemp -d /var/tmp/debian-base.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  echo "debian base: debootstrap bookworm into $root (a few minutes the first time)"
  debootstrap --variant=minbase \
    --include=python3,python3-pip,python3-venv,ca-certificates,passwd,procps,curl \
    bookworm "$root" "$mirror" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; exit 1; }
  rm -f "$root.log"
  # The official python images let `pip install` write to the system site; Debian marks its
  # Python as externally managed (PEP 668). The stand-in behaves like the official image.
  rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
  ln -sf /usr/bin/python3 "$root/usr/local/bin/python"
  ln -sf /usr/bin/pip3 "$root/usr/local/bin/pip"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' "$mirror" "$mirror" >"$root/etc/apt/sources.list"
  tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' -c 'CMD ["/bin/bash"]' - "$base" >/dev/null
  echo "debian base: $base created"
else
  echo "debian base: $base already present"
fi
for name in "$@"; do
  docker tag "$base" "$name"
  echo "debian base: tagged as $name (a local stand-in for the official image)"
done
