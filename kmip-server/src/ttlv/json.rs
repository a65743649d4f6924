//! The KMIP JSON encoding (KMIP Additional Message Encodings 1.0, "JSON Profile — JSON
//! Encoding"; carried into KMIP Profiles 1.3–2.1 as the MSGENC-JSON profiles):
//!
//! ```json
//! {"tag": "RequestMessage", "value": [
//!   {"tag": "BatchCount", "type": "Integer", "value": 1},
//!   {"tag": "Operation", "type": "Enumeration", "value": "Register"}]}
//! ```
//!
//! - `tag` is the tag's XML name, or `"0x540001"` for a tag without one; a Structure has no
//!   `type` (or `"Structure"`) and an array `value`.
//! - Integer and Interval are JSON numbers, an Integer mask its bit names joined by `|`; Long
//!   Integer a number when it is exact in a double (|v| ≤ 2^53), else `"0x"` and 16 hex digits
//!   of its two's complement; Enumeration its name or `"0x0000000A"`; Boolean `true`/`false`;
//!   Big Integer and Byte String `"0x"`-prefixed hex; Date-Time and Date-Time Extended ISO 8601
//!   as in the XML encoding.
//! - On input the alternatives are accepted too: a number or `"0x…"` for any integer type and
//!   for an Enumeration, a mask joined by spaces, hex without the prefix.
//! - KMIP 1.x `AttributeValue` names come from the sibling `AttributeName`, and placeholders
//!   (`"$NOW"`) are recorded in [`Placeholders`], exactly as in the [`xml`](super::xml) codec.

use std::fmt;

use serde_json::{json, Map, Value as J};

use super::datetime::{format_date_time, parse_date_time};
use super::names::{
    attribute_name_tag, enum_by_name, enum_name, mask_bits, mask_names, parse_u32, tag_by_name, tag_name,
};
use super::xml::{parse_hex, Placeholders};
use super::{ItemType, Tag, Ttlv, Value};

/// Deepest nesting read (the binary decoder's default bound).
const MAX_JSON_DEPTH: usize = super::binary::Limits::DEFAULT_MAX_DEPTH;

/// Why JSON is not a KMIP message. Values are not quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON.
    Syntax { message: String },
    /// Nested deeper than the decoder allows.
    TooDeep,
    /// An item that is not an object with `tag` and `value`.
    BadItem,
    /// A `tag` that is neither a tag name nor `0x` and six hex digits.
    UnknownTag { tag: String },
    /// A `type` that is not a TTLV type name.
    UnknownType { tag: String, type_name: String },
    /// A value that does not parse as its type.
    BadValue { tag: String, type_name: &'static str },
    /// An Enumeration name the tag's enumeration does not have.
    UnknownEnumeration { tag: String, name: String },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax { message } => write!(f, "JSON syntax error: {message}"),
            JsonError::TooDeep => write!(f, "JSON nested deeper than {MAX_JSON_DEPTH}"),
            JsonError::BadItem => write!(f, "JSON item is not an object with tag and value"),
            JsonError::UnknownTag { tag } => write!(f, "{tag:?} is not a KMIP tag"),
            JsonError::UnknownType { tag, type_name } => write!(f, "{tag} has unknown type {type_name:?}"),
            JsonError::BadValue { tag, type_name } => write!(f, "{tag} value is not a valid {type_name}"),
            JsonError::UnknownEnumeration { tag, name } => {
                write!(f, "{tag} enumeration value {name:?} is unknown")
            }
        }
    }
}

impl std::error::Error for JsonError {}

const TYPES: &[(&str, ItemType)] = &[
    ("Structure", ItemType::STRUCTURE),
    ("Integer", ItemType::INTEGER),
    ("LongInteger", ItemType::LONG_INTEGER),
    ("BigInteger", ItemType::BIG_INTEGER),
    ("Enumeration", ItemType::ENUMERATION),
    ("Boolean", ItemType::BOOLEAN),
    ("TextString", ItemType::TEXT_STRING),
    ("ByteString", ItemType::BYTE_STRING),
    ("DateTime", ItemType::DATE_TIME),
    ("Interval", ItemType::INTERVAL),
    ("DateTimeExtended", ItemType::DATE_TIME_EXTENDED),
];

