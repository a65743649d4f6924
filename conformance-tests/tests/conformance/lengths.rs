//! Hostile lengths that are still defined behaviour for the caller: output capacities near
//! `CK_ULONG` max over buffers big enough for the real output, attribute lengths that do not
//! fit the attribute's type (base §4.1: CKR_ATTRIBUTE_VALUE_INVALID), mechanism parameters
//! of the wrong size (base §5.1: CKR_MECHANISM_PARAM_INVALID), and templates of thousands of
//! attributes. Lengths larger than the memory behind them are only passed where the length
//! alone must refuse the call (`ours_only`: softhsm-rs checks every length before it reads).

use crate::util::*;

/// Output capacities a caller may announce for a buffer that is in fact 256 bytes.
const HUGE: [CK_ULONG; 4] = [
    CK_ULONG::MAX,
    CK_ULONG::MAX - 1,
    1 << (CK_ULONG::BITS - 1),
    (u32::MAX as CK_ULONG) + 1,
];

fn ulong(t: CK_ATTRIBUTE_TYPE, v: &CK_ULONG, len: CK_ULONG) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: t,
        pValue: v as *const CK_ULONG as *mut _,
        ulValueLen: len,
    }
}

fn bytes(t: CK_ATTRIBUTE_TYPE, v: &[u8], len: CK_ULONG) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: t,
        pValue: v.as_ptr() as *mut _,
        ulValueLen: len,
    }
}

const ULONG: CK_ULONG = std::mem::size_of::<CK_ULONG>() as CK_ULONG;
const DATA: CK_ULONG = CKO_DATA;
const SECRET: CK_ULONG = CKO_SECRET_KEY;
const AES: CK_ULONG = CKK_AES;
const FALSE: [u8; 8] = [0; 8];

#[test]
fn output_capacities_near_ulong_max() {
    let (slot, s) = user_token("len-out");
    let aes = import_aes(&s, &[0x5a; 16]);
    let block = [0x17u8; 16];
    let ct = s.encrypt(&Mechanism::AesEcb, aes, &block).unwrap();
    let digest = s.digest(&Mechanism::Sha256, &block).unwrap();
    let target = import_secret(&s, KeyType::AES, &[0x33; 16], &[Attribute::Extractable(true)]);
    let wrapped = s.wrap_key(&Mechanism::AesKeyWrap, aes, target).unwrap();
    let label = b"a label".to_vec();
    let obj = s
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(false),
            Attribute::Label(label.clone()),
        ])
        .unwrap();
    let h = s.handle();
    for cap in HUGE {
        let what = |f: &str| format!("{f} with *pulLen = {cap:#x} over a 256-byte buffer");
        let mut out = [0u8; 256];
        let run = |f: &str, out: &mut [u8; 256], call: &mut dyn FnMut(*mut u8, &mut CK_ULONG) -> CK_RV| {
            let mut len = cap;
            let rv = call(out.as_mut_ptr(), &mut len);
            assert_eq!(rv, CKR_OK, "{}: {}", what(f), rv_name(rv));
            len as usize
        };
        let mut m = raw_mech::<u8>(CKM_AES_ECB, None);
        assert_ckr!(p11!(C_EncryptInit(h, &mut m, aes.handle())), CKR_OK);
        let n = run("C_Encrypt", &mut out, &mut |o, l| {
            p11!(C_Encrypt(h, block.as_ptr() as *mut u8, 16, o, l))
        });
        assert_eq!(&out[..n], &ct[..], "{}", what("C_Encrypt"));
        assert_ckr!(
            p11!(C_DigestInit(h, &mut raw_mech::<u8>(CKM_SHA256, None))),
            CKR_OK
        );
        let n = run("C_Digest", &mut out, &mut |o, l| {
            p11!(C_Digest(h, block.as_ptr() as *mut u8, 16, o, l))
        });
        assert_eq!(&out[..n], &digest[..], "{}", what("C_Digest"));
        let mut kw = raw_mech::<u8>(CKM_AES_KEY_WRAP, None);
        let n = run("C_WrapKey", &mut out, &mut |o, l| {
            p11!(C_WrapKey(h, &mut kw, aes.handle(), target.handle(), o, l))
        });
        assert_eq!(&out[..n], &wrapped[..], "{}", what("C_WrapKey"));
        // C_GetAttributeValue: ulValueLen near max over a 256-byte value buffer.
        let mut a = CK_ATTRIBUTE {
            type_: CKA_LABEL,
            pValue: out.as_mut_ptr() as *mut _,
            ulValueLen: cap,
        };
        assert_ckr!(p11!(C_GetAttributeValue(h, obj.handle(), &mut a, 1)), CKR_OK);
        assert_eq!(
            &out[..a.ulValueLen as usize],
            &label[..],
            "{}",
            what("C_GetAttributeValue")
        );
        // Lists: a count near max over an array big enough for every slot and mechanism.
        let mut list = vec![0 as CK_ULONG; 4096];
        let mut count = cap;
        assert_ckr!(
            p11!(C_GetSlotList(CK_FALSE, list.as_mut_ptr(), &mut count)),
            CKR_OK
        );
        assert!(
            count > 0 && count < 4096,
            "{}: count {count}",
            what("C_GetSlotList")
        );
        let mut count = cap;
        assert_ckr!(
            p11!(C_GetMechanismList(slot.id(), list.as_mut_ptr(), &mut count)),
            CKR_OK
        );
        assert!(
            count > 0 && count < 4096,
            "{}: count {count}",
            what("C_GetMechanismList")
        );
        // C_FindObjects: ulMaxObjectCount near max; the token holds three objects.
        assert_ckr!(p11!(C_FindObjectsInit(h, std::ptr::null_mut(), 0)), CKR_OK);
        let mut found: CK_ULONG = 0;
        assert_ckr!(p11!(C_FindObjects(h, list.as_mut_ptr(), cap, &mut found)), CKR_OK);
        assert_ckr!(p11!(C_FindObjectsFinal(h)), CKR_OK);
        assert_eq!(found, 3, "{}", what("C_FindObjects"));
    }
}

