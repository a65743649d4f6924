//! PKCS#11 conformance suite (one test binary).
//!
//! Runs against softhsm-rs by default, or against any module given in
//! `P11_MODULE` (for example `/usr/lib/softhsm/libsofthsm2.so`). See
//! `conformance-tests/README.md` and `DIFFERENCES.md`.

mod fixtures;
mod util;

mod aes;
mod brute_force;
mod buffers;
mod cross_token;
mod digest;
mod ec;
mod eddsa;
mod find;
mod general;
mod handles;
mod hmac;
mod lengths;
mod login;
mod mech3;
mod multiprocess;
mod null_args;
mod objects;
mod random;
mod rsa;
mod rsa_raw;
mod sessions;
mod slots;
mod threads;
mod two_doors;
mod wrap;
