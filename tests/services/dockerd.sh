#!/usr/bin/env bash
# Starts a Docker engine for the test tiers when none answers: host networking only
# (no bridge, no iptables), so test containers talk only to 127.0.0.1.
set -euo pipefail
if docker info >/dev/null 2>&1; then echo "dockerd: already running"; exit 0; fi
command -v dockerd >/dev/null || { echo "dockerd: not installed (apt-get install docker.io)" >&2; exit 1; }
log=${TMPDIR:-/tmp}/tutorial-dockerd.log
setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then echo "dockerd: started"; exit 0; fi
  sleep 0.5
done
echo "dockerd: did not start within 30 s; see $log" >&2
tail -n 20 "$log" >&2
exit 1
