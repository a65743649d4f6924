//! Thread safety of one module instance: eight threads, each with its own
//! session on one token (logged in once for the application), run a bounded
//! mix of operations; afterwards the token holds exactly the expected
//! objects. Also C_Initialize/C_Finalize cycles racing C_GetSlotList, in the
//! `p11-init-race` helper process.

use crate::util::*;
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

const THREADS: usize = 8;
const ITERATIONS: usize = 50;
const DEADLINE: Duration = Duration::from_secs(120);
/// Extra time, after the deadline, for threads to finish their iteration.
const GRACE: Duration = Duration::from_secs(60);
/// Data object `i` of a thread is kept when `i % KEEP == 0`.
const KEEP: usize = 5;
const HMAC_LABEL: &[u8] = b"threads-hmac";
const HMAC_KEY: [u8; 32] = [0x4b; 32];
/// Serialises the token object part of the iterations where the module needs
/// it (SoftHSMv2).
static TOKEN_ACCESS: Mutex<()> = Mutex::new(());

struct Report {
    thread: usize,
    done: usize,
    errors: Vec<String>,
}

fn data_label(t: usize, i: usize) -> Vec<u8> {
    format!("t{t}-data-{i}").into_bytes()
}

fn iteration(s: &Session, t: usize, i: usize, hmac: ObjectHandle, serialise: bool) -> Result<(), String> {
    let e = |what: &str| {
        let what = what.to_string();
        move |err: cryptoki::error::Error| format!("iteration {i}: {what}: {err}")
    };
    // A session AES key, encrypt/decrypt round trip.
    let key_label = format!("t{t}-key-{i}").into_bytes();
    let key = s
        .generate_key(
            &Mechanism::AesKeyGen,
            &[
                Attribute::Token(false),
                Attribute::ValueLen(32.into()),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
                Attribute::Label(key_label.clone()),
            ],
        )
        .map_err(e("C_GenerateKey(AES)"))?;
    let pt = format!("thread {t}, iteration {i}: some data to encrypt").into_bytes();
    let iv = [(t * 31 + i) as u8; 16];
    let ct = s
        .encrypt(&Mechanism::AesCbcPad(iv), key, &pt)
        .map_err(e("C_Encrypt"))?;
    let back = s
        .decrypt(&Mechanism::AesCbcPad(iv), key, &ct)
        .map_err(e("C_Decrypt"))?;
    if back != pt || ct.len() != (pt.len() / 16 + 1) * 16 {
        return Err(format!("iteration {i}: AES round trip mismatch"));
    }
    // SHA-256.
    let d = s.digest(&Mechanism::Sha256, &pt).map_err(e("C_Digest"))?;
    if d != aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &pt).as_ref() {
        return Err(format!("iteration {i}: SHA-256 mismatch"));
    }
    let _guard = serialise.then(|| TOKEN_ACCESS.lock().unwrap_or_else(|e| e.into_inner()));
    // HMAC with the shared token key, found by label.
    let found = s
        .find_objects(&[Attribute::Label(HMAC_LABEL.to_vec())])
        .map_err(e("C_FindObjects(HMAC label)"))?;
    if found != [hmac] {
        return Err(format!(
            "iteration {i}: HMAC key by label: {found:?}, want [{hmac}]"
        ));
    }
    let mac = s
        .sign(&Mechanism::Sha256Hmac, hmac, &pt)
        .map_err(e("C_Sign(HMAC)"))?;
    let want = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &HMAC_KEY),
        &pt,
    );
    if mac != want.as_ref() {
        return Err(format!("iteration {i}: HMAC-SHA256 mismatch"));
    }
    s.verify(&Mechanism::Sha256Hmac, hmac, &pt, &mac)
        .map_err(e("C_Verify(HMAC)"))?;
    let mut bad = mac.clone();
    bad[0] ^= 1;
    match s.verify(&Mechanism::Sha256Hmac, hmac, &pt, &bad) {
        Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::SignatureInvalid, _)) => {}
        other => return Err(format!("iteration {i}: C_Verify(bad HMAC): {other:?}")),
    }
    // The session key by its label.
    let found = s
        .find_objects(&[Attribute::Label(key_label)])
        .map_err(e("C_FindObjects(key label)"))?;
    if found != [key] {
        return Err(format!(
            "iteration {i}: own key by label: {found:?}, want [{key}]"
        ));
    }
    // A token data object: create, find, read, destroy most of them.
    let label = data_label(t, i);
    let value = format!("value {t}/{i}").into_bytes();
    let data = s
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Label(label.clone()),
            Attribute::Value(value.clone()),
        ])
        .map_err(e("C_CreateObject(data)"))?;
    let found = s
        .find_objects(&[Attribute::Label(label.clone())])
        .map_err(e("C_FindObjects(data label)"))?;
    if found != [data] {
        return Err(format!(
            "iteration {i}: data object by label: {found:?}, want [{data}]"
        ));
    }
    match s
        .get_attributes(data, &[AttributeType::Value])
        .map_err(e("C_GetAttributeValue"))?
        .as_slice()
    {
        [Attribute::Value(v)] if *v == value => {}
        other => return Err(format!("iteration {i}: data value {other:?}")),
    }
    if i % KEEP != 0 {
        s.destroy_object(data).map_err(e("C_DestroyObject(data)"))?;
        let left = s
            .find_objects(&[Attribute::Label(label)])
            .map_err(e("C_FindObjects after destroy"))?;
        if !left.is_empty() {
            return Err(format!(
                "iteration {i}: destroyed data object still found: {left:?}"
            ));
        }
    }
    // Half of the session keys are destroyed, the others go with the session.
    if i % 2 == 1 {
        s.destroy_object(key).map_err(e("C_DestroyObject(session key)"))?;
    }
    Ok(())
}

