//! Key wrapping (Get with a Key Wrapping Specification, Register of a wrapped key) and Import,
//! end to end through `Kmip::handle_bytes` over a real keystore file. The oracle for AES key
//! wrap is RFC 3394 §4.1 (KEK 000102…0f wraps 00112233…ff to 1fa68b0a…); TTLV-encoded
//! wrapping is checked by registering the wrapped block back and reading the key in the clear.

mod common;
use common::*;
use kmip_server::ttlv::enums::{
    BlockCipherMode, CryptographicAlgorithm, EncodingOption, KeyFormatType, ObjectType, Operation,
    ResultReason, WrappingMethod,
};
use kmip_server::ttlv::{Tag, Ttlv};
use kmip_server::version::Version;

const V: Version = Version::new(2, 1);
const KEK: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const KEY: [u8; 16] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
];
const WRAPPED: [u8; 24] = [
    0x1f, 0xa6, 0x8b, 0x0a, 0x81, 0x12, 0xb4, 0x47, 0xae, 0xf3, 0x4b, 0xd8, 0xfb, 0x5a, 0x7b, 0x82, 0x9d,
    0x3e, 0x86, 0x23, 0x71, 0xd2, 0xcf, 0xe5,
];
const WRAP: i32 = 0x10;
const UNWRAP: i32 = 0x20;
const ENCRYPT_DECRYPT: i32 = 0x4 | 0x8;

fn uid_of(r: &Ttlv) -> String {
    ok(r)
        .find(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .unwrap()
        .to_string()
}

/// A Raw AES Key Block, with Key Wrapping Data when `wrapping` is given.
fn aes_block(value: Ttlv, wrapping: Option<Ttlv>) -> Ttlv {
    let mut items = vec![
        Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, KeyFormatType::RAW.0),
        value,
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::AES.0),
        Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 128),
    ];
    items.extend(wrapping);
    Ttlv::structure(Tag::SYMMETRIC_KEY, vec![Ttlv::structure(Tag::KEY_BLOCK, items)])
}

fn clear(bytes: &[u8]) -> Ttlv {
    Ttlv::structure(
        Tag::KEY_VALUE,
        vec![Ttlv::bytes(Tag::KEY_MATERIAL, bytes.to_vec())],
    )
}

fn attrs(usage: i32, extra: Vec<Ttlv>) -> Ttlv {
    let mut items = vec![
        Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, usage),
        Ttlv::date(Tag::ACTIVATION_DATE, 1),
    ];
    items.extend(extra);
    Ttlv::structure(Tag::ATTRIBUTES, items)
}

fn register(e: &Env, attributes: Ttlv, object: Ttlv) -> Ttlv {
    one(
        e,
        V,
        Operation::REGISTER,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
            attributes,
            object,
        ],
    )
}

/// Encrypt method with Encryption Key Information naming `kek` (AES key wrap).
fn spec(tag: Tag, kek: &str, encoding: Option<EncodingOption>) -> Ttlv {
    let mut items = vec![
        Ttlv::enumeration(Tag::WRAPPING_METHOD, WrappingMethod::ENCRYPT.0),
        Ttlv::structure(
            Tag::ENCRYPTION_KEY_INFORMATION,
            vec![
                uid(kek),
                Ttlv::structure(
                    Tag::CRYPTOGRAPHIC_PARAMETERS,
                    vec![Ttlv::enumeration(
                        Tag::BLOCK_CIPHER_MODE,
                        BlockCipherMode::NIST_KEY_WRAP.0,
                    )],
                ),
            ],
        ),
    ];
    items.extend(encoding.map(|o| Ttlv::enumeration(Tag::ENCODING_OPTION, o.0)));
    Ttlv::structure(tag, items)
}

fn key_block(get: &Ttlv) -> Ttlv {
    ok(get)
        .find(Tag::SYMMETRIC_KEY)
        .and_then(|s| s.find(Tag::KEY_BLOCK))
        .expect("a symmetric Key Block")
        .clone()
}

fn clear_value(e: &Env, u: &str) -> Vec<u8> {
    let kb = key_block(&one(e, V, Operation::GET, vec![uid(u)]));
    kb.find(Tag::KEY_VALUE)
        .and_then(|v| v.find(Tag::KEY_MATERIAL))
        .and_then(Ttlv::as_bytes)
        .expect("Key Material in the clear")
        .to_vec()
}

