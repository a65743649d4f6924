//! Register (KMIP 1.4 §4.3, 2.1 §6.1.40): a client-supplied object becomes a token object.

use super::create::{base_template, check_client_attrs, request_attrs};
use super::key_wrapping::{unwrap_block, Wrapping, AS_REGISTERED};
use super::Ctx;
use crate::attributes::{self, Attribute};
use crate::error::{KmipError, Result};
use crate::key_formats::{self as kf, unsigned, unsupported_format, Raw};
use crate::objects::{self, class_of, Managed, RSA_PRIVATE_TAGS};
use crate::ttlv::enums::{CryptographicAlgorithm as Alg, KeyFormatType as Kft, ObjectType};
use crate::ttlv::{Tag, Ttlv, Value};
use cryptoki_sys as ck;
use softhsm::attr::enc_ulong;
use softhsm::crypto::Curve;
use softhsm::hsm::ChosenId;
use softhsm::mechanism::ops::RSA_PRIVATE_ATTRS;
use zeroize::Zeroizing;

/// The Key Block of a key object, with its format, material and algorithm. A wrapped block
/// (with Key Wrapping Data) has no material in the clear: `key_wrapping` unwraps it.
struct KeyBlock<'a> {
    block: &'a Ttlv,
    format: Kft,
    material: &'a Ttlv,
    wrapped: bool,
    alg: Option<Alg>,
    bits: Option<i32>,
}

fn key_block(object: &Ttlv) -> Result<KeyBlock<'_>> {
    let kb = object
        .find(Tag::KEY_BLOCK)
        .ok_or_else(|| KmipError::missing("Key Block"))?;
    let format = kb
        .find(Tag::KEY_FORMAT_TYPE)
        .and_then(Ttlv::as_enum)
        .map(Kft)
        .ok_or_else(|| KmipError::missing("Key Format Type"))?;
    let wrapped = kb.find(Tag::KEY_WRAPPING_DATA).is_some();
    let material = match kb.find(Tag::KEY_VALUE) {
        Some(kv) if wrapped => kv,
        Some(kv) => kv
            .find(Tag::KEY_MATERIAL)
            .ok_or_else(|| KmipError::missing("Key Material"))?,
        None => return Err(KmipError::missing("Key Value")),
    };
    Ok(KeyBlock {
        block: kb,
        format,
        material,
        wrapped,
        alg: kb
            .find(Tag::CRYPTOGRAPHIC_ALGORITHM)
            .and_then(Ttlv::as_enum)
            .map(Alg),
        bits: kb.find(Tag::CRYPTOGRAPHIC_LENGTH).and_then(Ttlv::as_int),
    })
}

fn symmetric(kb: &KeyBlock<'_>, raw: &mut Raw) -> Result<()> {
    let value = match kb.format {
        Kft::RAW => kb.material.as_bytes(),
        Kft::TRANSPARENT_SYMMETRIC_KEY => kb.material.find(Tag::KEY).and_then(Ttlv::as_bytes),
        _ => return Err(unsupported_format()),
    }
    .ok_or_else(|| KmipError::invalid("Key Material"))?;
    let alg = kb
        .alg
        .ok_or_else(|| KmipError::missing("Cryptographic Algorithm"))?;
    let kt = match objects::key_type_of(alg) {
        Some(kt) if softhsm::attr::SECRET_KEY_TYPES.contains(&kt) => kt,
        _ => return Err(KmipError::invalid("Cryptographic Algorithm for a symmetric key")),
    };
    if let Some(bits) = kb.bits {
        if bits as usize != value.len() * 8 {
            return Err(KmipError::invalid(
                "Cryptographic Length (does not match the key)",
            ));
        }
    }
    raw.push((ck::CKA_KEY_TYPE, enc_ulong(kt)));
    raw.push((ck::CKA_VALUE, value.to_vec()));
    Ok(())
}

