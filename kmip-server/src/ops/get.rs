//! Get (KMIP 1.4 §4.11, 2.1 §6.1.22): an object's value in the Key Format Type asked for,
//! wrapped under another key when asked (`key_wrapping`). Sensitive and non-extractable keys
//! are refused in the clear with the reasons KMIP names for them, the same rule
//! `C_GetAttributeValue` applies on the other door; a sensitive but extractable key can be got
//! wrapped, as `C_WrapKey` allows.

use super::Ctx;
use crate::error::{KmipError, Result};
use crate::key_formats::{self as kf, big};
use crate::objects::{Managed, RSA_PRIVATE_TAGS};
use crate::ttlv::enums::{KeyFormatType as Kft, ObjectType, ResultReason, State};
use crate::ttlv::{Tag, Ttlv};
use cryptoki_sys as ck;
use softhsm::attr::AttrType;
use softhsm::hsm::AttrValue;
use softhsm::mechanism::ops::RSA_PRIVATE_ATTRS;
use zeroize::Zeroizing;

/// Reads PKCS#11 values of `m`, mapping a refusal to KMIP's Sensitive / Not Extractable.
pub(crate) fn values(ctx: &Ctx<'_>, m: &Managed, types: &[AttrType]) -> Result<Vec<Zeroizing<Vec<u8>>>> {
    let got = ctx.kmip.hsm.get_attributes(ctx.session, m.handle, types)?;
    let mut out = Vec::with_capacity(got.len());
    for v in got {
        match v {
            AttrValue::Value(b) => out.push(Zeroizing::new(b)),
            AttrValue::Sensitive => {
                let extractable = m.first("Extractable").and_then(Ttlv::as_bool).unwrap_or(true);
                return Err(if extractable {
                    KmipError::new(ResultReason::SENSITIVE, "the object is sensitive")
                } else {
                    KmipError::new(ResultReason::NOT_EXTRACTABLE, "the object is not extractable")
                });
            }
            AttrValue::Invalid => {
                return Err(KmipError::new(
                    ResultReason::KEY_VALUE_NOT_PRESENT,
                    "the object holds no key value",
                ))
            }
        }
    }
    Ok(out)
}

fn key_block(format: Kft, material: Ttlv, m: &Managed) -> Ttlv {
    let mut items = vec![
        Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, format.0),
        Ttlv::structure(Tag::KEY_VALUE, vec![material]),
    ];
    for (name, tag) in [
        ("Cryptographic Algorithm", Tag::CRYPTOGRAPHIC_ALGORITHM),
        ("Cryptographic Length", Tag::CRYPTOGRAPHIC_LENGTH),
    ] {
        if let Some(v) = m.first(name) {
            items.push(Ttlv::new(tag, v.value.clone()));
        }
    }
    Ttlv::structure(Tag::KEY_BLOCK, items)
}

fn rsa_private(ctx: &Ctx<'_>, m: &Managed, format: Kft) -> Result<Ttlv> {
    use softhsm::crypto::{private_key_to_pkcs8, PrivateKeyRef, RsaComponents, RsaPrivateKey};
    let v = values(ctx, m, &RSA_PRIVATE_ATTRS)?;
    if format == Kft::TRANSPARENT_RSA_PRIVATE_KEY {
        let items = RSA_PRIVATE_TAGS
            .iter()
            .zip(&v)
            .map(|(t, b)| Ttlv::new(*t, crate::ttlv::Value::BigInteger(big(b))))
            .collect();
        return Ok(Ttlv::structure(Tag::KEY_MATERIAL, items));
    }
    let [n, e, d, p, q, dp, dq, qinv] = std::array::from_fn(|i| v[i].to_vec());
    let c = RsaComponents {
        n,
        e,
        d,
        p,
        q,
        dp,
        dq,
        qinv,
    };
    let key =
        RsaPrivateKey::from_components(&c).map_err(|_| KmipError::illegal("stored RSA key is invalid"))?;
    let p8 = private_key_to_pkcs8(&PrivateKeyRef::Rsa(&key))
        .map_err(|_| KmipError::illegal("the RSA key does not encode"))?;
    let der = match format {
        Kft::PKCS_8 => p8.to_vec(),
        _ => softhsm::der::pkcs8_private_key(&p8)
            .ok_or_else(|| KmipError::illegal("the RSA key does not encode"))?
            .to_vec(),
    };
    Ok(Ttlv::bytes(Tag::KEY_MATERIAL, der))
}

