//! Key Format Types of asymmetric keys (KMIP 1.4 §2.1.3 and §2.1.7, 2.1 §2.1.3 and §2.1.10):
//! EC, DSA and DH key material in KMIP's transparent structures and DER forms, to and from the
//! PKCS#11 attributes the core keeps. RSA lives beside Register and Get, where it began.
//!
//! Register checks the material here before the core sees it (a point must lie on its curve, a
//! scalar must be below the order, `y` must be `g^x`-shaped), so a bad key gets a KMIP reason
//! that says what is wrong; the core checks it again when the object is made.

use crate::error::{KmipError, Result};
use crate::ttlv::enums::{KeyFormatType as Kft, RecommendedCurve as Rc, ResultReason};
use crate::ttlv::{Tag, Ttlv, Value};
use cryptoki_sys as ck;
use softhsm::attr::{enc_ulong, AttrType};
use softhsm::crypto::{Curve, EcPrivateKey, EcPublicKey};
use zeroize::Zeroizing;

/// PKCS#11 attributes of a key being registered.
pub type Raw = Vec<(AttrType, Vec<u8>)>;

/// KMIP Recommended Curve ↔ the core's curves.
pub const CURVES: &[(Rc, Curve)] = &[
    (Rc::P_256, Curve::P256),
    (Rc::P_384, Curve::P384),
    (Rc::P_521, Curve::P521),
    (Rc::SECP256_K1, Curve::Secp256k1),
];

pub fn curve_of(rc: Rc) -> Option<Curve> {
    CURVES.iter().find(|(r, _)| *r == rc).map(|(_, c)| *c)
}

pub fn recommended_curve(c: Curve) -> Option<Rc> {
    CURVES.iter().find(|(_, x)| *x == c).map(|(r, _)| *r)
}

/// The transparent EC structures: one shape (Recommended Curve with D or Q String) under the
/// 1.0 names (ECDSA, ECDH, ECMQV) and the 1.3 one (EC).
pub const TRANSPARENT_EC_PRIVATE: &[Kft] = &[
    Kft::TRANSPARENT_EC_PRIVATE_KEY,
    Kft::TRANSPARENT_ECDSA_PRIVATE_KEY,
    Kft::TRANSPARENT_ECDH_PRIVATE_KEY,
    Kft::TRANSPARENT_ECMQV_PRIVATE_KEY,
];
pub const TRANSPARENT_EC_PUBLIC: &[Kft] = &[
    Kft::TRANSPARENT_EC_PUBLIC_KEY,
    Kft::TRANSPARENT_ECDSA_PUBLIC_KEY,
    Kft::TRANSPARENT_ECDH_PUBLIC_KEY,
    Kft::TRANSPARENT_ECMQV_PUBLIC_KEY,
];

/// One row of the formats Get answers in: PKCS#11 class and key type, the format used when
/// the request names none and the object has no registered one, and every format offered.
pub struct Formats {
    pub class: u64,
    pub key_type: u64,
    pub default: Kft,
    pub offered: &'static [Kft],
}

