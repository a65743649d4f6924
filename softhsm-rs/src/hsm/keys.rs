//! Key management functions (PKCS#11 3.0 §5.14): generate, generate pair, wrap, unwrap, derive;
//! and the checks and computed attributes of imported keys.

use super::crypt::check_use;
use super::Hsm;
use crate::attr::{self, AttrType};
use crate::crypto::{self, Curve, Hash};
use crate::der;
use crate::error::{Error, Result};
use crate::mechanism::ops::{
    self, der_octet_string, der_octet_string_inner, is_ed25519_params, is_x25519_params, map_crypto, Ctx,
};
use crate::mechanism::{self, KdfField, Mechanism, Param};
use crate::object::factory::{self, Origin, Template};
use crate::object::Object;
use cryptoki_sys as ck;
use zeroize::Zeroizing;

fn strip_zeros(v: &[u8]) -> &[u8] {
    let n = v.iter().take_while(|b| **b == 0).count();
    &v[n..]
}

/// `CKA_CHECK_VALUE` (PKCS#11 3.0 §4.10): AES encrypts a zero block, other secrets and
/// certificates take the first 3 bytes of the SHA-1 of the value.
fn check_value(obj: &Object) -> Vec<u8> {
    let Some(v) = obj.get(ck::CKA_VALUE) else {
        return Vec::new();
    };
    if obj.key_type() == Some(ck::CKK_AES) {
        if let Ok(mut c) = crypto::AesCipher::new(crypto::AesMode::Ecb, v, &[], true, false) {
            if let (Ok(mut a), Ok(b)) = (c.update(&[0u8; 16]), c.finish()) {
                a.extend(b);
                a.truncate(3);
                return a;
            }
        }
        return Vec::new();
    }
    let mut d = Hash::Sha1.digest(v);
    d.truncate(3);
    d
}

pub(super) fn check_secret_len(key_type: u64, len: usize) -> Result<()> {
    let ok = match key_type {
        ck::CKK_AES => matches!(len, 16 | 24 | 32),
        _ => (1..=512).contains(&len),
    };
    if !ok {
        log::info!("secret key length {len} is not valid for key type 0x{key_type:X}");
        return Err(Error::AttributeValueInvalid);
    }
    Ok(())
}

/// Sets `CKA_PUBLIC_KEY_INFO` (the SubjectPublicKeyInfo) of a public or private key.
fn set_public_key_info(obj: &mut Object) -> Result<()> {
    let imp = |e| map_crypto(e, Ctx::Import);
    let spki = match (obj.class(), obj.key_type()) {
        (Some(ck::CKO_PUBLIC_KEY | ck::CKO_PRIVATE_KEY), Some(ck::CKK_RSA)) => der::spki_rsa(
            obj.get(ck::CKA_MODULUS).unwrap_or_default(),
            obj.get(ck::CKA_PUBLIC_EXPONENT).unwrap_or_default(),
        ),
        (Some(ck::CKO_PUBLIC_KEY), Some(ck::CKK_EC)) => {
            let params = obj.get(ck::CKA_EC_PARAMS).unwrap_or_default().to_vec();
            der::spki_ec(&params, &ops::ec_point(obj)?)
        }
        (Some(ck::CKO_PRIVATE_KEY), Some(ck::CKK_EC)) => {
            let params = obj.get(ck::CKA_EC_PARAMS).unwrap_or_default().to_vec();
            let curve = ops::curve_of(obj)?;
            let k = crypto::EcPrivateKey::from_scalar(curve, obj.get(ck::CKA_VALUE).unwrap_or_default())
                .map_err(imp)?;
            der::spki_ec(&params, &k.public_point())
        }
        (Some(ck::CKO_PUBLIC_KEY), Some(ck::CKK_EC_EDWARDS)) => der::spki_ed25519(&ops::ec_point(obj)?),
        (Some(ck::CKO_PUBLIC_KEY), Some(ck::CKK_EC_MONTGOMERY)) => der::spki_x25519(&ops::ec_point(obj)?),
        (Some(ck::CKO_PRIVATE_KEY), Some(ck::CKK_EC_MONTGOMERY)) => {
            let pk = crypto::x25519_public_from_private(obj.get(ck::CKA_VALUE).unwrap_or_default())
                .map_err(imp)?;
            der::spki_x25519(&pk)
        }
        (Some(ck::CKO_PRIVATE_KEY), Some(ck::CKK_EC_EDWARDS)) => {
            let pk =
                crypto::ed25519_public_from_seed(obj.get(ck::CKA_VALUE).unwrap_or_default()).map_err(imp)?;
            der::spki_ed25519(&pk)
        }
        _ => return Ok(()),
    };
    obj.set(ck::CKA_PUBLIC_KEY_INFO, spki);
    Ok(())
}

