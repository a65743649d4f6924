//! The audited helpers for everything that crosses the C boundary: caller input slices, output
//! buffers with the two-call length protocol, templates, mechanism parameters, and the panic
//! guard every exported function runs its body in.
//!
//! Architecture invariant: this module and `fns/` are the only code in the workspace (besides
//! the core's aws-lc-sys module) that touches raw pointers. Each helper that reads caller memory
//! is an `unsafe fn` whose contract is the PKCS#11 one: a non-NULL pointer with a length
//! describes memory the caller owns for the duration of the call.
#![allow(unsafe_code)]

use cryptoki_sys as ck;
use softhsm::attr::{self, Kind};
use softhsm::mechanism::{KdfField, Mechanism, Param};
use softhsm::session::{Out, Output};
use softhsm::{Error, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Most attributes a template may carry: bounds the work one call can demand.
pub const MAX_TEMPLATE_LEN: usize = 1024;
/// Largest attribute value accepted (certificates included): checked before copying.
pub const MAX_VALUE_LEN: usize = 1 << 20;
/// Largest data input of a single call: above it the length is treated as a caller bug.
pub const MAX_INPUT_LEN: usize = 1 << 30;
/// Largest mechanism-parameter buffer (IV, AAD, label, peer point).
pub const MAX_PARAM_LEN: usize = 1 << 20;

const ULONG: usize = std::mem::size_of::<ck::CK_ULONG>();

/// Runs an entry point's body: maps its error to a `CK_RV`, logs failures (never arguments),
/// and turns a panic into `CKR_GENERAL_ERROR` so that no input can unwind into the host.
pub fn guard(name: &'static str, f: impl FnOnce() -> Result<()>) -> ck::CK_RV {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => ck::CKR_OK,
        Ok(Err(e)) => {
            match e {
                Error::BufferTooSmall { .. } => {}
                _ => log::debug!("{name} -> {e}"),
            }
            e.ck_rv()
        }
        Err(_) => {
            log::error!("{name}: internal panic caught at the PKCS#11 boundary");
            ck::CKR_GENERAL_ERROR
        }
    }
}

/// A caller's input buffer. NULL with a zero length is the empty slice.
///
/// # Safety
/// `p` must be NULL or point to `len` readable bytes that stay valid for `'a`.
pub unsafe fn input<'a>(p: *const u8, len: ck::CK_ULONG) -> Result<&'a [u8]> {
    let len = usize::try_from(len).map_err(|_| Error::ArgumentsBad)?;
    if p.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Error::ArgumentsBad)
        };
    }
    if len > MAX_INPUT_LEN {
        return Err(Error::DataLenRange);
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes (function contract).
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A caller's fixed-size output location. NULL is `CKR_ARGUMENTS_BAD`.
///
/// # Safety
/// `p` must be NULL or point to a writable, aligned `T`.
pub unsafe fn out<'a, T>(p: *mut T) -> Result<&'a mut T> {
    // SAFETY: the caller guarantees a valid, aligned, writable T when non-NULL.
    unsafe { p.as_mut() }.ok_or(Error::ArgumentsBad)
}

/// An output buffer following the PKCS#11 two-call length protocol (§5.2): NULL buffer is a
/// length query; the capacity is read before anything is written; the length is written last.
pub struct OutBuf {
    ptr: *mut u8,
    len: *mut ck::CK_ULONG,
    cap: Option<usize>,
}

impl OutBuf {
    /// # Safety
    /// `len` must be NULL or point to a writable `CK_ULONG`; when `ptr` is non-NULL it must point
    /// to at least `*len` writable bytes.
    pub unsafe fn new(ptr: *mut u8, len: *mut ck::CK_ULONG) -> Result<OutBuf> {
        if len.is_null() {
            return Err(Error::ArgumentsBad);
        }
        let cap = if ptr.is_null() {
            None
        } else {
            // SAFETY: `len` is non-NULL and points to a CK_ULONG (contract).
            Some(usize::try_from(unsafe { *len }).unwrap_or(usize::MAX))
        };
        Ok(OutBuf { ptr, len, cap })
    }

    /// The room offered, as the core sees it.
    pub fn room(&self) -> Out {
        match self.cap {
            None => Out::Query,
            Some(c) => Out::Cap(c),
        }
    }

    /// Writes a core result: data (copied, then its length), a length answer, or the needed
    /// length with `CKR_BUFFER_TOO_SMALL`.
    pub fn write(&self, r: Result<Output>) -> Result<()> {
        let n = match r {
            Ok(Output::Len(n)) => n,
            Ok(Output::Data(v)) => {
                let cap = self.cap.ok_or(Error::GeneralError)?;
                if v.len() > cap {
                    self.set_len(v.len());
                    return Err(Error::BufferTooSmall { needed: v.len() });
                }
                // SAFETY: ptr is non-NULL (cap is Some) with at least cap >= v.len() writable
                // bytes (contract of `new`); the regions cannot overlap (v is ours).
                unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), self.ptr, v.len()) };
                v.len()
            }
            Err(Error::BufferTooSmall { needed }) => {
                self.set_len(needed);
                return Err(Error::BufferTooSmall { needed });
            }
            Err(e) => return Err(e),
        };
        self.set_len(n);
        Ok(())
    }

    fn set_len(&self, n: usize) {
        // SAFETY: `len` is non-NULL and writable (checked in `new`).
        unsafe { *self.len = n as ck::CK_ULONG };
    }
}

