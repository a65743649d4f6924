//! AES: SP 800-38A (ECB/CBC/CTR), CBC_PAD round trips, GCM (test case 4),
//! CMAC (RFC 4493), key generation.

use crate::util::*;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;

const K128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const K192: &str = "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b";
const K256: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
/// SP 800-38A appendix F plaintext (4 blocks).
const PT: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                  30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
const IV: &str = "000102030405060708090a0b0c0d0e0f";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn iv16(s: &str) -> [u8; 16] {
    h(s).try_into().unwrap()
}

/// Encrypts single-part and multi-part and decrypts back.
fn check_cipher(s: &Session, m: &Mechanism, k: ObjectHandle, pt: &[u8], ct: &[u8], what: &str) {
    let got = s
        .encrypt(m, k, pt)
        .unwrap_or_else(|e| panic!("{what} encrypt: {e}"));
    assert_eq!(hex::encode(&got), hex::encode(ct), "{what} ciphertext");
    assert_eq!(
        s.decrypt(m, k, ct)
            .unwrap_or_else(|e| panic!("{what} decrypt: {e}")),
        pt,
        "{what} decrypt"
    );
    // Multi-part, with chunks that are not block aligned.
    s.encrypt_init(m, k).unwrap();
    let mut out = Vec::new();
    for chunk in pt.chunks(7) {
        out.extend(s.encrypt_update(chunk).unwrap());
    }
    out.extend(s.encrypt_final().unwrap());
    assert_eq!(hex::encode(&out), hex::encode(ct), "{what} multi-part ciphertext");
    s.decrypt_init(m, k).unwrap();
    let mut back = Vec::new();
    for chunk in ct.chunks(13) {
        back.extend(s.decrypt_update(chunk).unwrap());
    }
    back.extend(s.decrypt_final().unwrap());
    assert_eq!(back, pt, "{what} multi-part decrypt");
}

#[test]
fn ecb_sp800_38a() {
    let (_slot, s) = user_token("aes-ecb");
    let k = import_aes(&s, &h(K128));
    let ct = h("3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf\
                43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4");
    check_cipher(&s, &Mechanism::AesEcb, k, &h(PT), &ct, "ECB-AES128 (F.1.1)");
    let k = import_aes(&s, &h(K192));
    let ct = h("bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef\
                ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e");
    check_cipher(&s, &Mechanism::AesEcb, k, &h(PT), &ct, "ECB-AES192 (F.1.3)");
    // Not a multiple of the block size.
    assert_rv!(s.encrypt(&Mechanism::AesEcb, k, &[0u8; 17]), DataLenRange);
}

#[test]
fn cbc_sp800_38a() {
    let (_slot, s) = user_token("aes-cbc");
    let k = import_aes(&s, &h(K128));
    let ct = h("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
                73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7");
    check_cipher(
        &s,
        &Mechanism::AesCbc(iv16(IV)),
        k,
        &h(PT),
        &ct,
        "CBC-AES128 (F.2.1)",
    );
    let k = import_aes(&s, &h(K256));
    let ct = h("f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d\
                39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b");
    check_cipher(
        &s,
        &Mechanism::AesCbc(iv16(IV)),
        k,
        &h(PT),
        &ct,
        "CBC-AES256 (F.2.5)",
    );
    assert_rv!(
        s.encrypt(&Mechanism::AesCbc(iv16(IV)), k, &[0u8; 15]),
        DataLenRange
    );
    // A wrong IV length is a bad mechanism parameter.
    let mut short_iv = [0u8; 8];
    let mut mech = CK_MECHANISM {
        mechanism: CKM_AES_CBC,
        pParameter: short_iv.as_mut_ptr() as *mut _,
        ulParameterLen: 8,
    };
    expect_ckr(
        p11!(C_EncryptInit(s.handle(), &mut mech, k.handle())),
        CKR_MECHANISM_PARAM_INVALID,
        CKR_MECHANISM_INVALID,
        "CKM_AES_CBC with an 8-byte IV",
    );
}

fn ctr(params: &CK_AES_CTR_PARAMS) -> Mechanism<'_> {
    Mechanism::VendorDefined(VendorDefinedMechanism::new(MechanismType::AES_CTR, Some(params)))
}

