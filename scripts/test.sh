#!/usr/bin/env bash
# The whole test suite (the README's test command, and what CI runs through .ci/run).
# Installs what the real-client tests need, then: format and lint, licence checks, build,
# exported-symbol check, unit + integration + conformance tests against softhsm-rs (crash
# consistency, many processes, hostile input, brute force and secrets among them), the
# conformance suite under valgrind, the same conformance suite against SoftHSMv2
# (differential), the real consumers, PyKMIP's client against the KMIP server, and a short
# run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "system packages for the real-client tests"
scripts/install-deps.sh

step "format and lint"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# The fuzz targets are a workspace of their own (built with coverage flags by scripts/fuzz.sh);
# lint them here too, so that a change to an API they use fails early rather than at the end.
cargo fmt --all --check --manifest-path fuzz/Cargo.toml
cargo clippy --locked --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings

step "licences, bans and sources (cargo deny)"
scripts/deny.sh

step "build"
cargo build --workspace --all-targets
MODULE="$PWD/target/debug/libsofthsm_pkcs11.so"

step "the module exports only C_* entry points"
scripts/check-exports.sh "$MODULE"

step "unit, integration and conformance tests against softhsm-rs"
cargo test --workspace

step "the conformance suite under valgrind memcheck (two shards; memory errors and definite leaks fail)"
scripts/valgrind-conformance.sh "$MODULE"

step "the conformance suite against SoftHSMv2 (differential; divergences in conformance-tests/DIFFERENCES.md)"
P11_MODULE="$(scripts/softhsm2-path.sh)" cargo test -p conformance-tests --test conformance

step "real consumers: pkcs11-tool and p11tool"
conformance-tests/scripts/consumers.sh "$MODULE"

step "real consumers: OpenSC thread/fork/EC tests, GnuTLS + p11-kit, OpenSSL engine, Java, NSS, OpenSSH, Python"
conformance-tests/scripts/consumers-extra.sh "$MODULE"

step "KMIP: PyKMIP's client against kmip-server at KMIP 1.2, 1.4 and 2.0"
conformance-tests/scripts/kmip-pykmip.sh "$PWD/target/debug/kmip-server"

step "drop-in: a SoftHSMv2 configuration (SOFTHSM2_CONF) is honoured"
scripts/dropin-check.sh "$MODULE"

step "coverage-guided fuzzing: 5 targets, FUZZ_SECONDS each (default 25; SOFTHSM_LONG=1 for 600)"
scripts/fuzz.sh

step "all tests passed"