/// Largest magnitude a JSON number (an IEEE double) holds exactly.
const EXACT: i64 = 1 << 53;

/// Read one message.
pub fn from_json(text: &str) -> Result<Ttlv, JsonError> {
    Ok(from_json_with_placeholders(text)?.0)
}

/// Read one message, with the placeholders it held.
pub fn from_json_with_placeholders(text: &str) -> Result<(Ttlv, Placeholders), JsonError> {
    let v: J = serde_json::from_str(text).map_err(|e| JsonError::Syntax {
        message: e.to_string(),
    })?;
    from_json_value(&v)
}

/// Read one message from parsed JSON.
pub fn from_json_value(v: &J) -> Result<(Ttlv, Placeholders), JsonError> {
    let mut ph = Placeholders::default();
    let t = read(v, &mut Vec::new(), &mut ph, None)?;
    Ok((t, ph))
}

fn read(
    v: &J,
    path: &mut Vec<usize>,
    ph: &mut Placeholders,
    names_from: Option<Tag>,
) -> Result<Ttlv, JsonError> {
    if path.len() > MAX_JSON_DEPTH {
        return Err(JsonError::TooDeep);
    }
    let obj = v.as_object().ok_or(JsonError::BadItem)?;
    let tag_text = obj.get("tag").and_then(J::as_str).ok_or(JsonError::BadItem)?;
    let tag = tag_by_name(tag_text)
        .or_else(|| {
            let h = tag_text.strip_prefix("0x")?;
            (h.len() == 6)
                .then(|| u32::from_str_radix(h, 16).ok())
                .flatten()
                .map(Tag)
        })
        .ok_or_else(|| JsonError::UnknownTag {
            tag: tag_text.to_owned(),
        })?;
    let item_type = match obj.get("type") {
        None => ItemType::STRUCTURE,
        Some(t) => {
            let t = t.as_str().ok_or(JsonError::BadItem)?;
            TYPES
                .iter()
                .find(|&&(n, _)| n == t)
                .map(|&(_, it)| it)
                .ok_or_else(|| JsonError::UnknownType {
                    tag: tag_text.to_owned(),
                    type_name: t.to_owned(),
                })?
        }
    };
    let value = obj.get("value").ok_or(JsonError::BadItem)?;
    if item_type == ItemType::STRUCTURE {
        let children = value.as_array().ok_or(JsonError::BadItem)?;
        let mut items = Vec::with_capacity(children.len());
        let mut attribute = None;
        for (i, c) in children.iter().enumerate() {
            path.push(i);
            let item = read(c, path, ph, attribute)?;
            path.pop();
            if item.tag == Tag::ATTRIBUTE_NAME {
                attribute = item.as_text().and_then(attribute_name_tag);
            }
            items.push(item);
        }
        return Ok(Ttlv::new(tag, Value::Structure(items)));
    }
    let names_tag = if tag == Tag::ATTRIBUTE_VALUE {
        names_from.unwrap_or(tag)
    } else {
        tag
    };
    if let Some(s) = value.as_str().filter(|s| s.starts_with('$')) {
        ph.insert(path.clone(), s.to_owned());
        if item_type != ItemType::TEXT_STRING {
            return Ok(Ttlv::new(tag, Value::neutral(item_type)));
        }
    }
    let type_name = TYPES
        .iter()
        .find(|&&(_, it)| it == item_type)
        .map_or("value", |&(n, _)| n);
    let bad = || JsonError::BadValue {
        tag: tag_text.to_owned(),
        type_name,
    };
    let s = value.as_str();
    let int = || -> Option<i64> {
        match value {
            J::Number(n) => n.as_i64(),
            J::String(s) => match s.strip_prefix("0x") {
                Some(h) if !h.is_empty() && h.len() <= 16 => {
                    u64::from_str_radix(h, 16).ok().map(|u| u as i64)
                }
                Some(_) => None,
                None => s.parse().ok(),
            },
            _ => None,
        }
    };
    let v = match item_type {
        ItemType::INTEGER => Value::Integer(match s.and_then(|s| mask_bits(names_tag, s)) {
            Some(m) => m,
            // Hex may spell the full 32-bit pattern of a negative Integer.
            None => int()
                .and_then(|i| {
                    i32::try_from(i)
                        .ok()
                        .or_else(|| u32::try_from(i).ok().map(|u| u as i32))
                })
                .ok_or_else(bad)?,
        }),
        ItemType::LONG_INTEGER => Value::LongInteger(int().ok_or_else(bad)?),
        ItemType::INTERVAL => Value::Interval(int().and_then(|i| u32::try_from(i).ok()).ok_or_else(bad)?),
        ItemType::ENUMERATION => Value::Enumeration(match s.and_then(|s| enum_by_name(names_tag, s)) {
            Some(e) => e,
            None => match (s, value.as_u64()) {
                (_, Some(n)) => u32::try_from(n).map_err(|_| bad())?,
                (Some(s), None) => parse_u32(s).ok_or_else(|| JsonError::UnknownEnumeration {
                    tag: tag_text.to_owned(),
                    name: s.to_owned(),
                })?,
                (None, None) => return Err(bad()),
            },
        }),
        ItemType::BOOLEAN => Value::Boolean(value.as_bool().ok_or_else(bad)?),
        ItemType::TEXT_STRING => Value::TextString(s.ok_or_else(bad)?.to_owned()),
        ItemType::BYTE_STRING => Value::ByteString(s.and_then(parse_hex).ok_or_else(bad)?),
        ItemType::BIG_INTEGER => {
            // In wire form, as the binary decoder and the XML reader hold it.
            Value::BigInteger(crate::ttlv::binary::big_integer_wire_bytes(
                &s.and_then(parse_hex).filter(|b| !b.is_empty()).ok_or_else(bad)?,
            ))
        }
        ItemType::DATE_TIME => Value::DateTime(match s {
            Some(s) if !s.starts_with("0x") => parse_date_time(s, false).ok_or_else(bad)?,
            _ => int().ok_or_else(bad)?,
        }),
        _ => Value::DateTimeExtended(match s {
            Some(s) if !s.starts_with("0x") => parse_date_time(s, true).ok_or_else(bad)?,
            _ => int().ok_or_else(bad)?,
        }),
    };
    Ok(Ttlv::new(tag, v))
}

