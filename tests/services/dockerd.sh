#!/usr/bin/env bash
# Starts a Docker engine for the test tiers when none answers: no default bridge and no iptables
# rules (containers get no route out of this machine, and the host's firewall is left alone).
# User-defined bridge networks still work with these flags (a compose project's own network, its
# services reaching each other by name), and Docker publishes ports on 127.0.0.1 with its
# userland proxy (docker-proxy), which needs no iptables: the compose tier and the self-test rely
# on both. Containers run without a network, with the host's, or on such a network.
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
