//! The two modules under comparison: their configuration in a directory of their own, their
//! tokens, and the keys the workloads use.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use crate::work::{self, Keys};

pub const SO_PIN: &str = "12345678";
pub const USER_PIN: &str = "87654321";

/// Which implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ours,
    SoftHsm2,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ours => "softhsm-rs",
            Kind::SoftHsm2 => "SoftHSMv2",
        }
    }
}

/// Writes each module's configuration under `base` and exports the variables that point at
/// them. Must run before either module is loaded (both read their variable in C_Initialize,
/// and setting the environment is only sound while the process has a single thread).
pub fn configure(base: &Path) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{}: {e}", base.display());
    let ours = base.join("softhsm-rs");
    std::fs::create_dir_all(&ours).map_err(io)?;
    let conf = ours.join("softhsm-rs.toml");
    // The default PIN KDF (Argon2id) on purpose: it is what the product runs with.
    std::fs::write(
        &conf,
        format!(
            "[store]\npath = \"{}\"\n[log]\nfile = \"{}\"\nlevel = \"warn\"\n",
            ours.join("store.db").display(),
            ours.join("log").display()
        ),
    )
    .map_err(io)?;
    std::env::set_var("SOFTHSM_RS_CONF", &conf);

    let theirs = base.join("softhsm2");
    std::fs::create_dir_all(theirs.join("tokens")).map_err(io)?;
    let conf = theirs.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            theirs.join("tokens").display()
        ),
    )
    .map_err(io)?;
    std::env::set_var("SOFTHSM2_CONF", &conf);
    Ok(())
}

pub fn init_args() -> CInitializeArgs {
    CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)
}

