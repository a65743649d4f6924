//! What the "secrets stay secret" tests share: the list of secrets a run used, every text form
//! a secret could leak in (raw bytes, hex, base64, a `Debug` byte list), a scanner over files
//! and strings, and the token key recomputed from the keystore's documented format
//! (`docs/storage-format.md`, "Wrapped token key") — so no test hook in the product is needed
//! to learn it.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use std::path::Path;

/// Shortest secret the scanner accepts: shorter byte strings turn up by chance.
pub const MIN_SECRET_LEN: usize = 8;

/// A named secret value.
#[derive(Debug, Clone)]
pub struct Secret {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Every secret a run used or generated.
#[derive(Debug, Default)]
pub struct Secrets {
    list: Vec<Secret>,
}

/// A secret found where it must not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub secret: String,
    pub form: &'static str,
    pub place: String,
}

impl Secrets {
    /// Adds a secret (panics when it is too short to scan for without false alarms).
    pub fn add(&mut self, name: impl Into<String>, bytes: &[u8]) {
        let name = name.into();
        assert!(
            bytes.len() >= MIN_SECRET_LEN,
            "secret {name} is {} bytes: too short to scan for",
            bytes.len()
        );
        if !self.list.iter().any(|s| s.bytes == bytes) {
            self.list.push(Secret {
                name,
                bytes: bytes.to_vec(),
            });
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Secret> {
        self.list.iter()
    }

    /// Every occurrence of any secret, in any of its text forms, in `haystack`.
    pub fn scan(&self, place: &str, haystack: &[u8]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for s in &self.list {
            for (form, needle) in forms(&s.bytes) {
                if contains(haystack, &needle) {
                    hits.push(Hit {
                        secret: s.name.clone(),
                        form,
                        place: place.to_string(),
                    });
                }
            }
        }
        hits
    }

    /// [`Secrets::scan`] over a file's bytes; also returns how many bytes were read.
    pub fn scan_file(&self, path: &Path) -> (Vec<Hit>, usize) {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        (self.scan(&path.display().to_string(), &bytes), bytes.len())
    }
}

/// The forms a secret is looked for in: raw bytes, lower and upper hex, standard base64 (with
/// and without padding), and the `Debug` form of a byte slice (`[1, 2, 3]`).
pub fn forms(secret: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let b64 = base64(secret);
    vec![
        ("raw", secret.to_vec()),
        ("hex", hex::encode(secret).into_bytes()),
        ("HEX", hex::encode_upper(secret).into_bytes()),
        ("base64", b64.trim_end_matches('=').as_bytes().to_vec()),
        ("debug", format!("{secret:?}").into_bytes()),
    ]
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Standard base64 (RFC 4648 §4) with padding.
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The token key wrapped in `blob` (a `tokens.so_key`/`user_key` value) under `pin`, opened
/// by following `docs/storage-format.md` (PBKDF2-HMAC-SHA256 blobs only: the tests configure
/// `pin.kdf_iterations`). `role` is `b'S'` or `b'U'`.
pub fn open_token_key(blob: &[u8], pin: &[u8], token_uid: &str, role: u8) -> Vec<u8> {
    assert_eq!(&blob[..2], &[1, 1], "a version-1 PBKDF2 blob");
    let iterations = u32::from_le_bytes(blob[2..6].try_into().unwrap());
    let (salt, rest) = blob[6..].split_at(16);
    let (nonce, sealed) = rest.split_at(12);
    let mut kek = [0u8; 32];
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
        std::num::NonZeroU32::new(iterations).expect("iterations"),
        salt,
        pin,
        &mut kek,
    );
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &kek).unwrap());
    let mut aad = b"softhsm-rs/token-key/v1\0".to_vec();
    aad.extend_from_slice(token_uid.as_bytes());
    aad.extend_from_slice(&[0, role]);
    let mut body = sealed.to_vec();
    let plain = key
        .open_in_place(
            Nonce::try_assume_unique_for_key(nonce).unwrap(),
            Aad::from(aad),
            &mut body,
        )
        .expect("the wrapped token key opens with its PIN");
    assert_eq!(plain.len(), 32, "a 256-bit token key");
    plain.to_vec()
}

/// `db` with `suffix` appended to its file name (SQLite's `-wal` and `-shm` files).
pub fn sidecar(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// The token keys of every token in the keystore at `db` whose user PIN is in `pins`
/// (label → PIN). Reads a copy of the file and its WAL, so the live keystore's locks are never
/// touched (this process may have the PKCS#11 module open on it).
pub fn token_keys(db: &Path, pins: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
    use softhsm::store::Store;
    let scratch = tempfile::tempdir().expect("temp dir");
    let copy = scratch.path().join("copy.db");
    std::fs::copy(db, &copy).expect("copy the keystore");
    let wal = sidecar(db, "-wal");
    if wal.exists() {
        std::fs::copy(&wal, sidecar(&copy, "-wal")).expect("copy the WAL");
    }
    let mut store = softhsm::store::sqlite::SqliteStore::open(&copy, std::time::Duration::from_secs(5))
        .expect("open the copy");
    let mut out = Vec::new();
    for t in store.tokens().expect("tokens") {
        let Some((_, pin)) = pins.iter().find(|(l, _)| *l == t.label) else {
            continue;
        };
        let blob = t.user_key.as_ref().expect("a user PIN is set");
        out.push((t.label.clone(), open_token_key(blob, pin, &t.uid, b'U')));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn every_form_of_a_secret_is_found_and_nothing_else() {
        let mut s = Secrets::default();
        let secret = [0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0xff];
        s.add("k", &secret);
        for (form, needle) in forms(&secret) {
            let mut text = b"line: ".to_vec();
            text.extend_from_slice(&needle);
            text.extend_from_slice(b" end");
            let hits = s.scan("t", &text);
            assert!(hits.iter().any(|h| h.form == form), "{form} not found");
        }
        assert!(s.scan("t", b"deadbeef0102030 [222, 173]").is_empty());
    }
}
