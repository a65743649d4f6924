//! The KMIP door: a `kmip-server` process (its token's PIN in a 0600 file) answering Register,
//! Create, Create Key Pair, Get (in the clear, wrapped, as PKCS#8), Encrypt / Decrypt, Derive
//! Key and requests that fail; every Result Message it sends back is kept as an error string.

use super::*;
use conformance_tests::kmip_process::{aes_create_payload, one_item, KmipProcess};
use kmip_server::client::KmipClient;
use kmip_server::ttlv::enums::{
    BlockCipherMode, CryptographicAlgorithm as Alg, KeyFormatType, ObjectType, Operation, ResultStatus,
    WrappingMethod,
};
use kmip_server::ttlv::{Tag, Ttlv};
use kmip_server::version::Version;

const V: Version = Version::new(2, 1);
const ENCRYPT_DECRYPT: i32 = 0x4 | 0x8;
const WRAP_UNWRAP: i32 = 0x10 | 0x20;
const DERIVE: i32 = 0x200;

fn uid(u: &str) -> Ttlv {
    Ttlv::text(Tag::UNIQUE_IDENTIFIER, u)
}

fn block(format: KeyFormatType, material: &[u8], alg: Option<(Alg, i32)>) -> Ttlv {
    let mut items = vec![
        Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, format.0),
        Ttlv::structure(
            Tag::KEY_VALUE,
            vec![Ttlv::bytes(Tag::KEY_MATERIAL, material.to_vec())],
        ),
    ];
    if let Some((a, bits)) = alg {
        items.push(Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, a.0));
        items.push(Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, bits));
    }
    Ttlv::structure(Tag::KEY_BLOCK, items)
}

fn attributes(mask: i32, extra: Vec<Ttlv>) -> Ttlv {
    let mut items = vec![
        Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask),
        Ttlv::date(Tag::ACTIVATION_DATE, 1),
    ];
    items.extend(extra);
    Ttlv::structure(Tag::ATTRIBUTES, items)
}

/// The Key Material of the Key Block in a Get answer's payload.
fn material(payload: &Ttlv) -> Vec<u8> {
    payload
        .items()
        .iter()
        .find_map(|o| o.find(Tag::KEY_BLOCK))
        .and_then(|b| b.find(Tag::KEY_VALUE))
        .and_then(|v| v.find(Tag::KEY_MATERIAL))
        .and_then(Ttlv::as_bytes)
        .expect("Key Material in the clear")
        .to_vec()
}

struct Door<'a> {
    conn: KmipClient,
    run: &'a mut Run,
}

impl Door<'_> {
    /// One request; its payload, or its Result Message kept as an error string.
    fn call(&mut self, op: Operation, payload: Vec<Ttlv>) -> Result<Ttlv, String> {
        let item = one_item(&mut self.conn, V, op, payload);
        let message = item
            .find(Tag::RESULT_MESSAGE)
            .and_then(Ttlv::as_text)
            .map(str::to_string);
        if let Some(m) = &message {
            self.run.errors.push(m.clone());
        }
        if item.find(Tag::RESULT_STATUS).and_then(Ttlv::as_enum) == Some(ResultStatus::SUCCESS.0) {
            Ok(item.find(Tag::RESPONSE_PAYLOAD).cloned().expect("a payload"))
        } else {
            Err(message.unwrap_or_default())
        }
    }

    fn ok(&mut self, op: Operation, payload: Vec<Ttlv>) -> Ttlv {
        self.call(op, payload).unwrap_or_else(|m| panic!("{op:?}: {m}"))
    }

    fn fail(&mut self, op: Operation, payload: Vec<Ttlv>) {
        let r = self.call(op, payload);
        self.run.error(r);
    }

    fn uid(&mut self, op: Operation, payload: Vec<Ttlv>) -> String {
        let p = self.ok(op, payload);
        p.find(Tag::UNIQUE_IDENTIFIER)
            .and_then(Ttlv::as_text)
            .expect("a Unique Identifier")
            .to_string()
    }

    fn register_aes(&mut self, value: &[u8], mask: i32, extra: Vec<Ttlv>) -> Result<Ttlv, String> {
        let bits = value.len() as i32 * 8;
        self.call(
            Operation::REGISTER,
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
                attributes(mask, extra),
                Ttlv::structure(
                    Tag::SYMMETRIC_KEY,
                    vec![block(KeyFormatType::RAW, value, Some((Alg::AES, bits)))],
                ),
            ],
        )
    }

    fn get_clear(&mut self, u: &str, format: Option<KeyFormatType>) -> Vec<u8> {
        let mut p = vec![uid(u)];
        p.extend(format.map(|f| Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, f.0)));
        material(&self.ok(Operation::GET, p))
    }
}

