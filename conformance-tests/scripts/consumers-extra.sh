#!/usr/bin/env bash
# Real consumers beyond consumers.sh, each against its own temporary token:
#   opensc   pkcs11-tool --test-ec, --test-threads, --test-fork
#   gnutls   p11tool key generation, listing, signing; the module registered in p11-kit
#            (user config), p11-kit list-modules, GnuTLS through p11-kit, p11-kit-proxy.so
#   openssl  OpenSSL 3 through the libp11 engine: req -x509, pkeyutl sign/decrypt
#   java     SunPKCS11 through keytool: -list, -genkeypair EC and RSA, -certreq
#   nss      modutil -add/-list, certutil -S/-L/-K on the token, certutil -V
#   openssh  ssh-keygen -D, ssh-agent + ssh-add -s, signatures through the agent
#   python   python-pkcs11: AES and EC keys, encrypt/decrypt, sign/verify (+ cryptography)
# Usage:
#   conformance-tests/scripts/consumers-extra.sh [MODULE]
#   CONSUMERS="nss openssh" conformance-tests/scripts/consumers-extra.sh [MODULE]
# MODULE defaults to softhsm-rs' target/debug/libsofthsm_pkcs11.so; a module whose name contains
# softhsm2 is configured through SOFTHSM2_CONF. Every consumer runs (one failing does not stop
# the others), its output is printed, and the script exits non-zero if any failed.
# KEEP_TMP=1 keeps the work directories. Debian packages and the .venv: scripts/install-deps.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "$here/../.." && pwd)"
module="${1:-$workspace/target/debug/libsofthsm_pkcs11.so}"
[[ -f "$module" ]] || { echo "FAIL: module $module not found" >&2; exit 1; }
module="$(cd "$(dirname "$module")" && pwd)/$(basename "$module")"
# Upper bound of one consumer (seconds); each of its commands has its own bound (STEP_TIMEOUT).
CONSUMER_TIMEOUT="${CONSUMER_TIMEOUT:-240}"

all=(opensc gnutls openssl java nss openssh python)
read -r -a selected <<<"${CONSUMERS:-${all[*]}}"
for c in "${selected[@]}"; do
    [[ -x "$here/consumer-$c.sh" ]] || { echo "FAIL: unknown consumer '$c' (known: ${all[*]})" >&2; exit 1; }
done

echo "# consumers-extra against $module: ${selected[*]}"
passed=()
failed=()
start=$SECONDS
for c in "${selected[@]}"; do
    t0=$SECONDS
    if timeout --kill-after=10 "$CONSUMER_TIMEOUT" "$here/consumer-$c.sh" "$module" 2>&1; then
        passed+=("$c")
        echo "# consumer $c: PASSED ($((SECONDS - t0))s)"
    else
        rc=$?
        failed+=("$c")
        if [[ $rc == 124 ]]; then
            echo "# consumer $c: FAILED: timed out after ${CONSUMER_TIMEOUT}s"
        else
            echo "# consumer $c: FAILED (exit $rc, $((SECONDS - t0))s)"
        fi
    fi
done

echo "# consumers-extra against $(basename "$module") in $((SECONDS - start))s:" \
    "passed: ${passed[*]:-none}; failed: ${failed[*]:-none}"
echo "# consumers-extra: ${#passed[@]} of ${#selected[@]} consumers passed"
[[ ${#failed[@]} == 0 ]]
