//! Create (KMIP 1.4 §4.1, 2.1 §6.1.6) and Create Key Pair (1.4 §4.2, 2.1 §6.1.7), and the
//! shared step that turns KMIP attributes into a PKCS#11 template for a new object.

use super::Ctx;
use crate::attributes::{self, Attribute};
use crate::error::{KmipError, Result};
use crate::objects::{self, encode_blob, now};
use crate::ttlv::enums::{
    CryptographicAlgorithm as Alg, LinkType, ObjectType, RecommendedCurve, ResultReason,
};
use crate::ttlv::{Tag, Ttlv, Value};
use cryptoki_sys as ck;
use softhsm::attr::{self as p11attr, enc_bool, enc_ulong, state, AttrType};
use softhsm::mechanism::Mechanism;

/// The attributes a request carries under the 1.x tag `v1` or the 2.x tag `v2`.
pub fn request_attrs(payload: &Ttlv, v1: Tag, v2: Tag) -> Result<Vec<Attribute>> {
    let mut out = Vec::new();
    for t in payload.items().iter().filter(|t| t.tag == v1 || t.tag == v2) {
        out.extend(attributes::read_list(t)?);
    }
    Ok(out)
}

/// Refuses attributes a client may not set on a new object.
pub fn check_client_attrs(attrs: &[Attribute], object_type: ObjectType) -> Result<()> {
    for a in attrs {
        let Some(def) = a.def() else { continue };
        if def.flags & attributes::SERVER == 0 {
            continue;
        }
        // Clients often repeat the Object Type (and the Certificate Type of a certificate);
        // that is harmless when it agrees with the object.
        if a.name == "Object Type" && a.value.as_enum() == Some(object_type.0) {
            continue;
        }
        if a.name == "Certificate Type" && object_type == ObjectType::CERTIFICATE {
            continue;
        }
        return Err(KmipError::new(
            ResultReason::ATTRIBUTE_READ_ONLY,
            format!("{} is set by the server", a.name),
        ));
    }
    Ok(())
}

pub fn int_attr(attrs: &[Attribute], name: &str) -> Option<i32> {
    attributes::first(attrs, name).and_then(Ttlv::as_int)
}

fn bool_attr(attrs: &[Attribute], name: &str) -> Option<bool> {
    attributes::first(attrs, name).and_then(Ttlv::as_bool)
}

/// Refuses a Name another live object of the token already has (KMIP 2.1 §4.22:
/// Non-Unique Name Attribute).
pub fn check_unique_names(ctx: &Ctx<'_>, attrs: &[Attribute]) -> Result<()> {
    for name in attrs.iter().filter(|a| a.name == "Name") {
        let Some(text) = name.value.find(Tag::NAME_VALUE).and_then(Ttlv::as_text) else {
            continue;
        };
        let hsm = &ctx.kmip.hsm;
        hsm.find_init(ctx.session, &[(ck::CKA_LABEL, text.as_bytes().to_vec())])?;
        let found = hsm.find(ctx.session, 64);
        hsm.find_final(ctx.session)?;
        for h in found? {
            let Ok(m) = ctx.load_handle(h) else { continue };
            let live = !matches!(
                m.state(),
                crate::ttlv::enums::State::DESTROYED | crate::ttlv::enums::State::DESTROYED_COMPROMISED
            );
            if live && m.attrs.iter().any(|a| a.name == "Name" && a.value == name.value) {
                return Err(KmipError::new(
                    ResultReason::NON_UNIQUE_NAME_ATTRIBUTE,
                    "another object already has this Name",
                ));
            }
        }
    }
    Ok(())
}

/// The Digest attribute of a value (SHA-256 over the Raw key value, KMIP 1.4 §3.17).
pub fn digest_attr(value: &[u8], format: u32) -> Attribute {
    let d = softhsm::crypto::Hash::Sha256.digest(value);
    Attribute::new(
        attributes::by_name("Digest").expect("in table"),
        Value::Structure(vec![
            Ttlv::enumeration(
                Tag::HASHING_ALGORITHM,
                crate::ttlv::enums::HashingAlgorithm::SHA_256.0,
            ),
            Ttlv::bytes(Tag::DIGEST_VALUE, d),
            Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, format),
        ]),
    )
}

