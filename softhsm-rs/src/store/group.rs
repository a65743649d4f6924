//! Group commit: object writes that arrive while another is being committed wait and are then
//! committed together, in one transaction and one WAL sync.
//!
//! A durable commit costs one `fsync`, and a process serialises its commits on its one SQLite
//! connection. With several threads writing (the KMIP server's connections, a multi-threaded
//! PKCS#11 host), each commit would wait for the syncs of all before it. Here the first writer
//! to find no commit in progress becomes the leader: it takes every queued write, applies them
//! with [`Store::apply`] (one savepoint each, one commit), hands each writer its own result and
//! steps down; writers that queued meanwhile form the next group. A single writer pays nothing
//! extra: it leads a group of one.
//!
//! Architecture invariant: a writer returns only after the commit that holds its write has
//! returned, so every acknowledged write is durable; a write whose group failed to commit gets
//! the error.

use super::{Store, Write};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Most writes one group commits; past it the rest wait for the next group (bounds how long a
/// leader holds the store and how much one transaction writes).
const MAX_GROUP: usize = 256;

#[derive(Default)]
struct Queue {
    next_ticket: u64,
    pending: Vec<(u64, i64, Write)>,
    done: HashMap<u64, Result<bool>>,
    leading: bool,
}

/// The queue of writes waiting for a commit, shared by a process's threads.
#[derive(Default)]
pub struct GroupCommit {
    queue: Mutex<Queue>,
    finished: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl GroupCommit {
    /// Commits `write` to `store` (in a group with whatever else is waiting) and returns its
    /// own result once that commit is durable.
    pub fn write(&self, store: &Mutex<Box<dyn Store>>, token_id: i64, write: Write) -> Result<bool> {
        let mut q = lock(&self.queue);
        let ticket = q.next_ticket;
        q.next_ticket = q.next_ticket.wrapping_add(1);
        q.pending.push((ticket, token_id, write));
        loop {
            if let Some(r) = q.done.remove(&ticket) {
                return r;
            }
            if q.leading {
                q = self.finished.wait(q).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            q.leading = true;
            let take = q.pending.len().min(MAX_GROUP);
            let group: Vec<(u64, i64, Write)> = q.pending.drain(..take).collect();
            drop(q);
            let results = Self::commit(store, &group);
            q = lock(&self.queue);
            for ((t, _, _), r) in group.iter().zip(results) {
                q.done.insert(*t, r);
            }
            q.leading = false;
            self.finished.notify_all();
        }
    }

    /// One transaction for the group; every write gets a result, whatever happens.
    fn commit(store: &Mutex<Box<dyn Store>>, group: &[(u64, i64, Write)]) -> Vec<Result<bool>> {
        let writes: Vec<(i64, &Write)> = group.iter().map(|(_, t, w)| (*t, w)).collect();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lock(store).apply(&writes)));
        match r {
            Ok(Ok(v)) if v.len() == group.len() => v,
            Ok(Ok(_)) => {
                log::error!("the store answered a group commit with the wrong number of results");
                group.iter().map(|_| Err(Error::GeneralError)).collect()
            }
            Ok(Err(e)) => group.iter().map(|_| Err(e)).collect(),
            Err(_) => {
                log::error!("a panic while committing a group of writes; none of them is acknowledged");
                group.iter().map(|_| Err(Error::GeneralError)).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::AttrType;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{Role, StoredObject, TokenRecord};
    use std::sync::Arc;
    use std::time::Duration;

    fn obj(uid: &str) -> StoredObject {
        StoredObject {
            uid: uid.into(),
            private: false,
            attrs: vec![(3, uid.as_bytes().to_vec())],
            sealed: None,
        }
    }

    /// A store that records the size of every group and holds each commit a little, so that
    /// writers arriving meanwhile must queue.
    struct Recording {
        inner: SqliteStore,
        groups: Arc<Mutex<Vec<usize>>>,
    }

    impl Store for Recording {
        fn tokens(&mut self) -> Result<Vec<TokenRecord>> {
            self.inner.tokens()
        }
        fn token(&mut self, slot_id: u64) -> Result<Option<TokenRecord>> {
            self.inner.token(slot_id)
        }
        fn create_token(&mut self, rec: &TokenRecord) -> Result<()> {
            self.inner.create_token(rec)
        }
        fn reinit_token(&mut self, rec: &TokenRecord) -> Result<()> {
            self.inner.reinit_token(rec)
        }
        fn delete_token(&mut self, slot_id: u64) -> Result<bool> {
            self.inner.delete_token(slot_id)
        }
        fn set_pin_key(&mut self, token_id: i64, role: Role, key: Option<&[u8]>) -> Result<()> {
            self.inner.set_pin_key(token_id, role, key)
        }
        fn claim_attempt(&mut self, token_id: i64, role: Role, max: u32) -> Result<Option<u32>> {
            self.inner.claim_attempt(token_id, role, max)
        }
        fn reset_failures(&mut self, token_id: i64, role: Role) -> Result<()> {
            self.inner.reset_failures(token_id, role)
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
            self.inner.load(token_id, uid)
        }
        fn insert(&mut self, token_id: i64, obj: &StoredObject) -> Result<()> {
            self.inner.insert(token_id, obj)
        }
        fn update(&mut self, token_id: i64, obj: &StoredObject) -> Result<bool> {
            self.inner.update(token_id, obj)
        }
        fn delete(&mut self, token_id: i64, uid: &str) -> Result<bool> {
            self.inner.delete(token_id, uid)
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
        fn apply(&mut self, writes: &[(i64, &Write)]) -> Result<Vec<Result<bool>>> {
            lock(&self.groups).push(writes.len());
            std::thread::sleep(Duration::from_millis(5));
            self.inner.apply(writes)
        }
    }

    #[test]
    fn concurrent_writers_share_commits_and_each_gets_its_own_result() {
        let dir = tempfile::tempdir().unwrap();
        let mut inner = SqliteStore::open(&dir.path().join("s.db"), Duration::from_secs(5)).unwrap();
        inner
            .create_token(&TokenRecord {
                id: 0,
                slot_id: 0,
                uid: "t".into(),
                label: "t".into(),
                serial: "s".into(),
                so_key: vec![1],
                user_key: None,
                so_failures: 0,
                user_failures: 0,
            })
            .unwrap();
        let token_id = inner.token(0).unwrap().unwrap().id;
        let groups = Arc::new(Mutex::new(Vec::new()));
        let store: Arc<Mutex<Box<dyn Store>>> = Arc::new(Mutex::new(Box::new(Recording {
            inner,
            groups: groups.clone(),
        })));
        let gc = Arc::new(GroupCommit::default());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (store, gc) = (store.clone(), gc.clone());
                std::thread::spawn(move || {
                    for i in 0..10 {
                        let uid = format!("o-{t}-{i}");
                        assert_eq!(gc.write(&store, token_id, Write::Insert(obj(&uid))), Ok(true));
                        // The same unique id again fails alone; the group's other writes commit.
                        assert!(gc.write(&store, token_id, Write::Insert(obj(&uid))).is_err());
                        if i % 2 == 0 {
                            assert_eq!(gc.write(&store, token_id, Write::Delete(uid.clone())), Ok(true));
                            assert_eq!(gc.write(&store, token_id, Write::Delete(uid)), Ok(false));
                        } else {
                            assert_eq!(gc.write(&store, token_id, Write::Update(obj(&uid))), Ok(true));
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut s = lock(&store);
        let left = s.find(token_id, &[], true).unwrap();
        assert_eq!(
            left.len(),
            8 * 5,
            "the odd-numbered objects of every thread remain"
        );
        let sizes = lock(&groups).clone();
        // Per thread: five of (insert, duplicate, delete, delete again), five of (insert, duplicate, update).
        assert_eq!(
            sizes.iter().sum::<usize>(),
            8 * (5 * 4 + 5 * 3),
            "every write went through a group"
        );
        assert!(
            sizes.iter().any(|&n| n > 1),
            "with 8 writers and a 5 ms commit, some group holds more than one write: {sizes:?}"
        );
        s.check_integrity().unwrap();
    }
}
