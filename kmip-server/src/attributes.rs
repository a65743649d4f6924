//! KMIP attributes (KMIP 1.4 §3, KMIP 2.1 §4): one table of every standard attribute with the
//! versions that define it and who may set it, and one version-independent list form that the
//! two wire shapes convert to and from:
//!
//! - 1.x: `Attribute { Attribute Name, Attribute Index?, Attribute Value }`, inside a
//!   `Template-Attribute` (or bare in Get Attributes responses);
//! - 2.x: an `Attributes` structure whose children are the attribute values under their own
//!   tags, with custom attributes as `Attribute { Vendor Identification, Attribute Name,
//!   Attribute Value }`.
//!
//! A 1.x custom attribute `x-name` is the 2.x vendor attribute (`x`, `name`), so an attribute
//! set by a 1.x client reads back under 2.x and the other way round. Custom values keep their
//! TTLV type, whatever it is.

use crate::error::{KmipError, Result};
use crate::ttlv::{Tag, Ttlv, Value};
use crate::version::{Version, V1_0, V1_1, V1_2, V1_3, V1_4, V2_0, V2_1};

/// Clients may not set it (the server does).
pub const SERVER: u8 = 1 << 0;
/// More than one instance may exist.
pub const MULTI: u8 = 1 << 1;
/// Clients may set it when the object is made, not later.
pub const INITIAL: u8 = 1 << 2;
/// Clients may not delete it.
pub const KEEP: u8 = 1 << 3;

/// One standard attribute.
#[derive(Debug)]
pub struct AttrDef {
    /// The 1.x Attribute Name.
    pub name: &'static str,
    pub tag: Tag,
    /// First version that defines it.
    pub since: Version,
    /// First version that no longer defines it.
    pub until: Option<Version>,
    pub flags: u8,
}

impl AttrDef {
    /// Whether a client of version `v` knows this attribute (and may be sent it).
    pub fn in_version(&self, v: Version) -> bool {
        v >= self.since && self.until.map_or(true, |u| v < u)
    }
}

macro_rules! attr_table {
    ($( $name:literal, $tag:ident, $since:expr, $until:expr, $flags:expr; )*) => {
        /// Every standard attribute.
        pub static ATTRIBUTES: &[AttrDef] = &[
            $( AttrDef { name: $name, tag: Tag::$tag, since: $since, until: $until, flags: $flags } ),*
        ];
    };
}

const N: Option<Version> = None;
const GONE_IN_2: Option<Version> = Some(V2_0);

// The Certificate Subject/Issuer field attributes (CN, O, …) have their tags in KMIP 1.4
// (0x420108–0x42011F), and the 1.4 test cases (TC-CERTATTR-1-14) expect them from a 1.4 server.

