//! The attribute table: every attribute the token knows, its value kind and its policy flags, and
//! per object class which attributes apply, with their defaults and creation rules.
//!
//! This one table drives template validation (create, generate, unwrap, derive, copy),
//! `C_GetAttributeValue` (sensitivity), `C_SetAttributeValue` (which changes are allowed) and,
//! later, the KMIP attribute conversion. It is sorted by type and a test keeps it so.
//!
//! Value encoding inside the core (and in the store): `Bool` is one byte 0/1, `Ulong` is 8 bytes
//! little-endian, `MechList` is a sequence of such 8-byte values, everything else is raw bytes.

use cryptoki_sys as ck;

/// A PKCS#11 attribute type number.
pub type AttrType = u64;

/// How an attribute's value is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Ulong,
    Bytes,
    /// UTF-8 text (labels, URLs).
    Utf8,
    /// `CK_DATE`: empty or 8 ASCII digits.
    Date,
    /// Big-endian unsigned integer.
    BigInt,
    /// Array of mechanism types (`CKA_ALLOWED_MECHANISMS`).
    MechList,
    /// Attribute array (`CKA_WRAP_TEMPLATE`, ...): entries of type (u64 LE), length (u32 LE)
    /// and value in this encoding; no nesting.
    AttrArray,
}

/// Key material: sealed at rest, unreadable when `CKA_SENSITIVE` or not `CKA_EXTRACTABLE`.
pub const SENSITIVE: u16 = 1 << 0;
/// Set by the token only; a caller that specifies it gets `CKR_ATTRIBUTE_READ_ONLY`.
pub const TOKEN_SET: u16 = 1 << 1;
/// May be changed after creation with `C_SetAttributeValue` (and in a `C_CopyObject` template).
pub const MODIFIABLE: u16 = 1 << 2;
/// May only be changed from false to true (`CKA_SENSITIVE`, `CKA_WRAP_WITH_TRUSTED`).
pub const TO_TRUE_ONLY: u16 = 1 << 3;
/// May only be changed from true to false (`CKA_EXTRACTABLE`, `CKA_COPYABLE`).
pub const TO_FALSE_ONLY: u16 = 1 << 4;
/// Only the SO may set it to true (`CKA_TRUSTED`).
pub const SO_ONLY_TRUE: u16 = 1 << 5;
/// May be changed by `C_CopyObject` though not by `C_SetAttributeValue` (PKCS#11 3.0 §5.7).
pub const COPY_CHANGEABLE: u16 = 1 << 6;
/// Set only by the key manager (the KMIP server, an [`crate::hsm::Hsm`] opened as manager):
/// PKCS#11 callers read it but get `CKR_ATTRIBUTE_READ_ONLY` when they give it.
pub const MANAGED: u16 = 1 << 7;

/// Vendor-defined attributes: the KMIP lifecycle that governs use on both doors, and the
/// KMIP-only attributes. Their numbers are part of the store format.
pub mod vendor {
    /// Our block of the vendor-defined range (`CKA_VENDOR_DEFINED | "SH" << 16`).
    pub const CKA_SOFTHSM_BASE: u64 = 0x8000_0000 | 0x5348_0000;
    /// KMIP State (KMIP 1.4 §3.22): 1 Pre-Active, 2 Active, 3 Deactivated, 4 Compromised,
    /// 5 Destroyed, 6 Destroyed Compromised. Absent means Active (a PKCS#11-made object).
    pub const CKA_SOFTHSM_STATE: u64 = CKA_SOFTHSM_BASE + 1;
    /// KMIP Activation Date, seconds since the epoch.
    pub const CKA_SOFTHSM_ACTIVATION_DATE: u64 = CKA_SOFTHSM_BASE + 2;
    /// KMIP Deactivation Date, seconds since the epoch.
    pub const CKA_SOFTHSM_DEACTIVATION_DATE: u64 = CKA_SOFTHSM_BASE + 3;
    /// Every other KMIP attribute of the object, as a TTLV `Attributes` structure the core
    /// does not interpret.
    pub const CKA_SOFTHSM_KMIP_ATTRIBUTES: u64 = CKA_SOFTHSM_BASE + 4;
}
pub use vendor::*;

