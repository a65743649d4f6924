//! The TTLV wire encoding (KMIP 1.4 §9.1.1, KMIP 2.1 §9.1.1).
//!
//! Every item is an 8-byte header — tag (3 bytes), type (1 byte), length (4 bytes, big-endian,
//! the length of the value *before* padding) — then the value, zero-padded to a multiple of 8.
//! The decoder is strict, so that what it accepts re-encodes byte for byte:
//!
//! - padding bytes must be zero;
//! - Integer, Enumeration and Interval have length 4; Long Integer, Date-Time, Date-Time Extended
//!   and Boolean have length 8; a Boolean is 0 or 1; a Big Integer's length is a non-zero
//!   multiple of 8; a Text String is UTF-8;
//! - a Structure's length is exactly the sum of its items, and nothing may follow the root item.
//!
//! Every length read from the wire is checked against the bytes present and against [`Limits`]
//! before anything is allocated for it.

use std::fmt;

use super::{ItemType, Tag, Ttlv, Value};

/// Bounds on what [`decode`] accepts. Each stops one way of making the server spend memory or
/// stack on a hostile message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest whole message in bytes: caps the buffer a peer can make us hold.
    pub max_message: usize,
    /// Deepest nesting of structures (the root is depth 1): bounds recursion, so a message of
    /// nested empty structures cannot exhaust the stack.
    pub max_depth: usize,
    /// Most items in one message: bounds the tree nodes (about 48 bytes each) that a message of
    /// tiny items could make us allocate, far beyond its own size.
    pub max_items: usize,
    /// Longest single Text String, Byte String or Big Integer: stops one value claiming the
    /// whole message budget for a single allocation.
    pub max_string: usize,
}

impl Limits {
    /// 16 MiB.
    pub const DEFAULT_MAX_MESSAGE: usize = 16 << 20;
    pub const DEFAULT_MAX_DEPTH: usize = 64;
    pub const DEFAULT_MAX_ITEMS: usize = 100_000;
    /// 8 MiB.
    pub const DEFAULT_MAX_STRING: usize = 8 << 20;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: Self::DEFAULT_MAX_MESSAGE,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_items: Self::DEFAULT_MAX_ITEMS,
            max_string: Self::DEFAULT_MAX_STRING,
        }
    }
}

/// Why bytes are not a well-formed TTLV item. Offsets count from the start of the message; no
/// variant carries payload bytes, so the Display output is safe to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ends before the header or value that starts at `offset` does.
    Truncated { offset: usize },
    /// A padding byte after the value at `offset` is not zero.
    BadPadding { offset: usize },
    /// A length that the item's type does not allow.
    BadLength {
        offset: usize,
        item_type: ItemType,
        length: u32,
    },
    /// A type byte that is not a TTLV type.
    BadType { offset: usize, type_byte: u8 },
    /// A Text String that is not UTF-8.
    BadUtf8 { offset: usize },
    /// A Boolean other than 0 or 1.
    BadBoolean { offset: usize },
    /// Structures nested deeper than [`Limits::max_depth`].
    TooDeep { limit: usize },
    /// More items than [`Limits::max_items`].
    TooManyItems { limit: usize },
    /// A message or value longer than its limit.
    TooLarge { length: u64, limit: usize },
    /// Bytes left after the root item.
    TrailingBytes { count: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { offset } => write!(f, "TTLV truncated at byte {offset}"),
            DecodeError::BadPadding { offset } => {
                write!(f, "TTLV padding not zero after the value at byte {offset}")
            }
            DecodeError::BadLength {
                offset,
                item_type,
                length,
            } => write!(
                f,
                "TTLV length {length} not allowed for type 0x{:02X} at byte {offset}",
                item_type.0
            ),
            DecodeError::BadType { offset, type_byte } => {
                write!(f, "TTLV type 0x{type_byte:02X} unknown at byte {offset}")
            }
            DecodeError::BadUtf8 { offset } => {
                write!(f, "TTLV text string at byte {offset} is not UTF-8")
            }
            DecodeError::BadBoolean { offset } => {
                write!(f, "TTLV boolean at byte {offset} is neither 0 nor 1")
            }
            DecodeError::TooDeep { limit } => {
                write!(f, "TTLV structures nested deeper than {limit}")
            }
            DecodeError::TooManyItems { limit } => write!(f, "TTLV message has more than {limit} items"),
            DecodeError::TooLarge { length, limit } => {
                write!(f, "TTLV length {length} exceeds the limit of {limit} bytes")
            }
            DecodeError::TrailingBytes { count } => {
                write!(f, "{count} bytes follow the TTLV message")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// A bounded cursor over input bytes: every read is checked against what is left, and a
/// [`sub`](Reader::sub) reader cannot read past the length it was given.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` in the whole message, for error reports.
    base: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0, base: 0 }
    }

    /// Offset of the next byte in the whole message.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated {
                offset: self.offset(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A reader over the next `n` bytes, which this reader skips.
    pub fn sub(&mut self, n: usize) -> Result<Reader<'a>, DecodeError> {
        let base = self.offset();
        let buf = self.take(n)?;
        Ok(Reader { buf, pos: 0, base })
    }

    /// Fails with [`DecodeError::TrailingBytes`] unless everything was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes { count }),
        }
    }
}