#[test]
fn a_sensitive_key_is_got_wrapped_and_registers_back_to_the_same_key() {
    let e = env();
    let kek = uid_of(&register(
        &e,
        attrs(WRAP | UNWRAP, vec![]),
        aes_block(clear(&KEK), None),
    ));
    let dek = uid_of(&register(
        &e,
        attrs(ENCRYPT_DECRYPT, vec![Ttlv::boolean(Tag::SENSITIVE, true)]),
        aes_block(clear(&KEY), None),
    ));
    // In the clear: refused, it is sensitive.
    assert_eq!(
        failed(&one(&e, V, Operation::GET, vec![uid(&dek)])),
        ResultReason::SENSITIVE
    );
    // No Encoding: the RFC 3394 result, as the Key Value Byte String (2.x).
    let r = one(
        &e,
        V,
        Operation::GET,
        vec![
            uid(&dek),
            spec(
                Tag::KEY_WRAPPING_SPECIFICATION,
                &kek,
                Some(EncodingOption::NO_ENCODING),
            ),
        ],
    );
    let kb = key_block(&r);
    assert_eq!(
        kb.find(Tag::KEY_VALUE).and_then(Ttlv::as_bytes),
        Some(&WRAPPED[..])
    );
    let data = kb.find(Tag::KEY_WRAPPING_DATA).expect("Key Wrapping Data");
    assert_eq!(
        data.find(Tag::ENCRYPTION_KEY_INFORMATION)
            .and_then(|k| k.find(Tag::UNIQUE_IDENTIFIER))
            .and_then(Ttlv::as_text),
        Some(kek.as_str())
    );
    // TTLV Encoding (the default): a wrapped Key Value structure, which Register unwraps.
    let r = one(
        &e,
        V,
        Operation::GET,
        vec![uid(&dek), spec(Tag::KEY_WRAPPING_SPECIFICATION, &kek, None)],
    );
    let kb = key_block(&r);
    let wrapped = kb.find(Tag::KEY_VALUE).and_then(Ttlv::as_bytes).unwrap().to_vec();
    assert_ne!(
        wrapped,
        WRAPPED.to_vec(),
        "TTLV Encoding wraps more than the key bytes"
    );
    assert!(kb
        .find(Tag::KEY_WRAPPING_DATA)
        .unwrap()
        .find(Tag::ENCODING_OPTION)
        .is_none());
    let back = uid_of(&register(
        &e,
        attrs(ENCRYPT_DECRYPT, vec![]),
        aes_block(
            Ttlv::bytes(Tag::KEY_VALUE, wrapped),
            Some(spec(Tag::KEY_WRAPPING_DATA, &kek, None)),
        ),
    ));
    assert_eq!(clear_value(&e, &back), KEY.to_vec());
    // The RFC vector registers too, and As Registered gives the same wrapping back.
    let reg = uid_of(&register(
        &e,
        attrs(ENCRYPT_DECRYPT, vec![]),
        aes_block(
            Ttlv::bytes(Tag::KEY_VALUE, WRAPPED.to_vec()),
            Some(spec(
                Tag::KEY_WRAPPING_DATA,
                &kek,
                Some(EncodingOption::NO_ENCODING),
            )),
        ),
    ));
    assert_eq!(clear_value(&e, &reg), KEY.to_vec());
    let r = one(
        &e,
        V,
        Operation::GET,
        vec![uid(&reg), Ttlv::enumeration(Tag::KEY_WRAP_TYPE, 2)],
    );
    assert_eq!(
        key_block(&r).find(Tag::KEY_VALUE).and_then(Ttlv::as_bytes),
        Some(&WRAPPED[..])
    );
    // A corrupted wrapping fails the integrity check of the key wrap.
    let mut bad = WRAPPED;
    bad[3] ^= 1;
    let r = register(
        &e,
        attrs(ENCRYPT_DECRYPT, vec![]),
        aes_block(
            Ttlv::bytes(Tag::KEY_VALUE, bad.to_vec()),
            Some(spec(
                Tag::KEY_WRAPPING_DATA,
                &kek,
                Some(EncodingOption::NO_ENCODING),
            )),
        ),
    );
    assert_eq!(failed(&r), ResultReason::CRYPTOGRAPHIC_FAILURE);
}

