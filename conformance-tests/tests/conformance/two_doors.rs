//! One keystore, two doors: objects made over KMIP (a running server, mutual TLS) are found and
//! used through the built PKCS#11 module (through `cryptoki`), and the other way round; the
//! KMIP lifecycle governs both. softhsm-rs only.

use crate::util::*;
use conformance_tests::kmip_process::{aes_create_payload, call, KmipProcess};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::Session;
use kmip_server::ttlv::enums::{CryptographicAlgorithm as Alg, Operation, ResultReason};
use kmip_server::ttlv::{Tag, Ttlv, Value};
use kmip_server::version::Version;

/// A `kmip-server` process over the suite's keystore, logged in to the token labelled
/// `label` (a separate process: see `kmip_process` for why).
fn kmip_server(label: &str) -> KmipProcess {
    let conf = std::env::var_os("SOFTHSM_RS_CONF").expect("the harness sets SOFTHSM_RS_CONF");
    let base = std::fs::read_to_string(&conf).expect("the suite's configuration");
    let dir = harness_dir().join(format!("kmip-{label}"));
    std::fs::create_dir_all(&dir).unwrap();
    let pin = dir.join("user.pin");
    std::fs::write(&pin, format!("{USER_PIN}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pin, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let config = format!(
        "{base}\n[kmip]\ndev_ca_dir = \"{}\"\ndefault_token = \"{label}\"\n\n[[kmip.tokens]]\nlabel = \"{label}\"\npin_file = \"{}\"\n",
        dir.join("certs").display(),
        pin.display()
    );
    KmipProcess::start(&dir, &config)
}

struct Door {
    conn: kmip_server::client::KmipClient,
}

impl Door {
    /// One KMIP 2.0 request; the payload of the single answer, or its Result Reason.
    fn call(&mut self, op: Operation, payload: Vec<Ttlv>) -> Result<Ttlv, ResultReason> {
        call(&mut self.conn, Version::new(2, 0), op, payload).expect("an answer")
    }

    fn uid_of(p: &Ttlv, tag: Tag) -> String {
        p.find(tag)
            .and_then(Ttlv::as_text)
            .expect("an identifier")
            .to_string()
    }

    fn create_aes(&mut self, name: &str) -> String {
        let p = self
            .call(
                Operation::CREATE,
                aes_create_payload(256, 0x4 | 0x8, vec![name_attr(name)]),
            )
            .expect("Create");
        Self::uid_of(&p, Tag::UNIQUE_IDENTIFIER)
    }

    fn activate(&mut self, uid: &str) {
        self.call(Operation::ACTIVATE, vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid)])
            .expect("Activate");
    }
}

fn name_attr(name: &str) -> Ttlv {
    Ttlv::new(
        Tag::NAME,
        Value::Structure(vec![
            Ttlv::text(Tag::NAME_VALUE, name),
            Ttlv::enumeration(Tag::NAME_TYPE, 1),
        ]),
    )
}

fn find_one(s: &Session, template: &[Attribute]) -> cryptoki::object::ObjectHandle {
    let found = s.find_objects(template).expect("C_FindObjects");
    assert_eq!(found.len(), 1, "exactly one object matches");
    found[0]
}

fn aes_cbc(s: &Session, key: cryptoki::object::ObjectHandle) -> cryptoki::error::Result<Vec<u8>> {
    s.encrypt(&Mechanism::AesCbcPad([7u8; 16]), key, b"two doors, one keystore")
}

