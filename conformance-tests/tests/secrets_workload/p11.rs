//! The PKCS#11 door: token and PIN management with right and wrong PINs, keys of every kind
//! (created with chosen values, generated and read back, generated sensitive and learnt by
//! unwrapping a wrapped copy), their operations, and failures of each.

use super::*;
use conformance_tests::harness::{free_slot, pkcs11};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::elliptic_curve::{EcKdf, Ecdh1DeriveParams};
use cryptoki::mechanism::misc::KeyDerivationStringData;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;

const P256_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];

fn pin(p: &str) -> AuthPin {
    AuthPin::from(p)
}

/// The one value of `t` (panics when unavailable).
fn value(s: &Session, o: ObjectHandle, t: AttributeType) -> Vec<u8> {
    let got = s.get_attributes(o, &[t]).expect("C_GetAttributeValue");
    match got.as_slice() {
        [Attribute::Value(v)]
        | [Attribute::PrivateExponent(v)]
        | [Attribute::Prime1(v)]
        | [Attribute::Prime2(v)]
        | [Attribute::Modulus(v)]
        | [Attribute::EcPoint(v)] => v.clone(),
        other => panic!("{t:?}: {other:?}"),
    }
}

/// A secret key object with a chosen value (token object, extractable, not sensitive).
fn secret_key(
    s: &Session,
    kt: KeyType,
    v: &[u8],
    extra: &[Attribute],
) -> cryptoki::error::Result<ObjectHandle> {
    let mut t = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(kt),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
        Attribute::Value(v.to_vec()),
    ];
    t.extend_from_slice(extra);
    s.create_object(&t)
}

