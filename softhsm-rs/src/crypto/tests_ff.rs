//! Tests of finite-field DSA and Diffie-Hellman.
//!
//! The known answers were computed with an independent big-integer
//! implementation (Python's built-in integers and `pow`), not with aws-lc:
//! - DSA: a 2048/224 group made for this test (q and p pass 40 Miller-Rabin
//!   rounds, q | p - 1, g = 2^((p-1)/q) mod p), x and k derived from SHA-256
//!   of fixed labels, k chosen so that r has a leading zero byte; the message
//!   digest is SHA-256("abc"), of which DSA uses the leftmost 224 bits.
//! - DH: the RFC 3526 2048-bit MODP group (group 14, g = 2), its prime
//!   recomputed from the RFC's formula 2^2048 - 2^1984 - 1 + 2^64 *
//!   (floor(2^1918 pi) + 124476); x_a chosen so that the shared secret has a
//!   leading zero byte. Long results are compared through their SHA-256.

use super::*;
use crate::crypto::{CryptoError as E, Hash};
use std::time::Instant;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '\n'], "")).unwrap()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    Hash::Sha256.digest(data)
}

/// `v + d` for a big-endian integer whose last byte does not overflow.
fn add_last(v: &[u8], d: i16) -> Vec<u8> {
    let mut v = v.to_vec();
    let last = v.last_mut().unwrap();
    *last = u8::try_from(i16::from(*last) + d).unwrap();
    v
}

const DSA_P: &str = "
    b2d4bf97fe8860a5502171b832821ff462efcc03700a1f8d71933e8bcfc39eac
    c1b11fe3c71c85eaace65c843dbda936301393fa9a273b4359ceaf8b64a7e690
    a63f47df5c270fa8b8a5f74ca8e5d6b066b8dff17bf32e42513230bb491d4c52
    f6ac10e23497011353742dea159eec21aaff324ad794e0eba23e7e1dedc6b243
    f31f0435f4d2dca6e18fa9d5953151bb93c976aaf6f0ba0328674fa9d1dc48a6
    d006162c93d53d077d8635c7d4e2b8d7efdeebf1ee537ca5e702c5fb99aa9eba
    118058fd2dd6a4f9c1415b043b61a007dd72ed3200bb357ee0c49cdc4d729c3b
    5bcf0624b054daa637d6616c4677618ed94b058043b008a50633ce0d39e2677d";
const DSA_Q: &str = "9cca7c2c0812b62a1e1333d21f759931d5df2bb47f5a5af054c8423d";
const DSA_G: &str = "
    1773f3d3699da6cca9a84d21f4c9b55b88d17e6ba29b9f48823bbe4e3792aa26
    759e18a954fe3121042df2d7cc7dea8522748d3dbbffe1356f3f786995cefdf2
    cc64b58c7425dbf8b4c5206b52901c4650c8cee09afd6b1e96ab6cf602141973
    50e150395bebc9309a4a3716b5363bb42904e31b14ed09464f3942dad1b2ee26
    f29cafef42a3a323647abc1e3e5fb74eefce472ab38ead0eebe6d68bfd86bb49
    30b81d95a41eba1fd58edecc459a578fccc2dced59376e32206f8077a26abbd1
    e5b99c7000ae830157312074010bdb5ba9f8fba270bccef5d6644d234ec937b0
    212def66a74559fcde948c752ac00afd88b56897c82c354bb18d228eb2897b8f";
const DSA_X: &str = "296f64bed267fb369259523eec85370f6d5fddd25e9d381c817c7ee3";
const DSA_Y: &str = "
    2e741231bf167831242e60a268e636c8661c7d0861818826dbb30f34178dbf9a
    bf3d6650a34ff6506590e8f23a3489dbd4dda8890d6119362ec2f62e731cac82
    dc5ab0ee56237e8e16e739bab97fcb57cde8c606be9a772dfea0b30f899ffc70
    03bc30fd4323325bd3dc0c51c3eee39b2bbdf742a13d487e3c4b539674c3c12e
    0d7864381536d0c23fd09cc2ab86976549adec25ba33ad0d85b3904112202eeb
    40f8a8e8303dd4ef9d81a6680789f957bbe683dd88d28ad19f1bf0b714b93bb7
    a55e3137743426c27c87045f63f23f49b2763544e4baa21bd4559cc0900d4196
    442ac8edcbc3bffd0d6f8581137b5879edd58406c6ee77fdd6f86ff20e833e26";
