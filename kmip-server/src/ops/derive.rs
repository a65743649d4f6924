//! Derive Key (KMIP 1.4 §4.6, 2.1 §6.1.17): a new symmetric key computed from existing
//! objects, inside the core, by its `C_DeriveKey` mechanisms (or `CKM_PKCS5_PBKD2`), so the
//! base key's usage flags, lifecycle and sensitivity are the same rules as on the PKCS#11 door.
//!
//! | Derivation Method | core mechanism | base object |
//! |---|---|---|
//! | PBKDF2 | `CKM_PKCS5_PBKD2` with the Secret Data's bytes as the password | Secret Data |
//! | HASH | `CKM_SHA*_KEY_DERIVATION`: the hash of the base key's value | symmetric key |
//! | ENCRYPT | `CKM_AES_ECB_ENCRYPT_DATA` / `CKM_AES_CBC_ENCRYPT_DATA` of Derivation Data | AES key |
//! | NIST800-108-C | `CKM_SP800_108_COUNTER_KDF`, HMAC PRF, 32-bit counter then Derivation Data | symmetric key |
//! | HKDF (2.x) | `CKM_HKDF_DERIVE`: extract with the Salt, expand with Derivation Data | symmetric key |
//! | Asymmetric Key | `CKM_ECDH1_DERIVE` (`CKD_NULL`) with the peer public key's point | EC private key + EC public key (or the point as Derivation Data) |
//!
//! HMAC, NIST800-108-F/-DPI and AWS Signature Version 4 have no core mechanism yet and are
//! answered with Feature Not Supported. The derived key is an ordinary KMIP object with a
//! Digest, and is linked to its base objects both ways (Derivation Base Object Link on it,
//! Derived Key Link on each base).

use super::create::{add_digest, base_template, key_format_attr, symmetric_request};
use super::get::values;
use super::hashes::{by_hash, HashRow};
use super::Ctx;
use crate::error::{KmipError, Result};
use crate::objects::{link, push_instance, Managed};
use crate::ttlv::enums::{
    BlockCipherMode as Mode, CryptographicAlgorithm as Alg, DerivationMethod as Method,
    HashingAlgorithm as HashAlg, KeyFormatType, LinkType, ObjectType, ResultReason, State,
};
use crate::ttlv::{Tag, Ttlv};
use cryptoki_sys as ck;
use softhsm::attr::enc_ulong;
use softhsm::hsm::AttrValue;
use softhsm::mechanism::{KdfField, Mechanism, Param, SecretBytes};

/// Derive Key usage (KMIP 1.4 §9.1.3.3.1) and Key Agreement, which ECDH also accepts.
const DERIVE_KEY: i32 = 0x0200;
const KEY_AGREEMENT: i32 = 0x0800;

/// The most PBKDF2 iterations one request may ask for: bounds the work of one request.
pub const MAX_ITERATIONS: i32 = 10_000_000;

/// The Derivation Parameters of a request (KMIP 1.4 §4.6, 2.1 §6.1.17).
struct Params<'a> {
    hash: Option<HashAlg>,
    mode: Option<Mode>,
    alg: Option<Alg>,
    padded: bool,
    iv: Option<&'a [u8]>,
    data: Option<&'a [u8]>,
    salt: Option<&'a [u8]>,
    iterations: Option<i32>,
}

fn read_params(t: &Ttlv) -> Params<'_> {
    let cp = t.find(Tag::CRYPTOGRAPHIC_PARAMETERS);
    let e = |tag| cp.and_then(|c| c.find(tag)).and_then(Ttlv::as_enum);
    let bytes = |tag| t.find(tag).and_then(Ttlv::as_bytes);
    Params {
        hash: e(Tag::HASHING_ALGORITHM).map(HashAlg),
        mode: e(Tag::BLOCK_CIPHER_MODE).map(Mode),
        alg: e(Tag::CRYPTOGRAPHIC_ALGORITHM).map(Alg),
        // Padding Method None (1) is no padding.
        padded: e(Tag::PADDING_METHOD).is_some_and(|p| p != 1),
        iv: bytes(Tag::INITIALIZATION_VECTOR),
        data: bytes(Tag::DERIVATION_DATA),
        salt: bytes(Tag::SALT),
        iterations: t.find(Tag::ITERATION_COUNT).and_then(Ttlv::as_int),
    }
}

