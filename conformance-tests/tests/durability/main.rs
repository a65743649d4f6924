//! Durability of softhsm-rs under crashes and many processes (softhsm-rs only: it drives the
//! built module, the `kmip-server` binary and the core on one keystore).
//!
//! - `crash`: writers through both doors killed with SIGKILL at random moments; nothing
//!   acknowledged is lost, everything in the store still unseals, the integrity check passes.
//! - `many`: 8 module processes and 8 KMIP connections reading and writing one token at once;
//!   object counts and values afterwards, no operation failed but by the standard's rules; and
//!   many processes opening a new keystore at once.
//!
//! `SOFTHSM_LONG=1` runs the long variants. Each test prints its seed; set the variable it
//! names to replay a run.

mod common;
mod crash;
mod many;

/// The tests of this binary each start many processes: one at a time.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
