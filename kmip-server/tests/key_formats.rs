//! Key formats, certificate attributes and Digested Data signatures end to end through
//! `Kmip::handle_bytes`, cross-checked against independent parsers: aws-lc-rs for EC keys and
//! signatures, x509-cert for SubjectPublicKeyInfo and certificates (rcgen makes them).

mod common;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair};
use common::*;
use kmip_server::ttlv::enums::{
    CryptographicAlgorithm as Alg, DigitalSignatureAlgorithm as Dsa, HashingAlgorithm, KeyFormatType as Kft,
    ObjectType, Operation, RecommendedCurve, ResultReason, ResultStatus,
};
use kmip_server::ttlv::{Tag, Ttlv, Value};
use kmip_server::version::{Version, V1_4, V2_1};
use x509_cert::der::{Decode, Encode};

fn activate(e: &Env, u: &str) {
    ok(&one(e, V2_1, Operation::ACTIVATE, vec![uid(u)]));
}

fn uid_of(payload: &Ttlv) -> String {
    payload
        .find(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .unwrap()
        .to_string()
}

/// Register (2.1) of a private or public key whose Key Material is `material`.
fn register_key(e: &Env, ot: ObjectType, format: Kft, alg: Alg, material: Ttlv, mask: i32) -> Ttlv {
    let tag = if ot == ObjectType::PRIVATE_KEY {
        Tag::PRIVATE_KEY
    } else {
        Tag::PUBLIC_KEY
    };
    let block = Ttlv::structure(
        Tag::KEY_BLOCK,
        vec![
            Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, format.0),
            Ttlv::structure(Tag::KEY_VALUE, vec![material]),
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, alg.0),
        ],
    );
    one(
        e,
        V2_1,
        Operation::REGISTER,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ot.0),
            Ttlv::structure(
                Tag::ATTRIBUTES,
                vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask)],
            ),
            Ttlv::structure(tag, vec![block]),
        ],
    )
}

/// Key Material of object `u` got in `format`.
fn get_material(e: &Env, u: &str, format: Kft) -> Ttlv {
    let p = ok(&one(
        e,
        V2_1,
        Operation::GET,
        vec![uid(u), Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, format.0)],
    ));
    let object = p
        .find(Tag::PRIVATE_KEY)
        .or_else(|| p.find(Tag::PUBLIC_KEY))
        .expect("a key");
    let kb = object.find(Tag::KEY_BLOCK).unwrap();
    assert_eq!(
        kb.find(Tag::KEY_FORMAT_TYPE).and_then(Ttlv::as_enum),
        Some(format.0)
    );
    kb.find(Tag::KEY_VALUE)
        .and_then(|v| v.find(Tag::KEY_MATERIAL))
        .unwrap()
        .clone()
}

fn bytes(t: &Ttlv) -> Vec<u8> {
    t.as_bytes().expect("bytes").to_vec()
}

/// The big-endian magnitude of a Big Integer field.
fn magnitude(t: &Ttlv, tag: Tag) -> Vec<u8> {
    let v = t.find(tag).and_then(Ttlv::as_bytes).expect("field");
    v.iter().copied().skip_while(|b| *b == 0).collect()
}

