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

/// Functions that are in the tables but return `CKR_FUNCTION_NOT_SUPPORTED`; `docs/coverage.md`
/// gives the reason for each (a test keeps the two in step).
pub const NOT_SUPPORTED: &[&str] = &[
    "C_GetOperationState",
    "C_SetOperationState",
    "C_SignRecoverInit",
    "C_SignRecover",
    "C_VerifyRecoverInit",
    "C_VerifyRecover",
    "C_DigestEncryptUpdate",
    "C_DecryptDigestUpdate",
    "C_SignEncryptUpdate",
    "C_DecryptVerifyUpdate",
    "C_MessageEncryptInit",
    "C_EncryptMessage",
    "C_EncryptMessageBegin",
    "C_EncryptMessageNext",
    "C_MessageEncryptFinal",
    "C_MessageDecryptInit",
    "C_DecryptMessage",
    "C_DecryptMessageBegin",
    "C_DecryptMessageNext",
    "C_MessageDecryptFinal",
    "C_MessageSignInit",
    "C_SignMessage",
    "C_SignMessageBegin",
    "C_SignMessageNext",
    "C_MessageSignFinal",
    "C_MessageVerifyInit",
    "C_VerifyMessage",
    "C_VerifyMessageBegin",
    "C_VerifyMessageNext",
    "C_MessageVerifyFinal",
];

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

#[cfg(test)]
mod tests {
    use super::NOT_SUPPORTED;
    use std::collections::BTreeSet;

    #[test]
    fn coverage_table_matches_the_function_tables() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/coverage.md")).unwrap();
        let start = doc.find("## Functions").unwrap();
        let rows: Vec<(String, String)> = doc[start..]
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|l| {
                let c: Vec<&str> = l.split('|').map(str::trim).collect();
                (c[1].to_string(), c[2].to_string())
            })
            .collect();
        assert_eq!(rows.len(), 92, "PKCS#11 3.0 has 92 functions");
        let names: BTreeSet<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 92, "no function listed twice");
        let documented: BTreeSet<&str> = rows
            .iter()
            .filter(|(_, s)| s == "not supported")
            .map(|(n, _)| n.as_str())
            .collect();
        let code: BTreeSet<&str> = NOT_SUPPORTED.iter().copied().collect();
        assert_eq!(documented, code);
    }
}
