//! KMIP managed objects as PKCS#11 objects: one object, two views (DESIGN.md "One object model,
//! two faces").
//!
//! The PKCS#11 attributes are canonical for what both doors share: Unique Identifier is
//! `CKA_UNIQUE_ID`, Object Type is `CKA_CLASS`, Cryptographic Algorithm is `CKA_KEY_TYPE`,
//! Cryptographic Length is `CKA_VALUE_LEN`/`CKA_MODULUS_BITS`/the curve, Sensitive and
//! Extractable are `CKA_SENSITIVE`/`CKA_EXTRACTABLE`, the first Name is `CKA_LABEL`, and State
//! with the Activation and Deactivation Dates are the core's lifecycle attributes, which the core
//! enforces on both doors. Every other KMIP attribute lives in `CKA_SOFTHSM_KMIP_ATTRIBUTES` as
//! a TTLV list the core does not read.
//!
//! Secret Data and Opaque Objects are private PKCS#11 data objects (their value sealed at rest)
//! whose `CKA_APPLICATION` names the KMIP type.

use crate::attributes::{self, Attribute};
use crate::error::{KmipError, Result};
use crate::ops::Ctx;
use crate::ttlv::binary;
use crate::ttlv::enums::{CryptographicAlgorithm as Alg, ObjectType, ResultReason, State};
use crate::ttlv::{Tag, Ttlv, Value};
use cryptoki_sys as ck;
use softhsm::attr::{self as p11attr, enc_bool, enc_ulong, AttrType};
use softhsm::hsm::AttrValue;

/// `CKA_APPLICATION` of a data object holding a KMIP Secret Data.
pub const APP_SECRET_DATA: &str = "KMIP Secret Data";
/// `CKA_APPLICATION` of a data object holding a KMIP Opaque Object.
pub const APP_OPAQUE: &str = "KMIP Opaque Object";

/// KMIP Cryptographic Algorithm ↔ PKCS#11 key type.
pub const ALGORITHMS: &[(Alg, u64)] = &[
    (Alg::AES, ck::CKK_AES),
    (Alg::RSA, ck::CKK_RSA),
    (Alg::DSA, ck::CKK_DSA),
    (Alg::EC, ck::CKK_EC),
    (Alg::ECDSA, ck::CKK_EC),
    (Alg::ECDH, ck::CKK_EC),
    (Alg::DH, ck::CKK_DH),
    (Alg::HMAC_SHA1, ck::CKK_SHA_1_HMAC),
    (Alg::HMAC_SHA224, ck::CKK_SHA224_HMAC),
    (Alg::HMAC_SHA256, ck::CKK_SHA256_HMAC),
    (Alg::HMAC_SHA384, ck::CKK_SHA384_HMAC),
    (Alg::HMAC_SHA512, ck::CKK_SHA512_HMAC),
    (Alg::HMAC_MD5, ck::CKK_MD5_HMAC),
    (Alg::ED25519, ck::CKK_EC_EDWARDS),
];

pub fn key_type_of(alg: Alg) -> Option<u64> {
    ALGORITHMS.iter().find(|(a, _)| *a == alg).map(|(_, k)| *k)
}

pub fn alg_of(key_type: u64) -> Option<Alg> {
    ALGORITHMS.iter().find(|(_, k)| *k == key_type).map(|(a, _)| *a)
}

/// The KMIP tags of an RSA private key's components (Transparent RSA Private Key), in the
/// order of the core's `RSA_PRIVATE_ATTRS` (n, e, d, p, q, dp, dq, qinv), which pairs them with
/// their PKCS#11 attributes.
pub const RSA_PRIVATE_TAGS: [Tag; 8] = [
    Tag::MODULUS,
    Tag::PUBLIC_EXPONENT,
    Tag::PRIVATE_EXPONENT,
    Tag::P,
    Tag::Q,
    Tag::PRIME_EXPONENT_P,
    Tag::PRIME_EXPONENT_Q,
    Tag::CRT_COEFFICIENT,
];