attr_table! {
    "Unique Identifier", UNIQUE_IDENTIFIER, V1_0, N, SERVER | KEEP;
    "Name", NAME, V1_0, N, MULTI;
    "Object Type", OBJECT_TYPE, V1_0, N, SERVER | KEEP;
    "Cryptographic Algorithm", CRYPTOGRAPHIC_ALGORITHM, V1_0, N, INITIAL | KEEP;
    "Cryptographic Length", CRYPTOGRAPHIC_LENGTH, V1_0, N, INITIAL | KEEP;
    "Cryptographic Parameters", CRYPTOGRAPHIC_PARAMETERS, V1_0, N, MULTI;
    "Cryptographic Domain Parameters", CRYPTOGRAPHIC_DOMAIN_PARAMETERS, V1_0, N, INITIAL | KEEP;
    "Certificate Type", CERTIFICATE_TYPE, V1_0, N, SERVER | KEEP;
    "Certificate Length", CERTIFICATE_LENGTH, V1_1, N, SERVER | KEEP;
    "X.509 Certificate Identifier", X_509_CERTIFICATE_IDENTIFIER, V1_1, N, SERVER | KEEP;
    "X.509 Certificate Subject", X_509_CERTIFICATE_SUBJECT, V1_1, N, SERVER | KEEP;
    "X.509 Certificate Issuer", X_509_CERTIFICATE_ISSUER, V1_1, N, SERVER | KEEP;
    "Certificate Identifier", CERTIFICATE_IDENTIFIER, V1_0, GONE_IN_2, SERVER | KEEP;
    "Certificate Subject", CERTIFICATE_SUBJECT, V1_0, GONE_IN_2, SERVER | KEEP;
    "Certificate Issuer", CERTIFICATE_ISSUER, V1_0, GONE_IN_2, SERVER | KEEP;
    "Digital Signature Algorithm", DIGITAL_SIGNATURE_ALGORITHM, V1_1, N, SERVER | KEEP;
    "Digest", DIGEST, V1_0, N, SERVER | KEEP | MULTI;
    "Operation Policy Name", OPERATION_POLICY_NAME, V1_0, GONE_IN_2, 0;
    "Cryptographic Usage Mask", CRYPTOGRAPHIC_USAGE_MASK, V1_0, N, INITIAL | KEEP;
    "Lease Time", LEASE_TIME, V1_0, N, SERVER;
    "Usage Limits", USAGE_LIMITS, V1_0, N, 0;
    "State", STATE, V1_0, N, SERVER | KEEP;
    "Initial Date", INITIAL_DATE, V1_0, N, SERVER | KEEP;
    "Activation Date", ACTIVATION_DATE, V1_0, N, 0;
    "Process Start Date", PROCESS_START_DATE, V1_0, N, 0;
    "Protect Stop Date", PROTECT_STOP_DATE, V1_0, N, 0;
    "Deactivation Date", DEACTIVATION_DATE, V1_0, N, 0;
    "Destroy Date", DESTROY_DATE, V1_0, N, SERVER | KEEP;
    "Compromise Occurrence Date", COMPROMISE_OCCURRENCE_DATE, V1_0, N, SERVER | KEEP;
    "Compromise Date", COMPROMISE_DATE, V1_0, N, SERVER | KEEP;
    "Revocation Reason", REVOCATION_REASON, V1_0, N, SERVER | KEEP;
    "Archive Date", ARCHIVE_DATE, V1_0, N, SERVER | KEEP;
    "Object Group", OBJECT_GROUP, V1_0, N, MULTI;
    "Fresh", FRESH, V1_1, N, 0;
    "Link", LINK, V1_0, N, MULTI;
    "Application Specific Information", APPLICATION_SPECIFIC_INFORMATION, V1_0, N, MULTI;
    "Contact Information", CONTACT_INFORMATION, V1_0, N, 0;
    "Last Change Date", LAST_CHANGE_DATE, V1_0, N, SERVER | KEEP;
    "Alternative Name", ALTERNATIVE_NAME, V1_2, N, MULTI;
    "Key Value Present", KEY_VALUE_PRESENT, V1_2, N, SERVER | KEEP;
    "Key Value Location", KEY_VALUE_LOCATION, V1_2, N, MULTI;
    "Original Creation Date", ORIGINAL_CREATION_DATE, V1_2, N, SERVER | KEEP;
    "Random Number Generator", RANDOM_NUMBER_GENERATOR, V1_3, N, SERVER | KEEP;
    "PKCS#12 Friendly Name", PKCS_12_FRIENDLY_NAME, V1_4, N, 0;
    "Description", DESCRIPTION, V1_4, N, 0;
    "Comment", COMMENT, V1_4, N, 0;
    "Sensitive", SENSITIVE, V1_4, N, 0;
    "Always Sensitive", ALWAYS_SENSITIVE, V1_4, N, SERVER | KEEP;
    "Extractable", EXTRACTABLE, V1_4, N, 0;
    "Never Extractable", NEVER_EXTRACTABLE, V1_4, N, SERVER | KEEP;
    "Key Format Type", KEY_FORMAT_TYPE, V2_0, N, SERVER | KEEP;
    "Protection Level", PROTECTION_LEVEL, V2_0, N, 0;
    "Protection Period", PROTECTION_PERIOD, V2_0, N, 0;
    "Protection Storage Mask", PROTECTION_STORAGE_MASK, V2_0, N, INITIAL;
    "Quantum Safe", QUANTUM_SAFE, V2_0, N, 0;
    "Short Unique Identifier", SHORT_UNIQUE_IDENTIFIER, V2_0, N, SERVER | KEEP;
    "Certificate Subject CN", CERTIFICATE_SUBJECT_CN, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject O", CERTIFICATE_SUBJECT_O, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject OU", CERTIFICATE_SUBJECT_OU, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject Email", CERTIFICATE_SUBJECT_EMAIL, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject C", CERTIFICATE_SUBJECT_C, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject ST", CERTIFICATE_SUBJECT_ST, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject L", CERTIFICATE_SUBJECT_L, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject UID", CERTIFICATE_SUBJECT_UID, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject Serial Number", CERTIFICATE_SUBJECT_SERIAL_NUMBER, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject Title", CERTIFICATE_SUBJECT_TITLE, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject DC", CERTIFICATE_SUBJECT_DC, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Subject DN Qualifier", CERTIFICATE_SUBJECT_DN_QUALIFIER, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer CN", CERTIFICATE_ISSUER_CN, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer O", CERTIFICATE_ISSUER_O, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer OU", CERTIFICATE_ISSUER_OU, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer Email", CERTIFICATE_ISSUER_EMAIL, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer C", CERTIFICATE_ISSUER_C, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer ST", CERTIFICATE_ISSUER_ST, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer L", CERTIFICATE_ISSUER_L, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer UID", CERTIFICATE_ISSUER_UID, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer Serial Number", CERTIFICATE_ISSUER_SERIAL_NUMBER, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer Title", CERTIFICATE_ISSUER_TITLE, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer DC", CERTIFICATE_ISSUER_DC, V1_4, N, SERVER | KEEP | MULTI;
    "Certificate Issuer DN Qualifier", CERTIFICATE_ISSUER_DN_QUALIFIER, V1_4, N, SERVER | KEEP | MULTI;
    "NIST Key Type", NIST_KEY_TYPE, V2_0, N, 0;
    "Rotate Date", ROTATE_DATE, V2_1, N, 0;
    "Rotate Generation", ROTATE_GENERATION, V2_1, N, SERVER;
    "Rotate Interval", ROTATE_INTERVAL, V2_1, N, 0;
    "Rotate Latest", ROTATE_LATEST, V2_1, N, SERVER;
    "Rotate Name", ROTATE_NAME, V2_1, N, 0;
    "Rotate Offset", ROTATE_OFFSET, V2_1, N, 0;
}

