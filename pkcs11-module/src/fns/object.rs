//! Object management functions (PKCS#11 3.0 §5.7).

use crate::abi::{self, guard};
use crate::state;
use cryptoki_sys as ck;
use softhsm::Error;

/// `C_CreateObject` (§5.7.1).
#[no_mangle]
pub unsafe extern "C" fn C_CreateObject(
    hSession: ck::CK_SESSION_HANDLE,
    pTemplate: *mut ck::CK_ATTRIBUTE,
    ulCount: ck::CK_ULONG,
    phObject: *mut ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_CreateObject", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let t = unsafe { abi::template(pTemplate, ulCount) }?;
        // SAFETY: contract.
        let out = unsafe { abi::out(phObject) }?;
        *out = hsm.create_object(hSession as u64, &t)? as ck::CK_OBJECT_HANDLE;
        Ok(())
    })
}

/// `C_CopyObject` (§5.7.2).
#[no_mangle]
pub unsafe extern "C" fn C_CopyObject(
    hSession: ck::CK_SESSION_HANDLE,
    hObject: ck::CK_OBJECT_HANDLE,
    pTemplate: *mut ck::CK_ATTRIBUTE,
    ulCount: ck::CK_ULONG,
    phNewObject: *mut ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_CopyObject", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let t = unsafe { abi::template(pTemplate, ulCount) }?;
        // SAFETY: contract.
        let out = unsafe { abi::out(phNewObject) }?;
        *out = hsm.copy_object(hSession as u64, hObject as u64, &t)? as ck::CK_OBJECT_HANDLE;
        Ok(())
    })
}

/// `C_DestroyObject` (§5.7.3).
#[no_mangle]
pub unsafe extern "C" fn C_DestroyObject(
    hSession: ck::CK_SESSION_HANDLE,
    hObject: ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_DestroyObject", || {
        state::hsm()?.0.destroy_object(hSession as u64, hObject as u64)
    })
}

/// `C_GetObjectSize` (§5.7.4).
#[no_mangle]
pub unsafe extern "C" fn C_GetObjectSize(
    hSession: ck::CK_SESSION_HANDLE,
    hObject: ck::CK_OBJECT_HANDLE,
    pulSize: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_GetObjectSize", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let out = unsafe { abi::out(pulSize) }?;
        *out = hsm.object_size(hSession as u64, hObject as u64)? as ck::CK_ULONG;
        Ok(())
    })
}

/// `C_GetAttributeValue` (§5.7.5): every entry is answered; sensitive values report
/// `CK_UNAVAILABLE_INFORMATION` with `CKR_ATTRIBUTE_SENSITIVE`.
#[no_mangle]
pub unsafe extern "C" fn C_GetAttributeValue(
    hSession: ck::CK_SESSION_HANDLE,
    hObject: ck::CK_OBJECT_HANDLE,
    pTemplate: *mut ck::CK_ATTRIBUTE,
    ulCount: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_GetAttributeValue", || {
        let (hsm, _l) = state::hsm()?;
        let n = usize::try_from(ulCount).map_err(|_| Error::ArgumentsBad)?;
        if n > 0 && pTemplate.is_null() {
            return Err(Error::ArgumentsBad);
        }
        if n > abi::MAX_TEMPLATE_LEN {
            return Err(Error::ArgumentsBad);
        }
        let types: Vec<u64> = (0..n)
            // SAFETY: the template has n readable entries (contract).
            .map(|i| unsafe { (*pTemplate.add(i)).type_ } as u64)
            .collect();
        let answers = hsm.get_attributes(hSession as u64, hObject as u64, &types)?;
        if n == 0 {
            return Ok(());
        }
        // SAFETY: the template has n writable entries (contract).
        unsafe { abi::fill_template(pTemplate, n, &answers) }
    })
}

/// `C_SetAttributeValue` (§5.7.6).
#[no_mangle]
pub unsafe extern "C" fn C_SetAttributeValue(
    hSession: ck::CK_SESSION_HANDLE,
    hObject: ck::CK_OBJECT_HANDLE,
    pTemplate: *mut ck::CK_ATTRIBUTE,
    ulCount: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_SetAttributeValue", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let t = unsafe { abi::template(pTemplate, ulCount) }?;
        hsm.set_attributes(hSession as u64, hObject as u64, &t)
    })
}

/// `C_FindObjectsInit` (§5.7.7): matches on any public attribute; index-backed for token objects.
#[no_mangle]
pub unsafe extern "C" fn C_FindObjectsInit(
    hSession: ck::CK_SESSION_HANDLE,
    pTemplate: *mut ck::CK_ATTRIBUTE,
    ulCount: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_FindObjectsInit", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let t = unsafe { abi::template(pTemplate, ulCount) };
        match t {
            Ok(t) => hsm.find_init(hSession as u64, &t),
            // A value the token would reject on create simply matches nothing.
            Err(Error::AttributeValueInvalid) => hsm.find_init(hSession as u64, &[(u64::MAX, Vec::new())]),
            Err(e) => Err(e),
        }
    })
}

/// `C_FindObjects` (§5.7.8).
#[no_mangle]
pub unsafe extern "C" fn C_FindObjects(
    hSession: ck::CK_SESSION_HANDLE,
    phObject: *mut ck::CK_OBJECT_HANDLE,
    ulMaxObjectCount: ck::CK_ULONG,
    pulObjectCount: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_FindObjects", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let count = unsafe { abi::out(pulObjectCount) }?;
        if phObject.is_null() && ulMaxObjectCount > 0 {
            return Err(Error::ArgumentsBad);
        }
        let found = hsm.find(hSession as u64, ulMaxObjectCount as usize)?;
        for (i, h) in found.iter().enumerate() {
            // SAFETY: found.len() <= ulMaxObjectCount writable elements (contract).
            unsafe { *phObject.add(i) = *h as ck::CK_OBJECT_HANDLE };
        }
        *count = found.len() as ck::CK_ULONG;
        Ok(())
    })
}

/// `C_FindObjectsFinal` (§5.7.9).
#[no_mangle]
pub unsafe extern "C" fn C_FindObjectsFinal(hSession: ck::CK_SESSION_HANDLE) -> ck::CK_RV {
    guard("C_FindObjectsFinal", || {
        state::hsm()?.0.find_final(hSession as u64)
    })
}
