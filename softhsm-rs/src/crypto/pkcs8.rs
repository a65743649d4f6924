//! PKCS#8 private keys: `PrivateKeyInfo` (RFC 5208) and `OneAsymmetricKey`
//! (RFC 5958, v1 and v2), with the RFC 8410 encoding for Ed25519/X25519.
//!
//! aws-lc does the DER work; every decoded key is then rebuilt through the
//! validating constructors ([`RsaPrivateKey::from_components`],
//! [`EcPrivateKey::from_scalar`]), so an imported key meets the same checks
//! as one imported from attributes.

use zeroize::Zeroizing;

use super::ffi_asym::{self, Decoded, RawKind};
use super::{key32, CryptoError, EcPrivateKey, Result, RsaPrivateKey};

/// A private key decoded from PKCS#8.
pub enum ParsedPrivateKey {
    Rsa(RsaPrivateKey),
    Ec(EcPrivateKey),
    /// The 32-byte RFC 8032 seed.
    Ed25519(Zeroizing<[u8; 32]>),
    /// The 32-byte RFC 7748 private key.
    X25519(Zeroizing<[u8; 32]>),
}

/// A private key to encode as PKCS#8.
#[derive(Clone, Copy)]
pub enum PrivateKeyRef<'a> {
    /// Must have its CRT parameters (a key imported from `n, e, d` alone
    /// cannot be encoded: `InvalidKey`).
    Rsa(&'a RsaPrivateKey),
    Ec(&'a EcPrivateKey),
    /// The 32-byte seed.
    Ed25519(&'a [u8]),
    /// The 32-byte private key.
    X25519(&'a [u8]),
}

impl core::fmt::Debug for ParsedPrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ParsedPrivateKey::Rsa(_) => "ParsedPrivateKey::Rsa",
            ParsedPrivateKey::Ec(_) => "ParsedPrivateKey::Ec",
            ParsedPrivateKey::Ed25519(_) => "ParsedPrivateKey::Ed25519",
            ParsedPrivateKey::X25519(_) => "ParsedPrivateKey::X25519",
        })
    }
}

impl core::fmt::Debug for PrivateKeyRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            PrivateKeyRef::Rsa(_) => "PrivateKeyRef::Rsa",
            PrivateKeyRef::Ec(_) => "PrivateKeyRef::Ec",
            PrivateKeyRef::Ed25519(_) => "PrivateKeyRef::Ed25519",
            PrivateKeyRef::X25519(_) => "PrivateKeyRef::X25519",
        })
    }
}

/// DER PKCS#8 encoding (version 1, no attributes). EC keys carry the named
/// curve in the algorithm identifier and the public point in the
/// `ECPrivateKey`; Ed25519/X25519 keys of another length than 32 bytes are `InvalidKey`.
pub fn private_key_to_pkcs8(key: &PrivateKeyRef<'_>) -> Result<Zeroizing<Vec<u8>>> {
    match *key {
        PrivateKeyRef::Rsa(k) => ffi_asym::pkcs8_rsa(&k.rsa),
        PrivateKeyRef::Ec(k) => ffi_asym::pkcs8_ec(&k.key),
        PrivateKeyRef::Ed25519(seed) => ffi_asym::pkcs8_raw(RawKind::Ed25519, &*key32(seed)?),
        PrivateKeyRef::X25519(k) => ffi_asym::pkcs8_raw(RawKind::X25519, &*key32(k)?),
    }
}

/// Decodes one DER PKCS#8 private key (RSA, EC on a supported named curve,
/// Ed25519 or X25519). Malformed or truncated DER, trailing bytes, other
/// algorithms or curves, and inconsistent key material are `InvalidKey`.
pub fn private_key_from_pkcs8(der: &[u8]) -> Result<ParsedPrivateKey> {
    let invalid = |e: CryptoError| match e {
        CryptoError::Internal => e,
        _ => CryptoError::InvalidKey,
    };
    match ffi_asym::pkcs8_parse(der)? {
        Decoded::Rsa(c) => RsaPrivateKey::from_components(&c)
            .map(ParsedPrivateKey::Rsa)
            .map_err(invalid),
        Decoded::Ec(curve, d) => EcPrivateKey::from_scalar(curve, &d)
            .map(ParsedPrivateKey::Ec)
            .map_err(invalid),
        Decoded::Raw(RawKind::Ed25519, seed) => Ok(ParsedPrivateKey::Ed25519(seed)),
        Decoded::Raw(RawKind::X25519, k) => Ok(ParsedPrivateKey::X25519(k)),
    }
}
