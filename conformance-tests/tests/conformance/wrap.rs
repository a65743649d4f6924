//! Key wrapping: RFC 3394 known answer, CKM_AES_KEY_WRAP_PAD (PKCS#7 +
//! RFC 3394 per PKCS#11 3.0), round trips with AES and RSA mechanisms,
//! extractability and CKA_ALLOWED_MECHANISMS enforcement.

use crate::util::*;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};

const KEK: &str = "000102030405060708090a0b0c0d0e0f";
const KEYDATA: &str = "00112233445566778899aabbccddeeff";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn kek(s: &Session) -> ObjectHandle {
    import_secret(
        s,
        KeyType::AES,
        &h(KEK),
        &[
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ],
    )
}

fn extractable(s: &Session, kt: KeyType, value: &[u8]) -> ObjectHandle {
    import_secret(
        s,
        kt,
        value,
        &[
            Attribute::Extractable(true),
            Attribute::Sensitive(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ],
    )
}

fn unwrap_template(kt: KeyType) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(kt),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        Attribute::Extractable(true),
        Attribute::Sensitive(false),
        Attribute::Token(false),
    ]
}

#[test]
fn aes_key_wrap_rfc3394_4_1() {
    let (_slot, s) = user_token("wrap-rfc3394");
    let w = kek(&s);
    let k = extractable(&s, KeyType::AES, &h(KEYDATA));
    let wrapped = s.wrap_key(&Mechanism::AesKeyWrap, w, k).expect("C_WrapKey");
    assert_eq!(
        hex::encode(&wrapped),
        "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5",
        "RFC 3394 section 4.1"
    );
    let u = s
        .unwrap_key(
            &Mechanism::AesKeyWrap,
            w,
            &wrapped,
            &unwrap_template(KeyType::AES),
        )
        .expect("C_UnwrapKey");
    assert_eq!(get_bytes(&s, u, AttributeType::Value), h(KEYDATA));
    assert!(
        !get_bool(&s, u, AttributeType::Local),
        "unwrapped: CKA_LOCAL false"
    );
    let mut bad = wrapped.clone();
    bad[10] ^= 1;
    expect_rv(
        s.unwrap_key(&Mechanism::AesKeyWrap, w, &bad, &unwrap_template(KeyType::AES)),
        cryptoki::error::RvError::WrappedKeyInvalid,
        cryptoki::error::RvError::GeneralError,
        "C_UnwrapKey of a tampered RFC 3394 blob",
    );
    assert_rv!(
        s.unwrap_key(
            &Mechanism::AesKeyWrap,
            w,
            &wrapped[..20],
            &unwrap_template(KeyType::AES)
        ),
        WrappedKeyLenRange
    );
}

#[test]
fn aes_key_wrap_pad_is_pkcs7_then_rfc3394() {
    let (_slot, s) = user_token("wrap-pad");
    let w = kek(&s);
    let cases = [
        (
            KeyType::AES,
            KEYDATA,
            "b05471fa00ab70570ea62b3cfc244f1001af95366e5fe1f430ed8ac55b16c5da",
            "2cef0c9e30de26016c230cb78bc60d51b1fe083ba0c79cd5",
        ),
        (
            KeyType::GENERIC_SECRET,
            "c37b7e6492584340bed12207808941155068f738",
            "ee561194dbb760048f47d6d4235a2e629c7bc4ab1f010fc3b3bacb5b51ca6c62",
            "e1f7176ecbd75d42e82b24f989a2816c209c6ef2d1aa94d2a3e60284900d03a2",
        ),
    ];
    for (kt, value, want, rfc5649) in cases {
        let k = extractable(&s, kt, &h(value));
        let wrapped = s
            .wrap_key(&Mechanism::AesKeyWrapPad, w, k)
            .expect("C_WrapKey(CKM_AES_KEY_WRAP_PAD)");
        if hex::encode(&wrapped) == rfc5649
            && diverges("CKM_AES_KEY_WRAP_PAD implements RFC 5649 (that is CKM_AES_KEY_WRAP_KWP)")
        {
            return;
        }
        assert_eq!(
            hex::encode(&wrapped),
            want,
            "PKCS#7 padding + RFC 3394 of {value}"
        );
        let u = s
            .unwrap_key(&Mechanism::AesKeyWrapPad, w, &wrapped, &unwrap_template(kt))
            .expect("C_UnwrapKey(CKM_AES_KEY_WRAP_PAD)");
        assert_eq!(get_bytes(&s, u, AttributeType::Value), h(value));
    }
}

