//! The softhsm-rs KMIP server: the second door to the keystore the PKCS#11 module opens.
//!
//! - [`ttlv`]: the TTLV codec (binary, XML and JSON encodings over one tree). No I/O, no tokio.
//!
//! Architecture invariant: nothing in this crate touches key material except through
//! `softhsm::hsm::Hsm`, so both doors apply the same policy to the same objects.

#![forbid(unsafe_code)]

pub mod client;
pub mod clients;
pub mod devca;
pub mod login;
pub mod server;
pub mod tls;
pub mod ttlv;
