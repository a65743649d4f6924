//! RSA: generation, PKCS#1 v1.5 and PSS signatures (checked with aws-lc-rs),
//! raw CKM_RSA_PKCS, OAEP and v1.5 encryption, imported fixed key.

use crate::fixtures::*;
use crate::util::*;
use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature as sig;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};

const MSG: &[u8] = b"PKCS#11 conformance: the quick brown fox";

fn components(s: &Session, pk: ObjectHandle) -> PublicKeyComponents<Vec<u8>> {
    PublicKeyComponents {
        n: get_bytes(s, pk, AttributeType::Modulus),
        e: get_bytes(s, pk, AttributeType::PublicExponent),
    }
}

fn sha(name: &str, data: &[u8]) -> Vec<u8> {
    use aws_lc_rs::digest::*;
    let alg = match name {
        "sha1" => &SHA1_FOR_LEGACY_USE_ONLY,
        "sha224" => &SHA224,
        "sha256" => &SHA256,
        "sha384" => &SHA384,
        _ => &SHA512,
    };
    digest(alg, data).as_ref().to_vec()
}

/// DER DigestInfo prefixes (RFC 8017 section 9.2 note 1).
fn digest_info(name: &str, data: &[u8]) -> Vec<u8> {
    let prefix = match name {
        "sha1" => "3021300906052b0e03021a05000414",
        "sha224" => "302d300d06096086480165030402040500041c",
        "sha256" => "3031300d060960864801650304020105000420",
        "sha384" => "3041300d060960864801650304020205000430",
        _ => "3051300d060960864801650304020305000440",
    };
    let mut v = hex::decode(prefix).unwrap();
    v.extend(sha(name, data));
    v
}

