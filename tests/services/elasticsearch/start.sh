#!/usr/bin/env bash
# Starts one Elasticsearch 8.19.21 node for the tests on 127.0.0.1:${ES_TEST_PORT:-9250}
# (tests/helpers/env.ts reads TEST_ELASTICSEARCH_URL, default http://127.0.0.1:9250): single-node,
# a 512 MB heap, an empty cluster at every start, under setsid so it outlives the shell that
# started it. Idempotent: exits 0 at once when this node already answers there. The first run
# builds the node's home from Maven Central's jars (build.sh, ~30 s); later runs reuse it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${ES_TEST_PORT:-9250}
url="http://127.0.0.1:$port"
state=${ES_TEST_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/ds-tutorial/elasticsearch-test}
log="$state/node.log"
pidfile="$state/node.pid"
version=$(sed -n 's:.*<elasticsearch.version>\(.*\)</elasticsearch.version>.*:\1:p' "$here/pom.xml")

# What answers GET / on the port: our node's version, or nothing.
banner_version() {
  curl -fsS -m 2 "$url/" 2>/dev/null | sed -n 's/.*"number" *: *"\([^"]*\)".*/\1/p' || true
}

running=$(banner_version)
if [ "$running" = "$version" ]; then
  echo "elasticsearch: already running on $url ($version)"
  exit 0
fi
if [ -n "$running" ] || curl -sS -m 2 -o /dev/null "$url/" 2>/dev/null; then
  echo "elasticsearch: something else answers on $url (version '${running:-none}', not $version); stop it or choose another port with ES_TEST_PORT and TEST_ELASTICSEARCH_URL" >&2
  exit 1
fi

home=$(bash "$here/build.sh")
mkdir -p "$state"

# A pid file from a node that died is stale; one that still runs but does not answer yet is
# a node still starting, so wait for it instead of starting a second one on the same port.
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "elasticsearch: a node (pid $(cat "$pidfile")) is starting, waiting for it"
else
  # Every run starts with an empty cluster: old indices would leak between test runs.
  rm -rf "$state/data" "$state/tmp"
  mkdir -p "$state/data" "$state/logs" "$state/tmp"
  # The disk threshold is off: a nearly full CI disk must not turn the test indices read-only.
  ES_JAVA_OPTS="-Xms512m -Xmx512m" ES_TMPDIR="$state/tmp" setsid nohup "$home/bin/elasticsearch" \
    -Enode.name=es-tests -Ecluster.name=tutorial-tests -Ediscovery.type=single-node \
    -Enetwork.host=127.0.0.1 -Ehttp.port="$port" \
    -Epath.data="$state/data" -Epath.logs="$state/logs" \
    -Ecluster.routing.allocation.disk.threshold_enabled=false \
    >"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
fi

pid=$(cat "$pidfile")
for _ in $(seq 1 240); do
  status=$(curl -fsS -m 2 "$url/_cluster/health" 2>/dev/null | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' || true)
  if [ "$status" = green ] || [ "$status" = yellow ]; then
    echo "elasticsearch: $version ready on $url (status $status, pid $pid, log $log)"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "elasticsearch: the node exited before it was ready; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "elasticsearch: not ready on $url after 120 s; last lines of $log:" >&2
tail -n 40 "$log" >&2
exit 1
