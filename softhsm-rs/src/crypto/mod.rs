//! Cryptographic primitives for the token, built on aws-lc.
//!
//! Everything here is safe Rust; the C calls live in the private `ffi`,
//! `ffi_md` and `ffi_asym` modules. No function panics on malformed input:
//! lengths are checked up front and every aws-lc failure becomes a
//! [`CryptoError`]. Secret outputs are returned in [`Zeroizing`] buffers.

mod ffi;
mod ffi_asym;
mod ffi_ff;
mod ffi_md;

mod cts;
mod ff;
mod hash;
mod kdf;
mod pkcs8;

pub use cts::{aes_cts_cs1_decrypt, aes_cts_cs1_encrypt, aes_cts_decrypt, aes_cts_encrypt};
pub use ff::*;
pub use hash::{Digest, Hash, Hmac};
pub use kdf::{hkdf_expand, hkdf_extract, pbkdf2, x963_kdf};
pub use pkcs8::{private_key_from_pkcs8, private_key_to_pkcs8, ParsedPrivateKey, PrivateKeyRef};

use aws_lc_rs::rand;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Failure classes, chosen so the PKCS#11 layer can map them to `CKR_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// Key material is malformed or inconsistent.
    InvalidKey,
    /// An input (parameter, point, integer) is invalid.
    InvalidInput,
    /// Input or output length is out of range for the operation.
    DataLenRange,
    /// Decryption, unwrap or tag verification failed (deliberately opaque).
    DecryptFailed,
    /// A signature did not verify.
    SignatureInvalid,
    /// Unsupported key size.
    KeySize,
    /// aws-lc reported an unexpected failure (e.g. allocation).
    Internal,
}

impl core::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for CryptoError {}

pub type Result<T> = core::result::Result<T, CryptoError>;

// ------------------------------------------------------------------ misc

/// Fills `buf` from the aws-lc DRBG.
pub fn random(buf: &mut [u8]) -> Result<()> {
    rand::fill(buf).map_err(|_| CryptoError::Internal)
}

/// Constant-time comparison (only the lengths leak).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    ffi::ct_eq(a, b)
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

/// Infallible accessors only fail if aws-lc cannot allocate; treat that like
/// Rust's own allocation failure (abort, not panic).
fn oom() -> ! {
    std::alloc::handle_alloc_error(std::alloc::Layout::new::<u8>())
}

/// Moves a non-secret result out of its zeroizing buffer.
fn plain(mut z: Zeroizing<Vec<u8>>) -> Vec<u8> {
    core::mem::take(&mut *z)
}

/// `Debug` that names the type and shows no key material.
macro_rules! opaque_debug {
    ($($t:ty),*) => {$(
        impl core::fmt::Debug for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(stringify!($t))
            }
        }
    )*};
}

opaque_debug!(
    RsaComponents,
    RsaPrivateKey,
    RsaPublicKey,
    EcPrivateKey,
    EcPublicKey
);
opaque_debug!(AesCipher, AesGcm, AesCmac);

// --------------------------------------------------------------------- RSA

use ffi::{RsaOp, RsaPad};

/// Raw RSA key material, big-endian without leading zeros.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct RsaComponents {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    pub d: Vec<u8>,
    pub p: Vec<u8>,
    pub q: Vec<u8>,
    pub dp: Vec<u8>,
    pub dq: Vec<u8>,
    pub qinv: Vec<u8>,
}

/// RSA private key (owns an aws-lc `RSA`).
pub struct RsaPrivateKey {
    rsa: ffi::Rsa,
}

/// RSA public key (owns an aws-lc `RSA`).
pub struct RsaPublicKey {
    rsa: ffi::Rsa,
}

fn check_pss(bits: usize, digest: &[u8], hash: Hash, salt_len: usize) -> Result<()> {
    // emLen = ceil((modBits - 1) / 8) must hold hLen + sLen + 2 bytes.
    let em_len = bits.saturating_sub(1).div_ceil(8);
    if digest.len() != hash.len() || salt_len.saturating_add(hash.len() + 2) > em_len {
        return Err(CryptoError::InvalidInput);
    }
    Ok(())
}

