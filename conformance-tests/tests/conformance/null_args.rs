//! NULL in every pointer argument of every function (PKCS#11 3.0 base §5.1 and each function's
//! section: a NULL where the function needs memory is `CKR_ARGUMENTS_BAD`). One table row per
//! (function, pointer argument): a call that would be valid, with that one pointer NULL. Each row
//! runs in a session of its own (a refused call may or may not end an active operation).
//! A coverage check keeps the table in step with the 3.0 function list: every function is in
//! the table, takes no pointer that may not be NULL, or is one of the optional functions,
//! which are called with NULL everywhere and must refuse.

use crate::util::*;
use std::collections::BTreeSet;
use std::ptr::null_mut;

/// What the rows need: a user token and an SO-logged-in session on a second token, keys and
/// the outputs they make.
struct Ctx {
    slot: CK_SLOT_ID,
    so_session: CK_SESSION_HANDLE,
    /// AES: encrypt, decrypt, wrap, unwrap, derive.
    aes: CK_OBJECT_HANDLE,
    /// An extractable AES key to wrap.
    target: CK_OBJECT_HANDLE,
    hmac: CK_OBJECT_HANDLE,
    data_object: CK_OBJECT_HANDLE,
    block: [u8; 16],
    mac: Vec<u8>,
    wrapped: Vec<u8>,
}

type Call = fn(&Ctx, CK_SESSION_HANDLE) -> CK_RV;

struct Row {
    function: &'static str,
    null: &'static str,
    call: Call,
}

macro_rules! row {
    ($function:literal, $null:literal, $call:expr) => {
        Row {
            function: $function,
            null: $null,
            call: $call,
        }
    };
}

fn mech(m: CK_MECHANISM_TYPE) -> CK_MECHANISM {
    raw_mech::<u8>(m, None)
}

fn ulong_attr(t: CK_ATTRIBUTE_TYPE, v: &CK_ULONG) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: t,
        pValue: v as *const CK_ULONG as *mut _,
        ulValueLen: std::mem::size_of::<CK_ULONG>() as CK_ULONG,
    }
}

fn bool_attr(t: CK_ATTRIBUTE_TYPE, v: &CK_BBOOL) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: t,
        pValue: v as *const CK_BBOOL as *mut _,
        ulValueLen: 1,
    }
}

const DATA: CK_ULONG = CKO_DATA;
const SECRET: CK_ULONG = CKO_SECRET_KEY;
const AES: CK_ULONG = CKK_AES;
const LEN16: CK_ULONG = 16;
const FALSE: CK_BBOOL = CK_FALSE;
const PIN: &[u8] = USER_PIN.as_bytes();

/// A session data object template (two attributes).
fn data_template() -> [CK_ATTRIBUTE; 2] {
    [ulong_attr(CKA_CLASS, &DATA), bool_attr(CKA_TOKEN, &FALSE)]
}

/// A session AES key template for C_UnwrapKey / C_DeriveKey.
fn aes_template() -> [CK_ATTRIBUTE; 3] {
    [
        ulong_attr(CKA_CLASS, &SECRET),
        ulong_attr(CKA_KEY_TYPE, &AES),
        bool_attr(CKA_TOKEN, &FALSE),
    ]
}

fn out_len() -> CK_ULONG {
    256
}

