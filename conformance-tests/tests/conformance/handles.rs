//! Handles used where they do not belong (base §5.1: CKR_SESSION_HANDLE_INVALID,
//! CKR_OBJECT_HANDLE_INVALID, CKR_KEY_HANDLE_INVALID): objects of another token's session,
//! a session object after its session closed, thousands of random handles, and handles that
//! are valid in another process (`p11-handles`).

use crate::util::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// Object calls on `o` through session `h` that must all say the handle is not there.
fn assert_object_unreachable(
    h: CK_SESSION_HANDLE,
    o: CK_OBJECT_HANDLE,
    key_for: CK_OBJECT_HANDLE,
    what: &str,
) {
    let mut a = CK_ATTRIBUTE {
        type_: CKA_LABEL,
        pValue: std::ptr::null_mut(),
        ulValueLen: 0,
    };
    let mut size = 0;
    let mut copy = 0;
    let mut flag: CK_BBOOL = CK_TRUE;
    let mut set = CK_ATTRIBUTE {
        type_: CKA_LABEL,
        pValue: &mut flag as *mut _ as *mut _,
        ulValueLen: 1,
    };
    let got = p11!(C_GetAttributeValue(h, o, &mut a, 1));
    if got != CKR_OBJECT_HANDLE_INVALID
        && diverges(&format!(
            "a session is not refused an object of another token ({what}: C_GetAttributeValue \
             returns {})",
            rv_name(got)
        ))
    {
        return;
    }
    let mut none = [a];
    for (f, got) in [
        ("C_GetAttributeValue", got),
        ("C_GetObjectSize", p11!(C_GetObjectSize(h, o, &mut size))),
        (
            "C_SetAttributeValue",
            p11!(C_SetAttributeValue(h, o, &mut set, 1)),
        ),
        (
            "C_CopyObject",
            p11!(C_CopyObject(h, o, none.as_mut_ptr(), 0, &mut copy)),
        ),
        ("C_DestroyObject", p11!(C_DestroyObject(h, o))),
    ] {
        assert_eq!(
            got,
            CKR_OBJECT_HANDLE_INVALID,
            "{f}({what} {o:#x}): {}",
            rv_name(got)
        );
    }
    let mut ecb = raw_mech::<u8>(CKM_AES_ECB, None);
    expect_ckr(
        p11!(C_EncryptInit(h, &mut ecb, o)),
        CKR_KEY_HANDLE_INVALID,
        CKR_OBJECT_HANDLE_INVALID,
        &format!("C_EncryptInit({what} {o:#x})"),
    );
    let mut kw = raw_mech::<u8>(CKM_AES_KEY_WRAP, None);
    let (mut out, mut len) = ([0u8; 64], 64);
    let got = p11!(C_WrapKey(h, &mut kw, key_for, o, out.as_mut_ptr(), &mut len));
    expect_ckr(
        got,
        CKR_KEY_HANDLE_INVALID,
        CKR_OBJECT_HANDLE_INVALID,
        &format!("C_WrapKey(of {what} {o:#x})"),
    );
}

#[test]
fn handles_of_another_token_and_of_closed_sessions() {
    let (_a, sa) = user_token("handles-a");
    let (slot_b, sb) = user_token("handles-b");
    let ka = import_aes(&sa, &[0x0a; 16]);
    let ta = sa
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Label(b"handles-a".to_vec()),
        ])
        .unwrap();
    let kb = import_aes(&sb, &[0x0b; 16]);
    for (o, what) in [
        (ka, "another token's session key"),
        (ta, "another token's token object"),
    ] {
        assert_object_unreachable(sb.handle(), o.handle(), kb.handle(), what);
    }
    // Nothing was destroyed through the wrong token.
    assert_eq!(get_bytes(&sa, ta, AttributeType::Label), b"handles-a");
    sa.encrypt(&Mechanism::AesEcb, ka, &[0; 16])
        .expect("the key still works on its token");

    // A session object is the application's on its token (any of its sessions may use it),
    // until the session that made it closes.
    let sb2 = pkcs11().open_rw_session(slot_b).unwrap();
    let kb2 = import_aes(&sb2, &[0x0c; 16]);
    sb.encrypt(&Mechanism::AesEcb, kb2, &[0; 16])
        .expect("another session's session object");
    let closed = sb2.handle();
    sb2.close().unwrap();
    assert_object_unreachable(sb.handle(), kb2.handle(), kb.handle(), "a closed session's key");
    let mut info = CK_SESSION_INFO::default();
    assert_ckr!(
        p11!(C_GetSessionInfo(closed, &mut info)),
        CKR_SESSION_HANDLE_INVALID
    );
}

