#!/usr/bin/env bash
# OpenSSL 3 through the libp11 engine (Debian libengine-pkcs11-openssl) against a module.
# RSA-2048 and EC P-256 keys are generated on the token by pkcs11-tool; then, through
# `-engine pkcs11 -keyform engine -key "pkcs11:token=...;object=...;type=private?pin-value=..."`:
#   openssl req -new -x509       self-signed certificates made with each token key;
#   openssl pkeyutl -sign        RSA PKCS#1 v1.5 (SHA-256 DigestInfo), RSA-PSS and ECDSA;
#   openssl pkeyutl -decrypt     RSA PKCS#1 v1.5 and OAEP (SHA-256) of data encrypted by plain openssl.
# Every result is checked by plain openssl (no engine) against the token's public key, exported
# with pkcs11-tool --read-object --type pubkey (RSA) and p11tool --export-pubkey (RSA and EC).
# The EC public key is not taken from pkcs11-tool: OpenSC 0.23's pkcs11-tool frees the
# OSSL_PARAMs it merged before EVP_PKEY_fromdata (a use-after-free in pkcs11-tool), so its EC
# export fails or not depending on the heap ("error: cannot create EVP_PKEY").
# Usage: consumer-openssl.sh [MODULE]
# shellcheck source=consumer-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/consumer-lib.sh"
consumer_setup openssl "$@"
need openssl openssl
need p11tool gnutls-bin
engine_so=""
for f in $(dpkg -L libengine-pkcs11-openssl 2>/dev/null | grep '/engines-3/pkcs11\.so$') \
         /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so; do
    if [[ -f "$f" ]]; then engine_so="$f"; break; fi
done
[[ -n "$engine_so" ]] || die "the libp11 engine (engines-3/pkcs11.so) is not installed: install the Debian package 'libengine-pkcs11-openssl'"
echo "# engine: $engine_so"
init_token

run "RSA-2048 key pair 'rsa' on the token (pkcs11-tool)" \
    "${p11u[@]}" --keypairgen --key-type RSA:2048 --id 01 --label rsa --usage-sign --usage-decrypt
run "EC P-256 key pair 'ec' on the token (pkcs11-tool)" \
    "${p11u[@]}" --keypairgen --key-type EC:prime256v1 --id 02 --label ec --usage-sign

# The public keys, from the token, for plain openssl.
run "export the RSA public key (pkcs11-tool --read-object --type pubkey)" \
    "${p11[@]}" --read-object --type pubkey --id 01 -o "$tmp/rsa-pub.der"
run "convert it to PEM (openssl pkey)" \
    openssl pkey -pubin -inform DER -in "$tmp/rsa-pub.der" -out "$tmp/rsa-pub.pem"
export GNUTLS_PIN="$PIN"
run "export both public keys (p11tool --export-pubkey)" sh -c "
    p11tool --provider '$module' --login --export-pubkey 'pkcs11:token=$label;object=rsa;type=public' --outfile '$tmp/rsa-pub.gnutls.pem' &&
    p11tool --provider '$module' --login --export-pubkey 'pkcs11:token=$label;object=ec;type=public' --outfile '$tmp/ec-pub.pem'"
check "pkcs11-tool and p11tool export the same RSA public key" cmp "$tmp/rsa-pub.pem" "$tmp/rsa-pub.gnutls.pem"
check "the EC public key is a P-256 key" \
    sh -c "openssl pkey -pubin -in '$tmp/ec-pub.pem' -noout -text | grep -q 'NIST CURVE: P-256'"

cat >"$tmp/engine.cnf" <<EOF
openssl_conf = openssl_init

[openssl_init]
engines = engine_section

[engine_section]
pkcs11 = pkcs11_section

[pkcs11_section]
engine_id = pkcs11
dynamic_path = $engine_so
MODULE_PATH = $module

[req]
distinguished_name = req_dn

[req_dn]
EOF
# openssl with the engine (its own configuration); plain openssl never sees it.
eng=(env OPENSSL_CONF="$tmp/engine.cnf" openssl)
key_url() { echo "pkcs11:token=$label;object=$1;type=private?pin-value=$PIN"; }

for k in rsa ec; do
    run "openssl req -new -x509 with the $k key through the engine" \
        "${eng[@]}" req -new -x509 -engine pkcs11 -keyform engine -key "$(key_url $k)" \
        -subj "/CN=test-$k" -days 2 -addext basicConstraints=critical,CA:TRUE -out "$tmp/$k-cert.pem"
    no_errors "no error reported"
    run "plain openssl: the $k certificate's key is the token's public key" \
        openssl x509 -in "$tmp/$k-cert.pem" -noout -pubkey -out "$tmp/$k-cert-pub.pem"
    check "certificate public key equals the exported token public key" cmp "$tmp/$k-cert-pub.pem" "$tmp/$k-pub.pem"
    run "plain openssl verify -check_ss_sig of the $k certificate" \
        openssl verify -check_ss_sig -CAfile "$tmp/$k-cert.pem" "$tmp/$k-cert.pem"
    expect ": OK$" "the self-signature made by the token verifies"
