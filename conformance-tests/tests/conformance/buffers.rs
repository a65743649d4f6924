//! The two-call protocol and output buffers (PKCS#11 3.0 base spec 5.2),
//! through raw calls: NULL output returns the length and keeps the
//! operation, a short buffer returns CKR_BUFFER_TOO_SMALL and keeps it, a
//! big enough buffer finishes it; any other error ends the operation. NULL
//! pointers: `null_args.rs`.

use crate::util::*;

const DATA: &[u8] = b"two-call protocol payload!";

/// Runs the protocol on `call(out, &mut len)` and checks the final output.
/// `ends`: the successful call terminates an operation (checked by a
/// further call returning CKR_OPERATION_NOT_INITIALIZED).
fn two_call(what: &str, expected: &[u8], ends: bool, mut call: impl FnMut(*mut u8, &mut CK_ULONG) -> CK_RV) {
    // 1. NULL output: length only.
    let mut len: CK_ULONG = 0;
    assert_ckr!(call(std::ptr::null_mut(), &mut len), CKR_OK);
    let needed = len as usize;
    assert!(
        needed >= expected.len(),
        "{what}: NULL call says {needed} < {}",
        expected.len()
    );
    // 2. Too short: CKR_BUFFER_TOO_SMALL and the needed length.
    if !expected.is_empty() {
        let mut small = vec![0u8; expected.len() - 1];
        let mut len = small.len() as CK_ULONG;
        let rv = call(small.as_mut_ptr(), &mut len);
        assert_eq!(
            rv,
            CKR_BUFFER_TOO_SMALL,
            "{what}: short buffer returned {}",
            rv_name(rv)
        );
        assert!(
            len as usize >= expected.len(),
            "{what}: length after CKR_BUFFER_TOO_SMALL is {len}"
        );
    }
    // 3. Big enough: the result, with its exact length.
    let mut out = vec![0u8; needed + 16];
    let mut len = out.len() as CK_ULONG;
    assert_ckr!(call(out.as_mut_ptr(), &mut len), CKR_OK);
    assert_eq!(len as usize, expected.len(), "{what}: output length");
    assert_eq!(&out[..len as usize], expected, "{what}: output");
    // 4. The operation is over.
    if ends {
        let mut len = out.len() as CK_ULONG;
        assert_ckr!(call(out.as_mut_ptr(), &mut len), CKR_OPERATION_NOT_INITIALIZED);
    }
}

fn cbc_pad(iv: &mut [u8; 16]) -> CK_MECHANISM {
    CK_MECHANISM {
        mechanism: CKM_AES_CBC_PAD,
        pParameter: iv.as_mut_ptr() as *mut _,
        ulParameterLen: 16,
    }
}

#[test]
fn encrypt_decrypt_two_call() {
    let (_slot, s) = user_token("buf-crypt");
    let k = import_aes(&s, &[0x33; 16]);
    let mut iv = [0x44u8; 16];
    let ct = s.encrypt(&Mechanism::AesCbcPad(iv), k, DATA).unwrap();
    let h = s.handle();
    assert_ckr!(p11!(C_EncryptInit(h, &mut cbc_pad(&mut iv), k.handle())), CKR_OK);
    two_call("C_Encrypt", &ct, true, |out, len| {
        p11!(C_Encrypt(
            h,
            DATA.as_ptr() as *mut u8,
            DATA.len() as CK_ULONG,
            out,
            len
        ))
    });
    assert_ckr!(p11!(C_DecryptInit(h, &mut cbc_pad(&mut iv), k.handle())), CKR_OK);
    two_call("C_Decrypt", DATA, true, |out, len| {
        p11!(C_Decrypt(
            h,
            ct.as_ptr() as *mut u8,
            ct.len() as CK_ULONG,
            out,
            len
        ))
    });
    // Multi-part: C_EncryptUpdate and C_EncryptFinal follow the protocol too.
    assert_ckr!(p11!(C_EncryptInit(h, &mut cbc_pad(&mut iv), k.handle())), CKR_OK);
    two_call("C_EncryptUpdate", &ct[..16], false, |out, len| {
        p11!(C_EncryptUpdate(
            h,
            DATA.as_ptr() as *mut u8,
            DATA.len() as CK_ULONG,
            out,
            len
        ))
    });
    two_call("C_EncryptFinal", &ct[16..], true, |out, len| {
        p11!(C_EncryptFinal(h, out, len))
    });
}

