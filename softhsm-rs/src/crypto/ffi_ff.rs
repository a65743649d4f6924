#![allow(unsafe_code)]
//! Finite-field DSA (FIPS 186) and Diffie-Hellman (PKCS #3) over aws-lc's
//! `BIGNUM`, `DSA` and `DH` objects (aws-lc keeps both for legacy use and
//! marks `DSA` deprecated).
//!
//! Domain parameters and keys are parsed into owned `BIGNUM`s and checked
//! here before aws-lc sees them, so every aws-lc precondition (odd modulus,
//! reduced base, `0 < x < q`, ...) holds by construction and a failure can
//! only mean bad input of the kind the check names or an allocation failure.
//! The size policy for generation lives in the safe `ff` module.

use core::cmp::Ordering;
use core::ffi::{c_int, c_uint};
use core::ptr::{null, null_mut, NonNull};

use aws_lc_sys as sys;

use super::ffi::{bn_bytes, bn_padded, check, fail, owned_ptr, Secret};
use super::{CryptoError as E, Result};

owned_ptr!(Num, sys::BIGNUM, sys::BN_clear_free);
owned_ptr!(BnCtx, sys::BN_CTX, sys::BN_CTX_free);
owned_ptr!(Dsa, sys::DSA, sys::DSA_free);
owned_ptr!(DsaSig, sys::DSA_SIG, sys::DSA_SIG_free);
owned_ptr!(Dh, sys::DH, sys::DH_free);

/// Largest modulus aws-lc accepts for DSA and DH (its
/// `OPENSSL_{DSA,DH}_MAX_MODULUS_BITS`), also SoftHSMv2's maximum.
const MAX_P_BITS: usize = 10_000;
/// Smallest modulus accepted in caller-supplied parameters (SoftHSMv2's
/// minimum for both DSA and DH).
const MIN_P_BITS: usize = 512;

// ---------------------------------------------------------------- BIGNUM

impl Num {
    /// Parses a big-endian unsigned integer (empty input is zero).
    fn from_be(bytes: &[u8]) -> Result<Self> {
        // SAFETY: `bytes` is readable for its length; a null `ret` makes
        // aws-lc allocate a fresh BIGNUM.
        let p = unsafe { sys::BN_bin2bn(bytes.as_ptr(), bytes.len(), null_mut()) };
        Self::from_raw(p, E::Internal)
    }

    fn new() -> Result<Self> {
        // SAFETY: BN_new has no preconditions.
        Self::from_raw(unsafe { sys::BN_new() }, E::Internal)
    }

    fn dup(&self) -> Result<Self> {
        // SAFETY: self owns a live BIGNUM; BN_dup returns a new one or null.
        Self::from_raw(unsafe { sys::BN_dup(self.as_ptr()) }, E::Internal)
    }

    fn bits(&self) -> usize {
        // SAFETY: self owns a live BIGNUM.
        unsafe { sys::BN_num_bits(self.as_ptr()) as usize }
    }

    fn len(&self) -> usize {
        self.bits().div_ceil(8)
    }

    fn is_odd(&self) -> bool {
        // SAFETY: self owns a live BIGNUM.
        unsafe { sys::BN_is_odd(self.as_ptr()) == 1 }
    }

    fn is_zero(&self) -> bool {
        // SAFETY: self owns a live BIGNUM.
        unsafe { sys::BN_is_zero(self.as_ptr()) == 1 }
    }

    /// `self` compared with `other` (both are non-negative here).
    fn cmp(&self, other: &Num) -> Ordering {
        // SAFETY: both BIGNUMs are live and only read.
        unsafe { sys::BN_cmp(self.as_ptr(), other.as_ptr()) }.cmp(&0)
    }

    /// True when `1 < self < bound`, i.e. `self` lies in `[2, bound - 1]`.
    fn in_open_range(&self, bound: &Num) -> bool {
        // SAFETY: self owns a live BIGNUM.
        let above_one = unsafe { sys::BN_cmp_word(self.as_ptr(), 1) } > 0;
        above_one && self.cmp(bound) == Ordering::Less
    }

    /// `self - 1`; `self` must be non-zero.
    fn minus_one(&self) -> Result<Self> {
        let r = self.dup()?;
        // SAFETY: `r` is a live BIGNUM owned here.
        check(unsafe { sys::BN_sub_word(r.as_ptr(), 1) }, E::Internal)?;
        Ok(r)
    }

