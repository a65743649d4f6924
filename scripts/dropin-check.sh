#!/usr/bin/env bash
# Drop-in check: a pipeline configured for SoftHSMv2 (only SOFTHSM2_CONF set, pointing at a
# softhsm2.conf with its own token directory) loads softhsm-rs instead and changes nothing else:
# the token is created inside that token directory, and a second process sees it.
set -euo pipefail
so="${1:?usage: dropin-check.sh path/to/libsofthsm_pkcs11.so}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$tmp" > "$tmp/softhsm2.conf"
export SOFTHSM2_CONF="$tmp/softhsm2.conf"
unset SOFTHSM_RS_CONF
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share"
pkcs11-tool --module "$so" --init-token --slot-index 0 --label dropin --so-pin 12345678 >/dev/null
pkcs11-tool --module "$so" --init-pin --slot-index 0 --login --so-pin 12345678 --pin 87654321 >/dev/null
test -f "$tmp/tokens/softhsm-rs.db" || { echo "store not created in the SoftHSMv2 token directory"; exit 1; }
test ! -e "$tmp/home/.local/share/softhsm-rs/store.db" || { echo "the per-user default store was used"; exit 1; }
pkcs11-tool --module "$so" -L | grep -q 'token label *: dropin' || { echo "second process does not see the token"; exit 1; }
echo "drop-in: SOFTHSM2_CONF honoured, store in its token directory, token visible to a second process"
