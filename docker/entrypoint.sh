#!/bin/sh
# Container entrypoint (run by tini, which forwards signals and reaps
# children). Starts Portero with the state directory of the image unless the
# arguments name one, and replaces this shell so that signals reach Portero.
# The state directory is a subdirectory of the volume: a Kubernetes emptyDir
# is writable by everyone, which Portero refuses; it creates state/ 0700.
set -eu
case " $* " in
  *" --state-dir "*|*" --state-dir="*) exec node /app/bin/portero "$@" ;;
  *) exec node /app/bin/portero --state-dir /var/lib/portero/state "$@" ;;
esac