    /// Minimal big-endian bytes.
    fn bytes(&self) -> Vec<u8> {
        // SAFETY: self owns a live BIGNUM for the duration of the call.
        unsafe { bn_bytes(self.as_ptr()) }
    }
}

/// Minimal big-endian bytes of a secret BIGNUM, in a wiped buffer.
///
/// # Safety
/// `bn` must point to a BIGNUM that stays live during the call.
unsafe fn secret_bytes(bn: *const sys::BIGNUM) -> Result<Secret> {
    // SAFETY: the caller guarantees `bn` is live.
    let len = unsafe { sys::BN_num_bytes(bn) } as usize;
    // SAFETY: as above; `len` bytes always hold the value.
    unsafe { bn_padded(bn, len) }
}

fn bn_ctx() -> Result<BnCtx> {
    // SAFETY: BN_CTX_new has no preconditions.
    BnCtx::from_raw(unsafe { sys::BN_CTX_new() }, E::Internal)
}

/// `base^e mod m` in constant time with respect to `e`. The callers ensure
/// `m` is odd and `base < m`, aws-lc's preconditions.
fn mod_exp(base: &Num, e: &Num, m: &Num) -> Result<Vec<u8>> {
    let (r, ctx) = (Num::new()?, bn_ctx()?);
    let (rp, bp, ep, mp) = (r.as_ptr(), base.as_ptr(), e.as_ptr(), m.as_ptr());
    // SAFETY: all four BIGNUMs and the BN_CTX are live and owned here; `rp`
    // aliases none of the inputs; a null BN_MONT_CTX makes aws-lc build one.
    let rc = unsafe { sys::BN_mod_exp_mont_consttime(rp, bp, ep, mp, ctx.as_ptr(), null()) };
    check(rc, E::Internal)?;
    Ok(r.bytes())
}

/// Hands up to three BIGNUMs (null for `None`) to an aws-lc `set0` call. On
/// success the C object owns them; on failure they are freed here.
///
/// # Safety
/// `set0` must take ownership of all its non-null arguments when it returns
/// 1 and of none of them otherwise, as aws-lc's `*_set0_*` functions do.
unsafe fn give(
    nums: [Option<Num>; 3],
    set0: impl FnOnce(*mut sys::BIGNUM, *mut sys::BIGNUM, *mut sys::BIGNUM) -> c_int,
) -> Result<()> {
    let raw = |n: &Option<Num>| n.as_ref().map_or(null_mut(), Num::as_ptr);
    let rc = set0(raw(&nums[0]), raw(&nums[1]), raw(&nums[2]));
    check(rc, E::Internal)?;
    // The C object now owns every non-null pointer: do not free them here.
    core::mem::forget(nums);
    Ok(())
}

/// Parses an odd prime-field modulus of `MIN_P_BITS..=MAX_P_BITS` bits
/// (else `KeySize`, or `InvalidInput` when even) and a generator in
/// `[2, p - 2]` (else `InvalidInput`). Returns `(p, g, p - 1)`.
fn field(p: &[u8], g: &[u8]) -> Result<(Num, Num, Num)> {
    let p = Num::from_be(p)?;
    if !(MIN_P_BITS..=MAX_P_BITS).contains(&p.bits()) {
        return fail(E::KeySize);
    }
    if !p.is_odd() {
        return fail(E::InvalidInput);
    }
    let (g, p1) = (Num::from_be(g)?, p.minus_one()?);
    if !g.in_open_range(&p1) {
        return fail(E::InvalidInput);
    }
    Ok((p, g, p1))
}

// ------------------------------------------------------------------- DSA

/// Checked DSA domain parameters: `p` odd of 512..=10000 bits, `q` odd of
/// 160, 224 or 256 bits dividing `p - 1`, `1 < g < p - 1`. Primality of `p`
/// and `q` and the order of `g` are not tested (too costly per call; aws-lc
/// and SoftHSMv2 leave that to whoever made the parameters).
pub(super) struct DsaGroup {
    p: Num,
    q: Num,
    g: Num,
}

