//! Tests of secp256k1, X25519 and PKCS#8: known answers from the standards,
//! cross-checks against aws-lc-rs and negative cases.

use super::tests::{h, rsa2048, CURVES};
use super::*;
use aws_lc_rs::signature::{self as sig, KeyPair, UnparsedPublicKey};
use CryptoError as E;

const K1_G: &str = "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798
                    483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
const K1_2G: &str = "04c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5
                     1ae168fea63dc339a3c58419466ceaeef7f632653266d0e1236431a950cfe52a";
/// The secp256k1 group order n (SEC 2 section 2.4.1).
const K1_N: &str = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

#[test]
fn secp256k1_known_points() {
    let c = Curve::Secp256k1;
    assert_eq!(c.oid_der(), &h("06052b8104000a")[..]);
    assert_eq!(Curve::from_oid_der(&h("06052b8104000a")), Some(c));
    assert_eq!((c.bits(), c.field_len(), c.order_len()), (256, 32, 32));
    // d = 1 gives G, d = 2 gives 2G, d = n - 1 gives -G.
    let g = EcPrivateKey::from_scalar(c, &[1]).unwrap();
    assert_eq!(g.public_point(), h(K1_G));
    assert_eq!(&g.scalar()[..], &[&[0u8; 31][..], &[1]].concat()[..]);
    let two = EcPrivateKey::from_scalar(c, &[0, 2]).unwrap();
    assert_eq!(two.public_point(), h(K1_2G));
    let mut n = h(K1_N);
    assert_eq!(EcPrivateKey::from_scalar(c, &n).err(), Some(E::InvalidKey));
    n[31] -= 1;
    let minus = EcPrivateKey::from_scalar(c, &n).unwrap().public_point();
    let gy = h("b7c52588d95c3b9aa25b0403f1eef75702e84bb7597aabe663b82f6f04ef2777");
    assert_eq!((&minus[1..33], &minus[33..]), (&h(K1_G)[1..33], &gy[..]));
    // A P-256 point is not on secp256k1.
    let p256 = EcPrivateKey::generate(Curve::P256).unwrap().public_point();
    assert_eq!(EcPublicKey::from_point(c, &p256).err(), Some(E::InvalidKey));
    assert_eq!(g.ecdh(&p256).err(), Some(E::InvalidInput));
}

#[test]
fn ecdh_matches_scalar_multiplication() {
    // 3 * (2G) = 6G on every curve: ECDH_compute_key against EC_POINT_mul.
    for curve in CURVES {
        let three = EcPrivateKey::from_scalar(curve, &[3]).unwrap();
        let two = EcPrivateKey::from_scalar(curve, &[2]).unwrap().public_point();
        let six = EcPrivateKey::from_scalar(curve, &[6]).unwrap().public_point();
        let n = curve.field_len();
        assert_eq!(&three.ecdh(&two).unwrap()[..], &six[1..=n], "{curve:?}");
    }
}

#[test]
fn secp256k1_sign_verify_cross_checked() {
    let key = EcPrivateKey::generate(Curve::Secp256k1).unwrap();
    let public = key.public_key().unwrap();
    let point = key.public_point();
    let cases: [(Hash, &sig::EcdsaVerificationAlgorithm); 2] = [
        (Hash::Sha256, &sig::ECDSA_P256K1_SHA256_FIXED),
        (Hash::Sha3_256, &sig::ECDSA_P256K1_SHA3_256_FIXED),
    ];
    for (hash, alg) in cases {
        let s = key.sign_digest(&hash.digest(b"hello")).unwrap();
        assert_eq!(public.verify_digest(&hash.digest(b"hello"), &s), Ok(()));
        let other = UnparsedPublicKey::new(alg, &point);
        assert!(other.verify(b"hello", &s).is_ok());
        assert!(other.verify(b"hellO", &s).is_err());
        let mut t = s.clone();
        t[40] ^= 1;
        assert_eq!(
            public.verify_digest(&hash.digest(b"hello"), &t),
            Err(E::SignatureInvalid)
        );
    }
    // And a signature made by aws-lc-rs verifies here.
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let alg = &sig::ECDSA_P256K1_SHA256_FIXED_SIGNING;
    let doc = sig::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
    let theirs = sig::EcdsaKeyPair::from_pkcs8(alg, doc.as_ref()).unwrap();
    let s = theirs.sign(&rng, b"msg").unwrap();
    let q = EcPublicKey::from_point(Curve::Secp256k1, theirs.public_key().as_ref()).unwrap();
    assert_eq!(q.verify_digest(&Hash::Sha256.digest(b"msg"), s.as_ref()), Ok(()));
    // Its PKCS#8 imports here to the same key.
    let ParsedPrivateKey::Ec(mine) = private_key_from_pkcs8(doc.as_ref()).unwrap() else {
        panic!("not an EC key");
    };
    assert_eq!(mine.public_point(), q.point());
}

