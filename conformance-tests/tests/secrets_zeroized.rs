//! Key material is zeroed when dropped (issue 5, "secrets stay secret"). This test binary's
//! global allocator scans every block freed while the calling thread is *armed* for known
//! secrets — PINs, the token key, key values — and records each block that still holds one in
//! the clear. The core (`Hsm`: login, unseal, create, encrypt, sign, wrap, unwrap,
//! C_GetAttributeValue) and the KMIP dispatcher (`Kmip::handle_bytes`: Register, Get, Get
//! wrapped, Encrypt) run armed; building requests and reading answers — the caller's own
//! copies — run unarmed. Everything the product holds is dropped armed at the end.
//!
//! Out of reach: aws-lc's own heap (it cleanses what it frees with `OPENSSL_cleanse`, and uses
//! `malloc` directly, not this allocator) and SQLite's page cache (it holds only sealed blobs
//! and wrapped token keys). The keystore is opened in this process only by the core library
//! (no PKCS#11 module is loaded here).

use conformance_tests::harness::note;
use conformance_tests::secrets::open_token_key;
use cryptoki_sys as ck;
use softhsm::attr::{enc_bool, enc_ulong};
use softhsm::hsm::{AttrValue, Hsm};
use softhsm::mechanism::{Mechanism, Param};
use softhsm::session::{Out, Output};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// Bytes of a secret looked for (a shorter secret is looked for whole).
const WINDOW: usize = 16;
const MAX_PATTERNS: usize = 128;

struct Patterns {
    n: usize,
    len: [usize; MAX_PATTERNS],
    bytes: [[u8; WINDOW]; MAX_PATTERNS],
    /// Which secret each pattern belongs to (an index into `NAMES`).
    owner: [usize; MAX_PATTERNS],
}

static PATTERNS: Mutex<Patterns> = Mutex::new(Patterns {
    n: 0,
    len: [0; MAX_PATTERNS],
    bytes: [[0; WINDOW]; MAX_PATTERNS],
    owner: [0; MAX_PATTERNS],
});
static NAMES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static HITS: AtomicUsize = AtomicUsize::new(0);
static BLOCKS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);
/// The first hits, with where the block was freed (captured inside the hook).
static HIT_LOG: Mutex<Vec<(usize, usize, std::backtrace::Backtrace)>> = Mutex::new(Vec::new());

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// The secret (by owner index) a block holds in the clear, if any.
fn holds_secret(block: &[u8]) -> Option<usize> {
    let p = PATTERNS.lock().unwrap_or_else(|e| e.into_inner());
    for i in 0..p.n {
        let pat = &p.bytes[i][..p.len[i]];
        if block.len() >= pat.len() && block.windows(pat.len()).any(|w| w == pat) {
            return Some(p.owner[i]);
        }
    }
    None
}

struct Scanning;

// SAFETY: every call is forwarded to `System` with the same arguments; `dealloc` only reads
// and zeroes the block it is given (still ours until `System.dealloc`) before freeing it.
unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.with(Cell::get) && !IN_HOOK.with(Cell::get) {
            IN_HOOK.with(|c| c.set(true));
            // SAFETY: `ptr` is a live block of `layout.size()` bytes allocated by us; it is
            // freed only below.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            BLOCKS.fetch_add(1, Relaxed);
            BYTES.fetch_add(block.len(), Relaxed);
            if let Some(owner) = holds_secret(block) {
                if HITS.fetch_add(1, Relaxed) < 8 {
                    let bt = std::backtrace::Backtrace::force_capture();
                    HIT_LOG
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((owner, block.len(), bt));
                }
            }
            IN_HOOK.with(|c| c.set(false));
        }
        // Every block is wiped once scanned (or unscanned: the test's own copies), so a block
        // handed out again never carries stale bytes that would be blamed on its next owner.
        // SAFETY: the block is still ours, `layout.size()` bytes long.
        unsafe { std::ptr::write_bytes(ptr, 0, layout.size()) };
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Scanning = Scanning;

/// Registers `secret` to be looked for: its first bytes, its middle bytes and its lower-case
/// hex (a window of each).
fn register(name: &str, secret: &[u8]) {
    assert!(secret.len() >= 8, "{name}: too short to look for");
    let mut names = NAMES.lock().unwrap();
    let owner = names.len();
    names.push(name.to_string());
    drop(names);
    let hex = hex::encode(&secret[..secret.len().min(WINDOW / 2)]);
    let mut windows: Vec<&[u8]> = vec![&secret[..secret.len().min(WINDOW)], hex.as_bytes()];
    if secret.len() >= 2 * WINDOW {
        let mid = secret.len() / 2;
        windows.push(&secret[mid..mid + WINDOW]);
    }
    let mut p = PATTERNS.lock().unwrap();
    for w in windows {
        let i = p.n;
        assert!(i < MAX_PATTERNS, "too many patterns");
        p.len[i] = w.len();
        p.bytes[i][..w.len()].copy_from_slice(w);
        p.owner[i] = owner;
        p.n += 1;
    }
}

