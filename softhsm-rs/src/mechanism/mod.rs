//! The mechanism table and mechanism parameters.
//!
//! One sorted table says which mechanisms the token offers, for which functions and key sizes.
//! `C_GetMechanismList` and `C_GetMechanismInfo` read it, every operation checks it before it
//! starts, and the coverage test compares it with `docs/coverage.md`.

pub mod ops;

use crate::error::{Error, Result};
use cryptoki_sys as ck;

/// One mechanism the token offers.
#[derive(Debug)]
pub struct MechDef {
    pub mech: u64,
    pub name: &'static str,
    /// Minimum and maximum key size, in the unit PKCS#11 uses for the key type (bits for RSA
    /// and EC, bytes for AES and generic secrets).
    pub min: u64,
    pub max: u64,
    /// `CKF_*` function flags.
    pub flags: u64,
}

const ENC: u64 = ck::CKF_ENCRYPT | ck::CKF_DECRYPT;
const SIG: u64 = ck::CKF_SIGN | ck::CKF_VERIFY;
const WRAP: u64 = ck::CKF_WRAP | ck::CKF_UNWRAP;
const EC: u64 = ck::CKF_EC_F_P | ck::CKF_EC_OID | ck::CKF_EC_UNCOMPRESS;

macro_rules! mechs {
    ($( $c:ident, $min:expr, $max:expr, $flags:expr; )*) => {
        /// Every mechanism the token offers, sorted by mechanism type.
        pub static MECHANISMS: &[MechDef] = &[
            $( MechDef { mech: ck::$c, name: stringify!($c), min: $min, max: $max, flags: $flags } ),*
        ];
    };
}

const RSA_MIN: u64 = 2048;
const RSA_MAX: u64 = 8192;