#[test]
fn ec_private_keys_registered_in_each_format_come_back_in_each_other_format() {
    let e = env();
    let rng = SystemRandom::new();
    let p8 = EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let oracle = EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, p8.as_ref()).unwrap();
    let point = oracle.public_key().as_ref().to_vec();
    let first = uid_of(&ok(&register_key(
        &e,
        ObjectType::PRIVATE_KEY,
        Kft::PKCS_8,
        Alg::EC,
        Ttlv::bytes(Tag::KEY_MATERIAL, p8.as_ref()),
        1,
    )));
    let formats = [
        Kft::PKCS_8,
        Kft::EC_PRIVATE_KEY,
        Kft::TRANSPARENT_EC_PRIVATE_KEY,
        Kft::TRANSPARENT_ECDSA_PRIVATE_KEY,
    ];
    for out in formats {
        let material = get_material(&e, &first, out);
        // Each output, registered again, is the same key in every other format.
        let again = uid_of(&ok(&register_key(
            &e,
            ObjectType::PRIVATE_KEY,
            out,
            Alg::EC,
            material.clone(),
            1,
        )));
        for back in formats {
            assert_eq!(
                get_material(&e, &again, back),
                get_material(&e, &first, back),
                "{out:?} → {back:?}"
            );
        }
        match out {
            Kft::PKCS_8 => {
                let k = EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &bytes(&material))
                    .unwrap();
                assert_eq!(k.public_key().as_ref(), &point[..]);
            }
            Kft::EC_PRIVATE_KEY => {
                let k = EcdsaKeyPair::from_private_key_der(
                    &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &bytes(&material),
                )
                .unwrap();
                assert_eq!(k.public_key().as_ref(), &point[..]);
            }
            _ => {
                assert_eq!(
                    material.find(Tag::RECOMMENDED_CURVE).and_then(Ttlv::as_enum),
                    Some(RecommendedCurve::P_256.0)
                );
                assert_eq!(magnitude(&material, Tag::D).len(), 32);
            }
        }
    }
    // An EC private key offers no RSA format.
    let r = one(
        &e,
        V2_1,
        Operation::GET,
        vec![
            uid(&first),
            Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, Kft::PKCS_1.0),
        ],
    );
    assert_eq!(failed(&r), ResultReason::KEY_FORMAT_TYPE_NOT_SUPPORTED);
    // A signature made over KMIP verifies under the oracle's public key.
    activate(&e, &first);
    let msg = b"signed through KMIP".to_vec();
    let p = ok(&one(
        &e,
        V2_1,
        Operation::SIGN,
        vec![
            uid(&first),
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![
                    Ttlv::enumeration(Tag::HASHING_ALGORITHM, HashingAlgorithm::SHA_256.0),
                    Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, Alg::ECDSA.0),
                ],
            ),
            Ttlv::bytes(Tag::DATA, msg.clone()),
        ],
    ));
    // KMIP carries ECDSA signatures as the DER ECDSA-Sig-Value, as OpenSSL and PyKMIP expect.
    let s = bytes(p.find(Tag::SIGNATURE_DATA).unwrap());
    assert_eq!(s[0], 0x30, "a DER SEQUENCE");
    sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_ASN1, &point)
        .verify(&msg, &s)
        .expect("the oracle verifies the server's signature");
}

#[test]
fn ec_public_keys_round_trip_and_a_point_off_the_curve_is_refused() {
    let e = env();
    let rng = SystemRandom::new();
    let p8 = EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
    let oracle = EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P384_SHA384_FIXED_SIGNING, p8.as_ref()).unwrap();
    let point = oracle.public_key().as_ref().to_vec();
    let transparent = |q: &[u8]| {
        Ttlv::structure(
            Tag::KEY_MATERIAL,
            vec![
                Ttlv::enumeration(Tag::RECOMMENDED_CURVE, RecommendedCurve::P_384.0),
                Ttlv::bytes(Tag::Q_STRING, q.to_vec()),
            ],
        )
    };
    let u = uid_of(&ok(&register_key(
        &e,
        ObjectType::PUBLIC_KEY,
        Kft::TRANSPARENT_EC_PUBLIC_KEY,
        Alg::EC,
        transparent(&point),
        2,
    )));
    let spki = bytes(&get_material(&e, &u, Kft::X_509));
    let parsed = x509_cert::spki::SubjectPublicKeyInfoOwned::from_der(&spki).unwrap();
    assert_eq!(parsed.algorithm.oid.to_string(), "1.2.840.10045.2.1");
    assert_eq!(
        parsed.algorithm.parameters.unwrap().to_der().unwrap(),
        b"\x06\x05\x2b\x81\x04\x00\x22",
        "secp384r1"
    );
    assert_eq!(parsed.subject_public_key.as_bytes().unwrap(), &point[..]);
    assert_eq!(bytes(&get_material(&e, &u, Kft::RAW)), point);
    let t = get_material(&e, &u, Kft::TRANSPARENT_ECDH_PUBLIC_KEY);
    assert_eq!(t.find(Tag::Q_STRING).and_then(Ttlv::as_bytes), Some(&point[..]));
    // The X.509 output registered again is the same key.
    let again = uid_of(&ok(&register_key(
        &e,
        ObjectType::PUBLIC_KEY,
        Kft::X_509,
        Alg::EC,
        Ttlv::bytes(Tag::KEY_MATERIAL, spki),
        2,
    )));
    assert_eq!(bytes(&get_material(&e, &again, Kft::RAW)), point);
    // One bit off: no longer on the curve.
    let mut off = point.clone();
    off[20] ^= 1;
    for (f, m) in [
        (Kft::TRANSPARENT_EC_PUBLIC_KEY, transparent(&off)),
        (
            Kft::X_509,
            Ttlv::bytes(
                Tag::KEY_MATERIAL,
                softhsm::der::spki_ec(b"\x06\x05\x2b\x81\x04\x00\x22", &off),
            ),
        ),
    ] {
        let r = register_key(&e, ObjectType::PUBLIC_KEY, f, Alg::EC, m, 2);
        assert_eq!(failed(&r), ResultReason::INVALID_FIELD, "{f:?}");
    }
    // A curve the keystore does not keep.
    let mut m = transparent(&point);
    if let Value::Structure(items) = &mut m.value {
        items[0] = Ttlv::enumeration(Tag::RECOMMENDED_CURVE, RecommendedCurve::B_163.0);
    }
    let r = register_key(
        &e,
        ObjectType::PUBLIC_KEY,
        Kft::TRANSPARENT_EC_PUBLIC_KEY,
        Alg::EC,
        m,
        2,
    );
    assert_ne!(
        r.find(Tag::RESULT_STATUS).and_then(Ttlv::as_enum),
        Some(ResultStatus::SUCCESS.0)
    );
}

