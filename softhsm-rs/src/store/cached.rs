//! A read cache in front of any [`Store`]: token records and stored objects are kept in memory
//! and served without a database read for as long as no other process has committed anything.
//!
//! Architecture invariant: every read first asks the backend's `data_version`, which changes
//! whenever another connection has committed; on a change the whole cache is dropped. So a
//! change made by another process is seen at the next call, exactly as without the cache. A
//! token write through this connection drops the whole cache; an object write drops that
//! object's entry. The cache holds sealed blobs only, never opened key material.

use super::{Role, Store, StoredObject, TokenRecord, Write};
use crate::attr::AttrType;
use crate::error::Result;
use std::collections::HashMap;

/// Most objects kept; past it the cache starts over (bounds memory on huge tokens).
const MAX_OBJECTS: usize = 4096;

/// A caching wrapper around a store.
pub struct Cached<S: Store> {
    inner: S,
    version: Option<i64>,
    tokens: Option<Vec<TokenRecord>>,
    objects: HashMap<(i64, String), Option<StoredObject>>,
}

impl<S: Store> Cached<S> {
    pub fn new(inner: S) -> Self {
        Cached {
            inner,
            version: None,
            tokens: None,
            objects: HashMap::new(),
        }
    }

    fn clear(&mut self) {
        self.tokens = None;
        self.objects.clear();
    }

    /// Drops everything if another connection has committed since the last check.
    fn revalidate(&mut self) -> Result<()> {
        let v = self.inner.data_version()?;
        if self.version != Some(v) {
            self.clear();
            self.version = Some(v);
        }
        Ok(())
    }

    /// The token list, read once per change.
    fn cached_tokens(&mut self) -> Result<&[TokenRecord]> {
        self.revalidate()?;
        if self.tokens.is_none() {
            self.tokens = Some(self.inner.tokens()?);
        }
        Ok(self.tokens.as_deref().unwrap_or_default())
    }

    fn written<T>(&mut self, r: Result<T>) -> Result<T> {
        self.clear();
        r
    }

    /// An object write through this connection drops only that object's entry: this
    /// connection's own commits do not move `data_version`, and no other entry changed.
    fn forget(&mut self, token_id: i64, uid: &str) {
        self.objects.remove(&(token_id, uid.to_string()));
    }
}

impl<S: Store> Store for Cached<S> {
    fn tokens(&mut self) -> Result<Vec<TokenRecord>> {
        Ok(self.cached_tokens()?.to_vec())
    }

    fn token(&mut self, slot_id: u64) -> Result<Option<TokenRecord>> {
        // Every operation asks for its token: clone that one record, not the whole list.
        Ok(self
            .cached_tokens()?
            .iter()
            .find(|t| t.slot_id == slot_id)
            .cloned())
    }

    fn create_token(&mut self, rec: &TokenRecord) -> Result<()> {
        let r = self.inner.create_token(rec);
        self.written(r)
    }

    fn reinit_token(&mut self, rec: &TokenRecord) -> Result<()> {
        let r = self.inner.reinit_token(rec);
        self.written(r)
    }

    fn delete_token(&mut self, slot_id: u64) -> Result<bool> {
        let r = self.inner.delete_token(slot_id);
        self.written(r)
    }

    fn set_pin_key(&mut self, token_id: i64, role: Role, key: Option<&[u8]>) -> Result<()> {
        let r = self.inner.set_pin_key(token_id, role, key);
        self.written(r)
    }

    fn claim_attempt(&mut self, token_id: i64, role: Role, max: u32) -> Result<Option<u32>> {
        let r = self.inner.claim_attempt(token_id, role, max);
        self.written(r)
    }

    fn reset_failures(&mut self, token_id: i64, role: Role) -> Result<()> {
        let r = self.inner.reset_failures(token_id, role);
        self.written(r)
    }

    fn find(
        &mut self,
        token_id: i64,
        template: &[(AttrType, Vec<u8>)],
        include_private: bool,
    ) -> Result<Vec<(String, bool)>> {
        self.inner.find(token_id, template, include_private)
    }
    fn find_page(
        &mut self,
        token_id: i64,
        template: &[(AttrType, Vec<u8>)],
        include_private: bool,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, String, bool)>> {
        self.inner
            .find_page(token_id, template, include_private, before, limit)
    }