mechs! {
    CKM_RSA_PKCS_KEY_PAIR_GEN, RSA_MIN, RSA_MAX, ck::CKF_GENERATE_KEY_PAIR;
    CKM_RSA_PKCS, RSA_MIN, RSA_MAX, ENC | SIG | WRAP;
    CKM_RSA_X_509, RSA_MIN, RSA_MAX, ENC | SIG | WRAP;
    CKM_MD5_RSA_PKCS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA1_RSA_PKCS, RSA_MIN, RSA_MAX, SIG;
    CKM_RSA_PKCS_OAEP, RSA_MIN, RSA_MAX, ENC | WRAP;
    CKM_RSA_PKCS_PSS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA1_RSA_PKCS_PSS, RSA_MIN, RSA_MAX, SIG;
    CKM_DSA_KEY_PAIR_GEN, 1024, 3072, ck::CKF_GENERATE_KEY_PAIR;
    CKM_DSA, 1024, 3072, SIG;
    CKM_DSA_SHA1, 1024, 3072, SIG;
    CKM_DSA_SHA224, 1024, 3072, SIG;
    CKM_DSA_SHA256, 1024, 3072, SIG;
    CKM_DSA_SHA384, 1024, 3072, SIG;
    CKM_DSA_SHA512, 1024, 3072, SIG;
    CKM_DH_PKCS_KEY_PAIR_GEN, 1024, 4096, ck::CKF_GENERATE_KEY_PAIR;
    CKM_DH_PKCS_DERIVE, 1024, 4096, ck::CKF_DERIVE;
    CKM_SHA256_RSA_PKCS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA384_RSA_PKCS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA512_RSA_PKCS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA256_RSA_PKCS_PSS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA384_RSA_PKCS_PSS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA512_RSA_PKCS_PSS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA224_RSA_PKCS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA224_RSA_PKCS_PSS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA3_256_RSA_PKCS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA3_384_RSA_PKCS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA3_512_RSA_PKCS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA3_256_RSA_PKCS_PSS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA3_384_RSA_PKCS_PSS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA3_512_RSA_PKCS_PSS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA3_224_RSA_PKCS, RSA_MIN, RSA_MAX, SIG;
    CKM_SHA3_224_RSA_PKCS_PSS, RSA_MIN, RSA_MAX, SIG;
    CKM_MD5, 0, 0, ck::CKF_DIGEST;
    CKM_MD5_HMAC, 1, 512, SIG;
    CKM_MD5_HMAC_GENERAL, 1, 512, SIG;
    CKM_SHA_1, 0, 0, ck::CKF_DIGEST;
    CKM_SHA_1_HMAC, 1, 512, SIG;
    CKM_SHA_1_HMAC_GENERAL, 1, 512, SIG;
    CKM_SHA256, 0, 0, ck::CKF_DIGEST;
    CKM_SHA256_HMAC, 1, 512, SIG;
    CKM_SHA256_HMAC_GENERAL, 1, 512, SIG;
    CKM_SHA224, 0, 0, ck::CKF_DIGEST;
    CKM_SHA224_HMAC, 1, 512, SIG;
    CKM_SHA224_HMAC_GENERAL, 1, 512, SIG;
    CKM_SHA384, 0, 0, ck::CKF_DIGEST;
    CKM_SHA384_HMAC, 1, 512, SIG;
    CKM_SHA384_HMAC_GENERAL, 1, 512, SIG;
    CKM_SHA512, 0, 0, ck::CKF_DIGEST;
    CKM_SHA512_HMAC, 1, 512, SIG;
    CKM_SHA512_HMAC_GENERAL, 1, 512, SIG;
    CKM_SHA3_256, 0, 0, ck::CKF_DIGEST;
    CKM_SHA3_256_HMAC, 1, 512, SIG;
    CKM_SHA3_256_HMAC_GENERAL, 1, 512, SIG;
    CKM_SHA3_224, 0, 0, ck::CKF_DIGEST;
    CKM_SHA3_224_HMAC, 1, 512, SIG;
    CKM_SHA3_224_HMAC_GENERAL, 1, 512, SIG;
    CKM_SHA3_384, 0, 0, ck::CKF_DIGEST;
    CKM_SHA3_384_HMAC, 1, 512, SIG;
    CKM_SHA3_384_HMAC_GENERAL, 1, 512, SIG;
    CKM_SHA3_512, 0, 0, ck::CKF_DIGEST;
    CKM_SHA3_512_HMAC, 1, 512, SIG;
    CKM_SHA3_512_HMAC_GENERAL, 1, 512, SIG;
    CKM_GENERIC_SECRET_KEY_GEN, 1, 512, ck::CKF_GENERATE;
    CKM_CONCATENATE_BASE_AND_KEY, 1, 512, ck::CKF_DERIVE;
    CKM_CONCATENATE_BASE_AND_DATA, 1, 512, ck::CKF_DERIVE;
    CKM_CONCATENATE_DATA_AND_BASE, 1, 512, ck::CKF_DERIVE;
    CKM_MD5_KEY_DERIVATION, 1, 512, ck::CKF_DERIVE;
    CKM_SHA1_KEY_DERIVATION, 1, 512, ck::CKF_DERIVE;
    CKM_SHA256_KEY_DERIVATION, 1, 512, ck::CKF_DERIVE;
    CKM_SHA384_KEY_DERIVATION, 1, 512, ck::CKF_DERIVE;
    CKM_SHA512_KEY_DERIVATION, 1, 512, ck::CKF_DERIVE;
    CKM_SHA224_KEY_DERIVATION, 1, 512, ck::CKF_DERIVE;
    CKM_SHA3_256_KEY_DERIVATION, 1, 512, ck::CKF_DERIVE;
    CKM_SHA3_224_KEY_DERIVATION, 1, 512, ck::CKF_DERIVE;
    CKM_SHA3_384_KEY_DERIVATION, 1, 512, ck::CKF_DERIVE;
    CKM_SHA3_512_KEY_DERIVATION, 1, 512, ck::CKF_DERIVE;
    CKM_SP800_108_COUNTER_KDF, 1, 512, ck::CKF_DERIVE;
    CKM_PKCS5_PBKD2, 1, 512, ck::CKF_GENERATE;
    CKM_EC_KEY_PAIR_GEN, 256, 521, ck::CKF_GENERATE_KEY_PAIR | EC;
    CKM_ECDSA, 256, 521, SIG | EC;
    CKM_ECDSA_SHA1, 256, 521, SIG | EC;
    CKM_ECDSA_SHA224, 256, 521, SIG | EC;
    CKM_ECDSA_SHA256, 256, 521, SIG | EC;
    CKM_ECDSA_SHA384, 256, 521, SIG | EC;
    CKM_ECDSA_SHA512, 256, 521, SIG | EC;
    CKM_ECDSA_SHA3_224, 256, 521, SIG | EC;
    CKM_ECDSA_SHA3_256, 256, 521, SIG | EC;
    CKM_ECDSA_SHA3_384, 256, 521, SIG | EC;
    CKM_ECDSA_SHA3_512, 256, 521, SIG | EC;
    CKM_ECDH1_DERIVE, 256, 521, ck::CKF_DERIVE | EC;
    CKM_EC_EDWARDS_KEY_PAIR_GEN, 255, 255, ck::CKF_GENERATE_KEY_PAIR;
    CKM_EC_MONTGOMERY_KEY_PAIR_GEN, 255, 255, ck::CKF_GENERATE_KEY_PAIR;
    CKM_EDDSA, 255, 255, SIG;
    CKM_AES_KEY_GEN, 16, 32, ck::CKF_GENERATE;
    CKM_AES_ECB, 16, 32, ENC | WRAP;
    CKM_AES_CBC, 16, 32, ENC | WRAP;
    CKM_AES_CBC_PAD, 16, 32, ENC | WRAP;
    CKM_AES_CTR, 16, 32, ENC;
    CKM_AES_GCM, 16, 32, ENC | WRAP;
    CKM_AES_CTS, 16, 32, ENC;
    CKM_AES_CMAC, 16, 32, SIG;
    CKM_AES_CMAC_GENERAL, 16, 32, SIG;
    CKM_AES_ECB_ENCRYPT_DATA, 16, 32, ck::CKF_DERIVE;
    CKM_AES_CBC_ENCRYPT_DATA, 16, 32, ck::CKF_DERIVE;
    CKM_DSA_PARAMETER_GEN, 1024, 3072, ck::CKF_GENERATE;
    CKM_DH_PKCS_PARAMETER_GEN, 1024, 2048, ck::CKF_GENERATE;
    CKM_AES_KEY_WRAP, 16, 32, ENC | WRAP;
    CKM_AES_KEY_WRAP_PAD, 16, 32, ENC | WRAP;
    CKM_AES_KEY_WRAP_KWP, 16, 32, ENC | WRAP;
    CKM_HKDF_DERIVE, 1, 512, ck::CKF_DERIVE;
    CKM_HKDF_DATA, 1, 512, ck::CKF_DERIVE;
    CKM_HKDF_KEY_GEN, 1, 512, ck::CKF_GENERATE;
}