/// The tag, type and length of an item header (the length excludes padding).
pub fn read_header(header: &[u8; 8]) -> (Tag, ItemType, u32) {
    let tag = u32::from_be_bytes([0, header[0], header[1], header[2]]);
    let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    (Tag(tag), ItemType(header[3]), len)
}

/// For framing a stream: the total size of the message whose header is `header` (header plus
/// padded value), refused if it exceeds `limits.max_message`.
pub fn frame_len(header: &[u8; 8], limits: &Limits) -> Result<usize, DecodeError> {
    let (_, _, len) = read_header(header);
    let total = 8 + padded(len as u64);
    if total > limits.max_message as u64 {
        return Err(DecodeError::TooLarge {
            length: total,
            limit: limits.max_message,
        });
    }
    Ok(total as usize)
}

fn padded(len: u64) -> u64 {
    len.div_ceil(8) * 8
}

/// The items directly inside a message's root structure, read from their headers alone
/// (nothing decoded, nothing allocated): each item's tag and bytes. It stops at the first
/// item that does not fit. Lets a server count a request's Batch Items, or read its header,
/// before it builds the whole tree.
pub fn children(bytes: &[u8]) -> Children<'_> {
    let body = match bytes.get(..8) {
        Some(h) if h[3] == ItemType::STRUCTURE.0 => {
            let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
            bytes.get(8..8usize.saturating_add(len)).unwrap_or(&[])
        }
        _ => &[],
    };
    Children { rest: body }
}

/// See [`children`].
#[derive(Debug, Clone)]
pub struct Children<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Children<'a> {
    type Item = (Tag, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let h: &[u8; 8] = self.rest.get(..8)?.try_into().ok()?;
        let (tag, _, len) = read_header(h);
        let total = usize::try_from(8 + padded(len.into())).ok()?;
        let Some(item) = self.rest.get(..total) else {
            self.rest = &[];
            return None;
        };
        self.rest = &self.rest[total..];
        Some((tag, item))
    }
}

/// Decode one whole message: exactly one item, nothing after it.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Ttlv, DecodeError> {
    if bytes.len() > limits.max_message {
        return Err(DecodeError::TooLarge {
            length: bytes.len() as u64,
            limit: limits.max_message,
        });
    }
    let mut r = Reader::new(bytes);
    let mut items = 0;
    let item = read_item(&mut r, 1, &mut items, limits)?;
    r.finish()?;
    Ok(item)
}