/// One row per NULL-able pointer argument, in the order of the 3.0 function list.
fn rows() -> Vec<Row> {
    vec![
        row!("C_GetInfo", "pInfo", |_, _| p11!(C_GetInfo(null_mut()))),
        row!("C_GetFunctionList", "ppFunctionList", |_, _| p11!(
            C_GetFunctionList(null_mut())
        )),
        row!("C_GetSlotList", "pulCount", |_, _| p11!(C_GetSlotList(
            CK_TRUE,
            null_mut(),
            null_mut()
        ))),
        row!("C_GetSlotInfo", "pInfo", |c, _| p11!(C_GetSlotInfo(
            c.slot,
            null_mut()
        ))),
        row!("C_GetTokenInfo", "pInfo", |c, _| p11!(C_GetTokenInfo(
            c.slot,
            null_mut()
        ))),
        row!("C_GetMechanismList", "pulCount", |c, _| p11!(C_GetMechanismList(
            c.slot,
            null_mut(),
            null_mut()
        ))),
        row!("C_GetMechanismInfo", "pInfo", |c, _| p11!(C_GetMechanismInfo(
            c.slot,
            CKM_SHA256,
            null_mut()
        ))),
        row!("C_InitToken", "pPin", |_, _| {
            let mut label = [b' '; 32];
            on_free_slot(|slot| p11!(C_InitToken(slot, null_mut(), 8, label.as_mut_ptr())))
        }),
        row!("C_InitToken", "pLabel", |_, _| {
            let mut pin = *b"12345678";
            on_free_slot(|slot| p11!(C_InitToken(slot, pin.as_mut_ptr(), 8, null_mut())))
        }),
        row!("C_InitPIN", "pPin", |c, _| p11!(C_InitPIN(
            c.so_session,
            null_mut(),
            8
        ))),
        row!("C_SetPIN", "pOldPin", |_, h| {
            let mut new = *b"11112222";
            p11!(C_SetPIN(h, null_mut(), 8, new.as_mut_ptr(), 8))
        }),
        row!("C_SetPIN", "pNewPin", |_, h| {
            let mut old = PIN.to_vec();
            p11!(C_SetPIN(
                h,
                old.as_mut_ptr(),
                old.len() as CK_ULONG,
                null_mut(),
                8
            ))
        }),
        row!("C_OpenSession", "phSession", |c, _| p11!(C_OpenSession(
            c.slot,
            CKF_SERIAL_SESSION | CKF_RW_SESSION,
            null_mut(),
            None,
            null_mut()
        ))),
        row!("C_GetSessionInfo", "pInfo", |_, h| p11!(C_GetSessionInfo(
            h,
            null_mut()
        ))),
        row!("C_Login", "pPin", |_, h| p11!(C_Login(
            h,
            CKU_USER,
            null_mut(),
            8
        ))),
        row!("C_CreateObject", "pTemplate", |_, h| {
            let mut o = 0;
            p11!(C_CreateObject(h, null_mut(), 2, &mut o))
        }),
        row!("C_CreateObject", "phObject", |_, h| {
            let mut t = data_template();
            p11!(C_CreateObject(h, t.as_mut_ptr(), 2, null_mut()))
        }),
        row!("C_CopyObject", "pTemplate", |c, h| {
            let mut o = 0;
            p11!(C_CopyObject(h, c.data_object, null_mut(), 1, &mut o))
        }),
        row!("C_CopyObject", "phNewObject", |c, h| {
            let mut t = [bool_attr(CKA_TOKEN, &FALSE)];
            p11!(C_CopyObject(h, c.data_object, t.as_mut_ptr(), 1, null_mut()))
        }),
        row!("C_GetObjectSize", "pulSize", |c, h| p11!(C_GetObjectSize(
            h,
            c.data_object,
            null_mut()
        ))),
        row!("C_GetAttributeValue", "pTemplate", |c, h| p11!(
            C_GetAttributeValue(h, c.data_object, null_mut(), 1)
        )),
        row!("C_SetAttributeValue", "pTemplate", |c, h| p11!(
            C_SetAttributeValue(h, c.data_object, null_mut(), 1)
        )),
        row!("C_FindObjectsInit", "pTemplate", |_, h| p11!(C_FindObjectsInit(
            h,
            null_mut(),
            1
        ))),
        row!("C_FindObjects", "phObject", |_, h| {
            assert_ckr!(p11!(C_FindObjectsInit(h, null_mut(), 0)), CKR_OK);
            let mut n = 0;
            p11!(C_FindObjects(h, null_mut(), 1, &mut n))
        }),
        row!("C_FindObjects", "pulObjectCount", |_, h| {
            assert_ckr!(p11!(C_FindObjectsInit(h, null_mut(), 0)), CKR_OK);
            let mut o = [0; 4];
            p11!(C_FindObjects(h, o.as_mut_ptr(), 4, null_mut()))
        }),
        row!("C_EncryptInit", "pMechanism", |c, h| p11!(C_EncryptInit(
            h,
            null_mut(),
            c.aes
        ))),
        row!("C_Encrypt", "pData", |c, h| {
            assert_ckr!(p11!(C_EncryptInit(h, &mut mech(CKM_AES_ECB), c.aes)), CKR_OK);
            let (mut out, mut n) = ([0u8; 256], out_len());
            p11!(C_Encrypt(h, null_mut(), 16, out.as_mut_ptr(), &mut n))
        }),
        row!("C_Encrypt", "pulEncryptedDataLen", |c, h| {
            assert_ckr!(p11!(C_EncryptInit(h, &mut mech(CKM_AES_ECB), c.aes)), CKR_OK);
            let (mut b, mut out) = (c.block, [0u8; 256]);
            p11!(C_Encrypt(h, b.as_mut_ptr(), 16, out.as_mut_ptr(), null_mut()))
        }),
        row!("C_EncryptUpdate", "pPart", |c, h| {
            assert_ckr!(p11!(C_EncryptInit(h, &mut mech(CKM_AES_ECB), c.aes)), CKR_OK);
            let (mut out, mut n) = ([0u8; 256], out_len());
            p11!(C_EncryptUpdate(h, null_mut(), 16, out.as_mut_ptr(), &mut n))
        }),
        row!("C_EncryptUpdate", "pulEncryptedPartLen", |c, h| {
            assert_ckr!(p11!(C_EncryptInit(h, &mut mech(CKM_AES_ECB), c.aes)), CKR_OK);
            let (mut b, mut out) = (c.block, [0u8; 256]);
            p11!(C_EncryptUpdate(
                h,
                b.as_mut_ptr(),
                16,
                out.as_mut_ptr(),
                null_mut()
            ))
        }),
        row!("C_EncryptFinal", "pulLastEncryptedPartLen", |c, h| {
            assert_ckr!(p11!(C_EncryptInit(h, &mut mech(CKM_AES_ECB), c.aes)), CKR_OK);
            let mut out = [0u8; 256];
            p11!(C_EncryptFinal(h, out.as_mut_ptr(), null_mut()))
        }),
        row!("C_DecryptInit", "pMechanism", |c, h| p11!(C_DecryptInit(
            h,
            null_mut(),
            c.aes
        ))),
        row!("C_Decrypt", "pEncryptedData", |c, h| {
            assert_ckr!(p11!(C_DecryptInit(h, &mut mech(CKM_AES_ECB), c.aes)), CKR_OK);
            let (mut out, mut n) = ([0u8; 256], out_len());
            p11!(C_Decrypt(h, null_mut(), 16, out.as_mut_ptr(), &mut n))
        }),
        row!("C_Decrypt", "pulDataLen", |c, h| {
            assert_ckr!(p11!(C_DecryptInit(h, &mut mech(CKM_AES_ECB), c.aes)), CKR_OK);
            let (mut b, mut out) = (c.block, [0u8; 256]);
            p11!(C_Decrypt(h, b.as_mut_ptr(), 16, out.as_mut_ptr(), null_mut()))
        }),
        row!("C_DecryptUpdate", "pEncryptedPart", |c, h| {
            assert_ckr!(p11!(C_DecryptInit(h, &mut mech(CKM_AES_ECB), c.aes)), CKR_OK);
            let (mut out, mut n) = ([0u8; 256], out_len());
            p11!(C_DecryptUpdate(h, null_mut(), 16, out.as_mut_ptr(), &mut n))
        }),
        row!("C_DecryptUpdate", "pulPartLen", |c, h| {
            assert_ckr!(p11!(C_DecryptInit(h, &mut mech(CKM_AES_ECB), c.aes)), CKR_OK);
            let (mut b, mut out) = (c.block, [0u8; 256]);
            p11!(C_DecryptUpdate(
                h,
                b.as_mut_ptr(),
                16,
                out.as_mut_ptr(),
                null_mut()
            ))
        }),
        row!("C_DecryptFinal", "pulLastPartLen", |c, h| {
            assert_ckr!(p11!(C_DecryptInit(h, &mut mech(CKM_AES_ECB), c.aes)), CKR_OK);
            let mut out = [0u8; 256];
            p11!(C_DecryptFinal(h, out.as_mut_ptr(), null_mut()))
        }),
        row!("C_DigestInit", "pMechanism", |_, h| p11!(C_DigestInit(
            h,
            null_mut()
        ))),
        row!("C_Digest", "pData", |_, h| {
            assert_ckr!(p11!(C_DigestInit(h, &mut mech(CKM_SHA256))), CKR_OK);
            let (mut out, mut n) = ([0u8; 256], out_len());
            p11!(C_Digest(h, null_mut(), 16, out.as_mut_ptr(), &mut n))
        }),
        row!("C_Digest", "pulDigestLen", |c, h| {
            assert_ckr!(p11!(C_DigestInit(h, &mut mech(CKM_SHA256))), CKR_OK);
            let (mut b, mut out) = (c.block, [0u8; 256]);
            p11!(C_Digest(h, b.as_mut_ptr(), 16, out.as_mut_ptr(), null_mut()))
        }),
        row!("C_DigestUpdate", "pPart", |_, h| {
            assert_ckr!(p11!(C_DigestInit(h, &mut mech(CKM_SHA256))), CKR_OK);
            p11!(C_DigestUpdate(h, null_mut(), 16))
        }),
        row!("C_DigestFinal", "pulDigestLen", |_, h| {
            assert_ckr!(p11!(C_DigestInit(h, &mut mech(CKM_SHA256))), CKR_OK);
            let mut out = [0u8; 256];
            p11!(C_DigestFinal(h, out.as_mut_ptr(), null_mut()))
        }),
        row!("C_SignInit", "pMechanism", |c, h| p11!(C_SignInit(
            h,
            null_mut(),
            c.hmac
        ))),
        row!("C_Sign", "pData", |c, h| {
            assert_ckr!(p11!(C_SignInit(h, &mut mech(CKM_SHA256_HMAC), c.hmac)), CKR_OK);
            let (mut out, mut n) = ([0u8; 256], out_len());
            p11!(C_Sign(h, null_mut(), 16, out.as_mut_ptr(), &mut n))
        }),
        row!("C_Sign", "pulSignatureLen", |c, h| {
            assert_ckr!(p11!(C_SignInit(h, &mut mech(CKM_SHA256_HMAC), c.hmac)), CKR_OK);
            let (mut b, mut out) = (c.block, [0u8; 256]);
            p11!(C_Sign(h, b.as_mut_ptr(), 16, out.as_mut_ptr(), null_mut()))
        }),
        row!("C_SignUpdate", "pPart", |c, h| {
            assert_ckr!(p11!(C_SignInit(h, &mut mech(CKM_SHA256_HMAC), c.hmac)), CKR_OK);
            p11!(C_SignUpdate(h, null_mut(), 16))
        }),
        row!("C_SignFinal", "pulSignatureLen", |c, h| {
            assert_ckr!(p11!(C_SignInit(h, &mut mech(CKM_SHA256_HMAC), c.hmac)), CKR_OK);
            let mut out = [0u8; 256];
            p11!(C_SignFinal(h, out.as_mut_ptr(), null_mut()))
        }),
        row!("C_VerifyInit", "pMechanism", |c, h| p11!(C_VerifyInit(
            h,
            null_mut(),
            c.hmac
        ))),
        row!("C_Verify", "pData", |c, h| {
            assert_ckr!(p11!(C_VerifyInit(h, &mut mech(CKM_SHA256_HMAC), c.hmac)), CKR_OK);
            let mut sig = c.mac.clone();
            p11!(C_Verify(
                h,
                null_mut(),
                16,
                sig.as_mut_ptr(),
                sig.len() as CK_ULONG
            ))
        }),
        row!("C_Verify", "pSignature", |c, h| {
            assert_ckr!(p11!(C_VerifyInit(h, &mut mech(CKM_SHA256_HMAC), c.hmac)), CKR_OK);
            let mut b = c.block;
            p11!(C_Verify(
                h,
                b.as_mut_ptr(),
                16,
                null_mut(),
                c.mac.len() as CK_ULONG
            ))
        }),
        row!("C_VerifyUpdate", "pPart", |c, h| {
            assert_ckr!(p11!(C_VerifyInit(h, &mut mech(CKM_SHA256_HMAC), c.hmac)), CKR_OK);
            p11!(C_VerifyUpdate(h, null_mut(), 16))
        }),
        row!("C_VerifyFinal", "pSignature", |c, h| {
            assert_ckr!(p11!(C_VerifyInit(h, &mut mech(CKM_SHA256_HMAC), c.hmac)), CKR_OK);
            let mut b = c.block;
            assert_ckr!(p11!(C_VerifyUpdate(h, b.as_mut_ptr(), 16)), CKR_OK);
            p11!(C_VerifyFinal(h, null_mut(), c.mac.len() as CK_ULONG))
        }),
        row!("C_GenerateKey", "pMechanism", |_, h| {
            let (mut t, mut k) = ([ulong_attr(CKA_VALUE_LEN, &LEN16)], 0);
            p11!(C_GenerateKey(h, null_mut(), t.as_mut_ptr(), 1, &mut k))
        }),
        row!("C_GenerateKey", "pTemplate", |_, h| {
            let mut k = 0;
            p11!(C_GenerateKey(
                h,
                &mut mech(CKM_AES_KEY_GEN),
                null_mut(),
                1,
                &mut k
            ))
        }),
        row!("C_GenerateKey", "phKey", |_, h| {
            let mut t = [ulong_attr(CKA_VALUE_LEN, &LEN16)];
            p11!(C_GenerateKey(
                h,
                &mut mech(CKM_AES_KEY_GEN),
                t.as_mut_ptr(),
                1,
                null_mut()
            ))
        }),
        row!("C_GenerateKeyPair", "pMechanism", |_, h| key_pair(h, 0)),
        row!("C_GenerateKeyPair", "pPublicKeyTemplate", |_, h| key_pair(h, 1)),
        row!("C_GenerateKeyPair", "pPrivateKeyTemplate", |_, h| key_pair(h, 2)),
        row!("C_GenerateKeyPair", "phPublicKey", |_, h| key_pair(h, 3)),
        row!("C_GenerateKeyPair", "phPrivateKey", |_, h| key_pair(h, 4)),
        row!("C_WrapKey", "pMechanism", |c, h| {
            let (mut out, mut n) = ([0u8; 256], out_len());
            p11!(C_WrapKey(
                h,
                null_mut(),
                c.aes,
                c.target,
                out.as_mut_ptr(),
                &mut n
            ))
        }),
        row!("C_WrapKey", "pulWrappedKeyLen", |c, h| {
            let mut out = [0u8; 256];
            p11!(C_WrapKey(
                h,
                &mut mech(CKM_AES_KEY_WRAP),
                c.aes,
                c.target,
                out.as_mut_ptr(),
                null_mut()
            ))
        }),
        row!("C_UnwrapKey", "pMechanism", |c, h| unwrap(c, h, 0)),
        row!("C_UnwrapKey", "pWrappedKey", |c, h| unwrap(c, h, 1)),
        row!("C_UnwrapKey", "pTemplate", |c, h| unwrap(c, h, 2)),
        row!("C_UnwrapKey", "phKey", |c, h| unwrap(c, h, 3)),
        row!("C_DeriveKey", "pMechanism", |c, h| derive(c, h, 0)),
        row!("C_DeriveKey", "pTemplate", |c, h| derive(c, h, 1)),
        row!("C_DeriveKey", "phKey", |c, h| derive(c, h, 2)),
        row!("C_SeedRandom", "pSeed", |_, h| p11!(C_SeedRandom(
            h,
            null_mut(),
            16
        ))),
        row!("C_GenerateRandom", "RandomData", |_, h| p11!(C_GenerateRandom(
            h,
            null_mut(),
            16
        ))),
        row!("C_WaitForSlotEvent", "pSlot", |_, _| p11!(C_WaitForSlotEvent(
            CKF_DONT_BLOCK,
            null_mut(),
            null_mut()
        ))),
        row!("C_GetInterfaceList", "pulCount", |_, _| {
            let f = raw::lib().C_GetInterfaceList.as_ref().expect("3.0 module");
            // SAFETY: NULL arguments; the module must refuse them.
            unsafe { f(null_mut(), null_mut()) }
        }),
        row!("C_GetInterface", "ppInterface", |_, _| {
            let f = raw::lib().C_GetInterface.as_ref().expect("3.0 module");
            // SAFETY: NULL name and version are allowed; NULL ppInterface must be refused.
            unsafe { f(null_mut(), null_mut(), null_mut(), 0) }
        }),
        row!("C_LoginUser", "pPin", |_, h| {
            let f = fl30().and_then(|t| t.C_LoginUser).expect("3.0 module");
            let mut name = *b"user";
            // SAFETY: a valid name; NULL PIN with a length must be refused.
            unsafe { f(h, CKU_USER, null_mut(), 8, name.as_mut_ptr(), 4) }
        }),
        row!("C_LoginUser", "pUsername", |_, h| {
            let f = fl30().and_then(|t| t.C_LoginUser).expect("3.0 module");
            let mut pin = PIN.to_vec();
            // SAFETY: a valid PIN; NULL name with a length must be refused.
            unsafe {
                f(
                    h,
                    CKU_USER,
                    pin.as_mut_ptr(),
                    pin.len() as CK_ULONG,
                    null_mut(),
                    4,
                )
            }
        }),
    ]
}

