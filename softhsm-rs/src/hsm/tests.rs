//! The HSM driven through its Rust API over an in-memory store: token and PIN life cycle,
//! objects, and the operation rules the C face relies on.

use super::*;
use crate::attr::{enc_bool, enc_ulong};
use crate::mechanism::{Mechanism, Param};
use crate::session::{Out, Output};
use crate::store::sqlite::SqliteStore;

fn hsm() -> Hsm {
    let mut c = Config::default();
    c.pin.kdf_iterations = Some(10);
    c.pin.max_failures = 3;
    Hsm::with_store(c, Box::new(SqliteStore::in_memory().unwrap()))
}

/// A token in slot 0 with SO PIN "so-pin" and user PIN "user-pin", and an RW user session.
fn ready() -> (Hsm, u64) {
    let h = hsm();
    h.init_token(0, b"so-pin", b"test token").unwrap();
    let s = h
        .open_session(0, ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION)
        .unwrap();
    h.login(s, ck::CKU_SO, b"so-pin").unwrap();
    h.init_pin(s, b"user-pin").unwrap();
    h.logout(s).unwrap();
    h.login(s, ck::CKU_USER, b"user-pin").unwrap();
    (h, s)
}

fn aes_key(h: &Hsm, s: u64, token: bool) -> u64 {
    h.generate_key(
        s,
        &Mechanism::new(ck::CKM_AES_KEY_GEN),
        &[
            (ck::CKA_VALUE_LEN, enc_ulong(32)),
            (ck::CKA_TOKEN, enc_bool(token)),
        ],
    )
    .unwrap()
}

#[test]
fn free_slot_moves_on_after_init() {
    let h = hsm();
    assert_eq!(h.slot_list().unwrap(), vec![0]);
    assert_eq!(h.token_info(0).unwrap().flags & ck::CKF_TOKEN_INITIALIZED, 0);
    h.init_token(0, b"so-pin", b"a").unwrap();
    assert_eq!(h.slot_list().unwrap(), vec![0, 1]);
    assert_eq!(h.token_info(0).unwrap().label, "a");
    assert_eq!(h.check_slot(7).unwrap_err(), Error::SlotIdInvalid);
    assert_eq!(
        h.open_session(1, ck::CKF_SERIAL_SESSION).unwrap_err(),
        Error::TokenNotRecognized
    );
}

#[test]
fn pin_lockout_flags_and_so_unlock() {
    let (h, s) = ready();
    h.logout(s).unwrap();
    assert_eq!(h.logout(s).unwrap_err(), Error::UserNotLoggedIn, "second logout");
    assert_eq!(
        h.login(s, ck::CKU_USER, b"wrong").unwrap_err(),
        Error::PinIncorrect
    );
    assert_ne!(h.token_info(0).unwrap().flags & ck::CKF_USER_PIN_COUNT_LOW, 0);
    assert_eq!(
        h.login(s, ck::CKU_USER, b"wrong").unwrap_err(),
        Error::PinIncorrect
    );
    assert_ne!(h.token_info(0).unwrap().flags & ck::CKF_USER_PIN_FINAL_TRY, 0);
    assert_eq!(
        h.login(s, ck::CKU_USER, b"wrong").unwrap_err(),
        Error::PinIncorrect
    );
    assert_ne!(h.token_info(0).unwrap().flags & ck::CKF_USER_PIN_LOCKED, 0);
    assert_eq!(
        h.login(s, ck::CKU_USER, b"user-pin").unwrap_err(),
        Error::PinLocked
    );
    h.login(s, ck::CKU_SO, b"so-pin").unwrap();
    h.init_pin(s, b"new-pin").unwrap();
    h.logout(s).unwrap();
    assert_eq!(h.token_info(0).unwrap().flags & ck::CKF_USER_PIN_LOCKED, 0);
    h.login(s, ck::CKU_USER, b"new-pin").unwrap();
}

/// Regression test (attempt counted after the PIN check): a login's attempt is counted before
/// its PIN is evaluated. While another connection holds the keystore's write lock (as a kill
/// between the check and the counter's write, or a full disk, would leave it), the right PIN
/// and a wrong one get the same error and neither is counted, so a guesser cannot learn
/// anything from attempts whose count was never written. Before the fix the PIN was checked
/// first: the right PIN logged in (no write needed at a zero count) and a wrong one failed
/// only at the counter's write — a free oracle.
#[test]
fn no_pin_is_evaluated_while_its_attempt_cannot_be_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let mut c = Config::default();
    c.pin.kdf_iterations = Some(10);
    c.pin.max_failures = 3;
    c.store.path = Some(path.clone());
    c.store.busy_timeout_ms = 0;
    let h = Hsm::open(c).unwrap();
    h.init_token(0, b"so-pin", b"t").unwrap();
    let s = h
        .open_session(0, ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION)
        .unwrap();
    h.login(s, ck::CKU_SO, b"so-pin").unwrap();
    h.init_pin(s, b"user-pin").unwrap();
    h.logout(s).unwrap();

    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    for (role, right) in [(ck::CKU_USER, &b"user-pin"[..]), (ck::CKU_SO, &b"so-pin"[..])] {
        let with_right = h.login(s, role, right).unwrap_err();
        let with_wrong = h.login(s, role, b"wrong-pin").unwrap_err();
        assert_eq!(with_right, Error::DeviceError, "role {role}");
        assert_eq!(
            with_wrong, with_right,
            "role {role}: the answers tell the PINs apart"
        );
    }
    blocker.execute_batch("ROLLBACK").unwrap();
    drop(blocker);

    let info = h.token_info(0).unwrap();
    assert_eq!(
        info.flags & (ck::CKF_USER_PIN_COUNT_LOW | ck::CKF_SO_PIN_COUNT_LOW),
        0
    );
    assert_eq!(
        h.login(s, ck::CKU_USER, b"wrong-pin").unwrap_err(),
        Error::PinIncorrect
    );
    h.login(s, ck::CKU_USER, b"user-pin").unwrap();
}

