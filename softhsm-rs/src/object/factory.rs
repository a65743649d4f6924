//! Template rules: turning a caller's template into an object (create, generate, unwrap,
//! derive) and checking a change to an existing one (set, copy), all read from the attribute
//! table in [`crate::attr`].

use super::Object;
use crate::attr::{self, AttrType, Kind};
use crate::error::{Error, Result};
use cryptoki_sys as ck;
use std::collections::BTreeMap;

/// A template after its values have been checked and put in the core's encoding. Its values
/// are wiped when it is dropped: a template may carry key material (the `CKA_VALUE` of an
/// imported key, private key components), and it is freed on every path, errors included.
#[derive(Default, Clone)]
pub struct Template(BTreeMap<AttrType, Vec<u8>>);

impl Template {
    pub fn new() -> Template {
        Template(BTreeMap::new())
    }

    /// The values, moved out (a move leaves no copy behind to wipe).
    pub fn into_inner(mut self) -> BTreeMap<AttrType, Vec<u8>> {
        std::mem::take(&mut self.0)
    }
}

impl<'a> IntoIterator for &'a Template {
    type Item = (&'a AttrType, &'a Vec<u8>);
    type IntoIter = std::collections::btree_map::Iter<'a, AttrType, Vec<u8>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl std::ops::Deref for Template {
    type Target = BTreeMap<AttrType, Vec<u8>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Template {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// Types and value lengths only: values may be key material.
impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .iter()
                    .map(|(t, v)| format!("{}: <{} bytes>", attr::name(*t), v.len())),
            )
            .finish()
    }
}

impl Drop for Template {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.0.values_mut().for_each(Zeroize::zeroize);
    }
}

/// How an object comes into being; decides which attributes are required or forbidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Create,
    Generate,
    Unwrap,
    Derive,
}

/// Checks every value of a raw template against its kind, normalises booleans to 0/1, and
/// rejects a type given twice with different values.
pub fn normalize(raw: &[(AttrType, Vec<u8>)]) -> Result<Template> {
    let mut out = Template::new();
    for (ty, value) in raw {
        let Some(def) = attr::def(*ty) else {
            log::info!("template names unknown attribute {}", attr::name(*ty));
            return Err(Error::AttributeTypeInvalid);
        };
        let v = match def.kind {
            Kind::Bool => match value.as_slice() {
                [b] => vec![u8::from(*b != 0)],
                _ => return Err(invalid(*ty, "a CK_BBOOL is one byte")),
            },
            // A MANAGED lifecycle value may be cleared (the KMIP server's batch Undo puts back
            // an Activation Date that was not set): empty reads as absent.
            Kind::Ulong if value.is_empty() && def.flags & attr::MANAGED != 0 => Vec::new(),
            Kind::Ulong => {
                if value.len() != 8 {
                    return Err(invalid(*ty, "a CK_ULONG has the wrong length"));
                }
                value.clone()
            }
            Kind::Date => {
                if !(value.is_empty() || (value.len() == 8 && value.iter().all(u8::is_ascii_digit))) {
                    return Err(invalid(*ty, "a CK_DATE is empty or 8 ASCII digits"));
                }
                value.clone()
            }
            Kind::MechList => {
                if value.len() % 8 != 0 {
                    return Err(invalid(*ty, "a mechanism list has a partial element"));
                }
                value.clone()
            }
            Kind::Bytes | Kind::Utf8 | Kind::BigInt => value.clone(),
            Kind::AttrArray => {
                let entries =
                    attr::dec_array(value).ok_or_else(|| invalid(*ty, "a broken attribute array"))?;
                if entries
                    .iter()
                    .any(|(t, _)| attr::def(*t).is_some_and(|d| d.kind == Kind::AttrArray))
                {
                    return Err(invalid(*ty, "attribute arrays do not nest"));
                }
                let inner = normalize(&entries)?;
                attr::enc_array(&inner.into_inner().into_iter().collect::<Vec<_>>())
            }
        };
        if let Some(prev) = out.get(ty) {
            if *prev != v {
                log::info!("template gives {} twice with different values", def.name);
                return Err(Error::TemplateInconsistent);
            }
        }
        out.insert(*ty, v);
    }
    Ok(out)
}

fn invalid(ty: AttrType, why: &str) -> Error {
    log::info!("attribute {}: {why}", attr::name(ty));
    Error::AttributeValueInvalid
}

