#![allow(unsafe_code)]
//! Curve25519 (Ed25519, X25519) and PKCS#8 private-key encoding through
//! aws-lc's `EVP_parse_private_key` / `EVP_marshal_private_key`.

use core::ptr::{null_mut, NonNull};

use aws_lc_sys as sys;
use zeroize::Zeroizing;

use super::ffi::{self, bn_padded, check, fail, owned_ptr, rsa_parts, Secret};
use super::{CryptoError as E, Curve, Result, RsaComponents};

owned_ptr!(Pkey, sys::EVP_PKEY, sys::EVP_PKEY_free);

// --------------------------------------------------------------- Ed25519

/// Expands a 32-byte seed into `(public key, 64-byte private key)`.
pub(super) fn ed25519_keypair(seed: &[u8; 32]) -> ([u8; 32], Zeroizing<[u8; 64]>) {
    let (mut public, mut private) = ([0u8; 32], Zeroizing::new([0u8; 64]));
    let (p, k) = (public.as_mut_ptr(), private.as_mut_ptr());
    // SAFETY: the buffers are 32 and 64 writable bytes and the seed 32
    // readable bytes, exactly what ED25519_keypair_from_seed requires.
    unsafe { sys::ED25519_keypair_from_seed(p, k, seed.as_ptr()) };
    (public, private)
}

pub(super) fn ed25519_sign(private: &[u8; 64], msg: &[u8]) -> Result<[u8; 64]> {
    let mut sig = [0u8; 64];
    let (s, k) = (sig.as_mut_ptr(), private.as_ptr());
    // SAFETY: `s` is 64 writable bytes, `k` a 64-byte key, `msg` readable.
    let rc = unsafe { sys::ED25519_sign(s, msg.as_ptr(), msg.len(), k) };
    check(rc, E::Internal)?;
    Ok(sig)
}

pub(super) fn ed25519_verify(public: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<()> {
    // SAFETY: `sig` is 64 bytes, `public` 32 bytes, `msg` readable.
    let rc = unsafe { sys::ED25519_verify(msg.as_ptr(), msg.len(), sig.as_ptr(), public.as_ptr()) };
    check(rc, E::SignatureInvalid)
}

// ---------------------------------------------------------------- X25519

/// A fresh `(private key, public value)`; aws-lc clamps the private key.
pub(super) fn x25519_keypair() -> (Zeroizing<[u8; 32]>, [u8; 32]) {
    let (mut private, mut public) = (Zeroizing::new([0u8; 32]), [0u8; 32]);
    // SAFETY: both buffers are 32 writable bytes, as X25519_keypair requires.
    unsafe { sys::X25519_keypair(public.as_mut_ptr(), private.as_mut_ptr()) };
    (private, public)
}

pub(super) fn x25519_public(private: &[u8; 32]) -> [u8; 32] {
    let mut public = [0u8; 32];
    // SAFETY: `public` is 32 writable bytes and `private` 32 readable bytes.
    unsafe { sys::X25519_public_from_private(public.as_mut_ptr(), private.as_ptr()) };
    public
}

/// RFC 7748 X25519; an all-zero result (small-order peer) is `InvalidInput`.
pub(super) fn x25519(private: &[u8; 32], peer: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    // SAFETY: `out` is 32 writable bytes; `private` and `peer` are 32
    // readable bytes each.
    let rc = unsafe { sys::X25519(out.as_mut_ptr(), private.as_ptr(), peer.as_ptr()) };
    check(rc, E::InvalidInput)?;
    Ok(out)
}

// ---------------------------------------------------------------- PKCS#8

/// The raw 32-byte private key types.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RawKind {
    Ed25519,
    X25519,
}

impl RawKind {
    fn id(self) -> core::ffi::c_int {
        match self {
            RawKind::Ed25519 => sys::EVP_PKEY_ED25519,
            RawKind::X25519 => sys::EVP_PKEY_X25519,
        }
    }
}