/// The Key Format Types Get offers per kind of key (symmetric keys, secret data and the
/// other objects have their own few in Get).
pub const GET_FORMATS: &[Formats] = &[
    Formats {
        class: ck::CKO_PRIVATE_KEY,
        key_type: ck::CKK_RSA,
        default: Kft::PKCS_1,
        offered: &[Kft::PKCS_1, Kft::PKCS_8, Kft::TRANSPARENT_RSA_PRIVATE_KEY],
    },
    Formats {
        class: ck::CKO_PUBLIC_KEY,
        key_type: ck::CKK_RSA,
        default: Kft::PKCS_1,
        offered: &[Kft::PKCS_1, Kft::X_509, Kft::TRANSPARENT_RSA_PUBLIC_KEY],
    },
    Formats {
        class: ck::CKO_PRIVATE_KEY,
        key_type: ck::CKK_EC,
        default: Kft::PKCS_8,
        offered: &[
            Kft::PKCS_8,
            Kft::EC_PRIVATE_KEY,
            Kft::TRANSPARENT_EC_PRIVATE_KEY,
            Kft::TRANSPARENT_ECDSA_PRIVATE_KEY,
            Kft::TRANSPARENT_ECDH_PRIVATE_KEY,
            Kft::TRANSPARENT_ECMQV_PRIVATE_KEY,
        ],
    },
    Formats {
        class: ck::CKO_PUBLIC_KEY,
        key_type: ck::CKK_EC,
        default: Kft::X_509,
        offered: &[
            Kft::X_509,
            Kft::RAW,
            Kft::TRANSPARENT_EC_PUBLIC_KEY,
            Kft::TRANSPARENT_ECDSA_PUBLIC_KEY,
            Kft::TRANSPARENT_ECDH_PUBLIC_KEY,
            Kft::TRANSPARENT_ECMQV_PUBLIC_KEY,
        ],
    },
    Formats {
        class: ck::CKO_PRIVATE_KEY,
        key_type: ck::CKK_DSA,
        default: Kft::PKCS_8,
        offered: &[Kft::PKCS_8, Kft::TRANSPARENT_DSA_PRIVATE_KEY],
    },
    Formats {
        class: ck::CKO_PUBLIC_KEY,
        key_type: ck::CKK_DSA,
        default: Kft::X_509,
        offered: &[Kft::X_509, Kft::TRANSPARENT_DSA_PUBLIC_KEY],
    },
    Formats {
        class: ck::CKO_PRIVATE_KEY,
        key_type: ck::CKK_DH,
        default: Kft::TRANSPARENT_DH_PRIVATE_KEY,
        offered: &[Kft::TRANSPARENT_DH_PRIVATE_KEY],
    },
    Formats {
        class: ck::CKO_PUBLIC_KEY,
        key_type: ck::CKK_DH,
        default: Kft::TRANSPARENT_DH_PUBLIC_KEY,
        offered: &[Kft::TRANSPARENT_DH_PUBLIC_KEY],
    },
];

pub fn get_formats(class: u64, key_type: u64) -> Option<&'static Formats> {
    GET_FORMATS
        .iter()
        .find(|f| f.class == class && f.key_type == key_type)
}

pub fn unsupported_format() -> KmipError {
    KmipError::new(
        ResultReason::KEY_FORMAT_TYPE_NOT_SUPPORTED,
        "this Key Format Type cannot be registered for this object type",
    )
}

/// Strips the leading zero bytes of a two's-complement positive integer.
pub fn unsigned(b: &[u8]) -> Vec<u8> {
    let i = b
        .iter()
        .position(|x| *x != 0)
        .unwrap_or(b.len().saturating_sub(1));
    b[i..].to_vec()
}

/// A big-endian unsigned integer as a positive two's-complement Big Integer.
pub fn big(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    if v.first().is_some_and(|x| x & 0x80 != 0) {
        v.insert(0, 0);
    }
    crate::ttlv::binary::big_integer_wire_bytes(&v)
}

fn big_item(tag: Tag, b: &[u8]) -> Ttlv {
    Ttlv::new(tag, Value::BigInteger(big(b)))
}

/// A Big Integer field of a transparent structure, as an unsigned magnitude. A negative value
/// is refused: every integer of a key is positive.
fn field(material: &Ttlv, tag: Tag, name: &str) -> Result<Zeroizing<Vec<u8>>> {
    match material.find(tag).map(|t| &t.value) {
        Some(Value::BigInteger(v)) if v.first().is_some_and(|b| b & 0x80 != 0) => {
            Err(KmipError::invalid(&format!("{name} (negative)")))
        }
        Some(Value::BigInteger(v)) | Some(Value::ByteString(v)) => Ok(Zeroizing::new(unsigned(v))),
        _ => Err(KmipError::missing(name)),
    }
}

fn invalid_key(what: &str) -> KmipError {
    KmipError::invalid(&format!("Key Material ({what})"))
}

fn curve_from_oid(oid: &[u8]) -> Result<Curve> {
    Curve::from_oid_der(oid).ok_or_else(|| KmipError::unsupported("this elliptic curve"))
}

fn curve_field(material: &Ttlv) -> Result<Curve> {
    let rc = material
        .find(Tag::RECOMMENDED_CURVE)
        .and_then(Ttlv::as_enum)
        .ok_or_else(|| KmipError::missing("Recommended Curve"))?;
    curve_of(Rc(rc)).ok_or_else(|| KmipError::unsupported("this elliptic curve"))
}

// ------------------------------------------------------------------ Register

