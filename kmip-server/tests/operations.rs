//! KMIP operations end to end through `Kmip::handle_bytes` (binary TTLV in and out) over a real
//! keystore file, in several protocol versions, and the same objects seen through the core's
//! PKCS#11 functions.

mod common;
use common::*;
use cryptoki_sys as ck;
use kmip_server::message::request;
use kmip_server::ttlv::binary;
use kmip_server::ttlv::enums::{
    BlockCipherMode, CryptographicAlgorithm, ObjectType, Operation, ResultReason, State,
};
use kmip_server::ttlv::{Tag, Ttlv, Value};
use kmip_server::version::Version;
use softhsm::hsm::AttrValue;

fn v1_attr(name: &str, value: Value) -> Ttlv {
    Ttlv::structure(
        Tag::ATTRIBUTE,
        vec![
            Ttlv::text(Tag::ATTRIBUTE_NAME, name),
            Ttlv::new(Tag::ATTRIBUTE_VALUE, value),
        ],
    )
}

fn name_value(n: &str) -> Value {
    Value::Structure(vec![
        Ttlv::text(Tag::NAME_VALUE, n),
        Ttlv::enumeration(Tag::NAME_TYPE, 1),
    ])
}

/// Create of an AES-256 key in the shape of version `v`.
fn create_aes(e: &Env, v: Version, name: &str) -> String {
    let attrs = if v.major >= 2 {
        Ttlv::structure(
            Tag::ATTRIBUTES,
            vec![
                Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::AES.0),
                Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 256),
                Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x4 | 0x8),
                Ttlv::new(Tag::NAME, name_value(name)),
            ],
        )
    } else {
        Ttlv::structure(
            Tag::TEMPLATE_ATTRIBUTE,
            vec![
                v1_attr(
                    "Cryptographic Algorithm",
                    Value::Enumeration(CryptographicAlgorithm::AES.0),
                ),
                v1_attr("Cryptographic Length", Value::Integer(256)),
                v1_attr("Cryptographic Usage Mask", Value::Integer(0x4 | 0x8)),
                v1_attr("Name", name_value(name)),
            ],
        )
    };
    let r = one(
        e,
        v,
        Operation::CREATE,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
            attrs,
        ],
    );
    ok(&r)
        .find(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .unwrap()
        .to_string()
}

fn state_of(e: &Env, v: Version, u: &str) -> u32 {
    let r = one(e, v, Operation::GET_ATTRIBUTES, vec![uid(u)]);
    let p = ok(&r).clone();
    let find_state = |items: &[Ttlv]| -> Option<u32> {
        for i in items {
            if i.tag == Tag::STATE {
                return i.as_enum();
            }
            if i.tag == Tag::ATTRIBUTE && i.find(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text) == Some("State")
            {
                return i.find(Tag::ATTRIBUTE_VALUE).and_then(Ttlv::as_enum);
            }
            if i.tag == Tag::ATTRIBUTES {
                return i.find(Tag::STATE).and_then(Ttlv::as_enum);
            }
        }
        None
    };
    find_state(p.items()).expect("State reported")
}

