#!/usr/bin/env bash
# Builds softhsm-rs and sets it up on its embedded default: a per-user keystore and a first token
# whose PINs are generated and shown once. Prints how to use the module with pkcs11-tool.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p softhsm-pkcs11 -p softhsm-rs
exec target/release/softhsm-rs setup "$@"
