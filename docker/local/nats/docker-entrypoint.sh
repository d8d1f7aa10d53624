#!/bin/sh
# outbreak-local/nats entrypoint: as in the official image, a command whose first word
# starts with "-" is a list of nats-server flags (e.g. `-js -sd /data -m 8222`);
# any other command is run as it is.
set -e
case ${1:-} in
    -*) set -- nats-server "$@" ;;
    '') set -- nats-server --config /etc/nats/nats-server.conf ;;
esac
exec "$@"
