//! The PKCS#11 module's argument readers on structures built from fuzz input.
//!
//! The structures honour the one contract the readers rely on (PKCS#11 §5: a non-NULL pointer
//! with a length describes that much readable memory): every pointer is NULL (with any length
//! at all) or points into a buffer owned by an [`Arena`] that is at least as long as the length
//! beside it. Everything else — lengths, counts, types, flags, the parameter-structure size —
//! is the fuzzer's choice.
#![allow(unsafe_code)]

use cryptoki_sys as ck;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use softhsm::attr::{self, Kind};
use softhsm::mechanism::Mechanism;
use softhsm::object::factory;
use softhsm_pkcs11::abi;
use std::ffi::c_void;
use std::sync::OnceLock;

/// Owns every buffer a fuzz-built structure points into, for the length of one execution.
/// Moving a `Vec` into the arena does not move its heap buffer, so pointers stay valid.
#[derive(Default)]
struct Arena {
    bytes: Vec<Vec<u8>>,
    attrs: Vec<Vec<ck::CK_ATTRIBUTE>>,
    prf: Vec<Vec<ck::CK_PRF_DATA_PARAM>>,
}

impl Arena {
    fn keep(&mut self, v: Vec<u8>) -> *mut u8 {
        let mut v = v;
        let p = v.as_mut_ptr();
        self.bytes.push(v);
        p
    }
}

/// A (pointer, length) pair: NULL with an arbitrary length, or a fuzz-filled buffer of exactly
/// that length.
fn buffer(u: &mut Unstructured<'_>, arena: &mut Arena) -> Result<(*mut u8, ck::CK_ULONG)> {
    if u.ratio(1, 8)? {
        let len = if u.arbitrary()? { u.arbitrary::<u64>()? } else { 0 };
        return Ok((std::ptr::null_mut(), len as ck::CK_ULONG));
    }
    let n = u.int_in_range(0..=64usize)?;
    let v = u.bytes(n)?.to_vec();
    Ok((arena.keep(v), n as ck::CK_ULONG))
}

/// A plain struct copied into an arena buffer of `len` bytes (the struct's size unless the
/// fuzzer picks another one); the structure itself is fuzz-filled by the caller.
fn struct_param<T: Copy>(
    u: &mut Unstructured<'_>,
    arena: &mut Arena,
    t: T,
) -> Result<(*mut c_void, ck::CK_ULONG)> {
    let size = std::mem::size_of::<T>();
    let len = if u.ratio(1, 16)? {
        u.int_in_range(0..=size + 8)?
    } else {
        size
    };
    let mut v = vec![0u8; len.max(size)];
    // SAFETY: `v` has at least size_of::<T>() bytes; T is a plain C struct (Copy) written
    // unaligned into a byte buffer.
    unsafe { std::ptr::write_unaligned(v.as_mut_ptr() as *mut T, t) };
    Ok((arena.keep(v) as *mut c_void, len as ck::CK_ULONG))
}

/// `v`, or (one time in `n`) any `CK_ULONG`.
fn usually(u: &mut Unstructured<'_>, v: ck::CK_ULONG, n: u32) -> Result<ck::CK_ULONG> {
    if u.ratio(1, n)? {
        ulong(u)
    } else {
        Ok(v)
    }
}

fn ulong(u: &mut Unstructured<'_>) -> Result<ck::CK_ULONG> {
    Ok(if u.arbitrary()? {
        u.int_in_range(0..=512u64)? as ck::CK_ULONG
    } else {
        u.arbitrary::<u64>()? as ck::CK_ULONG
    })
}

// ---- templates -------------------------------------------------------------------------------

fn attr_type(u: &mut Unstructured<'_>) -> Result<ck::CK_ATTRIBUTE_TYPE> {
    Ok(if u.ratio(1, 10)? {
        u.arbitrary::<u64>()? as ck::CK_ATTRIBUTE_TYPE
    } else {
        u.choose(attr::ATTRIBUTES)?.ty as ck::CK_ATTRIBUTE_TYPE
    })
}

