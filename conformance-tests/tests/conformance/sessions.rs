//! Session management: open/close, session states, read-only restrictions.

use crate::util::*;

fn raw_session_info(h: CK_SESSION_HANDLE) -> (CK_RV, CK_SESSION_INFO) {
    let mut info = CK_SESSION_INFO::default();
    let rv = p11!(C_GetSessionInfo(h, &mut info));
    (rv, info)
}

fn state(s: &Session) -> SessionState {
    s.get_session_info().expect("C_GetSessionInfo").session_state()
}

#[test]
fn open_close_and_invalid_handle() {
    let (slot, _, _) = fresh_token("sess-open");
    let p11 = pkcs11();
    let s = p11.open_ro_session(slot).expect("open RO");
    let info = s.get_session_info().expect("info");
    assert_eq!(info.slot_id(), slot);
    assert!(!info.read_write());
    assert_eq!(info.session_state(), SessionState::RoPublic);
    let (rv, raw) = raw_session_info(s.handle());
    assert_ckr!(rv, CKR_OK);
    assert_ne!(
        raw.flags & CKF_SERIAL_SESSION,
        0,
        "CKF_SERIAL_SESSION must be set"
    );
    let h = s.handle();
    s.close().expect("C_CloseSession");
    assert_ckr!(raw_session_info(h).0, CKR_SESSION_HANDLE_INVALID);
    assert_ckr!(p11!(C_CloseSession(h)), CKR_SESSION_HANDLE_INVALID);
    assert_ckr!(
        p11!(C_GetSessionInfo(
            CK_INVALID_HANDLE,
            &mut CK_SESSION_INFO::default()
        )),
        CKR_SESSION_HANDLE_INVALID
    );

    let rw = p11.open_rw_session(slot).expect("open RW");
    let info = rw.get_session_info().unwrap();
    assert!(info.read_write());
    assert_eq!(info.session_state(), SessionState::RwPublic);
    assert_ckr!(
        p11!(C_GetSessionInfo(rw.handle(), std::ptr::null_mut())),
        CKR_ARGUMENTS_BAD
    );
}

#[test]
fn open_session_argument_checks() {
    let (slot, _, _) = fresh_token("sess-args");
    pkcs11();
    let mut h: CK_SESSION_HANDLE = 0;
    assert_ckr!(
        p11!(C_OpenSession(
            slot.id(),
            CKF_RW_SESSION,
            std::ptr::null_mut(),
            None,
            &mut h
        )),
        CKR_SESSION_PARALLEL_NOT_SUPPORTED
    );
    assert_ckr!(
        p11!(C_OpenSession(
            slot.id(),
            CKF_SERIAL_SESSION,
            std::ptr::null_mut(),
            None,
            std::ptr::null_mut()
        )),
        CKR_ARGUMENTS_BAD
    );
    assert_ckr!(
        p11!(C_OpenSession(
            0x7fff_fff0,
            CKF_SERIAL_SESSION,
            std::ptr::null_mut(),
            None,
            &mut h
        )),
        CKR_SLOT_ID_INVALID
    );
}

#[test]
fn close_all_sessions() {
    let (slot, _, _) = fresh_token("sess-closeall");
    let p11 = pkcs11();
    let a = p11.open_ro_session_no_drop(slot).unwrap();
    let b = p11.open_rw_session_no_drop(slot).unwrap();
    let t = p11.get_token_info(slot).unwrap();
    if let Some(n) = t.session_count() {
        assert_eq!(n, 2, "ulSessionCount");
    }
    if let Some(n) = t.rw_session_count() {
        assert_eq!(n, 1, "ulRwSessionCount");
    }
    assert_ckr!(p11!(C_CloseAllSessions(slot.id())), CKR_OK);
    assert_ckr!(raw_session_info(a.handle()).0, CKR_SESSION_HANDLE_INVALID);
    assert_ckr!(raw_session_info(b.handle()).0, CKR_SESSION_HANDLE_INVALID);
    let t = p11.get_token_info(slot).unwrap();
    if let Some(n) = t.session_count() {
        assert_eq!(n, 0, "ulSessionCount after C_CloseAllSessions");
    }
    assert_ckr!(p11!(C_CloseAllSessions(0x7fff_fff0)), CKR_SLOT_ID_INVALID);
}

