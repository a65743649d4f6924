//! Cryptographic services through the core's mechanisms, so the same key policy applies as on
//! the PKCS#11 door: Encrypt (KMIP 1.4 §4.29), Decrypt (§4.30), Sign (§4.31), Signature Verify
//! (§4.32), MAC (§4.33), MAC Verify (§4.34), Hash (2.1 §6.1.23), RNG Retrieve (§4.35) and RNG
//! Seed (§4.36). A streaming request (Init Indicator, Correlation Value) goes to `stream.rs`
//! once the mechanism and key are chosen here.
//! AES-GCM needs KMIP 1.4 or later: a response never carries a field the client's version
//! does not define, and before 1.4 there is no Authenticated Encryption Tag to carry.

use super::hashes::{self, HashRow};
use super::stream::{self, Kind, Part, Start};
use super::Ctx;
use crate::error::{KmipError, Result};
use crate::objects::Managed;
use crate::ttlv::enums::{
    BlockCipherMode as Mode, CryptographicAlgorithm as Alg, DigitalSignatureAlgorithm as Dsa,
    HashingAlgorithm as HashAlg, PaddingMethod as Pad, ResultReason, ValidityIndicator,
};
use crate::ttlv::{Tag, Ttlv};
use crate::version::V1_4;
use cryptoki_sys as ck;
use softhsm::mechanism::{Mechanism, Param};
use softhsm::session::{Out, Output};
use std::ops::ControlFlow;

/// The largest single-part input accepted: bounds the work and memory one request costs.
pub const MAX_DATA: usize = 16 * 1024 * 1024;
/// The most random bytes one RNG Retrieve returns.
pub const MAX_RNG: usize = 1024 * 1024;

/// The parameters that choose a mechanism, from the request or else the key's own
/// Cryptographic Parameters attribute.
#[derive(Debug, Default, Clone)]
struct Params {
    mode: Option<Mode>,
    padding: Option<Pad>,
    hash: Option<HashAlg>,
    dsa: Option<Dsa>,
    alg: Option<Alg>,
    random_iv: bool,
    iv_len: Option<usize>,
    tag_len: Option<usize>,
    salt_len: Option<u64>,
    mgf_hash: Option<HashAlg>,
    p_source: Vec<u8>,
}

fn read_params(t: Option<&Ttlv>) -> Params {
    let Some(t) = t else { return Params::default() };
    let e = |tag| t.find(tag).and_then(Ttlv::as_enum);
    let i = |tag| t.find(tag).and_then(Ttlv::as_int).filter(|v| *v >= 0);
    Params {
        mode: e(Tag::BLOCK_CIPHER_MODE).map(Mode),
        padding: e(Tag::PADDING_METHOD).map(Pad),
        hash: e(Tag::HASHING_ALGORITHM).map(HashAlg),
        dsa: e(Tag::DIGITAL_SIGNATURE_ALGORITHM).map(Dsa),
        alg: e(Tag::CRYPTOGRAPHIC_ALGORITHM).map(Alg),
        random_iv: t.find(Tag::RANDOM_IV).and_then(Ttlv::as_bool).unwrap_or(false),
        iv_len: i(Tag::IV_LENGTH).map(|b| b as usize / 8),
        tag_len: i(Tag::TAG_LENGTH).map(|b| b as usize),
        salt_len: i(Tag::SALT_LENGTH).map(|b| b as u64),
        mgf_hash: e(Tag::MASK_GENERATOR_HASHING_ALGORITHM).map(HashAlg),
        p_source: t
            .find(Tag::P_SOURCE)
            .and_then(Ttlv::as_bytes)
            .unwrap_or_default()
            .to_vec(),
    }
}

fn params(payload: &Ttlv, m: &Managed) -> Params {
    read_params(
        payload
            .find(Tag::CRYPTOGRAPHIC_PARAMETERS)
            .or_else(|| m.first("Cryptographic Parameters")),
    )
}