/// One attribute's value in the caller's form: a `CK_ULONG` in native order for the ulong
/// kinds (usually), a nested array for array kinds at the top level, bytes otherwise.
fn attribute(u: &mut Unstructured<'_>, arena: &mut Arena, depth: usize) -> Result<ck::CK_ATTRIBUTE> {
    let ty = attr_type(u)?;
    let kind = attr::def(ty as u64).map(|d| d.kind);
    let (p, len) = match kind {
        // Always a real array at the top level: bytes under an attribute-array type would be
        // read as CK_ATTRIBUTEs whose pointers are fuzz bytes, which breaks the caller's side
        // of the contract, not the reader (a CI run stopped on exactly that: fuzz bytes, a
        // whole number of CK_ATTRIBUTEs long, under an attribute-array type, whose fuzz
        // pointers segfaulted in memcpy). Nested arrays are refused before they are read, so
        // bytes are fine there.
        Some(Kind::AttrArray) if depth == 0 => {
            let (p, n) = array(u, arena, depth + 1)?;
            let size = std::mem::size_of::<ck::CK_ATTRIBUTE>() as ck::CK_ULONG;
            // Sometimes a length that is not a whole number of attributes (never more than
            // the array holds).
            let len = if u.ratio(1, 8)? && n > 0 {
                n.wrapping_mul(size).wrapping_sub(1)
            } else {
                n.wrapping_mul(size)
            };
            (p as *mut u8, len)
        }
        Some(Kind::Ulong) | Some(Kind::Bool) if u.ratio(3, 4)? => {
            let v = if kind == Some(Kind::Bool) {
                vec![u.arbitrary::<u8>()? % 3]
            } else {
                ulong(u)?.to_ne_bytes().to_vec()
            };
            let n = v.len() as ck::CK_ULONG;
            (arena.keep(v), n)
        }
        _ => buffer(u, arena)?,
    };
    Ok(ck::CK_ATTRIBUTE {
        type_: ty,
        pValue: p as *mut c_void,
        ulValueLen: len,
    })
}

/// A `CK_ATTRIBUTE` array: NULL with a count, or an arena array of exactly the count.
fn array(
    u: &mut Unstructured<'_>,
    arena: &mut Arena,
    depth: usize,
) -> Result<(*mut ck::CK_ATTRIBUTE, ck::CK_ULONG)> {
    if u.ratio(1, 32)? {
        return Ok((std::ptr::null_mut(), ulong(u)?));
    }
    let n = u.int_in_range(0..=12usize)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(attribute(u, arena, depth)?);
    }
    let p = v.as_mut_ptr();
    arena.attrs.push(v);
    Ok((p, n as ck::CK_ULONG))
}

/// `abi::template` on a fuzz-built array; what it accepts must convert back to the caller's
/// bytes, and then go through the core's normalisation and object schema without panicking.
pub fn template(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut arena = Arena::default();
    let Ok((p, n)) = array(&mut u, &mut arena, 0) else {
        return;
    };
    // SAFETY: every pointer in the array is NULL or points to an arena buffer at least as
    // long as its length (see `attribute`/`buffer`), and the array has `n` entries when
    // non-NULL; the arena outlives the call.
    let Ok(read) = (unsafe { abi::template(p, n) }) else {
        return;
    };
    assert_eq!(read.len() as u64, n as u64, "one entry per attribute");
    if n == 0 {
        return;
    }
    // SAFETY: accepted, so `p` holds `n` attributes (the arena's array).
    let given = unsafe { std::slice::from_raw_parts(p, n as usize) };
    for (a, (ty, v)) in given.iter().zip(read.iter()) {
        assert_eq!(*ty, a.type_ as u64);
        if attr::def(*ty).map(|d| d.kind) == Some(Kind::AttrArray) {
            assert!(attr::dec_array(v).is_some(), "an accepted array re-reads");
            continue;
        }
        // SAFETY: accepted, so pValue/ulValueLen describe an arena buffer (or NULL, 0).
        let raw = unsafe { abi::input(a.pValue as *const u8, a.ulValueLen) }.expect("accepted input");
        assert_eq!(abi::value_out(*ty, v), raw, "value_in ∘ value_out ≠ id");
    }
    let Ok(t) = factory::normalize(&read) else {
        return;
    };
    let class = factory::tmpl_ulong(&t, ck::CKA_CLASS).unwrap_or(ck::CKO_SECRET_KEY);
    let key_type = factory::tmpl_ulong(&t, ck::CKA_KEY_TYPE);
    for origin in [
        factory::Origin::Create,
        factory::Origin::Generate,
        factory::Origin::Unwrap,
        factory::Origin::Derive,
    ] {
        if let Ok(obj) = factory::build(origin, class, key_type, &t) {
            assert_eq!(
                obj.class(),
                Some(class),
                "the built object has the template's class"
            );
        }
    }
}