#[test]
fn pkcs1_v15_hash_signatures() {
    let (_slot, s) = user_token("rsa-pkcs1");
    let (pk, sk) = gen_rsa(&s, 2048, &[], &[]);
    let pubc = components(&s, pk);
    let cases: [(Mechanism, &str, Option<&'static sig::RsaParameters>); 5] = [
        (
            Mechanism::Sha1RsaPkcs,
            "sha1",
            Some(&sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY),
        ),
        (Mechanism::Sha224RsaPkcs, "sha224", None),
        (
            Mechanism::Sha256RsaPkcs,
            "sha256",
            Some(&sig::RSA_PKCS1_2048_8192_SHA256),
        ),
        (
            Mechanism::Sha384RsaPkcs,
            "sha384",
            Some(&sig::RSA_PKCS1_2048_8192_SHA384),
        ),
        (
            Mechanism::Sha512RsaPkcs,
            "sha512",
            Some(&sig::RSA_PKCS1_2048_8192_SHA512),
        ),
    ];
    for (m, hash, alg) in cases {
        let signature = s.sign(&m, sk, MSG).unwrap_or_else(|e| panic!("{m:?}: {e}"));
        assert_eq!(signature.len(), 256);
        s.verify(&m, pk, MSG, &signature)
            .unwrap_or_else(|e| panic!("verify {m:?}: {e}"));
        if let Some(alg) = alg {
            pubc.verify(alg, MSG, &signature)
                .unwrap_or_else(|_| panic!("aws-lc-rs rejects the {m:?} signature"));
        }
        // Same as raw CKM_RSA_PKCS over the DigestInfo (deterministic).
        let raw = s.sign(&Mechanism::RsaPkcs, sk, &digest_info(hash, MSG)).unwrap();
        assert_eq!(raw, signature, "{m:?} vs CKM_RSA_PKCS(DigestInfo)");
        // Multi-part.
        s.sign_init(&m, sk).unwrap();
        s.sign_update(&MSG[..5]).unwrap();
        s.sign_update(&MSG[5..]).unwrap();
        assert_eq!(s.sign_final().unwrap(), signature, "{m:?} multi-part");
        let mut bad = signature.clone();
        bad[100] ^= 1;
        assert_rv!(s.verify(&m, pk, MSG, &bad), SignatureInvalid);
        assert_rv!(s.verify(&m, pk, b"other message", &signature), SignatureInvalid);
    }
    assert_rv!(
        s.verify(&Mechanism::Sha256RsaPkcs, pk, MSG, &[0u8; 255]),
        SignatureLenRange
    );
}

#[test]
fn raw_pkcs_over_sha256_digest_info() {
    let (_slot, s) = user_token("rsa-raw");
    let (pk, sk) = gen_rsa(&s, 2048, &[], &[]);
    let signature = s
        .sign(&Mechanism::RsaPkcs, sk, &digest_info("sha256", MSG))
        .expect("CKM_RSA_PKCS sign");
    components(&s, pk)
        .verify(&sig::RSA_PKCS1_2048_8192_SHA256, MSG, &signature)
        .expect("aws-lc-rs verifies the raw CKM_RSA_PKCS signature");
    s.verify(&Mechanism::RsaPkcs, pk, &digest_info("sha256", MSG), &signature)
        .expect("CKM_RSA_PKCS verify");
    // Input longer than k - 11 bytes.
    expect_rv(
        s.sign(&Mechanism::RsaPkcs, sk, &[1u8; 246]),
        cryptoki::error::RvError::DataLenRange,
        cryptoki::error::RvError::GeneralError,
        "CKM_RSA_PKCS sign of more than k-11 bytes",
    );
}

#[test]
fn pss_signatures() {
    let (_slot, s) = user_token("rsa-pss");
    let (pk, sk) = gen_rsa(&s, 2048, &[], &[]);
    let pubc = components(&s, pk);
    let cases: [(CK_MECHANISM_TYPE, CK_MECHANISM_TYPE, CK_ULONG, &str, usize); 4] = [
        (CKM_SHA224_RSA_PKCS_PSS, CKM_SHA224, CKG_MGF1_SHA224, "sha224", 28),
        (CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, "sha256", 32),
        (CKM_SHA384_RSA_PKCS_PSS, CKM_SHA384, CKG_MGF1_SHA384, "sha384", 48),
        (CKM_SHA512_RSA_PKCS_PSS, CKM_SHA512, CKG_MGF1_SHA512, "sha512", 64),
    ];
    for (m, hash_alg, mgf, hash, hlen) in cases {
        let mut params = CK_RSA_PKCS_PSS_PARAMS {
            hashAlg: hash_alg,
            mgf,
            sLen: hlen as CK_ULONG,
        };
        let signature = raw_sign(&s, &mut raw_mech(m, Some(&mut params)), sk, MSG)
            .unwrap_or_else(|rv| panic!("PSS 0x{m:x}: {}", rv_name(rv)));
        assert_eq!(signature.len(), 256);
        assert_ckr!(
            raw_verify(&s, &mut raw_mech(m, Some(&mut params)), pk, MSG, &signature),
            CKR_OK
        );
        let alg = match hash {
            "sha256" => Some(&sig::RSA_PSS_2048_8192_SHA256),
            "sha384" => Some(&sig::RSA_PSS_2048_8192_SHA384),
            "sha512" => Some(&sig::RSA_PSS_2048_8192_SHA512),
            _ => None,
        };
        if let Some(alg) = alg {
            pubc.verify(alg, MSG, &signature)
                .unwrap_or_else(|_| panic!("aws-lc-rs rejects the PSS 0x{m:x} signature"));
        }
        // The salt is random: two signatures differ.
        let again = raw_sign(&s, &mut raw_mech(m, Some(&mut params)), sk, MSG).unwrap();
        assert_ne!(again, signature, "PSS 0x{m:x} signatures must be randomised");
        // The digest-only mechanism over the same hash verifies it too.
        let digest = sha(hash, MSG);
        assert_ckr!(
            raw_verify(
                &s,
                &mut raw_mech(CKM_RSA_PKCS_PSS, Some(&mut params)),
                pk,
                &digest,
                &signature
            ),
            CKR_OK
        );
        let mut bad = signature.clone();
        bad[7] ^= 0x80;
        assert_ckr!(
            raw_verify(&s, &mut raw_mech(m, Some(&mut params)), pk, MSG, &bad),
            CKR_SIGNATURE_INVALID
        );
    }
    // CKM_RSA_PKCS_PSS over a SHA-256 digest, checked with aws-lc-rs.
    let mut params = CK_RSA_PKCS_PSS_PARAMS {
        hashAlg: CKM_SHA256,
        mgf: CKG_MGF1_SHA256,
        sLen: 32,
    };
    let signature = raw_sign(
        &s,
        &mut raw_mech(CKM_RSA_PKCS_PSS, Some(&mut params)),
        sk,
        &sha("sha256", MSG),
    )
    .expect("CKM_RSA_PKCS_PSS");
    pubc.verify(&sig::RSA_PSS_2048_8192_SHA256, MSG, &signature)
        .expect("aws-lc-rs verifies CKM_RSA_PKCS_PSS");
    // A digest of the wrong length for hashAlg.
    assert!(raw_sign(
        &s,
        &mut raw_mech(CKM_RSA_PKCS_PSS, Some(&mut params)),
        sk,
        &[0u8; 20]
    )
    .is_err());
    // Missing parameters.
    let rv = p11!(C_SignInit(
        s.handle(),
        &mut raw_mech::<u8>(CKM_SHA256_RSA_PKCS_PSS, None),
        sk.handle()
    ));
    expect_ckr(
        rv,
        CKR_MECHANISM_PARAM_INVALID,
        CKR_ARGUMENTS_BAD,
        "CKM_SHA256_RSA_PKCS_PSS without parameters",
    );
}

fn oaep(hash: MechanismType, mgf: PkcsMgfType) -> Mechanism<'static> {
    Mechanism::RsaPkcsOaep(PkcsOaepParams::new(hash, mgf, PkcsOaepSource::empty()))
}

