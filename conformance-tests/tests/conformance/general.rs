//! General-purpose functions: C_GetInfo, function lists, interfaces,
//! initialisation errors, unsupported functions, and the lifecycle helper
//! binary (C_Initialize/C_Finalize semantics, fork, locking callbacks).

use crate::util::*;
use std::ffi::CStr;

/// Number of function pointers in a table, counted from C_Initialize.
fn slots_of<T>(first_fn_offset: usize) -> usize {
    (std::mem::size_of::<T>() - first_fn_offset) / std::mem::size_of::<usize>()
}

/// Asserts that every function pointer of the table at `ptr` is non-NULL.
fn assert_table_complete<T>(ptr: *const T, first_fn_offset: usize, what: &str) {
    let n = slots_of::<T>(first_fn_offset);
    for i in 0..n {
        // SAFETY: `ptr` points to a live table of type T; we read its
        // function-pointer words one by one.
        let word = unsafe {
            std::ptr::read_unaligned(
                (ptr as *const u8).add(first_fn_offset + i * std::mem::size_of::<usize>()) as *const usize,
            )
        };
        assert_ne!(word, 0, "{what}: function pointer #{i} is NULL");
    }
}

#[test]
fn get_info_reports_cryptoki_version() {
    let info = pkcs11().get_library_info().expect("C_GetInfo");
    let v = info.cryptoki_version();
    if is_softhsm2() {
        assert!(
            (v.major(), v.minor()) >= (2, 40),
            "cryptoki version {}.{} < 2.40",
            v.major(),
            v.minor()
        );
    } else {
        assert_eq!((v.major(), v.minor()), (3, 0), "cryptokiVersion");
    }
    assert!(!info.manufacturer_id().trim().is_empty(), "manufacturerID empty");
    assert!(
        !info.library_description().trim().is_empty(),
        "libraryDescription empty"
    );

    // Raw: NULL pointer is rejected.
    assert_ckr!(p11!(C_GetInfo(std::ptr::null_mut())), CKR_ARGUMENTS_BAD);
    // Raw: blank-padded, not NUL-terminated strings and zero flags.
    let mut ci = CK_INFO::default();
    assert_ckr!(p11!(C_GetInfo(&mut ci)), CKR_OK);
    assert_eq!(ci.flags, 0, "CK_INFO.flags must be 0");
    assert!(
        !ci.manufacturerID.contains(&0) && !ci.libraryDescription.contains(&0),
        "CK_INFO strings must be blank padded, not NUL terminated"
    );
}

#[test]
fn get_function_list_is_complete_and_240() {
    let lib = conformance_tests::harness::raw::lib();
    let mut list: *mut CK_FUNCTION_LIST = std::ptr::null_mut();
    // SAFETY: valid out pointer.
    let rv = unsafe { lib.C_GetFunctionList(&mut list) };
    assert_ckr!(rv, CKR_OK);
    assert!(!list.is_null());
    // SAFETY: module-owned table.
    let v = unsafe { (*list).version };
    assert_eq!((v.major, v.minor), (2, 40), "C_GetFunctionList table version");
    assert_table_complete(
        list as *const CK_FUNCTION_LIST,
        std::mem::offset_of!(CK_FUNCTION_LIST, C_Initialize),
        "C_GetFunctionList table",
    );
    // SAFETY: NULL is the invalid argument under test.
    let rv = unsafe { lib.C_GetFunctionList(std::ptr::null_mut()) };
    assert_ckr!(rv, CKR_ARGUMENTS_BAD);
    // The list reachable through the table's own C_GetFunctionList is the same.
    let mut again: *mut CK_FUNCTION_LIST = std::ptr::null_mut();
    assert_ckr!(p11!(C_GetFunctionList(&mut again)), CKR_OK);
    assert_eq!(again, list, "C_GetFunctionList must return the same table");
}