/// The stored KMIP attributes of a new symmetric key with its Digest added: computed inside
/// the core before the key is stored, so Create is one durable write.
fn with_digest(obj: &softhsm::object::Object) -> Vec<(softhsm::attr::AttrType, Vec<u8>)> {
    let Some(value) = obj.get(ck::CKA_VALUE) else {
        return Vec::new();
    };
    let blob = obj.get(p11attr::CKA_SOFTHSM_KMIP_ATTRIBUTES).unwrap_or_default();
    let Ok(mut attrs) = crate::objects::decode_blob(blob) else {
        return Vec::new();
    };
    attrs.push(digest_attr(value, crate::ttlv::enums::KeyFormatType::RAW.0));
    vec![(p11attr::CKA_SOFTHSM_KMIP_ATTRIBUTES, encode_blob(&attrs))]
}

/// Records the Digest of a generated key whose value may be read (KMIP servers report it).
pub(super) fn add_digest(ctx: &Ctx<'_>, m: &crate::objects::Managed) -> Result<()> {
    if let Some(d) = digest_of(ctx, m) {
        let mut a = m.stored_attrs();
        a.push(d);
        ctx.save(m, a)?;
    }
    Ok(())
}

/// The Digest attribute of `m`'s key value, when the server can read that value.
pub(super) fn digest_of(ctx: &Ctx<'_>, m: &crate::objects::Managed) -> Option<Attribute> {
    use crate::ttlv::enums::KeyFormatType as Kft;
    let value = match m.key_type {
        // RSA keys: the digest is over their default (PKCS#1) encoding.
        Some(ck::CKK_RSA) => super::get::object_value(ctx, m, Some(Kft::PKCS_1))
            .ok()
            .and_then(|o| {
                o.find(Tag::KEY_BLOCK)?
                    .find(Tag::KEY_VALUE)?
                    .find(Tag::KEY_MATERIAL)?
                    .as_bytes()
                    .map(|b| (b.to_vec(), Kft::PKCS_1))
            }),
        _ => match ctx
            .kmip
            .hsm
            .get_attributes(ctx.session, m.handle, &[ck::CKA_VALUE])
        {
            Ok(v) => match v.into_iter().next() {
                Some(softhsm::hsm::AttrValue::Value(key)) => Some((key, Kft::RAW)),
                _ => None,
            },
            Err(_) => None,
        },
    };
    value.map(|(v, f)| digest_attr(&zeroize::Zeroizing::new(v), f.0))
}

/// The attributes a server-generated key carries beyond the client's: the generator that
/// made it (AWS-LC's CTR-DRBG with AES-256, KMIP 1.4 §3.44) and its Key Format Type (2.0).
pub(super) fn generated_attrs(format: u32) -> Vec<Attribute> {
    vec![
        Attribute::new(
            attributes::by_name("Random Number Generator").expect("in table"),
            Value::Structure(rng_parameters()),
        ),
        key_format_attr(format),
    ]
}

/// The server's random number generator as RNG Parameters (KMIP 1.4 §2.1.18): AWS-LC's
/// CTR-DRBG with AES-256. Query RNGs answers it too.
pub(super) fn rng_parameters() -> Vec<Ttlv> {
    use crate::ttlv::enums::{DRBGAlgorithm, RNGAlgorithm};
    vec![
        Ttlv::enumeration(Tag::RNG_ALGORITHM, RNGAlgorithm::DRBG.0),
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, Alg::AES.0),
        Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 256),
        Ttlv::enumeration(Tag::DRBG_ALGORITHM, DRBGAlgorithm::CTR.0),
    ]
}

/// The Key Format Type attribute (KMIP 2.0 §4.26).
pub fn key_format_attr(format: u32) -> Attribute {
    Attribute::new(
        attributes::by_name("Key Format Type").expect("in table"),
        Value::Enumeration(format),
    )
}

