#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (the storage server of the compose stack's `s3` service) from its Go
# module on the Go proxy, once, into ~/.cache/ds-tutorial/seaweedfs/<version>/weed, and prints
# that path. The integration tier runs it directly (tests/integration/s3/); stack-images.sh puts
# it into the stand-in of chrislusf/seaweedfs. The module's go.mod has replace directives, so
# `go install module@version` refuses it: the build runs inside a copy of the module instead.
#   bash tests/services/seaweedfs.sh            (the version pinned below)
set -euo pipefail
# The commit of SeaweedFS 4.53 on the Go proxy (the module publishes no tagged versions there).
module=github.com/seaweedfs/seaweedfs
version=${SEAWEEDFS_MODULE_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ds-tutorial
out="$cache/seaweedfs/$version"
if [ -x "$out/weed" ]; then echo "$out/weed"; exit 0; fi
export GOPATH="$cache/gopath" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
command -v go >/dev/null || { echo "seaweedfs: Go is missing (Go 1.26 or later: https://go.dev/dl/)" >&2; exit 1; }
mkdir -p "$out"
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
(cd "$work" && go mod download -json "$module@$version" >"$work/download.json") ||
  { echo "seaweedfs: the Go proxy did not give $module@$version" >&2; exit 1; }
src=$(sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p' "$work/download.json")
cp -r "$src" "$work/src"
chmod -R u+w "$work/src"
t0=$SECONDS
(cd "$work/src" && go build -trimpath -ldflags '-s -w' -o "$out/weed.tmp" ./weed) >&2
mv "$out/weed.tmp" "$out/weed"
echo "seaweedfs: built $("$out/weed" version 2>/dev/null | head -1) in $((SECONDS - t0)) s" >&2
echo "$out/weed"