/// Validates an imported key (or certificate) and fills the attributes the token computes.
pub(super) fn complete_import(obj: &mut Object) -> Result<()> {
    let imp = |e| map_crypto(e, Ctx::Import);
    match (obj.class(), obj.key_type()) {
        (Some(ck::CKO_SECRET_KEY), Some(kt)) => {
            let len = obj.get(ck::CKA_VALUE).map_or(0, <[u8]>::len);
            check_secret_len(kt, len)?;
            obj.set_ulong(ck::CKA_VALUE_LEN, len as u64);
            let cv = check_value(obj);
            obj.set(ck::CKA_CHECK_VALUE, cv);
        }
        (Some(ck::CKO_PUBLIC_KEY), Some(ck::CKK_RSA)) => {
            let k = ops::rsa_public(obj).map_err(|_| Error::AttributeValueInvalid)?;
            obj.set_ulong(ck::CKA_MODULUS_BITS, k.bits() as u64);
        }
        (Some(ck::CKO_PRIVATE_KEY), Some(ck::CKK_RSA)) => {
            let k = ops::rsa_private(obj).map_err(|_| Error::AttributeValueInvalid)?;
            let c = k.components();
            // Fill the CRT values an import left out.
            for (ty, v) in ops::rsa_attr_values(&c) {
                if !obj.has(ty) && !v.is_empty() {
                    obj.set(ty, v.clone());
                }
            }
        }
        (Some(ck::CKO_PUBLIC_KEY), Some(ck::CKK_EC)) => {
            let curve = ops::curve_of(obj).map_err(|_| Error::AttributeValueInvalid)?;
            let p = ops::ec_point(obj)?;
            crypto::EcPublicKey::from_point(curve, &p).map_err(imp)?;
            obj.set(ck::CKA_EC_POINT, der_octet_string(&p));
        }
        (Some(ck::CKO_PRIVATE_KEY), Some(ck::CKK_EC)) => {
            let curve = ops::curve_of(obj).map_err(|_| Error::AttributeValueInvalid)?;
            let d = obj.get(ck::CKA_VALUE).unwrap_or_default().to_vec();
            let k = crypto::EcPrivateKey::from_scalar(curve, &d).map_err(imp)?;
            obj.set(ck::CKA_VALUE, k.scalar().to_vec());
        }
        (Some(class), Some(kt @ (ck::CKK_EC_EDWARDS | ck::CKK_EC_MONTGOMERY))) => {
            let params_ok = if kt == ck::CKK_EC_EDWARDS {
                is_ed25519_params
            } else {
                is_x25519_params
            };
            if !params_ok(obj.get(ck::CKA_EC_PARAMS).unwrap_or_default()) {
                return Err(Error::AttributeValueInvalid);
            }
            if class == ck::CKO_PUBLIC_KEY {
                let p = ops::ec_point(obj)?;
                if p.len() != 32 {
                    return Err(Error::AttributeValueInvalid);
                }
                obj.set(ck::CKA_EC_POINT, der_octet_string(&p));
            } else {
                let private = obj.get(ck::CKA_VALUE).unwrap_or_default();
                if kt == ck::CKK_EC_EDWARDS {
                    crypto::ed25519_public_from_seed(private).map_err(imp)?;
                } else {
                    crypto::x25519_public_from_private(private).map_err(imp)?;
                }
            }
        }
        (Some(ck::CKO_DOMAIN_PARAMETERS), _) => {
            let bits = bit_len(obj.get(ck::CKA_PRIME).unwrap_or_default());
            obj.set_ulong(ck::CKA_PRIME_BITS, bits as u64);
            obj.set_bool(ck::CKA_LOCAL, false);
        }
        (Some(ck::CKO_PRIVATE_KEY), Some(ck::CKK_DSA)) => {
            let get = |ty| obj.get(ty).unwrap_or_default().to_vec();
            let p = crypto::DsaParams {
                p: get(ck::CKA_PRIME),
                q: get(ck::CKA_SUBPRIME),
                g: get(ck::CKA_BASE),
            };
            crypto::dsa_public_from_private(&p, obj.get(ck::CKA_VALUE).unwrap_or_default()).map_err(imp)?;
        }
        (Some(ck::CKO_PRIVATE_KEY), Some(ck::CKK_DH)) => {
            let get = |ty| obj.get(ty).unwrap_or_default().to_vec();
            let p = crypto::DhParams {
                p: get(ck::CKA_PRIME),
                g: get(ck::CKA_BASE),
            };
            let x = obj.get(ck::CKA_VALUE).unwrap_or_default().to_vec();
            crypto::dh_public_from_private(&p, &x).map_err(imp)?;
            obj.set_ulong(ck::CKA_VALUE_BITS, bit_len(&x) as u64);
        }
        (Some(ck::CKO_CERTIFICATE), _) => {
            let cv = check_value(obj);
            obj.set(ck::CKA_CHECK_VALUE, cv);
        }
        _ => {}
    }
    // Computed from the key itself, so it can never disagree with the key material.
    set_public_key_info(obj)?;
    Ok(())
}

/// Bit length of a big-endian unsigned integer.
fn bit_len(v: &[u8]) -> usize {
    let v = strip_zeros(v);
    v.first()
        .map_or(0, |b| (v.len() - 1) * 8 + (8 - b.leading_zeros() as usize))
}

/// Checks a DSA/DH prime's size against the mechanism's range.
fn check_prime_bits(p: &[u8], def: &mechanism::MechDef) -> Result<()> {
    let bits = bit_len(p) as u64;
    if bits < def.min || bits > def.max {
        log::info!("prime of {bits} bits is outside {}..={}", def.min, def.max);
        return Err(Error::DomainParamsInvalid);
    }
    Ok(())
}

/// The class and key type a template gives (or the defaults), refusing a contradiction.
fn class_and_type(t: &Template, class: u64, key_types: &[u64]) -> Result<u64> {
    if factory::tmpl_ulong(t, ck::CKA_CLASS).is_some_and(|c| c != class) {
        log::info!("template class contradicts the mechanism");
        return Err(Error::TemplateInconsistent);
    }
    match factory::tmpl_ulong(t, ck::CKA_KEY_TYPE) {
        None => Ok(key_types[0]),
        Some(k) if key_types.contains(&k) => Ok(k),
        Some(_) => {
            log::info!("template key type contradicts the mechanism");
            Err(Error::TemplateInconsistent)
        }
    }
}

