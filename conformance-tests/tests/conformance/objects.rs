//! Object management: creation of every object kind, attribute defaults and
//! rules (sensitive/extractable/modifiable/destroyable/copyable), copy,
//! size, destroy, template errors and persistence.

use crate::fixtures::*;
use crate::util::*;

fn data_template(label: &str, value: &[u8], token: bool) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(token),
        Attribute::Private(false),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Value(value.to_vec()),
    ]
}

#[test]
fn create_data_object() {
    let (_slot, s) = user_token("obj-data");
    let o = s
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Application(b"conformance".to_vec()),
            Attribute::Value(vec![1, 2, 3, 4]),
        ])
        .expect("create data object");
    assert_eq!(get_bytes(&s, o, AttributeType::Value), vec![1, 2, 3, 4]);
    assert_eq!(get_bytes(&s, o, AttributeType::Application), b"conformance");
    assert!(get_bool(&s, o, AttributeType::Token));
    assert!(
        get_bool(&s, o, AttributeType::Modifiable),
        "CKA_MODIFIABLE defaults to true"
    );
    assert!(
        get_bytes(&s, o, AttributeType::Label).is_empty(),
        "CKA_LABEL defaults to empty"
    );
    assert_eq!(get_ulong(&s, o, AttributeType::Class), CKO_DATA);
    // An empty data object is valid too (all attributes have defaults).
    s.create_object(&[Attribute::Class(ObjectClass::DATA)])
        .expect("data object with defaults only");
}

#[test]
fn create_x509_certificate() {
    let (_slot, s) = user_token("obj-cert");
    let der = unhex(CERT_DER);
    let subject = unhex(CERT_SUBJECT);
    let serial = unhex(CERT_SERIAL);
    let o = s
        .create_object(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(cryptoki::object::CertificateType::X_509),
            Attribute::Token(true),
            Attribute::Label(b"cert".to_vec()),
            Attribute::Id(vec![0xc0, 0xde]),
            Attribute::Subject(subject.clone()),
            Attribute::Issuer(subject.clone()),
            Attribute::SerialNumber(serial.clone()),
            Attribute::Value(der.clone()),
        ])
        .expect("create X.509 certificate");
    assert_eq!(get_bytes(&s, o, AttributeType::Value), der);
    assert_eq!(get_bytes(&s, o, AttributeType::Subject), subject);
    assert_eq!(get_bytes(&s, o, AttributeType::SerialNumber), serial);
    assert_eq!(get_ulong(&s, o, AttributeType::CertificateType), CKC_X_509);
    assert!(
        !get_bool(&s, o, AttributeType::Trusted),
        "CKA_TRUSTED defaults to false"
    );
    assert!(
        !get_bool(&s, o, AttributeType::Private),
        "certificates default to public"
    );
    // CKA_VALUE is required.
    assert_rv!(
        s.create_object(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(cryptoki::object::CertificateType::X_509),
            Attribute::Subject(subject),
        ]),
        TemplateIncomplete
    );
}