#[test]
fn create_key_pair_on_a_recommended_curve_gives_keys_every_format_reads() {
    let e = env();
    let (private, public) = create_key_pair(
        &e,
        vec![
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, Alg::EC.0),
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
                vec![Ttlv::enumeration(
                    Tag::RECOMMENDED_CURVE,
                    RecommendedCurve::P_256.0,
                )],
            ),
        ],
        vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 1)],
        vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 2)],
    );
    let (private, public) = (private.as_str(), public.as_str());
    let der = bytes(&get_material(&e, private, Kft::EC_PRIVATE_KEY));
    let k = EcdsaKeyPair::from_private_key_der(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &der).unwrap();
    let t = get_material(&e, public, Kft::TRANSPARENT_EC_PUBLIC_KEY);
    assert_eq!(
        t.find(Tag::Q_STRING).and_then(Ttlv::as_bytes),
        Some(k.public_key().as_ref())
    );
}

#[test]
fn dsa_keys_round_trip_through_transparent_pkcs8_and_x509() {
    let e = env();
    let params = softhsm::crypto::dsa_generate_params(1024).unwrap();
    let (x, y) = softhsm::crypto::dsa_generate_key(&params).unwrap();
    let big = |b: &[u8]| Value::BigInteger(kmip_server::key_formats::big(b));
    let transparent = |last: Tag, v: &[u8]| {
        Ttlv::structure(
            Tag::KEY_MATERIAL,
            vec![
                Ttlv::new(Tag::P, big(&params.p)),
                Ttlv::new(Tag::Q, big(&params.q)),
                Ttlv::new(Tag::G, big(&params.g)),
                Ttlv::new(last, big(v)),
            ],
        )
    };
    let private = uid_of(&ok(&register_key(
        &e,
        ObjectType::PRIVATE_KEY,
        Kft::TRANSPARENT_DSA_PRIVATE_KEY,
        Alg::DSA,
        transparent(Tag::X, &x),
        1,
    )));
    let p8 = get_material(&e, &private, Kft::PKCS_8);
    let again = uid_of(&ok(&register_key(
        &e,
        ObjectType::PRIVATE_KEY,
        Kft::PKCS_8,
        Alg::DSA,
        p8,
        1,
    )));
    let t = get_material(&e, &again, Kft::TRANSPARENT_DSA_PRIVATE_KEY);
    assert_eq!(magnitude(&t, Tag::X), x.to_vec());
    assert_eq!(magnitude(&t, Tag::P), params.p);
    let public = uid_of(&ok(&register_key(
        &e,
        ObjectType::PUBLIC_KEY,
        Kft::TRANSPARENT_DSA_PUBLIC_KEY,
        Alg::DSA,
        transparent(Tag::Y, &y),
        2,
    )));
    let spki = bytes(&get_material(&e, &public, Kft::X_509));
    let parsed = x509_cert::spki::SubjectPublicKeyInfoOwned::from_der(&spki).unwrap();
    assert_eq!(parsed.algorithm.oid.to_string(), "1.2.840.10040.4.1");
    let again = uid_of(&ok(&register_key(
        &e,
        ObjectType::PUBLIC_KEY,
        Kft::X_509,
        Alg::DSA,
        Ttlv::bytes(Tag::KEY_MATERIAL, spki),
        2,
    )));
    let t = get_material(&e, &again, Kft::TRANSPARENT_DSA_PUBLIC_KEY);
    assert_eq!(magnitude(&t, Tag::Y), y);
    // y = 1 is no public key; x = 0 is no private key.
    let r = register_key(
        &e,
        ObjectType::PUBLIC_KEY,
        Kft::TRANSPARENT_DSA_PUBLIC_KEY,
        Alg::DSA,
        transparent(Tag::Y, &[1]),
        2,
    );
    assert_eq!(failed(&r), ResultReason::INVALID_FIELD);
    let r = register_key(
        &e,
        ObjectType::PRIVATE_KEY,
        Kft::TRANSPARENT_DSA_PRIVATE_KEY,
        Alg::DSA,
        transparent(Tag::X, &[0]),
        1,
    );
    assert_eq!(failed(&r), ResultReason::INVALID_FIELD);
}

