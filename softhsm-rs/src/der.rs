//! The few DER encodings the object model needs: OCTET STRING (`CKA_EC_POINT`) and
//! SubjectPublicKeyInfo (`CKA_PUBLIC_KEY_INFO`, RFC 5280 §4.1.2.7). Definite lengths only;
//! readers reject anything that is not minimal.

/// DER OID of rsaEncryption (1.2.840.113549.1.1.1).
const OID_RSA: &[u8] = &[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
/// DER OID of id-ecPublicKey (1.2.840.10045.2.1).
const OID_EC: &[u8] = &[0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// DER OID of id-Ed25519 (1.3.101.112).
pub const OID_ED25519: &[u8] = &[0x06, 0x03, 0x2B, 0x65, 0x70];
const NULL: &[u8] = &[0x05, 0x00];

/// One tag-length-value.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes.
fn uint(v: &[u8]) -> Vec<u8> {
    let v = &v[v
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(v.len().saturating_sub(1))..];
    let mut c = Vec::with_capacity(v.len() + 1);
    if v.is_empty() || v[0] & 0x80 != 0 {
        c.push(0);
    }
    c.extend_from_slice(v);
    tlv(0x02, &c)
}

fn bit_string(v: &[u8]) -> Vec<u8> {
    let mut c = vec![0u8];
    c.extend_from_slice(v);
    tlv(0x03, &c)
}

/// An OCTET STRING.
pub fn octet_string(v: &[u8]) -> Vec<u8> {
    tlv(0x04, v)
}

/// The first tag-length-value of `b`: (tag, content, what follows). Minimal definite lengths
/// only; `None` for anything truncated or not minimal.
pub fn read_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 < 0x80 {
        (l0 as usize, rest)
    } else {
        let n = (l0 & 0x7F) as usize;
        if n == 0 || n > 4 || rest.len() < n || rest[0] == 0 {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
        if len < 0x80 {
            return None;
        }
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The content of a DER OCTET STRING, if `v` is exactly one (minimal length encoding).
pub fn octet_string_inner(v: &[u8]) -> Option<&[u8]> {
    match read_tlv(v)? {
        (0x04, content, []) => Some(content),
        _ => None,
    }
}

/// The magnitude of a non-negative INTEGER's content (leading zero bytes dropped).
fn uint_content(v: &[u8]) -> Vec<u8> {
    let skip = v
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(v.len().saturating_sub(1));
    v[skip..].to_vec()
}

/// Modulus and public exponent of a PKCS#1 RSAPublicKey (RFC 8017 A.1.1).
pub fn rsa_public_key_parts(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (0x30, body, []) = read_tlv(der)? else {
        return None;
    };
    let (0x02, n, rest) = read_tlv(body)? else {
        return None;
    };
    let (0x02, e, []) = read_tlv(rest)? else {
        return None;
    };
    Some((uint_content(n), uint_content(e)))
}

/// A PKCS#8 PrivateKeyInfo (RFC 5208) around a PKCS#1 RSAPrivateKey.
pub fn pkcs8_from_rsa_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    seq(&[&[0x02, 0x01, 0x00], &seq(&[OID_RSA, NULL]), &octet_string(pkcs1)])
}

/// The private key inside a PKCS#8 PrivateKeyInfo (for RSA: the PKCS#1 RSAPrivateKey).
pub fn pkcs8_private_key(der: &[u8]) -> Option<&[u8]> {
    let (0x30, body, _) = read_tlv(der)? else {
        return None;
    };
    let (0x02, _, rest) = read_tlv(body)? else {
        return None;
    };
    let (0x30, _, rest) = read_tlv(rest)? else {
        return None;
    };
    match read_tlv(rest)? {
        (0x04, key, _) => Some(key),
        _ => None,
    }
}

/// SubjectPublicKeyInfo of an RSA key.
pub fn spki_rsa(n: &[u8], e: &[u8]) -> Vec<u8> {
    let key = seq(&[&uint(n), &uint(e)]);
    seq(&[&seq(&[OID_RSA, NULL]), &bit_string(&key)])
}

/// SubjectPublicKeyInfo of an EC key on the named curve whose DER OID is `curve_oid`.
pub fn spki_ec(curve_oid: &[u8], point: &[u8]) -> Vec<u8> {
    seq(&[&seq(&[OID_EC, curve_oid]), &bit_string(point)])
}

/// DER OID of id-X25519 (1.3.101.110).
pub const OID_X25519: &[u8] = &[0x06, 0x03, 0x2B, 0x65, 0x6E];

/// SubjectPublicKeyInfo of an X25519 key.
pub fn spki_x25519(public: &[u8]) -> Vec<u8> {
    seq(&[&seq(&[OID_X25519]), &bit_string(public)])
}

/// SubjectPublicKeyInfo of an Ed25519 key.
pub fn spki_ed25519(public: &[u8]) -> Vec<u8> {
    seq(&[&seq(&[OID_ED25519]), &bit_string(public)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octet_strings_round_trip_and_reject_junk() {
        for n in [0usize, 1, 65, 127, 128, 133, 300, 70000] {
            let v = vec![0xAB; n];
            assert_eq!(octet_string_inner(&octet_string(&v)), Some(&v[..]), "len {n}");
        }
        assert_eq!(octet_string_inner(&[0x04, 0x02, 1]), None);
        assert_eq!(octet_string_inner(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]), None);
        assert_eq!(octet_string_inner(&[0x03, 0x01, 1]), None);
        assert_eq!(octet_string_inner(&[0x04, 0x01, 1, 2]), None);
    }

    #[test]
    fn pkcs1_and_pkcs8_wrap_and_unwrap() {
        let pkcs1 = seq(&[&uint(&[0]), &uint(&[0xC1, 0x01])]);
        let p8 = pkcs8_from_rsa_pkcs1(&pkcs1);
        assert_eq!(pkcs8_private_key(&p8), Some(&pkcs1[..]));
        assert_eq!(pkcs8_private_key(&p8[..p8.len() - 1]), None, "truncated");
        let public = seq(&[&uint(&[0xC1]), &uint(&[1, 0, 1])]);
        assert_eq!(rsa_public_key_parts(&public), Some((vec![0xC1], vec![1, 0, 1])));
        assert_eq!(rsa_public_key_parts(&public[..public.len() - 1]), None);
        assert_eq!(
            read_tlv(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]),
            None,
            "non-minimal length"
        );
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(uint(&[0x00, 0x00, 0x01]), vec![0x02, 0x01, 0x01]);
        assert_eq!(uint(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[]), vec![0x02, 0x01, 0x00]);
    }

    #[test]
    fn ed25519_spki_matches_rfc_8410() {
        // RFC 8410 §10.1 example public key.
        let pk = [
            0x19, 0xbf, 0x44, 0x09, 0x69, 0x84, 0xcd, 0xfe, 0x85, 0x41, 0xba, 0xc1, 0x67, 0xdc, 0x3b, 0x96,
            0xc8, 0x50, 0x86, 0xaa, 0x30, 0xb6, 0xb6, 0xcb, 0x0c, 0x5c, 0x38, 0xad, 0x70, 0x31, 0x66, 0xe1,
        ];
        let der = spki_ed25519(&pk);
        assert_eq!(
            &der[..12],
            &[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        );
        assert_eq!(&der[12..], &pk);
    }
}
