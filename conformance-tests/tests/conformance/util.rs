//! Helpers shared by the test modules.

#![allow(dead_code)]

pub use conformance_tests::harness::raw::{fl30, rv_name};
pub use conformance_tests::harness::*;
pub use conformance_tests::{assert_ckr, assert_rv, p11};
pub use cryptoki::mechanism::{Mechanism, MechanismType};
pub use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
pub use cryptoki::session::{Session, SessionState, UserType};
pub use cryptoki::slot::Slot;
pub use cryptoki::types::AuthPin;
pub use cryptoki_sys::*;

/// DER OID of NIST P-256 (prime256v1).
pub const P256_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER OID of NIST P-384 (secp384r1).
pub const P384_OID: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
/// DER OID of NIST P-521 (secp521r1).
pub const P521_OID: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
/// DER OID 1.3.101.112 (Ed25519).
pub const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// DER PrintableString "edwards25519" (the other CKA_EC_PARAMS form in 3.0).
pub const ED25519_NAME: &[u8] = b"\x13\x0cedwards25519";

pub fn pin(p: &str) -> AuthPin {
    AuthPin::from(p)
}

/// All values of the given attributes (panics if one is missing).
#[track_caller]
pub fn attrs(s: &Session, o: ObjectHandle, types: &[AttributeType]) -> Vec<Attribute> {
    let got = s
        .get_attributes(o, types)
        .unwrap_or_else(|e| panic!("C_GetAttributeValue({types:?}): {e}"));
    assert_eq!(
        got.len(),
        types.len(),
        "some of {types:?} are unavailable: got {got:?}"
    );
    got
}

#[track_caller]
pub fn get_bool(s: &Session, o: ObjectHandle, t: AttributeType) -> bool {
    let (rv, v) = raw_attr(s, o, t, 1);
    assert_ckr!(rv, CKR_OK);
    assert_eq!(v.len(), 1, "{t:?} is a CK_BBOOL");
    v[0] != 0
}

#[track_caller]
pub fn get_bytes(s: &Session, o: ObjectHandle, t: AttributeType) -> Vec<u8> {
    let (rv, len) = raw_attr_len(s, o, t);
    assert_ckr!(rv, CKR_OK);
    assert_ne!(len, CK_UNAVAILABLE_INFORMATION, "{t:?} unavailable");
    let (rv, v) = raw_attr(s, o, t, len as usize);
    assert_ckr!(rv, CKR_OK);
    v
}

#[track_caller]
pub fn get_ulong(s: &Session, o: ObjectHandle, t: AttributeType) -> CK_ULONG {
    let v = get_bytes(s, o, t);
    assert_eq!(v.len(), std::mem::size_of::<CK_ULONG>(), "{t:?} is a CK_ULONG");
    CK_ULONG::from_ne_bytes(v.try_into().unwrap())
}

/// Raw C_GetAttributeValue with a NULL pValue: (rv, ulValueLen).
pub fn raw_attr_len(s: &Session, o: ObjectHandle, t: AttributeType) -> (CK_RV, CK_ULONG) {
    let mut a = CK_ATTRIBUTE {
        type_: t.into(),
        pValue: std::ptr::null_mut(),
        ulValueLen: 0,
    };
    let rv = p11!(C_GetAttributeValue(s.handle(), o.handle(), &mut a, 1));
    (rv, a.ulValueLen)
}

/// Raw C_GetAttributeValue into a buffer of `cap` bytes: (rv, value).
pub fn raw_attr(s: &Session, o: ObjectHandle, t: AttributeType, cap: usize) -> (CK_RV, Vec<u8>) {
    let mut buf = vec![0u8; cap];
    let mut a = CK_ATTRIBUTE {
        type_: t.into(),
        pValue: buf.as_mut_ptr() as *mut _,
        ulValueLen: cap as CK_ULONG,
    };
    let rv = p11!(C_GetAttributeValue(s.handle(), o.handle(), &mut a, 1));
    if rv == CKR_OK && a.ulValueLen != CK_UNAVAILABLE_INFORMATION {
        buf.truncate(a.ulValueLen as usize);
    }
    (rv, buf)
}

/// Raw C_SetAttributeValue of a single CK_BBOOL attribute.
pub fn raw_set_bool(s: &Session, o: ObjectHandle, t: AttributeType, v: bool) -> CK_RV {
    let mut b: CK_BBOOL = v as CK_BBOOL;
    let mut a = CK_ATTRIBUTE {
        type_: t.into(),
        pValue: &mut b as *mut CK_BBOOL as *mut _,
        ulValueLen: 1,
    };
    p11!(C_SetAttributeValue(s.handle(), o.handle(), &mut a, 1))
}

/// Adds `extra` to a template, replacing defaults of the same type (a
/// template must not contain an attribute twice with different values).
pub fn merge(t: &mut Vec<Attribute>, extra: &[Attribute]) {
    t.retain(|a| !extra.iter().any(|e| e.attribute_type() == a.attribute_type()));
    t.extend_from_slice(extra);
}

