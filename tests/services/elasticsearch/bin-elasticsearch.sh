#!/usr/bin/env bash
# Starts the node of this home folder in the foreground (the entrypoint of a built home, see
# build.sh). JVM options come from ES_JAVA_OPTS as for Elastic's own start script; without a heap
# there, the heap is 512 MB. Settings: -Ekey=value arguments or environment variables named like
# the setting (discovery.type=single-node); xpack.* settings are dropped with a warning.
# bash, not sh: dash drops environment variables whose names hold a dot before java sees them.
# ES_TMPDIR moves the JVM's temporary folder out of the home (default: <home>/tmp).
home=$(cd "$(dirname "$0")/.." && pwd)
case " ${ES_JAVA_OPTS:-} " in
  *" -Xmx"*) heap="" ;;
  *) heap="-Xms512m -Xmx512m" ;;
esac
# log4j's own shutdown hook would close logging before the node has stopped; netty's options
# are the ones Elasticsearch's jvm.options sets for its HTTP and transport layers.
# shellcheck disable=SC2086 # ES_JAVA_OPTS is a list of words, as Elastic's script treats it
exec "${JAVA:-java}" $heap ${ES_JAVA_OPTS:-} \
  -Des.path.home="$home" -Djava.io.tmpdir="${ES_TMPDIR:-$home/tmp}" \
  -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
  -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0 \
  -Dfile.encoding=UTF-8 \
  -cp "$home/lib/*" tutorial.es.Launcher "$@"