pub(super) fn set_secret(obj: &mut Object, value: Zeroizing<Vec<u8>>) {
    obj.set_ulong(ck::CKA_VALUE_LEN, value.len() as u64);
    obj.set(ck::CKA_VALUE, value.to_vec());
    let cv = check_value(obj);
    obj.set(ck::CKA_CHECK_VALUE, cv);
}

/// What the key manager adds to a new key before it is stored (see
/// [`Hsm::generate_key_with`]).
pub type ManagedHook = dyn Fn(&Object) -> Vec<(AttrType, Vec<u8>)>;

impl Hsm {
    /// `C_GenerateKey`.
    pub fn generate_key(&self, h: u64, m: &Mechanism, raw: &[(AttrType, Vec<u8>)]) -> Result<u64> {
        self.generate_key_with(h, m, raw, &|_| Vec::new())
    }

    /// `C_GenerateKey` for the key manager, which may add `attr::MANAGED` attributes computed
    /// from the new key (the KMIP Digest) before it is stored, in the same write.
    pub fn generate_key_with(
        &self,
        h: u64,
        m: &Mechanism,
        raw: &[(AttrType, Vec<u8>)],
        managed: &ManagedHook,
    ) -> Result<u64> {
        let (_, slot, rw) = self.session(h)?;
        let def = mechanism::require(m.mech, ck::CKF_GENERATE)?;
        if matches!(m.mech, ck::CKM_DSA_PARAMETER_GEN | ck::CKM_DH_PKCS_PARAMETER_GEN) {
            return self.generate_domain_parameters(h, slot, rw, m, def, raw);
        }
        let pbkdf2 = match (&m.param, m.mech) {
            (Param::Pbkdf2 { .. }, ck::CKM_PKCS5_PBKD2) => Some(&m.param),
            (Param::None, ck::CKM_PKCS5_PBKD2) => return Err(Error::MechanismParamInvalid),
            (Param::None, _) => None,
            _ => return Err(Error::MechanismParamInvalid),
        };
        let t = self.template(raw)?;
        let kt = match m.mech {
            ck::CKM_AES_KEY_GEN => class_and_type(&t, ck::CKO_SECRET_KEY, &[ck::CKK_AES])?,
            ck::CKM_HKDF_KEY_GEN => class_and_type(&t, ck::CKO_SECRET_KEY, &[ck::CKK_HKDF])?,
            ck::CKM_PKCS5_PBKD2 => class_and_type(&t, ck::CKO_SECRET_KEY, attr::SECRET_KEY_TYPES)?,
            _ => class_and_type(&t, ck::CKO_SECRET_KEY, attr::GENERIC_KEY_TYPES)?,
        };
        let len = factory::tmpl_ulong(&t, ck::CKA_VALUE_LEN).ok_or_else(|| {
            log::info!("C_GenerateKey needs CKA_VALUE_LEN");
            Error::TemplateIncomplete
        })?;
        if len < def.min || len > def.max {
            return Err(Error::KeySizeRange);
        }
        check_secret_len(kt, len as usize)?;
        let mut obj = factory::build(Origin::Generate, ck::CKO_SECRET_KEY, Some(kt), &t)?;
        let v = match pbkdf2 {
            Some(Param::Pbkdf2 {
                salt,
                iterations,
                prf,
                password,
            }) => {
                let hash = match *prf {
                    ck::CKP_PKCS5_PBKD2_HMAC_SHA1 => Hash::Sha1,
                    ck::CKP_PKCS5_PBKD2_HMAC_SHA224 => Hash::Sha224,
                    ck::CKP_PKCS5_PBKD2_HMAC_SHA256 => Hash::Sha256,
                    ck::CKP_PKCS5_PBKD2_HMAC_SHA384 => Hash::Sha384,
                    ck::CKP_PKCS5_PBKD2_HMAC_SHA512 => Hash::Sha512,
                    _ => return Err(Error::MechanismParamInvalid),
                };
                let it = u32::try_from(*iterations)
                    .ok()
                    .filter(|i| (1..=10_000_000).contains(i))
                    .ok_or(Error::MechanismParamInvalid)?;
                crypto::pbkdf2(hash, password, salt, it, len as usize)
                    .map_err(|_| Error::MechanismParamInvalid)?
            }
            _ => {
                let mut v = Zeroizing::new(vec![0u8; len as usize]);
                crypto::random(&mut v).map_err(|_| Error::DeviceError)?;
                v
            }
        };
        set_secret(&mut obj, v);
        // A key computed from a password is not "generated" in the sense of CKA_LOCAL.
        let origin = if pbkdf2.is_some() {
            Origin::Derive
        } else {
            Origin::Generate
        };
        factory::finish_key(&mut obj, origin, Some(m.mech), None);
        let extra = managed(&obj);
        self.add_managed(&mut obj, extra)?;
        self.insert_new(h, slot, rw, obj)
    }

    /// Sets attributes only the key manager may set; anything else is refused.
    pub(super) fn add_managed(&self, obj: &mut Object, extra: Vec<(AttrType, Vec<u8>)>) -> Result<()> {
        for (ty, v) in extra {
            let managed = attr::def(ty).is_some_and(|d| d.flags & attr::MANAGED != 0);
            if !self.manager || !managed {
                log::error!("attribute {} is not one the key manager sets", attr::name(ty));
                return Err(Error::AttributeReadOnly);
            }
            obj.set(ty, v);
        }
        Ok(())
    }