/// `RSA_check_key` cannot validate `d` without the factors: check instead
/// that the private and public operations are inverses on x = 2.
fn inverse_ops(rsa: &ffi::Rsa) -> bool {
    let mut x = vec![0u8; rsa.size()];
    if let Some(last) = x.last_mut() {
        *last = 2;
    }
    let y = rsa.op(RsaOp::Decrypt, RsaPad::None, &x);
    let z = y.and_then(|y| rsa.op(RsaOp::Encrypt, RsaPad::None, &y));
    z.is_ok_and(|z| ct_eq(&z, &x))
}

impl RsaPrivateKey {
    /// Generates a key of `bits` (1024..=16384 and a multiple of 128, since
    /// aws-lc silently rounds other sizes down). `public_exponent` is
    /// big-endian, empty for 65537; it must be odd, >= 3 and at most 32 bits.
    pub fn generate(bits: usize, public_exponent: &[u8]) -> Result<Self> {
        if !(1024..=16384).contains(&bits) || bits % 128 != 0 {
            return Err(CryptoError::KeySize);
        }
        let e = match strip_zeros(public_exponent) {
            [] => &[1, 0, 1][..],
            e => e,
        };
        if e.len() > 4 || e[e.len() - 1] & 1 == 0 || e == [1] {
            return Err(CryptoError::InvalidInput);
        }
        let rsa = ffi::Rsa::generate(bits, e)?;
        if rsa.bits() != bits {
            return Err(CryptoError::Internal);
        }
        Ok(RsaPrivateKey { rsa })
    }

    /// Imports a key. With all of `p, q, dp, dq, qinv` present a CRT key is
    /// built, otherwise only `n, e, d` are used (slower private operations).
    /// The result is validated with `RSA_check_key`.
    pub fn from_components(c: &RsaComponents) -> Result<Self> {
        if c.n.is_empty() || c.e.is_empty() || c.d.is_empty() {
            return Err(CryptoError::InvalidKey);
        }
        let crt = [&c.p, &c.q, &c.dp, &c.dq, &c.qinv];
        let full = crt.iter().all(|v| !v.is_empty());
        let rsa = if full {
            ffi::Rsa::new_private([&c.n, &c.e, &c.d, &c.p, &c.q, &c.dp, &c.dq, &c.qinv])?
        } else {
            ffi::Rsa::new_private_no_crt(&c.n, &c.e, &c.d)?
        };
        if !rsa.check_key() || (!full && !inverse_ops(&rsa)) {
            return Err(CryptoError::InvalidKey);
        }
        Ok(RsaPrivateKey { rsa })
    }

    /// Exports the key; the CRT fields are empty for a key imported without.
    pub fn components(&self) -> RsaComponents {
        let [n, e, d, p, q, dp, dq, qinv] = self.rsa.parts();
        RsaComponents {
            n,
            e,
            d,
            p,
            q,
            dp,
            dq,
            qinv,
        }
    }

    pub fn public(&self) -> RsaPublicKey {
        match self.rsa.public() {
            Ok(rsa) => RsaPublicKey { rsa },
            // The public half of a valid private key is valid, so the only
            // possible failure is allocation.
            Err(_) => oom(),
        }
    }

    /// Modulus length `k` in bytes.
    pub fn size(&self) -> usize {
        self.rsa.size()
    }

    pub fn bits(&self) -> usize {
        self.rsa.bits()
    }

    /// EMSA-PKCS1-v1_5 (block type 1) signature over caller bytes, typically
    /// a DER `DigestInfo`; at most `k - 11` bytes.
    pub fn sign_pkcs1_raw(&self, data: &[u8]) -> Result<Vec<u8>> {
        if data.len() + 11 > self.size() {
            return Err(CryptoError::DataLenRange);
        }
        self.rsa.op(RsaOp::Sign, RsaPad::Pkcs1, data).map(plain)
    }

