//! Encryption, decryption, digest, signature and verification functions
//! (PKCS#11 3.0 §5.8–§5.13), single- and multi-part.

use super::{lock, Hsm};
use crate::error::{Error, Result};
use crate::mechanism::ops::{self, DigestOp};
use crate::mechanism::{self, Mechanism};
use crate::object::Object;
use crate::session::{self, Active, Out, Output};
use cryptoki_sys as ck;

/// Checks a key's usage flag and its `CKA_ALLOWED_MECHANISMS`.
pub(super) fn check_use(key: &Object, usage: u64, mech: u64) -> Result<()> {
    if !key.bool(usage) {
        log::info!(
            "key {} does not allow this function (attribute 0x{usage:X} is false)",
            key.uid()
        );
        return Err(Error::KeyFunctionNotPermitted);
    }
    check_allowed(key, mech)
}

/// Enforces `CKA_ALLOWED_MECHANISMS` when the key has a non-empty list.
pub(super) fn check_allowed(key: &Object, mech: u64) -> Result<()> {
    if let Some(list) = key.get(ck::CKA_ALLOWED_MECHANISMS) {
        if !list.is_empty()
            && !list
                .chunks_exact(8)
                .any(|c| crate::attr::dec_ulong(c) == Some(mech))
        {
            log::info!(
                "mechanism 0x{mech:X} is not in CKA_ALLOWED_MECHANISMS of key {}",
                key.uid()
            );
            return Err(Error::MechanismInvalid);
        }
    }
    Ok(())
}

/// Enforces the KMIP lifecycle (KMIP 1.4 §3.22) on both doors: only an Active key applies
/// protection; a Deactivated or Compromised one may still process (decrypt, verify, unwrap);
/// a Pre-Active or Destroyed one does neither.
pub(super) fn check_lifecycle(key: &Object, protect: bool) -> Result<()> {
    use crate::attr::state;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let st = key.lifecycle_state(now);
    let ok = match st {
        state::ACTIVE => true,
        state::DEACTIVATED | state::COMPROMISED => !protect,
        _ => false,
    };
    if !ok {
        log::info!(
            "key {} is in KMIP state {} and may not be used to {}",
            key.uid(),
            crate::object::state_name(st),
            if protect {
                "apply protection"
            } else {
                "process data"
            }
        );
        return Err(Error::KeyFunctionNotPermitted);
    }
    Ok(())
}

/// A handle that does not name a usable key is `CKR_KEY_HANDLE_INVALID` in init functions.
fn key_handle(e: Error) -> Error {
    match e {
        Error::ObjectHandleInvalid => Error::KeyHandleInvalid,
        other => other,
    }
}

impl Hsm {
    /// Loads a key for use. `protect` is true for applying protection (encrypt, sign, wrap,
    /// derive, MAC) and false for processing protected data (decrypt, verify, unwrap): the
    /// KMIP lifecycle allows the latter for Deactivated and Compromised keys too.
    pub(super) fn load_key(&self, slot: u64, key: u64, protect: bool) -> Result<Object> {
        let l = self.load(slot, key).map_err(key_handle)?;
        check_lifecycle(&l.obj, protect)?;
        if l.locked {
            log::info!(
                "key {} is public but its material is sealed under the token key: log in (user or SO) in this process first",
                l.obj.uid()
            );
            return Err(Error::UserNotLoggedIn);
        }
        Ok(l.obj)
    }