/// A correct PIN resets the count the attempt itself added: a token used only with its right
/// PIN never shows a count, and `max_failures - 1` wrong PINs followed by the right one leave
/// the full allowance again.
#[test]
fn the_right_pin_leaves_no_count_behind() {
    let (h, s) = ready();
    h.logout(s).unwrap();
    for _ in 0..3 {
        h.login(s, ck::CKU_USER, b"user-pin").unwrap();
        h.logout(s).unwrap();
        assert_eq!(h.token_info(0).unwrap().flags & ck::CKF_USER_PIN_COUNT_LOW, 0);
    }
    for _ in 0..2 {
        assert_eq!(
            h.login(s, ck::CKU_USER, b"wrong").unwrap_err(),
            Error::PinIncorrect
        );
    }
    assert_ne!(h.token_info(0).unwrap().flags & ck::CKF_USER_PIN_FINAL_TRY, 0);
    h.login(s, ck::CKU_USER, b"user-pin").unwrap();
    h.logout(s).unwrap();
    for _ in 0..2 {
        assert_eq!(
            h.login(s, ck::CKU_USER, b"wrong").unwrap_err(),
            Error::PinIncorrect
        );
    }
    h.login(s, ck::CKU_USER, b"user-pin").unwrap();
}

#[test]
fn sensitive_values_are_not_revealed_and_private_objects_hide_after_logout() {
    let (h, s) = ready();
    let k = aes_key(&h, s, true);
    let v = h
        .get_attributes(s, k, &[ck::CKA_VALUE, ck::CKA_VALUE_LEN, 0x7777_0000])
        .unwrap();
    assert_eq!(v[0], AttrValue::Sensitive);
    assert_eq!(v[1], AttrValue::Value(enc_ulong(32)));
    assert_eq!(v[2], AttrValue::Invalid);
    h.find_init(s, &[(ck::CKA_CLASS, enc_ulong(ck::CKO_SECRET_KEY))])
        .unwrap();
    assert_eq!(h.find(s, 10).unwrap(), vec![k]);
    h.find_final(s).unwrap();
    h.logout(s).unwrap();
    assert_eq!(
        h.get_attributes(s, k, &[ck::CKA_LABEL]).unwrap_err(),
        Error::ObjectHandleInvalid
    );
    h.find_init(s, &[]).unwrap();
    assert!(h.find(s, 10).unwrap().is_empty());
}

#[test]
fn short_buffer_keeps_the_operation_and_errors_end_it() {
    let (h, s) = ready();
    let k = aes_key(&h, s, false);
    let m = Mechanism {
        mech: ck::CKM_AES_CBC_PAD,
        param: Param::Iv(vec![0; 16]),
    };
    h.cipher_init(s, &m, k, true).unwrap();
    let Output::Len(n) = h.cipher_once(s, b"hello", Out::Query, true).unwrap() else {
        panic!()
    };
    assert!(n >= 16);
    assert_eq!(
        h.cipher_once(s, b"hello", Out::Cap(3), true).unwrap_err(),
        Error::BufferTooSmall { needed: 16 }
    );
    let Output::Data(ct) = h.cipher_once(s, b"hello", Out::Cap(16), true).unwrap() else {
        panic!()
    };
    assert_eq!(ct.len(), 16);
    assert_eq!(
        h.cipher_once(s, b"hello", Out::Cap(16), true).unwrap_err(),
        Error::OperationNotInitialized
    );
    let m = Mechanism {
        mech: ck::CKM_AES_CBC,
        param: Param::Iv(vec![0; 16]),
    };
    h.cipher_init(s, &m, k, false).unwrap();
    assert_eq!(
        h.cipher_once(s, &ct[..15], Out::Cap(64), false).unwrap_err(),
        Error::EncryptedDataLenRange
    );
    assert_eq!(
        h.cipher_once(s, &ct, Out::Cap(64), false).unwrap_err(),
        Error::OperationNotInitialized
    );
}

#[test]
fn token_key_material_is_sealed_in_the_store() {
    let (h, s) = ready();
    let secret = b"0123456789abcdef0123456789abcdef".to_vec();
    let k = h
        .create_object(
            s,
            &[
                (ck::CKA_CLASS, enc_ulong(ck::CKO_SECRET_KEY)),
                (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_AES)),
                (ck::CKA_TOKEN, enc_bool(true)),
                (ck::CKA_VALUE, secret.clone()),
            ],
        )
        .unwrap();
    let t = h.store().tokens().unwrap().remove(0);
    let uid = match h.get_attributes(s, k, &[ck::CKA_UNIQUE_ID]).unwrap().remove(0) {
        AttrValue::Value(v) => String::from_utf8(v).unwrap(),
        other => panic!("{other:?}"),
    };
    let stored = h.store().load(t.id, &uid).unwrap().unwrap();
    assert!(stored.attrs.iter().all(|(_, v)| v != &secret));
    let blob = stored.sealed.unwrap();
    assert!(!blob.windows(secret.len()).any(|w| w == secret.as_slice()));
}

#[test]
fn copy_may_change_token_and_private_but_not_class() {
    let (h, s) = ready();
    let k = aes_key(&h, s, false);
    let c = h
        .copy_object(
            s,
            k,
            &[
                (ck::CKA_TOKEN, enc_bool(true)),
                (ck::CKA_MODIFIABLE, enc_bool(false)),
            ],
        )
        .unwrap();
    let v = h
        .get_attributes(s, c, &[ck::CKA_TOKEN, ck::CKA_MODIFIABLE])
        .unwrap();
    assert_eq!(v, vec![AttrValue::Value(vec![1]), AttrValue::Value(vec![0])]);
    assert_eq!(
        h.set_attributes(s, c, &[(ck::CKA_LABEL, b"x".to_vec())])
            .unwrap_err(),
        Error::ActionProhibited
    );
    assert_eq!(
        h.copy_object(s, k, &[(ck::CKA_CLASS, enc_ulong(ck::CKO_DATA))])
            .unwrap_err(),
        Error::AttributeReadOnly
    );
}

#[test]
fn public_token_keys_are_sealed_and_need_a_login_to_use() {
    let (h, s) = ready();
    let k = h
        .generate_key(
            s,
            &Mechanism::new(ck::CKM_AES_KEY_GEN),
            &[
                (ck::CKA_VALUE_LEN, enc_ulong(16)),
                (ck::CKA_TOKEN, enc_bool(true)),
                (ck::CKA_PRIVATE, enc_bool(false)),
                (ck::CKA_SENSITIVE, enc_bool(false)),
            ],
        )
        .unwrap();
    assert!(matches!(
        h.get_attributes(s, k, &[ck::CKA_VALUE]).unwrap()[0],
        AttrValue::Value(_)
    ));
    h.logout(s).unwrap();
    // Still visible (public), but its material is sealed under the token key.
    assert_eq!(
        h.get_attributes(s, k, &[ck::CKA_VALUE, ck::CKA_PRIME_1]).unwrap(),
        vec![AttrValue::Sensitive, AttrValue::Invalid]
    );
    let m = Mechanism {
        mech: ck::CKM_AES_ECB,
        param: Param::None,
    };
    assert_eq!(h.cipher_init(s, &m, k, true).unwrap_err(), Error::UserNotLoggedIn);
    h.login(s, ck::CKU_USER, b"user-pin").unwrap();
    h.cipher_init(s, &m, k, true).unwrap();
}

