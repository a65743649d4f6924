//! Raw RSA (CKM_RSA_X_509) and more PSS (CKM_SHA1_RSA_PKCS_PSS, CKM_RSA_PKCS_PSS
//! over a caller digest, parameter checks) on the fixed key of `fixtures.rs`.
//!
//! Independent checks: aws-lc-rs (PKCS#1 v1.5 signing with the same key, PSS
//! verification) and a small RSA public operation written here (`s^e mod n`,
//! schoolbook arithmetic) followed by EMSA-PSS-VERIFY (RFC 8017 9.1.2) with
//! aws-lc-rs digests.

use crate::fixtures::*;
use crate::util::*;
use aws_lc_rs::digest::{self, Algorithm, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature as sig;

const MSG: &[u8] = b"PKCS#11 conformance: raw RSA and PSS";
/// Modulus length of the fixed key in bytes (k).
const K: usize = 256;

// ---- a minimal, independent RSA public operation -------------------------

/// Big-endian bytes to little-endian 32-bit limbs.
fn limbs(b: &[u8]) -> Vec<u32> {
    b.rchunks(4)
        .map(|c| c.iter().fold(0u32, |x, &y| (x << 8) | y as u32))
        .collect()
}

/// Little-endian limbs to `len` big-endian bytes (the value must fit).
fn to_be(l: &[u32], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for (i, limb) in l.iter().enumerate() {
        for j in 0..4 {
            let byte = (limb >> (8 * j)) as u8;
            let pos = i * 4 + j;
            if pos < len {
                out[len - 1 - pos] = byte;
            } else {
                assert_eq!(byte, 0, "value does not fit in {len} bytes");
            }
        }
    }
    out
}

fn mul(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut r = vec![0u32; a.len() + b.len()];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &y) in b.iter().enumerate() {
            let t = r[i + j] as u64 + x as u64 * y as u64 + carry;
            r[i + j] = t as u32;
            carry = t >> 32;
        }
        r[i + b.len()] = carry as u32;
    }
    r
}

/// `x mod n` by binary long division (`n` non-zero).
fn rem(x: &[u32], n: &[u32]) -> Vec<u32> {
    let mut r = vec![0u32; n.len() + 1];
    for bit in (0..x.len() * 32).rev() {
        // r = 2r + bit
        let mut carry = (x[bit / 32] >> (bit % 32)) & 1;
        for limb in r.iter_mut() {
            let next = *limb >> 31;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        // if r >= n { r -= n }
        let ge = (0..r.len())
            .rev()
            .map(|i| (r[i], n.get(i).copied().unwrap_or(0)))
            .find(|(a, b)| a != b)
            .map_or(true, |(a, b)| a > b);
        if ge {
            let mut borrow = 0i64;
            for (i, limb) in r.iter_mut().enumerate() {
                let t = *limb as i64 - n.get(i).copied().unwrap_or(0) as i64 - borrow;
                *limb = t as u32;
                borrow = (t < 0) as i64;
            }
        }
    }
    r.truncate(n.len());
    r
}

/// `base^exp mod n` on big-endian byte strings; the result has the length of `n`.
fn modpow(base: &[u8], exp: &[u8], n: &[u8]) -> Vec<u8> {
    let n = limbs(n);
    let b = rem(&limbs(base), &n);
    let mut acc = rem(&[1], &n);
    for byte in exp {
        for i in (0..8).rev() {
            acc = rem(&mul(&acc, &acc), &n);
            if (byte >> i) & 1 == 1 {
                acc = rem(&mul(&acc, &b), &n);
            }
        }
    }
    to_be(&acc, K)
}

/// The RSA public operation of the fixed key: `s^e mod n`, k bytes.
fn rsa_public(s: &[u8]) -> Vec<u8> {
    modpow(s, &unhex(RSA_E), &unhex(RSA_N))
}

// ---- encodings --------------------------------------------------------------

fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&SHA256, data).as_ref().to_vec()
}

/// EMSA-PKCS1-v1_5 encoding of SHA-256(`msg`) for a k-byte modulus.
fn emsa_pkcs1_sha256(msg: &[u8]) -> Vec<u8> {
    let mut t = hex::decode("3031300d060960864801650304020105000420").unwrap();
    t.extend(sha256(msg));
    let mut em = vec![0x00, 0x01];
    em.resize(K - t.len() - 1, 0xff);
    em.push(0x00);
    em.extend(t);
    em
}

