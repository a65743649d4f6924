//! Ed25519: generation (both CKA_EC_PARAMS forms), signatures checked with
//! aws-lc-rs, RFC 8032 section 7.1 tests 1 and 2 through imported keys.

use crate::util::*;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};

fn eddsa() -> Mechanism<'static> {
    Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure))
}

fn gen_ed25519(s: &Session, params: &[u8]) -> cryptoki::error::Result<(ObjectHandle, ObjectHandle)> {
    s.generate_key_pair(
        &Mechanism::EccEdwardsKeyPairGen,
        &[Attribute::EcParams(params.to_vec()), Attribute::Verify(true)],
        &[Attribute::Sign(true), Attribute::Private(true)],
    )
}

fn sign_and_check(s: &Session, pk: ObjectHandle, sk: ObjectHandle) {
    assert_eq!(get_ulong(s, pk, AttributeType::KeyType), CKK_EC_EDWARDS);
    assert_eq!(get_ulong(s, sk, AttributeType::KeyType), CKK_EC_EDWARDS);
    let point = ec_point(s, pk);
    assert_eq!(point.len(), 32, "Ed25519 public key length");
    for msg in [&b""[..], b"ed25519 conformance", &[0xa5u8; 1000][..]] {
        let signature = s.sign(&eddsa(), sk, msg).expect("CKM_EDDSA sign");
        assert_eq!(signature.len(), 64);
        s.verify(&eddsa(), pk, msg, &signature).expect("CKM_EDDSA verify");
        aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, &point)
            .verify(msg, &signature)
            .expect("aws-lc-rs verifies the Ed25519 signature");
        // Ed25519 is deterministic.
        assert_eq!(s.sign(&eddsa(), sk, msg).unwrap(), signature);
        let mut bad = signature.clone();
        bad[0] ^= 1;
        assert_rv!(s.verify(&eddsa(), pk, msg, &bad), SignatureInvalid);
    }
}

#[test]
fn generate_with_oid_and_sign() {
    let (_slot, s) = user_token("ed-oid");
    let (pk, sk) = gen_ed25519(&s, ED25519_OID).expect("Ed25519 key pair (OID params)");
    assert_eq!(
        get_ulong(&s, sk, AttributeType::KeyGenMechanism),
        CKM_EC_EDWARDS_KEY_PAIR_GEN
    );
    sign_and_check(&s, pk, sk);
}

#[test]
fn generate_with_curve_name_and_sign() {
    let (_slot, s) = user_token("ed-name");
    let res = gen_ed25519(&s, ED25519_NAME);
    if res.is_err() && diverges("CKA_EC_PARAMS as the PrintableString \"edwards25519\" is not accepted") {
        return;
    }
    let (pk, sk) = res.expect("Ed25519 key pair (curve name params)");
    sign_and_check(&s, pk, sk);
}

/// (secret seed, public key, message, signature) from RFC 8032 section 7.1.
const RFC8032: [(&str, &str, &str, &str); 2] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
         5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
         085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
];

#[test]
fn rfc8032_known_answers_via_import() {
    let (_slot, s) = user_token("ed-rfc8032");
    for (seed, public, msg, want) in RFC8032 {
        let seed = hex::decode(seed).unwrap();
        let public = hex::decode(public).unwrap();
        let msg = hex::decode(msg).unwrap();
        let sk = s
            .create_object(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::KeyType(KeyType::EC_EDWARDS),
                Attribute::EcParams(ED25519_OID.to_vec()),
                Attribute::Value(seed),
                Attribute::Sign(true),
            ])
            .expect("import Ed25519 private key");
        let pk = s
            .create_object(&[
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::KeyType(KeyType::EC_EDWARDS),
                Attribute::EcParams(ED25519_OID.to_vec()),
                Attribute::EcPoint(der_octet_string(&public)),
                Attribute::Verify(true),
            ])
            .expect("import Ed25519 public key");
        let signature = s.sign(&eddsa(), sk, &msg).expect("sign with imported key");
        assert_eq!(hex::encode(&signature), want, "RFC 8032 signature");
        s.verify(&eddsa(), pk, &msg, &signature)
            .expect("verify with imported public key");
    }
}