    /// `C_GenerateKey` with `CKM_DSA_PARAMETER_GEN` / `CKM_DH_PKCS_PARAMETER_GEN`: a domain
    /// parameters object of `CKA_PRIME_BITS` bits. DH parameters take seconds (a safe prime).
    fn generate_domain_parameters(
        &self,
        h: u64,
        slot: u64,
        rw: bool,
        m: &Mechanism,
        def: &mechanism::MechDef,
        raw: &[(AttrType, Vec<u8>)],
    ) -> Result<u64> {
        if m.param != Param::None {
            return Err(Error::MechanismParamInvalid);
        }
        let t = self.template(raw)?;
        let kt = if m.mech == ck::CKM_DSA_PARAMETER_GEN {
            ck::CKK_DSA
        } else {
            ck::CKK_DH
        };
        class_and_type(&t, ck::CKO_DOMAIN_PARAMETERS, &[kt])?;
        let bits = factory::tmpl_ulong(&t, ck::CKA_PRIME_BITS).ok_or(Error::TemplateIncomplete)?;
        if bits < def.min || bits > def.max {
            return Err(Error::KeySizeRange);
        }
        let mut obj = factory::build(Origin::Generate, ck::CKO_DOMAIN_PARAMETERS, Some(kt), &t)?;
        if kt == ck::CKK_DSA {
            let p = crypto::dsa_generate_params(bits as usize).map_err(|_| Error::KeySizeRange)?;
            obj.set(ck::CKA_PRIME, p.p);
            obj.set(ck::CKA_SUBPRIME, p.q);
            obj.set(ck::CKA_BASE, p.g);
        } else {
            let p = crypto::dh_generate_params(bits as usize).map_err(|_| Error::KeySizeRange)?;
            obj.set(ck::CKA_PRIME, p.p);
            obj.set(ck::CKA_BASE, p.g);
        }
        obj.set_bool(ck::CKA_LOCAL, true);
        self.insert_new(h, slot, rw, obj)
    }