/// Encrypts with `target`, wraps it, unwraps, and decrypts with the copy.
fn round_trip(s: &Session, m: &Mechanism, wrapping: ObjectHandle, unwrapping: ObjectHandle, what: &str) {
    let target = gen_aes(s, 32, &[Attribute::Extractable(true), Attribute::Sensitive(true)]);
    let iv = [9u8; 16];
    let secret = b"wrapped keys must still decrypt this";
    let ct = s.encrypt(&Mechanism::AesCbcPad(iv), target, secret).unwrap();
    let wrapped = s
        .wrap_key(m, wrapping, target)
        .unwrap_or_else(|e| panic!("{what}: C_WrapKey: {e}"));
    let mut tmpl = unwrap_template(KeyType::AES);
    tmpl.retain(|a| !matches!(a, Attribute::Sensitive(_) | Attribute::Extractable(_)));
    tmpl.push(Attribute::Sensitive(true));
    let u = s
        .unwrap_key(m, unwrapping, &wrapped, &tmpl)
        .unwrap_or_else(|e| panic!("{what}: C_UnwrapKey: {e}"));
    assert_eq!(
        s.decrypt(&Mechanism::AesCbcPad(iv), u, &ct).unwrap(),
        secret,
        "{what}: unwrapped key decrypts"
    );
    let value_len = get_ulong(s, u, AttributeType::ValueLen);
    if !(value_len == 0 && diverges(&format!("{what}: unwrapped AES key has CKA_VALUE_LEN 0"))) {
        assert_eq!(value_len, 32, "{what}: CKA_VALUE_LEN");
    }
    assert!(!get_bool(s, u, AttributeType::Local), "{what}: CKA_LOCAL");
    assert!(
        !get_bool(s, u, AttributeType::AlwaysSensitive),
        "{what}: CKA_ALWAYS_SENSITIVE"
    );
    assert!(
        !get_bool(s, u, AttributeType::NeverExtractable),
        "{what}: CKA_NEVER_EXTRACTABLE"
    );
}

#[test]
fn wrap_unwrap_round_trips() {
    let (_slot, s) = user_token("wrap-roundtrip");
    let w = gen_aes(&s, 32, &[Attribute::Wrap(true), Attribute::Unwrap(true)]);
    round_trip(&s, &Mechanism::AesKeyWrap, w, w, "CKM_AES_KEY_WRAP");
    round_trip(&s, &Mechanism::AesKeyWrapPad, w, w, "CKM_AES_KEY_WRAP_PAD");
    let (pk, sk) = gen_rsa(&s, 2048, &[Attribute::Wrap(true)], &[Attribute::Unwrap(true)]);
    let oaep = Mechanism::RsaPkcsOaep(PkcsOaepParams::new(
        MechanismType::SHA1,
        PkcsMgfType::MGF1_SHA1,
        PkcsOaepSource::empty(),
    ));
    round_trip(&s, &oaep, pk, sk, "CKM_RSA_PKCS_OAEP");
    round_trip(&s, &Mechanism::RsaPkcs, pk, sk, "CKM_RSA_PKCS");
    // CKM_AES_CBC_PAD last: SoftHSMv2 does not wrap with it.
    let iv = [5u8; 16];
    let probe = gen_aes(&s, 16, &[Attribute::Extractable(true)]);
    if let Err(e) = s.wrap_key(&Mechanism::AesCbcPad(iv), w, probe) {
        if rv_of::<()>(Err(e)) == cryptoki::error::RvError::MechanismInvalid
            && diverges("C_WrapKey/C_UnwrapKey do not support CKM_AES_CBC_PAD")
        {
            return;
        }
    }
    round_trip(&s, &Mechanism::AesCbcPad(iv), w, w, "CKM_AES_CBC_PAD");
}

