//! Known answers for newer mechanisms, driven through the raw C API so that
//! the module's reading of each C parameter structure is what is tested:
//! CK_MAC_GENERAL_PARAMS (HMAC/CMAC general), SHA3-256 and MD5 digests,
//! CK_HKDF_PARAMS, CK_PKCS5_PBKD2_PARAMS2, CK_ECDH1_DERIVE_PARAMS on X25519
//! (with and without the X9.63 KDF), CK_KEY_DERIVATION_STRING_DATA and
//! CK_AES_CBC_ENCRYPT_DATA_PARAMS, CK_SP800_108_KDF_PARAMS, CKM_AES_CTS, DSA
//! and DH key pairs, and private-key wrapping with CKM_AES_KEY_WRAP_KWP.

use crate::util::*;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn ul(v: CK_ULONG) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

fn bb(v: bool) -> Vec<u8> {
    vec![v as CK_BBOOL]
}

/// A raw template: (type, value bytes) pairs.
type Tmpl = Vec<(CK_ATTRIBUTE_TYPE, Vec<u8>)>;

/// CK_ATTRIBUTEs pointing into `t` (which must outlive the call).
fn ck_attrs(t: &mut Tmpl) -> Vec<CK_ATTRIBUTE> {
    t.iter_mut()
        .map(|(ty, v)| CK_ATTRIBUTE {
            type_: *ty,
            pValue: v.as_mut_ptr() as *mut _,
            ulValueLen: v.len() as CK_ULONG,
        })
        .collect()
}

/// Template of an extractable, non-sensitive generic secret (plus `extra`).
fn secret_out(extra: &[(CK_ATTRIBUTE_TYPE, Vec<u8>)]) -> Tmpl {
    let mut t: Tmpl = vec![
        (CKA_CLASS, ul(CKO_SECRET_KEY)),
        (CKA_KEY_TYPE, ul(CKK_GENERIC_SECRET)),
        (CKA_SENSITIVE, bb(false)),
        (CKA_EXTRACTABLE, bb(true)),
        (CKA_TOKEN, bb(false)),
    ];
    t.extend_from_slice(extra);
    t
}

fn raw_derive(
    s: &Session,
    mech: &mut CK_MECHANISM,
    base: ObjectHandle,
    mut t: Tmpl,
) -> Result<ObjectHandle, CK_RV> {
    let mut a = ck_attrs(&mut t);
    let mut out: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
    let rv = p11!(C_DeriveKey(
        s.handle(),
        mech,
        base.handle(),
        a.as_mut_ptr(),
        a.len() as CK_ULONG,
        &mut out
    ));
    if rv != CKR_OK {
        return Err(rv);
    }
    Ok(obj(out))
}

fn raw_generate(s: &Session, mech: &mut CK_MECHANISM, mut t: Tmpl) -> Result<ObjectHandle, CK_RV> {
    let mut a = ck_attrs(&mut t);
    let mut out: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
    let rv = p11!(C_GenerateKey(
        s.handle(),
        mech,
        a.as_mut_ptr(),
        a.len() as CK_ULONG,
        &mut out
    ));
    if rv != CKR_OK {
        return Err(rv);
    }
    Ok(obj(out))
}

fn raw_generate_pair(
    s: &Session,
    mech: CK_MECHANISM_TYPE,
    mut pubt: Tmpl,
    mut privt: Tmpl,
) -> Result<(ObjectHandle, ObjectHandle), CK_RV> {
    let mut m = raw_mech::<()>(mech, None);
    let mut pa = ck_attrs(&mut pubt);
    let mut sa = ck_attrs(&mut privt);
    let (mut p, mut k): (CK_OBJECT_HANDLE, CK_OBJECT_HANDLE) = (CK_INVALID_HANDLE, CK_INVALID_HANDLE);
    let rv = p11!(C_GenerateKeyPair(
        s.handle(),
        &mut m,
        pa.as_mut_ptr(),
        pa.len() as CK_ULONG,
        sa.as_mut_ptr(),
        sa.len() as CK_ULONG,
        &mut p,
        &mut k
    ));
    if rv != CKR_OK {
        return Err(rv);
    }
    Ok((obj(p), obj(k)))
}

