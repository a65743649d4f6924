#![allow(unsafe_code)]
//! Thin, safe RAII wrappers over the aws-lc C API. Together with its
//! siblings `ffi_md` (digests, HMAC, KDFs) and `ffi_asym` (Curve25519,
//! PKCS#8) this is the only `unsafe` code.
//!
//! Every raw pointer obtained from aws-lc is owned by a small wrapper that
//! frees it in `Drop`, and every buffer handed to C is sized on the Rust side
//! first. The parent module only sees safe functions; the helpers shared with
//! the siblings are safe functions or `unsafe fn`s with documented contracts.

use core::ffi::{c_int, c_uint, c_void};
use core::ptr::{self, null, null_mut, NonNull};

use aws_lc_sys as sys;
use zeroize::{Zeroize, Zeroizing};

use super::{CryptoError as E, Curve, Hash, Result};

/// An owned secret byte buffer, wiped on drop.
pub(super) type Secret = Zeroizing<Vec<u8>>;

/// Largest slice handed to one `int`-length EVP cipher call.
const CHUNK: usize = 1 << 20;

/// Clears this thread's aws-lc error queue and returns `Err(e)`.
pub(super) fn fail<T>(e: E) -> Result<T> {
    // SAFETY: ERR_clear_error has no preconditions; it only touches the
    // calling thread's error queue.
    unsafe { sys::ERR_clear_error() };
    Err(e)
}

/// Maps aws-lc's "1 on success" convention to a `Result`.
pub(super) fn check(rc: c_int, e: E) -> Result<()> {
    if rc == 1 {
        Ok(())
    } else {
        fail(e)
    }
}

fn to_int(len: usize, e: E) -> Result<c_int> {
    c_int::try_from(len).map_err(|_| e)
}

macro_rules! owned_ptr {
    ($name:ident, $ty:ty, $free:path) => {
        /// Exclusively owned aws-lc object, freed on drop.
        pub(super) struct $name(NonNull<$ty>);

        impl $name {
            /// Takes ownership of `p`; null becomes `Err(e)`.
            fn from_raw(p: *mut $ty, e: E) -> Result<Self> {
                NonNull::new(p).map(Self).map_or_else(|| fail(e), Ok)
            }

            pub(super) fn as_ptr(&self) -> *mut $ty {
                self.0.as_ptr()
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                // SAFETY: the pointer is non-null, came from aws-lc, is owned
                // only by this wrapper and is freed exactly once, here.
                unsafe { $free(self.0.as_ptr()) }
            }
        }

        // SAFETY: the wrapper exclusively owns the object (or one counted
        // reference to it); aws-lc objects have no thread affinity and use
        // atomic reference counts, so moving ownership across threads is
        // sound. The wrapper is deliberately not `Sync`.
        unsafe impl Send for $name {}
    };
}

/// Shared with the sibling `ffi_*` modules, which own their own objects.
pub(super) use owned_ptr;

owned_ptr!(Bn, sys::BIGNUM, sys::BN_clear_free);
owned_ptr!(Rsa, sys::RSA, sys::RSA_free);

// SAFETY: an aws-lc RSA may be used from several threads at once for the operations this
// module performs through a shared reference (private and public operations, reading the
// components): the values it computes lazily (Montgomery contexts, blinding) are guarded by the
// RSA's own lock, and nothing reached through `&Rsa` mutates the key otherwise. This lets a
// parsed private key be cached and shared between sessions.
unsafe impl Sync for Rsa {}
owned_ptr!(EcKey, sys::EC_KEY, sys::EC_KEY_free);

// SAFETY: the operations reached through `&EcKey` (ECDSA signing, ECDH, reading the point and
// scalar) only read the key: an aws-lc EC_KEY holds no lazily computed state, so concurrent
// use from several threads is sound. This lets a parsed key be cached and shared.
unsafe impl Sync for EcKey {}
owned_ptr!(EcPoint, sys::EC_POINT, sys::EC_POINT_free);
owned_ptr!(EcdsaSig, sys::ECDSA_SIG, sys::ECDSA_SIG_free);
owned_ptr!(Pkey, sys::EVP_PKEY, sys::EVP_PKEY_free);
owned_ptr!(PkeyCtx, sys::EVP_PKEY_CTX, sys::EVP_PKEY_CTX_free);
owned_ptr!(CipherCtx, sys::EVP_CIPHER_CTX, sys::EVP_CIPHER_CTX_free);
owned_ptr!(CmacCtx, sys::CMAC_CTX, sys::CMAC_CTX_free);

// ---------------------------------------------------------------- BIGNUM

impl Bn {
    /// Parses a big-endian unsigned integer (empty input is zero).
    fn from_be(bytes: &[u8]) -> Result<Self> {
        // SAFETY: `bytes` is readable for its length; a null `ret` makes
        // aws-lc allocate a fresh BIGNUM.
        let p = unsafe { sys::BN_bin2bn(bytes.as_ptr(), bytes.len(), null_mut()) };
        Self::from_raw(p, E::Internal)
    }

    fn is_zero(&self) -> bool {
        // SAFETY: self owns a live BIGNUM.
        unsafe { sys::BN_is_zero(self.as_ptr()) == 1 }
    }

    /// Gives up ownership, for `set0` functions that take it over.
    fn into_raw(self) -> *mut sys::BIGNUM {
        let p = self.as_ptr();
        core::mem::forget(self);
        p
    }
}