/// Generates an AES key of `len` bytes (session object unless `extra` says).
#[track_caller]
pub fn gen_aes(s: &Session, len: usize, extra: &[Attribute]) -> ObjectHandle {
    let mut t = vec![
        Attribute::ValueLen((len as u64).into()),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
    ];
    merge(&mut t, extra);
    s.generate_key(&Mechanism::AesKeyGen, &t)
        .unwrap_or_else(|e| panic!("C_GenerateKey(AES {len}): {e}"))
}

/// Imports a secret key of the given type with CKA_VALUE = `value`.
#[track_caller]
pub fn import_secret(s: &Session, kt: KeyType, value: &[u8], extra: &[Attribute]) -> ObjectHandle {
    let mut t = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(kt),
        Attribute::Value(value.to_vec()),
    ];
    merge(&mut t, extra);
    s.create_object(&t)
        .unwrap_or_else(|e| panic!("C_CreateObject(secret {kt:?}): {e}"))
}

/// AES key for encryption/decryption with a known value.
pub fn import_aes(s: &Session, value: &[u8]) -> ObjectHandle {
    import_secret(
        s,
        KeyType::AES,
        value,
        &[
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Sign(true),
            Attribute::Verify(true),
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
        ],
    )
}

/// Generates an RSA key pair (session objects unless `extra` says).
#[track_caller]
pub fn gen_rsa(
    s: &Session,
    bits: u64,
    pub_extra: &[Attribute],
    priv_extra: &[Attribute],
) -> (ObjectHandle, ObjectHandle) {
    let mut pubt = vec![
        Attribute::ModulusBits(bits.into()),
        Attribute::PublicExponent(vec![1, 0, 1]),
    ];
    merge(&mut pubt, pub_extra);
    let mut privt = vec![Attribute::Private(true)];
    merge(&mut privt, priv_extra);
    s.generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &pubt, &privt)
        .unwrap_or_else(|e| panic!("C_GenerateKeyPair(RSA {bits}): {e}"))
}

/// Generates an EC (Weierstrass) key pair on the curve given by its DER OID.
#[track_caller]
pub fn gen_ec(
    s: &Session,
    params: &[u8],
    pub_extra: &[Attribute],
    priv_extra: &[Attribute],
) -> (ObjectHandle, ObjectHandle) {
    let mut pubt = vec![Attribute::EcParams(params.to_vec())];
    merge(&mut pubt, pub_extra);
    let mut privt = vec![Attribute::Private(true)];
    merge(&mut privt, priv_extra);
    s.generate_key_pair(&Mechanism::EccKeyPairGen, &pubt, &privt)
        .unwrap_or_else(|e| panic!("C_GenerateKeyPair(EC {}): {e}", hex::encode(params)))
}

/// Unwraps the DER OCTET STRING of CKA_EC_POINT (the spec's encoding).
#[track_caller]
pub fn der_octets(der: &[u8]) -> Vec<u8> {
    assert!(
        der.len() >= 2 && der[0] == 0x04,
        "CKA_EC_POINT is not a DER OCTET STRING: {}",
        hex::encode(der)
    );
    let (len, hdr) = if der[1] < 0x80 {
        (der[1] as usize, 2)
    } else {
        let n = (der[1] & 0x7f) as usize;
        let mut l = 0usize;
        for b in &der[2..2 + n] {
            l = (l << 8) | *b as usize;
        }
        (l, 2 + n)
    };
    assert_eq!(
        der.len(),
        hdr + len,
        "bad DER length in CKA_EC_POINT {}",
        hex::encode(der)
    );
    der[hdr..].to_vec()
}

/// DER OCTET STRING of `v` (short or long form).
pub fn der_octet_string(v: &[u8]) -> Vec<u8> {
    let mut out = vec![0x04];
    if v.len() < 0x80 {
        out.push(v.len() as u8);
    } else if v.len() < 0x100 {
        out.extend_from_slice(&[0x81, v.len() as u8]);
    } else {
        out.extend_from_slice(&[0x82, (v.len() >> 8) as u8, v.len() as u8]);
    }
    out.extend_from_slice(v);
    out
}

/// Public point of an EC/Edwards public key (inner octets of CKA_EC_POINT).
#[track_caller]
pub fn ec_point(s: &Session, pubkey: ObjectHandle) -> Vec<u8> {
    der_octets(&get_bytes(s, pubkey, AttributeType::EcPoint))
}

/// Handles matching a template, through the cryptoki iterator.
#[track_caller]
pub fn find(s: &Session, template: &[Attribute]) -> Vec<ObjectHandle> {
    s.find_objects(template)
        .unwrap_or_else(|e| panic!("C_FindObjects({template:?}): {e}"))
}

/// The raw mechanism type of a cryptoki mechanism type.
pub fn mt(t: MechanismType) -> CK_MECHANISM_TYPE {
    t.into()
}