fn hash_row(h: HashAlg) -> Result<&'static HashRow> {
    hashes::by_hash(h)
        .ok_or_else(|| KmipError::new(ResultReason::INVALID_FIELD, "unsupported Hashing Algorithm"))
}

fn bad_params(what: &str) -> KmipError {
    KmipError::new(
        ResultReason::INVALID_FIELD,
        format!("unsupported Cryptographic Parameters: {what}"),
    )
}

fn random(n: usize) -> Result<Vec<u8>> {
    let mut v = vec![0u8; n];
    softhsm::crypto::random(&mut v)
        .map_err(|_| KmipError::new(ResultReason::GENERAL_FAILURE, "no randomness"))?;
    Ok(v)
}

/// The mechanism for Encrypt/Decrypt, and the IV the server made (RandomIV) if any.
fn cipher_mechanism(
    p: &Params,
    m: &Managed,
    payload: &Ttlv,
    encrypt: bool,
) -> Result<(Mechanism, Option<Vec<u8>>)> {
    let iv_in = payload
        .find(Tag::IV_COUNTER_NONCE)
        .and_then(Ttlv::as_bytes)
        .map(<[u8]>::to_vec);
    match m.key_type {
        Some(ck::CKK_AES) => {
            let mode = p.mode.unwrap_or(Mode::CBC);
            let mut made = None;
            let mut iv = |default_len: usize| -> Result<Vec<u8>> {
                match &iv_in {
                    Some(iv) => Ok(iv.clone()),
                    None if encrypt && p.random_iv => {
                        let v = random(p.iv_len.unwrap_or(default_len))?;
                        made = Some(v.clone());
                        Ok(v)
                    }
                    None => Err(KmipError::new(
                        ResultReason::INVALID_MESSAGE,
                        "an IV/Counter/Nonce is required (or set Random IV)",
                    )),
                }
            };
            let mech = match (mode, p.padding.unwrap_or(Pad::NONE)) {
                // ECB with PKCS#5 padding: the server pads and unpads around CKM_AES_ECB.
                (Mode::ECB, Pad::NONE) | (Mode::ECB, Pad::PKCS5) => Mechanism::new(ck::CKM_AES_ECB),
                (Mode::CBC, Pad::NONE) => Mechanism {
                    mech: ck::CKM_AES_CBC,
                    param: Param::Iv(iv(16)?),
                },
                (Mode::CBC, Pad::PKCS5) => Mechanism {
                    mech: ck::CKM_AES_CBC_PAD,
                    param: Param::Iv(iv(16)?),
                },
                (Mode::GCM, _) => {
                    let tag_len = p.tag_len.unwrap_or(16);
                    if !(4..=16).contains(&tag_len) {
                        return Err(KmipError::new(
                            ResultReason::GENERAL_FAILURE,
                            "invalid GCM tag length",
                        ));
                    }
                    let aad = payload
                        .find(Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA)
                        .and_then(Ttlv::as_bytes)
                        .unwrap_or_default()
                        .to_vec();
                    Mechanism {
                        mech: ck::CKM_AES_GCM,
                        param: Param::Gcm {
                            iv: iv(12)?,
                            aad,
                            tag_bits: (tag_len * 8) as u64,
                        },
                    }
                }
                (Mode::CTR, Pad::NONE) => {
                    let v = iv(16)?;
                    let cb: [u8; 16] = v
                        .try_into()
                        .map_err(|_| KmipError::invalid("IV/Counter/Nonce (16 bytes for CTR)"))?;
                    Mechanism {
                        mech: ck::CKM_AES_CTR,
                        param: Param::Ctr {
                            counter_bits: 128,
                            cb,
                        },
                    }
                }
                _ => return Err(bad_params("this block cipher mode and padding")),
            };
            Ok((mech, made))
        }
        Some(ck::CKK_RSA) => {
            let mech = match p.padding.unwrap_or(Pad::OAEP) {
                Pad::OAEP => {
                    let h = hash_row(p.hash.unwrap_or(HashAlg::SHA_1))?;
                    let mgf = hash_row(p.mgf_hash.unwrap_or(p.hash.unwrap_or(HashAlg::SHA_1)))?;
                    Mechanism {
                        mech: ck::CKM_RSA_PKCS_OAEP,
                        param: Param::Oaep {
                            hash: h.digest,
                            mgf: mgf.mgf1,
                            source: p.p_source.clone(),
                        },
                    }
                }
                Pad::PKCS1_V1_5 => Mechanism::new(ck::CKM_RSA_PKCS),
                Pad::NONE => Mechanism::new(ck::CKM_RSA_X_509),
                _ => return Err(bad_params("this RSA padding")),
            };
            Ok((mech, None))
        }
        _ => Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "the key's algorithm does not encrypt",
        )),
    }
}

