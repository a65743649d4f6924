//! Key wrapping (PKCS#11 3.0 §5.18 `C_WrapKey`, `C_UnwrapKey`), shared by both doors: the
//! PKCS#11 functions and the KMIP server's Get/Export with a Key Wrapping Specification and
//! Register/Import of a wrapped key.
//!
//! The key manager may shape the plaintext that is wrapped (and read the plaintext that is
//! unwrapped) — KMIP wraps a key in its own encodings (raw bytes, PKCS#1, a TTLV Key Value) —
//! but every rule is checked here first: the wrapping key's `CKA_WRAP` and lifecycle, the
//! target's `CKA_EXTRACTABLE`, `CKA_WRAP_WITH_TRUSTED` and `CKA_WRAP_TEMPLATE`; the unwrapping
//! key's `CKA_UNWRAP` and `CKA_UNWRAP_TEMPLATE`.

use super::crypt::check_use;
use super::keys::{check_secret_len, complete_import, set_secret};
use super::objects::ChosenId;
use super::Hsm;
use crate::attr::{self, AttrType};
use crate::crypto;
use crate::error::{Error, Result};
use crate::mechanism::ops::{self, map_crypto, Ctx};
use crate::mechanism::{self, Mechanism};
use crate::object::factory::{self, Origin, Template};
use crate::object::Object;
use crate::session::{Out, Output};
use cryptoki_sys as ck;
use zeroize::Zeroizing;

/// Turns the core's plaintext of a key (a secret key's `CKA_VALUE`, a private key's PKCS#8)
/// into the bytes that are wrapped. It sees key material: only the key manager passes one.
pub type WrapEncoder<'a> = &'a dyn Fn(&Object, &[u8]) -> Result<Zeroizing<Vec<u8>>>;

/// Turns unwrapped bytes into what `C_UnwrapKey` expects (a secret key's value or a private
/// key's PKCS#8).
pub type UnwrapDecoder<'a> = &'a dyn Fn(Zeroizing<Vec<u8>>) -> Result<Zeroizing<Vec<u8>>>;

/// What the key manager adds to an unwrap: its decoding of the plaintext and the object's
/// Unique Identifier.
#[derive(Clone, Copy, Default)]
pub struct UnwrapAs<'a> {
    pub decode: Option<UnwrapDecoder<'a>>,
    pub id: Option<ChosenId<'a>>,
}

impl Hsm {
    /// `C_WrapKey`: encrypts a secret or private key under a wrapping key.
    pub fn wrap_key(&self, h: u64, m: &Mechanism, wrapping: u64, key: u64, out: Out) -> Result<Output> {
        let wrapped = self.wrap(h, m, wrapping, key, None)?;
        match out {
            Out::Query => Ok(Output::Len(wrapped.len())),
            Out::Cap(c) if c < wrapped.len() => Err(Error::BufferTooSmall {
                needed: wrapped.len(),
            }),
            Out::Cap(_) => Ok(Output::Data(wrapped)),
        }
    }

    /// `C_WrapKey` for the key manager, which encodes the plaintext its own way before it
    /// is encrypted (KMIP Key Format Types and Encoding Options).
    pub fn wrap_key_with(
        &self,
        h: u64,
        m: &Mechanism,
        wrapping: u64,
        key: u64,
        encode: WrapEncoder<'_>,
    ) -> Result<Vec<u8>> {
        if !self.manager {
            return Err(Error::ActionProhibited);
        }
        self.wrap(h, m, wrapping, key, Some(encode))
    }

