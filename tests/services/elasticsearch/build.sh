#!/usr/bin/env bash
# Builds the home folder of an Elasticsearch 8.19.21 node from Maven Central's jars, as an
# Elasticsearch distribution lays it out, and prints its path:
#   lib/                       the server's jars and the launcher (launcher/, compiled here)
#   modules/transport-netty4/  HTTP and transport, with its descriptor from inside its jar
#   modules/tutorial-banner/   GET / and HEAD / (module/, compiled here; not published by Elastic)
#   config/                    elasticsearch.yml and log4j2.properties (config/)
#   bin/elasticsearch          the entrypoint (bin-elasticsearch.sh)
# start.sh runs it for the tests; a Dockerfile can COPY it and use bin/elasticsearch as its
# entrypoint. Needs Maven and a JDK 17 (javac). The result is cached under
# ~/.cache/ds-tutorial (ES_BUILD overrides) and rebuilt only when a file here changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's:.*<elasticsearch.version>\(.*\)</elasticsearch.version>.*:\1:p' "$here/pom.xml")
out=${ES_BUILD:-${XDG_CACHE_HOME:-$HOME/.cache}/ds-tutorial/elasticsearch-$version}
stamp=$(cd "$here" && find pom.xml build.sh bin-elasticsearch.sh config launcher module -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)

if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  echo "$out"
  exit 0
fi
for tool in mvn javac jar; do
  command -v "$tool" >/dev/null || { echo "elasticsearch: $tool is missing (apt-get install maven openjdk-17-jdk-headless)" >&2; exit 1; }
done

work="$out.build.$$"
rm -rf "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/jars" "$work/lib" "$work/modules/transport-netty4" "$work/modules/tutorial-banner" "$work/bin" "$work/classes/launcher" "$work/classes/module"
# Maven's output is kept for the failure message only.
if ! log=$(cd "$here" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory="$work/jars" 2>&1); then
  echo "elasticsearch: Maven could not copy the $version jars (is Maven Central reachable?):" >&2
  echo "$log" | tail -n 20 >&2
  exit 1
fi

# transport-netty4 and what only it needs form the module; the rest is the server's classpath.
# A jar on both would be "jar hell" to the plugin loader.
for jar in "$work"/jars/*.jar; do
  case $(basename "$jar") in
    transport-netty4-*|netty-*|elasticsearch-ssl-config-*) mv "$jar" "$work/modules/transport-netty4/" ;;
    *) mv "$jar" "$work/lib/" ;;
  esac
done
# The descriptor inside the jar names a Java module; on a plain classpath there is none.
unzip -p "$work/modules/transport-netty4/transport-netty4-$version.jar" \
  META-INF/es-plugins/transport-netty4/plugin-descriptor.properties |
  grep -v '^modulename=' >"$work/modules/transport-netty4/plugin-descriptor.properties"

cp_server="$work/lib/*"
mapfile -t sources < <(find "$here/launcher" -name '*.java')
javac -nowarn -d "$work/classes/launcher" -cp "$cp_server" "${sources[@]}"
jar cf "$work/lib/tutorial-es-launcher.jar" -C "$work/classes/launcher" .
mapfile -t sources < <(find "$here/module" -name '*.java')
javac -nowarn -d "$work/classes/module" -cp "$cp_server" "${sources[@]}"
jar cf "$work/modules/tutorial-banner/tutorial-banner.jar" -C "$work/classes/module" .
cp "$here/module/plugin-descriptor.properties" "$work/modules/tutorial-banner/"
cp -r "$here/config" "$work/config"
install -m 755 "$here/bin-elasticsearch.sh" "$work/bin/elasticsearch"
rm -rf "$work/jars" "$work/classes"
echo "$stamp" >"$work/.stamp"

rm -rf "$out"
mv "$work" "$out"
trap - EXIT
echo "$out"
