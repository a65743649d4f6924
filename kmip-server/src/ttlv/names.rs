//! Names for numbers: tags, enumeration values and bit masks, as the KMIP XML and JSON
//! encodings spell them (KMIP Additional Message Encodings 1.0, "Normalizing Names").
//!
//! Everything here reads the two tables — [`tags`](super::tags) (one row per tag) and
//! [`enums`](super::enums) (one block per enumeration, plus which tag uses which) — so there is
//! no second copy of any name to drift.

use super::enums::{value_by_name, value_name, ENUM_TAGS, MASK_TAGS};
use super::Tag;

pub use super::tags::{tag_by_name, tag_name};

/// Tags whose Enumeration values are themselves tags (KMIP 2.x Attribute Reference, Tag).
fn values_are_tags(tag: Tag) -> bool {
    tag == Tag::ATTRIBUTE_REFERENCE || tag == Tag::TAG
}

fn table_for(
    table: &'static [(Tag, &'static [(u32, &'static str)])],
    tag: Tag,
) -> Option<&'static [(u32, &'static str)]> {
    table
        .binary_search_by_key(&tag, |&(t, _)| t)
        .ok()
        .map(|i| table[i].1)
}

/// The named values of the enumeration `tag` carries, if it carries one this table knows.
pub fn enum_values(tag: Tag) -> Option<&'static [(u32, &'static str)]> {
    table_for(ENUM_TAGS, tag)
}

/// Whether `tag`'s Enumeration values have names (an enumeration, or the Tag enumeration).
pub fn has_enum_names(tag: Tag) -> bool {
    values_are_tags(tag) || enum_values(tag).is_some()
}

/// The XML name of Enumeration value `v` under `tag` (`ObjectType`, 2 → `SymmetricKey`).
pub fn enum_name(tag: Tag, v: u32) -> Option<&'static str> {
    if values_are_tags(tag) {
        return tag_name(Tag(v));
    }
    value_name(enum_values(tag)?, v)
}

/// The Enumeration value named `name` under `tag` (`ObjectType`, `SymmetricKey` → 2).
pub fn enum_by_name(tag: Tag, name: &str) -> Option<u32> {
    if values_are_tags(tag) {
        return tag_by_name(name).map(|t| t.0);
    }
    value_by_name(enum_values(tag)?, name)
}

/// The named bits of the mask `tag` carries, if it is a mask tag.
pub fn mask_values(tag: Tag) -> Option<&'static [(u32, &'static str)]> {
    table_for(MASK_TAGS, tag)
}

/// Parse a mask written as names joined by `|` or white space (`Encrypt|Decrypt`,
/// `Decrypt Encrypt`); a part may also be a number (`0x00000004` or `4`). `None` if `tag` is
/// not a mask tag, the text is empty, or a part is unknown.
pub fn mask_bits(tag: Tag, text: &str) -> Option<i32> {
    let values = mask_values(tag)?;
    let mut bits = 0u32;
    let mut any = false;
    for part in text
        .split(|c: char| c == '|' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        any = true;
        bits |= match value_by_name(values, part) {
            Some(b) => b,
            None => parse_u32(part)?,
        };
    }
    // Masks travel as TTLV Integer (i32); the bit pattern is what counts.
    any.then_some(bits as i32)
}

/// Write `v` as its bit names joined by `|` (lowest bit first), or `None` if `tag` is not a mask
/// tag, `v` is 0, or a set bit has no name (the caller then writes a number).
pub fn mask_names(tag: Tag, v: i32) -> Option<String> {
    mask_names_sep(tag, v, "|")
}

/// [`mask_names`] with a chosen separator (the OASIS XML vectors separate with a space).
pub fn mask_names_sep(tag: Tag, v: i32, sep: &str) -> Option<String> {
    let values = mask_values(tag)?;
    let mut rest = v as u32;
    if rest == 0 {
        return None;
    }
    let mut out = String::new();
    for bit in 0..32 {
        let b = 1u32 << bit;
        if rest & b == 0 {
            continue;
        }
        let name = value_name(values, b)?;
        if !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(name);
        rest &= !b;
    }
    Some(out)
}

/// The tag a KMIP 1.x Attribute Name names (`Cryptographic Algorithm` →
/// `CryptographicAlgorithm`, `X.509 Certificate Identifier` → `X_509CertificateIdentifier`), so
/// an `AttributeValue` can be read with the right enumeration or mask. `None` for custom
/// (`x-…`, `y-…`) and unknown names.
pub fn attribute_name_tag(name: &str) -> Option<Tag> {
    let mut xml = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            ' ' => {}
            '.' | '#' | '-' => xml.push('_'),
            c => xml.push(c),
        }
    }
    tag_by_name(&xml)
}

