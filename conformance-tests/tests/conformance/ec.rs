//! Elliptic curves (Weierstrass): key generation on P-256/P-384/P-521,
//! ECDSA (checked with aws-lc-rs), ECDSA_SHA*, ECDH1_DERIVE.

use crate::fixtures::*;
use crate::util::*;
use aws_lc_rs::signature as sig;
use cryptoki::mechanism::elliptic_curve::{EcKdf, Ecdh1DeriveParams};

const MSG: &[u8] = b"ecdsa conformance message";

fn sha(alg: &'static aws_lc_rs::digest::Algorithm, data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(alg, data).as_ref().to_vec()
}

#[test]
fn generate_on_nist_curves_and_sign() {
    let (_slot, s) = user_token("ec-gen");
    use aws_lc_rs::digest::{SHA256, SHA384, SHA512};
    let curves: [(
        &[u8],
        usize,
        &'static aws_lc_rs::digest::Algorithm,
        &'static sig::EcdsaVerificationAlgorithm,
    ); 3] = [
        (P256_OID, 32, &SHA256, &sig::ECDSA_P256_SHA256_FIXED),
        (P384_OID, 48, &SHA384, &sig::ECDSA_P384_SHA384_FIXED),
        (P521_OID, 66, &SHA512, &sig::ECDSA_P521_SHA512_FIXED),
    ];
    for (oid, flen, hash, verify_alg) in curves {
        let (pk, sk) = gen_ec(&s, oid, &[], &[]);
        assert_eq!(get_ulong(&s, pk, AttributeType::KeyType), CKK_EC);
        assert_eq!(get_bytes(&s, pk, AttributeType::EcParams), oid);
        assert_eq!(get_bytes(&s, sk, AttributeType::EcParams), oid);
        assert_eq!(
            get_ulong(&s, sk, AttributeType::KeyGenMechanism),
            CKM_EC_KEY_PAIR_GEN
        );
        let point = ec_point(&s, pk);
        assert_eq!(point.len(), 1 + 2 * flen, "uncompressed point length");
        assert_eq!(point[0], 0x04, "uncompressed point");
        let digest = sha(hash, MSG);
        let signature = s
            .sign(&Mechanism::Ecdsa, sk, &digest)
            .unwrap_or_else(|e| panic!("ECDSA on {}: {e}", hex::encode(oid)));
        assert_eq!(signature.len(), 2 * flen, "r || s length");
        s.verify(&Mechanism::Ecdsa, pk, &digest, &signature)
            .expect("token verifies its ECDSA signature");
        sig::UnparsedPublicKey::new(verify_alg, &point)
            .verify(MSG, &signature)
            .unwrap_or_else(|_| panic!("aws-lc-rs rejects ECDSA on {}", hex::encode(oid)));
        let mut bad = signature.clone();
        bad[5] ^= 1;
        assert_rv!(s.verify(&Mechanism::Ecdsa, pk, &digest, &bad), SignatureInvalid);
        let rv = rv_of(s.verify(&Mechanism::Ecdsa, pk, &digest, &signature[1..]));
        assert!(
            matches!(
                rv,
                cryptoki::error::RvError::SignatureLenRange | cryptoki::error::RvError::SignatureInvalid
            ),
            "short signature: {rv:?}"
        );
    }
    // An unknown curve.
    let rv = rv_of(s.generate_key_pair(
        &Mechanism::EccKeyPairGen,
        &[Attribute::EcParams(vec![0x06, 0x03, 0x2a, 0x03, 0x04])],
        &[],
    ));
    if rv == cryptoki::error::RvError::GeneralError
        && diverges("C_GenerateKeyPair on an unknown curve returns CKR_GENERAL_ERROR")
    {
        return;
    }
    assert!(
        matches!(
            rv,
            cryptoki::error::RvError::CurveNotSupported
                | cryptoki::error::RvError::DomainParamsInvalid
                | cryptoki::error::RvError::AttributeValueInvalid
                | cryptoki::error::RvError::TemplateInconsistent
        ),
        "unknown curve: {rv:?}"
    );
}

#[test]
fn ecdsa_with_hash_mechanisms() {
    let (_slot, s) = user_token("ec-sha");
    let (pk, sk) = gen_ec(&s, P256_OID, &[], &[]);
    let point = ec_point(&s, pk);
    use aws_lc_rs::digest::*;
    let cases: [(Mechanism, &'static Algorithm); 5] = [
        (Mechanism::EcdsaSha1, &SHA1_FOR_LEGACY_USE_ONLY),
        (Mechanism::EcdsaSha224, &SHA224),
        (Mechanism::EcdsaSha256, &SHA256),
        (Mechanism::EcdsaSha384, &SHA384),
        (Mechanism::EcdsaSha512, &SHA512),
    ];
    for (m, hash) in cases {
        let res = s.sign(&m, sk, MSG);
        if matches!(
            res,
            Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::MechanismInvalid,
                _
            ))
        ) && diverges("CKM_ECDSA_SHA* are not implemented")
        {
            return;
        }
        let signature = res.unwrap_or_else(|e| panic!("{m:?}: {e}"));
        assert_eq!(signature.len(), 64);
        s.verify(&m, pk, MSG, &signature)
            .unwrap_or_else(|e| panic!("verify {m:?}: {e}"));
        // Equivalent to CKM_ECDSA over the digest.
        s.verify(&Mechanism::Ecdsa, pk, &sha(hash, MSG), &signature)
            .unwrap_or_else(|e| panic!("CKM_ECDSA verify of {m:?}: {e}"));
        // Multi-part.
        s.sign_init(&m, sk).unwrap();
        s.sign_update(&MSG[..3]).unwrap();
        s.sign_update(&MSG[3..]).unwrap();
        let multi = s.sign_final().unwrap();
        s.verify(&m, pk, MSG, &multi)
            .expect("multi-part signature verifies");
        assert_rv!(s.verify(&m, pk, b"different", &signature), SignatureInvalid);
        if matches!(m, Mechanism::EcdsaSha256) {
            sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, &point)
                .verify(MSG, &signature)
                .expect("aws-lc-rs verifies CKM_ECDSA_SHA256");
        }
    }
}

