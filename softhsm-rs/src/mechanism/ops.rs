//! Operations: a mechanism bound to a key, for encrypt/decrypt, sign/verify and digest.
//!
//! Each constructor checks that the key's type and size fit the mechanism and that its
//! parameters are valid, then returns a boxed operation the session keeps until the final call.

use super::{info, Mechanism, Param};
use crate::crypto::{self, AesCipher, AesCmac, AesGcm, AesMode, CryptoError, Hash, Hmac};
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
        _ => return None,
    })
}

/// The hash an MGF1 identifier (`CKG_MGF1_SHA256`, ...) names.
pub fn hash_of_mgf(mgf: u64) -> Option<Hash> {
    Some(match mgf {
        ck::CKG_MGF1_SHA1 => Hash::Sha1,
        ck::CKG_MGF1_SHA224 => Hash::Sha224,
        ck::CKG_MGF1_SHA256 => Hash::Sha256,
        ck::CKG_MGF1_SHA384 => Hash::Sha384,
        ck::CKG_MGF1_SHA512 => Hash::Sha512,
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

/// The RSA private key held in a private-key object.
pub fn rsa_private(obj: &Object) -> Result<crypto::RsaPrivateKey> {
    check_key(obj, ck::CKO_PRIVATE_KEY, &[ck::CKK_RSA])?;
    let c = crypto::RsaComponents {
        n: need(obj, ck::CKA_MODULUS)?.to_vec(),
        e: need(obj, ck::CKA_PUBLIC_EXPONENT)?.to_vec(),
        d: need(obj, ck::CKA_PRIVATE_EXPONENT)?.to_vec(),
        p: obj.get(ck::CKA_PRIME_1).unwrap_or_default().to_vec(),
        q: obj.get(ck::CKA_PRIME_2).unwrap_or_default().to_vec(),
        dp: obj.get(ck::CKA_EXPONENT_1).unwrap_or_default().to_vec(),
        dq: obj.get(ck::CKA_EXPONENT_2).unwrap_or_default().to_vec(),
        qinv: obj.get(ck::CKA_COEFFICIENT).unwrap_or_default().to_vec(),
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

/// Whether `params` names Ed25519.
pub fn is_ed25519_params(params: &[u8]) -> bool {
    params == ED25519_PARAMS_NAME || params == ED25519_PARAMS_OID
}

/// The curve `CKA_EC_PARAMS` names.
pub fn curve_of(obj: &Object) -> Result<crypto::Curve> {
    crypto::Curve::from_oid_der(need(obj, ck::CKA_EC_PARAMS)?).ok_or(Error::CurveNotSupported)
}

/// Wraps a point in a DER OCTET STRING, the form of `CKA_EC_POINT`.
pub fn der_octet_string(v: &[u8]) -> Vec<u8> {
    let mut out = vec![0x04];
    let n = v.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(v);
    out
}

/// Reads a DER OCTET STRING (definite length, minimal encoding, nothing after it).
pub fn der_octet_string_inner(v: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = v.split_first()?;
    if tag != 0x04 {
        return None;
    }
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 < 0x80 {
        (l0 as usize, rest)
    } else {
        let n = (l0 & 0x7F) as usize;
        if n == 0 || n > 4 || rest.len() < n || rest[0] == 0 {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
        if len < 0x80 {
            return None;
        }
        (len, &rest[n..])
    };
    (rest.len() == len).then_some(rest)
}

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

struct Aes {
    c: AesCipher,
    held: usize,
    grow: usize,
    ctx: Ctx,
}

impl CipherOp for Aes {
    fn update(&mut self, input: &[u8]) -> Result<Vec<u8>> {
        let out = self.c.update(input).map_err(|e| map_crypto(e, self.ctx))?;
        self.held = (self.held + input.len()).saturating_sub(out.len());
        Ok(out)
    }
    fn finish(&mut self) -> Result<Vec<u8>> {
        let out = self.c.finish().map_err(|e| map_crypto(e, self.ctx))?;
        self.held = 0;
        Ok(out)
    }
    fn out_bound(&self, more: usize) -> usize {
        self.held + more + self.grow
    }
}

struct Gcm {
    c: AesGcm,
    held: usize,
    tag: usize,
    encrypt: bool,
}

impl CipherOp for Gcm {
    fn update(&mut self, input: &[u8]) -> Result<Vec<u8>> {
        let ctx = if self.encrypt { Ctx::Encrypt } else { Ctx::Decrypt };
        let out = self.c.update(input).map_err(|e| map_crypto(e, ctx))?;
        self.held = (self.held + input.len()).saturating_sub(out.len());
        Ok(out)
    }
    fn finish(&mut self) -> Result<Vec<u8>> {
        let ctx = if self.encrypt { Ctx::Encrypt } else { Ctx::Decrypt };
        let out = self.c.finish().map_err(|e| map_crypto(e, ctx))?;
        self.held = 0;
        Ok(out)
    }
    fn out_bound(&self, more: usize) -> usize {
        self.held + more + if self.encrypt { self.tag } else { 0 }
    }
}

/// A single-part operation that collects its input and works at `finish`.
struct Buffered<F: FnMut(&[u8]) -> Result<Vec<u8>> + Send> {
    data: Zeroizing<Vec<u8>>,
    max_in: usize,
    bound: Box<dyn Fn(usize) -> usize + Send>,
    run: F,
    ctx: Ctx,
}

impl<F: FnMut(&[u8]) -> Result<Vec<u8>> + Send> CipherOp for Buffered<F> {
    fn update(&mut self, input: &[u8]) -> Result<Vec<u8>> {
        if self.data.len() + input.len() > self.max_in {
            return Err(match self.ctx {
                Ctx::Decrypt => Error::EncryptedDataLenRange,
                _ => Error::DataLenRange,
            });
        }
        self.data.extend_from_slice(input);
        Ok(Vec::new())
    }
    fn finish(&mut self) -> Result<Vec<u8>> {
        let data = std::mem::take(&mut self.data);
        (self.run)(&data)
    }
    fn out_bound(&self, more: usize) -> usize {
        (self.bound)(self.data.len() + more)
    }
}

fn buffered<F: FnMut(&[u8]) -> Result<Vec<u8>> + Send + 'static>(
    max_in: usize,
    bound: impl Fn(usize) -> usize + Send + 'static,
    ctx: Ctx,
    run: F,
) -> Box<dyn CipherOp> {
    Box::new(Buffered {
        data: Zeroizing::new(Vec::new()),
        max_in,
        bound: Box::new(bound),
        run,
        ctx,
    })
}

fn iv16(param: &Param) -> Result<[u8; 16]> {
    match param {
        Param::Iv(iv) if iv.len() == 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(iv);
            Ok(a)
        }
        _ => {
            log::info!("AES mode needs a 16-byte IV");
            Err(Error::MechanismParamInvalid)
        }
    }
}

fn oaep_params(param: &Param) -> Result<(Hash, Hash, Vec<u8>)> {
    match param {
        Param::Oaep { hash, mgf, source } => {
            let h = hash_of(*hash).ok_or(Error::MechanismParamInvalid)?;
            let m = hash_of_mgf(*mgf).ok_or(Error::MechanismParamInvalid)?;
            Ok((h, m, source.clone()))
        }
        _ => Err(Error::MechanismParamInvalid),
    }
}

/// Which RFC 3394 padding `CKM_AES_KEY_WRAP_PAD` uses (see `config::WrapPadMode`).
pub use crate::config::WrapPadMode;

fn pkcs7_pad(data: &[u8], block: usize) -> Zeroizing<Vec<u8>> {
    let n = block - data.len() % block;
    let mut v = Zeroizing::new(Vec::with_capacity(data.len() + n));
    v.extend_from_slice(data);
    v.extend(std::iter::repeat(n as u8).take(n));
    v
}

fn pkcs7_unpad(mut v: Zeroizing<Vec<u8>>, block: usize) -> Result<Vec<u8>> {
    let n = *v.last().ok_or(Error::EncryptedDataInvalid)? as usize;
    if n == 0 || n > block || n > v.len() || !v[v.len() - n..].iter().all(|b| *b as usize == n) {
        return Err(Error::EncryptedDataInvalid);
    }
    let keep = v.len() - n;
    v.truncate(keep);
    Ok(v.to_vec())
}

/// Starts an encryption (`encrypt = true`) or decryption with `key`.
pub fn cipher(
    m: &Mechanism,
    key: &Object,
    encrypt: bool,
    wrap_pad: WrapPadMode,
) -> Result<Box<dyn CipherOp>> {
    let ctx = if encrypt { Ctx::Encrypt } else { Ctx::Decrypt };
    let mech = m.mech;
    match mech {
        ck::CKM_AES_ECB | ck::CKM_AES_CBC | ck::CKM_AES_CBC_PAD | ck::CKM_AES_CTR => {
            let k = aes_key(key, mech)?;
            let (mode, iv, pad) = match (mech, &m.param) {
                (ck::CKM_AES_ECB, Param::None) => (AesMode::Ecb, Vec::new(), false),
                (ck::CKM_AES_ECB, _) => return Err(Error::MechanismParamInvalid),
                (ck::CKM_AES_CBC, p) => (AesMode::Cbc, iv16(p)?.to_vec(), false),
                (ck::CKM_AES_CBC_PAD, p) => (AesMode::Cbc, iv16(p)?.to_vec(), true),
                (_, Param::Ctr { counter_bits, cb }) => {
                    if *counter_bits == 0 || *counter_bits > 128 {
                        return Err(Error::MechanismParamInvalid);
                    }
                    (AesMode::Ctr, cb.to_vec(), false)
                }
                _ => return Err(Error::MechanismParamInvalid),
            };
            let c = AesCipher::new(mode, &k, &iv, encrypt, pad).map_err(|e| map_crypto(e, ctx))?;
            Ok(Box::new(Aes {
                c,
                held: 0,
                grow: if pad && encrypt { 16 } else { 0 },
                ctx,
            }))
        }
        ck::CKM_AES_GCM => {
            let k = aes_key(key, mech)?;
            let Param::Gcm { iv, aad, tag_bits } = &m.param else {
                return Err(Error::MechanismParamInvalid);
            };
            if iv.is_empty() || iv.len() > 256 || tag_bits % 8 != 0 || !(32..=128).contains(tag_bits) {
                log::info!("AES-GCM parameters out of range");
                return Err(Error::MechanismParamInvalid);
            }
            let tag = (*tag_bits / 8) as usize;
            let c = AesGcm::new(&k, iv, aad, tag, encrypt).map_err(|e| map_crypto(e, ctx))?;
            Ok(Box::new(Gcm {
                c,
                held: 0,
                tag,
                encrypt,
            }))
        }
        ck::CKM_AES_KEY_WRAP | ck::CKM_AES_KEY_WRAP_PAD | ck::CKM_AES_KEY_WRAP_KWP => {
            let k = aes_key(key, mech)?;
            match &m.param {
                Param::None => {}
                Param::Iv(iv) if iv.is_empty() => {}
                _ => {
                    log::info!("AES key wrap with a caller IV is not supported");
                    return Err(Error::MechanismParamInvalid);
                }
            }
            let kind = match (mech, wrap_pad) {
                (ck::CKM_AES_KEY_WRAP, _) => 0,
                (ck::CKM_AES_KEY_WRAP_PAD, WrapPadMode::Pkcs7) => 1,
                _ => 2,
            };
            Ok(buffered(
                MAX_BUFFERED_INPUT,
                |n| n + 16,
                ctx,
                move |data| {
                    let r = match (kind, encrypt) {
                        (0, true) => crypto::aes_key_wrap(&k, data),
                        (0, false) => crypto::aes_key_unwrap(&k, data).map(|v| v.to_vec()),
                        (1, true) => crypto::aes_key_wrap(&k, &pkcs7_pad(data, 8)),
                        (1, false) => {
                            return crypto::aes_key_unwrap(&k, data)
                                .map_err(|e| map_crypto(e, ctx))
                                .and_then(|v| pkcs7_unpad(v, 8));
                        }
                        (_, true) => crypto::aes_key_wrap_pad(&k, data),
                        (_, false) => crypto::aes_key_unwrap_pad(&k, data).map(|v| v.to_vec()),
                    };
                    r.map_err(|e| map_crypto(e, ctx))
                },
            ))
        }
        ck::CKM_RSA_X_509 => {
            if m.param != Param::None {
                return Err(Error::MechanismParamInvalid);
            }
            if encrypt {
                if key.class() != Some(ck::CKO_PUBLIC_KEY) {
                    return Err(Error::KeyTypeInconsistent);
                }
                let pk = rsa_public(key)?;
                check_size(mech, pk.bits() as u64)?;
                let k = pk.size();
                Ok(buffered(
                    k,
                    move |_| k,
                    ctx,
                    move |data| pk.raw_public(&left_pad(data, k)).map_err(|e| map_crypto(e, ctx)),
                ))
            } else {
                let sk = rsa_private(key)?;
                check_size(mech, sk.bits() as u64)?;
                let k = sk.size();
                Ok(buffered(
                    k,
                    move |_| k,
                    ctx,
                    move |data| {
                        if data.len() != k {
                            return Err(Error::EncryptedDataLenRange);
                        }
                        sk.raw_private(data)
                            .map(|v| v.to_vec())
                            .map_err(|e| map_crypto(e, ctx))
                    },
                ))
            }
        }
        ck::CKM_RSA_PKCS | ck::CKM_RSA_PKCS_OAEP => {
            let oaep = if mech == ck::CKM_RSA_PKCS_OAEP {
                Some(oaep_params(&m.param)?)
            } else {
                if m.param != Param::None {
                    return Err(Error::MechanismParamInvalid);
                }
                None
            };
            if encrypt {
                if key.class() != Some(ck::CKO_PUBLIC_KEY) {
                    return Err(Error::KeyTypeInconsistent);
                }
                let pk = rsa_public(key)?;
                check_size(mech, pk.bits() as u64)?;
                let k = pk.size();
                Ok(buffered(
                    k,
                    move |_| k,
                    ctx,
                    move |data| {
                        let r = match &oaep {
                            Some((h, mg, label)) => pk.encrypt_oaep(data, *h, *mg, label),
                            None => pk.encrypt_pkcs1(data),
                        };
                        r.map_err(|e| map_crypto(e, ctx))
                    },
                ))
            } else {
                let sk = rsa_private(key)?;
                check_size(mech, sk.bits() as u64)?;
                let k = sk.size();
                Ok(buffered(
                    k,
                    move |_| k,
                    ctx,
                    move |data| {
                        if data.len() != k {
                            return Err(Error::EncryptedDataLenRange);
                        }
                        let r = match &oaep {
                            Some((h, mg, label)) => sk.decrypt_oaep(data, *h, *mg, label),
                            None => sk.decrypt_pkcs1(data),
                        };
                        r.map(|v| v.to_vec()).map_err(|e| map_crypto(e, ctx))
                    },
                ))
            }
        }
        _ => Err(Error::MechanismInvalid),
    }
}

/// Left-pads `data` with zeros to `k` bytes (raw RSA input).
fn left_pad(data: &[u8], k: usize) -> Vec<u8> {
    let mut v = vec![0u8; k.saturating_sub(data.len())];
    v.extend_from_slice(data);
    v
}

/// Pads for `CKM_AES_KEY_WRAP_PAD` in the standard's reading, for callers outside this module.
pub fn pad_pkcs7(data: &[u8], block: usize) -> Vec<u8> {
    pkcs7_pad(data, block).to_vec()
}

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
    RsaRaw(crypto::RsaPrivateKey),
    RsaPkcs1(crypto::RsaPrivateKey, Option<Hash>),
    RsaPss(crypto::RsaPrivateKey, Hash, Hash, usize),
    Ecdsa(crypto::EcPrivateKey),
    Ed25519(Zeroizing<Vec<u8>>),
    Hmac(Box<Hmac>),
    Cmac(AesCmac),
}

enum VerKey {
    RsaRaw(crypto::RsaPublicKey),
    RsaPkcs1(crypto::RsaPublicKey, Option<Hash>),
    RsaPss(crypto::RsaPublicKey, Hash, Hash, usize),
    Ecdsa(crypto::EcPublicKey),
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
            SigKey::Ed25519(seed) => crypto::ed25519_sign(&seed, &input).map(|s| s.to_vec()),
            SigKey::Hmac(h) => Ok((*h).finish()),
            SigKey::Cmac(c) => c.finish().map(|t| t.to_vec()),
        };
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
        ck::CKM_SHA1_RSA_PKCS | ck::CKM_SHA1_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA1 => Hash::Sha1,
        ck::CKM_SHA224_RSA_PKCS | ck::CKM_SHA224_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA224 => Hash::Sha224,
        ck::CKM_SHA256_RSA_PKCS | ck::CKM_SHA256_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA256 => Hash::Sha256,
        ck::CKM_SHA384_RSA_PKCS | ck::CKM_SHA384_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA384 => Hash::Sha384,
        ck::CKM_SHA512_RSA_PKCS | ck::CKM_SHA512_RSA_PKCS_PSS | ck::CKM_ECDSA_SHA512 => Hash::Sha512,
        _ => return None,
    })
}

