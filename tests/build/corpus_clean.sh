#!/usr/bin/env bash
# corpus_clean.sh — the fuzz corpora hold inputs only: no executables, no fuzzer logs,
# nothing larger than an input could usefully be (64 KiB). A libFuzzer run started from
# inside a corpus directory once left three ELF binaries and its logs there (5.8 MB).
set -u
corpus=${1:?usage: corpus_clean.sh CORPUS_DIR}
bad=0
while IFS= read -r -d '' f; do
    size=$(stat -c %s "$f")
    magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
    name=$(basename "$f")
    if [ "$magic" = 7f454c46 ]; then
        echo "FAIL: $f is an executable (ELF)"; bad=1
    elif [ "$size" -gt 65536 ]; then
        echo "FAIL: $f is $size bytes (more than an input needs)"; bad=1
    elif [[ $name == log*.txt || $name == fuzz_rc*.txt || $name == *.log ]]; then
        echo "FAIL: $f looks like a fuzzer log"; bad=1
    fi
done < <(find "$corpus" -type f -print0)
n=$(find "$corpus" -type f | wc -l)
[ $bad -eq 0 ] && echo "ok: $n inputs in $corpus, none an executable, a log or oversized"
exit $bad
