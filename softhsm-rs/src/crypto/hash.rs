//! Message digests and HMAC.
//!
//! SHA-1 and the SHA-2 family go through aws-lc-rs; MD5 and SHA-3, which
//! aws-lc-rs does not (fully) expose, use aws-lc's `EVP_MD` API directly
//! through `ffi_md`. Both paths are infallible except on allocation failure,
//! which aborts like Rust's own allocation failure.

use aws_lc_rs::{digest, hmac};

use super::{ffi_md, oom};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    /// Legacy only (RFC 1321); never use it where collisions matter.
    Md5,
    Sha3_224,
    Sha3_256,
    Sha3_384,
    Sha3_512,
}

impl Hash {
    /// Output length in bytes.
    #[allow(clippy::len_without_is_empty)] // a digest length is never zero
    pub fn len(self) -> usize {
        match self {
            Hash::Md5 => 16,
            Hash::Sha1 => 20,
            Hash::Sha224 | Hash::Sha3_224 => 28,
            Hash::Sha256 | Hash::Sha3_256 => 32,
            Hash::Sha384 | Hash::Sha3_384 => 48,
            Hash::Sha512 | Hash::Sha3_512 => 64,
        }
    }

    /// The aws-lc-rs algorithms, for the hashes that aws-lc-rs serves.
    fn rs(self) -> Option<(&'static digest::Algorithm, hmac::Algorithm)> {
        Some(match self {
            Hash::Sha1 => (
                &digest::SHA1_FOR_LEGACY_USE_ONLY,
                hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            ),
            Hash::Sha224 => (&digest::SHA224, hmac::HMAC_SHA224),
            Hash::Sha256 => (&digest::SHA256, hmac::HMAC_SHA256),
            Hash::Sha384 => (&digest::SHA384, hmac::HMAC_SHA384),
            Hash::Sha512 => (&digest::SHA512, hmac::HMAC_SHA512),
            Hash::Md5 | Hash::Sha3_224 | Hash::Sha3_256 | Hash::Sha3_384 | Hash::Sha3_512 => return None,
        })
    }

    /// One-shot digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self.rs() {
            Some((alg, _)) => digest::digest(alg, data).as_ref().to_vec(),
            None => ffi_md::digest(self, data).unwrap_or_else(|_| oom()),
        }
    }

    /// DER `DigestInfo` prefix for EMSA-PKCS1-v1_5 (RFC 8017 section 9.2,
    /// note 1; SHA-3 OIDs 2.16.840.1.101.3.4.2.7-10); append the digest.
    pub fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            Hash::Sha1 => b"\x30\x21\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00\x04\x14",
            Hash::Sha224 => DI_SHA224,
            Hash::Sha256 => DI_SHA256,
            Hash::Sha384 => DI_SHA384,
            Hash::Sha512 => DI_SHA512,
            Hash::Md5 => b"\x30\x20\x30\x0c\x06\x08\x2a\x86\x48\x86\xf7\x0d\x02\x05\x05\x00\x04\x10",
            Hash::Sha3_224 => DI_SHA3_224,
            Hash::Sha3_256 => DI_SHA3_256,
            Hash::Sha3_384 => DI_SHA3_384,
            Hash::Sha3_512 => DI_SHA3_512,
        }
    }
}

const DI_SHA224: &[u8] = b"\x30\x2d\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x04\x05\x00\x04\x1c";
const DI_SHA256: &[u8] = b"\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20";
const DI_SHA384: &[u8] = b"\x30\x41\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x02\x05\x00\x04\x30";
const DI_SHA512: &[u8] = b"\x30\x51\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x03\x05\x00\x04\x40";
const DI_SHA3_224: &[u8] = b"\x30\x2d\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x07\x05\x00\x04\x1c";
const DI_SHA3_256: &[u8] = b"\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x08\x05\x00\x04\x20";
const DI_SHA3_384: &[u8] = b"\x30\x41\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x09\x05\x00\x04\x30";
const DI_SHA3_512: &[u8] = b"\x30\x51\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x0a\x05\x00\x04\x40";

/// Multi-part message digest.
pub struct Digest {
    ctx: DigestCtx,
}

enum DigestCtx {
    Rs(digest::Context),
    Evp(ffi_md::MdCtx),
}

impl Clone for Digest {
    fn clone(&self) -> Self {
        let ctx = match &self.ctx {
            DigestCtx::Rs(c) => DigestCtx::Rs(c.clone()),
            DigestCtx::Evp(c) => DigestCtx::Evp(c.try_clone().unwrap_or_else(|_| oom())),
        };
        Digest { ctx }
    }
}

impl Digest {
    pub fn new(h: Hash) -> Self {
        let ctx = match h.rs() {
            Some((alg, _)) => DigestCtx::Rs(digest::Context::new(alg)),
            None => DigestCtx::Evp(ffi_md::MdCtx::new(h).unwrap_or_else(|_| oom())),
        };
        Digest { ctx }
    }

    pub fn update(&mut self, d: &[u8]) {
        match &mut self.ctx {
            DigestCtx::Rs(c) => c.update(d),
            DigestCtx::Evp(c) => c.update(d).unwrap_or_else(|_| oom()),
        }
    }

    pub fn finish(self) -> Vec<u8> {
        match self.ctx {
            DigestCtx::Rs(c) => c.finish().as_ref().to_vec(),
            DigestCtx::Evp(c) => c.finish().unwrap_or_else(|_| oom()),
        }
    }
}

/// Multi-part HMAC over any [`Hash`].
pub struct Hmac {
    ctx: HmacCtx,
}

// The aws-lc-rs context was always stored inline; boxing it would only add
// an allocation per MAC.
#[allow(clippy::large_enum_variant)]
enum HmacCtx {
    Rs(hmac::Context),
    Evp(ffi_md::HmacCtx),
}

impl Clone for Hmac {
    fn clone(&self) -> Self {
        let ctx = match &self.ctx {
            HmacCtx::Rs(c) => HmacCtx::Rs(c.clone()),
            HmacCtx::Evp(c) => HmacCtx::Evp(c.try_clone().unwrap_or_else(|_| oom())),
        };
        Hmac { ctx }
    }
}

impl Hmac {
    pub fn new(h: Hash, key: &[u8]) -> Self {
        let ctx = match h.rs() {
            Some((_, alg)) => HmacCtx::Rs(hmac::Context::with_key(&hmac::Key::new(alg, key))),
            None => HmacCtx::Evp(ffi_md::HmacCtx::new(h, key).unwrap_or_else(|_| oom())),
        };
        Hmac { ctx }
    }

    pub fn update(&mut self, d: &[u8]) {
        match &mut self.ctx {
            HmacCtx::Rs(c) => c.update(d),
            HmacCtx::Evp(c) => c.update(d).unwrap_or_else(|_| oom()),
        }
    }

    pub fn finish(self) -> Vec<u8> {
        match self.ctx {
            HmacCtx::Rs(c) => c.sign().as_ref().to_vec(),
            HmacCtx::Evp(c) => c.finish().unwrap_or_else(|_| oom()),
        }
    }
}