/// Minimal big-endian encoding of `bn`; empty when `bn` is null.
///
/// # Safety
/// `bn` must be null or point to a BIGNUM that stays live during the call.
pub(super) unsafe fn bn_bytes(bn: *const sys::BIGNUM) -> Vec<u8> {
    if bn.is_null() {
        return Vec::new();
    }
    // SAFETY: the caller guarantees `bn` is live.
    let mut out = vec![0u8; unsafe { sys::BN_num_bytes(bn) } as usize];
    // SAFETY: `out` has exactly BN_num_bytes(bn) writable bytes.
    let written = unsafe { sys::BN_bn2bin(bn, out.as_mut_ptr()) };
    out.truncate(written);
    out
}

/// Big-endian encoding of `bn`, left-padded to exactly `len` bytes.
///
/// # Safety
/// `bn` must point to a BIGNUM that stays live during the call.
pub(super) unsafe fn bn_padded(bn: *const sys::BIGNUM, len: usize) -> Result<Secret> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    // SAFETY: `out` has `len` writable bytes; the caller guarantees `bn`.
    let rc = unsafe { sys::BN_bn2bin_padded(out.as_mut_ptr(), len, bn) };
    check(rc, E::Internal)?;
    Ok(out)
}

// ------------------------------------------------------------------- RSA

pub(super) fn evp_md(h: Hash) -> *const sys::EVP_MD {
    // SAFETY: these accessors have no preconditions and return static tables.
    unsafe {
        match h {
            Hash::Sha1 => sys::EVP_sha1(),
            Hash::Sha224 => sys::EVP_sha224(),
            Hash::Sha256 => sys::EVP_sha256(),
            Hash::Sha384 => sys::EVP_sha384(),
            Hash::Sha512 => sys::EVP_sha512(),
            Hash::Md5 => sys::EVP_md5(),
            Hash::Sha3_224 => sys::EVP_sha3_224(),
            Hash::Sha3_256 => sys::EVP_sha3_256(),
            Hash::Sha3_384 => sys::EVP_sha3_384(),
            Hash::Sha3_512 => sys::EVP_sha3_512(),
        }
    }
}

/// Padding for the low-level RSA calls.
#[derive(Clone, Copy)]
pub(super) enum RsaPad {
    /// PKCS#1 v1.5: block type 1 for sign/verify, type 2 for encrypt/decrypt.
    Pkcs1,
    None,
}

/// The four `RSA_*` calls sharing the `(rsa, out_len, out, max_out, in,
/// in_len, padding)` shape.
#[derive(Clone, Copy)]
pub(super) enum RsaOp {
    /// `RSA_sign_raw`: pad, then private op.
    Sign,
    /// `RSA_verify_raw`: public op, then padding check; yields the payload.
    Verify,
    /// `RSA_encrypt`: pad, then public op.
    Encrypt,
    /// `RSA_decrypt`: private op, then padding check.
    Decrypt,
}

impl Rsa {
    pub(super) fn generate(bits: usize, e: &[u8]) -> Result<Self> {
        let bits = to_int(bits, E::KeySize)?;
        let e = Bn::from_be(e)?;
        // SAFETY: RSA_new has no preconditions.
        let rsa = Self::from_raw(unsafe { sys::RSA_new() }, E::Internal)?;
        // SAFETY: rsa and e are live; a null callback is allowed.
        let rc = unsafe { sys::RSA_generate_key_ex(rsa.as_ptr(), bits, e.as_ptr(), null_mut()) };
        check(rc, E::InvalidInput)?;
        Ok(rsa)
    }