/// The value of a 1.x attribute named `name` in a Get Attributes answer (first instance).
fn v1_value<'a>(p: &'a Ttlv, name: &str) -> Option<&'a Ttlv> {
    p.find_all(Tag::ATTRIBUTE)
        .find(|a| a.find(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text) == Some(name))
        .and_then(|a| a.find(Tag::ATTRIBUTE_VALUE))
}

#[test]
fn certificate_attributes_are_what_the_certificate_says() {
    let e = env();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CountryName, "AU");
    dn.push(rcgen::DnType::OrganizationName, "Formats Test");
    dn.push(rcgen::DnType::OrganizationalUnitName, "Unit");
    dn.push(rcgen::DnType::CommonName, "leaf.example");
    params.distinguished_name = dn;
    let cert = params.self_signed(&key).unwrap();
    let der = cert.der().to_vec();
    let oracle = x509_cert::Certificate::from_der(&der).unwrap();
    let register = |v: Version, attrs: Ttlv| {
        uid_of(&ok(&one(
            &e,
            v,
            Operation::REGISTER,
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::CERTIFICATE.0),
                attrs,
                Ttlv::structure(
                    Tag::CERTIFICATE,
                    vec![
                        Ttlv::enumeration(Tag::CERTIFICATE_TYPE, 1),
                        Ttlv::bytes(Tag::CERTIFICATE_VALUE, der.clone()),
                    ],
                ),
            ],
        )))
    };
    // 2.1: the attributes under their tags.
    let u = register(V2_1, Ttlv::structure(Tag::ATTRIBUTES, vec![]));
    let p = ok(&one(&e, V2_1, Operation::GET_ATTRIBUTES, vec![uid(&u)]));
    let a = p.find(Tag::ATTRIBUTES).unwrap();
    assert_eq!(
        a.find(Tag::CERTIFICATE_LENGTH).and_then(Ttlv::as_int),
        Some(der.len() as i32)
    );
    assert_eq!(
        a.find(Tag::CERTIFICATE_SUBJECT_CN).and_then(Ttlv::as_text),
        Some("leaf.example")
    );
    assert_eq!(
        a.find(Tag::CERTIFICATE_SUBJECT_OU).and_then(Ttlv::as_text),
        Some("Unit")
    );
    assert_eq!(
        a.find(Tag::CERTIFICATE_ISSUER_O).and_then(Ttlv::as_text),
        Some("Formats Test")
    );
    assert_eq!(
        a.find(Tag::DIGITAL_SIGNATURE_ALGORITHM).and_then(Ttlv::as_enum),
        Some(Dsa::ECDSA_WITH_SHA256.0)
    );
    assert_eq!(
        a.find(Tag::CRYPTOGRAPHIC_ALGORITHM).and_then(Ttlv::as_enum),
        Some(Alg::EC.0)
    );
    assert_eq!(
        a.find(Tag::CRYPTOGRAPHIC_LENGTH).and_then(Ttlv::as_int),
        Some(256)
    );
    let x509_subject = a
        .find(Tag::X_509_CERTIFICATE_SUBJECT)
        .and_then(|s| s.find(Tag::SUBJECT_DISTINGUISHED_NAME))
        .and_then(Ttlv::as_bytes)
        .unwrap();
    assert_eq!(
        x509_subject,
        &oracle.tbs_certificate.subject.to_der().unwrap()[..]
    );
    let serial = a
        .find(Tag::X_509_CERTIFICATE_IDENTIFIER)
        .and_then(|s| s.find(Tag::CERTIFICATE_SERIAL_NUMBER))
        .and_then(Ttlv::as_bytes)
        .unwrap();
    assert_eq!(
        serial,
        &oracle.tbs_certificate.serial_number.to_der().unwrap()[..]
    );
    assert!(
        a.find(Tag::CERTIFICATE_IDENTIFIER).is_none(),
        "the 1.x form is gone in 2.x"
    );
    // 1.4: the deprecated text forms too, and read-only.
    let u = register(V1_4, Ttlv::structure(Tag::TEMPLATE_ATTRIBUTE, vec![]));
    let p = ok(&one(&e, V1_4, Operation::GET_ATTRIBUTES, vec![uid(&u)]));
    let subject = v1_value(&p, "Certificate Subject")
        .and_then(|v| v.find(Tag::CERTIFICATE_SUBJECT_DISTINGUISHED_NAME))
        .and_then(Ttlv::as_text);
    assert_eq!(subject, Some(oracle.tbs_certificate.subject.to_string().as_str()));
    assert!(subject.unwrap().starts_with("CN=leaf.example"), "{subject:?}");
    let id = v1_value(&p, "Certificate Identifier").unwrap();
    assert_eq!(
        id.find(Tag::SERIAL_NUMBER).and_then(Ttlv::as_text),
        Some(hex::encode(oracle.tbs_certificate.serial_number.as_bytes()).as_str())
    );
    assert_eq!(v1_value(&p, "Certificate Type").and_then(Ttlv::as_enum), Some(1));
    let r = one(
        &e,
        V2_1,
        Operation::MODIFY_ATTRIBUTE,
        vec![
            uid(&u),
            Ttlv::structure(Tag::NEW_ATTRIBUTE, vec![Ttlv::int(Tag::CERTIFICATE_LENGTH, 5)]),
        ],
    );
    assert_eq!(failed(&r), ResultReason::ATTRIBUTE_READ_ONLY);
}

