//! Key Wrapping Specification and Key Wrapping Data (KMIP 1.4 §2.1.5–§2.1.7, 2.1 §2.1.5–§2.1.7):
//! a key got or exported wrapped (Get, Export), and a wrapped key registered or imported
//! (Register, Import).
//!
//! The wrapping is the core's `C_WrapKey`/`C_UnwrapKey`, so the PKCS#11 rules hold on both
//! doors: the wrapping key needs Wrap Key usage (`CKA_WRAP`) and must be Active, the key got
//! wrapped must be extractable (a sensitive but extractable key can be got wrapped), and the
//! unwrapping key needs Unwrap Key usage (`CKA_UNWRAP`). Only Wrapping Method Encrypt with
//! Encryption Key Information is offered: AES key wrap (KW, or KWP for AES Key Wrap Padding),
//! RSA-OAEP or RSA PKCS#1 v1.5. MAC/Signature Key Information and wrapped attributes
//! (Attribute Name) are refused with Feature Not Supported.
//!
//! Encoding Option No Encoding wraps the Key Material bytes; TTLV Encoding (the default) wraps
//! the TTLV encoding of the Key Value structure. Either way the answer's Key Value is the
//! wrapped Byte String, except that 1.x clients of No Encoding get a Key Value structure whose
//! Key Material is the wrapped bytes (the shape of the KMIP 1.4 test cases); both shapes are
//! accepted on Register and Import.

use super::Ctx;
use crate::error::{KmipError, Result};
use crate::objects::Managed;
use crate::ttlv::enums::{EncodingOption, KeyFormatType as Kft, ObjectType, ResultReason, WrappingMethod};
use crate::ttlv::{binary, Tag, Ttlv, Value};
use cryptoki_sys as ck;
use softhsm::hsm::{ChosenId, UnwrapAs};
use softhsm::object::Object;
use zeroize::{Zeroize, Zeroizing};

/// The server attribute that keeps how a registered key was wrapped (its Key Wrapping Data
/// without the wrapped bytes), for Get with Key Wrap Type As Registered.
pub const AS_REGISTERED: &str = "y-softhsm-key-wrapping-data";

/// A Key Wrapping Specification (Get, Export) or the Key Wrapping Data of a wrapped Key
/// Block (Register, Import).
pub struct Wrapping<'a> {
    key_uid: String,
    params: Option<&'a Ttlv>,
    encoding: Option<EncodingOption>,
}