#[test]
fn session_states_follow_login() {
    let (slot, so, user) = fresh_token("sess-states");
    let p11 = pkcs11();
    let ro = p11.open_ro_session(slot).unwrap();
    let rw = p11.open_rw_session(slot).unwrap();
    assert_eq!(state(&ro), SessionState::RoPublic);
    assert_eq!(state(&rw), SessionState::RwPublic);
    rw.login(UserType::User, Some(&pin(&user))).unwrap();
    // Login applies to every session of the application on the token.
    assert_eq!(state(&ro), SessionState::RoUser);
    assert_eq!(state(&rw), SessionState::RwUser);
    let rw2 = p11.open_rw_session(slot).unwrap();
    assert_eq!(state(&rw2), SessionState::RwUser);
    ro.logout().unwrap();
    assert_eq!(state(&ro), SessionState::RoPublic);
    assert_eq!(state(&rw), SessionState::RwPublic);
    drop(ro);
    rw.login(UserType::So, Some(&pin(&so))).unwrap();
    assert_eq!(state(&rw), SessionState::RwSecurityOfficer);
    assert_eq!(state(&rw2), SessionState::RwSecurityOfficer);
    // No RO session while the SO is logged in.
    assert_rv!(p11.open_ro_session(slot), SessionReadWriteSoExists);
    rw.logout().unwrap();
    assert_eq!(state(&rw), SessionState::RwPublic);
    // Closing the last session logs the application out.
    drop(rw);
    drop(rw2);
    let s = p11.open_ro_session(slot).unwrap();
    assert_eq!(state(&s), SessionState::RoPublic);
}

#[test]
fn so_login_refused_while_ro_session_exists() {
    let (slot, so, _) = fresh_token("sess-so-ro");
    let p11 = pkcs11();
    let _ro = p11.open_ro_session(slot).unwrap();
    let rw = p11.open_rw_session(slot).unwrap();
    assert_rv!(rw.login(UserType::So, Some(&pin(&so))), SessionReadOnlyExists);
    assert_eq!(state(&rw), SessionState::RwPublic);
}

#[test]
fn ro_session_cannot_create_token_objects() {
    let (slot, _, user) = fresh_token("sess-ro-create");
    let p11 = pkcs11();
    let ro = p11.open_ro_session(slot).unwrap();
    let tmpl = |token: bool| {
        vec![
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(token),
            Attribute::Private(false),
            Attribute::Value(b"v".to_vec()),
        ]
    };
    assert_rv!(ro.create_object(&tmpl(true)), SessionReadOnly);
    // Session objects are fine in a RO session.
    let obj = ro
        .create_object(&tmpl(false))
        .expect("session object in RO session");
    ro.destroy_object(obj)
        .expect("destroy session object in RO session");
    // Also when the user is logged in (RO user functions).
    ro.login(UserType::User, Some(&pin(&user))).unwrap();
    assert_rv!(ro.create_object(&tmpl(true)), SessionReadOnly);
    assert_rv!(
        ro.generate_key(
            &Mechanism::AesKeyGen,
            &[Attribute::ValueLen(16.into()), Attribute::Token(true)]
        ),
        SessionReadOnly
    );
    // A token object made elsewhere can't be modified or destroyed from RO.
    let rw = p11.open_rw_session(slot).unwrap();
    let t = rw.create_object(&tmpl(true)).unwrap();
    assert_rv!(
        ro.update_attributes(t, &[Attribute::Label(b"nope".to_vec())]),
        SessionReadOnly
    );
    assert_rv!(ro.destroy_object(t), SessionReadOnly);
}

#[test]
fn session_objects_vanish_with_their_session() {
    let (slot, _, _) = fresh_token("sess-objects");
    let p11 = pkcs11();
    let keep = p11.open_rw_session(slot).unwrap();
    let other = p11.open_rw_session(slot).unwrap();
    let label = b"sess-obj".to_vec();
    let obj = other
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(false),
            Attribute::Private(false),
            Attribute::Label(label.clone()),
            Attribute::Value(b"v".to_vec()),
        ])
        .unwrap();
    // Visible from the other session of the same application.
    assert_eq!(find(&keep, &[Attribute::Label(label.clone())]), vec![obj]);
    drop(other);
    assert!(find(&keep, &[Attribute::Label(label)]).is_empty());
    let (rv, _) = raw_attr_len(&keep, obj, AttributeType::Class);
    assert_ckr!(rv, CKR_OBJECT_HANDLE_INVALID);
}