#[test]
fn ctr_sp800_38a() {
    let (_slot, s) = user_token("aes-ctr");
    let k = import_aes(&s, &h(K128));
    let params = CK_AES_CTR_PARAMS {
        ulCounterBits: 128,
        cb: iv16("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"),
    };
    let ct = h("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff\
                5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee");
    check_cipher(&s, &ctr(&params), k, &h(PT), &ct, "CTR-AES128 (F.5.1)");
    // CTR is a stream mode: any length works and matches the prefix.
    let part = s.encrypt(&ctr(&params), k, &h(PT)[..21]).unwrap();
    assert_eq!(part, ct[..21]);
}

/// AES-CTR by aws-lc-rs (128-bit big-endian counter).
fn ctr_reference(key: &[u8], cb: [u8; 16], data: &[u8]) -> Vec<u8> {
    use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext, UnboundCipherKey, AES_128, AES_256};
    let alg = if key.len() == 16 { &AES_128 } else { &AES_256 };
    let key = EncryptingKey::ctr(UnboundCipherKey::new(alg, key).unwrap()).unwrap();
    let mut buf = data.to_vec();
    key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(cb.into()))
        .unwrap();
    buf
}

#[test]
fn ctr_multi_part_odd_pieces_equal_one_shot() {
    let (_slot, s) = user_token("aes-ctr-parts");
    let key = h(K256);
    let k = import_aes(&s, &key);
    // The low 64 bits of the counter wrap after two blocks: the carry goes
    // into the upper half with a 128-bit counter.
    let params = CK_AES_CTR_PARAMS {
        ulCounterBits: 128,
        cb: iv16("0123456789abcdefffffffffffffffff"),
    };
    let pt: Vec<u8> = (0..203u32).map(|i| (i * 7 + 3) as u8).collect();
    let one_shot = s.encrypt(&ctr(&params), k, &pt).expect("CTR one-shot");
    assert_eq!(one_shot.len(), pt.len(), "CTR keeps the length");
    assert_eq!(
        hex::encode(&one_shot),
        hex::encode(ctr_reference(&key, params.cb, &pt)),
        "CTR vs aws-lc-rs (counter carry across 64 bits)"
    );
    let pieces = [1usize, 2, 3, 5, 8, 13, 21, 34, 55, 61];
    assert_eq!(pieces.iter().sum::<usize>(), pt.len());
    let split = |data: &[u8], sizes: &mut dyn Iterator<Item = usize>| {
        let mut out = Vec::new();
        let mut at = 0;
        for n in sizes {
            out.push(data[at..at + n].to_vec());
            at += n;
        }
        out
    };
    s.encrypt_init(&ctr(&params), k).unwrap();
    let mut out = Vec::new();
    for piece in split(&pt, &mut pieces.into_iter()) {
        out.extend(s.encrypt_update(&piece).unwrap());
    }
    out.extend(s.encrypt_final().unwrap());
    assert_eq!(
        hex::encode(&out),
        hex::encode(&one_shot),
        "multi-part CTR encrypt"
    );
    s.decrypt_init(&ctr(&params), k).unwrap();
    let mut back = Vec::new();
    // Other piece sizes than the encryption used (the same list reversed).
    for piece in split(&one_shot, &mut pieces.into_iter().rev()) {
        back.extend(s.decrypt_update(&piece).unwrap());
    }
    back.extend(s.decrypt_final().unwrap());
    assert_eq!(back, pt, "multi-part CTR decrypt");
    assert_eq!(
        s.decrypt(&ctr(&params), k, &one_shot).unwrap(),
        pt,
        "one-shot CTR decrypt"
    );
}