/// Merges the attributes of a key's `CKA_UNWRAP_TEMPLATE` or `CKA_DERIVE_TEMPLATE` into the
/// template of the key being made: a value the caller also gives must agree
/// (PKCS#11 3.0 §4.9, footnote on template attributes).
pub fn merge_required(t: &mut Template, required: Option<&[u8]>) -> Result<()> {
    let Some(required) = required.filter(|r| !r.is_empty()) else {
        return Ok(());
    };
    let entries = attr::dec_array(required).ok_or(Error::GeneralError)?;
    for (ty, v) in entries {
        match t.get(&ty) {
            Some(mine) if *mine != v => {
                log::info!("template contradicts the key's required {}", attr::name(ty));
                return Err(Error::TemplateInconsistent);
            }
            _ => {
                t.insert(ty, v);
            }
        }
    }
    Ok(())
}

/// Reads a `CK_ULONG` from a template.
pub fn tmpl_ulong(t: &Template, ty: AttrType) -> Option<u64> {
    t.get(&ty).and_then(|v| attr::dec_ulong(v))
}

/// Reads a boolean from a template.
pub fn tmpl_bool(t: &Template, ty: AttrType) -> Option<bool> {
    t.get(&ty).map(|v| v.first() == Some(&1))
}

/// Builds an object of `class`/`key_type` from a template: checks that every attribute applies
/// and may be given for this `origin`, fills defaults, and reports missing required ones.
/// Computed attributes (`CKA_LOCAL`, lengths, key material) are left to the caller.
pub fn build(origin: Origin, class: u64, key_type: Option<u64>, t: &Template) -> Result<Object> {
    let cert_type = tmpl_ulong(t, ck::CKA_CERTIFICATE_TYPE);
    let Some(groups) = attr::schema(class, key_type, cert_type) else {
        log::info!(
            "unsupported object class 0x{class:X} / key type {key_type:?} / certificate type {cert_type:?}"
        );
        return Err(if class == ck::CKO_CERTIFICATE && cert_type.is_none() {
            Error::TemplateIncomplete
        } else {
            Error::AttributeValueInvalid
        });
    };
    let mut members = BTreeMap::new();
    for mem in groups.iter().flat_map(|g| g.iter()) {
        members.insert(mem.ty, mem);
    }
    let mut obj = Object::default();
    obj.set_ulong(ck::CKA_CLASS, class);
    if let Some(kt) = key_type {
        obj.set_ulong(ck::CKA_KEY_TYPE, kt);
    }
    // CKA_PRIVATE first, so values are routed to the right part as they are set.
    let private = tmpl_bool(t, ck::CKA_PRIVATE).unwrap_or_else(|| {
        matches!(
            members.get(&ck::CKA_PRIVATE).map(|m| m.default),
            Some(attr::DefaultValue::Bool(true))
        )
    });
    obj.set_bool(ck::CKA_PRIVATE, private);
    for (ty, v) in t {
        let Some(mem) = members.get(ty) else {
            log::info!(
                "attribute {} does not apply to this object class",
                attr::name(*ty)
            );
            return Err(Error::TemplateInconsistent);
        };
        let def = attr::def(*ty).ok_or(Error::AttributeTypeInvalid)?;
        if def.flags & attr::TOKEN_SET != 0 {
            log::info!("attribute {} is set by the token only", def.name);
            return Err(Error::AttributeReadOnly);
        }
        let forbidden = match origin {
            Origin::Create => mem.rules & attr::NO_CREATE != 0,
            Origin::Generate => mem.rules & attr::NO_GEN != 0,
            Origin::Unwrap | Origin::Derive => mem.rules & attr::NO_UNWRAP != 0,
        };
        if forbidden {
            log::info!("attribute {} may not be given to {origin:?}", def.name);
            return Err(Error::TemplateInconsistent);
        }
        obj.set(*ty, v.clone());
    }
    for mem in members.values() {
        if obj.has(mem.ty) {
            continue;
        }
        let required = match origin {
            Origin::Create => mem.rules & attr::REQ_CREATE != 0,
            Origin::Generate => mem.rules & attr::REQ_GEN != 0,
            _ => false,
        };
        if required {
            log::info!("template lacks required {}", attr::name(mem.ty));
            return Err(Error::TemplateIncomplete);
        }
        match mem.default {
            attr::DefaultValue::Empty => obj.set(mem.ty, Vec::new()),
            attr::DefaultValue::Bool(b) => obj.set_bool(mem.ty, b),
            attr::DefaultValue::Ulong(u) => obj.set_ulong(mem.ty, u),
            attr::DefaultValue::None | attr::DefaultValue::Computed => {}
        }
    }
    Ok(obj)
}

