//! Oracles for the TTLV codecs.

use kmip_server::ttlv::binary::{decode, encode, encoded_len, Limits};
use kmip_server::ttlv::xml::{parse_element, to_xml_with, Placeholders};
use kmip_server::ttlv::{json, Ttlv, Value};

/// Binary: whatever decodes re-encodes to the same bytes (the decoder accepts only the
/// canonical form: zero padding, 0/1 booleans, exact fixed lengths), and decodes again to the
/// same tree; a structure root also survives XML and JSON.
pub fn binary(data: &[u8]) {
    let limits = Limits::default();
    let Ok(t) = decode(data, &limits) else {
        return;
    };
    let bytes = encode(&t);
    assert_eq!(bytes.len(), encoded_len(&t), "encoded_len disagrees with encode");
    assert_eq!(decode(&bytes, &limits).as_ref(), Ok(&t), "decode ∘ encode ≠ id");
    assert!(bytes == data, "an accepted message re-encodes to different bytes");
    if matches!(t.value, Value::Structure(_)) {
        // A Text String spelled like a placeholder (`$NOW`) reads back from XML as that text
        // *and* a placeholder note: the text formats' convention, so only the tree is compared.
        text_round_trips(&t, None);
    }
}

/// XML or JSON text: whatever reads writes back (with its placeholders) to text that reads as
/// the same tree, and the tree survives the binary codec.
pub fn text(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    let (t, ph) = if which & 1 == 0 {
        match parse_element(s) {
            Ok(m) => (m.ttlv, m.placeholders),
            Err(_) => return,
        }
    } else {
        match json::from_json_with_placeholders(s) {
            Ok(x) => x,
            Err(_) => return,
        }
    };
    text_round_trips(&t, Some(&ph));
    let bytes = encode(&t);
    if bytes.len() <= Limits::DEFAULT_MAX_MESSAGE {
        assert_eq!(
            decode(&bytes, &Limits::default()).as_ref(),
            Ok(&t),
            "binary round trip"
        );
    }
}

/// Writes `t` as XML and as JSON (with the placeholders `ph`, when the tree came from text) and
/// reads each back: the same tree, and the same placeholders when there were some to keep.
fn text_round_trips(t: &Ttlv, ph: Option<&Placeholders>) {
    let none = Placeholders::default();
    let xml = to_xml_with(t, ph.unwrap_or(&none));
    let back = parse_element(&xml).unwrap_or_else(|e| panic!("our own XML does not read: {e}"));
    assert_eq!(&back.ttlv, t, "XML round trip");
    let j = json::to_json_with(t, ph.unwrap_or(&none)).to_string();
    let (tj, phj) =
        json::from_json_with_placeholders(&j).unwrap_or_else(|e| panic!("our own JSON does not read: {e}"));
    assert_eq!(&tj, t, "JSON round trip");
    if let Some(ph) = ph {
        assert_eq!(&back.placeholders, ph, "XML placeholders");
        assert_eq!(&phj, ph, "JSON placeholders");
    }
}