    /// `C_GenerateKeyPair`.
    pub fn generate_key_pair(
        &self,
        h: u64,
        m: &Mechanism,
        pub_raw: &[(AttrType, Vec<u8>)],
        priv_raw: &[(AttrType, Vec<u8>)],
    ) -> Result<(u64, u64)> {
        let (_, slot, rw) = self.session(h)?;
        let def = mechanism::require(m.mech, ck::CKF_GENERATE_KEY_PAIR)?;
        if m.param != Param::None {
            return Err(Error::MechanismParamInvalid);
        }
        let pt = self.template(pub_raw)?;
        let st = self.template(priv_raw)?;
        let kt = match m.mech {
            ck::CKM_RSA_PKCS_KEY_PAIR_GEN => ck::CKK_RSA,
            ck::CKM_EC_KEY_PAIR_GEN => ck::CKK_EC,
            ck::CKM_EC_MONTGOMERY_KEY_PAIR_GEN => ck::CKK_EC_MONTGOMERY,
            ck::CKM_DSA_KEY_PAIR_GEN => ck::CKK_DSA,
            ck::CKM_DH_PKCS_KEY_PAIR_GEN => ck::CKK_DH,
            _ => ck::CKK_EC_EDWARDS,
        };
        class_and_type(&pt, ck::CKO_PUBLIC_KEY, &[kt])?;
        class_and_type(&st, ck::CKO_PRIVATE_KEY, &[kt])?;
        let mut pubk = factory::build(Origin::Generate, ck::CKO_PUBLIC_KEY, Some(kt), &pt)?;
        // EC parameters come from the public template; the private template may repeat them.
        let mut st_gen = st.clone();
        st_gen.remove(&ck::CKA_EC_PARAMS);
        let mut privk = factory::build(Origin::Generate, ck::CKO_PRIVATE_KEY, Some(kt), &st_gen)?;
        match kt {
            ck::CKK_RSA => {
                let bits = pubk
                    .ulong(ck::CKA_MODULUS_BITS)
                    .ok_or(Error::TemplateIncomplete)?;
                if bits < def.min || bits > def.max {
                    log::info!("RSA modulus of {bits} bits is outside {}..={}", def.min, def.max);
                    return Err(Error::KeySizeRange);
                }
                let e = pubk.get(ck::CKA_PUBLIC_EXPONENT).unwrap_or_default().to_vec();
                let e = if strip_zeros(&e).is_empty() {
                    vec![1, 0, 1]
                } else {
                    strip_zeros(&e).to_vec()
                };
                let k = crypto::RsaPrivateKey::generate(bits as usize, &e)
                    .map_err(|e| map_crypto(e, Ctx::Import))?;
                let c = k.components();
                pubk.set(ck::CKA_MODULUS, c.n.clone());
                pubk.set(ck::CKA_PUBLIC_EXPONENT, c.e.clone());
                for (ty, v) in ops::rsa_attr_values(&c) {
                    privk.set(ty, v.clone());
                }
            }
            ck::CKK_EC => {
                let params = pubk.get(ck::CKA_EC_PARAMS).unwrap_or_default().to_vec();
                if st.get(&ck::CKA_EC_PARAMS).is_some_and(|p| *p != params) {
                    return Err(Error::TemplateInconsistent);
                }
                let curve = Curve::from_oid_der(&params).ok_or_else(|| {
                    log::info!("EC parameters name a curve the token does not offer");
                    Error::CurveNotSupported
                })?;
                let k = crypto::EcPrivateKey::generate(curve).map_err(|e| map_crypto(e, Ctx::Sign))?;
                pubk.set(ck::CKA_EC_POINT, der_octet_string(&k.public_point()));
                privk.set(ck::CKA_EC_PARAMS, params);
                privk.set(ck::CKA_VALUE, k.scalar().to_vec());
            }
            ck::CKK_DSA => {
                let get = |ty| pubk.get(ty).unwrap_or_default().to_vec();
                let params = crypto::DsaParams {
                    p: get(ck::CKA_PRIME),
                    q: get(ck::CKA_SUBPRIME),
                    g: get(ck::CKA_BASE),
                };
                check_prime_bits(&params.p, def)?;
                let (x, y) = crypto::dsa_generate_key(&params).map_err(|_| Error::DomainParamsInvalid)?;
                pubk.set(ck::CKA_VALUE, y);
                privk.set(ck::CKA_PRIME, params.p);
                privk.set(ck::CKA_SUBPRIME, params.q);
                privk.set(ck::CKA_BASE, params.g);
                privk.set(ck::CKA_VALUE, x.to_vec());
            }
            ck::CKK_DH => {
                let get = |ty| pubk.get(ty).unwrap_or_default().to_vec();
                let params = crypto::DhParams {
                    p: get(ck::CKA_PRIME),
                    g: get(ck::CKA_BASE),
                };
                check_prime_bits(&params.p, def)?;
                let (x, y) = crypto::dh_generate_key(&params).map_err(|_| Error::DomainParamsInvalid)?;
                pubk.set(ck::CKA_VALUE, y);
                privk.set(ck::CKA_PRIME, params.p);
                privk.set(ck::CKA_BASE, params.g);
                privk.set_ulong(ck::CKA_VALUE_BITS, bit_len(&x) as u64);
                privk.set(ck::CKA_VALUE, x.to_vec());
            }
            ck::CKK_EC_MONTGOMERY => {
                let params = pubk.get(ck::CKA_EC_PARAMS).unwrap_or_default().to_vec();
                if !is_x25519_params(&params) {
                    log::info!("only X25519 is offered for CKM_EC_MONTGOMERY_KEY_PAIR_GEN");
                    return Err(Error::CurveNotSupported);
                }
                let (private, public) = crypto::x25519_generate().map_err(|e| map_crypto(e, Ctx::Sign))?;
                pubk.set(ck::CKA_EC_POINT, der_octet_string(&public));
                privk.set(ck::CKA_EC_PARAMS, params);
                privk.set(ck::CKA_VALUE, private.to_vec());
            }
            _ => {
                let params = pubk.get(ck::CKA_EC_PARAMS).unwrap_or_default().to_vec();
                if !is_ed25519_params(&params) {
                    log::info!("only Ed25519 is offered for CKM_EC_EDWARDS_KEY_PAIR_GEN");
                    return Err(Error::CurveNotSupported);
                }
                let (seed, public) = crypto::ed25519_generate().map_err(|e| map_crypto(e, Ctx::Sign))?;
                pubk.set(ck::CKA_EC_POINT, der_octet_string(&public));
                privk.set(ck::CKA_EC_PARAMS, params);
                privk.set(ck::CKA_VALUE, seed.to_vec());
            }
        }
        set_public_key_info(&mut pubk)?;
        set_public_key_info(&mut privk)?;
        factory::finish_key(&mut pubk, Origin::Generate, Some(m.mech), None);
        factory::finish_key(&mut privk, Origin::Generate, Some(m.mech), None);
        let ph = self.insert_new(h, slot, rw, pubk)?;
        match self.insert_new(h, slot, rw, privk) {
            Ok(sh) => Ok((ph, sh)),
            Err(e) => {
                let _ = self.destroy_object(h, ph);
                Err(e)
            }
        }
    }

