//! The SQLite keystore: one file in WAL mode with `synchronous=FULL`, opened by every process
//! (module instances, the KMIP server, the CLI). Writers take the write lock at the start of their
//! transaction (`BEGIN IMMEDIATE`) and wait up to the busy timeout for each other, so lock
//! contention is absorbed here and never reaches a caller as a spurious error.

use super::{Role, Store, StoredObject, TokenRecord, Write};
use crate::attr::AttrType;
use crate::error::{Error, Result};
use cryptoki_sys as ck;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::cell::Cell;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// The schema version this code writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE tokens(
    id INTEGER PRIMARY KEY,
    slot_id INTEGER NOT NULL UNIQUE,
    uid TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    serial TEXT NOT NULL,
    so_key BLOB NOT NULL,
    user_key BLOB,
    so_failures INTEGER NOT NULL DEFAULT 0,
    user_failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE objects(
    id INTEGER PRIMARY KEY,
    token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    uid TEXT NOT NULL UNIQUE,
    private INTEGER NOT NULL,
    sealed BLOB
);
CREATE INDEX objects_token ON objects(token_id);
CREATE TABLE attributes(
    object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    type INTEGER NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY(object_id, type)
) WITHOUT ROWID;
";

/// The attribute types searches go through the `attributes_search` index for, most selective
/// first; a search drives from the first of its template's types found here. Only these types
/// are indexed: with every attribute in the index, one new object (about 40 attributes, each
/// type its own region of the index) dirtied about 40 index pages, and a durable commit wrote
/// about 80 WAL pages. A template with none of these types walks the token's objects instead.
pub const SEARCHABLE: &[AttrType] = &[
    ck::CKA_UNIQUE_ID,
    ck::CKA_ID,
    ck::CKA_LABEL,
    ck::CKA_SUBJECT,
    ck::CKA_ISSUER,
    ck::CKA_SERIAL_NUMBER,
    ck::CKA_MODULUS,
    ck::CKA_EC_POINT,
    ck::CKA_OBJECT_ID,
    ck::CKA_APPLICATION,
    ck::CKA_KEY_TYPE,
    ck::CKA_CERTIFICATE_TYPE,
    ck::CKA_CLASS,
];

/// The partial index's condition. A query must repeat it word for word for SQLite to use the
/// index (SQLite proves that a query implies an index's WHERE only by matching terms).
fn searchable_term(table: &str) -> String {
    let list: Vec<String> = SEARCHABLE.iter().map(|t| t.to_string()).collect();
    format!("{table}type IN ({})", list.join(","))
}

/// The term as `find` writes it for its driving row `a0`, built once per process.
fn driving_term() -> &'static str {
    static TERM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TERM.get_or_init(|| searchable_term("a0."))
}

fn search_index_ddl() -> String {
    format!(
        "CREATE INDEX attributes_search ON attributes(type, value) WHERE {};",
        searchable_term("")
    )
}

/// Whether `e` is SQLite's "busy" or "locked" (any extended code: `SQLITE_BUSY_SNAPSHOT`,
/// `SQLITE_BUSY_RECOVERY`, …).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Up to `max` microseconds of jitter, so that processes that collided do not collide again.
fn jitter(max: u32) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Duration::from_micros(u64::from(nanos % max.max(1)))
}

thread_local! {
    /// The busy timeout of the connection this thread is using, and when its current wait for
    /// a lock began (`busy_wait` has no other way to know either).
    static BUSY: Cell<(Duration, Option<Instant>)> = const { Cell::new((Duration::ZERO, None)) };
}

/// The busy handler of every connection: try again after a short pause until the connection's
/// busy timeout has passed since this wait began, then give up (SQLITE_BUSY).
///
/// SQLite's own handler sleeps 1, 2, 5, 10, … 100 ms between tries, so a writer that has waited
/// a while sleeps through the moments the lock is free and writers that arrive later take it
/// first: with 8 module processes writing, the KMIP server's writes waited hundreds of
/// milliseconds each. Here the pause stays between 0.25 and about 2.5 ms (growing a little with
/// the tries, jittered), so the lock goes round the waiters instead.
fn busy_wait(tries: i32) -> bool {
    BUSY.with(|b| {
        let (limit, began) = b.get();
        let now = Instant::now();
        let began = if tries == 0 { now } else { began.unwrap_or(now) };
        b.set((limit, Some(began)));
        if now.duration_since(began) >= limit {
            return false;
        }
        let step = u64::try_from(tries.clamp(0, 8)).unwrap_or(0) * 200;
        std::thread::sleep(Duration::from_micros(250 + step) + jitter(500));
        true
    })
}