fn ck(what: &str) -> impl Fn(cryptoki::error::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// One loaded, initialised module with its benchmark token.
pub struct Module {
    pub kind: Kind,
    pub path: PathBuf,
    pub p11: Pkcs11,
    /// Library description and version from C_GetInfo.
    pub info: String,
    /// The token the crypto and key generation workloads use.
    pub slot: Slot,
    pub keys: Keys,
    /// Logged-in session holding the session keys (they live as long as it does).
    main: Option<Session>,
    /// The token holding many objects, and a logged-in session on it.
    pub crowded: Option<Slot>,
    crowded_session: Option<Session>,
}

impl Module {
    pub fn load(kind: Kind, path: &Path) -> Result<Module, String> {
        let p11 = Pkcs11::new(path).map_err(|e| format!("cannot load {}: {e}", path.display()))?;
        p11.initialize(init_args()).map_err(ck("C_Initialize"))?;
        let li = p11.get_library_info().map_err(ck("C_GetInfo"))?;
        let info = format!(
            "{} {} ({})",
            li.library_description(),
            li.library_version(),
            li.manufacturer_id()
        );
        let slot = new_token(&p11, "bench")?;
        let main = login(&p11, slot)?;
        let keys = make_keys(&main)?;
        Ok(Module {
            kind,
            path: path.to_path_buf(),
            p11,
            info,
            slot,
            keys,
            main: Some(main),
            crowded: None,
            crowded_session: None,
        })
    }

    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// A new RW session on `slot` (the application is already logged in to it).
    pub fn session(&self, slot: Slot) -> Result<Session, String> {
        self.p11.open_rw_session(slot).map_err(ck("C_OpenSession"))
    }

    /// Makes the crowded token: `n` private token data objects with distinct labels.
    pub fn fill_crowded(&mut self, n: usize) -> Result<(), String> {
        let slot = new_token(&self.p11, CROWDED_LABEL)?;
        let s = login(&self.p11, slot)?;
        let start = Instant::now();
        let mut last = Instant::now();
        for i in 0..n {
            s.create_object(&[
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Label(work::obj_label(i)),
                Attribute::Application(b"p11-bench".to_vec()),
                Attribute::Value(vec![(i % 251) as u8; 16]),
            ])
            .map_err(|e| format!("C_CreateObject #{i}: {e}"))?;
            if last.elapsed() >= Duration::from_secs(5) || i + 1 == n {
                last = Instant::now();
                eprintln!(
                    "  {}: {}/{n} objects created ({:.0}/s)",
                    self.name(),
                    i + 1,
                    (i + 1) as f64 / start.elapsed().as_secs_f64()
                );
            }
        }
        self.crowded = Some(slot);
        self.crowded_session = Some(s);
        Ok(())
    }

    /// Closes every session and finalises the module, for the initialisation workload.
    pub fn finalize(&mut self) -> Result<(), String> {
        self.main.take();
        self.crowded_session.take();
        self.p11.clone().finalize().map_err(ck("C_Finalize"))
    }
}

/// The slot whose token has this label.
fn find_token(p11: &Pkcs11, label: &str) -> Result<Slot, String> {
    for slot in p11.get_slots_with_token().map_err(ck("C_GetSlotList"))? {
        if p11.get_token_info(slot).map_err(ck("C_GetTokenInfo"))?.label() == label {
            return Ok(slot);
        }
    }
    Err(format!("no token labelled {label}"))
}

/// Initialises the first uninitialised token and sets the user PIN.
fn new_token(p11: &Pkcs11, label: &str) -> Result<Slot, String> {
    let slots = p11.get_slots_with_token().map_err(ck("C_GetSlotList"))?;
    let slot = slots
        .into_iter()
        .find(|s| {
            p11.get_token_info(*s)
                .map(|t| !t.token_initialized())
                .unwrap_or(false)
        })
        .ok_or("no slot with an uninitialised token")?;
    p11.init_token(slot, &AuthPin::from(SO_PIN), label)
        .map_err(ck("C_InitToken"))?;
    let s = p11.open_rw_session(slot).map_err(ck("C_OpenSession"))?;
    s.login(UserType::So, Some(&AuthPin::from(SO_PIN)))
        .map_err(ck("C_Login(SO)"))?;
    s.init_pin(&AuthPin::from(USER_PIN)).map_err(ck("C_InitPIN"))?;
    s.logout().map_err(ck("C_Logout"))?;
    s.close().map_err(ck("C_CloseSession"))?;
    Ok(slot)
}

fn login(p11: &Pkcs11, slot: Slot) -> Result<Session, String> {
    let s = p11.open_rw_session(slot).map_err(ck("C_OpenSession"))?;
    s.login(UserType::User, Some(&AuthPin::from(USER_PIN)))
        .map_err(ck("C_Login(USER)"))?;
    Ok(s)
}

/// RSA-2048, P-256, AES-256 and HMAC keys, each as a session and as a token object.
fn make_keys(s: &Session) -> Result<Keys, String> {
    let (rsa_pub, rsa) = rsa_pair(s, false)?;
    let (rsa_pub_tok, rsa_tok) = rsa_pair(s, true)?;
    let ec = ec_pair(s, false)?;
    let ec_tok = ec_pair(s, true)?;
    let secret = |token: bool, mech: Mechanism, usage: [Attribute; 2], ty: KeyType| {
        let mut t = vec![
            Attribute::Token(token),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::KeyType(ty),
            Attribute::ValueLen(32.into()),
        ];
        t.extend(usage);
        s.generate_key(&mech, &t).map_err(ck("C_GenerateKey"))
    };
    let aes = |token| {
        secret(
            token,
            Mechanism::AesKeyGen,
            [Attribute::Encrypt(true), Attribute::Decrypt(true)],
            KeyType::AES,
        )
    };
    let hmac = |token| {
        secret(
            token,
            Mechanism::GenericSecretKeyGen,
            [Attribute::Sign(true), Attribute::Verify(true)],
            KeyType::GENERIC_SECRET,
        )
    };
    let oaep = |public| {
        s.encrypt(&Mechanism::RsaPkcsOaep(work::oaep_params()), public, &[0x42; 32])
            .map_err(ck("OAEP C_Encrypt"))
    };
    Ok(Keys {
        rsa,
        ec,
        aes: aes(false)?,
        hmac: hmac(false)?,
        rsa_tok,
        ec_tok,
        aes_tok: aes(true)?,
        hmac_tok: hmac(true)?,
        oaep_ct: oaep(rsa_pub)?,
        oaep_ct_tok: oaep(rsa_pub_tok)?,
    })
}

fn rsa_pair(s: &Session, token: bool) -> Result<(ObjectHandle, ObjectHandle), String> {
    s.generate_key_pair(
        &Mechanism::RsaPkcsKeyPairGen,
        &[
            Attribute::Token(token),
            Attribute::ModulusBits(2048.into()),
            Attribute::PublicExponent(vec![1, 0, 1]),
            Attribute::Verify(true),
            Attribute::Encrypt(true),
        ],
        &[
            Attribute::Token(token),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Sign(true),
            Attribute::Decrypt(true),
        ],
    )
    .map_err(ck("C_GenerateKeyPair(RSA)"))
}

fn ec_pair(s: &Session, token: bool) -> Result<ObjectHandle, String> {
    s.generate_key_pair(
        &Mechanism::EccKeyPairGen,
        &[
            Attribute::Token(token),
            Attribute::EcParams(work::P256_OID.to_vec()),
            Attribute::Verify(true),
        ],
        &[
            Attribute::Token(token),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Sign(true),
        ],
    )
    .map(|(_, private)| private)
    .map_err(ck("C_GenerateKeyPair(EC)"))
}

/// Time spent in each step of one initialisation cycle, summed over the cycles of a round.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    pub cycles: u64,
    pub initialize: f64,
    pub find_slot: f64,
    pub open: f64,
    pub login: f64,
    pub teardown: f64,
}

