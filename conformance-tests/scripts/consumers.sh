#!/usr/bin/env bash
# Drives a PKCS#11 module with real consumers: OpenSC's pkcs11-tool and
# GnuTLS' p11tool. Usage:
#
#   conformance-tests/scripts/consumers.sh [MODULE]
#
# MODULE defaults to softhsm-rs' target/debug/libsofthsm_pkcs11.so. The script
# works in a temporary directory with its own configuration (SOFTHSM_RS_CONF
# for softhsm-rs, and SOFTHSM2_CONF when the module is SoftHSMv2), prints what
# each step checked, and exits non-zero on the first failure.
# Needs: pkcs11-tool (opensc), p11tool (gnutls-bin), cmp, sha256sum, xxd.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "$here/../.." && pwd)"
module="${1:-$workspace/target/debug/libsofthsm_pkcs11.so}"
[[ -f "$module" ]] || { echo "FAIL: module $module not found" >&2; exit 1; }
module="$(cd "$(dirname "$module")" && pwd)/$(basename "$module")"

for tool in pkcs11-tool p11tool cmp sha256sum xxd; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed" >&2; exit 1; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/p11-consumers.XXXXXX")"
cleanup() { [[ -n "${KEEP_TMP:-}" ]] || rm -rf "$tmp"; }
trap cleanup EXIT

mkdir -p "$tmp/tokens"
cat >"$tmp/softhsm-rs.toml" <<EOF
[store]
path = "$tmp/store.db"

[log]
file = "$tmp/softhsm-rs.log"
level = "debug"

[pin]
kdf_iterations = 1000
max_failures = 5
EOF
export SOFTHSM_RS_CONF="$tmp/softhsm-rs.toml"
if [[ "$(basename "$module")" == *softhsm2* ]]; then
    cat >"$tmp/softhsm2.conf" <<EOF
directories.tokendir = $tmp/tokens
objectstore.backend = file
log.level = ERROR
EOF
    export SOFTHSM2_CONF="$tmp/softhsm2.conf"
    is_softhsm2=1
else
    is_softhsm2=0
fi

SO_PIN=12345678
PIN=87654321
LABEL=t
export GNUTLS_PIN="$PIN" GNUTLS_SO_PIN="$SO_PIN"

step=0
ok() { echo "ok $step - $*"; }
run() {
    # run <description> <command...>: runs, logs output, fails loudly.
    local what="$1"; shift
    step=$((step + 1))
    if ! "$@" >"$tmp/step$step.log" 2>&1; then
        echo "FAIL $step - $what" >&2
        echo "  command: $*" >&2
        sed 's/^/  | /' "$tmp/step$step.log" >&2
        exit 1
    fi
    ok "$what"
}
expect_in_log() {
    # expect_in_log <regex> <description>: checks the last step's output.
    if ! grep -Eq "$1" "$tmp/step$step.log"; then
        echo "FAIL $step - $2: /$1/ not in output" >&2
        sed 's/^/  | /' "$tmp/step$step.log" >&2
        exit 1
    fi
    echo "   checked: $2"
}

echo "# consumers against $module"
p11=(pkcs11-tool --module "$module")
tok=("${p11[@]}" --token-label "$LABEL")

run "pkcs11-tool --show-info" "${p11[@]}" --show-info
expect_in_log "Cryptoki version" "library info is printed"

run "init token in slot index 0" "${p11[@]}" --init-token --slot-index 0 --label "$LABEL" --so-pin "$SO_PIN"
run "init user PIN as SO" "${tok[@]}" --init-pin --login --so-pin "$SO_PIN" --pin "$PIN"
run "token is listed with its label" "${p11[@]}" --list-token-slots
expect_in_log "token label +: $LABEL" "token label '$LABEL' shown"
expect_in_log "PIN initialized" "user PIN initialised flag shown"

run "pkcs11-tool --test (digests, signatures, random, ...)" "${tok[@]}" --test --login --pin "$PIN"
expect_in_log "No errors" "self test reported no errors"

# RSA: generate, sign, verify.
head -c 1000 /dev/urandom >"$tmp/data"
run "RSA-2048 key pair generation" "${tok[@]}" --login --pin "$PIN" \
    --keypairgen --key-type RSA:2048 --id 01 --label k --usage-sign --usage-decrypt
run "sign with SHA256-RSA-PKCS" "${tok[@]}" --login --pin "$PIN" --sign -m SHA256-RSA-PKCS \
    --id 01 -i "$tmp/data" -o "$tmp/rsa.sig"
[[ "$(stat -c %s "$tmp/rsa.sig")" == 256 ]] || { echo "FAIL: RSA signature is not 256 bytes" >&2; exit 1; }
echo "   checked: signature is 256 bytes"
run "verify the SHA256-RSA-PKCS signature" "${tok[@]}" --login --pin "$PIN" --verify -m SHA256-RSA-PKCS \
    --id 01 -i "$tmp/data" --signature-file "$tmp/rsa.sig"
