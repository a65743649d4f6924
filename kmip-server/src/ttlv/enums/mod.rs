//! KMIP enumerations (KMIP 1.4 §9.1.3.2, 2.1 §11) and bit masks (1.4 §9.1.3.3, 2.1 §12) as
//! open newtypes: `ObjectType(pub u32)` with named constants, so a value this table does not
//! know decodes, travels and re-encodes unchanged (the rustls wire-enum pattern).
//!
//! Each enumeration is one table block `CONST = number, "XmlName";`; the same rows give the
//! constants, [`name`](ObjectType::name) / [`from_name`](ObjectType::from_name) and the
//! tag → enumeration table [`ENUM_TAGS`] that the XML and JSON codecs read. Value names are the
//! KMIP XML encoding's (the spec's text in CamelCase, `-`/`.`/`#` between digits or acronyms
//! written `_`: `SHA-256` → `SHA_256`, `Pre-Active` → `PreActive`, `PKCS#1` → `PKCS_1`,
//! `3DES` → `DES3`); every name the OASIS vectors use is checked against them by a test.

use super::Tag;

/// The name of `v` in `values`.
pub(crate) fn value_name(values: &'static [(u32, &'static str)], v: u32) -> Option<&'static str> {
    values.iter().find(|&&(n, _)| n == v).map(|&(_, s)| s)
}

/// The number named `name` in `values`.
pub(crate) fn value_by_name(values: &[(u32, &str)], name: &str) -> Option<u32> {
    values.iter().find(|&&(_, s)| s == name).map(|&(n, _)| n)
}

macro_rules! kmip_enums {
    ($($(#[$meta:meta])* $ty:ident { $($konst:ident = $num:literal, $xml:literal;)* })*) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(pub u32);

        impl $ty {
            $(
                #[doc = concat!("`", $xml, "`")]
                pub const $konst: $ty = $ty($num);
            )*

            /// Every named value as `(number, XML name)`.
            pub const VALUES: &'static [(u32, &'static str)] = &[$(($num, $xml)),*];

            /// The XML name of this value, `None` if the table does not know it.
            pub fn name(self) -> Option<&'static str> {
                $crate::ttlv::enums::value_name(Self::VALUES, self.0)
            }

            /// The value with XML name `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                $crate::ttlv::enums::value_by_name(Self::VALUES, name).map(Self)
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}::{}", stringify!($ty), n),
                    None => write!(f, "{}(0x{:08X})", stringify!($ty), self.0),
                }
            }
        }

        impl From<$ty> for u32 {
            fn from(v: $ty) -> u32 {
                v.0
            }
        }
    )*};
}