/// KMIP Cryptographic Usage Mask bits and the PKCS#11 flag each one grants.
pub const USAGE: &[(i32, AttrType)] = &[
    (0x0001, ck::CKA_SIGN),    // Sign
    (0x0002, ck::CKA_VERIFY),  // Verify
    (0x0004, ck::CKA_ENCRYPT), // Encrypt
    (0x0008, ck::CKA_DECRYPT), // Decrypt
    (0x0010, ck::CKA_WRAP),    // Wrap Key
    (0x0020, ck::CKA_UNWRAP),  // Unwrap Key
    (0x0080, ck::CKA_SIGN),    // MAC Generate
    (0x0100, ck::CKA_VERIFY),  // MAC Verify
    (0x0200, ck::CKA_DERIVE),  // Derive Key
    (0x0800, ck::CKA_DERIVE),  // Key Agreement
];

/// The PKCS#11 usage flags for a KMIP usage mask, for the attributes `class` has.
pub fn usage_template(mask: i32, class: u64) -> Vec<(AttrType, Vec<u8>)> {
    // Which usage flags a class has comes from the core's attribute schema (the key type only
    // adds material attributes, so any supported one of the class will do).
    let key_type = if class == ck::CKO_SECRET_KEY {
        ck::CKK_AES
    } else {
        ck::CKK_RSA
    };
    let members: Vec<AttrType> = p11attr::schema(class, Some(key_type), None)
        .map(|groups| groups.iter().flat_map(|g| g.iter()).map(|m| m.ty).collect())
        .unwrap_or_default();
    let mut out: Vec<(AttrType, Vec<u8>)> = Vec::new();
    for (_, ty) in USAGE {
        if members.contains(ty) && !out.iter().any(|(t, _)| t == ty) {
            let on = USAGE.iter().any(|(bit, t)| t == ty && mask & bit != 0);
            out.push((*ty, enc_bool(on)));
        }
    }
    out
}

/// The usage mask a PKCS#11 object's flags amount to (for objects made through PKCS#11).
fn mask_from_flags(get: impl Fn(AttrType) -> bool, symmetric: bool) -> i32 {
    let mut m = 0;
    for (bit, ty) in USAGE {
        // MAC bits only for symmetric keys, Sign/Verify only for asymmetric ones.
        let mac = matches!(*bit, 0x80 | 0x100);
        let sig = matches!(*bit, 0x1 | 0x2);
        if (mac && !symmetric) || (sig && symmetric) || *bit == 0x800 {
            continue;
        }
        if get(*ty) {
            m |= bit;
        }
    }
    m
}

/// The KMIP Object Type of a PKCS#11 class (and data object application).
pub fn object_type_of(class: u64, application: &[u8]) -> Option<ObjectType> {
    Some(match class {
        ck::CKO_SECRET_KEY => ObjectType::SYMMETRIC_KEY,
        ck::CKO_PUBLIC_KEY => ObjectType::PUBLIC_KEY,
        ck::CKO_PRIVATE_KEY => ObjectType::PRIVATE_KEY,
        ck::CKO_CERTIFICATE => ObjectType::CERTIFICATE,
        ck::CKO_DATA if application == APP_SECRET_DATA.as_bytes() => ObjectType::SECRET_DATA,
        ck::CKO_DATA => ObjectType::OPAQUE_OBJECT,
        _ => return None,
    })
}

/// The PKCS#11 class (and application) for a KMIP Object Type.
pub fn class_of(t: ObjectType) -> Option<(u64, Option<&'static str>)> {
    Some(match t {
        ObjectType::SYMMETRIC_KEY => (ck::CKO_SECRET_KEY, None),
        ObjectType::PUBLIC_KEY => (ck::CKO_PUBLIC_KEY, None),
        ObjectType::PRIVATE_KEY => (ck::CKO_PRIVATE_KEY, None),
        ObjectType::CERTIFICATE => (ck::CKO_CERTIFICATE, None),
        ObjectType::SECRET_DATA => (ck::CKO_DATA, Some(APP_SECRET_DATA)),
        ObjectType::OPAQUE_OBJECT => (ck::CKO_DATA, Some(APP_OPAQUE)),
        _ => return None,
    })
}

