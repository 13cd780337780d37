#!/bin/sh
# The FAKE fluentd's start (tests/services/stack-images/fluentd/): reads what the fake needs from
# the fluentd configuration, as fluentd would (-c FILE, default /fluentd/etc/fluent.conf): the
# forward input's port, monitor_agent's port, and the elasticsearch output's scheme, host, port and
# flush_interval; then runs the tests' fluentd fake (tests/fakes/fluentd-main.ts, bundled) with them.
conf=/fluentd/etc/fluent.conf
[ "$1" = "-c" ] && [ -n "$2" ] && conf=$2
echo "This is a FAKE fluentd (tests/fakes/fluentd.ts of the tutorial's repository, answering as a recorded fluentd ${FLUENTD_VERSION:-1.19.3} does), not fluentd; it reads $conf."
eval "$(awk '
  /^[ \t]*#/ { next }
  /<source>/ { block = "source"; type = "" }
  /<match /  { block = "match"; type = "" }
  /<\/source>|<\/match>/ { block = "" }
  $1 == "@type" { type = $2 }
  block == "source" && type == "forward" && $1 == "port" { print "forward_port=" $2 }
  block == "source" && type == "monitor_agent" && $1 == "port" { print "monitor_port=" $2 }
  block == "match" && type == "elasticsearch" && $1 == "host" { print "es_host=" $2 }
  block == "match" && type == "elasticsearch" && $1 == "port" { print "es_port=" $2 }
  block == "match" && type == "elasticsearch" && $1 == "scheme" { print "es_scheme=" $2 }
  block == "match" && $1 == "flush_interval" { v = $2; sub(/s$/, "", v); print "flush_ms=" v * 1000 }
' "$conf")"
exec /usr/local/lib/fake-fluentd/node /usr/local/lib/fake-fluentd/fakes/fluentd.mjs \
  --es "${es_scheme:-http}://${es_host:-localhost}:${es_port:-9200}" \
  --forward-port "${forward_port:-24224}" --monitor-port "${monitor_port:-24220}" --flush-interval "${flush_ms:-60000}"