/// The `C_WrapKey`/`C_UnwrapKey` mechanism for a Key Wrapping Specification or Key Wrapping
/// Data: AES key wrap (NIST SP 800-38F KW, RFC 3394; KWP, RFC 5649, for AES Key Wrap Padding)
/// under an AES key, RSA-OAEP (the default) or PKCS#1 v1.5 under an RSA key. `params` are the
/// request's Cryptographic Parameters, else those of the wrapping key `m`.
pub(super) fn wrap_mechanism(params: Option<&Ttlv>, m: &Managed) -> Result<Mechanism> {
    let p = read_params(params.or_else(|| m.first("Cryptographic Parameters")));
    match m.key_type {
        Some(ck::CKK_AES) => match p.mode {
            None | Some(Mode::NIST_KEY_WRAP) => Ok(Mechanism::new(ck::CKM_AES_KEY_WRAP)),
            Some(Mode::AES_KEY_WRAP_PADDING) => Ok(Mechanism::new(ck::CKM_AES_KEY_WRAP_KWP)),
            Some(_) => Err(bad_params("this block cipher mode for key wrapping")),
        },
        Some(ck::CKK_RSA) => match p.padding.unwrap_or(Pad::OAEP) {
            Pad::OAEP => {
                let h = hash_row(p.hash.unwrap_or(HashAlg::SHA_1))?;
                let mgf = hash_row(p.mgf_hash.unwrap_or(p.hash.unwrap_or(HashAlg::SHA_1)))?;
                Ok(Mechanism {
                    mech: ck::CKM_RSA_PKCS_OAEP,
                    param: Param::Oaep {
                        hash: h.digest,
                        mgf: mgf.mgf1,
                        source: p.p_source.clone(),
                    },
                })
            }
            Pad::PKCS1_V1_5 => Ok(Mechanism::new(ck::CKM_RSA_PKCS)),
            _ => Err(bad_params("this RSA padding for key wrapping")),
        },
        _ => Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "the wrapping key's algorithm does not wrap keys",
        )),
    }
}

/// Protect Stop Date and Process Start Date (KMIP 1.4 §3.25, §3.26): after the first a key no
/// longer protects (encrypt, sign, MAC); before the second it does not yet process (decrypt,
/// verify).
fn check_use_dates(m: &Managed, protect: bool) -> Result<()> {
    let now = crate::objects::now();
    let name = if protect {
        "Protect Stop Date"
    } else {
        "Process Start Date"
    };
    let refused = |d: i64| if protect { d <= now } else { d > now };
    if m.first(name).and_then(Ttlv::as_date).is_some_and(refused) {
        log::info!("object {} refused by its {name}", m.uid);
        // Wrong Key Lifecycle State in 2.x; a 1.x client reads it as Permission Denied.
        return Err(KmipError::new(
            ResultReason::WRONG_KEY_LIFECYCLE_STATE,
            format!("refused by the object's {name}"),
        ));
    }
    Ok(())
}

fn data(payload: &Ttlv) -> Result<&[u8]> {
    let d = payload
        .find(Tag::DATA)
        .and_then(Ttlv::as_bytes)
        .ok_or_else(|| KmipError::missing("Data"))?;
    if d.len() > MAX_DATA {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "Data is longer than the server accepts",
        ));
    }
    Ok(d)
}