/// The names the attribute table is written with: PKCS#11's and ours.
mod ckx {
    pub use super::vendor::*;
    pub use cryptoki_sys::*;
}

/// KMIP State values as the core stores them in `CKA_SOFTHSM_STATE`.
pub mod state {
    pub const PRE_ACTIVE: u64 = 1;
    pub const ACTIVE: u64 = 2;
    pub const DEACTIVATED: u64 = 3;
    pub const COMPROMISED: u64 = 4;
    pub const DESTROYED: u64 = 5;
    pub const DESTROYED_COMPROMISED: u64 = 6;
}

/// One attribute the token knows.
#[derive(Debug)]
pub struct AttrDef {
    pub ty: AttrType,
    pub name: &'static str,
    pub kind: Kind,
    pub flags: u16,
}

macro_rules! attrs {
    ($( $c:ident : $kind:ident $(| $flag:ident)* ),* $(,)?) => {
        /// Every attribute the token knows, sorted by type.
        pub static ATTRIBUTES: &[AttrDef] = &[
            $( AttrDef { ty: ckx::$c, name: stringify!($c), kind: Kind::$kind, flags: 0 $(| $flag)* } ),*
        ];
    };
}

attrs! {
    CKA_CLASS: Ulong,
    CKA_TOKEN: Bool | COPY_CHANGEABLE,
    CKA_PRIVATE: Bool | COPY_CHANGEABLE,
    CKA_LABEL: Utf8 | MODIFIABLE,
    CKA_UNIQUE_ID: Bytes | TOKEN_SET,
    CKA_APPLICATION: Utf8 | MODIFIABLE,
    CKA_VALUE: Bytes | SENSITIVE,
    CKA_OBJECT_ID: Bytes | MODIFIABLE,
    CKA_CERTIFICATE_TYPE: Ulong,
    CKA_ISSUER: Bytes | MODIFIABLE,
    CKA_SERIAL_NUMBER: Bytes | MODIFIABLE,
    CKA_AC_ISSUER: Bytes,
    CKA_OWNER: Bytes,
    CKA_ATTR_TYPES: Bytes,
    CKA_TRUSTED: Bool | MODIFIABLE | SO_ONLY_TRUE,
    CKA_CERTIFICATE_CATEGORY: Ulong | MODIFIABLE,
    CKA_JAVA_MIDP_SECURITY_DOMAIN: Ulong,
    CKA_URL: Utf8,
    CKA_HASH_OF_SUBJECT_PUBLIC_KEY: Bytes,
    CKA_HASH_OF_ISSUER_PUBLIC_KEY: Bytes,
    CKA_NAME_HASH_ALGORITHM: Ulong,
    CKA_CHECK_VALUE: Bytes,
    CKA_KEY_TYPE: Ulong,
    CKA_SUBJECT: Bytes | MODIFIABLE,
    CKA_ID: Bytes | MODIFIABLE,
    CKA_SENSITIVE: Bool | MODIFIABLE | TO_TRUE_ONLY,
    CKA_ENCRYPT: Bool | MODIFIABLE,
    CKA_DECRYPT: Bool | MODIFIABLE,
    CKA_WRAP: Bool | MODIFIABLE,
    CKA_UNWRAP: Bool | MODIFIABLE,
    CKA_SIGN: Bool | MODIFIABLE,
    CKA_SIGN_RECOVER: Bool | MODIFIABLE,
    CKA_VERIFY: Bool | MODIFIABLE,
    CKA_VERIFY_RECOVER: Bool | MODIFIABLE,
    CKA_DERIVE: Bool | MODIFIABLE,
    CKA_START_DATE: Date | MODIFIABLE,
    CKA_END_DATE: Date | MODIFIABLE,
    CKA_MODULUS: BigInt,
    CKA_MODULUS_BITS: Ulong,
    CKA_PUBLIC_EXPONENT: BigInt,
    CKA_PRIVATE_EXPONENT: BigInt | SENSITIVE,
    CKA_PRIME_1: BigInt | SENSITIVE,
    CKA_PRIME_2: BigInt | SENSITIVE,
    CKA_EXPONENT_1: BigInt | SENSITIVE,
    CKA_EXPONENT_2: BigInt | SENSITIVE,
    CKA_COEFFICIENT: BigInt | SENSITIVE,
    CKA_PUBLIC_KEY_INFO: Bytes,
    CKA_PRIME: BigInt,
    CKA_SUBPRIME: BigInt,
    CKA_BASE: BigInt,
    CKA_PRIME_BITS: Ulong,
    CKA_SUB_PRIME_BITS: Ulong,
    CKA_VALUE_BITS: Ulong,
    CKA_VALUE_LEN: Ulong,
    CKA_EXTRACTABLE: Bool | MODIFIABLE | TO_FALSE_ONLY,
    CKA_LOCAL: Bool | TOKEN_SET,
    CKA_NEVER_EXTRACTABLE: Bool | TOKEN_SET,
    CKA_ALWAYS_SENSITIVE: Bool | TOKEN_SET,
    CKA_KEY_GEN_MECHANISM: Ulong | TOKEN_SET,
    CKA_MODIFIABLE: Bool | COPY_CHANGEABLE,
    CKA_COPYABLE: Bool | COPY_CHANGEABLE | TO_FALSE_ONLY,
    CKA_DESTROYABLE: Bool | COPY_CHANGEABLE,
    CKA_EC_PARAMS: Bytes,
    CKA_EC_POINT: Bytes,
    CKA_ALWAYS_AUTHENTICATE: Bool,
    CKA_WRAP_WITH_TRUSTED: Bool | MODIFIABLE | TO_TRUE_ONLY,
    CKA_WRAP_TEMPLATE: AttrArray,
    CKA_UNWRAP_TEMPLATE: AttrArray,
    CKA_DERIVE_TEMPLATE: AttrArray,
    CKA_ALLOWED_MECHANISMS: MechList,
    CKA_SOFTHSM_STATE: Ulong | MANAGED,
    CKA_SOFTHSM_ACTIVATION_DATE: Ulong | MANAGED,
    CKA_SOFTHSM_DEACTIVATION_DATE: Ulong | MANAGED,
    CKA_SOFTHSM_KMIP_ATTRIBUTES: Bytes | MANAGED,
}