#[test]
fn key_lifecycle_in_every_version() {
    let e = env();
    for v in [
        Version::new(1, 0),
        Version::new(1, 2),
        Version::new(1, 4),
        Version::new(2, 0),
        Version::new(2, 1),
    ] {
        let k = create_aes(&e, v, &format!("key-{v}"));
        assert_eq!(
            state_of(&e, v, &k),
            State::PRE_ACTIVE.0,
            "{v}: created keys are Pre-Active"
        );
        let enc = |iv: &[u8]| {
            one(
                &e,
                v,
                Operation::ENCRYPT,
                vec![
                    uid(&k),
                    Ttlv::structure(
                        Tag::CRYPTOGRAPHIC_PARAMETERS,
                        vec![
                            Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::CBC.0),
                            Ttlv::enumeration(Tag::PADDING_METHOD, 3),
                        ],
                    ),
                    Ttlv::bytes(Tag::DATA, b"attack at dawn".to_vec()),
                    Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv.to_vec()),
                ],
            )
        };
        assert_eq!(
            failed(&enc(&[0; 16])),
            ResultReason::PERMISSION_DENIED,
            "{v}: Pre-Active keys do not encrypt"
        );
        ok(&one(&e, v, Operation::ACTIVATE, vec![uid(&k)]));
        assert_eq!(state_of(&e, v, &k), State::ACTIVE.0);
        let r = enc(&[7; 16]);
        let ct = ok(&r).find(Tag::DATA).and_then(Ttlv::as_bytes).unwrap().to_vec();
        assert_eq!(ct.len(), 16, "one padded block");
        let r = one(
            &e,
            v,
            Operation::DECRYPT,
            vec![
                uid(&k),
                Ttlv::structure(
                    Tag::CRYPTOGRAPHIC_PARAMETERS,
                    vec![
                        Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::CBC.0),
                        Ttlv::enumeration(Tag::PADDING_METHOD, 3),
                    ],
                ),
                Ttlv::bytes(Tag::DATA, ct),
                Ttlv::bytes(Tag::IV_COUNTER_NONCE, vec![7; 16]),
            ],
        );
        assert_eq!(
            ok(&r).find(Tag::DATA).and_then(Ttlv::as_bytes),
            Some(&b"attack at dawn"[..])
        );
        let r = one(&e, v, Operation::GET, vec![uid(&k)]);
        let answer = ok(&r);
        let key = answer
            .find(Tag::SYMMETRIC_KEY)
            .and_then(|s| s.find(Tag::KEY_BLOCK))
            .and_then(|b| b.find(Tag::KEY_VALUE))
            .and_then(|kv| kv.find(Tag::KEY_MATERIAL))
            .and_then(Ttlv::as_bytes)
            .unwrap();
        assert_eq!(key.len(), 32);
        // Locate by name finds exactly this key.
        let filter = if v.major >= 2 {
            Ttlv::structure(
                Tag::ATTRIBUTES,
                vec![Ttlv::new(Tag::NAME, name_value(&format!("key-{v}")))],
            )
        } else {
            v1_attr("Name", name_value(&format!("key-{v}")))
        };
        let r = one(&e, v, Operation::LOCATE, vec![filter]);
        let answer = ok(&r);
        let found: Vec<&str> = answer
            .find_all(Tag::UNIQUE_IDENTIFIER)
            .filter_map(Ttlv::as_text)
            .collect();
        assert_eq!(found, vec![k.as_str()]);
        // Destroy needs a revoke first.
        assert_eq!(
            failed(&one(&e, v, Operation::DESTROY, vec![uid(&k)])).0,
            if v.major >= 2 {
                ResultReason::WRONG_KEY_LIFECYCLE_STATE.0
            } else {
                ResultReason::PERMISSION_DENIED.0
            }
        );
        ok(&one(
            &e,
            v,
            Operation::REVOKE,
            vec![
                uid(&k),
                Ttlv::structure(
                    Tag::REVOCATION_REASON,
                    vec![Ttlv::enumeration(Tag::REVOCATION_REASON_CODE, 5)],
                ),
            ],
        ));
        assert_eq!(state_of(&e, v, &k), State::DEACTIVATED.0);
        assert_eq!(
            failed(&enc(&[1; 16])),
            ResultReason::PERMISSION_DENIED,
            "{v}: revoked keys do not encrypt"
        );
        ok(&one(&e, v, Operation::DESTROY, vec![uid(&k)]));
        assert_eq!(state_of(&e, v, &k), State::DESTROYED.0);
        let r = one(&e, v, Operation::GET, vec![uid(&k)]);
        failed(&r);
    }
}

#[test]
fn a_one_zero_client_never_sees_attributes_of_later_versions() {
    let e = env();
    let k = create_aes(&e, Version::new(1, 0), "old");
    let r = one(&e, Version::new(1, 0), Operation::GET_ATTRIBUTES, vec![uid(&k)]);
    let names: Vec<String> = ok(&r)
        .find_all(Tag::ATTRIBUTE)
        .filter_map(|a| {
            a.find(Tag::ATTRIBUTE_NAME)
                .and_then(Ttlv::as_text)
                .map(str::to_string)
        })
        .collect();
    assert!(names.contains(&"State".to_string()), "{names:?}");
    assert!(
        !names.contains(&"Fresh".to_string()),
        "Fresh is KMIP 1.1: {names:?}"
    );
    assert!(
        !names.contains(&"Sensitive".to_string()),
        "Sensitive is KMIP 1.4: {names:?}"
    );
    let r = one(&e, Version::new(1, 4), Operation::GET_ATTRIBUTES, vec![uid(&k)]);
    let names: Vec<String> = ok(&r)
        .find_all(Tag::ATTRIBUTE)
        .filter_map(|a| {
            a.find(Tag::ATTRIBUTE_NAME)
                .and_then(Ttlv::as_text)
                .map(str::to_string)
        })
        .collect();
    assert!(names.contains(&"Fresh".to_string()) && names.contains(&"Sensitive".to_string()));
}