/// Decryption and data-shape failures of the engine are Cryptographic Failure in KMIP.
pub(super) fn crypto_failure(e: softhsm::Error) -> KmipError {
    use softhsm::Error as E;
    match e {
        E::EncryptedDataInvalid | E::EncryptedDataLenRange | E::DataLenRange | E::MechanismParamInvalid => {
            KmipError::new(
                ResultReason::CRYPTOGRAPHIC_FAILURE,
                "the cryptographic operation failed",
            )
        }
        other => other.into(),
    }
}

fn output(o: Output) -> Vec<u8> {
    match o {
        Output::Data(d) => d,
        Output::Len(_) => Vec::new(),
    }
}

fn cipher(ctx: &mut Ctx<'_>, payload: &Ttlv, encrypt: bool) -> Result<Vec<Ttlv>> {
    let kind = if encrypt { Kind::Encrypt } else { Kind::Decrypt };
    let part = stream::part(payload)?;
    if let Part::Next { last } = part {
        return stream::next(ctx, kind, payload, last);
    }
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    check_use_dates(&m, encrypt)?;
    let p = params(payload, &m);
    if p.mode == Some(Mode::GCM) && ctx.version < V1_4 {
        // The Authenticated Encryption Tag and Additional Data fields arrived in KMIP 1.4: an
        // older client can neither send the tag nor decode a response that carries it.
        return Err(KmipError::unsupported(
            "authenticated encryption (GCM) in KMIP versions before 1.4 (they have no Authenticated Encryption Tag)",
        ));
    }
    let (mech, made_iv) = cipher_mechanism(&p, &m, payload, encrypt)?;
    if part == Part::Init {
        if mech.mech == ck::CKM_AES_ECB && p.padding == Some(Pad::PKCS5) {
            return Err(KmipError::unsupported("streaming AES-ECB with PKCS#5 padding"));
        }
        let extra = made_iv.map(|iv| Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv));
        let start = Start {
            kind,
            key: Some((m.handle, uid)),
            mech,
            alt: None,
            extra: extra.into_iter().collect(),
        };
        return stream::start(ctx, start, payload);
    }
    let mut input = data(payload)?.to_vec();
    let gcm_tag_len = match &mech.param {
        Param::Gcm { tag_bits, .. } => Some((*tag_bits / 8) as usize),
        _ => None,
    };
    if let (false, Some(n)) = (encrypt, gcm_tag_len) {
        // KMIP carries the GCM tag apart from the ciphertext; PKCS#11 wants it appended.
        let tag = payload
            .find(Tag::AUTHENTICATED_ENCRYPTION_TAG)
            .and_then(Ttlv::as_bytes)
            .ok_or_else(|| KmipError::missing("Authenticated Encryption Tag"))?;
        if tag.len() != n {
            return Err(KmipError::invalid("Authenticated Encryption Tag length"));
        }
        input.extend_from_slice(tag);
    }
    let ecb_pad = mech.mech == ck::CKM_AES_ECB && p.padding == Some(Pad::PKCS5);
    if ecb_pad && encrypt {
        let n = 16 - input.len() % 16;
        input.extend(std::iter::repeat(n as u8).take(n));
    }
    super::limits::consume(ctx, &m, input.len())?;
    let hsm = &ctx.kmip.hsm;
    hsm.cipher_init(ctx.session, &mech, m.handle, encrypt)?;
    let cap = input.len() + 64 + 1024;
    let mut out = output(
        hsm.cipher_once(ctx.session, &input, Out::Cap(cap), encrypt)
            .map_err(crypto_failure)?,
    );
    if ecb_pad && !encrypt {
        let n = out.last().copied().unwrap_or(0) as usize;
        if n == 0 || n > 16 || n > out.len() || !out[out.len() - n..].iter().all(|b| *b as usize == n) {
            return Err(KmipError::new(
                ResultReason::CRYPTOGRAPHIC_FAILURE,
                "decryption failed",
            ));
        }
        out.truncate(out.len() - n);
    }
    let mut items = vec![ctx.uid_item(&uid)];
    let mut tag = None;
    if let (true, Some(n)) = (encrypt, gcm_tag_len) {
        tag = Some(out.split_off(out.len().saturating_sub(n)));
    }
    items.push(Ttlv::bytes(Tag::DATA, out));
    if let Some(iv) = made_iv {
        items.push(Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv));
    }
    if let Some(t) = tag {
        items.push(Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, t));
    }
    ctx.placeholder = Some(uid);
    Ok(items)
}