    fn wrap(
        &self,
        h: u64,
        m: &Mechanism,
        wrapping: u64,
        key: u64,
        encode: Option<WrapEncoder<'_>>,
    ) -> Result<Vec<u8>> {
        let (_, slot, _) = self.session(h)?;
        mechanism::require(m.mech, ck::CKF_WRAP)?;
        let wk = self.load_key(slot, wrapping, true).map_err(|e| match e {
            Error::KeyHandleInvalid => Error::WrappingKeyHandleInvalid,
            o => o,
        })?;
        check_use(&wk, ck::CKA_WRAP, m.mech)?;
        let k = self.load_wrapped(slot, key)?;
        if !k.bool(ck::CKA_EXTRACTABLE) {
            log::info!("key {} is not extractable", k.uid());
            return Err(Error::KeyUnextractable);
        }
        if k.bool(ck::CKA_WRAP_WITH_TRUSTED) && !wk.bool(ck::CKA_TRUSTED) {
            log::info!("key {} may only be wrapped with a trusted key", k.uid());
            return Err(Error::KeyNotWrappable);
        }
        if let Some(required) = wk.get(ck::CKA_WRAP_TEMPLATE).filter(|t| !t.is_empty()) {
            let entries = attr::dec_array(required).ok_or(Error::GeneralError)?;
            if !entries.iter().all(|(ty, v)| k.get(*ty) == Some(v.as_slice())) {
                log::info!(
                    "key {} does not match the wrapping key's CKA_WRAP_TEMPLATE",
                    k.uid()
                );
                return Err(Error::KeyNotWrappable);
            }
        }
        let mut value = match k.class() {
            Some(ck::CKO_SECRET_KEY) => Zeroizing::new(k.get(ck::CKA_VALUE).unwrap_or_default().to_vec()),
            Some(ck::CKO_PRIVATE_KEY) => pkcs8_of(&k)?,
            _ => {
                log::info!("only secret and private keys can be wrapped");
                return Err(Error::KeyNotWrappable);
            }
        };
        if let Some(encode) = encode {
            value = encode(&k, &value)?;
        }
        let mut op = ops::cipher(m, &wk, &self.keys, true, self.config.compat.aes_key_wrap_pad).map_err(
            |e| match e {
                Error::KeyTypeInconsistent => Error::WrappingKeyTypeInconsistent,
                Error::KeySizeRange => Error::WrappingKeySizeRange,
                o => o,
            },
        )?;
        let r = op.update(&value).and_then(|mut a| {
            a.extend(op.finish()?);
            Ok(a)
        });
        r.map_err(|e| match e {
            Error::DataLenRange | Error::DataInvalid => Error::KeySizeRange,
            o => o,
        })
    }