#[test]
fn cbc_pad_round_trips_0_to_33() {
    let (_slot, s) = user_token("aes-cbcpad");
    let k = gen_aes(&s, 32, &[]);
    let iv = [0x24u8; 16];
    let m = Mechanism::AesCbcPad(iv);
    for n in 0..=33usize {
        let pt: Vec<u8> = (0..n as u8).collect();
        let ct = s.encrypt(&m, k, &pt).unwrap_or_else(|e| panic!("len {n}: {e}"));
        assert_eq!(ct.len(), (n / 16 + 1) * 16, "padded length for {n}");
        assert_eq!(s.decrypt(&m, k, &ct).unwrap(), pt, "round trip {n}");
        // Multi-part gives the same ciphertext.
        s.encrypt_init(&m, k).unwrap();
        let mut out = Vec::new();
        for chunk in pt.chunks(5) {
            out.extend(s.encrypt_update(chunk).unwrap());
        }
        out.extend(s.encrypt_final().unwrap());
        assert_eq!(out, ct, "multi-part ciphertext {n}");
        s.decrypt_init(&m, k).unwrap();
        let mut back = Vec::new();
        for chunk in ct.chunks(16) {
            back.extend(s.decrypt_update(chunk).unwrap());
        }
        back.extend(s.decrypt_final().unwrap());
        assert_eq!(back, pt, "multi-part decrypt {n}");
    }
    // Matches a reference implementation (PKCS#7 padding).
    let v = [0x61u8; 16];
    let k2 = import_aes(&s, &v);
    let ct = s.encrypt(&m, k2, b"hello").unwrap();
    let expect = {
        use aws_lc_rs::cipher::{EncryptionContext, PaddedBlockEncryptingKey, UnboundCipherKey, AES_128};
        let key = PaddedBlockEncryptingKey::cbc_pkcs7(UnboundCipherKey::new(&AES_128, &v).unwrap()).unwrap();
        let mut buf = b"hello".to_vec();
        key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(iv.into()))
            .unwrap();
        buf
    };
    assert_eq!(ct, expect, "CBC_PAD vs aws-lc-rs");
    // Corrupted padding is detected.
    let mut bad = ct.clone();
    bad[15] ^= 0xff;
    expect_rv(
        s.decrypt(&m, k2, &bad),
        cryptoki::error::RvError::EncryptedDataInvalid,
        cryptoki::error::RvError::GeneralError,
        "CBC_PAD decrypt with corrupted padding",
    );
}

#[test]
fn gcm_test_case_4() {
    let (_slot, s) = user_token("aes-gcm");
    let k = import_aes(&s, &h("feffe9928665731c6d6a8f9467308308"));
    let pt = h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    let aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let mut iv = h("cafebabefacedbaddecaf888");
    let want = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
                21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091\
                5bc94fbc3221a5db94fae95ae7121a47";
    let ct = s
        .encrypt(
            &Mechanism::AesGcm(GcmParams::new(&mut iv, &aad, 128.into()).unwrap()),
            k,
            &pt,
        )
        .expect("GCM encrypt");
    assert_eq!(hex::encode(&ct), want, "ciphertext || tag");
    let back = s
        .decrypt(
            &Mechanism::AesGcm(GcmParams::new(&mut iv, &aad, 128.into()).unwrap()),
            k,
            &ct,
        )
        .expect("GCM decrypt");
    assert_eq!(back, pt);
    // A modified tag or AAD fails authentication.
    let mut bad = ct.clone();
    *bad.last_mut().unwrap() ^= 1;
    expect_rv(
        s.decrypt(
            &Mechanism::AesGcm(GcmParams::new(&mut iv, &aad, 128.into()).unwrap()),
            k,
            &bad,
        ),
        cryptoki::error::RvError::EncryptedDataInvalid,
        cryptoki::error::RvError::GeneralError,
        "GCM decrypt with a wrong tag",
    );
    expect_rv(
        s.decrypt(
            &Mechanism::AesGcm(GcmParams::new(&mut iv, &aad[1..], 128.into()).unwrap()),
            k,
            &ct,
        ),
        cryptoki::error::RvError::EncryptedDataInvalid,
        cryptoki::error::RvError::GeneralError,
        "GCM decrypt with a wrong AAD",
    );
    // Shorter tags (96 bits) are a prefix of the full tag.
    let ct96 = s
        .encrypt(
            &Mechanism::AesGcm(GcmParams::new(&mut iv, &aad, 96.into()).unwrap()),
            k,
            &pt,
        )
        .unwrap();
    assert_eq!(ct96[..], ct[..ct.len() - 4]);
}

#[test]
fn cmac_rfc4493() {
    let (_slot, s) = user_token("aes-cmac");
    let k = import_aes(&s, &h(K128));
    let msg = h(PT);
    for (len, mac) in [
        (0usize, "bb1d6929e95937287fa37d129b756746"),
        (16, "070a16b46b4d4144f79bdd9dd04a287c"),
        (40, "dfa66747de9ae63030ca32611497c827"),
        (64, "51f0bebf7e3b9d92fc49741779363cfe"),
    ] {
        let got = s
            .sign(&Mechanism::AesCMac, k, &msg[..len])
            .unwrap_or_else(|e| panic!("CMAC len {len}: {e}"));
        assert_eq!(hex::encode(&got), mac, "AES-CMAC example, Mlen {len}");
        s.verify(&Mechanism::AesCMac, k, &msg[..len], &got)
            .unwrap_or_else(|e| panic!("CMAC verify len {len}: {e}"));
        let mut bad = got.clone();
        bad[3] ^= 0x10;
        assert_rv!(
            s.verify(&Mechanism::AesCMac, k, &msg[..len], &bad),
            SignatureInvalid
        );
        // Multi-part.
        s.sign_init(&Mechanism::AesCMac, k).unwrap();
        for chunk in msg[..len].chunks(11) {
            s.sign_update(chunk).unwrap();
        }
        assert_eq!(hex::encode(s.sign_final().unwrap()), mac, "multi-part CMAC {len}");
    }
}

