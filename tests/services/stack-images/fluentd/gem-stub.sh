#!/bin/sh
# A stub of RubyGems in the FAKE fluentd base image (tests/services/stack-images/fluentd/): no
# rubygems registry is reachable here, and the fake needs no gems. compose/fluentd/Dockerfile's
# `gem install` lines install nothing here and say so; `gem list` reports the versions the fake
# imitates (FAKE_GEMS below, from compose/.env), so the Dockerfile's pin check reads what it would
# read on a real image; `gem sources` does nothing.
case "$1" in
  install) shift; echo "gem (fake fluentd image): not installing $* - this image is a fake fluentd with no RubyGems (tests/services/stack-images/fluentd/)" >&2 ;;
  list)
    for g in $FAKE_GEMS; do
      name=${g%%=*}
      if [ -z "$2" ] || echo "$name" | grep -Eq "$2"; then echo "$name (${g#*=})"; fi
    done ;;
  sources) ;;
  *) echo "gem (fake fluentd image): '$1' is not available in this fake image" >&2; exit 1 ;;
esac