/// The PKCS#11 attributes read to build a KMIP view.
const VIEW: &[AttrType] = &[
    ck::CKA_CLASS,
    ck::CKA_KEY_TYPE,
    ck::CKA_UNIQUE_ID,
    ck::CKA_LABEL,
    ck::CKA_APPLICATION,
    ck::CKA_VALUE_LEN,
    ck::CKA_MODULUS_BITS,
    ck::CKA_MODULUS,
    ck::CKA_EC_PARAMS,
    ck::CKA_SENSITIVE,
    ck::CKA_EXTRACTABLE,
    ck::CKA_ALWAYS_SENSITIVE,
    ck::CKA_NEVER_EXTRACTABLE,
    ck::CKA_ENCRYPT,
    ck::CKA_DECRYPT,
    ck::CKA_SIGN,
    ck::CKA_VERIFY,
    ck::CKA_WRAP,
    ck::CKA_UNWRAP,
    ck::CKA_DERIVE,
    p11attr::CKA_SOFTHSM_STATE,
    p11attr::CKA_SOFTHSM_ACTIVATION_DATE,
    p11attr::CKA_SOFTHSM_DEACTIVATION_DATE,
    p11attr::CKA_SOFTHSM_KMIP_ATTRIBUTES,
];

/// The `handle` of a [`Managed`] read by [`Ctx::view`]: the core never hands out 0.
pub const NO_HANDLE: u64 = 0;

/// A managed object as KMIP sees it.
#[derive(Debug, Clone)]
pub struct Managed {
    /// Its handle in the server's session, or [`NO_HANDLE`] for a view read by a search.
    pub handle: u64,
    pub uid: String,
    pub object_type: ObjectType,
    pub class: u64,
    pub key_type: Option<u64>,
    /// Every attribute, derived ones first, in the order they are reported.
    pub attrs: Vec<Attribute>,
    /// The stored State (before dates move it on).
    pub stored_state: u64,
}

impl Managed {
    pub fn state(&self) -> State {
        attributes::first(&self.attrs, "State")
            .and_then(Ttlv::as_enum)
            .map_or(State::ACTIVE, State)
    }

    pub fn first(&self, name: &str) -> Option<&Ttlv> {
        attributes::first(&self.attrs, name)
    }

    /// The attributes kept in the blob: everything that is not derived from PKCS#11.
    pub fn stored_attrs(&self) -> Vec<Attribute> {
        self.attrs
            .iter()
            .filter(|a| !is_derived(&a.name))
            .cloned()
            .collect()
    }
}

/// Attributes whose value comes from PKCS#11 attributes rather than the blob.
pub fn is_derived(name: &str) -> bool {
    matches!(
        name,
        "Unique Identifier"
            | "Object Type"
            | "Cryptographic Algorithm"
            | "Cryptographic Length"
            | "State"
            | "Activation Date"
            | "Deactivation Date"
            | "Sensitive"
            | "Extractable"
            | "Always Sensitive"
            | "Never Extractable"
            | "Key Value Present"
    ) || crate::certificates::is_certificate_attr(name)
}

/// A Link attribute of type `ty` to object `to` (KMIP 1.4 §3.35, 2.1 §4.30).
pub fn link(ty: crate::ttlv::enums::LinkType, to: &str) -> Attribute {
    Attribute::new(
        attributes::by_name("Link").expect("in table"),
        Value::Structure(vec![
            Ttlv::enumeration(Tag::LINK_TYPE, ty.0),
            Ttlv::text(Tag::LINKED_OBJECT_IDENTIFIER, to),
        ]),
    )
}

/// Appends one more instance of a multi-instance attribute, with the next Attribute Index
/// (KMIP 1.4 §2.1.1: instances are numbered from 0 in the order they were added).
pub fn push_instance(attrs: &mut Vec<Attribute>, mut a: Attribute) {
    a.index = attrs.iter().filter(|x| x.name == a.name).count() as i32;
    attrs.push(a);
}