/// A decoded PKCS#8 key as plain components, for the safe constructors to
/// validate and wrap.
pub(super) enum Decoded {
    Rsa(RsaComponents),
    /// The curve and the scalar, left-padded to the curve's order length.
    Ec(Curve, Secret),
    Raw(RawKind, Zeroizing<[u8; 32]>),
}

/// A buffer allocated by aws-lc, wiped and freed by `OPENSSL_free` on drop.
struct OpensslBuf(NonNull<u8>);

impl Drop for OpensslBuf {
    fn drop(&mut self) {
        // SAFETY: the pointer came from an aws-lc allocation that this
        // wrapper owns and frees exactly once; OPENSSL_free wipes it.
        unsafe { sys::OPENSSL_free(self.0.as_ptr().cast()) }
    }
}

/// A growable `CBB`, released on drop.
struct Cbb(sys::CBB);

impl Drop for Cbb {
    fn drop(&mut self) {
        // SAFETY: the CBB is zeroed, initialised or finished, and never a
        // child; CBB_cleanup frees (and OPENSSL_free wipes) any buffer it
        // still owns and is a no-op otherwise.
        unsafe { sys::CBB_cleanup(&mut self.0) }
    }
}

/// `EVP_marshal_private_key`: DER PrivateKeyInfo / OneAsymmetricKey v1.
fn marshal(pkey: &Pkey) -> Result<Secret> {
    // SAFETY: an all-zero CBB is exactly what CBB_zero produces, a valid
    // state for CBB_init and CBB_cleanup.
    let mut cbb = Cbb(unsafe { core::mem::zeroed() });
    // SAFETY: `cbb.0` is a zeroed top-level CBB; pkey is live.
    let ok = unsafe {
        sys::CBB_init(&mut cbb.0, 256) == 1 && sys::EVP_marshal_private_key(&mut cbb.0, pkey.as_ptr()) == 1
    };
    if !ok {
        // Encoding only fails for keys it cannot represent (e.g. RSA without
        // CRT parameters) or on allocation failure.
        return fail(E::InvalidKey);
    }
    let (mut data, mut len) = (null_mut(), 0usize);
    // SAFETY: `cbb.0` is an initialised top-level CBB; the out-pointers are
    // valid locals. On success the buffer's ownership passes to us.
    let rc = unsafe { sys::CBB_finish(&mut cbb.0, &mut data, &mut len) };
    check(rc, E::Internal)?;
    let Some(buf) = NonNull::new(data).map(OpensslBuf) else {
        return fail(E::Internal);
    };
    // SAFETY: CBB_finish returned `len` initialised bytes at `buf`, which
    // stays allocated until `buf` is dropped at the end of this function.
    let der = unsafe { core::slice::from_raw_parts(buf.0.as_ptr(), len) };
    Ok(Zeroizing::new(der.to_vec()))
}

fn new_pkey() -> Result<Pkey> {
    // SAFETY: EVP_PKEY_new has no preconditions.
    Pkey::from_raw(unsafe { sys::EVP_PKEY_new() }, E::Internal)
}

pub(super) fn pkcs8_rsa(rsa: &ffi::Rsa) -> Result<Secret> {
    let pkey = new_pkey()?;
    // SAFETY: both objects are live; set1 takes its own RSA reference.
    let rc = unsafe { sys::EVP_PKEY_set1_RSA(pkey.as_ptr(), rsa.as_ptr()) };
    check(rc, E::Internal)?;
    marshal(&pkey)
}

pub(super) fn pkcs8_ec(key: &ffi::EcKey) -> Result<Secret> {
    let pkey = new_pkey()?;
    // SAFETY: both objects are live; set1 takes its own EC_KEY reference.
    let rc = unsafe { sys::EVP_PKEY_set1_EC_KEY(pkey.as_ptr(), key.as_ptr()) };
    check(rc, E::Internal)?;
    marshal(&pkey)
}