/// C_CreateObject of a session data object whose CKA_CLASS or CKA_TOKEN has the given length.
fn create_with(class_len: CK_ULONG, token_len: CK_ULONG) -> CK_RV {
    let (s, _slot) = shared_session();
    let mut t = [
        ulong(CKA_CLASS, &DATA, class_len),
        bytes(CKA_TOKEN, &FALSE, token_len),
    ];
    let mut o = 0;
    p11!(C_CreateObject(s, t.as_mut_ptr(), 2, &mut o))
}

/// One logged-in RW session on a token of this module's tests.
fn shared_session() -> (CK_SESSION_HANDLE, CK_SLOT_ID) {
    use std::sync::OnceLock;
    static S: OnceLock<(CK_SESSION_HANDLE, CK_SLOT_ID)> = OnceLock::new();
    *S.get_or_init(|| {
        let (slot, s) = user_token("len-shared");
        let h = s.handle();
        // The session stays open for the rest of the process.
        std::mem::forget(s);
        (h, slot.id())
    })
}

#[test]
fn attribute_lengths_that_do_not_fit_the_type() {
    assert_ckr!(create_with(ULONG, 1), CKR_OK);
    for bad in [0, 3, ULONG - 1, ULONG + 1, 1 << 40, CK_UNAVAILABLE_INFORMATION] {
        expect_ckr(
            create_with(bad, 1),
            CKR_ATTRIBUTE_VALUE_INVALID,
            CKR_TEMPLATE_INCOMPLETE,
            &format!("CKA_CLASS with ulValueLen {bad:#x}"),
        );
    }
    for bad in [0, 2, 8, 1 << 40, CK_UNAVAILABLE_INFORMATION] {
        let got = create_with(ULONG, bad);
        assert_eq!(
            got,
            CKR_ATTRIBUTE_VALUE_INVALID,
            "CKA_TOKEN with ulValueLen {bad:#x}: {}",
            rv_name(got)
        );
    }
    // CKA_KEY_TYPE and CKA_VALUE_LEN (CK_ULONGs) in C_GenerateKey.
    let (h, _) = shared_session();
    for (key_type_len, value_len_len) in [(3, ULONG), (ULONG, 4), (ULONG, 1 << 40)] {
        let sixteen: CK_ULONG = 16;
        let mut t = [
            ulong(CKA_CLASS, &SECRET, ULONG),
            ulong(CKA_KEY_TYPE, &AES, key_type_len),
            ulong(CKA_VALUE_LEN, &sixteen, value_len_len),
            bytes(CKA_TOKEN, &FALSE, 1),
        ];
        let mut k = 0;
        let got = p11!(C_GenerateKey(
            h,
            &mut raw_mech::<u8>(CKM_AES_KEY_GEN, None),
            t.as_mut_ptr(),
            4,
            &mut k
        ));
        expect_ckr(
            got,
            CKR_ATTRIBUTE_VALUE_INVALID,
            CKR_OK,
            &format!(
                "C_GenerateKey with CKA_KEY_TYPE length {key_type_len:#x}, CKA_VALUE_LEN length \
                 {value_len_len:#x}"
            ),
        );
    }
    if ours_only("byte-string lengths beyond the buffer are refused before any read") {
        return;
    }
    // A byte string whose length is far beyond its buffer (or beyond the value limit, over a
    // real buffer): refused from the length alone.
    let short = [b'x'; 8];
    let big = vec![b'y'; (1 << 20) + 1];
    for (v, len) in [
        (&short[..], 1 << 40),
        (&short[..], CK_UNAVAILABLE_INFORMATION),
        (&big[..], big.len() as CK_ULONG),
    ] {
        let mut t = [
            ulong(CKA_CLASS, &DATA, ULONG),
            bytes(CKA_TOKEN, &FALSE, 1),
            bytes(CKA_VALUE, v, len),
        ];
        let mut o = 0;
        let got = p11!(C_CreateObject(h, t.as_mut_ptr(), 3, &mut o));
        assert_eq!(
            got,
            CKR_ATTRIBUTE_VALUE_INVALID,
            "CKA_VALUE of {len:#x} bytes: {}",
            rv_name(got)
        );
    }
}

