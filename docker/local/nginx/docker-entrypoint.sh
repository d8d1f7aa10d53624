#!/bin/sh
# outbreak-local/nginx entrypoint, the official image's behaviour: when the command is
# nginx or nginx-debug, the files of /docker-entrypoint.d/ run first in name order
# (*.envsh sourced when executable, *.sh run when executable, others ignored), then the
# command is exec'ed. NGINX_ENTRYPOINT_QUIET_LOGS=1 (any non-empty value) silences it.
set -e

say() {
    [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$0: $*"
}

if [ "${1:-}" = nginx ] || [ "${1:-}" = nginx-debug ]; then
    if [ -n "$(find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f 2>/dev/null | head -n 1)" ]; then
        say "/docker-entrypoint.d/ is not empty, will attempt to perform configuration"
        for f in $(find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f | sort); do
            case $f in
                *.envsh)
                    if [ -x "$f" ]; then
                        say "Sourcing $f"
                        . "$f"
                    else
                        say "Ignoring $f, not executable"
                    fi ;;
                *.sh)
                    if [ -x "$f" ]; then
                        say "Launching $f"
                        "$f"
                    else
                        say "Ignoring $f, not executable"
                    fi ;;
                *) say "Ignoring $f" ;;
            esac
        done
        say "Configuration complete; ready for start up"
    else
        say "No files found in /docker-entrypoint.d/, skipping configuration"
    fi
fi
exec "$@"