/// Converts a value from the caller's form to the core's encoding (native `CK_ULONG`s become
/// 8-byte little-endian).
fn value_in(ty: ck::CK_ATTRIBUTE_TYPE, raw: &[u8]) -> Result<Vec<u8>> {
    match attr::def(ty).map(|d| d.kind) {
        Some(Kind::Ulong) | Some(Kind::MechList) => {
            if raw.len() % ULONG != 0
                || (raw.len() != ULONG && attr::def(ty).map(|d| d.kind) == Some(Kind::Ulong))
            {
                log::info!("attribute {} has a length that is not a CK_ULONG", attr::name(ty));
                return Err(Error::AttributeValueInvalid);
            }
            Ok(raw
                .chunks_exact(ULONG)
                .flat_map(|c| {
                    let mut a = [0u8; ULONG];
                    a.copy_from_slice(c);
                    (ck::CK_ULONG::from_ne_bytes(a) as u64).to_le_bytes()
                })
                .collect())
        }
        _ => Ok(raw.to_vec()),
    }
}

/// Converts a value from the core's encoding to the caller's form.
pub fn value_out(ty: ck::CK_ATTRIBUTE_TYPE, v: &[u8]) -> Vec<u8> {
    match attr::def(ty).map(|d| d.kind) {
        Some(Kind::Ulong) | Some(Kind::MechList) => v
            .chunks_exact(8)
            .flat_map(|c| {
                let u = attr::dec_ulong(c).unwrap_or(0);
                (u as ck::CK_ULONG).to_ne_bytes()
            })
            .collect(),
        _ => v.to_vec(),
    }
}

/// Reads a template into (type, value) pairs in the core's encoding.
///
/// # Safety
/// `p` must be NULL or point to `n` `CK_ATTRIBUTE`s whose `pValue`/`ulValueLen` describe
/// readable memory (for attribute-array types: an array of `CK_ATTRIBUTE`, one level deep).
pub unsafe fn template(p: *const ck::CK_ATTRIBUTE, n: ck::CK_ULONG) -> Result<softhsm::attr::RawTemplate> {
    // SAFETY: forwarded contract; depth 0 allows one nested level.
    unsafe { template_at(p, n, 0) }.map(softhsm::attr::RawTemplate)
}

const ATTR_SIZE: usize = std::mem::size_of::<ck::CK_ATTRIBUTE>();

/// # Safety
/// As [`template`].
unsafe fn template_at(
    p: *const ck::CK_ATTRIBUTE,
    n: ck::CK_ULONG,
    depth: usize,
) -> Result<Vec<(u64, Vec<u8>)>> {
    let n = usize::try_from(n).map_err(|_| Error::ArgumentsBad)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(Error::ArgumentsBad);
    }
    if n > MAX_TEMPLATE_LEN {
        log::info!("template of {n} attributes exceeds the limit of {MAX_TEMPLATE_LEN}");
        return Err(Error::ArgumentsBad);
    }
    // SAFETY: non-NULL with n elements (contract); n is bounded above.
    let attrs = unsafe { std::slice::from_raw_parts(p, n) };
    let mut out = Vec::with_capacity(n);
    for a in attrs {
        let len = usize::try_from(a.ulValueLen).map_err(|_| Error::ArgumentsBad)?;
        if len > MAX_VALUE_LEN {
            log::info!(
                "attribute {} value of {len} bytes exceeds the limit",
                attr::name(a.type_)
            );
            return Err(Error::AttributeValueInvalid);
        }
        if attr::def(a.type_).map(|d| d.kind) == Some(Kind::AttrArray) {
            if depth > 0 || len % ATTR_SIZE != 0 {
                log::info!("attribute array {} is malformed or nested", attr::name(a.type_));
                return Err(Error::AttributeValueInvalid);
            }
            // SAFETY: an attribute array's pValue is an array of len / size_of(CK_ATTRIBUTE)
            // attributes (contract); depth is bounded to one level.
            let inner = unsafe {
                template_at(
                    a.pValue as *const ck::CK_ATTRIBUTE,
                    (len / ATTR_SIZE) as ck::CK_ULONG,
                    depth + 1,
                )
            }?;
            out.push((a.type_ as u64, attr::enc_array(&inner)));
            continue;
        }
        // SAFETY: pValue/ulValueLen describe the caller's value (contract of this fn).
        let raw = unsafe { input(a.pValue as *const u8, a.ulValueLen) }?;
        out.push((a.type_ as u64, value_in(a.type_, raw)?));
    }
    Ok(out)
}

