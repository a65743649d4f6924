//! PKCS#11 side of the durability tests (`tests/durability.rs`), one process per use.
//!
//! Environment: `P11_MODULE`, `SOFTHSM_RS_CONF` (the parent's keystore), `P11_TOKEN_LABEL`,
//! `P11_USER_PIN`. Modes:
//! - `write <tag> <threads> <seed>`: each thread (own session) creates data objects and
//!   sensitive AES keys, modifies them (`C_SetAttributeValue`) and destroys them, printing
//!   `try …` before and `ack …` only after each call returned `CKR_OK` (see
//!   `conformance_tests::durability` for the values). Runs until killed (at most
//!   [`WRITE_LIMIT`]); any other outcome prints `err …`.
//! - `mixed <tag> <seconds> <seed>`: reads and writes own and other workers' objects for a
//!   fixed time, then prints `mixed <tag>: created C destroyed D` and the count of each kind
//!   of operation; exits non-zero on any error not allowed by the standard.
//! - `dump`: every object of the token as `Dumped` lines, then `dump: N objects`.
//! - `open`: `C_Initialize` and `C_GetSlotList` (several at once on a new keystore), prints
//!   `open: N slots`.

use conformance_tests::durability::{data_value, ecb_of_zero_block, key_bytes, versioned, Dumped, Rng};
use conformance_tests::harness;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use softhsm::attr::{state, CKA_SOFTHSM_STATE};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A writer stops by itself after this long if nobody killed it.
const WRITE_LIMIT: Duration = Duration::from_secs(120);
/// Objects a `mixed` worker keeps at most; past it, it destroys before it creates.
const MIXED_LIVE: usize = 40;

fn rv(e: &Error) -> String {
    match e {
        Error::Pkcs11(rv, _) => format!("{rv:?}"),
        other => format!("{other}").replace(' ', "_"),
    }
}

fn module() -> (Pkcs11, Slot) {
    let p11 = Pkcs11::new(harness::module_path()).expect("load the module");
    p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .expect("C_Initialize");
    let label = std::env::var("P11_TOKEN_LABEL").expect("P11_TOKEN_LABEL");
    let slot = harness::slot_with_label(&p11, &label).unwrap_or_else(|| panic!("no token labelled {label}"));
    (p11, slot)
}

fn login(p11: &Pkcs11, slot: Slot) -> Session {
    let pin = std::env::var("P11_USER_PIN").expect("P11_USER_PIN");
    let s = p11.open_rw_session(slot).expect("C_OpenSession");
    // Login state is per application: the first thread's login covers the others.
    match s.login(UserType::User, Some(&AuthPin::from(pin))) {
        Ok(()) | Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(e) => panic!("C_Login: {e}"),
    }
    s
}

fn data_template(id: &str) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Label(versioned(id, 0).into_bytes()),
        Attribute::Application(id.as_bytes().to_vec()),
        Attribute::Value(data_value(id)),
    ]
}

fn key_template(id: &str) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Encrypt(true),
        Attribute::Label(versioned(id, 0).into_bytes()),
        Attribute::Value(key_bytes(id).to_vec()),
    ]
}

/// The attribute a modification changes to version `ver`.
fn modification(id: &str, ver: u32) -> Attribute {
    Attribute::Label(versioned(id, ver).into_bytes())
}

struct Live {
    id: String,
    is_key: bool,
    ver: u32,
    handle: ObjectHandle,
}

/// One crash writer thread: prints `try`/`ack` lines until the deadline (or the kill).
fn write_thread(s: Session, tag: String, mut rng: Rng, deadline: Instant) {
    let mut live: Vec<Live> = Vec::new();
    let mut n = 0u64;
    let fail = |what: String, e: Error| -> ! {
        println!("err {what} {}", rv(&e));
        std::process::exit(1);
    };
    while Instant::now() < deadline {
        let r = rng.below(10);
        if live.len() < 2 || r < 5 {
            let id = format!("{tag}n{n}");
            n += 1;
            let is_key = n % 2 == 0;
            println!("try create {} {id}", if is_key { "key" } else { "data" });
            let t = if is_key {
                key_template(&id)
            } else {
                data_template(&id)
            };
            match s.create_object(&t) {
                Ok(handle) => {
                    println!("ack create {id}");
                    live.push(Live {
                        id,
                        is_key,
                        ver: 0,
                        handle,
                    });
                }
                Err(e) => fail(format!("create {id}"), e),
            }
        } else if r < 8 {
            let i = rng.below(live.len() as u64) as usize;
            let o = &mut live[i];
            let ver = o.ver + 1;
            println!("try set {} {ver}", o.id);
            match s.update_attributes(o.handle, &[modification(&o.id, ver)]) {
                Ok(()) => {
                    println!("ack set {} {ver}", o.id);
                    o.ver = ver;
                }
                Err(e) => fail(format!("set {}", o.id), e),
            }
        } else {
            let o = live.swap_remove(rng.below(live.len() as u64) as usize);
            println!("try destroy {}", o.id);
            match s.destroy_object(o.handle) {
                Ok(()) => println!("ack destroy {}", o.id),
                Err(e) => fail(format!("destroy {}", o.id), e),
            }
        }
    }
}