impl Run {
    pub fn pkcs11(&mut self) {
        let p = pkcs11();
        let slot = free_slot().expect("a free slot");
        p.init_token(slot, &pin(P11_SO_PIN), P11_LABEL).unwrap();
        let s = p.open_rw_session(slot).unwrap();
        self.error(s.login(UserType::So, Some(&pin(WRONG_PIN))));
        s.login(UserType::So, Some(&pin(P11_SO_PIN))).unwrap();
        s.init_pin(&pin(P11_USER_PIN)).unwrap();
        s.logout().unwrap();
        self.error(s.login(UserType::User, Some(&pin(WRONG_PIN))));
        s.login(UserType::User, Some(&pin(P11_USER_PIN))).unwrap();
        self.error(s.set_pin(&pin(WRONG_PIN), &pin(P11_USER_PIN_FINAL)));
        s.set_pin(&pin(P11_USER_PIN), &pin(P11_USER_PIN_FINAL)).unwrap();
        s.logout().unwrap();
        self.error(s.login(UserType::User, Some(&pin(P11_USER_PIN))));
        s.login(UserType::User, Some(&pin(P11_USER_PIN_FINAL))).unwrap();

        let kek_value: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37) ^ 0xa5).collect();
        self.secrets.add("p11 AES key (created)", &kek_value);
        let all = [
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
        ];
        let kek = secret_key(&s, KeyType::AES, &kek_value, &all).unwrap();
        let iv = [3u8; 16];
        let ct = s
            .encrypt(&Mechanism::AesCbcPad(iv), kek, b"secrets stay secret")
            .unwrap();
        assert_eq!(
            s.decrypt(&Mechanism::AesCbcPad(iv), kek, &ct).unwrap(),
            b"secrets stay secret"
        );
        self.error(s.decrypt(&Mechanism::AesCbcPad(iv), kek, &ct[..ct.len() - 1]));
        // A key value of the wrong length is refused: the value must not be echoed.
        let bad_value: Vec<u8> = (0..33u8).map(|i| i ^ 0x3c).collect();
        self.secrets.add("p11 AES value refused", &bad_value);
        self.error(secret_key(&s, KeyType::AES, &bad_value, &[]));

        // Generated, extractable and not sensitive: read back.
        let gen = s
            .generate_key(
                &Mechanism::AesKeyGen,
                &[
                    Attribute::ValueLen(16.into()),
                    Attribute::Token(true),
                    Attribute::Sensitive(false),
                    Attribute::Extractable(true),
                    Attribute::Encrypt(true),
                ],
            )
            .unwrap();
        let v = value(&s, gen, AttributeType::Value);
        self.secrets.add("p11 AES key (generated)", &v);
        self.error(s.sign(&Mechanism::Sha256Hmac, gen, b"not an HMAC key"));

        // Generated sensitive: learnt through a wrapped copy unwrapped as a readable session key.
        let sensitive = s
            .generate_key(
                &Mechanism::AesKeyGen,
                &[
                    Attribute::ValueLen(32.into()),
                    Attribute::Token(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(true),
                    Attribute::Encrypt(true),
                    Attribute::Decrypt(true),
                ],
            )
            .unwrap();
        let wrapped = s.wrap_key(&Mechanism::AesKeyWrap, kek, sensitive).unwrap();
        let copy = s
            .unwrap_key(
                &Mechanism::AesKeyWrap,
                kek,
                &wrapped,
                &[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(KeyType::AES),
                    Attribute::Token(false),
                    Attribute::Sensitive(false),
                    Attribute::Extractable(true),
                ],
            )
            .unwrap();
        let v = value(&s, copy, AttributeType::Value);
        self.secrets.add("p11 AES key (generated sensitive)", &v);
        let mut bad = wrapped.clone();
        bad[3] ^= 1;
        self.error(s.unwrap_key(
            &Mechanism::AesKeyWrap,
            kek,
            &bad,
            &[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::AES),
            ],
        ));

        // HMAC and derivation from a generic secret.
        let hmac_value: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(91) ^ 0x17).collect();
        self.secrets.add("p11 generic secret (created)", &hmac_value);
        let hk = secret_key(
            &s,
            KeyType::GENERIC_SECRET,
            &hmac_value,
            &[
                Attribute::Sign(true),
                Attribute::Verify(true),
                Attribute::Derive(true),
            ],
        )
        .unwrap();
        let mac = s.sign(&Mechanism::Sha256Hmac, hk, b"mac me").unwrap();
        self.error(s.verify(&Mechanism::Sha256Hmac, hk, b"mac me!", &mac));
        let data = b"derivation data";
        let derived = s
            .derive_key(
                &Mechanism::ConcatenateBaseAndData(KeyDerivationStringData::new(data)),
                hk,
                &[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(KeyType::GENERIC_SECRET),
                    Attribute::Token(true),
                    Attribute::Sensitive(false),
                    Attribute::Extractable(true),
                ],
            )
            .unwrap();
        let v = value(&s, derived, AttributeType::Value);
        self.secrets.add("p11 derived key", &v);

        self.rsa(&s, kek);
        self.ec(&s);
        self.data_objects(&s);
        s.logout().unwrap();
    }

    fn rsa(&mut self, s: &Session, kek: ObjectHandle) {
        let (pk, sk) = s
            .generate_key_pair(
                &Mechanism::RsaPkcsKeyPairGen,
                &[
                    Attribute::ModulusBits(2048.into()),
                    Attribute::PublicExponent(vec![1, 0, 1]),
                    Attribute::Token(true),
                    Attribute::Verify(true),
                ],
                &[
                    Attribute::Token(true),
                    Attribute::Private(true),
                    Attribute::Sensitive(false),
                    Attribute::Extractable(true),
                    Attribute::Sign(true),
                ],
            )
            .unwrap();
        for (n, t) in [
            ("d", AttributeType::PrivateExponent),
            ("p", AttributeType::Prime1),
            ("q", AttributeType::Prime2),
        ] {
            let v = value(s, sk, t);
            self.secrets.add(format!("p11 RSA {n}"), &v);
        }
        self.public
            .push(("RSA modulus".into(), value(s, pk, AttributeType::Modulus)));
        let sig = s.sign(&Mechanism::Sha256RsaPkcs, sk, b"sign me").unwrap();
        self.error(s.verify(&Mechanism::Sha256RsaPkcs, pk, b"sign me!", &sig));
        s.wrap_key(&Mechanism::AesKeyWrapPad, kek, sk).unwrap();
    }

    fn ec(&mut self, s: &Session) {
        let pair = |params: &[u8], mech: &Mechanism| {
            s.generate_key_pair(
                mech,
                &[
                    Attribute::EcParams(params.to_vec()),
                    Attribute::Token(true),
                    Attribute::Verify(true),
                ],
                &[
                    Attribute::Token(true),
                    Attribute::Private(true),
                    Attribute::Sensitive(false),
                    Attribute::Extractable(true),
                    Attribute::Sign(true),
                    Attribute::Derive(true),
                ],
            )
            .unwrap()
        };
        let (pa, sa) = pair(P256_OID, &Mechanism::EccKeyPairGen);
        let (pb, sb) = pair(P256_OID, &Mechanism::EccKeyPairGen);
        for (n, k) in [("EC P-256 a", sa), ("EC P-256 b", sb)] {
            let v = value(s, k, AttributeType::Value);
            self.secrets.add(format!("p11 {n}"), &v);
        }
        let sig = s.sign(&Mechanism::Ecdsa, sa, &[7u8; 32]).unwrap();
        self.error(s.verify(&Mechanism::Ecdsa, pa, &[8u8; 32], &sig));
        let point = value(s, pb, AttributeType::EcPoint);
        let shared = s
            .derive_key(
                &Mechanism::Ecdh1Derive(Ecdh1DeriveParams::new(EcKdf::null(), &point[2..])),
                sa,
                &[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(KeyType::GENERIC_SECRET),
                    Attribute::ValueLen(32.into()),
                    Attribute::Token(true),
                    Attribute::Sensitive(false),
                    Attribute::Extractable(true),
                ],
            )
            .unwrap();
        let v = value(s, shared, AttributeType::Value);
        self.secrets.add("p11 ECDH shared secret", &v);
        self.error(s.derive_key(
            &Mechanism::Ecdh1Derive(Ecdh1DeriveParams::new(EcKdf::null(), &[4u8; 65])),
            sa,
            &[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::GENERIC_SECRET),
                Attribute::ValueLen(32.into()),
            ],
        ));
        let (_, se) = pair(ED25519_OID, &Mechanism::EccEdwardsKeyPairGen);
        let v = value(s, se, AttributeType::Value);
        self.secrets.add("p11 Ed25519 key", &v);
        s.sign(
            &Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
            se,
            b"edwards",
        )
        .unwrap();
    }

    fn data_objects(&mut self, s: &Session) {
        let private: Vec<u8> = b"private data object value 6e1f".to_vec();
        self.secrets.add("p11 private data object", &private);
        let public: Vec<u8> = b"public data object value, stored readable 93c4".to_vec();
        for (v, private) in [(&private, true), (&public, false)] {
            s.create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(true),
                Attribute::Private(private),
                Attribute::Application(b"secrets test".to_vec()),
                Attribute::Value(v.clone()),
            ])
            .unwrap();
        }
        self.public.push(("public data object value".into(), public));
    }
}