/// Runs `f` with this thread's frees scanned.
fn armed<T>(f: impl FnOnce() -> T) -> T {
    ARMED.with(|c| c.set(true));
    let r = f();
    ARMED.with(|c| c.set(false));
    r
}

fn hits_report() -> String {
    let names = NAMES.lock().unwrap().clone();
    let log = HIT_LOG.lock().unwrap();
    log.iter()
        .map(|(o, len, bt)| format!("{} in a freed block of {len} bytes, freed at:\n{bt}", names[*o]))
        .collect::<Vec<_>>()
        .join("\n\n")
}

const SO_PIN: &[u8] = b"zero-so-pin-51c3";
const USER_PIN: &[u8] = b"zero-user-pin-a7e2";
const LABEL: &str = "zeroized";

fn data(o: Output) -> Vec<u8> {
    match o {
        Output::Data(d) => d,
        Output::Len(n) => panic!("a length ({n}), not data"),
    }
}

fn value(h: &Hsm, s: u64, k: u64, t: u64) -> Vec<u8> {
    match armed(|| h.get_attributes(s, k, &[t])).unwrap().remove(0) {
        AttrValue::Value(v) => v,
        other => panic!("attribute {t:#x}: {other:?}"),
    }
}

fn secret_template(value: &[u8], sensitive: bool) -> Vec<(u64, Vec<u8>)> {
    vec![
        (ck::CKA_CLASS, enc_ulong(ck::CKO_SECRET_KEY)),
        (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_AES)),
        (ck::CKA_VALUE, value.to_vec()),
        (ck::CKA_TOKEN, enc_bool(true)),
        (ck::CKA_SENSITIVE, enc_bool(sensitive)),
        (ck::CKA_EXTRACTABLE, enc_bool(true)),
        (ck::CKA_ENCRYPT, enc_bool(true)),
        (ck::CKA_DECRYPT, enc_bool(true)),
        (ck::CKA_WRAP, enc_bool(true)),
        (ck::CKA_UNWRAP, enc_bool(true)),
    ]
}