// ---- mechanisms ------------------------------------------------------------------------------

/// Mechanisms whose parameter the reader interprets, then every mechanism the token offers.
const WITH_PARAMS: &[u64] = &[
    ck::CKM_AES_CBC,
    ck::CKM_AES_CBC_PAD,
    ck::CKM_AES_CTS,
    ck::CKM_AES_KEY_WRAP,
    ck::CKM_AES_KEY_WRAP_PAD,
    ck::CKM_AES_KEY_WRAP_KWP,
    ck::CKM_AES_CTR,
    ck::CKM_AES_GCM,
    ck::CKM_RSA_PKCS_OAEP,
    ck::CKM_RSA_PKCS_PSS,
    ck::CKM_SHA256_RSA_PKCS_PSS,
    ck::CKM_ECDH1_DERIVE,
    ck::CKM_SHA256_HMAC_GENERAL,
    ck::CKM_AES_CMAC_GENERAL,
    ck::CKM_DH_PKCS_DERIVE,
    ck::CKM_AES_ECB_ENCRYPT_DATA,
    ck::CKM_CONCATENATE_BASE_AND_DATA,
    ck::CKM_CONCATENATE_DATA_AND_BASE,
    ck::CKM_AES_CBC_ENCRYPT_DATA,
    ck::CKM_HKDF_DERIVE,
    ck::CKM_HKDF_DATA,
    ck::CKM_PKCS5_PBKD2,
    ck::CKM_SP800_108_COUNTER_KDF,
    ck::CKM_CONCATENATE_BASE_AND_KEY,
    ck::CKM_EDDSA,
];

fn hash_mech(u: &mut Unstructured<'_>) -> Result<ck::CK_ULONG> {
    const H: &[u64] = &[
        ck::CKM_SHA_1,
        ck::CKM_SHA224,
        ck::CKM_SHA256,
        ck::CKM_SHA384,
        ck::CKM_SHA512,
    ];
    let h = *u.choose(H)? as ck::CK_ULONG;
    usually(u, h, 8)
}

fn mgf(u: &mut Unstructured<'_>) -> Result<ck::CK_ULONG> {
    let m = u.int_in_range(1..=5u64)? as ck::CK_ULONG;
    usually(u, m, 8)
}

fn prf_params(
    u: &mut Unstructured<'_>,
    arena: &mut Arena,
) -> Result<(*mut ck::CK_PRF_DATA_PARAM, ck::CK_ULONG)> {
    if u.ratio(1, 16)? {
        return Ok((std::ptr::null_mut(), ulong(u)?));
    }
    let n = u.int_in_range(0..=17usize)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let type_ = match u.int_in_range(0..=3u8)? {
            0 => ck::CK_SP800_108_ITERATION_VARIABLE,
            1 => ck::CK_SP800_108_DKM_LENGTH,
            2 => ck::CK_SP800_108_BYTE_ARRAY,
            _ => ulong(u)? as u64,
        };
        let (p, len) = match type_ {
            ck::CK_SP800_108_ITERATION_VARIABLE => {
                let f = ck::CK_SP800_108_COUNTER_FORMAT {
                    bLittleEndian: u.arbitrary::<u8>()? % 2,
                    ulWidthInBits: ulong(u)?,
                };
                struct_param(u, arena, f)?
            }
            ck::CK_SP800_108_DKM_LENGTH => {
                let f = ck::CK_SP800_108_DKM_LENGTH_FORMAT {
                    dkmLengthMethod: u.int_in_range(0..=3u64)? as ck::CK_ULONG,
                    bLittleEndian: u.arbitrary::<u8>()? % 2,
                    ulWidthInBits: ulong(u)?,
                };
                struct_param(u, arena, f)?
            }
            _ => {
                let (p, len) = buffer(u, arena)?;
                (p as *mut c_void, len)
            }
        };
        v.push(ck::CK_PRF_DATA_PARAM {
            type_: type_ as ck::CK_ULONG,
            pValue: p,
            ulValueLen: len,
        });
    }
    let p = v.as_mut_ptr();
    arena.prf.push(v);
    Ok((p, n as ck::CK_ULONG))
}