/// The definition of attribute `ty`, if the token knows it.
pub fn def(ty: AttrType) -> Option<&'static AttrDef> {
    ATTRIBUTES
        .binary_search_by_key(&ty, |d| d.ty)
        .ok()
        .map(|i| &ATTRIBUTES[i])
}

/// The printable name of an attribute type, for logs.
pub fn name(ty: AttrType) -> String {
    match def(ty) {
        Some(d) => d.name.to_string(),
        None => format!("0x{ty:08X}"),
    }
}

/// What an attribute holds when the caller does not give it.
#[derive(Debug, Clone, Copy)]
pub enum DefaultValue {
    /// No default: absent unless given (or required).
    None,
    Empty,
    Bool(bool),
    Ulong(u64),
    /// Filled in by the token (generated flags, computed lengths).
    Computed,
}

/// Must be given with `C_CreateObject`.
pub const REQ_CREATE: u8 = 1 << 0;
/// Must not be given with `C_CreateObject` (the token computes it).
pub const NO_CREATE: u8 = 1 << 1;
/// Must be given when generated (`C_GenerateKey`, `C_GenerateKeyPair`).
pub const REQ_GEN: u8 = 1 << 2;
/// Must not be given when generated.
pub const NO_GEN: u8 = 1 << 3;
/// Must not be given when unwrapped or derived (the value comes from the operation).
pub const NO_UNWRAP: u8 = 1 << 4;