fn raw_digest(s: &Session, mech: CK_MECHANISM_TYPE, data: &[u8]) -> Result<Vec<u8>, CK_RV> {
    let mut m = raw_mech::<()>(mech, None);
    init_then_output(p11!(C_DigestInit(s.handle(), &mut m)), 128, |out, len| {
        p11!(C_Digest(
            s.handle(),
            data.as_ptr() as *mut u8,
            data.len() as CK_ULONG,
            out,
            len
        ))
    })
}

#[track_caller]
fn ok<T>(r: Result<T, CK_RV>, what: &str) -> T {
    r.unwrap_or_else(|rv| panic!("{what}: {}", rv_name(rv)))
}

/// CKA value by raw type (for attributes cryptoki does not name).
fn raw_get(s: &Session, o: ObjectHandle, ty: CK_ATTRIBUTE_TYPE) -> Vec<u8> {
    let mut a = CK_ATTRIBUTE {
        type_: ty,
        pValue: std::ptr::null_mut(),
        ulValueLen: 0,
    };
    assert_ckr!(
        p11!(C_GetAttributeValue(s.handle(), o.handle(), &mut a, 1)),
        CKR_OK
    );
    let mut buf = vec![0u8; a.ulValueLen as usize];
    a.pValue = buf.as_mut_ptr() as *mut _;
    assert_ckr!(
        p11!(C_GetAttributeValue(s.handle(), o.handle(), &mut a, 1)),
        CKR_OK
    );
    buf.truncate(a.ulValueLen as usize);
    buf
}

fn value(s: &Session, k: ObjectHandle) -> Vec<u8> {
    get_bytes(s, k, AttributeType::Value)
}

fn derive_base(s: &Session, kt: KeyType, v: &[u8]) -> ObjectHandle {
    import_secret(
        s,
        kt,
        v,
        &[
            Attribute::Derive(true),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
        ],
    )
}

#[test]
fn general_macs_truncate_rfc_4231_case_5_and_rfc_4493() {
    if diverges("SoftHSMv2 has no CKM_SHA256_HMAC_GENERAL / CKM_AES_CMAC_GENERAL") {
        return;
    }
    let (_slot, s) = user_token("mech3-macgen");
    let k = import_secret(
        &s,
        KeyType::GENERIC_SECRET,
        &[0x0c; 20],
        &[Attribute::Sign(true), Attribute::Verify(true)],
    );
    let mut len: CK_MAC_GENERAL_PARAMS = 16;
    let mut m = raw_mech(CKM_SHA256_HMAC_GENERAL, Some(&mut len));
    let mac = ok(
        raw_sign(&s, &mut m, k, b"Test With Truncation"),
        "C_Sign(CKM_SHA256_HMAC_GENERAL, 16)",
    );
    assert_eq!(
        hex::encode(&mac),
        "a3b6167473100ee06e0c796c2955552b",
        "RFC 4231 case 5"
    );
    assert_ckr!(raw_verify(&s, &mut m, k, b"Test With Truncation", &mac), CKR_OK);
    let mut bad = mac.clone();
    bad[3] ^= 1;
    assert_ckr!(
        raw_verify(&s, &mut m, k, b"Test With Truncation", &bad),
        CKR_SIGNATURE_INVALID
    );

    let aes = import_secret(
        &s,
        KeyType::AES,
        &h("2b7e151628aed2a6abf7158809cf4f3c"),
        &[Attribute::Sign(true), Attribute::Verify(true)],
    );
    let msg = h("6bc1bee22e409f96e93d7e117393172a");
    let mut len: CK_MAC_GENERAL_PARAMS = 8;
    let mut m = raw_mech(CKM_AES_CMAC_GENERAL, Some(&mut len));
    let mac = ok(raw_sign(&s, &mut m, aes, &msg), "C_Sign(CKM_AES_CMAC_GENERAL, 8)");
    assert_eq!(hex::encode(&mac), "070a16b46b4d4144", "RFC 4493 example 2");
    assert_ckr!(raw_verify(&s, &mut m, aes, &msg, &mac), CKR_OK);
}