/// An EC private key's attributes, the scalar checked against the curve and, when the
/// material carries the public point, the point against the scalar.
pub fn ec_private_attrs(curve: Curve, d: &[u8], point: Option<&[u8]>) -> Result<Raw> {
    let key = EcPrivateKey::from_scalar(curve, d)
        .map_err(|_| invalid_key("the private scalar is not valid on its curve"))?;
    if let Some(p) = point {
        let given = EcPublicKey::from_point(curve, p)
            .map_err(|_| invalid_key("the public point is not on the curve"))?;
        if given.point() != key.public_point() {
            return Err(invalid_key("the public point does not belong to the private key"));
        }
    }
    Ok(vec![
        (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_EC)),
        (ck::CKA_EC_PARAMS, curve.oid_der().to_vec()),
        (ck::CKA_VALUE, key.scalar().to_vec()),
    ])
}

/// An EC public key's attributes; the point must lie on the curve.
pub fn ec_public_attrs(curve: Curve, point: &[u8]) -> Result<Raw> {
    let key =
        EcPublicKey::from_point(curve, point).map_err(|_| invalid_key("the point is not on the curve"))?;
    Ok(vec![
        (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_EC)),
        (ck::CKA_EC_PARAMS, curve.oid_der().to_vec()),
        (ck::CKA_EC_POINT, softhsm::der::octet_string(&key.point())),
    ])
}

/// EC private key material: RFC 5915 ECPrivateKey or a transparent EC structure. `domain` is
/// the curve the request's Cryptographic Domain Parameters name, for an ECPrivateKey without
/// parameters.
pub fn ec_private(format: Kft, material: &Ttlv, domain: Option<Curve>) -> Result<Raw> {
    if format == Kft::EC_PRIVATE_KEY {
        let der = material.as_bytes().ok_or_else(|| invalid_key("not DER"))?;
        let parts = softhsm::der::ec_private_key_parts(der)
            .ok_or_else(|| invalid_key("not an RFC 5915 ECPrivateKey"))?;
        let curve = match (parts.curve_oid, domain) {
            (Some(oid), _) => curve_from_oid(oid)?,
            (None, Some(c)) => c,
            (None, None) => return Err(KmipError::missing("the curve (ECPrivateKey parameters)")),
        };
        return ec_private_attrs(curve, parts.d, parts.point);
    }
    if TRANSPARENT_EC_PRIVATE.contains(&format) {
        let d = field(material, Tag::D, "D")?;
        return ec_private_attrs(curve_field(material)?, &d, None);
    }
    Err(unsupported_format())
}

/// EC public key material in a transparent EC structure or Raw (the point, with the curve
/// from the request's Cryptographic Domain Parameters).
pub fn ec_public(format: Kft, material: &Ttlv, domain: Option<Curve>) -> Result<Raw> {
    if TRANSPARENT_EC_PUBLIC.contains(&format) {
        let q = material
            .find(Tag::Q_STRING)
            .and_then(Ttlv::as_bytes)
            .ok_or_else(|| KmipError::missing("Q String"))?;
        return ec_public_attrs(curve_field(material)?, q);
    }
    if format == Kft::RAW {
        let q = material
            .as_bytes()
            .ok_or_else(|| invalid_key("not an EC point"))?;
        let curve = domain
            .ok_or_else(|| KmipError::missing("Recommended Curve (Cryptographic Domain Parameters)"))?;
        return ec_public_attrs(curve, q);
    }
    Err(unsupported_format())
}

fn dsa_params(p: &[u8], q: &[u8], g: &[u8]) -> softhsm::crypto::DsaParams {
    softhsm::crypto::DsaParams {
        p: p.to_vec(),
        q: q.to_vec(),
        g: g.to_vec(),
    }
}

/// DSA private key attributes; `y = g^x mod p` is computed to check the domain and `x`.
pub fn dsa_private_attrs(pqg: [Vec<u8>; 3], x: &[u8]) -> Result<Raw> {
    let [p, q, g] = pqg;
    softhsm::crypto::dsa_public_from_private(&dsa_params(&p, &q, &g), x)
        .map_err(|_| invalid_key("not a valid DSA key"))?;
    Ok(vec![
        (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_DSA)),
        (ck::CKA_PRIME, p),
        (ck::CKA_SUBPRIME, q),
        (ck::CKA_BASE, g),
        (ck::CKA_VALUE, x.to_vec()),
    ])
}