fn worker(slot: Slot, t: usize, hmac: ObjectHandle, start: Instant, serialise: bool) -> Report {
    let mut r = Report {
        thread: t,
        done: 0,
        errors: Vec::new(),
    };
    let s = match pkcs11().open_rw_session(slot) {
        Ok(s) => s,
        Err(err) => {
            r.errors.push(format!("C_OpenSession: {err}"));
            return r;
        }
    };
    match s.get_session_info().map(|i| i.session_state()) {
        Ok(SessionState::RwUser) => {}
        other => r
            .errors
            .push(format!("session state after the application's login: {other:?}")),
    }
    for i in 0..ITERATIONS {
        if !r.errors.is_empty() || start.elapsed() > DEADLINE {
            break;
        }
        match iteration(&s, t, i, hmac, serialise) {
            Ok(()) => r.done += 1,
            Err(err) => r.errors.push(err),
        }
    }
    if let Err(err) = s.close() {
        r.errors.push(format!("C_CloseSession: {err}"));
    }
    r
}

#[test]
fn eight_threads_share_one_module() {
    let (slot, s0) = user_token("threads");
    let hmac = import_secret(
        &s0,
        KeyType::GENERIC_SECRET,
        &HMAC_KEY,
        &[
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sign(true),
            Attribute::Verify(true),
            Attribute::Label(HMAC_LABEL.to_vec()),
        ],
    );
    // SoftHSMv2 (issue #573): C_CreateObject of a token object while other
    // threads find or use the token's objects sometimes fails with
    // CKR_GENERAL_ERROR. There the token object part of each iteration is
    // serialised; session keys, AES and digests stay concurrent.
    let serialise = diverges(
        "C_CreateObject(token) concurrent with C_FindObjects/C_Sign on token objects sometimes \
         returns CKR_GENERAL_ERROR; token object steps serialised",
    );
    let start = Instant::now();
    let (tx, rx) = mpsc::channel();
    for t in 0..THREADS {
        let tx = tx.clone();
        std::thread::Builder::new()
            .name(format!("p11-thread-{t}"))
            .spawn(move || {
                let _ = tx.send(worker(slot, t, hmac, start, serialise));
            })
            .expect("spawn thread");
    }
    drop(tx);
    let mut reports = Vec::new();
    while reports.len() < THREADS {
        let left = (DEADLINE + GRACE).saturating_sub(start.elapsed());
        match rx.recv_timeout(left) {
            Ok(r) => reports.push(r),
            Err(err) => panic!(
                "{} of {THREADS} threads did not finish within {:?} ({err}): a hang in the module?",
                THREADS - reports.len(),
                DEADLINE + GRACE
            ),
        }
    }
    reports.sort_by_key(|r| r.thread);
    for r in &reports {
        assert!(r.errors.is_empty(), "thread {}: {:?}", r.thread, r.errors);
        assert!(r.done > 0, "thread {} completed no iteration", r.thread);
        if r.done < ITERATIONS {
            note(&format!(
                "threads: thread {} stopped at the {DEADLINE:?} deadline after {} iterations",
                r.thread, r.done
            ));
        }
    }

    // Exactly the shared key and the kept data objects are left on the token;
    // the threads' session objects went with their sessions.
    let mut want: Vec<Vec<u8>> = vec![HMAC_LABEL.to_vec()];
    for r in &reports {
        want.extend(
            (0..r.done)
                .filter(|i| i % KEEP == 0)
                .map(|i| data_label(r.thread, i)),
        );
    }
    want.sort();
    let mut got: Vec<Vec<u8>> = find(&s0, &[Attribute::Token(true)])
        .into_iter()
        .map(|o| get_bytes(&s0, o, AttributeType::Label))
        .collect();
    got.sort();
    let show = |v: &[Vec<u8>]| {
        v.iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(show(&got), show(&want), "token objects after the run");
    let session_objects = find(&s0, &[Attribute::Token(false)]);
    assert!(
        session_objects.is_empty(),
        "session objects of closed sessions remain: {session_objects:?}"
    );
    for t in 0..THREADS {
        let o = find(
            &s0,
            &[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Label(data_label(t, 0)),
            ],
        );
        assert_eq!(o.len(), 1, "t{t}-data-0");
        assert_eq!(
            get_bytes(&s0, o[0], AttributeType::Value),
            format!("value {t}/0").into_bytes()
        );
    }
    // The HMAC key still works from the first session.
    let mac = s0
        .sign(&Mechanism::Sha256Hmac, hmac, b"after")
        .expect("HMAC after the run");
    s0.verify(&Mechanism::Sha256Hmac, hmac, b"after", &mac)
        .expect("HMAC verify after the run");
}

/// `p11-init-race`: 200 C_Initialize/C_Finalize cycles while 4 threads call
/// C_GetSlotList (CKR_OK or CKR_CRYPTOKI_NOT_INITIALIZED) and 4 threads use
/// sessions on a token (each call CKR_OK or a "gone" code, never a crash).
#[test]
fn initialize_finalize_race_get_slot_list() {
    if ours_only("C_Finalize concurrent with other calls is undefined by the standard (base 5.4)") {
        return;
    }
    let (slot, _, _) = fresh_token("init-race");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_p11-init-race"))
        .arg("200")
        .arg(slot.id().to_string())
        .env("P11_MODULE", module_path())
        .output()
        .expect("spawn p11-init-race");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "p11-init-race failed ({}; a signal means a crash):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("init-race: all checks passed"),
        "{stdout}\n{stderr}"
    );
    for l in stdout.lines().filter(|l| l.contains("calls")) {
        note(l);
    }
}