/// The components of a PKCS#1 RSAPrivateKey (checked by the core's RSA import).
fn rsa_private_components(pkcs1: &[u8]) -> Result<softhsm::crypto::RsaComponents> {
    use softhsm::crypto::{private_key_from_pkcs8, ParsedPrivateKey};
    let p8: Zeroizing<Vec<u8>> = Zeroizing::new(softhsm::der::pkcs8_from_rsa_pkcs1(pkcs1));
    match private_key_from_pkcs8(&p8) {
        Ok(ParsedPrivateKey::Rsa(k)) => Ok(k.components()),
        _ => Err(KmipError::invalid("Key Material (not an RSA private key)")),
    }
}

/// A PKCS#8 private key of any algorithm the core keeps: RSA, EC, Ed25519 or DSA.
fn pkcs8_private(der: &[u8], raw: &mut Raw) -> Result<()> {
    use softhsm::crypto::{private_key_from_pkcs8, ParsedPrivateKey};
    match private_key_from_pkcs8(der) {
        Ok(ParsedPrivateKey::Rsa(k)) => {
            raw.push((ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_RSA)));
            for (ty, v) in softhsm::mechanism::ops::rsa_attr_values(&k.components()) {
                raw.push((ty, v.clone()));
            }
        }
        Ok(ParsedPrivateKey::Ec(k)) => raw.extend(kf::ec_private_attrs(k.curve(), &k.scalar(), None)?),
        Ok(ParsedPrivateKey::Ed25519(seed)) => {
            raw.push((ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_EC_EDWARDS)));
            raw.push((ck::CKA_EC_PARAMS, softhsm::der::OID_ED25519.to_vec()));
            raw.push((ck::CKA_VALUE, seed.to_vec()));
        }
        _ if softhsm::der::dsa_pkcs8_parts(der).is_some() => raw.extend(kf::dsa_private(
            Kft::PKCS_8,
            &Ttlv::bytes(Tag::KEY_MATERIAL, der.to_vec()),
        )?),
        _ => {
            return Err(KmipError::invalid(
                "Key Material (not a supported PKCS#8 private key)",
            ))
        }
    }
    Ok(())
}

fn private_key(kb: &KeyBlock<'_>, domain: Option<Curve>, raw: &mut Raw) -> Result<()> {
    match kb.format {
        Kft::PKCS_1 => {
            let der = kb
                .material
                .as_bytes()
                .ok_or_else(|| KmipError::invalid("Key Material"))?;
            let c = rsa_private_components(der)?;
            raw.push((ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_RSA)));
            for (ty, v) in softhsm::mechanism::ops::rsa_attr_values(&c) {
                raw.push((ty, v.clone()));
            }
            Ok(())
        }
        Kft::PKCS_8 => {
            let der = kb
                .material
                .as_bytes()
                .ok_or_else(|| KmipError::invalid("Key Material"))?;
            pkcs8_private(der, raw)
        }
        Kft::TRANSPARENT_RSA_PRIVATE_KEY => {
            raw.push((ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_RSA)));
            for (tag, ty) in RSA_PRIVATE_TAGS.iter().zip(RSA_PRIVATE_ATTRS) {
                if let Some(v) = kb.material.find(*tag).and_then(Ttlv::as_bytes) {
                    raw.push((ty, unsigned(v)));
                }
            }
            Ok(())
        }
        Kft::TRANSPARENT_DSA_PRIVATE_KEY => {
            raw.extend(kf::dsa_private(kb.format, kb.material)?);
            Ok(())
        }
        Kft::TRANSPARENT_DH_PRIVATE_KEY => {
            raw.extend(kf::dh_private(kb.format, kb.material)?);
            Ok(())
        }
        f => {
            raw.extend(kf::ec_private(f, kb.material, domain)?);
            Ok(())
        }
    }
}

