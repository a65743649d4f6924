//! Slots, tokens and mechanism information.

use crate::util::*;

#[test]
fn slot_list_and_free_slot() {
    let p11 = pkcs11();
    let all = p11.get_all_slots().expect("C_GetSlotList(FALSE)");
    let with_token = p11.get_slots_with_token().expect("C_GetSlotList(TRUE)");
    assert!(!with_token.is_empty(), "no slot with a token");
    for s in &with_token {
        assert!(all.contains(s), "slot {s} with token missing from the full list");
        let info = p11.get_slot_info(*s).expect("C_GetSlotInfo");
        assert!(info.token_present(), "slot {s}: CKF_TOKEN_PRESENT not set");
    }
    let _g = token_lock();
    assert!(free_slot().is_some(), "no slot offers an uninitialised token");
}

#[test]
fn slot_list_two_call_protocol() {
    pkcs11();
    let mut n: CK_ULONG = 0;
    assert_ckr!(p11!(C_GetSlotList(CK_TRUE, std::ptr::null_mut(), &mut n)), CKR_OK);
    assert!(n >= 1);
    let mut short = vec![0 as CK_SLOT_ID; 1];
    let mut zero: CK_ULONG = 0;
    assert_ckr!(
        p11!(C_GetSlotList(CK_TRUE, short.as_mut_ptr(), &mut zero)),
        CKR_BUFFER_TOO_SMALL
    );
    assert!(zero >= 1, "needed count after CKR_BUFFER_TOO_SMALL: {zero}");
    assert_ckr!(
        p11!(C_GetSlotList(CK_TRUE, std::ptr::null_mut(), std::ptr::null_mut())),
        CKR_ARGUMENTS_BAD
    );
}

#[test]
fn invalid_slot_is_rejected() {
    let p11 = pkcs11();
    let bogus = Slot::try_from(0x7fff_fff0u64).unwrap();
    assert_rv!(p11.get_slot_info(bogus), SlotIdInvalid);
    assert_rv!(p11.get_token_info(bogus), SlotIdInvalid);
    assert_rv!(p11.open_ro_session(bogus), SlotIdInvalid);
    assert_rv!(p11.get_mechanism_list(bogus), SlotIdInvalid);
}

#[test]
fn token_info_flags_after_init() {
    let (slot, _, _) = fresh_token("slots-flags");
    let t = pkcs11().get_token_info(slot).expect("C_GetTokenInfo");
    assert!(t.token_initialized(), "CKF_TOKEN_INITIALIZED");
    assert!(t.user_pin_initialized(), "CKF_USER_PIN_INITIALIZED");
    assert!(t.login_required(), "CKF_LOGIN_REQUIRED");
    assert!(t.rng(), "CKF_RNG");
    assert!(!t.user_pin_locked() && !t.so_pin_locked(), "no PIN is locked");
    assert!(!t.write_protected(), "CKF_WRITE_PROTECTED");
    assert_eq!(t.label().trim_end(), "slots-flags");
    assert!(
        t.min_pin_length() <= 8 && t.max_pin_length() >= 8,
        "PIN length range"
    );
    assert!(!t.serial_number().trim().is_empty(), "serialNumber empty");
}

#[test]
fn init_token_creates_a_new_free_slot() {
    let p11 = pkcs11();
    let _g = token_lock();
    let slot = free_slot().expect("free slot");
    init_token_in(slot, "slots-newfree");
    let info = p11
        .get_token_info(slot)
        .expect("token info of the initialised slot");
    assert!(info.token_initialized());
    assert_eq!(info.label().trim_end(), "slots-newfree");
    let next = free_slot().expect("no new free slot after C_InitToken");
    assert_ne!(next, slot, "the initialised slot is still offered as free");
}