#[test]
fn generated_keys_carry_their_subject_public_key_info() {
    let (h, s) = ready();
    let (p, k) = h
        .generate_key_pair(
            s,
            &Mechanism::new(ck::CKM_RSA_PKCS_KEY_PAIR_GEN),
            &[(ck::CKA_MODULUS_BITS, enc_ulong(2048))],
            &[],
        )
        .unwrap();
    let v = h.get_attributes(s, p, &[ck::CKA_PUBLIC_KEY_INFO]).unwrap();
    let w = h.get_attributes(s, k, &[ck::CKA_PUBLIC_KEY_INFO]).unwrap();
    assert_eq!(v, w, "private and public key report the same SPKI");
    let AttrValue::Value(spki) = &v[0] else {
        panic!("{v:?}")
    };
    // The SPKI parses as an RSA public key in aws-lc.
    let parsed = aws_lc_rs::rsa::PublicEncryptingKey::from_der(spki).unwrap();
    assert_eq!(parsed.key_size_bits(), 2048);
}

#[test]
fn wrap_and_unwrap_templates_are_enforced() {
    let (h, s) = ready();
    let required = crate::attr::enc_array(&[(ck::CKA_EXTRACTABLE, vec![0])]);
    let wrap_only_trusted = crate::attr::enc_array(&[(ck::CKA_LABEL, b"ok-to-wrap".to_vec())]);
    let kek = h
        .generate_key(
            s,
            &Mechanism::new(ck::CKM_AES_KEY_GEN),
            &[
                (ck::CKA_VALUE_LEN, enc_ulong(32)),
                (ck::CKA_WRAP_TEMPLATE, wrap_only_trusted),
                (ck::CKA_UNWRAP_TEMPLATE, required),
            ],
        )
        .unwrap();
    let gen = |label: &[u8]| {
        h.generate_key(
            s,
            &Mechanism::new(ck::CKM_AES_KEY_GEN),
            &[
                (ck::CKA_VALUE_LEN, enc_ulong(16)),
                (ck::CKA_LABEL, label.to_vec()),
            ],
        )
        .unwrap()
    };
    let (ok, other) = (gen(b"ok-to-wrap"), gen(b"other"));
    let kw = Mechanism::new(ck::CKM_AES_KEY_WRAP);
    assert_eq!(
        h.wrap_key(s, &kw, kek, other, Out::Cap(64)).unwrap_err(),
        Error::KeyNotWrappable
    );
    let Output::Data(blob) = h.wrap_key(s, &kw, kek, ok, Out::Cap(64)).unwrap() else {
        panic!()
    };
    let base = [
        (ck::CKA_CLASS, enc_ulong(ck::CKO_SECRET_KEY)),
        (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_AES)),
    ];
    let mut contradicting = base.to_vec();
    contradicting.push((ck::CKA_EXTRACTABLE, vec![1]));
    assert_eq!(
        h.unwrap_key(s, &kw, kek, &blob, &contradicting).unwrap_err(),
        Error::TemplateInconsistent
    );
    let k = h.unwrap_key(s, &kw, kek, &blob, &base).unwrap();
    assert_eq!(
        h.get_attributes(s, k, &[ck::CKA_EXTRACTABLE]).unwrap(),
        vec![AttrValue::Value(vec![0])]
    );
}

fn secret(h: &Hsm, s: u64, kt: u64, value: &[u8], extra: &[(u64, Vec<u8>)]) -> u64 {
    let mut t = vec![
        (ck::CKA_CLASS, enc_ulong(ck::CKO_SECRET_KEY)),
        (ck::CKA_KEY_TYPE, enc_ulong(kt)),
        (ck::CKA_VALUE, value.to_vec()),
    ];
    t.extend_from_slice(extra);
    h.create_object(s, &t).unwrap()
}

fn value_of(h: &Hsm, s: u64, k: u64) -> Vec<u8> {
    match h.get_attributes(s, k, &[ck::CKA_VALUE]).unwrap().remove(0) {
        AttrValue::Value(v) => v,
        other => panic!("{other:?}"),
    }
}

#[test]
fn general_macs_truncate_rfc_4231_case_5_and_rfc_4493() {
    let (h, s) = ready();
    let k = secret(&h, s, ck::CKK_GENERIC_SECRET, &[0x0c; 20], &[]);
    let m = Mechanism {
        mech: ck::CKM_SHA256_HMAC_GENERAL,
        param: Param::MacLen(16),
    };
    h.sign_init(s, &m, k).unwrap();
    let Output::Data(mac) = h.sign(s, b"Test With Truncation", Out::Cap(64)).unwrap() else {
        panic!()
    };
    assert_eq!(hex::encode(mac), "a3b6167473100ee06e0c796c2955552b");
    let bad = Mechanism {
        mech: ck::CKM_SHA256_HMAC_GENERAL,
        param: Param::MacLen(33),
    };
    assert_eq!(h.sign_init(s, &bad, k).unwrap_err(), Error::MechanismParamInvalid);

    let aes = secret(
        &h,
        s,
        ck::CKK_AES,
        &hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap(),
        &[],
    );
    let m = Mechanism {
        mech: ck::CKM_AES_CMAC_GENERAL,
        param: Param::MacLen(8),
    };
    h.sign_init(s, &m, aes).unwrap();
    let msg = hex::decode("6bc1bee22e409f96e93d7e117393172a").unwrap();
    let Output::Data(mac) = h.sign(s, &msg, Out::Cap(64)).unwrap() else {
        panic!()
    };
    assert_eq!(hex::encode(&mac), "070a16b46b4d4144");
    h.verify_init(s, &m, aes).unwrap();
    h.verify(s, &msg, &mac).unwrap();
}