    /// RSASSA-PSS over a precomputed digest with an explicit salt length.
    pub fn sign_pss(&self, digest: &[u8], hash: Hash, mgf1: Hash, salt_len: usize) -> Result<Vec<u8>> {
        check_pss(self.bits(), digest, hash, salt_len)?;
        self.rsa.sign_pss(digest, hash, mgf1, salt_len)
    }

    /// RSAES-PKCS1-v1_5 decryption; any padding error is `DecryptFailed`.
    pub fn decrypt_pkcs1(&self, ct: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if ct.len() != self.size() {
            return Err(CryptoError::DataLenRange);
        }
        let r = self.rsa.op(RsaOp::Decrypt, RsaPad::Pkcs1, ct);
        r.map_err(|_| CryptoError::DecryptFailed)
    }

    /// RSAES-OAEP decryption; any failure is `DecryptFailed`.
    pub fn decrypt_oaep(
        &self,
        ct: &[u8],
        hash: Hash,
        mgf1: Hash,
        label: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        if ct.len() != self.size() {
            return Err(CryptoError::DataLenRange);
        }
        let r = self.rsa.oaep(false, [hash, mgf1], label, ct);
        r.map_err(|_| CryptoError::DecryptFailed)
    }

    /// Raw RSA private operation; `input` is `k` bytes and must be `< n`.
    pub fn raw_private(&self, input: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if input.len() != self.size() {
            return Err(CryptoError::DataLenRange);
        }
        let r = self.rsa.op(RsaOp::Decrypt, RsaPad::None, input);
        r.map_err(|_| CryptoError::InvalidInput)
    }
}

impl RsaPublicKey {
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self> {
        if strip_zeros(n).is_empty() || strip_zeros(e).is_empty() {
            return Err(CryptoError::InvalidKey);
        }
        Ok(RsaPublicKey {
            rsa: ffi::Rsa::new_public(n, e)?,
        })
    }

    pub fn size(&self) -> usize {
        self.rsa.size()
    }

    pub fn bits(&self) -> usize {
        self.rsa.bits()
    }

    pub fn n(&self) -> Vec<u8> {
        let [n, ..] = self.rsa.parts();
        n
    }

    pub fn e(&self) -> Vec<u8> {
        let [_, e, ..] = self.rsa.parts();
        e
    }

    /// DER `RSAPublicKey` (PKCS#1) encoding.
    pub fn to_pkcs1_der(&self) -> Vec<u8> {
        let body = [der_uint(&self.n()), der_uint(&self.e())].concat();
        der_tlv(0x30, &body)
    }

    /// Verifies an EMSA-PKCS1-v1_5 signature whose recovered payload must
    /// equal `data` (constant-time compare). A `sig` that is not `k` bytes
    /// is `InvalidInput`.
    pub fn verify_pkcs1_raw(&self, data: &[u8], sig: &[u8]) -> Result<()> {
        if sig.len() != self.size() {
            return Err(CryptoError::InvalidInput);
        }
        match self.rsa.op(RsaOp::Verify, RsaPad::Pkcs1, sig) {
            Ok(recovered) if ct_eq(&recovered, data) => Ok(()),
            _ => Err(CryptoError::SignatureInvalid),
        }
    }

    /// RSASSA-PSS verification; a `sig` that is not `k` bytes is `InvalidInput`.
    pub fn verify_pss(
        &self,
        digest: &[u8],
        hash: Hash,
        mgf1: Hash,
        salt_len: usize,
        sig: &[u8],
    ) -> Result<()> {
        check_pss(self.bits(), digest, hash, salt_len)?;
        if sig.len() != self.size() {
            return Err(CryptoError::InvalidInput);
        }
        self.rsa.verify_pss(digest, hash, mgf1, salt_len, sig)
    }

    /// RSAES-PKCS1-v1_5 encryption of at most `k - 11` bytes.
    pub fn encrypt_pkcs1(&self, data: &[u8]) -> Result<Vec<u8>> {
        if data.len() + 11 > self.size() {
            return Err(CryptoError::DataLenRange);
        }
        self.rsa.op(RsaOp::Encrypt, RsaPad::Pkcs1, data).map(plain)
    }