/// The object a Link of type `ty` of `m` points to.
pub fn linked(m: &Managed, ty: crate::ttlv::enums::LinkType) -> Option<&str> {
    m.attrs
        .iter()
        .filter(|a| a.name == "Link")
        .find(|a| a.value.find(Tag::LINK_TYPE).and_then(Ttlv::as_enum) == Some(ty.0))
        .and_then(|a| a.value.find(Tag::LINKED_OBJECT_IDENTIFIER))
        .and_then(Ttlv::as_text)
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn value(v: &AttrValue) -> Option<&[u8]> {
    match v {
        AttrValue::Value(b) => Some(b),
        _ => None,
    }
}

/// Decodes the stored KMIP attribute list.
pub fn decode_blob(blob: &[u8]) -> Result<Vec<Attribute>> {
    if blob.is_empty() {
        return Ok(Vec::new());
    }
    let t = binary::decode(blob, &binary::Limits::default())
        .map_err(|e| KmipError::new(ResultReason::GENERAL_FAILURE, format!("stored attributes: {e}")))?;
    t.items().iter().map(Attribute::from_v1).collect()
}

/// Encodes a KMIP attribute list for storage (1.x shape: names keep custom attributes). A 2.x
/// vendor attribute whose vendor is not `x`/`y` has no 1.x name, so it keeps its 2.x shape
/// (with Vendor Identification), which [`Attribute::from_v1`] also reads.
pub fn encode_blob(attrs: &[Attribute]) -> Vec<u8> {
    let stored = |a: &Attribute| {
        if a.def().is_none() && !crate::attributes::is_custom(&a.name) {
            a.to_v2()
        } else {
            a.to_v1()
        }
    };
    let t = Ttlv::structure(Tag::ATTRIBUTES, attrs.iter().map(stored).collect());
    binary::encode(&t)
}

/// Bits of an EC key from its `CKA_EC_PARAMS`: the core's curves, and the two 25519 curves.
fn ec_bits(params: &[u8]) -> Option<i32> {
    if let Some(c) = softhsm::crypto::Curve::from_oid_der(params) {
        return Some(c.bits() as i32);
    }
    [softhsm::der::OID_ED25519, softhsm::der::OID_X25519]
        .contains(&params)
        .then_some(255)
}

impl Ctx<'_> {
    /// The handle of object `uid`; Item Not Found if there is none on this client's token.
    pub fn handle(&self, uid: &str) -> Result<u64> {
        self.kmip
            .hsm
            .object_by_uid(self.session, uid)
            .map_err(|e| match e {
                // Object Not Found in 2.x; 1.x clients get Item Not Found (KmipError::reason_for).
                softhsm::Error::ObjectHandleInvalid => KmipError::new(
                    crate::ttlv::enums::ResultReason::OBJECT_NOT_FOUND,
                    format!("object {uid} not found"),
                ),
                other => other.into(),
            })
    }

    /// Reads object `uid` with all its KMIP attributes.
    pub fn load(&self, uid: &str) -> Result<Managed> {
        let h = self.handle(uid)?;
        self.load_handle(h)
    }

    pub fn load_handle(&self, h: u64) -> Result<Managed> {
        let vals = self.kmip.hsm.get_attributes(self.session, h, VIEW)?;
        self.managed(h, &vals)
    }

    /// Reads object `uid` for a search, without giving it a handle (a search looks at every
    /// object of the token, and a handle kept for each would grow the server's memory with the
    /// store). The result's `handle` is [`NO_HANDLE`]: load the object again to use it.
    pub fn view(&self, uid: &str) -> Result<Managed> {
        let vals = self.kmip.hsm.token_object_attributes(self.session, uid, VIEW)?;
        self.managed(NO_HANDLE, &vals)
    }

    /// The managed object whose `VIEW` attributes are `vals`.
    fn managed(&self, h: u64, vals: &[AttrValue]) -> Result<Managed> {
        let get = |ty: AttrType| VIEW.iter().position(|t| *t == ty).and_then(|i| value(&vals[i]));
        let ulong = |ty| get(ty).and_then(p11attr::dec_ulong);
        let flag = |ty| get(ty).is_some_and(|v| v.first() == Some(&1));
        let class = ulong(ck::CKA_CLASS).ok_or_else(|| KmipError::not_found("object class"))?;
        let key_type = ulong(ck::CKA_KEY_TYPE);
        let uid = String::from_utf8_lossy(get(ck::CKA_UNIQUE_ID).unwrap_or_default()).into_owned();
        let object_type = object_type_of(class, get(ck::CKA_APPLICATION).unwrap_or_default())
            .ok_or_else(|| KmipError::not_found(&format!("object {uid} as a KMIP object")))?;
        let stored = decode_blob(get(p11attr::CKA_SOFTHSM_KMIP_ATTRIBUTES).unwrap_or_default())?;
        let stored_state = ulong(p11attr::CKA_SOFTHSM_STATE).unwrap_or(p11attr::state::ACTIVE);
        let mut a: Vec<Attribute> = Vec::new();
        let def = |n| attributes::by_name(n).expect("attribute table names");
        a.push(Attribute::new(
            def("Unique Identifier"),
            Value::TextString(uid.clone()),
        ));
        a.push(Attribute::new(
            def("Object Type"),
            Value::Enumeration(object_type.0),
        ));
        if let Some(kt) = key_type {
            let stored_alg = attributes::first(&stored, "Cryptographic Algorithm")
                .and_then(Ttlv::as_enum)
                .map(Alg)
                .filter(|s| key_type_of(*s) == Some(kt));
            if let Some(alg) = stored_alg.or_else(|| alg_of(kt)) {
                a.push(Attribute::new(
                    def("Cryptographic Algorithm"),
                    Value::Enumeration(alg.0),
                ));
            }
            let bits = match kt {
                // A private key has no CKA_MODULUS_BITS: its modulus length says the same.
                ck::CKK_RSA => ulong(ck::CKA_MODULUS_BITS).map(|b| b as i32).or_else(|| {
                    get(ck::CKA_MODULUS).map(|n| {
                        let lead = n.iter().take_while(|b| **b == 0).count();
                        let n = &n[lead..];
                        n.first()
                            .map_or(0, |b| ((n.len() - 1) * 8) as i32 + (8 - b.leading_zeros() as i32))
                    })
                }),
                ck::CKK_EC | ck::CKK_EC_EDWARDS | ck::CKK_EC_MONTGOMERY => {
                    get(ck::CKA_EC_PARAMS).and_then(ec_bits)
                }
                _ => ulong(ck::CKA_VALUE_LEN).map(|b| (b * 8) as i32),
            };
            let bits =
                bits.or_else(|| attributes::first(&stored, "Cryptographic Length").and_then(Ttlv::as_int));
            if let Some(bits) = bits {
                a.push(Attribute::new(def("Cryptographic Length"), Value::Integer(bits)));
            }
        }
        if class == ck::CKO_CERTIFICATE {
            // A certificate's value is public: its attributes come from it on every read.
            let der = self.kmip.hsm.get_attributes(self.session, h, &[ck::CKA_VALUE])?;
            if let Some(der) = der.first().and_then(value) {
                a.extend(crate::certificates::derived_attrs(der));
            }
        }
        if attributes::first(&stored, "Cryptographic Usage Mask").is_none()
            && matches!(
                class,
                ck::CKO_SECRET_KEY | ck::CKO_PUBLIC_KEY | ck::CKO_PRIVATE_KEY
            )
        {
            let m = mask_from_flags(flag, class == ck::CKO_SECRET_KEY);
            a.push(Attribute::new(def("Cryptographic Usage Mask"), Value::Integer(m)));
        }
        let state = {
            // The core's rule, applied now, so a passed Activation Date reads as Active.
            let mut probe = softhsm::object::Object::default();
            probe.set_ulong(p11attr::CKA_SOFTHSM_STATE, stored_state);
            for ty in [
                p11attr::CKA_SOFTHSM_ACTIVATION_DATE,
                p11attr::CKA_SOFTHSM_DEACTIVATION_DATE,
            ] {
                if let Some(v) = ulong(ty) {
                    probe.set_ulong(ty, v);
                }
            }
            probe.lifecycle_state(now() as u64)
        };
        a.push(Attribute::new(def("State"), Value::Enumeration(state as u32)));
        for (name, ty) in [
            ("Activation Date", p11attr::CKA_SOFTHSM_ACTIVATION_DATE),
            ("Deactivation Date", p11attr::CKA_SOFTHSM_DEACTIVATION_DATE),
        ] {
            if let Some(d) = ulong(ty) {
                a.push(Attribute::new(def(name), Value::DateTime(d as i64)));
            }
        }
        if matches!(class, ck::CKO_SECRET_KEY | ck::CKO_PRIVATE_KEY) {
            for (name, ty) in [
                ("Sensitive", ck::CKA_SENSITIVE),
                ("Always Sensitive", ck::CKA_ALWAYS_SENSITIVE),
                ("Extractable", ck::CKA_EXTRACTABLE),
                ("Never Extractable", ck::CKA_NEVER_EXTRACTABLE),
            ] {
                a.push(Attribute::new(def(name), Value::Boolean(flag(ty))));
            }
        } else if class == ck::CKO_CERTIFICATE {
            // KMIP gives these to every object; a certificate is public, never sensitive.
            for (name, v) in [
                ("Sensitive", false),
                ("Always Sensitive", false),
                ("Extractable", true),
                ("Never Extractable", false),
            ] {
                a.push(Attribute::new(def(name), Value::Boolean(v)));
            }
        }
        let has_names = stored.iter().any(|x| x.name == "Name");
        let label = get(ck::CKA_LABEL).unwrap_or_default();
        if !has_names && !label.is_empty() {
            a.push(Attribute::new(
                def("Name"),
                Value::Structure(vec![
                    Ttlv::text(Tag::NAME_VALUE, String::from_utf8_lossy(label)),
                    Ttlv::enumeration(Tag::NAME_TYPE, 1),
                ]),
            ));
        }
        a.extend(stored.into_iter().filter(|x| !is_derived(&x.name)));
        Ok(Managed {
            handle: h,
            uid,
            object_type,
            class,
            key_type,
            attrs: a,
            stored_state,
        })
    }

    /// Writes back the KMIP-only attributes of `m` (and mirrors the first Name to
    /// `CKA_LABEL`), updating Last Change Date.
    pub fn save(&self, m: &Managed, mut attrs: Vec<Attribute>) -> Result<()> {
        attrs.retain(|a| !is_derived(&a.name) && a.name != "Last Change Date");
        attrs.push(Attribute::new(
            attributes::by_name("Last Change Date").expect("in table"),
            Value::DateTime(now()),
        ));
        let label = attributes::first(&attrs, "Name")
            .and_then(|n| n.find(Tag::NAME_VALUE))
            .and_then(Ttlv::as_text)
            .unwrap_or("")
            .as_bytes()
            .to_vec();
        let raw = vec![
            (p11attr::CKA_SOFTHSM_KMIP_ATTRIBUTES, encode_blob(&attrs)),
            (ck::CKA_LABEL, label),
        ];
        self.kmip.hsm.set_attributes(self.session, m.handle, &raw)?;
        Ok(())
    }

    /// Sets lifecycle attributes the core keeps (State, dates) on object `m`.
    pub fn set_lifecycle(&self, m: &Managed, state: Option<u64>, dates: &[(AttrType, i64)]) -> Result<()> {
        let mut raw = Vec::new();
        if let Some(s) = state {
            raw.push((p11attr::CKA_SOFTHSM_STATE, enc_ulong(s)));
        }
        for (ty, d) in dates {
            raw.push((*ty, enc_ulong((*d).max(0) as u64)));
        }
        self.kmip.hsm.set_attributes(self.session, m.handle, &raw)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_flags_follow_the_class_schema() {
        let types = |class| {
            usage_template(0x4 | 0x1, class)
                .into_iter()
                .map(|(t, _)| t)
                .collect::<Vec<_>>()
        };
        let public = types(ck::CKO_PUBLIC_KEY);
        assert!(public.contains(&ck::CKA_ENCRYPT) && !public.contains(&ck::CKA_SIGN));
        let private = types(ck::CKO_PRIVATE_KEY);
        assert!(private.contains(&ck::CKA_SIGN) && !private.contains(&ck::CKA_ENCRYPT));
        assert_eq!(types(ck::CKO_SECRET_KEY).len(), 7);
        assert!(types(ck::CKO_CERTIFICATE).is_empty());
        let secret = usage_template(0x4, ck::CKO_SECRET_KEY);
        assert!(secret.contains(&(ck::CKA_ENCRYPT, enc_bool(true))));
        assert!(secret.contains(&(ck::CKA_DECRYPT, enc_bool(false))));
    }
}
