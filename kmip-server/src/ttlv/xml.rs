//! The KMIP XML encoding (KMIP Additional Message Encodings 1.0, "XML Profile — XML Encoding";
//! carried into KMIP Profiles 1.3–2.1 as the MSGENC-XML profiles), as the OASIS test vectors use
//! it:
//!
//! ```xml
//! <RequestMessage>
//!   <BatchItem>
//!     <Operation type="Enumeration" value="Register"/>
//!     <CryptographicUsageMask type="Integer" value="Encrypt Decrypt"/>
//!   </BatchItem>
//! </RequestMessage>
//! ```
//!
//! - The element name is the tag's XML name; a tag without a name is written
//!   `<TTLV tag="0x540001" …>` (any element with a `tag` attribute is read that way).
//! - An element without `type` (or with `type="Structure"`) is a Structure of its children.
//! - Values: Enumeration as its name or `0x0000000A`; an Integer that is a mask as bit names
//!   separated by spaces or `|`; Big Integer and Byte String as hex; Date-Time as ISO 8601
//!   (`2001-01-01T10:00:00+00:00`, `Z` accepted) and Date-Time Extended likewise with six
//!   fraction digits; Boolean `true`/`false`; Interval and the integers in decimal.
//! - KMIP 1.x `AttributeValue`: its enumeration or mask is the one its sibling `AttributeName`
//!   names (`Cryptographic Algorithm` → CryptographicAlgorithm).
//! - The KMIP 3.0 draft types `Identifier`, `Reference` and `NameReference` are read as Text
//!   String (their binary type codes are not final); writing gives `TextString`.
//!
//! Placeholders: a value starting with `$` (`$NOW`, `$NOW-3600`, `$UNIQUE_IDENTIFIER_0`,
//! `$SIGNATURE_DATA`…) stands for something only a test run knows. The tree gets a neutral value
//! of the declared type (0, empty bytes, false; a Text String keeps the text itself) and
//! [`Placeholders`] records `path → text`, the path being child indices from the message root.
//! A replay harness substitutes or loosely matches at those paths, and [`to_xml_with`] writes
//! the placeholders back.
//!
//! File-level leniency: a file whose root is `<KMIP>` or `<KmipTestCase>` holds messages; any
//! other root is itself one message. Comments are ignored, and anything after the root element
//! closes is ignored (one published OASIS file repeats its closing `</KMIP>`).

use std::fmt;
use std::fmt::Write as _;

use quick_xml::events::{BytesStart, Event};

use super::datetime::{format_date_time, parse_date_time};
use super::names::{
    attribute_name_tag, enum_by_name, enum_name, mask_bits, mask_names_sep, parse_u32, tag_by_name, tag_name,
};
use super::{ItemType, Tag, Ttlv, Value};

/// Deepest element nesting read (the same bound as the binary decoder's default).
const MAX_XML_DEPTH: usize = super::binary::Limits::DEFAULT_MAX_DEPTH + 2;

/// Why XML is not a KMIP message. Values are not quoted (they may be key material); element,
/// type and enumeration names are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// Not well-formed XML.
    Syntax { position: u64, message: String },
    /// No element at all.
    NoRoot,
    /// Elements nested deeper than the decoder allows.
    TooDeep,
    /// An element name that is not a tag name (and has no `tag` attribute).
    UnknownTag { element: String },
    /// A `tag` attribute that is not `0x` and six hex digits.
    BadTagAttribute { element: String },
    /// A `type` that is not a TTLV type name.
    UnknownType { element: String, type_name: String },
    /// A primitive element without `value`.
    MissingValue { element: String },
    /// A primitive element with child elements.
    UnexpectedChildren { element: String },
    /// A value that does not parse as its type.
    BadValue {
        element: String,
        type_name: &'static str,
    },
    /// An Enumeration name the tag's enumeration does not have.
    UnknownEnumeration { element: String, name: String },
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::Syntax { position, message } => {
                write!(f, "XML syntax error at byte {position}: {message}")
            }
            XmlError::NoRoot => write!(f, "XML document has no element"),
            XmlError::TooDeep => write!(f, "XML elements nested deeper than {MAX_XML_DEPTH}"),
            XmlError::UnknownTag { element } => write!(f, "<{element}> is not a KMIP tag name"),
            XmlError::BadTagAttribute { element } => write!(f, "<{element}> has a malformed tag attribute"),
            XmlError::UnknownType { element, type_name } => {
                write!(f, "<{element}> has unknown type {type_name:?}")
            }
            XmlError::MissingValue { element } => write!(f, "<{element}> has a type but no value"),
            XmlError::UnexpectedChildren { element } => {
                write!(f, "<{element}> is a primitive with child elements")
            }
            XmlError::BadValue { element, type_name } => {
                write!(f, "<{element}> value is not a valid {type_name}")
            }
            XmlError::UnknownEnumeration { element, name } => {
                write!(f, "<{element}> enumeration value {name:?} is unknown")
            }
        }
    }
}