pub fn encrypt(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    cipher(ctx, payload, true)
}

pub fn decrypt(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    cipher(ctx, payload, false)
}

/// The signature mechanism for key `m`, and for PKCS#1 v1.5 over Digested Data (KMIP 1.4
/// §4.31) the DigestInfo prefix to put before the digest: with a Hashing Algorithm the server
/// builds the DigestInfo (RFC 8017 §9.2) and the digest must have that hash's length; without
/// one the Digested Data is signed as given, as `CKM_RSA_PKCS` does (a caller-built DigestInfo).
fn sign_mechanism(p: &Params, m: &Managed, digested: bool) -> Result<(Mechanism, Option<DigestInfo>)> {
    let from_dsa = |d: Dsa| -> Option<(Option<HashAlg>, bool)> {
        Some(match d {
            Dsa::SHA_1_WITH_RSA_ENCRYPTION | Dsa::ECDSA_WITH_SHA_1 => (Some(HashAlg::SHA_1), false),
            Dsa::SHA_224_WITH_RSA_ENCRYPTION | Dsa::ECDSA_WITH_SHA224 => (Some(HashAlg::SHA_224), false),
            Dsa::SHA_256_WITH_RSA_ENCRYPTION | Dsa::ECDSA_WITH_SHA256 => (Some(HashAlg::SHA_256), false),
            Dsa::SHA_384_WITH_RSA_ENCRYPTION | Dsa::ECDSA_WITH_SHA384 => (Some(HashAlg::SHA_384), false),
            Dsa::SHA_512_WITH_RSA_ENCRYPTION | Dsa::ECDSA_WITH_SHA512 => (Some(HashAlg::SHA_512), false),
            Dsa::RSASSA_PSS => (None, true),
            _ => return None,
        })
    };
    let (hash, pss) = match p.dsa {
        Some(d) => {
            let (h, pss) = from_dsa(d).ok_or_else(|| bad_params("this Digital Signature Algorithm"))?;
            (h.or(p.hash), pss)
        }
        None => (p.hash, p.padding == Some(Pad::PSS)),
    };
    match m.key_type {
        Some(ck::CKK_RSA) => {
            let h = hash_row(hash.unwrap_or(HashAlg::SHA_256))?;
            if pss {
                let mgf = hash_row(p.mgf_hash.unwrap_or(h.alg))?;
                let mech = Mechanism {
                    mech: if digested { ck::CKM_RSA_PKCS_PSS } else { h.rsa_pss },
                    param: Param::Pss {
                        hash: h.digest,
                        mgf: mgf.mgf1,
                        salt_len: p.salt_len.unwrap_or(h.core().len() as u64),
                    },
                };
                return Ok((mech, None));
            }
            if digested {
                let info = match hash {
                    Some(hash) => {
                        let core = hash_row(hash)?.core();
                        Some(DigestInfo {
                            prefix: core.digest_info_prefix(),
                            len: core.len(),
                        })
                    }
                    None => None,
                };
                return Ok((Mechanism::new(ck::CKM_RSA_PKCS), info));
            }
            Ok((Mechanism::new(h.rsa_pkcs), None))
        }
        Some(ck::CKK_EC) => {
            if digested {
                return Ok((Mechanism::new(ck::CKM_ECDSA), None));
            }
            Ok((
                Mechanism::new(hash_row(hash.unwrap_or(HashAlg::SHA_256))?.ecdsa),
                None,
            ))
        }
        _ => Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "the key's algorithm does not sign",
        )),
    }
}

