//! Login, logout, PINs and their failure counters, context-specific login.

use crate::util::*;

fn token_flags(slot: Slot) -> CK_FLAGS {
    pkcs11();
    let mut ti = CK_TOKEN_INFO::default();
    assert_ckr!(p11!(C_GetTokenInfo(slot.id(), &mut ti)), CKR_OK);
    ti.flags
}

fn flag_names(f: CK_FLAGS) -> String {
    let mut v = Vec::new();
    for (bit, name) in [
        (CKF_USER_PIN_COUNT_LOW, "USER_PIN_COUNT_LOW"),
        (CKF_USER_PIN_FINAL_TRY, "USER_PIN_FINAL_TRY"),
        (CKF_USER_PIN_LOCKED, "USER_PIN_LOCKED"),
        (CKF_SO_PIN_COUNT_LOW, "SO_PIN_COUNT_LOW"),
        (CKF_SO_PIN_FINAL_TRY, "SO_PIN_FINAL_TRY"),
        (CKF_SO_PIN_LOCKED, "SO_PIN_LOCKED"),
    ] {
        if f & bit != 0 {
            v.push(name);
        }
    }
    format!("[{}]", v.join("|"))
}

#[test]
fn wrong_pin_is_incorrect() {
    let (slot, so, user) = fresh_token("login-wrong");
    let s = pkcs11().open_rw_session(slot).unwrap();
    assert_rv!(s.login(UserType::User, Some(&pin("00000000"))), PinIncorrect);
    assert_rv!(s.login(UserType::So, Some(&pin("00000000"))), PinIncorrect);
    assert_eq!(
        s.get_session_info().unwrap().session_state(),
        SessionState::RwPublic
    );
    s.login(UserType::User, Some(&pin(&user)))
        .expect("correct user PIN");
    s.logout().unwrap();
    s.login(UserType::So, Some(&pin(&so))).expect("correct SO PIN");
    s.logout().unwrap();
    // Invalid user type.
    let p = USER_PIN.as_bytes();
    assert_ckr!(
        p11!(C_Login(s.handle(), 7, p.as_ptr() as *mut u8, p.len() as CK_ULONG)),
        CKR_USER_TYPE_INVALID
    );
}

#[test]
fn user_pin_failure_counter_locks() {
    let (slot, so, user) = fresh_token("login-lock");
    if diverges("SoftHSMv2 never locks a PIN and sets no PIN counter flags") {
        return;
    }
    let s = pkcs11().open_rw_session(slot).unwrap();
    assert_eq!(token_flags(slot) & CKF_USER_PIN_COUNT_LOW, 0);
    for i in 1..MAX_PIN_FAILURES {
        assert_rv!(s.login(UserType::User, Some(&pin("00000000"))), PinIncorrect);
        let f = token_flags(slot);
        assert_ne!(
            f & CKF_USER_PIN_COUNT_LOW,
            0,
            "after {i} failures: CKF_USER_PIN_COUNT_LOW not set {}",
            flag_names(f)
        );
        let final_try = i == MAX_PIN_FAILURES - 1;
        assert_eq!(
            f & CKF_USER_PIN_FINAL_TRY != 0,
            final_try,
            "after {i} failures of {MAX_PIN_FAILURES}: CKF_USER_PIN_FINAL_TRY {}",
            flag_names(f)
        );
        assert_eq!(f & CKF_USER_PIN_LOCKED, 0, "locked too early {}", flag_names(f));
    }
    let res = s.login(UserType::User, Some(&pin("00000000")));
    let rv = rv_of(res);
    assert!(
        matches!(
            rv,
            cryptoki::error::RvError::PinIncorrect | cryptoki::error::RvError::PinLocked
        ),
        "last failed login: {rv:?}"
    );
    let f = token_flags(slot);
    assert_ne!(f & CKF_USER_PIN_LOCKED, 0, "not locked {}", flag_names(f));
    // Even the right PIN is refused now.
    assert_rv!(s.login(UserType::User, Some(&pin(&user))), PinLocked);
    // The SO unlocks by setting a new user PIN.
    s.login(UserType::So, Some(&pin(&so))).unwrap();
    s.init_pin(&pin("11223344")).expect("C_InitPIN unlocks");
    s.logout().unwrap();
    let f = token_flags(slot);
    assert_eq!(
        f & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW),
        0,
        "flags after C_InitPIN {}",
        flag_names(f)
    );
    s.login(UserType::User, Some(&pin("11223344")))
        .expect("login with the new PIN");
}

#[test]
fn successful_login_resets_the_counter() {
    let (slot, _, user) = fresh_token("login-reset");
    if diverges("SoftHSMv2 sets no PIN counter flags") {
        return;
    }
    let s = pkcs11().open_rw_session(slot).unwrap();
    for _ in 0..2 {
        assert_rv!(s.login(UserType::User, Some(&pin("00000000"))), PinIncorrect);
    }
    assert_ne!(token_flags(slot) & CKF_USER_PIN_COUNT_LOW, 0);
    s.login(UserType::User, Some(&pin(&user))).unwrap();
    s.logout().unwrap();
    let f = token_flags(slot);
    assert_eq!(
        f & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY),
        0,
        "flags after a good login {}",
        flag_names(f)
    );
    // Counting starts again: MAX-1 failures do not lock.
    for _ in 0..MAX_PIN_FAILURES - 1 {
        assert_rv!(s.login(UserType::User, Some(&pin("00000000"))), PinIncorrect);
    }
    s.login(UserType::User, Some(&pin(&user)))
        .expect("not locked after a reset counter");
}