impl std::error::Error for XmlError {}

/// Where a message held placeholder values: `(path, text)` in document order, a path being the
/// child indices from the message root (`[]` is the root itself).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders {
    entries: Vec<(Vec<usize>, String)>,
}

impl Placeholders {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The placeholder text at `path`, if any.
    pub fn get(&self, path: &[usize]) -> Option<&str> {
        self.entries
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, s)| s.as_str())
    }

    /// Every `(path, text)`.
    pub fn iter(&self) -> impl Iterator<Item = (&[usize], &str)> {
        self.entries.iter().map(|(p, s)| (p.as_slice(), s.as_str()))
    }

    /// Record `text` at `path` (replacing an earlier one there).
    pub fn insert(&mut self, path: Vec<usize>, text: String) {
        match self.entries.iter_mut().find(|(p, _)| *p == path) {
            Some(e) => e.1 = text,
            None => self.entries.push((path, text)),
        }
    }

    /// Whether any placeholder stands in a non-text value (a number, date or byte string).
    pub fn any_non_text(&self, root: &Ttlv) -> bool {
        self.iter()
            .any(|(p, _)| !matches!(item_at(root, p).map(|t| &t.value), Some(Value::TextString(_))))
    }
}

/// The item at `path` (child indices) below `root`.
pub fn item_at<'a>(root: &'a Ttlv, path: &[usize]) -> Option<&'a Ttlv> {
    path.iter().try_fold(root, |t, &i| t.items().get(i))
}

/// One message read from XML, with its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlMessage {
    pub ttlv: Ttlv,
    pub placeholders: Placeholders,
}

/// Every message of an XML file (placeholders become neutral values; see [`from_xml_messages`]).
pub fn from_xml(text: &str) -> Result<Vec<Ttlv>, XmlError> {
    Ok(from_xml_messages(text)?.into_iter().map(|m| m.ttlv).collect())
}

/// Every message of an XML file, each with its placeholders.
pub fn from_xml_messages(text: &str) -> Result<Vec<XmlMessage>, XmlError> {
    each_message(text)?.into_iter().collect()
}

/// Every message of an XML file, each read on its own: the outer error is for the document
/// (syntax), the inner ones for single messages, so one bad message does not hide the rest.
pub fn each_message(text: &str) -> Result<Vec<Result<XmlMessage, XmlError>>, XmlError> {
    let root = parse_tree(text)?;
    let messages = if root.name == "KMIP" || root.name == "KmipTestCase" {
        root.children
    } else {
        vec![root]
    };
    Ok(messages.iter().map(convert_message).collect())
}

/// Exactly one message element (`<RequestMessage>…</RequestMessage>`).
pub fn parse_element(text: &str) -> Result<XmlMessage, XmlError> {
    convert_message(&parse_tree(text)?)
}

fn convert_message(node: &Node) -> Result<XmlMessage, XmlError> {
    let mut placeholders = Placeholders::default();
    let ttlv = convert(node, &mut Vec::new(), &mut placeholders, None)?;
    Ok(XmlMessage { ttlv, placeholders })
}

/// An element as read, before it is given TTLV meaning.
#[derive(Debug, Default)]
struct Node {
    name: String,
    tag: Option<String>,
    item_type: Option<String>,
    value: Option<String>,
    children: Vec<Node>,
}

fn node_from(e: &BytesStart<'_>, position: u64) -> Result<Node, XmlError> {
    let syntax = |message: String| XmlError::Syntax { position, message };
    let mut node = Node {
        name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
        ..Node::default()
    };
    for a in e.attributes() {
        let a = a.map_err(|err| syntax(err.to_string()))?;
        let v = a
            .unescape_value()
            .map_err(|err| syntax(err.to_string()))?
            .into_owned();
        match a.key.as_ref() {
            b"tag" => node.tag = Some(v),
            b"type" => node.item_type = Some(v),
            b"value" => node.value = Some(v),
            _ => {}
        }
    }
    Ok(node)
}

