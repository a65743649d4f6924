//! Token keys, PINs and sealing.
//!
//! Each token has a random 256-bit token key. It is stored only wrapped (AES-256-GCM) under a key
//! derived from the SO PIN and, once set, under one derived from the user PIN (Argon2id by
//! default, or PBKDF2-HMAC-SHA256; the KDF, its parameters and the salt are stored in each
//! wrapped blob, so a token keeps working when the configured KDF changes). A PIN is correct
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
const KDF_ARGON2ID: u8 = 2;
/// Largest Argon2id memory a stored blob may ask for (1 GiB): a corrupt or hostile store must
/// not make a login allocate without bound.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 1 << 20;
/// Most Argon2id passes a stored blob may ask for.
pub const MAX_ARGON2_PASSES: u32 = 64;
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

/// How a PIN becomes the key that wraps the token key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfParams {
    Pbkdf2 { iterations: u32 },
    Argon2id { memory_kib: u32, passes: u32 },
}

impl KdfParams {
    fn header(&self) -> Vec<u8> {
        match *self {
            KdfParams::Pbkdf2 { iterations } => {
                let mut h = vec![WRAP_VERSION, KDF_PBKDF2_SHA256];
                h.extend_from_slice(&iterations.to_le_bytes());
                h
            }
            KdfParams::Argon2id { memory_kib, passes } => {
                let mut h = vec![WRAP_VERSION, KDF_ARGON2ID];
                h.extend_from_slice(&passes.to_le_bytes());
                h.extend_from_slice(&memory_kib.to_le_bytes());
                h.push(1);
                h
            }
        }
    }

    /// Parses the header of a wrapped key: the parameters and the header's length.
    fn parse(blob: &[u8]) -> Option<(KdfParams, usize)> {
        let u32_at =
            |i: usize| -> Option<u32> { Some(u32::from_le_bytes(blob.get(i..i + 4)?.try_into().ok()?)) };
        match (blob.first()?, blob.get(1)?) {
            (&WRAP_VERSION, &KDF_PBKDF2_SHA256) => {
                let iterations = u32_at(2)?;
                (1..=MAX_ITERATIONS)
                    .contains(&iterations)
                    .then_some((KdfParams::Pbkdf2 { iterations }, 6))
            }
            (&WRAP_VERSION, &KDF_ARGON2ID) => {
                let passes = u32_at(2)?;
                let memory_kib = u32_at(6)?;
                let ok = (1..=MAX_ARGON2_PASSES).contains(&passes)
                    && (8..=MAX_ARGON2_MEMORY_KIB).contains(&memory_kib)
                    && blob.get(10) == Some(&1);
                ok.then_some((KdfParams::Argon2id { memory_kib, passes }, 11))
            }
            _ => None,
        }
    }

    fn derive(&self, pin: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        let mut out = Zeroizing::new([0u8; 32]);
        match *self {
            KdfParams::Pbkdf2 { iterations } => {
                let it = NonZeroU32::new(iterations).ok_or(Error::GeneralError)?;
                aws_lc_rs::pbkdf2::derive(aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256, it, salt, pin, &mut out[..]);
            }
            KdfParams::Argon2id { memory_kib, passes } => {
                let params = argon2::Params::new(memory_kib, passes, 1, Some(32)).map_err(|e| {
                    log::error!("Argon2id parameters rejected: {e}");
                    Error::GeneralError
                })?;
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                    .hash_password_into(pin, salt, &mut out[..])
                    .map_err(|e| {
                        log::error!("Argon2id failed: {e}");
                        Error::DeviceMemory
                    })?;
            }
        }
        Ok(out)
    }
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
    kdf: &KdfParams,
    token_uid: &str,
    role: Role,
) -> Result<Vec<u8>> {
    let mut salt = [0u8; SALT_LEN];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| Error::DeviceError)?;
    let kek = kdf.derive(pin, &salt)?;
    let kek = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &kek[..]).map_err(|_| Error::GeneralError)?);
    let nonce = random_nonce()?;
    let mut body = key.0.to_vec();
    kek.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(wrap_aad(token_uid, role)),
        &mut body,
    )
    .map_err(|_| Error::GeneralError)?;
    let mut out = kdf.header();
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens a wrapped token key with `pin`. A wrong PIN gives `PinIncorrect`; a blob that is not
/// a wrapped key gives `DeviceError` (and a log line).
pub fn unwrap_token_key(blob: &[u8], pin: &[u8], token_uid: &str, role: Role) -> Result<TokenKey> {
    let Some((kdf, kdf_len)) = KdfParams::parse(blob) else {
        log::error!("wrapped token key of token {token_uid} has an unknown format or implausible parameters");
        return Err(Error::DeviceError);
    };
    let header = kdf_len + SALT_LEN + NONCE_LEN;
    if blob.len() != header + TOKEN_KEY_LEN + TAG_LEN {
        log::error!("wrapped token key of token {token_uid} has the wrong length");
        return Err(Error::DeviceError);
    }
    let salt = &blob[kdf_len..kdf_len + SALT_LEN];
    let nonce: [u8; NONCE_LEN] = blob[kdf_len + SALT_LEN..header]
        .try_into()
        .map_err(|_| Error::DeviceError)?;
    let kek = kdf.derive(pin, salt)?;
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
    // Room for the tag up front: growing the buffer would free a copy of the plaintext.
    let mut buf = Vec::with_capacity(body.len() + TAG_LEN);
    buf.extend_from_slice(&body);
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
        let w = wrap_token_key(
            &k,
            b"1234",
            &KdfParams::Pbkdf2 { iterations: 10 },
            "tok",
            Role::User,
        )
        .unwrap();
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
    fn argon2id_wrapped_keys_carry_their_parameters() {
        let k = TokenKey::generate().unwrap();
        let kdf = KdfParams::Argon2id {
            memory_kib: 64,
            passes: 1,
        };
        let w = wrap_token_key(&k, b"pin!", &kdf, "tok", Role::So).unwrap();
        assert_eq!(KdfParams::parse(&w), Some((kdf, 11)));
        let k2 = unwrap_token_key(&w, b"pin!", "tok", Role::So).unwrap();
        assert_eq!(&k.0[..], &k2.0[..]);
        assert_eq!(
            unwrap_token_key(&w, b"pin?", "tok", Role::So).unwrap_err(),
            Error::PinIncorrect
        );
        // A blob asking for more memory than the cap is refused before anything is allocated.
        let mut huge = w.clone();
        huge[6..10].copy_from_slice(&(MAX_ARGON2_MEMORY_KIB + 1).to_le_bytes());
        assert_eq!(
            unwrap_token_key(&huge, b"pin!", "tok", Role::So).unwrap_err(),
            Error::DeviceError
        );
    }

    #[test]
    fn argon2id_is_deterministic_per_salt() {
        // Same inputs, same output; another salt, another output.
        let kdf = KdfParams::Argon2id {
            memory_kib: 32,
            passes: 3,
        };
        let a = kdf.derive(b"password", b"somesaltsomesalt").unwrap();
        let b = kdf.derive(b"password", b"somesaltsomesalt").unwrap();
        let c = kdf.derive(b"password", b"othersaltothersa").unwrap();
        assert_eq!(&a[..], &b[..]);
        assert_ne!(&a[..], &c[..]);
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