/// Fills the attributes the token computes for a key: `CKA_LOCAL`, `CKA_KEY_GEN_MECHANISM`,
/// `CKA_ALWAYS_SENSITIVE`, `CKA_NEVER_EXTRACTABLE`. `base` is the base key of a derivation.
pub fn finish_key(obj: &mut Object, origin: Origin, mechanism: Option<u64>, base: Option<&Object>) {
    let class = obj.class();
    obj.set_bool(ck::CKA_LOCAL, origin == Origin::Generate);
    let mech = match origin {
        Origin::Generate | Origin::Derive => mechanism.unwrap_or(ck::CK_UNAVAILABLE_INFORMATION),
        _ => ck::CK_UNAVAILABLE_INFORMATION,
    };
    obj.set_ulong(ck::CKA_KEY_GEN_MECHANISM, mech);
    if matches!(class, Some(ck::CKO_PRIVATE_KEY) | Some(ck::CKO_SECRET_KEY)) {
        let sensitive = obj.bool(ck::CKA_SENSITIVE);
        let extractable = obj.bool(ck::CKA_EXTRACTABLE);
        let (always_sensitive, never_extractable) = match origin {
            Origin::Generate => (sensitive, !extractable),
            Origin::Derive => match base {
                Some(b) => (
                    sensitive && b.bool(ck::CKA_ALWAYS_SENSITIVE),
                    !extractable && b.bool(ck::CKA_NEVER_EXTRACTABLE),
                ),
                None => (false, false),
            },
            Origin::Create | Origin::Unwrap => (false, false),
        };
        obj.set_bool(ck::CKA_ALWAYS_SENSITIVE, always_sensitive);
        obj.set_bool(ck::CKA_NEVER_EXTRACTABLE, never_extractable);
    }
}

/// Which call is changing an existing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `C_SetAttributeValue`.
    Set,
    /// The template of `C_CopyObject`.
    Copy,
}