#[test]
fn freed_memory_holds_no_pin_token_key_or_key_value() {
    // The scan can fail: a plain copy of a secret is found when freed, a zeroizing one is not.
    let probe: Vec<u8> = (0..32u8).map(|i| i ^ 0x5e).collect();
    register("probe", &probe);
    armed(|| drop(probe.to_vec()));
    assert_eq!(HITS.load(Relaxed), 1, "a freed plain copy of a secret is found");
    armed(|| drop(zeroize::Zeroizing::new(probe.to_vec())));
    assert_eq!(HITS.load(Relaxed), 1, "a zeroized copy is not");
    HITS.store(0, Relaxed);
    HIT_LOG.lock().unwrap().clear();

    register("SO PIN", SO_PIN);
    register("user PIN", USER_PIN);
    let dir = tempfile::tempdir().unwrap();
    let mut config = softhsm::config::Config::default();
    config.store.path = Some(dir.path().join("store.db"));
    config.pin.kdf_iterations = Some(1000);
    let mut hsm = armed(|| Hsm::open(config)).unwrap();
    hsm.set_key_manager(true);
    let rw = ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION;
    let s = armed(|| {
        hsm.init_token(0, SO_PIN, LABEL.as_bytes())?;
        let s = hsm.open_session(0, rw)?;
        hsm.login(s, ck::CKU_SO, SO_PIN)?;
        hsm.init_pin(s, USER_PIN)?;
        hsm.logout(s)?;
        hsm.login(s, ck::CKU_USER, USER_PIN)?;
        softhsm::Result::Ok(s)
    })
    .unwrap();
    let t = hsm.tokens().unwrap().remove(0);
    let token_key = open_token_key(t.user_key.as_ref().unwrap(), USER_PIN, &t.uid, b'U');
    register("token key", &token_key);
    drop(t);

    // A key with a chosen value: created, used, read back, wrapping another.
    let aes: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(13) ^ 0xc4).collect();
    register("AES key (created)", &aes);
    let template = secret_template(&aes, false);
    let k = armed(|| hsm.create_object(s, &template)).unwrap();
    drop(template);
    let cbc = Mechanism {
        mech: ck::CKM_AES_CBC_PAD,
        param: Param::Iv(vec![0; 16]),
    };
    let ct = armed(|| {
        hsm.cipher_init(s, &cbc, k, true)?;
        hsm.cipher_once(s, b"zeroized on drop", Out::Cap(64), true)
    })
    .unwrap();
    assert_eq!(value(&hsm, s, k, ck::CKA_VALUE), aes);

    // A generated sensitive key, learnt through an unwrapped readable copy.
    let g = armed(|| {
        hsm.generate_key(
            s,
            &Mechanism::new(ck::CKM_AES_KEY_GEN),
            &[
                (ck::CKA_VALUE_LEN, enc_ulong(32)),
                (ck::CKA_TOKEN, enc_bool(true)),
                (ck::CKA_SENSITIVE, enc_bool(true)),
                (ck::CKA_EXTRACTABLE, enc_bool(true)),
                (ck::CKA_ENCRYPT, enc_bool(true)),
                (ck::CKA_DECRYPT, enc_bool(true)),
            ],
        )
    })
    .unwrap();
    let wrap = Mechanism::new(ck::CKM_AES_KEY_WRAP);
    let wrapped = data(armed(|| hsm.wrap_key(s, &wrap, k, g, Out::Cap(64))).unwrap());
    let copy = armed(|| {
        hsm.unwrap_key(
            s,
            &wrap,
            k,
            &wrapped,
            &[
                (ck::CKA_CLASS, enc_ulong(ck::CKO_SECRET_KEY)),
                (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_AES)),
                (ck::CKA_TOKEN, enc_bool(false)),
                (ck::CKA_SENSITIVE, enc_bool(false)),
                (ck::CKA_EXTRACTABLE, enc_bool(true)),
            ],
        )
    })
    .unwrap();
    register(
        "AES key (generated sensitive)",
        &value(&hsm, s, copy, ck::CKA_VALUE),
    );

    // An RSA and an EC key pair, private parts readable so the test knows them.
    let private = [
        (ck::CKA_TOKEN, enc_bool(true)),
        (ck::CKA_PRIVATE, enc_bool(true)),
        (ck::CKA_SENSITIVE, enc_bool(false)),
        (ck::CKA_EXTRACTABLE, enc_bool(true)),
        (ck::CKA_SIGN, enc_bool(true)),
    ];
    let (_, rsa) = armed(|| {
        hsm.generate_key_pair(
            s,
            &Mechanism::new(ck::CKM_RSA_PKCS_KEY_PAIR_GEN),
            &[
                (ck::CKA_MODULUS_BITS, enc_ulong(2048)),
                (ck::CKA_PUBLIC_EXPONENT, vec![1, 0, 1]),
                (ck::CKA_TOKEN, enc_bool(true)),
            ],
            &private,
        )
    })
    .unwrap();
    register("RSA d", &value(&hsm, s, rsa, ck::CKA_PRIVATE_EXPONENT));
    register("RSA p", &value(&hsm, s, rsa, ck::CKA_PRIME_1));
    let p256 = vec![0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    let (_, ec) = armed(|| {
        hsm.generate_key_pair(
            s,
            &Mechanism::new(ck::CKM_EC_KEY_PAIR_GEN),
            &[(ck::CKA_EC_PARAMS, p256), (ck::CKA_TOKEN, enc_bool(true))],
            &private,
        )
    })
    .unwrap();
    register("EC private value", &value(&hsm, s, ec, ck::CKA_VALUE));

    // Everything again now that every secret is known (the KMIP part below logs in again, so
    // the token key's unwrapping is scanned too).
    armed(|| -> softhsm::Result<()> {
        for key in [k, g] {
            hsm.cipher_init(s, &cbc, key, true)?;
            hsm.cipher_once(s, b"zeroized on drop", Out::Cap(64), true)?;
        }
        hsm.cipher_init(s, &cbc, k, false)?;
        hsm.cipher_once(s, &data(ct), Out::Cap(64), false)?;
        for (key, mech) in [(rsa, ck::CKM_SHA256_RSA_PKCS), (ec, ck::CKM_ECDSA_SHA256)] {
            hsm.sign_init(s, &Mechanism::new(mech), key)?;
            hsm.sign(s, b"signed", Out::Cap(512))?;
        }
        let pad = Mechanism::new(ck::CKM_AES_KEY_WRAP_PAD);
        for key in [g, rsa, ec] {
            hsm.wrap_key(s, &pad, k, key, Out::Cap(4096))?;
        }
        Ok(())
    })
    .unwrap();

    let figures_core = (BLOCKS.load(Relaxed), HITS.load(Relaxed));
    kmip_workload(hsm, s);

    let blocks = BLOCKS.load(Relaxed);
    let bytes = BYTES.load(Relaxed);
    let hits = HITS.load(Relaxed);
    note(&format!(
        "secrets_zeroized: {} secrets, {blocks} freed blocks scanned ({bytes} bytes; {} in the \
         core part), hits {hits}",
        NAMES.lock().unwrap().len() - 1,
        figures_core.0
    ));
    assert_eq!(hits, 0, "secrets left in freed memory:\n{}", hits_report());
}