#[test]
fn so_pin_failure_counter_locks() {
    let (slot, so, _) = fresh_token("login-solock");
    if diverges("SoftHSMv2 never locks a PIN and sets no PIN counter flags") {
        return;
    }
    let s = pkcs11().open_rw_session(slot).unwrap();
    for _ in 0..MAX_PIN_FAILURES - 1 {
        assert_rv!(s.login(UserType::So, Some(&pin("00000000"))), PinIncorrect);
    }
    let f = token_flags(slot);
    assert_ne!(f & CKF_SO_PIN_COUNT_LOW, 0, "{}", flag_names(f));
    assert_ne!(f & CKF_SO_PIN_FINAL_TRY, 0, "{}", flag_names(f));
    let _ = s.login(UserType::So, Some(&pin("00000000")));
    let f = token_flags(slot);
    assert_ne!(f & CKF_SO_PIN_LOCKED, 0, "{}", flag_names(f));
    assert_rv!(s.login(UserType::So, Some(&pin(&so))), PinLocked);
}

#[test]
fn set_pin_user_and_so() {
    let (slot, so, user) = fresh_token("login-setpin");
    let p11 = pkcs11();
    let s = p11.open_rw_session(slot).unwrap();
    // Logged in as user: changes the user PIN.
    s.login(UserType::User, Some(&pin(&user))).unwrap();
    assert_rv!(s.set_pin(&pin("00000000"), &pin("44445555")), PinIncorrect);
    s.set_pin(&pin(&user), &pin("44445555")).expect("C_SetPIN (user)");
    s.logout().unwrap();
    assert_rv!(s.login(UserType::User, Some(&pin(&user))), PinIncorrect);
    s.login(UserType::User, Some(&pin("44445555"))).unwrap();
    s.logout().unwrap();
    // Not logged in: changes the user PIN too.
    s.set_pin(&pin("44445555"), &pin("55556666"))
        .expect("C_SetPIN (public session)");
    s.login(UserType::User, Some(&pin("55556666"))).unwrap();
    s.logout().unwrap();
    // Logged in as SO: changes the SO PIN.
    s.login(UserType::So, Some(&pin(&so))).unwrap();
    s.set_pin(&pin(&so), &pin("66667777")).expect("C_SetPIN (SO)");
    s.logout().unwrap();
    assert_rv!(s.login(UserType::So, Some(&pin(&so))), PinIncorrect);
    s.login(UserType::So, Some(&pin("66667777"))).unwrap();
    s.logout().unwrap();
    // The user PIN was not touched by the SO's change.
    s.login(UserType::User, Some(&pin("55556666"))).unwrap();
    s.logout().unwrap();
    // A RO session can't change PINs.
    let ro = p11.open_ro_session(slot).unwrap();
    assert_rv!(ro.set_pin(&pin("55556666"), &pin("77778888")), SessionReadOnly);
}

#[test]
fn logout_and_double_login_errors() {
    let (slot, so, user) = fresh_token("login-double");
    let s = pkcs11().open_rw_session(slot).unwrap();
    let res = s.logout();
    if !(res.is_ok() && diverges("C_Logout without a login returns CKR_OK")) {
        assert_rv!(res, UserNotLoggedIn);
    }
    s.login(UserType::User, Some(&pin(&user))).unwrap();
    assert_rv!(s.login(UserType::User, Some(&pin(&user))), UserAlreadyLoggedIn);
    assert_rv!(s.login(UserType::So, Some(&pin(&so))), UserAnotherAlreadyLoggedIn);
    s.logout().unwrap();
    let res = s.logout();
    if !(res.is_ok() && diverges("a second C_Logout returns CKR_OK")) {
        assert_rv!(res, UserNotLoggedIn);
    }
    s.login(UserType::So, Some(&pin(&so))).unwrap();
    assert_rv!(s.login(UserType::So, Some(&pin(&so))), UserAlreadyLoggedIn);
    assert_rv!(
        s.login(UserType::User, Some(&pin(&user))),
        UserAnotherAlreadyLoggedIn
    );
    s.logout().unwrap();
}