    /// `C_DeriveKey`: ECDH (`CKM_ECDH1_DERIVE`, `CKD_NULL`), hash of a key
    /// (`CKM_SHA*_KEY_DERIVATION`), AES encryption of data (`CKM_AES_ECB_ENCRYPT_DATA`,
    /// `CKM_AES_CBC_ENCRYPT_DATA`) and concatenation (`CKM_CONCATENATE_*`).
    pub fn derive_key(&self, h: u64, m: &Mechanism, base: u64, raw: &[(AttrType, Vec<u8>)]) -> Result<u64> {
        let (_, slot, rw) = self.session(h)?;
        mechanism::require(m.mech, ck::CKF_DERIVE)?;
        let b = self.load_key(slot, base, true)?;
        check_use(&b, ck::CKA_DERIVE, m.mech)?;
        let mut other: Option<Object> = None;
        let want_len = raw
            .iter()
            .find(|(ty, _)| *ty == ck::CKA_VALUE_LEN)
            .and_then(|(_, v)| attr::dec_ulong(v))
            .map(|n| n as usize);
        if matches!(m.mech, ck::CKM_HKDF_DERIVE | ck::CKM_HKDF_DATA) {
            let okm = self.hkdf_value(slot, &b, &m.param, want_len)?;
            if m.mech == ck::CKM_HKDF_DATA {
                // The output is a data object holding the derived bytes.
                let mut t = self.template(raw)?;
                t.remove(&ck::CKA_VALUE_LEN);
                if factory::tmpl_ulong(&t, ck::CKA_CLASS).is_some_and(|c| c != ck::CKO_DATA) {
                    return Err(Error::TemplateInconsistent);
                }
                t.remove(&ck::CKA_CLASS);
                let mut obj = factory::build(Origin::Create, ck::CKO_DATA, None, &t)?;
                obj.set(ck::CKA_VALUE, okm.to_vec());
                return self.insert_new(h, slot, rw, obj);
            }
            return self.finish_derived(h, slot, rw, m, &b, None, okm, raw);
        }
        let value: Zeroizing<Vec<u8>> = match m.mech {
            ck::CKM_ECDH1_DERIVE => ecdh_value(&b, &m.param, want_len)?,
            ck::CKM_SP800_108_COUNTER_KDF => sp800_108_counter(&b, &m.param, want_len)?,
            ck::CKM_DH_PKCS_DERIVE => {
                let Param::Data(peer) = &m.param else {
                    return Err(Error::MechanismParamInvalid);
                };
                if b.class() != Some(ck::CKO_PRIVATE_KEY) || b.key_type() != Some(ck::CKK_DH) {
                    return Err(Error::KeyTypeInconsistent);
                }
                let get = |ty| b.get(ty).unwrap_or_default().to_vec();
                let params = crypto::DhParams {
                    p: get(ck::CKA_PRIME),
                    g: get(ck::CKA_BASE),
                };
                crypto::dh_compute(&params, b.get(ck::CKA_VALUE).unwrap_or_default(), peer)
                    .map_err(|_| Error::MechanismParamInvalid)?
            }
            _ => {
                if b.class() != Some(ck::CKO_SECRET_KEY) {
                    return Err(Error::KeyTypeInconsistent);
                }
                let v = b.get(ck::CKA_VALUE).unwrap_or_default();
                match (m.mech, &m.param) {
                    (ck::CKM_SHA1_KEY_DERIVATION, Param::None) => Zeroizing::new(Hash::Sha1.digest(v)),
                    (ck::CKM_SHA224_KEY_DERIVATION, Param::None) => Zeroizing::new(Hash::Sha224.digest(v)),
                    (ck::CKM_SHA256_KEY_DERIVATION, Param::None) => Zeroizing::new(Hash::Sha256.digest(v)),
                    (ck::CKM_SHA384_KEY_DERIVATION, Param::None) => Zeroizing::new(Hash::Sha384.digest(v)),
                    (ck::CKM_SHA512_KEY_DERIVATION, Param::None) => Zeroizing::new(Hash::Sha512.digest(v)),
                    (ck::CKM_MD5_KEY_DERIVATION, Param::None) => Zeroizing::new(Hash::Md5.digest(v)),
                    (ck::CKM_SHA3_224_KEY_DERIVATION, Param::None) => {
                        Zeroizing::new(Hash::Sha3_224.digest(v))
                    }
                    (ck::CKM_SHA3_256_KEY_DERIVATION, Param::None) => {
                        Zeroizing::new(Hash::Sha3_256.digest(v))
                    }
                    (ck::CKM_SHA3_384_KEY_DERIVATION, Param::None) => {
                        Zeroizing::new(Hash::Sha3_384.digest(v))
                    }
                    (ck::CKM_SHA3_512_KEY_DERIVATION, Param::None) => {
                        Zeroizing::new(Hash::Sha3_512.digest(v))
                    }
                    (ck::CKM_AES_ECB_ENCRYPT_DATA, Param::Data(d)) => {
                        aes_encrypt_data(&b, crypto::AesMode::Ecb, &[], d)?
                    }
                    (ck::CKM_AES_CBC_ENCRYPT_DATA, Param::CbcData { iv, data }) => {
                        aes_encrypt_data(&b, crypto::AesMode::Cbc, iv, data)?
                    }
                    (ck::CKM_CONCATENATE_BASE_AND_DATA, Param::Data(d)) => {
                        Zeroizing::new([v, d.as_slice()].concat())
                    }
                    (ck::CKM_CONCATENATE_DATA_AND_BASE, Param::Data(d)) => {
                        Zeroizing::new([d.as_slice(), v].concat())
                    }
                    (ck::CKM_CONCATENATE_BASE_AND_KEY, Param::Handle(k2)) => {
                        let o = self.load_key(slot, *k2, true)?;
                        if o.class() != Some(ck::CKO_SECRET_KEY) {
                            return Err(Error::KeyTypeInconsistent);
                        }
                        let joined = Zeroizing::new([v, o.get(ck::CKA_VALUE).unwrap_or_default()].concat());
                        other = Some(o);
                        joined
                    }
                    _ => return Err(Error::MechanismParamInvalid),
                }
            }
        };
        self.finish_derived(h, slot, rw, m, &b, other.as_ref(), value, raw)
    }