#[test]
fn oaep_sha1_round_trip() {
    let (_slot, s) = user_token("rsa-oaep1");
    let (pk, sk) = gen_rsa(&s, 2048, &[], &[]);
    let m = oaep(MechanismType::SHA1, PkcsMgfType::MGF1_SHA1);
    let ct = s.encrypt(&m, pk, MSG).expect("OAEP SHA-1 encrypt");
    assert_eq!(ct.len(), 256);
    assert_eq!(s.decrypt(&m, sk, &ct).expect("OAEP SHA-1 decrypt"), MSG);
    assert_ne!(s.encrypt(&m, pk, MSG).unwrap(), ct, "OAEP is randomised");
    // Encrypted by aws-lc-rs, decrypted by the token.
    let key: aws_lc_rs::rsa::PublicEncryptingKey = components(&s, pk).try_into().unwrap();
    let key = aws_lc_rs::rsa::OaepPublicEncryptingKey::new(key).unwrap();
    let mut out = vec![0u8; 256];
    let ct2 = key
        .encrypt(&aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1, MSG, &mut out, None)
        .unwrap();
    assert_eq!(s.decrypt(&m, sk, ct2).unwrap(), MSG);
    // Longest message: k - 2*hLen - 2 = 214 bytes.
    s.encrypt(&m, pk, &[7u8; 214]).expect("214-byte OAEP message");
    expect_rv(
        s.encrypt(&m, pk, &[7u8; 215]),
        cryptoki::error::RvError::DataLenRange,
        cryptoki::error::RvError::GeneralError,
        "OAEP encrypt of more than k-2hLen-2 bytes",
    );
    let mut bad = ct.clone();
    bad[0] ^= 1;
    assert!(
        s.decrypt(&m, sk, &bad).is_err(),
        "corrupted OAEP ciphertext decrypts"
    );
}

#[test]
fn oaep_sha256_round_trip() {
    let (_slot, s) = user_token("rsa-oaep256");
    let (pk, sk) = gen_rsa(&s, 2048, &[], &[]);
    let m = oaep(MechanismType::SHA256, PkcsMgfType::MGF1_SHA256);
    let res = s.encrypt(&m, pk, MSG);
    if res.is_err() && diverges("CKM_RSA_PKCS_OAEP supports SHA-1 only") {
        return;
    }
    let ct = res.expect("OAEP SHA-256 encrypt");
    assert_eq!(s.decrypt(&m, sk, &ct).expect("OAEP SHA-256 decrypt"), MSG);
    let key: aws_lc_rs::rsa::PublicEncryptingKey = components(&s, pk).try_into().unwrap();
    let key = aws_lc_rs::rsa::OaepPublicEncryptingKey::new(key).unwrap();
    let mut out = vec![0u8; 256];
    let ct2 = key
        .encrypt(&aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256, MSG, &mut out, None)
        .unwrap();
    assert_eq!(s.decrypt(&m, sk, ct2).unwrap(), MSG);
    s.encrypt(&m, pk, &[7u8; 190])
        .expect("190-byte OAEP-SHA256 message");
    assert_rv!(s.encrypt(&m, pk, &[7u8; 191]), DataLenRange);
}