#[test]
fn non_extractable_key_cannot_be_wrapped() {
    let (_slot, s) = user_token("wrap-unextractable");
    let w = gen_aes(&s, 32, &[Attribute::Wrap(true)]);
    let k = gen_aes(&s, 32, &[Attribute::Extractable(false)]);
    assert_rv!(s.wrap_key(&Mechanism::AesKeyWrap, w, k), KeyUnextractable);
    // A wrapping key without CKA_WRAP.
    let nw = gen_aes(&s, 32, &[Attribute::Wrap(false)]);
    let ok = gen_aes(&s, 32, &[Attribute::Extractable(true)]);
    assert_rv!(
        s.wrap_key(&Mechanism::AesKeyWrap, nw, ok),
        KeyFunctionNotPermitted
    );
    assert_rv!(
        s.wrap_key(&Mechanism::AesKeyWrap, obj(0x7fff_fff0), ok),
        WrappingKeyHandleInvalid
    );
    assert_rv!(
        s.wrap_key(&Mechanism::AesKeyWrap, w, obj(0x7fff_fff0)),
        KeyHandleInvalid
    );
}

#[test]
fn allowed_mechanisms_are_enforced() {
    let (_slot, s) = user_token("wrap-allowed");
    let k = gen_aes(
        &s,
        16,
        &[Attribute::AllowedMechanisms(vec![MechanismType::AES_CBC_PAD])],
    );
    let raw = get_bytes(&s, k, AttributeType::AllowedMechanisms);
    assert_eq!(
        raw,
        CKM_AES_CBC_PAD.to_ne_bytes(),
        "CKA_ALLOWED_MECHANISMS read back"
    );
    let iv = [1u8; 16];
    let ct = s
        .encrypt(&Mechanism::AesCbcPad(iv), k, b"allowed")
        .expect("allowed mechanism");
    assert_eq!(s.decrypt(&Mechanism::AesCbcPad(iv), k, &ct).unwrap(), b"allowed");
    assert_rv!(s.encrypt(&Mechanism::AesEcb, k, &[0u8; 16]), MechanismInvalid);
    assert_rv!(s.encrypt(&Mechanism::AesCbc(iv), k, &[0u8; 16]), MechanismInvalid);
}

/// RFC 5649 section 6: the KEK (AES-192) and its two examples.
const KWP_KEK: &str = "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8";
const KWP_VECTORS: [(&str, &str); 2] = [
    (
        "c37b7e6492584340bed12207808941155068f738",
        "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a",
    ),
    ("466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"),
];

fn kwp_mech() -> CK_MECHANISM {
    raw_mech::<u8>(CKM_AES_KEY_WRAP_KWP, None)
}

#[test]
fn aes_key_wrap_kwp_rfc5649_section_6() {
    let (_slot, s) = user_token("wrap-kwp");
    let kek = import_aes(&s, &h(KWP_KEK));
    for (key, want) in KWP_VECTORS {
        let res = raw_encrypt(&s, &mut kwp_mech(), kek, &h(key));
        if res == Err(CKR_MECHANISM_INVALID) && diverges("CKM_AES_KEY_WRAP_KWP is not implemented") {
            return;
        }
        let ct = res.unwrap_or_else(|rv| panic!("C_Encrypt(CKM_AES_KEY_WRAP_KWP, {key}): {}", rv_name(rv)));
        assert_eq!(hex::encode(&ct), want, "RFC 5649 section 6, key {key}");
        let pt = raw_decrypt(&s, &mut kwp_mech(), kek, &ct)
            .unwrap_or_else(|rv| panic!("C_Decrypt(CKM_AES_KEY_WRAP_KWP): {}", rv_name(rv)));
        assert_eq!(hex::encode(pt), key, "KWP decrypt round trip");
        // The integrity check (AIV and padding) rejects a modified blob.
        let mut bad = ct.clone();
        bad[3] ^= 0x20;
        let res = raw_decrypt(&s, &mut kwp_mech(), kek, &bad);
        assert!(
            matches!(
                res,
                Err(CKR_ENCRYPTED_DATA_INVALID) | Err(CKR_WRAPPED_KEY_INVALID)
            ),
            "C_Decrypt(KWP) of a tampered blob: {:?}",
            res.map_err(rv_name)
        );
        // C_WrapKey of the same key value gives the same blob.
        let k = extractable(&s, KeyType::GENERIC_SECRET, &h(key));
        let mut m = kwp_mech();
        let mut len: CK_ULONG = 64;
        let mut out = vec![0u8; 64];
        assert_ckr!(
            p11!(C_WrapKey(
                s.handle(),
                &mut m,
                kek.handle(),
                k.handle(),
                out.as_mut_ptr(),
                &mut len
            )),
            CKR_OK
        );
        out.truncate(len as usize);
        assert_eq!(
            hex::encode(&out),
            want,
            "C_WrapKey(CKM_AES_KEY_WRAP_KWP) of {key}"
        );
    }
    // RFC 5649: at least one byte in; the output is a multiple of 8 bytes,
    // at least 16.
    assert_eq!(
        raw_encrypt(&s, &mut kwp_mech(), kek, &[]).map_err(rv_name),
        Err(rv_name(CKR_DATA_LEN_RANGE)),
        "C_Encrypt(CKM_AES_KEY_WRAP_KWP) of nothing"
    );
    for len in [8usize, 15, 23] {
        assert_eq!(
            raw_decrypt(&s, &mut kwp_mech(), kek, &vec![0x5a; len]).map_err(rv_name),
            Err(rv_name(CKR_ENCRYPTED_DATA_LEN_RANGE)),
            "C_Decrypt(CKM_AES_KEY_WRAP_KWP) of {len} bytes"
        );
    }
}