    /// Makes the derived secret key: merges the base key's `CKA_DERIVE_TEMPLATE`, applies
    /// `CKA_VALUE_LEN`, computes the generated attributes from the base key (and the second key
    /// of `CKM_CONCATENATE_BASE_AND_KEY`), and stores it.
    #[allow(clippy::too_many_arguments)]
    fn finish_derived(
        &self,
        h: u64,
        slot: u64,
        rw: bool,
        m: &Mechanism,
        b: &Object,
        other: Option<&Object>,
        value: Zeroizing<Vec<u8>>,
        raw: &[(AttrType, Vec<u8>)],
    ) -> Result<u64> {
        let mut t = self.template(raw)?;
        factory::merge_required(&mut t, b.get(ck::CKA_DERIVE_TEMPLATE))?;
        let kt = class_and_type(&t, ck::CKO_SECRET_KEY, attr::SECRET_KEY_TYPES)?;
        let mut t2 = t.clone();
        let mut value = value;
        if let Some(len) = t2.remove(&ck::CKA_VALUE_LEN).and_then(|v| attr::dec_ulong(&v)) {
            if len == 0 || len as usize > value.len() {
                log::info!(
                    "CKA_VALUE_LEN {len} exceeds the {} bytes the derivation produces",
                    value.len()
                );
                return Err(Error::TemplateInconsistent);
            }
            value.truncate(len as usize);
        } else if kt == ck::CKK_AES && !matches!(value.len(), 16 | 24 | 32) {
            log::info!(
                "derived {} bytes: give CKA_VALUE_LEN (16, 24 or 32) for an AES key",
                value.len()
            );
            return Err(Error::TemplateIncomplete);
        }
        check_secret_len(kt, value.len()).map_err(|_| Error::TemplateInconsistent)?;
        let mut obj = factory::build(Origin::Derive, ck::CKO_SECRET_KEY, Some(kt), &t2)?;
        set_secret(&mut obj, value);
        factory::finish_key(&mut obj, Origin::Derive, Some(m.mech), Some(b));
        if let Some(o) = other {
            if !o.bool(ck::CKA_ALWAYS_SENSITIVE) {
                obj.set_bool(ck::CKA_ALWAYS_SENSITIVE, false);
            }
            if !o.bool(ck::CKA_NEVER_EXTRACTABLE) {
                obj.set_bool(ck::CKA_NEVER_EXTRACTABLE, false);
            }
        }
        self.insert_new(h, slot, rw, obj)
    }

    /// HKDF (RFC 5869) as `CK_HKDF_PARAMS` asks: extract, expand, or both, with a NULL salt, a
    /// data salt or the value of a salt key; `want` bytes of output for an expand.
    fn hkdf_value(
        &self,
        slot: u64,
        b: &Object,
        param: &Param,
        want: Option<usize>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let Param::Hkdf {
            extract,
            expand,
            prf,
            salt_type,
            salt,
            salt_key,
            info,
        } = param
        else {
            return Err(Error::MechanismParamInvalid);
        };
        if b.class() != Some(ck::CKO_SECRET_KEY) {
            return Err(Error::KeyTypeInconsistent);
        }
        let hash = ops::hash_of(*prf)
            .filter(|h| *h != Hash::Md5)
            .ok_or(Error::MechanismParamInvalid)?;
        let ikm = b.get(ck::CKA_VALUE).unwrap_or_default();
        let prk = if *extract {
            let salt: Zeroizing<Vec<u8>> = match *salt_type {
                ck::CKF_HKDF_SALT_NULL => Zeroizing::new(vec![0; hash.len()]),
                ck::CKF_HKDF_SALT_DATA if !salt.is_empty() => Zeroizing::new(salt.clone()),
                ck::CKF_HKDF_SALT_KEY => {
                    let k = self.load_key(slot, *salt_key, true)?;
                    if k.class() != Some(ck::CKO_SECRET_KEY) {
                        return Err(Error::MechanismParamInvalid);
                    }
                    Zeroizing::new(k.get(ck::CKA_VALUE).unwrap_or_default().to_vec())
                }
                _ => return Err(Error::MechanismParamInvalid),
            };
            crypto::hkdf_extract(hash, &salt, ikm)
        } else {
            Zeroizing::new(ikm.to_vec())
        };
        match (*extract, *expand) {
            (_, true) => {
                let len = want.ok_or_else(|| {
                    log::info!("HKDF expand needs CKA_VALUE_LEN in the template");
                    Error::TemplateIncomplete
                })?;
                crypto::hkdf_expand(hash, &prk, info, len).map_err(|_| Error::TemplateInconsistent)
            }
            (true, false) => Ok(prk),
            (false, false) => Err(Error::MechanismParamInvalid),
        }
    }
}

/// NIST SP 800-108 KDF in counter mode with an HMAC or AES-CMAC PRF: the PRF input of each
/// iteration is the caller's fields in order (counter, derived length, fixed bytes).
fn sp800_108_counter(b: &Object, param: &Param, want: Option<usize>) -> Result<Zeroizing<Vec<u8>>> {
    let Param::Sp800_108 { prf, fields } = param else {
        return Err(Error::MechanismParamInvalid);
    };
    if b.class() != Some(ck::CKO_SECRET_KEY) {
        return Err(Error::KeyTypeInconsistent);
    }
    let len = want.ok_or_else(|| {
        log::info!("SP 800-108 needs CKA_VALUE_LEN in the template");
        Error::TemplateIncomplete
    })?;
    let key = b.get(ck::CKA_VALUE).unwrap_or_default();
    let (hash, block) = match *prf {
        ck::CKM_AES_CMAC => (None, 16),
        other => {
            let h = ops::hmac_prf(other).ok_or(Error::MechanismParamInvalid)?;
            (Some(h), h.len())
        }
    };
    let counters = fields
        .iter()
        .filter(|f| matches!(f, KdfField::Counter { .. }))
        .count();
    if counters != 1 {
        log::info!("SP 800-108 counter mode needs exactly one iteration counter");
        return Err(Error::MechanismParamInvalid);
    }
    let rounds = len.div_ceil(block);
    let encode = |v: u64, little: bool, bits: u64| -> Result<Vec<u8>> {
        if bits == 0 || bits % 8 != 0 || bits > 64 || (bits < 64 && v >> bits != 0) {
            return Err(Error::MechanismParamInvalid);
        }
        let n = (bits / 8) as usize;
        let be = v.to_be_bytes();
        let mut out = be[8 - n..].to_vec();
        if little {
            out.reverse();
        }
        Ok(out)
    };
    let mut out = Zeroizing::new(Vec::with_capacity(rounds * block));
    for i in 1..=rounds {
        let mut input = Zeroizing::new(Vec::new());
        for f in fields {
            match f {
                KdfField::Counter {
                    little_endian,
                    width_bits,
                } => input.extend(encode(i as u64, *little_endian, *width_bits)?),
                KdfField::DkmLength {
                    sum_of_segments,
                    little_endian,
                    width_bits,
                } => {
                    let bytes = if *sum_of_segments { rounds * block } else { len };
                    input.extend(encode(bytes as u64 * 8, *little_endian, *width_bits)?)
                }
                KdfField::Bytes(v) => input.extend_from_slice(v),
            }
        }
        let k = match hash {
            Some(h) => {
                let mut m = crypto::Hmac::new(h, key);
                m.update(&input);
                m.finish()
            }
            None => {
                let mut c = crypto::AesCmac::new(key).map_err(|e| map_crypto(e, Ctx::Sign))?;
                c.update(&input).map_err(|e| map_crypto(e, Ctx::Sign))?;
                c.finish().map_err(|e| map_crypto(e, Ctx::Sign))?.to_vec()
            }
        };
        out.extend_from_slice(&k);
    }
    out.truncate(len);
    Ok(out)
}