#[test]
fn reinit_token_wipes_objects() {
    let p11 = pkcs11();
    let (slot, so, _) = fresh_token("slots-reinit");
    {
        let s = user_session(slot);
        s.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Label(b"doomed".to_vec()),
            Attribute::Value(b"x".to_vec()),
        ])
        .expect("create token object");
        // An open session prevents C_InitToken.
        assert_rv!(p11.init_token(slot, &pin(&so), "slots-reinit2"), SessionExists);
    }
    let _g = token_lock();
    assert_rv!(
        p11.init_token(slot, &pin("99999999"), "slots-reinit2"),
        PinIncorrect
    );
    p11.init_token(slot, &pin(&so), "slots-reinit2")
        .expect("re-C_InitToken");
    let t = p11.get_token_info(slot).expect("token info");
    assert_eq!(t.label().trim_end(), "slots-reinit2");
    assert!(
        !t.user_pin_initialized(),
        "CKF_USER_PIN_INITIALIZED must be cleared by C_InitToken"
    );
    let s = p11.open_ro_session(slot).expect("open session");
    let found = find(&s, &[Attribute::Label(b"doomed".to_vec())]);
    assert!(found.is_empty(), "objects survived C_InitToken: {found:?}");
    // The user PIN can be set again by the SO.
    drop(s);
    let s = p11.open_rw_session(slot).unwrap();
    s.login(UserType::So, Some(&pin(&so))).unwrap();
    s.init_pin(&pin(USER_PIN)).unwrap();
    s.logout().unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN)))
        .expect("user login after re-init");
}

/// (mechanism, required flags, key size that must be within [min, max]).
fn expected_mechanisms() -> Vec<(CK_MECHANISM_TYPE, CK_FLAGS, Option<CK_ULONG>)> {
    let ed = CKF_ENCRYPT | CKF_DECRYPT;
    let sv = CKF_SIGN | CKF_VERIFY;
    let wu = CKF_WRAP | CKF_UNWRAP;
    let mut v = vec![
        (CKM_RSA_PKCS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, Some(2048)),
        (CKM_RSA_PKCS, ed | sv | wu, Some(2048)),
        (CKM_RSA_PKCS_PSS, sv, Some(2048)),
        (CKM_RSA_PKCS_OAEP, ed | wu, Some(2048)),
        (CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, Some(256)),
        (CKM_ECDSA, sv, Some(256)),
        (CKM_ECDH1_DERIVE, CKF_DERIVE, Some(256)),
        (CKM_EC_EDWARDS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, None),
        (CKM_EDDSA, sv, None),
        (CKM_AES_KEY_GEN, CKF_GENERATE, None),
        (CKM_AES_ECB, ed, None),
        (CKM_AES_CBC, ed, None),
        (CKM_AES_CBC_PAD, ed | wu, None),
        (CKM_AES_CTR, ed, None),
        (CKM_AES_GCM, ed, None),
        (CKM_AES_CMAC, sv, None),
        (CKM_AES_KEY_WRAP, wu, None),
        (CKM_AES_KEY_WRAP_PAD, wu, None),
        (CKM_GENERIC_SECRET_KEY_GEN, CKF_GENERATE, None),
    ];
    for m in [
        CKM_SHA1_RSA_PKCS,
        CKM_SHA224_RSA_PKCS,
        CKM_SHA256_RSA_PKCS,
        CKM_SHA384_RSA_PKCS,
        CKM_SHA512_RSA_PKCS,
        CKM_SHA224_RSA_PKCS_PSS,
        CKM_SHA256_RSA_PKCS_PSS,
        CKM_SHA384_RSA_PKCS_PSS,
        CKM_SHA512_RSA_PKCS_PSS,
    ] {
        v.push((m, sv, Some(2048)));
    }
    for m in [
        CKM_ECDSA_SHA1,
        CKM_ECDSA_SHA224,
        CKM_ECDSA_SHA256,
        CKM_ECDSA_SHA384,
        CKM_ECDSA_SHA512,
    ] {
        v.push((m, sv, Some(256)));
    }
    for m in [CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512] {
        v.push((m, CKF_DIGEST, None));
    }
    for m in [
        CKM_SHA_1_HMAC,
        CKM_SHA224_HMAC,
        CKM_SHA256_HMAC,
        CKM_SHA384_HMAC,
        CKM_SHA512_HMAC,
    ] {
        v.push((m, sv, None));
    }
    v
}