/// DSA public key attributes; the domain must pass the core's checks and `1 < y < p`.
pub fn dsa_public_attrs(pqg: [Vec<u8>; 3], y: Vec<u8>) -> Result<Raw> {
    let [p, q, g] = pqg;
    // The core's domain check (p, q sizes, q | p - 1, 1 < g < p - 1), through a cheap public
    // key computation with x = 1.
    softhsm::crypto::dsa_public_from_private(&dsa_params(&p, &q, &g), &[1])
        .map_err(|_| invalid_key("not valid DSA domain parameters"))?;
    if y.len() > p.len() || (y.len() == p.len() && y >= p) || y.iter().all(|b| *b == 0) || y == [1] {
        return Err(invalid_key("Y is outside 1 < y < p"));
    }
    Ok(vec![
        (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_DSA)),
        (ck::CKA_PRIME, p),
        (ck::CKA_SUBPRIME, q),
        (ck::CKA_BASE, g),
        (ck::CKA_VALUE, y),
    ])
}

fn pqg(material: &Ttlv) -> Result<[Vec<u8>; 3]> {
    Ok([
        field(material, Tag::P, "P")?.to_vec(),
        field(material, Tag::Q, "Q")?.to_vec(),
        field(material, Tag::G, "G")?.to_vec(),
    ])
}

/// DSA private key material: Transparent DSA Private Key (P, Q, G, X) or PKCS#8.
pub fn dsa_private(format: Kft, material: &Ttlv) -> Result<Raw> {
    match format {
        Kft::TRANSPARENT_DSA_PRIVATE_KEY => {
            let x = field(material, Tag::X, "X")?;
            dsa_private_attrs(pqg(material)?, &x)
        }
        Kft::PKCS_8 => {
            let der = material.as_bytes().ok_or_else(|| invalid_key("not DER"))?;
            let (params, x) =
                softhsm::der::dsa_pkcs8_parts(der).ok_or_else(|| invalid_key("not a DSA PKCS#8 key"))?;
            dsa_private_attrs(params, &x)
        }
        _ => Err(unsupported_format()),
    }
}

/// DSA public key material: Transparent DSA Public Key (P, Q, G, Y) or X.509.
pub fn dsa_public(format: Kft, material: &Ttlv) -> Result<Raw> {
    match format {
        Kft::TRANSPARENT_DSA_PUBLIC_KEY => {
            let y = field(material, Tag::Y, "Y")?.to_vec();
            dsa_public_attrs(pqg(material)?, y)
        }
        Kft::X_509 => {
            let der = material.as_bytes().ok_or_else(|| invalid_key("not DER"))?;
            let (params, y) = softhsm::der::dsa_spki_parts(der)
                .ok_or_else(|| invalid_key("not a DSA SubjectPublicKeyInfo"))?;
            dsa_public_attrs(params, y)
        }
        _ => Err(unsupported_format()),
    }
}

/// DH private key material (Transparent DH Private Key: P, G, X; the optional Q and J of an
/// X9.42 domain are not kept, as the core's PKCS #3 key type holds `p` and `g` only).
pub fn dh_private(format: Kft, material: &Ttlv) -> Result<Raw> {
    if format != Kft::TRANSPARENT_DH_PRIVATE_KEY {
        return Err(unsupported_format());
    }
    let p = field(material, Tag::P, "P")?.to_vec();
    let g = field(material, Tag::G, "G")?.to_vec();
    let x = field(material, Tag::X, "X")?;
    let params = softhsm::crypto::DhParams { p, g };
    softhsm::crypto::dh_public_from_private(&params, &x).map_err(|_| invalid_key("not a valid DH key"))?;
    Ok(vec![
        (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_DH)),
        (ck::CKA_PRIME, params.p),
        (ck::CKA_BASE, params.g),
        (ck::CKA_VALUE, x.to_vec()),
    ])
}