impl DsaGroup {
    pub(super) fn new(p: &[u8], q: &[u8], g: &[u8]) -> Result<Self> {
        let (p, g, p1) = field(p, g)?;
        let q = Num::from_be(q)?;
        if ![160, 224, 256].contains(&q.bits()) || !q.is_odd() {
            return fail(E::InvalidInput);
        }
        // (p - 1) mod q must be zero; this also implies q < p.
        let (rem, ctx) = (Num::new()?, bn_ctx()?);
        let (r, n, d) = (rem.as_ptr(), p1.as_ptr(), q.as_ptr());
        // SAFETY: all BIGNUMs and the BN_CTX are live and owned here; a null
        // quotient is allowed; `q` is non-zero (it has 160+ bits).
        let rc = unsafe { sys::BN_div(null_mut(), r, n, d, ctx.as_ptr()) };
        check(rc, E::Internal)?;
        if !rem.is_zero() {
            return fail(E::InvalidInput);
        }
        Ok(DsaGroup { p, q, g })
    }

    /// FIPS 186-4 appendix A parameter generation as aws-lc implements it:
    /// `bits` is rounded up to a multiple of 64; `q` has 160 bits below 2048
    /// and 256 bits from 2048 on. Returns `[p, q, g]`.
    pub(super) fn generate(bits: usize) -> Result<[Vec<u8>; 3]> {
        let bits = c_uint::try_from(bits).or_else(|_| fail(E::KeySize))?;
        // SAFETY: DSA_new has no preconditions.
        let dsa = Dsa::from_raw(unsafe { sys::DSA_new() }, E::Internal)?;
        // SAFETY: dsa is live; a null seed (with length 0), counter, h and
        // callback are all allowed.
        let rc = unsafe {
            sys::DSA_generate_parameters_ex(dsa.as_ptr(), bits, null(), 0, null_mut(), null_mut(), null_mut())
        };
        check(rc, E::Internal)?;
        let (mut p, mut q, mut g) = (null(), null(), null());
        // SAFETY: dsa is live; the out-pointers are valid locals.
        unsafe { sys::DSA_get0_pqg(dsa.as_ptr(), &mut p, &mut q, &mut g) };
        // SAFETY: p, q and g are borrowed from `dsa` (bn_bytes maps null to
        // empty), which outlives the calls.
        Ok(unsafe { [bn_bytes(p), bn_bytes(q), bn_bytes(g)] })
    }

    /// Length of `q` in bytes: the width of each of `r` and `s`.
    pub(super) fn q_len(&self) -> usize {
        self.q.len()
    }

    /// Parses a private key, which must satisfy `0 < x < q`.
    fn private(&self, x: &[u8]) -> Result<Num> {
        let x = Num::from_be(x)?;
        if x.is_zero() || x.cmp(&self.q) != Ordering::Less {
            return fail(E::InvalidKey);
        }
        Ok(x)
    }

    /// A fresh `DSA` holding copies of the parameters and the given key
    /// parts. aws-lc requires a public value whenever a key is set.
    fn dsa(&self, y: Option<Num>, x: Option<Num>) -> Result<Dsa> {
        // SAFETY: DSA_new has no preconditions.
        let dsa = Dsa::from_raw(unsafe { sys::DSA_new() }, E::Internal)?;
        let pqg = [Some(self.p.dup()?), Some(self.q.dup()?), Some(self.g.dup()?)];
        // SAFETY: dsa is live and the BIGNUMs fresh; DSA_set0_pqg takes all
        // three on success and none on failure, as `give` requires.
        unsafe { give(pqg, |p, q, g| sys::DSA_set0_pqg(dsa.as_ptr(), p, q, g)) }?;
        if y.is_some() {
            // SAFETY: as above; DSA_set0_key takes y and x (if non-null) on
            // success and fails only when y is null, taking nothing.
            unsafe { give([y, x, None], |y, x, _| sys::DSA_set0_key(dsa.as_ptr(), y, x)) }?;
        }
        Ok(dsa)
    }

    /// A fresh key pair `(x, y)`, x uniform in `[1, q - 1]`.
    pub(super) fn generate_key(&self) -> Result<(Secret, Vec<u8>)> {
        let dsa = self.dsa(None, None)?;
        // SAFETY: dsa is live with checked parameters and no key.
        check(unsafe { sys::DSA_generate_key(dsa.as_ptr()) }, E::Internal)?;
        let (mut y, mut x) = (null(), null());
        // SAFETY: dsa is live; the out-pointers are valid locals.
        unsafe { sys::DSA_get0_key(dsa.as_ptr(), &mut y, &mut x) };
        if x.is_null() || y.is_null() {
            return fail(E::Internal);
        }
        // SAFETY: x and y are borrowed from `dsa`, which outlives the calls.
        Ok(unsafe { (secret_bytes(x)?, bn_bytes(y)) })
    }