    /// RSAES-OAEP encryption of at most `k - 2*hLen - 2` bytes.
    pub fn encrypt_oaep(&self, data: &[u8], hash: Hash, mgf1: Hash, label: &[u8]) -> Result<Vec<u8>> {
        if data.len() + 2 * hash.len() + 2 > self.size() {
            return Err(CryptoError::DataLenRange);
        }
        self.rsa.oaep(true, [hash, mgf1], label, data).map(plain)
    }

    /// Raw RSA public operation; `input` is `k` bytes and must be `< n`.
    pub fn raw_public(&self, input: &[u8]) -> Result<Vec<u8>> {
        if input.len() != self.size() {
            return Err(CryptoError::DataLenRange);
        }
        let r = self.rsa.op(RsaOp::Encrypt, RsaPad::None, input);
        r.map(plain).map_err(|_| CryptoError::InvalidInput)
    }
}

fn der_tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len().to_be_bytes();
    let len = strip_zeros(&len);
    let mut out = vec![tag];
    match len {
        [] => out.push(0),
        [b] if *b < 0x80 => out.push(*b),
        _ => {
            out.push(0x80 | len.len() as u8);
            out.extend_from_slice(len);
        }
    }
    out.extend_from_slice(body);
    out
}

fn der_uint(v: &[u8]) -> Vec<u8> {
    let v = strip_zeros(v);
    let pad = v.first().map_or(true, |&b| b & 0x80 != 0);
    der_tlv(0x02, &[&[0][..pad as usize], v].concat())
}

// ---------------------------------------------------------------------- EC

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
    /// SEC 2 secp256k1 (OID 1.3.132.0.10).
    Secp256k1,
}

impl Curve {
    const ALL: [Curve; 4] = [Curve::P256, Curve::P384, Curve::P521, Curve::Secp256k1];

    /// Recognises the DER OBJECT IDENTIFIER form of `CKA_EC_PARAMS`.
    pub fn from_oid_der(ec_params: &[u8]) -> Option<Curve> {
        Self::ALL.into_iter().find(|c| c.oid_der() == ec_params)
    }

    pub fn oid_der(self) -> &'static [u8] {
        match self {
            Curve::P256 => b"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07",
            Curve::P384 => b"\x06\x05\x2b\x81\x04\x00\x22",
            Curve::P521 => b"\x06\x05\x2b\x81\x04\x00\x23",
            Curve::Secp256k1 => b"\x06\x05\x2b\x81\x04\x00\x0a",
        }
    }

    /// Bytes per coordinate.
    pub fn field_len(self) -> usize {
        self.bits().div_ceil(8)
    }

    /// Bytes per scalar (for these curves the order has the field's size).
    pub fn order_len(self) -> usize {
        self.bits().div_ceil(8)
    }

    pub fn bits(self) -> usize {
        match self {
            Curve::P256 | Curve::Secp256k1 => 256,
            Curve::P384 => 384,
            Curve::P521 => 521,
        }
    }
}

/// EC private key on a supported curve (owns an aws-lc `EC_KEY`).
pub struct EcPrivateKey {
    key: ffi::EcKey,
    curve: Curve,
    point: Vec<u8>,
}

/// EC public key on a supported curve (owns an aws-lc `EC_KEY`).
pub struct EcPublicKey {
    key: ffi::EcKey,
    curve: Curve,
    point: Vec<u8>,
}

impl EcPrivateKey {
    fn wrap(key: ffi::EcKey, curve: Curve) -> Result<Self> {
        let point = key.point(curve.field_len())?;
        Ok(EcPrivateKey { key, curve, point })
    }

    pub fn generate(curve: Curve) -> Result<Self> {
        Self::wrap(ffi::EcKey::generate(curve)?, curve)
    }

