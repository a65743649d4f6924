//! Attributes a server derives from a certificate's DER (KMIP 1.4 §3.8–3.16, 2.1 §4.5–4.10):
//! Certificate Type and Length, the X.509 Certificate Identifier / Subject / Issuer (1.1+),
//! their deprecated 1.0 text forms (Certificate Identifier / Subject / Issuer, gone in 2.0),
//! the Digital Signature Algorithm, one attribute per Distinguished Name field (Certificate
//! Subject CN, Certificate Issuer O, …) and the algorithm and length of the certified key.
//!
//! They are never stored: every read derives them again from the certificate, so they cannot
//! disagree with it. The attribute table's versions decide which forms a client sees.

use crate::attributes::{by_name, Attribute};
use crate::ttlv::enums::{CryptographicAlgorithm as Alg, DigitalSignatureAlgorithm as Dsa};
use crate::ttlv::{Tag, Ttlv, Value};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};

/// Distinguished Name fields: X.520 / PKCS #9 / RFC 4519 attribute type and the suffix of
/// the Certificate Subject / Certificate Issuer attribute carrying it.
const DN_FIELDS: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("1.2.840.113549.1.9.1", "Email"),
    ("2.5.4.6", "C"),
    ("2.5.4.8", "ST"),
    ("2.5.4.7", "L"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("2.5.4.5", "Serial Number"),
    ("2.5.4.12", "Title"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("2.5.4.46", "DN Qualifier"),
];

/// Signature algorithm OIDs (RFC 3279, 4055, 5758, 8692's SHA-3 arcs) → Digital Signature
/// Algorithm.
const SIGNATURE_ALGORITHMS: &[(&str, Dsa)] = &[
    ("1.2.840.113549.1.1.2", Dsa::MD2_WITH_RSA_ENCRYPTION),
    ("1.2.840.113549.1.1.4", Dsa::MD5_WITH_RSA_ENCRYPTION),
    ("1.2.840.113549.1.1.5", Dsa::SHA_1_WITH_RSA_ENCRYPTION),
    ("1.2.840.113549.1.1.14", Dsa::SHA_224_WITH_RSA_ENCRYPTION),
    ("1.2.840.113549.1.1.11", Dsa::SHA_256_WITH_RSA_ENCRYPTION),
    ("1.2.840.113549.1.1.12", Dsa::SHA_384_WITH_RSA_ENCRYPTION),
    ("1.2.840.113549.1.1.13", Dsa::SHA_512_WITH_RSA_ENCRYPTION),
    ("1.2.840.113549.1.1.10", Dsa::RSASSA_PSS),
    ("1.2.840.10040.4.3", Dsa::DSA_WITH_SHA_1),
    ("2.16.840.1.101.3.4.3.1", Dsa::DSA_WITH_SHA224),
    ("2.16.840.1.101.3.4.3.2", Dsa::DSA_WITH_SHA256),
    ("1.2.840.10045.4.1", Dsa::ECDSA_WITH_SHA_1),
    ("1.2.840.10045.4.3.1", Dsa::ECDSA_WITH_SHA224),
    ("1.2.840.10045.4.3.2", Dsa::ECDSA_WITH_SHA256),
    ("1.2.840.10045.4.3.3", Dsa::ECDSA_WITH_SHA384),
    ("1.2.840.10045.4.3.4", Dsa::ECDSA_WITH_SHA512),
    ("2.16.840.1.101.3.4.3.14", Dsa::SHA3_256_WITH_RSA_ENCRYPTION),
    ("2.16.840.1.101.3.4.3.15", Dsa::SHA3_384_WITH_RSA_ENCRYPTION),
    ("2.16.840.1.101.3.4.3.16", Dsa::SHA3_512_WITH_RSA_ENCRYPTION),
];

/// The attributes below that only a certificate has (never stored; see the module docs).
const NAMES: &[&str] = &[
    "Certificate Type",
    "Certificate Length",
    "X.509 Certificate Identifier",
    "X.509 Certificate Subject",
    "X.509 Certificate Issuer",
    "Certificate Identifier",
    "Certificate Subject",
    "Certificate Issuer",
    "Digital Signature Algorithm",
];

/// Whether `name` is an attribute derived from a certificate's value.
pub fn is_certificate_attr(name: &str) -> bool {
    NAMES.contains(&name)
        || ["Certificate Subject ", "Certificate Issuer "].iter().any(|p| {
            name.strip_prefix(p)
                .is_some_and(|f| DN_FIELDS.iter().any(|(_, s)| *s == f))
        })
}

fn attr(name: &str, value: Value) -> Attribute {
    Attribute::new(
        by_name(name).expect("certificate attributes are in the table"),
        value,
    )
}

/// The certified key's algorithm and length in bits, from its SubjectPublicKeyInfo.
fn key_algorithm(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> Option<(Alg, i32)> {
    let key = spki.subject_public_key.as_bytes()?;
    let bits = |v: &[u8]| {
        let v = crate::key_formats::unsigned(v);
        v.first()
            .map_or(0, |b| ((v.len() - 1) * 8) as i32 + (8 - b.leading_zeros() as i32))
    };
    match spki.algorithm.oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => {
            let (n, _) = softhsm::der::rsa_public_key_parts(key)?;
            Some((Alg::RSA, bits(&n)))
        }
        "1.2.840.10045.2.1" => {
            let oid = spki.algorithm.parameters.as_ref()?.to_der().ok()?;
            let c = softhsm::crypto::Curve::from_oid_der(&oid)?;
            Some((Alg::EC, c.bits() as i32))
        }
        "1.2.840.10040.4.1" => {
            let ([p, _, _], _) = softhsm::der::dsa_spki_parts(&spki.to_der().ok()?)?;
            Some((Alg::DSA, bits(&p)))
        }
        "1.3.101.112" => Some((Alg::ED25519, 255)),
        _ => None,
    }
}

/// Every attribute derived from certificate `der`, in table order; empty if it does not parse
/// (Register accepts only certificates that do).
pub fn derived_attrs(der: &[u8]) -> Vec<Attribute> {
    let Ok(cert) = x509_cert::Certificate::from_der(der) else {
        return Vec::new();
    };
    let tbs = &cert.tbs_certificate;
    let (Ok(issuer), Ok(subject), Ok(serial)) = (
        tbs.issuer.to_der(),
        tbs.subject.to_der(),
        tbs.serial_number.to_der(),
    ) else {
        return Vec::new();
    };
    let mut out = vec![
        attr("Certificate Type", Value::Enumeration(1)), // X.509
        attr(
            "Certificate Length",
            Value::Integer(der.len().min(i32::MAX as usize) as i32),
        ),
        attr(
            "X.509 Certificate Identifier",
            Value::Structure(vec![
                Ttlv::bytes(Tag::ISSUER_DISTINGUISHED_NAME, issuer.clone()),
                Ttlv::bytes(Tag::CERTIFICATE_SERIAL_NUMBER, serial),
            ]),
        ),
        attr(
            "X.509 Certificate Subject",
            Value::Structure(vec![Ttlv::bytes(Tag::SUBJECT_DISTINGUISHED_NAME, subject)]),
        ),
        attr(
            "X.509 Certificate Issuer",
            Value::Structure(vec![Ttlv::bytes(Tag::ISSUER_DISTINGUISHED_NAME, issuer)]),
        ),
        attr(
            "Certificate Identifier",
            Value::Structure(vec![
                Ttlv::text(Tag::ISSUER, tbs.issuer.to_string()),
                Ttlv::text(Tag::SERIAL_NUMBER, hex::encode(tbs.serial_number.as_bytes())),
            ]),
        ),
        attr(
            "Certificate Subject",
            Value::Structure(vec![Ttlv::text(
                Tag::CERTIFICATE_SUBJECT_DISTINGUISHED_NAME,
                tbs.subject.to_string(),
            )]),
        ),
        attr(
            "Certificate Issuer",
            Value::Structure(vec![Ttlv::text(
                Tag::CERTIFICATE_ISSUER_DISTINGUISHED_NAME,
                tbs.issuer.to_string(),
            )]),
        ),
    ];
    let sig_oid = cert.signature_algorithm.oid.to_string();
    if let Some((_, dsa)) = SIGNATURE_ALGORITHMS.iter().find(|(o, _)| *o == sig_oid) {
        out.push(attr("Digital Signature Algorithm", Value::Enumeration(dsa.0)));
    }
    for (who, name) in [("Subject", &tbs.subject), ("Issuer", &tbs.issuer)] {
        for (oid, suffix) in DN_FIELDS {
            let oid = ObjectIdentifier::new_unwrap(oid);
            let values = name
                .0
                .iter()
                .rev()
                .flat_map(|rdn| rdn.0.iter())
                .filter(|atv| atv.oid == oid)
                .filter_map(|atv| crate::tls::directory_string(&atv.value));
            for (i, v) in values.enumerate() {
                let mut a = attr(&format!("Certificate {who} {suffix}"), Value::TextString(v));
                a.index = i as i32;
                out.push(a);
            }
        }
    }
    if let Some((alg, bits)) = key_algorithm(&tbs.subject_public_key_info) {
        out.push(attr("Cryptographic Algorithm", Value::Enumeration(alg.0)));
        out.push(attr("Cryptographic Length", Value::Integer(bits)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_tables_parse_and_name_table_attributes() {
        for (oid, suffix) in DN_FIELDS {
            ObjectIdentifier::new(oid).unwrap();
            for who in ["Subject", "Issuer"] {
                let name = format!("Certificate {who} {suffix}");
                assert!(by_name(&name).is_some(), "{name}");
                assert!(is_certificate_attr(&name));
            }
        }
        for (oid, _) in SIGNATURE_ALGORITHMS {
            ObjectIdentifier::new(oid).unwrap();
        }
        for n in NAMES {
            assert!(by_name(n).is_some(), "{n}");
        }
        assert!(!is_certificate_attr("Certificate Subject XX"));
        assert!(!is_certificate_attr("Name"));
    }
}
