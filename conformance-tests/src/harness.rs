//! Module selection, per-process configuration, token provisioning and raw
//! access to the module's function list.
//!
//! * `P11_MODULE`: path of the PKCS#11 module. Defaults to
//!   `<target>/debug/libsofthsm_pkcs11.so` (or `release`), `<target>` being
//!   `CARGO_TARGET_DIR` or the workspace's `target`.
//! * A temporary directory is created once per process (and shared with the
//!   helper binaries the tests spawn, through `P11_HARNESS_DIR`); the module's
//!   configuration is written there before the module is loaded:
//!   `softhsm2.conf` exported as `SOFTHSM2_CONF` for SoftHSMv2, or
//!   `softhsm-rs.toml` exported as `SOFTHSM_RS_CONF` for softhsm-rs.
//! * `P11_KEEP_TMP=1` keeps that directory after the run (for the logs).

use std::ffi::CString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, Rv, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

/// SO PIN of every token made by [`fresh_token`].
pub const SO_PIN: &str = "12345678";
/// User PIN of every token made by [`fresh_token`].
pub const USER_PIN: &str = "87654321";
/// Environment variable through which a parent hands its directory to children.
pub const ENV_DIR: &str = "P11_HARNESS_DIR";
/// Failed logins after which softhsm-rs locks a PIN (written to its config).
pub const MAX_PIN_FAILURES: usize = 5;

/// Which implementation is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    /// SoftHSMv2 (the reference the suite is checked against).
    SoftHsm2,
    /// softhsm-rs (this project's module).
    SoftHsmRs,
}

/// Path of the module under test.
pub fn module_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(p) = std::env::var_os("P11_MODULE").filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .filter(|d| !d.is_empty())
            .map_or_else(|| workspace.join("target"), PathBuf::from);
        let debug = target.join("debug/libsofthsm_pkcs11.so");
        let release = target.join("release/libsofthsm_pkcs11.so");
        if !debug.exists() && release.exists() {
            release
        } else {
            debug
        }
    })
}

/// Kind of the module, detected from its file name.
pub fn kind() -> ModuleKind {
    let name = module_path()
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.contains("softhsm2") {
        ModuleKind::SoftHsm2
    } else {
        ModuleKind::SoftHsmRs
    }
}

/// True when running against SoftHSMv2.
pub fn is_softhsm2() -> bool {
    kind() == ModuleKind::SoftHsm2
}

static CLEANUP_DIR: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_harness_dir() {
    if let Some(dir) = CLEANUP_DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Creates (once per process) the temporary directory and the module's
/// configuration file, and exports the configuration variable. A child
/// spawned by a test inherits the parent's directory and configuration.
pub fn harness_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(d) = std::env::var_os(ENV_DIR) {
            let d = PathBuf::from(d);
            if d.is_dir() {
                return d;
            }
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("p11-conformance-{}-{:08x}", std::process::id(), nanos));
        std::fs::create_dir_all(dir.join("tokens")).expect("create harness dir");
        match kind() {
            ModuleKind::SoftHsm2 => {
                let conf = dir.join("softhsm2.conf");
                std::fs::write(
                    &conf,
                    format!(
                        "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                        dir.join("tokens").display()
                    ),
                )
                .expect("write softhsm2.conf");
                std::env::set_var("SOFTHSM2_CONF", &conf);
            }
            ModuleKind::SoftHsmRs => {
                let conf = dir.join("softhsm-rs.toml");
                std::fs::write(
                    &conf,
                    format!(
                        "[store]\npath = \"{}\"\n\n[log]\nfile = \"{}\"\nlevel = \"debug\"\n\n\
                         [pin]\nkdf_iterations = 1000\nmax_failures = {}\n",
                        dir.join("store.db").display(),
                        dir.join("softhsm-rs.log").display(),
                        MAX_PIN_FAILURES
                    ),
                )
                .expect("write softhsm-rs.toml");
                std::env::set_var("SOFTHSM_RS_CONF", &conf);
            }
        }
        std::env::set_var(ENV_DIR, &dir);
        if std::env::var_os("P11_KEEP_TMP").is_none() && CLEANUP_DIR.set(dir.clone()).is_ok() {
            // SAFETY: registering a plain extern "C" function without captures.
            unsafe {
                libc::atexit(remove_harness_dir);
            }
        }
        dir
    })
}