#[test]
fn custom_attributes_of_any_type_are_added_read_and_deleted() {
    let e = env();
    let v = Version::new(1, 4);
    let k = create_aes(&e, v, "custom");
    for (i, val) in [
        Value::TextString("text".into()),
        Value::Integer(42),
        Value::ByteString(vec![1, 2, 3]),
        Value::DateTime(1_700_000_000),
        Value::Boolean(true),
    ]
    .into_iter()
    .enumerate()
    {
        let r = one(
            &e,
            v,
            Operation::ADD_ATTRIBUTE,
            vec![uid(&k), v1_attr("x-any", val.clone())],
        );
        let answer = ok(&r);
        let echoed = answer.find(Tag::ATTRIBUTE).unwrap();
        assert_eq!(
            echoed
                .find(Tag::ATTRIBUTE_INDEX)
                .and_then(Ttlv::as_int)
                .unwrap_or(0),
            i as i32
        );
    }
    // 2.1 sees them as vendor attributes.
    let r = one(&e, Version::new(2, 1), Operation::GET_ATTRIBUTES, vec![uid(&k)]);
    let answer = ok(&r);
    let attrs = answer.find(Tag::ATTRIBUTES).unwrap();
    let vendor = attrs
        .find_all(Tag::ATTRIBUTE)
        .filter(|a| a.find(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text) == Some("any"))
        .count();
    assert_eq!(vendor, 5);
    let r = one(
        &e,
        v,
        Operation::DELETE_ATTRIBUTE,
        vec![
            uid(&k),
            Ttlv::text(Tag::ATTRIBUTE_NAME, "x-any"),
            Ttlv::int(Tag::ATTRIBUTE_INDEX, 1),
        ],
    );
    assert_eq!(
        ok(&r)
            .find(Tag::ATTRIBUTE)
            .and_then(|a| a.find(Tag::ATTRIBUTE_VALUE))
            .map(|v| v.value.clone()),
        Some(Value::Integer(42))
    );
    // Modify echoes the value; a server-set attribute is refused.
    let r = one(
        &e,
        v,
        Operation::MODIFY_ATTRIBUTE,
        vec![uid(&k), v1_attr("x-any", Value::TextString("changed".into()))],
    );
    assert_eq!(
        ok(&r)
            .find(Tag::ATTRIBUTE)
            .and_then(|a| a.find(Tag::ATTRIBUTE_VALUE))
            .and_then(Ttlv::as_text),
        Some("changed")
    );
    let r = one(
        &e,
        v,
        Operation::MODIFY_ATTRIBUTE,
        vec![uid(&k), v1_attr("State", Value::Enumeration(2))],
    );
    failed(&r);
}

#[test]
fn unknown_operations_and_versions_get_the_standard_errors() {
    let e = env();
    let r = one(&e, Version::new(1, 4), Operation(0x7777), vec![]);
    assert_eq!(failed(&r), ResultReason::OPERATION_NOT_SUPPORTED);
    let r = one(&e, Version::new(9, 9), Operation::QUERY, vec![]);
    assert_eq!(
        failed(&r),
        ResultReason::INVALID_MESSAGE,
        "1.0 reason for an unknown version"
    );
    // A body that is not a Request Message.
    let out = e
        .kmip
        .handle_bytes("kmip", &binary::encode(&Ttlv::int(Tag::BATCH_COUNT, 1)));
    let resp = binary::decode(&out, &Default::default()).unwrap();
    let item = resp.find(Tag::BATCH_ITEM).unwrap();
    assert_eq!(failed(item), ResultReason::INVALID_MESSAGE);
    // Junk bytes.
    let out = e
        .kmip
        .handle_bytes("kmip", b"\x42\x00\x78\x01\x00\x00\x00\x08junkjunk");
    assert!(binary::decode(&out, &Default::default()).is_ok());
}

#[test]
fn batches_use_the_id_placeholder_and_honour_continuation() {
    let e = env();
    let v = Version::new(1, 4);
    let attrs = Ttlv::structure(
        Tag::TEMPLATE_ATTRIBUTE,
        vec![
            v1_attr(
                "Cryptographic Algorithm",
                Value::Enumeration(CryptographicAlgorithm::AES.0),
            ),
            v1_attr("Cryptographic Length", Value::Integer(128)),
            v1_attr("Cryptographic Usage Mask", Value::Integer(12)),
        ],
    );
    let items = send(
        &e,
        &request(
            v,
            vec![
                (
                    Operation::CREATE,
                    vec![
                        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
                        attrs,
                    ],
                ),
                (Operation::ACTIVATE, vec![]),
                (Operation::GET, vec![uid("no-such-object")]),
                (Operation::GET, vec![]),
            ],
        ),
    );
    assert_eq!(items.len(), 3, "Stop: the item after the failure is not run");
    ok(&items[1]);
    assert_eq!(failed(&items[2]), ResultReason::ITEM_NOT_FOUND);
}

#[test]
fn kmip_keys_are_pkcs11_objects_and_pkcs11_keys_are_kmip_objects() {
    let e = env();
    let v = Version::new(2, 0);
    let k = create_aes(&e, v, "shared-key");
    ok(&one(&e, v, Operation::ACTIVATE, vec![uid(&k)]));
    // The PKCS#11 view (the same core the module uses): found by CKA_UNIQUE_ID and label.
    let hsm = &e.kmip.hsm;
    let s = hsm
        .open_session(0, ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION)
        .unwrap();
    hsm.find_init(s, &[(ck::CKA_UNIQUE_ID, k.as_bytes().to_vec())])
        .unwrap();
    let found = hsm.find(s, 10).unwrap();
    hsm.find_final(s).unwrap();
    assert_eq!(found.len(), 1);
    let label = hsm.get_attributes(s, found[0], &[ck::CKA_LABEL]).unwrap();
    assert_eq!(label, vec![AttrValue::Value(b"shared-key".to_vec())]);
    // A key made through PKCS#11 is an Active KMIP Symmetric Key; a sensitive one is refused.
    let mech = softhsm::mechanism::Mechanism::new(ck::CKM_AES_KEY_GEN);
    let tmpl = |sensitive: bool| {
        vec![
            (ck::CKA_VALUE_LEN, softhsm::attr::enc_ulong(16)),
            (ck::CKA_TOKEN, softhsm::attr::enc_bool(true)),
            (ck::CKA_SENSITIVE, softhsm::attr::enc_bool(sensitive)),
            (ck::CKA_EXTRACTABLE, softhsm::attr::enc_bool(true)),
        ]
    };
    for (sensitive, expect) in [(false, None), (true, Some(ResultReason::SENSITIVE))] {
        let h = hsm.generate_key(s, &mech, &tmpl(sensitive)).unwrap();
        let AttrValue::Value(id) = hsm.get_attributes(s, h, &[ck::CKA_UNIQUE_ID]).unwrap().remove(0) else {
            panic!("no unique id")
        };
        let id = String::from_utf8(id).unwrap();
        assert_eq!(state_of(&e, v, &id), State::ACTIVE.0);
        let r = one(&e, v, Operation::GET, vec![uid(&id)]);
        match expect {
            None => {
                ok(&r);
            }
            Some(reason) => assert_eq!(failed(&r), reason),
        }
    }
    hsm.close_session(s).unwrap();
}