/// A unique-ish suffix for labels within a process.
pub fn uniq() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// An object handle from a raw value (for invalid-handle checks).
pub fn obj(h: CK_OBJECT_HANDLE) -> ObjectHandle {
    // SAFETY: only used to pass arbitrary handle values to the module.
    unsafe { ObjectHandle::new_from_raw(h) }
}

/// A raw CK_MECHANISM over a parameter struct (or none).
pub fn raw_mech<T>(mechanism: CK_MECHANISM_TYPE, param: Option<&mut T>) -> CK_MECHANISM {
    match param {
        Some(p) => CK_MECHANISM {
            mechanism,
            pParameter: p as *mut T as *mut _,
            ulParameterLen: std::mem::size_of::<T>() as CK_ULONG,
        },
        None => CK_MECHANISM {
            mechanism,
            pParameter: std::ptr::null_mut(),
            ulParameterLen: 0,
        },
    }
}

/// Raw single-part C_SignInit + C_Sign (with a large enough buffer).
pub fn raw_sign(
    s: &Session,
    mech: &mut CK_MECHANISM,
    key: ObjectHandle,
    data: &[u8],
) -> Result<Vec<u8>, CK_RV> {
    init_then_output(
        p11!(C_SignInit(s.handle(), mech, key.handle())),
        1024,
        |out, len| {
            p11!(C_Sign(
                s.handle(),
                data.as_ptr() as *mut u8,
                data.len() as CK_ULONG,
                out,
                len
            ))
        },
    )
}

/// Runs an init call, then a single-part call that writes into a `cap`-byte buffer through the
/// two-call protocol's output pair; returns the output.
pub fn init_then_output(
    init_rv: CK_RV,
    cap: usize,
    call: impl FnOnce(*mut u8, &mut CK_ULONG) -> CK_RV,
) -> Result<Vec<u8>, CK_RV> {
    if init_rv != CKR_OK {
        return Err(init_rv);
    }
    let mut out = vec![0u8; cap];
    let mut len = out.len() as CK_ULONG;
    let rv = call(out.as_mut_ptr(), &mut len);
    if rv != CKR_OK {
        return Err(rv);
    }
    out.truncate(len as usize);
    Ok(out)
}

/// Raw single-part C_VerifyInit + C_Verify.
pub fn raw_verify(s: &Session, mech: &mut CK_MECHANISM, key: ObjectHandle, data: &[u8], sig: &[u8]) -> CK_RV {
    let rv = p11!(C_VerifyInit(s.handle(), mech, key.handle()));
    if rv != CKR_OK {
        return rv;
    }
    p11!(C_Verify(
        s.handle(),
        data.as_ptr() as *mut u8,
        data.len() as CK_ULONG,
        sig.as_ptr() as *mut u8,
        sig.len() as CK_ULONG
    ))
}

/// Asserts that `res` failed with `want`. When SoftHSMv2 is known to return
/// `softhsm2` instead, that is reported as a divergence and the test goes on.
#[track_caller]
pub fn expect_rv<T: std::fmt::Debug>(
    res: cryptoki::error::Result<T>,
    want: cryptoki::error::RvError,
    softhsm2: cryptoki::error::RvError,
    what: &str,
) {
    let got = rv_of(res);
    if got != want && got == softhsm2 && diverges(&format!("{what}: returns {got:?} instead of {want:?}")) {
        return;
    }
    assert_eq!(got, want, "{what}");
}

/// Raw-return-value variant of [`expect_rv`].
#[track_caller]
pub fn expect_ckr(got: CK_RV, want: CK_RV, softhsm2: CK_RV, what: &str) {
    if got != want
        && got == softhsm2
        && diverges(&format!(
            "{what}: returns {} instead of {}",
            rv_name(got),
            rv_name(want)
        ))
    {
        return;
    }
    assert_eq!(
        got,
        want,
        "{what}: expected {} got {}",
        rv_name(want),
        rv_name(got)
    );
}

/// Raw single-part C_EncryptInit + C_Encrypt (with a large enough buffer).
pub fn raw_encrypt(
    s: &Session,
    mech: &mut CK_MECHANISM,
    key: ObjectHandle,
    data: &[u8],
) -> Result<Vec<u8>, CK_RV> {
    init_then_output(
        p11!(C_EncryptInit(s.handle(), mech, key.handle())),
        data.len() + 1024,
        |out, len| {
            p11!(C_Encrypt(
                s.handle(),
                data.as_ptr() as *mut u8,
                data.len() as CK_ULONG,
                out,
                len
            ))
        },
    )
}

/// Raw single-part C_DecryptInit + C_Decrypt (with a large enough buffer).
pub fn raw_decrypt(
    s: &Session,
    mech: &mut CK_MECHANISM,
    key: ObjectHandle,
    data: &[u8],
) -> Result<Vec<u8>, CK_RV> {
    init_then_output(
        p11!(C_DecryptInit(s.handle(), mech, key.handle())),
        data.len() + 1024,
        |out, len| {
            p11!(C_Decrypt(
                s.handle(),
                data.as_ptr() as *mut u8,
                data.len() as CK_ULONG,
                out,
                len
            ))
        },
    )
}