/// RFC 8410 encoding of an Ed25519 seed or an X25519 private key.
pub(super) fn pkcs8_raw(kind: RawKind, key: &[u8; 32]) -> Result<Secret> {
    // SAFETY: `key` is 32 readable bytes, which aws-lc copies; null is checked.
    let p = unsafe { sys::EVP_PKEY_new_raw_private_key(kind.id(), null_mut(), key.as_ptr(), 32) };
    marshal(&Pkey::from_raw(p, E::InvalidKey)?)
}

/// Parses exactly one DER PrivateKeyInfo / OneAsymmetricKey (v1 or v2)
/// holding an RSA, EC (supported curves), Ed25519 or X25519 key. Anything
/// else, including trailing bytes, is `InvalidKey`.
pub(super) fn pkcs8_parse(der: &[u8]) -> Result<Decoded> {
    let mut cbs = sys::CBS {
        data: der.as_ptr(),
        len: der.len(),
    };
    // SAFETY: `cbs` views `der`, which outlives the call; null is checked.
    let pkey = Pkey::from_raw(unsafe { sys::EVP_parse_private_key(&mut cbs) }, E::InvalidKey)?;
    // SAFETY: `cbs` is a valid CBS over `der`.
    if unsafe { sys::CBS_len(&cbs) } != 0 {
        return fail(E::InvalidKey);
    }
    let pk = pkey.as_ptr();
    // SAFETY: pkey is live.
    let id = unsafe { sys::EVP_PKEY_id(pk) };
    match id {
        sys::EVP_PKEY_RSA => {
            // SAFETY: pkey is live; the RSA is borrowed from it (or null).
            let rsa = unsafe { sys::EVP_PKEY_get0_RSA(pk) };
            if rsa.is_null() {
                return fail(E::InvalidKey);
            }
            // SAFETY: `rsa` is borrowed from pkey, live for the call.
            let [n, e, d, p, q, dp, dq, qinv] = unsafe { rsa_parts(rsa) };
            let c = RsaComponents {
                n,
                e,
                d,
                p,
                q,
                dp,
                dq,
                qinv,
            };
            Ok(Decoded::Rsa(c))
        }
        sys::EVP_PKEY_EC => {
            // SAFETY: pkey is live; the EC_KEY is borrowed from it (or null).
            let ec = unsafe { sys::EVP_PKEY_get0_EC_KEY(pk) };
            if ec.is_null() {
                return fail(E::InvalidKey);
            }
            // SAFETY: `ec` is live; its group (static for named curves) and
            // private key are borrowed from it and checked for null.
            let (group, d) = unsafe { (sys::EC_KEY_get0_group(ec), sys::EC_KEY_get0_private_key(ec)) };
            if group.is_null() || d.is_null() {
                return fail(E::InvalidKey);
            }
            // SAFETY: `group` is live (see above).
            let nid = unsafe { sys::EC_GROUP_get_curve_name(group) };
            let Some(curve) = Curve::ALL.into_iter().find(|&c| ffi::curve_nid(c) == nid) else {
                return fail(E::InvalidKey);
            };
            // SAFETY: `d` is borrowed from `ec`, live for the call.
            let d = unsafe { bn_padded(d, curve.order_len()) }.or_else(|_| fail(E::InvalidKey))?;
            Ok(Decoded::Ec(curve, d))
        }
        _ => {
            let kind = match id {
                sys::EVP_PKEY_ED25519 => RawKind::Ed25519,
                sys::EVP_PKEY_X25519 => RawKind::X25519,
                _ => return fail(E::InvalidKey),
            };
            let (mut out, mut len) = (Zeroizing::new([0u8; 32]), 32usize);
            // SAFETY: pkey is live; `out` has `len` writable bytes.
            let rc = unsafe { sys::EVP_PKEY_get_raw_private_key(pk, out.as_mut_ptr(), &mut len) };
            check(rc, E::InvalidKey)?;
            if len != 32 {
                return fail(E::InvalidKey);
            }
            Ok(Decoded::Raw(kind, out))
        }
    }
}
