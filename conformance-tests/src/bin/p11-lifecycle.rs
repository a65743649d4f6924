//! C_Initialize / C_Finalize semantics, checked in a process of their own
//! (the test binary shares one initialised instance of the module between
//! its tests). Spawned by `general::lifecycle_in_subprocess` with the same
//! environment; prints one line per check and exits non-zero on failure.

use std::ffi::c_void;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use conformance_tests::harness::{
    self,
    raw::{rv_name, AnyFn, FUNCTIONS_3_0},
};
use cryptoki_sys::*;

struct Checker {
    failures: usize,
}

impl Checker {
    fn rv(&mut self, what: &str, got: CK_RV, want: CK_RV) -> bool {
        if got == want {
            println!("ok: {what}: {}", rv_name(got));
            true
        } else {
            println!(
                "FAIL: {what}: expected {} but got {}",
                rv_name(want),
                rv_name(got)
            );
            self.failures += 1;
            false
        }
    }

    fn check(&mut self, what: &str, cond: bool) {
        if cond {
            println!("ok: {what}");
        } else {
            println!("FAIL: {what}");
            self.failures += 1;
        }
    }
}

// Custom locking callbacks wrapping a std Mutex + Condvar.
struct CbMutex {
    locked: Mutex<bool>,
    cv: Condvar,
}

static CREATED: AtomicUsize = AtomicUsize::new(0);
static DESTROYED: AtomicUsize = AtomicUsize::new(0);
static LOCKS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn create_mutex(pp: *mut *mut c_void) -> CK_RV {
    if pp.is_null() {
        return CKR_ARGUMENTS_BAD;
    }
    let m = Box::new(CbMutex {
        locked: Mutex::new(false),
        cv: Condvar::new(),
    });
    // SAFETY: non-NULL out pointer supplied by the module.
    unsafe { *pp = Box::into_raw(m) as *mut c_void };
    CREATED.fetch_add(1, Ordering::SeqCst);
    CKR_OK
}

unsafe extern "C" fn destroy_mutex(p: *mut c_void) -> CK_RV {
    if p.is_null() {
        return CKR_MUTEX_BAD;
    }
    // SAFETY: `p` came from create_mutex.
    drop(unsafe { Box::from_raw(p as *mut CbMutex) });
    DESTROYED.fetch_add(1, Ordering::SeqCst);
    CKR_OK
}

unsafe extern "C" fn lock_mutex(p: *mut c_void) -> CK_RV {
    if p.is_null() {
        return CKR_MUTEX_BAD;
    }
    // SAFETY: `p` came from create_mutex and is not destroyed yet.
    let m = unsafe { &*(p as *const CbMutex) };
    let mut g = m.locked.lock().unwrap_or_else(|e| e.into_inner());
    while *g {
        g = m.cv.wait(g).unwrap_or_else(|e| e.into_inner());
    }
    *g = true;
    LOCKS.fetch_add(1, Ordering::SeqCst);
    CKR_OK
}

unsafe extern "C" fn unlock_mutex(p: *mut c_void) -> CK_RV {
    if p.is_null() {
        return CKR_MUTEX_BAD;
    }
    // SAFETY: as in lock_mutex.
    let m = unsafe { &*(p as *const CbMutex) };
    let mut g = m.locked.lock().unwrap_or_else(|e| e.into_inner());
    if !*g {
        return CKR_MUTEX_NOT_LOCKED;
    }
    *g = false;
    m.cv.notify_one();
    CKR_OK
}

fn args(flags: CK_FLAGS, callbacks: bool) -> CK_C_INITIALIZE_ARGS {
    CK_C_INITIALIZE_ARGS {
        CreateMutex: callbacks.then_some(create_mutex as unsafe extern "C" fn(_) -> _),
        DestroyMutex: callbacks.then_some(destroy_mutex as unsafe extern "C" fn(_) -> _),
        LockMutex: callbacks.then_some(lock_mutex as unsafe extern "C" fn(_) -> _),
        UnlockMutex: callbacks.then_some(unlock_mutex as unsafe extern "C" fn(_) -> _),
        flags,
        pReserved: std::ptr::null_mut(),
    }
}

