#!/usr/bin/env bash
# Builds, on this machine, a stand-in for every image of compose/docker-compose.yml that cannot be
# pulled here (no Docker registry), tagged with the very name the compose file uses (from
# compose/.env), so that the learner's `docker compose -f compose/docker-compose.yml up` runs
# unchanged in the compose tier and the self-test:
#   elasticsearch  the real Elasticsearch (jars from Maven Central, tests/services/elasticsearch/)
#                  on the Debian base with Debian's Java 17;
#   kibana         a FAKE (tests/fakes/kibana-server.ts): Kibana cannot run here;
#   fluent/fluentd a FAKE base for compose/fluentd/Dockerfile (the tests' fluentd fake, tests/fakes/fluentd.ts);
#   adminer        the real adminer from Debian's package, on PHP's built-in server;
#   seaweedfs      the real SeaweedFS `weed` built from its Go module (tests/services/seaweedfs.sh,
#                  cached under ~/.cache/ds-tutorial) on the Debian base;
#   python, postgres  as before (debian-base.sh, postgres-image.sh).
# Each stand-in carries the label tutorial.stand-in saying what it is; a real image of the same
# name (one a developer pulled) is never replaced. Docker's layer cache makes a second run take
# seconds; the Elasticsearch jars are cached under ~/.cache/ds-tutorial.
#   bash tests/services/stack-images.sh [elasticsearch] [kibana] [fluentd] [adminer] [seaweedfs]   (default: all)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
envfile="$root/compose/.env"
val() { sed -n "s/^$1=//p" "$envfile"; }
base=${DEBIAN_BASE_IMAGE:-tutorial-local/debian-python:bookworm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

real_image() { # a present image without the stand-in label
  docker image inspect "$1" >/dev/null 2>&1 &&
    [ -z "$(docker image inspect -f '{{index .Config.Labels "tutorial.stand-in"}}' "$1")" ]
}

# build NAME DIR LABEL [docker build args...]: builds DIR's Dockerfile (with what was staged in
# $work/DIR) as NAME, on the host's network (apt reaches Debian's mirror; no bridge has a route out).
build() {
  local name=$1 dir=$2 label=$3
  shift 3
  if real_image "$name"; then echo "stack images: $name is a real image here, kept"; return; fi
  local ctx="$work/$dir"
  mkdir -p "$ctx"
  cp -r "$here/stack-images/$dir/." "$ctx/"
  local t0=$SECONDS
  docker build --network host --build-arg "BASE=$base" --build-arg "STAND_IN=$label" "$@" -t "$name" "$ctx" >"$work/$dir.log" 2>&1 ||
    { tail -n 30 "$work/$dir.log" >&2; echo "stack images: building $name failed" >&2; exit 1; }
  echo "stack images: $name built in $((SECONDS - t0)) s ($label)"
}

# bundle ENTRY OUT [TARGET]: one ECMAScript module of a TypeScript program and what it imports (for Node.js 18 by default).
bundle() {
  (cd "$root" && npx --no-install esbuild "$1" --bundle --platform=node --format=esm --target="${3:-node18}" \
    --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" \
    --log-level=warning --outfile="$2")
}

elastic=$(val ELASTIC_VERSION)
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(elasticsearch kibana fluentd adminer seaweedfs)
bash "$here/debian-base.sh" >/dev/null

for what in "${want[@]}"; do
  case "$what" in
    elasticsearch)
      # The node's home from Maven Central's jars (built once, cached under ~/.cache/ds-tutorial).
      home=$(bash "$here/elasticsearch/build.sh")
      mkdir -p "$work/elasticsearch"
      cp -r "$home" "$work/elasticsearch/home"
      build "docker.elastic.co/elasticsearch/elasticsearch:$elastic" elasticsearch \
        "the real Elasticsearch $elastic from Maven Central's jars on Debian 12's Java 17 (tests/services/stack-images/elasticsearch/)" \
        --build-arg "ELASTIC_VERSION=$elastic"
      ;;
    kibana)
      mkdir -p "$work/kibana"
      bundle tests/fakes/kibana-server.ts "$work/kibana/kibana-server.mjs"
      build "docker.elastic.co/kibana/kibana:$elastic" kibana \
        "a FAKE Kibana (tests/fakes/kibana-server.ts): Kibana cannot run here" --build-arg "KIBANA_VERSION=$elastic"
      ;;
    fluentd)
      tag=$(val FLUENTD_IMAGE_TAG)
      mkdir -p "$work/fluentd/fakes" "$work/fluentd/fixtures"
      # The fake reads its recorded answers from ../fixtures/fluentd-1.19.3 beside its own folder.
      bundle tests/fakes/fluentd-main.ts "$work/fluentd/fakes/fluentd.mjs" node22
      cp -r "$root/tests/fixtures/fluentd-1.19.3" "$work/fluentd/fixtures/"
      # The project's pinned Node.js (22, from npm's `node` package): the fake needs more than
      # Debian 12's Node.js 18 has (import.meta.dirname).
      cp "$(cd "$root" && npx --no-install node -p process.execPath)" "$work/fluentd/node"
      build "fluent/fluentd:$tag" fluentd \
        "a FAKE fluentd base (tests/fakes/fluentd-main.ts): fluentd cannot be installed here" \
        --build-arg "FLUENTD_VERSION=$(echo "$tag" | sed -E 's/^v([0-9.]+).*/\1/')" \
        --build-arg "FAKE_GEMS=elasticsearch=$(val ELASTICSEARCH_GEM_VERSION) fluent-plugin-elasticsearch=$(val FLUENT_PLUGIN_ELASTICSEARCH_VERSION)"
      ;;
    adminer)
      build "$(val ADMINER_IMAGE)" adminer "the real adminer from Debian 12's package (4.8.1), on PHP 8.2's built-in server"
      ;;
    seaweedfs)
      image=$(val SEAWEEDFS_IMAGE)
      mkdir -p "$work/seaweedfs"
      cp "$(bash "$here/seaweedfs.sh")" "$work/seaweedfs/weed"
      build "$image" seaweedfs \
        "the real SeaweedFS ${image##*:} (weed built from its Go module by tests/services/seaweedfs.sh) on Debian 12"
      ;;
    *) echo "stack images: unknown image '$what' (elasticsearch, kibana, fluentd, adminer or seaweedfs)" >&2; exit 1 ;;
  esac
done
