#!/usr/bin/env bash
# Checks that the module's dynamic symbol table defines only PKCS#11 C_* entry points, and all
# of the PKCS#11 3.0 function list.
set -euo pipefail
so="${1:?usage: check-exports.sh path/to/libsofthsm_pkcs11.so}"
syms=$(nm -D --defined-only "$so" | awk '{print $3}' | sort)
extra=$(echo "$syms" | grep -v '^C_' || true)
if [ -n "$extra" ]; then
    echo "unexpected exported symbols:"; echo "$extra"; exit 1
fi
n=$(echo "$syms" | grep -c '^C_')
if [ "$n" -ne 92 ]; then
    echo "expected the 92 functions of PKCS#11 3.0, found $n"; exit 1
fi
echo "exports: $n C_* functions, nothing else"
