#!/usr/bin/env bash
# layering.sh — builds one probe of tests/build (a one-line C file that includes HEADER,
# compiled with the include paths of one layer) and checks the outcome:
#   layering.sh BUILD_DIR TARGET HEADER fails     the compiler must stop at HEADER
#   layering.sh BUILD_DIR TARGET HEADER compiles  it must compile
# So a layer including a header of a layer it does not declare fails the build, and the
# probes themselves are shown to be able to succeed.
set -u
build=$1 target=$2 header=$3 want=$4
out=$(cmake --build "$build" --target "$target" 2>&1)
rc=$?
case $want in
fails)
    if [ $rc -ne 0 ] && grep -q "$header: No such file or directory" <<<"$out"; then
        echo "ok: $target cannot include $header"
        exit 0
    fi
    echo "FAIL: $target (exit $rc) was expected to stop at $header:"; echo "$out" | tail -20
    exit 1 ;;
compiles)
    if [ $rc -eq 0 ]; then
        echo "ok: $target includes $header"
        exit 0
    fi
    echo "FAIL: $target (exit $rc) was expected to compile:"; echo "$out" | tail -20
    exit 1 ;;
esac
echo "usage: layering.sh BUILD_DIR TARGET HEADER fails|compiles" >&2
exit 2
