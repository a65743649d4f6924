//! The workloads and the timing loop: one [`Op`] per thread, run against a PKCS#11 module
//! ([`ModOp`]) or directly against aws-lc-rs ([`RawOp`], the ceiling the module is compared to).

use std::sync::Barrier;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::{aead, digest, hmac, rsa, signature};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::Session;

/// DER of the P-256 curve OID (`CKA_EC_PARAMS`).
pub const P256_OID: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// Label of the object the find workload looks for (the one in the middle of the token).
pub fn find_label(objects: usize) -> Vec<u8> {
    obj_label(objects / 2)
}
/// Label of the `i`th object of the crowded token.
pub fn obj_label(i: usize) -> Vec<u8> {
    format!("bench-obj-{i:06}").into_bytes()
}

/// What one operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// `CKM_SHA256_RSA_PKCS` over 32 bytes, RSA-2048.
    RsaSign,
    /// `CKM_RSA_PKCS_OAEP` (SHA-1, MGF1-SHA-1, no label) decrypt of one ciphertext, RSA-2048.
    RsaOaep,
    /// `CKM_ECDSA` over a 32-byte digest, P-256.
    Ecdsa,
    /// `CKM_AES_GCM` encrypt of this many bytes (12-byte IV, 16-byte tag, no AAD), AES-256.
    Gcm(usize),
    /// `CKM_SHA256_HMAC` of 4 KiB, 32-byte generic secret.
    Hmac,
    /// `C_GenerateKeyPair` RSA-2048, session objects.
    GenRsa,
    /// `C_GenerateKeyPair` EC P-256, session objects.
    GenEc,
    /// `C_GenerateKey` AES-256, token object (destroyed after each round, untimed).
    GenAesToken,
    /// `C_FindObjectsInit` / `C_FindObjects` / `C_FindObjectsFinal` by label on the crowded token.
    Find,
}

/// HMAC input size.
pub const HMAC_LEN: usize = 4096;

/// Handles a module's workloads use.
#[derive(Debug, Clone)]
pub struct Keys {
    pub rsa: ObjectHandle,
    pub ec: ObjectHandle,
    pub aes: ObjectHandle,
    pub hmac: ObjectHandle,
    /// The same keys as token objects (`CKA_TOKEN = true`).
    pub rsa_tok: ObjectHandle,
    pub ec_tok: ObjectHandle,
    pub aes_tok: ObjectHandle,
    pub hmac_tok: ObjectHandle,
    /// OAEP ciphertext of 32 bytes under the session RSA key's public half.
    pub oaep_ct: Vec<u8>,
    /// The same under the token RSA key.
    pub oaep_ct_tok: Vec<u8>,
}

pub fn oaep_params() -> PkcsOaepParams<'static> {
    PkcsOaepParams::new(
        MechanismType::SHA1,
        PkcsMgfType::MGF1_SHA1,
        PkcsOaepSource::empty(),
    )
}

/// One thread's share of a measurement.
pub trait Op: Send {
    fn op(&mut self) -> Result<(), String>;
    /// Untimed, after the loop.
    fn cleanup(&mut self) -> Result<(), String> {
        Ok(())
    }
}

/// A workload on one session of a module.
pub struct ModOp {
    session: Session,
    work: Work,
    /// The key of the crypto workloads (none for key generation and search).
    key: Option<ObjectHandle>,
    input: Vec<u8>,
    counter: u64,
    /// Token objects made by `GenAesToken`, destroyed in cleanup.
    created: Vec<ObjectHandle>,
    label: Vec<u8>,
}

impl ModOp {
    /// `token_key` picks the token-object variant of the key.
    pub fn new(session: Session, work: Work, keys: &Keys, token_key: bool, objects: usize) -> ModOp {
        let pick = |s: ObjectHandle, t: ObjectHandle| Some(if token_key { t } else { s });
        let (key, input) = match work {
            Work::RsaSign => (pick(keys.rsa, keys.rsa_tok), vec![0x5a; 32]),
            Work::RsaOaep => (
                pick(keys.rsa, keys.rsa_tok),
                if token_key {
                    keys.oaep_ct_tok.clone()
                } else {
                    keys.oaep_ct.clone()
                },
            ),
            Work::Ecdsa => (pick(keys.ec, keys.ec_tok), vec![0xa5; 32]),
            Work::Gcm(n) => (pick(keys.aes, keys.aes_tok), vec![0x3c; n]),
            Work::Hmac => (pick(keys.hmac, keys.hmac_tok), vec![0xc3; HMAC_LEN]),
            Work::GenRsa | Work::GenEc | Work::GenAesToken | Work::Find => (None, Vec::new()),
        };
        ModOp {
            session,
            work,
            key,
            input,
            counter: 0,
            created: Vec::new(),
            label: find_label(objects),
        }
    }