fn read_item(
    r: &mut Reader<'_>,
    depth: usize,
    items: &mut usize,
    limits: &Limits,
) -> Result<Ttlv, DecodeError> {
    *items += 1;
    if *items > limits.max_items {
        return Err(DecodeError::TooManyItems {
            limit: limits.max_items,
        });
    }
    let start = r.offset();
    let mut header = [0u8; 8];
    header.copy_from_slice(r.take(8)?);
    let (tag, item_type, len) = read_header(&header);
    let bad_length = || DecodeError::BadLength {
        offset: start,
        item_type,
        length: len,
    };

    if item_type == ItemType::STRUCTURE {
        if depth > limits.max_depth {
            return Err(DecodeError::TooDeep {
                limit: limits.max_depth,
            });
        }
        if len % 8 != 0 {
            return Err(bad_length());
        }
        let mut body = r.sub(len as usize)?;
        // Each child is at least 8 bytes, so this bounds the vector by bytes present.
        let mut children = Vec::with_capacity((len as usize / 8).min(16));
        while !body.is_empty() {
            children.push(read_item(&mut body, depth + 1, items, limits)?);
        }
        return Ok(Ttlv::new(tag, Value::Structure(children)));
    }

    let fixed = match item_type {
        ItemType::INTEGER | ItemType::ENUMERATION | ItemType::INTERVAL => Some(4),
        ItemType::LONG_INTEGER | ItemType::BOOLEAN | ItemType::DATE_TIME | ItemType::DATE_TIME_EXTENDED => {
            Some(8)
        }
        ItemType::BIG_INTEGER | ItemType::TEXT_STRING | ItemType::BYTE_STRING => None,
        ItemType(type_byte) => {
            return Err(DecodeError::BadType {
                offset: start,
                type_byte,
            })
        }
    };
    match fixed {
        Some(n) if len != n => return Err(bad_length()),
        Some(_) => {}
        None => {
            if len as usize > limits.max_string {
                return Err(DecodeError::TooLarge {
                    length: len.into(),
                    limit: limits.max_string,
                });
            }
            if item_type == ItemType::BIG_INTEGER && (len == 0 || len % 8 != 0) {
                return Err(bad_length());
            }
        }
    }
    let value_at = r.offset();
    let total = padded(len.into()) as usize;
    if total > r.remaining() {
        return Err(DecodeError::Truncated { offset: start });
    }
    let raw = r.take(total)?;
    let (v, pad) = raw.split_at(len as usize);
    if pad.iter().any(|&b| b != 0) {
        return Err(DecodeError::BadPadding { offset: value_at });
    }
    let be4 = || [v[0], v[1], v[2], v[3]];
    let be8 = || [v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]];
    let value = match item_type {
        ItemType::INTEGER => Value::Integer(i32::from_be_bytes(be4())),
        ItemType::ENUMERATION => Value::Enumeration(u32::from_be_bytes(be4())),
        ItemType::INTERVAL => Value::Interval(u32::from_be_bytes(be4())),
        ItemType::LONG_INTEGER => Value::LongInteger(i64::from_be_bytes(be8())),
        ItemType::DATE_TIME => Value::DateTime(i64::from_be_bytes(be8())),
        ItemType::DATE_TIME_EXTENDED => Value::DateTimeExtended(i64::from_be_bytes(be8())),
        ItemType::BOOLEAN => match u64::from_be_bytes(be8()) {
            0 => Value::Boolean(false),
            1 => Value::Boolean(true),
            _ => return Err(DecodeError::BadBoolean { offset: value_at }),
        },
        ItemType::BIG_INTEGER => Value::BigInteger(v.to_vec()),
        ItemType::BYTE_STRING => Value::ByteString(v.to_vec()),
        _ => match std::str::from_utf8(v) {
            Ok(s) => Value::TextString(s.to_owned()),
            Err(_) => return Err(DecodeError::BadUtf8 { offset: value_at }),
        },
    };
    Ok(Ttlv::new(tag, value))
}

/// A Big Integer as the wire carries it: two's complement, sign-extended on the left to a
/// non-zero multiple of 8 bytes. Bytes already in that shape come back unchanged (so decoded
/// values re-encode byte for byte); an empty value is zero. Sign extension, unlike zero padding,
/// keeps the number's value (KMIP 1.4 §9.1.1.4).
pub fn big_integer_wire_bytes(v: &[u8]) -> Vec<u8> {
    let fill = if v.first().is_some_and(|&b| b & 0x80 != 0) {
        0xFF
    } else {
        0x00
    };
    let n = v.len().max(1).div_ceil(8) * 8;
    let mut out = vec![fill; n - v.len()];
    out.extend_from_slice(v);
    out
}

/// The number of bytes [`encode`] produces for `item`.
pub fn encoded_len(item: &Ttlv) -> usize {
    8 + match &item.value {
        Value::Structure(items) => items.iter().map(encoded_len).sum(),
        Value::BigInteger(v) => v.len().max(1).div_ceil(8) * 8,
        Value::TextString(s) => padded(s.len() as u64) as usize,
        Value::ByteString(v) => padded(v.len() as u64) as usize,
        _ => 8,
    }
}

