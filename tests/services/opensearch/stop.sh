#!/usr/bin/env bash
# Stops the node that start.sh started (by its pid file) and waits until it is gone.
set -euo pipefail
state=${OPENSEARCH_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/ds-tutorial/opensearch}
pidfile="$state/node.pid"
if [ ! -f "$pidfile" ] || ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  rm -f "$pidfile"
  echo "opensearch: not running"
  exit 0
fi
pid=$(cat "$pidfile")
kill -TERM "$pid"
# The shutdown hook closes the node and deletes its data; give it 30 s, then kill it.
for _ in $(seq 1 60); do
  kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "opensearch: stopped (pid $pid)"; exit 0; }
  sleep 0.5
done
kill -KILL "$pid" 2>/dev/null || true
rm -f "$pidfile"
echo "opensearch: killed (pid $pid) after it ignored SIGTERM for 30 s"