    /// `y = g^x mod p` for `0 < x < q`.
    pub(super) fn public(&self, x: &[u8]) -> Result<Vec<u8>> {
        mod_exp(&self.g, &self.private(x)?, &self.p)
    }

    /// DSA over `digest` (aws-lc uses its leftmost `|q|` bits); returns
    /// `r || s`, each left-padded to `q_len`.
    pub(super) fn sign(&self, x: &[u8], digest: &[u8]) -> Result<Vec<u8>> {
        // aws-lc insists on a public value next to the private key but
        // DSA_do_sign never reads it; `g` is an in-range stand-in that spares
        // a modular exponentiation.
        let dsa = self.dsa(Some(self.g.dup()?), Some(self.private(x)?))?;
        // SAFETY: `digest` is readable for its length; dsa is live and holds
        // checked parameters and a private key.
        let sig = unsafe { sys::DSA_do_sign(digest.as_ptr(), digest.len(), dsa.as_ptr()) };
        let sig = DsaSig::from_raw(sig, E::Internal)?;
        let (mut r, mut s) = (null(), null());
        // SAFETY: sig is live; r and s receive pointers borrowed from it.
        unsafe { sys::DSA_SIG_get0(sig.as_ptr(), &mut r, &mut s) };
        if r.is_null() || s.is_null() {
            return fail(E::Internal);
        }
        let n = self.q_len();
        // SAFETY: r and s are borrowed from `sig`, which is still live; both
        // are below q, so they fit in `n` bytes.
        let (r, s) = unsafe { (bn_padded(r, n)?, bn_padded(s, n)?) };
        Ok([&r[..], &s[..]].concat())
    }

    /// Verifies `(r, s)` over `digest` with public value `y` (which must lie
    /// in `[2, p - 1]`, else `InvalidKey`).
    pub(super) fn verify(&self, y: &[u8], digest: &[u8], r: &[u8], s: &[u8]) -> Result<()> {
        let y = Num::from_be(y)?;
        if !y.in_open_range(&self.p) {
            return fail(E::InvalidKey);
        }
        let dsa = self.dsa(Some(y), None)?;
        // SAFETY: DSA_SIG_new has no preconditions.
        let sig = DsaSig::from_raw(unsafe { sys::DSA_SIG_new() }, E::Internal)?;
        let rs = [Some(Num::from_be(r)?), Some(Num::from_be(s)?), None];
        // SAFETY: sig is live; DSA_SIG_set0 takes r and s on success and
        // fails, taking nothing, only when one is null.
        unsafe { give(rs, |r, s, _| sys::DSA_SIG_set0(sig.as_ptr(), r, s)) }?;
        let mut valid: c_int = 0;
        let (d, n) = (digest.as_ptr(), digest.len());
        // SAFETY: `valid` is a valid out-pointer, `d` is readable for `n`
        // bytes, and sig and dsa are live.
        let rc = unsafe { sys::DSA_do_check_signature(&mut valid, d, n, sig.as_ptr(), dsa.as_ptr()) };
        // rc != 1 only if aws-lc could not decide (e.g. s not invertible
        // modulo a composite q): not a valid signature either way.
        check(rc, E::SignatureInvalid)?;
        check(valid, E::SignatureInvalid)
    }
}

// -------------------------------------------------------------------- DH

/// Checked Diffie-Hellman parameters: `p` odd of 512..=10000 bits and
/// `1 < g < p - 1`. Primality (or safe-primality) of `p` is not tested.
pub(super) struct DhGroup {
    p: Num,
    g: Num,
    /// `p - 1`, the exclusive upper bound for private and public values.
    p1: Num,
}

impl DhGroup {
    pub(super) fn new(p: &[u8], g: &[u8]) -> Result<Self> {
        let (p, g, p1) = field(p, g)?;
        Ok(DhGroup { p, g, p1 })
    }

