//! What the durability tests (`tests/durability.rs`) and their PKCS#11 helper process
//! (`src/bin/p11-durability.rs`) agree on: the values the writers choose, the line protocol of
//! acknowledgements, the dump format, and a small seeded random generator (so a failing round
//! can be replayed from its printed seed).
//!
//! Every object a writer makes has an *identity* (a string unique across the whole run) and a
//! *version* that each modification raises; its `CKA_LABEL` (KMIP Name) is [`versioned`]
//! (identity and version), the one attribute the writers modify (the standard lets
//! `C_SetAttributeValue` change a data object's label but not its value):
//! - a private data object (PKCS#11 only), sealed: `CKA_VALUE` = [`data_value`],
//!   `CKA_APPLICATION` = identity;
//! - a secret key (PKCS#11 or KMIP): AES-128 with [`key_bytes`] of the identity as its value;
//!   PKCS#11 keys are sensitive, so only an encryption shows that they still unseal.

use std::fmt::Write as _;

/// splitmix64: small, seedable, good enough to pick operations and kill moments.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// A seed from the clock, for runs that are not replaying one.
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id()) << 32
}

/// The AES-128 key value of identity `id`.
pub fn key_bytes(id: &str) -> [u8; 16] {
    let d = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("durability key {id}").as_bytes(),
    );
    let mut k = [0u8; 16];
    k.copy_from_slice(&d.as_ref()[..16]);
    k
}

/// The value of data object `id`.
pub fn data_value(id: &str) -> Vec<u8> {
    format!("durability data {id}").into_bytes()
}

/// A key's label (PKCS#11) or Name (KMIP) at version `ver`.
pub fn versioned(id: &str, ver: u32) -> String {
    format!("{id}.v{ver}")
}

/// Identity and version of a [`versioned`] label.
pub fn split_version(s: &str) -> Option<(String, u32)> {
    let (id, ver) = s.rsplit_once(".v")?;
    Some((id.to_string(), ver.parse().ok()?))
}

/// AES-128-ECB of the zero block under `key`: what an encryption through the module must give.
pub fn ecb_of_zero_block(key: &[u8]) -> Vec<u8> {
    use aws_lc_rs::cipher::{EncryptingKey, UnboundCipherKey, AES_128};
    let k = EncryptingKey::ecb(UnboundCipherKey::new(&AES_128, key).expect("an AES-128 key")).expect("ECB");
    let mut block = vec![0u8; 16];
    k.encrypt(&mut block).expect("one block");
    block
}

/// One object as the helper's `dump` mode saw it through the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dumped {
    /// `obj data <uid> <label hex> <value hex>`
    Data {
        uid: String,
        label: String,
        value: Vec<u8>,
    },
    /// `obj key <uid> <label hex> <value hex or -> <ECB of the zero block, hex, or err:CKR>
    /// <live|destroyed>`; destroyed: KMIP Destroy keeps an object's metadata in the Destroyed
    /// state and removes its key material.
    Key {
        uid: String,
        label: String,
        value: Option<Vec<u8>>,
        ecb: Result<Vec<u8>, String>,
        destroyed: bool,
    },
}

impl Dumped {
    pub fn to_line(&self) -> String {
        let mut s = String::new();
        match self {
            Dumped::Data { uid, label, value } => {
                let _ = write!(s, "obj data {uid} {} {}", hex::encode(label), hex::encode(value));
            }
            Dumped::Key {
                uid,
                label,
                value,
                ecb,
                destroyed,
            } => {
                let value = value.as_ref().map_or("-".to_string(), hex::encode);
                let ecb = match ecb {
                    Ok(c) => hex::encode(c),
                    Err(e) => format!("err:{e}"),
                };
                let state = if *destroyed { "destroyed" } else { "live" };
                let _ = write!(s, "obj key {uid} {} {value} {ecb} {state}", hex::encode(label));
            }
        }
        s
    }

    pub fn parse(line: &str) -> Option<Dumped> {
        let f: Vec<&str> = line.split(' ').collect();
        let text = |h: &str| hex::decode(h).ok().and_then(|b| String::from_utf8(b).ok());
        match f.as_slice() {
            ["obj", "data", uid, label, value] => Some(Dumped::Data {
                uid: uid.to_string(),
                label: text(label)?,
                value: hex::decode(value).ok()?,
            }),
            ["obj", "key", uid, label, value, ecb, state] => Some(Dumped::Key {
                uid: uid.to_string(),
                label: text(label)?,
                value: match *value {
                    "-" => None,
                    v => Some(hex::decode(v).ok()?),
                },
                ecb: match ecb.strip_prefix("err:") {
                    Some(e) => Err(e.to_string()),
                    None => Ok(hex::decode(ecb).ok()?),
                },
                destroyed: *state == "destroyed",
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_lines_round_trip_and_versions_split() {
        let d = Dumped::Data {
            uid: "u1".into(),
            label: versioned("a b", 3),
            value: data_value("a b"),
        };
        assert_eq!(Dumped::parse(&d.to_line()), Some(d));
        let k = Dumped::Key {
            uid: "u2".into(),
            label: versioned("k1", 2),
            value: None,
            ecb: Err("KeyFunctionNotPermitted".into()),
            destroyed: true,
        };
        assert_eq!(Dumped::parse(&k.to_line()), Some(k));
        assert_eq!(split_version("k1.v2"), Some(("k1".into(), 2)));
        assert_eq!(split_version("d.x.v10"), Some(("d.x".into(), 10)));
        assert_eq!(split_version("nothing"), None);
        // FIPS-197 appendix C.1 is AES-128 of 00112233…; the zero key on the zero block:
        assert_eq!(
            hex::encode(ecb_of_zero_block(&[0; 16])),
            "66e94bd4ef8a2c3b884cfa59ca342b2e"
        );
    }
}