#[test]
fn mechanism_parameters_of_the_wrong_size() {
    let (_slot, s) = user_token("len-param");
    let aes = import_aes(&s, &[0x6b; 16]);
    let h = s.handle();
    let init = |m: &mut CK_MECHANISM| p11!(C_EncryptInit(h, m, aes.handle()));
    // An IV of the wrong length.
    let mut iv = [0u8; 32];
    for len in [1, 8, 15, 17, 32] {
        let mut m = CK_MECHANISM {
            mechanism: CKM_AES_CBC,
            pParameter: iv.as_mut_ptr() as *mut _,
            ulParameterLen: len,
        };
        expect_ckr(
            init(&mut m),
            CKR_MECHANISM_PARAM_INVALID,
            CKR_MECHANISM_INVALID,
            &format!("CKM_AES_CBC with a {len}-byte IV"),
        );
    }
    // Parameter structures one byte short, one byte long, or with a length near max.
    let mut gcm_iv = [0u8; 12];
    let mut gcm = CK_GCM_PARAMS {
        pIv: gcm_iv.as_mut_ptr(),
        ulIvLen: 12,
        ulIvBits: 96,
        pAAD: std::ptr::null_mut(),
        ulAADLen: 0,
        ulTagBits: 128,
    };
    let mut ctr = CK_AES_CTR_PARAMS {
        ulCounterBits: 32,
        cb: [0; 16],
    };
    let gcm_size = std::mem::size_of::<CK_GCM_PARAMS>() as CK_ULONG;
    let ctr_size = std::mem::size_of::<CK_AES_CTR_PARAMS>() as CK_ULONG;
    let structs: [(CK_MECHANISM_TYPE, *mut std::ffi::c_void, CK_ULONG); 2] = [
        (CKM_AES_GCM, &mut gcm as *mut _ as *mut _, gcm_size),
        (CKM_AES_CTR, &mut ctr as *mut _ as *mut _, ctr_size),
    ];
    for (mechanism, p, size) in structs {
        let mut m = CK_MECHANISM {
            mechanism,
            pParameter: p,
            ulParameterLen: size,
        };
        assert_ckr!(init(&mut m), CKR_OK);
        // Finish the operation the right size started.
        let (mut data, mut out, mut len) = ([0u8; 16], [0u8; 64], 64 as CK_ULONG);
        assert_ckr!(
            p11!(C_Encrypt(h, data.as_mut_ptr(), 16, out.as_mut_ptr(), &mut len)),
            CKR_OK
        );
        for len in [size - 1, size + 1, CK_ULONG::MAX, 1 << 40] {
            m.ulParameterLen = len;
            expect_ckr(
                init(&mut m),
                CKR_MECHANISM_PARAM_INVALID,
                CKR_ARGUMENTS_BAD,
                &format!("mechanism {mechanism:#x} with ulParameterLen {len:#x}"),
            );
        }
    }
    // A parameter on a mechanism that takes none; a CK_MAC_GENERAL_PARAMS of 4 bytes.
    let mut four = [0u8; 8];
    let mut m = CK_MECHANISM {
        mechanism: CKM_SHA256_HMAC_GENERAL,
        pParameter: four.as_mut_ptr() as *mut _,
        ulParameterLen: 4,
    };
    let hk = import_secret(&s, KeyType::GENERIC_SECRET, &[1; 32], &[Attribute::Sign(true)]);
    let got = p11!(C_SignInit(h, &mut m, hk.handle()));
    expect_ckr(
        got,
        CKR_MECHANISM_PARAM_INVALID,
        CKR_MECHANISM_INVALID,
        "CKM_SHA256_HMAC_GENERAL (not implemented there) with a 4-byte CK_MAC_GENERAL_PARAMS",
    );
    if ours_only("a length inside a parameter structure is checked before it is read") {
        return;
    }
    gcm.ulIvLen = CK_ULONG::MAX;
    gcm.ulAADLen = 1 << 40;
    let mut m = CK_MECHANISM {
        mechanism: CKM_AES_GCM,
        pParameter: &mut gcm as *mut _ as *mut _,
        ulParameterLen: gcm_size,
    };
    assert_ckr!(init(&mut m), CKR_MECHANISM_PARAM_INVALID);
}

