//! Objects: one attribute map per object, split into the public part (kept in the clear for
//! search) and the sealed part (key material, private data values) that is encrypted at rest.

pub mod factory;

use crate::attr::{self, AttrType};
use cryptoki_sys as ck;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// An object of any class.
#[derive(Clone, Default)]
pub struct Object {
    attrs: BTreeMap<AttrType, Vec<u8>>,
    secrets: BTreeMap<AttrType, Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never prints values: the sealed part is key material.
        f.debug_struct("Object")
            .field("uid", &self.uid())
            .field("class", &self.class())
            .field("sealed_attrs", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The name of a KMIP State value, for logs.
pub fn state_name(st: u64) -> &'static str {
    use crate::attr::state;
    match st {
        state::PRE_ACTIVE => "Pre-Active",
        state::ACTIVE => "Active",
        state::DEACTIVATED => "Deactivated",
        state::COMPROMISED => "Compromised",
        state::DESTROYED => "Destroyed",
        state::DESTROYED_COMPROMISED => "Destroyed Compromised",
        _ => "unknown",
    }
}

impl Object {
    /// The object's KMIP State at time `now` (seconds since the epoch): the stored state,
    /// moved on by an Activation or Deactivation Date that has passed (KMIP 1.4 §3.22,
    /// §3.24, §3.27). An object without a stored state (made through PKCS#11) is Active.
    pub fn lifecycle_state(&self, now: u64) -> u64 {
        use crate::attr::{self, state};
        let stored = self.ulong(attr::CKA_SOFTHSM_STATE).unwrap_or(state::ACTIVE);
        let passed = |ty| self.ulong(ty).is_some_and(|d| d <= now);
        let deactivated = passed(attr::CKA_SOFTHSM_DEACTIVATION_DATE);
        match stored {
            state::PRE_ACTIVE if passed(attr::CKA_SOFTHSM_ACTIVATION_DATE) => {
                if deactivated {
                    state::DEACTIVATED
                } else {
                    state::ACTIVE
                }
            }
            state::ACTIVE if deactivated => state::DEACTIVATED,
            s => s,
        }
    }

    /// Builds an object from its two parts as stored.
    pub fn from_parts(
        attrs: BTreeMap<AttrType, Vec<u8>>,
        secrets: BTreeMap<AttrType, Zeroizing<Vec<u8>>>,
    ) -> Self {
        Object { attrs, secrets }
    }

    /// This object (read without its sealed part) with its sealed part `secrets`.
    pub fn with_sealed(self, secrets: BTreeMap<AttrType, Zeroizing<Vec<u8>>>) -> Self {
        Object {
            attrs: self.attrs,
            secrets,
        }
    }

    /// Whether attribute `ty` of this object is kept in the sealed part.
    ///
    /// Key material always is; the value of a private data object is too, so that what an
    /// application stored as private never sits in the file in the clear.
    pub fn is_sealed_type(&self, ty: AttrType) -> bool {
        let sensitive = attr::def(ty).is_some_and(|d| d.flags & attr::SENSITIVE != 0);
        match self.class() {
            // A public key (CKA_VALUE of a DSA/DH public key) or domain parameters hold no secret.
            Some(ck::CKO_PUBLIC_KEY) | Some(ck::CKO_DOMAIN_PARAMETERS) => false,
            Some(ck::CKO_DATA) | Some(ck::CKO_CERTIFICATE) => {
                ty == ck::CKA_VALUE && self.is_private() && self.class() == Some(ck::CKO_DATA)
            }
            _ => sensitive,
        }
    }

    pub fn get(&self, ty: AttrType) -> Option<&[u8]> {
        self.attrs
            .get(&ty)
            .map(Vec::as_slice)
            .or_else(|| self.secrets.get(&ty).map(|v| v.as_slice()))
    }

    pub fn has(&self, ty: AttrType) -> bool {
        self.attrs.contains_key(&ty) || self.secrets.contains_key(&ty)
    }

    /// Sets an attribute, routing it to the sealed part when it belongs there.
    pub fn set(&mut self, ty: AttrType, value: Vec<u8>) {
        self.attrs.remove(&ty);
        self.secrets.remove(&ty);
        if ty == ck::CKA_CLASS || ty == ck::CKA_PRIVATE {
            self.attrs.insert(ty, value);
            self.rebalance();
        } else if self.is_sealed_type(ty) {
            self.secrets.insert(ty, Zeroizing::new(value));
        } else {
            self.attrs.insert(ty, value);
        }
    }

    /// Moves values between the parts after CKA_CLASS or CKA_PRIVATE changed.
    fn rebalance(&mut self) {
        let all: Vec<AttrType> = self.attrs.keys().chain(self.secrets.keys()).copied().collect();
        for ty in all {
            let sealed = self.is_sealed_type(ty);
            if sealed {
                if let Some(v) = self.attrs.remove(&ty) {
                    self.secrets.insert(ty, Zeroizing::new(v));
                }
            } else if let Some(v) = self.secrets.remove(&ty) {
                self.attrs.insert(ty, v.to_vec());
            }
        }
    }

    pub fn set_bool(&mut self, ty: AttrType, v: bool) {
        self.set(ty, attr::enc_bool(v));
    }