#[test]
fn import_aes_key_defaults() {
    let (_slot, s) = user_token("obj-aes");
    let k = import_secret(
        &s,
        KeyType::AES,
        &[7u8; 32],
        &[
            Attribute::Encrypt(true),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
        ],
    );
    assert_eq!(get_ulong(&s, k, AttributeType::Class), CKO_SECRET_KEY);
    assert_eq!(get_ulong(&s, k, AttributeType::KeyType), CKK_AES);
    assert_eq!(get_ulong(&s, k, AttributeType::ValueLen), 32);
    assert_eq!(get_bytes(&s, k, AttributeType::Value), vec![7u8; 32]);
    assert!(
        get_bytes(&s, k, AttributeType::Label).is_empty(),
        "CKA_LABEL default"
    );
    assert!(get_bytes(&s, k, AttributeType::Id).is_empty(), "CKA_ID default");
    assert!(
        !get_bool(&s, k, AttributeType::Local),
        "imported key: CKA_LOCAL false"
    );
    assert!(!get_bool(&s, k, AttributeType::AlwaysSensitive));
    assert!(!get_bool(&s, k, AttributeType::NeverExtractable));
    let (rv, len) = raw_attr_len(&s, k, AttributeType::KeyGenMechanism);
    assert_ckr!(rv, CKR_OK);
    if len != CK_UNAVAILABLE_INFORMATION {
        assert_eq!(
            get_ulong(&s, k, AttributeType::KeyGenMechanism),
            CK_UNAVAILABLE_INFORMATION,
            "imported key: CKA_KEY_GEN_MECHANISM"
        );
    }
    // A 15-byte AES key does not exist.
    let res = s.create_object(&[
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Value(vec![1u8; 15]),
    ]);
    if res.is_ok() && diverges("C_CreateObject accepts a 15-byte CKK_AES CKA_VALUE") {
        return;
    }
    let rv = rv_of(res);
    assert!(
        matches!(
            rv,
            cryptoki::error::RvError::AttributeValueInvalid | cryptoki::error::RvError::KeySizeRange
        ),
        "15-byte AES key: {rv:?}"
    );
}

#[test]
fn generated_keys_defaults() {
    let (_slot, s) = user_token("obj-gen");
    let k = gen_aes(
        &s,
        16,
        &[Attribute::Sensitive(true), Attribute::Extractable(false)],
    );
    assert!(get_bool(&s, k, AttributeType::Local), "generated: CKA_LOCAL");
    assert!(get_bool(&s, k, AttributeType::AlwaysSensitive));
    assert!(get_bool(&s, k, AttributeType::NeverExtractable));
    assert_eq!(get_ulong(&s, k, AttributeType::KeyGenMechanism), CKM_AES_KEY_GEN);
    assert_eq!(get_ulong(&s, k, AttributeType::ValueLen), 16);
    assert!(get_bytes(&s, k, AttributeType::Label).is_empty());

    let k2 = gen_aes(
        &s,
        16,
        &[Attribute::Sensitive(false), Attribute::Extractable(true)],
    );
    assert!(!get_bool(&s, k2, AttributeType::AlwaysSensitive));
    assert!(!get_bool(&s, k2, AttributeType::NeverExtractable));

    let (pk, sk) = gen_rsa(&s, 2048, &[], &[]);
    for (o, what) in [(pk, "public"), (sk, "private")] {
        assert!(get_bool(&s, o, AttributeType::Local), "{what}: CKA_LOCAL");
        assert_eq!(
            get_ulong(&s, o, AttributeType::KeyGenMechanism),
            CKM_RSA_PKCS_KEY_PAIR_GEN,
            "{what}: CKA_KEY_GEN_MECHANISM"
        );
        assert!(get_bytes(&s, o, AttributeType::Label).is_empty(), "{what}: label");
        assert!(get_bytes(&s, o, AttributeType::Id).is_empty(), "{what}: id");
    }
    assert!(get_bool(&s, sk, AttributeType::Sign), "private: CKA_SIGN default");
    assert!(
        get_bool(&s, sk, AttributeType::Decrypt),
        "private: CKA_DECRYPT default"
    );
    assert!(
        get_bool(&s, pk, AttributeType::Verify),
        "public: CKA_VERIFY default"
    );
    assert!(
        get_bool(&s, pk, AttributeType::Encrypt),
        "public: CKA_ENCRYPT default"
    );
    assert_eq!(get_ulong(&s, pk, AttributeType::ModulusBits), 2048);
    assert_eq!(get_bytes(&s, pk, AttributeType::PublicExponent), vec![1, 0, 1]);
    assert_eq!(get_bytes(&s, pk, AttributeType::Modulus).len(), 256);
    assert_eq!(
        get_bytes(&s, sk, AttributeType::Modulus),
        get_bytes(&s, pk, AttributeType::Modulus)
    );
}