    /// Full CRT private key `[n, e, d, p, q, dp, dq, qinv]`; aws-lc runs
    /// `RSA_check_key` on it.
    pub(super) fn new_private(parts: [&[u8]; 8]) -> Result<Self> {
        let mut bns = Vec::with_capacity(8);
        for part in parts {
            bns.push(Bn::from_be(part)?);
        }
        let b: Vec<*const sys::BIGNUM> = bns.iter().map(|b| b.as_ptr().cast_const()).collect();
        // SAFETY: all eight BIGNUMs are live for the call; aws-lc copies them.
        let p = unsafe { sys::RSA_new_private_key(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]) };
        Self::from_raw(p, E::InvalidKey)
    }

    /// Private key from `n`, `e`, `d` only (no CRT parameters).
    pub(super) fn new_private_no_crt(n: &[u8], e: &[u8], d: &[u8]) -> Result<Self> {
        let (n, e, d) = (Bn::from_be(n)?, Bn::from_be(e)?, Bn::from_be(d)?);
        // SAFETY: the BIGNUMs are live for the call; aws-lc copies them.
        let p = unsafe { sys::RSA_new_private_key_no_crt(n.as_ptr(), e.as_ptr(), d.as_ptr()) };
        Self::from_raw(p, E::InvalidKey)
    }

    pub(super) fn new_public(n: &[u8], e: &[u8]) -> Result<Self> {
        let (n, e) = (Bn::from_be(n)?, Bn::from_be(e)?);
        // SAFETY: the BIGNUMs are live for the call; aws-lc copies them.
        let p = unsafe { sys::RSA_new_public_key(n.as_ptr(), e.as_ptr()) };
        Self::from_raw(p, E::InvalidKey)
    }

    pub(super) fn check_key(&self) -> bool {
        // SAFETY: self owns a live RSA.
        unsafe { sys::RSA_check_key(self.as_ptr()) == 1 }
    }

    /// Modulus length in bytes.
    pub(super) fn size(&self) -> usize {
        // SAFETY: self owns a live RSA; every constructor sets a modulus.
        unsafe { sys::RSA_size(self.as_ptr()) as usize }
    }

    pub(super) fn bits(&self) -> usize {
        // SAFETY: as for `size`.
        unsafe { sys::RSA_bits(self.as_ptr()) as usize }
    }

    /// `[n, e, d, p, q, dmp1, dmq1, iqmp]`, each empty when absent.
    pub(super) fn parts(&self) -> [Vec<u8>; 8] {
        // SAFETY: self owns a live RSA.
        unsafe { rsa_parts(self.as_ptr()) }
    }

    pub(super) fn public(&self) -> Result<Self> {
        let (mut n, mut e) = (null(), null());
        // SAFETY: self owns a live RSA; the out-pointers are valid locals.
        unsafe { sys::RSA_get0_key(self.as_ptr(), &mut n, &mut e, null_mut()) };
        // SAFETY: n and e are borrowed from `self`, live for the call; copied.
        let p = unsafe { sys::RSA_new_public_key(n, e) };
        Self::from_raw(p, E::Internal)
    }

    /// Runs one of the raw RSA calls; the output buffer is `k` bytes, the
    /// maximum any of them writes.
    pub(super) fn op(&self, op: RsaOp, pad: RsaPad, input: &[u8]) -> Result<Secret> {
        let pad = match pad {
            RsaPad::Pkcs1 => sys::RSA_PKCS1_PADDING,
            RsaPad::None => sys::RSA_NO_PADDING,
        };
        let mut out = Zeroizing::new(vec![0u8; self.size()]);
        let (r, o, k, mut len) = (self.as_ptr(), out.as_mut_ptr(), out.len(), 0usize);
        let (i, n) = (input.as_ptr(), input.len());
        // SAFETY: `o` has k (= max_out) writable bytes, `i` is readable for
        // `n` bytes, and `r` is a live RSA owned by self.
        let rc = unsafe {
            match op {
                RsaOp::Sign => sys::RSA_sign_raw(r, &mut len, o, k, i, n, pad),
                RsaOp::Verify => sys::RSA_verify_raw(r, &mut len, o, k, i, n, pad),
                RsaOp::Encrypt => sys::RSA_encrypt(r, &mut len, o, k, i, n, pad),
                RsaOp::Decrypt => sys::RSA_decrypt(r, &mut len, o, k, i, n, pad),
            }
        };
        check(rc, E::InvalidInput)?;
        out.truncate(len);
        Ok(out)
    }

    pub(super) fn sign_pss(&self, dg: &[u8], h: Hash, mgf: Hash, salt: usize) -> Result<Vec<u8>> {
        let salt = to_int(salt, E::InvalidInput)?;
        let (md, mgf) = (evp_md(h), evp_md(mgf));
        let mut out = vec![0u8; self.size()];
        let (r, o, k, mut len) = (self.as_ptr(), out.as_mut_ptr(), out.len(), 0usize);
        let (d, n) = (dg.as_ptr(), dg.len());
        // SAFETY: `o` has k writable bytes, `d` is readable for `n` bytes, the
        // EVP_MDs are static and `r` is a live RSA owned by self.
        let rc = unsafe { sys::RSA_sign_pss_mgf1(r, &mut len, o, k, d, n, md, mgf, salt) };
        check(rc, E::InvalidInput)?;
        out.truncate(len);
        Ok(out)
    }

    pub(super) fn verify_pss(&self, dg: &[u8], h: Hash, m: Hash, salt: usize, sg: &[u8]) -> Result<()> {
        let salt = to_int(salt, E::SignatureInvalid)?;
        let (r, md, mgf) = (self.as_ptr(), evp_md(h), evp_md(m));
        let (d, n, s, sn) = (dg.as_ptr(), dg.len(), sg.as_ptr(), sg.len());
        // SAFETY: `d` and `s` are readable for `n` and `sn` bytes, the EVP_MDs
        // are static and `r` is a live RSA owned by self.
        let rc = unsafe { sys::RSA_verify_pss_mgf1(r, d, n, md, mgf, salt, s, sn) };
        check(rc, E::SignatureInvalid)
    }

    /// RSA-OAEP through `EVP_PKEY`, which supports distinct OAEP/MGF1 hashes
    /// and a label. Output is at most `k` bytes.
    pub(super) fn oaep(&self, enc: bool, hs: [Hash; 2], label: &[u8], i: &[u8]) -> Result<Secret> {
        // SAFETY: EVP_PKEY_new has no preconditions.
        let pkey = Pkey::from_raw(unsafe { sys::EVP_PKEY_new() }, E::Internal)?;
        // SAFETY: both objects are live; set1 takes its own RSA reference.
        let rc = unsafe { sys::EVP_PKEY_set1_RSA(pkey.as_ptr(), self.as_ptr()) };
        check(rc, E::Internal)?;
        // SAFETY: pkey is live; the context takes its own reference to it.
        let ctx = unsafe { sys::EVP_PKEY_CTX_new(pkey.as_ptr(), null_mut()) };
        let ctx = PkeyCtx::from_raw(ctx, E::Internal)?;
        let c = ctx.as_ptr();
        // SAFETY: `c` is a live context; the EVP_MDs are static.
        let ok = unsafe {
            let init = if enc {
                sys::EVP_PKEY_encrypt_init(c)
            } else {
                sys::EVP_PKEY_decrypt_init(c)
            };
            init == 1
                && sys::EVP_PKEY_CTX_set_rsa_padding(c, sys::RSA_PKCS1_OAEP_PADDING) == 1
                && sys::EVP_PKEY_CTX_set_rsa_oaep_md(c, evp_md(hs[0])) == 1
                && sys::EVP_PKEY_CTX_set_rsa_mgf1_md(c, evp_md(hs[1])) == 1
        };
        if !ok {
            return fail(E::Internal);
        }
        if !label.is_empty() {
            // SAFETY: OPENSSL_malloc has no preconditions; null is checked.
            let buf = unsafe { sys::OPENSSL_malloc(label.len()) }.cast::<u8>();
            if buf.is_null() {
                return fail(E::Internal);
            }
            // SAFETY: `buf` is a fresh allocation of label.len() bytes, so it
            // is writable and cannot overlap `label`.
            unsafe { ptr::copy_nonoverlapping(label.as_ptr(), buf, label.len()) };
            // SAFETY: `c` is live; on success the context takes ownership of
            // the OPENSSL_malloc'd `buf`.
            if unsafe { sys::EVP_PKEY_CTX_set0_rsa_oaep_label(c, buf, label.len()) } != 1 {
                // SAFETY: on failure ownership stayed with us; free it once.
                unsafe { sys::OPENSSL_free(buf.cast::<c_void>()) };
                return fail(E::Internal);
            }
        }
        let mut out = Zeroizing::new(vec![0u8; self.size()]);
        let (o, mut len) = (out.as_mut_ptr(), out.len());
        // SAFETY: `o` has `len` writable bytes, `i` is readable for its
        // length and the context is live and initialised for this direction.
        let rc = unsafe {
            if enc {
                sys::EVP_PKEY_encrypt(c, o, &mut len, i.as_ptr(), i.len())
            } else {
                sys::EVP_PKEY_decrypt(c, o, &mut len, i.as_ptr(), i.len())
            }
        };
        check(rc, E::InvalidInput)?;
        out.truncate(len);
        Ok(out)
    }
}

