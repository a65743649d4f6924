//! Encryption and decryption functions (PKCS#11 3.0 §5.8, §5.9).

use super::end_on_error;
use crate::abi::{self, guard};
use crate::state;
use cryptoki_sys as ck;

fn init(
    name: &'static str,
    h: ck::CK_SESSION_HANDLE,
    m: *mut ck::CK_MECHANISM,
    key: ck::CK_OBJECT_HANDLE,
    encrypt: bool,
) -> ck::CK_RV {
    guard(name, || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract of the calling entry point.
        let m = unsafe { abi::mechanism(m) }?;
        hsm.cipher_init(h as u64, &m, key as u64, encrypt)
    })
}

fn flag(encrypt: bool) -> u64 {
    if encrypt {
        ck::CKF_ENCRYPT
    } else {
        ck::CKF_DECRYPT
    }
}

fn once(
    name: &'static str,
    h: ck::CK_SESSION_HANDLE,
    p: *mut u8,
    n: ck::CK_ULONG,
    out: *mut u8,
    out_len: *mut ck::CK_ULONG,
    encrypt: bool,
) -> ck::CK_RV {
    guard(name, || {
        let (hsm, _l) = state::hsm()?;
        let r = (|| {
            // SAFETY: contract of the calling entry point.
            let input = unsafe { abi::input(p, n) }?;
            // SAFETY: contract of the calling entry point.
            let o = unsafe { abi::OutBuf::new(out, out_len) }?;
            o.write(hsm.cipher_once(h as u64, input, o.room(), encrypt))
        })();
        end_on_error(&hsm, h as u64, flag(encrypt), r)
    })
}

fn update(
    name: &'static str,
    h: ck::CK_SESSION_HANDLE,
    p: *mut u8,
    n: ck::CK_ULONG,
    out: *mut u8,
    out_len: *mut ck::CK_ULONG,
    encrypt: bool,
) -> ck::CK_RV {
    guard(name, || {
        let (hsm, _l) = state::hsm()?;
        let r = (|| {
            // SAFETY: contract of the calling entry point.
            let input = unsafe { abi::input(p, n) }?;
            // SAFETY: contract of the calling entry point.
            let o = unsafe { abi::OutBuf::new(out, out_len) }?;
            o.write(hsm.cipher_update(h as u64, input, o.room(), encrypt))
        })();
        end_on_error(&hsm, h as u64, flag(encrypt), r)
    })
}

fn finish(
    name: &'static str,
    h: ck::CK_SESSION_HANDLE,
    out: *mut u8,
    out_len: *mut ck::CK_ULONG,
    encrypt: bool,
) -> ck::CK_RV {
    guard(name, || {
        let (hsm, _l) = state::hsm()?;
        let r = (|| {
            // SAFETY: contract of the calling entry point.
            let o = unsafe { abi::OutBuf::new(out, out_len) }?;
            o.write(hsm.cipher_final(h as u64, o.room(), encrypt))
        })();
        end_on_error(&hsm, h as u64, flag(encrypt), r)
    })
}

/// `C_EncryptInit` (§5.8.1).
#[no_mangle]
pub unsafe extern "C" fn C_EncryptInit(
    hSession: ck::CK_SESSION_HANDLE,
    pMechanism: *mut ck::CK_MECHANISM,
    hKey: ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    init("C_EncryptInit", hSession, pMechanism, hKey, true)
}

/// `C_Encrypt` (§5.8.2).
#[no_mangle]
pub unsafe extern "C" fn C_Encrypt(
    hSession: ck::CK_SESSION_HANDLE,
    pData: *mut ck::CK_BYTE,
    ulDataLen: ck::CK_ULONG,
    pEncryptedData: *mut ck::CK_BYTE,
    pulEncryptedDataLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    once(
        "C_Encrypt",
        hSession,
        pData,
        ulDataLen,
        pEncryptedData,
        pulEncryptedDataLen,
        true,
    )
}

/// `C_EncryptUpdate` (§5.8.3).
#[no_mangle]
pub unsafe extern "C" fn C_EncryptUpdate(
    hSession: ck::CK_SESSION_HANDLE,
    pPart: *mut ck::CK_BYTE,
    ulPartLen: ck::CK_ULONG,
    pEncryptedPart: *mut ck::CK_BYTE,
    pulEncryptedPartLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    update(
        "C_EncryptUpdate",
        hSession,
        pPart,
        ulPartLen,
        pEncryptedPart,
        pulEncryptedPartLen,
        true,
    )
}

/// `C_EncryptFinal` (§5.8.4).
#[no_mangle]
pub unsafe extern "C" fn C_EncryptFinal(
    hSession: ck::CK_SESSION_HANDLE,
    pLastEncryptedPart: *mut ck::CK_BYTE,
    pulLastEncryptedPartLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    finish(
        "C_EncryptFinal",
        hSession,
        pLastEncryptedPart,
        pulLastEncryptedPartLen,
        true,
    )
}

/// `C_DecryptInit` (§5.9.1).
#[no_mangle]
pub unsafe extern "C" fn C_DecryptInit(
    hSession: ck::CK_SESSION_HANDLE,
    pMechanism: *mut ck::CK_MECHANISM,
    hKey: ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    init("C_DecryptInit", hSession, pMechanism, hKey, false)
}

/// `C_Decrypt` (§5.9.2).
#[no_mangle]
pub unsafe extern "C" fn C_Decrypt(
    hSession: ck::CK_SESSION_HANDLE,
    pEncryptedData: *mut ck::CK_BYTE,
    ulEncryptedDataLen: ck::CK_ULONG,
    pData: *mut ck::CK_BYTE,
    pulDataLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    once(
        "C_Decrypt",
        hSession,
        pEncryptedData,
        ulEncryptedDataLen,
        pData,
        pulDataLen,
        false,
    )
}

/// `C_DecryptUpdate` (§5.9.3).
#[no_mangle]
pub unsafe extern "C" fn C_DecryptUpdate(
    hSession: ck::CK_SESSION_HANDLE,
    pEncryptedPart: *mut ck::CK_BYTE,
    ulEncryptedPartLen: ck::CK_ULONG,
    pPart: *mut ck::CK_BYTE,
    pulPartLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    update(
        "C_DecryptUpdate",
        hSession,
        pEncryptedPart,
        ulEncryptedPartLen,
        pPart,
        pulPartLen,
        false,
    )
}

/// `C_DecryptFinal` (§5.9.4).
#[no_mangle]
pub unsafe extern "C" fn C_DecryptFinal(
    hSession: ck::CK_SESSION_HANDLE,
    pLastPart: *mut ck::CK_BYTE,
    pulLastPartLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    finish("C_DecryptFinal", hSession, pLastPart, pulLastPartLen, false)
}
