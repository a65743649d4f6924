#!/usr/bin/env bash
# Builds the coverage-guided fuzz targets (fuzz/, a workspace of its own) with libFuzzer and
# SanitizerCoverage on the STABLE toolchain — the flags cargo-fuzz passes when no sanitizer is
# chosen — and runs each target for a while, printing executions and coverage per target.
#
#   scripts/fuzz.sh                      every target, FUZZ_SECONDS each (default 25)
#   SOFTHSM_LONG=1 scripts/fuzz.sh       600 s each, all the vector seeds
#   FUZZ_TARGETS="kmip_request" FUZZ_SECONDS=3600 FUZZ_CORPUS_DIR=/var/tmp/corpus scripts/fuzz.sh
#
# Seeds are generated at run time (our encoder's requests; the shared KMIP vectors, read from
# ../shared/kmip-vectors or KMIP_VECTORS, never copied into the repository). Corpus growth goes
# to a temporary directory (or FUZZ_CORPUS_DIR to keep it); a crash's input is copied to
# $CARGO_TARGET_DIR/fuzz/artifacts/ and the script fails. Each crash becomes a regression test
# in the normal `cargo test` suites.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -n "${SOFTHSM_LONG:-}" ]; then
    SECS=${FUZZ_SECONDS:-600}
    export FUZZ_MAX_SEEDS=${FUZZ_MAX_SEEDS:-100000}
else
    SECS=${FUZZ_SECONDS:-25}
fi
TARGETS=${FUZZ_TARGETS:-"ttlv_binary ttlv_text kmip_request p11_template p11_mechanism"}
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
TD=${CARGO_TARGET_DIR:-$ROOT/target}/fuzz

# --target keeps these flags off build scripts and proc macros, as cargo-fuzz does.
export RUSTFLAGS="-Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
(cd fuzz && CARGO_TARGET_DIR="$TD" cargo build --locked --profile fuzz --target "$TRIPLE" --bins)
BIN=$TD/$TRIPLE/fuzz

WORK=$(mktemp -d "${TMPDIR:-/tmp}/softhsm-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SEEDS_OUT="$WORK/seeds" SEEDS_VECTORS="${KMIP_VECTORS:-$ROOT/../shared/kmip-vectors}" "$BIN/seeds"

# "#123 INITED cov: 4 ft: 5 corp: ..." → the value after KEY on the first line matching WHAT.
figure() { grep -a -m1 "$2" "$1" | sed -n "s/.* $3: \([0-9]*\).*/\1/p"; }

failed=0
printf '\n%-14s %10s %8s %14s %14s %10s\n' target seconds execs "cov start→end" "ft start→end" corpus
for t in $TARGETS; do
    corpus=${FUZZ_CORPUS_DIR:+$FUZZ_CORPUS_DIR/$t}
    corpus=${corpus:-$WORK/corpus/$t}
    mkdir -p "$corpus" "$WORK/seeds/$t" "$WORK/artifacts"
    log=$WORK/$t.log
    start=$SECONDS
    set +e
    SOFTHSM_FUZZ_DIR="$WORK/state/$t" "$BIN/$t" -max_total_time="$SECS" -timeout=30 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t-" \
        "$corpus" "$WORK/seeds/$t" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    tac "$log" >"$log.rev"
    printf '%-14s %10s %8s %14s %14s %10s\n' "$t" $((SECONDS - start)) "${execs:-?}" \
        "$(figure "$log" INITED cov)→$(figure "$log.rev" 'cov:' cov)" \
        "$(figure "$log" INITED ft)→$(figure "$log.rev" 'ft:' ft)" \
        "$(find "$corpus" -type f | wc -l)"
    if [ "$rc" -ne 0 ]; then
        failed=1
        mkdir -p "$TD/artifacts"
        cp "$WORK"/artifacts/"$t"-* "$TD/artifacts/" 2>/dev/null || true
        echo "FUZZ FAILURE in $t (exit $rc); inputs kept in $TD/artifacts/:" >&2
        ls "$TD/artifacts/" >&2 || true
        grep -a -A30 -m1 -E "panicked|ERROR: libFuzzer|==ERROR" "$log" >&2 || tail -40 "$log" >&2
    fi
done
exit "$failed"