impl Run {
    pub fn kmip(&mut self) {
        let base = std::fs::read_to_string(&self.conf).unwrap();
        let dir = self.dir.join("kmip");
        std::fs::create_dir_all(&dir).unwrap();
        let pin_file = dir.join("user.pin");
        std::fs::write(&pin_file, format!("{KMIP_USER_PIN}\n")).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pin_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let config = format!(
            "{base}\n[kmip]\ndev_ca_dir = \"{}\"\ndefault_token = \"{KMIP_LABEL}\"\n\n\
             [[kmip.tokens]]\nlabel = \"{KMIP_LABEL}\"\npin_file = \"{}\"\n",
            dir.join("certs").display(),
            pin_file.display()
        );
        let server = KmipProcess::start(&dir, &config);
        let mut door = Door {
            conn: server.connect(),
            run: self,
        };
        door.workload();
        drop(door);
        drop(server);
    }
}

impl Door<'_> {
    fn workload(&mut self) {
        let kek: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(53) ^ 0x6b).collect();
        self.run.secrets.add("KMIP AES key (registered)", &kek);
        let kek_id = self
            .register_aes(&kek, WRAP_UNWRAP, vec![])
            .unwrap()
            .find(Tag::UNIQUE_IDENTIFIER)
            .and_then(Ttlv::as_text)
            .unwrap()
            .to_string();
        assert_eq!(self.get_clear(&kek_id, None), kek);
        // A key of a length AES does not have: refused.
        let odd: Vec<u8> = (0..20u8).map(|i| i ^ 0xc3).collect();
        self.run.secrets.add("KMIP AES value refused", &odd);
        let r = self.register_aes(&odd, ENCRYPT_DECRYPT, vec![]);
        self.run.error(r);
        // Sensitive: never in the clear, only wrapped.
        let sensitive: Vec<u8> = (0..16u8).map(|i| i.wrapping_mul(29) ^ 0x81).collect();
        self.run.secrets.add("KMIP sensitive AES key", &sensitive);
        let r = self.register_aes(
            &sensitive,
            ENCRYPT_DECRYPT,
            vec![Ttlv::boolean(Tag::SENSITIVE, true)],
        );
        let sens_id = r
            .unwrap()
            .find(Tag::UNIQUE_IDENTIFIER)
            .and_then(Ttlv::as_text)
            .unwrap()
            .to_string();
        self.fail(Operation::GET, vec![uid(&sens_id)]);

        // Created by the server, read back, used, wrapped.
        let created = self.uid(
            Operation::CREATE,
            aes_create_payload(256, ENCRYPT_DECRYPT, vec![]),
        );
        self.ok(Operation::ACTIVATE, vec![uid(&created)]);
        let v = self.get_clear(&created, None);
        self.run.secrets.add("KMIP AES key (created)", &v);
        let cbc = || {
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![
                    Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::CBC.0),
                    Ttlv::enumeration(Tag::PADDING_METHOD, 3),
                ],
            )
        };
        let iv = vec![9u8; 16];
        let p = self.ok(
            Operation::ENCRYPT,
            vec![
                uid(&created),
                cbc(),
                Ttlv::bytes(Tag::DATA, b"kmip secrets".to_vec()),
                Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv.clone()),
            ],
        );
        let ct = p.find(Tag::DATA).and_then(Ttlv::as_bytes).unwrap().to_vec();
        self.fail(
            Operation::DECRYPT,
            vec![
                uid(&created),
                cbc(),
                Ttlv::bytes(Tag::DATA, ct[..ct.len() - 3].to_vec()),
                Ttlv::bytes(Tag::IV_COUNTER_NONCE, iv),
            ],
        );
        self.fail(
            Operation::ENCRYPT,
            vec![uid(&kek_id), cbc(), Ttlv::bytes(Tag::DATA, vec![1; 16])],
        );
        let spec = Ttlv::structure(
            Tag::KEY_WRAPPING_SPECIFICATION,
            vec![
                Ttlv::enumeration(Tag::WRAPPING_METHOD, WrappingMethod::ENCRYPT.0),
                Ttlv::structure(
                    Tag::ENCRYPTION_KEY_INFORMATION,
                    vec![
                        uid(&kek_id),
                        Ttlv::structure(
                            Tag::CRYPTOGRAPHIC_PARAMETERS,
                            vec![Ttlv::enumeration(
                                Tag::BLOCK_CIPHER_MODE,
                                BlockCipherMode::NIST_KEY_WRAP.0,
                            )],
                        ),
                    ],
                ),
            ],
        );
        self.ok(Operation::GET, vec![uid(&sens_id), spec.clone()]);
        self.ok(Operation::GET, vec![uid(&created), spec]);

        // Derive Key: PBKDF2 from a Secret Data password.
        let password = b"correct horse battery staple 7d2".to_vec();
        self.run.secrets.add("KMIP Secret Data password", &password);
        let sd = self.uid(
            Operation::REGISTER,
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SECRET_DATA.0),
                attributes(DERIVE, vec![]),
                Ttlv::structure(
                    Tag::SECRET_DATA,
                    vec![
                        Ttlv::enumeration(Tag::SECRET_DATA_TYPE, 1),
                        block(KeyFormatType::OPAQUE, &password, None),
                    ],
                ),
            ],
        );
        let derive = |base: &str, iterations: i32| {
            vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
                uid(base),
                Ttlv::enumeration(Tag::DERIVATION_METHOD, 1),
                Ttlv::structure(
                    Tag::DERIVATION_PARAMETERS,
                    vec![
                        Ttlv::structure(
                            Tag::CRYPTOGRAPHIC_PARAMETERS,
                            vec![Ttlv::enumeration(Tag::HASHING_ALGORITHM, 6)],
                        ),
                        Ttlv::bytes(Tag::SALT, b"pepper".to_vec()),
                        Ttlv::int(Tag::ITERATION_COUNT, iterations),
                    ],
                ),
                Ttlv::structure(
                    Tag::ATTRIBUTES,
                    vec![
                        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, Alg::AES.0),
                        Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 256),
                        Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, ENCRYPT_DECRYPT),
                    ],
                ),
            ]
        };
        let derived = self.uid(Operation::DERIVE_KEY, derive(&sd, 1000));
        let v = self.get_clear(&derived, None);
        self.run.secrets.add("KMIP derived key", &v);
        self.fail(Operation::DERIVE_KEY, derive(&sd, 0));
        self.fail(Operation::DERIVE_KEY, derive(&kek_id, 1000));

        // A key pair made by the server; its private key read back as PKCS#8.
        let p = self.ok(
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
                    vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x1)],
                ),
                Ttlv::structure(
                    Tag::PUBLIC_KEY_ATTRIBUTES,
                    vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x2)],
                ),
            ],
        );
        let sk = p
            .find(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER)
            .and_then(Ttlv::as_text)
            .unwrap()
            .to_string();
        let der = self.get_clear(&sk, Some(KeyFormatType::PKCS_8));
        self.run.secrets.add("KMIP RSA private key (PKCS#8)", &der);
        self.fail(Operation::GET, vec![uid("no-such-object-4711")]);
        self.fail(Operation::DESTROY, vec![uid(&created)]);
    }
}
