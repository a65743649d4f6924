//! C_Initialize/C_Finalize cycles while four threads call C_GetSlotList and
//! four others use sessions on a token, in a process of its own. Spawned by
//! `threads::initialize_finalize_race_get_slot_list` (softhsm-rs only: the
//! standard leaves C_Finalize concurrent with other calls undefined).
//!
//! Usage: `p11-init-race <cycles> [<slot>]`. Every C_Initialize and C_Finalize
//! of the main thread must return CKR_OK; every C_GetSlotList of the other
//! threads CKR_OK (with at least one slot) or CKR_CRYPTOKI_NOT_INITIALIZED.
//! With a slot, the session threads open a session, generate random bytes,
//! digest, create, read and destroy a session object and close the session,
//! in a loop: each call returns CKR_OK or a code that says the library, the
//! session, the object or the operation went away under it (a session handle
//! of a finalised library may name another thread's session after the next
//! C_Initialize), and a digest that succeeds is right. Prints the counts and
//! `init-race: all checks passed`, else exits non-zero.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use conformance_tests::harness::{self, raw::rv_name};
use cryptoki_sys::*;

const THREADS: usize = 4;
/// What a session call may return while another thread finalises the library.
const RACE_ANSWERS: &[CK_RV] = &[
    CKR_OK,
    CKR_CRYPTOKI_NOT_INITIALIZED,
    CKR_SESSION_HANDLE_INVALID,
    CKR_SESSION_CLOSED,
    CKR_OBJECT_HANDLE_INVALID,
    CKR_OPERATION_NOT_INITIALIZED,
    CKR_OPERATION_ACTIVE,
];

#[derive(Default)]
struct Counts {
    calls: AtomicUsize,
    ok: AtomicUsize,
    not_initialized: AtomicUsize,
    session_calls: AtomicUsize,
    session_ok: AtomicUsize,
    session_gone: AtomicUsize,
    unexpected: Mutex<Vec<String>>,
}

impl Counts {
    fn bad(&self, what: String) {
        let mut v = self.unexpected.lock().unwrap_or_else(|e| e.into_inner());
        if v.len() < 20 {
            v.push(what);
        }
    }
}

/// One thread's calls until `stop`: the count query, then a call with a buffer.
fn hammer(fl: &CK_FUNCTION_LIST, stop: &AtomicBool, c: &Counts) {
    let get_slots = fl.C_GetSlotList.expect("C_GetSlotList");
    let mut buf = vec![0 as CK_SLOT_ID; 256];
    while !stop.load(Ordering::Relaxed) {
        let mut n: CK_ULONG = 0;
        // SAFETY: valid out pointer; NULL list asks for the count.
        let rv = unsafe { get_slots(CK_FALSE, std::ptr::null_mut(), &mut n) };
        let mut m: CK_ULONG = buf.len() as CK_ULONG;
        // SAFETY: `buf` holds `m` entries.
        let rv2 = unsafe { get_slots(CK_TRUE, buf.as_mut_ptr(), &mut m) };
        for (rv, count, what) in [(rv, n, "count"), (rv2, m, "list")] {
            c.calls.fetch_add(1, Ordering::Relaxed);
            match rv {
                CKR_OK if count > 0 => {
                    c.ok.fetch_add(1, Ordering::Relaxed);
                }
                CKR_OK => c.bad(format!("C_GetSlotList({what}) returned CKR_OK with no slot")),
                CKR_CRYPTOKI_NOT_INITIALIZED => {
                    c.not_initialized.fetch_add(1, Ordering::Relaxed);
                }
                other => c.bad(format!("C_GetSlotList({what}) returned {}", rv_name(other))),
            }
        }
    }
}

