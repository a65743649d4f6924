//! TTLV: the Tag-Type-Length-Value tree every KMIP message is (KMIP 1.4 §9.1, KMIP 2.1 §9.1).
//!
//! One tree, three encodings: [`binary`] (the wire), [`xml`] and [`json`] (the OASIS test
//! vectors and the KMIP profiles' message encodings). Tags and enumeration values are open
//! numeric newtypes: an unknown value decodes, is carried and re-encodes unchanged. The tag
//! table (`Tag::UNIQUE_IDENTIFIER`…), the enumerations ([`enums`]) and the name lookups
//! ([`names`]) each come from one table of rows.
//!
//! Architecture invariant: this module does no I/O and knows nothing of tokio, sockets or the
//! keystore; every length it reads from untrusted input is checked against a named limit in
//! [`binary`] before anything is allocated for it.

pub mod binary;
pub mod datetime;
pub mod enums;
pub mod json;
pub mod names;
mod tags;
pub mod xml;

/// A KMIP tag: three bytes on the wire, `0x42xxxx` for the standard ones, `0x54xxxx` for
/// extensions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

impl std::fmt::Debug for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match names::tag_name(*self) {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "Tag(0x{:06X})", self.0),
        }
    }
}

/// The type byte of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemType(pub u8);

impl ItemType {
    pub const STRUCTURE: ItemType = ItemType(0x01);
    pub const INTEGER: ItemType = ItemType(0x02);
    pub const LONG_INTEGER: ItemType = ItemType(0x03);
    pub const BIG_INTEGER: ItemType = ItemType(0x04);
    pub const ENUMERATION: ItemType = ItemType(0x05);
    pub const BOOLEAN: ItemType = ItemType(0x06);
    pub const TEXT_STRING: ItemType = ItemType(0x07);
    pub const BYTE_STRING: ItemType = ItemType(0x08);
    pub const DATE_TIME: ItemType = ItemType(0x09);
    pub const INTERVAL: ItemType = ItemType(0x0A);
    /// KMIP 2.0: microseconds since the epoch.
    pub const DATE_TIME_EXTENDED: ItemType = ItemType(0x0B);
}

/// A value of one of the TTLV types. `Debug` prints byte strings and big integers by length
/// only: they carry key material, and a tree may reach a log line or a panic message.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    Structure(Vec<Ttlv>),
    Integer(i32),
    LongInteger(i64),
    /// Two's-complement big-endian, exactly as on the wire (a multiple of 8 bytes there).
    BigInteger(Vec<u8>),
    Enumeration(u32),
    Boolean(bool),
    TextString(String),
    ByteString(Vec<u8>),
    /// Seconds since the Unix epoch.
    DateTime(i64),
    /// Seconds.
    Interval(u32),
    /// Microseconds since the Unix epoch (KMIP 2.0).
    DateTimeExtended(i64),
}

/// Byte and text strings are wiped when dropped: a decoded request or an encoded answer may hold
/// key material (Key Material, a Password, a PKCS#8 key), and the tree is freed as a whole.
impl Drop for Value {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        match self {
            Value::BigInteger(v) | Value::ByteString(v) => v.zeroize(),
            Value::TextString(v) => v.zeroize(),
            _ => {}
        }
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Structure(v) => f.debug_tuple("Structure").field(v).finish(),
            Value::Integer(v) => write!(f, "Integer({v})"),
            Value::LongInteger(v) => write!(f, "LongInteger({v})"),
            Value::BigInteger(v) => write!(f, "BigInteger(<{} bytes>)", v.len()),
            Value::Enumeration(v) => write!(f, "Enumeration(0x{v:X})"),
            Value::Boolean(v) => write!(f, "Boolean({v})"),
            Value::TextString(v) => write!(f, "TextString({v:?})"),
            Value::ByteString(v) => write!(f, "ByteString(<{} bytes>)", v.len()),
            Value::DateTime(v) => write!(f, "DateTime({v})"),
            Value::Interval(v) => write!(f, "Interval({v})"),
            Value::DateTimeExtended(v) => write!(f, "DateTimeExtended({v})"),
        }
    }
}

impl Value {
    /// The value a placeholder (`$NOW`, `$UNIQUE_IDENTIFIER_0`…) of type `t` stands in for in
    /// a tree read from XML or JSON: zero, empty or false.
    pub fn neutral(t: ItemType) -> Value {
        match t {
            ItemType::INTEGER => Value::Integer(0),
            ItemType::LONG_INTEGER => Value::LongInteger(0),
            ItemType::BIG_INTEGER => Value::BigInteger(vec![0; 8]),
            ItemType::ENUMERATION => Value::Enumeration(0),
            ItemType::BOOLEAN => Value::Boolean(false),
            ItemType::BYTE_STRING => Value::ByteString(Vec::new()),
            ItemType::DATE_TIME => Value::DateTime(0),
            ItemType::INTERVAL => Value::Interval(0),
            ItemType::DATE_TIME_EXTENDED => Value::DateTimeExtended(0),
            _ => Value::TextString(String::new()),
        }
    }

