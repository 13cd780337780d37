#!/usr/bin/env bash
# Creates the tiny local image the Docker tests run, tutorial-test/busybox:1, from a rootfs that
# holds only a static busybox and its applet links (no registry is reachable here). Idempotent.
set -euo pipefail
image=${TEST_DOCKER_IMAGE:-tutorial-test/busybox:1}
if docker image inspect "$image" >/dev/null 2>&1; then echo "docker image: $image already present"; exit 0; fi
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "docker image: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
  echo "docker image: $busybox is not statically linked (apt-get install busybox-static)" >&2; exit 1
fi
root=$(mktemp -d); trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for applet in sh ash sleep echo cat true false head tr yes dd printf env ls grep wc seq test; do ln -s busybox "$root/bin/$applet"; done
chmod 1777 "$root/tmp"
tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$image" >/dev/null
echo "docker image: $image created"
