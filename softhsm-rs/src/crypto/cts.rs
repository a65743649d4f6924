//! AES-CBC with ciphertext stealing for `CKM_AES_CTS`.
//!
//! PKCS#11 defines `CKM_AES_CTS` by reference to the Addendum to NIST SP
//! 800-38A ("Three Variants of Ciphertext Stealing for CBC Mode") without
//! naming one of its variants CS1, CS2 and CS3, which differ only in the
//! order of the last two ciphertext blocks. Implementations disagree: NSS's
//! softoken and the OpenSSL pkcs11-provider use CS1 for `CKM_AES_CTS`;
//! Kerberos (RFC 3962) uses CS3. [`aes_cts_encrypt`]/[`aes_cts_decrypt`]
//! implement CS3: the last two blocks are always swapped (even when the
//! input is a whole number of blocks, unlike CS1 and CS2) and the final
//! block is the partial one. [`aes_cts_cs1_encrypt`]/[`aes_cts_cs1_decrypt`]
//! give CS1 (plain CBC for whole blocks, else the partial block second to
//! last) for interoperability with those tokens. The output is exactly as
//! long as the input, which must be at least one block; a single block is
//! plain CBC in every variant.
//!
//! Built on the existing AES-CBC/ECB primitives: encryption is CBC over the
//! zero-padded input, then the swap and truncation; decryption recovers the
//! stolen bytes with one ECB block decryption and then runs plain CBC.

use zeroize::Zeroizing;

use super::ffi::{AesKind, CipherCtx};
use super::{plain, CryptoError, Result};

const BLOCK: usize = 16;

/// One-shot AES in `kind` mode without padding over whole blocks.
fn run(kind: AesKind, key: &[u8], iv: &[u8], encrypt: bool, data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let mut ctx = CipherCtx::new(kind, key, iv, encrypt, false)?;
    // Room for EVP's worst case, so the buffer never reallocates (which
    // would leave an unwiped copy of plaintext behind).
    let mut out = Zeroizing::new(Vec::with_capacity(data.len() + 2 * BLOCK));
    ctx.update(data, &mut out)?;
    ctx.finish(&mut out, CryptoError::Internal)?;
    if out.len() != data.len() {
        return Err(CryptoError::Internal);
    }
    Ok(out)
}

/// Key and IV are checked before the data length: a key that is not
/// 16/24/32 bytes is `KeySize`, an IV that is not 16 bytes `InvalidInput`,
/// and data shorter than one block `DataLenRange`.
fn check_params(key: &[u8], iv: &[u8], len: usize) -> Result<()> {
    if !matches!(key.len(), 16 | 24 | 32) {
        return Err(CryptoError::KeySize);
    }
    if iv.len() != BLOCK {
        return Err(CryptoError::InvalidInput);
    }
    if len < BLOCK {
        return Err(CryptoError::DataLenRange);
    }
    Ok(())
}

/// AES-CBC-CS3 encryption of at least 16 bytes; output has the input's length.
pub fn aes_cts_encrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    check_params(key, iv, data.len())?;
    let n = data.len();
    let full = n.div_ceil(BLOCK) * BLOCK;
    let mut padded = Zeroizing::new(vec![0u8; full]);
    padded[..n].copy_from_slice(data);
    let mut c = run(AesKind::Cbc, key, iv, true, &padded)?;
    if n > BLOCK {
        // C1 .. C(n-2), Cn, C(n-1) truncated to the length of the last
        // plaintext block: the zero padding made Cn = E(C(n-1) ^ (Pn || 0)).
        let (head, last) = c.split_at_mut(full - BLOCK);
        head[full - 2 * BLOCK..].swap_with_slice(last);
    }
    c.truncate(n);
    Ok(plain(c))
}

/// AES-CBC-CS3 decryption of at least 16 bytes; output has the input's length.
pub fn aes_cts_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    check_params(key, iv, data.len())?;
    let n = data.len();
    if n == BLOCK {
        return run(AesKind::Cbc, key, iv, false, data);
    }
    let full = n.div_ceil(BLOCK) * BLOCK;
    // data = C1 .. C(n-2) | Cn (whole) | the first `tail` bytes of C(n-1).
    let pair = full - 2 * BLOCK;
    let tail = n - pair - BLOCK;
    let (head, rest) = data.split_at(pair);
    let (cn, cn1_head) = rest.split_at(BLOCK);
    // D(Cn) = C(n-1) ^ (Pn || 0), so its last BLOCK - tail bytes are the
    // stolen end of C(n-1).
    let dn = run(AesKind::Ecb, key, &[], false, cn)?;
    let mut ct = Vec::with_capacity(full);
    ct.extend_from_slice(head);
    ct.extend_from_slice(cn1_head);
    ct.extend_from_slice(&dn[tail..]);
    ct.extend_from_slice(cn);
    // Now plain CBC of the zero-padded plaintext.
    let mut p = run(AesKind::Cbc, key, iv, false, &ct)?;
    p.truncate(n);
    Ok(p)
}

/// The last `BLOCK + d` bytes of an `n`-byte message, where `d` (1..=16)
/// is the length of its last plaintext block: the two blocks that CS1 and
/// CS3 order differently. Empty for a single block.
fn stolen_pair(n: usize) -> (usize, usize) {
    if n <= BLOCK {
        return (n, 0);
    }
    let d = n - (n.div_ceil(BLOCK) - 1) * BLOCK;
    (n - BLOCK - d, d)
}

/// AES-CBC-CS1 encryption (NIST SP 800-38A Addendum, first variant); same
/// lengths and errors as [`aes_cts_encrypt`].
pub fn aes_cts_cs1_encrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let mut c = aes_cts_encrypt(key, iv, data)?;
    let (start, d) = stolen_pair(c.len());
    // CS3 ends `Cn || C(n-1)*`; CS1 ends `C(n-1)* || Cn`.
    c[start..].rotate_right(d);
    Ok(c)
}

/// AES-CBC-CS1 decryption; same lengths and errors as [`aes_cts_decrypt`].
pub fn aes_cts_cs1_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    check_params(key, iv, data.len())?;
    let mut c = data.to_vec();
    let (start, d) = stolen_pair(c.len());
    c[start..].rotate_left(d);
    aes_cts_decrypt(key, iv, &c)
}
