#!/usr/bin/env bash
# Installs the Debian packages the real-client tests use, if any is missing:
# opensc (pkcs11-tool), gnutls-bin (p11tool), p11-kit, softhsm2 (the side-by-side reference).
set -euo pipefail
missing=()
command -v pkcs11-tool >/dev/null || missing+=(opensc)
command -v p11tool >/dev/null || missing+=(gnutls-bin)
command -v p11-kit >/dev/null || missing+=(p11-kit)
command -v softhsm2-util >/dev/null || missing+=(softhsm2)
if [ ${#missing[@]} -eq 0 ]; then
    echo "all present: pkcs11-tool, p11tool, p11-kit, softhsm2-util"
    exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