/// For a helper process: the module under test loaded and initialised (OS locking), and the
/// slot of the token labelled `label`, if the module lists one.
pub fn load_module_for_token(label: &str) -> (Pkcs11, Option<Slot>) {
    harness_dir();
    let p11 = Pkcs11::new(module_path()).expect("load module");
    p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .expect("C_Initialize");
    let slot = slot_with_label(&p11, label);
    (p11, slot)
}

/// The `CKF_*_PIN_*` flags of a token as six bits: the user's COUNT_LOW, FINAL_TRY and LOCKED
/// in bits 0..3, the SO's in bits 3..6.
pub fn pin_flag_bits(t: &cryptoki::slot::TokenInfo) -> u32 {
    [
        t.user_pin_count_low(),
        t.user_pin_final_try(),
        t.user_pin_locked(),
        t.so_pin_count_low(),
        t.so_pin_final_try(),
        t.so_pin_locked(),
    ]
    .iter()
    .enumerate()
    .fold(0, |acc, (i, b)| acc | (u32::from(*b) << i))
}

/// Writes a line to the real stderr, bypassing the test harness' capture.
pub fn note(msg: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{msg}");
}

/// The process-wide, initialised module (loaded once, OS locking).
pub fn pkcs11() -> &'static Pkcs11 {
    static P11: OnceLock<Pkcs11> = OnceLock::new();
    P11.get_or_init(|| {
        let dir = harness_dir();
        let path = module_path();
        let p11 = Pkcs11::new(path)
            .unwrap_or_else(|e| panic!("cannot load PKCS#11 module {}: {e}", path.display()));
        p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .unwrap_or_else(|e| panic!("C_Initialize of {} failed: {e}", path.display()));
        if std::env::var_os("P11_QUIET").is_none() {
            note(&format!(
                "conformance: module {} ({:?}), config dir {}",
                path.display(),
                kind(),
                dir.display()
            ));
        }
        p11
    })
}

/// Name of the running test (libtest names its threads after the tests).
pub fn test_name() -> String {
    std::thread::current().name().unwrap_or("<unnamed>").to_string()
}

/// Known divergence of SoftHSMv2 from the specification: when running
/// against SoftHSMv2, prints `SKIP(softhsm2): <test>: <reason>` and returns
/// true (the test then returns early). Every use is listed in DIFFERENCES.md.
pub fn diverges(reason: &str) -> bool {
    diverges_in(&test_name(), reason)
}

/// [`diverges`] with an explicit test name (for the helper binaries).
pub fn diverges_in(test: &str, reason: &str) -> bool {
    if is_softhsm2() {
        note(&format!("SKIP(softhsm2): {test}: {reason}"));
        true
    } else {
        false
    }
}

/// A check that only applies to softhsm-rs (a promise beyond the standard,
/// or a softhsm-rs tool): against SoftHSMv2, prints
/// `SKIP(softhsm-rs only): <test>: <reason>` and returns true. Not a
/// divergence; DIFFERENCES.md lists these separately.
pub fn ours_only(reason: &str) -> bool {
    if is_softhsm2() {
        note(&format!("SKIP(softhsm-rs only): {}: {reason}", test_name()));
        true
    } else {
        false
    }
}

/// Serialises token provisioning (slot discovery and C_InitToken).
pub fn token_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// First slot with a present but uninitialised token.
pub fn free_slot() -> Option<Slot> {
    let p11 = pkcs11();
    p11.get_slots_with_token()
        .expect("C_GetSlotList")
        .into_iter()
        .find(|s| {
            p11.get_token_info(*s)
                .map(|t| !t.token_initialized())
                .unwrap_or(false)
        })
}