#[test]
fn unique_id_is_present_distinct_and_read_only() {
    let (_slot, s) = user_token("obj-uniqueid");
    let a = s.create_object(&data_template("a", b"1", false)).unwrap();
    let (rv, _) = raw_attr_len(&s, a, AttributeType::UniqueId);
    if rv == CKR_ATTRIBUTE_TYPE_INVALID && diverges("PKCS#11 2.40 module: no CKA_UNIQUE_ID") {
        return;
    }
    let b = s.create_object(&data_template("b", b"2", true)).unwrap();
    let k = gen_aes(&s, 16, &[]);
    let ids: Vec<Vec<u8>> = [a, b, k]
        .iter()
        .map(|o| get_bytes(&s, *o, AttributeType::UniqueId))
        .collect();
    for id in &ids {
        assert!(!id.is_empty(), "empty CKA_UNIQUE_ID");
    }
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    assert_eq!(get_bytes(&s, a, AttributeType::UniqueId), ids[0], "stable");
    assert_rv!(
        s.update_attributes(a, &[Attribute::UniqueId(b"mine".to_vec())]),
        AttributeReadOnly
    );
    assert_rv!(
        s.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::UniqueId(b"mine".to_vec())
        ]),
        AttributeReadOnly
    );
    let c = s.copy_object(a, &[]).expect("copy");
    assert_ne!(
        get_bytes(&s, c, AttributeType::UniqueId),
        ids[0],
        "copy gets a new id"
    );
}