/// The table row of `mech`, if the token offers it.
pub fn info(mech: u64) -> Option<&'static MechDef> {
    MECHANISMS
        .binary_search_by_key(&mech, |d| d.mech)
        .ok()
        .map(|i| &MECHANISMS[i])
}

/// Checks that `mech` is offered for a function with flag `flag` (`CKF_ENCRYPT`, ...).
pub fn require(mech: u64, flag: u64) -> Result<&'static MechDef> {
    match info(mech) {
        Some(d) if d.flags & flag != 0 => Ok(d),
        _ => {
            log::info!("mechanism 0x{mech:X} is not offered for function flag 0x{flag:X}");
            Err(Error::MechanismInvalid)
        }
    }
}

/// Mechanism parameters, read from the caller's structure by the PKCS#11 face (or built by the
/// KMIP face). Buffers are copies; the core never sees caller pointers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Param {
    #[default]
    None,
    /// An initialisation vector (AES-CBC, AES-CBC-PAD, the optional KW IV).
    Iv(Vec<u8>),
    /// `CK_AES_CTR_PARAMS`.
    Ctr { counter_bits: u64, cb: [u8; 16] },
    /// `CK_GCM_PARAMS`.
    Gcm {
        iv: Vec<u8>,
        aad: Vec<u8>,
        tag_bits: u64,
    },
    /// `CK_RSA_PKCS_OAEP_PARAMS` (with `CKZ_DATA_SPECIFIED` source data, possibly empty).
    Oaep { hash: u64, mgf: u64, source: Vec<u8> },
    /// `CK_RSA_PKCS_PSS_PARAMS`.
    Pss { hash: u64, mgf: u64, salt_len: u64 },
    /// `CK_ECDH1_DERIVE_PARAMS`.
    Ecdh {
        kdf: u64,
        shared: Vec<u8>,
        public: Vec<u8>,
    },
    /// `CK_EDDSA_PARAMS`.
    Eddsa { prehash: bool, context: Option<Vec<u8>> },
    /// `CK_MAC_GENERAL_PARAMS`: the output length of a `_GENERAL` MAC.
    MacLen(u64),
    /// `CK_KEY_DERIVATION_STRING_DATA`: data for `CKM_AES_ECB_ENCRYPT_DATA` and the
    /// `CKM_CONCATENATE_*_DATA` derivations.
    Data(Vec<u8>),
    /// `CK_AES_CBC_ENCRYPT_DATA_PARAMS`.
    CbcData { iv: [u8; 16], data: Vec<u8> },
    /// An object handle parameter (`CKM_CONCATENATE_BASE_AND_KEY`).
    Handle(u64),
    /// `CK_HKDF_PARAMS`; `salt` is the data for `CKF_HKDF_SALT_DATA`, `salt_key` the handle for
    /// `CKF_HKDF_SALT_KEY`.
    Hkdf {
        extract: bool,
        expand: bool,
        prf: u64,
        salt_type: u64,
        salt: Vec<u8>,
        salt_key: u64,
        info: Vec<u8>,
    },
    /// `CK_PKCS5_PBKD2_PARAMS2`.
    Pbkdf2 {
        salt: Vec<u8>,
        iterations: u64,
        prf: u64,
        password: SecretBytes,
    },
    /// `CK_SP800_108_KDF_PARAMS` (counter mode): the PRF and the ordered input fields.
    Sp800_108 { prf: u64, fields: Vec<KdfField> },
}

