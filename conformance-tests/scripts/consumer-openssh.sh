#!/usr/bin/env bash
# OpenSSH against a module. RSA-2048 and EC P-256 keys are generated on the token (pkcs11-tool):
#   ssh-keygen -D MODULE     prints both public keys (labels as comments), equal to the keys the
#                            token exports (converted with ssh-keygen -i -m PKCS8);
#   ssh-agent + ssh-add -s   an agent started here (killed by PID at the end) loads the module
#                            through ssh-pkcs11-helper, the PIN given through SSH_ASKPASS;
#   ssh-add -L               lists the token keys;
#   ssh-keygen -Y sign       signs through the agent with each key (rsa-sha2-512 and
#                            ecdsa-sha2-nistp256), checked by ssh-keygen -Y check-novalidate;
#   ssh-add -e               removes the keys again.
# Usage: consumer-openssh.sh [MODULE]
# shellcheck source=consumer-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/consumer-lib.sh"
consumer_setup openssh "$@"
need ssh-keygen openssh-client
need ssh-agent openssh-client
need ssh-add openssh-client
need p11tool gnutls-bin
init_token

run "RSA-2048 key pair 'ssh-rsa-key' on the token (pkcs11-tool)" \
    "${p11u[@]}" --keypairgen --key-type RSA:2048 --id 01 --label ssh-rsa-key --usage-sign
run "EC P-256 key pair 'ssh-ec-key' on the token (pkcs11-tool)" \
    "${p11u[@]}" --keypairgen --key-type EC:prime256v1 --id 02 --label ssh-ec-key --usage-sign

run "ssh-keygen -D MODULE" ssh-keygen -D "$module"
expect "^ssh-rsa AAAA[^ ]+ ssh-rsa-key$" "the RSA public key is listed, labelled ssh-rsa-key"
expect "^ecdsa-sha2-nistp256 AAAA[^ ]+ ssh-ec-key$" "the EC public key is listed, labelled ssh-ec-key"
grep -E ' ssh-rsa-key$' "$tmp/step$step.log" >"$tmp/rsa.pub"
grep -E ' ssh-ec-key$' "$tmp/step$step.log" >"$tmp/ec.pub"

export GNUTLS_PIN="$PIN"
for k in rsa ec; do
    run "the token's $k public key in OpenSSH form (p11tool --export-pubkey, ssh-keygen -i)" sh -c "
        p11tool --provider '$module' --login --export-pubkey 'pkcs11:token=$label;object=ssh-$k-key;type=public' --outfile '$tmp/$k.pem' &&
        ssh-keygen -i -m PKCS8 -f '$tmp/$k.pem'"
    check "ssh-keygen -D prints the same $k key" \
        test "$(cut -d' ' -f1,2 "$tmp/$k.pub")" == "$(cut -d' ' -f1,2 "$tmp/step$step.log")"
done

# The agent: allowed to load this module (ssh-agent only loads providers matching -P).
printf '#!/bin/sh\necho %s\n' "$PIN" >"$tmp/askpass"
chmod 700 "$tmp/askpass"
allowed="$module,$(realpath "$module")"
run "start ssh-agent (-P allows the module)" ssh-agent -s -a "$tmp/agent.sock" -P "$allowed"
agent_pid="$(sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p' "$tmp/step$step.log")"
[[ -n "$agent_pid" ]] || fail_step "no SSH_AGENT_PID in ssh-agent's output"
cleanup_pids+=("$agent_pid")
export SSH_AUTH_SOCK="$tmp/agent.sock"
echo "   checked: agent running, pid $agent_pid"
export SSH_ASKPASS="$tmp/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0

run "ssh-add -s MODULE (PIN through SSH_ASKPASS)" ssh-add -s "$module"
expect "^Card added: " "the agent loaded the module and logged in"
run "ssh-add -L" ssh-add -L
check "the agent holds the token's RSA key" grep -qF "$(cut -d' ' -f1,2 "$tmp/rsa.pub")" "$tmp/step$step.log"
check "the agent holds the token's EC key" grep -qF "$(cut -d' ' -f1,2 "$tmp/ec.pub")" "$tmp/step$step.log"

head -c 5000 /dev/urandom >"$tmp/data"
printf 'x' | cat - "$tmp/data" >"$tmp/data.other"
for k in rsa ec; do
    rm -f "$tmp/data.sig"
    run "ssh-keygen -Y sign -n test with the $k key through the agent" \
        ssh-keygen -Y sign -f "$tmp/$k.pub" -n test "$tmp/data"
    check "a signature file was written" test -s "$tmp/data.sig"
    mv "$tmp/data.sig" "$tmp/data.$k.sig"
    run "ssh-keygen -Y check-novalidate of the $k signature" \
        sh -c "ssh-keygen -Y check-novalidate -n test -f '$tmp/$k.pub' -s '$tmp/data.$k.sig' <'$tmp/data'"
    expect "^Good \"test\" signature with $( [[ $k == rsa ]] && echo RSA || echo ECDSA ) key" "the signature made on the token is good"
    run_fails "the $k signature does not verify other data" \
        sh -c "ssh-keygen -Y check-novalidate -n test -f '$tmp/$k.pub' -s '$tmp/data.$k.sig' <'$tmp/data.other'"
done

run "ssh-add -e MODULE" ssh-add -e "$module"
expect "^Card removed: " "the agent removed the module's keys"
run_fails "ssh-add -L lists no identity any more" ssh-add -L
expect "The agent has no identities" "the agent has no identities"

kill "$agent_pid"
for _ in $(seq 1 50); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$agent_pid" 2>/dev/null; then fail_step "ssh-agent $agent_pid still running after kill"; fi
echo "   checked: ssh-agent $agent_pid stopped"

echo "# openssh: all $step steps passed"