/// One session thread's loop until `stop` (see the module comment).
fn sessions(fl: &CK_FUNCTION_LIST, slot: CK_SLOT_ID, stop: &AtomicBool, c: &Counts) {
    let want = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"init-race");
    let mut class: CK_ULONG = CKO_DATA;
    let mut label = *b"race";
    let mut public: CK_BBOOL = CK_FALSE;
    let answer = |what: &str, rv: CK_RV| -> bool {
        c.session_calls.fetch_add(1, Ordering::Relaxed);
        if rv == CKR_OK {
            c.session_ok.fetch_add(1, Ordering::Relaxed);
        } else if RACE_ANSWERS.contains(&rv) {
            c.session_gone.fetch_add(1, Ordering::Relaxed);
        } else {
            c.bad(format!("{what} returned {}", rv_name(rv)));
        }
        rv == CKR_OK
    };
    while !stop.load(Ordering::Relaxed) {
        let mut h: CK_SESSION_HANDLE = 0;
        // SAFETY (this block and the calls below): valid pointers to locals of the sizes given.
        let rv = unsafe {
            (fl.C_OpenSession.unwrap())(
                slot,
                CKF_SERIAL_SESSION | CKF_RW_SESSION,
                std::ptr::null_mut(),
                None,
                &mut h,
            )
        };
        if !answer("C_OpenSession", rv) {
            continue;
        }
        let mut random = [0u8; 32];
        answer("C_GenerateRandom", unsafe {
            (fl.C_GenerateRandom.unwrap())(h, random.as_mut_ptr(), 32)
        });
        let mut m = CK_MECHANISM {
            mechanism: CKM_SHA256,
            pParameter: std::ptr::null_mut(),
            ulParameterLen: 0,
        };
        if answer("C_DigestInit", unsafe { (fl.C_DigestInit.unwrap())(h, &mut m) }) {
            let mut data = *b"init-race";
            let (mut out, mut len) = ([0u8; 64], 64 as CK_ULONG);
            let rv = unsafe { (fl.C_Digest.unwrap())(h, data.as_mut_ptr(), 9, out.as_mut_ptr(), &mut len) };
            if answer("C_Digest", rv) && &out[..len as usize] != want.as_ref() {
                c.bad("C_Digest returned CKR_OK with a wrong digest".into());
            }
        }
        let mut t = [
            CK_ATTRIBUTE {
                type_: CKA_CLASS,
                pValue: &mut class as *mut _ as *mut _,
                ulValueLen: std::mem::size_of::<CK_ULONG>() as CK_ULONG,
            },
            CK_ATTRIBUTE {
                type_: CKA_LABEL,
                pValue: label.as_mut_ptr() as *mut _,
                ulValueLen: 4,
            },
            CK_ATTRIBUTE {
                type_: CKA_PRIVATE,
                pValue: &mut public as *mut _ as *mut _,
                ulValueLen: 1,
            },
        ];
        let mut o: CK_OBJECT_HANDLE = 0;
        if answer("C_CreateObject", unsafe {
            (fl.C_CreateObject.unwrap())(h, t.as_mut_ptr(), 3, &mut o)
        }) {
            let mut got = [0u8; 16];
            let mut a = CK_ATTRIBUTE {
                type_: CKA_LABEL,
                pValue: got.as_mut_ptr() as *mut _,
                ulValueLen: 16,
            };
            let rv = unsafe { (fl.C_GetAttributeValue.unwrap())(h, o, &mut a, 1) };
            if answer("C_GetAttributeValue", rv) && got[..a.ulValueLen as usize] != label {
                c.bad("C_GetAttributeValue returned CKR_OK with another label".into());
            }
            answer("C_DestroyObject", unsafe { (fl.C_DestroyObject.unwrap())(h, o) });
        }
        answer("C_CloseSession", unsafe { (fl.C_CloseSession.unwrap())(h) });
    }
}

/// Waits (at most 20 ms) until the other threads have made `n` more calls.
fn let_threads_run(c: &Counts, n: usize) {
    let from = c.calls.load(Ordering::Relaxed);
    let t = Instant::now();
    while c.calls.load(Ordering::Relaxed) < from + n && t.elapsed() < Duration::from_millis(20) {
        std::thread::yield_now();
    }
}

