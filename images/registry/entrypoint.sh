#!/bin/sh
# Same interface as the upstream registry:2 image: a config path, or a registry subcommand.
set -e
case "$1" in
  *.yaml|*.yml) set -- registry serve "$@" ;;
  serve|garbage-collect|help|-*) set -- registry "$@" ;;
esac
exec "$@"
