//! Digest, signature, MAC and verification operations.

use super::cipher::left_pad;
use super::{
    aes_key, check_key, check_size, curve_of, ec_point, hash_of, hash_of_mgf, hmac_hash, is_general,
    map_crypto, rsa_public, secret_value, Ctx, KeyCache, SignOp, VerifyOp, MAX_BUFFERED_INPUT,
};
use crate::crypto::{self, AesCmac, CryptoError, Hash, Hmac};
use crate::error::{Error, Result};
use crate::mechanism::{Mechanism, Param};
use crate::object::Object;
use cryptoki_sys as ck;
use std::sync::Arc;
use zeroize::Zeroizing;

struct Digesting {
    d: crypto::Digest,
}

/// A multi-part digest.
pub struct DigestOp {
    d: Digesting,
    hash: Hash,
}

impl DigestOp {
    pub fn new(m: &Mechanism) -> Result<Self> {
        if m.param != Param::None {
            return Err(Error::MechanismParamInvalid);
        }
        let hash = hash_of(m.mech).ok_or(Error::MechanismInvalid)?;
        Ok(DigestOp {
            d: Digesting {
                d: crypto::Digest::new(hash),
            },
            hash,
        })
    }
    pub fn update(&mut self, data: &[u8]) {
        self.d.d.update(data);
    }
    /// The digest of everything so far (the operation itself is left as it was).
    pub fn finish(&mut self) -> Vec<u8> {
        self.d.d.clone().finish()
    }
    pub fn len(&self) -> usize {
        self.hash.len()
    }
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// How a signature mechanism treats its input before the key is used.
enum Pre {
    /// The caller's bytes are signed as they are (bounded).
    Raw(Zeroizing<Vec<u8>>, usize),
    /// The input is hashed.
    Hashed(crypto::Digest),
}

impl Pre {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        match self {
            Pre::Raw(buf, max) => {
                if buf.len() + data.len() > *max {
                    return Err(Error::DataLenRange);
                }
                buf.extend_from_slice(data);
            }
            Pre::Hashed(d) => d.update(data),
        }
        Ok(())
    }
    fn take(&mut self) -> Zeroizing<Vec<u8>> {
        match std::mem::replace(self, Pre::Raw(Zeroizing::new(Vec::new()), 0)) {
            Pre::Raw(b, _) => b,
            Pre::Hashed(d) => Zeroizing::new(d.finish()),
        }
    }
}

enum SigKey {
    RsaRaw(Arc<crypto::RsaPrivateKey>),
    RsaPkcs1(Arc<crypto::RsaPrivateKey>, Option<Hash>),
    RsaPss(Arc<crypto::RsaPrivateKey>, Hash, Hash, usize),
    Ecdsa(Arc<crypto::EcPrivateKey>),
    Dsa(crypto::DsaParams, Zeroizing<Vec<u8>>),
    Ed25519(Zeroizing<Vec<u8>>),
    Hmac(Box<Hmac>),
    Cmac(AesCmac),
}

enum VerKey {
    RsaRaw(crypto::RsaPublicKey),
    RsaPkcs1(crypto::RsaPublicKey, Option<Hash>),
    RsaPss(crypto::RsaPublicKey, Hash, Hash, usize),
    Ecdsa(crypto::EcPublicKey),
    Dsa(crypto::DsaParams, Vec<u8>),
    Ed25519(Vec<u8>),
    Mac(Box<dyn SignOp>),
}

struct Signer {
    pre: Pre,
    key: Option<SigKey>,
    len: usize,
}

fn with_prefix(h: Option<Hash>, digest: &[u8]) -> Vec<u8> {
    match h {
        Some(h) => {
            let mut v = h.digest_info_prefix().to_vec();
            v.extend_from_slice(digest);
            v
        }
        None => digest.to_vec(),
    }
}