/// Bit masks carried as Integer: the same table shape plus bit operations.
macro_rules! kmip_masks {
    ($($(#[$meta:meta])* $ty:ident { $($konst:ident = $num:literal, $xml:literal;)* })*) => {
        kmip_enums! { $($(#[$meta])* $ty { $($konst = $num, $xml;)* })* }
        $(
            impl $ty {
                /// The wire form (a TTLV Integer).
                pub fn bits(self) -> i32 {
                    self.0 as i32
                }

                /// The mask read from a TTLV Integer.
                pub fn from_bits(bits: i32) -> Self {
                    Self(bits as u32)
                }

                /// Whether every bit of `other` is set in `self`.
                pub fn contains(self, other: Self) -> bool {
                    self.0 & other.0 == other.0
                }
            }

            impl std::ops::BitOr for $ty {
                type Output = $ty;
                fn bitor(self, rhs: $ty) -> $ty {
                    $ty(self.0 | rhs.0)
                }
            }

            impl std::ops::BitOrAssign for $ty {
                fn bitor_assign(&mut self, rhs: $ty) {
                    self.0 |= rhs.0;
                }
            }
        )*
    };
}

macro_rules! tag_values {
    ($name:ident: $($tag:ident => $ty:ident,)*) => {
        pub(crate) const $name: &[(Tag, &[(u32, &str)])] = &[$((Tag::$tag, $ty::VALUES)),*];
    };
}

mod long_lists;
mod values;

pub use long_lists::*;
pub use values::*;

kmip_masks! {
    /// Mask CryptographicUsageMask: KMIP 1.4 §9.1.3.3.1, 2.1 §12.
    /// Used by: `CryptographicUsageMask`.
    CryptographicUsageMask {
        SIGN = 0x00000001, "Sign";
        VERIFY = 0x00000002, "Verify";
        ENCRYPT = 0x00000004, "Encrypt";
        DECRYPT = 0x00000008, "Decrypt";
        WRAP_KEY = 0x00000010, "WrapKey";
        UNWRAP_KEY = 0x00000020, "UnwrapKey";
        EXPORT = 0x00000040, "Export";
        MAC_GENERATE = 0x00000080, "MACGenerate";
        MAC_VERIFY = 0x00000100, "MACVerify";
        DERIVE_KEY = 0x00000200, "DeriveKey";
        CONTENT_COMMITMENT = 0x00000400, "ContentCommitment";
        KEY_AGREEMENT = 0x00000800, "KeyAgreement";
        CERTIFICATE_SIGN = 0x00001000, "CertificateSign";
        CRL_SIGN = 0x00002000, "CRLSign";
        GENERATE_CRYPTOGRAM = 0x00004000, "GenerateCryptogram";
        VALIDATE_CRYPTOGRAM = 0x00008000, "ValidateCryptogram";
        TRANSLATE_ENCRYPT = 0x00010000, "TranslateEncrypt";
        TRANSLATE_DECRYPT = 0x00020000, "TranslateDecrypt";
        TRANSLATE_WRAP = 0x00040000, "TranslateWrap";
        TRANSLATE_UNWRAP = 0x00080000, "TranslateUnwrap";
        AUTHENTICATE = 0x00100000, "Authenticate";
        UNRESTRICTED = 0x00200000, "Unrestricted";
        FPE_ENCRYPT = 0x00400000, "FPEEncrypt";
        FPE_DECRYPT = 0x00800000, "FPEDecrypt";
    }
    /// Mask StorageStatusMask: KMIP 1.4 §9.1.3.3.2, 2.1 §12.
    /// Used by: `StorageStatusMask`.
    StorageStatusMask {
        ON_LINE_STORAGE = 0x00000001, "OnLineStorage";
        ARCHIVAL_STORAGE = 0x00000002, "ArchivalStorage";
        DESTROYED_STORAGE = 0x00000004, "DestroyedStorage";
    }
    /// Mask ProtectionStorageMask: KMIP 2.1 §12.
    /// Used by: `ProtectionStorageMask`.
    ProtectionStorageMask {
        SOFTWARE = 0x00000001, "Software";
        HARDWARE = 0x00000002, "Hardware";
        ON_PROCESSOR = 0x00000004, "OnProcessor";
        ON_SYSTEM = 0x00000008, "OnSystem";
        OFF_SYSTEM = 0x00000010, "OffSystem";
        HYPERVISOR = 0x00000020, "Hypervisor";
        OPERATING_SYSTEM = 0x00000040, "OperatingSystem";
        CONTAINER = 0x00000080, "Container";
        ON_PREMISES = 0x00000100, "OnPremises";
        OFF_PREMISES = 0x00000200, "OffPremises";
        SELF_MANAGED = 0x00000400, "SelfManaged";
        OUTSOURCED = 0x00000800, "Outsourced";
        VALIDATED = 0x00001000, "Validated";
        SAME_JURISDICTION = 0x00002000, "SameJurisdiction";
    }
}

// Which enumeration each tag's Enumeration values come from, sorted by tag. `AttributeReference`
// and `Tag` use the tag table itself (KMIP 2.1 §11, Tag enumeration) and are not listed.
tag_values! {
    ENUM_TAGS:
    ASYNCHRONOUS_INDICATOR => AsynchronousIndicator,
    BATCH_ERROR_CONTINUATION_OPTION => BatchErrorContinuationOption,
    BLOCK_CIPHER_MODE => BlockCipherMode,
    CANCELLATION_RESULT => CancellationResult,
    CERTIFICATE_REQUEST_TYPE => CertificateRequestType,
    CERTIFICATE_TYPE => CertificateType,
    CREDENTIAL_TYPE => CredentialType,
    CRYPTOGRAPHIC_ALGORITHM => CryptographicAlgorithm,
    DERIVATION_METHOD => DerivationMethod,
    HASHING_ALGORITHM => HashingAlgorithm,
    KEY_COMPRESSION_TYPE => KeyCompressionType,
    KEY_FORMAT_TYPE => KeyFormatType,
    LINK_TYPE => LinkType,
    NAME_TYPE => NameType,
    OBJECT_TYPE => ObjectType,
    OPAQUE_DATA_TYPE => OpaqueDataType,
    OPERATION => Operation,
    PADDING_METHOD => PaddingMethod,
    PRIVATE_KEY_UNIQUE_IDENTIFIER => UniqueIdentifier,
    PUBLIC_KEY_UNIQUE_IDENTIFIER => UniqueIdentifier,
    PUT_FUNCTION => PutFunction,
    QUERY_FUNCTION => QueryFunction,
    RECOMMENDED_CURVE => RecommendedCurve,
    RESULT_REASON => ResultReason,
    RESULT_STATUS => ResultStatus,
    REVOCATION_REASON_CODE => RevocationReasonCode,
    KEY_ROLE_TYPE => KeyRoleType,
    SECRET_DATA_TYPE => SecretDataType,
    SPLIT_KEY_METHOD => SplitKeyMethod,
    STATE => State,
    UNIQUE_IDENTIFIER => UniqueIdentifier,
    USAGE_LIMITS_UNIT => UsageLimitsUnit,
    VALIDITY_INDICATOR => ValidityIndicator,
    WRAPPING_METHOD => WrappingMethod,
    ENCODING_OPTION => EncodingOption,
    EXTENSION_TYPE => ItemType,
    OBJECT_GROUP_MEMBER => ObjectGroupMember,
    DIGITAL_SIGNATURE_ALGORITHM => DigitalSignatureAlgorithm,
    KEY_VALUE_LOCATION_TYPE => KeyValueLocationType,
    ALTERNATIVE_NAME_TYPE => AlternativeNameType,
    ATTESTATION_TYPE => AttestationType,
    RNG_ALGORITHM => RNGAlgorithm,
    DRBG_ALGORITHM => DRBGAlgorithm,
    FIPS186_VARIATION => FIPS186Variation,
    VALIDATION_AUTHORITY_TYPE => ValidationAuthorityType,
    VALIDATION_TYPE => ValidationType,
    PROFILE_NAME => ProfileName,
    UNWRAP_MODE => UnwrapMode,
    DESTROY_ACTION => DestroyAction,
    SHREDDING_ALGORITHM => ShreddingAlgorithm,
    RNG_MODE => RNGMode,
    CLIENT_REGISTRATION_METHOD => ClientRegistrationMethod,
    KEY_WRAP_TYPE => KeyWrapType,
    MASK_GENERATOR => MaskGenerator,
    MASK_GENERATOR_HASHING_ALGORITHM => HashingAlgorithm,
    NIST_KEY_TYPE => NISTKeyType,
    PROTECTION_LEVEL => ProtectionLevel,
    TICKET_TYPE => TicketType,
    ENDPOINT_ROLE => EndpointRole,
    ADJUSTMENT_TYPE => AdjustmentType,
    PKCS_11_FUNCTION => PKCS11Function,
    PKCS_11_RETURN_CODE => PKCS11ReturnCode,
    INTEROP_FUNCTION => InteropFunction,
    PROCESSING_STAGE => ProcessingStage,
}

// Which mask each Integer tag's bits come from, sorted by tag.
tag_values! {
    MASK_TAGS:
    CRYPTOGRAPHIC_USAGE_MASK => CryptographicUsageMask,
    STORAGE_STATUS_MASK => StorageStatusMask,
    PROTECTION_STORAGE_MASK => ProtectionStorageMask,
}