/// `[n, e, d, p, q, dmp1, dmq1, iqmp]` of `r`, each empty when absent.
///
/// # Safety
/// `r` must point to an RSA that stays live during the call.
pub(super) unsafe fn rsa_parts(r: *const sys::RSA) -> [Vec<u8>; 8] {
    let mut p: [*const sys::BIGNUM; 8] = [null(); 8];
    let [n, e, d, pp, q, dp, dq, qi] = &mut p;
    // SAFETY: the caller guarantees `r`; the out-pointers are valid locals
    // that receive pointers borrowed from `r`.
    unsafe {
        sys::RSA_get0_key(r, n, e, d);
        sys::RSA_get0_factors(r, pp, q);
        sys::RSA_get0_crt_params(r, dp, dq, qi);
    }
    // SAFETY: each pointer is null or borrowed from `r`, still live.
    p.map(|bn| unsafe { bn_bytes(bn) })
}

// -------------------------------------------------------------------- EC

pub(super) fn curve_nid(c: Curve) -> c_int {
    match c {
        Curve::P256 => sys::NID_X9_62_prime256v1,
        Curve::P384 => sys::NID_secp384r1,
        Curve::P521 => sys::NID_secp521r1,
        Curve::Secp256k1 => sys::NID_secp256k1,
    }
}

impl EcKey {
    fn new(c: Curve) -> Result<Self> {
        // SAFETY: the NID names a built-in curve; null is checked.
        let key = unsafe { sys::EC_KEY_new_by_curve_name(curve_nid(c)) };
        Self::from_raw(key, E::Internal)
    }

    fn group(&self) -> *const sys::EC_GROUP {
        // SAFETY: self owns a live EC_KEY whose (static) group was set by `new`.
        unsafe { sys::EC_KEY_get0_group(self.as_ptr()) }
    }

    fn new_point(&self) -> Result<EcPoint> {
        // SAFETY: the group is live (static for built-in curves).
        EcPoint::from_raw(unsafe { sys::EC_POINT_new(self.group()) }, E::Internal)
    }

    /// Installs `pt` as the public key and runs `EC_KEY_check_key`.
    fn set_public(&self, pt: &EcPoint) -> Result<()> {
        // SAFETY: self and pt are live and on the same group; aws-lc copies pt.
        let rc = unsafe { sys::EC_KEY_set_public_key(self.as_ptr(), pt.as_ptr()) };
        check(rc, E::InvalidKey)?;
        // SAFETY: self owns a live EC_KEY.
        let rc = unsafe { sys::EC_KEY_check_key(self.as_ptr()) };
        check(rc, E::InvalidKey)
    }

