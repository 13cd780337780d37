#!/bin/sh
# The learner's own Docker engine: runs as root in a privileged sidecar container next to the
# learner's workspace (workshop/hub/workshop_spawner.py starts it; on Kubernetes it is a sidecar
# in the learner's pod, workshop/k8s/values.yaml). Its storage is the learner's engine volume at
# /var/lib/docker; the workspace reaches it through the socket in the volume both containers
# mount at /run/learner-docker (DOCKER_HOST=unix:///run/learner-docker/docker.sock), never over
# TCP: with host networking every port is shared with every other learner.
# Extra arguments go to dockerd (with host networking: --bridge=none --iptables=false, so that the
# engine leaves the host's network alone).
set -eu
socket_dir=${ENGINE_SOCKET_DIR:-/run/learner-docker}
gid=${ENGINE_SOCKET_GID:-1000}
mkdir -p "$socket_dir"
chmod 0750 "$socket_dir"
chgrp "$gid" "$socket_dir"
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