#[test]
fn derivations_by_hash_encryption_and_concatenation() {
    let (h, s) = ready();
    let extractable = [
        (ck::CKA_SENSITIVE, enc_bool(false)),
        (ck::CKA_DERIVE, enc_bool(true)),
    ];
    let out = [(ck::CKA_SENSITIVE, enc_bool(false))];
    // FIPS-197 C.1 through CKM_AES_ECB_ENCRYPT_DATA.
    let b = secret(
        &h,
        s,
        ck::CKK_AES,
        &hex::decode("000102030405060708090a0b0c0d0e0f").unwrap(),
        &extractable,
    );
    let m = Mechanism {
        mech: ck::CKM_AES_ECB_ENCRYPT_DATA,
        param: Param::Data(hex::decode("00112233445566778899aabbccddeeff").unwrap()),
    };
    let k = h.derive_key(s, &m, b, &out).unwrap();
    assert_eq!(
        hex::encode(value_of(&h, s, k)),
        "69c4e0d86a7b0430d8cdb78070b4c55a"
    );
    let odd = Mechanism {
        mech: ck::CKM_AES_ECB_ENCRYPT_DATA,
        param: Param::Data(vec![1; 15]),
    };
    assert_eq!(
        h.derive_key(s, &odd, b, &out).unwrap_err(),
        Error::MechanismParamInvalid
    );

    let g = secret(&h, s, ck::CKK_GENERIC_SECRET, b"abc", &extractable);
    let k = h
        .derive_key(s, &Mechanism::new(ck::CKM_SHA256_KEY_DERIVATION), g, &out)
        .unwrap();
    assert_eq!(
        hex::encode(value_of(&h, s, k)),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let m = Mechanism {
        mech: ck::CKM_CONCATENATE_BASE_AND_DATA,
        param: Param::Data(b"def".to_vec()),
    };
    let k = h.derive_key(s, &m, g, &out).unwrap();
    assert_eq!(value_of(&h, s, k), b"abcdef");
    let m = Mechanism {
        mech: ck::CKM_CONCATENATE_BASE_AND_KEY,
        param: Param::Handle(g),
    };
    let k = h.derive_key(s, &m, g, &out).unwrap();
    assert_eq!(value_of(&h, s, k), b"abcabc");
    // A base key without CKA_DERIVE may not derive.
    let no = secret(&h, s, ck::CKK_GENERIC_SECRET, b"abc", &[]);
    assert_eq!(
        h.derive_key(s, &Mechanism::new(ck::CKM_SHA256_KEY_DERIVATION), no, &out)
            .unwrap_err(),
        Error::KeyFunctionNotPermitted
    );
}

fn digest_hex(h: &Hsm, s: u64, mech: u64, data: &[u8]) -> String {
    h.digest_init(s, &Mechanism::new(mech)).unwrap();
    let Output::Data(d) = h.digest(s, data, Out::Cap(128)).unwrap() else {
        panic!()
    };
    hex::encode(d)
}

#[test]
fn md5_and_sha3_digests_and_hmacs_match_their_standards() {
    let (h, s) = ready();
    assert_eq!(
        digest_hex(&h, s, ck::CKM_MD5, b"abc"),
        "900150983cd24fb0d6963f7d28e17f72"
    );
    assert_eq!(
        digest_hex(&h, s, ck::CKM_SHA3_256, b"abc"),
        "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
    );
    // RFC 2202 case 1.
    let k = secret(&h, s, ck::CKK_MD5_HMAC, &[0x0b; 16], &[]);
    h.sign_init(s, &Mechanism::new(ck::CKM_MD5_HMAC), k).unwrap();
    let Output::Data(mac) = h.sign(s, b"Hi There", Out::Cap(64)).unwrap() else {
        panic!()
    };
    assert_eq!(hex::encode(mac), "9294727a3638bb1c13f48ef8158bfc9d");
}

#[test]
fn secp256k1_keys_sign_with_sha3_ecdsa() {
    let (h, s) = ready();
    let secp256k1 = vec![0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x0A];
    let (p, k) = h
        .generate_key_pair(
            s,
            &Mechanism::new(ck::CKM_EC_KEY_PAIR_GEN),
            &[(ck::CKA_EC_PARAMS, secp256k1)],
            &[],
        )
        .unwrap();
    let m = Mechanism::new(ck::CKM_ECDSA_SHA3_256);
    h.sign_init(s, &m, k).unwrap();
    let Output::Data(sig) = h.sign(s, b"message", Out::Cap(128)).unwrap() else {
        panic!()
    };
    assert_eq!(sig.len(), 64);
    h.verify_init(s, &m, p).unwrap();
    h.verify(s, b"message", &sig).unwrap();
    h.verify_init(s, &m, p).unwrap();
    assert_eq!(
        h.verify(s, b"messagf", &sig).unwrap_err(),
        Error::SignatureInvalid
    );
}

fn montgomery(h: &Hsm, s: u64, class: u64, value: &[u8]) -> u64 {
    let mut t = vec![
        (ck::CKA_CLASS, enc_ulong(class)),
        (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_EC_MONTGOMERY)),
        (
            ck::CKA_EC_PARAMS,
            crate::mechanism::ops::X25519_PARAMS_OID.to_vec(),
        ),
    ];
    if class == ck::CKO_PRIVATE_KEY {
        t.push((ck::CKA_VALUE, value.to_vec()));
        t.push((ck::CKA_DERIVE, enc_bool(true)));
    } else {
        t.push((ck::CKA_EC_POINT, crate::der::octet_string(value)));
    }
    h.create_object(s, &t).unwrap()
}

#[test]
fn x25519_agreement_matches_rfc_7748() {
    let (h, s) = ready();
    let alice = hex::decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a").unwrap();
    let bob_pub = hex::decode("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f").unwrap();
    let a = montgomery(&h, s, ck::CKO_PRIVATE_KEY, &alice);
    let m = Mechanism {
        mech: ck::CKM_ECDH1_DERIVE,
        param: Param::Ecdh {
            kdf: ck::CKD_NULL,
            shared: vec![],
            public: bob_pub.clone(),
        },
    };
    let k = h
        .derive_key(s, &m, a, &[(ck::CKA_SENSITIVE, enc_bool(false))])
        .unwrap();
    assert_eq!(
        hex::encode(value_of(&h, s, k)),
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    );
    // With the X9.63 KDF the key is the KDF of the same secret and the shared data.
    let m = Mechanism {
        mech: ck::CKM_ECDH1_DERIVE,
        param: Param::Ecdh {
            kdf: ck::CKD_SHA256_KDF,
            shared: b"info".to_vec(),
            public: bob_pub,
        },
    };
    let k2 = h
        .derive_key(
            s,
            &m,
            a,
            &[
                (ck::CKA_SENSITIVE, enc_bool(false)),
                (ck::CKA_VALUE_LEN, enc_ulong(40)),
            ],
        )
        .unwrap();
    let z = value_of(&h, s, k);
    let expect = crate::crypto::x963_kdf(crate::crypto::Hash::Sha256, &z, b"info", 40).unwrap();
    assert_eq!(value_of(&h, s, k2), expect.to_vec());
    // Generated pairs agree with each other.
    let gen = || {
        h.generate_key_pair(
            s,
            &Mechanism::new(ck::CKM_EC_MONTGOMERY_KEY_PAIR_GEN),
            &[(
                ck::CKA_EC_PARAMS,
                crate::mechanism::ops::X25519_PARAMS_NAME.to_vec(),
            )],
            &[(ck::CKA_DERIVE, enc_bool(true))],
        )
        .unwrap()
    };
    let ((pa, sa), (pb, sb)) = (gen(), gen());
    let point = |p: u64| match h.get_attributes(s, p, &[ck::CKA_EC_POINT]).unwrap().remove(0) {
        AttrValue::Value(v) => v,
        o => panic!("{o:?}"),
    };
    let derive = |sk: u64, peer: u64| {
        let m = Mechanism {
            mech: ck::CKM_ECDH1_DERIVE,
            param: Param::Ecdh {
                kdf: ck::CKD_NULL,
                shared: vec![],
                public: point(peer),
            },
        };
        let k = h
            .derive_key(s, &m, sk, &[(ck::CKA_SENSITIVE, enc_bool(false))])
            .unwrap();
        value_of(&h, s, k)
    };
    assert_eq!(derive(sa, pb), derive(sb, pa));
}

