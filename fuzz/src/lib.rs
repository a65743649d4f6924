//! What the fuzz targets run: each target in `fuzz_targets/` is one line calling a function
//! here, so the oracles read as ordinary code. Built only by `scripts/fuzz.sh` (libFuzzer with
//! SanitizerCoverage on the stable toolchain); a crash found here becomes a regression test in
//! the normal suites.

// CK_ULONG is 64 bits here, 32 elsewhere: the explicit casts keep the code right where they
// differ (as in pkcs11-module).
#![allow(clippy::unnecessary_cast)]

pub mod kmip;
pub mod p11;
pub mod seeds;
pub mod ttlv;
