#![allow(unsafe_code)]
//! aws-lc `EVP_MD` digests, `HMAC_CTX`, HKDF-Expand and PBKDF2: the hashes
//! aws-lc-rs does not expose (MD5, SHA-3) and the KDF primitives.

use core::ffi::{c_int, c_uint};
use core::ptr::{null_mut, NonNull};

use aws_lc_sys as sys;
use zeroize::Zeroizing;

use super::ffi::{check, evp_md, fail, owned_ptr, Secret};
use super::{CryptoError as E, Hash, Result};

owned_ptr!(MdCtx, sys::EVP_MD_CTX, sys::EVP_MD_CTX_free);
owned_ptr!(HmacCtx, sys::HMAC_CTX, sys::HMAC_CTX_free);

// SAFETY: the only `&self` method, `try_clone`, reads the context through
// the `const` source argument of the copy function; everything that writes
// takes `&mut self` or `self`. Shared references are therefore read-only.
unsafe impl Sync for MdCtx {}
// SAFETY: as for `MdCtx`.
unsafe impl Sync for HmacCtx {}

/// `EVP_MAX_MD_SIZE`: the largest digest any `EVP_MD` writes.
const MAX_MD: usize = sys::EVP_MAX_MD_SIZE as usize;

/// Allocates a digest output buffer and trims it to the length written.
fn finish_into(f: impl FnOnce(*mut u8, &mut c_uint) -> c_int) -> Result<Vec<u8>> {
    let mut out = vec![0u8; MAX_MD];
    let mut len: c_uint = 0;
    check(f(out.as_mut_ptr(), &mut len), E::Internal)?;
    match usize::try_from(len) {
        Ok(n) if n <= MAX_MD => out.truncate(n),
        _ => return fail(E::Internal),
    }
    Ok(out)
}

impl MdCtx {
    pub(super) fn new(h: Hash) -> Result<Self> {
        // SAFETY: EVP_MD_CTX_new has no preconditions.
        let ctx = Self::from_raw(unsafe { sys::EVP_MD_CTX_new() }, E::Internal)?;
        // SAFETY: ctx is live; the EVP_MD is a static table; no engine.
        let rc = unsafe { sys::EVP_DigestInit_ex(ctx.as_ptr(), evp_md(h), null_mut()) };
        check(rc, E::Internal)?;
        Ok(ctx)
    }

    pub(super) fn try_clone(&self) -> Result<Self> {
        // SAFETY: EVP_MD_CTX_new has no preconditions.
        let ctx = Self::from_raw(unsafe { sys::EVP_MD_CTX_new() }, E::Internal)?;
        // SAFETY: both contexts are live and distinct; the source is
        // initialised and only read.
        let rc = unsafe { sys::EVP_MD_CTX_copy_ex(ctx.as_ptr(), self.as_ptr()) };
        check(rc, E::Internal)?;
        Ok(ctx)
    }

    pub(super) fn update(&mut self, data: &[u8]) -> Result<()> {
        let (d, n) = (data.as_ptr().cast(), data.len());
        // SAFETY: the context is live and initialised; `d` is readable for `n`.
        let rc = unsafe { sys::EVP_DigestUpdate(self.as_ptr(), d, n) };
        check(rc, E::Internal)
    }

    /// Consumes the context: it cannot be updated after finalisation.
    pub(super) fn finish(self) -> Result<Vec<u8>> {
        // SAFETY: the context is live and initialised; `o` has MAX_MD
        // (EVP_MAX_MD_SIZE) writable bytes, the most any digest writes.
        finish_into(|o, len| unsafe { sys::EVP_DigestFinal_ex(self.as_ptr(), o, len) })
    }
}

/// One-shot digest through `EVP_MD`.
pub(super) fn digest(h: Hash, data: &[u8]) -> Result<Vec<u8>> {
    let mut ctx = MdCtx::new(h)?;
    ctx.update(data)?;
    ctx.finish()
}