/// The definition by 1.x name.
pub fn by_name(name: &str) -> Option<&'static AttrDef> {
    ATTRIBUTES.iter().find(|d| d.name == name)
}

/// The definition by 2.x tag.
pub fn by_tag(tag: Tag) -> Option<&'static AttrDef> {
    ATTRIBUTES.iter().find(|d| d.tag == tag)
}

/// Whether `name` is a custom attribute name (`x-` client, `y-` server; KMIP 1.4 §3.39).
pub fn is_custom(name: &str) -> bool {
    name.starts_with("x-") || name.starts_with("y-")
}

/// One attribute instance, version-independent.
///
/// `value` carries the attribute's own tag for standard attributes and
/// [`Tag::ATTRIBUTE_VALUE`] for custom ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub index: i32,
    pub value: Ttlv,
}

impl Attribute {
    pub fn new(def: &AttrDef, value: Value) -> Attribute {
        Attribute {
            name: def.name.to_string(),
            index: 0,
            value: Ttlv::new(def.tag, value),
        }
    }

    pub fn def(&self) -> Option<&'static AttrDef> {
        by_name(&self.name)
    }

    /// Reads one 1.x `Attribute` structure (or a 2.x vendor attribute, which has the same
    /// tag and a Vendor Identification).
    pub fn from_v1(item: &Ttlv) -> Result<Attribute> {
        if item.find(Tag::VENDOR_IDENTIFICATION).is_some() {
            return Attribute::from_v2(item);
        }
        let name = item
            .find(Tag::ATTRIBUTE_NAME)
            .and_then(Ttlv::as_text)
            .ok_or_else(|| KmipError::missing("Attribute Name"))?;
        let index = match item.find(Tag::ATTRIBUTE_INDEX) {
            Some(i) => i
                .as_int()
                .filter(|i| *i >= 0)
                .ok_or_else(|| KmipError::invalid("Attribute Index"))?,
            None => 0,
        };
        let value = item.find(Tag::ATTRIBUTE_VALUE);
        let tag = match by_name(name) {
            Some(d) => d.tag,
            None if is_custom(name) => Tag::ATTRIBUTE_VALUE,
            None => {
                return Err(KmipError::new(
                    crate::ttlv::enums::ResultReason::INVALID_FIELD,
                    format!("unknown attribute name \"{name}\""),
                ))
            }
        };
        // Get Attributes / Delete Attribute requests name an attribute without a value.
        let value = match value {
            Some(v) => Ttlv::new(tag, v.value.clone()),
            None => Ttlv::new(tag, Value::Structure(Vec::new())),
        };
        Ok(Attribute {
            name: name.to_string(),
            index,
            value,
        })
    }

    /// Reads one child of a 2.x `Attributes` structure.
    pub fn from_v2(item: &Ttlv) -> Result<Attribute> {
        if item.tag == Tag::ATTRIBUTE {
            let vendor = item
                .find(Tag::VENDOR_IDENTIFICATION)
                .and_then(Ttlv::as_text)
                .ok_or_else(|| KmipError::missing("Vendor Identification"))?;
            let name = item
                .find(Tag::ATTRIBUTE_NAME)
                .and_then(Ttlv::as_text)
                .ok_or_else(|| KmipError::missing("Attribute Name"))?;
            let value = item
                .find(Tag::ATTRIBUTE_VALUE)
                .map(|v| v.value.clone())
                .unwrap_or(Value::Structure(Vec::new()));
            return Ok(Attribute {
                name: format!("{vendor}-{name}"),
                index: 0,
                value: Ttlv::new(Tag::ATTRIBUTE_VALUE, value),
            });
        }
        let def = by_tag(item.tag).ok_or_else(|| {
            KmipError::new(
                crate::ttlv::enums::ResultReason::UNSUPPORTED_ATTRIBUTE,
                format!("{:?} is not an attribute", item.tag),
            )
        })?;
        Ok(Attribute {
            name: def.name.to_string(),
            index: 0,
            value: item.clone(),
        })
    }

    /// The 1.x `Attribute` structure.
    pub fn to_v1(&self) -> Ttlv {
        let mut items = vec![Ttlv::text(Tag::ATTRIBUTE_NAME, self.name.clone())];
        if self.index > 0 {
            items.push(Ttlv::int(Tag::ATTRIBUTE_INDEX, self.index));
        }
        items.push(Ttlv::new(Tag::ATTRIBUTE_VALUE, self.value.value.clone()));
        Ttlv::structure(Tag::ATTRIBUTE, items)
    }

    /// The 2.x child of `Attributes`.
    pub fn to_v2(&self) -> Ttlv {
        if self.def().is_none() {
            let (vendor, name) = self.name.split_once('-').unwrap_or(("x", &self.name));
            return Ttlv::structure(
                Tag::ATTRIBUTE,
                vec![
                    Ttlv::text(Tag::VENDOR_IDENTIFICATION, vendor),
                    Ttlv::text(Tag::ATTRIBUTE_NAME, name),
                    Ttlv::new(Tag::ATTRIBUTE_VALUE, self.value.value.clone()),
                ],
            );
        }
        self.value.clone()
    }

    /// Whether a client of version `v` may be sent this attribute.
    pub fn visible_to(&self, v: Version) -> bool {
        match self.def() {
            Some(d) => d.in_version(v),
            None => true,
        }
    }
}

