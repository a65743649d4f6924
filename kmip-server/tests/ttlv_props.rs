//! Property tests of the TTLV codecs: decode ∘ encode = id for the binary, XML and JSON
//! encodings over arbitrary trees; the binary decoder never panics and refuses each malformed
//! shape with the right error.

use kmip_server::ttlv::binary::{decode, encode, DecodeError, Limits};
use kmip_server::ttlv::json::{from_json, to_json_string};
use kmip_server::ttlv::xml::{parse_element, to_xml};
use kmip_server::ttlv::{Tag, Ttlv, Value};
use proptest::prelude::*;

fn tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        // Known tags, including ones that carry enumerations, masks and attribute names.
        prop::sample::select(vec![
            Tag::OBJECT_TYPE,
            Tag::OPERATION,
            Tag::CRYPTOGRAPHIC_USAGE_MASK,
            Tag::ATTRIBUTE_NAME,
            Tag::ATTRIBUTE_VALUE,
            Tag::ATTRIBUTE_REFERENCE,
            Tag::UNIQUE_IDENTIFIER,
            Tag::BATCH_ITEM,
            Tag::STATE,
        ]),
        (0x420001u32..0x420177).prop_map(Tag),
        (0u32..0x100_0000).prop_map(Tag),
    ]
}

fn primitive() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        any::<i64>().prop_map(Value::LongInteger),
        (1usize..4)
            .prop_flat_map(|n| prop::collection::vec(any::<u8>(), n * 8))
            .prop_map(Value::BigInteger),
        prop_oneof![any::<u32>(), 0u32..20].prop_map(Value::Enumeration),
        any::<bool>().prop_map(Value::Boolean),
        prop_oneof![
            any::<String>(),
            prop::sample::select(vec![
                "Cryptographic Algorithm",
                "Cryptographic Usage Mask",
                "State",
                "$NOW"
            ])
            .prop_map(String::from),
        ]
        .prop_map(Value::TextString),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::ByteString),
        any::<i64>().prop_map(Value::DateTime),
        any::<u32>().prop_map(Value::Interval),
        any::<i64>().prop_map(Value::DateTimeExtended),
    ]
}

fn tree() -> impl Strategy<Value = Ttlv> {
    let leaf = (tag(), primitive()).prop_map(|(t, v)| Ttlv::new(t, v));
    leaf.prop_recursive(4, 64, 6, |inner| {
        (tag(), prop::collection::vec(inner, 0..6)).prop_map(|(t, items)| Ttlv::structure(t, items))
    })
}

/// A message root is a structure.
fn message() -> impl Strategy<Value = Ttlv> {
    (tag(), prop::collection::vec(tree(), 0..6)).prop_map(|(t, items)| Ttlv::structure(t, items))
}

proptest! {
    // No regression files are written into the source tree; failures found once become the
    // explicit tests at the end of this file.
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn binary_round_trip(t in tree()) {
        let bytes = encode(&t);
        prop_assert_eq!(bytes.len() % 8, 0);
        prop_assert_eq!(decode(&bytes, &Limits::default()), Ok(t));
    }

    #[test]
    fn xml_round_trip(t in message()) {
        let xml = to_xml(&t);
        let back = parse_element(&xml).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
        prop_assert_eq!(back.ttlv, t);
    }

    #[test]
    fn json_round_trip(t in message()) {
        prop_assert_eq!(from_json(&to_json_string(&t)), Ok(t));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes, &Limits::default());
    }

    #[test]
    fn mutated_messages_never_panic(t in tree(), at in any::<prop::sample::Index>(), b in any::<u8>()) {
        let mut bytes = encode(&t);
        let i = at.index(bytes.len());
        bytes[i] = b;
        let _ = decode(&bytes, &Limits::default());
    }

    #[test]
    fn every_truncation_is_refused(t in tree(), at in any::<prop::sample::Index>()) {
        let bytes = encode(&t);
        let cut = at.index(bytes.len());
        let truncated = matches!(
            decode(&bytes[..cut], &Limits::default()),
            Err(DecodeError::Truncated { .. })
        );
        prop_assert!(truncated);
    }

    #[test]
    fn trailing_bytes_are_refused(t in tree(), extra in prop::collection::vec(any::<u8>(), 1..16)) {
        let mut bytes = encode(&t);
        bytes.extend_from_slice(&extra);
        prop_assert_eq!(
            decode(&bytes, &Limits::default()),
            Err(DecodeError::TrailingBytes { count: extra.len() })
        );
    }

    #[test]
    fn nonzero_padding_is_refused(v in any::<i32>(), pad in 1u8..=255, at in 0usize..4) {
        let mut bytes = encode(&Ttlv::int(Tag::BATCH_COUNT, v));
        bytes[12 + at] = pad;
        prop_assert_eq!(decode(&bytes, &Limits::default()), Err(DecodeError::BadPadding { offset: 8 }));
    }

    #[test]
    fn wrong_fixed_lengths_are_refused(type_byte in prop::sample::select(vec![2u8, 3, 5, 6, 9, 0x0A, 0x0B]), len in 0u32..64) {
        let fixed = if matches!(type_byte, 2 | 5 | 0x0A) { 4 } else { 8 };
        prop_assume!(len != fixed);
        let mut bytes = vec![0x42, 0x00, 0x20, type_byte];
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.resize(8 + len.div_ceil(8) as usize * 8, 0);
        let is_bad_length = matches!(decode(&bytes, &Limits::default()), Err(DecodeError::BadLength { .. }));
        prop_assert!(is_bad_length);
    }

    #[test]
    fn huge_length_claims_fail_before_allocating(len in 0x0100_0000u32.., type_byte in prop::sample::select(vec![1u8, 4, 7, 8])) {
        let mut bytes = vec![0x42, 0x00, 0x20, type_byte];
        bytes.extend_from_slice(&len.to_be_bytes());
        let r = decode(&bytes, &Limits::default());
        prop_assert!(matches!(r, Err(DecodeError::TooLarge { .. }) | Err(DecodeError::Truncated { .. }) | Err(DecodeError::BadLength { .. })), "{:?}", r);
    }
}

