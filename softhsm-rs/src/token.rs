//! Token keys, PINs and sealing.
//!
//! Each token has a random 256-bit token key. It is stored only wrapped (AES-256-GCM) under a key
//! derived from the SO PIN and, once set, under one derived from the user PIN
//! (PBKDF2-HMAC-SHA256; salt and iteration count stored in each wrapped blob). A PIN is correct
//! exactly when its wrapped key opens, so no PIN or PIN hash is ever stored.
//!
//! Every object's sensitive part is sealed with AES-256-GCM under the token key, with the token's
//! and the object's identity as associated data: a blob copied to another object or another token
//! does not open.

use crate::attr::AttrType;
use crate::error::{Error, Result};
use crate::store::Role;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use zeroize::Zeroizing;

/// Length of a token key in bytes.
pub const TOKEN_KEY_LEN: usize = 32;
const WRAP_VERSION: u8 = 1;
const KDF_PBKDF2_SHA256: u8 = 1;
const SALT_LEN: usize = 16;
const SEAL_VERSION: u8 = 1;
const TAG_LEN: usize = 16;
/// Upper bound on a stored iteration count (a corrupt blob must not stall a login for hours).
const MAX_ITERATIONS: u32 = 50_000_000;

/// A token's key, in memory only while someone is logged in.
#[derive(Clone)]
pub struct TokenKey(Zeroizing<[u8; TOKEN_KEY_LEN]>);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// A fresh random token key.
    pub fn generate() -> Result<Self> {
        let mut k = Zeroizing::new([0u8; TOKEN_KEY_LEN]);
        aws_lc_rs::rand::fill(&mut k[..]).map_err(|_| Error::DeviceError)?;
        Ok(TokenKey(k))
    }

    fn aead(&self) -> Result<LessSafeKey> {
        let k = UnboundKey::new(&AES_256_GCM, &self.0[..]).map_err(|_| Error::GeneralError)?;
        Ok(LessSafeKey::new(k))
    }
}

fn role_byte(role: Role) -> u8 {
    match role {
        Role::So => b'S',
        Role::User => b'U',
    }
}

fn wrap_aad(token_uid: &str, role: Role) -> Vec<u8> {
    let mut a = b"softhsm-rs/token-key/v1\0".to_vec();
    a.extend_from_slice(token_uid.as_bytes());
    a.push(0);
    a.push(role_byte(role));
    a
}

fn derive(pin: &[u8], salt: &[u8], iterations: u32) -> Result<Zeroizing<[u8; 32]>> {
    let it = NonZeroU32::new(iterations).ok_or(Error::GeneralError)?;
    let mut out = Zeroizing::new([0u8; 32]);
    aws_lc_rs::pbkdf2::derive(aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256, it, salt, pin, &mut out[..]);
    Ok(out)
}

fn random_nonce() -> Result<[u8; NONCE_LEN]> {
    let mut n = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut n).map_err(|_| Error::DeviceError)?;
    Ok(n)
}

/// Wraps `key` under `pin` for `role` of token `token_uid`.
pub fn wrap_token_key(
    key: &TokenKey,
    pin: &[u8],
    iterations: u32,
    token_uid: &str,
    role: Role,
) -> Result<Vec<u8>> {
    let mut salt = [0u8; SALT_LEN];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| Error::DeviceError)?;
    let kek = derive(pin, &salt, iterations)?;
    let kek = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &kek[..]).map_err(|_| Error::GeneralError)?);
    let nonce = random_nonce()?;
    let mut body = key.0.to_vec();
    kek.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(wrap_aad(token_uid, role)),
        &mut body,
    )
    .map_err(|_| Error::GeneralError)?;
    let mut out = vec![WRAP_VERSION, KDF_PBKDF2_SHA256];
    out.extend_from_slice(&iterations.to_le_bytes());
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens a wrapped token key with `pin`. A wrong PIN gives `PinIncorrect`; a blob that is not
/// a wrapped key gives `DeviceError` (and a log line).
pub fn unwrap_token_key(blob: &[u8], pin: &[u8], token_uid: &str, role: Role) -> Result<TokenKey> {
    let header = 2 + 4 + SALT_LEN + NONCE_LEN;
    if blob.len() != header + TOKEN_KEY_LEN + TAG_LEN
        || blob[0] != WRAP_VERSION
        || blob[1] != KDF_PBKDF2_SHA256
    {
        log::error!("wrapped token key of token {token_uid} has an unknown format");
        return Err(Error::DeviceError);
    }
    let iterations = u32::from_le_bytes([blob[2], blob[3], blob[4], blob[5]]);
    if iterations == 0 || iterations > MAX_ITERATIONS {
        log::error!("wrapped token key of token {token_uid} has an implausible iteration count");
        return Err(Error::DeviceError);
    }
    let salt = &blob[6..6 + SALT_LEN];
    let nonce: [u8; NONCE_LEN] = blob[6 + SALT_LEN..header]
        .try_into()
        .map_err(|_| Error::DeviceError)?;
    let kek = derive(pin, salt, iterations)?;
    let kek = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &kek[..]).map_err(|_| Error::GeneralError)?);
    let mut body = Zeroizing::new(blob[header..].to_vec());
    let plain = kek
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(wrap_aad(token_uid, role)),
            &mut body,
        )
        .map_err(|_| Error::PinIncorrect)?;
    let mut k = Zeroizing::new([0u8; TOKEN_KEY_LEN]);
    k.copy_from_slice(plain);
    Ok(TokenKey(k))
}