fn derive_secret(s: &Session, sk: ObjectHandle, peer_point: &[u8]) -> Vec<u8> {
    let params = Ecdh1DeriveParams::new(EcKdf::null(), peer_point);
    let k = s
        .derive_key(
            &Mechanism::Ecdh1Derive(params),
            sk,
            &[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::GENERIC_SECRET),
                Attribute::ValueLen(32.into()),
                Attribute::Extractable(true),
                Attribute::Sensitive(false),
                Attribute::Token(false),
            ],
        )
        .expect("C_DeriveKey(CKM_ECDH1_DERIVE)");
    assert!(
        !get_bool(s, k, AttributeType::Local),
        "derived key: CKA_LOCAL false"
    );
    get_bytes(s, k, AttributeType::Value)
}

#[test]
fn ecdh1_derive_agrees() {
    let (_slot, s) = user_token("ec-ecdh");
    let (pa, sa) = gen_ec(
        &s,
        P256_OID,
        &[Attribute::Token(true)],
        &[Attribute::Derive(true), Attribute::Token(true)],
    );
    let (pb, sb) = gen_ec(
        &s,
        P256_OID,
        &[Attribute::Token(true)],
        &[Attribute::Derive(true), Attribute::Token(true)],
    );
    let qa = ec_point(&s, pa);
    let qb = ec_point(&s, pb);
    let ab = derive_secret(&s, sa, &qb);
    let ba = derive_secret(&s, sb, &qa);
    assert_eq!(ab.len(), 32);
    assert_eq!(ab, ba, "both sides derive the same secret");
    // And so does aws-lc-rs with its own key.
    use aws_lc_rs::agreement;
    let mine = agreement::PrivateKey::generate(&agreement::ECDH_P256).unwrap();
    let my_pub = mine.compute_public_key().unwrap();
    let theirs = agreement::agree(
        &mine,
        agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, &qa),
        (),
        |z| Ok(z.to_vec()),
    )
    .unwrap();
    assert_eq!(
        derive_secret(&s, sa, my_pub.as_ref()),
        theirs,
        "vs aws-lc-rs ECDH"
    );
    // The DER-wrapped public point is accepted too (PKCS#11 3.0 allows both).
    let wrapped = der_octet_string(&qb);
    assert_eq!(derive_secret(&s, sa, &wrapped), ab, "DER-encoded public data");
    // A key without CKA_DERIVE.
    let (_, sc) = gen_ec(&s, P256_OID, &[], &[Attribute::Derive(false)]);
    assert_rv!(
        s.derive_key(
            &Mechanism::Ecdh1Derive(Ecdh1DeriveParams::new(EcKdf::null(), &qb)),
            sc,
            &[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::GENERIC_SECRET),
                Attribute::ValueLen(32.into()),
            ],
        ),
        KeyFunctionNotPermitted
    );
}

#[test]
fn import_ec_p256_keys() {
    let (_slot, s) = user_token("ec-import");
    let q = unhex(P256_Q);
    let pk = s
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(KeyType::EC),
            Attribute::EcParams(P256_OID.to_vec()),
            Attribute::EcPoint(der_octet_string(&q)),
            Attribute::Verify(true),
        ])
        .expect("import EC public key");
    let sk = s
        .create_object(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(KeyType::EC),
            Attribute::EcParams(P256_OID.to_vec()),
            Attribute::Value(unhex(P256_D)),
            Attribute::Sign(true),
            Attribute::Sensitive(true),
        ])
        .expect("import EC private key");
    assert_eq!(ec_point(&s, pk), q);
    assert_eq!(get_bytes(&s, sk, AttributeType::EcParams), P256_OID);
    assert_ckr!(
        raw_attr_len(&s, sk, AttributeType::Value).0,
        CKR_ATTRIBUTE_SENSITIVE
    );
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"imported");
    let sig = s
        .sign(&Mechanism::Ecdsa, sk, digest.as_ref())
        .expect("sign with imported EC key");
    s.verify(&Mechanism::Ecdsa, pk, digest.as_ref(), &sig)
        .expect("verify with imported EC key");
    aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED, &q)
        .verify(b"imported", &sig)
        .expect("aws-lc-rs verifies the signature of the imported key");
}