#[test]
fn md5_and_sha3_256_digests() {
    let (_slot, s) = user_token("mech3-digest");
    assert_eq!(
        hex::encode(ok(raw_digest(&s, CKM_MD5, b"abc"), "C_Digest(CKM_MD5)")),
        "900150983cd24fb0d6963f7d28e17f72",
        "RFC 1321"
    );
    if diverges("SoftHSMv2 has no CKM_SHA3_256") {
        return;
    }
    assert_eq!(
        hex::encode(ok(raw_digest(&s, CKM_SHA3_256, b"abc"), "C_Digest(CKM_SHA3_256)")),
        "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
        "FIPS 202"
    );
}

#[test]
fn hkdf_derive_rfc_5869_case_1() {
    if diverges("SoftHSMv2 has no CKM_HKDF_DERIVE") {
        return;
    }
    let (_slot, s) = user_token("mech3-hkdf");
    let ikm = derive_base(&s, KeyType::GENERIC_SECRET, &[0x0b; 22]);
    let mut salt = h("000102030405060708090a0b0c");
    let mut info = h("f0f1f2f3f4f5f6f7f8f9");
    let mut p = CK_HKDF_PARAMS {
        bExtract: CK_TRUE,
        bExpand: CK_TRUE,
        prfHashMechanism: CKM_SHA256,
        ulSaltType: CKF_HKDF_SALT_DATA,
        pSalt: salt.as_mut_ptr(),
        ulSaltLen: salt.len() as CK_ULONG,
        hSaltKey: CK_INVALID_HANDLE,
        pInfo: info.as_mut_ptr(),
        ulInfoLen: info.len() as CK_ULONG,
    };
    let mut m = raw_mech(CKM_HKDF_DERIVE, Some(&mut p));
    let k = ok(
        raw_derive(&s, &mut m, ikm, secret_out(&[(CKA_VALUE_LEN, ul(42))])),
        "C_DeriveKey(CKM_HKDF_DERIVE)",
    );
    assert_eq!(
        hex::encode(value(&s, k)),
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        "RFC 5869 test case 1 OKM"
    );
}

#[test]
fn pbkdf2_params2_rfc_6070() {
    if diverges("SoftHSMv2 has no CKM_PKCS5_PBKD2") {
        return;
    }
    let (_slot, s) = user_token("mech3-pbkdf2");
    let mut salt = b"salt".to_vec();
    let mut password = b"password".to_vec();
    let mut p = CK_PKCS5_PBKD2_PARAMS2 {
        saltSource: CKZ_SALT_SPECIFIED,
        pSaltSourceData: salt.as_mut_ptr() as *mut _,
        ulSaltSourceDataLen: salt.len() as CK_ULONG,
        iterations: 2,
        prf: CKP_PKCS5_PBKD2_HMAC_SHA1,
        pPrfData: std::ptr::null_mut(),
        ulPrfDataLen: 0,
        pPassword: password.as_mut_ptr(),
        ulPasswordLen: password.len() as CK_ULONG,
    };
    let mut m = raw_mech(CKM_PKCS5_PBKD2, Some(&mut p));
    let k = ok(
        raw_generate(&s, &mut m, secret_out(&[(CKA_VALUE_LEN, ul(20))])),
        "C_GenerateKey(CKM_PKCS5_PBKD2)",
    );
    assert_eq!(
        hex::encode(value(&s, k)),
        "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
        "RFC 6070 (2 iterations)"
    );
}

/// ANSI X9.63 KDF with SHA-256.
fn x963_sha256(z: &[u8], shared: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut counter = 1u32;
    while out.len() < len {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(z);
        ctx.update(&counter.to_be_bytes());
        ctx.update(shared);
        out.extend_from_slice(ctx.finish().as_ref());
        counter += 1;
    }
    out.truncate(len);
    out
}