/// Runs `f` on a slot whose token is not initialised and has no session (a module may check
/// for open sessions first, CKR_SESSION_EXISTS), holding the provisioning lock so that no other
/// test initialises it meanwhile.
fn on_free_slot(f: impl FnOnce(CK_SLOT_ID) -> CK_RV) -> CK_RV {
    let _guard = token_lock();
    f(free_slot().expect("a free slot").id())
}

/// Rows where SoftHSMv2 answers otherwise (DIFFERENCES.md): (function, its answer).
const SOFTHSM2_ANSWERS: &[(&str, CK_RV, &str)] = &[(
    "C_WaitForSlotEvent",
    CKR_NO_EVENT,
    "C_WaitForSlotEvent(CKF_DONT_BLOCK) with a NULL pSlot returns CKR_NO_EVENT",
)];

/// C_GenerateKeyPair (EC P-256) with pointer argument `which` NULL.
fn key_pair(h: CK_SESSION_HANDLE, which: usize) -> CK_RV {
    let params = P256_OID;
    let mut public = [
        CK_ATTRIBUTE {
            type_: CKA_EC_PARAMS,
            pValue: params.as_ptr() as *mut _,
            ulValueLen: params.len() as CK_ULONG,
        },
        bool_attr(CKA_TOKEN, &FALSE),
    ];
    let mut private = [bool_attr(CKA_TOKEN, &FALSE)];
    let (mut m, mut hp, mut hs) = (mech(CKM_EC_KEY_PAIR_GEN), 0, 0);
    let nul = |i: usize| which == i;
    p11!(C_GenerateKeyPair(
        h,
        if nul(0) { null_mut() } else { &mut m },
        if nul(1) { null_mut() } else { public.as_mut_ptr() },
        2,
        if nul(2) { null_mut() } else { private.as_mut_ptr() },
        1,
        if nul(3) { null_mut() } else { &mut hp },
        if nul(4) { null_mut() } else { &mut hs }
    ))
}