impl SignOp for Signer {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        match self.key.as_mut() {
            Some(SigKey::Hmac(h)) => {
                h.update(data);
                Ok(())
            }
            Some(SigKey::Cmac(c)) => c.update(data).map_err(|e| map_crypto(e, Ctx::Sign)),
            _ => self.pre.update(data),
        }
    }
    fn finish(&mut self) -> Result<Vec<u8>> {
        let key = self.key.take().ok_or(Error::OperationNotInitialized)?;
        let input = self.pre.take();
        let r = match key {
            SigKey::RsaRaw(k) => {
                let n = k.size();
                k.raw_private(&left_pad(&input, n)).map(|v| v.to_vec())
            }
            SigKey::RsaPkcs1(k, h) => k.sign_pkcs1_raw(&with_prefix(h, &input)),
            SigKey::RsaPss(k, h, mgf, salt) => {
                if input.len() != h.len() {
                    return Err(Error::DataLenRange);
                }
                k.sign_pss(&input, h, mgf, salt)
            }
            SigKey::Ecdsa(k) => k.sign_digest(&input),
            SigKey::Dsa(p, x) => crypto::dsa_sign_digest(&p, &x, &input),
            SigKey::Ed25519(seed) => crypto::ed25519_sign(&seed, &input).map(|s| s.to_vec()),
            SigKey::Hmac(h) => Ok((*h).finish()),
            SigKey::Cmac(c) => c.finish().map(|t| t.to_vec()),
        };
        // `_GENERAL` MACs are truncated; every other output already has exactly `len` bytes.
        let r = r.map(|mut v| {
            v.truncate(self.len);
            v
        });
        r.map_err(|e| map_crypto(e, Ctx::Sign))
    }
    fn sig_len(&self) -> usize {
        self.len
    }
}

struct Verifier {
    pre: Pre,
    key: Option<VerKey>,
}

impl VerifyOp for Verifier {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        match self.key.as_mut() {
            Some(VerKey::Mac(m)) => m.update(data),
            _ => self.pre.update(data),
        }
    }
    fn finish(&mut self, sig: &[u8]) -> Result<()> {
        let key = self.key.take().ok_or(Error::OperationNotInitialized)?;
        let input = self.pre.take();
        let r = match key {
            VerKey::RsaRaw(k) => {
                if sig.len() != k.size() {
                    return Err(Error::SignatureLenRange);
                }
                let want = left_pad(&input, k.size());
                match k.raw_public(sig) {
                    Ok(got) if crypto::ct_eq(&got, &want) => Ok(()),
                    Ok(_) => Err(CryptoError::SignatureInvalid),
                    Err(CryptoError::InvalidInput) => Err(CryptoError::SignatureInvalid),
                    Err(e) => Err(e),
                }
            }
            VerKey::RsaPkcs1(k, h) => {
                if sig.len() != k.size() {
                    return Err(Error::SignatureLenRange);
                }
                k.verify_pkcs1_raw(&with_prefix(h, &input), sig)
            }
            VerKey::RsaPss(k, h, mgf, salt) => {
                if input.len() != h.len() {
                    return Err(Error::DataLenRange);
                }
                if sig.len() != k.size() {
                    return Err(Error::SignatureLenRange);
                }
                k.verify_pss(&input, h, mgf, salt, sig)
            }
            VerKey::Ecdsa(k) => k.verify_digest(&input, sig),
            VerKey::Dsa(p, y) => crypto::dsa_verify_digest(&p, &y, &input, sig),
            VerKey::Ed25519(pk) => {
                if sig.len() != 64 {
                    return Err(Error::SignatureLenRange);
                }
                crypto::ed25519_verify(&pk, &input, sig)
            }
            VerKey::Mac(mut m) => {
                let mine = m.finish()?;
                if sig.len() != mine.len() {
                    return Err(Error::SignatureLenRange);
                }
                if crypto::ct_eq(&mine, sig) {
                    Ok(())
                } else {
                    Err(CryptoError::SignatureInvalid)
                }
            }
        };
        r.map_err(|e| map_crypto(e, Ctx::Verify))
    }
}

/// The digest a `CKM_SHAx_RSA_PKCS`, `_PSS` or `CKM_ECDSA_SHAx` mechanism applies.
fn sig_hash(mech: u64) -> Option<Hash> {
    Some(match mech {
        ck::CKM_MD5_RSA_PKCS => Hash::Md5,
        ck::CKM_DSA_SHA1 => Hash::Sha1,
        ck::CKM_DSA_SHA224 => Hash::Sha224,
        ck::CKM_DSA_SHA256 => Hash::Sha256,
        ck::CKM_DSA_SHA384 => Hash::Sha384,
        ck::CKM_DSA_SHA512 => Hash::Sha512,
        ck::CKM_SHA1_RSA_PKCS | ck::CKM_SHA1_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA1 => Hash::Sha1,
        ck::CKM_SHA224_RSA_PKCS | ck::CKM_SHA224_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA224 => Hash::Sha224,
        ck::CKM_SHA256_RSA_PKCS | ck::CKM_SHA256_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA256 => Hash::Sha256,
        ck::CKM_SHA384_RSA_PKCS | ck::CKM_SHA384_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA384 => Hash::Sha384,
        ck::CKM_SHA512_RSA_PKCS | ck::CKM_SHA512_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA512 => Hash::Sha512,
        ck::CKM_SHA3_224_RSA_PKCS | ck::CKM_SHA3_224_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA3_224 => Hash::Sha3_224,
        ck::CKM_SHA3_256_RSA_PKCS | ck::CKM_SHA3_256_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA3_256 => Hash::Sha3_256,
        ck::CKM_SHA3_384_RSA_PKCS | ck::CKM_SHA3_384_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA3_384 => Hash::Sha3_384,
        ck::CKM_SHA3_512_RSA_PKCS | ck::CKM_SHA3_512_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA3_512 => Hash::Sha3_512,
        _ => return None,
    })
}