#[test]
fn re_key_moves_the_name_links_both_keys_and_export_returns_attributes() {
    let e = env();
    let v = Version::new(1, 4);
    let old = create_aes(&e, v, "rotating");
    ok(&one(&e, v, Operation::ACTIVATE, vec![uid(&old)]));
    let r = one(&e, v, Operation::RE_KEY, vec![uid(&old)]);
    let new = ok(&r)
        .find(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .unwrap()
        .to_string();
    assert_ne!(new, old);
    // The name now finds the new key only.
    let r = one(
        &e,
        v,
        Operation::LOCATE,
        vec![v1_attr("Name", name_value("rotating"))],
    );
    let answer = ok(&r);
    let found: Vec<&str> = answer
        .find_all(Tag::UNIQUE_IDENTIFIER)
        .filter_map(Ttlv::as_text)
        .collect();
    assert_eq!(found, vec![new.as_str()]);
    // Export (2.0) returns the new key with its attributes, linked back to the old one.
    let r = one(&e, Version::new(2, 0), Operation::EXPORT, vec![uid(&new)]);
    let p = ok(&r);
    let attrs = p.find(Tag::ATTRIBUTES).expect("attributes");
    let link = attrs.find(Tag::LINK).expect("a link");
    assert_eq!(
        link.find(Tag::LINKED_OBJECT_IDENTIFIER).and_then(Ttlv::as_text),
        Some(old.as_str())
    );
    assert_eq!(
        attrs.find(Tag::CRYPTOGRAPHIC_LENGTH).and_then(Ttlv::as_int),
        Some(256)
    );
    assert!(p.find(Tag::SYMMETRIC_KEY).is_some());
    assert_eq!(
        state_of(&e, v, &new),
        State::ACTIVE.0,
        "an active key's replacement is active"
    );
}

/// Whether any item of a tree has tag `t`.
fn contains_tag(t: &Ttlv, tag: Tag) -> bool {
    t.tag == tag || t.items().iter().any(|c| contains_tag(c, tag))
}

/// PyKMIP at KMIP 1.2 asked for AES-GCM and could not decode the answer: the response carried
/// an Authenticated Encryption Tag, a field KMIP 1.4 introduced. Before 1.4 GCM is refused with
/// Feature Not Supported (and nothing 1.4-only is sent); from 1.4 on it works and the tag
/// round-trips.
#[test]
fn gcm_needs_kmip_one_four_because_older_versions_have_no_tag_field() {
    let e = env();
    let gcm = |v: Version, k: &str, op: Operation, data: Vec<u8>, tag: Option<Vec<u8>>| {
        let mut p = vec![
            uid(k),
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![
                    Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::GCM.0),
                    Ttlv::int(Tag::TAG_LENGTH, 16),
                ],
            ),
            Ttlv::bytes(Tag::DATA, data),
            Ttlv::bytes(Tag::IV_COUNTER_NONCE, vec![9; 12]),
        ];
        if let Some(t) = tag {
            p.push(Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, t));
        }
        one(&e, v, op, p)
    };
    for v in [
        Version::new(1, 0),
        Version::new(1, 2),
        Version::new(1, 3),
        Version::new(1, 4),
        Version::new(2, 0),
        Version::new(2, 1),
    ] {
        let k = create_aes(&e, v, &format!("gcm-{v}"));
        ok(&one(&e, v, Operation::ACTIVATE, vec![uid(&k)]));
        let r = gcm(v, &k, Operation::ENCRYPT, b"twenty bytes of data".to_vec(), None);
        if v < Version::new(1, 4) {
            assert_eq!(failed(&r), ResultReason::FEATURE_NOT_SUPPORTED, "{v}");
            assert!(!contains_tag(&r, Tag::AUTHENTICATED_ENCRYPTION_TAG), "{v}");
            let r = gcm(v, &k, Operation::DECRYPT, vec![0; 20], None);
            assert_eq!(failed(&r), ResultReason::FEATURE_NOT_SUPPORTED, "{v}");
            continue;
        }
        let p = ok(&r);
        let ct = p.find(Tag::DATA).and_then(Ttlv::as_bytes).unwrap().to_vec();
        let tag = p
            .find(Tag::AUTHENTICATED_ENCRYPTION_TAG)
            .and_then(Ttlv::as_bytes)
            .unwrap()
            .to_vec();
        assert_eq!((ct.len(), tag.len()), (20, 16), "{v}");
        let r = gcm(v, &k, Operation::DECRYPT, ct, Some(tag));
        assert_eq!(
            ok(&r).find(Tag::DATA).and_then(Ttlv::as_bytes),
            Some(&b"twenty bytes of data"[..]),
            "{v}"
        );
    }
}

