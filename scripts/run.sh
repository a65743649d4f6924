#!/usr/bin/env bash
# Builds softhsm-rs and runs it on its embedded default: the per-user keystore, a first token
# `kmip` (PINs generated and shown once), a development CA with server and client certificates,
# and the KMIP server on 127.0.0.1:5696. The PKCS#11 module (target/release/libsofthsm_pkcs11.so)
# sees the same keystore with no daemon. Extra arguments go to kmip-server (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p softhsm-pkcs11 -p softhsm-rs -p kmip-server
exec target/release/kmip-server "$@"
