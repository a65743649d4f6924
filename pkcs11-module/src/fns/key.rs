//! Key management (PKCS#11 3.0 §5.15) and random number generation (§5.16) functions.

use crate::abi::{self, guard};
use crate::state;
use cryptoki_sys as ck;
use softhsm::Error;

/// `C_GenerateKey` (§5.15.1).
#[no_mangle]
pub unsafe extern "C" fn C_GenerateKey(
    hSession: ck::CK_SESSION_HANDLE,
    pMechanism: *mut ck::CK_MECHANISM,
    pTemplate: *mut ck::CK_ATTRIBUTE,
    ulCount: ck::CK_ULONG,
    phKey: *mut ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_GenerateKey", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let m = unsafe { abi::mechanism(pMechanism) }?;
        // SAFETY: contract.
        let t = unsafe { abi::template(pTemplate, ulCount) }?;
        // SAFETY: contract.
        let out = unsafe { abi::out(phKey) }?;
        *out = hsm.generate_key(hSession as u64, &m, &t)? as ck::CK_OBJECT_HANDLE;
        Ok(())
    })
}

/// `C_GenerateKeyPair` (§5.15.2).
#[no_mangle]
pub unsafe extern "C" fn C_GenerateKeyPair(
    hSession: ck::CK_SESSION_HANDLE,
    pMechanism: *mut ck::CK_MECHANISM,
    pPublicKeyTemplate: *mut ck::CK_ATTRIBUTE,
    ulPublicKeyAttributeCount: ck::CK_ULONG,
    pPrivateKeyTemplate: *mut ck::CK_ATTRIBUTE,
    ulPrivateKeyAttributeCount: ck::CK_ULONG,
    phPublicKey: *mut ck::CK_OBJECT_HANDLE,
    phPrivateKey: *mut ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_GenerateKeyPair", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let m = unsafe { abi::mechanism(pMechanism) }?;
        // SAFETY: contract.
        let pt = unsafe { abi::template(pPublicKeyTemplate, ulPublicKeyAttributeCount) }?;
        // SAFETY: contract.
        let st = unsafe { abi::template(pPrivateKeyTemplate, ulPrivateKeyAttributeCount) }?;
        // SAFETY: contract.
        let pub_out = unsafe { abi::out(phPublicKey) }?;
        // SAFETY: contract.
        let priv_out = unsafe { abi::out(phPrivateKey) }?;
        let (p, s) = hsm.generate_key_pair(hSession as u64, &m, &pt, &st)?;
        *pub_out = p as ck::CK_OBJECT_HANDLE;
        *priv_out = s as ck::CK_OBJECT_HANDLE;
        Ok(())
    })
}

/// `C_WrapKey` (§5.15.3).
#[no_mangle]
pub unsafe extern "C" fn C_WrapKey(
    hSession: ck::CK_SESSION_HANDLE,
    pMechanism: *mut ck::CK_MECHANISM,
    hWrappingKey: ck::CK_OBJECT_HANDLE,
    hKey: ck::CK_OBJECT_HANDLE,
    pWrappedKey: *mut ck::CK_BYTE,
    pulWrappedKeyLen: *mut ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_WrapKey", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let m = unsafe { abi::mechanism(pMechanism) }?;
        // SAFETY: contract.
        let o = unsafe { abi::OutBuf::new(pWrappedKey, pulWrappedKeyLen) }?;
        o.write(hsm.wrap_key(hSession as u64, &m, hWrappingKey as u64, hKey as u64, o.room()))
    })
}

/// `C_UnwrapKey` (§5.15.4).
#[no_mangle]
pub unsafe extern "C" fn C_UnwrapKey(
    hSession: ck::CK_SESSION_HANDLE,
    pMechanism: *mut ck::CK_MECHANISM,
    hUnwrappingKey: ck::CK_OBJECT_HANDLE,
    pWrappedKey: *mut ck::CK_BYTE,
    ulWrappedKeyLen: ck::CK_ULONG,
    pTemplate: *mut ck::CK_ATTRIBUTE,
    ulAttributeCount: ck::CK_ULONG,
    phKey: *mut ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_UnwrapKey", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let m = unsafe { abi::mechanism(pMechanism) }?;
        // SAFETY: contract.
        let wrapped = unsafe { abi::input(pWrappedKey, ulWrappedKeyLen) }?;
        // SAFETY: contract.
        let t = unsafe { abi::template(pTemplate, ulAttributeCount) }?;
        // SAFETY: contract.
        let out = unsafe { abi::out(phKey) }?;
        *out =
            hsm.unwrap_key(hSession as u64, &m, hUnwrappingKey as u64, wrapped, &t)? as ck::CK_OBJECT_HANDLE;
        Ok(())
    })
}

/// `C_DeriveKey` (§5.15.5).
#[no_mangle]
pub unsafe extern "C" fn C_DeriveKey(
    hSession: ck::CK_SESSION_HANDLE,
    pMechanism: *mut ck::CK_MECHANISM,
    hBaseKey: ck::CK_OBJECT_HANDLE,
    pTemplate: *mut ck::CK_ATTRIBUTE,
    ulAttributeCount: ck::CK_ULONG,
    phKey: *mut ck::CK_OBJECT_HANDLE,
) -> ck::CK_RV {
    guard("C_DeriveKey", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        let m = unsafe { abi::mechanism(pMechanism) }?;
        // SAFETY: contract.
        let t = unsafe { abi::template(pTemplate, ulAttributeCount) }?;
        // SAFETY: contract.
        let out = unsafe { abi::out(phKey) }?;
        *out = hsm.derive_key(hSession as u64, &m, hBaseKey as u64, &t)? as ck::CK_OBJECT_HANDLE;
        Ok(())
    })
}

/// `C_SeedRandom` (§5.16.1): the engine's DRBG takes no outside seed.
#[no_mangle]
pub unsafe extern "C" fn C_SeedRandom(
    hSession: ck::CK_SESSION_HANDLE,
    pSeed: *mut ck::CK_BYTE,
    ulSeedLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_SeedRandom", || {
        let (hsm, _l) = state::hsm()?;
        // SAFETY: contract.
        unsafe { abi::input(pSeed, ulSeedLen) }?;
        hsm.seed_random(hSession as u64)
    })
}

/// `C_GenerateRandom` (§5.16.2).
#[no_mangle]
pub unsafe extern "C" fn C_GenerateRandom(
    hSession: ck::CK_SESSION_HANDLE,
    RandomData: *mut ck::CK_BYTE,
    ulRandomLen: ck::CK_ULONG,
) -> ck::CK_RV {
    guard("C_GenerateRandom", || {
        let (hsm, _l) = state::hsm()?;
        let n = usize::try_from(ulRandomLen).map_err(|_| Error::ArgumentsBad)?;
        if n == 0 {
            return hsm.generate_random(hSession as u64, &mut []);
        }
        if RandomData.is_null() {
            return Err(Error::ArgumentsBad);
        }
        if n > abi::MAX_INPUT_LEN {
            return Err(Error::DataLenRange);
        }
        // SAFETY: non-NULL with ulRandomLen writable bytes (contract).
        let buf = unsafe { std::slice::from_raw_parts_mut(RandomData, n) };
        hsm.generate_random(hSession as u64, buf)
    })
}
