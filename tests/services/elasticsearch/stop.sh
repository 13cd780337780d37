#!/usr/bin/env bash
# Stops the node that start.sh started (by its pid file) and waits until it is gone.
set -euo pipefail
state=${ES_TEST_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/ds-tutorial/elasticsearch-test}
pidfile="$state/node.pid"
if [ ! -f "$pidfile" ] || ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  rm -f "$pidfile"
  echo "elasticsearch: not running"
  exit 0
fi
pid=$(cat "$pidfile")
kill -TERM "$pid"
# The launcher's shutdown hook closes the node (up to 20 s); then it is killed.
for _ in $(seq 1 60); do
  kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "elasticsearch: stopped (pid $pid)"; exit 0; }
  sleep 0.5
done
kill -KILL "$pid" 2>/dev/null || true
rm -f "$pidfile"
echo "elasticsearch: killed (pid $pid) after it ignored SIGTERM for 30 s"
