#!/bin/sh
# The stand-in's entrypoint (see Dockerfile): `mini ARGS` runs `weed mini` with its data in /data
# unless ARGS name a -dir; anything else is passed to weed as it is.
set -e
if [ "$1" = mini ]; then
  shift
  case " $* " in
    *" -dir="* | *" --dir="* | *" -dir "* | *" --dir "*) exec /usr/bin/weed -logtostderr=true mini "$@" ;;
    *) exec /usr/bin/weed -logtostderr=true mini -dir=/data "$@" ;;
  esac
fi
exec /usr/bin/weed "$@"