#[test]
fn get_answers_in_the_format_a_key_was_registered_in() {
    let e = env();
    let v = Version::new(2, 1);
    let block = Ttlv::structure(
        Tag::KEY_BLOCK,
        vec![
            Ttlv::enumeration(
                Tag::KEY_FORMAT_TYPE,
                kmip_server::ttlv::enums::KeyFormatType::TRANSPARENT_SYMMETRIC_KEY.0,
            ),
            Ttlv::structure(
                Tag::KEY_VALUE,
                vec![Ttlv::structure(
                    Tag::KEY_MATERIAL,
                    vec![Ttlv::bytes(Tag::KEY, vec![7u8; 16])],
                )],
            ),
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::AES.0),
            Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 128),
        ],
    );
    let r = one(
        &e,
        v,
        Operation::REGISTER,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
            Ttlv::structure(
                Tag::ATTRIBUTES,
                vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 12)],
            ),
            Ttlv::structure(Tag::SYMMETRIC_KEY, vec![block]),
        ],
    );
    let k = ok(&r)
        .find(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .unwrap()
        .to_string();
    let r = one(&e, v, Operation::GET, vec![uid(&k)]);
    let kb = ok(&r)
        .find(Tag::SYMMETRIC_KEY)
        .and_then(|s| s.find(Tag::KEY_BLOCK))
        .unwrap()
        .clone();
    assert_eq!(
        kb.find(Tag::KEY_FORMAT_TYPE).and_then(Ttlv::as_enum),
        Some(kmip_server::ttlv::enums::KeyFormatType::TRANSPARENT_SYMMETRIC_KEY.0)
    );
}

#[test]
fn bad_inputs_get_the_standard_reasons() {
    let e = env();
    let v = Version::new(1, 4);
    // RNG Retrieve: zero bytes or more than the server's bound.
    for n in [0, -1, (kmip_server::ops::MAX_RNG + 1) as i32] {
        let r = one(
            &e,
            v,
            Operation::RNG_RETRIEVE,
            vec![Ttlv::int(Tag::DATA_LENGTH, n)],
        );
        assert_eq!(failed(&r), ResultReason::INVALID_FIELD, "Data Length {n}");
    }
    // Locate with a negative Maximum Items or Offset Items.
    for tag in [Tag::MAXIMUM_ITEMS, Tag::OFFSET_ITEMS] {
        let r = one(&e, v, Operation::LOCATE, vec![Ttlv::int(tag, -1)]);
        assert_eq!(failed(&r), ResultReason::INVALID_FIELD, "{tag:?}");
    }
    // Register of a key whose Cryptographic Length disagrees with its material.
    let block = |bits: i32| {
        Ttlv::structure(
            Tag::SYMMETRIC_KEY,
            vec![Ttlv::structure(
                Tag::KEY_BLOCK,
                vec![
                    Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, 1),
                    Ttlv::structure(
                        Tag::KEY_VALUE,
                        vec![Ttlv::bytes(Tag::KEY_MATERIAL, vec![1u8; 16])],
                    ),
                    Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::AES.0),
                    Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, bits),
                ],
            )],
        )
    };
    let register = |bits: i32, mask: i32| {
        one(
            &e,
            v,
            Operation::REGISTER,
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
                Ttlv::structure(
                    Tag::TEMPLATE_ATTRIBUTE,
                    vec![
                        v1_attr("Cryptographic Usage Mask", Value::Integer(mask)),
                        v1_attr("Activation Date", Value::DateTime(1)),
                    ],
                ),
                block(bits),
            ],
        )
    };
    assert_eq!(failed(&register(256, 12)), ResultReason::INVALID_FIELD);
    // ECB with PKCS#5 padding: a ciphertext whose padding is wrong is a Cryptographic Failure.
    let k = ok(&register(128, 12))
        .find(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .unwrap()
        .to_string();
    let ecb = |op: Operation, data: Vec<u8>| {
        one(
            &e,
            v,
            op,
            vec![
                uid(&k),
                Ttlv::structure(
                    Tag::CRYPTOGRAPHIC_PARAMETERS,
                    vec![
                        Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::ECB.0),
                        Ttlv::enumeration(Tag::PADDING_METHOD, 3),
                    ],
                ),
                Ttlv::bytes(Tag::DATA, data),
            ],
        )
    };
    let r = ecb(Operation::ENCRYPT, b"sixteen bytes!!!".to_vec());
    let ct = ok(&r).find(Tag::DATA).and_then(Ttlv::as_bytes).unwrap().to_vec();
    assert_eq!(ct.len(), 32, "a full padding block");
    let r = ecb(Operation::DECRYPT, ct.clone());
    assert_eq!(
        ok(&r).find(Tag::DATA).and_then(Ttlv::as_bytes),
        Some(&b"sixteen bytes!!!"[..])
    );
    // The first block alone decrypts to plaintext ending in '!' (0x21), which is no padding.
    let r = ecb(Operation::DECRYPT, ct[..16].to_vec());
    assert_eq!(failed(&r), ResultReason::CRYPTOGRAPHIC_FAILURE);
}