fn mgf1(alg: &'static Algorithm, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut counter = 0u32;
    while out.len() < len {
        let mut ctx = digest::Context::new(alg);
        ctx.update(seed);
        ctx.update(&counter.to_be_bytes());
        out.extend_from_slice(ctx.finish().as_ref());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// EMSA-PSS-VERIFY (RFC 8017 9.1.2) of `em` for a 2048-bit modulus
/// (emBits = 2047, emLen = 256), MGF1 with the message hash.
fn emsa_pss_verify(alg: &'static Algorithm, m_hash: &[u8], em: &[u8], s_len: usize) -> Result<(), String> {
    let h_len = alg.output_len();
    if em.len() != K || em[K - 1] != 0xbc {
        return Err("no 0xbc trailer".into());
    }
    let (masked_db, h) = em[..K - 1].split_at(K - h_len - 1);
    if masked_db[0] & 0x80 != 0 {
        return Err("leftmost bit of maskedDB set".into());
    }
    let mut db: Vec<u8> = masked_db
        .iter()
        .zip(mgf1(alg, h, masked_db.len()))
        .map(|(a, b)| a ^ b)
        .collect();
    db[0] &= 0x7f;
    let ps_len = K - h_len - s_len - 2;
    if db[..ps_len].iter().any(|&b| b != 0) || db[ps_len] != 0x01 {
        return Err(format!("bad PS || 0x01 for a salt of {s_len} bytes"));
    }
    let salt = &db[ps_len + 1..];
    let mut ctx = digest::Context::new(alg);
    ctx.update(&[0u8; 8]);
    ctx.update(m_hash);
    ctx.update(salt);
    if ctx.finish().as_ref() != h {
        return Err("H != Hash(M')".into());
    }
    Ok(())
}

// ---- keys -------------------------------------------------------------------

/// The fixed key pair, imported as session objects.
fn fixed_keys(s: &Session) -> (ObjectHandle, ObjectHandle) {
    let pk = s
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(KeyType::RSA),
            Attribute::Modulus(unhex(RSA_N)),
            Attribute::PublicExponent(unhex(RSA_E)),
            Attribute::Encrypt(true),
            Attribute::Verify(true),
        ])
        .expect("import the fixed RSA public key");
    let sk = s
        .create_object(&rsa_private_template(true))
        .expect("import the fixed RSA private key");
    (pk, sk)
}

fn pubc() -> PublicKeyComponents<Vec<u8>> {
    PublicKeyComponents {
        n: unhex(RSA_N),
        e: unhex(RSA_E),
    }
}

fn left_pad(v: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; K - v.len()];
    out.extend_from_slice(v);
    out
}

#[test]
fn public_operation_helper_matches_aws_lc() {
    // The helper itself, checked without the module: aws-lc-rs' PKCS#1 v1.5
    // signature raised to e gives back the encoded message.
    let kp = aws_lc_rs::rsa::KeyPair::from_pkcs8(&unhex(RSA_PKCS8)).unwrap();
    let mut signature = vec![0u8; kp.public_modulus_len()];
    kp.sign(
        &sig::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        MSG,
        &mut signature,
    )
    .unwrap();
    assert_eq!(
        hex::encode(rsa_public(&signature)),
        hex::encode(emsa_pkcs1_sha256(MSG))
    );
}