    fn run(&mut self) -> cryptoki::error::Result<()> {
        let s = &self.session;
        let key = || self.key.ok_or(cryptoki::error::Error::InvalidValue);
        match self.work {
            Work::RsaSign => {
                s.sign(&Mechanism::Sha256RsaPkcs, key()?, &self.input)?;
            }
            Work::RsaOaep => {
                s.decrypt(&Mechanism::RsaPkcsOaep(oaep_params()), key()?, &self.input)?;
            }
            Work::Ecdsa => {
                s.sign(&Mechanism::Ecdsa, key()?, &self.input)?;
            }
            Work::Gcm(_) => {
                // A fresh IV per operation, as a correct caller would use.
                self.counter += 1;
                let mut iv = [0u8; 12];
                iv[4..].copy_from_slice(&self.counter.to_be_bytes());
                let params = GcmParams::new(&mut iv, &[], 128.into())?;
                s.encrypt(&Mechanism::AesGcm(params), key()?, &self.input)?;
            }
            Work::Hmac => {
                s.sign(&Mechanism::Sha256Hmac, key()?, &self.input)?;
            }
            Work::GenRsa => {
                // Session objects; closing the worker's session destroys them.
                s.generate_key_pair(
                    &Mechanism::RsaPkcsKeyPairGen,
                    &[
                        Attribute::Token(false),
                        Attribute::ModulusBits(2048.into()),
                        Attribute::PublicExponent(vec![1, 0, 1]),
                        Attribute::Verify(true),
                    ],
                    &[
                        Attribute::Token(false),
                        Attribute::Private(true),
                        Attribute::Sensitive(true),
                        Attribute::Sign(true),
                    ],
                )?;
            }
            Work::GenEc => {
                s.generate_key_pair(
                    &Mechanism::EccKeyPairGen,
                    &[
                        Attribute::Token(false),
                        Attribute::EcParams(P256_OID.to_vec()),
                        Attribute::Verify(true),
                    ],
                    &[
                        Attribute::Token(false),
                        Attribute::Private(true),
                        Attribute::Sensitive(true),
                        Attribute::Sign(true),
                    ],
                )?;
            }
            Work::GenAesToken => {
                let h = s.generate_key(
                    &Mechanism::AesKeyGen,
                    &[
                        Attribute::Token(true),
                        Attribute::Private(true),
                        Attribute::Sensitive(true),
                        Attribute::ValueLen(32.into()),
                        Attribute::Encrypt(true),
                        Attribute::Decrypt(true),
                    ],
                )?;
                self.created.push(h);
            }
            Work::Find => {
                // One C_FindObjects call with room for 16 (one match comes back), then
                // C_FindObjectsFinal when the iterator is dropped.
                let cache = std::num::NonZeroUsize::new(16).expect("non-zero");
                let found = s
                    .iter_objects_with_cache_size(&[Attribute::Label(self.label.clone())], cache)?
                    .collect::<cryptoki::error::Result<Vec<_>>>()?;
                if found.len() != 1 {
                    return Err(cryptoki::error::Error::InvalidValue);
                }
            }
        }
        Ok(())
    }
}

impl Op for ModOp {
    fn op(&mut self) -> Result<(), String> {
        self.run().map_err(|e| format!("{:?}: {e}", self.work))
    }

    fn cleanup(&mut self) -> Result<(), String> {
        for h in self.created.drain(..) {
            self.session
                .destroy_object(h)
                .map_err(|e| format!("C_DestroyObject: {e}"))?;
        }
        Ok(())
    }
}

/// Keys for the aws-lc-rs ceiling, made once.
pub struct RawKeys {
    rsa: signature::RsaKeyPair,
    oaep: rsa::OaepPrivateDecryptingKey,
    oaep_ct: Vec<u8>,
    ec: signature::EcdsaKeyPair,
    aes: aead::LessSafeKey,
    hmac: hmac::Key,
}

impl RawKeys {
    pub fn new() -> Result<RawKeys, String> {
        let err = |what: &str| format!("aws-lc-rs: {what}");
        let rsa = signature::RsaKeyPair::generate(rsa::KeySize::Rsa2048).map_err(|_| err("RSA keygen"))?;
        let dec =
            rsa::PrivateDecryptingKey::generate(rsa::KeySize::Rsa2048).map_err(|_| err("RSA keygen"))?;
        let public = rsa::OaepPublicEncryptingKey::new(dec.public_key()).map_err(|_| err("OAEP key"))?;
        let mut ct = vec![0u8; public.ciphertext_size()];
        let n = public
            .encrypt(&rsa::OAEP_SHA1_MGF1SHA1, &[0x42; 32], &mut ct, None)
            .map_err(|_| err("OAEP encrypt"))?
            .len();
        ct.truncate(n);
        let oaep = rsa::OaepPrivateDecryptingKey::new(dec).map_err(|_| err("OAEP key"))?;
        let ec = signature::EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| err("EC keygen"))?;
        let mut k = [0u8; 32];
        aws_lc_rs::rand::fill(&mut k).map_err(|_| err("rand"))?;
        let aes =
            aead::LessSafeKey::new(aead::UnboundKey::new(&aead::AES_256_GCM, &k).map_err(|_| err("AES"))?);
        let hmac = hmac::Key::new(hmac::HMAC_SHA256, &k);
        Ok(RawKeys {
            rsa,
            oaep,
            oaep_ct: ct,
            ec,
            aes,
            hmac,
        })
    }
}

