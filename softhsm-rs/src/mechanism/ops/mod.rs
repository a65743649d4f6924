//! Operations: a mechanism bound to a key, for encrypt/decrypt, sign/verify and digest.
//!
//! Each constructor checks that the key's type and size fit the mechanism and that its
//! parameters are valid, then returns a boxed operation the session keeps until the final call.

mod cipher;
mod sign;

pub use cipher::{cipher, pad_pkcs7, WrapPadMode};
pub use sign::{signer, verifier, DigestOp};

use super::info;
use crate::crypto::{self, CryptoError, Hash};
use crate::error::{Error, Result};
use crate::object::Object;
use cryptoki_sys as ck;
use zeroize::Zeroizing;

/// Largest input a buffering single-part operation accepts (EdDSA messages, key-wrap data):
/// bounds the memory one session can pin.
pub const MAX_BUFFERED_INPUT: usize = 64 * 1024 * 1024;

/// What a failed crypto call means depends on which function asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    Import,
}

/// Maps an engine error to the PKCS#11 condition for the function `ctx`.
pub fn map_crypto(e: CryptoError, ctx: Ctx) -> Error {
    match (e, ctx) {
        (CryptoError::DecryptFailed, _) => Error::EncryptedDataInvalid,
        (CryptoError::SignatureInvalid, _) => Error::SignatureInvalid,
        (CryptoError::DataLenRange, Ctx::Decrypt) => Error::EncryptedDataLenRange,
        (CryptoError::DataLenRange, Ctx::Verify) => Error::SignatureLenRange,
        (CryptoError::DataLenRange, _) => Error::DataLenRange,
        (CryptoError::InvalidInput, Ctx::Decrypt) => Error::EncryptedDataInvalid,
        (CryptoError::InvalidInput, Ctx::Verify) => Error::SignatureLenRange,
        (CryptoError::InvalidInput, Ctx::Import) => Error::AttributeValueInvalid,
        (CryptoError::InvalidInput, _) => Error::DataInvalid,
        (CryptoError::KeySize, _) => Error::KeySizeRange,
        (CryptoError::InvalidKey, Ctx::Import) => Error::AttributeValueInvalid,
        (CryptoError::InvalidKey, _) => {
            log::error!("stored key material was rejected by the crypto engine");
            Error::KeyTypeInconsistent
        }
        (CryptoError::Internal, _) => {
            log::error!("crypto engine internal error");
            Error::FunctionFailed
        }
    }
}

/// The hash a digest mechanism (`CKM_SHA256`, ...) names.
pub fn hash_of(mech: u64) -> Option<Hash> {
    Some(match mech {
        ck::CKM_SHA_1 => Hash::Sha1,
        ck::CKM_SHA224 => Hash::Sha224,
        ck::CKM_SHA256 => Hash::Sha256,
        ck::CKM_SHA384 => Hash::Sha384,
        ck::CKM_SHA512 => Hash::Sha512,
        ck::CKM_MD5 => Hash::Md5,
        ck::CKM_SHA3_224 => Hash::Sha3_224,
        ck::CKM_SHA3_256 => Hash::Sha3_256,
        ck::CKM_SHA3_384 => Hash::Sha3_384,
        ck::CKM_SHA3_512 => Hash::Sha3_512,
        _ => return None,
    })
}

/// The hash of an HMAC mechanism, full or `_GENERAL`.
pub(crate) fn hmac_hash(mech: u64) -> Option<Hash> {
    Some(match mech {
        ck::CKM_MD5_HMAC | ck::CKM_MD5_HMAC_GENERAL => Hash::Md5,
        ck::CKM_SHA_1_HMAC | ck::CKM_SHA_1_HMAC_GENERAL => Hash::Sha1,
        ck::CKM_SHA224_HMAC | ck::CKM_SHA224_HMAC_GENERAL => Hash::Sha224,
        ck::CKM_SHA256_HMAC | ck::CKM_SHA256_HMAC_GENERAL => Hash::Sha256,
        ck::CKM_SHA384_HMAC | ck::CKM_SHA384_HMAC_GENERAL => Hash::Sha384,
        ck::CKM_SHA512_HMAC | ck::CKM_SHA512_HMAC_GENERAL => Hash::Sha512,
        ck::CKM_SHA3_224_HMAC | ck::CKM_SHA3_224_HMAC_GENERAL => Hash::Sha3_224,
        ck::CKM_SHA3_256_HMAC | ck::CKM_SHA3_256_HMAC_GENERAL => Hash::Sha3_256,
        ck::CKM_SHA3_384_HMAC | ck::CKM_SHA3_384_HMAC_GENERAL => Hash::Sha3_384,
        ck::CKM_SHA3_512_HMAC | ck::CKM_SHA3_512_HMAC_GENERAL => Hash::Sha3_512,
        _ => return None,
    })
}

