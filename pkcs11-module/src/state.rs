//! The module's one piece of global state: the HSM instance of this process, created by
//! `C_Initialize` and dropped by `C_Finalize`.
//!
//! Architecture invariants:
//! - Thread-safe whatever `C_Initialize` received: the core always uses OS locks. When an
//!   application supplies mutex callbacks without `CKF_OS_LOCKING_OK` (PKCS#11 3.0 §5.4, case 3),
//!   every call additionally runs under one mutex created through those callbacks.
//! - After `fork()`, the child sees the parent's state as not initialised (the PID differs) and
//!   may call `C_Initialize` again; the parent's SQLite connection is leaked in the child, never
//!   closed or used there.
#![allow(unsafe_code)]

use cryptoki_sys as ck;
use softhsm::config::{self, Config};
use softhsm::hsm::Hsm;
use softhsm::{Error, Result};
use std::sync::{Arc, RwLock};

/// Mutex callbacks an application asked us to use.
struct AppLock {
    mutex: *mut std::ffi::c_void,
    lock: unsafe extern "C" fn(*mut std::ffi::c_void) -> ck::CK_RV,
    unlock: unsafe extern "C" fn(*mut std::ffi::c_void) -> ck::CK_RV,
    destroy: unsafe extern "C" fn(*mut std::ffi::c_void) -> ck::CK_RV,
}

// SAFETY: the application promised (by passing the callbacks) that its mutex may be locked and
// unlocked from any thread; we only ever pass the opaque pointer back to its own callbacks.
unsafe impl Send for AppLock {}
// SAFETY: as above; the pointer is never dereferenced by us.
unsafe impl Sync for AppLock {}

impl Drop for AppLock {
    fn drop(&mut self) {
        // SAFETY: the application's own destroy callback on its own mutex, called once, after
        // the last call holding this lock has released it (the Arc is gone).
        unsafe { (self.destroy)(self.mutex) };
    }
}

struct Instance {
    hsm: Arc<Hsm>,
    pid: u32,
    app_lock: Option<Arc<AppLock>>,
}

static STATE: RwLock<Option<Instance>> = RwLock::new(None);

fn read() -> std::sync::RwLockReadGuard<'static, Option<Instance>> {
    STATE.read().unwrap_or_else(|p| p.into_inner())
}

fn write() -> std::sync::RwLockWriteGuard<'static, Option<Instance>> {
    STATE.write().unwrap_or_else(|p| p.into_inner())
}

/// Held for the length of one call when the application supplied its own mutex.
pub struct CallLock(Option<Arc<AppLock>>);

impl Drop for CallLock {
    fn drop(&mut self) {
        if let Some(l) = &self.0 {
            // SAFETY: the callback and mutex came from the application's C_Initialize arguments
            // and stay valid until C_Finalize, which waits for no call (it only drops its Arc).
            unsafe { (l.unlock)(l.mutex) };
        }
    }
}

/// The initialised HSM of this process (and the application lock to hold, if any).
pub fn hsm() -> Result<(Arc<Hsm>, CallLock)> {
    let g = read();
    match g.as_ref() {
        Some(i) if i.pid == std::process::id() => {
            let lock = i.app_lock.clone();
            let hsm = i.hsm.clone();
            drop(g);
            if let Some(l) = &lock {
                // SAFETY: see CallLock::drop.
                if unsafe { (l.lock)(l.mutex) } != ck::CKR_OK {
                    return Err(Error::CantLock);
                }
            }
            Ok((hsm, CallLock(lock)))
        }
        _ => Err(Error::CryptokiNotInitialized),
    }
}

/// `C_Initialize`. `args` has been checked by the caller for NULL.
pub fn initialize(args: Option<&ck::CK_C_INITIALIZE_ARGS>) -> Result<()> {
    let mut app_lock = None;
    if let Some(a) = args {
        if !a.pReserved.is_null() {
            return Err(Error::ArgumentsBad);
        }
        let given = [
            a.CreateMutex.is_some(),
            a.DestroyMutex.is_some(),
            a.LockMutex.is_some(),
            a.UnlockMutex.is_some(),
        ];
        let all = given.iter().all(|g| *g);
        if given.iter().any(|g| *g) && !all {
            return Err(Error::ArgumentsBad);
        }
        if all && a.flags & ck::CKF_OS_LOCKING_OK == 0 {
            if let (Some(create), Some(destroy), Some(lock), Some(unlock)) =
                (a.CreateMutex, a.DestroyMutex, a.LockMutex, a.UnlockMutex)
            {
                let mut m: *mut std::ffi::c_void = std::ptr::null_mut();
                // SAFETY: CreateMutex is the application's callback; it writes the new mutex
                // into the pointer we pass, which is a valid local.
                if unsafe { create(&mut m) } != ck::CKR_OK {
                    return Err(Error::CantLock);
                }
                app_lock = Some(Arc::new(AppLock {
                    mutex: m,
                    lock,
                    unlock,
                    destroy,
                }));
            }
        }
    }
    let mut g = write();
    if let Some(i) = g.as_ref() {
        if i.pid == std::process::id() {
            return Err(Error::CryptokiAlreadyInitialized);
        }
        // Inherited from the parent across fork(): never touch its connection here.
        if let Some(old) = g.take() {
            std::mem::forget(old);
        }
    }
    let config = Config::load().map_err(|e| {
        // No log file is known yet: the error goes to the default location.
        softhsm::logging::init(
            Some(&Config::default().log_path()),
            log::LevelFilter::Error,
            false,
        );
        log::error!("C_Initialize: {e}");
        Error::GeneralError
    })?;
    let level = config::log_level(&config.log.level).unwrap_or(log::LevelFilter::Warn);
    softhsm::logging::init(Some(&config.log_path()), level, false);
    let hsm = Hsm::open(config).map_err(|e| {
        log::error!("C_Initialize: the keystore cannot be opened ({e})");
        Error::GeneralError
    })?;
    log::info!("initialised, keystore {}", hsm.config.store_path().display());
    *g = Some(Instance {
        hsm: Arc::new(hsm),
        pid: std::process::id(),
        app_lock,
    });
    Ok(())
}

/// `C_Finalize`.
pub fn finalize() -> Result<()> {
    let mut g = write();
    match g.as_ref() {
        Some(i) if i.pid == std::process::id() => {}
        _ => return Err(Error::CryptokiNotInitialized),
    }
    drop(g.take());
    log::info!("finalised");
    Ok(())
}
