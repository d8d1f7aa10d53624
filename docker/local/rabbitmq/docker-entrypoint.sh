#!/bin/bash
# outbreak-local/rabbitmq entrypoint.
#  * A command whose first word starts with "-" gets rabbitmq-server put before it.
#  * For rabbitmq-server: RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS and
#    RABBITMQ_DEFAULT_VHOST become default_user / default_pass / default_vhost in
#    /etc/rabbitmq/conf.d/90-default-user.conf (RabbitMQ creates them when its database
#    is new, i.e. on the first start with an empty /var/lib/rabbitmq);
#    RABBITMQ_ERLANG_COOKIE (deprecated, as in the official image) is written to
#    $HOME/.erlang.cookie; /var/lib/rabbitmq is given to user rabbitmq, and the server
#    runs as that user.
#  * Any other command runs as it is.
set -euo pipefail

case ${1:-} in
    -*) set -- rabbitmq-server "$@" ;;
    '') set -- rabbitmq-server ;;
esac
if [ "$1" != rabbitmq-server ]; then
    exec "$@"
fi
shift

conf=/etc/rabbitmq/conf.d/90-default-user.conf
lines=""
[ -n "${RABBITMQ_DEFAULT_USER:-}" ] && lines+="default_user = $RABBITMQ_DEFAULT_USER"$'\n'
[ -n "${RABBITMQ_DEFAULT_PASS:-}" ] && lines+="default_pass = $RABBITMQ_DEFAULT_PASS"$'\n'
[ -n "${RABBITMQ_DEFAULT_VHOST:-}" ] && lines+="default_vhost = $RABBITMQ_DEFAULT_VHOST"$'\n'
if [ -n "$lines" ]; then
    if [ -w /etc/rabbitmq/conf.d ]; then
        printf '## Written at start from RABBITMQ_DEFAULT_* by the entrypoint.\n%s' "$lines" >"$conf"
    else
        echo "docker-entrypoint: /etc/rabbitmq/conf.d is not writable: RABBITMQ_DEFAULT_* not applied" >&2
    fi
fi

data=${RABBITMQ_DATA_DIR:-/var/lib/rabbitmq}
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$data"
    find "$data" \! -user rabbitmq -exec chown rabbitmq:rabbitmq '{}' +
fi
if [ -n "${RABBITMQ_ERLANG_COOKIE:-}" ]; then
    echo "docker-entrypoint: RABBITMQ_ERLANG_COOKIE is deprecated (as in the official image); use $HOME/.erlang.cookie" >&2
    cookie=$HOME/.erlang.cookie
    rm -f "$cookie"
    printf '%s' "$RABBITMQ_ERLANG_COOKIE" >"$cookie"
    chmod 600 "$cookie"
fi

# The cookie is made here, before the server starts, as the server would make it (20
# capital letters): a CLI run (a health check) before the server had made it would
# otherwise create it as root, and the server could not read it.
cookie=$HOME/.erlang.cookie
if [ ! -e "$cookie" ]; then
    value=$(set +o pipefail; tr -dc 'A-Z' </dev/urandom | head -c 20)
    (umask 077; printf '%s' "$value" >"$cookie")
    chmod 400 "$cookie"
fi
if [ "$(id -u)" = 0 ]; then chown rabbitmq:rabbitmq "$cookie"; fi

if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
        /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
