//! The softhsm-rs KMIP server: the second door to the keystore the PKCS#11 module opens.
//!
//! - [`ttlv`]: the TTLV codec (binary, XML and JSON encodings over one tree). No I/O, no tokio.
//! - [`message`], [`attributes`], [`objects`], [`ops`], [`dispatch`]: KMIP 1.0–2.1 requests
//!   answered against the keystore ([`dispatch::Kmip`] is the request handler);
//!   [`key_formats`] reads and writes the key formats of asymmetric keys, [`certificates`]
//!   derives a certificate's attributes from its DER.
//! - [`server`], [`tls`], [`clients`], [`login`]: the mutual-TLS listener (tokio + rustls), the
//!   client-to-token map and the server's token logins; [`devca`] makes development certificates;
//!   [`client`] is a small blocking client for tests, the vector replay and the benchmark.
//!
//! Architecture invariant: nothing in this crate touches key material except through
//! `softhsm::hsm::Hsm`, so both doors apply the same policy to the same objects.

#![forbid(unsafe_code)]

pub mod attributes;
pub mod certificates;
pub mod client;
pub mod clients;
pub mod devca;
pub mod dispatch;
pub mod error;
pub mod key_formats;
pub mod local;
pub mod login;
pub mod message;
pub mod objects;
pub mod ops;
pub mod server;
pub mod tls;
pub mod ttlv;
pub mod version;
