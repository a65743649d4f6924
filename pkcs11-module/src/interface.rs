//! The function tables: a 2.40 table (what `C_GetFunctionList` returns, stamped 2.40) and a 3.0
//! table (reached through `C_GetInterface`). Every slot of both is filled; functions the module
//! does not offer return `CKR_FUNCTION_NOT_SUPPORTED` rather than leaving a NULL that crashes
//! callers.
#![allow(unsafe_code)]

use crate::fns::{
    crypt::*, digest::*, general::*, key::*, object::*, session::*, sign::*, slot::*, unsupported::*,
};
use cryptoki_sys as ck;
use std::ffi::c_void;

macro_rules! table {
    ($ty:ident, $major:expr, $minor:expr, [$($f:ident),* $(,)?]) => {
        ck::$ty {
            version: ck::CK_VERSION { major: $major, minor: $minor },
            $( $f: Some($f), )*
        }
    };
}

macro_rules! v2_functions {
    ($mac:ident, $ty:ident, $major:expr, $minor:expr $(, $extra:ident)*) => {
        $mac!($ty, $major, $minor, [
            C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList, C_GetSlotList, C_GetSlotInfo,
            C_GetTokenInfo, C_GetMechanismList, C_GetMechanismInfo, C_InitToken, C_InitPIN, C_SetPIN,
            C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo, C_GetOperationState,
            C_SetOperationState, C_Login, C_Logout, C_CreateObject, C_CopyObject, C_DestroyObject,
            C_GetObjectSize, C_GetAttributeValue, C_SetAttributeValue, C_FindObjectsInit, C_FindObjects,
            C_FindObjectsFinal, C_EncryptInit, C_Encrypt, C_EncryptUpdate, C_EncryptFinal, C_DecryptInit,
            C_Decrypt, C_DecryptUpdate, C_DecryptFinal, C_DigestInit, C_Digest, C_DigestUpdate,
            C_DigestKey, C_DigestFinal, C_SignInit, C_Sign, C_SignUpdate, C_SignFinal, C_SignRecoverInit,
            C_SignRecover, C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal, C_VerifyRecoverInit,
            C_VerifyRecover, C_DigestEncryptUpdate, C_DecryptDigestUpdate, C_SignEncryptUpdate,
            C_DecryptVerifyUpdate, C_GenerateKey, C_GenerateKeyPair, C_WrapKey, C_UnwrapKey, C_DeriveKey,
            C_SeedRandom, C_GenerateRandom, C_GetFunctionStatus, C_CancelFunction, C_WaitForSlotEvent
            $(, $extra)*
        ])
    };
}

/// Number of functions in the 2.40 table and in the 3.0 table.
const N_2_40: usize = 68;
const N_3_0: usize = 92;

static FUNCTIONS_2_40: ck::CK_FUNCTION_LIST = v2_functions!(table, CK_FUNCTION_LIST, 2, 40);

static FUNCTIONS_3_0: ck::CK_FUNCTION_LIST_3_0 = v2_functions!(
    table,
    CK_FUNCTION_LIST_3_0,
    3,
    0,
    C_GetInterfaceList,
    C_GetInterface,
    C_LoginUser,
    C_SessionCancel,
    C_MessageEncryptInit,
    C_EncryptMessage,
    C_EncryptMessageBegin,
    C_EncryptMessageNext,
    C_MessageEncryptFinal,
    C_MessageDecryptInit,
    C_DecryptMessage,
    C_DecryptMessageBegin,
    C_DecryptMessageNext,
    C_MessageDecryptFinal,
    C_MessageSignInit,
    C_SignMessage,
    C_SignMessageBegin,
    C_SignMessageNext,
    C_MessageSignFinal,
    C_MessageVerifyInit,
    C_VerifyMessage,
    C_VerifyMessageBegin,
    C_VerifyMessageNext,
    C_MessageVerifyFinal
);

// Layouts fixed by the standard's headers, checked at compile time: a table is its version
// (padded to 8 bytes) followed by one pointer per function.
const _: () = {
    use std::mem::size_of;
    assert!(size_of::<ck::CK_FUNCTION_LIST>() == 8 + N_2_40 * size_of::<usize>());
    assert!(size_of::<ck::CK_FUNCTION_LIST_3_0>() == 8 + N_3_0 * size_of::<usize>());
    assert!(size_of::<ck::CK_ATTRIBUTE>() == 3 * size_of::<usize>());
    assert!(size_of::<ck::CK_MECHANISM>() == 3 * size_of::<usize>());
    assert!(size_of::<ck::CK_INTERFACE>() == 3 * size_of::<usize>());
    assert!(size_of::<ck::CK_ULONG>() == size_of::<u64>());
};