#[test]
fn aes_key_wrap_pad_is_rfc3394_of_pkcs7_padded_key() {
    let (_slot, s) = user_token("wrap-pad-kw");
    let kek = import_aes(&s, &h(KWP_KEK));
    // 20 bytes get four 0x04 bytes, 16 bytes a whole 8-byte block of 0x08.
    // The last column is what SoftHSMv2 returns instead: RFC 5649 of the
    // value zero-padded to a multiple of 8 bytes (the 20-byte key) and
    // RFC 5649 of the value (16 bytes); computed with another RFC 5649
    // implementation.
    let cases = [
        (
            KWP_VECTORS[0].0,
            "04040404",
            "cf1e485360e1a8126f524d01771677f9400edb4d074f14116988d71e1588e367",
        ),
        (
            KEYDATA,
            "0808080808080808",
            "3d5096111d227d3c97f6a8d619ccf2ee7912eebeb1b41e43",
        ),
    ];
    for (key, pad, softhsm2) in cases {
        let k = extractable(&s, KeyType::GENERIC_SECRET, &h(key));
        let padded = extractable(&s, KeyType::GENERIC_SECRET, &h(&format!("{key}{pad}")));
        let wrapped = s
            .wrap_key(&Mechanism::AesKeyWrapPad, kek, k)
            .expect("C_WrapKey(CKM_AES_KEY_WRAP_PAD)");
        if hex::encode(&wrapped) == softhsm2
            && diverges(
                "CKM_AES_KEY_WRAP_PAD is RFC 5649 (CKM_AES_KEY_WRAP_KWP) over the value zero-padded to 8 bytes",
            )
        {
            return;
        }
        let reference = s
            .wrap_key(&Mechanism::AesKeyWrap, kek, padded)
            .expect("C_WrapKey(CKM_AES_KEY_WRAP) of the padded key");
        assert_eq!(
            hex::encode(&wrapped),
            hex::encode(&reference),
            "CKM_AES_KEY_WRAP_PAD({key}) == CKM_AES_KEY_WRAP({key}{pad})"
        );
        // The same through C_Encrypt/C_Decrypt.
        let ct = s
            .encrypt(&Mechanism::AesKeyWrapPad, kek, &h(key))
            .expect("C_Encrypt(CKM_AES_KEY_WRAP_PAD)");
        assert_eq!(
            hex::encode(&ct),
            hex::encode(&reference),
            "C_Encrypt(PAD) of {key}"
        );
        let ct_kw = s
            .encrypt(&Mechanism::AesKeyWrap, kek, &h(&format!("{key}{pad}")))
            .expect("C_Encrypt(CKM_AES_KEY_WRAP)");
        assert_eq!(ct_kw, reference, "C_Encrypt(CKM_AES_KEY_WRAP) == C_WrapKey");
        assert_eq!(
            hex::encode(
                s.decrypt(&Mechanism::AesKeyWrapPad, kek, &ct)
                    .expect("C_Decrypt(PAD)")
            ),
            key,
            "C_Decrypt(CKM_AES_KEY_WRAP_PAD) removes the padding"
        );
        let u = s
            .unwrap_key(
                &Mechanism::AesKeyWrapPad,
                kek,
                &wrapped,
                &unwrap_template(KeyType::GENERIC_SECRET),
            )
            .expect("C_UnwrapKey(CKM_AES_KEY_WRAP_PAD)");
        assert_eq!(hex::encode(get_bytes(&s, u, AttributeType::Value)), key);
    }
}