/// One attribute as it applies to one class of object.
#[derive(Debug)]
pub struct Member {
    pub ty: AttrType,
    pub default: DefaultValue,
    pub rules: u8,
}

const fn m(ty: AttrType, default: DefaultValue, rules: u8) -> Member {
    Member { ty, default, rules }
}

use DefaultValue as D;

static STORAGE: &[Member] = &[
    m(ck::CKA_CLASS, D::None, 0),
    m(ck::CKA_TOKEN, D::Bool(false), 0),
    m(ck::CKA_MODIFIABLE, D::Bool(true), 0),
    m(ck::CKA_LABEL, D::Empty, 0),
    m(ck::CKA_COPYABLE, D::Bool(true), 0),
    m(ck::CKA_DESTROYABLE, D::Bool(true), 0),
    m(ck::CKA_UNIQUE_ID, D::Computed, 0),
    m(CKA_SOFTHSM_STATE, D::None, 0),
    m(CKA_SOFTHSM_ACTIVATION_DATE, D::None, 0),
    m(CKA_SOFTHSM_DEACTIVATION_DATE, D::None, 0),
    m(CKA_SOFTHSM_KMIP_ATTRIBUTES, D::None, 0),
];

static DATA: &[Member] = &[
    m(ck::CKA_PRIVATE, D::Bool(true), 0),
    m(ck::CKA_APPLICATION, D::Empty, 0),
    m(ck::CKA_OBJECT_ID, D::Empty, 0),
    m(ck::CKA_VALUE, D::Empty, 0),
];

static CERTIFICATE: &[Member] = &[
    m(ck::CKA_PRIVATE, D::Bool(false), 0),
    m(ck::CKA_CERTIFICATE_TYPE, D::None, REQ_CREATE),
    m(ck::CKA_TRUSTED, D::Bool(false), 0),
    m(ck::CKA_CERTIFICATE_CATEGORY, D::Ulong(0), 0),
    m(ck::CKA_CHECK_VALUE, D::Computed, 0),
    m(ck::CKA_START_DATE, D::Empty, 0),
    m(ck::CKA_END_DATE, D::Empty, 0),
    m(ck::CKA_PUBLIC_KEY_INFO, D::Empty, 0),
];

static X509: &[Member] = &[
    m(ck::CKA_SUBJECT, D::None, REQ_CREATE),
    m(ck::CKA_ID, D::Empty, 0),
    m(ck::CKA_ISSUER, D::Empty, 0),
    m(ck::CKA_SERIAL_NUMBER, D::Empty, 0),
    m(ck::CKA_VALUE, D::None, REQ_CREATE),
    m(ck::CKA_URL, D::Empty, 0),
    m(ck::CKA_HASH_OF_SUBJECT_PUBLIC_KEY, D::Empty, 0),
    m(ck::CKA_HASH_OF_ISSUER_PUBLIC_KEY, D::Empty, 0),
    m(ck::CKA_JAVA_MIDP_SECURITY_DOMAIN, D::Ulong(0), 0),
    m(ck::CKA_NAME_HASH_ALGORITHM, D::Ulong(ck::CKM_SHA_1), 0),
];

static KEY: &[Member] = &[
    m(ck::CKA_KEY_TYPE, D::None, REQ_CREATE),
    m(ck::CKA_ID, D::Empty, 0),
    m(ck::CKA_START_DATE, D::Empty, 0),
    m(ck::CKA_END_DATE, D::Empty, 0),
    m(ck::CKA_DERIVE, D::Bool(false), 0),
    m(ck::CKA_LOCAL, D::Computed, 0),
    m(ck::CKA_KEY_GEN_MECHANISM, D::Computed, 0),
    m(ck::CKA_ALLOWED_MECHANISMS, D::Empty, 0),
];