/// `_GENERAL` MACs take their output length as the parameter (`CK_MAC_GENERAL_PARAMS`).
pub(crate) fn is_general(mech: u64) -> bool {
    matches!(
        mech,
        ck::CKM_MD5_HMAC_GENERAL
            | ck::CKM_SHA3_224_HMAC_GENERAL
            | ck::CKM_SHA3_256_HMAC_GENERAL
            | ck::CKM_SHA3_384_HMAC_GENERAL
            | ck::CKM_SHA3_512_HMAC_GENERAL
            | ck::CKM_SHA_1_HMAC_GENERAL
            | ck::CKM_SHA224_HMAC_GENERAL
            | ck::CKM_SHA256_HMAC_GENERAL
            | ck::CKM_SHA384_HMAC_GENERAL
            | ck::CKM_SHA512_HMAC_GENERAL
            | ck::CKM_AES_CMAC_GENERAL
    )
}

/// The hash of an HMAC mechanism used as a PRF (`CKM_SHA256_HMAC`, ...): full-length SHA-1/2/3
/// HMACs only.
pub fn hmac_prf(mech: u64) -> Option<Hash> {
    hmac_hash(mech).filter(|h| !is_general(mech) && *h != Hash::Md5)
}

/// The hash an MGF1 identifier (`CKG_MGF1_SHA256`, ...) names.
pub fn hash_of_mgf(mgf: u64) -> Option<Hash> {
    Some(match mgf {
        ck::CKG_MGF1_SHA1 => Hash::Sha1,
        ck::CKG_MGF1_SHA224 => Hash::Sha224,
        ck::CKG_MGF1_SHA256 => Hash::Sha256,
        ck::CKG_MGF1_SHA384 => Hash::Sha384,
        ck::CKG_MGF1_SHA512 => Hash::Sha512,
        ck::CKG_MGF1_SHA3_224 => Hash::Sha3_224,
        ck::CKG_MGF1_SHA3_256 => Hash::Sha3_256,
        ck::CKG_MGF1_SHA3_384 => Hash::Sha3_384,
        ck::CKG_MGF1_SHA3_512 => Hash::Sha3_512,
        _ => return None,
    })
}

fn need(obj: &Object, ty: u64) -> Result<&[u8]> {
    obj.get(ty).ok_or_else(|| {
        log::error!("key {} lacks attribute 0x{ty:X}", obj.uid());
        Error::KeyTypeInconsistent
    })
}

fn check_key(obj: &Object, class: u64, key_types: &[u64]) -> Result<()> {
    if obj.class() != Some(class) || !obj.key_type().is_some_and(|k| key_types.contains(&k)) {
        log::info!("key {} does not fit the mechanism", obj.uid());
        return Err(Error::KeyTypeInconsistent);
    }
    Ok(())
}

fn check_size(mech: u64, size: u64) -> Result<()> {
    if let Some(d) = info(mech) {
        if d.max > 0 && (size < d.min || size > d.max) {
            log::info!("key size {size} is outside {}..={} for {}", d.min, d.max, d.name);
            return Err(Error::KeySizeRange);
        }
    }
    Ok(())
}

/// Most parsed private keys a [`KeyCache`] keeps; past it the cache starts over.
const KEY_CACHE_MAX: usize = 256;

/// Parsed RSA private keys, shared between operations. Building an RSA key from its components
/// (and computing its Montgomery contexts on first use) costs more than a signature, so keys are
/// kept, addressed by a digest of their material: a changed key is simply a different entry,
/// and nothing needs invalidating. One per `Hsm` (so a forked child starts empty).
#[derive(Default)]
pub struct KeyCache {
    rsa: std::sync::Mutex<std::collections::HashMap<[u8; 32], std::sync::Arc<crypto::RsaPrivateKey>>>,
    ec: std::sync::Mutex<std::collections::HashMap<[u8; 32], std::sync::Arc<crypto::EcPrivateKey>>>,
}

/// A digest of attributes `types` of `obj`: the identity of its key material.
fn material_id(obj: &Object, types: &[u64]) -> [u8; 32] {
    let mut d = crypto::Digest::new(Hash::Sha256);
    for ty in types {
        let v = obj.get(*ty).unwrap_or_default();
        d.update(&(v.len() as u64).to_le_bytes());
        d.update(v);
    }
    let mut id = [0u8; 32];
    id.copy_from_slice(&d.finish());
    id
}