    /// A safe prime `p` of exactly `bits` bits (`p mod 24 == 11`) with
    /// generator 2. Returns `[p, g]`.
    pub(super) fn generate(bits: usize) -> Result<[Vec<u8>; 2]> {
        let bits = c_int::try_from(bits).or_else(|_| fail(E::KeySize))?;
        // SAFETY: DH_new has no preconditions.
        let dh = Dh::from_raw(unsafe { sys::DH_new() }, E::Internal)?;
        // SAFETY: dh is live; a null callback is allowed.
        let rc = unsafe { sys::DH_generate_parameters_ex(dh.as_ptr(), bits, 2, null_mut()) };
        check(rc, E::Internal)?;
        let (mut p, mut g) = (null(), null());
        // SAFETY: dh is live; the out-pointers are valid locals (q not wanted).
        unsafe { sys::DH_get0_pqg(dh.as_ptr(), &mut p, null_mut(), &mut g) };
        // SAFETY: p and g are borrowed from `dh` (bn_bytes maps null to
        // empty), which outlives the calls.
        Ok(unsafe { [bn_bytes(p), bn_bytes(g)] })
    }

    /// Length of `p` in bytes: the width of the shared secret.
    pub(super) fn p_len(&self) -> usize {
        self.p.len()
    }

    /// Parses a private value, which must lie in `[1, p - 2]`.
    fn private(&self, x: &[u8]) -> Result<Num> {
        let x = Num::from_be(x)?;
        if x.is_zero() || x.cmp(&self.p1) != Ordering::Less {
            return fail(E::InvalidKey);
        }
        Ok(x)
    }

    /// A fresh `DH` holding copies of the parameters (no `q`) and, if given,
    /// a private value.
    fn dh(&self, x: Option<Num>) -> Result<Dh> {
        // SAFETY: DH_new has no preconditions.
        let dh = Dh::from_raw(unsafe { sys::DH_new() }, E::Internal)?;
        let pg = [Some(self.p.dup()?), None, Some(self.g.dup()?)];
        // SAFETY: dh is live and the BIGNUMs fresh; DH_set0_pqg takes p and
        // g (q is null) on success and none on failure, as `give` requires.
        unsafe { give(pg, |p, q, g| sys::DH_set0_pqg(dh.as_ptr(), p, q, g)) }?;
        if x.is_some() {
            // SAFETY: as above; DH_set0_key always succeeds and takes x (a
            // null public value is left unset).
            unsafe { give([None, x, None], |y, x, _| sys::DH_set0_key(dh.as_ptr(), y, x)) }?;
        }
        Ok(dh)
    }

    /// A fresh key pair `(x, y)`. Without `q`, aws-lc takes `p` to be a safe
    /// prime and draws x uniformly from `[1, (p - 1) / 2 - 1]`.
    pub(super) fn generate_key(&self) -> Result<(Secret, Vec<u8>)> {
        let dh = self.dh(None)?;
        // SAFETY: dh is live with checked parameters and no key.
        check(unsafe { sys::DH_generate_key(dh.as_ptr()) }, E::Internal)?;
        let (mut y, mut x) = (null(), null());
        // SAFETY: dh is live; the out-pointers are valid locals.
        unsafe { sys::DH_get0_key(dh.as_ptr(), &mut y, &mut x) };
        if x.is_null() || y.is_null() {
            return fail(E::Internal);
        }
        // SAFETY: x and y are borrowed from `dh`, which outlives the calls.
        Ok(unsafe { (secret_bytes(x)?, bn_bytes(y)) })
    }

    /// `y = g^x mod p` for `x` in `[1, p - 2]`.
    pub(super) fn public(&self, x: &[u8]) -> Result<Vec<u8>> {
        mod_exp(&self.g, &self.private(x)?, &self.p)
    }

    /// `peer^x mod p`, left-padded to `p_len`. A peer value outside
    /// `[2, p - 2]`, or a result of 1 or `p - 1`, is `InvalidInput`.
    pub(super) fn compute(&self, x: &[u8], peer: &[u8]) -> Result<Secret> {
        let peer = Num::from_be(peer)?;
        if !peer.in_open_range(&self.p1) {
            return fail(E::InvalidInput);
        }
        let dh = self.dh(Some(self.private(x)?))?;
        let mut out = Secret::new(vec![0u8; self.p_len()]);
        // SAFETY: `out` has DH_size(dh) = p_len writable bytes; peer and dh
        // are live.
        let n = unsafe { sys::DH_compute_key_padded(out.as_mut_ptr(), peer.as_ptr(), dh.as_ptr()) };
        if usize::try_from(n).ok() != Some(out.len()) {
            return fail(E::InvalidInput);
        }
        Ok(out)
    }
}