fn parse_tree(text: &str) -> Result<Node, XmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Node> = Vec::new();
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| XmlError::Syntax {
            position,
            message: e.to_string(),
        })?;
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                stack.push(node_from(&e, position)?);
            }
            Event::Empty(e) => {
                let node = node_from(&e, position)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Event::End(_) => {
                // quick-xml checks that end names match their start.
                let node = stack.pop().ok_or(XmlError::NoRoot)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    // The root closed: whatever follows is not read.
                    None => return Ok(node),
                }
            }
            Event::Eof => {
                return Err(match stack.is_empty() {
                    true => XmlError::NoRoot,
                    false => XmlError::Syntax {
                        position,
                        message: "unclosed element at end of input".into(),
                    },
                })
            }
            // Text between elements, comments, declarations: nothing of the message.
            _ => {}
        }
    }
}

const TYPE_NAMES: &[(&str, ItemType)] = &[
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
    // KMIP 3.0 draft text types, read as Text String.
    ("Identifier", ItemType::TEXT_STRING),
    ("Reference", ItemType::TEXT_STRING),
    ("NameReference", ItemType::TEXT_STRING),
];

/// The XML `type` name of a TTLV type.
pub fn type_name(t: ItemType) -> Option<&'static str> {
    TYPE_NAMES.iter().find(|&&(_, it)| it == t).map(|&(n, _)| n)
}

fn convert(
    node: &Node,
    path: &mut Vec<usize>,
    ph: &mut Placeholders,
    names_from: Option<Tag>,
) -> Result<Ttlv, XmlError> {
    let element = || node.name.clone();
    let tag = match &node.tag {
        Some(t) => parse_tag_attr(t).ok_or_else(|| XmlError::BadTagAttribute { element: element() })?,
        None => tag_by_name(&node.name).ok_or_else(|| XmlError::UnknownTag { element: element() })?,
    };
    let item_type = match node.item_type.as_deref() {
        None => ItemType::STRUCTURE,
        Some(t) => TYPE_NAMES
            .iter()
            .find(|&&(n, _)| n == t)
            .map(|&(_, it)| it)
            .ok_or_else(|| XmlError::UnknownType {
                element: element(),
                type_name: t.to_owned(),
            })?,
    };
    if item_type == ItemType::STRUCTURE {
        let mut items = Vec::with_capacity(node.children.len());
        // KMIP 1.x: an AttributeValue's names come from the sibling AttributeName.
        let mut attribute: Option<Tag> = None;
        for (i, child) in node.children.iter().enumerate() {
            path.push(i);
            let item = convert(child, path, ph, attribute)?;
            path.pop();
            if item.tag == Tag::ATTRIBUTE_NAME {
                attribute = item.as_text().and_then(attribute_name_tag);
            }
            items.push(item);
        }
        return Ok(Ttlv::new(tag, Value::Structure(items)));
    }
    if !node.children.is_empty() {
        return Err(XmlError::UnexpectedChildren { element: element() });
    }
    let text = node
        .value
        .as_deref()
        .ok_or_else(|| XmlError::MissingValue { element: element() })?;
    let names_tag = if tag == Tag::ATTRIBUTE_VALUE {
        names_from.unwrap_or(tag)
    } else {
        tag
    };
    if text.starts_with('$') {
        ph.insert(path.clone(), text.to_owned());
        if item_type != ItemType::TEXT_STRING {
            return Ok(Ttlv::new(tag, Value::neutral(item_type)));
        }
    }
    let type_name = type_name(item_type).unwrap_or("value");
    let bad = || XmlError::BadValue {
        element: element(),
        type_name,
    };
    let value = match item_type {
        ItemType::INTEGER => Value::Integer(match text.parse::<i32>() {
            Ok(v) => v,
            Err(_) => parse_hex_u32(text)
                .map(|v| v as i32)
                .or_else(|| mask_bits(names_tag, text))
                .ok_or_else(bad)?,
        }),
        ItemType::LONG_INTEGER => Value::LongInteger(
            text.parse()
                .ok()
                .or_else(|| parse_hex_u64(text).map(|v| v as i64))
                .ok_or_else(bad)?,
        ),
        ItemType::BIG_INTEGER => {
            // Held in wire form (sign-extended to a multiple of 8 bytes), as the binary decoder
            // holds it, so one number has one representation whichever encoding it came from.
            Value::BigInteger(crate::ttlv::binary::big_integer_wire_bytes(
                &parse_hex(text).filter(|b| !b.is_empty()).ok_or_else(bad)?,
            ))
        }
        ItemType::ENUMERATION => Value::Enumeration(match enum_by_name(names_tag, text) {
            Some(v) => v,
            None => match parse_u32(text) {
                Some(v) => v,
                None => {
                    return Err(XmlError::UnknownEnumeration {
                        element: element(),
                        name: text.to_owned(),
                    })
                }
            },
        }),
        ItemType::BOOLEAN => Value::Boolean(match text {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(bad()),
        }),
        ItemType::TEXT_STRING => Value::TextString(text.to_owned()),
        ItemType::BYTE_STRING => Value::ByteString(parse_hex(text).ok_or_else(bad)?),
        ItemType::DATE_TIME => Value::DateTime(parse_date_time(text, false).ok_or_else(bad)?),
        ItemType::INTERVAL => Value::Interval(
            text.parse()
                .ok()
                .or_else(|| parse_hex_u32(text))
                .ok_or_else(bad)?,
        ),
        _ => Value::DateTimeExtended(parse_date_time(text, true).ok_or_else(bad)?),
    };
    Ok(Ttlv::new(tag, value))
}