    /// Decodes an uncompressed or compressed point; aws-lc rejects encodings
    /// of points that are not on the curve.
    fn decode_point(&self, octets: &[u8]) -> Result<EcPoint> {
        let pt = self.new_point()?;
        let (g, p, o, len) = (self.group(), pt.as_ptr(), octets.as_ptr(), octets.len());
        // SAFETY: `p` belongs to group `g`; `o` is readable for `len` bytes; a
        // null BN_CTX is allowed.
        let rc = unsafe { sys::EC_POINT_oct2point(g, p, o, len, null_mut()) };
        check(rc, E::InvalidKey)?;
        Ok(pt)
    }

    pub(super) fn generate(c: Curve) -> Result<Self> {
        let key = Self::new(c)?;
        // SAFETY: key is a live EC_KEY with its group set.
        let rc = unsafe { sys::EC_KEY_generate_key(key.as_ptr()) };
        check(rc, E::Internal)?;
        Ok(key)
    }

    /// Private key from a big-endian scalar; the public point is `d * G`.
    pub(super) fn from_scalar(c: Curve, d: &[u8]) -> Result<Self> {
        let key = Self::new(c)?;
        let d = Bn::from_be(d)?;
        if d.is_zero() {
            return fail(E::InvalidKey);
        }
        // SAFETY: key and d are live; aws-lc copies d and rejects d >= order.
        let rc = unsafe { sys::EC_KEY_set_private_key(key.as_ptr(), d.as_ptr()) };
        check(rc, E::InvalidKey)?;
        let pt = key.new_point()?;
        let (g, p, n) = (key.group(), pt.as_ptr(), d.as_ptr());
        // SAFETY: `p` belongs to group `g`; computes n*G (q and m null); a
        // null BN_CTX is allowed.
        let rc = unsafe { sys::EC_POINT_mul(g, p, n, null(), null(), null_mut()) };
        check(rc, E::Internal)?;
        key.set_public(&pt)?;
        Ok(key)
    }

    pub(super) fn from_point(c: Curve, octets: &[u8]) -> Result<Self> {
        let key = Self::new(c)?;
        key.set_public(&key.decode_point(octets)?)?;
        Ok(key)
    }

    pub(super) fn scalar(&self, len: usize) -> Result<Secret> {
        // SAFETY: self owns a live EC_KEY.
        let d = unsafe { sys::EC_KEY_get0_private_key(self.as_ptr()) };
        if d.is_null() {
            return fail(E::InvalidKey);
        }
        // SAFETY: `d` is borrowed from `self`, which outlives the call.
        unsafe { bn_padded(d, len) }
    }

    /// The public point, uncompressed (`04 || X || Y`).
    pub(super) fn point(&self, field_len: usize) -> Result<Vec<u8>> {
        // SAFETY: self owns a live EC_KEY.
        let pt = unsafe { sys::EC_KEY_get0_public_key(self.as_ptr()) };
        if pt.is_null() {
            return fail(E::InvalidKey);
        }
        let mut out = vec![0u8; 1 + 2 * field_len];
        let form = sys::point_conversion_form_t::POINT_CONVERSION_UNCOMPRESSED;
        let (o, len) = (out.as_mut_ptr(), out.len());
        // SAFETY: `pt` is borrowed from `self`; `o` has `len` writable bytes;
        // a null BN_CTX is allowed.
        let n = unsafe { sys::EC_POINT_point2oct(self.group(), pt, form, o, len, null_mut()) };
        if n != len {
            return fail(E::Internal);
        }
        Ok(out)
    }

    /// ECDSA over `digest` (aws-lc truncates to the order's bit length);
    /// returns `r || s`, each left-padded to `order_len`.
    pub(super) fn sign(&self, digest: &[u8], order_len: usize) -> Result<Vec<u8>> {
        // SAFETY: `digest` is readable; self owns a live private EC_KEY.
        let sig = unsafe { sys::ECDSA_do_sign(digest.as_ptr(), digest.len(), self.as_ptr()) };
        let sig = EcdsaSig::from_raw(sig, E::Internal)?;
        let (mut r, mut s) = (null(), null());
        // SAFETY: sig is live; r and s receive pointers borrowed from it.
        unsafe { sys::ECDSA_SIG_get0(sig.as_ptr(), &mut r, &mut s) };
        // SAFETY: r and s are borrowed from `sig`, which is still live.
        let (r, s) = unsafe { (bn_padded(r, order_len)?, bn_padded(s, order_len)?) };
        Ok([&r[..], &s[..]].concat())
    }

    pub(super) fn verify(&self, digest: &[u8], r: &[u8], s: &[u8]) -> Result<()> {
        // SAFETY: ECDSA_SIG_new has no preconditions.
        let sig = EcdsaSig::from_raw(unsafe { sys::ECDSA_SIG_new() }, E::Internal)?;
        let (r, s) = (Bn::from_be(r)?.into_raw(), Bn::from_be(s)?.into_raw());
        // SAFETY: sig is live; on success set0 takes ownership of r and s.
        if unsafe { sys::ECDSA_SIG_set0(sig.as_ptr(), r, s) } != 1 {
            // SAFETY: ownership was not transferred; free each exactly once.
            unsafe {
                sys::BN_free(r);
                sys::BN_free(s);
            }
            return fail(E::Internal);
        }
        // SAFETY: `digest` is readable; sig and self are live.
        let rc = unsafe { sys::ECDSA_do_verify(digest.as_ptr(), digest.len(), sig.as_ptr(), self.as_ptr()) };
        check(rc, E::SignatureInvalid)
    }

