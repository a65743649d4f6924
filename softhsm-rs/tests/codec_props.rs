//! Property tests of the core's codecs: the DER module (every writer read back by its reader,
//! every reader total on arbitrary bytes) and the attribute value encodings the store keeps
//! (`CK_ULONG`, `CK_BBOOL`, attribute arrays).

use proptest::prelude::*;
use softhsm::attr::{dec_array, dec_ulong, enc_array, enc_bool, enc_ulong};
use softhsm::der;

/// A positive integer's magnitude: no leading zero byte (the form the readers return).
fn magnitude() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..300).prop_map(|mut v| {
        while v.len() > 1 && v[0] == 0 {
            v.remove(0);
        }
        if v[0] == 0 {
            v[0] = 1;
        }
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn tlv_round_trips_at_every_length_form(tag in any::<u8>(), content in prop::collection::vec(any::<u8>(), 0..600), rest in prop::collection::vec(any::<u8>(), 0..8)) {
        let mut b = der::tlv(tag, &content);
        b.extend_from_slice(&rest);
        let (t, c, r) = der::read_tlv(&b).expect("own TLV reads");
        prop_assert_eq!((t, c, r), (tag, &content[..], &rest[..]));
        let os = der::octet_string(&content);
        prop_assert_eq!(der::octet_string_inner(&os), Some(&content[..]));
    }

    #[test]
    fn long_tlvs_round_trip(len in prop::sample::select(vec![127usize, 128, 255, 256, 65_535, 65_536, 70_000])) {
        let content = vec![0xA5; len];
        let b = der::tlv(0x04, &content);
        prop_assert_eq!(der::read_tlv(&b), Some((0x04, &content[..], &[][..])));
    }

    #[test]
    fn rsa_spki_round_trips(n in magnitude(), e in magnitude()) {
        let spki = der::spki_rsa(&n, &e);
        // The SubjectPublicKeyInfo's BIT STRING holds the PKCS#1 RSAPublicKey.
        let (0x30, body, []) = der::read_tlv(&spki).unwrap() else { panic!("not a SEQUENCE") };
        let (0x30, _alg, rest) = der::read_tlv(body).unwrap() else { panic!("no algorithm") };
        let (0x03, bits, []) = der::read_tlv(rest).unwrap() else { panic!("no BIT STRING") };
        prop_assert_eq!(der::rsa_public_key_parts(&bits[1..]), Some((n, e)));
    }

    #[test]
    fn dsa_spki_and_pkcs8_round_trip(p in magnitude(), q in magnitude(), g in magnitude(), k in magnitude()) {
        let (params, y) = der::dsa_spki_parts(&der::spki_dsa(&p, &q, &g, &k)).expect("own SPKI reads");
        prop_assert_eq!(params, [p.clone(), q.clone(), g.clone()]);
        prop_assert_eq!(&y, &k);
        let (params, x) = der::dsa_pkcs8_parts(&der::pkcs8_dsa(&p, &q, &g, &k)).expect("own PKCS#8 reads");
        prop_assert_eq!(params, [p, q, g]);
        prop_assert_eq!(&x[..], &k[..]);
    }

    #[test]
    fn pkcs8_wraps_and_unwraps_pkcs1(key in prop::collection::vec(any::<u8>(), 0..400)) {
        let p8 = der::pkcs8_from_rsa_pkcs1(&key);
        prop_assert_eq!(der::pkcs8_private_key(&p8), Some(&key[..]));
    }

    #[test]
    fn ec_private_key_round_trips(d in prop::collection::vec(any::<u8>(), 1..67), point in prop::collection::vec(any::<u8>(), 1..134)) {
        let oid = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
        let der_key = der::ec_private_key(&oid, &d, &point);
        let parts = der::ec_private_key_parts(&der_key).expect("own ECPrivateKey reads");
        prop_assert_eq!(parts.curve_oid, Some(&oid[..]));
        prop_assert_eq!(parts.d, &d[..]);
        prop_assert_eq!(parts.point, Some(&point[..]));
    }

    #[test]
    fn ecdsa_signatures_convert_both_ways(n in 1usize..67, seed in prop::collection::vec(any::<u8>(), 134)) {
        let raw = &seed[..2 * n];
        let d = der::ecdsa_sig_from_raw(raw).expect("even, non-empty");
        prop_assert_eq!(der::ecdsa_sig_to_raw(&d, n), Some(raw.to_vec()));
    }

    #[test]
    fn every_reader_is_total_on_arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..200), n in 0usize..80) {
        let _ = der::read_tlv(&b);
        let _ = der::octet_string_inner(&b);
        let _ = der::rsa_public_key_parts(&b);
        let _ = der::pkcs8_private_key(&b);
        let _ = der::dsa_spki_parts(&b);
        let _ = der::dsa_pkcs8_parts(&b);
        let _ = der::ecdsa_sig_to_raw(&b, n);
        let _ = der::ecdsa_sig_from_raw(&b);
        let _ = der::ec_private_key_parts(&b);
        let _ = dec_array(&b);
        let _ = dec_ulong(&b);
    }

    #[test]
    fn attribute_values_round_trip(v in any::<u64>(), flag in any::<bool>(),
        entries in prop::collection::vec((any::<u64>(), prop::collection::vec(any::<u8>(), 0..40)), 0..12)) {
        prop_assert_eq!(dec_ulong(&enc_ulong(v)), Some(v));
        prop_assert_eq!(enc_bool(flag), vec![u8::from(flag)]);
        prop_assert_eq!(dec_array(&enc_array(&entries)), Some(entries.clone()));
        // A truncated array is refused, never misread.
        let enc = enc_array(&entries);
        if !enc.is_empty() {
            let cut = &enc[..enc.len() - 1];
            prop_assert!(dec_array(cut).is_none_or(|d| d != entries));
        }
    }
}