/// A template of `n` entries: CKA_CLASS, CKA_TOKEN, then CKA_LABEL "x" repeated.
fn big_template(n: usize) -> Vec<CK_ATTRIBUTE> {
    static X: &[u8] = b"x";
    let mut t = vec![ulong(CKA_CLASS, &DATA, ULONG), bytes(CKA_TOKEN, &FALSE, 1)];
    t.resize(n, bytes(CKA_LABEL, X, 1));
    t
}

#[test]
fn templates_with_thousands_of_attributes() {
    let (h, _) = shared_session();
    let mut results = Vec::new();
    for n in [5_000usize, 100_000] {
        let mut t = big_template(n);
        let mut o = 0;
        let create = p11!(C_CreateObject(h, t.as_mut_ptr(), n as CK_ULONG, &mut o));
        let find = p11!(C_FindObjectsInit(h, t.as_mut_ptr(), n as CK_ULONG));
        if find == CKR_OK {
            assert_ckr!(p11!(C_FindObjectsFinal(h)), CKR_OK);
        }
        // C_GetAttributeValue of n CKA_LABEL entries with NULL values (length queries).
        let mut q = vec![bytes(CKA_LABEL, &[], 0); n];
        for a in &mut q {
            a.pValue = std::ptr::null_mut();
        }
        let target = if create == CKR_OK { o } else { data_object(h) };
        let get = p11!(C_GetAttributeValue(h, target, q.as_mut_ptr(), n as CK_ULONG));
        note(&format!(
            "templates: {n} attributes: C_CreateObject {}, C_FindObjectsInit {}, C_GetAttributeValue {}",
            rv_name(create),
            rv_name(find),
            rv_name(get)
        ));
        results.push((n, create, find, get));
    }
    if ours_only("at most 1,024 attributes per template (pkcs11-module/src/abi.rs MAX_TEMPLATE_LEN)") {
        return;
    }
    for (n, create, find, get) in results {
        for (f, rv) in [
            ("C_CreateObject", create),
            ("C_FindObjectsInit", find),
            ("C_GetAttributeValue", get),
        ] {
            assert_eq!(rv, CKR_ARGUMENTS_BAD, "{f} with {n} attributes: {}", rv_name(rv));
        }
    }
    // At the limit, duplicates of one value are accepted; one more entry is refused.
    let mut t = big_template(1024);
    let mut o = 0;
    assert_ckr!(p11!(C_CreateObject(h, t.as_mut_ptr(), 1024, &mut o)), CKR_OK);
    assert_eq!(get_label(h, o), b"x");
    let mut t = big_template(1025);
    assert_ckr!(
        p11!(C_CreateObject(h, t.as_mut_ptr(), 1025, &mut o)),
        CKR_ARGUMENTS_BAD
    );
}

/// A session data object of the shared session's token.
fn data_object(h: CK_SESSION_HANDLE) -> CK_OBJECT_HANDLE {
    let mut t = big_template(3);
    let mut o = 0;
    assert_ckr!(p11!(C_CreateObject(h, t.as_mut_ptr(), 3, &mut o)), CKR_OK);
    o
}

fn get_label(h: CK_SESSION_HANDLE, o: CK_OBJECT_HANDLE) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let mut a = CK_ATTRIBUTE {
        type_: CKA_LABEL,
        pValue: buf.as_mut_ptr() as *mut _,
        ulValueLen: 64,
    };
    assert_ckr!(p11!(C_GetAttributeValue(h, o, &mut a, 1)), CKR_OK);
    buf[..a.ulValueLen as usize].to_vec()
}