/// The DER DigestInfo prefix of a hash and that hash's output length.
struct DigestInfo {
    prefix: &'static [u8],
    len: usize,
}

fn sign_input(payload: &Ttlv) -> Result<(Vec<u8>, bool)> {
    if let Some(d) = payload.find(Tag::DIGESTED_DATA).and_then(Ttlv::as_bytes) {
        return Ok((d.to_vec(), true));
    }
    Ok((data(payload)?.to_vec(), false))
}

/// Digested Data inside its DigestInfo, when the server builds one.
fn with_digest_info(input: Vec<u8>, info: Option<DigestInfo>) -> Result<Vec<u8>> {
    let Some(info) = info else { return Ok(input) };
    if input.len() != info.len {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "Digested Data does not have the length of the Hashing Algorithm's digest",
        ));
    }
    Ok([info.prefix, &input].concat())
}

pub fn sign(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let part = stream::part(payload)?;
    if let Part::Next { last } = part {
        return stream::next(ctx, Kind::Sign, payload, last);
    }
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    check_use_dates(&m, true)?;
    if part == Part::Init {
        return start_signature(ctx, Kind::Sign, payload, m, uid);
    }
    let (input, digested) = sign_input(payload)?;
    let (mech, info) = sign_mechanism(&params(payload, &m), &m, digested)?;
    let input = with_digest_info(input, info)?;
    super::limits::consume(ctx, &m, input.len())?;
    let hsm = &ctx.kmip.hsm;
    hsm.sign_init(ctx.session, &mech, m.handle)?;
    let sig = kmip_signature(&m, output(hsm.sign(ctx.session, &input, Out::Cap(2048))?));
    ctx.placeholder = Some(uid.clone());
    Ok(vec![ctx.uid_item(&uid), Ttlv::bytes(Tag::SIGNATURE_DATA, sig)])
}

/// ECDSA signatures travel over KMIP as the DER `ECDSA-Sig-Value` of X9.62 (RFC 3279
/// §2.2.3), as the OASIS test cases and clients (PyKMIP, `cryptography`, OpenSSL) expect; the
/// core, like PKCS#11, signs `r || s`. Other signatures pass unchanged.
pub(super) fn kmip_signature(m: &Managed, sig: Vec<u8>) -> Vec<u8> {
    match m.key_type {
        Some(ck::CKK_EC) => softhsm::der::ecdsa_sig_from_raw(&sig).unwrap_or(sig),
        _ => sig,
    }
}

/// A KMIP ECDSA signature as the core's `r || s`, when it is a DER `ECDSA-Sig-Value` that
/// fits `m`'s curve; `None` otherwise (not EC, or not DER: then it is verified as given).
pub(super) fn core_signature(m: &Managed, sig: &[u8]) -> Option<Vec<u8>> {
    if m.key_type != Some(ck::CKK_EC) {
        return None;
    }
    let n = m
        .first("Cryptographic Length")
        .and_then(Ttlv::as_int)
        .map_or(0, |b| (b.max(0) as usize).div_ceil(8));
    softhsm::der::ecdsa_sig_to_raw(sig, n)
}

pub(super) fn validity(r: softhsm::Result<()>) -> Result<ValidityIndicator> {
    match r {
        Ok(()) => Ok(ValidityIndicator::VALID),
        Err(softhsm::Error::SignatureInvalid | softhsm::Error::SignatureLenRange) => {
            Ok(ValidityIndicator::INVALID)
        }
        Err(e) => Err(e.into()),
    }
}

/// Starts a Sign or Signature Verify stream (over Data: a digest comes in one request).
fn start_signature(
    ctx: &mut Ctx<'_>,
    kind: Kind,
    payload: &Ttlv,
    m: Managed,
    uid: String,
) -> Result<Vec<Ttlv>> {
    if payload.find(Tag::DIGESTED_DATA).is_some() {
        return Err(KmipError::unsupported(
            "streaming over Digested Data (send it in one request)",
        ));
    }
    let p = params(payload, &m);
    let (mech, _) = sign_mechanism(&p, &m, false)?;
    let alt = match kind {
        Kind::Verify => pss_max_salt(&p, &mech, &m),
        _ => None,
    };
    let start = Start {
        kind,
        key: Some((m.handle, uid)),
        mech,
        alt,
        extra: Vec::new(),
    };
    stream::start(ctx, start, payload)
}