fn hash_row(h: Option<HashAlg>, default: Option<HashAlg>) -> Result<&'static HashRow> {
    let h = h
        .or(default)
        .ok_or_else(|| KmipError::missing("Hashing Algorithm in the Cryptographic Parameters"))?;
    by_hash(h).ok_or_else(|| {
        KmipError::new(
            ResultReason::INVALID_FIELD,
            format!("Hashing Algorithm {} is not supported for key derivation", h.0),
        )
    })
}

fn need<'a>(v: Option<&'a [u8]>, what: &str) -> Result<&'a [u8]> {
    v.ok_or_else(|| KmipError::missing(what))
}

fn base_must_be(b: &Managed, ot: ObjectType, method: &str) -> Result<()> {
    if b.object_type != ot {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            format!("{method} derives from a {}", object_name(ot)),
        ));
    }
    Ok(())
}

fn object_name(ot: ObjectType) -> &'static str {
    match ot {
        ObjectType::SECRET_DATA => "Secret Data",
        ObjectType::PRIVATE_KEY => "private key",
        _ => "symmetric key",
    }
}

/// The core mechanism of a derivation from a key (every method but PBKDF2).
fn mechanism(ctx: &Ctx<'_>, method: Method, p: &Params<'_>, bases: &[Managed]) -> Result<Mechanism> {
    let base = &bases[0];
    if method != Method::ASYMMETRIC_KEY && bases.len() > 1 {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "this Derivation Method takes one base object",
        ));
    }
    Ok(match method {
        Method::HASH => {
            base_must_be(base, ObjectType::SYMMETRIC_KEY, "HASH")?;
            if p.data.is_some() {
                return Err(KmipError::new(
                    ResultReason::INVALID_FIELD,
                    "HASH derives from the base key alone and takes no Derivation Data",
                ));
            }
            Mechanism::new(hash_row(p.hash, None)?.key_derivation)
        }
        Method::ENCRYPT => {
            base_must_be(base, ObjectType::SYMMETRIC_KEY, "ENCRYPT")?;
            if p.alg.is_some_and(|a| a != Alg::AES) || p.padded {
                return Err(KmipError::unsupported("ENCRYPT other than AES without padding"));
            }
            let data = need(p.data, "Derivation Data")?.to_vec();
            match p.mode {
                Some(Mode::ECB) => Mechanism {
                    mech: ck::CKM_AES_ECB_ENCRYPT_DATA,
                    param: Param::Data(data),
                },
                Some(Mode::CBC) => {
                    let iv: [u8; 16] = need(p.iv, "Initialization Vector")?
                        .try_into()
                        .map_err(|_| KmipError::invalid("Initialization Vector (16 bytes for AES-CBC)"))?;
                    Mechanism {
                        mech: ck::CKM_AES_CBC_ENCRYPT_DATA,
                        param: Param::CbcData { iv, data },
                    }
                }
                Some(_) => return Err(KmipError::unsupported("ENCRYPT in this Block Cipher Mode")),
                None => return Err(KmipError::missing("Block Cipher Mode (ECB or CBC)")),
            }
        }
        Method::NIST800_108_C => {
            base_must_be(base, ObjectType::SYMMETRIC_KEY, "NIST800-108-C")?;
            let fields = vec![
                KdfField::Counter {
                    little_endian: false,
                    width_bits: 32,
                },
                KdfField::Bytes(need(p.data, "Derivation Data")?.to_vec()),
            ];
            Mechanism {
                mech: ck::CKM_SP800_108_COUNTER_KDF,
                param: Param::Sp800_108 {
                    prf: hash_row(p.hash, None)?.hmac,
                    fields,
                },
            }
        }
        Method::HKDF => {
            base_must_be(base, ObjectType::SYMMETRIC_KEY, "HKDF")?;
            let (salt_type, salt) = match p.salt {
                Some(s) if !s.is_empty() => (ck::CKF_HKDF_SALT_DATA, s.to_vec()),
                _ => (ck::CKF_HKDF_SALT_NULL, Vec::new()),
            };
            Mechanism {
                mech: ck::CKM_HKDF_DERIVE,
                param: Param::Hkdf {
                    extract: true,
                    expand: true,
                    prf: hash_row(p.hash, None)?.digest,
                    salt_type,
                    salt,
                    salt_key: 0,
                    info: p.data.unwrap_or_default().to_vec(),
                },
            }
        }
        Method::ASYMMETRIC_KEY => {
            base_must_be(base, ObjectType::PRIVATE_KEY, "Asymmetric Key derivation")?;
            if p.alg.is_some_and(|a| a != Alg::ECDH && a != Alg::EC) {
                return Err(KmipError::unsupported("asymmetric derivation other than ECDH"));
            }
            let public = match (bases.get(1), p.data) {
                (Some(peer), None) => {
                    base_must_be(peer, ObjectType::PUBLIC_KEY, "ECDH with a second object")
                        .map_err(|_| KmipError::invalid("the second object (an EC public key)"))?;
                    let got = ctx
                        .kmip
                        .hsm
                        .get_attributes(ctx.session, peer.handle, &[ck::CKA_EC_POINT])?;
                    match got.into_iter().next() {
                        Some(AttrValue::Value(point)) => point,
                        _ => return Err(KmipError::invalid("the second object (an EC public key)")),
                    }
                }
                (None, Some(point)) => point.to_vec(),
                (Some(_), Some(_)) => {
                    return Err(KmipError::new(
                        ResultReason::INVALID_FIELD,
                        "give the peer's public key as a second object or as Derivation Data, not both",
                    ))
                }
                (None, None) => return Err(KmipError::missing("the peer's public key")),
            };
            Mechanism {
                mech: ck::CKM_ECDH1_DERIVE,
                param: Param::Ecdh {
                    kdf: ck::CKD_NULL,
                    shared: Vec::new(),
                    public,
                },
            }
        }
        m => {
            let name = match m {
                Method::HMAC => "the HMAC Derivation Method",
                Method::NIST800_108_F => "the NIST800-108-F Derivation Method",
                Method::NIST800_108_DPI => "the NIST800-108-DPI Derivation Method",
                Method::AWS_SIGNATURE_VERSION4 => "the AWS Signature Version 4 Derivation Method",
                _ => "this Derivation Method",
            };
            return Err(KmipError::unsupported(name));
        }
    })
}