/// C_UnwrapKey (AES key wrap) with pointer argument `which` NULL.
fn unwrap(c: &Ctx, h: CK_SESSION_HANDLE, which: usize) -> CK_RV {
    let (mut m, mut t, mut k) = (mech(CKM_AES_KEY_WRAP), aes_template(), 0);
    let mut wrapped = c.wrapped.clone();
    let nul = |i: usize| which == i;
    p11!(C_UnwrapKey(
        h,
        if nul(0) { null_mut() } else { &mut m },
        c.aes,
        if nul(1) { null_mut() } else { wrapped.as_mut_ptr() },
        wrapped.len() as CK_ULONG,
        if nul(2) { null_mut() } else { t.as_mut_ptr() },
        3,
        if nul(3) { null_mut() } else { &mut k }
    ))
}

/// C_DeriveKey (CKM_AES_ECB_ENCRYPT_DATA) with pointer argument `which` NULL.
fn derive(c: &Ctx, h: CK_SESSION_HANDLE, which: usize) -> CK_RV {
    let mut data = c.block;
    let mut p = CK_KEY_DERIVATION_STRING_DATA {
        pData: data.as_mut_ptr(),
        ulLen: 16,
    };
    let (mut m, mut t, mut k) = (
        raw_mech(CKM_AES_ECB_ENCRYPT_DATA, Some(&mut p)),
        aes_template(),
        0,
    );
    let nul = |i: usize| which == i;
    p11!(C_DeriveKey(
        h,
        if nul(0) { null_mut() } else { &mut m },
        c.aes,
        if nul(1) { null_mut() } else { t.as_mut_ptr() },
        3,
        if nul(2) { null_mut() } else { &mut k }
    ))
}

