#!/bin/sh
# The learner's own Docker engine, in a sidecar container next to the learner's workspace
# (workshop/hub/workshop_spawner.py starts it; on Kubernetes it is a sidecar in the learner's pod,
# workshop/k8s/values.yaml). The workspace reaches it through the socket in the volume both
# containers mount at /run/learner-docker (DOCKER_HOST=unix:///run/learner-docker/docker.sock),
# never over TCP: with host networking every port is shared with every other learner.
#
#   learner-engine [dockerd arguments]   starts the engine (ENGINE_MODE says which kind)
#   learner-engine seed                  loads the class's images from /run/image-seed (see below)
#
# ENGINE_MODE=rootless (the spawner's default): dockerd runs as the learner (uid 1000), in a user namespace
#   that rootlesskit makes (Docker's own dockerd-rootless.sh), with slirp4netns for its network.
#   The sidecar is not privileged: it has no capability but SETUID, SETGID and SETFCAP (for
#   newuidmap and newgidmap, which write the namespace's uid and gid maps), with /dev/net/tun for
#   slirp4netns. Root in the learner's containers is uid 1000 or one of 65536 subordinate uids on
#   the host, and `docker run --privileged -v /:/host` sees the sidecar's files, not the host's.
#   Its storage is the learner's engine volume at ~/.local/share/docker.
# ENGINE_MODE=privileged: dockerd runs as root in a privileged sidecar (or one with every
#   capability, seccomp and AppArmor off). Whoever has its socket is root on the host: only for
#   a machine where every learner may be. Its storage is the engine volume at /var/lib/docker.
#   Extra arguments go to dockerd (with host networking: --bridge=none --iptables=false, so that
#   the engine leaves the host's network alone).
set -eu
socket_dir=${ENGINE_SOCKET_DIR:-/run/learner-docker}
# Without ENGINE_MODE: privileged when started as root (what a privileged sidecar without the
# variable, e.g. an older Kubernetes values file, expects), rootless otherwise.
if [ -z "${ENGINE_MODE:-}" ]; then
  if [ "$(id -u)" = 0 ]; then ENGINE_MODE=privileged; else ENGINE_MODE=rootless; fi
fi
mode=$ENGINE_MODE
seed_dir=/run/image-seed

if [ "${1:-}" = seed ]; then
  # The class's images, saved once by `npm run workshop -- up` (docker save) and mounted read-only
  # here: loaded into this learner's engine unless the engine already has this very seed.
  export DOCKER_HOST="unix://$socket_dir/docker.sock"
  [ -f "$seed_dir/images.tar" ] || { echo "no image seed at $seed_dir/images.tar: nothing to load"; exit 0; }
  id=$(cat "$seed_dir/id" 2>/dev/null || echo unknown)
  if [ "$mode" = rootless ]; then marker=$HOME/.local/share/docker/.tutorial-seed; else marker=/var/lib/docker/.tutorial-seed; fi
  if [ "$(cat "$marker" 2>/dev/null)" = "$id" ]; then
    echo "the image seed $id is already loaded"
    exit 0
  fi
  docker load -q -i "$seed_dir/images.tar"
  printf '%s\n' "$id" >"$marker"
  exit 0
fi

if [ "$mode" = rootless ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "learner-engine: ENGINE_MODE=rootless runs as the learner (uid 1000), not as root: start the sidecar with --user 1000, or ENGINE_MODE=privileged" >&2
    exit 1
  fi
  if [ ! -w "$socket_dir" ] || [ ! -w "$HOME/.local/share/docker" ]; then
    echo "learner-engine: $socket_dir or $HOME/.local/share/docker is not writable by uid $(id -u): their volumes were made for another engine (remove them, or use ENGINE_MODE=privileged)" >&2
    exit 1
  fi
  if [ ! -c /dev/net/tun ]; then
    echo "learner-engine: no /dev/net/tun: slirp4netns needs it for the engine's network (docker run --device /dev/net/tun)" >&2
    exit 1
  fi
  rm -f "$socket_dir/docker.sock"
  export XDG_RUNTIME_DIR=/tmp/learner-engine
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 0700 "$XDG_RUNTIME_DIR"
  export PATH="/usr/share/docker.io/contrib:$PATH"
  # rootlesskit's own /etc and /run (copy-up), its port driver publishing the learner's ports in
  # the sidecar's network namespace (the workspace's, or the host's with host networking).
  exec dockerd-rootless.sh \
    --host="unix://$socket_dir/docker.sock" \
    --data-root="$HOME/.local/share/docker" \
    "$@"
fi

if [ "$mode" != privileged ]; then
  echo "learner-engine: ENGINE_MODE is rootless or privileged, not \"$mode\"" >&2
  exit 1
fi

gid=${ENGINE_SOCKET_GID:-1000}
mkdir -p "$socket_dir"
# Owned by the learner, so that a rootless engine can use the same volume later.
chown 1000:"$gid" "$socket_dir"
chmod 0750 "$socket_dir"
rm -f "$socket_dir/docker.sock"

# cgroup v2: move this process into a child group first, so that the engine may create groups for
# its containers next to it (what the official docker:dind image's entrypoint does).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || :
fi

# cgroup v1 without --privileged (hosts whose capability bounding set lacks one that
# --privileged asks for; the spawner then grants the others one by one): the container's cgroup
# folders are mounted read-only, so the engine could not make groups for its containers. Mount
# each hierarchy again and bind this container's own group over the read-only one: the engine's
# containers then sit inside this container's group, and its memory limit covers them.
if [ ! -f /sys/fs/cgroup/cgroup.controllers ] && grep -q ' /sys/fs/cgroup/[^ ]* ro,.* - cgroup ' /proc/self/mountinfo; then
  awk '$9 == "cgroup" {print $4, $5, $NF}' /proc/self/mountinfo | while read -r root point opts; do
    name=$(basename "$point")
    mkdir -p "/run/cgroup-roots/$name"
    umount "$point" && mount -t cgroup -o "${opts#rw,}" cgroup "/run/cgroup-roots/$name" \
      && mount --bind "/run/cgroup-roots/$name$root" "$point" || echo "learner-engine: could not make $point writable" >&2
  done
fi

exec dockerd \
  --host="unix://$socket_dir/docker.sock" \
  --group="$gid" \
  --data-root=/var/lib/docker \
  --pidfile=/run/dockerd.pid \
  "$@"