    /// Imports scalar `d` (big-endian, at most `order_len` significant bytes,
    /// 0 < d < order) and derives the public point.
    pub fn from_scalar(curve: Curve, d: &[u8]) -> Result<Self> {
        let d = strip_zeros(d);
        if d.is_empty() || d.len() > curve.order_len() {
            return Err(CryptoError::InvalidKey);
        }
        Self::wrap(ffi::EcKey::from_scalar(curve, d)?, curve)
    }

    /// Big-endian scalar, left-padded to `order_len`.
    pub fn scalar(&self) -> Zeroizing<Vec<u8>> {
        // Cannot fail: the scalar is below the order, so it fits order_len.
        let r = self.key.scalar(self.curve.order_len());
        r.unwrap_or_else(|_| Zeroizing::new(Vec::new()))
    }

    /// Uncompressed public point `04 || X || Y`.
    pub fn public_point(&self) -> Vec<u8> {
        self.point.clone()
    }

    pub fn public_key(&self) -> Result<EcPublicKey> {
        EcPublicKey::from_point(self.curve, &self.point)
    }

    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// ECDSA over caller bytes of any length (the leftmost order-length bits
    /// are used); returns `r || s`, each `order_len` bytes.
    pub fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
        self.key.sign(digest, self.curve.order_len())
    }

    /// Raw ECDH (cofactor 1): the shared X coordinate, `field_len` bytes. The
    /// peer point (uncompressed or compressed) must be on the curve, else
    /// `InvalidInput`.
    pub fn ecdh(&self, peer_point: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.key
            .ecdh(peer_point, self.curve.field_len())
            .map_err(|e| match e {
                CryptoError::Internal => e,
                _ => CryptoError::InvalidInput,
            })
    }
}

impl EcPublicKey {
    /// Imports an uncompressed or compressed point, validated on `curve`.
    pub fn from_point(curve: Curve, point: &[u8]) -> Result<Self> {
        let key = ffi::EcKey::from_point(curve, point)?;
        let point = key.point(curve.field_len())?;
        Ok(EcPublicKey { key, curve, point })
    }

    /// Uncompressed point `04 || X || Y`.
    pub fn point(&self) -> Vec<u8> {
        self.point.clone()
    }

    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// Verifies `r || s` (each `order_len` bytes) over caller bytes.
    pub fn verify_digest(&self, digest: &[u8], sig: &[u8]) -> Result<()> {
        let n = self.curve.order_len();
        if sig.len() != 2 * n {
            return Err(CryptoError::SignatureInvalid);
        }
        let (r, s) = sig.split_at(n);
        self.key.verify(digest, r, s)
    }
}

// ----------------------------------------------------------------- Ed25519

/// Copies a 32-byte Curve25519 private key; any other length is `InvalidKey`.
fn key32(key: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let mut s = Zeroizing::new([0u8; 32]);
    if key.len() != 32 {
        return Err(CryptoError::InvalidKey);
    }
    s.copy_from_slice(key);
    Ok(s)
}

/// Returns `(seed, public key)`.
pub fn ed25519_generate() -> Result<(Zeroizing<[u8; 32]>, [u8; 32])> {
    let mut seed = Zeroizing::new([0u8; 32]);
    random(&mut seed[..])?;
    let public = ffi_asym::ed25519_keypair(&seed).0;
    Ok((seed, public))
}

pub fn ed25519_public_from_seed(seed: &[u8]) -> Result<[u8; 32]> {
    Ok(ffi_asym::ed25519_keypair(&*key32(seed)?).0)
}

/// Pure Ed25519 (RFC 8032) signature.
pub fn ed25519_sign(seed: &[u8], msg: &[u8]) -> Result<[u8; 64]> {
    let (_, private) = ffi_asym::ed25519_keypair(&*key32(seed)?);
    ffi_asym::ed25519_sign(&private, msg)
}

pub fn ed25519_verify(public: &[u8], msg: &[u8], sig: &[u8]) -> Result<()> {
    let public = public.try_into().map_err(|_| CryptoError::InvalidKey)?;
    let sig = sig.try_into().map_err(|_| CryptoError::SignatureInvalid)?;
    ffi_asym::ed25519_verify(public, msg, sig)
}