fn parse_tag_attr(s: &str) -> Option<Tag> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    (h.len() == 6)
        .then(|| u32::from_str_radix(h, 16).ok())
        .flatten()
        .map(Tag)
}

fn parse_hex_u32(s: &str) -> Option<u32> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    (!h.is_empty() && h.len() <= 8)
        .then(|| u32::from_str_radix(h, 16).ok())
        .flatten()
}

fn parse_hex_u64(s: &str) -> Option<u64> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    (!h.is_empty() && h.len() <= 16)
        .then(|| u64::from_str_radix(h, 16).ok())
        .flatten()
}

/// Hex bytes, with or without a `0x` prefix.
pub(crate) fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    hex::decode(h).ok()
}

// ---- writing ----

/// `item` as one XML element, indented by two spaces per level.
pub fn to_xml(item: &Ttlv) -> String {
    to_xml_with(item, &Placeholders::default())
}

/// Like [`to_xml`], writing each recorded placeholder in place of the value at its path.
pub fn to_xml_with(item: &Ttlv, placeholders: &Placeholders) -> String {
    let mut out = String::new();
    write_item(item, &mut out, 0, &mut Vec::new(), placeholders, None);
    out
}

/// Messages inside a `<KMIP>` root, as the OASIS files hold them.
pub fn to_xml_file(messages: &[Ttlv]) -> String {
    let mut out = String::from("<KMIP>\n");
    for m in messages {
        write_item(m, &mut out, 1, &mut Vec::new(), &Placeholders::default(), None);
        out.push('\n');
    }
    out.push_str("</KMIP>\n");
    out
}

fn write_item(
    item: &Ttlv,
    out: &mut String,
    depth: usize,
    path: &mut Vec<usize>,
    ph: &Placeholders,
    names_from: Option<Tag>,
) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    let name = tag_name(item.tag);
    out.push('<');
    out.push_str(name.unwrap_or("TTLV"));
    if name.is_none() {
        let _ = write!(out, " tag=\"0x{:06X}\"", item.tag.0);
    }
    if let Value::Structure(items) = &item.value {
        if items.is_empty() {
            out.push_str("/>\n");
            return;
        }
        out.push_str(">\n");
        let mut attribute = None;
        for (i, child) in items.iter().enumerate() {
            path.push(i);
            write_item(child, out, depth + 1, path, ph, attribute);
            path.pop();
            if child.tag == Tag::ATTRIBUTE_NAME {
                attribute = child.as_text().and_then(attribute_name_tag);
            }
        }
        for _ in 0..depth {
            out.push_str("  ");
        }
        let _ = writeln!(out, "</{}>", name.unwrap_or("TTLV"));
        return;
    }
    let names_tag = if item.tag == Tag::ATTRIBUTE_VALUE {
        names_from.unwrap_or(item.tag)
    } else {
        item.tag
    };
    let text = match ph.get(path) {
        Some(p) => p.to_owned(),
        None => value_text(&item.value, names_tag),
    };
    let t = type_name(item.value.item_type()).unwrap_or("TextString");
    let _ = writeln!(out, " type=\"{t}\" value=\"{}\"/>", escape_attr(&text));
}

/// Attribute-value escaping: the five XML specials, and tab, line feed and carriage return as
/// character references so that no parser's attribute normalisation changes them. (Other
/// control characters cannot appear in XML 1.0 at all; they are written as they are.)
fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