impl<'a> Wrapping<'a> {
    pub fn read(t: &'a Ttlv) -> Result<Wrapping<'a>> {
        let method = t
            .find(Tag::WRAPPING_METHOD)
            .and_then(Ttlv::as_enum)
            .ok_or_else(|| KmipError::missing("Wrapping Method"))?;
        if method != WrappingMethod::ENCRYPT.0 {
            return Err(KmipError::unsupported("a Wrapping Method other than Encrypt"));
        }
        for (tag, what) in [
            (
                Tag::MAC_SIGNATURE_KEY_INFORMATION,
                "MAC/Signature Key Information",
            ),
            (Tag::MAC_SIGNATURE, "a MAC/Signature of the wrapped key"),
            (Tag::IV_COUNTER_NONCE, "an IV/Counter/Nonce for key wrapping"),
            (
                Tag::ATTRIBUTE_NAME,
                "wrapping attributes with the key (Attribute Name)",
            ),
        ] {
            if t.find(tag).is_some() {
                return Err(KmipError::unsupported(what));
            }
        }
        let eki = t
            .find(Tag::ENCRYPTION_KEY_INFORMATION)
            .ok_or_else(|| KmipError::missing("Encryption Key Information"))?;
        let key_uid = eki
            .find(Tag::UNIQUE_IDENTIFIER)
            .and_then(Ttlv::as_text)
            .ok_or_else(|| KmipError::missing("Unique Identifier of the wrapping key"))?
            .to_string();
        let encoding = match t.find(Tag::ENCODING_OPTION) {
            None => None,
            Some(e) => match e.as_enum().map(EncodingOption) {
                Some(o @ (EncodingOption::NO_ENCODING | EncodingOption::TTLV_ENCODING)) => Some(o),
                _ => return Err(KmipError::invalid("Encoding Option")),
            },
        };
        Ok(Wrapping {
            key_uid,
            params: eki.find(Tag::CRYPTOGRAPHIC_PARAMETERS),
            encoding,
        })
    }

    /// TTLV Encoding unless No Encoding is asked for (KMIP 1.4 §2.1.5).
    fn ttlv_encoded(&self) -> bool {
        self.encoding != Some(EncodingOption::NO_ENCODING)
    }

    /// The Key Wrapping Data describing this wrapping: the method, the wrapping key and its
    /// parameters as the client named them, the Encoding Option if it gave one.
    pub fn data(&self) -> Ttlv {
        let mut eki = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.key_uid.clone())];
        if let Some(p) = self.params {
            eki.push(p.clone());
        }
        let mut items = vec![
            Ttlv::enumeration(Tag::WRAPPING_METHOD, WrappingMethod::ENCRYPT.0),
            Ttlv::structure(Tag::ENCRYPTION_KEY_INFORMATION, eki),
        ];
        if let Some(e) = self.encoding {
            items.push(Ttlv::enumeration(Tag::ENCODING_OPTION, e.0));
        }
        Ttlv::structure(Tag::KEY_WRAPPING_DATA, items)
    }

    /// The wrapping key and the mechanism its parameters choose.
    fn key(&self, ctx: &Ctx<'_>) -> Result<(Managed, softhsm::mechanism::Mechanism)> {
        let kek = ctx.load(&self.key_uid)?;
        let mech = super::crypto::wrap_mechanism(self.params, &kek)?;
        Ok((kek, mech))
    }
}

fn format_unsupported() -> KmipError {
    KmipError::new(
        ResultReason::KEY_FORMAT_TYPE_NOT_SUPPORTED,
        "this Key Format Type cannot be wrapped for this object",
    )
}

/// The Key Format Types a wrapped key may have, by object type and key type; whether the
/// Key Material of that format is a structure (which only TTLV Encoding can wrap).
fn wrappable(ot: ObjectType, key_type: Option<u64>, f: Kft) -> Result<bool> {
    match (ot, key_type, f) {
        (ObjectType::SYMMETRIC_KEY, _, Kft::RAW) => Ok(false),
        (ObjectType::SYMMETRIC_KEY, _, Kft::TRANSPARENT_SYMMETRIC_KEY) => Ok(true),
        (ObjectType::PRIVATE_KEY, Some(ck::CKK_RSA), Kft::PKCS_1 | Kft::PKCS_8) => Ok(false),
        (ObjectType::PRIVATE_KEY, Some(ck::CKK_EC), Kft::PKCS_8) => Ok(false),
        (ObjectType::SYMMETRIC_KEY | ObjectType::PRIVATE_KEY, _, _) => Err(format_unsupported()),
        _ => Err(KmipError::unsupported("wrapping this Object Type")),
    }
}