#[test]
fn ecdh1_derive_x25519_rfc_7748() {
    let (_slot, s) = user_token("mech3-x25519");
    let alice = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    let mut bob_pub = h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    let created = s.create_object(&[
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::KeyType(KeyType::EC_MONTGOMERY),
        Attribute::EcParams(vec![0x06, 0x03, 0x2b, 0x65, 0x6e]),
        Attribute::Value(alice),
        Attribute::Derive(true),
        Attribute::Token(false),
    ]);
    let a = match created {
        Ok(a) => a,
        Err(e) => {
            if diverges(&format!("SoftHSMv2 has no X25519 (CKK_EC_MONTGOMERY) keys: {e}")) {
                return;
            }
            panic!("C_CreateObject(CKK_EC_MONTGOMERY private key): {e}");
        }
    };
    let mut p = CK_ECDH1_DERIVE_PARAMS {
        kdf: CKD_NULL,
        ulSharedDataLen: 0,
        pSharedData: std::ptr::null_mut(),
        ulPublicDataLen: bob_pub.len() as CK_ULONG,
        pPublicData: bob_pub.as_mut_ptr(),
    };
    let mut m = raw_mech(CKM_ECDH1_DERIVE, Some(&mut p));
    let r = raw_derive(&s, &mut m, a, secret_out(&[]));
    let k = match r {
        Err(rv) if diverges(&format!("SoftHSMv2 has no X25519 ECDH: {}", rv_name(rv))) => return,
        r => ok(r, "C_DeriveKey(CKM_ECDH1_DERIVE, CKD_NULL)"),
    };
    let z = value(&s, k);
    assert_eq!(
        hex::encode(&z),
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
        "RFC 7748 section 6.1 shared secret"
    );

    if diverges("SoftHSMv2 has no CKD_SHA256_KDF") {
        return;
    }
    let mut info = b"info".to_vec();
    let mut p = CK_ECDH1_DERIVE_PARAMS {
        kdf: CKD_SHA256_KDF,
        ulSharedDataLen: info.len() as CK_ULONG,
        pSharedData: info.as_mut_ptr(),
        ulPublicDataLen: bob_pub.len() as CK_ULONG,
        pPublicData: bob_pub.as_mut_ptr(),
    };
    let mut m = raw_mech(CKM_ECDH1_DERIVE, Some(&mut p));
    let k2 = ok(
        raw_derive(&s, &mut m, a, secret_out(&[(CKA_VALUE_LEN, ul(40))])),
        "C_DeriveKey(CKM_ECDH1_DERIVE, CKD_SHA256_KDF)",
    );
    assert_eq!(
        hex::encode(value(&s, k2)),
        hex::encode(x963_sha256(&z, b"info", 40)),
        "X9.63 KDF (SHA-256) of the RFC 7748 secret with shared data \"info\""
    );
}

#[test]
fn aes_ecb_and_cbc_encrypt_data_fips_197() {
    let (_slot, s) = user_token("mech3-encdata");
    let base = derive_base(&s, KeyType::AES, &h("000102030405060708090a0b0c0d0e0f"));
    let mut data = h("00112233445566778899aabbccddeeff");
    let want = "69c4e0d86a7b0430d8cdb78070b4c55a";

    let mut p = CK_KEY_DERIVATION_STRING_DATA {
        pData: data.as_mut_ptr(),
        ulLen: data.len() as CK_ULONG,
    };
    let mut m = raw_mech(CKM_AES_ECB_ENCRYPT_DATA, Some(&mut p));
    let k = ok(
        raw_derive(&s, &mut m, base, secret_out(&[(CKA_VALUE_LEN, ul(16))])),
        "C_DeriveKey(CKM_AES_ECB_ENCRYPT_DATA)",
    );
    assert_eq!(hex::encode(value(&s, k)), want, "FIPS-197 C.1 (ECB)");

    let mut p = CK_AES_CBC_ENCRYPT_DATA_PARAMS {
        iv: [0; 16],
        pData: data.as_mut_ptr(),
        length: data.len() as CK_ULONG,
    };
    let mut m = raw_mech(CKM_AES_CBC_ENCRYPT_DATA, Some(&mut p));
    let k = ok(
        raw_derive(&s, &mut m, base, secret_out(&[(CKA_VALUE_LEN, ul(16))])),
        "C_DeriveKey(CKM_AES_CBC_ENCRYPT_DATA)",
    );
    assert_eq!(hex::encode(value(&s, k)), want, "FIPS-197 C.1 (CBC, zero IV)");
}