/// Slot list, slot/token info and mechanism list from several threads.
fn exercise(fl: &'static CK_FUNCTION_LIST, c: &mut Checker, what: &str) {
    let results: Vec<Result<(), String>> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                sc.spawn(move || -> Result<(), String> {
                    for _ in 0..20 {
                        let mut n: CK_ULONG = 0;
                        // SAFETY: raw calls with valid pointers.
                        let rv =
                            unsafe { (fl.C_GetSlotList.unwrap())(CK_TRUE, std::ptr::null_mut(), &mut n) };
                        if rv != CKR_OK || n == 0 {
                            return Err(format!("C_GetSlotList: {} n={n}", rv_name(rv)));
                        }
                        // Other processes may add slots between the two calls:
                        // CKR_BUFFER_TOO_SMALL then reports the new count.
                        let mut slots = vec![0; n as usize];
                        loop {
                            // SAFETY: buffer of n entries.
                            let rv =
                                unsafe { (fl.C_GetSlotList.unwrap())(CK_TRUE, slots.as_mut_ptr(), &mut n) };
                            if rv == CKR_BUFFER_TOO_SMALL && n as usize > slots.len() {
                                slots.resize(n as usize, 0);
                                continue;
                            }
                            if rv != CKR_OK {
                                return Err(format!("C_GetSlotList: {}", rv_name(rv)));
                            }
                            break;
                        }
                        let mut ti = CK_TOKEN_INFO::default();
                        // SAFETY: valid out pointer.
                        let rv = unsafe { (fl.C_GetTokenInfo.unwrap())(slots[0], &mut ti) };
                        if rv != CKR_OK {
                            return Err(format!("C_GetTokenInfo: {}", rv_name(rv)));
                        }
                        let mut m: CK_ULONG = 0;
                        // SAFETY: NULL list asks for the count.
                        let rv = unsafe {
                            (fl.C_GetMechanismList.unwrap())(slots[0], std::ptr::null_mut(), &mut m)
                        };
                        if rv != CKR_OK || m == 0 {
                            return Err(format!("C_GetMechanismList: {} m={m}", rv_name(rv)));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let errs: Vec<String> = results.into_iter().filter_map(|r| r.err()).collect();
    c.check(
        &format!("{what}: concurrent slot/token/mechanism queries ({errs:?})"),
        errs.is_empty(),
    );
}

/// Calls every function of the module's 3.0 table (its 2.40 table when it offers no 3.0
/// interface) with all-zero (NULL) arguments, while the module is not initialised: each
/// must answer `CKR_CRYPTOKI_NOT_INITIALIZED` (C_Initialize, C_GetFunctionList and
/// C_GetInterface* excepted, PKCS#11 3.0 §5.4), whatever its arguments.
fn every_function_not_initialized(c: &mut Checker, lib: &cryptoki_sys::Pkcs11, when: &str) {
    let name = std::ffi::CString::new("PKCS 11").unwrap();
    let mut version = CK_VERSION { major: 3, minor: 0 };
    let mut iface: *mut CK_INTERFACE = std::ptr::null_mut();
    let table: *const u8 = match lib.C_GetInterface.as_ref() {
        // SAFETY: valid pointers for the duration of the call.
        Ok(_)
            if unsafe { lib.C_GetInterface(name.as_ptr() as *mut u8, &mut version, &mut iface, 0) }
                == CKR_OK
                && !iface.is_null() =>
        {
            // SAFETY: a non-NULL interface returned by the module.
            unsafe { (*iface).pFunctionList as *const u8 }
        }
        _ => {
            let mut fl: *mut CK_FUNCTION_LIST = std::ptr::null_mut();
            // SAFETY: valid out pointer.
            assert_eq!(unsafe { lib.C_GetFunctionList(&mut fl) }, CKR_OK);
            fl as *const u8
        }
    };
    // The 2.40 table ends at C_WaitForSlotEvent.
    let n = if iface.is_null() { 68 } else { FUNCTIONS_3_0.len() };
    let mut called = 0;
    for (i, fname) in FUNCTIONS_3_0.iter().enumerate().take(n) {
        if matches!(
            *fname,
            "C_Initialize" | "C_GetFunctionList" | "C_GetInterfaceList" | "C_GetInterface"
        ) {
            continue;
        }
        let at = std::mem::size_of::<usize>() * (1 + i);
        // SAFETY: the table is the module's, alive while it is loaded, and holds 1 + n
        // pointer-sized entries (asserted above for 3.0, 68 for 2.40).
        let f: Option<AnyFn> = unsafe { std::ptr::read_unaligned(table.add(at) as *const Option<AnyFn>) };
        let Some(f) = f else {
            c.check(&format!("{fname} is in the table"), false);
            continue;
        };
        // SAFETY: every PKCS#11 function takes only integer and pointer arguments (at most
        // eight) and returns CK_RV; under the C calling convention of the 64-bit targets this
        // suite runs on, arguments beyond a callee's own are ignored. All are 0 (NULL): a
        // module that is not initialised must refuse before it reads any of them.
        let rv = unsafe { f(0, 0, 0, 0, 0, 0, 0, 0) };
        called += 1;
        let what = format!("{fname}(NULL...) {when}");
        if rv != CKR_CRYPTOKI_NOT_INITIALIZED && harness::kind() == harness::ModuleKind::SoftHsm2 {
            println!("SKIP(SoftHSMv2 diverges: {what} returns {})", rv_name(rv));
            continue;
        }
        c.rv(&what, rv, CKR_CRYPTOKI_NOT_INITIALIZED);
    }
    println!("ok: {called} functions called {when}");
}

fn main() {
    harness::harness_dir();
    let path = harness::module_path();
    println!("lifecycle: module {} ({:?})", path.display(), harness::kind());
    // SAFETY: loading the PKCS#11 module under test.
    let lib = unsafe { cryptoki_sys::Pkcs11::new(path) }.expect("dlopen module");
    let mut c = Checker { failures: 0 };

    let mut flp: *mut CK_FUNCTION_LIST = std::ptr::null_mut();
    // SAFETY: valid out pointer.
    let rv = unsafe { lib.C_GetFunctionList(&mut flp) };
    c.rv("C_GetFunctionList before C_Initialize", rv, CKR_OK);
    assert!(!flp.is_null(), "NULL function list");
    // SAFETY: module-owned table, alive while the library is loaded.
    let fl: &'static CK_FUNCTION_LIST = unsafe { &*flp };
    let init = fl.C_Initialize.expect("C_Initialize");
    let fin = fl.C_Finalize.expect("C_Finalize");
    let get_info = fl.C_GetInfo.expect("C_GetInfo");
    let get_slots = fl.C_GetSlotList.expect("C_GetSlotList");

    // SAFETY (all raw calls below): pointers are valid for the call.
    unsafe {
        let mut info = CK_INFO::default();
        c.rv(
            "C_GetInfo before C_Initialize",
            get_info(&mut info),
            CKR_CRYPTOKI_NOT_INITIALIZED,
        );
        let mut n: CK_ULONG = 0;
        c.rv(
            "C_GetSlotList before C_Initialize",
            get_slots(CK_FALSE, std::ptr::null_mut(), &mut n),
            CKR_CRYPTOKI_NOT_INITIALIZED,
        );
        let mut h: CK_SESSION_HANDLE = 0;
        c.rv(
            "C_OpenSession before C_Initialize",
            (fl.C_OpenSession.unwrap())(0, CKF_SERIAL_SESSION, std::ptr::null_mut(), None, &mut h),
            CKR_CRYPTOKI_NOT_INITIALIZED,
        );
        c.rv(
            "C_Finalize before C_Initialize",
            fin(std::ptr::null_mut()),
            CKR_CRYPTOKI_NOT_INITIALIZED,
        );
        every_function_not_initialized(&mut c, &lib, "before C_Initialize");

        let mut a = args(0, false);
        let mut reserved = 0u32;
        a.pReserved = &mut reserved as *mut u32 as *mut c_void;
        c.rv(
            "C_Initialize with non-NULL pReserved",
            init(&mut a as *mut _ as *mut c_void),
            CKR_ARGUMENTS_BAD,
        );
        let mut a = args(0, false);
        a.CreateMutex = Some(create_mutex);
        c.rv(
            "C_Initialize with only some mutex callbacks",
            init(&mut a as *mut _ as *mut c_void),
            CKR_ARGUMENTS_BAD,
        );

        // NULL arguments.
        c.rv("C_Initialize(NULL)", init(std::ptr::null_mut()), CKR_OK);
        c.rv(
            "second C_Initialize(NULL)",
            init(std::ptr::null_mut()),
            CKR_CRYPTOKI_ALREADY_INITIALIZED,
        );
        c.rv("C_GetInfo after C_Initialize", get_info(&mut info), CKR_OK);
        let mut r = 0u32;
        c.rv(
            "C_Finalize with non-NULL pReserved",
            fin(&mut r as *mut u32 as *mut c_void),
            CKR_ARGUMENTS_BAD,
        );
        c.rv("C_Finalize(NULL)", fin(std::ptr::null_mut()), CKR_OK);
        c.rv(
            "C_GetInfo after C_Finalize",
            get_info(&mut info),
            CKR_CRYPTOKI_NOT_INITIALIZED,
        );
        c.rv(
            "C_GetSlotList after C_Finalize",
            get_slots(CK_FALSE, std::ptr::null_mut(), &mut n),
            CKR_CRYPTOKI_NOT_INITIALIZED,
        );
        c.rv(
            "second C_Finalize",
            fin(std::ptr::null_mut()),
            CKR_CRYPTOKI_NOT_INITIALIZED,
        );
        every_function_not_initialized(&mut c, &lib, "after C_Finalize");

        // CKF_OS_LOCKING_OK without callbacks.
        let mut a = args(CKF_OS_LOCKING_OK, false);
        c.rv(
            "C_Initialize(CKF_OS_LOCKING_OK)",
            init(&mut a as *mut _ as *mut c_void),
            CKR_OK,
        );
        exercise(fl, &mut c, "OS locking");
        c.rv("C_Finalize", fin(std::ptr::null_mut()), CKR_OK);

        // Only the mutex callbacks: the library must use them.
        let mut a = args(0, true);
        c.rv(
            "C_Initialize(mutex callbacks only)",
            init(&mut a as *mut _ as *mut c_void),
            CKR_OK,
        );
        exercise(fl, &mut c, "custom mutex callbacks");
        c.rv("C_Finalize", fin(std::ptr::null_mut()), CKR_OK);
        println!(
            "info: callbacks: created {}, destroyed {}, locked {}",
            CREATED.load(Ordering::SeqCst),
            DESTROYED.load(Ordering::SeqCst),
            LOCKS.load(Ordering::SeqCst)
        );

        // Callbacks and CKF_OS_LOCKING_OK: either may be used.
        let mut a = args(CKF_OS_LOCKING_OK, true);
        c.rv(
            "C_Initialize(callbacks + CKF_OS_LOCKING_OK)",
            init(&mut a as *mut _ as *mut c_void),
            CKR_OK,
        );
        exercise(fl, &mut c, "callbacks + OS locking");
        c.rv("C_Finalize", fin(std::ptr::null_mut()), CKR_OK);

        // fork(): the child must be able to C_Initialize its own instance.
        let mut a = args(CKF_OS_LOCKING_OK, false);
        c.rv(
            "C_Initialize before fork",
            init(&mut a as *mut _ as *mut c_void),
            CKR_OK,
        );
        let _ = std::io::stdout().flush();
        let pid = libc::fork();
        if pid == 0 {
            let rv = init(&mut a as *mut _ as *mut c_void);
            let code = if rv == CKR_OK {
                let mut n: CK_ULONG = 0;
                let rv2 = get_slots(CK_TRUE, std::ptr::null_mut(), &mut n);
                let rv3 = fin(std::ptr::null_mut());
                println!(
                    "child: C_Initialize {}, C_GetSlotList {} ({n} slots), C_Finalize {}",
                    rv_name(rv),
                    rv_name(rv2),
                    rv_name(rv3)
                );
                if rv2 == CKR_OK && n > 0 && rv3 == CKR_OK {
                    0
                } else {
                    1
                }
            } else {
                println!("child: C_Initialize returned {}", rv_name(rv));
                if rv == CKR_CRYPTOKI_ALREADY_INITIALIZED {
                    2
                } else {
                    1
                }
            };
            let _ = std::io::stdout().flush();
            libc::_exit(code);
        }
        c.check("fork()", pid > 0);
        if pid > 0 {
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -1
            };
            if code == 2
                && harness::diverges_in(
                    "general::lifecycle_in_subprocess(fork)",
                    "C_Initialize in a forked child returns CKR_CRYPTOKI_ALREADY_INITIALIZED",
                )
            {
                println!("skip: fork child C_Initialize");
            } else {
                c.check(
                    &format!("fork child re-initialises (exit code {code})"),
                    code == 0,
                );
            }
        }
        c.rv("parent C_GetInfo after fork", get_info(&mut info), CKR_OK);
        c.rv("parent C_Finalize", fin(std::ptr::null_mut()), CKR_OK);
    }

    if c.failures == 0 {
        println!("lifecycle: all checks passed");
    } else {
        println!("lifecycle: {} checks failed", c.failures);
        std::process::exit(1);
    }
}
