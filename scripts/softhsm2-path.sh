#!/usr/bin/env bash
# Prints the path of SoftHSMv2's module (installed by scripts/install-deps.sh).
set -euo pipefail
for p in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
    if [ -f "$p" ]; then echo "$p"; exit 0; fi
done
echo "libsofthsm2.so not found: run scripts/install-deps.sh" >&2
exit 1