/// Runs `step` again while SQLite answers busy, for up to `timeout`, with short growing pauses.
///
/// The busy timeout covers every wait SQLite can make safely. Where waiting could deadlock —
/// a connection holding a read lock that needs the write lock, as when a new file is switched
/// to WAL — SQLite answers `SQLITE_BUSY` at once instead; the step holds no lock once it has
/// failed, so running it again is safe.
fn retry_busy<T>(timeout: Duration, mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match step() {
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                std::thread::sleep(pause + jitter(1000));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            r => return r,
        }
    }
}

/// Appends to a search over objects `o` one `EXISTS` term per template entry (the object has
/// that attribute with that value, looked up by the attributes' primary key), with its
/// parameters numbered after those already in `args`.
fn and_has_attributes<'a>(
    sql: &mut String,
    args: &mut Vec<rusqlite::types::Value>,
    entries: impl Iterator<Item = &'a (AttrType, Vec<u8>)>,
) {
    for (ty, v) in entries {
        let n = args.len();
        sql.push_str(&format!(
            " AND EXISTS(SELECT 1 FROM attributes a WHERE a.object_id=o.id AND a.type=?{} AND a.value=?{})",
            n + 1,
            n + 2
        ));
        args.push((*ty as i64).into());
        args.push(v.clone().into());
    }
}

/// A connection to one keystore file.
pub struct SqliteStore {
    conn: Connection,
    /// How long one wait for a lock may last (see `busy_wait`).
    busy_timeout: Duration,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn role_col(role: Role) -> &'static str {
    match role {
        Role::So => "so_failures",
        Role::User => "user_failures",
    }
}

impl SqliteStore {
    /// Opens (creating if needed, with mode 0600 in a 0700 directory) the keystore at `path`.
    pub fn open(path: &Path, busy_timeout: Duration) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    log::error!("cannot create store directory {}: {e}", dir.display());
                    Error::DeviceError
                })?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
                }
            }
        }
        let existed = path.exists();
        let conn = Connection::open(path).map_err(|e| {
            log::error!(
                "cannot open keystore {}: {e}; check the path and permissions (store.path in the config)",
                path.display()
            );
            Error::DeviceError
        })?;
        #[cfg(unix)]
        if !existed {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        BUSY.with(|b| b.set((busy_timeout, None)));
        conn.busy_handler(Some(busy_wait))?;
        // journal_mode returns a row; the others do not. Switching a new file to WAL takes the
        // write lock while holding a read lock, which SQLite refuses at once (no busy handler)
        // when another process is doing the same: see `retry_busy`.
        let mode: String = retry_busy(busy_timeout, || {
            conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        })?;
        if !mode.eq_ignore_ascii_case("wal") {
            log::warn!("keystore {} is not in WAL mode ({mode})", path.display());
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        let mut s = SqliteStore { conn, busy_timeout };
        s.migrate(path)?;
        Ok(s)
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch("PRAGMA foreign_keys=ON;")?;
        let mut s = SqliteStore {
            conn,
            busy_timeout: Duration::ZERO,
        };
        s.migrate(Path::new(":memory:"))?;
        Ok(s)
    }

    fn migrate(&mut self, path: &Path) -> Result<()> {
        // The common case (current schema) needs no write lock: many processes start at once.
        let current: i64 = self.conn().query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self
            .conn()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let v: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        match v {
            0 => {
                tx.execute_batch(SCHEMA)?;
                tx.execute_batch(&search_index_ddl())?;
                tx.execute_batch(&format!("PRAGMA user_version={SCHEMA_VERSION}"))?;
            }
            // 1 → 2: the index over every attribute becomes the partial `attributes_search`.
            1 => {
                tx.execute_batch("DROP INDEX IF EXISTS attributes_value;")?;
                tx.execute_batch(&search_index_ddl())?;
                tx.execute_batch(&format!("PRAGMA user_version={SCHEMA_VERSION}"))?;
                log::info!(
                    "keystore {} upgraded to schema version {SCHEMA_VERSION}",
                    path.display()
                );
            }
            SCHEMA_VERSION => {}
            other => {
                log::error!(
                    "keystore {} has schema version {other}; this build reads version {SCHEMA_VERSION}. Upgrade softhsm-rs.",
                    path.display()
                );
                return Err(Error::TokenNotRecognized);
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The connection, with this thread's busy handler set to this store's timeout.
    fn conn(&mut self) -> &mut Connection {
        BUSY.with(|b| b.set((self.busy_timeout, None)));
        &mut self.conn
    }

    fn tx(&mut self) -> Result<rusqlite::Transaction<'_>> {
        Ok(self
            .conn()
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }
}

fn token_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        slot_id: r.get::<_, i64>(1)? as u64,
        uid: r.get(2)?,
        label: r.get(3)?,
        serial: r.get(4)?,
        so_key: r.get(5)?,
        user_key: r.get(6)?,
        so_failures: r.get(7)?,
        user_failures: r.get(8)?,
    })
}