#[test]
fn interface_list_and_get_interface() {
    let lib = conformance_tests::harness::raw::lib();
    if lib.C_GetInterfaceList.is_err()
        && diverges("PKCS#11 2.40 module: exports no C_GetInterfaceList/C_GetInterface")
    {
        return;
    }
    let mut count: CK_ULONG = 0;
    // SAFETY: NULL list asks for the count.
    assert_ckr!(
        unsafe { lib.C_GetInterfaceList(std::ptr::null_mut(), &mut count) },
        CKR_OK
    );
    assert!(
        count >= 2,
        "expected at least the 3.0 and 2.40 interfaces, got {count}"
    );
    // SAFETY: NULL count is invalid.
    assert_ckr!(
        unsafe { lib.C_GetInterfaceList(std::ptr::null_mut(), std::ptr::null_mut()) },
        CKR_ARGUMENTS_BAD
    );
    let mut ifaces = vec![
        CK_INTERFACE {
            pInterfaceName: std::ptr::null_mut(),
            pFunctionList: std::ptr::null_mut(),
            flags: 0,
        };
        count as usize
    ];
    if count > 1 {
        let mut short = count - 1;
        // SAFETY: buffer of `count` entries, announced shorter.
        assert_ckr!(
            unsafe { lib.C_GetInterfaceList(ifaces.as_mut_ptr(), &mut short) },
            CKR_BUFFER_TOO_SMALL
        );
        assert_eq!(short, count, "needed count after CKR_BUFFER_TOO_SMALL");
    }
    let mut n = count;
    // SAFETY: buffer of `count` entries.
    assert_ckr!(
        unsafe { lib.C_GetInterfaceList(ifaces.as_mut_ptr(), &mut n) },
        CKR_OK
    );
    assert_eq!(n, count);
    let mut versions = Vec::new();
    for iface in &ifaces {
        assert!(!iface.pInterfaceName.is_null() && !iface.pFunctionList.is_null());
        // SAFETY: NUL-terminated name owned by the module.
        let name = unsafe { CStr::from_ptr(iface.pInterfaceName as *const _) };
        if name.to_bytes() != b"PKCS 11" {
            continue;
        }
        // SAFETY: every "PKCS 11" table starts with its CK_VERSION.
        let v = unsafe { *(iface.pFunctionList as *const CK_VERSION) };
        versions.push((v.major, v.minor));
        if v.major >= 3 {
            assert_table_complete(
                iface.pFunctionList as *const CK_FUNCTION_LIST_3_0,
                std::mem::offset_of!(CK_FUNCTION_LIST_3_0, C_Initialize),
                "3.0 interface table",
            );
        } else {
            assert_table_complete(
                iface.pFunctionList as *const CK_FUNCTION_LIST,
                std::mem::offset_of!(CK_FUNCTION_LIST, C_Initialize),
                "2.40 interface table",
            );
        }
    }
    assert!(
        versions.contains(&(3, 0)),
        "no PKCS 11 3.0 interface in {versions:?}"
    );
    assert!(
        versions.contains(&(2, 40)),
        "no PKCS 11 2.40 interface in {versions:?}"
    );

    let name = b"PKCS 11\0";
    for (major, minor) in [(3u8, 0u8), (2, 40)] {
        let mut ver = CK_VERSION { major, minor };
        let mut iface: *mut CK_INTERFACE = std::ptr::null_mut();
        // SAFETY: valid pointers.
        let rv = unsafe { lib.C_GetInterface(name.as_ptr() as *mut u8, &mut ver, &mut iface, 0) };
        assert_ckr!(rv, CKR_OK);
        assert!(!iface.is_null());
        // SAFETY: module-owned interface.
        let (fl, v) = unsafe {
            let fl = (*iface).pFunctionList;
            (fl, *(fl as *const CK_VERSION))
        };
        assert_eq!(
            (v.major, v.minor),
            (major, minor),
            "C_GetInterface({major}.{minor})"
        );
        if major == 3 {
            assert_table_complete(
                fl as *const CK_FUNCTION_LIST_3_0,
                std::mem::offset_of!(CK_FUNCTION_LIST_3_0, C_Initialize),
                "C_GetInterface(3.0)",
            );
        } else {
            assert_table_complete(
                fl as *const CK_FUNCTION_LIST,
                std::mem::offset_of!(CK_FUNCTION_LIST, C_Initialize),
                "C_GetInterface(2.40)",
            );
        }
    }
    // Default interface (NULL name, NULL version).
    let mut iface: *mut CK_INTERFACE = std::ptr::null_mut();
    // SAFETY: valid out pointer.
    let rv = unsafe { lib.C_GetInterface(std::ptr::null_mut(), std::ptr::null_mut(), &mut iface, 0) };
    assert_ckr!(rv, CKR_OK);
    assert!(!iface.is_null());
    // NULL out pointer.
    // SAFETY: NULL is the invalid argument under test.
    let rv = unsafe {
        lib.C_GetInterface(
            name.as_ptr() as *mut u8,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    assert_ckr!(rv, CKR_ARGUMENTS_BAD);
    // Unknown interface name is not found.
    let mut iface: *mut CK_INTERFACE = std::ptr::null_mut();
    // SAFETY: valid pointers.
    let rv = unsafe {
        lib.C_GetInterface(
            c"No Such Interface".as_ptr() as *mut u8,
            std::ptr::null_mut(),
            &mut iface,
            0,
        )
    };
    assert_ne!(rv, CKR_OK, "C_GetInterface of an unknown name must fail");
}

#[test]
fn double_initialize_is_already_initialized() {
    let p11 = pkcs11();
    let res = p11.initialize(cryptoki::context::CInitializeArgs::new(
        cryptoki::context::CInitializeFlags::OS_LOCKING_OK,
    ));
    assert_rv!(res, CryptokiAlreadyInitialized);
    assert_ckr!(
        p11!(C_Initialize(std::ptr::null_mut())),
        CKR_CRYPTOKI_ALREADY_INITIALIZED
    );
    // The shared instance still works.
    p11.get_library_info().expect("C_GetInfo after double init");
}

#[test]
fn unsupported_functions_are_not_supported() {
    let (slot, _, _) = fresh_token("general-unsupported");
    let s = pkcs11().open_rw_session(slot).expect("open session");
    let h = s.handle();
    let mut len: CK_ULONG = 0;
    assert_ckr!(
        p11!(C_GetOperationState(h, std::ptr::null_mut(), &mut len)),
        CKR_FUNCTION_NOT_SUPPORTED
    );
    let mut data = [0u8; 4];
    let mut out = [0u8; 512];
    let mut out_len: CK_ULONG = out.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_SignRecover(
            h,
            data.as_mut_ptr(),
            data.len() as CK_ULONG,
            out.as_mut_ptr(),
            &mut out_len
        )),
        CKR_FUNCTION_NOT_SUPPORTED
    );
    let mut out_len: CK_ULONG = out.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_DigestEncryptUpdate(
            h,
            data.as_mut_ptr(),
            data.len() as CK_ULONG,
            out.as_mut_ptr(),
            &mut out_len
        )),
        CKR_FUNCTION_NOT_SUPPORTED
    );
    // Legacy parallel-execution functions.
    assert_ckr!(p11!(C_GetFunctionStatus(h)), CKR_FUNCTION_NOT_PARALLEL);
    assert_ckr!(p11!(C_CancelFunction(h)), CKR_FUNCTION_NOT_PARALLEL);
}

/// Runs `p11-lifecycle` (C_Initialize/C_Finalize semantics, locking
/// arguments, fork) in a child process with the same environment.
#[test]
fn lifecycle_in_subprocess() {
    harness_dir();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_p11-lifecycle"))
        .env("P11_MODULE", module_path())
        .output()
        .expect("spawn p11-lifecycle");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in stdout.lines().chain(stderr.lines()) {
        if line.starts_with("SKIP(") {
            note(line);
        }
    }
    assert!(
        out.status.success(),
        "p11-lifecycle failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("lifecycle: all checks passed"), "{stdout}");
}
