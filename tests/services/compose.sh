#!/usr/bin/env bash
# Makes `docker compose` (Compose v2) available for the test tiers when the machine lacks it.
# Debian's docker.io has no Compose v2 plugin, and no Docker download site is reachable here, so
# it is built from its Go module (the Go module proxy is reachable) into the CLI plugin folder.
# The first build takes a few minutes; Go's module and build caches make later ones quick.
set -euo pipefail
version=${COMPOSE_VERSION:-v2.40.3}
plugin_dir=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
if docker compose version >/dev/null 2>&1; then
  echo "compose: $(docker compose version --short 2>/dev/null || docker compose version)"
  exit 0
fi
command -v go >/dev/null || { echo "compose: Compose v2 is missing and Go is not installed to build it" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  go mod init compose-build >/dev/null 2>&1
  go get "github.com/docker/compose/v2/cmd@$version" >/dev/null 2>&1
  mkdir -p "$plugin_dir"
  go build -ldflags "-X github.com/docker/compose/v2/internal.Version=$version" -o "$plugin_dir/docker-compose" github.com/docker/compose/v2/cmd
) || { echo "compose: building Compose $version from the Go module proxy failed" >&2; exit 1; }
echo "compose: built $(docker compose version --short 2>/dev/null || echo "$version") into $plugin_dir"