    /// The key to be wrapped. Wrapping exports the key rather than using it, so any state
    /// that still has key material will do (as for reading a non-sensitive `CKA_VALUE`); a
    /// Destroyed key has none.
    fn load_wrapped(&self, slot: u64, key: u64) -> Result<Object> {
        use crate::attr::state;
        let l = self.load(slot, key).map_err(|e| match e {
            Error::ObjectHandleInvalid => Error::KeyHandleInvalid,
            o => o,
        })?;
        if l.locked {
            return Err(Error::UserNotLoggedIn);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if matches!(
            l.obj.lifecycle_state(now),
            state::DESTROYED | state::DESTROYED_COMPROMISED
        ) {
            log::info!("key {} is destroyed: it has no material to wrap", l.obj.uid());
            return Err(Error::KeyFunctionNotPermitted);
        }
        Ok(l.obj)
    }

    /// `C_UnwrapKey`: decrypts a wrapped secret or private key into a new key object.
    pub fn unwrap_key(
        &self,
        h: u64,
        m: &Mechanism,
        unwrapping: u64,
        wrapped: &[u8],
        raw: &[(AttrType, Vec<u8>)],
    ) -> Result<u64> {
        self.unwrap_key_as(h, m, unwrapping, wrapped, raw, UnwrapAs::default())
    }

    /// `C_UnwrapKey` with the key manager's decoding and chosen Unique Identifier.
    pub fn unwrap_key_as(
        &self,
        h: u64,
        m: &Mechanism,
        unwrapping: u64,
        wrapped: &[u8],
        raw: &[(AttrType, Vec<u8>)],
        how: UnwrapAs<'_>,
    ) -> Result<u64> {
        if (how.decode.is_some() || how.id.is_some()) && !self.manager {
            return Err(Error::ActionProhibited);
        }
        let (_, slot, rw) = self.session(h)?;
        mechanism::require(m.mech, ck::CKF_UNWRAP)?;
        let uk = self.load_key(slot, unwrapping, false).map_err(|e| match e {
            Error::KeyHandleInvalid => Error::UnwrappingKeyHandleInvalid,
            o => o,
        })?;
        check_use(&uk, ck::CKA_UNWRAP, m.mech)?;
        let mut t = self.template(raw)?;
        factory::merge_required(&mut t, uk.get(ck::CKA_UNWRAP_TEMPLATE))?;
        let class = factory::tmpl_ulong(&t, ck::CKA_CLASS).ok_or(Error::TemplateIncomplete)?;
        let kt = factory::tmpl_ulong(&t, ck::CKA_KEY_TYPE).ok_or(Error::TemplateIncomplete)?;
        let fits = match class {
            ck::CKO_SECRET_KEY => attr::SECRET_KEY_TYPES.contains(&kt),
            ck::CKO_PRIVATE_KEY => {
                matches!(
                    kt,
                    ck::CKK_RSA | ck::CKK_EC | ck::CKK_EC_EDWARDS | ck::CKK_EC_MONTGOMERY
                )
            }
            _ => false,
        };
        if !fits {
            log::info!("C_UnwrapKey makes secret or private keys of a supported type");
            return Err(Error::TemplateInconsistent);
        }
        let mut op = ops::cipher(m, &uk, &self.keys, false, self.config.compat.aes_key_wrap_pad).map_err(
            |e| match e {
                Error::KeyTypeInconsistent => Error::UnwrappingKeyTypeInconsistent,
                Error::KeySizeRange => Error::UnwrappingKeySizeRange,
                o => o,
            },
        )?;
        let value = op
            .update(wrapped)
            .and_then(|mut a| {
                a.extend(op.finish()?);
                Ok(a)
            })
            .map_err(|e| match e {
                Error::EncryptedDataLenRange => Error::WrappedKeyLenRange,
                Error::EncryptedDataInvalid => Error::WrappedKeyInvalid,
                o => o,
            })?;
        let mut value = Zeroizing::new(value);
        if let Some(decode) = how.decode {
            value = decode(value)?;
        }
        if class == ck::CKO_PRIVATE_KEY {
            let mut obj = private_from_pkcs8(&value, kt, &t)?;
            factory::finish_key(&mut obj, Origin::Unwrap, None, None);
            return self.insert_new_as(h, slot, rw, obj, how.id);
        }
        let mut t2 = t.clone();
        if let Some(len) = t2.remove(&ck::CKA_VALUE_LEN).and_then(|v| attr::dec_ulong(&v)) {
            if len as usize > value.len() {
                return Err(Error::TemplateInconsistent);
            }
            value.truncate(len as usize);
        }
        check_secret_len(kt, value.len()).map_err(|_| Error::WrappedKeyInvalid)?;
        let mut obj = factory::build(Origin::Unwrap, ck::CKO_SECRET_KEY, Some(kt), &t2)?;
        set_secret(&mut obj, value);
        factory::finish_key(&mut obj, Origin::Unwrap, None, None);
        self.insert_new_as(h, slot, rw, obj, how.id)
    }
}

/// A private key object's PKCS#8 encoding (what `C_WrapKey` wraps).
fn pkcs8_of(k: &Object) -> Result<Zeroizing<Vec<u8>>> {
    let value = k.get(ck::CKA_VALUE).unwrap_or_default();
    let r = match k.key_type() {
        Some(ck::CKK_RSA) => {
            let key = ops::rsa_private(k)?;
            crypto::private_key_to_pkcs8(&crypto::PrivateKeyRef::Rsa(&key))
        }
        Some(ck::CKK_EC) => {
            let key = crypto::EcPrivateKey::from_scalar(ops::curve_of(k)?, value)
                .map_err(|e| map_crypto(e, Ctx::Sign))?;
            crypto::private_key_to_pkcs8(&crypto::PrivateKeyRef::Ec(&key))
        }
        Some(ck::CKK_EC_EDWARDS) => crypto::private_key_to_pkcs8(&crypto::PrivateKeyRef::Ed25519(value)),
        Some(ck::CKK_EC_MONTGOMERY) => crypto::private_key_to_pkcs8(&crypto::PrivateKeyRef::X25519(value)),
        _ => return Err(Error::KeyNotWrappable),
    };
    r.map_err(|_| Error::KeyNotWrappable)
}

/// A private key object from an unwrapped PKCS#8 encoding, of key type `kt` (which must match).
fn private_from_pkcs8(der: &[u8], kt: u64, t: &Template) -> Result<Object> {
    let parsed = crypto::private_key_from_pkcs8(der).map_err(|_| Error::WrappedKeyInvalid)?;
    let mut obj = factory::build(Origin::Unwrap, ck::CKO_PRIVATE_KEY, Some(kt), t)?;
    match (parsed, kt) {
        (crypto::ParsedPrivateKey::Rsa(key), ck::CKK_RSA) => {
            let c = key.components();
            for (ty, v) in ops::rsa_attr_values(&c) {
                obj.set(ty, v.clone());
            }
        }
        (crypto::ParsedPrivateKey::Ec(key), ck::CKK_EC) => {
            obj.set(ck::CKA_EC_PARAMS, key.curve().oid_der().to_vec());
            obj.set(ck::CKA_VALUE, key.scalar().to_vec());
        }
        (crypto::ParsedPrivateKey::Ed25519(seed), ck::CKK_EC_EDWARDS) => {
            obj.set(ck::CKA_EC_PARAMS, ops::ED25519_PARAMS_OID.to_vec());
            obj.set(ck::CKA_VALUE, seed.to_vec());
        }
        (crypto::ParsedPrivateKey::X25519(k), ck::CKK_EC_MONTGOMERY) => {
            obj.set(ck::CKA_EC_PARAMS, ops::X25519_PARAMS_OID.to_vec());
            obj.set(ck::CKA_VALUE, k.to_vec());
        }
        _ => {
            log::info!("the unwrapped key is not of the key type the template names");
            return Err(Error::TemplateInconsistent);
        }
    }
    complete_import(&mut obj).map_err(|_| Error::WrappedKeyInvalid)?;
    Ok(obj)
}