#[test]
fn kmip_keys_are_found_and_used_through_pkcs11() {
    if ours_only("the KMIP door is softhsm-rs's") {
        return;
    }
    let (slot, _, _) = fresh_token("two-doors-a");
    let label = pkcs11().get_token_info(slot).unwrap().label().to_string();
    let server = kmip_server(&label);
    let mut door = Door {
        conn: server.connect(),
    };
    let aes = door.create_aes("kmip-aes");
    let p = door
        .call(
            Operation::CREATE_KEY_PAIR,
            vec![
                Ttlv::structure(
                    Tag::COMMON_ATTRIBUTES,
                    vec![
                        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, Alg::RSA.0),
                        Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 2048),
                    ],
                ),
                Ttlv::structure(
                    Tag::PRIVATE_KEY_ATTRIBUTES,
                    vec![
                        Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x1),
                        name_attr("kmip-rsa"),
                    ],
                ),
                Ttlv::structure(
                    Tag::PUBLIC_KEY_ATTRIBUTES,
                    vec![
                        Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x2),
                        name_attr("kmip-rsa-pub"),
                    ],
                ),
            ],
        )
        .expect("Create Key Pair");
    let rsa = Door::uid_of(&p, Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER);

    let s = user_session(slot);
    // Found by label and by CKA_UNIQUE_ID, which is the KMIP Unique Identifier.
    let by_label = find_one(&s, &[Attribute::Label(b"kmip-aes".to_vec())]);
    let by_uid = find_one(&s, &[Attribute::UniqueId(aes.clone().into_bytes())]);
    assert_eq!(by_label, by_uid);
    let rsa_h = find_one(
        &s,
        &[
            Attribute::UniqueId(rsa.clone().into_bytes()),
            Attribute::Class(ObjectClass::PRIVATE_KEY),
        ],
    );
    assert_eq!(find_one(&s, &[Attribute::Label(b"kmip-rsa".to_vec())]), rsa_h);
    // Pre-Active on both doors until KMIP activates it.
    assert_eq!(rv_of(aes_cbc(&s, by_uid)), RvError::KeyFunctionNotPermitted);
    door.activate(&aes);
    door.activate(&rsa);
    let ct = aes_cbc(&s, by_uid).expect("C_Encrypt with the KMIP key");
    // The other door decrypts what this one encrypted.
    let p = door
        .call(
            Operation::DECRYPT,
            vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, &aes),
                Ttlv::structure(
                    Tag::CRYPTOGRAPHIC_PARAMETERS,
                    vec![
                        Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, 1),
                        Ttlv::enumeration(Tag::PADDING_METHOD, 3),
                    ],
                ),
                Ttlv::bytes(Tag::DATA, ct),
                Ttlv::bytes(Tag::IV_COUNTER_NONCE, vec![7u8; 16]),
            ],
        )
        .expect("KMIP Decrypt");
    assert_eq!(
        p.find(Tag::DATA).and_then(Ttlv::as_bytes),
        Some(&b"two doors, one keystore"[..])
    );
    let sig = s
        .sign(&Mechanism::Sha256RsaPkcs, rsa_h, b"signed through PKCS#11")
        .expect("C_Sign with the KMIP key");
    let public_uid = Door::uid_of(&p_pub(&mut door, &rsa), Tag::UNIQUE_IDENTIFIER);
    door.activate(&public_uid);
    let p = door
        .call(
            Operation::SIGNATURE_VERIFY,
            vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, public_uid.as_str()),
                Ttlv::structure(
                    Tag::CRYPTOGRAPHIC_PARAMETERS,
                    vec![Ttlv::enumeration(Tag::DIGITAL_SIGNATURE_ALGORITHM, 5)],
                ),
                Ttlv::bytes(Tag::DATA, b"signed through PKCS#11".to_vec()),
                Ttlv::bytes(Tag::SIGNATURE_DATA, sig),
            ],
        )
        .expect("KMIP Signature Verify");
    assert_eq!(
        p.find(Tag::VALIDITY_INDICATOR).and_then(Ttlv::as_enum),
        Some(1),
        "Valid"
    );

    // Revoked over KMIP: PKCS#11 can no longer encrypt or sign with it.
    for uid in [&aes, &rsa] {
        door.call(
            Operation::REVOKE,
            vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid.as_str()),
                Ttlv::structure(
                    Tag::REVOCATION_REASON,
                    vec![Ttlv::enumeration(Tag::REVOCATION_REASON_CODE, 5)],
                ),
            ],
        )
        .expect("Revoke");
    }
    assert_eq!(rv_of(aes_cbc(&s, by_uid)), RvError::KeyFunctionNotPermitted);
    assert_eq!(
        rv_of(s.sign(&Mechanism::Sha256RsaPkcs, rsa_h, b"x")),
        RvError::KeyFunctionNotPermitted
    );
    // Destroyed over KMIP: gone for use on both doors, its value no longer readable.
    door.call(Operation::DESTROY, vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &aes)])
        .expect("Destroy");
    assert_eq!(rv_of(aes_cbc(&s, by_uid)), RvError::KeyFunctionNotPermitted);
    assert!(door
        .call(Operation::GET, vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &aes)])
        .is_err());
}

/// The public key linked to private key `uid` (its Link attribute).
fn p_pub(door: &mut Door, uid: &str) -> Ttlv {
    let p = door
        .call(
            Operation::GET_ATTRIBUTES,
            vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid),
                Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, Tag::LINK.0),
            ],
        )
        .expect("Get Attributes");
    let link = p
        .find(Tag::ATTRIBUTES)
        .and_then(|a| a.find(Tag::LINK))
        .expect("a Link");
    let to = link
        .find(Tag::LINKED_OBJECT_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .unwrap();
    Ttlv::structure(
        Tag::RESPONSE_PAYLOAD,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, to)],
    )
}

#[test]
fn pkcs11_keys_are_returned_by_kmip_get_only_when_extractable() {
    if ours_only("the KMIP door is softhsm-rs's") {
        return;
    }
    let (slot, _, _) = fresh_token("two-doors-b");
    let label = pkcs11().get_token_info(slot).unwrap().label().to_string();
    let s = user_session(slot);
    let make = |sensitive: bool, extractable: bool| {
        let h = s
            .generate_key(
                &Mechanism::AesKeyGen,
                &[
                    Attribute::Token(true),
                    Attribute::ValueLen(32.into()),
                    Attribute::Sensitive(sensitive),
                    Attribute::Extractable(extractable),
                ],
            )
            .expect("C_GenerateKey");
        let uid = match s.get_attributes(h, &[AttributeType::UniqueId]).unwrap().remove(0) {
            Attribute::UniqueId(u) => String::from_utf8(u).unwrap(),
            other => panic!("{other:?}"),
        };
        (h, uid)
    };
    let (open, open_uid) = make(false, true);
    let (_, sensitive_uid) = make(true, true);
    let (_, locked_uid) = make(true, false);
    let server = kmip_server(&label);
    let mut door = Door {
        conn: server.connect(),
    };
    let p = door
        .call(
            Operation::GET,
            vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &open_uid)],
        )
        .expect("Get of an extractable key");
    let material = p
        .find(Tag::SYMMETRIC_KEY)
        .and_then(|k| k.find(Tag::KEY_BLOCK))
        .and_then(|b| b.find(Tag::KEY_VALUE))
        .and_then(|v| v.find(Tag::KEY_MATERIAL))
        .and_then(Ttlv::as_bytes)
        .expect("key material")
        .to_vec();
    let value = match s.get_attributes(open, &[AttributeType::Value]).unwrap().remove(0) {
        Attribute::Value(v) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(material, value, "the same key through both doors");
    assert_eq!(
        door.call(
            Operation::GET,
            vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &sensitive_uid)]
        )
        .unwrap_err(),
        ResultReason::SENSITIVE
    );
    assert_eq!(
        door.call(
            Operation::GET,
            vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &locked_uid)]
        )
        .unwrap_err(),
        ResultReason::NOT_EXTRACTABLE
    );
}