fn hmac_hash(mech: u64) -> Option<Hash> {
    Some(match mech {
        ck::CKM_SHA_1_HMAC => Hash::Sha1,
        ck::CKM_SHA224_HMAC => Hash::Sha224,
        ck::CKM_SHA256_HMAC => Hash::Sha256,
        ck::CKM_SHA384_HMAC => Hash::Sha384,
        ck::CKM_SHA512_HMAC => Hash::Sha512,
        _ => return None,
    })
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
        check_key(
            key,
            ck::CKO_SECRET_KEY,
            &[
                ck::CKK_GENERIC_SECRET,
                ck::CKK_SHA_1_HMAC,
                ck::CKK_SHA224_HMAC,
                ck::CKK_SHA256_HMAC,
                ck::CKK_SHA384_HMAC,
                ck::CKK_SHA512_HMAC,
            ],
        )?;
        if m.param != Param::None {
            return Err(Error::MechanismParamInvalid);
        }
        return Ok(SigKey::Hmac(Box::new(Hmac::new(h, secret_value(key)?))));
    }
    if m.mech == ck::CKM_AES_CMAC {
        let k = aes_key(key, m.mech)?;
        return AesCmac::new(&k)
            .map(SigKey::Cmac)
            .map_err(|e| map_crypto(e, Ctx::Sign));
    }
    Err(Error::MechanismInvalid)
}

