//! The HSM: slots and tokens, sessions, login state and object handles of one process, over one
//! keystore. Every PKCS#11 function is a method here taking plain Rust values; the C ABI lives in
//! `softhsm-pkcs11`.
//!
//! Locking: `state` (sessions, logins, handles) is held only briefly and never while the store
//! or a session is locked by the same thread; a session's own mutex serialises its operations;
//! the store mutex serialises this process's use of its SQLite connection. Other processes are
//! serialised by SQLite itself.

mod crypt;
mod keys;
mod objects;
mod wrap;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::mechanism;
use crate::object::Object;
use crate::session::Session;
use crate::store::cached::Cached;
use crate::store::group::GroupCommit;
use crate::store::sqlite::SqliteStore;
use crate::store::{Role, Store, TokenRecord, Write};
use crate::token::{self, TokenKey};
use cryptoki_sys as ck;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use objects::{display_value, valid_unique_id, AttrValue, ChosenId, MAX_UNIQUE_ID};
pub use wrap::{UnwrapAs, UnwrapDecoder, WrapEncoder};

/// What `C_GetTokenInfo` reports.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub label: String,
    pub serial: String,
    pub flags: u64,
    pub sessions: u64,
    pub rw_sessions: u64,
    pub min_pin: u64,
    pub max_pin: u64,
}

/// What `C_GetSessionInfo` reports.
#[derive(Debug, Clone, Copy)]
pub struct SessionInfo {
    pub slot: u64,
    pub state: u64,
    pub flags: u64,
}

/// Who is logged in to a token in this process, with the token key that login opened.
struct Login {
    role: Role,
    key: TokenKey,
    token_uid: String,
}

/// What an object handle points at.
#[derive(Debug, Clone)]
enum ObjRef {
    Token { slot: u64, uid: String, private: bool },
    Session { owner: u64, slot: u64 },
}

#[derive(Default)]
struct State {
    sessions: HashMap<u64, Arc<Mutex<Session>>>,
    /// Slot and read/write flag of each session, readable without locking the session.
    session_meta: HashMap<u64, (u64, bool)>,
    next_session: u64,
    logins: HashMap<u64, Login>,
    handles: HashMap<u64, ObjRef>,
    by_uid: HashMap<(u64, String), u64>,
    session_objects: HashMap<u64, Object>,
    /// Session object handles per slot: a search looks only at its own slot's objects.
    session_by_slot: HashMap<u64, std::collections::BTreeSet<u64>>,
    next_handle: u64,
}

impl State {
    fn handle_for(&mut self, slot: u64, uid: &str, private: bool) -> u64 {
        if let Some(h) = self.by_uid.get(&(slot, uid.to_string())) {
            return *h;
        }
        self.next_handle += 1;
        let h = self.next_handle;
        self.handles.insert(
            h,
            ObjRef::Token {
                slot,
                uid: uid.to_string(),
                private,
            },
        );
        self.by_uid.insert((slot, uid.to_string()), h);
        h
    }

    fn forget_handle(&mut self, h: u64) {
        match self.handles.remove(&h) {
            Some(ObjRef::Token { slot, uid, .. }) => {
                self.by_uid.remove(&(slot, uid));
            }
            Some(ObjRef::Session { slot, .. }) => {
                if let Some(set) = self.session_by_slot.get_mut(&slot) {
                    set.remove(&h);
                }
            }
            None => {}
        }
        self.session_objects.remove(&h);
    }

    fn user_key(&self, slot: u64) -> Option<(TokenKey, String)> {
        self.logins
            .get(&slot)
            .filter(|l| l.role == Role::User)
            .map(|l| (l.key.clone(), l.token_uid.clone()))
    }

    /// The token key of whoever is logged in (user or SO): public objects' sealed parts open
    /// with it.
    fn any_key(&self, slot: u64) -> Option<TokenKey> {
        self.logins.get(&slot).map(|l| l.key.clone())
    }

    fn sessions_on(&self, slot: u64) -> impl Iterator<Item = (&u64, &(u64, bool))> {
        self.session_meta.iter().filter(move |(_, (s, _))| *s == slot)
    }
}