// ---- Derive Key and Re-key Key Pair (2.1 shapes) ----

const V21: Version = Version::new(2, 1);

fn uid_of(item: &Ttlv, tag: Tag) -> String {
    ok(item).find(tag).and_then(Ttlv::as_text).unwrap().to_string()
}

/// Registers an Active object with `mask` holding `bytes`: an AES key, or Secret Data.
fn register_active(e: &Env, secret_data: bool, bytes: &[u8], mask: i32) -> String {
    let block = |fmt: u32, extra: Vec<Ttlv>| {
        let mut items = vec![
            Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, fmt),
            Ttlv::structure(
                Tag::KEY_VALUE,
                vec![Ttlv::bytes(Tag::KEY_MATERIAL, bytes.to_vec())],
            ),
        ];
        items.extend(extra);
        Ttlv::structure(Tag::KEY_BLOCK, items)
    };
    let (ot, object) = if secret_data {
        (
            ObjectType::SECRET_DATA,
            Ttlv::structure(
                Tag::SECRET_DATA,
                vec![Ttlv::enumeration(Tag::SECRET_DATA_TYPE, 1), block(1, vec![])],
            ),
        )
    } else {
        let alg = vec![
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::AES.0),
            Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, bytes.len() as i32 * 8),
        ];
        (
            ObjectType::SYMMETRIC_KEY,
            Ttlv::structure(Tag::SYMMETRIC_KEY, vec![block(1, alg)]),
        )
    };
    let attrs = Ttlv::structure(
        Tag::ATTRIBUTES,
        vec![
            Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask),
            Ttlv::new(Tag::ACTIVATION_DATE, Value::DateTime(1_000_000)),
        ],
    );
    let r = one(
        e,
        V21,
        Operation::REGISTER,
        vec![Ttlv::enumeration(Tag::OBJECT_TYPE, ot.0), attrs, object],
    );
    uid_of(&r, Tag::UNIQUE_IDENTIFIER)
}

/// A Derive Key request for an AES key of `bits` from `bases`.
fn derive(e: &Env, bases: &[&str], method: u32, params: Vec<Ttlv>, bits: i32) -> Ttlv {
    let mut p = vec![Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0)];
    p.extend(bases.iter().map(|b| uid(b)));
    p.push(Ttlv::enumeration(Tag::DERIVATION_METHOD, method));
    p.push(Ttlv::structure(Tag::DERIVATION_PARAMETERS, params));
    p.push(aes_attributes(bits, 0x4 | 0x8));
    one(e, V21, Operation::DERIVE_KEY, p)
}

fn key_bytes(e: &Env, k: &str) -> Vec<u8> {
    let r = one(e, V21, Operation::GET, vec![uid(k)]);
    let answer = ok(&r);
    let m = answer
        .find(Tag::SYMMETRIC_KEY)
        .and_then(|s| s.find(Tag::KEY_BLOCK))
        .unwrap();
    m.find(Tag::KEY_VALUE)
        .and_then(|v| v.find(Tag::KEY_MATERIAL))
        .and_then(Ttlv::as_bytes)
        .unwrap()
        .to_vec()
}

/// The objects `k` links to with Link Type `ty`.
fn links(e: &Env, k: &str, ty: u32) -> Vec<String> {
    let r = one(e, V21, Operation::GET_ATTRIBUTES, vec![uid(k)]);
    let attrs = ok(&r).find(Tag::ATTRIBUTES).unwrap().clone();
    attrs
        .find_all(Tag::LINK)
        .filter(|l| l.find(Tag::LINK_TYPE).and_then(Ttlv::as_enum) == Some(ty))
        .filter_map(|l| l.find(Tag::LINKED_OBJECT_IDENTIFIER).and_then(Ttlv::as_text))
        .map(str::to_string)
        .collect()
}

fn names(e: &Env, k: &str) -> Vec<String> {
    let r = one(e, V21, Operation::GET_ATTRIBUTES, vec![uid(k)]);
    let attrs = ok(&r).find(Tag::ATTRIBUTES).unwrap().clone();
    attrs
        .find_all(Tag::NAME)
        .filter_map(|n| n.find(Tag::NAME_VALUE).and_then(Ttlv::as_text))
        .map(str::to_string)
        .collect()
}

const DERIVE_USAGE: i32 = 0x200;
const LINK_DERIVATION_BASE: u32 = 0x104;
const LINK_DERIVED_KEY: u32 = 0x105;

