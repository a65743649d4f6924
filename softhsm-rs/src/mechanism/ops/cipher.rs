//! Encryption and decryption operations: AES modes, AES key wrap, RSA PKCS#1 v1.5, OAEP and raw.

use super::{
    aes_key, check_size, hash_of, hash_of_mgf, map_crypto, rsa_public, CipherOp, Ctx, KeyCache,
    MAX_BUFFERED_INPUT,
};
use crate::crypto::{self, AesCipher, AesGcm, AesMode, Hash};
use crate::error::{Error, Result};
use crate::mechanism::{Mechanism, Param};
use crate::object::Object;
use cryptoki_sys as ck;
use zeroize::Zeroizing;

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

pub(super) fn pkcs7_pad(data: &[u8], block: usize) -> Zeroizing<Vec<u8>> {
    let n = block - data.len() % block;
    let mut v = Zeroizing::new(Vec::with_capacity(data.len() + n));
    v.extend_from_slice(data);
    v.extend(std::iter::repeat(n as u8).take(n));
    v
}

pub(super) fn pkcs7_unpad(mut v: Zeroizing<Vec<u8>>, block: usize) -> Result<Vec<u8>> {
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
    cache: &KeyCache,
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
        ck::CKM_AES_CTS => {
            // Ciphertext stealing, variant CS1 of SP 800-38A's addendum, as NSS and OpenSSL's
            // PKCS#11 provider read CKM_AES_CTS. Single-part: the last two blocks depend on
            // the end of the data.
            let k = aes_key(key, mech)?;
            let iv = iv16(&m.param)?;
            Ok(buffered(
                MAX_BUFFERED_INPUT,
                |n| n,
                ctx,
                move |data| {
                    if data.len() < 16 {
                        return Err(match ctx {
                            Ctx::Decrypt => Error::EncryptedDataLenRange,
                            _ => Error::DataLenRange,
                        });
                    }
                    let r = if encrypt {
                        crypto::aes_cts_cs1_encrypt(&k, &iv, data)
                    } else {
                        crypto::aes_cts_cs1_decrypt(&k, &iv, data).map(|v| v.to_vec())
                    };
                    r.map_err(|e| map_crypto(e, ctx))
                },
            ))
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
        ck::CKM_RSA_X_509 | ck::CKM_RSA_PKCS | ck::CKM_RSA_PKCS_OAEP => {
            let pad = match (mech, &m.param) {
                (ck::CKM_RSA_PKCS_OAEP, p) => RsaPad::Oaep(oaep_params(p)?),
                (ck::CKM_RSA_PKCS, Param::None) => RsaPad::Pkcs1,
                (ck::CKM_RSA_X_509, Param::None) => RsaPad::Raw,
                _ => return Err(Error::MechanismParamInvalid),
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
                        let r = match &pad {
                            RsaPad::Oaep((h, mg, label)) => pk.encrypt_oaep(data, *h, *mg, label),
                            RsaPad::Pkcs1 => pk.encrypt_pkcs1(data),
                            RsaPad::Raw => pk.raw_public(&left_pad(data, k)),
                        };
                        r.map_err(|e| map_crypto(e, ctx))
                    },
                ))
            } else {
                let sk = cache.rsa(key)?;
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
                        let r = match &pad {
                            RsaPad::Oaep((h, mg, label)) => sk.decrypt_oaep(data, *h, *mg, label),
                            RsaPad::Pkcs1 => sk.decrypt_pkcs1(data),
                            RsaPad::Raw => sk.raw_private(data),
                        };
                        r.map(|v| v.to_vec()).map_err(|e| map_crypto(e, ctx))
                    },
                ))
            }
        }
        _ => Err(Error::MechanismInvalid),
    }
}

/// RSA encryption padding of `CKM_RSA_PKCS_OAEP` (hash, MGF1 hash, label), `CKM_RSA_PKCS`
/// and `CKM_RSA_X_509`.
enum RsaPad {
    Oaep((Hash, Hash, Vec<u8>)),
    Pkcs1,
    Raw,
}

/// Left-pads `data` with zeros to `k` bytes (raw RSA input).
pub(super) fn left_pad(data: &[u8], k: usize) -> Vec<u8> {
    let mut v = vec![0u8; k.saturating_sub(data.len())];
    v.extend_from_slice(data);
    v
}

/// Pads for `CKM_AES_KEY_WRAP_PAD` in the standard's reading, for callers outside this module.
pub fn pad_pkcs7(data: &[u8], block: usize) -> Vec<u8> {
    pkcs7_pad(data, block).to_vec()
}