/// RSA PKCS#1 v1.5 signature mechanisms (raw over a DigestInfo, or hashing).
fn is_rsa_pkcs1(mech: u64) -> bool {
    matches!(
        mech,
        ck::CKM_RSA_PKCS
            | ck::CKM_MD5_RSA_PKCS
            | ck::CKM_SHA1_RSA_PKCS
            | ck::CKM_SHA224_RSA_PKCS
            | ck::CKM_SHA256_RSA_PKCS
            | ck::CKM_SHA384_RSA_PKCS
            | ck::CKM_SHA512_RSA_PKCS
            | ck::CKM_SHA3_224_RSA_PKCS
            | ck::CKM_SHA3_256_RSA_PKCS
            | ck::CKM_SHA3_384_RSA_PKCS
            | ck::CKM_SHA3_512_RSA_PKCS
    )
}

/// RSA-PSS signature mechanisms.
fn is_rsa_pss(mech: u64) -> bool {
    matches!(
        mech,
        ck::CKM_RSA_PKCS_PSS
            | ck::CKM_SHA1_RSA_PKCS_PSS
            | ck::CKM_SHA224_RSA_PKCS_PSS
            | ck::CKM_SHA256_RSA_PKCS_PSS
            | ck::CKM_SHA384_RSA_PKCS_PSS
            | ck::CKM_SHA512_RSA_PKCS_PSS
            | ck::CKM_SHA3_224_RSA_PKCS_PSS
            | ck::CKM_SHA3_256_RSA_PKCS_PSS
            | ck::CKM_SHA3_384_RSA_PKCS_PSS
            | ck::CKM_SHA3_512_RSA_PKCS_PSS
    )
}

/// DSA mechanisms.
fn is_dsa(mech: u64) -> bool {
    matches!(
        mech,
        ck::CKM_DSA
            | ck::CKM_DSA_SHA1
            | ck::CKM_DSA_SHA224
            | ck::CKM_DSA_SHA256
            | ck::CKM_DSA_SHA384
            | ck::CKM_DSA_SHA512
    )
}

/// The domain parameters a DSA key object carries.
fn dsa_params(key: &Object) -> Result<crypto::DsaParams> {
    let get = |ty| key.get(ty).map(<[u8]>::to_vec).ok_or(Error::KeyTypeInconsistent);
    Ok(crypto::DsaParams {
        p: get(ck::CKA_PRIME)?,
        q: get(ck::CKA_SUBPRIME)?,
        g: get(ck::CKA_BASE)?,
    })
}

/// ECDSA mechanisms.
fn is_ecdsa(mech: u64) -> bool {
    matches!(
        mech,
        ck::CKM_ECDSA
            | ck::CKM_ECDSA_SHA1
            | ck::CKM_ECDSA_SHA224
            | ck::CKM_ECDSA_SHA256
            | ck::CKM_ECDSA_SHA384
            | ck::CKM_ECDSA_SHA512
            | ck::CKM_ECDSA_SHA3_224
            | ck::CKM_ECDSA_SHA3_256
            | ck::CKM_ECDSA_SHA3_384
            | ck::CKM_ECDSA_SHA3_512
    )
}

/// Whether `mech` is a MAC mechanism (HMAC or CMAC, full or `_GENERAL`).
fn is_mac(mech: u64) -> bool {
    hmac_hash(mech).is_some() || matches!(mech, ck::CKM_AES_CMAC | ck::CKM_AES_CMAC_GENERAL)
}