static PUBLIC_KEY: &[Member] = &[
    m(ck::CKA_PRIVATE, D::Bool(false), 0),
    m(ck::CKA_SUBJECT, D::Empty, 0),
    m(ck::CKA_ENCRYPT, D::Bool(true), 0),
    m(ck::CKA_VERIFY, D::Bool(true), 0),
    m(ck::CKA_VERIFY_RECOVER, D::Bool(false), 0),
    m(ck::CKA_WRAP, D::Bool(true), 0),
    m(ck::CKA_TRUSTED, D::Bool(false), 0),
    m(ck::CKA_PUBLIC_KEY_INFO, D::Empty, 0),
    m(ck::CKA_WRAP_TEMPLATE, D::Empty, 0),
];

static PRIVATE_KEY: &[Member] = &[
    m(ck::CKA_PRIVATE, D::Bool(true), 0),
    m(ck::CKA_SUBJECT, D::Empty, 0),
    m(ck::CKA_SENSITIVE, D::Bool(true), 0),
    m(ck::CKA_DECRYPT, D::Bool(true), 0),
    m(ck::CKA_SIGN, D::Bool(true), 0),
    m(ck::CKA_SIGN_RECOVER, D::Bool(false), 0),
    m(ck::CKA_UNWRAP, D::Bool(true), 0),
    m(ck::CKA_EXTRACTABLE, D::Bool(true), 0),
    m(ck::CKA_ALWAYS_SENSITIVE, D::Computed, 0),
    m(ck::CKA_NEVER_EXTRACTABLE, D::Computed, 0),
    m(ck::CKA_WRAP_WITH_TRUSTED, D::Bool(false), 0),
    m(ck::CKA_ALWAYS_AUTHENTICATE, D::Bool(false), 0),
    m(ck::CKA_PUBLIC_KEY_INFO, D::Empty, 0),
    m(ck::CKA_UNWRAP_TEMPLATE, D::Empty, 0),
    m(ck::CKA_DERIVE_TEMPLATE, D::Empty, 0),
];

static SECRET_KEY: &[Member] = &[
    m(ck::CKA_PRIVATE, D::Bool(true), 0),
    m(ck::CKA_SENSITIVE, D::Bool(true), 0),
    m(ck::CKA_ENCRYPT, D::Bool(true), 0),
    m(ck::CKA_DECRYPT, D::Bool(true), 0),
    m(ck::CKA_SIGN, D::Bool(true), 0),
    m(ck::CKA_VERIFY, D::Bool(true), 0),
    m(ck::CKA_WRAP, D::Bool(true), 0),
    m(ck::CKA_UNWRAP, D::Bool(true), 0),
    m(ck::CKA_EXTRACTABLE, D::Bool(true), 0),
    m(ck::CKA_ALWAYS_SENSITIVE, D::Computed, 0),
    m(ck::CKA_NEVER_EXTRACTABLE, D::Computed, 0),
    m(ck::CKA_CHECK_VALUE, D::Computed, 0),
    m(ck::CKA_WRAP_WITH_TRUSTED, D::Bool(false), 0),
    m(ck::CKA_TRUSTED, D::Bool(false), 0),
    m(ck::CKA_WRAP_TEMPLATE, D::Empty, 0),
    m(ck::CKA_UNWRAP_TEMPLATE, D::Empty, 0),
    m(ck::CKA_DERIVE_TEMPLATE, D::Empty, 0),
];

static RSA_PUBLIC: &[Member] = &[
    m(ck::CKA_MODULUS, D::None, REQ_CREATE | NO_GEN),
    m(ck::CKA_MODULUS_BITS, D::Computed, REQ_GEN | NO_CREATE),
    m(ck::CKA_PUBLIC_EXPONENT, D::None, REQ_CREATE),
];