#[test]
fn x25519_rfc7748() {
    // Section 6.1.
    let a = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    let b = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    let a_pub = h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    let b_pub = h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    let shared = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assert_eq!(x25519_public_from_private(&a).unwrap().to_vec(), a_pub);
    assert_eq!(x25519_public_from_private(&b).unwrap().to_vec(), b_pub);
    assert_eq!(x25519(&a, &b_pub).unwrap().to_vec(), shared);
    assert_eq!(x25519(&b, &a_pub).unwrap().to_vec(), shared);
    // Section 5.2, first vector (an unclamped scalar).
    let k = h("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    let u = h("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    let want = h("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
    assert_eq!(x25519(&k, &u).unwrap().to_vec(), want);
}

#[test]
fn x25519_generate_and_errors() {
    let (a, a_pub) = x25519_generate().unwrap();
    let (b, b_pub) = x25519_generate().unwrap();
    assert_ne!(a_pub, b_pub);
    assert_eq!(x25519_public_from_private(&a[..]).unwrap(), a_pub);
    assert_eq!(x25519(&a[..], &b_pub).unwrap(), x25519(&b[..], &a_pub).unwrap());
    // Small-order peers (u = 0, u = 1) give the all-zero secret.
    let mut one = [0u8; 32];
    one[0] = 1;
    assert_eq!(x25519(&a[..], &[0; 32]).err(), Some(E::InvalidInput));
    assert_eq!(x25519(&a[..], &one).err(), Some(E::InvalidInput));
    assert_eq!(x25519(&a[..31], &b_pub).err(), Some(E::InvalidKey));
    assert_eq!(x25519(&a[..], &b_pub[..31]).err(), Some(E::InvalidInput));
    assert_eq!(x25519(&a[..], &[9; 33]).err(), Some(E::InvalidInput));
    assert_eq!(x25519_public_from_private(&[1; 33]).err(), Some(E::InvalidKey));
}

/// RFC 8410 section 10.3: the Ed25519 private key, v1 and v2 (with an
/// attribute and the public key).
const ED_V1: &str = "302e020100300506032b657004220420
                     d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842";
const ED_V2: &str = "3072020101300506032b657004220420
                     d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842
                     a01f301d060a2a864886f70d01090914310f0c0d437572646c652043686169
                     727381210019bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c
                     38ad703166e1";
const ED_SEED: &str = "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842";

fn raw(der: &[u8]) -> (&'static str, Vec<u8>) {
    match private_key_from_pkcs8(der).unwrap() {
        ParsedPrivateKey::Ed25519(k) => ("ed25519", k.to_vec()),
        ParsedPrivateKey::X25519(k) => ("x25519", k.to_vec()),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn pkcs8_ed25519_x25519_rfc8410() {
    let seed = h(ED_SEED);
    let der = private_key_to_pkcs8(&PrivateKeyRef::Ed25519(&seed)).unwrap();
    assert_eq!(&der[..], &h(ED_V1)[..]);
    assert_eq!(raw(&der), ("ed25519", seed.clone()));
    assert_eq!(raw(&h(ED_V2)), ("ed25519", seed.clone()));
    // aws-lc-rs reads our encoding to the same key.
    let theirs = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).unwrap();
    let public = ed25519_public_from_seed(&seed).unwrap();
    assert_eq!(theirs.public_key().as_ref(), &public[..]);
    // A v2 key whose public key does not match its seed is rejected.
    let mut bad = h(ED_V2);
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(private_key_from_pkcs8(&bad).err(), Some(E::InvalidKey));

    let (k, _) = x25519_generate().unwrap();
    let der = private_key_to_pkcs8(&PrivateKeyRef::X25519(&k[..])).unwrap();
    // RFC 8410 section 7 layout with OID 1.3.101.110.
    assert_eq!(&der[..16], &h("302e020100300506032b656e04220420")[..]);
    assert_eq!(&der[16..], &k[..]);
    assert_eq!(raw(&der), ("x25519", k.to_vec()));

    let short = PrivateKeyRef::Ed25519(&seed[..31]);
    assert_eq!(private_key_to_pkcs8(&short).err(), Some(E::InvalidKey));
    let long = PrivateKeyRef::X25519(&[0; 33]);
    assert_eq!(private_key_to_pkcs8(&long).err(), Some(E::InvalidKey));
}

#[test]
fn pkcs8_rsa_round_trip() {
    let key = rsa2048();
    let der = private_key_to_pkcs8(&PrivateKeyRef::Rsa(&key)).unwrap();
    let ParsedPrivateKey::Rsa(back) = private_key_from_pkcs8(&der).unwrap() else {
        panic!("not RSA");
    };
    let (a, b) = (key.components(), back.components());
    assert_eq!((&a.n, &a.e, &a.d, &a.p, &a.q), (&b.n, &b.e, &b.d, &b.p, &b.q));
    assert_eq!((&a.dp, &a.dq, &a.qinv), (&b.dp, &b.dq, &b.qinv));
    // aws-lc-rs accepts our encoding: its signature verifies with our key.
    let theirs = sig::RsaKeyPair::from_pkcs8(&der).unwrap();
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut s = vec![0u8; theirs.public_modulus_len()];
    theirs.sign(&sig::RSA_PKCS1_SHA256, &rng, b"msg", &mut s).unwrap();
    let info = [Hash::Sha256.digest_info_prefix(), &Hash::Sha256.digest(b"msg")].concat();
    assert_eq!(back.public().verify_pkcs1_raw(&info, &s), Ok(()));
    // A key without CRT parameters cannot be encoded.
    let mut min = a.clone();
    for v in [&mut min.p, &mut min.q, &mut min.dp, &mut min.dq, &mut min.qinv] {
        v.clear();
    }
    let no_crt = RsaPrivateKey::from_components(&min).unwrap();
    let err = private_key_to_pkcs8(&PrivateKeyRef::Rsa(&no_crt)).err();
    assert_eq!(err, Some(E::InvalidKey));
    // Corrupting a byte inside the key material fails the consistency check.
    let mut bad = der.to_vec();
    bad[der.len() - 40] ^= 1;
    assert_eq!(private_key_from_pkcs8(&bad).err(), Some(E::InvalidKey));
}

#[test]
fn pkcs8_ec_round_trip() {
    for curve in CURVES {
        let key = EcPrivateKey::generate(curve).unwrap();
        let der = private_key_to_pkcs8(&PrivateKeyRef::Ec(&key)).unwrap();
        // AlgorithmIdentifier { id-ecPublicKey, namedCurve }.
        let oid = curve.oid_der();
        assert!(der.windows(oid.len()).any(|w| w == oid), "{curve:?}");
        let ParsedPrivateKey::Ec(back) = private_key_from_pkcs8(&der).unwrap() else {
            panic!("not EC");
        };
        assert_eq!(back.curve(), curve);
        assert_eq!(&back.scalar()[..], &key.scalar()[..]);
        assert_eq!(back.public_point(), key.public_point());
    }
    // aws-lc-rs reads a P-256 encoding and signs for our public key.
    let key = EcPrivateKey::generate(Curve::P256).unwrap();
    let der = private_key_to_pkcs8(&PrivateKeyRef::Ec(&key)).unwrap();
    let alg = &sig::ECDSA_P256_SHA256_FIXED_SIGNING;
    let theirs = sig::EcdsaKeyPair::from_pkcs8(alg, &der).unwrap();
    assert_eq!(theirs.public_key().as_ref(), &key.public_point()[..]);
}

#[test]
fn pkcs8_rejects_malformed_input() {
    let ec = EcPrivateKey::generate(Curve::P384).unwrap();
    let ec_der = private_key_to_pkcs8(&PrivateKeyRef::Ec(&ec)).unwrap();
    for der in [h(ED_V1), h(ED_V2), ec_der.to_vec()] {
        // Every truncation, and one trailing byte.
        for n in 0..der.len() {
            assert_eq!(
                private_key_from_pkcs8(&der[..n]).err(),
                Some(E::InvalidKey),
                "{n}"
            );
        }
        let long = [&der[..], &[0]].concat();
        assert_eq!(private_key_from_pkcs8(&long).err(), Some(E::InvalidKey));
        let twice = [&der[..], &der[..]].concat();
        assert_eq!(private_key_from_pkcs8(&twice).err(), Some(E::InvalidKey));
    }
    // Garbage, a bare ECPrivateKey / RSAPublicKey, an unknown algorithm.
    assert_eq!(private_key_from_pkcs8(&[0xff; 64]).err(), Some(E::InvalidKey));
    let rsa_pub = rsa2048().public().to_pkcs1_der();
    assert_eq!(private_key_from_pkcs8(&rsa_pub).err(), Some(E::InvalidKey));
    let mut other = h(ED_V1);
    other[11] = 0x71; // 1.3.101.113, Ed448
    assert_eq!(private_key_from_pkcs8(&other).err(), Some(E::InvalidKey));
    // The scalar zero is not a private key.
    let mut zero = ec_der.to_vec();
    let d = ec.scalar();
    let at = zero.windows(d.len()).position(|w| w == &d[..]).unwrap();
    zero[at..at + d.len()].fill(0);
    assert_eq!(private_key_from_pkcs8(&zero).err(), Some(E::InvalidKey));
}

#[test]
fn pkcs8_debug_shows_no_key_material() {
    let seed = h(ED_SEED);
    let parsed = private_key_from_pkcs8(&h(ED_V1)).unwrap();
    assert_eq!(format!("{parsed:?}"), "ParsedPrivateKey::Ed25519");
    let r = PrivateKeyRef::Ed25519(&seed);
    assert_eq!(format!("{r:?}"), "PrivateKeyRef::Ed25519");
    let ec = EcPrivateKey::generate(Curve::Secp256k1).unwrap();
    assert_eq!(format!("{:?}", PrivateKeyRef::Ec(&ec)), "PrivateKeyRef::Ec");
}

#[test]
fn rsa_pss_and_oaep_accept_the_new_hashes() {
    let key = rsa2048();
    let public = key.public();
    let new = [
        Hash::Md5,
        Hash::Sha3_224,
        Hash::Sha3_256,
        Hash::Sha3_384,
        Hash::Sha3_512,
    ];
    for hash in new {
        let d = hash.digest(b"m");
        let s = key.sign_pss(&d, hash, hash, hash.len()).unwrap();
        assert_eq!(public.verify_pss(&d, hash, hash, hash.len(), &s), Ok(()));
        let other = public.verify_pss(&d, hash, Hash::Sha256, hash.len(), &s);
        assert_eq!(other, Err(E::SignatureInvalid));
        let c = public
            .encrypt_oaep(b"secret", hash, Hash::Sha3_256, b"l")
            .unwrap();
        assert_eq!(
            &key.decrypt_oaep(&c, hash, Hash::Sha3_256, b"l").unwrap()[..],
            b"secret"
        );
        let err = key.decrypt_oaep(&c, hash, Hash::Sha256, b"l").err();
        assert_eq!(err, Some(E::DecryptFailed));
    }
}