    pub fn item_type(&self) -> ItemType {
        match self {
            Value::Structure(_) => ItemType::STRUCTURE,
            Value::Integer(_) => ItemType::INTEGER,
            Value::LongInteger(_) => ItemType::LONG_INTEGER,
            Value::BigInteger(_) => ItemType::BIG_INTEGER,
            Value::Enumeration(_) => ItemType::ENUMERATION,
            Value::Boolean(_) => ItemType::BOOLEAN,
            Value::TextString(_) => ItemType::TEXT_STRING,
            Value::ByteString(_) => ItemType::BYTE_STRING,
            Value::DateTime(_) => ItemType::DATE_TIME,
            Value::Interval(_) => ItemType::INTERVAL,
            Value::DateTimeExtended(_) => ItemType::DATE_TIME_EXTENDED,
        }
    }
}

/// One item: a tag and a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ttlv {
    pub tag: Tag,
    pub value: Value,
}

impl Ttlv {
    pub fn new(tag: Tag, value: Value) -> Ttlv {
        Ttlv { tag, value }
    }

    pub fn structure(tag: Tag, items: Vec<Ttlv>) -> Ttlv {
        Ttlv::new(tag, Value::Structure(items))
    }

    pub fn int(tag: Tag, v: i32) -> Ttlv {
        Ttlv::new(tag, Value::Integer(v))
    }

    pub fn long(tag: Tag, v: i64) -> Ttlv {
        Ttlv::new(tag, Value::LongInteger(v))
    }

    pub fn enumeration(tag: Tag, v: u32) -> Ttlv {
        Ttlv::new(tag, Value::Enumeration(v))
    }

    pub fn boolean(tag: Tag, v: bool) -> Ttlv {
        Ttlv::new(tag, Value::Boolean(v))
    }

    pub fn text(tag: Tag, v: impl Into<String>) -> Ttlv {
        Ttlv::new(tag, Value::TextString(v.into()))
    }

    pub fn bytes(tag: Tag, v: impl Into<Vec<u8>>) -> Ttlv {
        Ttlv::new(tag, Value::ByteString(v.into()))
    }

    pub fn date(tag: Tag, secs: i64) -> Ttlv {
        Ttlv::new(tag, Value::DateTime(secs))
    }

    /// The children of a structure; empty for any other type.
    pub fn items(&self) -> &[Ttlv] {
        match &self.value {
            Value::Structure(v) => v,
            _ => &[],
        }
    }

    /// The first child with `tag`.
    pub fn find(&self, tag: Tag) -> Option<&Ttlv> {
        self.items().iter().find(|i| i.tag == tag)
    }

    /// Every child with `tag`, in order.
    pub fn find_all(&self, tag: Tag) -> impl Iterator<Item = &Ttlv> {
        self.items().iter().filter(move |i| i.tag == tag)
    }

    pub fn as_int(&self) -> Option<i32> {
        match self.value {
            Value::Integer(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_long(&self) -> Option<i64> {
        match self.value {
            Value::LongInteger(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_enum(&self) -> Option<u32> {
        match self.value {
            Value::Enumeration(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Boolean(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            Value::TextString(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.value {
            Value::ByteString(v) | Value::BigInteger(v) => Some(v),
            _ => None,
        }
    }

    /// A Date-Time in seconds (a Date-Time Extended is truncated to seconds).
    pub fn as_date(&self) -> Option<i64> {
        match self.value {
            Value::DateTime(v) => Some(v),
            Value::DateTimeExtended(v) => Some(v.div_euclid(1_000_000)),
            _ => None,
        }
    }

    pub fn as_interval(&self) -> Option<u32> {
        match self.value {
            Value::Interval(v) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_byte_values() {
        let key = Ttlv::structure(
            Tag::KEY_VALUE,
            vec![
                Ttlv::bytes(Tag::KEY_MATERIAL, vec![0xAB; 32]),
                Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 256),
            ],
        );
        let shown = format!("{key:?}");
        assert!(
            !shown.contains("171") && !shown.to_lowercase().contains("ab, "),
            "{shown}"
        );
        assert!(
            shown.contains("<32 bytes>") && shown.contains("Integer(256)"),
            "{shown}"
        );
    }
}