static RSA_PRIVATE: &[Member] = &[
    m(ck::CKA_MODULUS, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
    m(ck::CKA_PUBLIC_EXPONENT, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
    m(ck::CKA_PRIVATE_EXPONENT, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
    m(ck::CKA_PRIME_1, D::None, NO_GEN | NO_UNWRAP),
    m(ck::CKA_PRIME_2, D::None, NO_GEN | NO_UNWRAP),
    m(ck::CKA_EXPONENT_1, D::None, NO_GEN | NO_UNWRAP),
    m(ck::CKA_EXPONENT_2, D::None, NO_GEN | NO_UNWRAP),
    m(ck::CKA_COEFFICIENT, D::None, NO_GEN | NO_UNWRAP),
];

static EC_PUBLIC: &[Member] = &[
    m(ck::CKA_EC_PARAMS, D::None, REQ_CREATE | REQ_GEN),
    m(ck::CKA_EC_POINT, D::None, REQ_CREATE | NO_GEN),
];

static EC_PRIVATE: &[Member] = &[
    m(ck::CKA_EC_PARAMS, D::None, REQ_CREATE | NO_UNWRAP),
    m(ck::CKA_VALUE, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
];

static DSA_PUBLIC: &[Member] = &[
    m(ck::CKA_PRIME, D::None, REQ_CREATE | REQ_GEN),
    m(ck::CKA_SUBPRIME, D::None, REQ_CREATE | REQ_GEN),
    m(ck::CKA_BASE, D::None, REQ_CREATE | REQ_GEN),
    m(ck::CKA_VALUE, D::None, REQ_CREATE | NO_GEN),
];

static DSA_PRIVATE: &[Member] = &[
    m(ck::CKA_PRIME, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
    m(ck::CKA_SUBPRIME, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
    m(ck::CKA_BASE, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
    m(ck::CKA_VALUE, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
];

static DH_PUBLIC: &[Member] = &[
    m(ck::CKA_PRIME, D::None, REQ_CREATE | REQ_GEN),
    m(ck::CKA_BASE, D::None, REQ_CREATE | REQ_GEN),
    m(ck::CKA_VALUE, D::None, REQ_CREATE | NO_GEN),
];

static DH_PRIVATE: &[Member] = &[
    m(ck::CKA_PRIME, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
    m(ck::CKA_BASE, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
    m(ck::CKA_VALUE, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
    m(ck::CKA_VALUE_BITS, D::Computed, NO_CREATE),
];

static DOMAIN: &[Member] = &[
    m(ck::CKA_PRIVATE, D::Bool(false), 0),
    m(ck::CKA_KEY_TYPE, D::None, REQ_CREATE),
    m(ck::CKA_LOCAL, D::Computed, 0),
];

static DSA_DOMAIN: &[Member] = &[
    m(ck::CKA_PRIME, D::None, REQ_CREATE | NO_GEN),
    m(ck::CKA_SUBPRIME, D::None, REQ_CREATE | NO_GEN),
    m(ck::CKA_BASE, D::None, REQ_CREATE | NO_GEN),
    m(ck::CKA_PRIME_BITS, D::Computed, REQ_GEN | NO_CREATE),
];

static DH_DOMAIN: &[Member] = &[
    m(ck::CKA_PRIME, D::None, REQ_CREATE | NO_GEN),
    m(ck::CKA_BASE, D::None, REQ_CREATE | NO_GEN),
    m(ck::CKA_PRIME_BITS, D::Computed, REQ_GEN | NO_CREATE),
];

static SECRET_VALUE: &[Member] = &[
    m(ck::CKA_VALUE, D::None, REQ_CREATE | NO_GEN | NO_UNWRAP),
    m(ck::CKA_VALUE_LEN, D::Computed, NO_CREATE),
];

/// The attribute groups that apply to an object of `class` (and `key_type` for keys, and
/// `cert_type` for certificates). `None` when the class or type is not supported.
pub fn schema(class: u64, key_type: Option<u64>, cert_type: Option<u64>) -> Option<Vec<&'static [Member]>> {
    let mut groups: Vec<&'static [Member]> = vec![STORAGE];
    match class {
        ck::CKO_DATA => groups.push(DATA),
        ck::CKO_DOMAIN_PARAMETERS => {
            groups.push(DOMAIN);
            match key_type? {
                ck::CKK_DSA => groups.push(DSA_DOMAIN),
                ck::CKK_DH => groups.push(DH_DOMAIN),
                _ => return None,
            }
        }
        ck::CKO_CERTIFICATE => {
            groups.push(CERTIFICATE);
            match cert_type? {
                ck::CKC_X_509 => groups.push(X509),
                _ => return None,
            }
        }
        ck::CKO_PUBLIC_KEY | ck::CKO_PRIVATE_KEY | ck::CKO_SECRET_KEY => {
            groups.push(KEY);
            let public = class == ck::CKO_PUBLIC_KEY;
            match class {
                ck::CKO_PUBLIC_KEY => groups.push(PUBLIC_KEY),
                ck::CKO_PRIVATE_KEY => groups.push(PRIVATE_KEY),
                _ => groups.push(SECRET_KEY),
            }
            match (class, key_type?) {
                (ck::CKO_SECRET_KEY, kt) if is_secret_key_type(kt) => groups.push(SECRET_VALUE),
                (ck::CKO_SECRET_KEY, _) => return None,
                (_, ck::CKK_RSA) => groups.push(if public { RSA_PUBLIC } else { RSA_PRIVATE }),
                (_, ck::CKK_DSA) => groups.push(if public { DSA_PUBLIC } else { DSA_PRIVATE }),
                (_, ck::CKK_DH) => groups.push(if public { DH_PUBLIC } else { DH_PRIVATE }),
                (_, ck::CKK_EC) | (_, ck::CKK_EC_EDWARDS) | (_, ck::CKK_EC_MONTGOMERY) => {
                    groups.push(if public { EC_PUBLIC } else { EC_PRIVATE })
                }
                _ => return None,
            }
        }
        _ => return None,
    }
    Some(groups)
}

/// Every secret key type the token stores, in three nested groups: the HMAC-capable types
/// (generic secret first: the default), then `CKK_HKDF`, then `CKK_AES`.
pub const SECRET_KEY_TYPES: &[u64] = &[
    ck::CKK_GENERIC_SECRET,
    ck::CKK_SHA_1_HMAC,
    ck::CKK_SHA224_HMAC,
    ck::CKK_SHA256_HMAC,
    ck::CKK_SHA384_HMAC,
    ck::CKK_SHA512_HMAC,
    ck::CKK_MD5_HMAC,
    ck::CKK_SHA3_224_HMAC,
    ck::CKK_SHA3_256_HMAC,
    ck::CKK_SHA3_384_HMAC,
    ck::CKK_SHA3_512_HMAC,
    ck::CKK_HKDF,
    ck::CKK_AES,
];

/// Key types an HMAC mechanism accepts (generic secrets and the HMAC key types).
pub const HMAC_KEY_TYPES: &[u64] = SECRET_KEY_TYPES.split_at(SECRET_KEY_TYPES.len() - 2).0;

/// Key types a generic secret mechanism (`CKM_GENERIC_SECRET_KEY_GEN`, derivations) makes:
/// all but AES.
pub const GENERIC_KEY_TYPES: &[u64] = SECRET_KEY_TYPES.split_at(SECRET_KEY_TYPES.len() - 1).0;

/// Secret key types the token stores.
pub fn is_secret_key_type(kt: u64) -> bool {
    SECRET_KEY_TYPES.contains(&kt)
}

/// A caller's template as a face hands it to the core (the C ABI's copy of a `CK_ATTRIBUTE`
/// array, the KMIP server's translation of a request). Its values are wiped when it is
/// dropped, since they may be key material.
#[derive(Default)]
pub struct RawTemplate(pub Vec<(AttrType, Vec<u8>)>);

impl std::ops::Deref for RawTemplate {
    type Target = Vec<(AttrType, Vec<u8>)>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for RawTemplate {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// Types and value lengths only: values may be key material.
impl std::fmt::Debug for RawTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .iter()
                    .map(|(t, v)| format!("{}: <{} bytes>", name(*t), v.len())),
            )
            .finish()
    }
}

impl Drop for RawTemplate {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.0.iter_mut().for_each(|(_, v)| v.zeroize());
    }
}

/// Encodes a boolean attribute value.
pub fn enc_bool(v: bool) -> Vec<u8> {
    vec![u8::from(v)]
}

/// Encodes a `CK_ULONG` attribute value.
pub fn enc_ulong(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// Decodes a `CK_ULONG` attribute value in the core's encoding.
pub fn dec_ulong(v: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(v.try_into().ok()?))
}

/// Encodes an attribute array from (type, value) pairs already in the core encoding.
pub fn enc_array(entries: &[(AttrType, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (ty, v) in entries {
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        out.extend_from_slice(v);
    }
    out
}

/// Decodes an attribute array; `None` if the encoding is broken.
pub fn dec_array(mut v: &[u8]) -> Option<Vec<(AttrType, Vec<u8>)>> {
    let mut out = Vec::new();
    while !v.is_empty() {
        if v.len() < 12 {
            return None;
        }
        let ty = u64::from_le_bytes(v[..8].try_into().ok()?);
        let len = u32::from_le_bytes(v[8..12].try_into().ok()?) as usize;
        v = &v[12..];
        if len > v.len() {
            return None;
        }
        out.push((ty, v[..len].to_vec()));
        v = &v[len..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_arrays_round_trip_and_reject_truncation() {
        let e = vec![(ck::CKA_EXTRACTABLE, vec![1]), (ck::CKA_LABEL, b"x".to_vec())];
        let enc = enc_array(&e);
        assert_eq!(dec_array(&enc), Some(e));
        assert_eq!(dec_array(&enc[..enc.len() - 1]), None);
        assert_eq!(dec_array(&[]), Some(vec![]));
    }

    #[test]
    fn table_is_sorted_without_duplicates() {
        for w in ATTRIBUTES.windows(2) {
            assert!(w[0].ty < w[1].ty, "{} before {}", w[0].name, w[1].name);
        }
    }

    #[test]
    fn every_schema_member_is_defined_once_per_class() {
        let classes = [
            (ck::CKO_DATA, None, None),
            (ck::CKO_CERTIFICATE, None, Some(ck::CKC_X_509)),
            (ck::CKO_PUBLIC_KEY, Some(ck::CKK_RSA), None),
            (ck::CKO_PRIVATE_KEY, Some(ck::CKK_RSA), None),
            (ck::CKO_PUBLIC_KEY, Some(ck::CKK_EC), None),
            (ck::CKO_PRIVATE_KEY, Some(ck::CKK_EC), None),
            (ck::CKO_SECRET_KEY, Some(ck::CKK_AES), None),
        ];
        for (c, k, t) in classes {
            let groups = schema(c, k, t).expect("supported class");
            let mut seen = std::collections::BTreeSet::new();
            for mem in groups.iter().flat_map(|g| g.iter()) {
                assert!(def(mem.ty).is_some(), "{} undefined", name(mem.ty));
                assert!(seen.insert(mem.ty), "{} twice in class {c}", name(mem.ty));
            }
            assert!(seen.contains(&ck::CKA_LABEL) && seen.contains(&ck::CKA_PRIVATE));
        }
    }

    #[test]
    fn secret_key_type_groups_nest_as_documented() {
        assert_eq!(HMAC_KEY_TYPES.first(), Some(&ck::CKK_GENERIC_SECRET));
        assert_eq!(HMAC_KEY_TYPES.last(), Some(&ck::CKK_SHA3_512_HMAC));
        assert_eq!(GENERIC_KEY_TYPES.last(), Some(&ck::CKK_HKDF));
        assert_eq!(SECRET_KEY_TYPES.last(), Some(&ck::CKK_AES));
        assert!(!is_secret_key_type(ck::CKK_RSA));
    }

    #[test]
    fn unsupported_classes_have_no_schema() {
        assert!(schema(ck::CKO_SECRET_KEY, Some(ck::CKK_RSA), None).is_none());
        assert!(schema(ck::CKO_CERTIFICATE, None, Some(ck::CKC_WTLS)).is_none());
        assert!(schema(0xFFFF, None, None).is_none());
    }
}
