//! The few DER encodings the object model needs: OCTET STRING (`CKA_EC_POINT`) and
//! SubjectPublicKeyInfo (`CKA_PUBLIC_KEY_INFO`, RFC 5280 §4.1.2.7). Definite lengths only;
//! readers reject anything that is not minimal. Also the DSA SubjectPublicKeyInfo and PKCS#8
//! forms (RFC 3279) and RFC 5915 ECPrivateKey, which KMIP offers as key formats.

use zeroize::Zeroizing;

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

/// DER OID of id-dsa (1.2.840.10040.4.1, RFC 3279 §2.3.2).
const OID_DSA: &[u8] = &[0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x38, 0x04, 0x01];

/// A non-negative INTEGER at the start of `b`: (magnitude without leading zeros, what follows).
fn read_uint(b: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    match read_tlv(b)? {
        (0x02, v, rest) if !v.is_empty() && v[0] & 0x80 == 0 => Some((uint_content(v), rest)),
        _ => None,
    }
}

/// Dss-Parms (RFC 3279 §2.3.2): SEQUENCE { p, q, g }.
fn dss_parms(p: &[u8], q: &[u8], g: &[u8]) -> Vec<u8> {
    seq(&[&uint(p), &uint(q), &uint(g)])
}

/// `p, q, g` of a Dss-Parms, which must be all of `b`.
fn read_dss_parms(b: &[u8]) -> Option<[Vec<u8>; 3]> {
    let (0x30, body, []) = read_tlv(b)? else {
        return None;
    };
    let (p, rest) = read_uint(body)?;
    let (q, rest) = read_uint(rest)?;
    let (g, []) = read_uint(rest)? else {
        return None;
    };
    Some([p, q, g])
}

/// The algorithm identifier `SEQUENCE { id-dsa, Dss-Parms }` at the start of `b`: the
/// parameters and what follows.
fn read_dsa_algorithm(b: &[u8]) -> Option<([Vec<u8>; 3], &[u8])> {
    let (0x30, alg, rest) = read_tlv(b)? else {
        return None;
    };
    let params = alg.strip_prefix(OID_DSA)?;
    Some((read_dss_parms(params)?, rest))
}

/// DSA domain parameters `[p, q, g]` as big-endian magnitudes.
pub type DssParms = [Vec<u8>; 3];

/// SubjectPublicKeyInfo of a DSA key (RFC 3279 §2.3.2): `y` as an INTEGER in the BIT STRING.
pub fn spki_dsa(p: &[u8], q: &[u8], g: &[u8], y: &[u8]) -> Vec<u8> {
    seq(&[&seq(&[OID_DSA, &dss_parms(p, q, g)]), &bit_string(&uint(y))])
}

/// `([p, q, g], y)` of a DSA SubjectPublicKeyInfo; `None` for anything else.
pub fn dsa_spki_parts(der: &[u8]) -> Option<(DssParms, Vec<u8>)> {
    let (0x30, body, []) = read_tlv(der)? else {
        return None;
    };
    let (params, rest) = read_dsa_algorithm(body)?;
    let (0x03, bits, []) = read_tlv(rest)? else {
        return None;
    };
    let (0, key) = bits.split_first()? else {
        return None;
    };
    let (y, []) = read_uint(key)? else {
        return None;
    };
    Some((params, y))
}

/// PKCS#8 PrivateKeyInfo (RFC 5208) of a DSA key: `x` as an INTEGER in the OCTET STRING.
pub fn pkcs8_dsa(p: &[u8], q: &[u8], g: &[u8], x: &[u8]) -> Zeroizing<Vec<u8>> {
    let key = Zeroizing::new(uint(x));
    let wrapped = Zeroizing::new(octet_string(&key));
    Zeroizing::new(seq(&[
        &[0x02, 0x01, 0x00],
        &seq(&[OID_DSA, &dss_parms(p, q, g)]),
        &wrapped,
    ]))
}

/// `([p, q, g], x)` of a DSA PKCS#8 PrivateKeyInfo (version 0, no attributes); `None` for
/// anything else.
pub fn dsa_pkcs8_parts(der: &[u8]) -> Option<(DssParms, Zeroizing<Vec<u8>>)> {
    let (0x30, body, []) = read_tlv(der)? else {
        return None;
    };
    let (0x02, [0], rest) = read_tlv(body)? else {
        return None;
    };
    let (params, rest) = read_dsa_algorithm(rest)?;
    let (0x04, key, []) = read_tlv(rest)? else {
        return None;
    };
    let (x, []) = read_uint(key)? else {
        return None;
    };
    Some((params, Zeroizing::new(x)))
}

/// An X9.62 / RFC 3279 `ECDSA-Sig-Value` (`SEQUENCE { r, s }`) as PKCS#11's `r || s`, each
/// left-padded to `n` bytes; `None` if it is not exactly that or an integer exceeds `n` bytes.
pub fn ecdsa_sig_to_raw(der: &[u8], n: usize) -> Option<Vec<u8>> {
    let (0x30, body, []) = read_tlv(der)? else {
        return None;
    };
    let (r, rest) = read_uint(body)?;
    let (s, []) = read_uint(rest)? else {
        return None;
    };
    if r.len() > n || s.len() > n {
        return None;
    }
    let mut out = vec![0u8; 2 * n];
    out[n - r.len()..n].copy_from_slice(&r);
    out[2 * n - s.len()..].copy_from_slice(&s);
    Some(out)
}