#[test]
fn hkdf_and_pbkdf2_match_rfc_5869_and_rfc_6070() {
    let (h, s) = ready();
    let ikm = secret(
        &h,
        s,
        ck::CKK_GENERIC_SECRET,
        &[0x0b; 22],
        &[(ck::CKA_DERIVE, enc_bool(true))],
    );
    let m = Mechanism {
        mech: ck::CKM_HKDF_DERIVE,
        param: Param::Hkdf {
            extract: true,
            expand: true,
            prf: ck::CKM_SHA256,
            salt_type: ck::CKF_HKDF_SALT_DATA,
            salt: hex::decode("000102030405060708090a0b0c").unwrap(),
            salt_key: 0,
            info: hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap(),
        },
    };
    let okm = h
        .derive_key(
            s,
            &m,
            ikm,
            &[
                (ck::CKA_SENSITIVE, enc_bool(false)),
                (ck::CKA_VALUE_LEN, enc_ulong(42)),
            ],
        )
        .unwrap();
    assert_eq!(
        hex::encode(value_of(&h, s, okm)),
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    );
    let data = h
        .derive_key(
            s,
            &Mechanism {
                mech: ck::CKM_HKDF_DATA,
                ..m.clone()
            },
            ikm,
            &[(ck::CKA_VALUE_LEN, enc_ulong(42))],
        )
        .unwrap();
    assert_eq!(
        value_of(&h, s, data),
        value_of(&h, s, okm),
        "HKDF_DATA gives a data object with the same bytes"
    );
    assert_eq!(
        h.derive_key(s, &m, ikm, &[]).unwrap_err(),
        Error::TemplateIncomplete,
        "an expand needs a length"
    );

    let m = Mechanism {
        mech: ck::CKM_PKCS5_PBKD2,
        param: Param::Pbkdf2 {
            salt: b"salt".to_vec(),
            iterations: 2,
            prf: ck::CKP_PKCS5_PBKD2_HMAC_SHA1,
            password: crate::mechanism::SecretBytes::new(b"password".to_vec()),
        },
    };
    let k = h
        .generate_key(
            s,
            &m,
            &[
                (ck::CKA_VALUE_LEN, enc_ulong(20)),
                (ck::CKA_SENSITIVE, enc_bool(false)),
            ],
        )
        .unwrap();
    assert_eq!(
        hex::encode(value_of(&h, s, k)),
        "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"
    );
    assert_eq!(
        h.get_attributes(s, k, &[ck::CKA_LOCAL]).unwrap(),
        vec![AttrValue::Value(vec![0])]
    );
}

#[test]
fn private_keys_wrap_as_pkcs8_and_unwrap_into_working_keys() {
    let (h, s) = ready();
    let kek = aes_key(&h, s, false);
    let kwp = Mechanism::new(ck::CKM_AES_KEY_WRAP_KWP);
    // (generation mechanism, public template, key type, signature mechanism)
    type Case = (u64, Vec<(u64, Vec<u8>)>, u64, u64);
    let cases: [Case; 3] = [
        (
            ck::CKM_RSA_PKCS_KEY_PAIR_GEN,
            vec![(ck::CKA_MODULUS_BITS, enc_ulong(2048))],
            ck::CKK_RSA,
            ck::CKM_SHA256_RSA_PKCS,
        ),
        (
            ck::CKM_EC_KEY_PAIR_GEN,
            vec![(ck::CKA_EC_PARAMS, crate::crypto::Curve::P384.oid_der().to_vec())],
            ck::CKK_EC,
            ck::CKM_ECDSA_SHA384,
        ),
        (
            ck::CKM_EC_EDWARDS_KEY_PAIR_GEN,
            vec![(
                ck::CKA_EC_PARAMS,
                crate::mechanism::ops::ED25519_PARAMS_OID.to_vec(),
            )],
            ck::CKK_EC_EDWARDS,
            ck::CKM_EDDSA,
        ),
    ];
    for (gen, pt, kt, sig) in cases {
        let (p, k) = h.generate_key_pair(s, &Mechanism::new(gen), &pt, &[]).unwrap();
        let Output::Data(blob) = h.wrap_key(s, &kwp, kek, k, Out::Cap(8192)).unwrap() else {
            panic!()
        };
        let t = [
            (ck::CKA_CLASS, enc_ulong(ck::CKO_PRIVATE_KEY)),
            (ck::CKA_KEY_TYPE, enc_ulong(kt)),
        ];
        let k2 = h.unwrap_key(s, &kwp, kek, &blob, &t).unwrap();
        let sm = Mechanism::new(sig);
        h.sign_init(s, &sm, k2).unwrap();
        let Output::Data(signature) = h.sign(s, b"payload", Out::Cap(1024)).unwrap() else {
            panic!()
        };
        h.verify_init(s, &sm, p).unwrap();
        h.verify(s, b"payload", &signature).unwrap();
        // The template must name the key type the blob holds.
        let wrong = [
            (ck::CKA_CLASS, enc_ulong(ck::CKO_PRIVATE_KEY)),
            (
                ck::CKA_KEY_TYPE,
                enc_ulong(if kt == ck::CKK_RSA {
                    ck::CKK_EC
                } else {
                    ck::CKK_RSA
                }),
            ),
        ];
        assert_eq!(
            h.unwrap_key(s, &kwp, kek, &blob, &wrong).unwrap_err(),
            Error::TemplateInconsistent
        );
    }
}