    /// Raw ECDH: the X coordinate of `d * peer`, exactly `field_len` bytes.
    pub(super) fn ecdh(&self, peer: &[u8], field_len: usize) -> Result<Secret> {
        let pt = self.decode_point(peer)?;
        let mut out = Zeroizing::new(vec![0u8; field_len]);
        let o = out.as_mut_ptr().cast::<c_void>();
        // SAFETY: `o` has field_len writable bytes; pt and self are live; no KDF.
        let n = unsafe { sys::ECDH_compute_key(o, field_len, pt.as_ptr(), self.as_ptr(), None) };
        if usize::try_from(n).ok() != Some(field_len) {
            return fail(E::InvalidInput);
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------- AES

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum AesKind {
    Ecb,
    Cbc,
    Ctr,
    Gcm,
}

fn aes_cipher(kind: AesKind, key_len: usize) -> Result<*const sys::EVP_CIPHER> {
    use AesKind::*;
    // SAFETY: these accessors have no preconditions and return static tables.
    let c = unsafe {
        match (kind, key_len) {
            (Ecb, 16) => sys::EVP_aes_128_ecb(),
            (Ecb, 24) => sys::EVP_aes_192_ecb(),
            (Ecb, 32) => sys::EVP_aes_256_ecb(),
            (Cbc, 16) => sys::EVP_aes_128_cbc(),
            (Cbc, 24) => sys::EVP_aes_192_cbc(),
            (Cbc, 32) => sys::EVP_aes_256_cbc(),
            (Ctr, 16) => sys::EVP_aes_128_ctr(),
            (Ctr, 24) => sys::EVP_aes_192_ctr(),
            (Ctr, 32) => sys::EVP_aes_256_ctr(),
            (Gcm, 16) => sys::EVP_aes_128_gcm(),
            (Gcm, 24) => sys::EVP_aes_192_gcm(),
            (Gcm, 32) => sys::EVP_aes_256_gcm(),
            _ => return Err(E::KeySize),
        }
    };
    Ok(c)
}

impl CipherCtx {
    /// An EVP cipher context for `kind`. The IV must be empty for ECB, 16
    /// bytes for CBC/CTR and non-empty for GCM (any length).
    pub(super) fn new(kind: AesKind, key: &[u8], iv: &[u8], encrypt: bool, padding: bool) -> Result<Self> {
        let cipher = aes_cipher(kind, key.len())?;
        let iv_ok = match kind {
            AesKind::Ecb => iv.is_empty(),
            AesKind::Cbc | AesKind::Ctr => iv.len() == 16,
            AesKind::Gcm => !iv.is_empty(),
        };
        let iv_len = to_int(iv.len(), E::InvalidInput)?;
        if !iv_ok {
            return Err(E::InvalidInput);
        }
        let iv = if iv.is_empty() { null() } else { iv.as_ptr() };
        // SAFETY: EVP_CIPHER_CTX_new has no preconditions.
        let ctx = Self::from_raw(unsafe { sys::EVP_CIPHER_CTX_new() }, E::Internal)?;
        let (c, enc, e) = (ctx.as_ptr(), c_int::from(encrypt), null_mut());
        // SAFETY: `c` is live. The cipher is selected first; for GCM the IV
        // length is then set to iv_len. The key has the cipher's key length
        // (checked by aes_cipher) and the IV is null (ECB) or readable for the
        // IV length in force, as checked above.
        let ok = unsafe {
            sys::EVP_CipherInit_ex(c, cipher, e, null(), null(), enc) == 1
                && (kind != AesKind::Gcm
                    || sys::EVP_CIPHER_CTX_ctrl(c, sys::EVP_CTRL_GCM_SET_IVLEN, iv_len, null_mut()) == 1)
                && sys::EVP_CipherInit_ex(c, null(), e, key.as_ptr(), iv, enc) == 1
                && sys::EVP_CIPHER_CTX_set_padding(c, c_int::from(padding)) == 1
        };
        if !ok {
            return fail(E::Internal);
        }
        Ok(ctx)
    }

    /// Feeds additional authenticated data (GCM only).
    pub(super) fn aad(&mut self, aad: &[u8]) -> Result<()> {
        for chunk in aad.chunks(CHUNK) {
            let (len, mut out_len) = (to_int(chunk.len(), E::Internal)?, 0);
            // SAFETY: the context is live; a null output makes the GCM cipher
            // absorb `chunk` (readable, `len` bytes) as AAD.
            let rc = unsafe {
                sys::EVP_CipherUpdate(self.as_ptr(), null_mut(), &mut out_len, chunk.as_ptr(), len)
            };
            check(rc, E::Internal)?;
        }
        Ok(())
    }

    /// Processes `input`, appending the produced bytes to `out`.
    pub(super) fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        for chunk in input.chunks(CHUNK) {
            let (len, mut out_len) = (to_int(chunk.len(), E::Internal)?, 0);
            let start = out.len();
            // EVP may emit up to one extra block of previously buffered data.
            out.resize(start + chunk.len() + 16, 0);
            let o = out[start..].as_mut_ptr();
            // SAFETY: the context is live; `o` has chunk.len() + 16 writable
            // bytes (EVP's documented maximum); `chunk` is readable.
            let rc = unsafe { sys::EVP_CipherUpdate(self.as_ptr(), o, &mut out_len, chunk.as_ptr(), len) };
            match usize::try_from(out_len) {
                Ok(n) if rc == 1 && n <= chunk.len() + 16 => out.truncate(start + n),
                _ => {
                    out.truncate(start);
                    return fail(E::Internal);
                }
            }
        }
        Ok(())
    }

    /// Finalises, appending any remaining output to `out`; failure is `e`.
    pub(super) fn finish(&mut self, out: &mut Vec<u8>, e: E) -> Result<()> {
        let (start, mut out_len) = (out.len(), 0);
        out.resize(start + 16, 0);
        // SAFETY: the context is live; the output has 16 writable bytes (one
        // block, the most EVP_CipherFinal_ex writes).
        let rc = unsafe { sys::EVP_CipherFinal_ex(self.as_ptr(), out[start..].as_mut_ptr(), &mut out_len) };
        match usize::try_from(out_len) {
            Ok(n) if rc == 1 && n <= 16 => out.truncate(start + n),
            _ => {
                out.truncate(start);
                return fail(e);
            }
        }
        Ok(())
    }

    /// GCM: reads (encrypt, after `finish`) or sets (decrypt, before
    /// `finish`) the first `tag.len()` (1..=16) tag bytes.
    pub(super) fn gcm_tag(&mut self, tag: &mut [u8], encrypt: bool) -> Result<()> {
        let mut buf = [0u8; 16];
        let n = tag.len();
        if n == 0 || n > 16 {
            return Err(E::InvalidInput);
        }
        buf[..n].copy_from_slice(tag);
        let cmd = if encrypt {
            sys::EVP_CTRL_GCM_GET_TAG
        } else {
            sys::EVP_CTRL_GCM_SET_TAG
        };
        // SAFETY: the context is live; aws-lc reads or writes n <= 16 bytes
        // of the 16-byte `buf`.
        let rc = unsafe { sys::EVP_CIPHER_CTX_ctrl(self.as_ptr(), cmd, n as c_int, buf.as_mut_ptr().cast()) };
        check(rc, E::InvalidInput)?;
        tag.copy_from_slice(&buf[..n]);
        Ok(())
    }
}

// ------------------------------------------------------------------ CMAC

impl CmacCtx {
    pub(super) fn new(key: &[u8]) -> Result<Self> {
        let cipher = aes_cipher(AesKind::Cbc, key.len())?;
        // SAFETY: CMAC_CTX_new has no preconditions.
        let ctx = Self::from_raw(unsafe { sys::CMAC_CTX_new() }, E::Internal)?;
        let k = key.as_ptr().cast::<c_void>();
        // SAFETY: ctx is live; `key` is readable and has the cipher's key length.
        let rc = unsafe { sys::CMAC_Init(ctx.as_ptr(), k, key.len(), cipher, null_mut()) };
        check(rc, E::Internal)?;
        Ok(ctx)
    }

    pub(super) fn try_clone(&self) -> Result<Self> {
        // SAFETY: CMAC_CTX_new has no preconditions.
        let ctx = Self::from_raw(unsafe { sys::CMAC_CTX_new() }, E::Internal)?;
        // SAFETY: both contexts are live and distinct.
        let rc = unsafe { sys::CMAC_CTX_copy(ctx.as_ptr(), self.as_ptr()) };
        check(rc, E::Internal)?;
        Ok(ctx)
    }

    pub(super) fn update(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: the context is live and initialised; `data` is readable.
        let rc = unsafe { sys::CMAC_Update(self.as_ptr(), data.as_ptr(), data.len()) };
        check(rc, E::Internal)
    }

    pub(super) fn finish(&mut self) -> Result<[u8; 16]> {
        let (mut out, mut len) = ([0u8; 16], 0usize);
        // SAFETY: the context is live; `out` has 16 writable bytes (one AES block).
        let rc = unsafe { sys::CMAC_Final(self.as_ptr(), out.as_mut_ptr(), &mut len) };
        check(rc, E::Internal)?;
        if len != 16 {
            return fail(E::Internal);
        }
        Ok(out)
    }
}

// -------------------------------------------------------------- Key wrap

/// An expanded AES key schedule, wiped on drop.
struct AesKey(sys::AES_KEY);

impl Drop for AesKey {
    fn drop(&mut self) {
        self.0.rd_key.zeroize();
        self.0.rounds.zeroize();
    }
}

/// RFC 3394 (`pad == false`) or RFC 5649 (`pad == true`) wrap or unwrap.
/// Integrity failure on unwrap is `DecryptFailed`.
pub(super) fn key_wrap(kek: &[u8], data: &[u8], wrap: bool, pad: bool) -> Result<Secret> {
    let bits: c_uint = match kek.len() {
        16 | 24 | 32 => (kek.len() * 8) as c_uint,
        _ => return Err(E::KeySize),
    };
    let n = data.len();
    let len_ok = match (wrap, pad) {
        (true, false) => n >= 16 && n % 8 == 0,
        (false, false) => n >= 24 && n % 8 == 0,
        (true, true) => (1..=u32::MAX as usize).contains(&n),
        (false, true) => n >= 16 && n % 8 == 0,
    };
    if !len_ok {
        return Err(E::DataLenRange);
    }
    let mut key = AesKey(sys::AES_KEY {
        rd_key: [0; 60],
        rounds: 0,
    });
    // SAFETY: `kek` holds bits/8 readable bytes; `key.0` is a writable AES_KEY.
    let rc = unsafe {
        if wrap {
            sys::AES_set_encrypt_key(kek.as_ptr(), bits, &mut key.0)
        } else {
            sys::AES_set_decrypt_key(kek.as_ptr(), bits, &mut key.0)
        }
    };
    if rc != 0 {
        return fail(E::KeySize);
    }
    // Wrapping adds (padding up to a multiple of 8 and) one 8-byte block.
    let max = if wrap { n.div_ceil(8) * 8 + 8 } else { n - 8 };
    let mut out = Zeroizing::new(vec![0u8; max]);
    let k: *const sys::AES_KEY = &key.0;
    let (o, i, mut len) = (out.as_mut_ptr(), data.as_ptr(), 0usize);
    // SAFETY: `k` is an initialised key schedule, `o` has `max` writable
    // bytes (the most each call writes for this input length), `i` is
    // readable for `n` bytes; a null IV selects the RFC 3394 default.
    let rc = unsafe {
        match (wrap, pad) {
            (true, false) => sys::AES_wrap_key(k, null(), o, i, n),
            (false, false) => sys::AES_unwrap_key(k, null(), o, i, n),
            (true, true) => sys::AES_wrap_key_padded(k, o, &mut len, max, i, n),
            (false, true) => sys::AES_unwrap_key_padded(k, o, &mut len, max, i, n),
        }
    };
    let ok = if pad {
        rc == 1 && len <= max
    } else {
        usize::try_from(rc).ok() == Some(max)
    };
    if !ok {
        return fail(if wrap { E::Internal } else { E::DecryptFailed });
    }
    out.truncate(if pad { len } else { max });
    Ok(out)
}

// ------------------------------------------------------------------ misc

/// Constant-time equality (only the lengths are compared in variable time).
pub(super) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // SAFETY: both slices are readable for a.len() == b.len() bytes
    // (CRYPTO_memcmp reads nothing when the length is zero).
    unsafe { sys::CRYPTO_memcmp(a.as_ptr().cast(), b.as_ptr().cast(), a.len()) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bignum_encodings() {
        let bn = Bn::from_be(&[0, 0, 1, 2, 3]).unwrap();
        // SAFETY: bn is live for each call.
        let (min, padded, short) = unsafe {
            (
                bn_bytes(bn.as_ptr()),
                bn_padded(bn.as_ptr(), 6).unwrap(),
                bn_padded(bn.as_ptr(), 2),
            )
        };
        assert_eq!(min, [1, 2, 3]);
        assert_eq!(&padded[..], &[0, 0, 0, 1, 2, 3]);
        assert_eq!(short.err(), Some(E::Internal));
        assert!(Bn::from_be(&[]).unwrap().is_zero());
        // SAFETY: a null pointer is explicitly allowed.
        assert!(unsafe { bn_bytes(null()) }.is_empty());
    }

    #[test]
    fn ct_eq_basic() {
        assert!(ct_eq(b"abc", b"abc") && ct_eq(b"", b""));
        assert!(!ct_eq(b"abc", b"abd") && !ct_eq(b"abc", b"ab"));
    }

    #[test]
    fn bad_sizes_rejected_before_c() {
        assert_eq!(aes_cipher(AesKind::Cbc, 15).err(), Some(E::KeySize));
        assert!(CipherCtx::new(AesKind::Cbc, &[0; 16], &[0; 8], true, false).is_err());
        assert!(CipherCtx::new(AesKind::Ecb, &[0; 16], &[0; 16], true, false).is_err());
        assert!(CipherCtx::new(AesKind::Gcm, &[0; 16], &[], true, false).is_err());
        let kw = |kek: usize, n: usize, w, p| key_wrap(&vec![0; kek], &vec![0; n], w, p).err();
        assert_eq!(kw(16, 12, true, false), Some(E::DataLenRange));
        assert_eq!(kw(16, 16, false, false), Some(E::DataLenRange));
        assert_eq!(kw(16, 12, false, true), Some(E::DataLenRange));
        assert_eq!(kw(16, 0, true, true), Some(E::DataLenRange));
        assert_eq!(kw(17, 16, true, false), Some(E::KeySize));
        assert_eq!(kw(16, 24, false, false), Some(E::DecryptFailed));
    }

    #[test]
    fn ecdh_rejects_bad_points() {
        let k = EcKey::generate(Curve::P256).unwrap();
        let mut bad = k.point(32).unwrap();
        bad[40] ^= 1;
        assert_eq!(k.ecdh(&bad, 32).err(), Some(E::InvalidKey));
        assert!(k.ecdh(&[], 32).is_err());
        assert!(k.ecdh(&[0], 32).is_err());
    }

    #[test]
    fn gcm_tag_len_checked() {
        let mut c = CipherCtx::new(AesKind::Gcm, &[0; 16], &[0; 12], false, false).unwrap();
        let err = c.gcm_tag(&mut [0u8; 17], false).err();
        assert_eq!(err, Some(E::InvalidInput));
        assert_eq!(c.gcm_tag(&mut [], false).err(), Some(E::InvalidInput));
        assert!(c.gcm_tag(&mut [0u8; 12], false).is_ok());
    }
}