fn rsa_public(ctx: &Ctx<'_>, m: &Managed, format: Kft) -> Result<Ttlv> {
    let v = values(ctx, m, &[ck::CKA_MODULUS, ck::CKA_PUBLIC_EXPONENT])?;
    match format {
        Kft::TRANSPARENT_RSA_PUBLIC_KEY => Ok(Ttlv::structure(
            Tag::KEY_MATERIAL,
            vec![
                Ttlv::new(Tag::MODULUS, crate::ttlv::Value::BigInteger(big(&v[0]))),
                Ttlv::new(Tag::PUBLIC_EXPONENT, crate::ttlv::Value::BigInteger(big(&v[1]))),
            ],
        )),
        Kft::X_509 => Ok(Ttlv::bytes(
            Tag::KEY_MATERIAL,
            softhsm::der::spki_rsa(&v[0], &v[1]),
        )),
        _ => {
            let k = softhsm::crypto::RsaPublicKey::from_components(&v[0], &v[1])
                .map_err(|_| KmipError::illegal("stored RSA key is invalid"))?;
            Ok(Ttlv::bytes(Tag::KEY_MATERIAL, k.to_pkcs1_der()))
        }
    }
}

fn ec_public(ctx: &Ctx<'_>, m: &Managed, format: Kft) -> Result<Ttlv> {
    let v = values(ctx, m, &[ck::CKA_EC_PARAMS, ck::CKA_EC_POINT])?;
    let point = softhsm::der::octet_string_inner(&v[1]).unwrap_or(&v[1]);
    kf::ec_public_material(format, &v[0], point)
}

fn ec_private(ctx: &Ctx<'_>, m: &Managed, format: Kft) -> Result<Ttlv> {
    let v = values(ctx, m, &[ck::CKA_EC_PARAMS, ck::CKA_VALUE])?;
    kf::ec_private_material(format, &v[0], &v[1])
}

/// The material of an asymmetric key in `format` (one of its row's offered formats).
fn asymmetric(ctx: &Ctx<'_>, m: &Managed, format: Kft) -> Result<Ttlv> {
    let private = m.class == ck::CKO_PRIVATE_KEY;
    match (m.key_type, private) {
        (Some(ck::CKK_RSA), true) => rsa_private(ctx, m, format),
        (Some(ck::CKK_RSA), false) => rsa_public(ctx, m, format),
        (Some(ck::CKK_EC), true) => ec_private(ctx, m, format),
        (Some(ck::CKK_EC), false) => ec_public(ctx, m, format),
        (Some(ck::CKK_DSA), _) => {
            let v = values(
                ctx,
                m,
                &[ck::CKA_PRIME, ck::CKA_SUBPRIME, ck::CKA_BASE, ck::CKA_VALUE],
            )?;
            let v: [Zeroizing<Vec<u8>>; 4] = v.try_into().map_err(|_| KmipError::illegal("DSA key"))?;
            kf::dsa_material(format, &v)
        }
        (Some(ck::CKK_DH), _) => {
            let v = values(ctx, m, &[ck::CKA_PRIME, ck::CKA_BASE, ck::CKA_VALUE])?;
            let v: [Zeroizing<Vec<u8>>; 3] = v.try_into().map_err(|_| KmipError::illegal("DH key"))?;
            kf::dh_material(format, &v)
        }
        _ => Err(kf::unsupported_format()),
    }
}

