//! The exported `C_*` entry points, one file per chapter of PKCS#11 3.0 §5.
//!
//! Every function is a thin shell: it runs its body in [`crate::abi::guard`] (panics become
//! `CKR_GENERAL_ERROR`), reads its arguments through the audited helpers of [`crate::abi`], calls
//! one method of the core's `Hsm`, and writes its outputs back through the same helpers.
//!
//! Safety contract of every function here (hence `missing_safety_doc` is allowed): the caller
//! follows PKCS#11 — each non-NULL pointer argument points to memory of the type and length the
//! specification gives for that argument, valid for the duration of the call.
#![allow(unsafe_code, non_snake_case, clippy::missing_safety_doc)]

pub mod crypt;
pub mod digest;
pub mod general;
pub mod key;
pub mod object;
pub mod session;
pub mod sign;
pub mod slot;
pub mod unsupported;

use softhsm::{Error, Result};

/// Ends the operation of category `flag` after an error other than `CKR_BUFFER_TOO_SMALL`:
/// argument errors found here end it just as errors found in the core do (PKCS#11 3.0 §5.2).
pub(crate) fn end_on_error<T>(hsm: &softhsm::hsm::Hsm, h: u64, flag: u64, r: Result<T>) -> Result<T> {
    if let Err(e) = &r {
        if !matches!(e, Error::BufferTooSmall { .. }) {
            let _ = hsm.session_cancel(h, flag);
        }
    }
    r
}