fn cached<T>(
    map: &std::sync::Mutex<std::collections::HashMap<[u8; 32], std::sync::Arc<T>>>,
    id: [u8; 32],
    build: impl FnOnce() -> Result<T>,
) -> Result<std::sync::Arc<T>> {
    if let Some(k) = map.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
        return Ok(k.clone());
    }
    let k = std::sync::Arc::new(build()?);
    let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
    if m.len() >= KEY_CACHE_MAX {
        m.clear();
    }
    m.insert(id, k.clone());
    Ok(k)
}

impl KeyCache {
    /// The parsed EC private key of `obj` (NIST curves and secp256k1), cached like RSA keys.
    pub fn ec(&self, obj: &Object) -> Result<std::sync::Arc<crypto::EcPrivateKey>> {
        check_key(obj, ck::CKO_PRIVATE_KEY, &[ck::CKK_EC])?;
        let id = material_id(obj, &[ck::CKA_EC_PARAMS, ck::CKA_VALUE]);
        cached(&self.ec, id, || {
            let curve = curve_of(obj)?;
            crypto::EcPrivateKey::from_scalar(curve, secret_value(obj)?).map_err(|e| map_crypto(e, Ctx::Sign))
        })
    }

    /// The parsed RSA private key of `obj`, from the cache or built (and kept).
    pub fn rsa(&self, obj: &Object) -> Result<std::sync::Arc<crypto::RsaPrivateKey>> {
        check_key(obj, ck::CKO_PRIVATE_KEY, &[ck::CKK_RSA])?;
        let id = material_id(obj, &RSA_PRIVATE_ATTRS);
        cached(&self.rsa, id, || rsa_private(obj))
    }
}

/// The attributes of an RSA private key, in `RsaComponents` order (n, e, d, p, q, dp, dq, qinv):
/// the one mapping between the object model and the engine's components.
pub const RSA_PRIVATE_ATTRS: [u64; 8] = [
    ck::CKA_MODULUS,
    ck::CKA_PUBLIC_EXPONENT,
    ck::CKA_PRIVATE_EXPONENT,
    ck::CKA_PRIME_1,
    ck::CKA_PRIME_2,
    ck::CKA_EXPONENT_1,
    ck::CKA_EXPONENT_2,
    ck::CKA_COEFFICIENT,
];

/// The components paired with their attributes (see [`RSA_PRIVATE_ATTRS`]).
pub fn rsa_attr_values(c: &crypto::RsaComponents) -> [(u64, &Vec<u8>); 8] {
    let v = [&c.n, &c.e, &c.d, &c.p, &c.q, &c.dp, &c.dq, &c.qinv];
    std::array::from_fn(|i| (RSA_PRIVATE_ATTRS[i], v[i]))
}

/// The RSA private key held in a private-key object.
pub fn rsa_private(obj: &Object) -> Result<crypto::RsaPrivateKey> {
    check_key(obj, ck::CKO_PRIVATE_KEY, &[ck::CKK_RSA])?;
    // n, e and d are required; the CRT values may be absent (empty).
    for ty in &RSA_PRIVATE_ATTRS[..3] {
        need(obj, *ty)?;
    }
    let [n, e, d, p, q, dp, dq, qinv] = RSA_PRIVATE_ATTRS.map(|ty| obj.get(ty).unwrap_or_default().to_vec());
    let c = crypto::RsaComponents {
        n,
        e,
        d,
        p,
        q,
        dp,
        dq,
        qinv,
    };
    crypto::RsaPrivateKey::from_components(&c).map_err(|e| map_crypto(e, Ctx::Sign))
}

/// The RSA public key of a public- or private-key object.
pub fn rsa_public(obj: &Object) -> Result<crypto::RsaPublicKey> {
    if obj.key_type() != Some(ck::CKK_RSA) {
        return Err(Error::KeyTypeInconsistent);
    }
    crypto::RsaPublicKey::from_components(need(obj, ck::CKA_MODULUS)?, need(obj, ck::CKA_PUBLIC_EXPONENT)?)
        .map_err(|e| map_crypto(e, Ctx::Verify))
}

/// DER `PrintableString "edwards25519"` and the id-Ed25519 OID, the two forms of
/// `CKA_EC_PARAMS` PKCS#11 3.0 allows for Ed25519.
pub const ED25519_PARAMS_NAME: &[u8] = b"\x13\x0cedwards25519";
pub const ED25519_PARAMS_OID: &[u8] = &[0x06, 0x03, 0x2B, 0x65, 0x70];

/// DER `PrintableString "curve25519"` and the id-X25519 OID: the forms of `CKA_EC_PARAMS`
/// for X25519 keys.
pub const X25519_PARAMS_NAME: &[u8] = b"\x13\x0acurve25519";
pub const X25519_PARAMS_OID: &[u8] = &[0x06, 0x03, 0x2B, 0x65, 0x6E];