/// Functions with no pointer argument that may be NULL: C_Initialize's and C_Finalize's are
/// NULL by design (checked in `general`), the others take none.
const NO_NULLABLE_POINTER: &[&str] = &[
    "C_Initialize",
    "C_Finalize",
    "C_CloseSession",
    "C_CloseAllSessions",
    "C_Logout",
    "C_DestroyObject",
    "C_FindObjectsFinal",
    "C_DigestKey",
    "C_GetFunctionStatus",
    "C_CancelFunction",
    "C_SessionCancel",
];

/// Functions a module may leave unsupported (operation state, recovery, dual-function and
/// the message-based functions, which end the 3.0 list): called with a valid session and every
/// other argument 0/NULL, each must refuse with one of [`OPTIONAL_ANSWERS`].
fn optional() -> Vec<&'static str> {
    let messages = raw::FUNCTIONS_3_0
        .iter()
        .position(|f| *f == "C_MessageEncryptInit")
        .expect("C_MessageEncryptInit");
    let mut v = vec![
        "C_GetOperationState",
        "C_SetOperationState",
        "C_SignRecoverInit",
        "C_SignRecover",
        "C_VerifyRecoverInit",
        "C_VerifyRecover",
        "C_DigestEncryptUpdate",
        "C_DecryptDigestUpdate",
        "C_SignEncryptUpdate",
        "C_DecryptVerifyUpdate",
    ];
    v.extend(&raw::FUNCTIONS_3_0[messages..]);
    v
}