/// The parameter of `mech` in the shape the reader expects, fuzz-filled.
fn typed_param(
    u: &mut Unstructured<'_>,
    arena: &mut Arena,
    mech: u64,
) -> Result<(*mut c_void, ck::CK_ULONG)> {
    macro_rules! bytes {
        () => {{
            let (p, n) = buffer(u, arena)?;
            (p, n)
        }};
    }
    Ok(match mech {
        ck::CKM_AES_CTR => {
            let mut cb = [0u8; 16];
            u.fill_buffer(&mut cb)?;
            let s = ck::CK_AES_CTR_PARAMS {
                ulCounterBits: ulong(u)?,
                cb,
            };
            struct_param(u, arena, s)?
        }
        ck::CKM_AES_GCM => {
            let (iv, iv_len) = bytes!();
            let (aad, aad_len) = bytes!();
            // The reader takes the IV length from ulIvBits when ulIvLen is 0 (the 2.40 errata
            // reading; see abi::mechanism), so then the buffer must hold ulIvBits / 8 bytes:
            // a stray ulIvBits beside ulIvLen 0 is only given with a NULL IV or a count that
            // is not whole bytes.
            let (iv_len, bits) = if u.ratio(1, 4)? && !iv.is_null() {
                (
                    0,
                    iv_len * 8 + if u.ratio(1, 8)? { u.int_in_range(1..=7)? } else { 0 },
                )
            } else if iv_len == 0 && !iv.is_null() {
                (0, u.int_in_range(0..=63u64)? as ck::CK_ULONG * 8 + 1)
            } else {
                let bits = if u.arbitrary()? {
                    iv_len.wrapping_mul(8)
                } else {
                    ulong(u)?
                };
                (iv_len, bits)
            };
            let s = ck::CK_GCM_PARAMS {
                pIv: iv,
                ulIvLen: iv_len,
                ulIvBits: bits,
                pAAD: aad,
                ulAADLen: aad_len,
                ulTagBits: *u.choose(&[96, 104, 112, 120, 128, 0, 7, 136])? as ck::CK_ULONG,
            };
            struct_param(u, arena, s)?
        }
        ck::CKM_RSA_PKCS_OAEP => {
            let (p, n) = bytes!();
            let s = ck::CK_RSA_PKCS_OAEP_PARAMS {
                hashAlg: hash_mech(u)?,
                mgf: mgf(u)?,
                source: {
                    let s = u.int_in_range(0..=1u64)? as ck::CK_ULONG;
                    usually(u, s, 8)?
                },
                pSourceData: p as *mut c_void,
                ulSourceDataLen: n,
            };
            struct_param(u, arena, s)?
        }
        ck::CKM_RSA_PKCS_PSS | ck::CKM_SHA256_RSA_PKCS_PSS => {
            let s = ck::CK_RSA_PKCS_PSS_PARAMS {
                hashAlg: hash_mech(u)?,
                mgf: mgf(u)?,
                sLen: ulong(u)?,
            };
            struct_param(u, arena, s)?
        }
        ck::CKM_ECDH1_DERIVE => {
            let (shared, shared_len) = bytes!();
            let (public, public_len) = if u.arbitrary()? {
                // Our own session EC key's point, so derivation can go all the way.
                let point = session().ec_point.clone();
                let n = point.len() as ck::CK_ULONG;
                (arena.keep(point), n)
            } else {
                bytes!()
            };
            let s = ck::CK_ECDH1_DERIVE_PARAMS {
                kdf: usually(u, ck::CKD_NULL as ck::CK_ULONG, 4)?,
                ulSharedDataLen: shared_len,
                pSharedData: shared,
                ulPublicDataLen: public_len,
                pPublicData: public,
            };
            struct_param(u, arena, s)?
        }
        ck::CKM_SHA256_HMAC_GENERAL | ck::CKM_AES_CMAC_GENERAL => {
            let n: ck::CK_MAC_GENERAL_PARAMS = ulong(u)?;
            struct_param(u, arena, n)?
        }
        ck::CKM_AES_ECB_ENCRYPT_DATA
        | ck::CKM_CONCATENATE_BASE_AND_DATA
        | ck::CKM_CONCATENATE_DATA_AND_BASE => {
            let (p, n) = bytes!();
            struct_param(u, arena, ck::CK_KEY_DERIVATION_STRING_DATA { pData: p, ulLen: n })?
        }
        ck::CKM_AES_CBC_ENCRYPT_DATA => {
            let mut iv = [0u8; 16];
            u.fill_buffer(&mut iv)?;
            let (p, n) = bytes!();
            struct_param(
                u,
                arena,
                ck::CK_AES_CBC_ENCRYPT_DATA_PARAMS {
                    iv,
                    pData: p,
                    length: n,
                },
            )?
        }
        ck::CKM_HKDF_DERIVE | ck::CKM_HKDF_DATA => {
            let (salt, salt_len) = bytes!();
            let (info, info_len) = bytes!();
            let s = ck::CK_HKDF_PARAMS {
                bExtract: u.arbitrary::<u8>()? % 2,
                bExpand: u.arbitrary::<u8>()? % 2,
                prfHashMechanism: hash_mech(u)?,
                ulSaltType: u.int_in_range(0..=4u64)? as ck::CK_ULONG,
                pSalt: salt,
                ulSaltLen: salt_len,
                hSaltKey: ulong(u)?,
                pInfo: info,
                ulInfoLen: info_len,
            };
            struct_param(u, arena, s)?
        }
        ck::CKM_PKCS5_PBKD2 => {
            let (salt, salt_len) = bytes!();
            let (pw, pw_len) = bytes!();
            let s = ck::CK_PKCS5_PBKD2_PARAMS2 {
                saltSource: usually(u, ck::CKZ_SALT_SPECIFIED as ck::CK_ULONG, 8)?,
                pSaltSourceData: salt as *mut c_void,
                ulSaltSourceDataLen: salt_len,
                iterations: u.int_in_range(0..=64u64)? as ck::CK_ULONG,
                prf: u.int_in_range(0..=8u64)? as ck::CK_ULONG,
                pPrfData: std::ptr::null_mut(),
                ulPrfDataLen: 0,
                pPassword: pw,
                ulPasswordLen: pw_len,
            };
            struct_param(u, arena, s)?
        }
        ck::CKM_SP800_108_COUNTER_KDF => {
            let (p, n) = prf_params(u, arena)?;
            let s = ck::CK_SP800_108_KDF_PARAMS {
                prfType: usually(u, ck::CKM_SHA256_HMAC as ck::CK_ULONG, 8)?,
                ulNumberOfDataParams: n,
                pDataParams: p,
                ulAdditionalDerivedKeys: if u.ratio(1, 16)? { 1 } else { 0 },
                pAdditionalDerivedKeys: std::ptr::null_mut(),
            };
            struct_param(u, arena, s)?
        }
        ck::CKM_CONCATENATE_BASE_AND_KEY => {
            let h: ck::CK_OBJECT_HANDLE = if u.arbitrary()? { session().aes } else { ulong(u)? };
            struct_param(u, arena, h)?
        }
        ck::CKM_EDDSA => {
            let (p, n) = bytes!();
            let s = ck::CK_EDDSA_PARAMS {
                phFlag: u.arbitrary::<u8>()? % 2,
                ulContextDataLen: n,
                pContextData: p,
            };
            struct_param(u, arena, s)?
        }
        // Raw bytes: the IV of the CBC/wrap family, the DH peer value; refused for the rest.
        _ => {
            let (p, n) = bytes!();
            (p as *mut c_void, n)
        }
    })
}

