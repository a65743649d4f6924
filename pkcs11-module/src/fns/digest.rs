//! Message digesting functions (PKCS#11 3.0 §5.10).

use super::end_on_error;
use crate::abi::{self, guard};
use crate::state;
use cryptoki_sys as ck;

/// `C_DigestInit` (§5.10.1).
#[no_mangle]
pub unsafe extern "C" fn C_DigestInit(
    hSession: ck::CK_SESSION_HANDLE,
    pMechanism: *mut ck::CK_MECHANISM,
) -> ck::CK_RV {
    guard("C_DigestInit", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let m = unsafe { abi::mechanism(pMechanism) }?;
        hsm.digest_init(hSession as u64, &m)
    })
}

/// `C_Digest` (§5.10.2).
#[no_mangle]
pub unsafe extern "C" fn C_Digest(
    hSession: ck::CK_SESSION_HANDLE,
    pData: *mut ck::CK_BYTE,
    ulDataLen: ck::CK_ULONG,
    pDigest: *mut ck::CK_BYTE,
    pulDigestLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_Digest", || {
        let (hsm, _l) = state::hsm()?;
        let h = hSession as u64;
        let r = (|| {
            // SAFETY: contract.
            let data = unsafe { abi::input(pData, ulDataLen) }?;
            // SAFETY: contract.
            let o = unsafe { abi::OutBuf::new(pDigest, pulDigestLen) }?;
            o.write(hsm.digest(h, data, o.room()))
        })();
        end_on_error(&hsm, h, ck::CKF_DIGEST, r)
    })
}

/// `C_DigestUpdate` (§5.10.3).
#[no_mangle]
pub unsafe extern "C" fn C_DigestUpdate(
    hSession: ck::CK_SESSION_HANDLE,
    pPart: *mut ck::CK_BYTE,
    ulPartLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_DigestUpdate", || {
        let (hsm, _l) = state::hsm()?;
        let h = hSession as u64;
        // SAFETY: contract.
        let r = unsafe { abi::input(pPart, ulPartLen) }.and_then(|d| hsm.digest_update(h, d));
        end_on_error(&hsm, h, ck::CKF_DIGEST, r)
    })
}

/// `C_DigestKey` (§5.10.4).
#[no_mangle]
pub unsafe extern "C" fn C_DigestKey(
    hSession: ck::CK_SESSION_HANDLE,
    hKey: ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_DigestKey", || {
        state::hsm()?.0.digest_key(hSession as u64, hKey as u64)
    })
}

/// `C_DigestFinal` (§5.10.5).
#[no_mangle]
pub unsafe extern "C" fn C_DigestFinal(
    hSession: ck::CK_SESSION_HANDLE,
    pDigest: *mut ck::CK_BYTE,
    pulDigestLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_DigestFinal", || {
        let (hsm, _l) = state::hsm()?;
        let h = hSession as u64;
        let r = (|| {
            // SAFETY: contract.
            let o = unsafe { abi::OutBuf::new(pDigest, pulDigestLen) }?;
            o.write(hsm.digest_final(h, o.room()))
        })();
        end_on_error(&hsm, h, ck::CKF_DIGEST, r)
    })
}