/// Label of the crowded token.
pub const CROWDED_LABEL: &str = "bench-crowded";

/// Runs C_Initialize, C_GetSlotList + C_GetTokenInfo (finding the crowded token by its label),
/// C_OpenSession, C_Login(USER), C_Logout, C_CloseSession, C_Finalize in a loop on a finalised
/// module until `dur` has passed (and at least `min` cycles ran).
///
/// This runs in this process, on the already loaded library: `Pkcs11` is a cheap `Arc` clone,
/// `finalize` consumes one clone and `initialize` can be called again on the original, so
/// cryptoki does not get in the way, and both modules support re-initialisation. A child process
/// per batch would add nothing but noise: the cycle is timed around the PKCS#11 calls either way.
/// What a cycle costs is therefore what a long-lived application pays to re-initialise and log
/// in, and what a new process pays on top of loading the library (dlopen, relocation and
/// first-touch page faults are not included, nor is process start-up). The token is looked up by
/// label in every cycle, as consumers do: slot ids are not promised to survive C_Finalize, and
/// SoftHSMv2 does renumber (the id of a token initialised in this process is its position in the
/// list; after C_Initialize it is derived from the token's serial number).
pub fn init_cycles(m: &Module, dur: Duration, min: u64) -> Result<(f64, Phases), String> {
    m.crowded.ok_or("the crowded token was not made")?;
    let mut ph = Phases::default();
    let start = Instant::now();
    loop {
        let t0 = Instant::now();
        m.p11.initialize(init_args()).map_err(ck("C_Initialize"))?;
        let t1 = Instant::now();
        let slot = find_token(&m.p11, CROWDED_LABEL)?;
        let t1b = Instant::now();
        let s = m.p11.open_ro_session(slot).map_err(ck("C_OpenSession"))?;
        let t2 = Instant::now();
        s.login(UserType::User, Some(&AuthPin::from(USER_PIN)))
            .map_err(ck("C_Login"))?;
        let t3 = Instant::now();
        s.logout().map_err(ck("C_Logout"))?;
        s.close().map_err(ck("C_CloseSession"))?;
        m.p11.clone().finalize().map_err(ck("C_Finalize"))?;
        let t4 = Instant::now();
        ph.cycles += 1;
        ph.initialize += (t1 - t0).as_secs_f64();
        ph.find_slot += (t1b - t1).as_secs_f64();
        ph.open += (t2 - t1b).as_secs_f64();
        ph.login += (t3 - t2).as_secs_f64();
        ph.teardown += (t4 - t3).as_secs_f64();
        if ph.cycles >= min && start.elapsed() >= dur {
            break;
        }
    }
    Ok((ph.cycles as f64 / start.elapsed().as_secs_f64(), ph))
}