fn main() {
    let cycles: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .expect("usage: p11-init-race <cycles> [<slot>]");
    let slot: Option<CK_SLOT_ID> = std::env::args().nth(2).and_then(|a| a.parse().ok());
    harness::harness_dir();
    let path = harness::module_path();
    println!(
        "init-race: module {} ({:?}), {cycles} cycles",
        path.display(),
        harness::kind()
    );
    // SAFETY: loading the PKCS#11 module under test.
    let lib = unsafe { cryptoki_sys::Pkcs11::new(path) }.expect("dlopen module");
    let mut flp: *mut CK_FUNCTION_LIST = std::ptr::null_mut();
    // SAFETY: valid out pointer.
    let rv = unsafe { lib.C_GetFunctionList(&mut flp) };
    assert!(
        rv == CKR_OK && !flp.is_null(),
        "C_GetFunctionList: {}",
        rv_name(rv)
    );
    // SAFETY: module-owned table, alive while the library is loaded.
    let fl: &CK_FUNCTION_LIST = unsafe { &*flp };
    let init = fl.C_Initialize.expect("C_Initialize");
    let fin = fl.C_Finalize.expect("C_Finalize");

    let counts = Counts::default();
    let stop = AtomicBool::new(false);
    let mut failures: Vec<String> = Vec::new();
    std::thread::scope(|sc| {
        for _ in 0..THREADS {
            sc.spawn(|| hammer(fl, &stop, &counts));
        }
        if let Some(slot) = slot {
            let (stop, counts) = (&stop, &counts);
            for _ in 0..THREADS {
                sc.spawn(move || sessions(fl, slot, stop, counts));
            }
        }
        for cycle in 0..cycles {
            let mut args = CK_C_INITIALIZE_ARGS {
                CreateMutex: None,
                DestroyMutex: None,
                LockMutex: None,
                UnlockMutex: None,
                flags: CKF_OS_LOCKING_OK,
                pReserved: std::ptr::null_mut(),
            };
            // SAFETY: valid arguments for the duration of the call.
            let rv = unsafe { init(&mut args as *mut _ as *mut c_void) };
            if rv != CKR_OK {
                failures.push(format!("cycle {cycle}: C_Initialize returned {}", rv_name(rv)));
            }
            let_threads_run(&counts, THREADS);
            // SAFETY: NULL pReserved.
            let rv = unsafe { fin(std::ptr::null_mut()) };
            if rv != CKR_OK {
                failures.push(format!("cycle {cycle}: C_Finalize returned {}", rv_name(rv)));
            }
            if failures.len() >= 10 {
                break;
            }
            let_threads_run(&counts, THREADS);
        }
        stop.store(true, Ordering::Relaxed);
    });

    // The library still works after the storm.
    // SAFETY: NULL arguments; then valid out pointers.
    unsafe {
        let rv = init(std::ptr::null_mut());
        let mut n: CK_ULONG = 0;
        let rv2 = (fl.C_GetSlotList.unwrap())(CK_TRUE, std::ptr::null_mut(), &mut n);
        let rv3 = fin(std::ptr::null_mut());
        if rv != CKR_OK || rv2 != CKR_OK || n == 0 || rv3 != CKR_OK {
            failures.push(format!(
                "after the cycles: C_Initialize {}, C_GetSlotList {} ({n} slots), C_Finalize {}",
                rv_name(rv),
                rv_name(rv2),
                rv_name(rv3)
            ));
        }
    }

    let ok = counts.ok.load(Ordering::Relaxed);
    let not_init = counts.not_initialized.load(Ordering::Relaxed);
    println!(
        "init-race: C_GetSlotList calls: {} CKR_OK, {} CKR_CRYPTOKI_NOT_INITIALIZED",
        ok, not_init
    );
    let (calls, session_ok) = (
        counts.session_calls.load(Ordering::Relaxed),
        counts.session_ok.load(Ordering::Relaxed),
    );
    println!(
        "init-race: session calls: {calls}, {session_ok} CKR_OK, {} refused as gone",
        counts.session_gone.load(Ordering::Relaxed)
    );
    if slot.is_some() && session_ok == 0 {
        failures.push("no session call ever succeeded".into());
    }
    let unexpected = counts.unexpected.into_inner().unwrap_or_else(|e| e.into_inner());
    failures.extend(unexpected);
    if ok == 0 {
        failures.push("no C_GetSlotList call ever ran while the library was initialised".into());
    }
    if failures.is_empty() {
        println!("init-race: all checks passed");
    } else {
        for f in &failures {
            println!("FAIL: {f}");
        }
        std::process::exit(1);
    }
}