#[test]
fn sp800_108_counter_kdf_hmac_sha256() {
    if diverges("SoftHSMv2 has no CKM_SP800_108_COUNTER_KDF") {
        return;
    }
    let (_slot, s) = user_token("mech3-kbkdf");
    let kin = [0x42u8; 32];
    let base = derive_base(&s, KeyType::GENERIC_SECRET, &kin);
    let mut counter = CK_SP800_108_COUNTER_FORMAT {
        bLittleEndian: CK_FALSE,
        ulWidthInBits: 32,
    };
    let mut dkm = CK_SP800_108_DKM_LENGTH_FORMAT {
        dkmLengthMethod: CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
        bLittleEndian: CK_FALSE,
        ulWidthInBits: 32,
    };
    let mut label = b"label".to_vec();
    let mut zero = vec![0u8];
    let mut context = b"context".to_vec();
    let bytes = |v: &mut Vec<u8>| CK_PRF_DATA_PARAM {
        type_: CK_SP800_108_BYTE_ARRAY,
        pValue: v.as_mut_ptr() as *mut _,
        ulValueLen: v.len() as CK_ULONG,
    };
    let mut data = vec![
        CK_PRF_DATA_PARAM {
            type_: CK_SP800_108_ITERATION_VARIABLE,
            pValue: &mut counter as *mut CK_SP800_108_COUNTER_FORMAT as *mut _,
            ulValueLen: std::mem::size_of::<CK_SP800_108_COUNTER_FORMAT>() as CK_ULONG,
        },
        bytes(&mut label),
        bytes(&mut zero),
        bytes(&mut context),
        CK_PRF_DATA_PARAM {
            type_: CK_SP800_108_DKM_LENGTH,
            pValue: &mut dkm as *mut CK_SP800_108_DKM_LENGTH_FORMAT as *mut _,
            ulValueLen: std::mem::size_of::<CK_SP800_108_DKM_LENGTH_FORMAT>() as CK_ULONG,
        },
    ];
    let mut p = CK_SP800_108_KDF_PARAMS {
        prfType: CKM_SHA256_HMAC,
        ulNumberOfDataParams: data.len() as CK_ULONG,
        pDataParams: data.as_mut_ptr(),
        ulAdditionalDerivedKeys: 0,
        pAdditionalDerivedKeys: std::ptr::null_mut(),
    };
    let mut m = raw_mech(CKM_SP800_108_COUNTER_KDF, Some(&mut p));
    let k = ok(
        raw_derive(&s, &mut m, base, secret_out(&[(CKA_VALUE_LEN, ul(48))])),
        "C_DeriveKey(CKM_SP800_108_COUNTER_KDF)",
    );
    let hk = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &kin);
    let mut want = Vec::new();
    for i in 1u32..=2 {
        let mut ctx = aws_lc_rs::hmac::Context::with_key(&hk);
        ctx.update(&i.to_be_bytes());
        ctx.update(b"label\0context");
        ctx.update(&384u32.to_be_bytes());
        want.extend_from_slice(ctx.sign().as_ref());
    }
    want.truncate(48);
    assert_eq!(
        hex::encode(value(&s, k)),
        hex::encode(want),
        "SP 800-108 counter mode"
    );
}