/// Overwrites the key bytes a TTLV tree holds.
fn scrub(t: &mut Ttlv) {
    match &mut t.value {
        Value::ByteString(b) | Value::BigInteger(b) => b.zeroize(),
        Value::Structure(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// The Key Material of format `f` from the core's plaintext of a key (a secret key's value,
/// a private key's PKCS#8).
fn material(f: Kft, plain: &[u8]) -> softhsm::Result<Ttlv> {
    Ok(match f {
        Kft::TRANSPARENT_SYMMETRIC_KEY => {
            Ttlv::structure(Tag::KEY_MATERIAL, vec![Ttlv::bytes(Tag::KEY, plain.to_vec())])
        }
        Kft::PKCS_1 => Ttlv::bytes(
            Tag::KEY_MATERIAL,
            softhsm::der::pkcs8_private_key(plain)
                .ok_or(softhsm::Error::KeyNotWrappable)?
                .to_vec(),
        ),
        _ => Ttlv::bytes(Tag::KEY_MATERIAL, plain.to_vec()),
    })
}

/// The bytes that are wrapped: the Key Material bytes, or the TTLV Key Value structure.
fn plaintext(f: Kft, ttlv: bool, plain: &[u8]) -> softhsm::Result<Zeroizing<Vec<u8>>> {
    let mut m = material(f, plain)?;
    let out = if ttlv {
        let mut kv = Ttlv::structure(Tag::KEY_VALUE, vec![m]);
        let out = binary::encode(&kv);
        scrub(&mut kv);
        out
    } else {
        let out = m.as_bytes().map(<[u8]>::to_vec).unwrap_or_default();
        scrub(&mut m);
        out
    };
    Ok(Zeroizing::new(out))
}

/// Object `m` in format `format` (None: its own), wrapped as `w` says: the object structure
/// with a Key Block that carries Key Wrapping Data.
pub fn wrapped_object(ctx: &Ctx<'_>, m: &Managed, format: Option<Kft>, w: &Wrapping<'_>) -> Result<Ttlv> {
    let f = format.unwrap_or(match m.object_type {
        ObjectType::PRIVATE_KEY if m.key_type == Some(ck::CKK_RSA) => Kft::PKCS_1,
        ObjectType::PRIVATE_KEY => Kft::PKCS_8,
        _ => Kft::RAW,
    });
    let structured = wrappable(m.object_type, m.key_type, f)?;
    let ttlv = w.ttlv_encoded();
    if structured && !ttlv {
        return Err(KmipError::new(
            ResultReason::ENCODING_OPTION_ERROR,
            "a structured Key Material can only be wrapped with TTLV Encoding",
        ));
    }
    let (kek, mech) = w.key(ctx)?;
    let encode = |_: &Object, plain: &[u8]| plaintext(f, ttlv, plain);
    let wrapped = ctx
        .kmip
        .hsm
        .wrap_key_with(ctx.session, &mech, kek.handle, m.handle, &encode)?;
    // The wrapped bytes are the Key Value Byte String (KMIP 2.1 §2.1.4); 1.x clients of No
    // Encoding get them as the Key Material, as the KMIP 1.4 test cases show.
    let key_value = if ttlv || ctx.version.major >= 2 {
        Ttlv::bytes(Tag::KEY_VALUE, wrapped)
    } else {
        Ttlv::structure(Tag::KEY_VALUE, vec![Ttlv::bytes(Tag::KEY_MATERIAL, wrapped)])
    };
    let mut block = vec![Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, f.0), key_value];
    for (name, tag) in [
        ("Cryptographic Algorithm", Tag::CRYPTOGRAPHIC_ALGORITHM),
        ("Cryptographic Length", Tag::CRYPTOGRAPHIC_LENGTH),
    ] {
        if let Some(v) = m.first(name) {
            block.push(Ttlv::new(tag, v.value.clone()));
        }
    }
    block.push(w.data());
    let tag = if m.object_type == ObjectType::PRIVATE_KEY {
        Tag::PRIVATE_KEY
    } else {
        Tag::SYMMETRIC_KEY
    };
    Ok(Ttlv::structure(tag, vec![Ttlv::structure(Tag::KEY_BLOCK, block)]))
}

/// The value to answer Get or Export with: wrapped when the request has a Key Wrapping
/// Specification, or asks for Key Wrap Type As Registered of a key registered wrapped;
/// otherwise the object's value in the Key Format Type asked for.
pub fn requested_value(ctx: &Ctx<'_>, m: &Managed, payload: &Ttlv) -> Result<Ttlv> {
    let format = payload
        .find(Tag::KEY_FORMAT_TYPE)
        .or_else(|| m.first("Key Format Type"))
        .and_then(Ttlv::as_enum)
        .map(Kft);
    if let Some(spec) = payload.find(Tag::KEY_WRAPPING_SPECIFICATION) {
        return wrapped_object(ctx, m, format, &Wrapping::read(spec)?);
    }
    let as_registered = payload.find(Tag::KEY_WRAP_TYPE).and_then(Ttlv::as_enum)
        == Some(crate::ttlv::enums::KeyWrapType::AS_REGISTERED.0);
    match m.first(AS_REGISTERED) {
        Some(data) if as_registered => {
            let data = Ttlv::structure(Tag::KEY_WRAPPING_DATA, data.items().to_vec());
            wrapped_object(ctx, m, format, &Wrapping::read(&data)?)
        }
        _ => super::get::object_value(ctx, m, format),
    }
}

/// The core's plaintext (a secret key's value, a private key's PKCS#8) of unwrapped bytes:
/// Key Material bytes, or a TTLV Key Value structure.
fn core_plaintext(f: Kft, ttlv: bool, plain: &[u8]) -> softhsm::Result<Zeroizing<Vec<u8>>> {
    let bad = softhsm::Error::WrappedKeyInvalid;
    let mut kv;
    let material: &[u8] = if ttlv {
        kv = binary::decode(plain, &binary::Limits::default()).map_err(|_| bad)?;
        let m = (kv.tag == Tag::KEY_VALUE)
            .then(|| kv.find(Tag::KEY_MATERIAL))
            .flatten()
            .ok_or(bad)?;
        match f {
            Kft::TRANSPARENT_SYMMETRIC_KEY => m.find(Tag::KEY).and_then(Ttlv::as_bytes),
            _ => m.as_bytes(),
        }
        .ok_or(bad)?
    } else {
        kv = Ttlv::structure(Tag::KEY_VALUE, Vec::new());
        plain
    };
    let out = match f {
        Kft::PKCS_1 => softhsm::der::pkcs8_from_rsa_pkcs1(material),
        _ => material.to_vec(),
    };
    scrub(&mut kv);
    Ok(Zeroizing::new(out))
}

/// Registers (or imports, with `id`) the wrapped Key Block `kb` of an `ot` object in format
/// `f`: the core unwraps it with the key its Key Wrapping Data names into a new object made
/// from `raw`. Returns the new object's handle.
pub fn unwrap_block(
    ctx: &Ctx<'_>,
    kb: &Ttlv,
    ot: ObjectType,
    f: Kft,
    raw: &[(softhsm::attr::AttrType, Vec<u8>)],
    id: Option<ChosenId<'_>>,
) -> Result<u64> {
    let data = kb
        .find(Tag::KEY_WRAPPING_DATA)
        .ok_or_else(|| KmipError::missing("Key Wrapping Data"))?;
    let w = Wrapping::read(data)?;
    let key_type = raw
        .iter()
        .find(|(t, _)| *t == ck::CKA_KEY_TYPE)
        .and_then(|(_, v)| softhsm::attr::dec_ulong(v));
    let structured = wrappable(ot, key_type, f)?;
    let kv = kb
        .find(Tag::KEY_VALUE)
        .ok_or_else(|| KmipError::missing("Key Value"))?;
    let (wrapped, ttlv) = match &kv.value {
        Value::ByteString(b) => (b.as_slice(), w.encoding != Some(EncodingOption::NO_ENCODING)),
        _ => {
            if w.encoding == Some(EncodingOption::TTLV_ENCODING) || structured {
                return Err(KmipError::new(
                    ResultReason::ENCODING_OPTION_ERROR,
                    "a TTLV-encoded wrapped key is a Byte String Key Value",
                ));
            }
            let b = kv
                .find(Tag::KEY_MATERIAL)
                .and_then(Ttlv::as_bytes)
                .ok_or_else(|| KmipError::invalid("Key Material of the wrapped key"))?;
            (b, false)
        }
    };
    let (kek, mech) = w.key(ctx)?;
    let decoder = |plain: Zeroizing<Vec<u8>>| core_plaintext(f, ttlv, &plain);
    let how = UnwrapAs {
        decode: Some(&decoder),
        id,
    };
    let h = ctx
        .kmip
        .hsm
        .unwrap_key_as(ctx.session, &mech, kek.handle, wrapped, raw, how)?;
    Ok(h)
}
