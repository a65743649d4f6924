//! Slot and token management functions (PKCS#11 3.0 §5.5).

use crate::abi::{self, guard};
use crate::state;
use cryptoki_sys as ck;
use softhsm::Error;

/// `C_GetSlotList` (§5.5.1): the initialised tokens' slots and one free slot.
#[no_mangle]
pub unsafe extern "C" fn C_GetSlotList(
    _tokenPresent: ck::CK_BBOOL,
    pSlotList: *mut ck::CK_SLOT_ID,
    pulCount: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_GetSlotList", || {
        let (hsm, _l) = state::hsm()?;
        let slots = hsm.slot_list()?;
        // SAFETY: contract.
        unsafe { abi::write_list(pSlotList, pulCount, &slots) }
    })
}

/// `C_GetSlotInfo` (§5.5.2).
#[no_mangle]
pub unsafe extern "C" fn C_GetSlotInfo(slotID: ck::CK_SLOT_ID, pInfo: *mut ck::CK_SLOT_INFO) -> ck::CK_RV {
    guard("C_GetSlotInfo", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let info = unsafe { abi::out(pInfo) }?;
        hsm.check_slot(slotID as u64)?;
        abi::pad(&mut info.slotDescription, &format!("softhsm-rs slot {slotID}"));
        abi::pad(&mut info.manufacturerID, "softhsm-rs");
        info.flags = ck::CKF_TOKEN_PRESENT;
        info.hardwareVersion = crate::interface::library_version();
        info.firmwareVersion = crate::interface::library_version();
        Ok(())
    })
}

/// `C_GetTokenInfo` (§5.5.3).
#[no_mangle]
pub unsafe extern "C" fn C_GetTokenInfo(slotID: ck::CK_SLOT_ID, pInfo: *mut ck::CK_TOKEN_INFO) -> ck::CK_RV {
    guard("C_GetTokenInfo", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let info = unsafe { abi::out(pInfo) }?;
        let t = hsm.token_info(slotID as u64)?;
        abi::pad(&mut info.label, &t.label);
        abi::pad(&mut info.manufacturerID, "softhsm-rs");
        abi::pad(&mut info.model, "softhsm-rs");
        abi::pad(&mut info.serialNumber, &t.serial);
        info.flags = t.flags;
        info.ulMaxSessionCount = ck::CK_EFFECTIVELY_INFINITE;
        info.ulSessionCount = t.sessions as ck::CK_ULONG;
        info.ulMaxRwSessionCount = ck::CK_EFFECTIVELY_INFINITE;
        info.ulRwSessionCount = t.rw_sessions as ck::CK_ULONG;
        info.ulMaxPinLen = t.max_pin as ck::CK_ULONG;
        info.ulMinPinLen = t.min_pin as ck::CK_ULONG;
        info.ulTotalPublicMemory = ck::CK_UNAVAILABLE_INFORMATION;
        info.ulFreePublicMemory = ck::CK_UNAVAILABLE_INFORMATION;
        info.ulTotalPrivateMemory = ck::CK_UNAVAILABLE_INFORMATION;
        info.ulFreePrivateMemory = ck::CK_UNAVAILABLE_INFORMATION;
        info.hardwareVersion = crate::interface::library_version();
        info.firmwareVersion = crate::interface::library_version();
        abi::pad(&mut info.utcTime, "");
        Ok(())
    })
}

/// `C_WaitForSlotEvent` (§5.5.4): slots never change by themselves. A NULL `pSlot` (where the
/// slot of an event would be written) or a non-NULL `pReserved` is `CKR_ARGUMENTS_BAD`.
#[no_mangle]
pub unsafe extern "C" fn C_WaitForSlotEvent(
    flags: ck::CK_FLAGS,
    pSlot: *mut ck::CK_SLOT_ID,
    pReserved: ck::CK_VOID_PTR,
) -> ck::CK_RV {
    let mut rv = ck::CKR_FUNCTION_NOT_SUPPORTED;
    let g = guard("C_WaitForSlotEvent", || {
        state::hsm()?;
        if pSlot.is_null() || !pReserved.is_null() {
            return Err(Error::ArgumentsBad);
        }
        if flags & ck::CKF_DONT_BLOCK != 0 {
            rv = ck::CKR_NO_EVENT;
        }
        Ok(())
    });
    if g != ck::CKR_OK {
        g
    } else {
        rv
    }
}

/// `C_GetMechanismList` (§5.5.5).
#[no_mangle]
pub unsafe extern "C" fn C_GetMechanismList(
    slotID: ck::CK_SLOT_ID,
    pMechanismList: *mut ck::CK_MECHANISM_TYPE,
    pulCount: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_GetMechanismList", || {
        let (hsm, _l) = state::hsm()?;
        let list = hsm.mechanism_list(slotID as u64)?;
        // SAFETY: contract.
        unsafe { abi::write_list(pMechanismList, pulCount, &list) }
    })
}

/// `C_GetMechanismInfo` (§5.5.6).
#[no_mangle]
pub unsafe extern "C" fn C_GetMechanismInfo(
    slotID: ck::CK_SLOT_ID,
    type_: ck::CK_MECHANISM_TYPE,
    pInfo: *mut ck::CK_MECHANISM_INFO,
) -> ck::CK_RV {
    guard("C_GetMechanismInfo", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let info = unsafe { abi::out(pInfo) }?;
        let d = hsm.mechanism_info(slotID as u64, type_ as u64)?;
        info.ulMinKeySize = d.min as ck::CK_ULONG;
        info.ulMaxKeySize = d.max as ck::CK_ULONG;
        info.flags = d.flags as ck::CK_FLAGS;
        Ok(())
    })
}

/// `C_InitToken` (§5.5.7): on the free slot it creates a token (and a new free slot appears);
/// on an existing token it needs the SO PIN and erases every object.
#[no_mangle]
pub unsafe extern "C" fn C_InitToken(
    slotID: ck::CK_SLOT_ID,
    pPin: *mut ck::CK_UTF8CHAR,
    ulPinLen: ck::CK_ULONG,
    pLabel: *mut ck::CK_UTF8CHAR,
) -> ck::CK_RV {
    guard("C_InitToken", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let pin = unsafe { abi::input(pPin, ulPinLen) }?;
        if pPin.is_null() {
            return Err(Error::ArgumentsBad);
        }
        // SAFETY: the label is a 32-byte field (contract).
        let label = unsafe { abi::input(pLabel, 32) }?;
        hsm.init_token(slotID as u64, pin, label)
    })
}

/// `C_InitPIN` (§5.5.8).
#[no_mangle]
pub unsafe extern "C" fn C_InitPIN(
    hSession: ck::CK_SESSION_HANDLE,
    pPin: *mut ck::CK_UTF8CHAR,
    ulPinLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_InitPIN", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let pin = unsafe { abi::input(pPin, ulPinLen) }?;
        hsm.init_pin(hSession as u64, pin)
    })
}

/// `C_SetPIN` (§5.5.9).
#[no_mangle]
pub unsafe extern "C" fn C_SetPIN(
    hSession: ck::CK_SESSION_HANDLE,
    pOldPin: *mut ck::CK_UTF8CHAR,
    ulOldLen: ck::CK_ULONG,
    pNewPin: *mut ck::CK_UTF8CHAR,
    ulNewLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_SetPIN", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let old = unsafe { abi::input(pOldPin, ulOldLen) }?;
        // SAFETY: contract.
        let new = unsafe { abi::input(pNewPin, ulNewLen) }?;
        hsm.set_pin(hSession as u64, old, new)
    })
}