impl HmacCtx {
    pub(super) fn new(h: Hash, key: &[u8]) -> Result<Self> {
        // SAFETY: HMAC_CTX_new has no preconditions.
        let ctx = Self::from_raw(unsafe { sys::HMAC_CTX_new() }, E::Internal)?;
        let (k, n) = (key.as_ptr().cast(), key.len());
        // SAFETY: ctx is live; `k` is non-null and readable for `n` bytes (a
        // non-null key, even empty, selects a new key); the EVP_MD is static.
        let rc = unsafe { sys::HMAC_Init_ex(ctx.as_ptr(), k, n, evp_md(h), null_mut()) };
        check(rc, E::Internal)?;
        Ok(ctx)
    }

    pub(super) fn try_clone(&self) -> Result<Self> {
        // SAFETY: HMAC_CTX_new has no preconditions.
        let ctx = Self::from_raw(unsafe { sys::HMAC_CTX_new() }, E::Internal)?;
        // SAFETY: both contexts are live and distinct; the source is
        // initialised and only read.
        let rc = unsafe { sys::HMAC_CTX_copy_ex(ctx.as_ptr(), self.as_ptr()) };
        check(rc, E::Internal)?;
        Ok(ctx)
    }

    pub(super) fn update(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: the context is live and initialised; `data` is readable.
        let rc = unsafe { sys::HMAC_Update(self.as_ptr(), data.as_ptr(), data.len()) };
        check(rc, E::Internal)
    }

    /// Consumes the context (dropping it wipes the keyed state).
    pub(super) fn finish(self) -> Result<Vec<u8>> {
        // SAFETY: the context is live and initialised; `o` has MAX_MD
        // (EVP_MAX_MD_SIZE) writable bytes, the most HMAC_Final writes.
        finish_into(|o, len| unsafe { sys::HMAC_Final(self.as_ptr(), o, len) })
    }
}

/// HKDF-Expand (RFC 5869 section 2.3); the caller bounds `len`.
pub(super) fn hkdf_expand(h: Hash, prk: &[u8], info: &[u8], len: usize) -> Result<Secret> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    let (p, pn, i, inl) = (prk.as_ptr(), prk.len(), info.as_ptr(), info.len());
    // SAFETY: `out` has `len` writable bytes; `p` and `i` are readable for
    // `pn` and `inl` bytes; the EVP_MD is static.
    let rc = unsafe { sys::HKDF_expand(out.as_mut_ptr(), len, evp_md(h), p, pn, i, inl) };
    check(rc, E::Internal)?;
    Ok(out)
}

/// PBKDF2 with HMAC-`h` (RFC 8018 section 5.2); the caller bounds `len` and
/// rejects zero iterations.
pub(super) fn pbkdf2(h: Hash, password: &[u8], salt: &[u8], iterations: u32, len: usize) -> Result<Secret> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    let (pw, pwn) = (password.as_ptr().cast(), password.len());
    let (s, sn) = (salt.as_ptr(), salt.len());
    // SAFETY: `pw` and `s` are readable for `pwn` and `sn` bytes; `out` has
    // `len` writable bytes; the EVP_MD is static.
    let rc = unsafe { sys::PKCS5_PBKDF2_HMAC(pw, pwn, s, sn, iterations, evp_md(h), len, out.as_mut_ptr()) };
    check(rc, E::Internal)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evp_digest_lengths_match_hash_len() {
        for h in [
            Hash::Md5,
            Hash::Sha1,
            Hash::Sha256,
            Hash::Sha3_224,
            Hash::Sha3_512,
        ] {
            // SAFETY: the EVP_MD is a static table.
            assert_eq!(unsafe { sys::EVP_MD_size(evp_md(h)) }, h.len());
            assert_eq!(digest(h, b"abc").unwrap().len(), h.len());
            assert_eq!(HmacCtx::new(h, b"k").unwrap().finish().unwrap().len(), h.len());
        }
    }
}