/// Checks that `obj` may take `value` for attribute `ty` (PKCS#11 3.0 §4.1.2 and the footnotes
/// of the attribute tables). A value equal to the current one is always accepted.
pub fn check_change(obj: &Object, ty: AttrType, value: &[u8], change: Change, so: bool) -> Result<()> {
    let def = attr::def(ty).ok_or(Error::AttributeTypeInvalid)?;
    let groups = attr::schema(
        obj.class().unwrap_or(u64::MAX),
        obj.key_type(),
        obj.ulong(ck::CKA_CERTIFICATE_TYPE),
    )
    .ok_or(Error::GeneralError)?;
    if !groups.iter().flat_map(|g| g.iter()).any(|m| m.ty == ty) {
        log::info!("attribute {} does not apply to this object", def.name);
        return Err(Error::AttributeTypeInvalid);
    }
    if def.flags & attr::TOKEN_SET != 0 {
        log::info!("attribute {} is set by the token only", def.name);
        return Err(Error::AttributeReadOnly);
    }
    let changeable = match change {
        // MANAGED attributes reach this point only from the key manager (see `Hsm::template`).
        Change::Set => def.flags & (attr::MODIFIABLE | attr::MANAGED) != 0,
        Change::Copy => def.flags & (attr::MODIFIABLE | attr::COPY_CHANGEABLE | attr::MANAGED) != 0,
    };
    // A copy template may repeat values it does not change; C_SetAttributeValue may not name
    // an attribute it cannot change at all.
    if change == Change::Copy && obj.get(ty) == Some(value) {
        return Ok(());
    }
    if !changeable {
        log::info!("attribute {} cannot be changed by {change:?}", def.name);
        return Err(Error::AttributeReadOnly);
    }
    if obj.get(ty) == Some(value) {
        return Ok(());
    }
    let new_true = value.first() == Some(&1);
    let cur_true = obj.bool(ty);
    if def.flags & attr::TO_TRUE_ONLY != 0 && cur_true && !new_true {
        log::info!("attribute {} can only change to true", def.name);
        return Err(Error::AttributeReadOnly);
    }
    if def.flags & attr::TO_FALSE_ONLY != 0 && !cur_true && new_true {
        log::info!("attribute {} can only change to false", def.name);
        return Err(Error::AttributeReadOnly);
    }
    if def.flags & attr::SO_ONLY_TRUE != 0 && new_true && !so {
        log::info!("only the SO may set {} to true", def.name);
        return Err(Error::AttributeReadOnly);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(items: &[(AttrType, Vec<u8>)]) -> Template {
        normalize(items).expect("valid template")
    }

    #[test]
    fn defaults_and_required() {
        let tm = t(&[(ck::CKA_VALUE_LEN, attr::enc_ulong(32))]);
        let o = build(Origin::Generate, ck::CKO_SECRET_KEY, Some(ck::CKK_AES), &tm).unwrap();
        assert_eq!(o.label(), b"");
        assert_eq!(o.get(ck::CKA_ID), Some(&[][..]));
        assert!(o.bool(ck::CKA_SENSITIVE) && o.bool(ck::CKA_ENCRYPT) && o.is_private());
        assert_eq!(
            build(Origin::Create, ck::CKO_SECRET_KEY, Some(ck::CKK_AES), &t(&[])).unwrap_err(),
            Error::TemplateIncomplete
        );
        let v = t(&[(ck::CKA_VALUE, vec![1; 16])]);
        assert_eq!(
            build(Origin::Generate, ck::CKO_SECRET_KEY, Some(ck::CKK_AES), &v).unwrap_err(),
            Error::TemplateInconsistent
        );
    }

    #[test]
    fn token_set_attributes_are_read_only() {
        let tm = t(&[
            (ck::CKA_LOCAL, attr::enc_bool(true)),
            (ck::CKA_VALUE, vec![0; 16]),
        ]);
        assert_eq!(
            build(Origin::Create, ck::CKO_SECRET_KEY, Some(ck::CKK_AES), &tm).unwrap_err(),
            Error::AttributeReadOnly
        );
    }

    #[test]
    fn value_shapes_are_checked() {
        assert_eq!(
            normalize(&[(ck::CKA_TOKEN, vec![1, 1])]).unwrap_err(),
            Error::AttributeValueInvalid
        );
        assert_eq!(
            normalize(&[(ck::CKA_CLASS, vec![1])]).unwrap_err(),
            Error::AttributeValueInvalid
        );
        assert_eq!(
            normalize(&[(0x7FFF_0000, vec![])]).unwrap_err(),
            Error::AttributeTypeInvalid
        );
        assert_eq!(
            normalize(&[(ck::CKA_LABEL, b"a".to_vec()), (ck::CKA_LABEL, b"b".to_vec())]).unwrap_err(),
            Error::TemplateInconsistent
        );
        assert_eq!(
            normalize(&[(ck::CKA_TOKEN, vec![0xFF])]).unwrap()[&ck::CKA_TOKEN],
            vec![1]
        );
    }

    #[test]
    fn change_rules() {
        let tm = t(&[
            (ck::CKA_VALUE_LEN, attr::enc_ulong(16)),
            (ck::CKA_SENSITIVE, vec![0]),
        ]);
        let o = build(Origin::Generate, ck::CKO_SECRET_KEY, Some(ck::CKK_AES), &tm).unwrap();
        let yes = attr::enc_bool(true);
        let no = attr::enc_bool(false);
        assert!(check_change(&o, ck::CKA_SENSITIVE, &yes, Change::Set, false).is_ok());
        assert!(check_change(&o, ck::CKA_EXTRACTABLE, &no, Change::Set, false).is_ok());
        assert_eq!(
            check_change(&o, ck::CKA_TOKEN, &yes, Change::Set, false).unwrap_err(),
            Error::AttributeReadOnly
        );
        assert!(check_change(&o, ck::CKA_TOKEN, &yes, Change::Copy, false).is_ok());
        assert_eq!(
            check_change(&o, ck::CKA_TRUSTED, &yes, Change::Set, false).unwrap_err(),
            Error::AttributeReadOnly
        );
        assert!(check_change(&o, ck::CKA_TRUSTED, &yes, Change::Set, true).is_ok());
        let mut s = o.clone();
        s.set_bool(ck::CKA_SENSITIVE, true);
        assert_eq!(
            check_change(&s, ck::CKA_SENSITIVE, &no, Change::Set, false).unwrap_err(),
            Error::AttributeReadOnly
        );
        assert_eq!(
            check_change(&s, ck::CKA_MODULUS, &no, Change::Set, false).unwrap_err(),
            Error::AttributeTypeInvalid
        );
    }
}