#[test]
fn aes_cts_matches_cbc_on_whole_blocks_and_round_trips() {
    if diverges("SoftHSMv2 has no CKM_AES_CTS") {
        return;
    }
    let (_slot, s) = user_token("mech3-cts");
    let k = import_aes(&s, &h("000102030405060708090a0b0c0d0e0f"));
    let iv = [7u8; 16];
    let whole: Vec<u8> = (0..48u8).collect();
    let mut civ = iv;
    let mut cbc = raw_mech(CKM_AES_CBC, Some(&mut civ));
    let want = ok(raw_encrypt(&s, &mut cbc, k, &whole), "C_Encrypt(CKM_AES_CBC)");
    let mut tiv = iv;
    let mut cts = raw_mech(CKM_AES_CTS, Some(&mut tiv));
    let got = ok(raw_encrypt(&s, &mut cts, k, &whole), "C_Encrypt(CKM_AES_CTS)");
    assert_eq!(
        hex::encode(got),
        hex::encode(want),
        "CTS on 3 whole blocks equals CBC"
    );
    for n in 17..=100usize {
        let data: Vec<u8> = (0..n).map(|i| (i * 7 + 1) as u8).collect();
        let mut tiv = iv;
        let mut cts = raw_mech(CKM_AES_CTS, Some(&mut tiv));
        let c = ok(raw_encrypt(&s, &mut cts, k, &data), "C_Encrypt(CKM_AES_CTS)");
        assert_eq!(c.len(), n, "CTS keeps the length of {n} bytes");
        let mut tiv = iv;
        let mut cts = raw_mech(CKM_AES_CTS, Some(&mut tiv));
        let p = ok(raw_decrypt(&s, &mut cts, k, &c), "C_Decrypt(CKM_AES_CTS)");
        assert_eq!(p, data, "CTS round trip of {n} bytes");
    }
}