const DSA_R: &str = "004f4a58c5c16cc6c4b57939918ab86496ca22b399403d6f1ac31459";
const DSA_S: &str = "0d4e8bff35a9cb939e0f50bacfa6b6504a6483a751c334d385cbc43a";
const MODP_2048: &str = "
    ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74
    020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437
    4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed
    ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05
    98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb
    9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b
    e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718
    3995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff";
const DH_XA: &str = "c076da3403b4d562400a18a2580b3da298877a017da20818297591be757f67d3";
const DH_XB: &str = "554290375fa5ecdec5a8c6eac490ae5d35004d88cc747322b845fa9e0dfbd4fe";
const DH_YA_SHA256: &str = "a5a5f277312e22735915d9b26d7736164f1ff3457af21b192e44032995ab72cd";
const DH_YB_SHA256: &str = "0e28b61ee4ef7ddf2d307c474f02a9631fd01aebbd8ef3270e22dc9bf3ba89a8";
const DH_Z_SHA256: &str = "a803a16ac4b88859f4ccef8239370bdd05b5e231d84d25040c3853e7689b8791";

fn kat_dsa() -> DsaParams {
    DsaParams {
        p: h(DSA_P),
        q: h(DSA_Q),
        g: h(DSA_G),
    }
}

fn modp2048() -> DhParams {
    DhParams {
        p: h(MODP_2048),
        g: vec![2],
    }
}

#[test]
fn dsa_known_answer_2048_224() {
    let (params, x, y) = (kat_dsa(), h(DSA_X), h(DSA_Y));
    assert_eq!(dsa_public_from_private(&params, &x).unwrap(), y);
    // Leading zero bytes on input are accepted; output is minimal.
    assert_eq!(
        dsa_public_from_private(&params, &[&[0, 0][..], &x].concat()).unwrap(),
        y
    );

    let digest = sha256(b"abc");
    let sig = h(&format!("{DSA_R}{DSA_S}"));
    assert_eq!((sig.len(), sig[0]), (56, 0), "r is left-padded to len(q)");
    dsa_verify_digest(&params, &y, &digest, &sig).unwrap();
    // Only the leftmost 224 bits of the digest count.
    dsa_verify_digest(&params, &y, &digest[..28], &sig).unwrap();
    let mut longer = digest.clone();
    longer[31] ^= 1;
    dsa_verify_digest(&params, &y, &longer, &sig).unwrap();

    // Tampering with r, s, the digest or the key fails.
    for i in [0, 27, 28, 55] {
        let mut bad = sig.clone();
        bad[i] ^= 0x10;
        assert_eq!(
            dsa_verify_digest(&params, &y, &digest, &bad),
            Err(E::SignatureInvalid)
        );
    }
    let mut bad_digest = digest.clone();
    bad_digest[27] ^= 1;
    assert_eq!(
        dsa_verify_digest(&params, &y, &bad_digest, &sig),
        Err(E::SignatureInvalid)
    );
    let y2 = dsa_public_from_private(&params, &add_last(&x, 1)).unwrap();
    assert_eq!(
        dsa_verify_digest(&params, &y2, &digest, &sig),
        Err(E::SignatureInvalid)
    );
    // The minimal encoding of r (no leading zero) has the wrong length.
    assert_eq!(
        dsa_verify_digest(&params, &y, &digest, &sig[1..]),
        Err(E::SignatureInvalid)
    );

    // aws-lc's (randomised) signatures verify and are fixed-width.
    let mine = dsa_sign_digest(&params, &x, &digest).unwrap();
    assert_eq!(mine.len(), 56);
    assert_ne!(mine, sig);
    dsa_verify_digest(&params, &y, &digest, &mine).unwrap();
    dsa_verify_digest(&params, &y, &digest[..28], &mine).unwrap();
}

#[test]
fn dsa_generated_params_round_trip() {
    for (bits, q_len) in [(2048, 32), (1024, 20)] {
        let params = dsa_generate_params(bits).unwrap();
        assert_eq!((params.p.len() * 8, params.q.len()), (bits, q_len));
        assert!(params.p[0] & 0x80 != 0 && params.q[0] & 0x80 != 0);
        assert!(params.g.len() <= params.p.len() && params.g != [1]);
        let (x, y) = dsa_generate_key(&params).unwrap();
        assert!(!x.is_empty() && x.len() <= q_len && x[0] != 0);
        assert_eq!(dsa_public_from_private(&params, &x).unwrap(), y);

        let digest = sha256(b"DSA round trip");
        let sig = dsa_sign_digest(&params, &x, &digest).unwrap();
        assert_eq!(sig.len(), 2 * q_len);
        dsa_verify_digest(&params, &y, &digest, &sig).unwrap();
        let mut bad = sig.clone();
        bad[q_len + 3] ^= 1;
        assert_eq!(
            dsa_verify_digest(&params, &y, &digest, &bad),
            Err(E::SignatureInvalid)
        );
        let other = dsa_generate_key(&params).unwrap().1;
        assert_eq!(
            dsa_verify_digest(&params, &other, &digest, &sig),
            Err(E::SignatureInvalid)
        );
        // Empty and short digests are signed as small integers.
        for d in [&[][..], &[7][..]] {
            let s = dsa_sign_digest(&params, &x, d).unwrap();
            dsa_verify_digest(&params, &y, d, &s).unwrap();
        }
    }
}