/// PBKDF2 (RFC 8018) of a Secret Data password, through the core's `CKM_PKCS5_PBKD2`.
fn pbkdf2(
    ctx: &Ctx<'_>,
    base: &Managed,
    p: &Params<'_>,
    raw: &[(softhsm::attr::AttrType, Vec<u8>)],
) -> Result<u64> {
    base_must_be(base, ObjectType::SECRET_DATA, "PBKDF2")?;
    let salt = need(p.salt, "Salt")?.to_vec();
    let iterations = p
        .iterations
        .ok_or_else(|| KmipError::missing("Iteration Count"))?;
    if !(1..=MAX_ITERATIONS).contains(&iterations) {
        return Err(KmipError::invalid("Iteration Count"));
    }
    // RFC 8018 and KMIP default to HMAC-SHA-1.
    let prf = hash_row(p.hash, Some(HashAlg::SHA_1))?.pbkdf2_prf;
    let password = values(ctx, base, &[ck::CKA_VALUE])?
        .into_iter()
        .next()
        .ok_or_else(|| KmipError::illegal("the Secret Data holds no value"))?;
    let mech = Mechanism {
        mech: ck::CKM_PKCS5_PBKD2,
        param: Param::Pbkdf2 {
            salt,
            iterations: iterations as u64,
            prf,
            password: SecretBytes::new(password.to_vec()),
        },
    };
    Ok(ctx.kmip.hsm.generate_key(ctx.session, &mech, raw)?)
}

/// The base objects: every Unique Identifier of the request, or the ID Placeholder.
fn base_uids(ctx: &Ctx<'_>, payload: &Ttlv) -> Result<Vec<String>> {
    let mut uids = Vec::new();
    for t in payload.items().iter().filter(|t| t.tag == Tag::UNIQUE_IDENTIFIER) {
        match t.as_text() {
            Some(s) => uids.push(s.to_string()),
            None if t.as_enum().is_some() => uids.push(ctx.placeholder_uid()?),
            None => return Err(KmipError::invalid("Unique Identifier")),
        }
    }
    if uids.is_empty() {
        uids.push(ctx.placeholder_uid()?);
    }
    Ok(uids)
}

/// Refuses a base object that is not Active or lacks the usage the method needs (the core
/// checks `CKA_DERIVE` and the lifecycle of keys again; a Secret Data has only KMIP's).
fn check_base(b: &Managed, usage: i32) -> Result<()> {
    if b.state() != State::ACTIVE {
        return Err(KmipError::new(
            ResultReason::WRONG_KEY_LIFECYCLE_STATE,
            format!("base object {} is not Active", b.uid),
        ));
    }
    let mask = b
        .first("Cryptographic Usage Mask")
        .and_then(Ttlv::as_int)
        .unwrap_or(0);
    if mask & usage == 0 {
        return Err(KmipError::new(
            ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK,
            format!("base object {} does not have the Derive Key usage", b.uid),
        ));
    }
    Ok(())
}