#[test]
fn pkcs1_v15_encrypt_decrypt() {
    let (_slot, s) = user_token("rsa-v15enc");
    let (pk, sk) = gen_rsa(&s, 2048, &[], &[]);
    let ct = s.encrypt(&Mechanism::RsaPkcs, pk, MSG).expect("RSA_PKCS encrypt");
    assert_eq!(ct.len(), 256);
    assert_eq!(s.decrypt(&Mechanism::RsaPkcs, sk, &ct).unwrap(), MSG);
    let key: aws_lc_rs::rsa::PublicEncryptingKey = components(&s, pk).try_into().unwrap();
    let key = aws_lc_rs::rsa::Pkcs1PublicEncryptingKey::new(key).unwrap();
    let mut out = vec![0u8; 256];
    let ct2 = key.encrypt(MSG, &mut out).unwrap();
    assert_eq!(s.decrypt(&Mechanism::RsaPkcs, sk, ct2).unwrap(), MSG);
    s.encrypt(&Mechanism::RsaPkcs, pk, &[1u8; 245])
        .expect("245-byte message");
    expect_rv(
        s.encrypt(&Mechanism::RsaPkcs, pk, &[1u8; 246]),
        cryptoki::error::RvError::DataLenRange,
        cryptoki::error::RvError::GeneralError,
        "CKM_RSA_PKCS encrypt of more than k-11 bytes",
    );
    // Wrong ciphertext length.
    expect_rv(
        s.decrypt(&Mechanism::RsaPkcs, sk, &ct[1..]),
        cryptoki::error::RvError::EncryptedDataLenRange,
        cryptoki::error::RvError::GeneralError,
        "CKM_RSA_PKCS decrypt of a 255-byte ciphertext",
    );
}

#[test]
fn imported_key_signature_matches_reference() {
    let (_slot, s) = user_token("rsa-import");
    let sk = s
        .create_object(&rsa_private_template(true))
        .expect("import the fixed RSA key");
    let mine = s.sign(&Mechanism::Sha256RsaPkcs, sk, MSG).unwrap();
    let kp = aws_lc_rs::rsa::KeyPair::from_pkcs8(&unhex(RSA_PKCS8)).unwrap();
    let mut theirs = vec![0u8; kp.public_modulus_len()];
    kp.sign(
        &sig::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        MSG,
        &mut theirs,
    )
    .unwrap();
    assert_eq!(
        hex::encode(mine),
        hex::encode(theirs),
        "deterministic PKCS#1 v1.5"
    );
    // Decrypt what aws-lc-rs encrypted for that key.
    let key: aws_lc_rs::rsa::PublicEncryptingKey = PublicKeyComponents {
        n: unhex(RSA_N),
        e: unhex(RSA_E),
    }
    .try_into()
    .unwrap();
    let key = aws_lc_rs::rsa::OaepPublicEncryptingKey::new(key).unwrap();
    let mut out = vec![0u8; 256];
    let ct = key
        .encrypt(&aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1, MSG, &mut out, None)
        .unwrap();
    let m = oaep(MechanismType::SHA1, PkcsMgfType::MGF1_SHA1);
    assert_eq!(s.decrypt(&m, sk, ct).unwrap(), MSG);
}

#[test]
fn key_usage_is_enforced() {
    let (_slot, s) = user_token("rsa-usage");
    let (pk, sk) = gen_rsa(
        &s,
        2048,
        &[Attribute::Encrypt(false), Attribute::Verify(true)],
        &[Attribute::Sign(false), Attribute::Decrypt(true)],
    );
    assert_rv!(
        s.sign(&Mechanism::Sha256RsaPkcs, sk, MSG),
        KeyFunctionNotPermitted
    );
    assert_rv!(s.encrypt(&Mechanism::RsaPkcs, pk, MSG), KeyFunctionNotPermitted);
    // A public key can't sign, a private key can't verify... as a type mismatch.
    assert!(s.sign(&Mechanism::Sha256RsaPkcs, pk, MSG).is_err());
    // Key generation with a too small modulus is refused.
    assert!(s
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[Attribute::ModulusBits(256.into())],
            &[]
        )
        .is_err());
}

#[test]
fn import_rsa_key_pair_from_components() {
    let (_slot, s) = user_token("rsa-import-parts");
    let n = unhex(RSA_N);
    let pk = s
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(KeyType::RSA),
            Attribute::Modulus(n.clone()),
            Attribute::PublicExponent(unhex(RSA_E)),
            Attribute::Verify(true),
        ])
        .expect("import RSA public key");
    let sk = s
        .create_object(&rsa_private_template(true))
        .expect("import RSA private key");
    assert_eq!(get_ulong(&s, pk, AttributeType::ModulusBits), 2048);
    assert_eq!(get_bytes(&s, sk, AttributeType::Modulus), n);
    assert!(!get_bool(&s, sk, AttributeType::Local));
    let (rv, len) = raw_attr_len(&s, sk, AttributeType::PrivateExponent);
    assert_ckr!(rv, CKR_ATTRIBUTE_SENSITIVE);
    assert_eq!(len, CK_UNAVAILABLE_INFORMATION);
    // Missing modulus.
    assert_rv!(
        s.create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(KeyType::RSA),
            Attribute::PublicExponent(unhex(RSA_E)),
        ]),
        TemplateIncomplete
    );
}