#[test]
fn sensitive_and_unextractable_values_are_hidden() {
    let (_slot, s) = user_token("obj-sensitive");
    let k = gen_aes(&s, 16, &[Attribute::Sensitive(true)]);
    let (rv, len) = raw_attr_len(&s, k, AttributeType::Value);
    assert_ckr!(rv, CKR_ATTRIBUTE_SENSITIVE);
    assert_eq!(
        len, CK_UNAVAILABLE_INFORMATION,
        "ulValueLen of a sensitive attribute"
    );
    let (rv, _) = raw_attr(&s, k, AttributeType::Value, 64);
    assert_ckr!(rv, CKR_ATTRIBUTE_SENSITIVE);
    // The other attributes of the same template are still returned.
    let mut kt: CK_KEY_TYPE = 0;
    let mut vbuf = [0u8; 64];
    let mut t = [
        CK_ATTRIBUTE {
            type_: CKA_VALUE,
            pValue: vbuf.as_mut_ptr() as *mut _,
            ulValueLen: 64,
        },
        CK_ATTRIBUTE {
            type_: CKA_KEY_TYPE,
            pValue: &mut kt as *mut CK_KEY_TYPE as *mut _,
            ulValueLen: std::mem::size_of::<CK_KEY_TYPE>() as CK_ULONG,
        },
    ];
    assert_ckr!(
        p11!(C_GetAttributeValue(s.handle(), k.handle(), t.as_mut_ptr(), 2)),
        CKR_ATTRIBUTE_SENSITIVE
    );
    assert_eq!(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_eq!(kt, CKK_AES, "CKA_KEY_TYPE filled despite the sensitive CKA_VALUE");
    // Unextractable (but not sensitive) values are hidden too.
    let u = gen_aes(
        &s,
        16,
        &[Attribute::Sensitive(false), Attribute::Extractable(false)],
    );
    assert_ckr!(
        raw_attr_len(&s, u, AttributeType::Value).0,
        CKR_ATTRIBUTE_SENSITIVE
    );
}

#[test]
fn unknown_attribute_is_type_invalid() {
    let (_slot, s) = user_token("obj-unknown");
    let o = s.create_object(&data_template("x", b"1", false)).unwrap();
    let mut t = CK_ATTRIBUTE {
        type_: 0x7fff_0001,
        pValue: std::ptr::null_mut(),
        ulValueLen: 0,
    };
    assert_ckr!(
        p11!(C_GetAttributeValue(s.handle(), o.handle(), &mut t, 1)),
        CKR_ATTRIBUTE_TYPE_INVALID
    );
    assert_eq!(t.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    // An attribute that exists but not for this class (CKA_MODULUS of data).
    assert_ckr!(
        raw_attr_len(&s, o, AttributeType::Modulus).0,
        CKR_ATTRIBUTE_TYPE_INVALID
    );
    let mut v = 1u8;
    let mut bad = [
        CK_ATTRIBUTE {
            type_: CKA_CLASS,
            pValue: &CKO_DATA as *const CK_ULONG as *mut _,
            ulValueLen: std::mem::size_of::<CK_ULONG>() as CK_ULONG,
        },
        CK_ATTRIBUTE {
            type_: 0x7fff_0001,
            pValue: &mut v as *mut u8 as *mut _,
            ulValueLen: 1,
        },
    ];
    let mut h: CK_OBJECT_HANDLE = 0;
    assert_ckr!(
        p11!(C_CreateObject(s.handle(), bad.as_mut_ptr(), 2, &mut h)),
        CKR_ATTRIBUTE_TYPE_INVALID
    );
}

#[test]
fn sensitive_and_extractable_transitions() {
    let (_slot, s) = user_token("obj-transitions");
    let k = gen_aes(
        &s,
        16,
        &[Attribute::Sensitive(false), Attribute::Extractable(true)],
    );
    assert_ckr!(raw_set_bool(&s, k, AttributeType::Sensitive, true), CKR_OK);
    assert!(get_bool(&s, k, AttributeType::Sensitive));
    assert!(
        !get_bool(&s, k, AttributeType::AlwaysSensitive),
        "CKA_ALWAYS_SENSITIVE stays false"
    );
    assert_ckr!(
        raw_set_bool(&s, k, AttributeType::Sensitive, false),
        CKR_ATTRIBUTE_READ_ONLY
    );
    assert_ckr!(raw_set_bool(&s, k, AttributeType::Extractable, false), CKR_OK);
    assert!(!get_bool(&s, k, AttributeType::Extractable));
    assert!(
        !get_bool(&s, k, AttributeType::NeverExtractable),
        "CKA_NEVER_EXTRACTABLE stays false"
    );
    assert_ckr!(
        raw_set_bool(&s, k, AttributeType::Extractable, true),
        CKR_ATTRIBUTE_READ_ONLY
    );
    // Attributes computed by the token are read-only.
    assert_ckr!(
        raw_set_bool(&s, k, AttributeType::Local, false),
        CKR_ATTRIBUTE_READ_ONLY
    );
    assert_ckr!(
        raw_set_bool(&s, k, AttributeType::AlwaysSensitive, false),
        CKR_ATTRIBUTE_READ_ONLY
    );
    // Ordinary attributes can be changed.
    s.update_attributes(
        k,
        &[Attribute::Label(b"renamed".to_vec()), Attribute::Id(vec![9])],
    )
    .expect("set label and id");
    assert_eq!(get_bytes(&s, k, AttributeType::Label), b"renamed");
    assert_eq!(get_bytes(&s, k, AttributeType::Id), vec![9]);
}

#[test]
fn modifiable_false_refuses_changes() {
    let (_slot, s) = user_token("obj-modifiable");
    let mut t = data_template("frozen", b"1", true);
    t.push(Attribute::Modifiable(false));
    let o = s.create_object(&t).unwrap();
    assert!(!get_bool(&s, o, AttributeType::Modifiable));
    let res = s.update_attributes(o, &[Attribute::Label(b"changed".to_vec())]);
    let rv = rv_of(res);
    if rv == cryptoki::error::RvError::AttributeReadOnly
        && diverges("C_SetAttributeValue on CKA_MODIFIABLE=false returns CKR_ATTRIBUTE_READ_ONLY")
    {
        return;
    }
    assert_eq!(rv, cryptoki::error::RvError::ActionProhibited);
    assert_eq!(get_bytes(&s, o, AttributeType::Label), b"frozen");
    // Still destroyable.
    s.destroy_object(o).expect("destroy non-modifiable object");
}

#[test]
fn destroyable_false_refuses_destroy() {
    let (_slot, s) = user_token("obj-destroyable");
    let mut t = data_template("keep", b"1", true);
    t.push(Attribute::Destroyable(false));
    let o = s.create_object(&t).unwrap();
    let res = s.destroy_object(o);
    if res.is_ok() && diverges("CKA_DESTROYABLE=false is ignored by C_DestroyObject") {
        return;
    }
    assert_rv!(res, ActionProhibited);
    assert_eq!(get_bytes(&s, o, AttributeType::Label), b"keep");
}

#[test]
fn copyable_false_refuses_copy() {
    let (_slot, s) = user_token("obj-copyable");
    let k = gen_aes(&s, 16, &[Attribute::Copyable(false)]);
    assert!(!get_bool(&s, k, AttributeType::Copyable));
    assert_rv!(s.copy_object(k, &[]), ActionProhibited);
    assert_ckr!(
        raw_set_bool(&s, k, AttributeType::Copyable, true),
        CKR_ATTRIBUTE_READ_ONLY
    );
}

#[test]
fn copy_object_with_changes() {
    let (_slot, s) = user_token("obj-copy");
    let o = s
        .create_object(&data_template("orig", b"payload", false))
        .unwrap();
    let c = s
        .copy_object(
            o,
            &[
                Attribute::Label(b"copy".to_vec()),
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Destroyable(false),
                Attribute::Modifiable(false),
            ],
        )
        .expect("C_CopyObject");
    assert_ne!(c, o);
    assert!(get_bool(&s, c, AttributeType::Token));
    assert!(get_bool(&s, c, AttributeType::Private));
    assert!(!get_bool(&s, c, AttributeType::Modifiable));
    assert!(!get_bool(&s, c, AttributeType::Destroyable));
    assert_eq!(get_bytes(&s, c, AttributeType::Label), b"copy");
    assert_eq!(get_bytes(&s, c, AttributeType::Value), b"payload");
    // The original is unchanged.
    assert!(!get_bool(&s, o, AttributeType::Token));
    assert!(!get_bool(&s, o, AttributeType::Private));
    assert!(get_bool(&s, o, AttributeType::Modifiable));
    assert_eq!(get_bytes(&s, o, AttributeType::Label), b"orig");
    // A key copy keeps the key material and its computed attributes.
    let k = gen_aes(&s, 32, &[Attribute::Sensitive(true)]);
    let kc = s.copy_object(k, &[Attribute::Token(true)]).expect("copy key");
    assert!(get_bool(&s, kc, AttributeType::Local));
    assert!(get_bool(&s, kc, AttributeType::Sensitive));
    assert_eq!(get_ulong(&s, kc, AttributeType::ValueLen), 32);
    let iv = [3u8; 16];
    let ct = s.encrypt(&Mechanism::AesCbcPad(iv), k, b"same key").unwrap();
    assert_eq!(
        s.decrypt(&Mechanism::AesCbcPad(iv), kc, &ct).unwrap(),
        b"same key"
    );
    // A sensitive key can't be copied into a non-sensitive one.
    assert!(s.copy_object(k, &[Attribute::Sensitive(false)]).is_err());
}

#[test]
fn object_size_and_destroy() {
    let (_slot, s) = user_token("obj-size");
    let o = s.create_object(&data_template("sz", &[0u8; 100], false)).unwrap();
    let mut size: CK_ULONG = 0;
    assert_ckr!(p11!(C_GetObjectSize(s.handle(), o.handle(), &mut size)), CKR_OK);
    assert!(
        size == CK_UNAVAILABLE_INFORMATION || size > 0,
        "C_GetObjectSize: {size}"
    );
    assert_ckr!(
        p11!(C_GetObjectSize(s.handle(), o.handle(), std::ptr::null_mut())),
        CKR_ARGUMENTS_BAD
    );
    s.destroy_object(o).expect("C_DestroyObject");
    assert_ckr!(
        raw_attr_len(&s, o, AttributeType::Label).0,
        CKR_OBJECT_HANDLE_INVALID
    );
    assert_ckr!(
        p11!(C_GetObjectSize(s.handle(), o.handle(), &mut size)),
        CKR_OBJECT_HANDLE_INVALID
    );
    assert_rv!(s.destroy_object(o), ObjectHandleInvalid);
    assert_ckr!(
        p11!(C_DestroyObject(s.handle(), CK_INVALID_HANDLE)),
        CKR_OBJECT_HANDLE_INVALID
    );
}

#[test]
fn missing_required_attribute_is_template_incomplete() {
    let (_slot, s) = user_token("obj-incomplete");
    assert_rv!(
        s.create_object(&[Attribute::Label(b"no class".to_vec())]),
        TemplateIncomplete
    );
    assert_rv!(
        s.create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
        ]),
        TemplateIncomplete
    );
    assert_rv!(
        s.create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Value(vec![0u8; 16]),
        ]),
        TemplateIncomplete
    );
    assert_rv!(
        s.generate_key(&Mechanism::AesKeyGen, &[Attribute::Encrypt(true)]),
        TemplateIncomplete
    );
    assert_rv!(
        s.generate_key_pair(&Mechanism::EccKeyPairGen, &[], &[]),
        TemplateIncomplete
    );
}

