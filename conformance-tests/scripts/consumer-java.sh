#!/usr/bin/env bash
# Java SunPKCS11 (the JDK's own PKCS#11 provider) through keytool, with a provider configuration
# `name=softhsmrs / library=MODULE / slot=ID`:
#   keytool -list            on the empty token, then with the two generated entries;
#   keytool -genkeypair      EC secp256r1 (SHA256withECDSA) and RSA 2048 (SHA256withRSA): the keys
#                            are generated on the token and a self-signed certificate is stored;
#   keytool -certreq         a CSR signed by each token key, verified by `openssl req -verify`;
#   keytool -exportcert      the stored certificates verify (openssl verify -check_ss_sig) and
#                            carry the same public key as the CSR.
# Usage: consumer-java.sh [MODULE]
# shellcheck source=consumer-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/consumer-lib.sh"
consumer_setup java "$@"
need keytool openjdk-17-jre-headless
need openssl openssl
init_token

slot="$(token_slot_id)" || die "no slot holds token $label"
cfg="$tmp/sunpkcs11.cfg"
if (( slot <= 2147483647 )); then
    printf 'name = softhsmrs\nlibrary = %s\nslot = %s\n' "$module" "$slot" >"$cfg"
else
    # SunPKCS11 reads `slot` as a Java int; a larger slot id can only be reached by index.
    index=$(pkcs11-tool --module "$module" --list-token-slots | grep -E '^Slot ' | grep -n . \
        | awk -v id="$(printf '0x%x' "$slot")" 'index($0, "(" id ")") { split($0, a, ":"); print a[1] - 1 }')
    echo "# slot id $slot does not fit SunPKCS11's int 'slot': using slotListIndex = $index"
    printf 'name = softhsmrs\nlibrary = %s\nslotListIndex = %s\n' "$module" "$index" >"$cfg"
fi
echo "# SunPKCS11 configuration: $(tr '\n' ';' <"$cfg")"
kt=(keytool -keystore NONE -storetype PKCS11 -addprovider SunPKCS11 -providerArg "$cfg" -storepass "$PIN")

run "keytool -list on the empty token" "${kt[@]}" -list
expect "Keystore provider: SunPKCS11-softhsmrs" "the SunPKCS11-softhsmrs provider opened the token"
expect "Your keystore contains 0 entries" "no entries yet"

run "keytool -genkeypair EC secp256r1 (SHA256withECDSA)" \
    "${kt[@]}" -genkeypair -alias jec -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -dname CN=jec
expect "Generating 256 bit EC" "a 256-bit EC key pair was generated"
no_errors "no error reported"
run "keytool -genkeypair RSA 2048 (SHA256withRSA)" \
    "${kt[@]}" -genkeypair -alias jrsa -keyalg RSA -keysize 2048 -sigalg SHA256withRSA -dname CN=jrsa
expect "Generating 2,?048 bit RSA" "a 2048-bit RSA key pair was generated"
no_errors "no error reported"

run "keytool -list" "${kt[@]}" -list
expect "Your keystore contains 2 entries" "two entries"
expect "^jec, PrivateKeyEntry" "entry 'jec' is a private key entry"
expect "^jrsa, PrivateKeyEntry" "entry 'jrsa' is a private key entry"
run "the keys are on the token (pkcs11-tool --list-objects)" "${p11u[@]}" --list-objects
expect "Private Key Object; EC" "an EC private key object is on the token"
expect "Private Key Object; RSA" "an RSA private key object is on the token"
expect "Certificate Object; type = X.509 cert" "the certificates are stored on the token"
expect "label: +jec$" "objects labelled with the alias 'jec'"

for a in jec jrsa; do
    run "keytool -certreq -alias $a" "${kt[@]}" -certreq -alias "$a" -file "$tmp/$a.csr"
    run "openssl req -verify of the $a CSR" openssl req -in "$tmp/$a.csr" -verify -noout -subject
    expect "verify OK" "the CSR's signature (made on the token) verifies"
    expect "CN ?= ?$a" "the CSR's subject is CN=$a"
    run "keytool -exportcert -alias $a" "${kt[@]}" -exportcert -rfc -alias "$a" -file "$tmp/$a.pem"
    run "openssl verify -check_ss_sig of the $a certificate" \
        openssl verify -check_ss_sig -CAfile "$tmp/$a.pem" "$tmp/$a.pem"
    expect ": OK$" "the self-signed certificate made on the token verifies"
    check "the CSR and the certificate carry the same public key" sh -c "
        openssl req -in '$tmp/$a.csr' -noout -pubkey >'$tmp/$a.csr.pub' &&
        openssl x509 -in '$tmp/$a.pem' -noout -pubkey >'$tmp/$a.crt.pub' &&
        cmp '$tmp/$a.csr.pub' '$tmp/$a.crt.pub'"
done
check "the jec key is an EC P-256 key" sh -c "openssl x509 -in '$tmp/jec.pem' -noout -text | grep -q 'NIST CURVE: P-256'"
check "the jrsa key is RSA 2048" sh -c "openssl x509 -in '$tmp/jrsa.pem' -noout -text | grep -q 'Public-Key: (2048 bit)'"

echo "# java: all $step steps passed"