#[test]
fn sign_digest_two_call() {
    let (_slot, s) = user_token("buf-sign");
    let k = import_secret(&s, KeyType::GENERIC_SECRET, &[0x55; 32], &[Attribute::Sign(true)]);
    let mac = s.sign(&Mechanism::Sha256Hmac, k, DATA).unwrap();
    let h = s.handle();
    let mut m = raw_mech::<u8>(CKM_SHA256_HMAC, None);
    assert_ckr!(p11!(C_SignInit(h, &mut m, k.handle())), CKR_OK);
    two_call("C_Sign", &mac, true, |out, len| {
        p11!(C_Sign(
            h,
            DATA.as_ptr() as *mut u8,
            DATA.len() as CK_ULONG,
            out,
            len
        ))
    });
    assert_ckr!(p11!(C_SignInit(h, &mut m, k.handle())), CKR_OK);
    assert_ckr!(
        p11!(C_SignUpdate(h, DATA.as_ptr() as *mut u8, DATA.len() as CK_ULONG)),
        CKR_OK
    );
    two_call("C_SignFinal", &mac, true, |out, len| {
        p11!(C_SignFinal(h, out, len))
    });

    let digest = s.digest(&Mechanism::Sha256, DATA).unwrap();
    let mut d = raw_mech::<u8>(CKM_SHA256, None);
    assert_ckr!(p11!(C_DigestInit(h, &mut d)), CKR_OK);
    two_call("C_Digest", &digest, true, |out, len| {
        p11!(C_Digest(
            h,
            DATA.as_ptr() as *mut u8,
            DATA.len() as CK_ULONG,
            out,
            len
        ))
    });
    assert_ckr!(p11!(C_DigestInit(h, &mut d)), CKR_OK);
    assert_ckr!(
        p11!(C_DigestUpdate(
            h,
            DATA.as_ptr() as *mut u8,
            DATA.len() as CK_ULONG
        )),
        CKR_OK
    );
    two_call("C_DigestFinal", &digest, true, |out, len| {
        p11!(C_DigestFinal(h, out, len))
    });
}

#[test]
fn wrap_key_two_call() {
    let (_slot, s) = user_token("buf-wrap");
    let w = import_secret(&s, KeyType::AES, &[0x66; 16], &[Attribute::Wrap(true)]);
    let k = import_secret(&s, KeyType::AES, &[0x77; 16], &[Attribute::Extractable(true)]);
    let wrapped = s.wrap_key(&Mechanism::AesKeyWrap, w, k).unwrap();
    assert_eq!(wrapped.len(), 24);
    let h = s.handle();
    let mut m = raw_mech::<u8>(CKM_AES_KEY_WRAP, None);
    two_call("C_WrapKey", &wrapped, false, |out, len| {
        p11!(C_WrapKey(h, &mut m, w.handle(), k.handle(), out, len))
    });
}

#[test]
fn get_attribute_value_buffers() {
    let (_slot, s) = user_token("buf-attr");
    let label = b"a label of some length".to_vec();
    let o = s
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Private(false),
            Attribute::Label(label.clone()),
        ])
        .unwrap();
    let h = s.handle();
    let mut a = CK_ATTRIBUTE {
        type_: CKA_LABEL,
        pValue: std::ptr::null_mut(),
        ulValueLen: 0,
    };
    assert_ckr!(p11!(C_GetAttributeValue(h, o.handle(), &mut a, 1)), CKR_OK);
    assert_eq!(a.ulValueLen as usize, label.len(), "length query");
    let mut small = vec![0u8; label.len() - 1];
    a.pValue = small.as_mut_ptr() as *mut _;
    a.ulValueLen = small.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_GetAttributeValue(h, o.handle(), &mut a, 1)),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(
        a.ulValueLen, CK_UNAVAILABLE_INFORMATION,
        "ulValueLen after a too small buffer"
    );
    let mut big = vec![0u8; 64];
    a.pValue = big.as_mut_ptr() as *mut _;
    a.ulValueLen = big.len() as CK_ULONG;
    assert_ckr!(p11!(C_GetAttributeValue(h, o.handle(), &mut a, 1)), CKR_OK);
    assert_eq!(&big[..a.ulValueLen as usize], &label[..]);
    assert_ckr!(
        p11!(C_GetAttributeValue(h, o.handle(), std::ptr::null_mut(), 1)),
        CKR_ARGUMENTS_BAD
    );
}

