#!/bin/bash
# outbreak-local/mongo entrypoint. The command `mongod [OPTION...]` (the default), or
# options alone (first word starting with "-"), runs FerretDB instead:
#   ferretdb --handler=sqlite --sqlite-url=file:DBPATH/ --state-dir=DBPATH
#            --listen-addr=0.0.0.0:PORT --telemetry=disable --debug-addr=- --log-level=warn
# mongod's --port N and --dbpath DIR are honoured; --bind_ip_all and --bind_ip are
# accepted (FerretDB listens on every interface); every other mongod option is ignored
# with a warning. A FERRETDB_* variable for one of those settings wins over the flag
# (FerretDB reads them itself). MONGO_INITDB_* and /docker-entrypoint-initdb.d are not
# honoured (warned). The server runs as user mongodb, which is given DBPATH. Any other
# command runs as it is.
set -euo pipefail

case ${1:-} in
    -*) set -- mongod "$@" ;;
    '') set -- mongod ;;
esac
if [ "$1" != mongod ]; then
    exec "$@"
fi
shift

port=27017 dbpath=/data/db ignored=()
while [ $# -gt 0 ]; do
    case $1 in
        --port) port=$2; shift 2 ;;
        --port=*) port=${1#*=}; shift ;;
        --dbpath) dbpath=$2; shift 2 ;;
        --dbpath=*) dbpath=${1#*=}; shift ;;
        --bind_ip_all) shift ;;
        --bind_ip) shift 2 ;;
        --bind_ip=*) shift ;;
        *) ignored+=("$1"); shift ;;
    esac
done
[ ${#ignored[@]} -eq 0 ] ||
    echo "docker-entrypoint: FerretDB stands in for mongod here: ignored ${ignored[*]}" >&2
for v in MONGO_INITDB_ROOT_USERNAME MONGO_INITDB_ROOT_PASSWORD MONGO_INITDB_DATABASE; do
    [ -z "${!v:-}" ] || echo "docker-entrypoint: $v is not honoured by this stand-in (FerretDB, no authentication)" >&2
done
if [ -n "$(ls -A /docker-entrypoint-initdb.d 2>/dev/null)" ]; then
    echo "docker-entrypoint: /docker-entrypoint-initdb.d is not run by this stand-in" >&2
fi

args=()
[ -n "${FERRETDB_HANDLER:-}" ] || args+=(--handler=sqlite)
[ -n "${FERRETDB_SQLITE_URL:-}" ] || args+=("--sqlite-url=file:$dbpath/")
[ -n "${FERRETDB_STATE_DIR:-}" ] || args+=("--state-dir=$dbpath")
[ -n "${FERRETDB_LISTEN_ADDR:-}" ] || args+=("--listen-addr=0.0.0.0:$port")
[ -n "${FERRETDB_TELEMETRY:-}" ] || args+=(--telemetry=disable)
[ -n "${FERRETDB_DEBUG_ADDR:-}" ] || args+=(--debug-addr=-)
[ -n "${FERRETDB_LOG_LEVEL:-}" ] || args+=(--log-level=warn)

mkdir -p "$dbpath"
if [ "$(id -u)" = 0 ]; then
    find "$dbpath" \! -user mongodb -exec chown mongodb:mongodb '{}' +
    exec setpriv --reuid=mongodb --regid=mongodb --init-groups /usr/local/bin/ferretdb "${args[@]}"
fi
exec /usr/local/bin/ferretdb "${args[@]}"
