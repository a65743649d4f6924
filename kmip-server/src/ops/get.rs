//! Get (KMIP 1.4 §4.11, 2.1 §6.1.22): an object's value in the Key Format Type asked for,
//! wrapped under another key when asked (`key_wrapping`). Sensitive and non-extractable keys
//! are refused in the clear with the reasons KMIP names for them, the same rule
//! `C_GetAttributeValue` applies on the other door; a sensitive but extractable key can be got
//! wrapped, as `C_WrapKey` allows.

use super::Ctx;
use crate::error::{KmipError, Result};
use crate::objects::{Managed, RSA_PRIVATE_TAGS};
use crate::ttlv::enums::{KeyFormatType as Kft, ObjectType, ResultReason, State};
use crate::ttlv::{Tag, Ttlv};
use cryptoki_sys as ck;
use softhsm::attr::AttrType;
use softhsm::hsm::AttrValue;
use softhsm::mechanism::ops::RSA_PRIVATE_ATTRS;
use zeroize::Zeroizing;

/// Reads PKCS#11 values of `m`, mapping a refusal to KMIP's Sensitive / Not Extractable.
fn values(ctx: &Ctx<'_>, m: &Managed, types: &[AttrType]) -> Result<Vec<Zeroizing<Vec<u8>>>> {
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

/// A big-endian unsigned integer as a positive two's-complement Big Integer.
fn big(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    if v.first().is_some_and(|x| x & 0x80 != 0) {
        v.insert(0, 0);
    }
    crate::ttlv::binary::big_integer_wire_bytes(&v)
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
    let point = softhsm::der::octet_string_inner(&v[1]).unwrap_or(&v[1]).to_vec();
    match format {
        Kft::TRANSPARENT_EC_PUBLIC_KEY => Ok(Ttlv::structure(
            Tag::KEY_MATERIAL,
            vec![Ttlv::bytes(Tag::Q_STRING, point)],
        )),
        _ => Ok(Ttlv::bytes(
            Tag::KEY_MATERIAL,
            softhsm::der::spki_ec(&v[0], &point),
        )),
    }
}

fn ec_private(ctx: &Ctx<'_>, m: &Managed) -> Result<Ttlv> {
    use softhsm::crypto::{private_key_to_pkcs8, Curve, EcPrivateKey, PrivateKeyRef};
    let v = values(ctx, m, &[ck::CKA_EC_PARAMS, ck::CKA_VALUE])?;
    let curve = Curve::from_oid_der(&v[0]).ok_or_else(|| KmipError::unsupported("this curve"))?;
    let key = EcPrivateKey::from_scalar(curve, &v[1])
        .map_err(|_| KmipError::illegal("stored EC key is invalid"))?;
    let p8 = private_key_to_pkcs8(&PrivateKeyRef::Ec(&key))
        .map_err(|_| KmipError::illegal("the EC key does not encode"))?;
    Ok(Ttlv::bytes(Tag::KEY_MATERIAL, p8.to_vec()))
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
        ObjectType::PRIVATE_KEY => {
            let (f, material) = match m.key_type {
                Some(ck::CKK_RSA) => {
                    let f = format.unwrap_or(Kft::PKCS_1);
                    if ![Kft::PKCS_1, Kft::PKCS_8, Kft::TRANSPARENT_RSA_PRIVATE_KEY].contains(&f) {
                        return Err(unsupported());
                    }
                    (f, rsa_private(ctx, m, f)?)
                }
                Some(ck::CKK_EC) => {
                    let f = format.unwrap_or(Kft::PKCS_8);
                    if f != Kft::PKCS_8 {
                        return Err(unsupported());
                    }
                    (f, ec_private(ctx, m)?)
                }
                _ => return Err(unsupported()),
            };
            Ttlv::structure(Tag::PRIVATE_KEY, vec![key_block(f, material, m)])
        }
        ObjectType::PUBLIC_KEY => {
            let (f, material) = match m.key_type {
                Some(ck::CKK_RSA) => {
                    let f = format.unwrap_or(Kft::PKCS_1);
                    if ![Kft::PKCS_1, Kft::X_509, Kft::TRANSPARENT_RSA_PUBLIC_KEY].contains(&f) {
                        return Err(unsupported());
                    }
                    (f, rsa_public(ctx, m, f)?)
                }
                Some(ck::CKK_EC) => {
                    let f = format.unwrap_or(Kft::X_509);
                    if ![Kft::X_509, Kft::TRANSPARENT_EC_PUBLIC_KEY].contains(&f) {
                        return Err(unsupported());
                    }
                    (f, ec_public(ctx, m, f)?)
                }
                _ => return Err(unsupported()),
            };
            Ttlv::structure(Tag::PUBLIC_KEY, vec![key_block(f, material, m)])
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
    ctx.placeholder = Some(uid.clone());
    Ok(vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, m.object_type.0),
        ctx.uid_item(&uid),
        value,
    ])
}