#[test]
fn dsa_rejects_bad_input() {
    for bits in [0, 512, 1000, 1025, 2050, 3136, 4096, usize::MAX] {
        assert_eq!(dsa_generate_params(bits), Err(E::KeySize), "{bits}");
    }
    let (params, x, y) = (kat_dsa(), h(DSA_X), h(DSA_Y));
    let digest = sha256(b"abc");
    let sig = h(&format!("{DSA_R}{DSA_S}"));
    let q = h(DSA_Q);
    let p1 = add_last(&params.p, -1);

    // Private values outside [1, q - 1].
    for bad in [
        vec![],
        vec![0],
        vec![0; 40],
        q.clone(),
        add_last(&q, 1),
        params.p.clone(),
    ] {
        assert_eq!(dsa_public_from_private(&params, &bad), Err(E::InvalidKey));
        assert_eq!(dsa_sign_digest(&params, &bad, &digest), Err(E::InvalidKey));
    }
    dsa_public_from_private(&params, &add_last(&q, -1)).unwrap();
    dsa_public_from_private(&params, &[1]).unwrap();
    // Public values outside [2, p - 1].
    for bad in [vec![], vec![1], params.p.clone(), add_last(&params.p, 2)] {
        assert_eq!(
            dsa_verify_digest(&params, &bad, &digest, &sig),
            Err(E::InvalidKey)
        );
    }
    // r or s equal to zero or to q.
    let zero = [0u8; 28];
    for bad in [
        [&zero[..], &sig[28..]].concat(),
        [&sig[..28], &zero[..]].concat(),
        [&q[..], &sig[28..]].concat(),
        [&sig[..28], &q[..]].concat(),
        vec![0xff; 56],
        vec![],
        vec![0; 64],
    ] {
        assert_eq!(
            dsa_verify_digest(&params, &y, &digest, &bad),
            Err(E::SignatureInvalid)
        );
    }

    // Malformed domain parameters.
    let with = |f: &dyn Fn(&mut DsaParams)| {
        let mut p = kat_dsa();
        f(&mut p);
        p
    };
    let cases: [(DsaParams, E); 11] = [
        (with(&|p| p.p = add_last(&p.p, 1)), E::InvalidInput), // even p
        (with(&|p| p.p = add_last(&p.p, 2)), E::InvalidInput), // q does not divide p - 1
        (with(&|p| p.p = vec![0xff; 63]), E::KeySize),         // 504 bits
        (with(&|p| p.p = vec![0xff; 1251]), E::KeySize),       // 10008 bits
        (with(&|p| p.p = vec![]), E::KeySize),
        (with(&|p| p.q = add_last(&p.q, 1)), E::InvalidInput), // even q
        (with(&|p| p.q = q[1..].to_vec()), E::InvalidInput),   // 216 bits
        (with(&|p| p.q = vec![]), E::InvalidInput),
        (with(&|p| p.g = vec![1]), E::InvalidInput),
        (with(&|p| p.g = p1.clone()), E::InvalidInput),
        (with(&|p| p.g = p.p.clone()), E::InvalidInput),
    ];
    for (i, (bad, e)) in cases.iter().enumerate() {
        assert_eq!(dsa_public_from_private(bad, &x).err(), Some(*e), "case {i}");
        assert_eq!(dsa_generate_key(bad).err(), Some(*e), "case {i}");
        assert_eq!(dsa_sign_digest(bad, &x, &digest).err(), Some(*e), "case {i}");
        assert_eq!(
            dsa_verify_digest(bad, &y, &digest, &sig).err(),
            Some(*e),
            "case {i}"
        );
    }
}