/// The slot whose token is labelled `label` (for helper processes handed a token by label).
pub fn slot_with_label(p11: &Pkcs11, label: &str) -> Option<Slot> {
    p11.get_slots_with_token()
        .expect("C_GetSlotList")
        .into_iter()
        .find(|s| {
            p11.get_token_info(*s)
                .is_ok_and(|t| t.label().trim_end() == label)
        })
}

/// Initialises the token in `slot` with [`SO_PIN`] and sets [`USER_PIN`].
/// The caller holds [`token_lock`].
pub fn init_token_in(slot: Slot, label: &str) {
    let p11 = pkcs11();
    let label: String = label.chars().take(32).collect();
    p11.init_token(slot, &AuthPin::from(SO_PIN), &label)
        .unwrap_or_else(|e| panic!("C_InitToken({label}) failed: {e}"));
    let session = p11.open_rw_session(slot).expect("C_OpenSession");
    session
        .login(UserType::So, Some(&AuthPin::from(SO_PIN)))
        .expect("SO C_Login");
    session.init_pin(&AuthPin::from(USER_PIN)).expect("C_InitPIN");
    session.logout().expect("C_Logout");
    session.close().expect("C_CloseSession");
}

/// A newly initialised token of its own for the calling test:
/// `(slot, so_pin, user_pin)`. Login state is per application and token, so
/// tests that log in or out never share a token.
pub fn fresh_token(label: &str) -> (Slot, String, String) {
    let _guard = token_lock();
    let slot = free_slot().expect("the module offers no slot with an uninitialised token");
    init_token_in(slot, label);
    (slot, SO_PIN.to_string(), USER_PIN.to_string())
}

/// RW session logged in as the normal user ([`USER_PIN`]).
pub fn user_session(slot: Slot) -> Session {
    let session = pkcs11().open_rw_session(slot).expect("C_OpenSession(RW)");
    session
        .login(UserType::User, Some(&AuthPin::from(USER_PIN)))
        .expect("user C_Login");
    session
}

/// Fresh token plus a logged-in RW user session on it.
pub fn user_token(label: &str) -> (Slot, Session) {
    let (slot, _, _) = fresh_token(label);
    (slot, user_session(slot))
}

/// The PKCS#11 return value carried by a failed call (panics on success or
/// on a non-PKCS#11 error).
#[track_caller]
pub fn rv_of<T: std::fmt::Debug>(res: cryptoki::error::Result<T>) -> RvError {
    match res {
        Err(Error::Pkcs11(rv, _)) => rv,
        Err(e) => panic!("expected a PKCS#11 error, got {e:?}"),
        Ok(v) => panic!("expected a PKCS#11 error, got success: {v:?}"),
    }
}

/// Asserts that a `cryptoki` call failed with the given `RvError`.
#[macro_export]
macro_rules! assert_rv {
    ($res:expr, $want:ident) => {{
        let got = $crate::harness::rv_of($res);
        assert_eq!(
            got,
            cryptoki::error::RvError::$want,
            "expected CKR_{} from `{}`",
            stringify!($want),
            stringify!($res)
        );
    }};
}

/// Raw access to the module: the same shared object opened a second time
/// (the dynamic loader returns the already loaded instance), its
/// `C_GetFunctionList` table and its 3.0 interface (if any).
pub mod raw {
    use super::*;
    use cryptoki_sys::*;