fn pss_params(m: &Mechanism, fixed: Option<Hash>) -> Result<(Hash, Hash, usize)> {
    let Param::Pss { hash, mgf, salt_len } = &m.param else {
        return Err(Error::MechanismParamInvalid);
    };
    let h = hash_of(*hash).ok_or(Error::MechanismParamInvalid)?;
    let g = hash_of_mgf(*mgf).ok_or(Error::MechanismParamInvalid)?;
    if fixed.is_some_and(|f| f != h) || *salt_len > 1024 {
        log::info!("PSS parameters do not match the mechanism");
        return Err(Error::MechanismParamInvalid);
    }
    Ok((h, g, *salt_len as usize))
}

fn pre_for(mech: u64, raw_max: usize) -> Pre {
    match sig_hash(mech) {
        Some(h) => Pre::Hashed(crypto::Digest::new(h)),
        None => Pre::Raw(Zeroizing::new(Vec::new()), raw_max),
    }
}

fn mac_key(m: &Mechanism, key: &Object) -> Result<SigKey> {
    if let Some(h) = hmac_hash(m.mech) {
        check_key(key, ck::CKO_SECRET_KEY, crate::attr::HMAC_KEY_TYPES)?;
        return Ok(SigKey::Hmac(Box::new(Hmac::new(h, secret_value(key)?))));
    }
    if matches!(m.mech, ck::CKM_AES_CMAC | ck::CKM_AES_CMAC_GENERAL) {
        let k = aes_key(key, m.mech)?;
        return AesCmac::new(&k)
            .map(SigKey::Cmac)
            .map_err(|e| map_crypto(e, Ctx::Sign));
    }
    Err(Error::MechanismInvalid)
}

/// The MAC's output length: the full length, or the `_GENERAL` parameter (1..=full).
fn mac_len(m: &Mechanism) -> Result<usize> {
    let full = hmac_hash(m.mech).map_or(16, Hash::len);
    match (&m.param, is_general(m.mech)) {
        (Param::None, false) => Ok(full),
        (Param::MacLen(n), true) if (1..=full as u64).contains(n) => Ok(*n as usize),
        _ => {
            log::info!("MAC length parameter missing or outside 1..={full}");
            Err(Error::MechanismParamInvalid)
        }
    }
}

/// Starts a signature (or MAC) with `key`.
pub fn signer(m: &Mechanism, key: &Object, cache: &KeyCache) -> Result<Box<dyn SignOp>> {
    let mech = m.mech;
    if is_mac(mech) {
        let len = mac_len(m)?;
        let k = mac_key(m, key)?;
        return Ok(Box::new(Signer {
            pre: Pre::Raw(Zeroizing::new(Vec::new()), 0),
            key: Some(k),
            len,
        }));
    }
    match mech {
        ck::CKM_RSA_X_509 => {
            if m.param != Param::None {
                return Err(Error::MechanismParamInvalid);
            }
            let k = cache.rsa(key)?;
            check_size(mech, k.bits() as u64)?;
            let len = k.size();
            Ok(Box::new(Signer {
                pre: pre_for(mech, len),
                key: Some(SigKey::RsaRaw(k)),
                len,
            }))
        }
        x if is_rsa_pkcs1(x) || is_rsa_pss(x) => {
            let k = cache.rsa(key)?;
            check_size(mech, k.bits() as u64)?;
            let len = k.size();
            let pss = is_rsa_pss(mech);
            let key = if pss {
                let (h, g, s) = pss_params(m, sig_hash(mech))?;
                SigKey::RsaPss(k, h, g, s)
            } else {
                if m.param != Param::None {
                    return Err(Error::MechanismParamInvalid);
                }
                SigKey::RsaPkcs1(k, sig_hash(mech))
            };
            Ok(Box::new(Signer {
                pre: pre_for(mech, len),
                key: Some(key),
                len,
            }))
        }
        x if is_dsa(x) => {
            check_key(key, ck::CKO_PRIVATE_KEY, &[ck::CKK_DSA])?;
            let p = dsa_params(key)?;
            let len = 2 * p.q.iter().skip_while(|b| **b == 0).count();
            let x = Zeroizing::new(secret_value(key)?.to_vec());
            Ok(Box::new(Signer {
                pre: pre_for(mech, 64),
                key: Some(SigKey::Dsa(p, x)),
                len,
            }))
        }
        x if is_ecdsa(x) => {
            let k = cache.ec(key)?;
            let len = 2 * k.curve().order_len();
            Ok(Box::new(Signer {
                pre: pre_for(mech, 1024),
                key: Some(SigKey::Ecdsa(k)),
                len,
            }))
        }
        ck::CKM_EDDSA => {
            check_key(key, ck::CKO_PRIVATE_KEY, &[ck::CKK_EC_EDWARDS])?;
            check_eddsa_param(&m.param)?;
            let seed = Zeroizing::new(secret_value(key)?.to_vec());
            Ok(Box::new(Signer {
                pre: Pre::Raw(Zeroizing::new(Vec::new()), MAX_BUFFERED_INPUT),
                key: Some(SigKey::Ed25519(seed)),
                len: 64,
            }))
        }
        _ => Err(Error::MechanismInvalid),
    }
}