/// KMIP leaves the PSS salt length to the signer when Salt Length is not given: besides the
/// hash length, verification accepts the other common choice, the largest salt the key allows.
/// This is that second mechanism, when it differs from the first.
fn pss_max_salt(p: &Params, mech: &Mechanism, m: &Managed) -> Option<Mechanism> {
    let (None, Param::Pss { hash, mgf, salt_len }) = (p.salt_len, &mech.param) else {
        return None;
    };
    let k = m
        .first("Cryptographic Length")
        .and_then(Ttlv::as_int)
        .unwrap_or(0)
        .max(0) as u64;
    let max = (k.saturating_sub(1) / 8 + 1).saturating_sub(*salt_len + 2);
    (max > *salt_len).then(|| Mechanism {
        mech: mech.mech,
        param: Param::Pss {
            hash: *hash,
            mgf: *mgf,
            salt_len: max,
        },
    })
}

pub fn signature_verify(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let part = stream::part(payload)?;
    if let Part::Next { last } = part {
        return stream::next(ctx, Kind::Verify, payload, last);
    }
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    check_use_dates(&m, false)?;
    if part == Part::Init {
        return start_signature(ctx, Kind::Verify, payload, m, uid);
    }
    let (input, digested) = sign_input(payload)?;
    let sig = payload
        .find(Tag::SIGNATURE_DATA)
        .and_then(Ttlv::as_bytes)
        .ok_or_else(|| KmipError::missing("Signature Data"))?;
    let p = params(payload, &m);
    let (mech, info) = sign_mechanism(&p, &m, digested)?;
    let input = with_digest_info(input, info)?;
    let hsm = &ctx.kmip.hsm;
    hsm.verify_init(ctx.session, &mech, m.handle)?;
    let mut v = validity(hsm.verify(ctx.session, &input, sig))?;
    if let (ValidityIndicator::INVALID, Some(alt)) = (v, pss_max_salt(&p, &mech, &m)) {
        hsm.verify_init(ctx.session, &alt, m.handle)?;
        v = validity(hsm.verify(ctx.session, &input, sig))?;
    }
    // ECDSA signatures come as the DER ECDSA-Sig-Value (what this server answers and most
    // KMIP clients send) or as PKCS#11's r || s: accept both.
    if v == ValidityIndicator::INVALID {
        if let Some(raw) = core_signature(&m, sig) {
            hsm.verify_init(ctx.session, &mech, m.handle)?;
            v = validity(hsm.verify(ctx.session, &input, &raw))?;
        }
    }
    ctx.placeholder = Some(uid.clone());
    Ok(vec![
        ctx.uid_item(&uid),
        Ttlv::enumeration(Tag::VALIDITY_INDICATOR, v.0),
    ])
}

/// The MAC mechanism for key `m`: HMAC with the key's (or the parameters') hash, or AES-CMAC.
fn mac_mechanism(p: &Params, m: &Managed) -> Result<Mechanism> {
    let by_alg = |a: Alg| hashes::by_hmac(a).map(|r| r.alg);
    if m.key_type == Some(ck::CKK_AES) {
        return Ok(Mechanism::new(ck::CKM_AES_CMAC));
    }
    let key_alg = m
        .first("Cryptographic Algorithm")
        .and_then(Ttlv::as_enum)
        .map(Alg);
    let hash = p
        .alg
        .and_then(by_alg)
        .or(p.hash)
        .or_else(|| key_alg.and_then(by_alg))
        .ok_or_else(|| bad_params("no MAC algorithm"))?;
    Ok(Mechanism::new(hash_row(hash)?.hmac))
}

