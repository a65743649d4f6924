//! Functions this module does not offer; each returns `CKR_FUNCTION_NOT_SUPPORTED` (after the
//! initialisation check) and is listed with its reason in `docs/coverage.md`; and the two legacy
//! parallel-function calls, which answer `CKR_FUNCTION_NOT_PARALLEL` as the spec says.

use crate::abi::guard;
use crate::state;
use cryptoki_sys as ck;
use softhsm::Error;
use std::ffi::c_void;

fn not_supported(name: &'static str) -> ck::CK_RV {
    guard(name, || {
        state::hsm()?;
        Err(Error::FunctionNotSupported)
    })
}

/// `C_GetFunctionStatus` (§5.20): a legacy function; the spec's answer is
/// `CKR_FUNCTION_NOT_PARALLEL`.
#[no_mangle]
pub unsafe extern "C" fn C_GetFunctionStatus(_hSession: ck::CK_SESSION_HANDLE) -> ck::CK_RV {
    guard("C_GetFunctionStatus", || {
        state::hsm()?;
        Err(Error::FunctionNotParallel)
    })
}

/// `C_CancelFunction` (§5.20): a legacy function; the spec's answer is
/// `CKR_FUNCTION_NOT_PARALLEL`.
#[no_mangle]
pub unsafe extern "C" fn C_CancelFunction(_hSession: ck::CK_SESSION_HANDLE) -> ck::CK_RV {
    guard("C_CancelFunction", || {
        state::hsm()?;
        Err(Error::FunctionNotParallel)
    })
}

macro_rules! unsupported {
    ($( $(#[$doc:meta])* $name:ident ( $($arg:ident : $ty:ty),* ); )*) => {
        $(
            $(#[$doc])*
            #[no_mangle]
            pub unsafe extern "C" fn $name($($arg: $ty),*) -> ck::CK_RV {
                $( let _ = $arg; )*
                not_supported(stringify!($name))
            }
        )*
    };
}

type H = ck::CK_SESSION_HANDLE;
type B = *mut ck::CK_BYTE;
type U = ck::CK_ULONG;
type PU = *mut ck::CK_ULONG;
type M = *mut ck::CK_MECHANISM;
type O = ck::CK_OBJECT_HANDLE;
type P = *mut c_void;

unsupported! {
    /// Dual-function (§5.14): not supported; clients fall back to the separate calls.
    C_DigestEncryptUpdate(h: H, a: B, b: U, c: B, d: PU);
    /// Dual-function (§5.14): not supported.
    C_DecryptDigestUpdate(h: H, a: B, b: U, c: B, d: PU);
    /// Dual-function (§5.14): not supported.
    C_SignEncryptUpdate(h: H, a: B, b: U, c: B, d: PU);
    /// Dual-function (§5.14): not supported.
    C_DecryptVerifyUpdate(h: H, a: B, b: U, c: B, d: PU);
    /// Message-based encryption (§5.18): not supported.
    C_MessageEncryptInit(h: H, m: M, k: O);
    /// Message-based encryption: not supported.
    C_EncryptMessage(h: H, p: P, pl: U, a: B, al: U, d: B, dl: U, e: B, el: PU);
    /// Message-based encryption: not supported.
    C_EncryptMessageBegin(h: H, p: P, pl: U, a: B, al: U);
    /// Message-based encryption: not supported.
    C_EncryptMessageNext(h: H, p: P, pl: U, d: B, dl: U, e: B, el: PU, f: ck::CK_FLAGS);
    /// Message-based encryption: not supported.
    C_MessageEncryptFinal(h: H);
    /// Message-based decryption: not supported.
    C_MessageDecryptInit(h: H, m: M, k: O);
    /// Message-based decryption: not supported.
    C_DecryptMessage(h: H, p: P, pl: U, a: B, al: U, d: B, dl: U, e: B, el: PU);
    /// Message-based decryption: not supported.
    C_DecryptMessageBegin(h: H, p: P, pl: U, a: B, al: U);
    /// Message-based decryption: not supported.
    C_DecryptMessageNext(h: H, p: P, pl: U, d: B, dl: U, e: B, el: PU, f: ck::CK_FLAGS);
    /// Message-based decryption: not supported.
    C_MessageDecryptFinal(h: H);
    /// Message-based signing: not supported.
    C_MessageSignInit(h: H, m: M, k: O);
    /// Message-based signing: not supported.
    C_SignMessage(h: H, p: P, pl: U, d: B, dl: U, s: B, sl: PU);
    /// Message-based signing: not supported.
    C_SignMessageBegin(h: H, p: P, pl: U);
    /// Message-based signing: not supported.
    C_SignMessageNext(h: H, p: P, pl: U, d: B, dl: U, s: B, sl: PU);
    /// Message-based signing: not supported.
    C_MessageSignFinal(h: H);
    /// Message-based verification: not supported.
    C_MessageVerifyInit(h: H, m: M, k: O);
    /// Message-based verification: not supported.
    C_VerifyMessage(h: H, p: P, pl: U, d: B, dl: U, s: B, sl: U);
    /// Message-based verification: not supported.
    C_VerifyMessageBegin(h: H, p: P, pl: U);
    /// Message-based verification: not supported.
    C_VerifyMessageNext(h: H, p: P, pl: U, d: B, dl: U, s: B, sl: U);
    /// Message-based verification: not supported.
    C_MessageVerifyFinal(h: H);
}
