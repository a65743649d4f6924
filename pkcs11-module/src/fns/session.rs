//! Session management functions (PKCS#11 3.0 §5.6).

use crate::abi::{self, guard};
use crate::state;
use cryptoki_sys as ck;
use softhsm::Error;

/// `C_OpenSession` (§5.6.1). Notification callbacks are never called.
#[no_mangle]
pub unsafe extern "C" fn C_OpenSession(
    slotID: ck::CK_SLOT_ID,
    flags: ck::CK_FLAGS,
    _pApplication: ck::CK_VOID_PTR,
    _Notify: ck::CK_NOTIFY,
    phSession: *mut ck::CK_SESSION_HANDLE,
) -> ck::CK_RV {
    guard("C_OpenSession", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let out = unsafe { abi::out(phSession) }?;
        *out = hsm.open_session(slotID as u64, flags as u64)? as ck::CK_SESSION_HANDLE;
        Ok(())
    })
}

/// `C_CloseSession` (§5.6.2).
#[no_mangle]
pub unsafe extern "C" fn C_CloseSession(hSession: ck::CK_SESSION_HANDLE) -> ck::CK_RV {
    guard("C_CloseSession", || {
        state::hsm()?.0.close_session(hSession as u64)
    })
}

/// `C_CloseAllSessions` (§5.6.3).
#[no_mangle]
pub unsafe extern "C" fn C_CloseAllSessions(slotID: ck::CK_SLOT_ID) -> ck::CK_RV {
    guard("C_CloseAllSessions", || {
        state::hsm()?.0.close_all_sessions(slotID as u64)
    })
}

/// `C_GetSessionInfo` (§5.6.4).
#[no_mangle]
pub unsafe extern "C" fn C_GetSessionInfo(
    hSession: ck::CK_SESSION_HANDLE,
    pInfo: *mut ck::CK_SESSION_INFO,
) -> ck::CK_RV {
    guard("C_GetSessionInfo", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let info = unsafe { abi::out(pInfo) }?;
        let s = hsm.session_info(hSession as u64)?;
        info.slotID = s.slot as ck::CK_SLOT_ID;
        info.state = s.state as ck::CK_STATE;
        info.flags = s.flags as ck::CK_FLAGS;
        info.ulDeviceError = 0;
        Ok(())
    })
}

/// `C_SessionCancel` (§5.6.5).
#[no_mangle]
pub unsafe extern "C" fn C_SessionCancel(hSession: ck::CK_SESSION_HANDLE, flags: ck::CK_FLAGS) -> ck::CK_RV {
    guard("C_SessionCancel", || {
        state::hsm()?.0.session_cancel(hSession as u64, flags as u64)
    })
}

/// `C_GetOperationState` (§5.6.6): not supported (operation state would carry key material
/// out of the token).
#[no_mangle]
pub unsafe extern "C" fn C_GetOperationState(
    _hSession: ck::CK_SESSION_HANDLE,
    _pOperationState: *mut ck::CK_BYTE,
    _pulOperationStateLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_GetOperationState", || {
        state::hsm()?;
        Err(Error::FunctionNotSupported)
    })
}

/// `C_SetOperationState` (§5.6.7): not supported (see `C_GetOperationState`).
#[no_mangle]
pub unsafe extern "C" fn C_SetOperationState(
    _hSession: ck::CK_SESSION_HANDLE,
    _pOperationState: *mut ck::CK_BYTE,
    _ulOperationStateLen: ck::CK_ULONG,
    _hEncryptionKey: ck::CK_OBJECT_HANDLE,
    _hAuthenticationKey: ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_SetOperationState", || {
        state::hsm()?;
        Err(Error::FunctionNotSupported)
    })
}

/// `C_Login` (§5.6.8): SO, user, and context-specific (for `CKA_ALWAYS_AUTHENTICATE` keys).
#[no_mangle]
pub unsafe extern "C" fn C_Login(
    hSession: ck::CK_SESSION_HANDLE,
    userType: ck::CK_USER_TYPE,
    pPin: *mut ck::CK_UTF8CHAR,
    ulPinLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_Login", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let pin = unsafe { abi::input(pPin, ulPinLen) }?;
        hsm.login(hSession as u64, userType as u64, pin)
    })
}

/// `C_LoginUser` (§5.6.9): as `C_Login`; the token has no user names, so any is accepted.
#[no_mangle]
pub unsafe extern "C" fn C_LoginUser(
    hSession: ck::CK_SESSION_HANDLE,
    userType: ck::CK_USER_TYPE,
    pPin: *mut ck::CK_UTF8CHAR,
    ulPinLen: ck::CK_ULONG,
    pUsername: *mut ck::CK_UTF8CHAR,
    ulUsernameLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_LoginUser", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let pin = unsafe { abi::input(pPin, ulPinLen) }?;
        // SAFETY: contract (checked for validity, not used).
        let _name = unsafe { abi::input(pUsername, ulUsernameLen) }?;
        hsm.login(hSession as u64, userType as u64, pin)
    })
}

/// `C_Logout` (§5.6.10).
#[no_mangle]
pub unsafe extern "C" fn C_Logout(hSession: ck::CK_SESSION_HANDLE) -> ck::CK_RV {
    guard("C_Logout", || state::hsm()?.0.logout(hSession as u64))
}
