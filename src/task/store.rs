//! Where a task broker journals the requests it accepted and their results.
//!
//! One small trait, [`TaskStore`], so that another database (a shared
//! PostgreSQL) can replace the two kept here: [`MemoryStore`] (fast, gone
//! with the process; keeps the most recent results for fetches and
//! resends) and [`SqliteStore`] (a file: WAL mode, writes grouped into one
//! transaction per batch, so a broker killed at any moment and restarted on
//! the same file finishes every accepted request and still has every result).
//!
//! The broker calls [`TaskStore::commit`] at the end of every batch of
//! messages it handled, and sends answers to clients only after that commit:
//! an answer a client saw is always on disk.

use crate::error::{Error, Result};
use std::collections::VecDeque;

/// A request as journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTask {
    /// The request id (the client's, or one the broker made for a course client).
    pub id: String,
    pub service: String,
    pub body: Vec<u8>,
    /// Where the answer goes: the client's routing id on the broker's frontend.
    pub route: Vec<u8>,
    /// True when the client speaks the course frames (REQ), false for ours.
    pub classic: bool,
    /// Milliseconds since the Unix epoch when it was accepted.
    pub accepted_ms: u64,
}

/// The outcome of a finished request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResult {
    /// True for a result, false for an error (the body is the reason).
    pub ok: bool,
    pub body: Vec<u8>,
}

/// What the store knows of an id given to [`TaskStore::accept`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// New: journaled now.
    New,
    /// Accepted earlier and not finished.
    Pending,
    /// Finished earlier: its result.
    Done(StoredResult),
}

/// The journal of a task broker. Writes may be buffered until [`commit`](TaskStore::commit).
pub trait TaskStore: Send {
    /// Journal a request, unless its id is known: then say what is known of it.
    fn accept(&mut self, t: &StoredTask) -> Result<Known>;
    /// Record the outcome of a request.
    fn finish(&mut self, id: &str, result: &StoredResult) -> Result<()>;
    /// The outcome of a finished request, `None` when unknown or not finished.
    fn result(&mut self, id: &str) -> Result<Option<StoredResult>>;
    /// Requests accepted and not finished, oldest first (recovery at start).
    fn unfinished(&mut self) -> Result<Vec<StoredTask>>;
    /// Make every write so far durable; true when there was something to
    /// write. Cheap when there is nothing.
    fn commit(&mut self) -> Result<bool>;
    /// A short name for logs: `memory` or `sqlite:PATH`.
    fn describe(&self) -> String;
}

/// How a broker keeps its journal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreConfig {
    /// In memory: fast, lost with the process.
    #[default]
    Memory,
    /// An SQLite file (created if missing).
    Sqlite {
        path: std::path::PathBuf,
        /// `synchronous=FULL`: every commit reaches the disk (survives a
        /// power cut), much slower. The default (`NORMAL` in WAL mode)
        /// survives the death of the process at any moment.
        full_sync: bool,
    },
}

impl StoreConfig {
    /// Open the store.
    pub fn open(&self) -> Result<Box<dyn TaskStore>> {
        Ok(match self {
            StoreConfig::Memory => Box::new(MemoryStore::new(DEFAULT_KEEP)),
            StoreConfig::Sqlite { path, full_sync } => Box::new(SqliteStore::open(path, *full_sync)?),
        })
    }
}

/// Results a memory store keeps at most (older ones are forgotten).
pub const DEFAULT_KEEP: usize = 200_000;

/// Results in memory, the oldest forgotten beyond a bound. Pending requests
/// live in the broker itself, so this store journals nothing else.
pub struct MemoryStore {
    results: super::FxMap<String, StoredResult>,
    order: VecDeque<String>,
    keep: usize,
}

impl MemoryStore {
    pub fn new(keep: usize) -> MemoryStore {
        MemoryStore { results: super::FxMap::default(), order: VecDeque::new(), keep: keep.max(1) }
    }
}