expect_in_log "Signature is valid" "token verifies its signature"
printf 'x' >>"$tmp/data.bad"; cat "$tmp/data" >>"$tmp/data.bad"
step=$((step + 1))
if "${tok[@]}" --login --pin "$PIN" --verify -m SHA256-RSA-PKCS --id 01 -i "$tmp/data.bad" \
    --signature-file "$tmp/rsa.sig" >"$tmp/step$step.log" 2>&1 \
    && grep -q "Signature is valid" "$tmp/step$step.log"; then
    echo "FAIL $step - signature over different data verified" >&2
    exit 1
fi
ok "signature over different data is rejected"

# EC P-256: generate, sign (ECDSA-SHA256), verify.
run "EC P-256 key pair generation" "${tok[@]}" --login --pin "$PIN" \
    --keypairgen --key-type EC:prime256v1 --id 02 --label ec --usage-sign
if [[ $is_softhsm2 == 1 ]]; then
    # SoftHSMv2 2.6 has no CKM_ECDSA_SHA256: sign the SHA-256 digest with CKM_ECDSA.
    echo "# SoftHSMv2: ECDSA-SHA256 not implemented, using ECDSA over a SHA-256 digest"
    sha256sum "$tmp/data" | cut -d' ' -f1 | xxd -r -p >"$tmp/data.sha256"
    ec_mech=ECDSA; ec_in="$tmp/data.sha256"
else
    ec_mech=ECDSA-SHA256; ec_in="$tmp/data"
fi
run "sign with $ec_mech" "${tok[@]}" --login --pin "$PIN" --sign -m "$ec_mech" --id 02 \
    -i "$ec_in" -o "$tmp/ec.sig"
[[ "$(stat -c %s "$tmp/ec.sig")" == 64 ]] || { echo "FAIL: ECDSA signature is not 64 bytes" >&2; exit 1; }
echo "   checked: signature is r||s, 64 bytes"
run "verify the $ec_mech signature" "${tok[@]}" --login --pin "$PIN" --verify -m "$ec_mech" --id 02 \
    -i "$ec_in" --signature-file "$tmp/ec.sig"
expect_in_log "Signature is valid" "token verifies its ECDSA signature"

# AES-256: generate, CBC-PAD encrypt/decrypt round trip.
run "AES-256 key generation" "${tok[@]}" --login --pin "$PIN" --keygen --key-type AES:32 --id 03 --label aes
iv=000102030405060708090a0b0c0d0e0f
run "encrypt with AES-CBC-PAD" "${tok[@]}" --login --pin "$PIN" --encrypt -m AES-CBC-PAD --iv "$iv" \
    --id 03 -i "$tmp/data" -o "$tmp/data.enc"
[[ "$(stat -c %s "$tmp/data.enc")" == 1008 ]] || { echo "FAIL: ciphertext is not 1008 bytes" >&2; exit 1; }
echo "   checked: ciphertext is padded to 1008 bytes"
run "decrypt with AES-CBC-PAD" "${tok[@]}" --login --pin "$PIN" --decrypt -m AES-CBC-PAD --iv "$iv" \
    --id 03 -i "$tmp/data.enc" -o "$tmp/data.dec"
cmp "$tmp/data" "$tmp/data.dec" || { echo "FAIL: AES round trip differs" >&2; exit 1; }
echo "   checked: decrypted data equals the original"

run "objects are listed" "${tok[@]}" --login --pin "$PIN" --list-objects
expect_in_log "label: +k" "RSA key 'k' listed"
expect_in_log "label: +ec" "EC key 'ec' listed"
expect_in_log "label: +aes" "AES key 'aes' listed"

# GnuTLS p11tool.
run "p11tool --list-tokens" p11tool --provider "$module" --list-tokens
expect_in_log "token=$LABEL" "token URL with label '$LABEL'"
token_url="$(grep -Eo "pkcs11:[^ ]*token=$LABEL[^ ]*" "$tmp/step$step.log" | head -n1)"
echo "   token URL: $token_url"
run "p11tool --list-all --login" p11tool --provider "$module" --login --list-all "$token_url"
expect_in_log "object=k" "RSA key visible through GnuTLS"
run "p11tool --test-sign with the RSA key" p11tool --provider "$module" --login --test-sign \
    "$token_url;object=k;type=private"
expect_in_log "Signing using RSA-SHA256\.\.\. ok" "GnuTLS signed with the RSA key"
expect_in_log "Verifying against public key in the token\.\.\. ok" "GnuTLS verified against the token public key"

echo "# consumers: all $step steps passed against $(basename "$module")"