fn mac_len(m: &Mechanism) -> usize {
    hmac_hash(m.mech).map_or(16, Hash::len)
}

/// Starts a signature (or MAC) with `key`.
pub fn signer(m: &Mechanism, key: &Object) -> Result<Box<dyn SignOp>> {
    let mech = m.mech;
    if hmac_hash(mech).is_some() || mech == ck::CKM_AES_CMAC {
        let k = mac_key(m, key)?;
        return Ok(Box::new(Signer {
            pre: Pre::Raw(Zeroizing::new(Vec::new()), 0),
            key: Some(k),
            len: mac_len(m),
        }));
    }
    match mech {
        ck::CKM_RSA_X_509 => {
            if m.param != Param::None {
                return Err(Error::MechanismParamInvalid);
            }
            let k = rsa_private(key)?;
            check_size(mech, k.bits() as u64)?;
            let len = k.size();
            Ok(Box::new(Signer {
                pre: pre_for(mech, len),
                key: Some(SigKey::RsaRaw(k)),
                len,
            }))
        }
        ck::CKM_RSA_PKCS
        | ck::CKM_SHA1_RSA_PKCS
        | ck::CKM_SHA224_RSA_PKCS
        | ck::CKM_SHA256_RSA_PKCS
        | ck::CKM_SHA384_RSA_PKCS
        | ck::CKM_SHA512_RSA_PKCS
        | ck::CKM_RSA_PKCS_PSS
        | ck::CKM_SHA1_RSA_PKCS_PSS
        | ck::CKM_SHA224_RSA_PKCS_PSS
        | ck::CKM_SHA256_RSA_PKCS_PSS
        | ck::CKM_SHA384_RSA_PKCS_PSS
        | ck::CKM_SHA512_RSA_PKCS_PSS => {
            let k = rsa_private(key)?;
            check_size(mech, k.bits() as u64)?;
            let len = k.size();
            let pss = matches!(
                mech,
                ck::CKM_RSA_PKCS_PSS
                    | ck::CKM_SHA1_RSA_PKCS_PSS
                    | ck::CKM_SHA224_RSA_PKCS_PSS
                    | ck::CKM_SHA256_RSA_PKCS_PSS
                    | ck::CKM_SHA384_RSA_PKCS_PSS
                    | ck::CKM_SHA512_RSA_PKCS_PSS
            );
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
        ck::CKM_ECDSA
        | ck::CKM_ECDSA_SHA1
        | ck::CKM_ECDSA_SHA224
        | ck::CKM_ECDSA_SHA256
        | ck::CKM_ECDSA_SHA384
        | ck::CKM_ECDSA_SHA512 => {
            check_key(key, ck::CKO_PRIVATE_KEY, &[ck::CKK_EC])?;
            let curve = curve_of(key)?;
            let k = crypto::EcPrivateKey::from_scalar(curve, secret_value(key)?)
                .map_err(|e| map_crypto(e, Ctx::Sign))?;
            let len = 2 * curve.order_len();
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
    if hmac_hash(mech).is_some() || mech == ck::CKM_AES_CMAC {
        let k = mac_key(m, key)?;
        let s: Box<dyn SignOp> = Box::new(Signer {
            pre: Pre::Raw(Zeroizing::new(Vec::new()), 0),
            key: Some(k),
            len: mac_len(m),
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
        ck::CKM_RSA_PKCS
        | ck::CKM_SHA1_RSA_PKCS
        | ck::CKM_SHA224_RSA_PKCS
        | ck::CKM_SHA256_RSA_PKCS
        | ck::CKM_SHA384_RSA_PKCS
        | ck::CKM_SHA512_RSA_PKCS
        | ck::CKM_RSA_PKCS_PSS
        | ck::CKM_SHA1_RSA_PKCS_PSS
        | ck::CKM_SHA224_RSA_PKCS_PSS
        | ck::CKM_SHA256_RSA_PKCS_PSS
        | ck::CKM_SHA384_RSA_PKCS_PSS
        | ck::CKM_SHA512_RSA_PKCS_PSS => {
            let k = rsa_public(key)?;
            check_size(mech, k.bits() as u64)?;
            let len = k.size();
            let pss = !matches!(
                mech,
                ck::CKM_RSA_PKCS
                    | ck::CKM_SHA1_RSA_PKCS
                    | ck::CKM_SHA224_RSA_PKCS
                    | ck::CKM_SHA256_RSA_PKCS
                    | ck::CKM_SHA384_RSA_PKCS
                    | ck::CKM_SHA512_RSA_PKCS
            );
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
        ck::CKM_ECDSA
        | ck::CKM_ECDSA_SHA1
        | ck::CKM_ECDSA_SHA224
        | ck::CKM_ECDSA_SHA256
        | ck::CKM_ECDSA_SHA384
        | ck::CKM_ECDSA_SHA512 => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_octet_strings_round_trip_and_reject_junk() {
        for n in [0usize, 1, 65, 127, 128, 133, 300, 70000] {
            let v = vec![0xAB; n];
            let d = der_octet_string(&v);
            assert_eq!(der_octet_string_inner(&d), Some(&v[..]), "len {n}");
        }
        assert_eq!(der_octet_string_inner(&[0x04, 0x02, 1]), None);
        assert_eq!(der_octet_string_inner(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]), None);
        assert_eq!(der_octet_string_inner(&[0x03, 0x01, 1]), None);
        assert_eq!(der_octet_string_inner(&[0x04, 0x01, 1, 2]), None);
    }

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