fn fuzz_mechanism(u: &mut Unstructured<'_>, arena: &mut Arena) -> Result<ck::CK_MECHANISM> {
    let mech = match u.int_in_range(0..=9u8)? {
        0..=5 => *u.choose(WITH_PARAMS)?,
        6..=8 => u.choose(softhsm::mechanism::MECHANISMS)?.mech,
        _ => u.arbitrary::<u64>()?,
    };
    let (p, len) = match u.int_in_range(0..=7u8)? {
        // NULL with any length.
        0 => (std::ptr::null_mut(), ulong(u)?),
        // Raw bytes — never exactly the size of a structure with pointers in it, which would
        // be garbage pointers (outside the PKCS#11 contract): such a size is refused first.
        1 => {
            let (p, n) = buffer(u, arena)?;
            let with_pointers = [
                std::mem::size_of::<ck::CK_GCM_PARAMS>(),
                std::mem::size_of::<ck::CK_RSA_PKCS_OAEP_PARAMS>(),
                std::mem::size_of::<ck::CK_ECDH1_DERIVE_PARAMS>(),
                std::mem::size_of::<ck::CK_KEY_DERIVATION_STRING_DATA>(),
                std::mem::size_of::<ck::CK_AES_CBC_ENCRYPT_DATA_PARAMS>(),
                std::mem::size_of::<ck::CK_HKDF_PARAMS>(),
                std::mem::size_of::<ck::CK_PKCS5_PBKD2_PARAMS2>(),
                std::mem::size_of::<ck::CK_SP800_108_KDF_PARAMS>(),
                std::mem::size_of::<ck::CK_EDDSA_PARAMS>(),
            ];
            let typed = WITH_PARAMS.contains(&mech)
                && !matches!(
                    mech,
                    ck::CKM_AES_CBC
                        | ck::CKM_AES_CBC_PAD
                        | ck::CKM_AES_CTS
                        | ck::CKM_AES_KEY_WRAP
                        | ck::CKM_AES_KEY_WRAP_PAD
                        | ck::CKM_AES_KEY_WRAP_KWP
                        | ck::CKM_DH_PKCS_DERIVE
                );
            if typed && with_pointers.contains(&(n as usize)) {
                (p as *mut c_void, n - 1)
            } else {
                (p as *mut c_void, n)
            }
        }
        _ => typed_param(u, arena, mech)?,
    };
    Ok(ck::CK_MECHANISM {
        mechanism: mech as ck::CK_MECHANISM_TYPE,
        pParameter: p,
        ulParameterLen: len,
    })
}