/// DH public key material (Transparent DH Public Key: P, G, Y).
pub fn dh_public(format: Kft, material: &Ttlv) -> Result<Raw> {
    if format != Kft::TRANSPARENT_DH_PUBLIC_KEY {
        return Err(unsupported_format());
    }
    let p = field(material, Tag::P, "P")?.to_vec();
    let g = field(material, Tag::G, "G")?.to_vec();
    let y = field(material, Tag::Y, "Y")?.to_vec();
    let params = softhsm::crypto::DhParams { p, g };
    // The core's domain checks (size of p, 1 < g < p - 1), through x = 1.
    softhsm::crypto::dh_public_from_private(&params, &[1])
        .map_err(|_| invalid_key("not valid DH domain parameters"))?;
    let p = &params.p;
    if y.len() > p.len() || (y.len() == p.len() && y >= *p) || y.iter().all(|b| *b == 0) || y == [1] {
        return Err(invalid_key("Y is outside 1 < y < p"));
    }
    Ok(vec![
        (ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_DH)),
        (ck::CKA_PRIME, params.p),
        (ck::CKA_BASE, params.g),
        (ck::CKA_VALUE, y),
    ])
}

// ----------------------------------------------------------------------- Get

fn encode_failure() -> KmipError {
    KmipError::illegal("the stored key does not encode")
}

/// An EC private key (`CKA_EC_PARAMS`, `CKA_VALUE`) as Key Material in `format`.
pub fn ec_private_material(format: Kft, params: &[u8], d: &[u8]) -> Result<Ttlv> {
    use softhsm::crypto::{private_key_to_pkcs8, PrivateKeyRef};
    let curve = curve_from_oid(params)?;
    let key =
        EcPrivateKey::from_scalar(curve, d).map_err(|_| KmipError::illegal("stored EC key is invalid"))?;
    if format == Kft::PKCS_8 {
        let p8 = private_key_to_pkcs8(&PrivateKeyRef::Ec(&key)).map_err(|_| encode_failure())?;
        return Ok(Ttlv::bytes(Tag::KEY_MATERIAL, p8.to_vec()));
    }
    if format == Kft::EC_PRIVATE_KEY {
        let der = softhsm::der::ec_private_key(params, &key.scalar(), &key.public_point());
        return Ok(Ttlv::bytes(Tag::KEY_MATERIAL, der.to_vec()));
    }
    if TRANSPARENT_EC_PRIVATE.contains(&format) {
        let rc = recommended_curve(curve).ok_or_else(encode_failure)?;
        return Ok(Ttlv::structure(
            Tag::KEY_MATERIAL,
            vec![
                Ttlv::enumeration(Tag::RECOMMENDED_CURVE, rc.0),
                big_item(Tag::D, &key.scalar()),
            ],
        ));
    }
    Err(unsupported_format())
}

/// An EC public key (`CKA_EC_PARAMS`, the uncompressed point) as Key Material in `format`.
pub fn ec_public_material(format: Kft, params: &[u8], point: &[u8]) -> Result<Ttlv> {
    if format == Kft::X_509 {
        return Ok(Ttlv::bytes(
            Tag::KEY_MATERIAL,
            softhsm::der::spki_ec(params, point),
        ));
    }
    if format == Kft::RAW {
        return Ok(Ttlv::bytes(Tag::KEY_MATERIAL, point.to_vec()));
    }
    if TRANSPARENT_EC_PUBLIC.contains(&format) {
        let rc = recommended_curve(curve_from_oid(params)?).ok_or_else(encode_failure)?;
        return Ok(Ttlv::structure(
            Tag::KEY_MATERIAL,
            vec![
                Ttlv::enumeration(Tag::RECOMMENDED_CURVE, rc.0),
                Ttlv::bytes(Tag::Q_STRING, point.to_vec()),
            ],
        ));
    }
    Err(unsupported_format())
}

/// A DSA key (`p, q, g` and `x` or `y`) as Key Material in `format`.
pub fn dsa_material(format: Kft, v: &[Zeroizing<Vec<u8>>; 4]) -> Result<Ttlv> {
    let [p, q, g, k] = v;
    Ok(match format {
        Kft::TRANSPARENT_DSA_PRIVATE_KEY | Kft::TRANSPARENT_DSA_PUBLIC_KEY => {
            let last = if format == Kft::TRANSPARENT_DSA_PRIVATE_KEY {
                Tag::X
            } else {
                Tag::Y
            };
            Ttlv::structure(
                Tag::KEY_MATERIAL,
                vec![
                    big_item(Tag::P, p),
                    big_item(Tag::Q, q),
                    big_item(Tag::G, g),
                    big_item(last, k),
                ],
            )
        }
        Kft::PKCS_8 => Ttlv::bytes(Tag::KEY_MATERIAL, softhsm::der::pkcs8_dsa(p, q, g, k).to_vec()),
        Kft::X_509 => Ttlv::bytes(Tag::KEY_MATERIAL, softhsm::der::spki_dsa(p, q, g, k)),
        _ => return Err(unsupported_format()),
    })
}