/// Whether `params` names X25519.
pub fn is_x25519_params(params: &[u8]) -> bool {
    params == X25519_PARAMS_NAME || params == X25519_PARAMS_OID
}

/// Whether `params` names Ed25519.
pub fn is_ed25519_params(params: &[u8]) -> bool {
    params == ED25519_PARAMS_NAME || params == ED25519_PARAMS_OID
}

/// The curve `CKA_EC_PARAMS` names.
pub fn curve_of(obj: &Object) -> Result<crypto::Curve> {
    crypto::Curve::from_oid_der(need(obj, ck::CKA_EC_PARAMS)?).ok_or(Error::CurveNotSupported)
}

pub use crate::der::{octet_string as der_octet_string, octet_string_inner as der_octet_string_inner};

/// The raw public point of an EC or Edwards public key object (DER or raw `CKA_EC_POINT`).
pub fn ec_point(obj: &Object) -> Result<Vec<u8>> {
    let p = need(obj, ck::CKA_EC_POINT)?;
    Ok(der_octet_string_inner(p).unwrap_or(p).to_vec())
}

fn secret_value(obj: &Object) -> Result<&[u8]> {
    need(obj, ck::CKA_VALUE)
}

fn aes_key(obj: &Object, mech: u64) -> Result<Zeroizing<Vec<u8>>> {
    check_key(obj, ck::CKO_SECRET_KEY, &[ck::CKK_AES])?;
    let v = secret_value(obj)?;
    check_size(mech, v.len() as u64)?;
    Ok(Zeroizing::new(v.to_vec()))
}

/// A multi-part encryption or decryption.
pub trait CipherOp: Send {
    fn update(&mut self, input: &[u8]) -> Result<Vec<u8>>;
    fn finish(&mut self) -> Result<Vec<u8>>;
    /// An upper bound on what `update(n more bytes)` followed by `finish()` can produce.
    fn out_bound(&self, more: usize) -> usize;
}

/// A multi-part signature or MAC.
pub trait SignOp: Send {
    fn update(&mut self, data: &[u8]) -> Result<()>;
    fn finish(&mut self) -> Result<Vec<u8>>;
    /// The signature length.
    fn sig_len(&self) -> usize;
}

/// A multi-part verification.
pub trait VerifyOp: Send {
    fn update(&mut self, data: &[u8]) -> Result<()>;
    fn finish(&mut self, signature: &[u8]) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::cipher::{pkcs7_pad, pkcs7_unpad};
    use super::*;
    use zeroize::Zeroizing;

    #[test]
    fn pkcs7_padding() {
        let p = pkcs7_pad(b"12345678", 8);
        assert_eq!(p.len(), 16);
        assert_eq!(pkcs7_unpad(p, 8).unwrap(), b"12345678");
        assert_eq!(
            pkcs7_unpad(Zeroizing::new(vec![1, 2, 3, 4, 5, 6, 7, 9]), 8).unwrap_err(),
            Error::EncryptedDataInvalid
        );
    }

    #[test]
    fn crypto_error_mapping_depends_on_the_function() {
        assert_eq!(
            map_crypto(CryptoError::DataLenRange, Ctx::Decrypt),
            Error::EncryptedDataLenRange
        );
        assert_eq!(
            map_crypto(CryptoError::DataLenRange, Ctx::Encrypt),
            Error::DataLenRange
        );
        assert_eq!(
            map_crypto(CryptoError::DecryptFailed, Ctx::Decrypt),
            Error::EncryptedDataInvalid
        );
        assert_eq!(
            map_crypto(CryptoError::SignatureInvalid, Ctx::Verify),
            Error::SignatureInvalid
        );
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    #[test]
    fn the_key_cache_is_addressed_by_key_material() {
        let k = crypto::RsaPrivateKey::generate(2048, &[1, 0, 1]).unwrap();
        let c = k.components();
        let obj = |c: &crypto::RsaComponents| {
            let mut o = Object::default();
            o.set_ulong(ck::CKA_CLASS, ck::CKO_PRIVATE_KEY);
            o.set_ulong(ck::CKA_KEY_TYPE, ck::CKK_RSA);
            for (ty, v) in rsa_attr_values(c) {
                o.set(ty, v.clone());
            }
            o
        };
        let cache = KeyCache::default();
        let a = cache.rsa(&obj(&c)).unwrap();
        let b = cache.rsa(&obj(&c)).unwrap();
        assert!(std::sync::Arc::ptr_eq(&a, &b), "same material, same parsed key");
        let other = crypto::RsaPrivateKey::generate(2048, &[1, 0, 1])
            .unwrap()
            .components();
        let d = cache.rsa(&obj(&other)).unwrap();
        assert!(!std::sync::Arc::ptr_eq(&a, &d));
        assert_eq!(d.components().n, other.n);
    }
}