#[test]
fn x509_encrypt_decrypt() {
    let (_slot, s) = user_token("rsa-x509-enc");
    let (pk, sk) = fixed_keys(&s);
    let m = b"raw RSA: twenty byte";
    let ct = s
        .encrypt(&Mechanism::RsaX509, pk, m)
        .expect("CKM_RSA_X_509 encrypt");
    assert_eq!(ct.len(), K, "ciphertext is k bytes");
    assert_eq!(
        hex::encode(&ct),
        hex::encode(rsa_public(m)),
        "CKM_RSA_X_509 encrypt is m^e mod n"
    );
    let back = s
        .decrypt(&Mechanism::RsaX509, sk, &ct)
        .expect("CKM_RSA_X_509 decrypt");
    assert_eq!(
        hex::encode(&back),
        hex::encode(left_pad(m)),
        "raw decrypt gives the input left-padded with zeros to k bytes"
    );
    // A full-width input below n comes back unchanged.
    let mut full = vec![0x5au8; K];
    full[0] = 0x01;
    let ct = s.encrypt(&Mechanism::RsaX509, pk, &full).unwrap();
    assert_eq!(ct, rsa_public(&full));
    assert_eq!(s.decrypt(&Mechanism::RsaX509, sk, &ct).unwrap(), full);
    // k bytes, but not below the modulus.
    let rv = rv_of(s.encrypt(&Mechanism::RsaX509, pk, &[0xffu8; K]));
    let general = rv == cryptoki::error::RvError::GeneralError;
    assert!(
        (general && diverges("CKM_RSA_X_509 encrypt of a value >= n returns CKR_GENERAL_ERROR"))
            || matches!(
                rv,
                cryptoki::error::RvError::DataInvalid | cryptoki::error::RvError::DataLenRange
            ),
        "CKM_RSA_X_509 encrypt of a value >= n: {rv:?}"
    );
    // Longer than the modulus (SoftHSMv2 calls exit(5) there: not even tried).
    if !diverges("C_Encrypt(CKM_RSA_X_509) of k+1 bytes ends the calling process (exit status 5)") {
        assert_rv!(s.encrypt(&Mechanism::RsaX509, pk, &[1u8; K + 1]), DataLenRange);
    }
    expect_rv(
        s.decrypt(&Mechanism::RsaX509, sk, &ct[1..]),
        cryptoki::error::RvError::EncryptedDataLenRange,
        cryptoki::error::RvError::GeneralError,
        "CKM_RSA_X_509 decrypt of a k-1 byte ciphertext",
    );
}

#[test]
fn x509_sign_verify_matches_pkcs1() {
    let (_slot, s) = user_token("rsa-x509-sig");
    let (pk, sk) = fixed_keys(&s);
    let em = emsa_pkcs1_sha256(MSG);
    let raw = s.sign(&Mechanism::RsaX509, sk, &em).expect("CKM_RSA_X_509 sign");
    assert_eq!(raw.len(), K);
    // m^d mod n is deterministic: it is the PKCS#1 v1.5 signature of MSG.
    let pkcs = s.sign(&Mechanism::Sha256RsaPkcs, sk, MSG).unwrap();
    assert_eq!(
        hex::encode(&raw),
        hex::encode(&pkcs),
        "raw sign of the padded DigestInfo vs CKM_SHA256_RSA_PKCS"
    );
    pubc()
        .verify(&sig::RSA_PKCS1_2048_8192_SHA256, MSG, &raw)
        .expect("aws-lc-rs verifies the raw signature as PKCS#1 v1.5 SHA-256");
    assert_eq!(rsa_public(&raw), em, "raw signature^e mod n");
    s.verify(&Mechanism::RsaX509, pk, &em, &raw)
        .expect("CKM_RSA_X_509 verify");
    let mut bad = raw.clone();
    bad[K - 1] ^= 0x01;
    assert_rv!(s.verify(&Mechanism::RsaX509, pk, &em, &bad), SignatureInvalid);
    let mut other = em.clone();
    other[K - 1] ^= 0x01;
    assert_rv!(s.verify(&Mechanism::RsaX509, pk, &other, &raw), SignatureInvalid);

    // A short value is left-padded with zeros: (0..0 || v)^d mod n.
    let v = sha256(b"short raw value");
    let sv = s.sign(&Mechanism::RsaX509, sk, &v).expect("raw sign of 32 bytes");
    assert_eq!(sv.len(), K);
    assert_eq!(rsa_public(&sv), left_pad(&v), "short value signature^e mod n");
    s.verify(&Mechanism::RsaX509, pk, &v, &sv)
        .expect("CKM_RSA_X_509 verify of the short value");
    let mut bad = sv.clone();
    bad[100] ^= 0x40;
    assert_rv!(s.verify(&Mechanism::RsaX509, pk, &v, &bad), SignatureInvalid);
    // A signature that is not k bytes long.
    assert_rv!(s.verify(&Mechanism::RsaX509, pk, &v, &sv[1..]), SignatureLenRange);
    if !diverges("C_Sign(CKM_RSA_X_509) of k+1 bytes ends the calling process (exit status 5)") {
        assert_rv!(s.sign(&Mechanism::RsaX509, sk, &[1u8; K + 1]), DataLenRange);
    }
}