/// `item` as JSON.
pub fn to_json(item: &Ttlv) -> J {
    to_json_with(item, &Placeholders::default())
}

/// `item` as compact JSON text.
pub fn to_json_string(item: &Ttlv) -> String {
    to_json(item).to_string()
}

/// Like [`to_json`], writing each recorded placeholder in place of the value at its path.
pub fn to_json_with(item: &Ttlv, placeholders: &Placeholders) -> J {
    write(item, &mut Vec::new(), placeholders, None)
}

fn write(item: &Ttlv, path: &mut Vec<usize>, ph: &Placeholders, names_from: Option<Tag>) -> J {
    let mut obj = Map::new();
    obj.insert(
        "tag".into(),
        J::String(match tag_name(item.tag) {
            Some(n) => n.to_owned(),
            None => format!("0x{:06X}", item.tag.0),
        }),
    );
    if let Value::Structure(items) = &item.value {
        let mut attribute = None;
        let mut out = Vec::with_capacity(items.len());
        for (i, c) in items.iter().enumerate() {
            path.push(i);
            out.push(write(c, path, ph, attribute));
            path.pop();
            if c.tag == Tag::ATTRIBUTE_NAME {
                attribute = c.as_text().and_then(attribute_name_tag);
            }
        }
        obj.insert("value".into(), J::Array(out));
        return J::Object(obj);
    }
    let t = TYPES
        .iter()
        .find(|&&(_, it)| it == item.value.item_type())
        .map_or("TextString", |&(n, _)| n);
    obj.insert("type".into(), J::String(t.into()));
    let names_tag = if item.tag == Tag::ATTRIBUTE_VALUE {
        names_from.unwrap_or(item.tag)
    } else {
        item.tag
    };
    let v = match (ph.get(path), &item.value) {
        (Some(p), _) => J::String(p.to_owned()),
        (None, Value::Structure(_)) => J::Null,
        (None, Value::Integer(i)) => match mask_names(names_tag, *i) {
            Some(names) => J::String(names),
            None => json!(i),
        },
        (None, Value::LongInteger(i)) if i.unsigned_abs() <= EXACT as u64 => json!(i),
        (None, Value::LongInteger(i)) => J::String(format!("0x{i:016X}")),
        (None, Value::BigInteger(b) | Value::ByteString(b)) => J::String(format!("0x{}", hex::encode(b))),
        (None, Value::Enumeration(e)) => J::String(match enum_name(names_tag, *e) {
            Some(n) => n.to_owned(),
            None => format!("0x{e:08X}"),
        }),
        (None, Value::Boolean(b)) => J::Bool(*b),
        (None, Value::TextString(s)) => J::String(s.clone()),
        (None, Value::DateTime(s)) => J::String(format_date_time(*s, false)),
        (None, Value::Interval(i)) => json!(i),
        (None, Value::DateTimeExtended(us)) => J::String(format_date_time(*us, true)),
    };
    obj.insert("value".into(), v);
    J::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_round_trip() {
        let t = Ttlv::structure(
            Tag::REQUEST_MESSAGE,
            vec![
                Ttlv::int(Tag::BATCH_COUNT, 1),
                Ttlv::enumeration(Tag::OPERATION, 3),
                Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 12),
                Ttlv::long(Tag::USAGE_LIMITS_TOTAL, i64::MIN),
                Ttlv::bytes(Tag(0x540001), vec![1, 2]),
                Ttlv::date(Tag::ACTIVATION_DATE, 1_205_495_800),
                Ttlv::enumeration(Tag::OBJECT_TYPE, 0x8000_0001),
            ],
        );
        let j = to_json(&t);
        assert_eq!(j["tag"], "RequestMessage");
        assert_eq!(
            j["value"][0],
            json!({"tag": "BatchCount", "type": "Integer", "value": 1})
        );
        assert_eq!(j["value"][1]["value"], "Register");
        assert_eq!(j["value"][2]["value"], "Encrypt|Decrypt");
        assert_eq!(j["value"][3]["value"], "0x8000000000000000");
        assert_eq!(
            j["value"][4],
            json!({"tag": "0x540001", "type": "ByteString", "value": "0x0102"})
        );
        assert_eq!(j["value"][5]["value"], "2008-03-14T11:56:40+00:00");
        assert_eq!(j["value"][6]["value"], "0x80000001");
        assert_eq!(from_json(&j.to_string()).unwrap(), t);
    }

    #[test]
    fn alternatives_and_placeholders() {
        let (t, ph) = from_json_with_placeholders(
            r#"{"tag":"RequestMessage","value":[
                {"tag":"BatchCount","type":"Integer","value":"0x00000002"},
                {"tag":"TimeStamp","type":"DateTime","value":"$NOW"},
                {"tag":"CryptographicUsageMask","type":"Integer","value":"Sign Verify"},
                {"tag":"Operation","type":"Enumeration","value":10}]}"#,
        )
        .unwrap();
        assert_eq!(t.items()[0].as_int(), Some(2));
        assert_eq!(t.items()[1].as_date(), Some(0));
        assert_eq!(ph.get(&[1]), Some("$NOW"));
        assert_eq!(t.items()[2].as_int(), Some(3));
        assert_eq!(t.items()[3].as_enum(), Some(10));
        assert_eq!(to_json_with(&t, &ph)["value"][1]["value"], "$NOW");
    }

    #[test]
    fn errors() {
        assert!(matches!(from_json("{"), Err(JsonError::Syntax { .. })));
        assert_eq!(from_json("[]"), Err(JsonError::BadItem));
        assert!(matches!(
            from_json(r#"{"tag":"Nope","value":[]}"#),
            Err(JsonError::UnknownTag { .. })
        ));
        assert!(matches!(
            from_json(r#"{"tag":"State","type":"Enumeration","value":"Sleepy"}"#),
            Err(JsonError::UnknownEnumeration { .. })
        ));
        assert!(matches!(
            from_json(r#"{"tag":"BatchCount","type":"Integer","value":true}"#),
            Err(JsonError::BadValue { .. })
        ));
        // Text nested this deep already stops in serde_json; a value built in memory stops here.
        let mut deep = json!({"tag": "Attribute", "value": []});
        for _ in 0..80 {
            deep = json!({"tag": "Attribute", "value": [deep]});
        }
        assert_eq!(from_json_value(&deep), Err(JsonError::TooDeep));
    }
}