#[test]
fn aes_cts_equals_cbc_on_whole_blocks_and_round_trips() {
    let (h, s) = ready();
    let k = aes_key(&h, s, false);
    let iv = vec![7u8; 16];
    let enc = |mech: u64, data: &[u8]| {
        h.cipher_init(
            s,
            &Mechanism {
                mech,
                param: Param::Iv(iv.clone()),
            },
            k,
            true,
        )
        .unwrap();
        let Output::Data(c) = h.cipher_once(s, data, Out::Cap(4096), true).unwrap() else {
            panic!()
        };
        c
    };
    let whole = [3u8; 48];
    assert_eq!(enc(ck::CKM_AES_CTS, &whole), enc(ck::CKM_AES_CBC, &whole));
    for n in [16usize, 17, 31, 33, 100] {
        let data: Vec<u8> = (0..n as u8).collect();
        let c = enc(ck::CKM_AES_CTS, &data);
        assert_eq!(c.len(), n, "ciphertext stealing keeps the length");
        h.cipher_init(
            s,
            &Mechanism {
                mech: ck::CKM_AES_CTS,
                param: Param::Iv(iv.clone()),
            },
            k,
            false,
        )
        .unwrap();
        let Output::Data(p) = h.cipher_once(s, &c, Out::Cap(4096), false).unwrap() else {
            panic!()
        };
        assert_eq!(p, data);
    }
    h.cipher_init(
        s,
        &Mechanism {
            mech: ck::CKM_AES_CTS,
            param: Param::Iv(iv.clone()),
        },
        k,
        true,
    )
    .unwrap();
    assert_eq!(
        h.cipher_once(s, &[1; 15], Out::Cap(64), true).unwrap_err(),
        Error::DataLenRange
    );
}

#[test]
fn sp800_108_counter_kdf_matches_an_independent_computation() {
    use crate::mechanism::KdfField;
    let (h, s) = ready();
    let kin = [0x42u8; 32];
    let base = secret(
        &h,
        s,
        ck::CKK_GENERIC_SECRET,
        &kin,
        &[(ck::CKA_DERIVE, enc_bool(true))],
    );
    let fields = vec![
        KdfField::Counter {
            little_endian: false,
            width_bits: 32,
        },
        KdfField::Bytes(b"label".to_vec()),
        KdfField::Bytes(vec![0]),
        KdfField::Bytes(b"context".to_vec()),
        KdfField::DkmLength {
            sum_of_segments: false,
            little_endian: false,
            width_bits: 32,
        },
    ];
    let m = Mechanism {
        mech: ck::CKM_SP800_108_COUNTER_KDF,
        param: Param::Sp800_108 {
            prf: ck::CKM_SHA256_HMAC,
            fields,
        },
    };
    let k = h
        .derive_key(
            s,
            &m,
            base,
            &[
                (ck::CKA_SENSITIVE, enc_bool(false)),
                (ck::CKA_VALUE_LEN, enc_ulong(48)),
            ],
        )
        .unwrap();
    // K(i) = HMAC-SHA256(Kin, [i]_32 || "label" || 0x00 || "context" || [384]_32), two rounds.
    let mut expect = Vec::new();
    for i in 1u32..=2 {
        let mut m = crate::crypto::Hmac::new(crate::crypto::Hash::Sha256, &kin);
        m.update(&i.to_be_bytes());
        m.update(b"label\0context");
        m.update(&384u32.to_be_bytes());
        expect.extend(m.finish());
    }
    expect.truncate(48);
    assert_eq!(value_of(&h, s, k), expect);
    let no_counter = Mechanism {
        mech: ck::CKM_SP800_108_COUNTER_KDF,
        param: Param::Sp800_108 {
            prf: ck::CKM_SHA256_HMAC,
            fields: vec![KdfField::Bytes(vec![1])],
        },
    };
    assert_eq!(
        h.derive_key(s, &no_counter, base, &[(ck::CKA_VALUE_LEN, enc_ulong(16))])
            .unwrap_err(),
        Error::MechanismParamInvalid
    );
}

/// The RFC 3526 2048-bit MODP group (group 14), generator 2.
const MODP_2048: &str = "\
    ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74\
    020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437\
    4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed\
    ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05\
    98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb\
    9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b\
    e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718\
    3995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff";

#[test]
fn dsa_parameters_keys_and_signatures() {
    let (h, s) = ready();
    let d = h
        .generate_key(
            s,
            &Mechanism::new(ck::CKM_DSA_PARAMETER_GEN),
            &[
                (ck::CKA_CLASS, enc_ulong(ck::CKO_DOMAIN_PARAMETERS)),
                (ck::CKA_PRIME_BITS, enc_ulong(1024)),
            ],
        )
        .unwrap();
    let v = h
        .get_attributes(
            s,
            d,
            &[ck::CKA_PRIME, ck::CKA_SUBPRIME, ck::CKA_BASE, ck::CKA_PRIME_BITS],
        )
        .unwrap();
    assert_eq!(v[3], AttrValue::Value(enc_ulong(1024)));
    let params: Vec<(u64, Vec<u8>)> = [ck::CKA_PRIME, ck::CKA_SUBPRIME, ck::CKA_BASE]
        .into_iter()
        .zip(v)
        .map(|(ty, a)| match a {
            AttrValue::Value(x) => (ty, x),
            o => panic!("{o:?}"),
        })
        .collect();
    let (p, k) = h
        .generate_key_pair(s, &Mechanism::new(ck::CKM_DSA_KEY_PAIR_GEN), &params, &[])
        .unwrap();
    for mech in [ck::CKM_DSA_SHA256, ck::CKM_DSA_SHA1] {
        let m = Mechanism::new(mech);
        h.sign_init(s, &m, k).unwrap();
        let Output::Data(sig) = h.sign(s, b"message", Out::Cap(128)).unwrap() else {
            panic!()
        };
        assert_eq!(sig.len(), 40, "r||s with a 160-bit q");
        h.verify_init(s, &m, p).unwrap();
        h.verify(s, b"message", &sig).unwrap();
        h.verify_init(s, &m, p).unwrap();
        assert_eq!(
            h.verify(s, b"massage", &sig).unwrap_err(),
            Error::SignatureInvalid
        );
    }
}

