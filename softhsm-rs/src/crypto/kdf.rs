//! Key-derivation primitives: HKDF (RFC 5869), PBKDF2 (RFC 8018) and the
//! ANSI X9.63 / SEC 1 KDF used by the PKCS#11 `CKD_SHA*_KDF` functions.

use zeroize::Zeroizing;

use super::{ffi_md, CryptoError, Hash, Hmac, Result};

/// Largest output of [`pbkdf2`] and [`x963_kdf`]: far beyond any key size,
/// and it stops a hostile length from becoming a huge allocation.
const MAX_KDF_LEN: usize = 1 << 16;

/// HKDF-Extract: `PRK = HMAC-Hash(salt, IKM)`. An empty salt acts as
/// `HashLen` zero bytes, as RFC 5869 specifies (HMAC pads keys with zeros).
pub fn hkdf_extract(hash: Hash, salt: &[u8], ikm: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut m = Hmac::new(hash, salt);
    m.update(ikm);
    Zeroizing::new(m.finish())
}

/// HKDF-Expand to `len` bytes, `1 <= len <= 255 * HashLen`, else
/// `DataLenRange`. Any PRK length is accepted: PKCS#11 `CKM_HKDF_DERIVE`
/// may expand a key that was not produced by [`hkdf_extract`].
pub fn hkdf_expand(hash: Hash, prk: &[u8], info: &[u8], len: usize) -> Result<Zeroizing<Vec<u8>>> {
    if len == 0 || len > 255 * hash.len() {
        return Err(CryptoError::DataLenRange);
    }
    ffi_md::hkdf_expand(hash, prk, info, len)
}

/// PBKDF2 with HMAC-`hash` as the PRF. Zero iterations are `InvalidInput`;
/// `len` must be in `1..=65536`, else `DataLenRange`.
pub fn pbkdf2(
    hash: Hash,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    if iterations == 0 {
        return Err(CryptoError::InvalidInput);
    }
    if len == 0 || len > MAX_KDF_LEN {
        return Err(CryptoError::DataLenRange);
    }
    ffi_md::pbkdf2(hash, password, salt, iterations, len)
}

/// ANSI X9.63 KDF (SEC 1 section 3.6.1): the first `len` bytes of
/// `Hash(Z || 1) || Hash(Z || 2) || ...`, each counter a 32-bit big-endian
/// integer followed by `shared_info`. `len` must be in `1..=65536`, else
/// `DataLenRange`.
pub fn x963_kdf(hash: Hash, z: &[u8], shared_info: &[u8], len: usize) -> Result<Zeroizing<Vec<u8>>> {
    if len == 0 || len > MAX_KDF_LEN {
        return Err(CryptoError::DataLenRange);
    }
    // Whole blocks first, so the buffer never reallocates (which would leave
    // an unwiped copy behind); at most 4096 blocks, so the counter is small.
    let mut out = Zeroizing::new(Vec::with_capacity(len.div_ceil(hash.len()) * hash.len()));
    let mut counter: u32 = 1;
    while out.len() < len {
        // The EVP path for every hash: its context is wiped when dropped.
        let mut ctx = ffi_md::MdCtx::new(hash)?;
        ctx.update(z)?;
        ctx.update(&counter.to_be_bytes())?;
        ctx.update(shared_info)?;
        out.extend_from_slice(&Zeroizing::new(ctx.finish()?));
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    Ok(out)
}