static NAME: &[u8] = b"PKCS 11\0";

/// The interfaces offered, in preference order. The records live in writable memory: some
/// wrappers (OpenSC's pkcs11-spy) write their own function list into the record
/// `C_GetInterface` returns, and a read-only record would make them crash.
struct Interfaces(std::cell::UnsafeCell<[ck::CK_INTERFACE; 2]>);

// SAFETY: this module never writes the records after initialisation; callers may write the
// record they were given (their own responsibility under PKCS#11 §5.4.6, as with any module's
// interface record), and readers copy it field by field.
unsafe impl Sync for Interfaces {}

static INTERFACES: Interfaces = Interfaces(std::cell::UnsafeCell::new([
    ck::CK_INTERFACE {
        pInterfaceName: NAME.as_ptr() as *mut u8,
        pFunctionList: &FUNCTIONS_3_0 as *const ck::CK_FUNCTION_LIST_3_0 as *mut c_void,
        flags: 0,
    },
    ck::CK_INTERFACE {
        pInterfaceName: NAME.as_ptr() as *mut u8,
        pFunctionList: &FUNCTIONS_2_40 as *const ck::CK_FUNCTION_LIST as *mut c_void,
        flags: 0,
    },
]));

/// Pointer to interface record `i` (0: 3.0, 1: 2.40).
fn record(i: usize) -> *mut ck::CK_INTERFACE {
    // SAFETY: `i` is 0 or 1 (both callers), inside the two-element array.
    unsafe { (INTERFACES.0.get() as *mut ck::CK_INTERFACE).add(i) }
}

/// The 2.40 function table.
pub fn function_list_2_40() -> *mut ck::CK_FUNCTION_LIST {
    &FUNCTIONS_2_40 as *const ck::CK_FUNCTION_LIST as *mut ck::CK_FUNCTION_LIST
}

/// Copies of all interface records, 3.0 first.
pub fn interfaces() -> [ck::CK_INTERFACE; 2] {
    // SAFETY: the records are valid for the life of the library; each is read by value.
    [0, 1].map(|i| unsafe { std::ptr::read(record(i)) })
}

/// The interface of `version` (default 3.0) offering every flag in `flags`.
pub fn find(version: Option<(u8, u8)>, flags: ck::CK_FLAGS) -> Option<*mut ck::CK_INTERFACE> {
    let idx = match version {
        None | Some((3, 0)) => 0,
        Some((2, 40)) => 1,
        _ => return None,
    };
    (interfaces()[idx].flags & flags == flags).then(|| record(idx))
}

/// This library's version, for the info structures.
pub fn library_version() -> ck::CK_VERSION {
    ck::CK_VERSION {
        major: env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap_or(0),
        minor: env!("CARGO_PKG_VERSION_MINOR").parse().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_their_versions_and_no_empty_slot() {
        assert_eq!(
            (FUNCTIONS_2_40.version.major, FUNCTIONS_2_40.version.minor),
            (2, 40)
        );
        assert_eq!((FUNCTIONS_3_0.version.major, FUNCTIONS_3_0.version.minor), (3, 0));
        // Every slot after the version is a non-NULL function pointer.
        // SAFETY: the tables are repr(C) structs of a CK_VERSION (padded to 8) followed by
        // Option<fn> fields, each pointer-sized with NULL for None.
        let slots = |p: *const u8, n: usize| -> Vec<usize> {
            (0..n)
                .map(|i| unsafe { *(p.add(8 + i * 8) as *const usize) })
                .collect()
        };
        let v2 = slots(&FUNCTIONS_2_40 as *const _ as *const u8, N_2_40);
        let v3 = slots(&FUNCTIONS_3_0 as *const _ as *const u8, N_3_0);
        assert!(v2.iter().all(|p| *p != 0));
        assert!(v3.iter().all(|p| *p != 0));
        assert_eq!(&v3[..N_2_40], &v2[..], "3.0 table starts with the 2.40 functions");
    }

    #[test]
    fn interface_lookup() {
        assert!(find(None, 0).is_some());
        assert!(find(Some((2, 40)), 0).is_some());
        assert!(find(Some((2, 20)), 0).is_none());
        assert!(find(None, ck::CKF_INTERFACE_FORK_SAFE).is_none());
    }
}