impl TaskStore for MemoryStore {
    fn accept(&mut self, t: &StoredTask) -> Result<Known> {
        Ok(match self.results.get(&t.id) {
            Some(r) => Known::Done(r.clone()),
            None => Known::New,
        })
    }
    fn finish(&mut self, id: &str, result: &StoredResult) -> Result<()> {
        if self.results.insert(id.to_string(), result.clone()).is_none() {
            self.order.push_back(id.to_string());
            while self.order.len() > self.keep {
                if let Some(old) = self.order.pop_front() {
                    self.results.remove(&old);
                }
            }
        }
        Ok(())
    }
    fn result(&mut self, id: &str) -> Result<Option<StoredResult>> {
        Ok(self.results.get(id).cloned())
    }
    fn unfinished(&mut self) -> Result<Vec<StoredTask>> {
        Ok(Vec::new())
    }
    fn commit(&mut self) -> Result<bool> {
        Ok(false)
    }
    fn describe(&self) -> String {
        "memory".into()
    }
}

fn db_err(e: rusqlite::Error) -> Error {
    Error::Config(format!("task store (sqlite): {e}"))
}

/// An SQLite journal: one table `tasks` (id, service, body, route, classic,
/// accepted_ms, state 0 = pending / 1 = ok / 2 = error, result, finished_ms).
/// WAL mode; writes go into one open transaction that [`commit`](TaskStore::commit) ends.
pub struct SqliteStore {
    conn: rusqlite::Connection,
    path: std::path::PathBuf,
    in_tx: bool,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY NOT NULL,
    service TEXT NOT NULL,
    body BLOB NOT NULL,
    route BLOB NOT NULL,
    classic INTEGER NOT NULL,
    accepted_ms INTEGER NOT NULL,
    state INTEGER NOT NULL DEFAULT 0,
    result BLOB,
    finished_ms INTEGER
);
CREATE INDEX IF NOT EXISTS tasks_pending ON tasks(state) WHERE state = 0;
";

impl SqliteStore {
    /// Open (or create) the journal at `path`.
    pub fn open(path: &std::path::Path, full_sync: bool) -> Result<SqliteStore> {
        let conn =
            rusqlite::Connection::open(path).map_err(|e| Error::Config(format!("cannot open task store {}: {e}", path.display())))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(db_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Config(format!("task store {}: WAL mode refused (journal_mode {mode})", path.display())));
        }
        conn.execute_batch(if full_sync { "PRAGMA synchronous=FULL;" } else { "PRAGMA synchronous=NORMAL;" }).map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(2)).map_err(db_err)?;
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        conn.set_prepared_statement_cache_capacity(16);
        Ok(SqliteStore { conn, path: path.to_path_buf(), in_tx: false })
    }

    fn begin(&mut self) -> Result<()> {
        if !self.in_tx {
            self.conn.execute_batch("BEGIN").map_err(db_err)?;
            self.in_tx = true;
        }
        Ok(())
    }
}

fn now_ms() -> i64 {
    crate::log::now_ms() as i64
}