/// One field of the PRF input of an SP 800-108 KDF (`CK_PRF_DATA_PARAM`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KdfField {
    /// The iteration counter (`CK_SP800_108_ITERATION_VARIABLE` with a counter format).
    Counter { little_endian: bool, width_bits: u64 },
    /// The length of the derived material in bits (`CK_SP800_108_DKM_LENGTH`).
    DkmLength {
        sum_of_segments: bool,
        little_endian: bool,
        width_bits: u64,
    },
    /// Fixed bytes (`CK_SP800_108_BYTE_ARRAY`): label, separator, context.
    Bytes(Vec<u8>),
}

/// Secret bytes inside a mechanism parameter (a PBKDF2 password): wiped on drop, and never
/// printed by `Debug`, so a logged mechanism cannot leak it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretBytes(pub zeroize::Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(v: Vec<u8>) -> Self {
        SecretBytes(zeroize::Zeroizing::new(v))
    }
}

impl std::ops::Deref for SecretBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} secret bytes>", self.0.len())
    }
}

/// A mechanism with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mechanism {
    pub mech: u64,
    pub param: Param,
}

impl Mechanism {
    pub fn new(mech: u64) -> Self {
        Mechanism {
            mech,
            param: Param::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_mechanism_never_shows_a_password() {
        let m = Mechanism {
            mech: ck::CKM_PKCS5_PBKD2,
            param: Param::Pbkdf2 {
                salt: vec![],
                iterations: 1,
                prf: 0,
                password: SecretBytes::new(b"hunter2".to_vec()),
            },
        };
        let shown = format!("{m:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("104, 117"),
            "{shown}"
        );
    }

    #[test]
    fn table_is_sorted_without_duplicates() {
        for w in MECHANISMS.windows(2) {
            assert!(w[0].mech < w[1].mech, "{} before {}", w[0].name, w[1].name);
        }
    }

    #[test]
    fn every_row_offers_something_with_sane_sizes() {
        for d in MECHANISMS {
            assert_ne!(d.flags & !EC, 0, "{}", d.name);
            assert!(d.min <= d.max, "{}", d.name);
        }
        assert!(require(ck::CKM_AES_GCM, ck::CKF_ENCRYPT).is_ok());
        assert_eq!(
            require(ck::CKM_AES_GCM, ck::CKF_SIGN).unwrap_err(),
            Error::MechanismInvalid
        );
        assert_eq!(
            require(ck::CKM_DES_ECB, ck::CKF_ENCRYPT).unwrap_err(),
            Error::MechanismInvalid
        );
    }
}