// ------------------------------------------------------------------ X25519

/// Returns `(private key, public value)` (RFC 7748).
pub fn x25519_generate() -> Result<(Zeroizing<[u8; 32]>, [u8; 32])> {
    Ok(ffi_asym::x25519_keypair())
}

/// The public value `X25519(k, 9)` for a 32-byte private key.
pub fn x25519_public_from_private(private: &[u8]) -> Result<[u8; 32]> {
    let k = key32(private)?;
    Ok(ffi_asym::x25519_public(&k))
}

/// RFC 7748 X25519 agreement. A private key that is not 32 bytes is
/// `InvalidKey`; a peer value that is not 32 bytes, or one that yields the
/// all-zero shared secret (a small-order point), is `InvalidInput`.
pub fn x25519(private: &[u8], peer_public: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let k = key32(private)?;
    let peer = peer_public.try_into().map_err(|_| CryptoError::InvalidInput)?;
    ffi_asym::x25519(&k, peer)
}

// --------------------------------------------------------------------- AES

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AesMode {
    Ecb,
    Cbc,
    Ctr,
}

/// Multi-part AES-ECB/CBC/CTR.
pub struct AesCipher {
    ctx: ffi::CipherCtx,
    mode: AesMode,
    encrypt: bool,
    padding: bool,
    /// Total input length modulo 16, and whether any input was seen.
    residue: usize,
    seen: bool,
    done: bool,
}

impl AesCipher {
    /// `iv` is 16 bytes for CBC and CTR (the whole initial counter block)
    /// and empty for ECB. PKCS#7 padding is only allowed for ECB and CBC.
    pub fn new(mode: AesMode, key: &[u8], iv: &[u8], encrypt: bool, pkcs7_padding: bool) -> Result<Self> {
        let kind = match mode {
            AesMode::Ecb => ffi::AesKind::Ecb,
            AesMode::Cbc => ffi::AesKind::Cbc,
            AesMode::Ctr if pkcs7_padding => return Err(CryptoError::InvalidInput),
            AesMode::Ctr => ffi::AesKind::Ctr,
        };
        let ctx = ffi::CipherCtx::new(kind, key, iv, encrypt, pkcs7_padding)?;
        let (residue, seen, done) = (0, false, false);
        Ok(AesCipher {
            ctx,
            mode,
            encrypt,
            padding: pkcs7_padding,
            residue,
            seen,
            done,
        })
    }

    pub fn update(&mut self, input: &[u8]) -> Result<Vec<u8>> {
        if self.done {
            return Err(CryptoError::InvalidInput);
        }
        let mut out = Vec::with_capacity(input.len() + 16);
        self.ctx.update(input, &mut out)?;
        self.residue = (self.residue + input.len() % 16) % 16;
        self.seen |= !input.is_empty();
        Ok(out)
    }

    /// Without padding a trailing partial block is `DataLenRange`; a bad pad
    /// on decryption is `DecryptFailed`.
    pub fn finish(&mut self) -> Result<Vec<u8>> {
        if self.done {
            return Err(CryptoError::InvalidInput);
        }
        self.done = true;
        let unpad = self.padding && !self.encrypt;
        if self.mode != AesMode::Ctr {
            let partial = self.residue != 0 && !(self.padding && self.encrypt);
            if partial || (unpad && !self.seen) {
                return Err(CryptoError::DataLenRange);
            }
        }
        let mut out = Vec::with_capacity(16);
        let err = if unpad {
            CryptoError::DecryptFailed
        } else {
            CryptoError::Internal
        };
        self.ctx.finish(&mut out, err)?;
        Ok(out)
    }
}

/// Multi-part AES-GCM. Encryption streams; decryption buffers its input and
/// releases plaintext only from `finish`, after the tag has verified.
pub struct AesGcm {
    ctx: ffi::CipherCtx,
    encrypt: bool,
    tag_len: usize,
    buf: Vec<u8>,
    done: bool,
}