/// What MAC and MAC Verify do first: continue or start a stream (the answer is then ready),
/// or name the key and mechanism of a single-part call.
fn mac_begin(
    ctx: &mut Ctx<'_>,
    kind: Kind,
    payload: &Ttlv,
) -> Result<ControlFlow<Vec<Ttlv>, (String, Managed, Mechanism)>> {
    let part = stream::part(payload)?;
    if let Part::Next { last } = part {
        return stream::next(ctx, kind, payload, last).map(ControlFlow::Break);
    }
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    let mech = mac_mechanism(&params(payload, &m), &m)?;
    if part == Part::Init {
        let start = Start {
            kind,
            key: Some((m.handle, uid)),
            mech,
            alt: None,
            extra: Vec::new(),
        };
        return stream::start(ctx, start, payload).map(ControlFlow::Break);
    }
    Ok(ControlFlow::Continue((uid, m, mech)))
}

pub fn mac(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let (uid, m, mech) = match mac_begin(ctx, Kind::Mac, payload)? {
        ControlFlow::Break(answer) => return Ok(answer),
        ControlFlow::Continue(single) => single,
    };
    let input = data(payload)?;
    super::limits::consume(ctx, &m, input.len())?;
    let hsm = &ctx.kmip.hsm;
    hsm.sign_init(ctx.session, &mech, m.handle)?;
    let out = output(hsm.sign(ctx.session, input, Out::Cap(128))?);
    ctx.placeholder = Some(uid.clone());
    Ok(vec![ctx.uid_item(&uid), Ttlv::bytes(Tag::MAC_DATA, out)])
}

pub fn mac_verify(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let (uid, m, mech) = match mac_begin(ctx, Kind::MacVerify, payload)? {
        ControlFlow::Break(answer) => return Ok(answer),
        ControlFlow::Continue(single) => single,
    };
    let input = data(payload)?;
    let mac = payload
        .find(Tag::MAC_DATA)
        .and_then(Ttlv::as_bytes)
        .ok_or_else(|| KmipError::missing("MAC Data"))?;
    let hsm = &ctx.kmip.hsm;
    hsm.verify_init(ctx.session, &mech, m.handle)?;
    let v = validity(hsm.verify(ctx.session, input, mac))?;
    ctx.placeholder = Some(uid.clone());
    Ok(vec![
        ctx.uid_item(&uid),
        Ttlv::enumeration(Tag::VALIDITY_INDICATOR, v.0),
    ])
}

pub fn hash(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let part = stream::part(payload)?;
    if let Part::Next { last } = part {
        return stream::next(ctx, Kind::Hash, payload, last);
    }
    let p = read_params(payload.find(Tag::CRYPTOGRAPHIC_PARAMETERS));
    let h = hash_row(p.hash.ok_or_else(|| KmipError::missing("Hashing Algorithm"))?)?;
    if part == Part::Init {
        let start = Start {
            kind: Kind::Hash,
            key: None,
            mech: Mechanism::new(h.digest),
            alt: None,
            extra: Vec::new(),
        };
        return stream::start(ctx, start, payload);
    }
    let input = data(payload)?;
    let hsm = &ctx.kmip.hsm;
    hsm.digest_init(ctx.session, &Mechanism::new(h.digest))?;
    let out = output(hsm.digest(ctx.session, input, Out::Cap(64))?);
    Ok(vec![Ttlv::bytes(Tag::DATA, out)])
}

pub fn rng_retrieve(_ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let n = payload
        .find(Tag::DATA_LENGTH)
        .and_then(Ttlv::as_int)
        .ok_or_else(|| KmipError::missing("Data Length"))?;
    if n <= 0 || n as usize > MAX_RNG {
        return Err(KmipError::invalid("Data Length"));
    }
    Ok(vec![Ttlv::bytes(Tag::DATA, random(n as usize)?)])
}

/// RNG Seed: the engine (AWS-LC's DRBG) reseeds itself from the OS and takes no outside seed,
/// so the answer says no seed data was used.
pub fn rng_seed(_ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    data(payload)?;
    Ok(vec![Ttlv::int(Tag::DATA_LENGTH, 0)])
}