done
check "the RSA certificate is signed with sha256WithRSAEncryption" \
    sh -c "openssl x509 -in '$tmp/rsa-cert.pem' -noout -text | grep -q 'Signature Algorithm: sha256WithRSAEncryption'"
check "the EC certificate is signed with ecdsa-with-SHA256" \
    sh -c "openssl x509 -in '$tmp/ec-cert.pem' -noout -text | grep -q 'Signature Algorithm: ecdsa-with-SHA256'"

head -c 3000 /dev/urandom >"$tmp/data"
openssl dgst -sha256 -binary "$tmp/data" >"$tmp/data.sha256"
printf 'x' | cat - "$tmp/data" >"$tmp/data.other"

run "pkeyutl -sign RSA PKCS#1 v1.5 (digest:sha256) through the engine" \
    "${eng[@]}" pkeyutl -engine pkcs11 -keyform engine -sign -inkey "$(key_url rsa)" \
    -pkeyopt digest:sha256 -in "$tmp/data.sha256" -out "$tmp/rsa.sig"
run "plain openssl dgst -verify of the RSA signature" \
    openssl dgst -sha256 -verify "$tmp/rsa-pub.pem" -signature "$tmp/rsa.sig" "$tmp/data"
expect "^Verified OK" "RSA PKCS#1 v1.5 signature verified with the exported public key"
run_fails "the RSA signature does not verify other data" \
    openssl dgst -sha256 -verify "$tmp/rsa-pub.pem" -signature "$tmp/rsa.sig" "$tmp/data.other"

pss=(-pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32 -pkeyopt digest:sha256 -pkeyopt rsa_mgf1_md:sha256)
run "pkeyutl -sign RSA-PSS (SHA-256, salt 32) through the engine" \
    "${eng[@]}" pkeyutl -engine pkcs11 -keyform engine -sign -inkey "$(key_url rsa)" "${pss[@]}" \
    -in "$tmp/data.sha256" -out "$tmp/pss.sig"
run "plain openssl pkeyutl -verify of the RSA-PSS signature" \
    openssl pkeyutl -verify -pubin -inkey "$tmp/rsa-pub.pem" "${pss[@]}" -in "$tmp/data.sha256" -sigfile "$tmp/pss.sig"
expect "Signature Verified Successfully" "RSA-PSS signature verified with the exported public key"

run "pkeyutl -sign ECDSA through the engine" \
    "${eng[@]}" pkeyutl -engine pkcs11 -keyform engine -sign -inkey "$(key_url ec)" \
    -in "$tmp/data.sha256" -out "$tmp/ec.sig"
run "plain openssl dgst -verify of the ECDSA signature" \
    openssl dgst -sha256 -verify "$tmp/ec-pub.pem" -signature "$tmp/ec.sig" "$tmp/data"
expect "^Verified OK" "ECDSA signature (DER) verified with the exported public key"
run_fails "the ECDSA signature does not verify other data" \
    openssl dgst -sha256 -verify "$tmp/ec-pub.pem" -signature "$tmp/ec.sig" "$tmp/data.other"

head -c 32 /dev/urandom >"$tmp/secret"
oaep=(-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256)
run "plain openssl encrypts to the token's RSA key (PKCS#1 v1.5 and OAEP)" sh -c "
    openssl pkeyutl -encrypt -pubin -inkey '$tmp/rsa-pub.pem' -in '$tmp/secret' -out '$tmp/secret.p1' &&
    openssl pkeyutl -encrypt -pubin -inkey '$tmp/rsa-pub.pem' ${oaep[*]} -in '$tmp/secret' -out '$tmp/secret.oaep'"
run "pkeyutl -decrypt RSA PKCS#1 v1.5 through the engine" \
    "${eng[@]}" pkeyutl -engine pkcs11 -keyform engine -decrypt -inkey "$(key_url rsa)" \
    -in "$tmp/secret.p1" -out "$tmp/secret.p1.dec"
check "PKCS#1 v1.5 decryption returns the plaintext" cmp "$tmp/secret" "$tmp/secret.p1.dec"
run "pkeyutl -decrypt RSA-OAEP (SHA-256) through the engine" \
    "${eng[@]}" pkeyutl -engine pkcs11 -keyform engine -decrypt -inkey "$(key_url rsa)" "${oaep[@]}" \
    -in "$tmp/secret.oaep" -out "$tmp/secret.oaep.dec"
check "OAEP decryption returns the plaintext" cmp "$tmp/secret" "$tmp/secret.oaep.dec"

echo "# openssl: all $step steps passed"