    /// `C_EncryptInit` / `C_DecryptInit`.
    pub fn cipher_init(&self, h: u64, m: &Mechanism, key: u64, encrypt: bool) -> Result<()> {
        let (sess, slot, _) = self.session(h)?;
        {
            let s = lock(&sess);
            let active = if encrypt {
                s.encrypt.is_some()
            } else {
                s.decrypt.is_some()
            };
            if active {
                return Err(Error::OperationActive);
            }
        }
        let (flag, usage) = if encrypt {
            (ck::CKF_ENCRYPT, ck::CKA_ENCRYPT)
        } else {
            (ck::CKF_DECRYPT, ck::CKA_DECRYPT)
        };
        mechanism::require(m.mech, flag)?;
        let k = self.load_key(slot, key, encrypt)?;
        check_use(&k, usage, m.mech)?;
        let op = ops::cipher(m, &k, &self.keys, encrypt, self.config.compat.aes_key_wrap_pad)?;
        let needs_auth = !encrypt && k.bool(ck::CKA_ALWAYS_AUTHENTICATE);
        let mut s = lock(&sess);
        let slot_ref = if encrypt { &mut s.encrypt } else { &mut s.decrypt };
        if slot_ref.is_some() {
            return Err(Error::OperationActive);
        }
        *slot_ref = Some(Active::new(op, needs_auth));
        s.context_auth = false;
        Ok(())
    }

