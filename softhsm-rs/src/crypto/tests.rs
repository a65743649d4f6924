//! Tests of the public crypto API: known-answer vectors from the standards,
//! round trips, negative cases and cross-checks against aws-lc-rs.

use super::*;
use aws_lc_rs::signature::{self as sig, UnparsedPublicKey};
use std::sync::OnceLock;
use CryptoError as E;

pub(super) const CURVES: [Curve; 4] = [Curve::P256, Curve::P384, Curve::P521, Curve::Secp256k1];

pub(super) fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '\n'], "")).unwrap()
}

/// One shared 2048-bit key (generation is slow); each test imports it.
pub(super) fn rsa2048() -> RsaPrivateKey {
    static KEY: OnceLock<RsaComponents> = OnceLock::new();
    let c = KEY.get_or_init(|| RsaPrivateKey::generate(2048, &[]).unwrap().components());
    RsaPrivateKey::from_components(c).unwrap()
}

fn aes(mode: AesMode, key: &[u8], iv: &[u8], enc: bool, pad: bool, parts: &[&[u8]]) -> Result<Vec<u8>> {
    let mut c = AesCipher::new(mode, key, iv, enc, pad)?;
    let mut out = Vec::new();
    for p in parts {
        out.extend(c.update(p)?);
    }
    out.extend(c.finish()?);
    Ok(out)
}

fn gcm(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    tag: usize,
    enc: bool,
    input: &[u8],
    split: usize,
) -> Result<Vec<u8>> {
    let mut g = AesGcm::new(key, iv, aad, tag, enc)?;
    let (a, b) = input.split_at(split.min(input.len()));
    let mut out = g.update(a)?;
    out.extend(g.update(b)?);
    out.extend(g.finish()?);
    Ok(out)
}

