#!/usr/bin/env bash
# cargo deny: licences (no GPL/AGPL/BUSL), bans and sources, offline-capable. The advisory check
# needs the RustSec database from its git host, which this build environment cannot reach; set
# SOFTHSM_RS_ADVISORIES=1 where it can, and every ignore in deny.toml carries its reason.
set -euo pipefail
if ! command -v cargo-deny >/dev/null; then
    echo "installing cargo-deny (once)"
    cargo install cargo-deny --locked --quiet
fi
checks=(licenses bans sources)
if [ "${SOFTHSM_RS_ADVISORIES:-0}" = "1" ]; then checks+=(advisories); fi
cargo deny --all-features check "${checks[@]}"