/// Reads the attributes of a request: a 1.x `Template-Attribute` (its `Attribute` children;
/// named templates are not supported) or a 2.x `Attributes` structure.
pub fn read_list(container: &Ttlv) -> Result<Vec<Attribute>> {
    // 1.x: Template-Attribute and its key-pair variants hold Attribute structures; 2.x:
    // Attributes, Common/Private Key/Public Key Attributes hold the values under their tags.
    let v1 = matches!(
        container.tag,
        Tag::TEMPLATE_ATTRIBUTE
            | Tag::COMMON_TEMPLATE_ATTRIBUTE
            | Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE
            | Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE
    );
    let mut out = Vec::new();
    for item in container.items() {
        if item.tag == Tag::ATTRIBUTE {
            out.push(Attribute::from_v1(item)?);
        } else if v1 && item.tag == Tag::NAME {
            return Err(KmipError::unsupported("named templates"));
        } else if !v1 {
            out.push(Attribute::from_v2(item)?);
        } else {
            return Err(KmipError::invalid("attribute list"));
        }
    }
    Ok(out)
}

/// Writes attributes in the shape version `v` uses: `Attribute` items (1.x) or the children
/// of an `Attributes` structure (2.x). Attributes `v` does not define are left out.
pub fn write_list(attrs: &[Attribute], v: Version) -> Vec<Ttlv> {
    attrs
        .iter()
        .filter(|a| a.visible_to(v))
        .map(|a| if v.is_2x() { a.to_v2() } else { a.to_v1() })
        .collect()
}

