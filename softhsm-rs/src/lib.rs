//! softhsm-rs core: the keystore, tokens and PINs, the object and attribute model, mechanisms
//! and crypto, and sessions. The PKCS#11 module (`softhsm-pkcs11`) and the KMIP server are thin
//! faces over [`hsm::Hsm`].
#![deny(unsafe_code)]

pub mod attr;
pub mod config;
pub mod crypto;
pub mod der;
pub mod error;
pub mod hsm;
pub mod logging;
pub mod mechanism;
pub mod object;
pub mod provision;
pub mod session;
pub mod store;
pub mod token;

pub use error::{Error, Result};