const OPTIONAL_ANSWERS: &[CK_RV] = &[
    CKR_FUNCTION_NOT_SUPPORTED,
    CKR_ARGUMENTS_BAD,
    CKR_OPERATION_NOT_INITIALIZED,
];

/// Functions only a 3.0 module has (skipped against a 2.40 module).
const ONLY_30: &[&str] = &["C_GetInterfaceList", "C_GetInterface", "C_LoginUser"];

fn setup() -> Ctx {
    let (slot, s) = user_token("null-args");
    let aes = import_secret(
        &s,
        KeyType::AES,
        &[0x21; 16],
        &[
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
            Attribute::Derive(true),
        ],
    );
    let target = import_secret(&s, KeyType::AES, &[0x43; 16], &[Attribute::Extractable(true)]);
    let hmac = import_secret(
        &s,
        KeyType::GENERIC_SECRET,
        &[0x65; 32],
        &[Attribute::Sign(true), Attribute::Verify(true)],
    );
    let data_object = s
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Label(b"null-args".to_vec()),
        ])
        .expect("C_CreateObject(data)");
    let block = [0x87u8; 16];
    let mac = s.sign(&Mechanism::Sha256Hmac, hmac, &block).expect("HMAC");
    let wrapped = s.wrap_key(&Mechanism::AesKeyWrap, aes, target).expect("wrap");
    let (so_slot, _, _) = fresh_token("null-args-so");
    let so = pkcs11()
        .open_rw_session(so_slot)
        .expect("C_OpenSession(SO token)");
    so.login(UserType::So, Some(&pin(SO_PIN))).expect("SO C_Login");
    let so_session = so.handle();
    // Both sessions stay open for the rest of the process (closing them at the end of the test
    // would be right too; leaking them keeps the handles in the context valid without lifetimes).
    std::mem::forget(so);
    std::mem::forget(s);
    Ctx {
        slot: slot.id(),
        so_session,
        aes: aes.handle(),
        target: target.handle(),
        hmac: hmac.handle(),
        data_object: data_object.handle(),
        block,
        mac,
        wrapped,
    }
}