#[test]
fn dh_agreement_on_the_rfc_3526_group() {
    let (h, s) = ready();
    let params = [
        (ck::CKA_PRIME, hex::decode(MODP_2048).unwrap()),
        (ck::CKA_BASE, vec![2]),
    ];
    let pair = || {
        h.generate_key_pair(
            s,
            &Mechanism::new(ck::CKM_DH_PKCS_KEY_PAIR_GEN),
            &params,
            &[(ck::CKA_DERIVE, enc_bool(true))],
        )
        .unwrap()
    };
    let ((pa, sa), (pb, sb)) = (pair(), pair());
    let y = |p: u64| match h.get_attributes(s, p, &[ck::CKA_VALUE]).unwrap().remove(0) {
        AttrValue::Value(v) => v,
        o => panic!("{o:?}"),
    };
    let derive = |sk: u64, peer: Vec<u8>| {
        let m = Mechanism {
            mech: ck::CKM_DH_PKCS_DERIVE,
            param: Param::Data(peer),
        };
        let k = h
            .derive_key(s, &m, sk, &[(ck::CKA_SENSITIVE, enc_bool(false))])
            .unwrap();
        value_of(&h, s, k)
    };
    let z = derive(sa, y(pb));
    assert_eq!(z.len(), 256);
    assert_eq!(z, derive(sb, y(pa)));
    let m = Mechanism {
        mech: ck::CKM_DH_PKCS_DERIVE,
        param: Param::Data(vec![1]),
    };
    assert_eq!(
        h.derive_key(s, &m, sa, &[]).unwrap_err(),
        Error::MechanismParamInvalid,
        "peer y = 1"
    );
}

#[test]
fn a_search_sees_its_own_slots_session_objects_only() {
    let (h, s) = ready();
    h.init_token(1, b"so-pin", b"second").unwrap();
    let s1 = h
        .open_session(1, ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION)
        .unwrap();
    let data = |sess: u64| {
        h.create_object(
            sess,
            &[
                (ck::CKA_CLASS, enc_ulong(ck::CKO_DATA)),
                (ck::CKA_PRIVATE, enc_bool(false)),
                (ck::CKA_LABEL, b"same".to_vec()),
            ],
        )
        .unwrap()
    };
    let (a, b) = (data(s), data(s1));
    let search = |sess: u64| {
        h.find_init(sess, &[(ck::CKA_LABEL, b"same".to_vec())]).unwrap();
        let r = h.find(sess, 10).unwrap();
        h.find_final(sess).unwrap();
        r
    };
    assert_eq!(search(s), vec![a]);
    assert_eq!(search(s1), vec![b]);
    h.destroy_object(s, a).unwrap();
    assert!(search(s).is_empty());
}

fn encrypts(h: &Hsm, s: u64, k: u64) -> Result<()> {
    let m = Mechanism::new(ck::CKM_AES_ECB);
    h.cipher_init(s, &m, k, true)?;
    h.cipher_once(s, &[0u8; 16], Out::Cap(64), true).map(|_| ())
}

fn decrypts(h: &Hsm, s: u64, k: u64) -> Result<()> {
    let m = Mechanism::new(ck::CKM_AES_ECB);
    h.cipher_init(s, &m, k, false)?;
    h.cipher_once(s, &[0u8; 16], Out::Cap(64), false).map(|_| ())
}

#[test]
fn the_kmip_lifecycle_governs_use_and_only_the_manager_sets_it() {
    use crate::attr::{state, CKA_SOFTHSM_ACTIVATION_DATE, CKA_SOFTHSM_STATE};
    let (mut h, s) = ready();
    let pre_active = [
        (ck::CKA_VALUE_LEN, enc_ulong(32)),
        (ck::CKA_TOKEN, enc_bool(true)),
        (CKA_SOFTHSM_STATE, enc_ulong(state::PRE_ACTIVE)),
    ];
    let gen = Mechanism::new(ck::CKM_AES_KEY_GEN);
    // Through PKCS#11 (not the manager) the lifecycle is read-only.
    assert_eq!(
        h.generate_key(s, &gen, &pre_active).unwrap_err(),
        Error::AttributeReadOnly
    );
    let k = aes_key(&h, s, true);
    assert_eq!(
        h.set_attributes(s, k, &[(CKA_SOFTHSM_STATE, enc_ulong(state::DEACTIVATED))])
            .unwrap_err(),
        Error::AttributeReadOnly
    );
    assert_eq!(
        h.destroy_material(s, k, Vec::new()).unwrap_err(),
        Error::ActionProhibited
    );
    encrypts(&h, s, k).expect("a PKCS#11-made key is Active");

    h.set_key_manager(true);
    // The manager's hook may add only managed attributes, in the same write.
    let label = |_: &crate::object::Object| vec![(ck::CKA_LABEL, b"sneaky".to_vec())];
    assert_eq!(
        h.generate_key_with(s, &gen, &pre_active, &label).unwrap_err(),
        Error::AttributeReadOnly
    );
    let blob = |o: &crate::object::Object| {
        assert!(o.get(ck::CKA_VALUE).is_some(), "the hook sees the new key");
        vec![(crate::attr::CKA_SOFTHSM_KMIP_ATTRIBUTES, b"kmip".to_vec())]
    };
    let k = h.generate_key_with(s, &gen, &pre_active, &blob).unwrap();
    assert_eq!(
        h.get_attributes(s, k, &[crate::attr::CKA_SOFTHSM_KMIP_ATTRIBUTES])
            .unwrap(),
        vec![AttrValue::Value(b"kmip".to_vec())]
    );
    assert_eq!(encrypts(&h, s, k).unwrap_err(), Error::KeyFunctionNotPermitted);
    assert_eq!(decrypts(&h, s, k).unwrap_err(), Error::KeyFunctionNotPermitted);
    // An Activation Date in the past makes it Active without a state change.
    h.set_attributes(s, k, &[(CKA_SOFTHSM_ACTIVATION_DATE, enc_ulong(1))])
        .unwrap();
    encrypts(&h, s, k).unwrap();
    h.set_attributes(s, k, &[(CKA_SOFTHSM_STATE, enc_ulong(state::DEACTIVATED))])
        .unwrap();
    assert_eq!(encrypts(&h, s, k).unwrap_err(), Error::KeyFunctionNotPermitted);
    decrypts(&h, s, k).expect("a Deactivated key still processes");
    let uid = h.get_attributes(s, k, &[ck::CKA_UNIQUE_ID]).unwrap().remove(0);
    let AttrValue::Value(uid) = uid else {
        panic!("no unique id")
    };
    assert_eq!(h.object_by_uid(s, std::str::from_utf8(&uid).unwrap()).unwrap(), k);
    assert_eq!(
        h.object_by_uid(s, "no-such-object").unwrap_err(),
        Error::ObjectHandleInvalid
    );
    h.destroy_material(s, k, Vec::new()).unwrap();
    assert_eq!(decrypts(&h, s, k).unwrap_err(), Error::KeyFunctionNotPermitted);
    assert_eq!(
        h.get_attributes(s, k, &[ck::CKA_VALUE, CKA_SOFTHSM_STATE])
            .unwrap(),
        vec![AttrValue::Invalid, AttrValue::Value(enc_ulong(state::DESTROYED))]
    );
}