fn public_key(kb: &KeyBlock<'_>, domain: Option<Curve>, raw: &mut Raw) -> Result<()> {
    match kb.format {
        Kft::PKCS_1 => {
            let (n, e) = kb
                .material
                .as_bytes()
                .and_then(softhsm::der::rsa_public_key_parts)
                .ok_or_else(|| KmipError::invalid("Key Material (not an RSAPublicKey)"))?;
            raw.push((ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_RSA)));
            raw.push((ck::CKA_MODULUS, n));
            raw.push((ck::CKA_PUBLIC_EXPONENT, e));
            Ok(())
        }
        Kft::TRANSPARENT_RSA_PUBLIC_KEY => {
            let get = |t| kb.material.find(t).and_then(Ttlv::as_bytes).map(unsigned);
            raw.push((ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_RSA)));
            raw.push((
                ck::CKA_MODULUS,
                get(Tag::MODULUS).ok_or_else(|| KmipError::missing("Modulus"))?,
            ));
            raw.push((
                ck::CKA_PUBLIC_EXPONENT,
                get(Tag::PUBLIC_EXPONENT).ok_or_else(|| KmipError::missing("Public Exponent"))?,
            ));
            Ok(())
        }
        Kft::X_509 => {
            let der = kb
                .material
                .as_bytes()
                .ok_or_else(|| KmipError::invalid("Key Material"))?;
            spki(der, raw)
        }
        Kft::TRANSPARENT_DSA_PUBLIC_KEY => {
            raw.extend(kf::dsa_public(kb.format, kb.material)?);
            Ok(())
        }
        Kft::TRANSPARENT_DH_PUBLIC_KEY => {
            raw.extend(kf::dh_public(kb.format, kb.material)?);
            Ok(())
        }
        f => {
            raw.extend(kf::ec_public(f, kb.material, domain)?);
            Ok(())
        }
    }
}

/// A DER SubjectPublicKeyInfo (RFC 5280) as PKCS#11 public key attributes: RSA or EC.
fn spki(der: &[u8], raw: &mut Raw) -> Result<()> {
    use x509_cert::der::{Decode, Encode};
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    let bad = || KmipError::invalid("Key Material (not a SubjectPublicKeyInfo)");
    let info = SubjectPublicKeyInfoOwned::from_der(der).map_err(|_| bad())?;
    let key = info.subject_public_key.as_bytes().ok_or_else(bad)?;
    match info.algorithm.oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => {
            let (n, e) = softhsm::der::rsa_public_key_parts(key).ok_or_else(bad)?;
            raw.push((ck::CKA_KEY_TYPE, enc_ulong(ck::CKK_RSA)));
            raw.push((ck::CKA_MODULUS, n));
            raw.push((ck::CKA_PUBLIC_EXPONENT, e));
        }
        "1.2.840.10045.2.1" => {
            let params = info.algorithm.parameters.as_ref().ok_or_else(bad)?;
            let oid = params.to_der().map_err(|_| bad())?;
            let curve =
                Curve::from_oid_der(&oid).ok_or_else(|| KmipError::unsupported("this elliptic curve"))?;
            raw.extend(kf::ec_public_attrs(curve, key)?);
        }
        "1.2.840.10040.4.1" => raw.extend(kf::dsa_public(
            Kft::X_509,
            &Ttlv::bytes(Tag::KEY_MATERIAL, der.to_vec()),
        )?),
        _ => return Err(KmipError::unsupported("this public key algorithm")),
    }
    Ok(())
}

fn certificate(object: &Ttlv, raw: &mut Raw) -> Result<()> {
    use x509_cert::der::{Decode, Encode};
    let value = object
        .find(Tag::CERTIFICATE_VALUE)
        .and_then(Ttlv::as_bytes)
        .ok_or_else(|| KmipError::missing("Certificate Value"))?;
    let cert = x509_cert::Certificate::from_der(value)
        .map_err(|_| KmipError::invalid("Certificate Value (not a DER X.509 certificate)"))?;
    let tbs = &cert.tbs_certificate;
    let enc = |r: std::result::Result<Vec<u8>, _>| {
        r.map_err(|_: x509_cert::der::Error| KmipError::invalid("Certificate Value"))
    };
    raw.push((ck::CKA_CERTIFICATE_TYPE, enc_ulong(ck::CKC_X_509)));
    raw.push((ck::CKA_SUBJECT, enc(tbs.subject.to_der())?));
    raw.push((ck::CKA_ISSUER, enc(tbs.issuer.to_der())?));
    raw.push((ck::CKA_SERIAL_NUMBER, enc(tbs.serial_number.to_der())?));
    raw.push((ck::CKA_VALUE, value.to_vec()));
    Ok(())
}