#[test]
fn non_utf8_text_is_refused() {
    let mut bytes = encode(&Ttlv::text(Tag::NAME_VALUE, "abcd"));
    bytes[9] = 0xFF;
    assert_eq!(
        decode(&bytes, &Limits::default()),
        Err(DecodeError::BadUtf8 { offset: 8 })
    );
}

#[test]
fn depth_and_item_limits_hold_at_the_defaults() {
    let mut t = Ttlv::structure(Tag::ATTRIBUTE, vec![]);
    for _ in 0..Limits::DEFAULT_MAX_DEPTH {
        t = Ttlv::structure(Tag::ATTRIBUTE, vec![t]);
    }
    assert_eq!(
        decode(&encode(&t), &Limits::default()),
        Err(DecodeError::TooDeep { limit: 64 })
    );

    let many = Ttlv::structure(
        Tag::BATCH_ITEM,
        vec![Ttlv::int(Tag::BATCH_COUNT, 0); Limits::DEFAULT_MAX_ITEMS],
    );
    assert_eq!(
        decode(&encode(&many), &Limits::default()),
        Err(DecodeError::TooManyItems {
            limit: Limits::DEFAULT_MAX_ITEMS
        })
    );
}

#[test]
fn a_two_gib_claim_is_refused() {
    for type_byte in [1u8, 7, 8] {
        let bytes = [0x42, 0x00, 0x78, type_byte, 0x80, 0x00, 0x00, 0x00];
        let r = decode(&bytes, &Limits::default());
        assert!(
            matches!(
                r,
                Err(DecodeError::TooLarge { .. }) | Err(DecodeError::Truncated { .. })
            ),
            "{r:?}"
        );
    }
}

/// Found by `xml_round_trip`/`json_round_trip`: a Text String that looks like a placeholder
/// keeps its text.
#[test]
fn placeholder_looking_text_survives() {
    let t = Ttlv::structure(Tag::OBJECT_TYPE, vec![Ttlv::text(Tag::OBJECT_TYPE, "$")]);
    assert_eq!(parse_element(&to_xml(&t)).unwrap().ttlv, t);
    assert_eq!(from_json(&to_json_string(&t)), Ok(t));
}

/// Found by the `ttlv_text` fuzz target (an OASIS GCM request whose IV Counter Nonce is a Big
/// Integer of 12 bytes in XML): the XML and JSON readers kept the 12 bytes while the binary
/// decoder holds the same number sign-extended to 16, so one number had two trees and a
/// message read from text did not survive the binary codec.
#[test]
fn a_twelve_byte_big_integer_from_text_is_held_in_wire_form() {
    let xml = r#"<RequestPayload><IVCounterNonce type="BigInteger" value="0x80AABBCCDDEEFF0011223344"/></RequestPayload>"#;
    let from_xml = parse_element(xml).unwrap().ttlv;
    let json = r#"{"tag":"RequestPayload","value":[{"tag":"IVCounterNonce","type":"BigInteger","value":"0x80AABBCCDDEEFF0011223344"}]}"#;
    let from_json = from_json(json).unwrap();
    let mut wire = vec![0xFF; 4];
    wire.extend_from_slice(&[
        0x80, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00, 0x11, 0x22, 0x33, 0x44,
    ]);
    let expected = Ttlv::structure(
        Tag::REQUEST_PAYLOAD,
        vec![Ttlv::new(Tag::IV_COUNTER_NONCE, Value::BigInteger(wire))],
    );
    assert_eq!(from_xml, expected);
    assert_eq!(from_json, expected);
    assert_eq!(decode(&encode(&from_xml), &Limits::default()), Ok(expected));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any Big Integer spelled in XML or JSON, of any byte length, reads as the binary decoder
    /// would hold it and survives the binary codec.
    #[test]
    fn big_integers_of_any_length_read_from_text_survive_the_wire(b in prop::collection::vec(any::<u8>(), 1..40)) {
        let hex = hex::encode(&b);
        let xml = format!(r#"<Attribute><AttributeValue type="BigInteger" value="0x{hex}"/></Attribute>"#);
        let t = parse_element(&xml).map_err(|e| TestCaseError::fail(e.to_string()))?.ttlv;
        let Value::BigInteger(held) = &t.items()[0].value else { panic!("not a big integer") };
        prop_assert_eq!(held.len() % 8, 0);
        prop_assert_eq!(&held[held.len() - b.len()..], &b[..]);
        prop_assert_eq!(decode(&encode(&t), &Limits::default()), Ok(t.clone()));
        let json = format!(r#"{{"tag":"Attribute","value":[{{"tag":"AttributeValue","type":"BigInteger","value":"0x{hex}"}}]}}"#);
        prop_assert_eq!(from_json(&json), Ok(t));
    }
}
