#!/usr/bin/env bash
# PyKMIP's client against softhsm-rs' kmip-server.
#
# Starts kmip-server on a fresh "machine" (HOME and XDG_* in a private temporary directory, so
# the first start makes its own keystore, token `kmip` and development certificates), on
# 127.0.0.1:0; reads the port and the PyKMIP [client] section from its banner (never printing
# the banner: it holds the PINs); runs kmip_pykmip_client.py from the repository's .venv at
# KMIP 1.2, 1.4 and 2.0 plus one TLS 1.2-only connection; stops the server with SIGTERM (by
# PID) and checks it exits 0. Prints one line per step and
#     PyKMIP: N of N steps passed at 1.2, 1.4, 2.0
# Exit status non-zero on any failure.
#
# Usage: conformance-tests/scripts/kmip-pykmip.sh [KMIP_SERVER_BINARY]
#   The binary defaults to $CARGO_TARGET_DIR (else target/)/debug/kmip-server; it is built with
#   `cargo build -p kmip-server` only if missing. PYKMIP_VERSIONS=1.4 narrows the versions;
#   KEEP_TMP=1 keeps the work directory. PyKMIP comes from .venv (scripts/install-deps.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "$here/../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$workspace/target}"
server="${1:-$target_dir/debug/kmip-server}"
py="${PYKMIP_PYTHON:-$workspace/.venv/bin/python}"
versions="${PYKMIP_VERSIONS:-1.2,1.4,2.0}"
# Bounds (seconds): the server's first start, the whole client run, the server's stop.
START_TIMEOUT="${START_TIMEOUT:-60}"
CLIENT_TIMEOUT="${CLIENT_TIMEOUT:-120}"
STOP_TIMEOUT=20

die() {
    echo "FAIL - kmip-pykmip: $*" >&2
    exit 1
}

if [[ ! -x "$server" ]]; then
    [[ $# -eq 0 ]] || die "$server is not an executable"
    echo "# $server not found: cargo build -p kmip-server"
    (cd "$workspace" && cargo build -q -p kmip-server)
fi
[[ -x "$server" ]] || die "$server not found"
[[ -x "$py" ]] || die "$py not found: scripts/install-deps.sh creates .venv with PyKMIP"
"$py" -c 'import kmip, cryptography' 2>/dev/null \
    || die "PyKMIP or cryptography missing in $py: scripts/install-deps.sh installs them"
echo "# pykmip: $("$py" -c 'import sys, ssl, importlib.metadata as m; print("Python", sys.version.split()[0], "PyKMIP", m.version("pykmip"), "cryptography", m.version("cryptography"), "|", ssl.OPENSSL_VERSION)')"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/kmip-pykmip.XXXXXX")"
home="$tmp/home"
mkdir -p "$home"
pid=""

show_server_logs() {
    echo "--- kmip-server stderr (tail) ---" >&2
    tail -n 30 "$tmp/server.err" >&2 2>/dev/null || true
    local log="$home/data/softhsm-rs/softhsm-rs.log"
    if [[ -f "$log" ]]; then
        echo "--- kmip-server log (tail) ---" >&2
        tail -n 30 "$log" >&2
    fi
}

# SIGTERM to the server we started, then a bounded wait; SIGKILL only if it ignores it.
stop_server() {
    [[ -n "$pid" ]] || return 0
    local p="$pid" i status=0
    pid=""
    kill -TERM "$p" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
        echo "# kmip-server (pid $p) still running ${STOP_TIMEOUT}s after SIGTERM: SIGKILL" >&2
        kill -KILL "$p" 2>/dev/null || true
    fi
    wait "$p" 2>/dev/null || status=$?
    return "$status"
}

cleanup() {
    stop_server || true
    if [[ -n "${KEEP_TMP:-}" ]]; then
        echo "# kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT

: >"$tmp/server.out"
: >"$tmp/server.err"
env -u SOFTHSM_RS_CONF -u SOFTHSM2_CONF \
    HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" \
    XDG_STATE_HOME="$home/state" XDG_CACHE_HOME="$home/cache" \
    "$server" --listen 127.0.0.1:0 >"$tmp/server.out" 2>"$tmp/server.err" </dev/null &
pid=$!

# The banner ends with `listening on 127.0.0.1:PORT`.
addr=""
for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    addr="$(sed -n 's/^listening on //p; T; q' "$tmp/server.out")"
    [[ -z "$addr" ]] || break
    if ! kill -0 "$pid" 2>/dev/null; then
        show_server_logs
        pid=""
        die "kmip-server exited before listening"
    fi
    sleep 0.1
done
[[ -n "$addr" ]] || { show_server_logs; die "no 'listening on' line within ${START_TIMEOUT}s"; }
port="${addr##*:}"
banner_value() { sed -n "s/^$1: *//p; T; q" "$tmp/server.out"; }
ca="$(banner_value 'CA certificate')"
cert="$(banner_value 'Client certificate')"
key="$(banner_value 'Client key')"
for f in "$ca" "$cert" "$key"; do
    [[ -n "$f" && -f "$f" ]] || die "the banner names no readable certificate file ('$f')"
done
echo "# kmip-server (pid $pid) listening on $addr; CA $ca, client certificate $cert"

# The banner's own PyKMIP [client] section is the client's configuration file.
conf="$tmp/pykmip.conf"
awk '/^PyKMIP client/ {on = 1; next}
     on && /^    / {sub(/^    /, ""); print; seen = 1; next}
     on && seen && !/^    / {exit}' "$tmp/server.out" >"$conf"
grep -qx '\[client\]' "$conf" || die "the banner has no PyKMIP [client] section"
grep -qx "port=$port" "$conf" || die "the banner's PyKMIP section names another port"
grep -qx "certfile=$cert" "$conf" || die "the banner's PyKMIP section names another certificate"

start=$SECONDS
rc=0
HOME="$home" PYTHONDONTWRITEBYTECODE=1 timeout --kill-after=10 "$CLIENT_TIMEOUT" \
    "$py" "$here/kmip_pykmip_client.py" --config "$conf" --versions "$versions" || rc=$?
[[ $rc != 124 ]] || echo "not ok - the PyKMIP client timed out after ${CLIENT_TIMEOUT}s"

stop_rc=0
stop_server || stop_rc=$?
if [[ $stop_rc != 0 ]]; then
    echo "not ok - kmip-server exited with status $stop_rc after SIGTERM"
    rc=1
else
    echo "ok - kmip-server stopped on SIGTERM with status 0"
fi
if [[ $rc != 0 ]]; then
    show_server_logs
    echo "# kmip-pykmip: FAILED ($((SECONDS - start))s)"
    exit 1
fi
echo "# kmip-pykmip: passed ($((SECONDS - start))s)"