/// One process's view of the keystore.
pub struct Hsm {
    pub config: Config,
    store: Mutex<Box<dyn Store>>,
    /// Object writes of this process's threads, committed in groups (one sync per group).
    commits: GroupCommit,
    state: Mutex<State>,
    /// Parsed private keys shared between operations (content-addressed).
    keys: mechanism::ops::KeyCache,
    /// This process is the key manager (the KMIP server): it may set `attr::MANAGED`
    /// attributes (the KMIP lifecycle). The PKCS#11 module never is.
    manager: bool,
}

impl std::fmt::Debug for Hsm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hsm")
            .field("store", &self.config.store_path())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while a lock was held is caught at the C boundary; the data it guards is still
    // consistent at every await-free step, so recover it rather than poisoning the module.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Pads or cuts a label to the 32 blank-padded bytes PKCS#11 uses.
pub fn label_from_bytes(label: &[u8]) -> String {
    String::from_utf8_lossy(label)
        .trim_end_matches([' ', '\0'])
        .to_string()
}

impl Hsm {
    /// Opens the keystore the configuration names.
    pub fn open(config: Config) -> Result<Hsm> {
        let path = config.store_path();
        let store = SqliteStore::open(&path, Duration::from_millis(config.store.busy_timeout_ms))?;
        Ok(Hsm::with_store(config, Box::new(Cached::new(store))))
    }

    /// An HSM over any store (tests use an in-memory one).
    pub fn with_store(config: Config, store: Box<dyn Store>) -> Hsm {
        Hsm {
            config,
            store: Mutex::new(store),
            commits: GroupCommit::default(),
            state: Mutex::new(State::default()),
            keys: mechanism::ops::KeyCache::default(),
            manager: false,
        }
    }

    /// Makes this process the key manager: templates may carry the KMIP lifecycle attributes
    /// (`attr::MANAGED`). Only the KMIP server calls this.
    pub fn set_key_manager(&mut self, on: bool) {
        self.manager = on;
    }

    /// Checks a caller's template (`factory::normalize`) and, unless this process is the key
    /// manager, refuses the attributes only the manager sets.
    fn template(&self, raw: &[(crate::attr::AttrType, Vec<u8>)]) -> Result<crate::object::factory::Template> {
        let t = crate::object::factory::normalize(raw)?;
        if !self.manager {
            if let Some(ty) = t
                .keys()
                .find(|ty| crate::attr::def(**ty).is_some_and(|d| d.flags & crate::attr::MANAGED != 0))
            {
                log::info!(
                    "attribute {} is managed by the KMIP server and read-only through PKCS#11",
                    crate::attr::name(*ty)
                );
                return Err(Error::AttributeReadOnly);
            }
        }
        Ok(t)
    }

