//! One row per hash the KMIP operations accept, and every PKCS#11 mechanism a KMIP Hashing
//! Algorithm selects: Hash, MGF1 of RSA-OAEP and PSS, HMAC (MAC and the SP 800-108 PRF), RSA
//! and ECDSA signatures, and the key derivations (hash of a key, PBKDF2 PRF, HKDF).

use crate::ttlv::enums::{CryptographicAlgorithm as Alg, HashingAlgorithm as HashAlg};
use cryptoki_sys as ck;

pub struct HashRow {
    pub alg: HashAlg,
    /// The digest mechanism (Hash; the HKDF PRF).
    pub digest: u64,
    pub mgf1: u64,
    pub hmac: u64,
    /// The KMIP Cryptographic Algorithm of an HMAC key over this hash.
    pub hmac_alg: Alg,
    pub rsa_pkcs: u64,
    pub rsa_pss: u64,
    pub ecdsa: u64,
    /// `CKM_SHA*_KEY_DERIVATION`: the hash of a key as a new key (Derive Key, HASH).
    pub key_derivation: u64,
    pub pbkdf2_prf: u64,
}

impl HashRow {
    /// The core's hash of this row (its output length, its DigestInfo prefix).
    pub fn core(&self) -> softhsm::crypto::Hash {
        softhsm::mechanism::ops::hash_of(self.digest).expect("every row's digest is a core hash")
    }
}

pub const HASHES: &[HashRow] = &[
    HashRow {
        alg: HashAlg::SHA_1,
        digest: ck::CKM_SHA_1,
        mgf1: ck::CKG_MGF1_SHA1,
        hmac: ck::CKM_SHA_1_HMAC,
        hmac_alg: Alg::HMAC_SHA1,
        rsa_pkcs: ck::CKM_SHA1_RSA_PKCS,
        rsa_pss: ck::CKM_SHA1_RSA_PKCS_PSS,
        ecdsa: ck::CKM_ECDSA_SHA1,
        key_derivation: ck::CKM_SHA1_KEY_DERIVATION,
        pbkdf2_prf: ck::CKP_PKCS5_PBKD2_HMAC_SHA1,
    },
    HashRow {
        alg: HashAlg::SHA_224,
        digest: ck::CKM_SHA224,
        mgf1: ck::CKG_MGF1_SHA224,
        hmac: ck::CKM_SHA224_HMAC,
        hmac_alg: Alg::HMAC_SHA224,
        rsa_pkcs: ck::CKM_SHA224_RSA_PKCS,
        rsa_pss: ck::CKM_SHA224_RSA_PKCS_PSS,
        ecdsa: ck::CKM_ECDSA_SHA224,
        key_derivation: ck::CKM_SHA224_KEY_DERIVATION,
        pbkdf2_prf: ck::CKP_PKCS5_PBKD2_HMAC_SHA224,
    },
    HashRow {
        alg: HashAlg::SHA_256,
        digest: ck::CKM_SHA256,
        mgf1: ck::CKG_MGF1_SHA256,
        hmac: ck::CKM_SHA256_HMAC,
        hmac_alg: Alg::HMAC_SHA256,
        rsa_pkcs: ck::CKM_SHA256_RSA_PKCS,
        rsa_pss: ck::CKM_SHA256_RSA_PKCS_PSS,
        ecdsa: ck::CKM_ECDSA_SHA256,
        key_derivation: ck::CKM_SHA256_KEY_DERIVATION,
        pbkdf2_prf: ck::CKP_PKCS5_PBKD2_HMAC_SHA256,
    },
    HashRow {
        alg: HashAlg::SHA_384,
        digest: ck::CKM_SHA384,
        mgf1: ck::CKG_MGF1_SHA384,
        hmac: ck::CKM_SHA384_HMAC,
        hmac_alg: Alg::HMAC_SHA384,
        rsa_pkcs: ck::CKM_SHA384_RSA_PKCS,
        rsa_pss: ck::CKM_SHA384_RSA_PKCS_PSS,
        ecdsa: ck::CKM_ECDSA_SHA384,
        key_derivation: ck::CKM_SHA384_KEY_DERIVATION,
        pbkdf2_prf: ck::CKP_PKCS5_PBKD2_HMAC_SHA384,
    },
    HashRow {
        alg: HashAlg::SHA_512,
        digest: ck::CKM_SHA512,
        mgf1: ck::CKG_MGF1_SHA512,
        hmac: ck::CKM_SHA512_HMAC,
        hmac_alg: Alg::HMAC_SHA512,
        rsa_pkcs: ck::CKM_SHA512_RSA_PKCS,
        rsa_pss: ck::CKM_SHA512_RSA_PKCS_PSS,
        ecdsa: ck::CKM_ECDSA_SHA512,
        key_derivation: ck::CKM_SHA512_KEY_DERIVATION,
        pbkdf2_prf: ck::CKP_PKCS5_PBKD2_HMAC_SHA512,
    },
];

/// The row of a Hashing Algorithm.
pub fn by_hash(h: HashAlg) -> Option<&'static HashRow> {
    HASHES.iter().find(|r| r.alg == h)
}

/// The row of an HMAC Cryptographic Algorithm (HMAC-SHA256 → SHA-256).
pub fn by_hmac(a: Alg) -> Option<&'static HashRow> {
    HASHES.iter().find(|r| r.hmac_alg == a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_hash_and_per_hmac_algorithm_and_lengths_agree_with_the_core() {
        for (i, a) in HASHES.iter().enumerate() {
            assert!(HASHES[i + 1..]
                .iter()
                .all(|b| b.alg != a.alg && b.hmac_alg != a.hmac_alg));
            let core = softhsm::mechanism::ops::hash_of(a.digest).expect("a core digest");
            assert!(!core.digest_info_prefix().is_empty());
            assert_eq!(
                softhsm::mechanism::ops::hash_of_mgf(a.mgf1),
                Some(core),
                "MGF1 of {:?}",
                a.alg
            );
        }
        assert_eq!(by_hmac(Alg::HMAC_SHA384).map(|r| r.alg), Some(HashAlg::SHA_384));
        assert!(by_hash(HashAlg::MD5).is_none());
    }
}