fn check_eddsa_param(p: &Param) -> Result<()> {
    match p {
        Param::None => Ok(()),
        Param::Eddsa {
            prehash: false,
            context: None,
        } => Ok(()),
        _ => {
            log::info!("only pure Ed25519 (no prehash, no context) is supported");
            Err(Error::MechanismParamInvalid)
        }
    }
}

/// Starts a verification with `key` (a public key, or the secret key of a MAC).
pub fn verifier(m: &Mechanism, key: &Object) -> Result<Box<dyn VerifyOp>> {
    let mech = m.mech;
    if is_mac(mech) {
        let len = mac_len(m)?;
        let k = mac_key(m, key)?;
        let s: Box<dyn SignOp> = Box::new(Signer {
            pre: Pre::Raw(Zeroizing::new(Vec::new()), 0),
            key: Some(k),
            len,
        });
        return Ok(Box::new(Verifier {
            pre: Pre::Raw(Zeroizing::new(Vec::new()), 0),
            key: Some(VerKey::Mac(s)),
        }));
    }
    if key.class() != Some(ck::CKO_PUBLIC_KEY) {
        return Err(Error::KeyTypeInconsistent);
    }
    match mech {
        ck::CKM_RSA_X_509 => {
            if m.param != Param::None {
                return Err(Error::MechanismParamInvalid);
            }
            let k = rsa_public(key)?;
            check_size(mech, k.bits() as u64)?;
            let len = k.size();
            Ok(Box::new(Verifier {
                pre: pre_for(mech, len),
                key: Some(VerKey::RsaRaw(k)),
            }))
        }
        x if is_rsa_pkcs1(x) || is_rsa_pss(x) => {
            let k = rsa_public(key)?;
            check_size(mech, k.bits() as u64)?;
            let len = k.size();
            let pss = is_rsa_pss(mech);
            let key = if pss {
                let (h, g, s) = pss_params(m, sig_hash(mech))?;
                VerKey::RsaPss(k, h, g, s)
            } else {
                if m.param != Param::None {
                    return Err(Error::MechanismParamInvalid);
                }
                VerKey::RsaPkcs1(k, sig_hash(mech))
            };
            Ok(Box::new(Verifier {
                pre: pre_for(mech, len),
                key: Some(key),
            }))
        }
        x if is_dsa(x) => {
            if key.key_type() != Some(ck::CKK_DSA) {
                return Err(Error::KeyTypeInconsistent);
            }
            let y = secret_value(key)?.to_vec();
            Ok(Box::new(Verifier {
                pre: pre_for(mech, 64),
                key: Some(VerKey::Dsa(dsa_params(key)?, y)),
            }))
        }
        x if is_ecdsa(x) => {
            if key.key_type() != Some(ck::CKK_EC) {
                return Err(Error::KeyTypeInconsistent);
            }
            let curve = curve_of(key)?;
            let k = crypto::EcPublicKey::from_point(curve, &ec_point(key)?)
                .map_err(|e| map_crypto(e, Ctx::Verify))?;
            Ok(Box::new(Verifier {
                pre: pre_for(mech, 1024),
                key: Some(VerKey::Ecdsa(k)),
            }))
        }
        ck::CKM_EDDSA => {
            if key.key_type() != Some(ck::CKK_EC_EDWARDS) {
                return Err(Error::KeyTypeInconsistent);
            }
            check_eddsa_param(&m.param)?;
            Ok(Box::new(Verifier {
                pre: Pre::Raw(Zeroizing::new(Vec::new()), MAX_BUFFERED_INPUT),
                key: Some(VerKey::Ed25519(ec_point(key)?)),
            }))
        }
        _ => Err(Error::MechanismInvalid),
    }
}