/// A logged-in session with one key of each family, made once per process.
struct Session {
    hsm: softhsm::hsm::Hsm,
    h: u64,
    aes: u64,
    generic: u64,
    rsa: (u64, u64),
    ec: (u64, u64),
    ec_point: Vec<u8>,
    _dir: std::path::PathBuf,
}

static SESSION: OnceLock<Session> = OnceLock::new();

fn session() -> &'static Session {
    SESSION.get_or_init(|| {
        use softhsm::attr::{enc_bool, enc_ulong};
        let dir = crate::kmip::work_dir("p11");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("fuzz work directory");
        let mut c = softhsm::config::Config::default();
        c.store.path = Some(dir.join("store.db"));
        c.pin.kdf_iterations = Some(10);
        let hsm = softhsm::hsm::Hsm::open(c).expect("store");
        hsm.init_token(0, b"so-pin-1", b"fuzz").expect("init token");
        let h = hsm
            .open_session(0, ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION)
            .expect("session");
        hsm.login(h, ck::CKU_SO, b"so-pin-1").expect("SO login");
        hsm.init_pin(h, b"user-pin-1").expect("init PIN");
        hsm.logout(h).expect("logout");
        hsm.login(h, ck::CKU_USER, b"user-pin-1").expect("user login");
        let all_uses = |extra: Vec<(u64, Vec<u8>)>| {
            let mut t: Vec<(u64, Vec<u8>)> = [
                ck::CKA_ENCRYPT,
                ck::CKA_DECRYPT,
                ck::CKA_SIGN,
                ck::CKA_VERIFY,
                ck::CKA_WRAP,
                ck::CKA_UNWRAP,
                ck::CKA_DERIVE,
            ]
            .into_iter()
            .map(|a| (a, enc_bool(true)))
            .collect();
            t.push((ck::CKA_TOKEN, enc_bool(false)));
            t.push((ck::CKA_EXTRACTABLE, enc_bool(true)));
            t.extend(extra);
            t
        };
        let secret = |mech: u64| {
            hsm.generate_key(
                h,
                &Mechanism::new(mech),
                &all_uses(vec![(ck::CKA_VALUE_LEN, enc_ulong(32))]),
            )
            .expect("secret key")
        };
        let aes = secret(ck::CKM_AES_KEY_GEN);
        let generic = secret(ck::CKM_GENERIC_SECRET_KEY_GEN);
        let pair = |mech: u64, public: Vec<(u64, Vec<u8>)>| {
            let pub_t: Vec<_> = [ck::CKA_ENCRYPT, ck::CKA_VERIFY, ck::CKA_WRAP]
                .into_iter()
                .map(|a| (a, enc_bool(true)))
                .chain([(ck::CKA_TOKEN, enc_bool(false))])
                .chain(public)
                .collect();
            let priv_t: Vec<_> = [ck::CKA_DECRYPT, ck::CKA_SIGN, ck::CKA_UNWRAP, ck::CKA_DERIVE]
                .into_iter()
                .map(|a| (a, enc_bool(true)))
                .chain([(ck::CKA_TOKEN, enc_bool(false))])
                .collect();
            hsm.generate_key_pair(h, &Mechanism::new(mech), &pub_t, &priv_t)
                .expect("key pair")
        };
        let rsa = pair(
            ck::CKM_RSA_PKCS_KEY_PAIR_GEN,
            vec![(ck::CKA_MODULUS_BITS, enc_ulong(2048))],
        );
        // P-256: 06 08 2A 86 48 CE 3D 03 01 07
        let p256 = vec![0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
        let ec = pair(ck::CKM_EC_KEY_PAIR_GEN, vec![(ck::CKA_EC_PARAMS, p256)]);
        let ec_point = match hsm.get_attributes(h, ec.0, &[ck::CKA_EC_POINT]) {
            Ok(v) => match v.into_iter().next() {
                Some(softhsm::hsm::AttrValue::Value(p)) => softhsm::der::octet_string_inner(&p)
                    .map(<[u8]>::to_vec)
                    .unwrap_or(p),
                _ => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        Session {
            hsm,
            h,
            aes,
            generic,
            rsa,
            ec,
            ec_point,
            _dir: dir,
        }
    })
}

/// `abi::mechanism` on a fuzz-built `CK_MECHANISM`; what it accepts is started against each
/// key of the session for every function the token offers it for, and run on a little data.
pub fn mechanism(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut arena = Arena::default();
    let s = session();
    let Ok(m) = fuzz_mechanism(&mut u, &mut arena) else {
        return;
    };
    // SAFETY: pParameter is NULL or an arena buffer of at least ulParameterLen bytes, and
    // every pointer inside a typed structure is NULL or an arena buffer at least as long as
    // its length (see `buffer`/`struct_param`); the arena outlives the call.
    let Ok(mech) = (unsafe { abi::mechanism(&m) }) else {
        return;
    };
    assert_eq!(mech.mech, m.mechanism as u64);
    let Some(def) = softhsm::mechanism::info(mech.mech) else {
        return;
    };
    let input = u.bytes(u.len().min(64)).unwrap_or_default().to_vec();
    let keys = [s.aes, s.generic, s.rsa.0, s.rsa.1, s.ec.0, s.ec.1];
    let out = softhsm::session::Out::Cap(4096);
    for &k in &keys {
        if def.flags & ck::CKF_ENCRYPT != 0 && s.hsm.cipher_init(s.h, &mech, k, true).is_ok() {
            let _ = s.hsm.cipher_once(s.h, &input, out, true);
        }
        if def.flags & ck::CKF_DECRYPT != 0 && s.hsm.cipher_init(s.h, &mech, k, false).is_ok() {
            let _ = s.hsm.cipher_once(s.h, &input, out, false);
        }
        if def.flags & ck::CKF_SIGN != 0 && s.hsm.sign_init(s.h, &mech, k).is_ok() {
            let _ = s.hsm.sign(s.h, &input, out);
        }
        if def.flags & ck::CKF_VERIFY != 0 && s.hsm.verify_init(s.h, &mech, k).is_ok() {
            let _ = s.hsm.verify(s.h, &input, &input);
        }
        if def.flags & ck::CKF_DERIVE != 0 {
            let t = [
                (ck::CKA_TOKEN, attr::enc_bool(false)),
                (ck::CKA_CLASS, attr::enc_ulong(ck::CKO_SECRET_KEY)),
                (ck::CKA_KEY_TYPE, attr::enc_ulong(ck::CKK_GENERIC_SECRET)),
                (ck::CKA_VALUE_LEN, attr::enc_ulong(16)),
            ];
            if let Ok(new) = s.hsm.derive_key(s.h, &mech, k, &t) {
                s.hsm
                    .destroy_object(s.h, new)
                    .expect("a derived key is destroyable");
            }
        }
        if def.flags & ck::CKF_WRAP != 0 {
            let _ = s.hsm.wrap_key(s.h, &mech, k, s.aes, out);
        }
    }
    // Whatever an operation left active ends here, so the next input starts clean.
    let _ = s.hsm.session_cancel(s.h, u64::MAX);
}