    fn store(&self) -> MutexGuard<'_, Box<dyn Store>> {
        lock(&self.store)
    }

    /// Writes one object durably, committed together with whatever other threads are writing.
    fn write(&self, token_id: i64, w: Write) -> Result<bool> {
        self.commits.write(&self.store, token_id, w)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The slot id offered for a new token: one past the highest used.
    fn free_slot(tokens: &[TokenRecord]) -> u64 {
        tokens.iter().map(|t| t.slot_id + 1).max().unwrap_or(0)
    }

    /// `C_GetSlotList`: every token's slot and the one free slot.
    pub fn slot_list(&self) -> Result<Vec<u64>> {
        let tokens = self.store().tokens()?;
        let mut v: Vec<u64> = tokens.iter().map(|t| t.slot_id).collect();
        v.push(Self::free_slot(&tokens));
        Ok(v)
    }

    /// The token in `slot`: `Ok(None)` for the free slot, `SlotIdInvalid` for any other.
    fn token_in(&self, slot: u64) -> Result<Option<TokenRecord>> {
        let mut st = self.store();
        if let Some(t) = st.token(slot)? {
            return Ok(Some(t));
        }
        let tokens = st.tokens()?;
        if slot == Self::free_slot(&tokens) {
            Ok(None)
        } else {
            Err(Error::SlotIdInvalid)
        }
    }

    /// The initialised token in `slot`.
    fn token(&self, slot: u64) -> Result<TokenRecord> {
        self.token_in(slot)?.ok_or(Error::TokenNotRecognized)
    }

    /// `C_GetSlotInfo`: whether the slot exists (a token is always present).
    pub fn check_slot(&self, slot: u64) -> Result<()> {
        self.token_in(slot).map(|_| ())
    }

    /// `C_GetTokenInfo`.
    pub fn token_info(&self, slot: u64) -> Result<TokenInfo> {
        let t = self.token_in(slot)?;
        let (sessions, rw_sessions) = {
            let s = self.state();
            let all: Vec<bool> = s.sessions_on(slot).map(|(_, (_, rw))| *rw).collect();
            (all.len() as u64, all.iter().filter(|rw| **rw).count() as u64)
        };
        let max = self.config.pin.max_failures;
        let mut flags = ck::CKF_RNG | ck::CKF_LOGIN_REQUIRED | ck::CKF_RESTORE_KEY_NOT_NEEDED;
        let (label, serial) = match &t {
            None => (String::new(), String::new()),
            Some(t) => {
                flags |= ck::CKF_TOKEN_INITIALIZED;
                if t.user_key.is_some() {
                    flags |= ck::CKF_USER_PIN_INITIALIZED;
                }
                flags |= pin_flags(t.user_failures, max, false);
                flags |= pin_flags(t.so_failures, max, true);
                (t.label.clone(), t.serial.clone())
            }
        };
        Ok(TokenInfo {
            label,
            serial,
            flags,
            sessions,
            rw_sessions,
            min_pin: self.config.pin.min_len as u64,
            max_pin: self.config.pin.max_len as u64,
        })
    }

    /// `C_GetMechanismList`.
    pub fn mechanism_list(&self, slot: u64) -> Result<Vec<u64>> {
        self.check_slot(slot)?;
        Ok(mechanism::MECHANISMS.iter().map(|m| m.mech).collect())
    }

    /// `C_GetMechanismInfo`.
    pub fn mechanism_info(&self, slot: u64, mech: u64) -> Result<&'static mechanism::MechDef> {
        self.check_slot(slot)?;
        mechanism::info(mech).ok_or(Error::MechanismInvalid)
    }

    fn check_pin_len(&self, pin: &[u8]) -> Result<()> {
        if pin.len() < self.config.pin.min_len || pin.len() > self.config.pin.max_len {
            log::info!(
                "PIN length outside {}..={} (pin.min_len / pin.max_len)",
                self.config.pin.min_len,
                self.config.pin.max_len
            );
            return Err(Error::PinLenRange);
        }
        Ok(())
    }

    /// Opens the token key of `role` with `pin`, counting attempts in the store and refusing
    /// once the PIN is locked.
    ///
    /// The attempt is counted — durably, in one atomic check-and-increment shared by every
    /// process on the keystore — *before* the PIN is looked at, and a correct PIN then resets
    /// the count. So concurrent guessers in many processes get `max_failures` tries between
    /// them, never one each, and a process killed (or a store that fails) after the check has
    /// started cannot have bought an uncounted try: nothing about the PIN is computed until
    /// the try is on disk, and a wrong PIN writes nothing more that could be interrupted.
    fn verify_pin(&self, t: &TokenRecord, role: Role, pin: &[u8]) -> Result<TokenKey> {
        let max = self.config.pin.max_failures;
        let blob = match role {
            Role::So => Some(&t.so_key),
            Role::User => t.user_key.as_ref(),
        };
        let blob = blob.ok_or(Error::UserPinNotInitialized)?;
        let Some(n) = self.store().claim_attempt(t.id, role, max)? else {
            log::warn!(
                "{role:?} PIN of token {:?} (slot {}) is locked after {max} failed logins (pin.max_failures); {}",
                t.label,
                t.slot_id,
                match role {
                    Role::User => "the SO can reset it with C_InitPIN",
                    Role::So => "re-create the token to recover",
                }
            );
            return Err(Error::PinLocked);
        };
        match token::unwrap_token_key(blob, pin, &t.uid, role) {
            Ok(k) => {
                self.store().reset_failures(t.id, role)?;
                Ok(k)
            }
            Err(Error::PinIncorrect) => {
                log::warn!(
                    "incorrect {role:?} PIN for token {:?} (slot {}): failure {n} of {max}",
                    t.label,
                    t.slot_id
                );
                Err(Error::PinIncorrect)
            }
            Err(e) => Err(e),
        }
    }

    /// `C_InitToken`: creates a token in the free slot, or re-initialises an existing one
    /// (which needs its SO PIN and destroys every object in it).
    pub fn init_token(&self, slot: u64, so_pin: &[u8], label: &[u8]) -> Result<()> {
        self.check_pin_len(so_pin)?;
        let existing = self.token_in(slot)?;
        {
            let s = self.state();
            if s.sessions_on(slot).next().is_some() {
                return Err(Error::SessionExists);
            }
        }
        if let Some(t) = &existing {
            self.verify_pin(t, Role::So, so_pin)?;
        }
        let label = label_from_bytes(label);
        let key = TokenKey::generate()?;
        let uid = token::random_id()?;
        let serial = uid[..16].to_string();
        let so_key = token::wrap_token_key(&key, so_pin, &self.config.pin.kdf_params(), &uid, Role::So)?;
        match existing {
            Some(t) => {
                let rec = TokenRecord {
                    uid,
                    label,
                    serial,
                    so_key,
                    user_key: None,
                    ..t
                };
                self.store().reinit_token(&rec)?;
                let mut s = self.state();
                s.logins.remove(&slot);
                let stale: Vec<u64> = s
                    .handles
                    .iter()
                    .filter(|(_, r)| matches!(r, ObjRef::Token { slot: s2, .. } if *s2 == slot))
                    .map(|(h, _)| *h)
                    .collect();
                for h in stale {
                    s.forget_handle(h);
                }
                log::info!("token in slot {slot} re-initialised");
            }
            None => {
                let rec = TokenRecord {
                    id: 0,
                    slot_id: slot,
                    uid,
                    label,
                    serial,
                    so_key,
                    user_key: None,
                    so_failures: 0,
                    user_failures: 0,
                };
                self.store().create_token(&rec)?;
                log::info!("token created in slot {slot}");
            }
        }
        Ok(())
    }

    /// Deletes the token in `slot` (admin CLI; not a PKCS#11 function).
    pub fn delete_token(&self, slot: u64) -> Result<bool> {
        let s = self.state();
        if s.sessions_on(slot).next().is_some() {
            return Err(Error::SessionExists);
        }
        drop(s);
        self.store().delete_token(slot)
    }

    /// Number of (public, private) objects in the token of `slot` (admin CLI).
    pub fn object_counts(&self, slot: u64) -> Result<(u64, u64)> {
        let t = self.token(slot)?;
        self.store().count(t.id)
    }

    /// The slot a new token would take (the last entry of [`Hsm::slot_list`]).
    pub fn free_slot_id(&self) -> Result<u64> {
        Ok(Self::free_slot(&self.store().tokens()?))
    }

    /// Every initialised token (admin CLI).
    pub fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.store().tokens()
    }

    /// Checks the keystore's integrity (admin CLI, tests).
    pub fn check_integrity(&self) -> Result<()> {
        self.store().check_integrity()
    }

    fn session(&self, h: u64) -> Result<(Arc<Mutex<Session>>, u64, bool)> {
        let s = self.state();
        let sess = s.sessions.get(&h).ok_or(Error::SessionHandleInvalid)?.clone();
        let (slot, rw) = s.session_meta[&h];
        Ok((sess, slot, rw))
    }

    /// `C_OpenSession`.
    pub fn open_session(&self, slot: u64, flags: u64) -> Result<u64> {
        if flags & ck::CKF_SERIAL_SESSION == 0 {
            return Err(Error::SessionParallelNotSupported);
        }
        self.token(slot)?;
        let rw = flags & ck::CKF_RW_SESSION != 0;
        let mut s = self.state();
        if !rw && s.logins.get(&slot).is_some_and(|l| l.role == Role::So) {
            return Err(Error::SessionReadWriteSoExists);
        }
        s.next_session += 1;
        let h = s.next_session;
        s.sessions
            .insert(h, Arc::new(Mutex::new(Session::new(h, slot, rw))));
        s.session_meta.insert(h, (slot, rw));
        Ok(h)
    }

    /// `C_CloseSession`. Closing the last session of a token logs the application out.
    pub fn close_session(&self, h: u64) -> Result<()> {
        let mut s = self.state();
        let (slot, _) = s.session_meta.remove(&h).ok_or(Error::SessionHandleInvalid)?;
        s.sessions.remove(&h);
        let owned: Vec<u64> = s
            .handles
            .iter()
            .filter(|(_, r)| matches!(r, ObjRef::Session { owner, .. } if *owner == h))
            .map(|(k, _)| *k)
            .collect();
        for k in owned {
            s.forget_handle(k);
        }
        if s.sessions_on(slot).next().is_none() {
            s.logins.remove(&slot);
        }
        Ok(())
    }

    /// `C_CloseAllSessions`.
    pub fn close_all_sessions(&self, slot: u64) -> Result<()> {
        self.check_slot(slot)?;
        let hs: Vec<u64> = self.state().sessions_on(slot).map(|(h, _)| *h).collect();
        for h in hs {
            let _ = self.close_session(h);
        }
        Ok(())
    }

    /// `C_GetSessionInfo`.
    pub fn session_info(&self, h: u64) -> Result<SessionInfo> {
        let s = self.state();
        let (slot, rw) = *s.session_meta.get(&h).ok_or(Error::SessionHandleInvalid)?;
        let role = s.logins.get(&slot).map(|l| l.role);
        let state = match (role, rw) {
            (Some(Role::So), _) => ck::CKS_RW_SO_FUNCTIONS,
            (Some(Role::User), true) => ck::CKS_RW_USER_FUNCTIONS,
            (Some(Role::User), false) => ck::CKS_RO_USER_FUNCTIONS,
            (None, true) => ck::CKS_RW_PUBLIC_SESSION,
            (None, false) => ck::CKS_RO_PUBLIC_SESSION,
        };
        let flags = ck::CKF_SERIAL_SESSION | if rw { ck::CKF_RW_SESSION } else { 0 };
        Ok(SessionInfo { slot, state, flags })
    }

    /// `C_Login` (and `C_LoginUser`, which has no user names to tell apart here).
    pub fn login(&self, h: u64, user_type: u64, pin: &[u8]) -> Result<()> {
        let (sess, slot, _) = self.session(h)?;
        let role = match user_type {
            ck::CKU_SO => Role::So,
            ck::CKU_USER => Role::User,
            ck::CKU_CONTEXT_SPECIFIC => {
                let current = self.state().logins.get(&slot).map(|l| l.role);
                let Some(role) = current else {
                    return Err(Error::UserNotLoggedIn);
                };
                {
                    let s = lock(&sess);
                    let waiting = s.sign.as_ref().is_some_and(|a| a.needs_auth)
                        || s.decrypt.as_ref().is_some_and(|a| a.needs_auth);
                    if !waiting {
                        log::info!("context-specific login without an operation that needs it");
                        return Err(Error::OperationNotInitialized);
                    }
                }
                let t = self.token(slot)?;
                self.verify_pin(&t, role, pin)?;
                lock(&sess).context_auth = true;
                return Ok(());
            }
            _ => return Err(Error::UserTypeInvalid),
        };
        {
            let s = self.state();
            match s.logins.get(&slot).map(|l| l.role) {
                Some(r) if r == role => return Err(Error::UserAlreadyLoggedIn),
                Some(_) => return Err(Error::UserAnotherAlreadyLoggedIn),
                None => {}
            }
            if role == Role::So && s.sessions_on(slot).any(|(_, (_, rw))| !rw) {
                return Err(Error::SessionReadOnlyExists);
            }
        }
        let t = self.token(slot)?;
        let key = self.verify_pin(&t, role, pin)?;
        let mut s = self.state();
        match s.logins.get(&slot).map(|l| l.role) {
            Some(r) if r == role => return Err(Error::UserAlreadyLoggedIn),
            Some(_) => return Err(Error::UserAnotherAlreadyLoggedIn),
            None => {}
        }
        s.logins.insert(
            slot,
            Login {
                role,
                key,
                token_uid: t.uid,
            },
        );
        log::info!("{role:?} logged in to slot {slot}");
        Ok(())
    }

    /// `C_Logout`: ends the login, destroys private session objects and invalidates handles to
    /// private objects (PKCS#11 3.0 §5.6).
    pub fn logout(&self, h: u64) -> Result<()> {
        let (_, slot, _) = self.session(h)?;
        let mut s = self.state();
        if s.logins.remove(&slot).is_none() {
            return Err(Error::UserNotLoggedIn);
        }
        let private: Vec<u64> = s
            .handles
            .iter()
            .filter(|(k, r)| match r {
                ObjRef::Token {
                    slot: s2, private, ..
                } => *s2 == slot && *private,
                ObjRef::Session { slot: s2, .. } => {
                    *s2 == slot && s.session_objects.get(k).is_some_and(Object::is_private)
                }
            })
            .map(|(k, _)| *k)
            .collect();
        for k in private {
            s.forget_handle(k);
        }
        let sessions: Vec<Arc<Mutex<Session>>> = s
            .sessions_on(slot)
            .filter_map(|(h, _)| s.sessions.get(h).cloned())
            .collect();
        drop(s);
        for sess in sessions {
            lock(&sess).cancel_all();
        }
        Ok(())
    }

    /// `C_InitPIN`: the SO sets (or resets and unlocks) the user PIN.
    pub fn init_pin(&self, h: u64, pin: &[u8]) -> Result<()> {
        let (_, slot, rw) = self.session(h)?;
        let (key, uid) = {
            let s = self.state();
            match s.logins.get(&slot) {
                Some(l) if l.role == Role::So => (l.key.clone(), l.token_uid.clone()),
                _ => return Err(Error::UserNotLoggedIn),
            }
        };
        if !rw {
            return Err(Error::SessionReadOnly);
        }
        self.check_pin_len(pin)?;
        let t = self.token(slot)?;
        let wrapped = token::wrap_token_key(&key, pin, &self.config.pin.kdf_params(), &uid, Role::User)?;
        self.store().set_pin_key(t.id, Role::User, Some(&wrapped))?;
        log::info!("user PIN of slot {slot} initialised by the SO");
        Ok(())
    }

    /// `C_SetPIN`: changes the PIN of whoever is logged in (the user PIN when nobody is).
    pub fn set_pin(&self, h: u64, old: &[u8], new: &[u8]) -> Result<()> {
        let (_, slot, rw) = self.session(h)?;
        if !rw {
            return Err(Error::SessionReadOnly);
        }
        let role = self.state().logins.get(&slot).map_or(Role::User, |l| l.role);
        self.check_pin_len(new)?;
        let t = self.token(slot)?;
        let key = self.verify_pin(&t, role, old)?;
        let wrapped = token::wrap_token_key(&key, new, &self.config.pin.kdf_params(), &t.uid, role)?;
        self.store().set_pin_key(t.id, role, Some(&wrapped))?;
        log::info!("{role:?} PIN of slot {slot} changed");
        Ok(())
    }

    /// `C_SessionCancel`: ends the operations named by `flags`.
    pub fn session_cancel(&self, h: u64, flags: u64) -> Result<()> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        if flags & (ck::CKF_ENCRYPT | ck::CKF_MESSAGE_ENCRYPT) != 0 {
            s.encrypt = None;
        }
        if flags & (ck::CKF_DECRYPT | ck::CKF_MESSAGE_DECRYPT) != 0 {
            s.decrypt = None;
        }
        if flags & ck::CKF_DIGEST != 0 {
            s.digest = None;
        }
        if flags & (ck::CKF_SIGN | ck::CKF_MESSAGE_SIGN) != 0 {
            s.sign = None;
        }
        if flags & (ck::CKF_VERIFY | ck::CKF_MESSAGE_VERIFY) != 0 {
            s.verify = None;
        }
        if flags & ck::CKF_FIND_OBJECTS != 0 {
            s.find = None;
        }
        Ok(())
    }

    /// `C_GenerateRandom`.
    pub fn generate_random(&self, h: u64, buf: &mut [u8]) -> Result<()> {
        self.session(h)?;
        aws_lc_rs::rand::fill(buf).map_err(|_| Error::DeviceError)
    }

    /// `C_SeedRandom`: the engine's generator takes no outside seed.
    pub fn seed_random(&self, h: u64) -> Result<()> {
        self.session(h)?;
        Err(Error::RandomSeedNotSupported)
    }
}

/// The `CKF_*_PIN_*` flags for a failure count.
fn pin_flags(failures: u32, max: u32, so: bool) -> u64 {
    let (low, last, locked) = if so {
        (
            ck::CKF_SO_PIN_COUNT_LOW,
            ck::CKF_SO_PIN_FINAL_TRY,
            ck::CKF_SO_PIN_LOCKED,
        )
    } else {
        (
            ck::CKF_USER_PIN_COUNT_LOW,
            ck::CKF_USER_PIN_FINAL_TRY,
            ck::CKF_USER_PIN_LOCKED,
        )
    };
    if failures >= max {
        locked
    } else if failures + 1 == max {
        low | last
    } else if failures > 0 {
        low
    } else {
        0
    }
}

#[cfg(test)]
mod tests;