fn write(tag: &str, threads: usize, seed: u64) {
    let (p11, slot) = module();
    let sessions: Vec<Session> = (0..threads).map(|_| login(&p11, slot)).collect();
    println!("ready");
    let deadline = Instant::now() + WRITE_LIMIT;
    std::thread::scope(|scope| {
        for (t, s) in sessions.into_iter().enumerate() {
            let rng = Rng::new(seed ^ (t as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
            let tag = format!("{tag}t{t}");
            scope.spawn(move || write_thread(s, tag, rng, deadline));
        }
    });
}

#[derive(Default)]
struct Mixed {
    counts: BTreeMap<&'static str, u64>,
    created: u64,
    destroyed: u64,
    errors: Vec<String>,
}

impl Mixed {
    fn count(&mut self, kind: &'static str) {
        *self.counts.entry(kind).or_default() += 1;
    }

    fn error(&mut self, what: String) {
        eprintln!("{what}");
        self.errors.push(what);
    }
}

/// One step of a `mixed` worker. `Err` is an error the standard does not allow here.
fn mixed_step(
    s: &Session,
    tag: &str,
    workers: u64,
    rng: &mut Rng,
    live: &mut Vec<Live>,
    n: &mut u64,
    m: &mut Mixed,
) -> Result<(), String> {
    let e = |what: String| move |err: Error| format!("{what}: {}", rv(&err));
    match rng.below(12) {
        0..=2 if live.len() < MIXED_LIVE => {
            let id = format!("{tag}-{n}");
            *n += 1;
            let is_key = *n % 2 == 0;
            let t = if is_key {
                key_template(&id)
            } else {
                data_template(&id)
            };
            let handle = s.create_object(&t).map_err(e(format!("create {id}")))?;
            m.count("create");
            m.created += 1;
            live.push(Live {
                id,
                is_key,
                ver: 0,
                handle,
            });
        }
        // Keys are renamed; data objects keep their first label (other workers find them by it).
        3 | 4 if live.iter().any(|o| o.is_key) => {
            let keys: Vec<usize> = (0..live.len()).filter(|i| live[*i].is_key).collect();
            let o = &mut live[keys[rng.below(keys.len() as u64) as usize]];
            let ver = o.ver + 1;
            s.update_attributes(o.handle, &[modification(&o.id, ver)])
                .map_err(e(format!("set {}", o.id)))?;
            o.ver = ver;
            m.count("set");
        }
        5 | 6 if !live.is_empty() => {
            let o = &live[rng.below(live.len() as u64) as usize];
            if o.is_key {
                let ct = s
                    .encrypt(&Mechanism::AesEcb, o.handle, &[0u8; 16])
                    .map_err(e(format!("encrypt with {}", o.id)))?;
                if ct != ecb_of_zero_block(&key_bytes(&o.id)) {
                    return Err(format!("encrypt with {}: wrong ciphertext", o.id));
                }
                m.count("encrypt");
            } else {
                let found = s
                    .find_objects(&[Attribute::Application(o.id.as_bytes().to_vec())])
                    .map_err(e(format!("find {}", o.id)))?;
                if found != [o.handle] {
                    return Err(format!("find {}: {found:?}, want [{}]", o.id, o.handle));
                }
                let v = s
                    .get_attributes(o.handle, &[AttributeType::Value])
                    .map_err(e(format!("read {}", o.id)))?;
                if v != [Attribute::Value(data_value(&o.id))] {
                    return Err(format!("read {}: {v:?}", o.id));
                }
                m.count("read own");
            }
        }
        7..=9 => {
            // Another worker's data object, which its owner may destroy at any moment: a
            // handle that went away meanwhile is CKR_OBJECT_HANDLE_INVALID by the standard.
            // (Even-numbered objects are data objects, odd ones keys.)
            let id = format!("{}-{}", tag_of_worker(rng.below(workers)), 2 * rng.below(*n + 1));
            let found = s
                .find_objects(&[
                    Attribute::Class(ObjectClass::DATA),
                    Attribute::Label(versioned(&id, 0).into_bytes()),
                ])
                .map_err(e(format!("find {id}")))?;
            m.count("find other");
            if let Some(h) = found.first() {
                match s.get_attributes(*h, &[AttributeType::Value]) {
                    Ok(v) => match v.as_slice() {
                        [Attribute::Value(v)] if *v == data_value(&id) => m.count("read other"),
                        other => return Err(format!("read {id}: {other:?}")),
                    },
                    Err(Error::Pkcs11(RvError::ObjectHandleInvalid, _)) => m.count("gone meanwhile"),
                    Err(err) => return Err(format!("read {id}: {}", rv(&err))),
                }
            }
        }
        _ if !live.is_empty() => {
            let o = live.swap_remove(rng.below(live.len() as u64) as usize);
            s.destroy_object(o.handle)
                .map_err(e(format!("destroy {}", o.id)))?;
            m.count("destroy");
            m.destroyed += 1;
        }
        _ => {}
    }
    Ok(())
}

fn tag_of_worker(w: u64) -> String {
    format!("m{w}")
}

fn mixed(tag: &str, seconds: u64, seed: u64) {
    let workers: u64 = std::env::var("P11_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1);
    let (p11, slot) = module();
    let s = login(&p11, slot);
    println!("ready");
    let mut rng = Rng::new(seed);
    let (mut live, mut n, mut m) = (Vec::new(), 0u64, Mixed::default());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline && m.errors.len() < 5 {
        if let Err(what) = mixed_step(&s, tag, workers, &mut rng, &mut live, &mut n, &mut m) {
            m.error(what);
        }
    }
    let kinds: Vec<String> = m.counts.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let ops: u64 = m.counts.values().sum();
    println!(
        "mixed {tag}: created {} destroyed {} ops {ops} errors {} ({})",
        m.created,
        m.destroyed,
        m.errors.len(),
        kinds.join(", ")
    );
    let _ = s.logout();
    drop(s);
    let _ = p11.finalize();
    if !m.errors.is_empty() {
        std::process::exit(1);
    }
}

fn dump() {
    let (p11, slot) = module();
    let s = login(&p11, slot);
    let all = s.find_objects(&[]).expect("C_FindObjects");
    for h in &all {
        let a = s
            .get_attributes(
                *h,
                &[
                    AttributeType::Class,
                    AttributeType::Label,
                    AttributeType::UniqueId,
                ],
            )
            .expect("C_GetAttributeValue");
        let (mut class, mut label, mut uid) = (None, String::new(), String::new());
        for x in a {
            match x {
                Attribute::Class(c) => class = Some(c),
                Attribute::Label(l) => label = String::from_utf8_lossy(&l).into_owned(),
                Attribute::UniqueId(u) => uid = String::from_utf8_lossy(&u).into_owned(),
                _ => {}
            }
        }
        let value = match s.get_attributes(*h, &[AttributeType::Value]) {
            Ok(v) => v.into_iter().find_map(|x| match x {
                Attribute::Value(v) => Some(v),
                _ => None,
            }),
            Err(e) => panic!("C_GetAttributeValue(CKA_VALUE) of {uid}: {e}"),
        };
        let d = if class == Some(ObjectClass::DATA) {
            Dumped::Data {
                uid,
                label,
                value: value.unwrap_or_default(),
            }
        } else {
            let ecb = s.encrypt(&Mechanism::AesEcb, *h, &[0u8; 16]).map_err(|e| rv(&e));
            // The KMIP State, if the object has one (a native CK_ULONG).
            let state = s
                .get_attributes(*h, &[AttributeType::VendorDefined(CKA_SOFTHSM_STATE)])
                .expect("C_GetAttributeValue(KMIP State)")
                .into_iter()
                .find_map(|x| match x {
                    Attribute::VendorDefined((_, v)) => v.try_into().ok().map(u64::from_ne_bytes),
                    _ => None,
                });
            Dumped::Key {
                uid,
                label,
                value,
                ecb,
                destroyed: matches!(state, Some(state::DESTROYED | state::DESTROYED_COMPROMISED)),
            }
        };
        println!("{}", d.to_line());
    }
    println!("dump: {} objects", all.len());
}

fn open() {
    let p11 = Pkcs11::new(harness::module_path()).expect("load the module");
    let fail = |what: &str, e: Error| -> ! {
        println!("err {what} {}", rv(&e));
        std::process::exit(1);
    };
    if let Err(e) = p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        fail("C_Initialize", e);
    }
    match p11.get_all_slots() {
        Ok(slots) => println!("open: {} slots", slots.len()),
        Err(e) => fail("C_GetSlotList", e),
    }
    let _ = p11.finalize();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| -> u64 {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("argument {i} must be a number: {args:?}"))
    };
    match args.first().map(String::as_str) {
        Some("write") => write(&args[1], num(2) as usize, num(3)),
        Some("mixed") => mixed(&args[1], num(2), num(3)),
        Some("dump") => dump(),
        Some("open") => open(),
        _ => {
            eprintln!("usage: p11-durability write <tag> <threads> <seed> | mixed <tag> <seconds> <seed> | dump | open");
            std::process::exit(2);
        }
    }
}
