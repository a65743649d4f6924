//! General-purpose functions (PKCS#11 3.0 §5.4) and the interface functions.

use crate::abi::{self, guard};
use crate::interface;
use crate::state;
use cryptoki_sys as ck;
use softhsm::Error;

/// `C_Initialize` (PKCS#11 3.0 §5.4.1).
#[no_mangle]
pub unsafe extern "C" fn C_Initialize(pInitArgs: ck::CK_VOID_PTR) -> ck::CK_RV {
    guard("C_Initialize", || {
        // SAFETY: NULL or a CK_C_INITIALIZE_ARGS, per the function's contract.
        let args = unsafe { (pInitArgs as *const ck::CK_C_INITIALIZE_ARGS).as_ref() };
        state::initialize(args)
    })
}

/// `C_Finalize` (§5.4.2).
#[no_mangle]
pub unsafe extern "C" fn C_Finalize(pReserved: ck::CK_VOID_PTR) -> ck::CK_RV {
    guard("C_Finalize", || {
        if !pReserved.is_null() {
            return Err(Error::ArgumentsBad);
        }
        state::finalize()
    })
}

/// `C_GetInfo` (§5.4.3).
#[no_mangle]
pub unsafe extern "C" fn C_GetInfo(pInfo: *mut ck::CK_INFO) -> ck::CK_RV {
    guard("C_GetInfo", || {
        let _h = state::hsm()?;
        // SAFETY: contract.
        let info = unsafe { abi::out(pInfo) }?;
        info.cryptokiVersion = ck::CK_VERSION { major: 3, minor: 0 };
        abi::pad(&mut info.manufacturerID, "softhsm-rs");
        info.flags = 0;
        abi::pad(&mut info.libraryDescription, "softhsm-rs PKCS#11 module");
        info.libraryVersion = interface::library_version();
        Ok(())
    })
}

/// `C_GetFunctionList` (§5.4.4): the 2.40 table, stamped 2.40. The 3.0 table is reached
/// through `C_GetInterface`.
#[no_mangle]
pub unsafe extern "C" fn C_GetFunctionList(ppFunctionList: *mut *mut ck::CK_FUNCTION_LIST) -> ck::CK_RV {
    guard("C_GetFunctionList", || {
        // SAFETY: contract.
        let out = unsafe { abi::out(ppFunctionList) }?;
        *out = interface::function_list_2_40();
        Ok(())
    })
}

/// `C_GetInterfaceList` (§5.4.5).
#[no_mangle]
pub unsafe extern "C" fn C_GetInterfaceList(
    pInterfacesList: *mut ck::CK_INTERFACE,
    pulCount: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_GetInterfaceList", || {
        // SAFETY: contract.
        let count = unsafe { abi::out(pulCount) }?;
        let all = interface::interfaces();
        if pInterfacesList.is_null() {
            *count = all.len() as ck::CK_ULONG;
            return Ok(());
        }
        if (*count as usize) < all.len() {
            *count = all.len() as ck::CK_ULONG;
            return Err(Error::BufferTooSmall { needed: all.len() });
        }
        for (i, itf) in all.iter().enumerate() {
            // SAFETY: the caller's array holds *count >= all.len() elements.
            unsafe { *pInterfacesList.add(i) = *itf };
        }
        *count = all.len() as ck::CK_ULONG;
        Ok(())
    })
}

/// `C_GetInterface` (§5.4.6): "PKCS 11" at version 3.0 (the default) or 2.40.
#[no_mangle]
pub unsafe extern "C" fn C_GetInterface(
    pInterfaceName: *mut ck::CK_UTF8CHAR,
    pVersion: *mut ck::CK_VERSION,
    ppInterface: *mut *mut ck::CK_INTERFACE,
    flags: ck::CK_FLAGS,
) -> ck::CK_RV {
    guard("C_GetInterface", || {
        // SAFETY: contract.
        let out = unsafe { abi::out(ppInterface) }?;
        if !pInterfaceName.is_null() {
            // SAFETY: a NUL-terminated string, per the function's contract.
            let name = unsafe { std::ffi::CStr::from_ptr(pInterfaceName as *const std::ffi::c_char) };
            if name.to_bytes() != b"PKCS 11" {
                return Err(Error::ArgumentsBad);
            }
        }
        // SAFETY: NULL or a CK_VERSION (contract).
        let version = unsafe { pVersion.as_ref() }.map(|v| (v.major, v.minor));
        *out = interface::find(version, flags).ok_or(Error::ArgumentsBad)?;
        Ok(())
    })
}