    fn load(&mut self, token_id: i64, uid: &str) -> Result<Option<StoredObject>> {
        self.revalidate()?;
        let key = (token_id, uid.to_string());
        if let Some(o) = self.objects.get(&key) {
            return Ok(o.clone());
        }
        let o = self.inner.load(token_id, uid)?;
        if self.objects.len() >= MAX_OBJECTS {
            self.objects.clear();
        }
        self.objects.insert(key, o.clone());
        Ok(o)
    }

    fn insert(&mut self, token_id: i64, obj: &StoredObject) -> Result<()> {
        let r = self.inner.insert(token_id, obj);
        self.forget(token_id, &obj.uid);
        r
    }

    fn update(&mut self, token_id: i64, obj: &StoredObject) -> Result<bool> {
        let r = self.inner.update(token_id, obj);
        self.forget(token_id, &obj.uid);
        r
    }

    fn delete(&mut self, token_id: i64, uid: &str) -> Result<bool> {
        let r = self.inner.delete(token_id, uid);
        self.forget(token_id, uid);
        r
    }

    fn apply(&mut self, writes: &[(i64, &Write)]) -> Result<Vec<Result<bool>>> {
        let r = self.inner.apply(writes);
        for (token_id, w) in writes {
            let uid = match w {
                Write::Insert(o) | Write::Update(o) => &o.uid,
                Write::Delete(uid) => uid,
            };
            self.forget(*token_id, uid);
        }
        r
    }

    fn count(&mut self, token_id: i64) -> Result<(u64, u64)> {
        self.inner.count(token_id)
    }

    fn data_version(&mut self) -> Result<i64> {
        self.inner.data_version()
    }

    fn check_integrity(&mut self) -> Result<()> {
        self.inner.check_integrity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use std::time::Duration;

    fn token(slot: u64) -> TokenRecord {
        TokenRecord {
            id: 0,
            slot_id: slot,
            uid: format!("tok-{slot}"),
            label: "t".into(),
            serial: "s".into(),
            so_key: vec![1],
            user_key: None,
            so_failures: 0,
            user_failures: 0,
        }
    }

    fn obj(uid: &str, label: &[u8]) -> StoredObject {
        StoredObject {
            uid: uid.into(),
            private: false,
            attrs: vec![(3, label.to_vec())],
            sealed: None,
        }
    }

    /// Two connections to one file stand for two processes: what one commits, the other's
    /// cache must show at its next read.
    #[test]
    fn another_connections_commit_is_seen_at_the_next_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.db");
        let mut a = Cached::new(SqliteStore::open(&p, Duration::from_secs(5)).unwrap());
        let mut b = SqliteStore::open(&p, Duration::from_secs(5)).unwrap();
        b.create_token(&token(0)).unwrap();
        let t = a
            .token(0)
            .unwrap()
            .expect("token written by the other connection");
        b.insert(t.id, &obj("o", b"one")).unwrap();
        assert_eq!(a.load(t.id, "o").unwrap().unwrap().attrs[0].1, b"one");
        assert_eq!(a.load(t.id, "o").unwrap().unwrap().attrs[0].1, b"one");
        b.update(t.id, &obj("o", b"two")).unwrap();
        assert_eq!(a.load(t.id, "o").unwrap().unwrap().attrs[0].1, b"two");
        b.delete(t.id, "o").unwrap();
        assert!(a.load(t.id, "o").unwrap().is_none());
        a.claim_attempt(t.id, Role::User, 10).unwrap();
        assert_eq!(
            a.token(0).unwrap().unwrap().user_failures,
            1,
            "own writes drop the cache too"
        );
        b.claim_attempt(t.id, Role::User, 10).unwrap();
        assert_eq!(a.token(0).unwrap().unwrap().user_failures, 2);
        // This connection's own object writes replace what it had cached of that object.
        assert!(a.load(t.id, "p").unwrap().is_none());
        a.insert(t.id, &obj("p", b"1")).unwrap();
        assert_eq!(a.load(t.id, "p").unwrap().unwrap().attrs[0].1, b"1");
        a.update(t.id, &obj("p", b"2")).unwrap();
        assert_eq!(a.load(t.id, "p").unwrap().unwrap().attrs[0].1, b"2");
        let w = Write::Update(obj("p", b"3"));
        assert_eq!(a.apply(&[(t.id, &w)]).unwrap(), vec![Ok(true)]);
        assert_eq!(a.load(t.id, "p").unwrap().unwrap().attrs[0].1, b"3");
        a.delete(t.id, "p").unwrap();
        assert!(a.load(t.id, "p").unwrap().is_none());
        b.delete_token(0).unwrap();
        assert!(a.token(0).unwrap().is_none());
    }
}