/// Fills a `C_GetAttributeValue` template from the core's answers (PKCS#11 3.0 §5.7.5): every
/// entry is processed; the return value reports the last problem seen.
///
/// # Safety
/// `p` must point to `n` writable `CK_ATTRIBUTE`s whose non-NULL `pValue` has `ulValueLen`
/// writable bytes.
pub unsafe fn fill_template(
    p: *mut ck::CK_ATTRIBUTE,
    n: usize,
    answers: &[softhsm::hsm::AttrValue],
) -> Result<()> {
    use softhsm::hsm::AttrValue;
    // SAFETY: p has n elements (contract), checked non-NULL by the caller.
    let attrs = unsafe { std::slice::from_raw_parts_mut(p, n) };
    let mut rv = Ok(());
    for (a, ans) in attrs.iter_mut().zip(answers) {
        match ans {
            AttrValue::Invalid => {
                a.ulValueLen = ck::CK_UNAVAILABLE_INFORMATION;
                rv = Err(Error::AttributeTypeInvalid);
            }
            AttrValue::Sensitive => {
                a.ulValueLen = ck::CK_UNAVAILABLE_INFORMATION;
                rv = Err(Error::AttributeSensitive);
            }
            AttrValue::Value(v) if attr::def(a.type_).map(|d| d.kind) == Some(Kind::AttrArray) => {
                let entries = attr::dec_array(v).unwrap_or_default();
                let need = entries.len() * ATTR_SIZE;
                if a.pValue.is_null() {
                    a.ulValueLen = need as ck::CK_ULONG;
                } else if (a.ulValueLen as usize) < need {
                    a.ulValueLen = ck::CK_UNAVAILABLE_INFORMATION;
                    rv = Err(Error::BufferTooSmall { needed: 0 });
                } else {
                    // SAFETY: the caller's array holds ulValueLen / size_of(CK_ATTRIBUTE) >=
                    // entries.len() writable attributes (contract).
                    let inner = unsafe {
                        std::slice::from_raw_parts_mut(a.pValue as *mut ck::CK_ATTRIBUTE, entries.len())
                    };
                    let answers: Vec<AttrValue> =
                        entries.iter().map(|(_, v)| AttrValue::Value(v.clone())).collect();
                    for (slot, (ty, _)) in inner.iter_mut().zip(&entries) {
                        slot.type_ = *ty as ck::CK_ATTRIBUTE_TYPE;
                    }
                    // SAFETY: `inner` is the caller's writable array of entries.len() attributes
                    // whose non-NULL pValue buffers have ulValueLen bytes (contract).
                    if let Err(e) = unsafe { fill_template(inner.as_mut_ptr(), entries.len(), &answers) } {
                        rv = Err(e);
                    }
                    a.ulValueLen = need as ck::CK_ULONG;
                }
            }
            AttrValue::Value(v) => {
                let v = value_out(a.type_, v);
                if a.pValue.is_null() {
                    a.ulValueLen = v.len() as ck::CK_ULONG;
                } else if (a.ulValueLen as usize) < v.len() {
                    a.ulValueLen = ck::CK_UNAVAILABLE_INFORMATION;
                    rv = Err(Error::BufferTooSmall { needed: 0 });
                } else {
                    // SAFETY: pValue has ulValueLen >= v.len() writable bytes (contract).
                    unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), a.pValue as *mut u8, v.len()) };
                    a.ulValueLen = v.len() as ck::CK_ULONG;
                }
            }
        }
    }
    rv
}

/// Reads a parameter structure of exactly type `T`.
///
/// # Safety
/// `m.pParameter` must be NULL or point to `m.ulParameterLen` readable bytes.
unsafe fn param_struct<T: Copy>(m: &ck::CK_MECHANISM) -> Result<T> {
    if m.pParameter.is_null() || m.ulParameterLen as usize != std::mem::size_of::<T>() {
        log::info!("mechanism 0x{:X} parameter has the wrong size", m.mechanism);
        return Err(Error::MechanismParamInvalid);
    }
    // SAFETY: non-NULL with exactly size_of::<T>() readable bytes; read_unaligned tolerates
    // a caller structure that is not aligned for T; T is a plain C struct (Copy).
    Ok(unsafe { std::ptr::read_unaligned(m.pParameter as *const T) })
}

/// A buffer inside a parameter structure.
///
/// # Safety
/// `p` must be NULL or point to `len` readable bytes.
unsafe fn param_bytes(p: *const u8, len: ck::CK_ULONG) -> Result<Vec<u8>> {
    if len as usize > MAX_PARAM_LEN {
        return Err(Error::MechanismParamInvalid);
    }
    // SAFETY: forwarded contract.
    unsafe { input(p, len) }
        .map(<[u8]>::to_vec)
        .map_err(|_| Error::MechanismParamInvalid)
}