#[test]
fn derived_keys_match_an_independent_computation_and_are_linked_to_their_base() {
    use aws_lc_rs::{digest, hmac, pbkdf2};
    let e = env();
    // PBKDF2-HMAC-SHA-256 of a Secret Data password.
    let password = b"correct horse battery staple";
    let sd = register_active(&e, true, password, DERIVE_USAGE);
    let r = derive(
        &e,
        &[&sd],
        1, // PBKDF2
        vec![
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![Ttlv::enumeration(Tag::HASHING_ALGORITHM, 6)], // SHA-256
            ),
            Ttlv::bytes(Tag::SALT, b"pepper".to_vec()),
            Ttlv::int(Tag::ITERATION_COUNT, 1000),
        ],
        256,
    );
    let k = uid_of(&r, Tag::UNIQUE_IDENTIFIER);
    let mut want = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        std::num::NonZeroU32::new(1000).unwrap(),
        b"pepper",
        password,
        &mut want,
    );
    assert_eq!(key_bytes(&e, &k), want);
    assert_eq!(links(&e, &k, LINK_DERIVATION_BASE), vec![sd.clone()]);
    assert_eq!(links(&e, &sd, LINK_DERIVED_KEY), vec![k]);

    // HASH: SHA-384 of the base key, cut to 128 bits.
    let base_bytes: Vec<u8> = (0u8..32).collect();
    let base = register_active(&e, false, &base_bytes, DERIVE_USAGE | 0x4);
    let hash_params = vec![Ttlv::structure(
        Tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![Ttlv::enumeration(Tag::HASHING_ALGORITHM, 7)], // SHA-384
    )];
    let k = uid_of(&derive(&e, &[&base], 2, hash_params, 128), Tag::UNIQUE_IDENTIFIER);
    let d = digest::digest(&digest::SHA384, &base_bytes);
    assert_eq!(key_bytes(&e, &k), &d.as_ref()[..16]);

    // NIST SP 800-108 counter mode, HMAC-SHA-256: K(1) = HMAC(key, [1]32 || data).
    let data = b"label\0context".to_vec();
    let r = derive(
        &e,
        &[&base],
        5, // NIST800-108-C
        vec![
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![Ttlv::enumeration(Tag::HASHING_ALGORITHM, 6)],
            ),
            Ttlv::bytes(Tag::DERIVATION_DATA, data.clone()),
        ],
        256,
    );
    let k = uid_of(&r, Tag::UNIQUE_IDENTIFIER);
    let mac_key = hmac::Key::new(hmac::HMAC_SHA256, &base_bytes);
    let tag = hmac::sign(&mac_key, &[&[0, 0, 0, 1][..], &data].concat());
    assert_eq!(key_bytes(&e, &k), tag.as_ref());
    // Both derived keys hang off the one base, in the order they were made.
    assert_eq!(links(&e, &base, LINK_DERIVED_KEY).len(), 2);
}

#[test]
fn derivation_needs_an_active_base_with_the_derive_key_usage() {
    let e = env();
    let sha256 = || {
        vec![Ttlv::structure(
            Tag::CRYPTOGRAPHIC_PARAMETERS,
            vec![Ttlv::enumeration(Tag::HASHING_ALGORITHM, 6)],
        )]
    };
    let encrypt_only = register_active(&e, false, &[1; 16], 0x4 | 0x8);
    assert_eq!(
        failed(&derive(&e, &[&encrypt_only], 2, sha256(), 128)),
        ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK
    );
    let sd = register_active(&e, true, b"pw", 0x4);
    let pbkdf2 = vec![
        Ttlv::bytes(Tag::SALT, b"s".to_vec()),
        Ttlv::int(Tag::ITERATION_COUNT, 1),
    ];
    assert_eq!(
        failed(&derive(&e, &[&sd], 1, pbkdf2, 128)),
        ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK,
        "a Secret Data without Derive Key usage is no password"
    );
    // Pre-Active (created, never activated) with the right usage: still refused.
    let r = one(&e, V21, Operation::CREATE, aes_create_payload(128, DERIVE_USAGE));
    let pre_active = uid_of(&r, Tag::UNIQUE_IDENTIFIER);
    assert_eq!(
        failed(&derive(&e, &[&pre_active], 2, sha256(), 128)),
        ResultReason::WRONG_KEY_LIFECYCLE_STATE
    );
    // Methods without a core mechanism and bad parameters get their reasons.
    let good = register_active(&e, false, &[2; 16], DERIVE_USAGE);
    let hmac = vec![Ttlv::bytes(Tag::DERIVATION_DATA, vec![1, 2])];
    assert_eq!(
        failed(&derive(&e, &[&good], 3, hmac, 128)),
        ResultReason::FEATURE_NOT_SUPPORTED
    );
    assert_eq!(
        failed(&derive(&e, &[&good], 2, vec![], 128)),
        ResultReason::MISSING_DATA,
        "HASH needs a Hashing Algorithm"
    );
    assert_eq!(
        failed(&derive(&e, &[&good], 2, sha256(), 512)),
        ResultReason::INVALID_FIELD,
        "no AES-512"
    );
}

