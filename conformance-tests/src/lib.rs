//! Shared harness of the PKCS#11 conformance suite.
//!
//! The suite drives any PKCS#11 module exactly like a consumer does (through
//! the `cryptoki` crate, plus raw calls through the module's function list
//! where `cryptoki` hides the protocol). The module is chosen with the
//! `P11_MODULE` environment variable; by default it is softhsm-rs's own
//! `libsofthsm_pkcs11.so` from the workspace target directory.

pub mod durability;
pub mod harness;
pub mod kmip_process;
pub mod kmip_replay;
pub mod secrets;