#[test]
fn errors_end_the_operation() {
    let (_slot, s) = user_token("buf-errors");
    let k = import_aes(&s, &[0x22; 16]);
    let h = s.handle();
    let mut iv = [0u8; 16];
    let mut cbc = CK_MECHANISM {
        mechanism: CKM_AES_CBC,
        pParameter: iv.as_mut_ptr() as *mut _,
        ulParameterLen: 16,
    };
    let mut out = [0u8; 64];
    let mut bad_ct = [0u8; 17];
    assert_ckr!(p11!(C_DecryptInit(h, &mut cbc, k.handle())), CKR_OK);
    let mut len = out.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_Decrypt(h, bad_ct.as_mut_ptr(), 17, out.as_mut_ptr(), &mut len)),
        CKR_ENCRYPTED_DATA_LEN_RANGE
    );
    let mut len = out.len() as CK_ULONG;
    let rv = p11!(C_Decrypt(h, bad_ct.as_mut_ptr(), 16, out.as_mut_ptr(), &mut len));
    if !(rv == CKR_OK && diverges("C_Decrypt keeps the operation after CKR_ENCRYPTED_DATA_LEN_RANGE")) {
        assert_ckr!(rv, CKR_OPERATION_NOT_INITIALIZED);
    }
    // A failed verification ends the verify operation.
    let mk = import_secret(
        &s,
        KeyType::GENERIC_SECRET,
        &[0x55; 32],
        &[Attribute::Verify(true)],
    );
    let mut m = raw_mech::<u8>(CKM_SHA256_HMAC, None);
    let mut sig = [0u8; 32];
    assert_ckr!(p11!(C_VerifyInit(h, &mut m, mk.handle())), CKR_OK);
    assert_ckr!(
        p11!(C_Verify(
            h,
            DATA.as_ptr() as *mut u8,
            DATA.len() as CK_ULONG,
            sig.as_mut_ptr(),
            32
        )),
        CKR_SIGNATURE_INVALID
    );
    assert_ckr!(
        p11!(C_Verify(
            h,
            DATA.as_ptr() as *mut u8,
            DATA.len() as CK_ULONG,
            sig.as_mut_ptr(),
            32
        )),
        CKR_OPERATION_NOT_INITIALIZED
    );
    // CKR_ARGUMENTS_BAD from C_Encrypt ends the operation as well.
    assert_ckr!(p11!(C_EncryptInit(h, &mut cbc_pad(&mut iv), k.handle())), CKR_OK);
    assert_ckr!(
        p11!(C_Encrypt(
            h,
            DATA.as_ptr() as *mut u8,
            DATA.len() as CK_ULONG,
            out.as_mut_ptr(),
            std::ptr::null_mut()
        )),
        CKR_ARGUMENTS_BAD
    );
    let mut len = out.len() as CK_ULONG;
    let rv = p11!(C_Encrypt(
        h,
        DATA.as_ptr() as *mut u8,
        DATA.len() as CK_ULONG,
        out.as_mut_ptr(),
        &mut len
    ));
    if !(rv == CKR_OK && diverges("C_Encrypt keeps the operation after CKR_ARGUMENTS_BAD")) {
        assert_ckr!(rv, CKR_OPERATION_NOT_INITIALIZED);
    }
    // A multi-part error (data not a multiple of the block) ends it too.
    assert_ckr!(p11!(C_EncryptInit(h, &mut cbc, k.handle())), CKR_OK);
    let mut len = out.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_EncryptUpdate(
            h,
            bad_ct.as_mut_ptr(),
            17,
            out.as_mut_ptr(),
            &mut len
        )),
        CKR_OK
    );
    let mut len = out.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_EncryptFinal(h, out.as_mut_ptr(), &mut len)),
        CKR_DATA_LEN_RANGE
    );
    let mut len = out.len() as CK_ULONG;
    assert_ckr!(
        p11!(C_EncryptFinal(h, out.as_mut_ptr(), &mut len)),
        CKR_OPERATION_NOT_INITIALIZED
    );
}