/// The first instance of attribute `name` in a list.
pub fn first<'a>(attrs: &'a [Attribute], name: &str) -> Option<&'a Ttlv> {
    attrs.iter().find(|a| a.name == name).map(|a| &a.value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::{V1_0, V2_1};

    #[test]
    fn table_has_unique_names_and_tags() {
        for (i, a) in ATTRIBUTES.iter().enumerate() {
            for b in &ATTRIBUTES[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.tag, b.tag, "{} and {}", a.name, b.name);
            }
        }
    }

    #[test]
    fn custom_attributes_of_any_type_survive_both_shapes() {
        let values = [
            Value::TextString("t".into()),
            Value::Integer(-3),
            Value::LongInteger(1 << 40),
            Value::ByteString(vec![1, 2]),
            Value::Boolean(true),
            Value::DateTime(1_000_000),
            Value::Interval(9),
            Value::Enumeration(4),
            Value::BigInteger(vec![0; 8]),
            Value::Structure(vec![Ttlv::text(Tag::NAME_VALUE, "n")]),
        ];
        for v in values {
            let a = Attribute {
                name: "x-custom".into(),
                index: 0,
                value: Ttlv::new(Tag::ATTRIBUTE_VALUE, v),
            };
            assert_eq!(Attribute::from_v1(&a.to_v1()).unwrap(), a);
            assert_eq!(Attribute::from_v2(&a.to_v2()).unwrap(), a);
        }
    }

    #[test]
    fn attributes_a_version_lacks_are_not_written() {
        let fresh = Attribute::new(by_name("Fresh").unwrap(), Value::Boolean(true));
        let name = Attribute::new(by_name("Object Group").unwrap(), Value::TextString("g".into()));
        let list = [fresh, name];
        assert_eq!(write_list(&list, V1_0).len(), 1, "a 1.0 client never sees Fresh");
        assert_eq!(write_list(&list, V2_1).len(), 2);
        let opn = by_name("Operation Policy Name").unwrap();
        assert!(opn.in_version(V1_0) && !opn.in_version(V2_1));
    }
}