pub fn derive_key(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let ot = super::object_type(payload)?;
    if ot != ObjectType::SYMMETRIC_KEY {
        return Err(KmipError::unsupported(
            "deriving objects other than symmetric keys",
        ));
    }
    let method = payload
        .find(Tag::DERIVATION_METHOD)
        .and_then(Ttlv::as_enum)
        .map(Method)
        .ok_or_else(|| KmipError::missing("Derivation Method"))?;
    let p = read_params(
        payload
            .find(Tag::DERIVATION_PARAMETERS)
            .ok_or_else(|| KmipError::missing("Derivation Parameters"))?,
    );
    let (mut attrs, kt, bits) = symmetric_request(ctx, payload, "Derive Key")?;
    let uids = base_uids(ctx, payload)?;
    let bases = uids.iter().map(|u| ctx.load(u)).collect::<Result<Vec<_>>>()?;
    let usage = match method {
        Method::ASYMMETRIC_KEY => DERIVE_KEY | KEY_AGREEMENT,
        _ => DERIVE_KEY,
    };
    check_base(&bases[0], usage)?;
    for b in &bases[1..] {
        if b.state() != State::ACTIVE {
            return Err(KmipError::new(
                ResultReason::WRONG_KEY_LIFECYCLE_STATE,
                format!("object {} is not Active", b.uid),
            ));
        }
    }
    attrs.push(key_format_attr(KeyFormatType::RAW.0));
    let mut raw = base_template(ck::CKO_SECRET_KEY, &attrs)?;
    raw.retain(|(t, _)| *t != ck::CKA_CLASS);
    raw.push((ck::CKA_KEY_TYPE, enc_ulong(kt)));
    raw.push((ck::CKA_VALUE_LEN, enc_ulong((bits / 8) as u64)));
    let h = match method {
        Method::PBKDF2 => {
            if bases.len() > 1 {
                return Err(KmipError::new(
                    ResultReason::INVALID_FIELD,
                    "PBKDF2 takes one base object",
                ));
            }
            pbkdf2(ctx, &bases[0], &p, &raw)?
        }
        _ => {
            let mech = mechanism(ctx, method, &p, &bases)?;
            ctx.kmip
                .hsm
                .derive_key(ctx.session, &mech, bases[0].handle, &raw)
                .map_err(derive_failure)?
        }
    };
    add_digest(ctx, &ctx.load_handle(h)?)?;
    let new = ctx.load_handle(h)?;
    // Links both ways (KMIP 1.4 §3.35): Derivation Base Object on the new key, Derived Key on
    // each base.
    let mut a = new.stored_attrs();
    for b in &bases {
        push_instance(&mut a, link(LinkType::DERIVATION_BASE_OBJECT_LINK, &b.uid));
    }
    ctx.save(&new, a)?;
    for b in &bases {
        let mut a = b.stored_attrs();
        push_instance(&mut a, link(LinkType::DERIVED_KEY_LINK, &new.uid));
        ctx.save(b, a)?;
    }
    log::info!("derived key {} from {}", new.uid, uids.join(", "));
    ctx.placeholder = Some(new.uid.clone());
    Ok(vec![ctx.uid_item(&new.uid)])
}

/// The core's refusals of a derivation, in KMIP terms: a bad parameter or a key too short for
/// the length asked for is the request's fault.
fn derive_failure(e: softhsm::Error) -> KmipError {
    match e {
        softhsm::Error::MechanismParamInvalid => KmipError::new(
            ResultReason::INVALID_FIELD,
            "the Derivation Parameters do not fit this method and base object",
        ),
        softhsm::Error::TemplateInconsistent | softhsm::Error::KeySizeRange => KmipError::new(
            ResultReason::INVALID_FIELD,
            "the derivation cannot produce a key of this algorithm and length",
        ),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_defaults_to_sha1_and_hash_needs_an_algorithm() {
        assert_eq!(
            hash_row(None, Some(HashAlg::SHA_1)).unwrap().pbkdf2_prf,
            ck::CKP_PKCS5_PBKD2_HMAC_SHA1
        );
        assert!(hash_row(None, None).is_err());
        assert!(hash_row(Some(HashAlg::MD5), None).is_err());
    }

    #[test]
    fn objects_link_helper_round_trips() {
        let l = link(LinkType::DERIVED_KEY_LINK, "k1");
        assert_eq!(
            l.value.find(Tag::LINK_TYPE).and_then(Ttlv::as_enum),
            Some(LinkType::DERIVED_KEY_LINK.0)
        );
    }
}