    pub fn set_ulong(&mut self, ty: AttrType, v: u64) {
        self.set(ty, attr::enc_ulong(v));
    }

    pub fn bool(&self, ty: AttrType) -> bool {
        self.get(ty).is_some_and(|v| v.first() == Some(&1))
    }

    pub fn ulong(&self, ty: AttrType) -> Option<u64> {
        self.get(ty).and_then(attr::dec_ulong)
    }

    pub fn class(&self) -> Option<u64> {
        self.ulong(ck::CKA_CLASS)
    }

    pub fn key_type(&self) -> Option<u64> {
        self.ulong(ck::CKA_KEY_TYPE)
    }

    pub fn is_token(&self) -> bool {
        self.bool(ck::CKA_TOKEN)
    }

    pub fn is_private(&self) -> bool {
        self.bool(ck::CKA_PRIVATE)
    }

    /// The object's stable identifier (`CKA_UNIQUE_ID`, the KMIP Unique Identifier).
    pub fn uid(&self) -> &str {
        self.attrs
            .get(&ck::CKA_UNIQUE_ID)
            .and_then(|v| std::str::from_utf8(v).ok())
            .unwrap_or("")
    }

    pub fn label(&self) -> &[u8] {
        self.get(ck::CKA_LABEL).unwrap_or(&[])
    }

    /// The public part, as stored in the clear.
    pub fn public_attrs(&self) -> &BTreeMap<AttrType, Vec<u8>> {
        &self.attrs
    }

    /// The sealed part.
    pub fn secret_attrs(&self) -> &BTreeMap<AttrType, Zeroizing<Vec<u8>>> {
        &self.secrets
    }

    /// All attribute types present.
    pub fn types(&self) -> Vec<AttrType> {
        let mut v: Vec<AttrType> = self.attrs.keys().chain(self.secrets.keys()).copied().collect();
        v.sort_unstable();
        v
    }

    /// Forgets the object's key material and value (KMIP Destroy keeps the metadata of a
    /// destroyed object, KMIP 1.4 §4.21); the dropped values are zeroed.
    pub fn drop_material(&mut self) {
        self.secrets.clear();
        self.attrs.remove(&ck::CKA_VALUE);
    }

    /// Whether the object holds material that must be sealed under a token key.
    pub fn has_secrets(&self) -> bool {
        !self.secrets.is_empty()
    }

    /// Whether a value of this object may be revealed: not for sensitive attributes of
    /// sensitive or unextractable keys (PKCS#11 3.0 §4.4, table 10 footnote 7).
    pub fn is_revealable(&self, ty: AttrType) -> bool {
        let sensitive = attr::def(ty).is_some_and(|d| d.flags & attr::SENSITIVE != 0);
        let key = matches!(self.class(), Some(ck::CKO_PRIVATE_KEY) | Some(ck::CKO_SECRET_KEY));
        !(key && sensitive && (self.bool(ck::CKA_SENSITIVE) || !self.bool(ck::CKA_EXTRACTABLE)))
    }

    /// Rough size in bytes, for `C_GetObjectSize`.
    pub fn size(&self) -> usize {
        self.attrs.values().map(|v| v.len() + 16).sum::<usize>()
            + self.secrets.values().map(|v| v.len() + 16).sum::<usize>()
    }

    /// Whether the object matches every attribute of `template`. Sealed attributes never match
    /// (a search must not become an oracle on key material).
    pub fn matches(&self, template: &[(AttrType, Vec<u8>)]) -> bool {
        template
            .iter()
            .all(|(ty, v)| self.attrs.get(ty).is_some_and(|mine| mine == v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_material_goes_to_the_sealed_part() {
        let mut o = Object::default();
        o.set_ulong(ck::CKA_CLASS, ck::CKO_SECRET_KEY);
        o.set(ck::CKA_VALUE, vec![7; 16]);
        o.set(ck::CKA_LABEL, b"k".to_vec());
        assert!(o.secret_attrs().contains_key(&ck::CKA_VALUE));
        assert!(!o.public_attrs().contains_key(&ck::CKA_VALUE));
        assert!(o.public_attrs().contains_key(&ck::CKA_LABEL));
        assert!(!o.matches(&[(ck::CKA_VALUE, vec![7; 16])]));
        assert!(o.matches(&[(ck::CKA_LABEL, b"k".to_vec())]));
    }

    #[test]
    fn private_data_value_is_sealed_public_one_is_not() {
        let mut o = Object::default();
        o.set_ulong(ck::CKA_CLASS, ck::CKO_DATA);
        o.set_bool(ck::CKA_PRIVATE, false);
        o.set(ck::CKA_VALUE, b"hello".to_vec());
        assert!(o.public_attrs().contains_key(&ck::CKA_VALUE));
        o.set_bool(ck::CKA_PRIVATE, true);
        assert!(o.secret_attrs().contains_key(&ck::CKA_VALUE));
        assert_eq!(o.get(ck::CKA_VALUE), Some(&b"hello"[..]));
    }

    #[test]
    fn debug_never_prints_values() {
        let mut o = Object::default();
        o.set_ulong(ck::CKA_CLASS, ck::CKO_SECRET_KEY);
        o.set(ck::CKA_VALUE, b"SECRETSECRET".to_vec());
        assert!(!format!("{o:?}").contains("SECRET"));
    }
}
