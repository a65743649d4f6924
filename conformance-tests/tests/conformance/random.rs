//! C_GenerateRandom and C_SeedRandom.

use crate::util::*;

#[test]
fn generate_random_lengths() {
    let (slot, _, _) = fresh_token("random-gen");
    let s = pkcs11().open_ro_session(slot).unwrap();
    let mut previous: Vec<u8> = Vec::new();
    for len in 0..=1024usize {
        let mut buf = vec![0u8; len];
        assert_ckr!(
            p11!(C_GenerateRandom(s.handle(), buf.as_mut_ptr(), len as CK_ULONG)),
            CKR_OK
        );
        if len >= 16 {
            assert!(
                buf.iter().any(|b| *b != buf[0]),
                "{len} random bytes are constant: {}",
                hex::encode(&buf[..16])
            );
            if previous.len() >= 16 {
                assert_ne!(buf[..16], previous[..16], "two outputs share a prefix");
            }
        }
        previous = buf;
    }
    // Through cryptoki too.
    let a = s.generate_random_vec(32).unwrap();
    let b = s.generate_random_vec(32).unwrap();
    assert_ne!(a, b);
    // Rough sanity: bit balance over 64 KiB.
    let big = s.generate_random_vec(65536).unwrap();
    let ones: u32 = big.iter().map(|b| b.count_ones()).sum();
    let total = 65536 * 8;
    assert!(
        (ones as f64 / total as f64 - 0.5).abs() < 0.01,
        "bit balance {ones}/{total}"
    );
}

#[test]
fn generate_random_arguments() {
    let (slot, _, _) = fresh_token("random-args");
    let s = pkcs11().open_ro_session(slot).unwrap();
    assert_ckr!(
        p11!(C_GenerateRandom(s.handle(), std::ptr::null_mut(), 16)),
        CKR_ARGUMENTS_BAD
    );
    let mut buf = [0u8; 8];
    assert_ckr!(
        p11!(C_GenerateRandom(CK_INVALID_HANDLE, buf.as_mut_ptr(), 8)),
        CKR_SESSION_HANDLE_INVALID
    );
}

#[test]
fn seed_random_ok_or_not_supported() {
    let (slot, _, _) = fresh_token("random-seed");
    let s = pkcs11().open_ro_session(slot).unwrap();
    match s.seed_random(b"some additional entropy") {
        Ok(()) => {}
        Err(e) => assert_eq!(
            rv_of::<()>(Err(e)),
            cryptoki::error::RvError::RandomSeedNotSupported,
            "C_SeedRandom"
        ),
    }
    // Random generation still works afterwards.
    assert_eq!(s.generate_random_vec(16).unwrap().len(), 16);
}