/// `0x…` hex or decimal.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) if !h.is_empty() && h.len() <= 8 => u32::from_str_radix(h, 16).ok(),
        Some(_) => None,
        None => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::enums::{CryptographicUsageMask, ObjectType, Operation, State};
    use super::*;

    #[test]
    fn enum_tables_are_sorted_and_unique() {
        for table in [ENUM_TAGS, MASK_TAGS] {
            for w in table.windows(2) {
                assert!(w[0].0 < w[1].0, "{:?} then {:?}", w[0].0, w[1].0);
            }
            for &(tag, values) in table {
                for (i, a) in values.iter().enumerate() {
                    for b in &values[i + 1..] {
                        assert_ne!(a.0, b.0, "{tag:?}: duplicate number {}", a.0);
                        assert_ne!(a.1, b.1, "{tag:?}: duplicate name {}", a.1);
                    }
                }
            }
        }
    }

    #[test]
    fn enumeration_lookups() {
        assert_eq!(enum_name(Tag::OBJECT_TYPE, 2), Some("SymmetricKey"));
        assert_eq!(enum_by_name(Tag::OBJECT_TYPE, "SymmetricKey"), Some(2));
        assert_eq!(ObjectType::SYMMETRIC_KEY, ObjectType(2));
        assert_eq!(State::PRE_ACTIVE.name(), Some("PreActive"));
        assert_eq!(Operation::from_name("Interop"), Some(Operation(0x34)));
        assert_eq!(enum_name(Tag::CRYPTOGRAPHIC_ALGORITHM, 2), Some("DES3"));
        assert_eq!(
            enum_name(Tag::MASK_GENERATOR_HASHING_ALGORITHM, 6),
            Some("SHA_256")
        );
        assert_eq!(
            enum_name(Tag::ATTRIBUTE_REFERENCE, 0x420001),
            Some("ActivationDate")
        );
        assert_eq!(enum_by_name(Tag::ATTRIBUTE_REFERENCE, "State"), Some(0x42008D));
        assert_eq!(enum_name(Tag::OBJECT_TYPE, 0x8000_0000), None);
        assert_eq!(enum_name(Tag::UNIQUE_IDENTIFIER, 1), Some("IDPlaceholder"));
        assert_eq!(format!("{:?}", ObjectType(2)), "ObjectType::SymmetricKey");
        assert_eq!(format!("{:?}", ObjectType(99)), "ObjectType(0x00000063)");
    }

    #[test]
    fn masks() {
        let t = Tag::CRYPTOGRAPHIC_USAGE_MASK;
        assert_eq!(mask_bits(t, "Encrypt|Decrypt"), Some(12));
        assert_eq!(mask_bits(t, "Decrypt   Encrypt"), Some(12));
        assert_eq!(mask_bits(t, "Sign|0x00000004"), Some(5));
        assert_eq!(mask_bits(t, "Sign|Nonsense"), None);
        assert_eq!(mask_bits(t, ""), None);
        assert_eq!(mask_bits(Tag::OBJECT_TYPE, "Sign"), None);
        assert_eq!(mask_names(t, 12).as_deref(), Some("Encrypt|Decrypt"));
        assert_eq!(mask_names_sep(t, 12, " ").as_deref(), Some("Encrypt Decrypt"));
        assert_eq!(mask_names(t, 0), None);
        assert_eq!(mask_names(t, 1 << 30), None);
        assert_eq!(mask_bits(Tag::PROTECTION_STORAGE_MASK, "Software"), Some(1));
        let m = CryptographicUsageMask::ENCRYPT | CryptographicUsageMask::DECRYPT;
        assert!(m.contains(CryptographicUsageMask::ENCRYPT));
        assert_eq!(m.bits(), 12);
    }

    #[test]
    fn attribute_names() {
        assert_eq!(
            attribute_name_tag("Cryptographic Algorithm"),
            Some(Tag::CRYPTOGRAPHIC_ALGORITHM)
        );
        assert_eq!(
            attribute_name_tag("X.509 Certificate Identifier"),
            Some(Tag::X_509_CERTIFICATE_IDENTIFIER)
        );
        assert_eq!(attribute_name_tag("x-custom"), None);
    }
}