/// A DH key (`p, g` and `x` or `y`) as Key Material in `format`.
pub fn dh_material(format: Kft, v: &[Zeroizing<Vec<u8>>; 3]) -> Result<Ttlv> {
    let [p, g, k] = v;
    let last = match format {
        Kft::TRANSPARENT_DH_PRIVATE_KEY => Tag::X,
        Kft::TRANSPARENT_DH_PUBLIC_KEY => Tag::Y,
        _ => return Err(unsupported_format()),
    };
    Ok(Ttlv::structure(
        Tag::KEY_MATERIAL,
        vec![big_item(Tag::P, p), big_item(Tag::G, g), big_item(last, k)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_curve_row_round_trips_and_formats_are_unique() {
        for (rc, c) in CURVES {
            assert_eq!(curve_of(*rc), Some(*c));
            assert_eq!(recommended_curve(*c), Some(*rc));
        }
        for (i, a) in GET_FORMATS.iter().enumerate() {
            assert!(a.offered.contains(&a.default));
            for b in &GET_FORMATS[i + 1..] {
                assert!((a.class, a.key_type) != (b.class, b.key_type));
            }
        }
    }

    #[test]
    fn ec_material_round_trips_through_every_private_format() {
        let key = EcPrivateKey::generate(Curve::P384).unwrap();
        let oid = Curve::P384.oid_der();
        let want = ec_private_attrs(Curve::P384, &key.scalar(), None).unwrap();
        for f in [
            Kft::EC_PRIVATE_KEY,
            Kft::TRANSPARENT_EC_PRIVATE_KEY,
            Kft::TRANSPARENT_ECDH_PRIVATE_KEY,
        ] {
            let m = ec_private_material(f, oid, &key.scalar()).unwrap();
            assert_eq!(ec_private(f, &m, None).unwrap(), want, "{f:?}");
        }
        let p8 = ec_private_material(Kft::PKCS_8, oid, &key.scalar()).unwrap();
        match softhsm::crypto::private_key_from_pkcs8(p8.as_bytes().unwrap()).unwrap() {
            softhsm::crypto::ParsedPrivateKey::Ec(k) => assert_eq!(k.scalar(), key.scalar()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_ec_material_is_refused() {
        let key = EcPrivateKey::generate(Curve::P256).unwrap();
        let other = EcPrivateKey::generate(Curve::P256).unwrap();
        let oid = Curve::P256.oid_der();
        // A point of another key, and a point off the curve.
        let mismatched = softhsm::der::ec_private_key(oid, &key.scalar(), &other.public_point());
        let m = Ttlv::bytes(Tag::KEY_MATERIAL, mismatched.to_vec());
        assert!(ec_private(Kft::EC_PRIVATE_KEY, &m, None).is_err());
        let mut off = key.public_point();
        off[10] ^= 1;
        let m = ec_public_material(Kft::TRANSPARENT_EC_PUBLIC_KEY, oid, &off).unwrap();
        let e = ec_public(Kft::TRANSPARENT_EC_PUBLIC_KEY, &m, None).unwrap_err();
        assert_eq!(e.reason, ResultReason::INVALID_FIELD);
        // A zero scalar.
        let zero = Ttlv::structure(
            Tag::KEY_MATERIAL,
            vec![
                Ttlv::enumeration(Tag::RECOMMENDED_CURVE, Rc::P_256.0),
                big_item(Tag::D, &[0]),
            ],
        );
        assert!(ec_private(Kft::TRANSPARENT_EC_PRIVATE_KEY, &zero, None).is_err());
        // The right point, but an unsupported format for the object.
        let m = ec_public_material(Kft::X_509, oid, &key.public_point()).unwrap();
        let e = ec_public(Kft::PKCS_1, &m, None).unwrap_err();
        assert_eq!(e.reason, ResultReason::KEY_FORMAT_TYPE_NOT_SUPPORTED);
    }
}