/// The key type a wrapped key of `ot` gets from its algorithm (what `C_UnwrapKey` needs).
fn unwrapped_key_type(ot: ObjectType, alg: Option<Alg>) -> Result<u64> {
    let alg = alg.ok_or_else(|| KmipError::missing("Cryptographic Algorithm"))?;
    match (ot, objects::key_type_of(alg)) {
        (ObjectType::SYMMETRIC_KEY, Some(kt)) if softhsm::attr::SECRET_KEY_TYPES.contains(&kt) => Ok(kt),
        (ObjectType::PRIVATE_KEY, Some(kt @ (ck::CKK_RSA | ck::CKK_EC))) => Ok(kt),
        _ => Err(KmipError::invalid("Cryptographic Algorithm for a wrapped key")),
    }
}

/// Adds `a` unless the list already has an attribute of that name (an imported object
/// brings its own Digest and Key Format Type).
fn push_new(attrs: &mut Vec<Attribute>, a: Attribute) {
    if !attrs.iter().any(|x| x.name == a.name) {
        attrs.push(a);
    }
}

/// Register (KMIP 1.4 §4.3, 2.1 §6.1.40).
pub fn register(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let ot = super::object_type(payload)?;
    let attrs = request_attrs(payload, Tag::TEMPLATE_ATTRIBUTE, Tag::ATTRIBUTES)?;
    check_client_attrs(&attrs, ot)?;
    super::create::check_unique_names(ctx, &attrs)?;
    let m = make_object(ctx, payload, ot, attrs, None)?;
    log::info!("registered {:?} object {}", ot, m.uid);
    ctx.placeholder = Some(m.uid.clone());
    Ok(vec![ctx.uid_item(&m.uid)])
}