/// The key material of `CKM_ECDH1_DERIVE`: the shared secret Z (`CKD_NULL`), or the ANSI X9.63
/// KDF of Z and the shared data (`CKD_SHA*_KDF`), `want` bytes long (default: the hash length).
/// P-256/P-384/P-521/secp256k1 keys agree with ECDH, X25519 keys with RFC 7748.
fn ecdh_value(b: &Object, param: &Param, want: Option<usize>) -> Result<Zeroizing<Vec<u8>>> {
    let Param::Ecdh { kdf, shared, public } = param else {
        return Err(Error::MechanismParamInvalid);
    };
    let hash = match *kdf {
        ck::CKD_NULL => None,
        ck::CKD_SHA1_KDF => Some(Hash::Sha1),
        ck::CKD_SHA224_KDF => Some(Hash::Sha224),
        ck::CKD_SHA256_KDF => Some(Hash::Sha256),
        ck::CKD_SHA384_KDF => Some(Hash::Sha384),
        ck::CKD_SHA512_KDF => Some(Hash::Sha512),
        ck::CKD_SHA3_224_KDF => Some(Hash::Sha3_224),
        ck::CKD_SHA3_256_KDF => Some(Hash::Sha3_256),
        ck::CKD_SHA3_384_KDF => Some(Hash::Sha3_384),
        ck::CKD_SHA3_512_KDF => Some(Hash::Sha3_512),
        other => {
            log::info!("ECDH KDF 0x{other:X} is not offered");
            return Err(Error::MechanismParamInvalid);
        }
    };
    if hash.is_none() && !shared.is_empty() {
        log::info!("CKD_NULL takes no shared data");
        return Err(Error::MechanismParamInvalid);
    }
    if b.class() != Some(ck::CKO_PRIVATE_KEY) {
        return Err(Error::KeyTypeInconsistent);
    }
    let peer = der_octet_string_inner(public).unwrap_or(public);
    let z: Zeroizing<Vec<u8>> = match b.key_type() {
        Some(ck::CKK_EC) => {
            let curve = ops::curve_of(b)?;
            let k = crypto::EcPrivateKey::from_scalar(curve, b.get(ck::CKA_VALUE).unwrap_or_default())
                .map_err(|e| map_crypto(e, Ctx::Sign))?;
            Zeroizing::new(k.ecdh(peer).map_err(|_| Error::MechanismParamInvalid)?.to_vec())
        }
        Some(ck::CKK_EC_MONTGOMERY) => Zeroizing::new(
            crypto::x25519(b.get(ck::CKA_VALUE).unwrap_or_default(), peer)
                .map_err(|_| Error::MechanismParamInvalid)?
                .to_vec(),
        ),
        _ => return Err(Error::KeyTypeInconsistent),
    };
    match hash {
        None => Ok(z),
        Some(h) => {
            crypto::x963_kdf(h, &z, shared, want.unwrap_or(h.len())).map_err(|_| Error::TemplateInconsistent)
        }
    }
}

/// `CKM_AES_ECB_ENCRYPT_DATA` / `CKM_AES_CBC_ENCRYPT_DATA`: the data encrypted under the base
/// key, without padding (the data must be whole blocks).
fn aes_encrypt_data(b: &Object, mode: crypto::AesMode, iv: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if b.key_type() != Some(ck::CKK_AES) {
        return Err(Error::KeyTypeInconsistent);
    }
    if data.is_empty() || data.len() % 16 != 0 {
        log::info!("AES *_ENCRYPT_DATA needs whole 16-byte blocks of data");
        return Err(Error::MechanismParamInvalid);
    }
    let key = b.get(ck::CKA_VALUE).unwrap_or_default();
    let mut c =
        crypto::AesCipher::new(mode, key, iv, true, false).map_err(|e| map_crypto(e, Ctx::Encrypt))?;
    let mut out = c.update(data).map_err(|e| map_crypto(e, Ctx::Encrypt))?;
    out.extend(c.finish().map_err(|e| map_crypto(e, Ctx::Encrypt))?);
    Ok(Zeroizing::new(out))
}