#[test]
fn pkcs1_signatures_over_digested_data_equal_those_over_data() {
    let e = env();
    let (private, public) = create_key_pair(
        &e,
        vec![
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, Alg::RSA.0),
            Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 2048),
        ],
        vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 1)],
        vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 2)],
    );
    let (private, public) = (private.as_str(), public.as_str());
    activate(&e, private);
    activate(&e, public);
    let msg = b"a message hashed by the client".to_vec();
    let digest = softhsm::crypto::Hash::Sha384.digest(&msg);
    let params = || {
        Ttlv::structure(
            Tag::CRYPTOGRAPHIC_PARAMETERS,
            vec![
                Ttlv::enumeration(
                    Tag::PADDING_METHOD,
                    kmip_server::ttlv::enums::PaddingMethod::PKCS1_V1_5.0,
                ),
                Ttlv::enumeration(Tag::HASHING_ALGORITHM, HashingAlgorithm::SHA_384.0),
            ],
        )
    };
    let sign = |input: Ttlv| {
        let p = ok(&one(
            &e,
            V1_4,
            Operation::SIGN,
            vec![uid(private), params(), input],
        ));
        bytes(p.find(Tag::SIGNATURE_DATA).unwrap())
    };
    let over_digest = sign(Ttlv::bytes(Tag::DIGESTED_DATA, digest.clone()));
    assert_eq!(
        over_digest,
        sign(Ttlv::bytes(Tag::DATA, msg.clone())),
        "PKCS#1 v1.5 is deterministic"
    );
    // The oracle verifies it under the public key.
    let pkcs1 = bytes(&get_material(&e, public, Kft::PKCS_1));
    sig::UnparsedPublicKey::new(&sig::RSA_PKCS1_2048_8192_SHA384, &pkcs1)
        .verify(&msg, &over_digest)
        .expect("the oracle verifies the signature over the digest");
    let p = ok(&one(
        &e,
        V1_4,
        Operation::SIGNATURE_VERIFY,
        vec![
            uid(public),
            params(),
            Ttlv::bytes(Tag::DIGESTED_DATA, digest.clone()),
            Ttlv::bytes(Tag::SIGNATURE_DATA, over_digest),
        ],
    ));
    assert_eq!(
        p.find(Tag::VALIDITY_INDICATOR).and_then(Ttlv::as_enum),
        Some(1),
        "Valid"
    );
    // A digest of another length than the Hashing Algorithm's is refused.
    let r = one(
        &e,
        V1_4,
        Operation::SIGN,
        vec![
            uid(private),
            params(),
            Ttlv::bytes(Tag::DIGESTED_DATA, digest[..32].to_vec()),
        ],
    );
    assert_eq!(failed(&r), ResultReason::INVALID_FIELD);
}