#[test]
fn sha_and_hmac_known_answers() {
    let abc = h("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(Hash::Sha256.digest(b"abc"), abc);
    let mut d = Digest::new(Hash::Sha256);
    d.update(b"a");
    let mut d2 = d.clone();
    d2.update(b"bc");
    assert_eq!(d2.finish(), abc);
    d.update(b"bd");
    assert_ne!(d.finish(), abc);
    // RFC 4231 test cases 1 and 2 (SHA-256), and case 1 for SHA-224.
    let mut m = Hmac::new(Hash::Sha256, &[0x0b; 20]);
    m.update(b"Hi ");
    m.clone().update(b"ignored");
    m.update(b"There");
    assert_eq!(
        m.finish(),
        h("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    );
    let mut m = Hmac::new(Hash::Sha256, b"Jefe");
    m.update(b"what do ya want for nothing?");
    assert_eq!(
        m.finish(),
        h("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    );
    let mut m = Hmac::new(Hash::Sha224, &[0x0b; 20]);
    m.update(b"Hi There");
    assert_eq!(
        m.finish(),
        h("896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22")
    );
    for hash in super::tests_sym::HASHES {
        assert_eq!(hash.digest(b"x").len(), hash.len());
        let p = hash.digest_info_prefix();
        // DER: the outer SEQUENCE covers the rest of the prefix plus the digest,
        // and the final OCTET STRING header announces the digest length.
        assert_eq!(p[1] as usize + 2, p.len() + hash.len());
        assert_eq!(p[p.len() - 1] as usize, hash.len());
    }
}

#[test]
fn random_and_ct_eq() {
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    random(&mut a).unwrap();
    random(&mut b).unwrap();
    assert_ne!(a, b);
    assert!(ct_eq(&a, &a) && !ct_eq(&a, &b) && !ct_eq(&a, &a[1..]));
}

#[test]
fn aes_ecb_cbc_ctr_known_answers() {
    // FIPS-197 appendix C.1.
    let (k, p) = (
        h("000102030405060708090a0b0c0d0e0f"),
        h("00112233445566778899aabbccddeeff"),
    );
    let c = aes(AesMode::Ecb, &k, &[], true, false, &[&p[..5], &p[5..]]).unwrap();
    assert_eq!(c, h("69c4e0d86a7b0430d8cdb78070b4c55a"));
    assert_eq!(aes(AesMode::Ecb, &k, &[], false, false, &[&c]).unwrap(), p);
    // SP 800-38A F.2.1 (CBC) and F.5.1 (CTR), first two blocks.
    let k = h("2b7e151628aed2a6abf7158809cf4f3c");
    let p = h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
    let iv = h("000102030405060708090a0b0c0d0e0f");
    let c = aes(AesMode::Cbc, &k, &iv, true, false, &[&p[..7], &p[7..]]).unwrap();
    assert_eq!(
        c,
        h("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2")
    );
    assert_eq!(
        aes(AesMode::Cbc, &k, &iv, false, false, &[&c[..20], &c[20..]]).unwrap(),
        p
    );
    let ctr = h("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    let c = aes(AesMode::Ctr, &k, &ctr, true, false, &[&p[..3], &p[3..]]).unwrap();
    assert_eq!(
        c,
        h("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff")
    );
    assert_eq!(
        aes(AesMode::Ctr, &k, &ctr, false, false, &[&c[..31]]).unwrap(),
        p[..31]
    );
}

#[test]
fn aes_padding_and_errors() {
    let (k, iv) = ([7u8; 24], [9u8; 16]);
    let msg = b"twenty-one bytes long";
    let c = aes(AesMode::Cbc, &k, &iv, true, true, &[&msg[..4], &msg[4..]]).unwrap();
    assert_eq!(c.len(), 32);
    assert_eq!(
        aes(AesMode::Cbc, &k, &iv, false, true, &[&c[..17], &c[17..]]).unwrap(),
        msg
    );
    // A block whose last plaintext byte is 0 is never valid PKCS#7.
    let bad = aes(AesMode::Ecb, &k, &[], true, false, &[&[0u8; 16]]).unwrap();
    assert_eq!(
        aes(AesMode::Ecb, &k, &[], false, true, &[&bad]),
        Err(E::DecryptFailed)
    );
    assert_eq!(aes(AesMode::Ecb, &k, &[], false, true, &[]), Err(E::DataLenRange));
    assert_eq!(
        aes(AesMode::Cbc, &k, &iv, true, false, &[&[1; 17]]),
        Err(E::DataLenRange)
    );
    assert_eq!(
        aes(AesMode::Cbc, &k, &iv, false, true, &[&[1; 20]]),
        Err(E::DataLenRange)
    );
    let new = |mode, key: &[u8], iv: &[u8], pad| AesCipher::new(mode, key, iv, true, pad).err();
    assert_eq!(new(AesMode::Cbc, &[0; 15], &iv, false), Some(E::KeySize));
    assert_eq!(new(AesMode::Ctr, &k, &iv, true), Some(E::InvalidInput));
    assert_eq!(new(AesMode::Ecb, &k, &iv, false), Some(E::InvalidInput));
    assert_eq!(new(AesMode::Cbc, &k, &[0; 8], false), Some(E::InvalidInput));
    let mut c = AesCipher::new(AesMode::Ctr, &k, &iv, true, false).unwrap();
    assert_eq!(c.finish(), Ok(vec![]));
    assert_eq!(c.update(b"x").err(), Some(E::InvalidInput));
}

#[test]
fn aes_gcm_known_answers_and_failures() {
    // GCM specification test cases 1 and 2.
    let z = [0u8; 16];
    let empty = gcm(&z, &z[..12], &[], 16, true, &[], 0).unwrap();
    assert_eq!(empty, h("58e2fccefa7e3061367f1d57a4e7455a"));
    let ct = h("0388dace60b6a392f328c2b971b2fe78 ab6e47d42cec13bdf53a67b21257bddf");
    assert_eq!(gcm(&z, &z[..12], &[], 16, true, &z, 5).unwrap(), ct);
    for split in [0, 10, 20, 32] {
        assert_eq!(gcm(&z, &z[..12], &[], 16, false, &ct, split).unwrap(), z);
    }
    // Test case 6: 60-byte IV, with AAD.
    let k = h("feffe9928665731c6d6a8f9467308308");
    let iv = h("9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728
                c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b");
    let p = h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
               1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    let aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let c = gcm(&k, &iv, &aad, 16, true, &p, 33).unwrap();
    let want = h("8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7
                  01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5
                  619cc5aefffe0bfa462af43c1699d050");
    assert_eq!(c, want);
    assert_eq!(gcm(&k, &iv, &aad, 16, false, &c, 60).unwrap(), p);
    assert_eq!(
        gcm(&k, &iv, b"other aad", 16, false, &c, 60),
        Err(E::DecryptFailed)
    );
    // 12-byte tag and a 1-byte IV; a tampered tag releases no plaintext.
    let mut c = gcm(&k, &[1], &[], 12, true, &p, 1).unwrap();
    assert_eq!(c.len(), p.len() + 12);
    assert_eq!(gcm(&k, &[1], &[], 12, false, &c, 7).unwrap(), p);
    let last = c.len() - 1;
    c[last] ^= 1;
    let mut g = AesGcm::new(&k, &[1], &[], 12, false).unwrap();
    assert!(g.update(&c).unwrap().is_empty());
    assert_eq!(g.finish(), Err(E::DecryptFailed));
    assert_eq!(g.finish(), Err(E::InvalidInput));
    assert_eq!(gcm(&k, &[1], &[], 12, false, &c[..11], 0), Err(E::DataLenRange));
    let new = |key: &[u8], iv: &[u8], tag| AesGcm::new(key, iv, &[], tag, true).err();
    assert_eq!(new(&k, &[], 16), Some(E::InvalidInput));
    assert_eq!(new(&k, &[1], 3), Some(E::InvalidInput));
    assert_eq!(new(&k, &[1], 17), Some(E::InvalidInput));
    assert_eq!(new(&k[..10], &[1], 16), Some(E::KeySize));
}

#[test]
fn cmac_rfc4493() {
    let k = h("2b7e151628aed2a6abf7158809cf4f3c");
    let empty = AesCmac::new(&k).unwrap().finish().unwrap();
    assert_eq!(empty.to_vec(), h("bb1d6929e95937287fa37d129b756746"));
    let mut m = AesCmac::new(&k).unwrap();
    m.update(&h("6bc1bee22e409f96")).unwrap();
    let mut fork = m.clone();
    fork.update(b"diverges").unwrap();
    m.update(&h("e93d7e117393172a")).unwrap();
    let want = h("070a16b46b4d4144f79bdd9dd04a287c");
    assert_eq!(m.finish().unwrap().to_vec(), want);
    assert_ne!(fork.finish().unwrap().to_vec(), want);
    assert_eq!(AesCmac::new(&k[..8]).err(), Some(E::KeySize));
}

#[test]
fn key_wrap_rfc3394_rfc5649() {
    // RFC 3394 section 4.1.
    let kek = h("000102030405060708090a0b0c0d0e0f");
    let key = h("00112233445566778899aabbccddeeff");
    let mut w = aes_key_wrap(&kek, &key).unwrap();
    assert_eq!(w, h("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"));
    assert_eq!(&aes_key_unwrap(&kek, &w).unwrap()[..], &key[..]);
    w[3] ^= 1;
    assert_eq!(aes_key_unwrap(&kek, &w).err(), Some(E::DecryptFailed));
    assert_eq!(aes_key_wrap(&kek, &key[..12]).err(), Some(E::DataLenRange));
    // RFC 5649 section 6, both vectors.
    let kek = h("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
    let key = h("c37b7e6492584340bed12207808941155068f738");
    let mut w = aes_key_wrap_pad(&kek, &key).unwrap();
    assert_eq!(
        w,
        h("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a")
    );
    assert_eq!(&aes_key_unwrap_pad(&kek, &w).unwrap()[..], &key[..]);
    w[20] ^= 1;
    assert_eq!(aes_key_unwrap_pad(&kek, &w).err(), Some(E::DecryptFailed));
    let w = aes_key_wrap_pad(&kek, &h("466f7250617369")).unwrap();
    assert_eq!(w, h("afbeb0f07dfbf5419200f2ccb50bb24f"));
    assert_eq!(
        &aes_key_unwrap_pad(&kek, &w).unwrap()[..],
        &h("466f7250617369")[..]
    );
    assert_eq!(aes_key_wrap_pad(&kek[..5], &key).err(), Some(E::KeySize));
}

#[test]
fn ed25519_rfc8032_test1() {
    let seed = h("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let public = ed25519_public_from_seed(&seed).unwrap();
    let want = h("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    assert_eq!(public.to_vec(), want);
    let s = ed25519_sign(&seed, b"").unwrap();
    let want = h("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155
                  5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assert_eq!(s.to_vec(), want);
    assert_eq!(ed25519_verify(&public, b"", &s), Ok(()));
    assert_eq!(ed25519_verify(&public, b"x", &s), Err(E::SignatureInvalid));
    assert_eq!(ed25519_verify(&public, b"", &s[1..]), Err(E::SignatureInvalid));
    assert_eq!(ed25519_verify(&public[1..], b"", &s), Err(E::InvalidKey));
    assert_eq!(ed25519_sign(&seed[1..], b"").err(), Some(E::InvalidKey));
    let (seed2, public2) = ed25519_generate().unwrap();
    assert_eq!(ed25519_public_from_seed(&seed2[..]).unwrap(), public2);
    let s2 = ed25519_sign(&seed2[..], b"msg").unwrap();
    assert_eq!(ed25519_verify(&public2, b"msg", &s2), Ok(()));
}

#[test]
fn rsa_pkcs1_signature_cross_checked() {
    let key = rsa2048();
    let public = key.public();
    assert_eq!((key.size(), key.bits(), public.bits()), (256, 2048, 2048));
    let msg = b"message to sign";
    let info = [Hash::Sha256.digest_info_prefix(), &Hash::Sha256.digest(msg)].concat();
    let s = key.sign_pkcs1_raw(&info).unwrap();
    assert_eq!(public.verify_pkcs1_raw(&info, &s), Ok(()));
    let der = public.to_pkcs1_der();
    let other = UnparsedPublicKey::new(&sig::RSA_PKCS1_2048_8192_SHA256, &der);
    assert!(other.verify(msg, &s).is_ok());
    assert!(other.verify(b"other", &s).is_err());
    assert_eq!(public.verify_pkcs1_raw(&info[1..], &s), Err(E::SignatureInvalid));
    let mut t = s.clone();
    t[100] ^= 1;
    assert_eq!(public.verify_pkcs1_raw(&info, &t), Err(E::SignatureInvalid));
    assert_eq!(public.verify_pkcs1_raw(&info, &s[1..]), Err(E::InvalidInput));
    assert_eq!(
        public.verify_pkcs1_raw(&info, &[0xff; 256]),
        Err(E::SignatureInvalid)
    );
    assert_eq!(key.sign_pkcs1_raw(&[1; 245]).unwrap().len(), 256);
    assert_eq!(key.sign_pkcs1_raw(&[1; 246]).err(), Some(E::DataLenRange));
}

#[test]
fn rsa_pss() {
    let key = rsa2048();
    let public = key.public();
    let msg = b"pss message";
    let (d, s256, s1) = (Hash::Sha256.digest(msg), Hash::Sha256, Hash::Sha1);
    let s = key.sign_pss(&d, s256, s256, 32).unwrap();
    assert_eq!(public.verify_pss(&d, s256, s256, 32, &s), Ok(()));
    let der = public.to_pkcs1_der();
    let other = UnparsedPublicKey::new(&sig::RSA_PSS_2048_8192_SHA256, &der);
    assert!(other.verify(msg, &s).is_ok());
    assert_eq!(
        public.verify_pss(&d, s256, s256, 20, &s),
        Err(E::SignatureInvalid)
    );
    assert_eq!(public.verify_pss(&d, s256, s1, 32, &s), Err(E::SignatureInvalid));
    assert_eq!(
        public.verify_pss(&d, s256, s256, 32, &s[1..]),
        Err(E::InvalidInput)
    );
    // SHA-1 digest with MGF1-SHA-256 and an empty salt.
    let d1 = s1.digest(msg);
    let s = key.sign_pss(&d1, s1, s256, 0).unwrap();
    assert_eq!(public.verify_pss(&d1, s1, s256, 0, &s), Ok(()));
    let mut bad = d1.clone();
    bad[0] ^= 1;
    assert_eq!(public.verify_pss(&bad, s1, s256, 0, &s), Err(E::SignatureInvalid));
    assert_eq!(key.sign_pss(&d1, s256, s256, 32).err(), Some(E::InvalidInput));
    // emLen 256: hLen + sLen + 2 <= 256.
    assert_eq!(key.sign_pss(&d, s256, s256, 223).err(), Some(E::InvalidInput));
    let huge = public.verify_pss(&d, s256, s256, usize::MAX, &[0; 256]);
    assert_eq!(huge, Err(E::InvalidInput));
    let s = key.sign_pss(&d, s256, s256, 222).unwrap();
    assert_eq!(public.verify_pss(&d, s256, s256, 222, &s), Ok(()));
}

#[test]
fn rsa_encryption() {
    let key = rsa2048();
    let public = key.public();
    let secret = b"session key bytes";
    for (hash, mgf1, label) in [
        (Hash::Sha256, Hash::Sha1, &b"a label"[..]),
        (Hash::Sha1, Hash::Sha1, &b""[..]),
        (Hash::Sha512, Hash::Sha256, &b"x"[..]),
    ] {
        let mut c = public.encrypt_oaep(secret, hash, mgf1, label).unwrap();
        assert_eq!(&key.decrypt_oaep(&c, hash, mgf1, label).unwrap()[..], secret);
        assert_eq!(
            key.decrypt_oaep(&c, hash, mgf1, b"wrong").err(),
            Some(E::DecryptFailed)
        );
        let other_mgf = key.decrypt_oaep(&c, hash, Hash::Sha384, label);
        assert_eq!(other_mgf.err(), Some(E::DecryptFailed));
        c[10] ^= 0x40;
        assert_eq!(
            key.decrypt_oaep(&c, hash, mgf1, label).err(),
            Some(E::DecryptFailed)
        );
    }
    assert!(public
        .encrypt_oaep(&[0; 190], Hash::Sha256, Hash::Sha1, b"")
        .is_ok());
    let too_long = public.encrypt_oaep(&[0; 191], Hash::Sha256, Hash::Sha1, b"");
    assert_eq!(too_long.err(), Some(E::DataLenRange));
    let mut c = public.encrypt_pkcs1(secret).unwrap();
    assert_ne!(c, public.encrypt_pkcs1(secret).unwrap(), "v1.5 padding is random");
    assert_eq!(&key.decrypt_pkcs1(&c).unwrap()[..], secret);
    assert_eq!(key.decrypt_pkcs1(&c[1..]).err(), Some(E::DataLenRange));
    c[0] ^= 0x01;
    assert_eq!(key.decrypt_pkcs1(&c).err(), Some(E::DecryptFailed));
    assert_eq!(public.encrypt_pkcs1(&[0; 246]).err(), Some(E::DataLenRange));
    // Raw RSA: the public and private operations are inverses.
    let x = [&[0u8][..], &[0x5a; 255]].concat();
    let y = key.raw_private(&x).unwrap();
    assert_eq!(public.raw_public(&y).unwrap(), x);
    assert_eq!(public.raw_public(&[0xff; 256]).err(), Some(E::InvalidInput));
    assert_eq!(key.raw_private(&[0xff; 256]).err(), Some(E::InvalidInput));
    assert_eq!(key.raw_private(&x[1..]).err(), Some(E::DataLenRange));
}

#[test]
fn rsa_components_round_trip() {
    let key = rsa2048();
    let c = key.components();
    assert!(c.n[0] != 0 && c.n.len() == 256 && c.e == [1, 0, 1] && c.p.len() == 128);
    let again = RsaPrivateKey::from_components(&c).unwrap().components();
    assert_eq!((&again.n, &again.d, &again.p), (&c.n, &c.d, &c.p));
    assert_eq!((&again.dp, &again.dq, &again.qinv), (&c.dp, &c.dq, &c.qinv));
    // n, e, d only: the same deterministic PKCS#1 v1.5 signature.
    let mut min = c.clone();
    for v in [&mut min.p, &mut min.q, &mut min.dp, &mut min.dq, &mut min.qinv] {
        v.clear();
    }
    let no_crt = RsaPrivateKey::from_components(&min).unwrap();
    let abc = key.sign_pkcs1_raw(b"abc").unwrap();
    assert_eq!(no_crt.sign_pkcs1_raw(b"abc").unwrap(), abc);
    assert!(no_crt.components().p.is_empty());
    let public = RsaPublicKey::from_components(&c.n, &c.e).unwrap();
    assert_eq!((public.n(), public.e()), (c.n.clone(), c.e.clone()));
    assert_eq!(public.verify_pkcs1_raw(b"abc", &abc), Ok(()));
    let mut bad = c.clone();
    bad.dp[0] ^= 1;
    assert_eq!(RsaPrivateKey::from_components(&bad).err(), Some(E::InvalidKey));
    let mut bad = c.clone();
    bad.p[5] ^= 1;
    assert_eq!(RsaPrivateKey::from_components(&bad).err(), Some(E::InvalidKey));
    let mut bad = min.clone();
    bad.d[10] ^= 1;
    assert_eq!(RsaPrivateKey::from_components(&bad).err(), Some(E::InvalidKey));
    let empty = RsaComponents::default();
    assert_eq!(RsaPrivateKey::from_components(&empty).err(), Some(E::InvalidKey));
    assert_eq!(
        RsaPublicKey::from_components(&c.n, &[]).err(),
        Some(E::InvalidKey)
    );
    assert_eq!(
        RsaPublicKey::from_components(&c.n, &[2]).err(),
        Some(E::InvalidKey)
    );
}

#[test]
fn rsa_generate_parameters() {
    let key = RsaPrivateKey::generate(1024, &[0, 3]).unwrap();
    assert_eq!((key.bits(), key.public().e()), (1024, vec![3]));
    assert_eq!(RsaPrivateKey::generate(512, &[]).err(), Some(E::KeySize));
    assert_eq!(RsaPrivateKey::generate(1100, &[]).err(), Some(E::KeySize));
    assert_eq!(
        RsaPrivateKey::generate(2048, &[1, 0, 0]).err(),
        Some(E::InvalidInput)
    );
    assert_eq!(RsaPrivateKey::generate(2048, &[1]).err(), Some(E::InvalidInput));
    assert_eq!(
        RsaPrivateKey::generate(2048, &[1, 0, 0, 0, 1]).err(),
        Some(E::InvalidInput)
    );
}

#[test]
fn ecdsa_sign_verify_all_curves() {
    for curve in CURVES {
        let key = EcPrivateKey::generate(curve).unwrap();
        let public = key.public_key().unwrap();
        assert_eq!(key.public_point().len(), 1 + 2 * curve.field_len());
        for len in [20, 32, 64, curve.order_len()] {
            let d: Vec<u8> = (1..=len as u8).collect();
            let s = key.sign_digest(&d).unwrap();
            assert_eq!(s.len(), 2 * curve.order_len());
            assert_eq!(public.verify_digest(&d, &s), Ok(()));
            let mut t = s.clone();
            t[3] ^= 1;
            assert_eq!(public.verify_digest(&d, &t), Err(E::SignatureInvalid));
            assert_eq!(public.verify_digest(&d[1..], &s), Err(E::SignatureInvalid));
            assert_eq!(public.verify_digest(&d, &s[1..]), Err(E::SignatureInvalid));
        }
        let zeros = vec![0u8; 2 * curve.order_len()];
        assert_eq!(public.verify_digest(b"x", &zeros), Err(E::SignatureInvalid));
    }
}

#[test]
fn ecdsa_cross_checked_with_aws_lc_rs() {
    let cases: [(Curve, Hash, &sig::EcdsaVerificationAlgorithm); 2] = [
        (Curve::P256, Hash::Sha256, &sig::ECDSA_P256_SHA256_FIXED),
        (Curve::P384, Hash::Sha384, &sig::ECDSA_P384_SHA384_FIXED),
    ];
    for (curve, hash, alg) in cases {
        let key = EcPrivateKey::generate(curve).unwrap();
        let s = key.sign_digest(&hash.digest(b"hello")).unwrap();
        let point = key.public_point();
        assert!(UnparsedPublicKey::new(alg, &point).verify(b"hello", &s).is_ok());
        assert!(UnparsedPublicKey::new(alg, &point).verify(b"hellO", &s).is_err());
    }
}

#[test]
fn ecdh_agreement() {
    for curve in CURVES {
        let a = EcPrivateKey::generate(curve).unwrap();
        let b = EcPrivateKey::generate(curve).unwrap();
        let ab = a.ecdh(&b.public_point()).unwrap();
        assert_eq!(ab.len(), curve.field_len());
        assert_eq!(ab, b.ecdh(&a.public_point()).unwrap());
        // The compressed form of the same point gives the same secret.
        let (p, n) = (b.public_point(), curve.field_len());
        let compressed = [&[2 + (p[2 * n] & 1)][..], &p[1..=n]].concat();
        assert_eq!(a.ecdh(&compressed).unwrap(), ab);
        let mut off = p.clone();
        off[n] ^= 1;
        assert_eq!(a.ecdh(&off).err(), Some(E::InvalidInput));
    }
    let other = EcPrivateKey::generate(Curve::P384).unwrap().public_point();
    let p256 = EcPrivateKey::generate(Curve::P256).unwrap();
    assert_eq!(p256.ecdh(&other).err(), Some(E::InvalidInput));
}

#[test]
fn ec_scalar_import_and_oids() {
    for curve in CURVES {
        assert_eq!(Curve::from_oid_der(curve.oid_der()), Some(curve));
        let key = EcPrivateKey::generate(curve).unwrap();
        let d = key.scalar();
        assert_eq!(d.len(), curve.order_len());
        let again = EcPrivateKey::from_scalar(curve, &d).unwrap();
        assert_eq!((again.public_point(), again.curve()), (key.public_point(), curve));
        assert_eq!(&again.scalar()[..], &d[..]);
        let q = EcPublicKey::from_point(curve, &key.public_point()).unwrap();
        assert_eq!((q.point(), q.curve()), (key.public_point(), curve));
        let too_big = vec![0xff; curve.order_len()];
        assert_eq!(
            EcPrivateKey::from_scalar(curve, &too_big).err(),
            Some(E::InvalidKey)
        );
        let too_long = vec![1; curve.order_len() + 1];
        assert_eq!(
            EcPrivateKey::from_scalar(curve, &too_long).err(),
            Some(E::InvalidKey)
        );
        assert_eq!(
            EcPrivateKey::from_scalar(curve, &[0, 0]).err(),
            Some(E::InvalidKey)
        );
    }
    // d = 1 yields the P-256 generator; short input is left-padded.
    let one = EcPrivateKey::from_scalar(Curve::P256, &[0, 1]).unwrap();
    let gx = h("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
    assert_eq!(one.public_point()[1..33], gx[..]);
    assert_eq!(one.scalar()[31], 1);
    assert_eq!(Curve::from_oid_der(&[0x06, 0x03, 0x2b, 0x65, 0x70]), None);
    assert_eq!(
        EcPublicKey::from_point(Curve::P256, &[4; 65]).err(),
        Some(E::InvalidKey)
    );
    assert_eq!(
        EcPublicKey::from_point(Curve::P256, &[]).err(),
        Some(E::InvalidKey)
    );
}