/// The object value of `m` in `format` (None: the type's default format).
pub fn object_value(ctx: &Ctx<'_>, m: &Managed, format: Option<Kft>) -> Result<Ttlv> {
    let unsupported = || {
        KmipError::new(
            ResultReason::KEY_FORMAT_TYPE_NOT_SUPPORTED,
            "this Key Format Type is not supported for this object",
        )
    };
    Ok(match m.object_type {
        ObjectType::SYMMETRIC_KEY => {
            let f = format.unwrap_or(Kft::RAW);
            let v = values(ctx, m, &[ck::CKA_VALUE])?;
            let material = match f {
                Kft::RAW => Ttlv::bytes(Tag::KEY_MATERIAL, v[0].to_vec()),
                Kft::TRANSPARENT_SYMMETRIC_KEY => {
                    Ttlv::structure(Tag::KEY_MATERIAL, vec![Ttlv::bytes(Tag::KEY, v[0].to_vec())])
                }
                _ => return Err(unsupported()),
            };
            Ttlv::structure(Tag::SYMMETRIC_KEY, vec![key_block(f, material, m)])
        }
        ObjectType::SECRET_DATA => {
            let v = values(ctx, m, &[ck::CKA_VALUE])?;
            let kind = m
                .first("y-softhsm-secret-data-type")
                .and_then(Ttlv::as_enum)
                .unwrap_or(2); // Seed
            let material = Ttlv::bytes(Tag::KEY_MATERIAL, v[0].to_vec());
            let f = format.unwrap_or(Kft::OPAQUE);
            if f != Kft::OPAQUE && f != Kft::RAW {
                return Err(unsupported());
            }
            Ttlv::structure(
                Tag::SECRET_DATA,
                vec![
                    Ttlv::enumeration(Tag::SECRET_DATA_TYPE, kind),
                    key_block(f, material, m),
                ],
            )
        }
        ObjectType::OPAQUE_OBJECT => {
            let v = values(ctx, m, &[ck::CKA_VALUE])?;
            Ttlv::structure(
                Tag::OPAQUE_OBJECT,
                vec![
                    Ttlv::enumeration(
                        Tag::OPAQUE_DATA_TYPE,
                        m.first("y-softhsm-opaque-data-type")
                            .and_then(Ttlv::as_enum)
                            .unwrap_or(0x8000_0000),
                    ),
                    Ttlv::bytes(Tag::OPAQUE_DATA_VALUE, v[0].to_vec()),
                ],
            )
        }
        ObjectType::CERTIFICATE => {
            let v = values(ctx, m, &[ck::CKA_VALUE])?;
            Ttlv::structure(
                Tag::CERTIFICATE,
                vec![
                    Ttlv::enumeration(Tag::CERTIFICATE_TYPE, 1), // X.509
                    Ttlv::bytes(Tag::CERTIFICATE_VALUE, v[0].to_vec()),
                ],
            )
        }
        ObjectType::PRIVATE_KEY | ObjectType::PUBLIC_KEY => {
            let row = m
                .key_type
                .and_then(|kt| kf::get_formats(m.class, kt))
                .ok_or_else(unsupported)?;
            let f = format.unwrap_or(row.default);
            if !row.offered.contains(&f) {
                return Err(unsupported());
            }
            let tag = if m.class == ck::CKO_PRIVATE_KEY {
                Tag::PRIVATE_KEY
            } else {
                Tag::PUBLIC_KEY
            };
            Ttlv::structure(tag, vec![key_block(f, asymmetric(ctx, m, f)?, m)])
        }
        _ => return Err(unsupported()),
    })
}

pub fn get(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    if matches!(m.state(), State::DESTROYED | State::DESTROYED_COMPROMISED) {
        return Err(KmipError::new(
            ResultReason::OBJECT_DESTROYED,
            "the object has been destroyed",
        ));
    }
    if let Some(c) = payload.find(Tag::KEY_COMPRESSION_TYPE) {
        if c.as_enum() != Some(1) {
            return Err(KmipError::new(
                ResultReason::KEY_COMPRESSION_TYPE_NOT_SUPPORTED,
                "only uncompressed EC points are supported",
            ));
        }
    }
    // Without a requested format, the one the object was registered or made in; wrapped
    // when a Key Wrapping Specification or Key Wrap Type asks for it.
    let value = super::key_wrapping::requested_value(ctx, &m, payload)?;
    // Fresh (KMIP 1.4 §3.34, 2.1 §4.18): the object has not yet been served to a client.
    if m.first("Fresh").and_then(Ttlv::as_bool) == Some(true) {
        let mut a = m.stored_attrs();
        a.retain(|x| x.name != "Fresh");
        a.push(crate::attributes::Attribute::new(
            crate::attributes::by_name("Fresh").expect("in table"),
            crate::ttlv::Value::Boolean(false),
        ));
        ctx.save(&m, a)?;
    }
    ctx.placeholder = Some(uid.clone());
    Ok(vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, m.object_type.0),
        ctx.uid_item(&uid),
        value,
    ])
}