/// The KMIP dispatcher on the same `Hsm`: Register, Get (clear and wrapped), Encrypt; then
/// everything dropped, armed.
fn kmip_workload(mut hsm: Hsm, s: u64) {
    use kmip_server::message::request;
    use kmip_server::ttlv::enums::{KeyFormatType, ObjectType, Operation};
    use kmip_server::ttlv::{binary, Tag, Ttlv};
    use kmip_server::version::Version;

    armed(|| hsm.close_session(s)).unwrap();
    hsm.set_key_manager(true);
    let hsm = Arc::new(hsm);
    let mut kmip = kmip_server::dispatch::Kmip::new(hsm.clone());
    armed(|| kmip.login(LABEL, USER_PIN)).unwrap();
    let v = Version::new(2, 1);
    let call = |op: Operation, payload: Vec<Ttlv>| -> Ttlv {
        let bytes = binary::encode(&request(v, vec![(op, payload)]));
        let answer = armed(|| kmip.handle_bytes(LABEL, &bytes));
        let resp = binary::decode(&answer, &Default::default()).unwrap();
        let item = resp.find(Tag::BATCH_ITEM).unwrap().clone();
        item.find(Tag::RESPONSE_PAYLOAD)
            .cloned()
            .unwrap_or_else(|| panic!("{op:?} failed: {item:?}"))
    };
    let uid_of = |p: &Ttlv| {
        p.find(Tag::UNIQUE_IDENTIFIER)
            .and_then(Ttlv::as_text)
            .unwrap()
            .to_string()
    };
    let key: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(71) ^ 0x2d).collect();
    register("KMIP AES key (registered)", &key);
    let register_aes = |value: &[u8], mask: i32| {
        call(
            Operation::REGISTER,
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
                Ttlv::structure(
                    Tag::ATTRIBUTES,
                    vec![
                        Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask),
                        Ttlv::date(Tag::ACTIVATION_DATE, 1),
                    ],
                ),
                Ttlv::structure(
                    Tag::SYMMETRIC_KEY,
                    vec![Ttlv::structure(
                        Tag::KEY_BLOCK,
                        vec![
                            Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, KeyFormatType::RAW.0),
                            Ttlv::structure(
                                Tag::KEY_VALUE,
                                vec![Ttlv::bytes(Tag::KEY_MATERIAL, value.to_vec())],
                            ),
                            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 3),
                            Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, value.len() as i32 * 8),
                        ],
                    )],
                ),
            ],
        )
    };
    let u = uid_of(&register_aes(&key, 0x4 | 0x8 | 0x10 | 0x20));
    let got = call(Operation::GET, vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &u)]);
    let material = got
        .find(Tag::SYMMETRIC_KEY)
        .and_then(|k| k.find(Tag::KEY_BLOCK))
        .and_then(|b| b.find(Tag::KEY_VALUE))
        .and_then(|v| v.find(Tag::KEY_MATERIAL))
        .and_then(Ttlv::as_bytes)
        .unwrap();
    assert_eq!(material, &key[..]);
    drop(got);
    call(
        Operation::ENCRYPT,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, &u),
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![
                    Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, 1),
                    Ttlv::enumeration(Tag::PADDING_METHOD, 3),
                ],
            ),
            Ttlv::bytes(Tag::DATA, b"kmip data".to_vec()),
            Ttlv::bytes(Tag::IV_COUNTER_NONCE, vec![1; 16]),
        ],
    );
    let other = uid_of(&register_aes(&[0x77; 16], 0x4 | 0x8));
    call(
        Operation::GET,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, &other),
            Ttlv::structure(
                Tag::KEY_WRAPPING_SPECIFICATION,
                vec![
                    Ttlv::enumeration(Tag::WRAPPING_METHOD, 1),
                    Ttlv::structure(
                        Tag::ENCRYPTION_KEY_INFORMATION,
                        vec![
                            Ttlv::text(Tag::UNIQUE_IDENTIFIER, &u),
                            Ttlv::structure(
                                Tag::CRYPTOGRAPHIC_PARAMETERS,
                                vec![Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, 0xD)],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    );
    // Everything the product holds — sessions, caches, the token key — is freed, armed.
    armed(move || {
        drop(kmip);
        drop(hsm);
    });
}