/// The common PKCS#11 template of a new KMIP object of `class` from its KMIP attributes:
/// token, private, label, lifecycle, usage flags, sensitivity and the stored KMIP attributes.
pub fn base_template(class: u64, attrs: &[Attribute]) -> Result<Vec<(AttrType, Vec<u8>)>> {
    let t_now = now();
    let mut raw = vec![
        (ck::CKA_CLASS, enc_ulong(class)),
        (ck::CKA_TOKEN, enc_bool(true)),
        (ck::CKA_PRIVATE, enc_bool(true)),
    ];
    if let Some(name) = attributes::first(attrs, "Name")
        .and_then(|n| n.find(Tag::NAME_VALUE))
        .and_then(Ttlv::as_text)
    {
        raw.push((ck::CKA_LABEL, name.as_bytes().to_vec()));
    }
    let activation = attributes::first(attrs, "Activation Date").and_then(Ttlv::as_date);
    let deactivation = attributes::first(attrs, "Deactivation Date").and_then(Ttlv::as_date);
    if let (Some(a), Some(d)) = (activation, deactivation) {
        if d < a {
            return Err(KmipError::new(
                ResultReason::INVALID_FIELD,
                "Deactivation Date is before Activation Date",
            ));
        }
    }
    let st = match activation {
        Some(a) if a <= t_now => state::ACTIVE,
        _ => state::PRE_ACTIVE,
    };
    raw.push((p11attr::CKA_SOFTHSM_STATE, enc_ulong(st)));
    if let Some(a) = activation {
        raw.push((p11attr::CKA_SOFTHSM_ACTIVATION_DATE, enc_ulong(a.max(0) as u64)));
    }
    if let Some(d) = deactivation {
        raw.push((p11attr::CKA_SOFTHSM_DEACTIVATION_DATE, enc_ulong(d.max(0) as u64)));
    }
    if matches!(
        class,
        ck::CKO_SECRET_KEY | ck::CKO_PUBLIC_KEY | ck::CKO_PRIVATE_KEY
    ) {
        let mask = int_attr(attrs, "Cryptographic Usage Mask").unwrap_or(0);
        raw.extend(objects::usage_template(mask, class));
    }
    if matches!(class, ck::CKO_SECRET_KEY | ck::CKO_PRIVATE_KEY) {
        raw.push((
            ck::CKA_SENSITIVE,
            enc_bool(bool_attr(attrs, "Sensitive").unwrap_or(false)),
        ));
        raw.push((
            ck::CKA_EXTRACTABLE,
            enc_bool(bool_attr(attrs, "Extractable").unwrap_or(true)),
        ));
    }
    let def = |n| attributes::by_name(n).expect("attribute table names");
    let mut stored: Vec<Attribute> = attrs
        .iter()
        .filter(|a| !objects::is_derived(&a.name))
        .cloned()
        .collect();
    stored.push(Attribute::new(def("Initial Date"), Value::DateTime(t_now)));
    stored.push(Attribute::new(def("Last Change Date"), Value::DateTime(t_now)));
    if !stored.iter().any(|a| a.name == "Original Creation Date") {
        stored.push(Attribute::new(
            def("Original Creation Date"),
            Value::DateTime(t_now),
        ));
    }
    if !stored.iter().any(|a| a.name == "Fresh") {
        stored.push(Attribute::new(def("Fresh"), Value::Boolean(true)));
    }
    for name in ["Cryptographic Algorithm", "Cryptographic Length"] {
        if let Some(a) = attrs.iter().find(|a| a.name == name) {
            stored.push(a.clone());
        }
    }
    raw.push((p11attr::CKA_SOFTHSM_KMIP_ATTRIBUTES, encode_blob(&stored)));
    Ok(raw)
}

pub(super) fn algorithm(attrs: &[Attribute]) -> Result<Alg> {
    attributes::first(attrs, "Cryptographic Algorithm")
        .and_then(Ttlv::as_enum)
        .map(Alg)
        .ok_or_else(|| KmipError::missing("Cryptographic Algorithm"))
}

