//! Where a task broker journals the requests it accepted and their results.
//!
//! One small trait, [`TaskStore`], and three stores: [`MemoryStore`] (fast,
//! gone with the process; keeps the most recent results for fetches and
//! resends), [`SqliteStore`] (a file: WAL mode, writes grouped into one
//! transaction per batch, so a broker killed at any moment and restarted on
//! the same file finishes every accepted request and still has every result)
//! and [`PgStore`] (a PostgreSQL database, the same guarantees, one round
//! trip per batch; a `results` view for people: [`pg`]).
//!
//! The broker calls [`TaskStore::commit`] at the end of every batch of
//! messages it handled, and sends answers to clients only after that commit:
//! an answer a client saw is always on disk.

use crate::error::{Error, Result};
use std::collections::VecDeque;

pub mod pg;
pub use pg::PgStore;

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
    /// [`accept`](TaskStore::accept) for a batch, in order (an id twice in
    /// it: `Pending` the second time). One look-up for the whole batch where
    /// the store is remote.
    fn accept_many(&mut self, ts: &[StoredTask]) -> Result<Vec<Known>> {
        ts.iter().map(|t| self.accept(t)).collect()
    }
    /// Record the outcome of a request, and who gave it (a worker's
    /// routing id, `peer:NAME`, or empty for the broker's own errors).
    fn finish(&mut self, id: &str, result: &StoredResult, worker: &str) -> Result<()>;
    /// The outcome of a finished request, `None` when unknown or not finished.
    fn result(&mut self, id: &str) -> Result<Option<StoredResult>>;
    /// Requests accepted and not finished, oldest first (recovery at start).
    fn unfinished(&mut self) -> Result<Vec<StoredTask>>;
    /// Make every write so far durable; true when there was something to
    /// write. Cheap when there is nothing.
    fn commit(&mut self) -> Result<bool>;
    /// True when a failed [`commit`](TaskStore::commit) keeps its writes for
    /// the next one (a database server that went away and comes back): the
    /// broker then holds the answers and commits again. False: a failed
    /// commit ends the broker.
    fn keeps_failed_batch(&self) -> bool {
        false
    }
    /// A short name for logs: `memory`, `sqlite:PATH` or the PostgreSQL URL
    /// (password hidden).
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
    /// A PostgreSQL database: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?…]`
    /// (or `postgresql://`); the database and the schema are created on first use.
    Postgres {
        url: String,
        /// Commit with the server's `synchronous_commit` (`on`: every commit
        /// on disk, survives the server's crash, slower). The default
        /// (`off` for the broker's session) survives the death of the broker
        /// at any moment and a clean restart of the server, like SQLite's
        /// `NORMAL`.
        full_sync: bool,
    },
}

impl StoreConfig {
    /// `memory` (or empty), `sqlite:PATH`, `postgres://…` / `postgresql://…`;
    /// `full_sync`: every commit on disk (SQLite and PostgreSQL).
    pub fn parse(s: &str, full_sync: bool) -> Result<StoreConfig> {
        if s.is_empty() || s == "memory" {
            return Ok(StoreConfig::Memory);
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(StoreConfig::Postgres { url: s.to_string(), full_sync });
        }
        match s.strip_prefix("sqlite:") {
            Some(p) if !p.is_empty() => Ok(StoreConfig::Sqlite { path: p.into(), full_sync }),
            _ => Err(Error::Config(format!("store must be memory, sqlite:PATH or postgres://USER@HOST:PORT/DB, not {s:?}"))),
        }
    }

    /// As [`StoreConfig::parse`] reads it (a PostgreSQL password hidden).
    pub fn describe(&self) -> String {
        match self {
            StoreConfig::Memory => "memory".into(),
            StoreConfig::Sqlite { path, .. } => format!("sqlite:{}", path.display()),
            StoreConfig::Postgres { url, .. } => pg::redact(url),
        }
    }