/// xorshift64*: a fixed sequence of handle values.
fn next(x: &mut u64) -> u64 {
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    x.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

const RANDOM_HANDLES: usize = 2_000;

#[test]
fn random_handles() {
    let (_slot, s) = user_token("handles-random");
    let k = import_aes(&s, &[0x0d; 16]);
    let d = s
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Label(b"r".to_vec()),
        ])
        .unwrap();
    let mine = [k.handle(), d.handle()];
    let mut x = 0x5eed_0f4a_2d1e_55aa_u64;
    let mut values: Vec<CK_ULONG> = vec![0, CK_ULONG::MAX, CK_ULONG::MAX - 1, 1 << 63, u32::MAX as CK_ULONG];
    values.extend((0..RANDOM_HANDLES).map(|_| next(&mut x) as CK_ULONG));
    let (mut checked, mut softhsm2_object_invalid) = (0, 0);
    for v in values {
        if mine.contains(&v) {
            continue;
        }
        checked += 1;
        let mut a = CK_ATTRIBUTE {
            type_: CKA_CLASS,
            pValue: std::ptr::null_mut(),
            ulValueLen: 0,
        };
        let got = p11!(C_GetAttributeValue(s.handle(), v, &mut a, 1));
        assert_eq!(
            got,
            CKR_OBJECT_HANDLE_INVALID,
            "object handle {v:#x}: {}",
            rv_name(got)
        );
        let mut ecb = raw_mech::<u8>(CKM_AES_ECB, None);
        let got = p11!(C_EncryptInit(s.handle(), &mut ecb, v));
        if got == CKR_OBJECT_HANDLE_INVALID && is_softhsm2() {
            softhsm2_object_invalid += 1;
        } else {
            assert_eq!(
                got,
                CKR_KEY_HANDLE_INVALID,
                "C_EncryptInit(key handle {v:#x}): {}",
                rv_name(got)
            );
        }
        // Session handles: this process numbers its sessions from 1, so only values above
        // 2^32 are surely not one of the other tests' sessions.
        if v == 0 || v > u32::MAX as CK_ULONG {
            let mut info = CK_SESSION_INFO::default();
            let got = p11!(C_GetSessionInfo(v, &mut info));
            assert_eq!(
                got,
                CKR_SESSION_HANDLE_INVALID,
                "session handle {v:#x}: {}",
                rv_name(got)
            );
        }
    }
    if softhsm2_object_invalid > 0 {
        diverges(&format!(
            "C_EncryptInit returns CKR_OBJECT_HANDLE_INVALID instead of CKR_KEY_HANDLE_INVALID \
             ({softhsm2_object_invalid} random key handles)"
        ));
    }
    note(&format!(
        "handles: {checked} random object, key and session handles refused"
    ));
}

#[test]
fn handles_of_another_process() {
    let label = format!("handles-proc-{}", uniq());
    let (slot, _, _) = fresh_token(&label);
    // This process holds a session on the token but has issued no object handle there.
    let s = user_session(slot);
    let mut giver = Command::new(env!("CARGO_BIN_EXE_p11-handles"))
        .arg("give")
        .env("P11_MODULE", module_path())
        .env("P11_TOKEN_LABEL", &label)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn p11-handles give");
    let mut line = String::new();
    BufReader::new(giver.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read the handles");
    let field = |name: &str| -> CK_ULONG {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("p11-handles give printed {line:?}"))
    };
    let (session, key, object) = (field("session"), field("key"), field("object"));
    // Here the numbers name nothing on this token.
    let kb = import_aes(&s, &[0x0e; 16]);
    for (o, what) in [
        (key, "another process's session key"),
        (object, "another process's token object"),
    ] {
        if o == kb.handle() {
            note(&format!(
                "SKIP: {}: {what} has the number of this process's own key",
                test_name()
            ));
            continue;
        }
        assert_object_unreachable(s.handle(), o, kb.handle(), what);
    }
    // In a third process with a single session of its own, none of them names anything.
    let out = Command::new(env!("CARGO_BIN_EXE_p11-handles"))
        .args([
            "take",
            &session.to_string(),
            &key.to_string(),
            &object.to_string(),
        ])
        .env("P11_MODULE", module_path())
        .env("P11_TOKEN_LABEL", &label)
        .output()
        .expect("spawn p11-handles take");
    let _ = giver.stdin.take().unwrap().write_all(b"done\n");
    let status = giver.wait().expect("wait for p11-handles give");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for l in stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| l.starts_with("SKIP"))
    {
        note(l);
    }
    assert!(status.success(), "p11-handles give: {status}");
    assert!(
        out.status.success() && stdout.contains("handles: all checks passed"),
        "p11-handles take ({}):\n{stdout}\n{stderr}",
        out.status
    );
}