/// The attributes of a request for a new symmetric key (Create, Derive Key), checked as
/// client-settable and for Name uniqueness, with the key type and length (bits) they ask for:
/// AES of 128, 192 or 256 bits, or an HMAC key of any whole number of bytes.
pub(super) fn symmetric_request(
    ctx: &Ctx<'_>,
    payload: &Ttlv,
    op: &str,
) -> Result<(Vec<Attribute>, u64, i32)> {
    let attrs = request_attrs(payload, Tag::TEMPLATE_ATTRIBUTE, Tag::ATTRIBUTES)?;
    check_client_attrs(&attrs, ObjectType::SYMMETRIC_KEY)?;
    check_unique_names(ctx, &attrs)?;
    let alg = algorithm(&attrs)?;
    let bits =
        int_attr(&attrs, "Cryptographic Length").ok_or_else(|| KmipError::missing("Cryptographic Length"))?;
    if bits <= 0 || bits % 8 != 0 {
        return Err(KmipError::invalid("Cryptographic Length"));
    }
    let kt = match objects::key_type_of(alg) {
        Some(ck::CKK_AES) if [128, 192, 256].contains(&bits) => ck::CKK_AES,
        Some(ck::CKK_AES) => return Err(KmipError::invalid("Cryptographic Length for AES")),
        Some(kt) if softhsm::attr::HMAC_KEY_TYPES.contains(&kt) => kt,
        _ => {
            return Err(KmipError::new(
                ResultReason::INVALID_FIELD,
                format!("{op} does not make keys of algorithm {}", alg.0),
            ))
        }
    };
    Ok((attrs, kt, bits))
}

/// Create: a new symmetric key.
pub fn create(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let ot = super::object_type(payload)?;
    if ot != ObjectType::SYMMETRIC_KEY {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "Create makes symmetric keys; use Create Key Pair or Register for other objects",
        ));
    }
    let (attrs, kt, bits) = symmetric_request(ctx, payload, "Create")?;
    let mech = if kt == ck::CKK_AES {
        ck::CKM_AES_KEY_GEN
    } else {
        ck::CKM_GENERIC_SECRET_KEY_GEN
    };
    let mut with_generated = attrs.clone();
    with_generated.extend(generated_attrs(crate::ttlv::enums::KeyFormatType::RAW.0));
    let mut raw = base_template(ck::CKO_SECRET_KEY, &with_generated)?;
    raw.retain(|(t, _)| *t != ck::CKA_CLASS);
    raw.push((ck::CKA_KEY_TYPE, enc_ulong(kt)));
    raw.push((ck::CKA_VALUE_LEN, enc_ulong((bits / 8) as u64)));
    let h = ctx
        .kmip
        .hsm
        .generate_key_with(ctx.session, &Mechanism::new(mech), &raw, &with_digest)?;
    let m = ctx.load_handle(h)?;
    log::info!("created symmetric key {}", m.uid);
    ctx.placeholder = Some(m.uid.clone());
    Ok(vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, ot.0),
        ctx.uid_item(&m.uid),
    ])
}

/// The EC curve a key pair request names: Recommended Curve in Cryptographic Domain
/// Parameters (the curves of `key_formats::CURVES`), or else the Cryptographic Length (the
/// NIST curve of that size).
fn ec_params(attrs: &[Attribute]) -> Result<&'static [u8]> {
    use softhsm::crypto::Curve;
    let curve = attributes::first(attrs, "Cryptographic Domain Parameters")
        .and_then(|d| d.find(Tag::RECOMMENDED_CURVE))
        .and_then(Ttlv::as_enum);
    let c = match (curve, int_attr(attrs, "Cryptographic Length")) {
        (Some(rc), _) => crate::key_formats::curve_of(RecommendedCurve(rc)),
        (None, Some(256)) => Some(Curve::P256),
        (None, Some(384)) => Some(Curve::P384),
        (None, Some(521)) => Some(Curve::P521),
        _ => None,
    };
    Ok(c.ok_or_else(|| KmipError::unsupported("this elliptic curve"))?
        .oid_der())
}

/// The attributes a key pair request gives its private and its public key: the common ones
/// and each half's own (1.x Template-Attributes or 2.x Attributes), checked as client-settable
/// and for Name uniqueness.
pub(super) fn pair_attrs(ctx: &Ctx<'_>, payload: &Ttlv) -> Result<(Vec<Attribute>, Vec<Attribute>)> {
    let common = request_attrs(payload, Tag::COMMON_TEMPLATE_ATTRIBUTE, Tag::COMMON_ATTRIBUTES)?;
    let mut private = common.clone();
    private.extend(request_attrs(
        payload,
        Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
        Tag::PRIVATE_KEY_ATTRIBUTES,
    )?);
    let mut public = common;
    public.extend(request_attrs(
        payload,
        Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
        Tag::PUBLIC_KEY_ATTRIBUTES,
    )?);
    check_client_attrs(&private, ObjectType::PRIVATE_KEY)?;
    check_client_attrs(&public, ObjectType::PUBLIC_KEY)?;
    check_unique_names(ctx, &private)?;
    check_unique_names(ctx, &public)?;
    Ok((private, public))
}

