# shellcheck shell=bash
# Shared helpers of the consumer-*.sh scripts; sourced, never run. Each consumer script does
#
#   source "$(dirname "$0")/consumer-lib.sh"
#   consumer_setup NAME "$@"      # module, a private temp dir, HOME/XDG inside it, a module config
#   init_token                    # a fresh token labelled $label, user PIN $PIN, SO PIN $SO_PIN
#   run "what" cmd...             # runs one step (bounded by a timeout), fails loudly
#   expect REGEX "what"           # checks the last step's output
#
# and prints TAP-like lines: "ok N - NAME: what" per step and "   checked: what" per check.
# Any failure prints the command, its output and the tail of the module's log, and exits 1.
# Nothing is skipped: a missing tool is a failure naming the package that provides it.
set -euo pipefail

lib_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "$lib_dir/../.." && pwd)"
SO_PIN=12345678
PIN=87654321
# Upper bound of any single command (seconds); the driver bounds each whole consumer too.
STEP_TIMEOUT="${STEP_TIMEOUT:-90}"
# Unprivileged identity for the tools that refuse per-user configuration when run as root.
UNPRIV_UID=65534
UNPRIV_GID=65534

step=0
cleanup_pids=()

die() {
    echo "FAIL $step - ${name:-consumer}: $*" >&2
    exit 1
}

# need TOOL PACKAGE: the tool must be installed (scripts/install-deps.sh installs PACKAGE).
need() {
    command -v "$1" >/dev/null \
        || die "$1 not found: install the Debian package '$2' (scripts/install-deps.sh does)"
}

consumer_cleanup() {
    local pid
    for pid in "${cleanup_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    if [[ -n "${tmp:-}" && -z "${KEEP_TMP:-}" ]]; then
        rm -rf "$tmp"
    elif [[ -n "${tmp:-}" ]]; then
        echo "# kept $tmp" >&2
    fi
}

# consumer_setup NAME [MODULE]
consumer_setup() {
    name="$1"
    module="${2:-$workspace/target/debug/libsofthsm_pkcs11.so}"
    [[ -f "$module" ]] || die "module $module not found"
    module="$(cd "$(dirname "$module")" && pwd)/$(basename "$module")"
    need pkcs11-tool opensc
    need timeout coreutils

    tmp="$(mktemp -d "${TMPDIR:-/tmp}/p11-$name.XXXXXX")"
    trap consumer_cleanup EXIT
    trap 'exit 143' TERM INT
    # Tools that write per-user state (NSS, p11-kit, ssh, java) write it here.
    export HOME="$tmp/home"
    export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share"
    export XDG_CACHE_HOME="$HOME/.cache" XDG_RUNTIME_DIR="$HOME/run"
    mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
    chmod 700 "$XDG_RUNTIME_DIR"
    unset SSH_AUTH_SOCK SSH_AGENT_PID OPENSSL_CONF PKCS11_MODULE_PATH

    module_log="$tmp/softhsm-rs.log"
    cat >"$tmp/softhsm-rs.toml" <<EOF
[store]
path = "$tmp/store.db"

[log]
file = "$module_log"
level = "debug"

[pin]
kdf_iterations = 1000
EOF
    export SOFTHSM_RS_CONF="$tmp/softhsm-rs.toml"
    if [[ "$(basename "$module")" == *softhsm2* ]]; then
        is_softhsm2=1
        mkdir -p "$tmp/tokens"
        cat >"$tmp/softhsm2.conf" <<EOF
directories.tokendir = $tmp/tokens
objectstore.backend = file
log.level = ERROR
EOF
        export SOFTHSM2_CONF="$tmp/softhsm2.conf"
    else
        is_softhsm2=0
        unset SOFTHSM2_CONF
    fi
    label="rs-$name"
    # pkcs11-tool on our token, and logged in as the user.
    # shellcheck disable=SC2034  # used by the consumer scripts
    p11=(pkcs11-tool --module "$module" --token-label "$label")
    # shellcheck disable=SC2034
    p11u=("${p11[@]}" --login --pin "$PIN")
    echo "# $name: consumer tests against $module (work dir $tmp)"
}

# The last lines of the module's own log (softhsm-rs only), for failure reports.
show_module_log() {
    if [[ $is_softhsm2 == 0 && -s "$module_log" ]]; then
        echo "  module log ($module_log), last lines:" >&2
        tail -n 25 "$module_log" | cut -c1-400 | sed 's/^/  log| /' >&2
    fi
}