/// Reads a `CK_MECHANISM` and its parameters into the core's form.
///
/// # Safety
/// `p` must be NULL or point to a readable `CK_MECHANISM` whose parameter pointers are valid
/// for their lengths.
pub unsafe fn mechanism(p: *const ck::CK_MECHANISM) -> Result<Mechanism> {
    // SAFETY: contract.
    let m = unsafe { p.as_ref() }.ok_or(Error::ArgumentsBad)?;
    let mech = m.mechanism as u64;
    let none = m.pParameter.is_null() || m.ulParameterLen == 0;
    let param = match mech {
        ck::CKM_AES_CBC
        | ck::CKM_AES_CBC_PAD
        | ck::CKM_AES_CTS
        | ck::CKM_AES_KEY_WRAP
        | ck::CKM_AES_KEY_WRAP_PAD
        | ck::CKM_AES_KEY_WRAP_KWP => {
            if none {
                Param::None
            } else {
                // SAFETY: pParameter/ulParameterLen describe the caller's IV (contract).
                Param::Iv(unsafe { param_bytes(m.pParameter as *const u8, m.ulParameterLen) }?)
            }
        }
        ck::CKM_AES_CTR => {
            // SAFETY: contract.
            let c: ck::CK_AES_CTR_PARAMS = unsafe { param_struct(m) }?;
            Param::Ctr {
                counter_bits: c.ulCounterBits as u64,
                cb: c.cb,
            }
        }
        ck::CKM_AES_GCM => {
            // SAFETY: contract.
            let g: ck::CK_GCM_PARAMS = unsafe { param_struct(m) }?;
            // Some callers give the IV length only in bits (the 2.40 errata reading).
            let iv_len = if g.ulIvLen == 0 && g.ulIvBits % 8 == 0 {
                g.ulIvBits / 8
            } else {
                g.ulIvLen
            };
            // SAFETY: the structure's buffers are the caller's (contract).
            let iv = unsafe { param_bytes(g.pIv, iv_len) }?;
            // SAFETY: as above.
            let aad = unsafe { param_bytes(g.pAAD, g.ulAADLen) }?;
            Param::Gcm {
                iv,
                aad,
                tag_bits: g.ulTagBits as u64,
            }
        }
        ck::CKM_RSA_PKCS_OAEP => {
            // SAFETY: contract.
            let o: ck::CK_RSA_PKCS_OAEP_PARAMS = unsafe { param_struct(m) }?;
            let source = match o.source as u64 {
                0 => Vec::new(),
                // SAFETY: the structure's buffer is the caller's (contract).
                ck::CKZ_DATA_SPECIFIED => {
                    unsafe { param_bytes(o.pSourceData as *const u8, o.ulSourceDataLen) }?
                }
                _ => return Err(Error::MechanismParamInvalid),
            };
            Param::Oaep {
                hash: o.hashAlg as u64,
                mgf: o.mgf as u64,
                source,
            }
        }
        ck::CKM_RSA_PKCS_PSS
        | ck::CKM_SHA1_RSA_PKCS_PSS
        | ck::CKM_SHA224_RSA_PKCS_PSS
        | ck::CKM_SHA256_RSA_PKCS_PSS
        | ck::CKM_SHA384_RSA_PKCS_PSS
        | ck::CKM_SHA512_RSA_PKCS_PSS => {
            // SAFETY: contract.
            let s: ck::CK_RSA_PKCS_PSS_PARAMS = unsafe { param_struct(m) }?;
            Param::Pss {
                hash: s.hashAlg as u64,
                mgf: s.mgf as u64,
                salt_len: s.sLen as u64,
            }
        }
        ck::CKM_ECDH1_DERIVE => {
            // SAFETY: contract.
            let e: ck::CK_ECDH1_DERIVE_PARAMS = unsafe { param_struct(m) }?;
            // SAFETY: the structure's buffers are the caller's (contract).
            let shared = unsafe { param_bytes(e.pSharedData, e.ulSharedDataLen) }?;
            // SAFETY: as above.
            let public = unsafe { param_bytes(e.pPublicData, e.ulPublicDataLen) }?;
            Param::Ecdh {
                kdf: e.kdf as u64,
                shared,
                public,
            }
        }
        ck::CKM_SHA_1_HMAC_GENERAL
        | ck::CKM_SHA224_HMAC_GENERAL
        | ck::CKM_SHA256_HMAC_GENERAL
        | ck::CKM_SHA384_HMAC_GENERAL
        | ck::CKM_SHA512_HMAC_GENERAL
        | ck::CKM_AES_CMAC_GENERAL => {
            // SAFETY: contract.
            let n: ck::CK_MAC_GENERAL_PARAMS = unsafe { param_struct(m) }?;
            Param::MacLen(n as u64)
        }
        ck::CKM_DH_PKCS_DERIVE => {
            if none {
                return Err(Error::MechanismParamInvalid);
            }
            // SAFETY: pParameter/ulParameterLen are the peer's public value (contract).
            Param::Data(unsafe { param_bytes(m.pParameter as *const u8, m.ulParameterLen) }?)
        }
        ck::CKM_AES_ECB_ENCRYPT_DATA
        | ck::CKM_CONCATENATE_BASE_AND_DATA
        | ck::CKM_CONCATENATE_DATA_AND_BASE => {
            // SAFETY: contract.
            let d: ck::CK_KEY_DERIVATION_STRING_DATA = unsafe { param_struct(m) }?;
            // SAFETY: the structure's buffer is the caller's (contract).
            Param::Data(unsafe { param_bytes(d.pData, d.ulLen) }?)
        }
        ck::CKM_AES_CBC_ENCRYPT_DATA => {
            // SAFETY: contract.
            let d: ck::CK_AES_CBC_ENCRYPT_DATA_PARAMS = unsafe { param_struct(m) }?;
            // SAFETY: the structure's buffer is the caller's (contract).
            Param::CbcData {
                iv: d.iv,
                data: unsafe { param_bytes(d.pData, d.length) }?,
            }
        }
        ck::CKM_HKDF_DERIVE | ck::CKM_HKDF_DATA => {
            // SAFETY: contract.
            let h: ck::CK_HKDF_PARAMS = unsafe { param_struct(m) }?;
            // SAFETY: the structure's buffers are the caller's (contract).
            let salt = unsafe { param_bytes(h.pSalt, h.ulSaltLen) }?;
            // SAFETY: as above.
            let info = unsafe { param_bytes(h.pInfo, h.ulInfoLen) }?;
            Param::Hkdf {
                extract: h.bExtract != 0,
                expand: h.bExpand != 0,
                prf: h.prfHashMechanism as u64,
                salt_type: h.ulSaltType as u64,
                salt,
                salt_key: h.hSaltKey as u64,
                info,
            }
        }
        ck::CKM_PKCS5_PBKD2 => {
            // SAFETY: contract.
            let p: ck::CK_PKCS5_PBKD2_PARAMS2 = unsafe { param_struct(m) }?;
            if p.saltSource as u64 != ck::CKZ_SALT_SPECIFIED {
                return Err(Error::MechanismParamInvalid);
            }
            // SAFETY: the structure's buffers are the caller's (contract).
            let salt = unsafe { param_bytes(p.pSaltSourceData as *const u8, p.ulSaltSourceDataLen) }?;
            // SAFETY: as above.
            let password = unsafe { param_bytes(p.pPassword, p.ulPasswordLen) }?;
            Param::Pbkdf2 {
                salt,
                iterations: p.iterations as u64,
                prf: p.prf as u64,
                password: softhsm::mechanism::SecretBytes::new(password),
            }
        }
        ck::CKM_SP800_108_COUNTER_KDF => {
            // SAFETY: contract.
            let k: ck::CK_SP800_108_KDF_PARAMS = unsafe { param_struct(m) }?;
            if k.ulAdditionalDerivedKeys != 0 {
                log::info!("SP 800-108 additional derived keys are not supported");
                return Err(Error::MechanismParamInvalid);
            }
            let n = k.ulNumberOfDataParams as usize;
            if n == 0 || n > 16 || k.pDataParams.is_null() {
                return Err(Error::MechanismParamInvalid);
            }
            // SAFETY: pDataParams holds ulNumberOfDataParams entries (contract); n is bounded.
            let params = unsafe { std::slice::from_raw_parts(k.pDataParams, n) };
            let mut fields = Vec::with_capacity(n);
            for d in params {
                let field = match d.type_ as u64 {
                    ck::CK_SP800_108_ITERATION_VARIABLE => {
                        let m2 = ck::CK_MECHANISM {
                            mechanism: 0,
                            pParameter: d.pValue,
                            ulParameterLen: d.ulValueLen,
                        };
                        // SAFETY: pValue/ulValueLen describe the caller's counter format.
                        let f: ck::CK_SP800_108_COUNTER_FORMAT = unsafe { param_struct(&m2) }?;
                        KdfField::Counter {
                            little_endian: f.bLittleEndian != 0,
                            width_bits: f.ulWidthInBits as u64,
                        }
                    }
                    ck::CK_SP800_108_DKM_LENGTH => {
                        let m2 = ck::CK_MECHANISM {
                            mechanism: 0,
                            pParameter: d.pValue,
                            ulParameterLen: d.ulValueLen,
                        };
                        // SAFETY: pValue/ulValueLen describe the caller's length format.
                        let f: ck::CK_SP800_108_DKM_LENGTH_FORMAT = unsafe { param_struct(&m2) }?;
                        KdfField::DkmLength {
                            sum_of_segments: f.dkmLengthMethod as u64
                                == ck::CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS,
                            little_endian: f.bLittleEndian != 0,
                            width_bits: f.ulWidthInBits as u64,
                        }
                    }
                    ck::CK_SP800_108_BYTE_ARRAY => {
                        // SAFETY: pValue/ulValueLen describe the caller's bytes.
                        KdfField::Bytes(unsafe { param_bytes(d.pValue as *const u8, d.ulValueLen) }?)
                    }
                    _ => return Err(Error::MechanismParamInvalid),
                };
                fields.push(field);
            }
            Param::Sp800_108 {
                prf: k.prfType as u64,
                fields,
            }
        }
        ck::CKM_CONCATENATE_BASE_AND_KEY => {
            // SAFETY: contract.
            let h: ck::CK_OBJECT_HANDLE = unsafe { param_struct(m) }?;
            Param::Handle(h as u64)
        }
        ck::CKM_EDDSA => {
            if none {
                Param::None
            } else {
                // SAFETY: contract.
                let e: ck::CK_EDDSA_PARAMS = unsafe { param_struct(m) }?;
                let context = if e.pContextData.is_null() && e.ulContextDataLen == 0 {
                    None
                } else {
                    // SAFETY: the structure's buffer is the caller's (contract).
                    Some(unsafe { param_bytes(e.pContextData, e.ulContextDataLen) }?)
                };
                Param::Eddsa {
                    prehash: e.phFlag != 0,
                    context,
                }
            }
        }
        _ => {
            if !none {
                log::info!("mechanism 0x{mech:X} takes no parameter");
                return Err(Error::MechanismParamInvalid);
            }
            Param::None
        }
    };
    Ok(Mechanism { mech, param })
}