#[test]
fn re_key_key_pair_moves_names_and_links_both_halves_both_ways() {
    let e = env();
    let ec = |name: &str| Ttlv::new(Tag::NAME, name_value(name));
    let (old_priv, old_pub) = create_key_pair(
        &e,
        vec![
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::EC.0),
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
                vec![Ttlv::enumeration(Tag::RECOMMENDED_CURVE, 0x0A)], // P-384
            ),
            Ttlv::new(Tag::ACTIVATION_DATE, Value::DateTime(1_000_000)),
        ],
        vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x1), ec("pair-private")],
        vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x2), ec("pair-public")],
    );
    let r = one(
        &e,
        V21,
        Operation::RE_KEY_KEY_PAIR,
        vec![
            Ttlv::text(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, old_priv.clone()),
            Ttlv::new(Tag::OFFSET, Value::Interval(3600)),
            Ttlv::structure(Tag::PUBLIC_KEY_ATTRIBUTES, vec![ec("pair-public-2")]),
        ],
    );
    let new_priv = uid_of(&r, Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER);
    let new_pub = uid_of(&r, Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER);
    assert!(![&old_priv, &old_pub].contains(&&new_priv) && new_pub != old_pub);
    // Names moved; the request's public Name added after the old one.
    assert_eq!(names(&e, &new_priv), vec!["pair-private"]);
    assert_eq!(names(&e, &new_pub), vec!["pair-public", "pair-public-2"]);
    assert!(names(&e, &old_priv).is_empty() && names(&e, &old_pub).is_empty());
    // Replacement / Replaced links on both halves, and the new halves linked to each other.
    const REPLACEMENT: u32 = 0x106;
    const REPLACED: u32 = 0x107;
    assert_eq!(links(&e, &old_priv, REPLACEMENT), vec![new_priv.clone()]);
    assert_eq!(links(&e, &new_priv, REPLACED), vec![old_priv.clone()]);
    assert_eq!(links(&e, &old_pub, REPLACEMENT), vec![new_pub.clone()]);
    assert_eq!(links(&e, &new_pub, REPLACED), vec![old_pub.clone()]);
    assert_eq!(links(&e, &new_priv, 0x102), vec![new_pub.clone()]);
    assert_eq!(links(&e, &new_pub, 0x103), vec![new_priv.clone()]);
    // Same curve, and the Offset makes the new pair Pre-Active for the next hour.
    let r = one(&e, V21, Operation::GET_ATTRIBUTES, vec![uid(&new_priv)]);
    let attrs = ok(&r).find(Tag::ATTRIBUTES).unwrap().clone();
    assert_eq!(
        attrs.find(Tag::CRYPTOGRAPHIC_LENGTH).and_then(Ttlv::as_int),
        Some(384)
    );
    assert_eq!(state_of(&e, V21, &new_priv), State::PRE_ACTIVE.0);
    assert_eq!(state_of(&e, V21, &new_pub), State::PRE_ACTIVE.0);
    // A public key is not a pair's name.
    assert_eq!(
        failed(&one(
            &e,
            V21,
            Operation::RE_KEY_KEY_PAIR,
            vec![Ttlv::text(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, new_pub)],
        )),
        ResultReason::INVALID_FIELD
    );
}

/// Query answers what the server does: its operation table, its object types, and (from KMIP
/// 1.3 on) Capability Information and RNG Parameters; a 1.2 client gets neither of the latter.
#[test]
fn query_reports_the_operation_table_capabilities_and_rng() {
    use kmip_server::ttlv::enums::QueryFunction as Q;
    let e = env();
    let ask = |v: Version, fs: &[Q]| {
        let p = fs
            .iter()
            .map(|f| Ttlv::enumeration(Tag::QUERY_FUNCTION, f.0))
            .collect();
        ok(&one(&e, v, Operation::QUERY, p)).clone()
    };
    let all = [
        Q::QUERY_OPERATIONS,
        Q::QUERY_OBJECTS,
        Q::QUERY_SERVER_INFORMATION,
        Q::QUERY_CAPABILITIES,
        Q::QUERY_RN_GS,
        Q::QUERY_PROFILES,
    ];
    let p = ask(Version::new(1, 4), &all);
    let ops: Vec<u32> = p.find_all(Tag::OPERATION).filter_map(Ttlv::as_enum).collect();
    let table: Vec<u32> = kmip_server::ops::OPERATIONS.iter().map(|(o, _)| o.0).collect();
    assert_eq!(ops, table);
    assert!(ops.contains(&Operation::DERIVE_KEY.0) && ops.contains(&Operation::IMPORT.0));
    assert_eq!(p.find_all(Tag::OBJECT_TYPE).count(), 6);
    let cap = p
        .find(Tag::CAPABILITY_INFORMATION)
        .expect("Capability Information");
    assert_eq!(
        cap.find(Tag::STREAMING_CAPABILITY).and_then(Ttlv::as_bool),
        Some(true)
    );
    assert_eq!(
        cap.find(Tag::BATCH_UNDO_CAPABILITY).and_then(Ttlv::as_bool),
        Some(true)
    );
    assert_eq!(
        cap.find(Tag::ASYNCHRONOUS_CAPABILITY).and_then(Ttlv::as_bool),
        Some(false)
    );
    let rng = p.find(Tag::RNG_PARAMETERS).expect("RNG Parameters");
    assert!(rng.find(Tag::DRBG_ALGORITHM).is_some());
    // No profile is claimed.
    assert!(p.find(Tag::PROFILE_INFORMATION).is_none());
    let old = ask(Version::new(1, 2), &all);
    assert!(old.find(Tag::CAPABILITY_INFORMATION).is_none());
    assert!(old.find(Tag::RNG_PARAMETERS).is_none());
    assert!(old.find(Tag::OPERATION).is_some());
}
