#!/usr/bin/env bash
# NSS (Debian libnss3-tools) against a module, in a private NSS database:
#   modutil -add softhsmrs -libfile MODULE -force, then modutil -list shows module and token;
#   certutil -S -h TOKEN: self-signed RSA-2048 and EC P-256 certificates whose keys are
#     generated on the token (PIN given through a password file, -f);
#   certutil -L -h TOKEN lists both certificates, certutil -K -h TOKEN lists both keys;
#   the certificates, exported with certutil -L -a, verify with plain openssl
#     (verify -check_ss_sig) and with NSS itself (certutil -V on a copy in the NSS soft token).
# certutil -V is not run on the token's certificate directly: certutil -V does not pass the
# password file on, so finding a certificate on a login-required token prompts on a terminal
# (SoftHSMv2 alike).
# Usage: consumer-nss.sh [MODULE]
# shellcheck source=consumer-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/consumer-lib.sh"
consumer_setup nss "$@"
need certutil libnss3-tools
need modutil libnss3-tools
need openssl openssl
init_token

db="sql:$tmp/nssdb"
mkdir -p "$tmp/nssdb"
printf '%s\n' "$PIN" >"$tmp/pin.txt"
head -c 256 /dev/urandom >"$tmp/noise"

run "certutil -N: a new NSS database" certutil -N -d "$db" --empty-password
run "modutil -add softhsmrs -libfile MODULE" modutil -dbdir "$db" -add softhsmrs -libfile "$module" -force
expect "added to database" "module added"
run "modutil -list" modutil -dbdir "$db" -list
expect "^ +[0-9]+\. softhsmrs$" "module 'softhsmrs' listed"
expect "library name: $module$" "with its library path"
expect "status: loaded" "and loaded"
expect "token: $label$" "token '$label' listed"

nss=(certutil -d "$db" -h "$label" -f "$tmp/pin.txt")
run "certutil -S: self-signed RSA-2048 certificate, key generated on the token" \
    "${nss[@]}" -S -n nss-rsa -s "CN=nss-rsa" -x -t "CT,," -k rsa -g 2048 -Z SHA256 -v 12 -z "$tmp/noise"
no_errors "no error reported"
run "certutil -S: self-signed EC P-256 certificate, key generated on the token" \
    "${nss[@]}" -S -n nss-ec -s "CN=nss-ec" -x -t "CT,," -k ec -q nistp256 -Z SHA256 -v 12 -z "$tmp/noise"
no_errors "no error reported"

run "certutil -L -h TOKEN" "${nss[@]}" -L
expect "^$label:nss-rsa +CTu,u,u" "certificate '$label:nss-rsa' listed with its trust"
expect "^$label:nss-ec +CTu,u,u" "certificate '$label:nss-ec' listed with its trust"
run "certutil -K -h TOKEN" "${nss[@]}" -K
expect "rsa +[0-9a-f]+ +$label:nss-rsa$" "the RSA private key is on the token"
expect "ec +[0-9a-f]+ +$label:nss-ec$" "the EC private key is on the token"
run "the keys are token objects (pkcs11-tool --list-objects)" "${p11u[@]}" --list-objects --type privkey
expect "Private Key Object; RSA" "an RSA private key object"
expect "Private Key Object; EC" "an EC private key object"

for k in rsa ec; do
    run "certutil -L -a: export $label:nss-$k" "${nss[@]}" -L -n "$label:nss-$k" -a
    sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$tmp/step$step.log" >"$tmp/nss-$k.pem"
    check "the exported certificate has subject CN=nss-$k" \
        sh -c "openssl x509 -in '$tmp/nss-$k.pem' -noout -subject | grep -Eq 'CN ?= ?nss-$k'"
    run "plain openssl verify -check_ss_sig of nss-$k" \
        openssl verify -check_ss_sig -CAfile "$tmp/nss-$k.pem" "$tmp/nss-$k.pem"
    expect ": OK$" "the self-signature made with the token key verifies"
    run "certutil -A: a copy of nss-$k in the NSS soft token" \
        certutil -d "$db" -A -n "copy-$k" -t "CT,," -a -i "$tmp/nss-$k.pem"
    # NSS files the copy under the nickname the certificate already has ("nss-$k").
    run "certutil -V -u C (SSL client) of nss-$k" certutil -d "$db" -V -n "nss-$k" -u C
    expect "certificate is valid" "NSS validates the certificate signed by the token key"
done

echo "# nss: all $step steps passed"