/// Create Key Pair: an RSA or EC key pair, linked to each other.
pub fn create_key_pair(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let (private, public) = pair_attrs(ctx, payload)?;
    let (privm, pubm) = make_key_pair(ctx, private, public, None)?;
    log::info!("created key pair {} / {}", privm.uid, pubm.uid);
    ctx.placeholder = Some(privm.uid.clone());
    Ok(vec![
        Ttlv::text(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, privm.uid),
        Ttlv::text(Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER, pubm.uid),
    ])
}

/// Generates an RSA or EC key pair with these (checked) attributes, records the Digests and
/// links the halves; `curve` is the `CKA_EC_PARAMS` to use instead of the attributes' curve.
/// Returns (private, public).
pub(super) fn make_key_pair(
    ctx: &Ctx<'_>,
    mut private: Vec<Attribute>,
    mut public: Vec<Attribute>,
    curve: Option<Vec<u8>>,
) -> Result<(crate::objects::Managed, crate::objects::Managed)> {
    let alg = algorithm(&private)?;
    use crate::ttlv::enums::KeyFormatType as Kft;
    let (pub_format, priv_format) = match alg {
        Alg::RSA => (Kft::PKCS_1, Kft::PKCS_1),
        _ => (Kft::X_509, Kft::PKCS_8),
    };
    public.extend(generated_attrs(pub_format.0));
    private.extend(generated_attrs(priv_format.0));
    let mut pub_raw = base_template(ck::CKO_PUBLIC_KEY, &public)?;
    let mut priv_raw = base_template(ck::CKO_PRIVATE_KEY, &private)?;
    let mech = match alg {
        Alg::RSA => {
            let bits = int_attr(&private, "Cryptographic Length")
                .ok_or_else(|| KmipError::missing("Cryptographic Length"))?;
            pub_raw.push((ck::CKA_MODULUS_BITS, enc_ulong(bits.max(0) as u64)));
            pub_raw.push((ck::CKA_PUBLIC_EXPONENT, vec![1, 0, 1]));
            ck::CKM_RSA_PKCS_KEY_PAIR_GEN
        }
        Alg::EC | Alg::ECDSA | Alg::ECDH => {
            let params = match curve {
                Some(c) => c,
                None => ec_params(&private)?.to_vec(),
            };
            pub_raw.push((ck::CKA_EC_PARAMS, params));
            ck::CKM_EC_KEY_PAIR_GEN
        }
        a => {
            return Err(KmipError::new(
                ResultReason::INVALID_FIELD,
                format!("Create Key Pair does not make keys of algorithm {}", a.0),
            ))
        }
    };
    pub_raw.retain(|(t, _)| *t != ck::CKA_CLASS);
    priv_raw.retain(|(t, _)| *t != ck::CKA_CLASS);
    let (ph, sh) = ctx
        .kmip
        .hsm
        .generate_key_pair(ctx.session, &Mechanism::new(mech), &pub_raw, &priv_raw)?;
    let pubm = ctx.load_handle(ph)?;
    let privm = ctx.load_handle(sh)?;
    // One write per half: its Digest, and the link to the other half (KMIP 1.4 §3.35:
    // Private Key Link on the public key and back).
    for (m, link, other) in [
        (&pubm, LinkType::PRIVATE_KEY_LINK, &privm.uid),
        (&privm, LinkType::PUBLIC_KEY_LINK, &pubm.uid),
    ] {
        let mut a = m.stored_attrs();
        a.extend(digest_of(ctx, m));
        objects::push_instance(&mut a, objects::link(link, other));
        ctx.save(m, a)?;
    }
    Ok((ctx.load_handle(sh)?, ctx.load_handle(ph)?))
}