    /// The 3.0 function table's entries in order (PKCS#11 3.0 §5; `CK_FUNCTION_LIST_3_0`).
    pub const FUNCTIONS_3_0: &[&str] = &[
        "C_Initialize",
        "C_Finalize",
        "C_GetInfo",
        "C_GetFunctionList",
        "C_GetSlotList",
        "C_GetSlotInfo",
        "C_GetTokenInfo",
        "C_GetMechanismList",
        "C_GetMechanismInfo",
        "C_InitToken",
        "C_InitPIN",
        "C_SetPIN",
        "C_OpenSession",
        "C_CloseSession",
        "C_CloseAllSessions",
        "C_GetSessionInfo",
        "C_GetOperationState",
        "C_SetOperationState",
        "C_Login",
        "C_Logout",
        "C_CreateObject",
        "C_CopyObject",
        "C_DestroyObject",
        "C_GetObjectSize",
        "C_GetAttributeValue",
        "C_SetAttributeValue",
        "C_FindObjectsInit",
        "C_FindObjects",
        "C_FindObjectsFinal",
        "C_EncryptInit",
        "C_Encrypt",
        "C_EncryptUpdate",
        "C_EncryptFinal",
        "C_DecryptInit",
        "C_Decrypt",
        "C_DecryptUpdate",
        "C_DecryptFinal",
        "C_DigestInit",
        "C_Digest",
        "C_DigestUpdate",
        "C_DigestKey",
        "C_DigestFinal",
        "C_SignInit",
        "C_Sign",
        "C_SignUpdate",
        "C_SignFinal",
        "C_SignRecoverInit",
        "C_SignRecover",
        "C_VerifyInit",
        "C_Verify",
        "C_VerifyUpdate",
        "C_VerifyFinal",
        "C_VerifyRecoverInit",
        "C_VerifyRecover",
        "C_DigestEncryptUpdate",
        "C_DecryptDigestUpdate",
        "C_SignEncryptUpdate",
        "C_DecryptVerifyUpdate",
        "C_GenerateKey",
        "C_GenerateKeyPair",
        "C_WrapKey",
        "C_UnwrapKey",
        "C_DeriveKey",
        "C_SeedRandom",
        "C_GenerateRandom",
        "C_GetFunctionStatus",
        "C_CancelFunction",
        "C_WaitForSlotEvent",
        "C_GetInterfaceList",
        "C_GetInterface",
        "C_LoginUser",
        "C_SessionCancel",
        "C_MessageEncryptInit",
        "C_EncryptMessage",
        "C_EncryptMessageBegin",
        "C_EncryptMessageNext",
        "C_MessageEncryptFinal",
        "C_MessageDecryptInit",
        "C_DecryptMessage",
        "C_DecryptMessageBegin",
        "C_DecryptMessageNext",
        "C_MessageDecryptFinal",
        "C_MessageSignInit",
        "C_SignMessage",
        "C_SignMessageBegin",
        "C_SignMessageNext",
        "C_MessageSignFinal",
        "C_MessageVerifyInit",
        "C_VerifyMessage",
        "C_VerifyMessageBegin",
        "C_VerifyMessageNext",
        "C_MessageVerifyFinal",
    ];
    const _: () = assert!(
        std::mem::size_of::<CK_FUNCTION_LIST_3_0>()
            == std::mem::size_of::<usize>() * (1 + FUNCTIONS_3_0.len())
    );

    /// Any PKCS#11 function: each takes at most eight integer or pointer arguments; under the
    /// C calling convention of the 64-bit targets this suite runs on, arguments beyond a
    /// callee's own are ignored.
    pub type AnyFn = unsafe extern "C" fn(usize, usize, usize, usize, usize, usize, usize, usize) -> CK_RV;

    /// The entry `name` of the module's 3.0 table (its 2.40 table when it offers no 3.0
    /// interface): `None` when the function is not in the table the module offers.
    pub fn entry(name: &str) -> Option<AnyFn> {
        let i = FUNCTIONS_3_0.iter().position(|f| *f == name)?;
        let table = match fl30() {
            Some(t) => t as *const CK_FUNCTION_LIST_3_0 as *const u8,
            // The 2.40 table ends at C_WaitForSlotEvent, entry 68.
            None if i < 68 => fl() as *const CK_FUNCTION_LIST as *const u8,
            None => return None,
        };
        // SAFETY: the module's table, alive while it is loaded, holds a version and then one
        // pointer-sized entry per function up to the index checked above.
        unsafe {
            std::ptr::read_unaligned(table.add(std::mem::size_of::<usize>() * (1 + i)) as *const Option<AnyFn>)
        }
    }