#[test]
fn private_objects_invisible_when_logged_out() {
    let (slot, _, user) = fresh_token("login-private");
    let p11 = pkcs11();
    let s = p11.open_rw_session(slot).unwrap();
    let data = |private: bool, label: &str| {
        vec![
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(private),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Value(b"v".to_vec()),
        ]
    };
    assert_rv!(s.create_object(&data(true, "priv")), UserNotLoggedIn);
    s.login(UserType::User, Some(&pin(&user))).unwrap();
    let private = s.create_object(&data(true, "priv")).unwrap();
    let public = s.create_object(&data(false, "pub")).unwrap();
    let all = find(&s, &[Attribute::Class(ObjectClass::DATA)]);
    assert!(all.contains(&private) && all.contains(&public));
    s.logout().unwrap();
    let visible = find(&s, &[Attribute::Class(ObjectClass::DATA)]);
    assert_eq!(visible, vec![public], "only the public object is visible");
    let (rv, _) = raw_attr_len(&s, private, AttributeType::Label);
    assert_ckr!(rv, CKR_OBJECT_HANDLE_INVALID);
    // A generated private key is private by default.
    s.login(UserType::User, Some(&pin(&user))).unwrap();
    let k = gen_aes(&s, 16, &[Attribute::Token(true)]);
    assert!(
        get_bool(&s, k, AttributeType::Private),
        "secret keys default to CKA_PRIVATE"
    );
    s.logout().unwrap();
    assert!(!find(&s, &[Attribute::Class(ObjectClass::SECRET_KEY)]).contains(&k));
}

#[test]
fn always_authenticate_needs_context_login() {
    let (slot, s) = user_token("login-alwaysauth");
    let (_, sk) = gen_ec(
        &s,
        P256_OID,
        &[],
        &[Attribute::Sign(true), Attribute::AlwaysAuthenticate(true)],
    );
    assert!(get_bool(&s, sk, AttributeType::AlwaysAuthenticate));
    let mut mech = CK_MECHANISM {
        mechanism: CKM_ECDSA,
        pParameter: std::ptr::null_mut(),
        ulParameterLen: 0,
    };
    let mut digest = [0x5au8; 32];
    let mut sig = [0u8; 256];
    let p = USER_PIN.as_bytes();
    let h = s.handle();
    // Without the context-specific login, C_Sign is refused.
    assert_ckr!(p11!(C_SignInit(h, &mut mech, sk.handle())), CKR_OK);
    let mut len = sig.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_Sign(h, digest.as_mut_ptr(), 32, sig.as_mut_ptr(), &mut len)),
        CKR_USER_NOT_LOGGED_IN
    );
    // The failed C_Sign ended the operation; with the context-specific
    // login the signature goes through.
    assert_ckr!(p11!(C_SignInit(h, &mut mech, sk.handle())), CKR_OK);
    assert_ckr!(
        p11!(C_Login(
            h,
            CKU_CONTEXT_SPECIFIC,
            p.as_ptr() as *mut u8,
            p.len() as CK_ULONG
        )),
        CKR_OK
    );
    let mut len = sig.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_Sign(h, digest.as_mut_ptr(), 32, sig.as_mut_ptr(), &mut len)),
        CKR_OK
    );
    assert_eq!(len, 64);
    // The authorisation covers one operation only.
    assert_ckr!(p11!(C_SignInit(h, &mut mech, sk.handle())), CKR_OK);
    let mut len = sig.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_Sign(h, digest.as_mut_ptr(), 32, sig.as_mut_ptr(), &mut len)),
        CKR_USER_NOT_LOGGED_IN
    );
    // A wrong context-specific PIN is refused.
    assert_ckr!(p11!(C_SignInit(h, &mut mech, sk.handle())), CKR_OK);
    assert_rv!(
        s.login(UserType::ContextSpecific, Some(&pin("00000000"))),
        PinIncorrect
    );
    // Context-specific login without an operation is an error.
    let s2 = pkcs11().open_rw_session(slot).unwrap();
    assert_ckr!(
        p11!(C_Login(
            s2.handle(),
            CKU_CONTEXT_SPECIFIC,
            p.as_ptr() as *mut u8,
            p.len() as CK_ULONG
        )),
        CKR_OPERATION_NOT_INITIALIZED
    );
}

#[test]
fn login_user_30() {
    let (slot, _, user) = fresh_token("login-loginuser");
    let Some(fl) = fl30() else {
        if diverges("PKCS#11 2.40 module: no 3.0 interface, so no C_LoginUser") {
            return;
        }
        panic!("no PKCS 11 3.0 interface");
    };
    let s = pkcs11().open_rw_session(slot).unwrap();
    let f = fl.C_LoginUser.expect("C_LoginUser is NULL");
    let p = user.as_bytes();
    let name = b"alice";
    // SAFETY: valid buffers for the call.
    let rv = unsafe {
        f(
            s.handle(),
            CKU_USER,
            p.as_ptr() as *mut u8,
            p.len() as CK_ULONG,
            name.as_ptr() as *mut u8,
            name.len() as CK_ULONG,
        )
    };
    assert_ckr!(rv, CKR_OK);
    assert_eq!(
        s.get_session_info().unwrap().session_state(),
        SessionState::RwUser
    );
    s.logout().unwrap();
    let bad = b"00000000";
    // SAFETY: as above.
    let rv = unsafe {
        f(
            s.handle(),
            CKU_USER,
            bad.as_ptr() as *mut u8,
            bad.len() as CK_ULONG,
            name.as_ptr() as *mut u8,
            name.len() as CK_ULONG,
        )
    };
    assert_ckr!(rv, CKR_PIN_INCORRECT);
}