#[test]
fn mechanism_list_and_info() {
    let (slot, _, _) = fresh_token("slots-mechs");
    pkcs11();
    let mut n: CK_ULONG = 0;
    assert_ckr!(
        p11!(C_GetMechanismList(slot.id(), std::ptr::null_mut(), &mut n)),
        CKR_OK
    );
    assert!(n > 0, "empty mechanism list");
    let mut list = vec![0 as CK_MECHANISM_TYPE; n as usize];
    assert_ckr!(
        p11!(C_GetMechanismList(slot.id(), list.as_mut_ptr(), &mut n)),
        CKR_OK
    );
    list.truncate(n as usize);
    // Every listed mechanism has info.
    for m in &list {
        let mut info = CK_MECHANISM_INFO::default();
        assert_ckr!(p11!(C_GetMechanismInfo(slot.id(), *m, &mut info)), CKR_OK);
        assert!(info.ulMinKeySize <= info.ulMaxKeySize, "0x{m:x}: min > max");
    }
    // Mechanisms of the first set that SoftHSMv2 2.6 lacks (or lists
    // without the wrap/unwrap flags).
    let softhsm2_gaps = [
        CKM_ECDSA_SHA1,
        CKM_ECDSA_SHA224,
        CKM_ECDSA_SHA256,
        CKM_ECDSA_SHA384,
        CKM_ECDSA_SHA512,
        CKM_AES_CBC_PAD,
    ];
    let mut problems = Vec::new();
    let mut known = Vec::new();
    for (m, flags, size) in expected_mechanisms() {
        let problem = if !list.contains(&m) {
            Some(format!("0x{m:x} not in the mechanism list"))
        } else {
            let mut info = CK_MECHANISM_INFO::default();
            assert_ckr!(p11!(C_GetMechanismInfo(slot.id(), m, &mut info)), CKR_OK);
            if info.flags & flags != flags {
                Some(format!(
                    "0x{m:x}: flags 0x{:x} lack 0x{:x}",
                    info.flags,
                    flags & !info.flags
                ))
            } else if size.is_some_and(|b| !(info.ulMinKeySize <= b && b <= info.ulMaxKeySize)) {
                Some(format!(
                    "0x{m:x}: key size {} not in [{}, {}]",
                    size.unwrap(),
                    info.ulMinKeySize,
                    info.ulMaxKeySize
                ))
            } else if m == CKM_AES_KEY_GEN && !(info.ulMinKeySize <= 16 && info.ulMaxKeySize >= 32) {
                Some(format!(
                    "AES key sizes (bytes) [{}, {}] must cover 16..32",
                    info.ulMinKeySize, info.ulMaxKeySize
                ))
            } else {
                None
            }
        };
        if let Some(p) = problem {
            if is_softhsm2() && softhsm2_gaps.contains(&m) {
                known.push(p);
            } else {
                problems.push(p);
            }
        }
    }
    if !known.is_empty() {
        diverges(&format!("mechanism gaps: {}", known.join("; ")));
    }
    assert!(problems.is_empty(), "mechanism problems: {problems:#?}");
}

#[test]
fn invalid_mechanism_is_rejected() {
    let (slot, _, _) = fresh_token("slots-badmech");
    let p11 = pkcs11();
    let bogus = MechanismType::new_vendor_defined(CKM_VENDOR_DEFINED | 0x0bad_c0de).unwrap();
    assert_rv!(p11.get_mechanism_info(slot, bogus), MechanismInvalid);
    let mut info = CK_MECHANISM_INFO::default();
    // CKM_SKIPJACK_KEY_GEN: a standard mechanism nobody implements.
    assert_ckr!(
        p11!(C_GetMechanismInfo(slot.id(), 0x1000, &mut info)),
        CKR_MECHANISM_INVALID
    );
    assert_ckr!(
        p11!(C_GetMechanismInfo(slot.id(), CKM_SHA256, std::ptr::null_mut())),
        CKR_ARGUMENTS_BAD
    );
    // An unknown mechanism in an operation.
    let s = p11.open_ro_session(slot).unwrap();
    let mut mech = CK_MECHANISM {
        mechanism: CKM_VENDOR_DEFINED | 0x0bad_c0de,
        pParameter: std::ptr::null_mut(),
        ulParameterLen: 0,
    };
    assert_ckr!(p11!(C_DigestInit(s.handle(), &mut mech)), CKR_MECHANISM_INVALID);
}
