//! Signing, MACing and verification functions (PKCS#11 3.0 §5.11–§5.13).

use super::end_on_error;
use crate::abi::{self, guard};
use crate::state;
use cryptoki_sys as ck;
use softhsm::Error;

/// `C_SignInit` (§5.11.1).
#[no_mangle]
pub unsafe extern "C" fn C_SignInit(
    hSession: ck::CK_SESSION_HANDLE,
    pMechanism: *mut ck::CK_MECHANISM,
    hKey: ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_SignInit", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let m = unsafe { abi::mechanism(pMechanism) }?;
        hsm.sign_init(hSession as u64, &m, hKey as u64)
    })
}

/// `C_Sign` (§5.11.2).
#[no_mangle]
pub unsafe extern "C" fn C_Sign(
    hSession: ck::CK_SESSION_HANDLE,
    pData: *mut ck::CK_BYTE,
    ulDataLen: ck::CK_ULONG,
    pSignature: *mut ck::CK_BYTE,
    pulSignatureLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_Sign", || {
        let (hsm, _l) = state::hsm()?;
        let h = hSession as u64;
        let r = (|| {
            // SAFETY: contract.
            let data = unsafe { abi::input(pData, ulDataLen) }?;
            // SAFETY: contract.
            let o = unsafe { abi::OutBuf::new(pSignature, pulSignatureLen) }?;
            o.write(hsm.sign(h, data, o.room()))
        })();
        end_on_error(&hsm, h, ck::CKF_SIGN, r)
    })
}

/// `C_SignUpdate` (§5.11.3).
#[no_mangle]
pub unsafe extern "C" fn C_SignUpdate(
    hSession: ck::CK_SESSION_HANDLE,
    pPart: *mut ck::CK_BYTE,
    ulPartLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_SignUpdate", || {
        let (hsm, _l) = state::hsm()?;
        let h = hSession as u64;
        // SAFETY: contract.
        let r = unsafe { abi::input(pPart, ulPartLen) }.and_then(|d| hsm.sign_update(h, d));
        end_on_error(&hsm, h, ck::CKF_SIGN, r)
    })
}

/// `C_SignFinal` (§5.11.4).
#[no_mangle]
pub unsafe extern "C" fn C_SignFinal(
    hSession: ck::CK_SESSION_HANDLE,
    pSignature: *mut ck::CK_BYTE,
    pulSignatureLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_SignFinal", || {
        let (hsm, _l) = state::hsm()?;
        let h = hSession as u64;
        let r = (|| {
            // SAFETY: contract.
            let o = unsafe { abi::OutBuf::new(pSignature, pulSignatureLen) }?;
            o.write(hsm.sign_final(h, o.room()))
        })();
        end_on_error(&hsm, h, ck::CKF_SIGN, r)
    })
}

/// `C_SignRecoverInit` (§5.11.5): not supported (no mechanism here recovers data).
#[no_mangle]
pub unsafe extern "C" fn C_SignRecoverInit(
    _hSession: ck::CK_SESSION_HANDLE,
    _pMechanism: *mut ck::CK_MECHANISM,
    _hKey: ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_SignRecoverInit", || {
        state::hsm()?;
        Err(Error::FunctionNotSupported)
    })
}

/// `C_SignRecover` (§5.11.6): not supported.
#[no_mangle]
pub unsafe extern "C" fn C_SignRecover(
    _hSession: ck::CK_SESSION_HANDLE,
    _pData: *mut ck::CK_BYTE,
    _ulDataLen: ck::CK_ULONG,
    _pSignature: *mut ck::CK_BYTE,
    _pulSignatureLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_SignRecover", || {
        state::hsm()?;
        Err(Error::FunctionNotSupported)
    })
}

/// `C_VerifyInit` (§5.13.1).
#[no_mangle]
pub unsafe extern "C" fn C_VerifyInit(
    hSession: ck::CK_SESSION_HANDLE,
    pMechanism: *mut ck::CK_MECHANISM,
    hKey: ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_VerifyInit", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let m = unsafe { abi::mechanism(pMechanism) }?;
        hsm.verify_init(hSession as u64, &m, hKey as u64)
    })
}

/// `C_Verify` (§5.13.2).
#[no_mangle]
pub unsafe extern "C" fn C_Verify(
    hSession: ck::CK_SESSION_HANDLE,
    pData: *mut ck::CK_BYTE,
    ulDataLen: ck::CK_ULONG,
    pSignature: *mut ck::CK_BYTE,
    ulSignatureLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_Verify", || {
        let (hsm, _l) = state::hsm()?;
        let h = hSession as u64;
        let r = (|| {
            // SAFETY: contract.
            let data = unsafe { abi::input(pData, ulDataLen) }?;
            // SAFETY: contract.
            let sig = unsafe { abi::input(pSignature, ulSignatureLen) }?;
            hsm.verify(h, data, sig)
        })();
        end_on_error(&hsm, h, ck::CKF_VERIFY, r)
    })
}

/// `C_VerifyUpdate` (§5.13.3).
#[no_mangle]
pub unsafe extern "C" fn C_VerifyUpdate(
    hSession: ck::CK_SESSION_HANDLE,
    pPart: *mut ck::CK_BYTE,
    ulPartLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_VerifyUpdate", || {
        let (hsm, _l) = state::hsm()?;
        let h = hSession as u64;
        // SAFETY: contract.
        let r = unsafe { abi::input(pPart, ulPartLen) }.and_then(|d| hsm.verify_update(h, d));
        end_on_error(&hsm, h, ck::CKF_VERIFY, r)
    })
}

/// `C_VerifyFinal` (§5.13.4).
#[no_mangle]
pub unsafe extern "C" fn C_VerifyFinal(
    hSession: ck::CK_SESSION_HANDLE,
    pSignature: *mut ck::CK_BYTE,
    ulSignatureLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_VerifyFinal", || {
        let (hsm, _l) = state::hsm()?;
        let h = hSession as u64;
        // SAFETY: contract.
        let r = unsafe { abi::input(pSignature, ulSignatureLen) }.and_then(|s| hsm.verify_final(h, s));
        end_on_error(&hsm, h, ck::CKF_VERIFY, r)
    })
}

/// `C_VerifyRecoverInit` (§5.13.5): not supported.
#[no_mangle]
pub unsafe extern "C" fn C_VerifyRecoverInit(
    _hSession: ck::CK_SESSION_HANDLE,
    _pMechanism: *mut ck::CK_MECHANISM,
    _hKey: ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_VerifyRecoverInit", || {
        state::hsm()?;
        Err(Error::FunctionNotSupported)
    })
}

/// `C_VerifyRecover` (§5.13.6): not supported.
#[no_mangle]
pub unsafe extern "C" fn C_VerifyRecover(
    _hSession: ck::CK_SESSION_HANDLE,
    _pSignature: *mut ck::CK_BYTE,
    _ulSignatureLen: ck::CK_ULONG,
    _pData: *mut ck::CK_BYTE,
    _pulDataLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_VerifyRecover", || {
        state::hsm()?;
        Err(Error::FunctionNotSupported)
    })
}
