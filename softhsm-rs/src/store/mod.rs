//! The keystore behind one trait, so the token logic does not know which database holds it.
//!
//! [`sqlite::SqliteStore`] is the one backend today (one file, WAL, `synchronous=FULL`, shared by
//! every process that opens it). A PostgreSQL backend for several servers sharing one replicated
//! keystore would implement the same trait. The format is described in `docs/storage-format.md`.
//!
//! Architecture invariant: the store only ever sees sealed blobs for key material and wrapped
//! token keys; sealing and unsealing happen in [`crate::token`].

pub mod cached;
pub mod group;
pub mod sqlite;

use crate::attr::AttrType;
use crate::error::Result;

/// Whose PIN a record or counter belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    So,
    User,
}

/// One token as stored.
#[derive(Clone)]
pub struct TokenRecord {
    /// Store-internal row id.
    pub id: i64,
    /// The PKCS#11 slot this token sits in: small and stable.
    pub slot_id: u64,
    /// Random identifier, bound into every sealed blob of the token.
    pub uid: String,
    pub label: String,
    pub serial: String,
    /// The token key wrapped under the SO PIN (see `token::WrappedKey`).
    pub so_key: Vec<u8>,
    /// The token key wrapped under the user PIN; `None` until `C_InitPIN`.
    pub user_key: Option<Vec<u8>>,
    pub so_failures: u32,
    pub user_failures: u32,
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("slot_id", &self.slot_id)
            .field("label", &self.label)
            .field("serial", &self.serial)
            .finish()
    }
}

/// One object as stored: its public attributes in the clear, its sensitive part sealed.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub uid: String,
    pub private: bool,
    pub attrs: Vec<(AttrType, Vec<u8>)>,
    pub sealed: Option<Vec<u8>>,
}

/// One object write, as queued for a group commit ([`group::GroupCommit`]).
pub enum Write {
    Insert(StoredObject),
    /// Replaces the object; its result is false if the object no longer exists.
    Update(StoredObject),
    /// Deletes the object of this unique id; its result is whether it existed.
    Delete(String),
}

/// Storage operations the token logic needs. Each call is one transaction, durable when it
/// returns.
pub trait Store: Send {
    /// Every token, ordered by slot.
    fn tokens(&mut self) -> Result<Vec<TokenRecord>>;
    /// The token in `slot_id`, if any.
    fn token(&mut self, slot_id: u64) -> Result<Option<TokenRecord>>;
    /// Creates a token in `rec.slot_id`; fails with `FunctionFailed` if that slot is taken.
    fn create_token(&mut self, rec: &TokenRecord) -> Result<()>;
    /// Replaces a token's identity and SO key, removes its user key and all its objects.
    fn reinit_token(&mut self, rec: &TokenRecord) -> Result<()>;
    /// Deletes a token and its objects. Returns whether it existed.
    fn delete_token(&mut self, slot_id: u64) -> Result<bool>;
    /// Replaces the wrapped key of `role` (and resets that role's failure counter).
    fn set_pin_key(&mut self, token_id: i64, role: Role, key: Option<&[u8]>) -> Result<()>;
    /// Counts one login attempt of `role` *before* its PIN is checked, in one atomic step:
    /// when fewer than `max` attempts are counted, adds one and returns the new count;
    /// otherwise changes nothing and returns `None` (the PIN is locked). Atomic across
    /// processes, so concurrent guessers never get more than `max` attempts between them.
    fn claim_attempt(&mut self, token_id: i64, role: Role, max: u32) -> Result<Option<u32>>;
    /// Resets the failed-login counter of `role`.
    fn reset_failures(&mut self, token_id: i64, role: Role) -> Result<()>;
    /// Unique ids (with their private flag) of the token's objects whose public attributes
    /// equal every template entry, oldest first.
    fn find(
        &mut self,
        token_id: i64,
        template: &[(AttrType, Vec<u8>)],
        include_private: bool,
    ) -> Result<Vec<(String, bool)>>;
    /// One page of [`Store::find`], newest first: at most `limit` matches whose row id is
    /// below `before` (all when `None`), as (row id, unique id, private). The next page starts
    /// below the last row id returned. Walks the token's objects newest first, so a caller that
    /// pages through a large token holds one page at a time (KMIP Locate).
    fn find_page(
        &mut self,
        token_id: i64,
        template: &[(AttrType, Vec<u8>)],
        include_private: bool,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, String, bool)>>;
    fn load(&mut self, token_id: i64, uid: &str) -> Result<Option<StoredObject>>;
    fn insert(&mut self, token_id: i64, obj: &StoredObject) -> Result<()>;
    /// Replaces an object. Returns false if it no longer exists.
    fn update(&mut self, token_id: i64, obj: &StoredObject) -> Result<bool>;
    /// Deletes an object. Returns whether it existed.
    fn delete(&mut self, token_id: i64, uid: &str) -> Result<bool>;
    /// Number of (public, private) objects of a token.
    fn count(&mut self, token_id: i64) -> Result<(u64, u64)>;
    /// A value that changes whenever another connection (another process) has committed a
    /// change since the last call; it is what lets [`cached::Cached`] keep reads in memory.
    fn data_version(&mut self) -> Result<i64>;
    /// Runs the backend's own integrity check.
    fn check_integrity(&mut self) -> Result<()>;

    /// Applies several object writes, `(token id, write)`, each with the result its own call
    /// would give. A backend that can commits them in one durable transaction (group commit);
    /// a failed write then leaves no trace and the others still commit. The outer error means
    /// that none of them was committed. This default gives each write its own transaction.
    fn apply(&mut self, writes: &[(i64, &Write)]) -> Result<Vec<Result<bool>>> {
        Ok(writes
            .iter()
            .map(|(token_id, w)| match w {
                Write::Insert(o) => self.insert(*token_id, o).map(|()| true),
                Write::Update(o) => self.update(*token_id, o),
                Write::Delete(uid) => self.delete(*token_id, uid),
            })
            .collect())
    }
}