    /// The module's exported symbols.
    pub fn lib() -> &'static cryptoki_sys::Pkcs11 {
        static LIB: OnceLock<cryptoki_sys::Pkcs11> = OnceLock::new();
        LIB.get_or_init(|| {
            pkcs11();
            // SAFETY: loading the same PKCS#11 module the harness already loaded.
            unsafe { cryptoki_sys::Pkcs11::new(module_path()) }.expect("dlopen module")
        })
    }

    /// The table returned by `C_GetFunctionList`.
    pub fn fl() -> &'static CK_FUNCTION_LIST {
        static FL: OnceLock<usize> = OnceLock::new();
        let addr = *FL.get_or_init(|| {
            let mut list: *mut CK_FUNCTION_LIST = std::ptr::null_mut();
            // SAFETY: valid out-pointer.
            let rv = unsafe { lib().C_GetFunctionList(&mut list) };
            assert_eq!(rv, CKR_OK, "C_GetFunctionList: {}", rv_name(rv));
            assert!(!list.is_null(), "C_GetFunctionList returned NULL");
            list as usize
        });
        // SAFETY: the module keeps its function list alive while loaded.
        unsafe { &*(addr as *const CK_FUNCTION_LIST) }
    }

    /// The "PKCS 11" 3.0 interface's table, if the module exports
    /// `C_GetInterface` and offers it.
    pub fn fl30() -> Option<&'static CK_FUNCTION_LIST_3_0> {
        static FL30: OnceLock<Option<usize>> = OnceLock::new();
        let addr = *FL30.get_or_init(|| {
            let lib = lib();
            lib.C_GetInterface.as_ref().ok()?;
            let name = CString::new("PKCS 11").unwrap();
            let mut version = CK_VERSION { major: 3, minor: 0 };
            let mut iface: *mut CK_INTERFACE = std::ptr::null_mut();
            // SAFETY: valid pointers for the duration of the call.
            let rv = unsafe { lib.C_GetInterface(name.as_ptr() as *mut u8, &mut version, &mut iface, 0) };
            if rv != CKR_OK || iface.is_null() {
                return None;
            }
            // SAFETY: non-NULL interface returned by the module.
            let list = unsafe { (*iface).pFunctionList };
            (!list.is_null()).then_some(list as usize)
        });
        // SAFETY: the module keeps its interface tables alive while loaded.
        addr.map(|a| unsafe { &*(a as *const CK_FUNCTION_LIST_3_0) })
    }

    /// Human-readable name of a return value.
    pub fn rv_name(rv: CK_RV) -> String {
        match Rv::from(rv) {
            Rv::Ok => "CKR_OK".to_string(),
            Rv::Error(e) => format!("{e:?} (0x{rv:x})"),
        }
    }

    /// Calls a function of the `C_GetFunctionList` table:
    /// `p11!(C_Encrypt(h, ...))` evaluates to the `CK_RV`.
    #[macro_export]
    macro_rules! p11 {
        ($f:ident($($arg:expr),* $(,)?)) => {{
            let f = $crate::harness::raw::fl().$f.expect(concat!(stringify!($f), " is NULL"));
            #[allow(unused_unsafe, clippy::macro_metavars_in_unsafe)]
            // SAFETY: the caller passes arguments valid for this PKCS#11 function.
            let rv = unsafe { f($($arg),*) };
            rv
        }};
    }

    /// Asserts a raw return value: `assert_ckr!(rv, CKR_OK)`.
    #[macro_export]
    macro_rules! assert_ckr {
        ($rv:expr, $want:expr) => {{
            let got: cryptoki_sys::CK_RV = $rv;
            let want: cryptoki_sys::CK_RV = $want;
            assert_eq!(
                got,
                want,
                "expected {} but got {} from `{}`",
                $crate::harness::raw::rv_name(want),
                $crate::harness::raw::rv_name(got),
                stringify!($rv)
            );
        }};
    }
}