/// The object of a Register or Import request as a new token object with `attrs`, and with
/// the Unique Identifier `id` when the key manager chooses it (Import). A wrapped key is
/// unwrapped by the core with the key its Key Wrapping Data names.
pub(super) fn make_object(
    ctx: &Ctx<'_>,
    payload: &Ttlv,
    ot: ObjectType,
    mut attrs: Vec<Attribute>,
    id: Option<ChosenId<'_>>,
) -> Result<Managed> {
    let (class, app) = class_of(ot).ok_or_else(|| KmipError::unsupported("this Object Type"))?;
    let object_tag = match ot {
        ObjectType::SYMMETRIC_KEY => Tag::SYMMETRIC_KEY,
        ObjectType::PRIVATE_KEY => Tag::PRIVATE_KEY,
        ObjectType::PUBLIC_KEY => Tag::PUBLIC_KEY,
        ObjectType::CERTIFICATE => Tag::CERTIFICATE,
        ObjectType::SECRET_DATA => Tag::SECRET_DATA,
        _ => Tag::OPAQUE_OBJECT,
    };
    let object = payload
        .find(object_tag)
        .ok_or_else(|| KmipError::missing("the object to register"))?;
    // The key block's algorithm and length are attributes of the new object.
    let mut extra: Raw = Vec::new();
    let def = |n| attributes::by_name(n).expect("in table");
    match ot {
        ObjectType::SYMMETRIC_KEY | ObjectType::PRIVATE_KEY | ObjectType::PUBLIC_KEY => {
            let kb = key_block(object)?;
            if let (Some(a), None) = (kb.alg, attributes::first(&attrs, "Cryptographic Algorithm")) {
                attrs.push(Attribute::new(
                    def("Cryptographic Algorithm"),
                    Value::Enumeration(a.0),
                ));
            }
            if let (Some(b), None) = (kb.bits, attributes::first(&attrs, "Cryptographic Length")) {
                attrs.push(Attribute::new(def("Cryptographic Length"), Value::Integer(b)));
            }
            push_new(&mut attrs, super::create::key_format_attr(kb.format.0));
            if kb.wrapped {
                let w = Wrapping::read(
                    kb.block
                        .find(Tag::KEY_WRAPPING_DATA)
                        .ok_or_else(|| KmipError::missing("Key Wrapping Data"))?,
                )?;
                attrs.push(Attribute {
                    name: AS_REGISTERED.into(),
                    index: 0,
                    value: Ttlv::structure(Tag::ATTRIBUTE_VALUE, w.data().items().to_vec()),
                });
                let mut raw = base_template(class, &attrs)?;
                raw.push((ck::CKA_KEY_TYPE, enc_ulong(unwrapped_key_type(ot, kb.alg)?)));
                let h = unwrap_block(ctx, kb.block, ot, kb.format, &raw, id)?;
                return ctx.load_handle(h);
            }
            // The curve of a Raw EC point or a parameterless ECPrivateKey.
            let domain = attributes::first(&attrs, "Cryptographic Domain Parameters")
                .and_then(|d| d.find(Tag::RECOMMENDED_CURVE))
                .and_then(Ttlv::as_enum)
                .and_then(|c| kf::curve_of(crate::ttlv::enums::RecommendedCurve(c)));
            match ot {
                ObjectType::SYMMETRIC_KEY => symmetric(&kb, &mut extra)?,
                ObjectType::PRIVATE_KEY => private_key(&kb, domain, &mut extra)?,
                _ => public_key(&kb, domain, &mut extra)?,
            }
        }
        ObjectType::CERTIFICATE => certificate(object, &mut extra)?,
        ObjectType::SECRET_DATA => {
            let kb = key_block(object)?;
            if kb.wrapped {
                return Err(KmipError::unsupported("a wrapped Secret Data"));
            }
            push_new(&mut attrs, super::create::key_format_attr(kb.format.0));
            let v = kb
                .material
                .as_bytes()
                .ok_or_else(|| KmipError::invalid("Key Material"))?;
            extra.push((ck::CKA_VALUE, v.to_vec()));
            let kind = object
                .find(Tag::SECRET_DATA_TYPE)
                .and_then(Ttlv::as_enum)
                .unwrap_or(2);
            attrs.push(Attribute {
                name: "y-softhsm-secret-data-type".into(),
                index: 0,
                value: Ttlv::enumeration(Tag::ATTRIBUTE_VALUE, kind),
            });
        }
        _ => {
            let v = object
                .find(Tag::OPAQUE_DATA_VALUE)
                .and_then(Ttlv::as_bytes)
                .ok_or_else(|| KmipError::missing("Opaque Data Value"))?;
            extra.push((ck::CKA_VALUE, v.to_vec()));
            let kind = object
                .find(Tag::OPAQUE_DATA_TYPE)
                .and_then(Ttlv::as_enum)
                .unwrap_or(0x8000_0000);
            attrs.push(Attribute {
                name: "y-softhsm-opaque-data-type".into(),
                index: 0,
                value: Ttlv::enumeration(Tag::ATTRIBUTE_VALUE, kind),
            });
        }
    }
    if let Some((_, v)) = extra.iter().find(|(t, _)| *t == ck::CKA_VALUE) {
        let format = match ot {
            ObjectType::SYMMETRIC_KEY => Kft::RAW.0,
            ObjectType::PRIVATE_KEY | ObjectType::PUBLIC_KEY => key_block(object)?.format.0,
            // The certificate's DER as registered.
            ObjectType::CERTIFICATE => Kft::RAW.0,
            _ => Kft::OPAQUE.0,
        };
        push_new(&mut attrs, super::create::digest_attr(v, format));
    }
    // Wiped when dropped: it carries the key material.
    let mut raw = softhsm::attr::RawTemplate(base_template(class, &attrs)?);
    if let Some(app) = app {
        raw.push((ck::CKA_APPLICATION, app.as_bytes().to_vec()));
    }
    raw.extend(extra);
    let h = ctx.kmip.hsm.create_object_as(ctx.session, &raw, id)?;
    ctx.load_handle(h)
}