fn seal_aad(token_uid: &str, object_uid: &str) -> Vec<u8> {
    let mut a = b"softhsm-rs/object/v1\0".to_vec();
    a.extend_from_slice(token_uid.as_bytes());
    a.push(0);
    a.extend_from_slice(object_uid.as_bytes());
    a
}

/// Seals an object's sensitive attributes.
pub fn seal(
    key: &TokenKey,
    token_uid: &str,
    object_uid: &str,
    secrets: &BTreeMap<AttrType, Zeroizing<Vec<u8>>>,
) -> Result<Vec<u8>> {
    let mut body = Zeroizing::new(Vec::new());
    for (ty, v) in secrets {
        body.extend_from_slice(&ty.to_le_bytes());
        body.extend_from_slice(&(v.len() as u32).to_le_bytes());
        body.extend_from_slice(v);
    }
    let nonce = random_nonce()?;
    let mut buf = body.to_vec();
    key.aead()?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(seal_aad(token_uid, object_uid)),
            &mut buf,
        )
        .map_err(|_| Error::GeneralError)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
    out.push(SEAL_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&buf);
    Ok(out)
}

/// Opens a sealed blob. Failure means tampering or corruption: logged, `DeviceError`.
pub fn unseal(
    key: &TokenKey,
    token_uid: &str,
    object_uid: &str,
    blob: &[u8],
) -> Result<BTreeMap<AttrType, Zeroizing<Vec<u8>>>> {
    let fail = |why: &str| {
        log::error!("sealed part of object {object_uid} does not open: {why}");
        Error::DeviceError
    };
    if blob.len() < 1 + NONCE_LEN + TAG_LEN || blob[0] != SEAL_VERSION {
        return Err(fail("unknown format"));
    }
    let nonce: [u8; NONCE_LEN] = blob[1..1 + NONCE_LEN].try_into().map_err(|_| fail("nonce"))?;
    let mut buf = Zeroizing::new(blob[1 + NONCE_LEN..].to_vec());
    let plain = key
        .aead()?
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(seal_aad(token_uid, object_uid)),
            &mut buf,
        )
        .map_err(|_| fail("authentication failed"))?;
    let mut out = BTreeMap::new();
    let mut rest: &[u8] = plain;
    while !rest.is_empty() {
        if rest.len() < 12 {
            return Err(fail("truncated entry"));
        }
        let ty = u64::from_le_bytes(rest[..8].try_into().map_err(|_| fail("entry"))?);
        let len = u32::from_le_bytes(rest[8..12].try_into().map_err(|_| fail("entry"))?) as usize;
        rest = &rest[12..];
        if len > rest.len() {
            return Err(fail("entry length"));
        }
        out.insert(ty, Zeroizing::new(rest[..len].to_vec()));
        rest = &rest[len..];
    }
    Ok(out)
}

/// A random identifier: 16 random bytes in lowercase hex.
pub fn random_id() -> Result<String> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| Error::DeviceError)?;
    Ok(hex::encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_key_opens_only_with_its_pin_role_and_token() {
        let k = TokenKey::generate().unwrap();
        let w = wrap_token_key(&k, b"1234", 10, "tok", Role::User).unwrap();
        let k2 = unwrap_token_key(&w, b"1234", "tok", Role::User).unwrap();
        assert_eq!(&k.0[..], &k2.0[..]);
        assert_eq!(
            unwrap_token_key(&w, b"1235", "tok", Role::User).unwrap_err(),
            Error::PinIncorrect
        );
        assert_eq!(
            unwrap_token_key(&w, b"1234", "tok", Role::So).unwrap_err(),
            Error::PinIncorrect
        );
        assert_eq!(
            unwrap_token_key(&w, b"1234", "tik", Role::User).unwrap_err(),
            Error::PinIncorrect
        );
        assert_eq!(
            unwrap_token_key(&w[..10], b"1234", "tok", Role::User).unwrap_err(),
            Error::DeviceError
        );
        assert!(!w.windows(4).any(|x| x == b"1234"));
    }

    #[test]
    fn sealed_blob_is_bound_to_object_and_token() {
        let k = TokenKey::generate().unwrap();
        let mut s = BTreeMap::new();
        s.insert(0x11u64, Zeroizing::new(b"KEYBYTESKEYBYTES".to_vec()));
        s.insert(0x122u64, Zeroizing::new(vec![]));
        let blob = seal(&k, "t", "o1", &s).unwrap();
        assert!(!blob.windows(8).any(|w| w == b"KEYBYTES"));
        let back = unseal(&k, "t", "o1", &blob).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[&0x11].as_slice(), b"KEYBYTESKEYBYTES");
        assert_eq!(unseal(&k, "t", "o2", &blob).unwrap_err(), Error::DeviceError);
        assert_eq!(unseal(&k, "u", "o1", &blob).unwrap_err(), Error::DeviceError);
        let other = TokenKey::generate().unwrap();
        assert_eq!(unseal(&other, "t", "o1", &blob).unwrap_err(), Error::DeviceError);
        let mut bad = blob.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(unseal(&k, "t", "o1", &bad).unwrap_err(), Error::DeviceError);
    }
}