fail_step() {
    echo "FAIL $step - $name: $1" >&2
    if [[ -n "${2:-}" ]]; then echo "  command: $2" >&2; fi
    if [[ -f "$tmp/step$step.log" ]]; then
        tail -n 60 "$tmp/step$step.log" | sed 's/^/  | /' >&2
    fi
    show_module_log
    exit 1
}

# run WHAT CMD...: one step; its output goes to $tmp/step$N.log (the "last log").
run() {
    local what="$1"; shift
    step=$((step + 1))
    give_tmp_to_unpriv
    local rc=0
    timeout --kill-after=5 "$STEP_TIMEOUT" "$@" >"$tmp/step$step.log" 2>&1 </dev/null || rc=$?
    case $rc in
        0) ;;
        124) fail_step "$what (timed out after ${STEP_TIMEOUT}s)" "$*" ;;
        13[4-9]) fail_step "$what (exit status $rc: killed by signal $((rc - 128)))" "$*" ;;
        *) fail_step "$what (exit status $rc)" "$*" ;;
    esac
    echo "ok $step - $name: $what"
}

# run_fails WHAT CMD...: a step whose command must fail (a negative check).
run_fails() {
    local what="$1"; shift
    step=$((step + 1))
    give_tmp_to_unpriv
    if timeout --kill-after=5 "$STEP_TIMEOUT" "$@" >"$tmp/step$step.log" 2>&1 </dev/null; then
        fail_step "$what (the command succeeded but must fail)" "$*"
    fi
    echo "ok $step - $name: $what"
}

# expect REGEX WHAT: the last step's output matches the extended regex.
expect() {
    grep -Eq -- "$1" "$tmp/step$step.log" || fail_step "$2: /$1/ not in the output"
    echo "   checked: $2"
}

# expect_not REGEX WHAT: the last step's output does not match.
expect_not() {
    if grep -Eq -- "$1" "$tmp/step$step.log"; then
        fail_step "$2: /$1/ found in the output"
    fi
    echo "   checked: $2"
}

# no_errors WHAT: no line of the last output says error/fail/abort (except "No errors").
no_errors() {
    if grep -Ei 'error|fail|abort|^ERR' "$tmp/step$step.log" | grep -Eqv '^No errors$'; then
        grep -Ei 'error|fail|abort|^ERR' "$tmp/step$step.log" | grep -Ev '^No errors$' \
            | head -n 5 | sed 's/^/  offending: /' >&2
        fail_step "$1: an error or failure is reported"
    fi
    echo "   checked: $1"
}

# check WHAT CMD...: a silent check command (cmp, test, ...) that must succeed.
check() {
    local what="$1"; shift
    if ! "$@" >"$tmp/check.log" 2>&1; then
        sed 's/^/  | /' "$tmp/check.log" >&2
        fail_step "$what" "$*"
    fi
    echo "   checked: $what"
}

# Lines a helper program printed as its own "checked:" lines, shown as they are.
show_checked() {
    grep -E '^   (checked|note): ' "$tmp/step$step.log" || true
}

# init_token: a fresh token labelled $label in the first free slot, with the user PIN set.
init_token() {
    run "initialise token '$label' (pkcs11-tool --init-token)" \
        pkcs11-tool --module "$module" --init-token --slot-index 0 --label "$label" --so-pin "$SO_PIN"
    run "initialise the user PIN (pkcs11-tool --init-pin)" \
        pkcs11-tool --module "$module" --token-label "$label" --init-pin --login \
        --so-pin "$SO_PIN" --pin "$PIN"
}

# token_slot_id: the slot id (decimal) holding the token $label.
token_slot_id() {
    local hex
    hex="$(pkcs11-tool --module "$module" --list-token-slots 2>/dev/null | awk -v l="$label" '
        /^Slot [0-9]+ \(0x[0-9a-fA-F]+\)/ { id = $3; gsub(/[():]|0x/, "", id) }
        $0 ~ "token label +: " l "$" { print id; exit }')"
    [[ -n "$hex" ]] || return 1
    echo $((16#$hex))
}


# unpriv: a command prefix that runs a command unprivileged when we are root (p11-kit ignores
# per-user configuration for root and setuid programs). Set by use_unpriv; while it is set, the
# work dir is handed to that user before every step.
unpriv=()
use_unpriv() {
    if [[ "$(id -u)" == 0 ]]; then
        need setpriv util-linux
        unpriv=(setpriv --reuid="$UNPRIV_UID" --regid="$UNPRIV_GID" --clear-groups --)
    fi
}
give_tmp_to_unpriv() {
    if [[ ${#unpriv[@]} -gt 0 ]]; then chown -R "$UNPRIV_UID:$UNPRIV_GID" "$tmp"; fi
}