impl AesGcm {
    /// Any IV length >= 1; `tag_len` in 4..=16 bytes.
    pub fn new(key: &[u8], iv: &[u8], aad: &[u8], tag_len: usize, encrypt: bool) -> Result<Self> {
        if !(4..=16).contains(&tag_len) {
            return Err(CryptoError::InvalidInput);
        }
        let mut ctx = ffi::CipherCtx::new(ffi::AesKind::Gcm, key, iv, encrypt, false)?;
        ctx.aad(aad)?;
        Ok(AesGcm {
            ctx,
            encrypt,
            tag_len,
            buf: Vec::new(),
            done: false,
        })
    }

    pub fn update(&mut self, input: &[u8]) -> Result<Vec<u8>> {
        if self.done {
            return Err(CryptoError::InvalidInput);
        }
        let mut out = Vec::new();
        if self.encrypt {
            out.reserve(input.len() + 16);
            self.ctx.update(input, &mut out)?;
        } else {
            self.buf.extend_from_slice(input);
        }
        Ok(out)
    }

    /// Encrypt: the remaining output followed by the tag. Decrypt: the whole
    /// plaintext (the input ended with the tag); a mismatch is `DecryptFailed`.
    pub fn finish(&mut self) -> Result<Vec<u8>> {
        if self.done {
            return Err(CryptoError::InvalidInput);
        }
        self.done = true;
        let mut tag = [0u8; 16];
        let tag = &mut tag[..self.tag_len];
        if self.encrypt {
            let mut out = Vec::with_capacity(32);
            self.ctx.finish(&mut out, CryptoError::Internal)?;
            self.ctx.gcm_tag(tag, true)?;
            out.extend_from_slice(tag);
            return Ok(out);
        }
        let buf = core::mem::take(&mut self.buf);
        let Some(ct_len) = buf.len().checked_sub(self.tag_len) else {
            return Err(CryptoError::DataLenRange);
        };
        let (ct, received) = buf.split_at(ct_len);
        tag.copy_from_slice(received);
        self.ctx.gcm_tag(tag, false)?;
        let mut pt = Zeroizing::new(Vec::with_capacity(ct.len() + 16));
        self.ctx.update(ct, &mut pt)?;
        self.ctx.finish(&mut pt, CryptoError::DecryptFailed)?;
        Ok(plain(pt))
    }
}

/// Multi-part AES-CMAC (RFC 4493).
pub struct AesCmac {
    /// `None` only if a clone failed to allocate; every call then fails.
    ctx: Option<ffi::CmacCtx>,
}

impl Clone for AesCmac {
    fn clone(&self) -> Self {
        AesCmac {
            ctx: self.ctx.as_ref().and_then(|c| c.try_clone().ok()),
        }
    }
}

impl AesCmac {
    pub fn new(key: &[u8]) -> Result<Self> {
        Ok(AesCmac {
            ctx: Some(ffi::CmacCtx::new(key)?),
        })
    }

    pub fn update(&mut self, data: &[u8]) -> Result<()> {
        self.ctx.as_mut().ok_or(CryptoError::Internal)?.update(data)
    }

    pub fn finish(mut self) -> Result<[u8; 16]> {
        self.ctx.as_mut().ok_or(CryptoError::Internal)?.finish()
    }
}

/// RFC 3394 AES key wrap; `data` a multiple of 8 bytes and at least 16.
pub fn aes_key_wrap(kek: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    ffi::key_wrap(kek, data, true, false).map(plain)
}

/// RFC 3394 unwrap; integrity failure is `DecryptFailed`.
pub fn aes_key_unwrap(kek: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    ffi::key_wrap(kek, data, false, false)
}

/// RFC 5649 AES key wrap with padding (KWP); `data` non-empty.
pub fn aes_key_wrap_pad(kek: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    ffi::key_wrap(kek, data, true, true).map(plain)
}

/// RFC 5649 unwrap; integrity failure is `DecryptFailed`.
pub fn aes_key_unwrap_pad(kek: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    ffi::key_wrap(kek, data, false, true)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_asym;
#[cfg(test)]
mod tests_sym;
