//! Handles that are valid in another process, for `handles::handles_of_another_process`.
//! Usage, with the harness environment and `P11_TOKEN_LABEL` set by the parent:
//!
//! * `p11-handles give`: opens three sessions on the token and closes the first two, logs in,
//!   creates a session AES key and a token data object, prints
//!   `handles session=S key=K object=O` and keeps them until a line arrives on stdin.
//! * `p11-handles take S K O`: a process with one session of its own (no object handle issued):
//!   S is `CKR_SESSION_HANDLE_INVALID`; K and O are `CKR_OBJECT_HANDLE_INVALID` (and K
//!   `CKR_KEY_HANDLE_INVALID` for C_EncryptInit). Prints one line per check and
//!   `handles: all checks passed`, else exits non-zero.

use std::io::BufRead;

use conformance_tests::harness::{self, raw::rv_name, USER_PIN};
use conformance_tests::p11;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use cryptoki_sys::*;

fn token_slot() -> Slot {
    let label = std::env::var("P11_TOKEN_LABEL").expect("P11_TOKEN_LABEL");
    let p11 = harness::pkcs11();
    p11.get_slots_with_initialized_token()
        .expect("C_GetSlotList")
        .into_iter()
        .find(|s| {
            p11.get_token_info(*s)
                .map(|t| t.label() == label)
                .unwrap_or(false)
        })
        .unwrap_or_else(|| panic!("no token labelled {label}"))
}

fn give() {
    let p11 = harness::pkcs11();
    let slot = token_slot();
    for _ in 0..2 {
        p11.open_ro_session(slot)
            .expect("C_OpenSession")
            .close()
            .expect("C_CloseSession");
    }
    let s = p11.open_rw_session(slot).expect("C_OpenSession");
    s.login(UserType::User, Some(&AuthPin::from(USER_PIN)))
        .expect("C_Login");
    let key = s
        .generate_key(
            &Mechanism::AesKeyGen,
            &[
                Attribute::Token(false),
                Attribute::ValueLen(16.into()),
                Attribute::Encrypt(true),
            ],
        )
        .expect("C_GenerateKey");
    let object = s
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Label(b"p11-handles".to_vec()),
        ])
        .expect("C_CreateObject");
    println!("handles session={} key={key} object={object}", s.handle());
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}

fn take(session: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, object: CK_OBJECT_HANDLE) -> bool {
    let slot = token_slot();
    let own = harness::pkcs11().open_rw_session(slot).expect("C_OpenSession");
    let h = own.handle();
    let mut ok = true;
    let mut check = |what: &str, got: CK_RV, want: &[CK_RV]| {
        if want.contains(&got) {
            println!("ok: {what}: {}", rv_name(got));
        } else {
            println!("FAIL: {what}: {}", rv_name(got));
            ok = false;
        }
    };
    if session == h {
        println!("SKIP: the other process's session number {session} is this process's own");
    } else {
        let mut info = CK_SESSION_INFO::default();
        check(
            "C_GetSessionInfo(another process's session)",
            p11!(C_GetSessionInfo(session, &mut info)),
            &[CKR_SESSION_HANDLE_INVALID],
        );
        check(
            "C_CloseSession(another process's session)",
            p11!(C_CloseSession(session)),
            &[CKR_SESSION_HANDLE_INVALID],
        );
    }
    for (what, o) in [("session key", key), ("token object", object)] {
        let mut a = CK_ATTRIBUTE {
            type_: CKA_CLASS,
            pValue: std::ptr::null_mut(),
            ulValueLen: 0,
        };
        check(
            &format!("C_GetAttributeValue(another process's {what})"),
            p11!(C_GetAttributeValue(h, o, &mut a, 1)),
            &[CKR_OBJECT_HANDLE_INVALID],
        );
        check(
            &format!("C_DestroyObject(another process's {what})"),
            p11!(C_DestroyObject(h, o)),
            &[CKR_OBJECT_HANDLE_INVALID],
        );
    }
    let mut m = CK_MECHANISM {
        mechanism: CKM_AES_ECB,
        pParameter: std::ptr::null_mut(),
        ulParameterLen: 0,
    };
    let got = p11!(C_EncryptInit(h, &mut m, key));
    let known = got == CKR_OBJECT_HANDLE_INVALID
        && harness::diverges_in(
            "p11-handles",
            "C_EncryptInit: CKR_OBJECT_HANDLE_INVALID for an invalid key",
        );
    if !known {
        check(
            "C_EncryptInit(another process's key)",
            got,
            &[CKR_KEY_HANDLE_INVALID],
        );
    }
    ok
}

fn main() {
    harness::harness_dir();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| -> CK_ULONG {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .expect("usage: p11-handles take <session> <key> <object>")
    };
    match args.first().map(String::as_str) {
        Some("give") => give(),
        Some("take") => {
            if take(num(1), num(2), num(3)) {
                println!("handles: all checks passed");
            } else {
                std::process::exit(1);
            }
        }
        _ => panic!("usage: p11-handles give | take <session> <key> <object>"),
    }
}