impl TaskStore for SqliteStore {
    fn accept(&mut self, t: &StoredTask) -> Result<Known> {
        self.begin()?;
        let n = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO tasks (id, service, body, route, classic, accepted_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .and_then(|mut s| s.execute(rusqlite::params![t.id, t.service, t.body, t.route, t.classic as i64, t.accepted_ms as i64]))
            .map_err(db_err)?;
        if n == 1 {
            return Ok(Known::New);
        }
        Ok(match self.result(&t.id)? {
            Some(r) => Known::Done(r),
            None => Known::Pending,
        })
    }

    fn finish(&mut self, id: &str, result: &StoredResult) -> Result<()> {
        self.begin()?;
        self.conn
            .prepare_cached("UPDATE tasks SET state = ?2, result = ?3, finished_ms = ?4 WHERE id = ?1")
            .and_then(|mut s| s.execute(rusqlite::params![id, if result.ok { 1 } else { 2 }, result.body, now_ms()]))
            .map_err(db_err)?;
        Ok(())
    }

    fn result(&mut self, id: &str) -> Result<Option<StoredResult>> {
        let mut s = self.conn.prepare_cached("SELECT state, result FROM tasks WHERE id = ?1").map_err(db_err)?;
        let mut rows = s.query([id]).map_err(db_err)?;
        let Some(row) = rows.next().map_err(db_err)? else { return Ok(None) };
        let state: i64 = row.get(0).map_err(db_err)?;
        if state == 0 {
            return Ok(None);
        }
        let body: Option<Vec<u8>> = row.get(1).map_err(db_err)?;
        Ok(Some(StoredResult { ok: state == 1, body: body.unwrap_or_default() }))
    }

    fn unfinished(&mut self) -> Result<Vec<StoredTask>> {
        let mut s = self
            .conn
            .prepare("SELECT id, service, body, route, classic, accepted_ms FROM tasks WHERE state = 0 ORDER BY rowid")
            .map_err(db_err)?;
        let rows = s
            .query_map([], |r| {
                Ok(StoredTask {
                    id: r.get(0)?,
                    service: r.get(1)?,
                    body: r.get(2)?,
                    route: r.get(3)?,
                    classic: r.get::<_, i64>(4)? != 0,
                    accepted_ms: r.get::<_, i64>(5)? as u64,
                })
            })
            .map_err(db_err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>().map_err(db_err)
    }

    fn commit(&mut self) -> Result<bool> {
        if !self.in_tx {
            return Ok(false);
        }
        self.in_tx = false;
        self.conn.execute_batch("COMMIT").map_err(db_err)?;
        Ok(true)
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        let _ = self.commit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str) -> StoredTask {
        StoredTask { id: id.into(), service: "A".into(), body: b"x".to_vec(), route: b"r".to_vec(), classic: false, accepted_ms: 1 }
    }

    fn exercise(s: &mut dyn TaskStore, durable: bool) {
        assert_eq!(s.accept(&task("a")).unwrap(), Known::New);
        assert_eq!(s.accept(&task("b")).unwrap(), Known::New);
        let ok = StoredResult { ok: true, body: b"42".to_vec() };
        s.finish("a", &ok).unwrap();
        s.commit().unwrap();
        assert_eq!(s.accept(&task("a")).unwrap(), Known::Done(ok.clone()));
        assert_eq!(s.result("a").unwrap(), Some(ok));
        assert_eq!(s.result("zz").unwrap(), None);
        if durable {
            assert_eq!(s.accept(&task("b")).unwrap(), Known::Pending);
            assert_eq!(s.unfinished().unwrap(), vec![task("b")]);
        }
        s.commit().unwrap();
    }

    #[test]
    fn memory() {
        let mut m = MemoryStore::new(2);
        exercise(&mut m, false);
        for i in 0..5 {
            m.finish(&format!("k{i}"), &StoredResult { ok: false, body: vec![] }).unwrap();
        }
        assert_eq!(m.results.len(), 2, "bounded");
    }

    #[test]
    fn sqlite_survives_reopen() {
        let dir = std::env::temp_dir().join(format!("hb-store-{}-{}", std::process::id(), crate::wire::task::random_u64()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        {
            let mut s = SqliteStore::open(&path, false).unwrap();
            exercise(&mut s, true);
            s.accept(&task("c")).unwrap(); // left uncommitted: lost with the process, like a batch cut by a kill
            std::mem::forget(s);
        }
        let mut s = SqliteStore::open(&path, false).unwrap();
        let ids: Vec<String> = s.unfinished().unwrap().into_iter().map(|t| t.id).collect();
        assert_eq!(ids, vec!["b".to_string()]);
        assert!(s.result("a").unwrap().unwrap().ok);
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