#[test]
fn conflicting_attributes_are_template_inconsistent() {
    let (_slot, s) = user_token("obj-inconsistent");
    let rv = rv_of(s.generate_key(
        &Mechanism::AesKeyGen,
        &[
            Attribute::ValueLen(16.into()),
            Attribute::Class(ObjectClass::PUBLIC_KEY),
        ],
    ));
    if rv == cryptoki::error::RvError::AttributeValueInvalid
        && diverges(
            "C_GenerateKey with a CKA_CLASS other than CKO_SECRET_KEY returns CKR_ATTRIBUTE_VALUE_INVALID",
        )
    {
        return;
    }
    assert_eq!(
        rv,
        cryptoki::error::RvError::TemplateInconsistent,
        "CKA_CLASS conflict"
    );
    assert_rv!(
        s.generate_key(
            &Mechanism::AesKeyGen,
            &[Attribute::ValueLen(16.into()), Attribute::KeyType(KeyType::RSA)]
        ),
        TemplateInconsistent
    );
}

#[test]
fn token_objects_persist_across_sessions() {
    let (slot, _, _) = fresh_token("obj-persist");
    let p11 = pkcs11();
    let label = format!("persist-{}", uniq());
    {
        let s = user_session(slot);
        s.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Value(b"still here".to_vec()),
        ])
        .unwrap();
        import_secret(
            &s,
            KeyType::AES,
            &[0x42; 16],
            &[
                Attribute::Token(true),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Sensitive(false),
                Attribute::Extractable(true),
            ],
        );
        // A session object must not survive.
        s.create_object(&data_template(&label, b"gone", false)).unwrap();
    }
    assert_ckr!(p11!(C_CloseAllSessions(slot.id())), CKR_OK);
    let s = p11.open_ro_session(slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let found = find(&s, &[Attribute::Label(label.as_bytes().to_vec())]);
    assert_eq!(found.len(), 2, "token objects after reopening: {found:?}");
    let mut values: Vec<Vec<u8>> = found
        .iter()
        .map(|o| get_bytes(&s, *o, AttributeType::Value))
        .collect();
    values.sort();
    assert_eq!(values, vec![vec![0x42; 16], b"still here".to_vec()]);
}