#[test]
fn dsa_parameter_gen_keys_and_sha256_signatures() {
    let (_slot, s) = user_token("mech3-dsa");
    let mut m = raw_mech::<()>(CKM_DSA_PARAMETER_GEN, None);
    let d = ok(
        raw_generate(
            &s,
            &mut m,
            vec![
                (CKA_CLASS, ul(CKO_DOMAIN_PARAMETERS)),
                (CKA_KEY_TYPE, ul(CKK_DSA)),
                (CKA_PRIME_BITS, ul(1024)),
                (CKA_TOKEN, bb(false)),
            ],
        ),
        "C_GenerateKey(CKM_DSA_PARAMETER_GEN)",
    );
    let prime = get_bytes(&s, d, AttributeType::Prime);
    assert_eq!(prime.len(), 128, "a 1024-bit prime");
    let pubt: Tmpl = vec![
        (CKA_PRIME, prime),
        (CKA_SUBPRIME, raw_get(&s, d, CKA_SUBPRIME)),
        (CKA_BASE, get_bytes(&s, d, AttributeType::Base)),
        (CKA_VERIFY, bb(true)),
        (CKA_TOKEN, bb(false)),
    ];
    let privt: Tmpl = vec![(CKA_SIGN, bb(true)), (CKA_TOKEN, bb(false))];
    let (p, k) = ok(
        raw_generate_pair(&s, CKM_DSA_KEY_PAIR_GEN, pubt, privt),
        "C_GenerateKeyPair(CKM_DSA_KEY_PAIR_GEN)",
    );
    let mut m = raw_mech::<()>(CKM_DSA_SHA256, None);
    let sig = ok(raw_sign(&s, &mut m, k, b"message"), "C_Sign(CKM_DSA_SHA256)");
    assert_eq!(sig.len(), 40, "r || s with a 160-bit q");
    assert_ckr!(raw_verify(&s, &mut m, p, b"message", &sig), CKR_OK);
    assert_ckr!(raw_verify(&s, &mut m, p, b"massage", &sig), CKR_SIGNATURE_INVALID);
    let mut bad = sig.clone();
    bad[5] ^= 0x10;
    assert_ckr!(raw_verify(&s, &mut m, p, b"message", &bad), CKR_SIGNATURE_INVALID);
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
fn dh_pkcs_agreement_on_the_rfc_3526_group() {
    let (_slot, s) = user_token("mech3-dh");
    let pair = || {
        ok(
            raw_generate_pair(
                &s,
                CKM_DH_PKCS_KEY_PAIR_GEN,
                vec![
                    (CKA_PRIME, h(MODP_2048)),
                    (CKA_BASE, vec![2]),
                    (CKA_TOKEN, bb(false)),
                ],
                vec![(CKA_DERIVE, bb(true)), (CKA_TOKEN, bb(false))],
            ),
            "C_GenerateKeyPair(CKM_DH_PKCS_KEY_PAIR_GEN)",
        )
    };
    let ((pa, sa), (pb, sb)) = (pair(), pair());
    let derive = |sk: ObjectHandle, peer: ObjectHandle, t: Tmpl| {
        let mut y = get_bytes(&s, peer, AttributeType::Value);
        let mut m = CK_MECHANISM {
            mechanism: CKM_DH_PKCS_DERIVE,
            pParameter: y.as_mut_ptr() as *mut _,
            ulParameterLen: y.len() as CK_ULONG,
        };
        let k = ok(raw_derive(&s, &mut m, sk, t), "C_DeriveKey(CKM_DH_PKCS_DERIVE)");
        value(&s, k)
    };
    let full = || secret_out(&[(CKA_VALUE_LEN, ul(256))]);
    let za = derive(sa, pb, full());
    let zb = derive(sb, pa, full());
    assert_eq!(za.len(), 256, "a 2048-bit secret");
    assert_eq!(hex::encode(&za), hex::encode(&zb), "both sides agree");
    if ours_only("without CKA_VALUE_LEN the generic secret is as long as the prime") {
        return;
    }
    assert_eq!(
        hex::encode(derive(sa, pb, secret_out(&[]))),
        hex::encode(&za),
        "no CKA_VALUE_LEN: the whole secret"
    );
}

#[test]
fn ec_private_key_wraps_with_kwp_and_unwraps_into_a_signing_key() {
    if diverges("SoftHSMv2 has no CKM_AES_KEY_WRAP_KWP") {
        return;
    }
    let (_slot, s) = user_token("mech3-kwp");
    let kek = import_aes(&s, &h("000102030405060708090a0b0c0d0e0f"));
    let (p, k) = gen_ec(
        &s,
        P256_OID,
        &[Attribute::Verify(true), Attribute::Token(false)],
        &[
            Attribute::Sign(true),
            Attribute::Extractable(true),
            Attribute::Token(false),
        ],
    );
    let mut m = raw_mech::<()>(CKM_AES_KEY_WRAP_KWP, None);
    let mut blob = vec![0u8; 4096];
    let mut len = blob.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_WrapKey(
            s.handle(),
            &mut m,
            kek.handle(),
            k.handle(),
            blob.as_mut_ptr(),
            &mut len
        )),
        CKR_OK
    );
    blob.truncate(len as usize);
    assert_eq!(blob.len() % 8, 0, "KWP output is a multiple of 8 bytes");
    let mut t: Tmpl = vec![
        (CKA_CLASS, ul(CKO_PRIVATE_KEY)),
        (CKA_KEY_TYPE, ul(CKK_EC)),
        (CKA_SIGN, bb(true)),
        (CKA_TOKEN, bb(false)),
    ];
    let mut a = ck_attrs(&mut t);
    let mut u: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
    assert_ckr!(
        p11!(C_UnwrapKey(
            s.handle(),
            &mut m,
            kek.handle(),
            blob.as_mut_ptr(),
            blob.len() as CK_ULONG,
            a.as_mut_ptr(),
            a.len() as CK_ULONG,
            &mut u
        )),
        CKR_OK
    );
    let u = obj(u);
    let sig = s
        .sign(&Mechanism::EcdsaSha256, u, b"payload")
        .expect("C_Sign with the unwrapped EC key");
    s.verify(&Mechanism::EcdsaSha256, p, b"payload", &sig)
        .expect("C_Verify with the original public key");
    assert_rv!(
        s.verify(&Mechanism::EcdsaSha256, p, b"paylaod", &sig),
        SignatureInvalid
    );
}