    /// Open the store.
    pub fn open(&self) -> Result<Box<dyn TaskStore>> {
        Ok(match self {
            StoreConfig::Memory => Box::new(MemoryStore::new(DEFAULT_KEEP)),
            StoreConfig::Sqlite { path, full_sync } => Box::new(SqliteStore::open(path, *full_sync)?),
            StoreConfig::Postgres { url, full_sync } => Box::new(PgStore::open(url, *full_sync)?),
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
    fn finish(&mut self, id: &str, result: &StoredResult, _worker: &str) -> Result<()> {
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

    fn finish(&mut self, id: &str, result: &StoredResult, _worker: &str) -> Result<()> {
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

    fn ok(body: &[u8]) -> StoredResult {
        StoredResult { ok: true, body: body.to_vec() }
    }

    /// The contract every store keeps (`durable`: also across a reopen).
    fn exercise(s: &mut dyn TaskStore, durable: bool) {
        assert_eq!(s.accept(&task("a")).unwrap(), Known::New);
        assert_eq!(s.accept(&task("b")).unwrap(), Known::New);
        s.finish("a", &ok(b"42"), "w1").unwrap();
        s.commit().unwrap();
        assert_eq!(s.accept(&task("a")).unwrap(), Known::Done(ok(b"42")));
        assert_eq!(s.result("a").unwrap(), Some(ok(b"42")));
        assert_eq!(s.result("zz").unwrap(), None);
        // A batch: new, known done, known pending, the same new id twice;
        // one finished before the commit.
        let batch = [task("n1"), task("a"), task("n2"), task("n1")];
        let known = s.accept_many(&batch).unwrap();
        assert_eq!(known[0], Known::New);
        assert_eq!(known[1], Known::Done(ok(b"42")));
        assert_eq!(known[2], Known::New);
        if durable {
            assert_eq!(known[3], Known::Pending);
        }
        s.finish("n2", &StoredResult { ok: false, body: b"no".to_vec() }, "").unwrap();
        assert_eq!(s.result("n2").unwrap(), Some(StoredResult { ok: false, body: b"no".to_vec() }));
        assert!(s.commit().unwrap() || !durable);
        assert!(!s.commit().unwrap(), "nothing left to commit");
        if durable {
            assert_eq!(s.accept(&task("b")).unwrap(), Known::Pending);
            assert_eq!(s.unfinished().unwrap(), vec![task("b"), task("n1")]);
        }
        s.commit().unwrap();
    }

    /// Reopened after a "kill" (the store leaked, its last batch unwritten):
    /// what was committed is there, the rest is not.
    fn survives_reopen(open: &dyn Fn() -> Box<dyn TaskStore>) {
        {
            let mut s = open();
            exercise(&mut *s, true);
            s.accept(&task("c")).unwrap(); // left uncommitted: lost with the process, like a batch cut by a kill
            std::mem::forget(s);
        }
        let mut s = open();
        let ids: Vec<String> = s.unfinished().unwrap().into_iter().map(|t| t.id).collect();
        assert_eq!(ids, vec!["b".to_string(), "n1".to_string()]);
        assert!(s.result("a").unwrap().unwrap().ok);
        assert!(!s.result("n2").unwrap().unwrap().ok);
    }

    #[test]
    fn memory() {
        let mut m = MemoryStore::new(2);
        exercise(&mut m, false);
        for i in 0..5 {
            m.finish(&format!("k{i}"), &StoredResult { ok: false, body: vec![] }, "").unwrap();
        }
        assert_eq!(m.results.len(), 2, "bounded");
    }

    #[test]
    fn sqlite_survives_reopen() {
        let dir = std::env::temp_dir().join(format!("hb-store-{}-{}", std::process::id(), crate::wire::task::random_u64()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        survives_reopen(&|| Box::new(SqliteStore::open(&path, false).unwrap()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn postgres_survives_reopen() {
        let Some(url) = pg::test_url("reopen") else { return };
        survives_reopen(&|| Box::new(PgStore::open(&url, false).unwrap()));
    }

    #[test]
    fn postgres_keeps_its_batch_across_a_lost_connection_and_shows_the_view() {
        let Some(url) = pg::test_url("lost") else { return };
        let mut s = PgStore::open(&url, false).unwrap();
        s.accept(&task("a")).unwrap();
        s.finish("a", &ok("ñ 42".as_bytes()), "w1").unwrap();
        s.accept(&task("b")).unwrap();
        s.accept(&StoredTask { body: vec![0xff, b'z'], ..task("bin") }).unwrap();
        s.finish("bin", &StoredResult { ok: false, body: b"bad".to_vec() }, "").unwrap();
        // Another session cuts this store's connection, as a server restart would.
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match s.commit() {
                Ok(wrote) => {
                    assert!(wrote, "the batch was kept");
                    break;
                }
                Err(e) => assert!(std::time::Instant::now() < until, "never committed again: {e}"),
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        drop(s);
        let mut s = PgStore::open(&url, false).unwrap();
        assert_eq!(s.result("a").unwrap(), Some(ok("ñ 42".as_bytes())));
        assert_eq!(s.unfinished().unwrap(), vec![task("b")]);
        // The view people read with psql: bodies as text (other bytes escaped).
        let rows = admin
            .query(
                "SELECT concat_ws('|', request, service, body, status, coalesce(result, '-'), coalesce(worker, '-'), \
                 coalesce((finished_at >= accepted_at)::text, '-')) FROM results ORDER BY request",
                &[],
            )
            .unwrap();
        let got: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        assert_eq!(got, ["a|A|x|ok|ñ 42|w1|true", "b|A|x|pending|-|-|-", "bin|A|\\377z|error|bad||true"]);
        // A schema newer than this build is refused.
        admin.execute("UPDATE hypobus_schema SET version = 99", &[]).unwrap();
        let e = PgStore::open(&url, false).err().expect("refused").to_string();
        assert!(e.contains("schema version 99"), "{e}");
    }

    #[test]
    fn store_urls() {
        assert_eq!(StoreConfig::parse("", false).unwrap(), StoreConfig::Memory);
        assert_eq!(StoreConfig::parse("sqlite:x.db", true).unwrap(), StoreConfig::Sqlite { path: "x.db".into(), full_sync: true });
        let u = "postgresql://me:secret@db.example:5433/tasks?connect_timeout=2";
        assert_eq!(StoreConfig::parse(u, false).unwrap().describe(), "postgresql://me:***@db.example:5433/tasks?connect_timeout=2");
        assert_eq!(pg::with_database(u, "other"), "postgresql://me:secret@db.example:5433/other?connect_timeout=2");
        assert_eq!(pg::with_database("postgres://h", "d"), "postgres://h/d");
        for bad in ["sqlite:", "mysql://x", "tasks.db"] {
            assert!(StoreConfig::parse(bad, false).is_err(), "{bad}");
        }
    }
}