#[test]
fn null_in_every_pointer_argument_is_arguments_bad() {
    let c = setup();
    let is_30 = fl30().is_some();
    let mut failures = Vec::new();
    let mut checked = 0;
    for r in rows() {
        if ONLY_30.contains(&r.function) && !is_30 {
            note(&format!(
                "SKIP: {}: {}({} NULL): 2.40 module",
                test_name(),
                r.function,
                r.null
            ));
            continue;
        }
        let s = pkcs11()
            .open_rw_session(Slot::try_from(c.slot).unwrap())
            .expect("C_OpenSession");
        let got = (r.call)(&c, s.handle());
        checked += 1;
        let known = SOFTHSM2_ANSWERS
            .iter()
            .find(|(f, rv, _)| *f == r.function && *rv == got);
        if let Some((_, _, reason)) = known {
            if diverges(reason) {
                continue;
            }
        }
        if got != CKR_ARGUMENTS_BAD {
            failures.push(format!(
                "{}({} NULL) returned {}",
                r.function,
                r.null,
                rv_name(got)
            ));
        }
    }
    let mut optional_called = 0;
    for name in optional() {
        let Some(f) = raw::entry(name) else {
            continue;
        };
        let s = pkcs11()
            .open_rw_session(Slot::try_from(c.slot).unwrap())
            .expect("C_OpenSession");
        // SAFETY: a valid session handle, every other argument 0 (NULL pointers, zero lengths,
        // invalid handles): the module must refuse without reading or writing anything.
        let got = unsafe { f(s.handle() as usize, 0, 0, 0, 0, 0, 0, 0) };
        optional_called += 1;
        if !OPTIONAL_ANSWERS.contains(&got) {
            failures.push(format!("{name}(session, NULL...) returned {}", rv_name(got)));
        }
    }
    note(&format!(
        "null_args: {checked} (function, pointer) rows called, {} not CKR_ARGUMENTS_BAD; \
         {optional_called} optional functions called with NULLs",
        failures.len()
    ));
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_table_covers_every_function() {
    let mut listed: BTreeSet<&str> = rows().iter().map(|r| r.function).collect();
    listed.extend(NO_NULLABLE_POINTER);
    listed.extend(optional());
    let all: BTreeSet<&str> = raw::FUNCTIONS_3_0.iter().copied().collect();
    assert_eq!(all.len(), 92);
    let missing: Vec<_> = all.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&all).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "not in the NULL table: {missing:?}; not PKCS#11 3.0 functions: {unknown:?}"
    );
}