const TOKEN_COLS: &str = "id, slot_id, uid, label, serial, so_key, user_key, so_failures, user_failures";

fn write_attrs(tx: &Connection, object_id: i64, obj: &StoredObject) -> Result<()> {
    let mut st = tx.prepare_cached("INSERT INTO attributes(object_id, type, value) VALUES (?1, ?2, ?3)")?;
    for (ty, v) in &obj.attrs {
        st.execute(params![object_id, *ty as i64, v])?;
    }
    Ok(())
}

/// Brings an object's attribute rows to `obj.attrs`, touching only the rows that change: an
/// update (Activate, a new label, Destroy) then writes the pages of what changed, not every
/// row and index entry of the object again.
fn rewrite_attrs(tx: &Connection, object_id: i64, obj: &StoredObject) -> Result<()> {
    let mut old: HashMap<AttrType, Vec<u8>> = {
        let mut st = tx.prepare_cached("SELECT type, value FROM attributes WHERE object_id=?1")?;
        let rows = st.query_map([object_id], |r| {
            Ok((r.get::<_, i64>(0)? as AttrType, r.get::<_, Vec<u8>>(1)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (ty, v) in &obj.attrs {
        match old.remove(ty) {
            Some(was) if was == *v => {}
            Some(_) => {
                tx.prepare_cached("UPDATE attributes SET value=?3 WHERE object_id=?1 AND type=?2")?
                    .execute(params![object_id, *ty as i64, v])?;
            }
            None => {
                tx.prepare_cached("INSERT INTO attributes(object_id, type, value) VALUES (?1, ?2, ?3)")?
                    .execute(params![object_id, *ty as i64, v])?;
            }
        }
    }
    for ty in old.keys() {
        tx.prepare_cached("DELETE FROM attributes WHERE object_id=?1 AND type=?2")?
            .execute(params![object_id, *ty as i64])?;
    }
    Ok(())
}

fn insert_object(tx: &Connection, token_id: i64, obj: &StoredObject) -> Result<()> {
    tx.prepare_cached("INSERT INTO objects(token_id, uid, private, sealed) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![token_id, obj.uid, obj.private, obj.sealed])?;
    let id = tx.last_insert_rowid();
    write_attrs(tx, id, obj)
}

fn update_object(tx: &Connection, token_id: i64, obj: &StoredObject) -> Result<bool> {
    let id: Option<i64> = tx
        .prepare_cached("SELECT id FROM objects WHERE token_id=?1 AND uid=?2")?
        .query_row(params![token_id, obj.uid], |r| r.get(0))
        .optional()?;
    let Some(id) = id else {
        return Ok(false);
    };
    tx.prepare_cached("UPDATE objects SET private=?2, sealed=?3 WHERE id=?1")?
        .execute(params![id, obj.private, obj.sealed])?;
    rewrite_attrs(tx, id, obj)?;
    Ok(true)
}

fn delete_object(tx: &Connection, token_id: i64, uid: &str) -> Result<bool> {
    let n = tx
        .prepare_cached("DELETE FROM objects WHERE token_id=?1 AND uid=?2")?
        .execute(params![token_id, uid])?;
    Ok(n > 0)
}

impl Store for SqliteStore {
    fn tokens(&mut self) -> Result<Vec<TokenRecord>> {
        let mut st = self
            .conn()
            .prepare_cached(&format!("SELECT {TOKEN_COLS} FROM tokens ORDER BY slot_id"))?;
        let rows = st.query_map([], token_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn token(&mut self, slot_id: u64) -> Result<Option<TokenRecord>> {
        let mut st = self
            .conn()
            .prepare_cached(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE slot_id=?1"))?;
        Ok(st.query_row([slot_id as i64], token_from_row).optional()?)
    }

    fn create_token(&mut self, rec: &TokenRecord) -> Result<()> {
        let tx = self.tx()?;
        let taken: Option<i64> = tx
            .query_row(
                "SELECT id FROM tokens WHERE slot_id=?1",
                [rec.slot_id as i64],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            log::warn!(
                "slot {} was initialised by another process meanwhile; list the slots again",
                rec.slot_id
            );
            return Err(Error::FunctionFailed);
        }
        tx.execute(
            "INSERT INTO tokens(slot_id, uid, label, serial, so_key, user_key) VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
            params![rec.slot_id as i64, rec.uid, rec.label, rec.serial, rec.so_key],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn reinit_token(&mut self, rec: &TokenRecord) -> Result<()> {
        let tx = self.tx()?;
        tx.execute("DELETE FROM objects WHERE token_id=?1", [rec.id])?;
        let n = tx.execute(
            "UPDATE tokens SET uid=?2, label=?3, serial=?4, so_key=?5, user_key=NULL, so_failures=0, user_failures=0 WHERE id=?1",
            params![rec.id, rec.uid, rec.label, rec.serial, rec.so_key],
        )?;
        if n != 1 {
            return Err(Error::TokenNotPresent);
        }
        tx.commit()?;
        Ok(())
    }

    fn delete_token(&mut self, slot_id: u64) -> Result<bool> {
        let tx = self.tx()?;
        let n = tx.execute("DELETE FROM tokens WHERE slot_id=?1", [slot_id as i64])?;
        tx.commit()?;
        Ok(n > 0)
    }

    fn set_pin_key(&mut self, token_id: i64, role: Role, key: Option<&[u8]>) -> Result<()> {
        let tx = self.tx()?;
        let n = match role {
            Role::So => {
                let key = key.ok_or(Error::ArgumentsBad)?;
                tx.execute(
                    "UPDATE tokens SET so_key=?2, so_failures=0 WHERE id=?1",
                    params![token_id, key],
                )?
            }
            Role::User => tx.execute(
                "UPDATE tokens SET user_key=?2, user_failures=0 WHERE id=?1",
                params![token_id, key],
            )?,
        };
        if n != 1 {
            return Err(Error::TokenNotPresent);
        }
        tx.commit()?;
        Ok(())
    }

    fn claim_attempt(&mut self, token_id: i64, role: Role, max: u32) -> Result<Option<u32>> {
        let col = role_col(role);
        // One statement: the check and the increment cannot be split by another process
        // (SQLite holds the write lock for the whole statement).
        let tx = self.tx()?;
        let n: Option<u32> = tx
            .query_row(
                &format!("UPDATE tokens SET {col}={col}+1 WHERE id=?1 AND {col}<?2 RETURNING {col}"),
                params![token_id, max],
                |r| r.get(0),
            )
            .optional()?;
        if n.is_none() {
            let exists: Option<i64> = tx
                .query_row("SELECT id FROM tokens WHERE id=?1", [token_id], |r| r.get(0))
                .optional()?;
            exists.ok_or(Error::TokenNotPresent)?;
        }
        tx.commit()?;
        Ok(n)
    }

    fn reset_failures(&mut self, token_id: i64, role: Role) -> Result<()> {
        let col = role_col(role);
        let tx = self.tx()?;
        tx.execute(
            &format!("UPDATE tokens SET {col}=0 WHERE id=?1 AND {col}<>0"),
            [token_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn find(
        &mut self,
        token_id: i64,
        template: &[(AttrType, Vec<u8>)],
        include_private: bool,
    ) -> Result<Vec<(String, bool)>> {
        let private = if include_private { "" } else { " AND o.private=0" };
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        // The most selective indexed attribute of the template drives the search.
        let drive = template
            .iter()
            .enumerate()
            .filter_map(|(i, (ty, _))| SEARCHABLE.iter().position(|s| s == ty).map(|rank| (rank, i)))
            .min()
            .map(|(_, i)| i);
        let mut sql = match drive {
            None => {
                args.push(token_id.into());
                format!("SELECT o.uid, o.private, o.id FROM objects o WHERE o.token_id=?1{private}")
            }
            Some(i) => {
                let (ty, v) = &template[i];
                args.push((*ty as i64).into());
                args.push(v.clone().into());
                args.push(token_id.into());
                format!(
                    "SELECT o.uid, o.private, o.id FROM attributes a0 CROSS JOIN objects o ON o.id=a0.object_id \
                     WHERE {} AND a0.type=?1 AND a0.value=?2 AND o.token_id=?3{private}",
                    driving_term()
                )
            }
        };
        let rest = template.iter().enumerate().filter(|(i, _)| Some(*i) != drive);
        and_has_attributes(&mut sql, &mut args, rest.map(|(_, entry)| entry));
        // No ORDER BY: with it SQLite walks the token's objects instead of the attribute index
        // (CROSS JOIN keeps that order), which made a search linear in the token's size. The
        // matches are sorted here instead, oldest first.
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
            Ok((r.get::<_, i64>(2)?, r.get::<_, String>(0)?, r.get::<_, bool>(1)?))
        })?;
        let mut found = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        found.sort_unstable_by_key(|(id, _, _)| *id);
        Ok(found
            .into_iter()
            .map(|(_, uid, private)| (uid, private))
            .collect())
    }

    fn find_page(
        &mut self,
        token_id: i64,
        template: &[(AttrType, Vec<u8>)],
        include_private: bool,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, String, bool)>> {
        // Driven by `objects_token` (token_id, rowid) walked backwards from `before`, each
        // template entry an EXISTS on the attributes' primary key: one page costs its own rows,
        // whatever the token's size, and nothing beyond the page is held.
        let private = if include_private { "" } else { " AND o.private=0" };
        let mut args: Vec<rusqlite::types::Value> = vec![token_id.into(), before.unwrap_or(i64::MAX).into()];
        let mut sql =
            format!("SELECT o.uid, o.private, o.id FROM objects o WHERE o.token_id=?1 AND o.id<?2{private}");
        and_has_attributes(&mut sql, &mut args, template.iter());
        sql.push_str(&format!(" ORDER BY o.id DESC LIMIT ?{}", args.len() + 1));
        args.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
            Ok((r.get::<_, i64>(2)?, r.get::<_, String>(0)?, r.get::<_, bool>(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn load(&mut self, token_id: i64, uid: &str) -> Result<Option<StoredObject>> {
        let tx = self.conn().transaction()?;
        let row: Option<(i64, bool, Option<Vec<u8>>)> = tx
            .prepare_cached("SELECT id, private, sealed FROM objects WHERE token_id=?1 AND uid=?2")?
            .query_row(params![token_id, uid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((id, private, sealed)) = row else {
            return Ok(None);
        };
        let attrs = {
            let mut st = tx.prepare_cached("SELECT type, value FROM attributes WHERE object_id=?1")?;
            let rows = st.query_map([id], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        tx.commit()?;
        Ok(Some(StoredObject {
            uid: uid.to_string(),
            private,
            attrs,
            sealed,
        }))
    }

    fn insert(&mut self, token_id: i64, obj: &StoredObject) -> Result<()> {
        let tx = self.tx()?;
        insert_object(&tx, token_id, obj)?;
        tx.commit()?;
        Ok(())
    }

    fn update(&mut self, token_id: i64, obj: &StoredObject) -> Result<bool> {
        let tx = self.tx()?;
        let found = update_object(&tx, token_id, obj)?;
        tx.commit()?;
        Ok(found)
    }

    fn delete(&mut self, token_id: i64, uid: &str) -> Result<bool> {
        let tx = self.tx()?;
        let found = delete_object(&tx, token_id, uid)?;
        tx.commit()?;
        Ok(found)
    }

    /// Group commit: one `BEGIN IMMEDIATE … COMMIT` (one WAL sync) for all of `writes`, each
    /// inside its own savepoint so that a failing write (a duplicate unique id, say) is rolled
    /// back alone.
    fn apply(&mut self, writes: &[(i64, &Write)]) -> Result<Vec<Result<bool>>> {
        let mut tx = self.tx()?;
        let mut out = Vec::with_capacity(writes.len());
        for (token_id, w) in writes {
            let sp = tx.savepoint()?;
            let r = match w {
                Write::Insert(o) => insert_object(&sp, *token_id, o).map(|()| true),
                Write::Update(o) => update_object(&sp, *token_id, o),
                Write::Delete(uid) => delete_object(&sp, *token_id, uid),
            };
            if r.is_ok() {
                sp.commit()?;
            } // else: dropping the savepoint rolls this write back
            out.push(r);
        }
        tx.commit()?;
        Ok(out)
    }

    fn count(&mut self, token_id: i64) -> Result<(u64, u64)> {
        let (public, private): (i64, i64) = self.conn().query_row(
            "SELECT COALESCE(SUM(private=0),0), COALESCE(SUM(private<>0),0) FROM objects WHERE token_id=?1",
            [token_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((public as u64, private as u64))
    }

    fn data_version(&mut self) -> Result<i64> {
        Ok(self
            .conn()
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?)
    }

    fn check_integrity(&mut self) -> Result<()> {
        let r: String = self
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if r != "ok" {
            log::error!("keystore integrity check failed: {r}");
            return Err(Error::DeviceError);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(slot: u64) -> TokenRecord {
        TokenRecord {
            id: 0,
            slot_id: slot,
            uid: format!("tok-{slot}"),
            label: "t".into(),
            serial: "s".into(),
            so_key: vec![1, 2, 3],
            user_key: None,
            so_failures: 0,
            user_failures: 0,
        }
    }

    fn obj(uid: &str, label: &[u8], private: bool) -> StoredObject {
        StoredObject {
            uid: uid.into(),
            private,
            attrs: vec![(3, label.to_vec()), (0, vec![0; 8])],
            sealed: Some(vec![9; 4]),
        }
    }

    #[test]
    fn tokens_objects_and_search() {
        let mut s = SqliteStore::in_memory().unwrap();
        s.create_token(&token(0)).unwrap();
        assert_eq!(s.create_token(&token(0)).unwrap_err(), Error::FunctionFailed);
        let t = s.token(0).unwrap().unwrap();
        s.insert(t.id, &obj("a", b"x", false)).unwrap();
        s.insert(t.id, &obj("b", b"y", true)).unwrap();
        let uids = |v: Vec<(String, bool)>| v.into_iter().map(|(u, _)| u).collect::<Vec<_>>();
        assert_eq!(
            s.find(t.id, &[], true).unwrap(),
            vec![("a".to_string(), false), ("b".to_string(), true)]
        );
        assert_eq!(uids(s.find(t.id, &[], false).unwrap()), vec!["a"]);
        assert_eq!(
            uids(s.find(t.id, &[(3, b"y".to_vec())], true).unwrap()),
            vec!["b"]
        );
        assert_eq!(
            uids(
                s.find(t.id, &[(3, b"y".to_vec()), (0, vec![0; 8])], true)
                    .unwrap()
            ),
            vec!["b"]
        );
        assert!(s
            .find(t.id, &[(3, b"y".to_vec()), (0, vec![1; 8])], true)
            .unwrap()
            .is_empty());
        let mut b = s.load(t.id, "b").unwrap().unwrap();
        assert_eq!(b.sealed, Some(vec![9; 4]));
        b.attrs = vec![(3, b"z".to_vec())];
        assert!(s.update(t.id, &b).unwrap());
        assert_eq!(
            uids(s.find(t.id, &[(3, b"z".to_vec())], true).unwrap()),
            vec!["b"]
        );
        assert_eq!(s.count(t.id).unwrap(), (1, 1));
        assert!(s.delete(t.id, "a").unwrap());
        assert!(!s.delete(t.id, "a").unwrap());
        assert_eq!(s.claim_attempt(t.id, Role::User, 2).unwrap(), Some(1));
        assert_eq!(s.claim_attempt(t.id, Role::User, 2).unwrap(), Some(2));
        // At the limit nothing more is counted.
        assert_eq!(s.claim_attempt(t.id, Role::User, 2).unwrap(), None);
        assert_eq!(s.token(0).unwrap().unwrap().user_failures, 2);
        assert_eq!(s.token(0).unwrap().unwrap().so_failures, 0);
        assert_eq!(
            s.claim_attempt(t.id + 100, Role::User, 2).unwrap_err(),
            Error::TokenNotPresent
        );
        s.reset_failures(t.id, Role::User).unwrap();
        assert_eq!(s.token(0).unwrap().unwrap().user_failures, 0);
        assert!(s.delete_token(0).unwrap());
        assert!(s.token(0).unwrap().is_none());
        s.check_integrity().unwrap();
    }

    fn plan(s: &SqliteStore, sql: &str) -> String {
        let mut st = s.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = st.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn searches_use_the_partial_index_and_updates_touch_only_changed_rows() {
        let mut s = SqliteStore::in_memory().unwrap();
        s.create_token(&token(0)).unwrap();
        let t = s.token(0).unwrap().unwrap();
        for i in 0..50u8 {
            let mut o = obj(&format!("u{i}"), &[i], false);
            // CKA_VALUE_LEN is not searchable: only a scan finds it.
            o.attrs.push((ck::CKA_VALUE_LEN, vec![i % 2; 8]));
            s.insert(t.id, &o).unwrap();
        }
        // The query find() builds for an indexed type goes through attributes_search.
        let q = format!(
            "SELECT o.id FROM attributes a0 CROSS JOIN objects o ON o.id=a0.object_id \
             WHERE {} AND a0.type=3 AND a0.value=x'07' AND o.token_id=1",
            driving_term()
        );
        assert!(plan(&s, &q).contains("attributes_search"), "{}", plan(&s, &q));
        // The driving attribute is the indexed one wherever it sits in the template.
        let uids = |v: Vec<(String, bool)>| v.into_iter().map(|(u, _)| u).collect::<Vec<_>>();
        let found = s
            .find(t.id, &[(ck::CKA_VALUE_LEN, vec![1; 8]), (3, vec![7])], true)
            .unwrap();
        assert_eq!(uids(found), vec!["u7"]);
        // No indexed attribute: a scan of the token's objects, in creation order.
        let odd = uids(s.find(t.id, &[(ck::CKA_VALUE_LEN, vec![1; 8])], true).unwrap());
        assert_eq!(odd.len(), 25);
        assert_eq!(odd[..2], ["u1".to_string(), "u3".to_string()]);
        // An update rewrites only what changed: unchanged rows keep their values, a dropped
        // attribute goes, a new one comes.
        let mut o = s.load(t.id, "u7").unwrap().unwrap();
        o.attrs.retain(|(ty, _)| *ty != ck::CKA_VALUE_LEN);
        o.attrs.push((ck::CKA_ID, b"id7".to_vec()));
        o.attrs.iter_mut().find(|(ty, _)| *ty == 3).unwrap().1 = b"new".to_vec();
        assert!(s.update(t.id, &o).unwrap());
        let mut back = s.load(t.id, "u7").unwrap().unwrap().attrs;
        back.sort();
        let mut want = o.attrs.clone();
        want.sort();
        assert_eq!(back, want);
        assert_eq!(
            uids(s.find(t.id, &[(ck::CKA_ID, b"id7".to_vec())], true).unwrap()),
            vec!["u7"]
        );
        assert!(s.find(t.id, &[(3, vec![7])], true).unwrap().is_empty());
        s.check_integrity().unwrap();
    }

    #[test]
    fn a_version_one_store_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("store.db");
        {
            // A version-1 file: the old index over every attribute.
            let conn = Connection::open(&p).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.execute_batch(
                "CREATE INDEX attributes_value ON attributes(type, value); PRAGMA user_version=1;",
            )
            .unwrap();
        }
        let mut s = SqliteStore::open(&p, Duration::from_secs(1)).unwrap();
        let v: i64 = s.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let names: Vec<String> = {
            let mut st = s
                .conn
                .prepare("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='attributes' AND sql IS NOT NULL")
                .unwrap();
            let rows = st.query_map([], |r| r.get(0)).unwrap();
            rows.map(|r| r.unwrap()).collect()
        };
        assert_eq!(names, vec!["attributes_search".to_string()]);
        s.create_token(&token(0)).unwrap();
        let t = s.token(0).unwrap().unwrap();
        s.insert(t.id, &obj("a", b"x", false)).unwrap();
        assert_eq!(s.find(t.id, &[(3, b"x".to_vec())], true).unwrap().len(), 1);
    }

    /// Regression: processes opening a keystore that did not exist yet, at the same moment, got
    /// "database is locked" (`CKR_GENERAL_ERROR` from `C_Initialize`): switching the new file to
    /// WAL upgrades a read lock to a write lock, where SQLite answers SQLITE_BUSY at once
    /// instead of calling the busy handler. Connections of one process lock the file the same
    /// way as processes do, so threads show it.
    #[test]
    fn a_new_store_opened_by_many_connections_at_once() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("store.db");
            let start = std::sync::Barrier::new(12);
            std::thread::scope(|scope| {
                let opened: Vec<_> = (0..12)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            let mut s = SqliteStore::open(&p, Duration::from_secs(10))?;
                            s.tokens().map(|_| ())
                        })
                    })
                    .collect();
                for o in opened {
                    assert_eq!(o.join().unwrap(), Ok(()));
                }
            });
            let mut s = SqliteStore::open(&p, Duration::from_secs(1)).unwrap();
            let mode: String = s.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
            assert_eq!(mode, "wal");
            s.check_integrity().unwrap();
        }
    }

    /// The busy handler waits for a lock that is released during the wait, and gives up once
    /// its own connection's timeout has passed (not another connection's, on the same thread).
    #[test]
    fn a_writer_waits_for_the_lock_and_gives_up_at_its_own_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("store.db");
        let mut holder = SqliteStore::open(&p, Duration::from_secs(5)).unwrap();
        holder.create_token(&token(0)).unwrap();
        let t = holder.token(0).unwrap().unwrap();
        let (held, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let tx = holder.tx().unwrap();
                held.wait();
                release.wait();
                tx.commit().unwrap();
            });
            held.wait();
            // A short timeout, on a thread whose other connection has a long one: gives up.
            let mut patient = SqliteStore::open(&p, Duration::from_secs(30)).unwrap();
            let mut short = SqliteStore::open(&p, Duration::from_millis(20)).unwrap();
            assert_eq!(
                short.insert(t.id, &obj("a", b"x", false)).unwrap_err(),
                Error::DeviceError
            );
            // A long timeout: released while it waits, so the write goes through.
            let waiter = scope.spawn(move || patient.insert(t.id, &obj("b", b"y", false)));
            std::thread::sleep(Duration::from_millis(30));
            release.wait();
            assert_eq!(waiter.join().unwrap(), Ok(()));
        });
        let mut s = SqliteStore::open(&p, Duration::from_secs(1)).unwrap();
        let uids: Vec<String> = s
            .find(t.id, &[], true)
            .unwrap()
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        assert_eq!(uids, vec!["b".to_string()]);
    }

    #[test]
    fn file_store_is_wal_and_versioned() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/store.db");
        {
            let mut s = SqliteStore::open(&p, Duration::from_secs(1)).unwrap();
            s.create_token(&token(3)).unwrap();
        }
        let mut s = SqliteStore::open(&p, Duration::from_secs(1)).unwrap();
        assert_eq!(s.tokens().unwrap().len(), 1);
        let mode: String = s.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        s.conn.execute_batch("PRAGMA user_version=99").unwrap();
        drop(s);
        assert_eq!(
            SqliteStore::open(&p, Duration::from_secs(1)).unwrap_err(),
            Error::TokenNotRecognized
        );
    }
}
