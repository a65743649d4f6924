#!/usr/bin/env bash
# GnuTLS p11tool and p11-kit against a module:
#   p11tool --provider MODULE: --generate-privkey RSA 2048 and ECDSA P-256 on the token,
#     --list-privkeys --login, --test-sign with both keys, --export-pubkey equal to the generated key;
#   p11-kit: the module registered the way a user does it, a .module file in
#     ~/.config/pkcs11/modules with "module: <abs path>"; then `p11-kit list-modules` lists it with
#     the token, GnuTLS (which loads p11-kit's registered modules when no --provider is given)
#     lists the token and signs with it, and p11-kit-proxy.so, loaded as a PKCS#11 module by
#     pkcs11-tool, shows the token and signs with it (signature verified by plain openssl).
# p11-kit ignores per-user configuration for root, so when run as root the p11-kit steps run as
# the unprivileged user nobody. `p11tool --provider p11-kit-proxy.so` is not used: GnuTLS loads
# providers through p11-kit, which refuses to load its own proxy ("refusing to load the
# p11-kit-proxy.so module as a registered module").
# Usage: consumer-gnutls.sh [MODULE]
# shellcheck source=consumer-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/consumer-lib.sh"
consumer_setup gnutls "$@"
need p11tool gnutls-bin
need p11-kit p11-kit
need openssl openssl
init_token
export GNUTLS_PIN="$PIN" GNUTLS_SO_PIN="$SO_PIN"
url="pkcs11:token=$label"
gt=(p11tool --provider "$module")

run "p11tool --generate-privkey RSA --bits 2048" \
    "${gt[@]}" --login --generate-privkey RSA --bits 2048 --label grsa --outfile "$tmp/grsa.pub" "$url"
check "the generated RSA public key is a 2048-bit key" \
    sh -c "openssl pkey -pubin -in '$tmp/grsa.pub' -noout -text | grep -q 'Public-Key: (2048 bit)'"
run "p11tool --generate-privkey ECDSA --curve secp256r1" \
    "${gt[@]}" --login --generate-privkey ECDSA --curve secp256r1 --label gec --outfile "$tmp/gec.pub" "$url"
check "the generated EC public key is a P-256 key" \
    sh -c "openssl pkey -pubin -in '$tmp/gec.pub' -noout -text | grep -q 'NIST CURVE: P-256'"

run "p11tool --list-privkeys --login" "${gt[@]}" --login --list-privkeys "$url"
expect "token=$label;.*object=grsa;type=private" "RSA private key 'grsa' listed with its URL"
expect "Private key \(RSA-2048\)" "listed as RSA-2048"
expect "token=$label;.*object=gec;type=private" "EC private key 'gec' listed with its URL"
expect "Private key \(EC/ECDSA-SECP256R1\)" "listed as EC/ECDSA-SECP256R1"
expect "CKA_SENSITIVE" "private keys are sensitive"

run "p11tool --test-sign with the RSA key" "${gt[@]}" --login --test-sign "$url;object=grsa;type=private"
expect "Signing using RSA-SHA256\.\.\. ok" "GnuTLS signed with RSA-SHA256"
expect "Verifying against public key in the token\.\.\. ok" "the signature verifies against the token's public key"
no_errors "no error or failure reported"
run "p11tool --test-sign with the EC key" "${gt[@]}" --login --test-sign "$url;object=gec;type=private"
expect "Signing using ECDSA-SHA256\.\.\. ok" "GnuTLS signed with ECDSA-SHA256"
expect "Verifying against public key in the token\.\.\. ok" "the signature verifies against the token's public key"
no_errors "no error or failure reported"

run "p11tool --export-pubkey of both keys" sh -c "
    ${gt[*]@Q} --login --export-pubkey '$url;object=grsa;type=public' --outfile '$tmp/grsa.exp' &&
    ${gt[*]@Q} --login --export-pubkey '$url;object=gec;type=public' --outfile '$tmp/gec.exp'"