#[test]
fn only_the_key_manager_chooses_unique_ids_and_encodes_wrapped_keys() {
    use crate::object::Object;
    use zeroize::Zeroizing;
    let (mut h, s) = ready();
    let secret = |v: u8, extractable: bool| {
        vec![
            (ck::CKA_CLASS, enc_ulong(ck::CKO_SECRET_KEY)),
            (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_AES)),
            (ck::CKA_TOKEN, enc_bool(true)),
            (ck::CKA_EXTRACTABLE, enc_bool(extractable)),
            (ck::CKA_SENSITIVE, enc_bool(false)),
            (ck::CKA_VALUE, vec![v; 16]),
        ]
    };
    let id = ChosenId {
        uid: "chosen-1",
        replace: false,
    };
    let kw = Mechanism::new(ck::CKM_AES_KEY_WRAP);
    let kek = h
        .generate_key(
            s,
            &Mechanism::new(ck::CKM_AES_KEY_GEN),
            &[
                (ck::CKA_VALUE_LEN, enc_ulong(16)),
                (ck::CKA_TOKEN, enc_bool(true)),
                (ck::CKA_WRAP, enc_bool(true)),
            ],
        )
        .unwrap();
    let k = h.create_object(s, &secret(1, true)).unwrap();
    let identity = |_: &Object, v: &[u8]| Ok(Zeroizing::new(v.to_vec()));
    // Through PKCS#11 neither hook is offered.
    assert_eq!(
        h.create_object_as(s, &secret(1, true), Some(id)).unwrap_err(),
        Error::ActionProhibited
    );
    assert_eq!(
        h.wrap_key_with(s, &kw, kek, k, &identity).unwrap_err(),
        Error::ActionProhibited
    );
    h.set_key_manager(true);
    let value_of = |h: &Hsm, uid: &str| {
        let o = h.object_by_uid(s, uid).unwrap();
        match &h.get_attributes(s, o, &[ck::CKA_VALUE]).unwrap()[0] {
            AttrValue::Value(v) => v.clone(),
            other => panic!("no value: {other:?}"),
        }
    };
    let a = h.create_object_as(s, &secret(1, true), Some(id)).unwrap();
    assert_eq!(h.object_by_uid(s, "chosen-1").unwrap(), a);
    assert_eq!(
        h.create_object_as(s, &secret(2, true), Some(id)).unwrap_err(),
        Error::ActionProhibited
    );
    let replace = ChosenId { replace: true, ..id };
    h.create_object_as(s, &secret(2, true), Some(replace)).unwrap();
    assert_eq!(value_of(&h, "chosen-1"), vec![2; 16]);
    for bad in ["", "tab\there", " lead"] {
        let bad = ChosenId {
            uid: bad,
            replace: false,
        };
        assert_eq!(
            h.create_object_as(s, &secret(3, true), Some(bad)).unwrap_err(),
            Error::AttributeValueInvalid
        );
    }
    // The encoder's output is what is wrapped; the identity gives C_WrapKey's answer.
    let Output::Data(plain) = h.wrap_key(s, &kw, kek, k, Out::Cap(64)).unwrap() else {
        panic!("wrapped bytes expected")
    };
    assert_eq!(h.wrap_key_with(s, &kw, kek, k, &identity).unwrap(), plain);
    let longer = |_: &Object, v: &[u8]| Ok(Zeroizing::new([v, v].concat()));
    assert_eq!(h.wrap_key_with(s, &kw, kek, k, &longer).unwrap().len(), 40);
    // The rules run before the encoder sees anything.
    let locked = h.create_object(s, &secret(4, false)).unwrap();
    let never = |_: &Object, _: &[u8]| -> Result<Zeroizing<Vec<u8>>> { panic!("encoder reached") };
    assert_eq!(
        h.wrap_key_with(s, &kw, kek, locked, &never).unwrap_err(),
        Error::KeyUnextractable
    );
}

/// A search by pages (KMIP Locate) reads every object of a token without leaving a handle
/// behind for each, and sees exactly what a session may see: private objects only while the
/// user is logged in.
#[test]
fn paged_search_reads_objects_without_making_handles() {
    let (h, s) = ready();
    let keys: Vec<u64> = (0..5).map(|_| aes_key(&h, s, true)).collect();
    let uid_of = |k: u64| match &h.get_attributes(s, k, &[ck::CKA_UNIQUE_ID]).unwrap()[0] {
        AttrValue::Value(v) => String::from_utf8(v.clone()).unwrap(),
        other => panic!("no unique id: {other:?}"),
    };
    let mut want: Vec<String> = keys.iter().map(|k| uid_of(*k)).collect();
    want.reverse(); // newest first
    let handles_before = h.state().handles.len();
    let (first, next) = h.find_token_page(s, &[], None, 3).unwrap();
    let (rest, end) = h.find_token_page(s, &[], next, 3).unwrap();
    assert_eq!(end, None);
    assert_eq!([first, rest].concat(), want);
    for uid in &want {
        let v = h
            .token_object_attributes(s, uid, &[ck::CKA_CLASS, ck::CKA_VALUE])
            .unwrap();
        assert_eq!(v[0], AttrValue::Value(enc_ulong(ck::CKO_SECRET_KEY)));
        assert_eq!(
            v[1],
            AttrValue::Sensitive,
            "the rules of C_GetAttributeValue hold"
        );
    }
    assert_eq!(h.state().handles.len(), handles_before, "no handle was made");
    assert_eq!(
        h.token_object_attributes(s, "no-such-object", &[ck::CKA_CLASS])
            .unwrap_err(),
        Error::ObjectHandleInvalid
    );
    // Generated token keys are private: after logout neither the page nor a read shows them.
    h.logout(s).unwrap();
    assert_eq!(h.find_token_page(s, &[], None, 10).unwrap(), (vec![], None));
    assert_eq!(
        h.token_object_attributes(s, &want[0], &[ck::CKA_CLASS])
            .unwrap_err(),
        Error::ObjectHandleInvalid
    );
}
