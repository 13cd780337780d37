#!/usr/bin/env bash
# Tags a stand-in for the official postgres image with the name pinned in compose/.env
# (POSTGRES_IMAGE), for the compose tier: no Docker registry is reachable here, so it is built
# from Debian 12's PostgreSQL on the local Debian base (postgres-image/Dockerfile says what it
# keeps of the official image). A real image of that name, e.g. one a developer pulled, is kept.
# Idempotent: Docker's build cache makes a second run quick.
#   bash tests/services/postgres-image.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$(sed -n 's/^POSTGRES_IMAGE=//p' "$here/../../compose/.env")
[ -n "$name" ] || { echo "postgres image: POSTGRES_IMAGE is not set in compose/.env" >&2; exit 1; }
if docker image inspect "$name" >/dev/null 2>&1 &&
  [ -z "$(docker image inspect -f '{{index .Config.Labels "tutorial.stand-in"}}' "$name")" ]; then
  echo "postgres image: $name is a real image here, kept (not replaced by the stand-in)"
  exit 0
fi
bash "$here/debian-base.sh" >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
docker build --network host -t "$name" "$here/postgres-image" >"$log" 2>&1 || { tail -n 30 "$log" >&2; exit 1; }
echo "postgres image: $name is a stand-in built from Debian 12's PostgreSQL 15 (tests/services/postgres-image/)"