/// Copies `s` into a blank-padded fixed-size field.
pub fn pad(dst: &mut [u8], s: &str) {
    dst.fill(b' ');
    let b = s.as_bytes();
    let n = b.len().min(dst.len());
    dst[..n].copy_from_slice(&b[..n]);
}

/// Writes a list with the two-call protocol of `C_GetSlotList`/`C_GetMechanismList`.
///
/// # Safety
/// `count` must be NULL or writable; a non-NULL `list` must have `*count` writable elements.
pub unsafe fn write_list(list: *mut ck::CK_ULONG, count: *mut ck::CK_ULONG, items: &[u64]) -> Result<()> {
    // SAFETY: contract.
    let count = unsafe { out(count) }?;
    if list.is_null() {
        *count = items.len() as ck::CK_ULONG;
        return Ok(());
    }
    if (*count as usize) < items.len() {
        *count = items.len() as ck::CK_ULONG;
        return Err(Error::BufferTooSmall { needed: items.len() });
    }
    for (i, v) in items.iter().enumerate() {
        // SAFETY: i < items.len() <= *count elements (contract).
        unsafe { *list.add(i) = *v as ck::CK_ULONG };
    }
    *count = items.len() as ck::CK_ULONG;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulong_values_round_trip_through_the_core_encoding() {
        let native = (ck::CKO_SECRET_KEY as ck::CK_ULONG).to_ne_bytes();
        let core = value_in(ck::CKA_CLASS, &native).unwrap();
        assert_eq!(attr::dec_ulong(&core), Some(ck::CKO_SECRET_KEY));
        assert_eq!(value_out(ck::CKA_CLASS, &core), native.to_vec());
        assert_eq!(
            value_in(ck::CKA_CLASS, &[1, 2, 3]).unwrap_err(),
            Error::AttributeValueInvalid
        );
        assert_eq!(value_in(ck::CKA_LABEL, b"abc").unwrap(), b"abc");
    }

    #[test]
    fn null_input_rules() {
        // SAFETY: NULL with zero length is allowed and reads nothing.
        assert_eq!(unsafe { input(std::ptr::null(), 0) }.unwrap(), &[] as &[u8]);
        // SAFETY: NULL with a length is rejected before any read.
        assert_eq!(
            unsafe { input(std::ptr::null(), 4) }.unwrap_err(),
            Error::ArgumentsBad
        );
    }

    #[test]
    fn out_buf_protocol() {
        let mut len: ck::CK_ULONG = 0;
        // SAFETY: `len` is a valid CK_ULONG; NULL buffer is a query.
        let o = unsafe { OutBuf::new(std::ptr::null_mut(), &mut len) }.unwrap();
        assert_eq!(o.room(), Out::Query);
        o.write(Ok(Output::Len(7))).unwrap();
        assert_eq!(len, 7);
        let mut buf = [0u8; 4];
        len = 4;
        // SAFETY: buf has 4 writable bytes.
        let o = unsafe { OutBuf::new(buf.as_mut_ptr(), &mut len) }.unwrap();
        assert_eq!(
            o.write(Ok(Output::Data(vec![1; 5]))).unwrap_err(),
            Error::BufferTooSmall { needed: 5 }
        );
        assert_eq!(len, 5);
        len = 4;
        // SAFETY: as above.
        let o = unsafe { OutBuf::new(buf.as_mut_ptr(), &mut len) }.unwrap();
        o.write(Ok(Output::Data(vec![9; 3]))).unwrap();
        assert_eq!((len, buf), (3, [9, 9, 9, 0]));
        // SAFETY: NULL length pointer is rejected before any access.
        assert!(unsafe { OutBuf::new(buf.as_mut_ptr(), std::ptr::null_mut()) }.is_err());
    }

    #[test]
    fn attribute_arrays_cross_the_boundary_both_ways() {
        use softhsm::hsm::AttrValue;
        let mut yes: ck::CK_BBOOL = 1;
        let mut class = ck::CKO_SECRET_KEY as ck::CK_ULONG;
        let mut inner = [
            ck::CK_ATTRIBUTE {
                type_: ck::CKA_EXTRACTABLE,
                pValue: &mut yes as *mut _ as *mut _,
                ulValueLen: 1,
            },
            ck::CK_ATTRIBUTE {
                type_: ck::CKA_CLASS,
                pValue: &mut class as *mut _ as *mut _,
                ulValueLen: 8,
            },
        ];
        let outer = [ck::CK_ATTRIBUTE {
            type_: ck::CKA_WRAP_TEMPLATE,
            pValue: inner.as_mut_ptr() as *mut _,
            ulValueLen: (2 * ATTR_SIZE) as ck::CK_ULONG,
        }];
        // SAFETY: every pointer above refers to live locals of the stated sizes.
        let t = unsafe { template(outer.as_ptr(), 1) }.unwrap();
        let expect = attr::enc_array(&[
            (ck::CKA_EXTRACTABLE, vec![1]),
            (ck::CKA_CLASS, attr::enc_ulong(ck::CKO_SECRET_KEY)),
        ]);
        assert_eq!(*t, vec![(ck::CKA_WRAP_TEMPLATE, expect.clone())]);

        // The three-call protocol of C_GetAttributeValue for an attribute array.
        let answer = [AttrValue::Value(expect)];
        let mut out = [ck::CK_ATTRIBUTE {
            type_: ck::CKA_WRAP_TEMPLATE,
            pValue: std::ptr::null_mut(),
            ulValueLen: 0,
        }];
        // SAFETY: `out` is a live array of one attribute with a NULL value.
        unsafe { fill_template(out.as_mut_ptr(), 1, &answer) }.unwrap();
        assert_eq!(out[0].ulValueLen as usize, 2 * ATTR_SIZE);
        let mut slots = [
            ck::CK_ATTRIBUTE {
                type_: 0,
                pValue: std::ptr::null_mut(),
                ulValueLen: 0,
            },
            ck::CK_ATTRIBUTE {
                type_: 0,
                pValue: std::ptr::null_mut(),
                ulValueLen: 0,
            },
        ];
        out[0].pValue = slots.as_mut_ptr() as *mut _;
        // SAFETY: `slots` holds two attributes with NULL values.
        unsafe { fill_template(out.as_mut_ptr(), 1, &answer) }.unwrap();
        assert_eq!((slots[0].type_, slots[0].ulValueLen), (ck::CKA_EXTRACTABLE, 1));
        assert_eq!((slots[1].type_, slots[1].ulValueLen), (ck::CKA_CLASS, 8));
        let mut b: ck::CK_BBOOL = 0;
        let mut c: ck::CK_ULONG = 0;
        slots[0].pValue = &mut b as *mut _ as *mut _;
        slots[1].pValue = &mut c as *mut _ as *mut _;
        // SAFETY: the value buffers are live locals of the announced lengths.
        unsafe { fill_template(out.as_mut_ptr(), 1, &answer) }.unwrap();
        assert_eq!((b, c), (1, ck::CKO_SECRET_KEY as ck::CK_ULONG));
        assert_eq!((slots[0].ulValueLen, slots[1].ulValueLen), (1, 8));
    }

    #[test]
    fn nested_attribute_arrays_are_refused() {
        let mut inner2 = [ck::CK_ATTRIBUTE {
            type_: ck::CKA_LABEL,
            pValue: std::ptr::null_mut(),
            ulValueLen: 0,
        }];
        let mut inner = [ck::CK_ATTRIBUTE {
            type_: ck::CKA_WRAP_TEMPLATE,
            pValue: inner2.as_mut_ptr() as *mut _,
            ulValueLen: ATTR_SIZE as ck::CK_ULONG,
        }];
        let outer = [ck::CK_ATTRIBUTE {
            type_: ck::CKA_UNWRAP_TEMPLATE,
            pValue: inner.as_mut_ptr() as *mut _,
            ulValueLen: ATTR_SIZE as ck::CK_ULONG,
        }];
        // SAFETY: all pointers refer to live locals of the stated sizes.
        assert_eq!(
            unsafe { template(outer.as_ptr(), 1) }.unwrap_err(),
            Error::AttributeValueInvalid
        );
    }

    #[test]
    fn mechanism_parameters_of_the_wrong_shape_are_refused() {
        // SAFETY: NULL is refused before any read.
        assert_eq!(
            unsafe { mechanism(std::ptr::null()) }.unwrap_err(),
            Error::ArgumentsBad
        );
        let mut short = [0u8; 8];
        let gcm = ck::CK_MECHANISM {
            mechanism: ck::CKM_AES_GCM,
            pParameter: short.as_mut_ptr() as *mut _,
            ulParameterLen: 8,
        };
        // SAFETY: the parameter points to 8 readable bytes; the size check refuses it unread.
        assert_eq!(
            unsafe { mechanism(&gcm) }.unwrap_err(),
            Error::MechanismParamInvalid
        );
        let ecb_with_param = ck::CK_MECHANISM {
            mechanism: ck::CKM_AES_ECB,
            ..gcm
        };
        // SAFETY: as above.
        assert_eq!(
            unsafe { mechanism(&ecb_with_param) }.unwrap_err(),
            Error::MechanismParamInvalid
        );
        let mut fields = [ck::CK_PRF_DATA_PARAM {
            type_: 0,
            pValue: std::ptr::null_mut(),
            ulValueLen: 0,
        }; 17];
        let mut kdf = ck::CK_SP800_108_KDF_PARAMS {
            prfType: ck::CKM_SHA256_HMAC,
            ulNumberOfDataParams: 17,
            pDataParams: fields.as_mut_ptr(),
            ulAdditionalDerivedKeys: 0,
            pAdditionalDerivedKeys: std::ptr::null_mut(),
        };
        let m = ck::CK_MECHANISM {
            mechanism: ck::CKM_SP800_108_COUNTER_KDF,
            pParameter: &mut kdf as *mut _ as *mut _,
            ulParameterLen: std::mem::size_of::<ck::CK_SP800_108_KDF_PARAMS>() as ck::CK_ULONG,
        };
        // SAFETY: the structure and its 17 fields are live locals; the count is refused.
        assert_eq!(
            unsafe { mechanism(&m) }.unwrap_err(),
            Error::MechanismParamInvalid
        );
    }

    #[test]
    fn gcm_iv_length_is_read_from_either_field() {
        let mut iv = [7u8; 12];
        let mut p = ck::CK_GCM_PARAMS {
            pIv: iv.as_mut_ptr(),
            ulIvLen: 0,
            ulIvBits: 96,
            pAAD: std::ptr::null_mut(),
            ulAADLen: 0,
            ulTagBits: 128,
        };
        let m = ck::CK_MECHANISM {
            mechanism: ck::CKM_AES_GCM,
            pParameter: &mut p as *mut _ as *mut _,
            ulParameterLen: std::mem::size_of::<ck::CK_GCM_PARAMS>() as ck::CK_ULONG,
        };
        // SAFETY: the structure and the 12-byte IV are live locals.
        let got = unsafe { mechanism(&m) }.unwrap();
        assert_eq!(
            got.param,
            Param::Gcm {
                iv: vec![7; 12],
                aad: vec![],
                tag_bits: 128
            }
        );
    }

    #[test]
    fn template_limits_are_checked_before_copying() {
        let many = vec![
            ck::CK_ATTRIBUTE {
                type_: ck::CKA_LABEL,
                pValue: std::ptr::null_mut(),
                ulValueLen: 0
            };
            MAX_TEMPLATE_LEN + 1
        ];
        // SAFETY: the array is live; its length is refused before the entries are read.
        assert_eq!(
            unsafe { template(many.as_ptr(), many.len() as ck::CK_ULONG) }.unwrap_err(),
            Error::ArgumentsBad
        );
        let mut byte = 0u8;
        let huge = [ck::CK_ATTRIBUTE {
            type_: ck::CKA_LABEL,
            pValue: &mut byte as *mut _ as *mut _,
            ulValueLen: (MAX_VALUE_LEN + 1) as ck::CK_ULONG,
        }];
        // SAFETY: the claimed length is refused before the value is read.
        assert_eq!(
            unsafe { template(huge.as_ptr(), 1) }.unwrap_err(),
            Error::AttributeValueInvalid
        );
        let null_value = [ck::CK_ATTRIBUTE {
            type_: ck::CKA_LABEL,
            pValue: std::ptr::null_mut(),
            ulValueLen: 4,
        }];
        // SAFETY: a NULL value with a length is refused before any read.
        assert_eq!(
            unsafe { template(null_value.as_ptr(), 1) }.unwrap_err(),
            Error::ArgumentsBad
        );
    }
}
