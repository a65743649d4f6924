#!/usr/bin/env bash
# A Python consumer: python-pkcs11 (with `cryptography` as the independent check), from the
# repository's .venv (scripts/install-deps.sh creates it). consumer_python.py, in one process,
# generates an AES-256 key and an EC P-256 key pair on the token, round-trips AES-CBC-PAD and
# AES-GCM (and a tampered GCM ciphertext is rejected), signs with CKM_ECDSA and CKM_ECDSA_SHA256
# and verifies on the token and with `cryptography`; a second process finds the keys by label,
# decrypts the first process's ciphertext and verifies its signature.
# Usage: consumer-python.sh [MODULE]
# shellcheck source=consumer-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/consumer-lib.sh"
consumer_setup python "$@"
py="${CONSUMER_PYTHON:-$workspace/.venv/bin/python}"
[[ -x "$py" ]] || die "$py not found: scripts/install-deps.sh creates .venv with python-pkcs11 and cryptography"
"$py" -c 'import pkcs11, cryptography' 2>/dev/null \
    || die "python-pkcs11 or cryptography missing in $py: scripts/install-deps.sh installs them"
echo "# python: $("$py" -c 'import sys, importlib.metadata as m; print("Python", sys.version.split()[0], "python-pkcs11", m.version("python-pkcs11"), "cryptography", m.version("cryptography"))')"
init_token

export IS_SOFTHSM2="$is_softhsm2"
run "python-pkcs11: AES-256 and EC P-256 on the token (first process)" \
    "$py" "$lib_dir/consumer_python.py" create "$module" "$label" "$PIN" "$tmp"
show_checked
expect "^python consumer: create passed$" "the first process passed all its checks"
run "python-pkcs11: the stored keys from a second process" \
    "$py" "$lib_dir/consumer_python.py" reopen "$module" "$label" "$PIN" "$tmp"
show_checked
expect "^python consumer: reopen passed$" "the second process passed all its checks"

echo "# python: all $step steps passed"