#[test]
fn wrapping_keeps_the_pkcs11_rules() {
    let e = env();
    let wrap_only = uid_of(&register(&e, attrs(WRAP, vec![]), aes_block(clear(&KEK), None)));
    let no_wrap = uid_of(&register(
        &e,
        attrs(ENCRYPT_DECRYPT, vec![]),
        aes_block(clear(&KEK), None),
    ));
    let dek = uid_of(&register(
        &e,
        attrs(ENCRYPT_DECRYPT, vec![]),
        aes_block(clear(&KEY), None),
    ));
    let locked = uid_of(&register(
        &e,
        attrs(ENCRYPT_DECRYPT, vec![Ttlv::boolean(Tag::EXTRACTABLE, false)]),
        aes_block(clear(&KEY), None),
    ));
    let get_wrapped = |key: &str, kek: &str| {
        one(
            &e,
            V,
            Operation::GET,
            vec![uid(key), spec(Tag::KEY_WRAPPING_SPECIFICATION, kek, None)],
        )
    };
    // A wrapping key without Wrap Key usage (CKA_WRAP) does not wrap.
    assert_eq!(
        failed(&get_wrapped(&dek, &no_wrap)),
        ResultReason::PERMISSION_DENIED
    );
    // A non-extractable key is not got, wrapped or not.
    assert_eq!(
        failed(&get_wrapped(&locked, &wrap_only)),
        ResultReason::NOT_EXTRACTABLE
    );
    assert_eq!(
        failed(&one(&e, V, Operation::GET, vec![uid(&locked)])),
        ResultReason::NOT_EXTRACTABLE
    );
    ok(&get_wrapped(&dek, &wrap_only));
    // Unwrapping needs Unwrap Key usage (CKA_UNWRAP): a wrap-only key does not import keys.
    let r = register(
        &e,
        attrs(ENCRYPT_DECRYPT, vec![]),
        aes_block(
            Ttlv::bytes(Tag::KEY_VALUE, WRAPPED.to_vec()),
            Some(spec(
                Tag::KEY_WRAPPING_DATA,
                &wrap_only,
                Some(EncodingOption::NO_ENCODING),
            )),
        ),
    );
    assert_eq!(failed(&r), ResultReason::PERMISSION_DENIED);
    // MAC/Signature wrapping is not offered.
    let mut s = spec(Tag::KEY_WRAPPING_SPECIFICATION, &wrap_only, None);
    if let kmip_server::ttlv::Value::Structure(items) = &mut s.value {
        items[0] = Ttlv::enumeration(Tag::WRAPPING_METHOD, WrappingMethod::MAC_SIGN.0);
    }
    let r = one(&e, V, Operation::GET, vec![uid(&dek), s]);
    assert_eq!(failed(&r), ResultReason::FEATURE_NOT_SUPPORTED);
}

fn import(e: &Env, id: &str, replace: Option<bool>, value: &[u8]) -> Ttlv {
    let mut payload = vec![
        uid(id),
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
    ];
    payload.extend(replace.map(|r| Ttlv::boolean(Tag::REPLACE_EXISTING, r)));
    payload.push(attrs(
        ENCRYPT_DECRYPT,
        vec![uid(id), Ttlv::boolean(Tag::FRESH, false)],
    ));
    payload.push(aes_block(clear(value), None));
    one(e, V, Operation::IMPORT, payload)
}

#[test]
fn import_keeps_the_clients_identifier_and_replaces_only_when_asked() {
    let e = env();
    let id = "exported-elsewhere/key-1";
    assert_eq!(uid_of(&import(&e, id, None, &KEY)), id);
    assert_eq!(clear_value(&e, id), KEY.to_vec());
    // The supplied attributes are kept (Fresh false, not the server's true).
    let r = one(&e, V, Operation::GET_ATTRIBUTES, vec![uid(id)]);
    let answer = ok(&r);
    let a = answer.find(Tag::ATTRIBUTES).unwrap();
    assert_eq!(a.find(Tag::FRESH).and_then(Ttlv::as_bool), Some(false));
    // Without Replace Existing the existing object stays.
    assert_eq!(
        failed(&import(&e, id, None, &KEK)),
        ResultReason::OBJECT_ALREADY_EXISTS
    );
    assert_eq!(
        failed(&import(&e, id, Some(false), &KEK)),
        ResultReason::OBJECT_ALREADY_EXISTS
    );
    assert_eq!(clear_value(&e, id), KEY.to_vec());
    // With it, the object is replaced under the same identifier.
    assert_eq!(uid_of(&import(&e, id, Some(true), &KEK)), id);
    assert_eq!(clear_value(&e, id), KEK.to_vec());
    // Identifiers are bounded, printable text.
    for bad in ["", " padded", "line\nbreak", &"x".repeat(300)] {
        assert_eq!(
            failed(&import(&e, bad, None, &KEY)),
            ResultReason::INVALID_FIELD,
            "{bad:?}"
        );
    }
    // A Unique Identifier attribute that names another object is refused.
    let mut payload = vec![
        uid("key-2"),
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
        attrs(ENCRYPT_DECRYPT, vec![uid("key-3")]),
        aes_block(clear(&KEY), None),
    ];
    assert_eq!(
        failed(&one(&e, V, Operation::IMPORT, payload.clone())),
        ResultReason::INVALID_FIELD
    );
    payload[2] = attrs(ENCRYPT_DECRYPT, vec![]);
    assert_eq!(uid_of(&one(&e, V, Operation::IMPORT, payload)), "key-2");
}