/// PKCS#11's ECDSA `r || s` (two halves of equal length) as the DER `ECDSA-Sig-Value`
/// (`SEQUENCE { r, s }`); `None` for an empty or odd-length input.
pub fn ecdsa_sig_from_raw(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || raw.len() % 2 != 0 {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    Some(seq(&[&uint(r), &uint(s)]))
}

/// The parts of an RFC 5915 ECPrivateKey.
pub struct EcPrivateKeyParts<'a> {
    /// The named curve's DER OBJECT IDENTIFIER (the `[0]` parameters), if present.
    pub curve_oid: Option<&'a [u8]>,
    /// The private scalar, big-endian.
    pub d: &'a [u8],
    /// The public point (the `[1]` BIT STRING), if present.
    pub point: Option<&'a [u8]>,
}

/// RFC 5915 ECPrivateKey: `SEQUENCE { 1, OCTET STRING d, [0] curve OID, [1] BIT STRING point }`.
pub fn ec_private_key(curve_oid: &[u8], d: &[u8], point: &[u8]) -> Zeroizing<Vec<u8>> {
    let d = Zeroizing::new(octet_string(d));
    Zeroizing::new(seq(&[
        &[0x02, 0x01, 0x01],
        &d,
        &tlv(0xA0, curve_oid),
        &tlv(0xA1, &bit_string(point)),
    ]))
}

/// Reads an RFC 5915 ECPrivateKey (version 1; the optional parameters must be a named curve).
pub fn ec_private_key_parts(der: &[u8]) -> Option<EcPrivateKeyParts<'_>> {
    let (0x30, body, []) = read_tlv(der)? else {
        return None;
    };
    let (0x02, [1], rest) = read_tlv(body)? else {
        return None;
    };
    let (0x04, d, mut rest) = read_tlv(rest)? else {
        return None;
    };
    let mut parts = EcPrivateKeyParts {
        curve_oid: None,
        d,
        point: None,
    };
    if let Some((0xA0, oid, more)) = read_tlv(rest) {
        let (0x06, _, []) = read_tlv(oid)? else {
            return None;
        };
        parts.curve_oid = Some(oid);
        rest = more;
    }
    if let Some((0xA1, bits, more)) = read_tlv(rest) {
        let (0x03, bits, []) = read_tlv(bits)? else {
            return None;
        };
        let (0, point) = bits.split_first()? else {
            return None;
        };
        parts.point = Some(point);
        rest = more;
    }
    rest.is_empty().then_some(parts)
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
    fn dsa_spki_and_pkcs8_round_trip() {
        let (p, q, g) = (vec![0x80, 1], vec![0x7F], vec![0, 0, 2]);
        let spki = spki_dsa(&p, &q, &g, &[0x90]);
        assert_eq!(
            dsa_spki_parts(&spki),
            Some(([p.clone(), q.clone(), vec![2]], vec![0x90]))
        );
        assert_eq!(dsa_spki_parts(&spki[..spki.len() - 1]), None, "truncated");
        let p8 = pkcs8_dsa(&p, &q, &g, &[5]);
        let (params, x) = dsa_pkcs8_parts(&p8).unwrap();
        assert_eq!((params, x.to_vec()), ([p, q, vec![2]], vec![5]));
        assert_eq!(dsa_pkcs8_parts(&spki), None, "a public key is no private key");
        let mut trailing = p8.to_vec();
        trailing.push(0);
        assert_eq!(dsa_pkcs8_parts(&trailing).map(|_| ()), None);
    }

    #[test]
    fn ecdsa_signatures_convert_to_r_and_s() {
        let der = seq(&[&uint(&[0x80, 1]), &uint(&[3])]);
        assert_eq!(ecdsa_sig_to_raw(&der, 3), Some(vec![0, 0x80, 1, 0, 0, 3]));
        assert_eq!(ecdsa_sig_to_raw(&der, 1), None, "r is longer than n");
        assert_eq!(ecdsa_sig_to_raw(&der[..der.len() - 1], 3), None);
        // And back: r || s → DER → r || s, high bits and leading zeros included.
        let raw = [0x00, 0x80, 0x01, 0x7f, 0x00, 0x03];
        let der2 = ecdsa_sig_from_raw(&raw).unwrap();
        assert_eq!(
            der2,
            [0x30, 0x0A, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x03, 0x7f, 0x00, 0x03]
        );
        assert_eq!(ecdsa_sig_to_raw(&der2, 3).as_deref(), Some(&raw[..]));
        assert_eq!(ecdsa_sig_from_raw(&raw[..5]), None);
    }

    #[test]
    fn ec_private_keys_round_trip() {
        let oid = b"\x06\x05\x2b\x81\x04\x00\x22";
        let der = ec_private_key(oid, &[7; 48], &[4; 97]);
        let parts = ec_private_key_parts(&der).unwrap();
        assert_eq!(parts.curve_oid, Some(&oid[..]));
        assert_eq!(parts.d, &[7; 48][..]);
        assert_eq!(parts.point, Some(&[4; 97][..]));
        // Without the optional fields.
        let bare = seq(&[&[0x02, 0x01, 0x01], &octet_string(&[9])]);
        let parts = ec_private_key_parts(&bare).unwrap();
        assert!(parts.curve_oid.is_none() && parts.point.is_none());
        assert!(ec_private_key_parts(&der[..der.len() - 2]).is_none(), "truncated");
        let v2 = seq(&[&[0x02, 0x01, 0x02], &octet_string(&[9])]);
        assert!(ec_private_key_parts(&v2).is_none(), "version 2");
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
