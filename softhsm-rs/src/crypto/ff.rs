//! Finite-field DSA (FIPS 186, PKCS #11 `CKM_DSA*`) and Diffie-Hellman
//! (PKCS #3, `CKM_DH_PKCS_*`).
//!
//! Every integer is a big-endian unsigned byte string, as PKCS #11
//! attributes carry them; leading zero bytes are accepted on input and
//! integers are returned without them, except where a fixed width is stated.
//!
//! Caller-supplied domain parameters are checked cheaply on every call: `p`
//! odd of 512..=10000 bits (else `KeySize`, or `InvalidInput` when even),
//! `1 < g < p - 1`, and for DSA `q` odd of 160, 224 or 256 bits dividing
//! `p - 1` (else `InvalidInput`). Primality and the order of `g` are not
//! tested, as in aws-lc and SoftHSMv2. Bad key values are `InvalidKey`.

use zeroize::Zeroizing;

use super::ffi_ff::{DhGroup, DsaGroup};
use super::{CryptoError, Result};

/// DSA domain parameters (`CKA_PRIME`, `CKA_SUBPRIME`, `CKA_BASE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsaParams {
    pub p: Vec<u8>,
    pub q: Vec<u8>,
    pub g: Vec<u8>,
}

/// Diffie-Hellman domain parameters (`CKA_PRIME`, `CKA_BASE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhParams {
    pub p: Vec<u8>,
    pub g: Vec<u8>,
}

// ------------------------------------------------------------------- DSA

fn dsa_group(params: &DsaParams) -> Result<DsaGroup> {
    DsaGroup::new(&params.p, &params.q, &params.g)
}

/// Generates DSA parameters with a `bits`-bit `p` (FIPS 186-4 appendix A
/// as aws-lc implements it). `bits` must be a multiple of 64 in
/// `1024..=3072`, else `KeySize`. aws-lc picks `|q|` from `bits`: 160 below
/// 2048 (SHA-1 based) and 256 from 2048 on (SHA-256 based); it offers no
/// 224-bit `q`. 2048 bits took 0.3 to 0.8 s here (one core, release or debug).
pub fn dsa_generate_params(bits: usize) -> Result<DsaParams> {
    if !(1024..=3072).contains(&bits) || bits % 64 != 0 {
        return Err(CryptoError::KeySize);
    }
    let [p, q, g] = DsaGroup::generate(bits)?;
    Ok(DsaParams { p, q, g })
}

/// A fresh key pair `(x, y)`: `x` uniform in `[1, q - 1]`, `y = g^x mod p`.
pub fn dsa_generate_key(params: &DsaParams) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>)> {
    dsa_group(params)?.generate_key()
}

/// `y = g^x mod p`; `x` must satisfy `0 < x < q`, else `InvalidKey`.
pub fn dsa_public_from_private(params: &DsaParams, x: &[u8]) -> Result<Vec<u8>> {
    dsa_group(params)?.public(x)
}

/// `CKM_DSA` signature over caller bytes of any length (the leftmost `|q|`
/// bits are used, per FIPS 186-4 section 4.6): `r || s`, each exactly
/// `len(q)` bytes, left-padded. `x` must satisfy `0 < x < q`.
pub fn dsa_sign_digest(params: &DsaParams, x: &[u8], digest: &[u8]) -> Result<Vec<u8>> {
    dsa_group(params)?.sign(x, digest)
}

/// Verifies a `CKM_DSA` signature `r || s`. A signature that is not exactly
/// `2 * len(q)` bytes, or does not verify, is `SignatureInvalid`; a public
/// value outside `[2, p - 1]` is `InvalidKey`.
pub fn dsa_verify_digest(params: &DsaParams, y: &[u8], digest: &[u8], sig: &[u8]) -> Result<()> {
    let group = dsa_group(params)?;
    let n = group.q_len();
    if sig.len() != 2 * n {
        return Err(CryptoError::SignatureInvalid);
    }
    let (r, s) = sig.split_at(n);
    group.verify(y, digest, r, s)
}

// -------------------------------------------------------------------- DH

/// Generates PKCS #3 parameters: a random safe prime `p` of exactly `bits`
/// bits and `g = 2`. `bits` must be in `1024..=4096`, else `KeySize`.
/// Safe-prime search is slow and its time varies widely: 2048 bits took 9 to
/// 26 s here (one core, release build; 21 to 27 s in debug), and one try at
/// 4096 bits had not finished after 15 minutes. Callers should not hold
/// locks across this call.
pub fn dh_generate_params(bits: usize) -> Result<DhParams> {
    if !(1024..=4096).contains(&bits) {
        return Err(CryptoError::KeySize);
    }
    let [p, g] = DhGroup::generate(bits)?;
    Ok(DhParams { p, g })
}

/// A fresh key pair `(x, y = g^x mod p)`. As no subgroup order is known, `p`
/// is taken to be a safe prime and `x` is drawn from `[1, (p - 1) / 2 - 1]`.
pub fn dh_generate_key(params: &DhParams) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>)> {
    DhGroup::new(&params.p, &params.g)?.generate_key()
}

/// `y = g^x mod p`; `x` must lie in `[1, p - 2]`, else `InvalidKey`.
pub fn dh_public_from_private(params: &DhParams, x: &[u8]) -> Result<Vec<u8>> {
    DhGroup::new(&params.p, &params.g)?.public(x)
}

/// `CKM_DH_PKCS_DERIVE`: `peer_y^x mod p`, left-padded to `len(p)` bytes.
/// A peer value outside `[2, p - 2]` (or one giving the degenerate results 1
/// or `p - 1`) is `InvalidInput`; `x` outside `[1, p - 2]` is `InvalidKey`.
pub fn dh_compute(params: &DhParams, x: &[u8], peer_y: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    DhGroup::new(&params.p, &params.g)?.compute(x, peer_y)
}

#[cfg(test)]
#[path = "tests_ff.rs"]
mod tests;