fn pss(hash_alg: CK_MECHANISM_TYPE, mgf: CK_ULONG, s_len: CK_ULONG) -> CK_RSA_PKCS_PSS_PARAMS {
    CK_RSA_PKCS_PSS_PARAMS {
        hashAlg: hash_alg,
        mgf,
        sLen: s_len,
    }
}

#[test]
fn sha1_pss_independently_verified() {
    let (_slot, s) = user_token("rsa-pss-sha1");
    let (pk, sk) = fixed_keys(&s);
    let mut params = pss(CKM_SHA_1, CKG_MGF1_SHA1, 20);
    let signature = raw_sign(
        &s,
        &mut raw_mech(CKM_SHA1_RSA_PKCS_PSS, Some(&mut params)),
        sk,
        MSG,
    )
    .unwrap_or_else(|rv| panic!("CKM_SHA1_RSA_PKCS_PSS sign: {}", rv_name(rv)));
    assert_eq!(signature.len(), K);
    let m_hash = digest::digest(&SHA1_FOR_LEGACY_USE_ONLY, MSG);
    emsa_pss_verify(
        &SHA1_FOR_LEGACY_USE_ONLY,
        m_hash.as_ref(),
        &rsa_public(&signature),
        20,
    )
    .unwrap_or_else(|e| panic!("SHA-1 PSS signature does not decode (RFC 8017 9.1.2): {e}"));
    assert_ckr!(
        raw_verify(
            &s,
            &mut raw_mech(CKM_SHA1_RSA_PKCS_PSS, Some(&mut params)),
            pk,
            MSG,
            &signature
        ),
        CKR_OK
    );
    // The digest-only mechanism accepts it over the SHA-1 digest.
    assert_ckr!(
        raw_verify(
            &s,
            &mut raw_mech(CKM_RSA_PKCS_PSS, Some(&mut params)),
            pk,
            m_hash.as_ref(),
            &signature
        ),
        CKR_OK
    );
    let mut bad = signature.clone();
    bad[K - 1] ^= 0x02;
    assert_ckr!(
        raw_verify(
            &s,
            &mut raw_mech(CKM_SHA1_RSA_PKCS_PSS, Some(&mut params)),
            pk,
            MSG,
            &bad
        ),
        CKR_SIGNATURE_INVALID
    );
    assert_ckr!(
        raw_verify(
            &s,
            &mut raw_mech(CKM_SHA1_RSA_PKCS_PSS, Some(&mut params)),
            pk,
            b"another message",
            &signature
        ),
        CKR_SIGNATURE_INVALID
    );
}