/// The aws-lc-rs call closest to a workload (see [`raw_call`]).
pub struct RawOp<'k> {
    keys: &'k RawKeys,
    work: Work,
    buf: Vec<u8>,
    out: Vec<u8>,
    counter: u64,
    rng: SystemRandom,
}

/// What the aws-lc-rs figure of a workload measures; `None` when there is no meaningful ceiling.
pub fn raw_call(work: Work) -> Option<&'static str> {
    Some(match work {
        Work::RsaSign => "RsaKeyPair::sign(RSA_PKCS1_SHA256)",
        Work::RsaOaep => "OaepPrivateDecryptingKey::decrypt(OAEP_SHA1_MGF1SHA1)",
        Work::Ecdsa => "EcdsaKeyPair::sign_digest (P-256, prehashed SHA-256 digest, fixed r||s)",
        Work::Gcm(_) => "LessSafeKey::seal_in_place_separate_tag(AES_256_GCM)",
        Work::Hmac => "hmac::sign(HMAC_SHA256)",
        Work::GenRsa => "RsaKeyPair::generate(Rsa2048)",
        Work::GenEc => "EcdsaKeyPair::generate(P-256)",
        Work::GenAesToken | Work::Find => return None,
    })
}

impl<'k> RawOp<'k> {
    pub fn new(keys: &'k RawKeys, work: Work) -> RawOp<'k> {
        let (buf, out) = match work {
            Work::RsaSign => (vec![0x5a; 32], vec![0; keys.rsa.public_modulus_len()]),
            Work::RsaOaep => (keys.oaep_ct.clone(), vec![0; keys.oaep.min_output_size()]),
            Work::Ecdsa => (vec![0xa5; 32], Vec::new()),
            Work::Gcm(n) => (vec![0x3c; n], Vec::new()),
            Work::Hmac => (vec![0xc3; HMAC_LEN], Vec::new()),
            _ => (Vec::new(), Vec::new()),
        };
        RawOp {
            keys,
            work,
            buf,
            out,
            counter: 0,
            rng: SystemRandom::new(),
        }
    }
}

impl Op for RawOp<'_> {
    fn op(&mut self) -> Result<(), String> {
        let k = self.keys;
        let ok = match self.work {
            Work::RsaSign => k
                .rsa
                .sign(&signature::RSA_PKCS1_SHA256, &self.rng, &self.buf, &mut self.out)
                .is_ok(),
            Work::RsaOaep => k
                .oaep
                .decrypt(&rsa::OAEP_SHA1_MGF1SHA1, &self.buf, &mut self.out, None)
                .is_ok(),
            Work::Ecdsa => digest::Digest::import_less_safe(&self.buf, &digest::SHA256)
                .and_then(|d| k.ec.sign_digest(&d))
                .is_ok(),
            Work::Gcm(_) => {
                self.counter += 1;
                let mut iv = [0u8; 12];
                iv[4..].copy_from_slice(&self.counter.to_be_bytes());
                let nonce = aead::Nonce::assume_unique_for_key(iv);
                k.aes
                    .seal_in_place_separate_tag(nonce, aead::Aad::empty(), &mut self.buf)
                    .is_ok()
            }
            Work::Hmac => {
                let _ = hmac::sign(&k.hmac, &self.buf);
                true
            }
            Work::GenRsa => signature::RsaKeyPair::generate(rsa::KeySize::Rsa2048).is_ok(),
            Work::GenEc => {
                signature::EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).is_ok()
            }
            Work::GenAesToken | Work::Find => false,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("aws-lc-rs {:?} failed", self.work))
        }
    }
}

/// One measurement: the summed rate of its threads.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub ops: u64,
    pub ops_per_sec: f64,
}

/// Runs each `Op` on a thread of its own, all released together, each until `dur` has passed
/// and it has done at least `min_ops` operations. The rate is the sum of the threads' rates.
pub fn run(ops: Vec<Box<dyn Op + '_>>, dur: Duration, min_ops: u64) -> Result<Sample, String> {
    let barrier = Barrier::new(ops.len());
    let results: Vec<Result<(u64, f64), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ops
            .into_iter()
            .map(|mut op| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let mut n = 0u64;
                    let mut failure = None;
                    loop {
                        if let Err(e) = op.op() {
                            failure = Some(e);
                            break;
                        }
                        n += 1;
                        if n >= min_ops && start.elapsed() >= dur {
                            break;
                        }
                    }
                    let secs = start.elapsed().as_secs_f64();
                    let cleaned = op.cleanup();
                    drop(op);
                    match (failure, cleaned) {
                        (Some(e), _) | (None, Err(e)) => Err(e),
                        (None, Ok(())) => Ok((n, secs)),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("worker thread panicked".to_string()))
            })
            .collect()
    });
    let mut sample = Sample {
        ops: 0,
        ops_per_sec: 0.0,
    };
    for r in results {
        let (n, secs) = r?;
        sample.ops += n;
        sample.ops_per_sec += n as f64 / secs.max(1e-9);
    }
    Ok(sample)
}