check "exported RSA public key equals the generated one" cmp "$tmp/grsa.pub" "$tmp/grsa.exp"
check "exported EC public key equals the generated one" cmp "$tmp/gec.pub" "$tmp/gec.exp"

# p11-kit: the module registered in the user's configuration.
proxy=""
for f in $(dpkg -L p11-kit-modules 2>/dev/null | grep '/p11-kit-proxy\.so$') \
         /usr/lib/x86_64-linux-gnu/p11-kit-proxy.so /usr/lib/p11-kit-proxy.so; do
    if [[ -f "$f" ]]; then proxy="$f"; break; fi
done
[[ -n "$proxy" ]] || die "p11-kit-proxy.so not found: install the Debian package 'p11-kit-modules'"
echo "# p11-kit proxy: $proxy"
use_unpriv
kit_module="$module"
if [[ ${#unpriv[@]} -gt 0 ]]; then
    echo "# running as root: the p11-kit steps run as uid $UNPRIV_UID (p11-kit skips user config for root)"
    if ! "${unpriv[@]}" test -r "$module"; then
        # The checkout is not readable by that user: register a copy of the module instead.
        mkdir -p "$tmp/lib"
        cp "$module" "$tmp/lib/"
        kit_module="$tmp/lib/$(basename "$module")"
        echo "# uid $UNPRIV_UID cannot read $module: registering a copy, $kit_module"
    fi
fi
mkdir -p "$XDG_CONFIG_HOME/pkcs11/modules"
printf 'module: %s\n' "$kit_module" >"$XDG_CONFIG_HOME/pkcs11/modules/softhsmrs.module"
echo "# registered: $XDG_CONFIG_HOME/pkcs11/modules/softhsmrs.module: $(cat "$XDG_CONFIG_HOME/pkcs11/modules/softhsmrs.module")"

run "p11-kit list-modules (module registered in ~/.config/pkcs11/modules)" "${unpriv[@]}" p11-kit list-modules
expect "^softhsmrs: $kit_module$" "p11-kit lists module 'softhsmrs' at $kit_module"
# The token lines that follow our module's header, up to the next module.
sed -n "/^softhsmrs: /,/^[^ ]/p" "$tmp/step$step.log" >"$tmp/kit-module.txt"
check "p11-kit shows token '$label' under module 'softhsmrs'" grep -Eq "^ +token: $label$" "$tmp/kit-module.txt"
check "p11-kit shows the token as initialised and login-required" \
    sh -c "grep -q token-initialized '$tmp/kit-module.txt' && grep -q login-required '$tmp/kit-module.txt'"

run "p11tool --list-tokens through p11-kit's registered modules" "${unpriv[@]}" p11tool --list-tokens
expect "URL: pkcs11:.*token=$label" "GnuTLS lists token '$label' loaded through p11-kit"
run "p11tool --test-sign through p11-kit's registered modules" \
    "${unpriv[@]}" p11tool --login --test-sign "$url;object=gec;type=private"
expect "Signing using ECDSA-SHA256\.\.\. ok" "GnuTLS signed through p11-kit"
expect "Verifying against public key in the token\.\.\. ok" "and verified against the token's public key"

run "pkcs11-tool --module p11-kit-proxy.so --list-token-slots" "${unpriv[@]}" pkcs11-tool --module "$proxy" --list-token-slots
expect "token label +: $label$" "p11-kit-proxy.so shows token '$label'"
head -c 2000 /dev/urandom >"$tmp/data"
run "sign with SHA256-RSA-PKCS through p11-kit-proxy.so" \
    "${unpriv[@]}" pkcs11-tool --module "$proxy" --token-label "$label" --login --pin "$PIN" \
    --sign -m SHA256-RSA-PKCS --label grsa -i "$tmp/data" -o "$tmp/data.sig"
run "plain openssl verifies the proxy-made signature with the exported public key" \
    openssl dgst -sha256 -verify "$tmp/grsa.pub" -signature "$tmp/data.sig" "$tmp/data"
expect "^Verified OK" "signature verified by openssl"

echo "# gnutls: all $step steps passed"
