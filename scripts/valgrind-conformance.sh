#!/usr/bin/env bash
# The PKCS#11 conformance suite under valgrind memcheck, against the module given as $1 (default
# target/debug/libsofthsm_pkcs11.so). The test binary is found through cargo's JSON messages; its
# tests are dealt round-robin into two shards (the CI machine has two cores; valgrind runs a
# process's threads one at a time), each run with --exact names in one valgrind process.
# Child processes the tests spawn (helper binaries, kmip-server) are not traced. Fails on any
# memcheck error or definite leak (exit 99 from valgrind) and on any test failure.
# No suppressions are needed: with Rust's default allocator, aws-lc and SQLite the suite has been
# clean; add one only for a documented third-party or Rust-runtime false positive, with a comment.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
module="${1:-$target/debug/libsofthsm_pkcs11.so}"
command -v valgrind >/dev/null || { echo "valgrind missing: run scripts/install-deps.sh" >&2; exit 1; }

bin="$(cargo test -p conformance-tests --test conformance --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "conformance" and m.get("executable"):
        print(m["executable"])')"
[ -x "$bin" ] || { echo "conformance test binary not found" >&2; exit 1; }

mapfile -t tests < <("$bin" --list --format=terse 2>/dev/null | sed -n 's/: test$//p')
shards=2
logdir="$(mktemp -d)"
trap 'rm -rf "$logdir"' EXIT
start=$SECONDS
pids=()
for ((k = 0; k < shards; k++)); do
    names=()
    for ((i = k; i < ${#tests[@]}; i += shards)); do names+=("${tests[$i]}"); done
    P11_MODULE="$module" P11_QUIET=1 valgrind --tool=memcheck --error-exitcode=99 \
        --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        --num-callers=30 \
        "$bin" --exact --test-threads=2 "${names[@]}" >"$logdir/shard$k.log" 2>&1 &
    pids+=($!)
done
status=0
for ((k = 0; k < shards; k++)); do
    rc=0
    wait "${pids[$k]}" || rc=$?
    log="$logdir/shard$k.log"
    summary="$(grep -h 'ERROR SUMMARY' "$log" | tail -1 | sed 's/^==[0-9]*== //')"
    result="$(grep -h '^test result' "$log" | tail -1)"
    echo "valgrind shard $((k + 1))/$shards: $result; $summary (exit $rc)"
    grep -h '^SKIP' "$log" || true
    if [ "$rc" -ne 0 ]; then
        status=1
        sed -n '/^failures:/,$p;/Invalid\|uninitialised\|definitely lost in/,+20p' "$log" | head -200
    fi
done
echo "valgrind: ${#tests[@]} conformance tests under memcheck in $((SECONDS - start)) s"
exit $status