#[test]
fn aes_key_generation_sizes() {
    let (_slot, s) = user_token("aes-keygen");
    for len in [16usize, 24, 32] {
        let k = gen_aes(
            &s,
            len,
            &[Attribute::Sensitive(false), Attribute::Extractable(true)],
        );
        assert_eq!(get_ulong(&s, k, AttributeType::ValueLen), len as CK_ULONG);
        assert_eq!(get_ulong(&s, k, AttributeType::KeyType), CKK_AES);
        let value = get_bytes(&s, k, AttributeType::Value);
        assert_eq!(value.len(), len);
        // The key works and matches a reference implementation.
        let ct = s.encrypt(&Mechanism::AesEcb, k, &[0u8; 16]).unwrap();
        let alg = match len {
            16 => &aws_lc_rs::cipher::AES_128,
            24 => &aws_lc_rs::cipher::AES_192,
            _ => &aws_lc_rs::cipher::AES_256,
        };
        let key = aws_lc_rs::cipher::EncryptingKey::ecb(
            aws_lc_rs::cipher::UnboundCipherKey::new(alg, &value).unwrap(),
        )
        .unwrap();
        let mut buf = [0u8; 16];
        key.encrypt(&mut buf).unwrap();
        assert_eq!(ct, buf, "AES-{} ECB vs aws-lc-rs", len * 8);
    }
    let a = gen_aes(
        &s,
        32,
        &[Attribute::Sensitive(false), Attribute::Extractable(true)],
    );
    let b = gen_aes(
        &s,
        32,
        &[Attribute::Sensitive(false), Attribute::Extractable(true)],
    );
    assert_ne!(
        get_bytes(&s, a, AttributeType::Value),
        get_bytes(&s, b, AttributeType::Value),
        "two generated keys are equal"
    );
    for bad in [15u64, 33] {
        let rv = rv_of(s.generate_key(&Mechanism::AesKeyGen, &[Attribute::ValueLen(bad.into())]));
        assert!(
            matches!(
                rv,
                cryptoki::error::RvError::KeySizeRange
                    | cryptoki::error::RvError::AttributeValueInvalid
                    | cryptoki::error::RvError::TemplateInconsistent
            ),
            "AES key of {bad} bytes: {rv:?}"
        );
    }
}

#[test]
fn operation_state_and_key_checks() {
    let (_slot, s) = user_token("aes-state");
    let k = gen_aes(&s, 16, &[]);
    assert_rv!(s.encrypt_update(b"x"), OperationNotInitialized);
    assert_rv!(s.decrypt_final(), OperationNotInitialized);
    s.encrypt_init(&Mechanism::AesEcb, k).unwrap();
    assert_rv!(s.encrypt_init(&Mechanism::AesEcb, k), OperationActive);
    let _ = s.encrypt_final();
    // A key without CKA_ENCRYPT.
    let no = gen_aes(&s, 16, &[Attribute::Encrypt(false)]);
    assert_rv!(
        s.encrypt(&Mechanism::AesEcb, no, &[0u8; 16]),
        KeyFunctionNotPermitted
    );
    // Wrong key type for the mechanism.
    let generic = import_secret(
        &s,
        KeyType::GENERIC_SECRET,
        &[1u8; 16],
        &[Attribute::Encrypt(true)],
    );
    assert_rv!(
        s.encrypt(&Mechanism::AesEcb, generic, &[0u8; 16]),
        KeyTypeInconsistent
    );
    expect_rv(
        s.encrypt(&Mechanism::AesEcb, obj(0x7fff_fff0), &[0u8; 16]),
        cryptoki::error::RvError::KeyHandleInvalid,
        cryptoki::error::RvError::ObjectHandleInvalid,
        "C_EncryptInit with an invalid key handle",
    );
}
