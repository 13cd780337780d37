#!/usr/bin/env bash
# Makes a local Debian 12 (bookworm) base image with Python 3 and pip, from Debian's own
# packages with debootstrap, and tags it with every name given as an argument. No Docker
# registry is reachable here, so images whose Dockerfile starts FROM python:...-slim-bookworm
# or debian:bookworm-slim are built on this stand-in instead; a real machine pulls the
# official image the Dockerfile names. Its Python is Debian's (3.11), whatever the tag says.
# Idempotent: an image that exists is kept, and a real image of a given name is never replaced.
#   bash tests/services/debian-base.sh python:3.12.11-slim-bookworm debian:bookworm-slim
set -euo pipefail
base=${DEBIAN_BASE_IMAGE:-tutorial-local/debian-python:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root='' ctx=''
trap 'rm -rf ${root:+"$root"} ${ctx:+"$ctx"}' EXIT
if ! docker image inspect "$base" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  root=$(mktemp -d /var/tmp/debian-base.XXXXXX)
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
[ $# -gt 0 ] || exit 0

# The names are tagged on a thin layer over the base: a label that marks it as a stand-in (so this
# script never overwrites a real image of the same name, e.g. one a developer pulled), and, on a
# machine that trusts extra certificate authorities in /usr/local/share/ca-certificates (a
# TLS-inspecting proxy, as on this project's CI machines), those certificates, so that pip inside a
# build reaches PyPI as the host does. A real machine pulls the official image and needs neither.
ctx=$(mktemp -d)
{
  printf 'FROM %s\n' "$base"
  printf 'LABEL tutorial.stand-in="Debian 12 with Debian'"'"'s python3, made by tests/services/debian-base.sh"\n'
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$ctx/"
    printf 'COPY *.crt /usr/local/share/ca-certificates/\nRUN update-ca-certificates >/dev/null 2>&1\n'
  fi
} >"$ctx/Dockerfile"
standin=$(docker build -q --network none "$ctx" 2>"$ctx/build.log") || { cat "$ctx/build.log" >&2; exit 1; }
for name in "$@"; do
  if docker image inspect "$name" >/dev/null 2>&1 &&
    [ -z "$(docker image inspect -f '{{index .Config.Labels "tutorial.stand-in"}}' "$name")" ]; then
    echo "debian base: $name is a real image here, kept (not replaced by the stand-in)"
    continue
  fi
  docker tag "$standin" "$name"
  echo "debian base: tagged as $name (a local stand-in for the official image)"
done
