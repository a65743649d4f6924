#!/usr/bin/env bash
# OpenSC pkcs11-tool's built-in stress tests against a module:
#   --test-threads  four threads racing C_Initialize (CKF_OS_LOCKING_OK and NULL args), then
#                   C_GetInfo / C_GetSlotList / C_GetTokenInfo, while the main thread runs --test
#                   (with an RSA and an EC key on the token);
#   --test-fork     fork() after C_Initialize, C_Initialize in the child, and the parent goes on
#                   (its self test, then a key generation that must be stored);
#   --test-ec       EC key pair generation, CKA_ID change, a hash-and-sign ECDSA signature, attribute
#                   changes, deletion (P-256 and P-384); the EC key already on the token survives.
# pkcs11-tool exits 0 after some errors, so every step's output is checked too.
# Usage: consumer-opensc.sh [MODULE]
# shellcheck source=consumer-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/consumer-lib.sh"
consumer_setup opensc "$@"
init_token

run "EC P-256 key pair 'ec' on the token" \
    "${p11u[@]}" --keypairgen --key-type EC:prime256v1 --id 01 --label ec --usage-sign
run "RSA-2048 key pair 'rsa' on the token" \
    "${p11u[@]}" --keypairgen --key-type RSA:2048 --id 02 --label rsa --usage-sign --usage-decrypt

threads=(--test-threads ILGISLT0 --test-threads INGISLT0T1 --test-threads ILSLT0GISLT0
         --test-threads INSLT0T0T1GI)
run "--test-threads (4 threads: C_Initialize race, GetInfo/GetSlotList/GetTokenInfo) with --test" \
    "${p11u[@]}" "${threads[@]}" --test
for t in 0 1 2 3; do
    expect "Test thread $t returning rv = 0" "thread $t ended with CKR_OK"
done
expect "test_threads all threads have ended with CKR_OK" "pkcs11-tool reports all threads ended with CKR_OK"
expect "token label +: $label" "threads read the token info"
expect "^No errors" "the main thread's --test reported no errors"
no_errors "no error or failure reported by --test-threads/--test"
inits=$(grep -Ec 'C_Initialize +returned CKR_OK|Main C_Initialize\(NULL\) rv:CKR_OK' \
    "$tmp/step$step.log" || true)
already=$(grep -Ec 'C_Initialize +returned CKR_CRYPTOKI_ALREADY_INITIALIZED|Main C_Initialize\(NULL\) rv:CKR_CRYPTOKI_ALREADY_INITIALIZED' \
    "$tmp/step$step.log" || true)
[[ "$inits" == 1 && "$already" == 4 ]] \
    || fail_step "C_Initialize returned CKR_OK $inits times and ALREADY_INITIALIZED $already times; expected 1 and 4"
echo "   checked: C_Initialize returned CKR_OK once; every other caller got CKR_CRYPTOKI_ALREADY_INITIALIZED"

run "--test-fork with --test (C_Initialize in the forked child, parent continues)" \
    "${p11u[@]}" --test-fork --test
expect "Calling C_Initialize in forked child process" "the child called C_Initialize"
expect "^No errors" "the parent's self test after the fork reported no errors"
no_errors "no error or failure reported by --test-fork"

run "--test-fork then a key generation in the parent" \
    "${p11u[@]}" --test-fork --keypairgen --key-type EC:prime256v1 --id 20 --label afterfork
expect "Calling C_Initialize in forked child process" "the child called C_Initialize"
expect "label: +afterfork" "the parent generated a key pair after the child's C_Initialize"
no_errors "no error or failure reported"
run "the key generated after the fork is stored" "${p11u[@]}" --list-objects --type privkey
expect "label: +afterfork" "a new process sees the key 'afterfork'"

for curve in prime256v1:10 secp384r1:11; do
    run "--test-ec --key-type EC:${curve%%:*}" \
        "${p11u[@]}" --session-rw --test-ec --key-type "EC:${curve%%:*}" --id "${curve##*:}" --label testec
    expect "Generating EC key pair" "an EC key pair was generated on ${curve%%:*}"
    expect "Doing a signature" "a signature was made"
    expect "Deleting the private and the public key again" "the test keys were deleted"
    expect "^==> OK" "the EC test reported OK"
    no_errors "no error or failure reported by --test-ec"
done

run "objects after --test-ec" "${p11u[@]}" --list-objects
expect "label: +ec$" "the EC key 'ec' that was on the token is still there"
expect "label: +rsa$" "the RSA key 'rsa' is still there"
expect_not "label: +testec" "the --test-ec keys are gone"

spy=""
for p in /usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so /usr/lib/pkcs11/pkcs11-spy.so; do
    if [ -f "$p" ]; then spy="$p"; break; fi
done
[ -n "$spy" ] || die "pkcs11-spy.so not found (Debian package opensc-pkcs11)"
run "pkcs11-spy wrapping the module (it writes into the C_GetInterface record)" \
    env PKCS11SPY="$module" PKCS11SPY_OUTPUT="$tmp/spy.log" pkcs11-tool --module "$spy" -I
expect "Cryptoki version 3.0" "the module answers through the spy"
check "the spy logged the calls it forwarded" grep -q "C_GetInfo" "$tmp/spy.log"

echo "# opensc: all $step steps passed"
