#!/bin/sh
# The image's entry point: `gateway` runs the strangler gateway, anything else goes to
# dist/start.js (`monolith`, or a module's name for its extracted service). `exec`, so
# the process gets SIGTERM itself and shuts down within SHUTDOWN_DEADLINE_MS.
set -eu
if [ "${1:-monolith}" = "gateway" ]; then
  shift
  exec node dist/strangler-proxy/main.js "$@"
fi
exec node dist/start.js "$@"