fn value_text(v: &Value, names_tag: Tag) -> String {
    match v {
        Value::Structure(_) => String::new(),
        Value::Integer(i) => match mask_names_sep(names_tag, *i, " ") {
            Some(names) => names,
            None => i.to_string(),
        },
        Value::LongInteger(i) => i.to_string(),
        Value::BigInteger(b) | Value::ByteString(b) => hex::encode(b),
        Value::Enumeration(e) => match enum_name(names_tag, *e) {
            Some(n) => n.to_owned(),
            None => format!("0x{e:08X}"),
        },
        Value::Boolean(b) => b.to_string(),
        Value::TextString(s) => s.clone(),
        Value::DateTime(s) => format_date_time(*s, false),
        Value::Interval(i) => i.to_string(),
        Value::DateTimeExtended(us) => format_date_time(*us, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_message_with_placeholders_and_context() {
        let xml = r#"<KMIP><!-- c --><RequestMessage>
            <RequestHeader><TimeStamp type="DateTime" value="$NOW"/></RequestHeader>
            <BatchItem>
              <Operation type="Enumeration" value="Register"/>
              <TTLV tag="0x540001" type="ByteString" value="0102"/>
              <Attribute>
                <AttributeName type="TextString" value="Cryptographic Usage Mask"/>
                <AttributeValue type="Integer" value="Decrypt   Encrypt"/>
              </Attribute>
              <Attribute>
                <AttributeName type="TextString" value="Cryptographic Algorithm"/>
                <AttributeValue type="Enumeration" value="AES"/>
              </Attribute>
              <UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>
              <RequestPayload/>
            </BatchItem>
          </RequestMessage></KMIP></KMIP>"#;
        let msgs = from_xml_messages(xml).unwrap();
        assert_eq!(msgs.len(), 1);
        let m = &msgs[0];
        let bi = m.ttlv.find(Tag::BATCH_ITEM).unwrap();
        assert_eq!(bi.find(Tag::OPERATION).unwrap().as_enum(), Some(3));
        assert_eq!(bi.find(Tag(0x540001)).unwrap().as_bytes(), Some(&[1u8, 2][..]));
        let attrs: Vec<_> = bi.find_all(Tag::ATTRIBUTE).collect();
        assert_eq!(attrs[0].find(Tag::ATTRIBUTE_VALUE).unwrap().as_int(), Some(12));
        assert_eq!(attrs[1].find(Tag::ATTRIBUTE_VALUE).unwrap().as_enum(), Some(3));
        assert_eq!(m.placeholders.get(&[0, 0]), Some("$NOW"));
        assert_eq!(m.placeholders.get(&[1, 4]), Some("$UNIQUE_IDENTIFIER_0"));
        assert!(m.placeholders.any_non_text(&m.ttlv));

        let back = to_xml_with(&m.ttlv, &m.placeholders);
        assert!(
            back.contains(r#"<TimeStamp type="DateTime" value="$NOW"/>"#),
            "{back}"
        );
        assert!(
            back.contains(r#"<AttributeValue type="Integer" value="Encrypt Decrypt"/>"#),
            "{back}"
        );
        assert!(
            back.contains(r#"<AttributeValue type="Enumeration" value="AES"/>"#),
            "{back}"
        );
        assert!(
            back.contains(r#"<TTLV tag="0x540001" type="ByteString" value="0102"/>"#),
            "{back}"
        );
        assert_eq!(&parse_element(&back).unwrap(), m);
    }

    #[test]
    fn errors() {
        assert!(matches!(
            from_xml("<KMIP><Nope/></KMIP>"),
            Err(XmlError::UnknownTag { .. })
        ));
        assert!(matches!(
            from_xml(r#"<State type="Enumeration" value="Sleepy"/>"#),
            Err(XmlError::UnknownEnumeration { .. })
        ));
        assert!(matches!(
            from_xml(r#"<State type="Float" value="1"/>"#),
            Err(XmlError::UnknownType { .. })
        ));
        assert!(matches!(
            from_xml(r#"<BatchCount type="Integer"/>"#),
            Err(XmlError::MissingValue { .. })
        ));
        assert!(matches!(
            from_xml(r#"<BatchCount type="Integer" value="x"/>"#),
            Err(XmlError::BadValue { .. })
        ));
        assert!(matches!(
            from_xml("<KMIP><RequestMessage>"),
            Err(XmlError::Syntax { .. })
        ));
        assert!(matches!(from_xml("<!-- only -->"), Err(XmlError::NoRoot)));
        let t = Ttlv::text(Tag::NAME_VALUE, "a\tb\r\nc<&>\"'");
        let x = to_xml(&t);
        assert!(x.contains("a&#9;b&#13;&#10;c&lt;&amp;&gt;&quot;&apos;"), "{x}");
        assert_eq!(parse_element(&x).unwrap().ttlv, t);
        let deep = "<RequestMessage>".repeat(100);
        assert_eq!(from_xml(&deep), Err(XmlError::TooDeep));
    }
}
