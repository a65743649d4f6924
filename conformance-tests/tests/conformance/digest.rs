//! Message digests: FIPS 180 known answers, multi-part, C_DigestKey.

use crate::util::*;

/// FIPS 180-4 example "abc" digests.
const ABC: &[(&str, &str)] = &[
    ("SHA-1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
    (
        "SHA-224",
        "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
    ),
    (
        "SHA-256",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ),
    (
        "SHA-384",
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
         8086072ba1e7cc2358baeca134c825a7",
    ),
    (
        "SHA-512",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
         2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ),
];

fn mech(name: &str) -> Mechanism<'static> {
    match name {
        "SHA-1" => Mechanism::Sha1,
        "SHA-224" => Mechanism::Sha224,
        "SHA-256" => Mechanism::Sha256,
        "SHA-384" => Mechanism::Sha384,
        "SHA-512" => Mechanism::Sha512,
        _ => unreachable!(),
    }
}

fn reference(name: &str, data: &[u8]) -> Vec<u8> {
    use aws_lc_rs::digest;
    let alg = match name {
        "SHA-1" => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        "SHA-224" => &digest::SHA224,
        "SHA-256" => &digest::SHA256,
        "SHA-384" => &digest::SHA384,
        "SHA-512" => &digest::SHA512,
        _ => unreachable!(),
    };
    digest::digest(alg, data).as_ref().to_vec()
}

#[test]
fn sha_known_answers_abc() {
    let (slot, _, _) = fresh_token("digest-kat");
    let s = pkcs11().open_ro_session(slot).unwrap();
    for (name, want) in ABC {
        let got = s
            .digest(&mech(name), b"abc")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex::encode(got), want.replace(' ', ""), "{name}(\"abc\")");
    }
    let empty = s.digest(&Mechanism::Sha256, b"").expect("SHA-256 of empty input");
    assert_eq!(
        hex::encode(empty),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn multi_part_digest_equals_single_part() {
    let (slot, _, _) = fresh_token("digest-multi");
    let s = pkcs11().open_ro_session(slot).unwrap();
    let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 + 3) as u8).collect();
    for (name, _) in ABC {
        let single = s.digest(&mech(name), &data).unwrap();
        assert_eq!(single, reference(name, &data), "{name} vs aws-lc-rs");
        s.digest_init(&mech(name)).unwrap();
        let mut off = 0;
        for chunk in [0usize, 1, 63, 64, 65, 127, 128, 129, 500, 1] {
            s.digest_update(&data[off..off + chunk]).unwrap();
            off += chunk;
        }
        s.digest_update(&data[off..]).unwrap();
        assert_eq!(s.digest_final().unwrap(), single, "{name} multi-part");
    }
}

#[test]
fn digest_key_includes_key_value() {
    let (_slot, s) = user_token("digest-key");
    let value = [0x11u8; 32];
    let k = import_secret(
        &s,
        KeyType::GENERIC_SECRET,
        &value,
        &[Attribute::Sensitive(false), Attribute::Extractable(true)],
    );
    s.digest_init(&Mechanism::Sha256).unwrap();
    s.digest_update(b"prefix").unwrap();
    s.digest_key(k).expect("C_DigestKey");
    s.digest_update(b"suffix").unwrap();
    let got = s.digest_final().unwrap();
    let mut all = b"prefix".to_vec();
    all.extend_from_slice(&value);
    all.extend_from_slice(b"suffix");
    assert_eq!(got, reference("SHA-256", &all));
    // An invalid key handle.
    s.digest_init(&Mechanism::Sha256).unwrap();
    assert_rv!(s.digest_key(obj(0x7fff_fff0)), KeyHandleInvalid);
}

#[test]
fn digest_operation_state() {
    let (slot, _, _) = fresh_token("digest-state");
    let s = pkcs11().open_ro_session(slot).unwrap();
    assert_rv!(s.digest_update(b"x"), OperationNotInitialized);
    assert_rv!(s.digest_final(), OperationNotInitialized);
    s.digest_init(&Mechanism::Sha256).unwrap();
    assert_rv!(s.digest_init(&Mechanism::Sha256), OperationActive);
    s.digest_update(b"abc").unwrap();
    assert_eq!(hex::encode(s.digest_final().unwrap()), ABC[2].1);
}