/// Encode `item` (canonical: decode then encode of a well-formed message is the identity).
pub fn encode(item: &Ttlv) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len(item));
    encode_into(item, &mut out);
    out
}

/// Append the encoding of `item` to `out`.
///
/// # Panics
/// If a value or structure is 4 GiB or larger, which the 4-byte TTLV length cannot express;
/// nothing the decoder produces comes near that.
pub fn encode_into(item: &Ttlv, out: &mut Vec<u8>) {
    out.extend_from_slice(&item.tag.0.to_be_bytes()[1..]);
    out.push(item.value.item_type().0);
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let value_at = out.len();
    match &item.value {
        Value::Structure(items) => {
            for i in items {
                encode_into(i, out);
            }
        }
        Value::Integer(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Enumeration(v) | Value::Interval(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::LongInteger(v) | Value::DateTime(v) | Value::DateTimeExtended(v) => {
            out.extend_from_slice(&v.to_be_bytes())
        }
        Value::Boolean(b) => out.extend_from_slice(&u64::from(*b).to_be_bytes()),
        Value::BigInteger(v) => out.extend_from_slice(&big_integer_wire_bytes(v)),
        Value::TextString(s) => out.extend_from_slice(s.as_bytes()),
        Value::ByteString(v) => out.extend_from_slice(v),
    }
    let len = u32::try_from(out.len() - value_at).expect("TTLV value of 4 GiB or more");
    out[len_at..len_at + 4].copy_from_slice(&len.to_be_bytes());
    let pad = padded(len.into()) as usize - len as usize;
    out.resize(out.len() + pad, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Tag = Tag(0x420020);

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn dec(b: &[u8]) -> Result<Ttlv, DecodeError> {
        decode(b, &Limits::default())
    }

    #[test]
    fn primitives_round_trip() {
        for v in [
            Value::Integer(-5),
            Value::LongInteger(i64::MIN),
            Value::BigInteger(vec![0xFF; 16]),
            Value::Enumeration(0xFFFF_FFFF),
            Value::Boolean(true),
            Value::TextString("héllo".into()),
            Value::ByteString(vec![]),
            Value::DateTime(1_205_495_800),
            Value::Interval(864_000),
            Value::DateTimeExtended(-1),
            Value::Structure(vec![]),
        ] {
            let t = Ttlv::new(T, v);
            let b = encode(&t);
            assert_eq!(b.len(), encoded_len(&t));
            assert_eq!(b.len() % 8, 0);
            assert_eq!(dec(&b).unwrap(), t);
        }
    }

    #[test]
    fn big_integer_is_sign_extended() {
        assert_eq!(
            big_integer_wire_bytes(&[0x80]),
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x80]
        );
        assert_eq!(big_integer_wire_bytes(&[0x01, 0x00]), [0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(big_integer_wire_bytes(&[]), [0; 8]);
        assert_eq!(big_integer_wire_bytes(&[7; 8]), [7; 8]);
    }

    #[test]
    fn header_and_frame() {
        let b = hex("42007801000000200000000000000000");
        let h: [u8; 8] = b[..8].try_into().unwrap();
        assert_eq!(read_header(&h), (Tag::REQUEST_MESSAGE, ItemType::STRUCTURE, 0x20));
        assert_eq!(frame_len(&h, &Limits::default()), Ok(0x28));
        let big = [0x42, 0, 0x78, 1, 0x7F, 0xFF, 0xFF, 0xF0];
        assert!(matches!(
            frame_len(&big, &Limits::default()),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn malformed_shapes_are_refused_with_the_right_error() {
        use DecodeError::*;
        // Non-zero padding after an Integer.
        assert_eq!(
            dec(&hex("42002002000000040000000800000001")),
            Err(BadPadding { offset: 8 })
        );
        // Integer with length 8.
        assert!(matches!(
            dec(&hex("42002002000000080000000000000008")),
            Err(BadLength { length: 8, .. })
        ));
        // Boolean with length 4.
        assert!(matches!(
            dec(&hex("42002006000000040000000100000000")),
            Err(BadLength { .. })
        ));
        // Boolean 2.
        assert_eq!(
            dec(&hex("42002006000000080000000000000002")),
            Err(BadBoolean { offset: 8 })
        );
        // Big Integer of 4 bytes.
        assert!(matches!(
            dec(&hex("42002004000000040000000100000000")),
            Err(BadLength { .. })
        ));
        // Big Integer of 0 bytes.
        assert!(matches!(dec(&hex("4200200400000000")), Err(BadLength { .. })));
        // Unknown type byte.
        assert_eq!(
            dec(&hex("4200200C00000000")),
            Err(BadType {
                offset: 0,
                type_byte: 0x0C
            })
        );
        // Value beyond the buffer.
        assert_eq!(
            dec(&hex("420020070000000B48656C6C6F")),
            Err(Truncated { offset: 0 })
        );
        // Header cut short.
        assert_eq!(dec(&hex("42002007")), Err(Truncated { offset: 0 }));
        // Invalid UTF-8.
        assert_eq!(
            dec(&hex("4200200700000002C328000000000000")),
            Err(BadUtf8 { offset: 8 })
        );
        // Structure length larger than its content.
        assert!(matches!(
            dec(&hex("420020010000001842000402000000040000000100000000")),
            Err(Truncated { .. })
        ));
        // Structure length not a multiple of 8.
        assert!(matches!(
            dec(&hex("420020010000000C42000402000000040000000100000000")),
            Err(BadLength { .. })
        ));
        // Structure shorter than its child claims.
        assert_eq!(
            dec(&hex("42002001000000084200040200000004000000010000000000000000")),
            Err(Truncated { offset: 8 })
        );
        // Bytes after a complete structure.
        assert_eq!(
            dec(&hex("42002001000000104200040200000004000000010000000000000000")),
            Err(TrailingBytes { count: 4 })
        );
        // Trailing bytes after the root.
        assert_eq!(
            dec(&hex("420020020000000400000008000000000000")),
            Err(TrailingBytes { count: 2 })
        );
        // A 2 GiB length claim: refused before allocating.
        assert_eq!(
            dec(&hex("4200200880000000")),
            Err(TooLarge {
                length: 0x8000_0000,
                limit: Limits::DEFAULT_MAX_STRING
            })
        );
        let lim = Limits {
            max_string: usize::MAX,
            ..Limits::default()
        };
        assert_eq!(
            decode(&hex("4200200880000000"), &lim),
            Err(Truncated { offset: 0 })
        );
        assert_eq!(dec(&hex("4200200180000000")), Err(Truncated { offset: 8 }));
    }

    #[test]
    fn limits_are_enforced() {
        let nest = |n: usize| {
            let mut t = Ttlv::structure(T, vec![]);
            for _ in 1..n {
                t = Ttlv::structure(T, vec![t]);
            }
            encode(&t)
        };
        let lim = Limits {
            max_depth: 4,
            ..Limits::default()
        };
        assert!(decode(&nest(4), &lim).is_ok());
        assert_eq!(decode(&nest(5), &lim), Err(DecodeError::TooDeep { limit: 4 }));
        assert_eq!(dec(&nest(65)), Err(DecodeError::TooDeep { limit: 64 }));

        let flat = encode(&Ttlv::structure(T, vec![Ttlv::int(T, 1); 9]));
        let lim = Limits {
            max_items: 9,
            ..Limits::default()
        };
        assert_eq!(decode(&flat, &lim), Err(DecodeError::TooManyItems { limit: 9 }));
        assert!(decode(&flat, &Limits { max_items: 10, ..lim }).is_ok());

        let lim = Limits {
            max_message: 15,
            ..Limits::default()
        };
        assert!(matches!(
            decode(&[0; 16], &lim),
            Err(DecodeError::TooLarge { length: 16, .. })
        ));
        let lim = Limits {
            max_string: 4,
            ..Limits::default()
        };
        assert!(matches!(
            decode(&encode(&Ttlv::text(T, "hello")), &lim),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn display_never_shows_payload() {
        // "SECRET" followed by an invalid byte: the message names the place, not the bytes.
        let e = dec(&hex("4200200700000007534543524554FF00")).unwrap_err();
        assert_eq!(e.to_string(), "TTLV text string at byte 8 is not UTF-8");
    }
}
