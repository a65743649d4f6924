//! Multi-process worker for `multiprocess::concurrent_workers`.
//!
//! Usage: `p11-worker <iterations> <tag>` with `P11_MODULE`, the harness
//! environment and `P11_TOKEN_LABEL` (token to use) set by the parent.
//! Logs in as the user and, per iteration `i`: creates a token data object
//! and a token AES key labelled `<tag>-<i>`, finds them by label and checks
//! their contents, destroys both when `i % 3 == 0`, and every 10th iteration
//! encrypts/decrypts with a surviving AES key created by another worker.
//! Prints `worker <tag>: created N, found N, destroyed N, errors 0` and exits
//! non-zero on any error.

use conformance_tests::harness::{self, USER_PIN};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;

struct Counts {
    created: usize,
    found: usize,
    destroyed: usize,
    foreign: usize,
    errors: usize,
}

fn label_of(s: &Session, o: ObjectHandle) -> Option<String> {
    match s.get_attributes(o, &[AttributeType::Label]).ok()?.first()? {
        Attribute::Label(l) => Some(String::from_utf8_lossy(l).into_owned()),
        _ => None,
    }
}

fn run_iteration(s: &Session, tag: &str, i: usize, c: &mut Counts) -> Result<(), String> {
    let label = format!("{tag}-{i}");
    let value = format!("{tag}:{i}").into_bytes();
    let data = s
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Value(value.clone()),
        ])
        .map_err(|e| format!("create data {label}: {e}"))?;
    c.created += 1;
    let key = s
        .generate_key(
            &Mechanism::AesKeyGen,
            &[
                Attribute::Token(true),
                Attribute::ValueLen(16.into()),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
                Attribute::Label(label.as_bytes().to_vec()),
            ],
        )
        .map_err(|e| format!("generate key {label}: {e}"))?;
    c.created += 1;

    let found = s
        .find_objects(&[Attribute::Label(label.as_bytes().to_vec())])
        .map_err(|e| format!("find {label}: {e}"))?;
    if found.len() != 2 || !found.contains(&data) || !found.contains(&key) {
        return Err(format!("find {label}: got {found:?}, want [{data}, {key}]"));
    }
    c.found += found.len();
    match s
        .get_attributes(data, &[AttributeType::Value])
        .map_err(|e| format!("read {label}: {e}"))?
        .as_slice()
    {
        [Attribute::Value(v)] if *v == value => {}
        other => return Err(format!("read {label}: {other:?}")),
    }

    if i % 3 == 0 {
        s.destroy_object(data)
            .map_err(|e| format!("destroy data {label}: {e}"))?;
        s.destroy_object(key)
            .map_err(|e| format!("destroy key {label}: {e}"))?;
        c.destroyed += 2;
        let left = s
            .find_objects(&[Attribute::Label(label.as_bytes().to_vec())])
            .map_err(|e| format!("find after destroy {label}: {e}"))?;
        if !left.is_empty() {
            return Err(format!("{label} still found after destroy: {left:?}"));
        }
    }

    if i % 10 == 9 {
        let keys = s
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::AES),
            ])
            .map_err(|e| format!("find keys: {e}"))?;
        let own = format!("{tag}-");
        // A foreign key that is never destroyed (index not a multiple of 3).
        let foreign = keys.into_iter().find(|k| {
            label_of(s, *k).is_some_and(|l| {
                !l.starts_with(&own)
                    && l.rsplit('-')
                        .next()
                        .and_then(|n| n.parse::<usize>().ok())
                        .is_some_and(|n| n % 3 != 0)
            })
        });
        if let Some(k) = foreign {
            let iv = [i as u8; 16];
            let ct = s
                .encrypt(&Mechanism::AesCbcPad(iv), k, &value)
                .map_err(|e| format!("encrypt with foreign key: {e}"))?;
            let pt = s
                .decrypt(&Mechanism::AesCbcPad(iv), k, &ct)
                .map_err(|e| format!("decrypt with foreign key: {e}"))?;
            if pt != value {
                return Err("foreign key round trip mismatch".into());
            }
            c.foreign += 1;
        }
    }
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: p11-worker <iterations> <tag>");
    let tag = args.next().expect("usage: p11-worker <iterations> <tag>");
    let token_label = std::env::var("P11_TOKEN_LABEL").expect("P11_TOKEN_LABEL");
    let pin = std::env::var("P11_USER_PIN").unwrap_or_else(|_| USER_PIN.to_string());

    harness::harness_dir();
    // The token was initialised by the parent before this process started;
    // a module that does not list it at once gets a few more tries (and the
    // parent test reports the retries).
    let mut attempts = 0;
    let (p11, slot) = loop {
        attempts += 1;
        let p11 = Pkcs11::new(harness::module_path()).expect("load module");
        p11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .expect("C_Initialize");
        let slot = harness::slot_with_label(&p11, &token_label);
        if let Some(slot) = slot {
            break (p11, slot);
        }
        if attempts >= 10 {
            panic!("no token labelled {token_label} after {attempts} attempts");
        }
        let _ = p11.finalize();
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    println!("worker {tag}: token found after {attempts} attempt(s)");
    let s = p11.open_rw_session(slot).expect("C_OpenSession");
    s.login(UserType::User, Some(&AuthPin::from(pin)))
        .expect("user C_Login");

    let mut c = Counts {
        created: 0,
        found: 0,
        destroyed: 0,
        foreign: 0,
        errors: 0,
    };
    for i in 0..iterations {
        if let Err(e) = run_iteration(&s, &tag, i, &mut c) {
            eprintln!("worker {tag}: iteration {i}: {e}");
            c.errors += 1;
            if c.errors >= 5 {
                break;
            }
        }
    }
    println!(
        "worker {tag}: created {}, found {}, destroyed {}, errors {}",
        c.created, c.found, c.destroyed, c.errors
    );
    println!("worker {tag}: used {} keys of other workers", c.foreign);
    let _ = s.logout();
    drop(s);
    let _ = p11.finalize();
    if c.errors > 0 {
        std::process::exit(1);
    }
}
