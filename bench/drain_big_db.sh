#!/usr/bin/env bash
# bench/drain_big_db.sh — the end of a run against a big database: the integration test
# tests/integration/drain_big_db.sh with 1 000 000 records already in the database
# (BENCH_BIG_RECORDS) and MongoDB's count of one run shown to take over 15 s. Five runs
# of 10 000 records through NATS JetStream, each must exit within 15 s of its last record
# persisted. The first time it fills the database obit_big_1000000 (80-190 s on the
# 2-CPU machine, 870 MB on FerretDB's SQLite backend) and keeps it for the next time.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export OUTBREAK=${OUTBREAK:-$ROOT/build/outbreak}
export OB_SOURCE_DIR=$ROOT
export OB_BIG_RECORDS=${BENCH_BIG_RECORDS:-1000000}
export OB_BIG_COUNT_LIMIT_MS=${BENCH_BIG_COUNT_LIMIT_MS:-15000}
[ -x "$OUTBREAK" ] || { echo "bench: build first (make)" >&2; exit 1; }
"$ROOT/scripts/stack" up nats mongo >/dev/null || exit 1
exec bash "$ROOT/tests/integration/drain_big_db.sh"