    /// `C_Encrypt` / `C_Decrypt` (single part).
    pub fn cipher_once(&self, h: u64, input: &[u8], out: Out, encrypt: bool) -> Result<Output> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        let slot = if encrypt { &mut s.encrypt } else { &mut s.decrypt };
        session::step(
            slot,
            out,
            true,
            &mut s.context_auth,
            |op| op.out_bound(input.len()),
            |op| {
                let mut v = op.update(input)?;
                v.extend(op.finish()?);
                Ok(v)
            },
        )
    }

    /// `C_EncryptUpdate` / `C_DecryptUpdate`.
    pub fn cipher_update(&self, h: u64, input: &[u8], out: Out, encrypt: bool) -> Result<Output> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        let slot = if encrypt { &mut s.encrypt } else { &mut s.decrypt };
        session::step(
            slot,
            out,
            false,
            &mut s.context_auth,
            |op| op.out_bound(input.len()),
            |op| op.update(input),
        )
    }

    /// `C_EncryptFinal` / `C_DecryptFinal`.
    pub fn cipher_final(&self, h: u64, out: Out, encrypt: bool) -> Result<Output> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        let slot = if encrypt { &mut s.encrypt } else { &mut s.decrypt };
        session::step(
            slot,
            out,
            true,
            &mut s.context_auth,
            |op| op.out_bound(0),
            |op| op.finish(),
        )
    }

    /// `C_DigestInit`.
    pub fn digest_init(&self, h: u64, m: &Mechanism) -> Result<()> {
        let (sess, _, _) = self.session(h)?;
        mechanism::require(m.mech, ck::CKF_DIGEST)?;
        let op = DigestOp::new(m)?;
        let mut s = lock(&sess);
        if s.digest.is_some() {
            return Err(Error::OperationActive);
        }
        s.digest = Some(Active::new(op, false));
        Ok(())
    }

    /// `C_Digest`.
    pub fn digest(&self, h: u64, data: &[u8], out: Out) -> Result<Output> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        session::step(
            &mut s.digest,
            out,
            true,
            &mut s.context_auth,
            |op| op.len(),
            |op| {
                op.update(data);
                Ok(op.finish())
            },
        )
    }

    /// `C_DigestUpdate`.
    pub fn digest_update(&self, h: u64, data: &[u8]) -> Result<()> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        session::step_no_output(&mut s.digest, false, &mut s.context_auth, |op| {
            op.update(data);
            Ok(())
        })
    }

    /// `C_DigestKey`: digests a secret key's value. Sensitive keys are indigestible here (their
    /// digest would be a stand-in for the key).
    pub fn digest_key(&self, h: u64, key: u64) -> Result<()> {
        let (sess, slot, _) = self.session(h)?;
        let r = self.load_key(slot, key, true).and_then(|k| {
            if k.class() != Some(ck::CKO_SECRET_KEY) || k.bool(ck::CKA_SENSITIVE) {
                return Err(Error::KeyIndigestible);
            }
            Ok(k.get(ck::CKA_VALUE).unwrap_or_default().to_vec())
        });
        let mut s = lock(&sess);
        let s = &mut *s;
        match r {
            Ok(v) => session::step_no_output(&mut s.digest, false, &mut s.context_auth, |op| {
                op.update(&v);
                Ok(())
            }),
            Err(e) => {
                s.digest = None;
                Err(e)
            }
        }
    }

    /// `C_DigestFinal`.
    pub fn digest_final(&self, h: u64, out: Out) -> Result<Output> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        session::step(
            &mut s.digest,
            out,
            true,
            &mut s.context_auth,
            |op| op.len(),
            |op| Ok(op.finish()),
        )
    }

    /// `C_SignInit`.
    pub fn sign_init(&self, h: u64, m: &Mechanism, key: u64) -> Result<()> {
        let (sess, slot, _) = self.session(h)?;
        if lock(&sess).sign.is_some() {
            return Err(Error::OperationActive);
        }
        mechanism::require(m.mech, ck::CKF_SIGN)?;
        let k = self.load_key(slot, key, true)?;
        check_use(&k, ck::CKA_SIGN, m.mech)?;
        let op = ops::signer(m, &k, &self.keys)?;
        let needs_auth = k.bool(ck::CKA_ALWAYS_AUTHENTICATE);
        let mut s = lock(&sess);
        if s.sign.is_some() {
            return Err(Error::OperationActive);
        }
        s.sign = Some(Active::new(op, needs_auth));
        s.context_auth = false;
        Ok(())
    }

    /// `C_Sign`.
    pub fn sign(&self, h: u64, data: &[u8], out: Out) -> Result<Output> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        session::step(
            &mut s.sign,
            out,
            true,
            &mut s.context_auth,
            |op| op.sig_len(),
            |op| {
                op.update(data)?;
                op.finish()
            },
        )
    }

    /// `C_SignUpdate`.
    pub fn sign_update(&self, h: u64, data: &[u8]) -> Result<()> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        session::step_no_output(&mut s.sign, false, &mut s.context_auth, |op| op.update(data))
    }

    /// `C_SignFinal`.
    pub fn sign_final(&self, h: u64, out: Out) -> Result<Output> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        session::step(
            &mut s.sign,
            out,
            true,
            &mut s.context_auth,
            |op| op.sig_len(),
            |op| op.finish(),
        )
    }

    /// `C_VerifyInit`.
    pub fn verify_init(&self, h: u64, m: &Mechanism, key: u64) -> Result<()> {
        let (sess, slot, _) = self.session(h)?;
        if lock(&sess).verify.is_some() {
            return Err(Error::OperationActive);
        }
        mechanism::require(m.mech, ck::CKF_VERIFY)?;
        let k = self.load_key(slot, key, false)?;
        check_use(&k, ck::CKA_VERIFY, m.mech)?;
        let op = ops::verifier(m, &k)?;
        let mut s = lock(&sess);
        if s.verify.is_some() {
            return Err(Error::OperationActive);
        }
        s.verify = Some(Active::new(op, false));
        Ok(())
    }

    /// `C_Verify`.
    pub fn verify(&self, h: u64, data: &[u8], signature: &[u8]) -> Result<()> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        session::step_no_output(&mut s.verify, true, &mut s.context_auth, |op| {
            op.update(data)?;
            op.finish(signature)
        })
    }

    /// `C_VerifyUpdate`.
    pub fn verify_update(&self, h: u64, data: &[u8]) -> Result<()> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        session::step_no_output(&mut s.verify, false, &mut s.context_auth, |op| op.update(data))
    }

    /// `C_VerifyFinal`.
    pub fn verify_final(&self, h: u64, signature: &[u8]) -> Result<()> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let s = &mut *s;
        session::step_no_output(&mut s.verify, true, &mut s.context_auth, |op| {
            op.finish(signature)
        })
    }
}
