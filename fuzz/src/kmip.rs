//! Whole KMIP requests against one keystore per fuzz process.
//!
//! The context (a SQLite store under `SOFTHSM_FUZZ_DIR`, one token initialised with a
//! 10-iteration PBKDF2 PIN, the server logged in as key manager) is built once and reused; it
//! is rebuilt in a fresh directory when the objects fuzz inputs created pass
//! [`MAX_OBJECTS`], so a long run keeps each execution cheap.

use kmip_server::dispatch::Kmip;
use kmip_server::ttlv::binary::{decode, Limits};
use kmip_server::ttlv::{Tag, Ttlv, Value};
use std::path::PathBuf;
use std::sync::Mutex;

/// Objects in the store before the context is rebuilt.
const MAX_OBJECTS: u64 = 2_000;
/// Largest Cryptographic Length an input may ask for: RSA key generation at 8192 bits takes
/// seconds in the fuzz build and teaches the fuzzer nothing about the parsers.
const MAX_KEY_BITS: i32 = 3072;
/// Largest iteration count an input may ask for (PBKDF2 Derive Key): the same reason.
const MAX_ITERATIONS: i32 = 10_000;

struct Ctx {
    kmip: Kmip,
    generation: u32,
    dir: PathBuf,
}

static CTX: Mutex<Option<Ctx>> = Mutex::new(None);

/// Where the fuzz stores live: `SOFTHSM_FUZZ_DIR` (scripts/fuzz.sh points it into its temp
/// directory and removes it), else a directory named after the process in the system temp.
pub fn work_dir(what: &str) -> PathBuf {
    let base = std::env::var_os("SOFTHSM_FUZZ_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("softhsm-fuzz-{}", std::process::id())));
    base.join(what)
}

fn build(generation: u32) -> Ctx {
    let dir = work_dir(&format!("kmip-{generation}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("fuzz work directory");
    let kmip = kmip_server::local::scratch_keystore(&dir).expect("scratch keystore");
    Ctx {
        kmip,
        generation,
        dir,
    }
}

/// True when the request asks for work whose cost is not about parsing (see the limits above).
fn too_costly(t: &Ttlv) -> bool {
    let big = match (&t.value, t.tag) {
        (Value::Integer(n), Tag::CRYPTOGRAPHIC_LENGTH) => *n > MAX_KEY_BITS,
        (Value::Integer(n), Tag::ITERATION_COUNT) => *n > MAX_ITERATIONS,
        // KMIP 1.x: an Attribute named "Cryptographic Length".
        (Value::Structure(_), _) => {
            t.find(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text) == Some("Cryptographic Length")
                && t.find(Tag::ATTRIBUTE_VALUE)
                    .and_then(Ttlv::as_int)
                    .is_some_and(|n| n > MAX_KEY_BITS)
        }
        _ => false,
    };
    big || t.items().iter().any(too_costly)
}

pub fn request(data: &[u8]) {
    if let Ok(t) = decode(data, &Limits::default()) {
        if too_costly(&t) {
            return;
        }
    }
    let mut guard = CTX.lock().unwrap_or_else(|e| e.into_inner());
    let ctx = guard.get_or_insert_with(|| build(0));
    let response = ctx.kmip.handle_bytes("kmip", data);
    let r = decode(&response, &Limits::default()).expect("the response decodes");
    assert_eq!(r.tag, Tag::RESPONSE_MESSAGE, "the answer is a Response Message");
    assert!(r.find(Tag::RESPONSE_HEADER).is_some(), "the answer has a header");
    let (token_objects, _) = ctx.kmip.hsm.object_counts(0).unwrap_or((0, 0));
    if token_objects > MAX_OBJECTS {
        let next = ctx.generation + 1;
        let old = std::mem::replace(ctx, build(next));
        let dir = old.dir.clone();
        drop(old);
        let _ = std::fs::remove_dir_all(dir);
    }
}
