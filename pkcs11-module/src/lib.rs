//! `libsofthsm_pkcs11.so`: the PKCS#11 3.0 face of softhsm-rs.
//!
//! A drop-in for SoftHSMv2: any PKCS#11 consumer loads it unchanged. The crate is a thin C ABI
//! shell over the core (`softhsm::hsm::Hsm`); only [`abi`], [`fns`], [`interface`] and [`state`]
//! contain `unsafe`, each block with a `// SAFETY:` line.
#![deny(unsafe_code)]
// CK_ULONG is `unsigned long`: 64 bits here, 32 on other targets. The explicit casts between it
// and the core's u64 are kept so the code stays correct where the two differ.
#![allow(clippy::unnecessary_cast)]

pub mod abi;
pub mod fns;
pub mod interface;
pub mod state;