#[test]
fn dh_rfc3526_group14_known_answer() {
    let params = modp2048();
    let (xa, xb) = (h(DH_XA), h(DH_XB));
    let ya = dh_public_from_private(&params, &xa).unwrap();
    let yb = dh_public_from_private(&params, &xb).unwrap();
    assert_eq!(sha256(&ya), h(DH_YA_SHA256));
    assert_eq!(sha256(&yb), h(DH_YB_SHA256));
    let za = dh_compute(&params, &xa, &yb).unwrap();
    let zb = dh_compute(&params, &xb, &ya).unwrap();
    assert_eq!((za.len(), za[0]), (256, 0), "left-padded to len(p)");
    assert_eq!(sha256(&za), h(DH_Z_SHA256));
    assert_eq!(za, zb);

    // Fresh key pairs agree too, and y = g^x.
    let (x1, y1) = dh_generate_key(&params).unwrap();
    let (x2, y2) = dh_generate_key(&params).unwrap();
    assert_eq!(dh_public_from_private(&params, &x1).unwrap(), y1);
    assert_eq!(
        dh_compute(&params, &x1, &y2).unwrap(),
        dh_compute(&params, &x2, &y1).unwrap()
    );
    assert_ne!(y1, y2);

    // Peer values outside [2, p - 2].
    let p = h(MODP_2048);
    let bad_peers = [
        vec![],
        vec![0],
        vec![1],
        vec![0, 0, 1],
        add_last(&p, -1),
        p.clone(),
        vec![0xff; 300],
    ];
    for bad in bad_peers {
        assert_eq!(dh_compute(&params, &xa, &bad).err(), Some(E::InvalidInput));
    }
    dh_compute(&params, &xa, &[2]).unwrap();
    dh_compute(&params, &xa, &add_last(&p, -2)).unwrap();
    // Private values outside [1, p - 2].
    for bad in [vec![], vec![0], add_last(&p, -1), p.clone()] {
        assert_eq!(dh_public_from_private(&params, &bad).err(), Some(E::InvalidKey));
        assert_eq!(dh_compute(&params, &bad, &yb).err(), Some(E::InvalidKey));
    }
}

#[test]
fn dh_generated_params_agree() {
    let start = Instant::now();
    let params = dh_generate_params(1024).unwrap();
    eprintln!("dh_generate_params(1024): {:?}", start.elapsed());
    assert_eq!(
        (params.p.len(), params.p[0] >> 7, params.g.as_slice()),
        (128, 1, &[2u8][..])
    );
    // aws-lc's safe primes for g = 2 satisfy p = 11 (mod 24).
    let p_mod_24 = params
        .p
        .iter()
        .fold(0u32, |acc, &b| (acc * 256 + u32::from(b)) % 24);
    assert_eq!(p_mod_24, 11);
    let (xa, ya) = dh_generate_key(&params).unwrap();
    let (xb, yb) = dh_generate_key(&params).unwrap();
    assert_eq!(dh_public_from_private(&params, &xb).unwrap(), yb);
    let za = dh_compute(&params, &xa, &yb).unwrap();
    assert_eq!(za.len(), 128);
    assert_eq!(za, dh_compute(&params, &xb, &ya).unwrap());
}

#[test]
fn dh_rejects_bad_params() {
    for bits in [0, 512, 1023, 4097, usize::MAX] {
        assert_eq!(dh_generate_params(bits), Err(E::KeySize), "{bits}");
    }
    let p = h(MODP_2048);
    let cases = [
        (
            DhParams {
                p: add_last(&p, -1),
                g: vec![2],
            },
            E::InvalidInput,
        ), // even
        (
            DhParams {
                p: p.clone(),
                g: vec![],
            },
            E::InvalidInput,
        ),
        (
            DhParams {
                p: p.clone(),
                g: vec![1],
            },
            E::InvalidInput,
        ),
        (
            DhParams {
                p: p.clone(),
                g: add_last(&p, -1),
            },
            E::InvalidInput,
        ),
        (
            DhParams {
                p: p.clone(),
                g: p.clone(),
            },
            E::InvalidInput,
        ),
        (
            DhParams {
                p: vec![23],
                g: vec![4],
            },
            E::KeySize,
        ),
        (
            DhParams {
                p: vec![0xff; 1251],
                g: vec![2],
            },
            E::KeySize,
        ),
        (
            DhParams {
                p: vec![],
                g: vec![2],
            },
            E::KeySize,
        ),
    ];
    for (i, (bad, e)) in cases.iter().enumerate() {
        assert_eq!(dh_generate_key(bad).err(), Some(*e), "case {i}");
        assert_eq!(dh_public_from_private(bad, &[5]).err(), Some(*e), "case {i}");
        assert_eq!(dh_compute(bad, &[5], &[2]).err(), Some(*e), "case {i}");
    }
}