#[test]
fn raw_pss_over_sha256_digest() {
    let (_slot, s) = user_token("rsa-pss-raw");
    let (pk, sk) = fixed_keys(&s);
    let mut params = pss(CKM_SHA256, CKG_MGF1_SHA256, 32);
    let m_hash = sha256(MSG);
    let signature = raw_sign(
        &s,
        &mut raw_mech(CKM_RSA_PKCS_PSS, Some(&mut params)),
        sk,
        &m_hash,
    )
    .unwrap_or_else(|rv| panic!("CKM_RSA_PKCS_PSS sign: {}", rv_name(rv)));
    assert_eq!(signature.len(), K);
    pubc()
        .verify(&sig::RSA_PSS_2048_8192_SHA256, MSG, &signature)
        .expect("aws-lc-rs (RSA_PSS_2048_8192_SHA256) verifies the message");
    emsa_pss_verify(&SHA256, &m_hash, &rsa_public(&signature), 32)
        .unwrap_or_else(|e| panic!("PSS encoding (salt 32): {e}"));
    assert_ckr!(
        raw_verify(
            &s,
            &mut raw_mech(CKM_RSA_PKCS_PSS, Some(&mut params)),
            pk,
            &m_hash,
            &signature
        ),
        CKR_OK
    );
    assert_ckr!(
        raw_verify(
            &s,
            &mut raw_mech(CKM_SHA256_RSA_PKCS_PSS, Some(&mut params)),
            pk,
            MSG,
            &signature
        ),
        CKR_OK
    );
    let mut other = m_hash.clone();
    other[0] ^= 1;
    assert_ckr!(
        raw_verify(
            &s,
            &mut raw_mech(CKM_RSA_PKCS_PSS, Some(&mut params)),
            pk,
            &other,
            &signature
        ),
        CKR_SIGNATURE_INVALID
    );
    // With an empty salt PSS is deterministic.
    let mut no_salt = pss(CKM_SHA256, CKG_MGF1_SHA256, 0);
    let a = raw_sign(
        &s,
        &mut raw_mech(CKM_RSA_PKCS_PSS, Some(&mut no_salt)),
        sk,
        &m_hash,
    )
    .unwrap_or_else(|rv| panic!("CKM_RSA_PKCS_PSS, sLen 0: {}", rv_name(rv)));
    let b = raw_sign(
        &s,
        &mut raw_mech(CKM_RSA_PKCS_PSS, Some(&mut no_salt)),
        sk,
        &m_hash,
    )
    .unwrap();
    assert_eq!(a, b, "PSS with sLen 0 is deterministic");
    emsa_pss_verify(&SHA256, &m_hash, &rsa_public(&a), 0)
        .unwrap_or_else(|e| panic!("PSS encoding (salt 0): {e}"));
    assert!(
        emsa_pss_verify(&SHA256, &m_hash, &rsa_public(&a), 32).is_err(),
        "the decoder tells salt lengths apart"
    );
    // A digest whose length is not hLen of hashAlg.
    for len in [20usize, 31, 33, 64] {
        let res = raw_sign(
            &s,
            &mut raw_mech(CKM_RSA_PKCS_PSS, Some(&mut params)),
            sk,
            &vec![0x11u8; len],
        );
        expect_ckr(
            res.err().unwrap_or(CKR_OK),
            CKR_DATA_LEN_RANGE,
            CKR_GENERAL_ERROR,
            &format!("CKM_RSA_PKCS_PSS (SHA-256) sign of a {len}-byte digest"),
        );
    }
}

#[test]
fn pss_params_must_match_the_mechanism_hash() {
    let (_slot, s) = user_token("rsa-pss-params");
    let (pk, sk) = fixed_keys(&s);
    let cases = [
        (
            CKM_SHA256_RSA_PKCS_PSS,
            CKM_SHA_1,
            CKG_MGF1_SHA1,
            20,
            "SHA256 mechanism, SHA-1 params",
        ),
        (
            CKM_SHA1_RSA_PKCS_PSS,
            CKM_SHA256,
            CKG_MGF1_SHA256,
            32,
            "SHA1 mechanism, SHA-256 params",
        ),
        (
            CKM_SHA384_RSA_PKCS_PSS,
            CKM_SHA512,
            CKG_MGF1_SHA512,
            64,
            "SHA384 mechanism, SHA-512 params",
        ),
    ];
    for (m, hash_alg, mgf, s_len, what) in cases {
        let mut params = pss(hash_alg, mgf, s_len);
        let rv = p11!(C_SignInit(
            s.handle(),
            &mut raw_mech(m, Some(&mut params)),
            sk.handle()
        ));
        expect_ckr(
            rv,
            CKR_MECHANISM_PARAM_INVALID,
            CKR_ARGUMENTS_BAD,
            &format!("C_SignInit, {what}"),
        );
        let rv = p11!(C_VerifyInit(
            s.handle(),
            &mut raw_mech(m, Some(&mut params)),
            pk.handle()
        ));
        expect_ckr(
            rv,
            CKR_MECHANISM_PARAM_INVALID,
            CKR_ARGUMENTS_BAD,
            &format!("C_VerifyInit, {what}"),
        );
    }
    // The session is still usable with matching parameters.
    let mut params = pss(CKM_SHA256, CKG_MGF1_SHA256, 32);
    let signature = raw_sign(
        &s,
        &mut raw_mech(CKM_SHA256_RSA_PKCS_PSS, Some(&mut params)),
        sk,
        MSG,
    )
    .unwrap_or_else(|rv| panic!("CKM_SHA256_RSA_PKCS_PSS: {}", rv_name(rv)));
    pubc()
        .verify(&sig::RSA_PSS_2048_8192_SHA256, MSG, &signature)
        .expect("aws-lc-rs verifies CKM_SHA256_RSA_PKCS_PSS");
}
