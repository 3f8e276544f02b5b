//! The PostgreSQL journal: a task broker's requests and results in a
//! database that other machines (and people, with `psql`) can reach.
//!
//! The same guarantees as the SQLite journal, with one round trip per
//! batch each way instead of one per request:
//!
//! * [`accept_many`](TaskStore::accept_many) looks the whole batch of new
//!   ids up with one `SELECT … WHERE id = ANY($1)` (a known id gets its known
//!   outcome and does not run again) and buffers the new rows; course
//!   clients' requests (`classic`: an id the broker just made) are new by
//!   construction and skip the look-up;
//! * [`finish`](TaskStore::finish) buffers the outcome (merged into the new
//!   row when the request came in the same batch);
//! * [`commit`](TaskStore::commit) writes every buffered row in **one
//!   statement** (an `INSERT … SELECT FROM unnest(arrays)` and an `UPDATE …
//!   FROM unnest(arrays)` in one `WITH`), which PostgreSQL commits as one
//!   transaction. The broker answers clients only after it returns.
//!
//! Durability, as SQLite's: by default the broker's session commits with
//! `synchronous_commit = off`: a commit is in the server (visible, in its
//! WAL) when it returns, so it survives the broker killed at any moment
//! and a clean stop or restart of the server; a crash of the server's
//! machine may lose its last fraction of a second (SQLite `NORMAL` in WAL
//! mode: the same class). `full_sync` keeps the server's own setting (`on`
//! by default: every commit waits for the disk), much slower.
//!
//! When the server is gone (stopped, restarted, the connection cut), a
//! commit fails and **keeps its batch**: the broker holds the answers and
//! calls it again, and the store connects again (after [`RECONNECT_EVERY`],
//! doubling up to [`RECONNECT_MAX`] while it fails: each attempt may wait
//! up to the connect time-out on the broker's thread); lookups of new ids
//! fail meanwhile, so new requests get an error at once. Nothing accepted
//! is lost.
//!
//! Schema (created on first use under an advisory lock, versioned in
//! `hypobus_schema`): table `tasks` (`id` primary key, `seq`, `service`,
//! `body`, `route`, `classic`, `accepted_ms`, `state` 0 pending / 1 ok /
//! 2 error, `result`, `worker`, `finished_ms`) and the view `results`
//! (`request`, `service`, `body`, `status`, `result`, `worker`,
//! `accepted_at`, `finished_at`: bodies as text) for people.

use super::{Known, StoredResult, StoredTask, TaskStore};
use crate::error::{Error, Result};
use crate::task::FxMap;
use postgres::{error::SqlState, Client, Config, NoTls, Statement};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The schema version this build writes (in `hypobus_schema.version`).
pub const SCHEMA_VERSION: i32 = 1;

/// A lost connection is tried again at most this often.
pub const RECONNECT_EVERY: Duration = Duration::from_millis(250);

/// The longest wait between two attempts to connect again.
pub const RECONNECT_MAX: Duration = Duration::from_secs(4);

/// Connecting gives up after this long unless the URL says
/// (`connect_timeout=`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Serializes brokers creating the schema at the same time ("hypobus").
const SCHEMA_LOCK: i64 = 0x0068_7970_6f62_7573;

const SCHEMA_V1: &str = "
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    seq BIGSERIAL NOT NULL,
    service TEXT NOT NULL,
    body BYTEA NOT NULL,
    route BYTEA NOT NULL,
    classic BOOLEAN NOT NULL,
    accepted_ms BIGINT NOT NULL,
    state SMALLINT NOT NULL DEFAULT 0,
    result BYTEA,
    worker TEXT,
    finished_ms BIGINT
);
CREATE INDEX tasks_pending ON tasks (seq) WHERE state = 0;
CREATE FUNCTION hypobus_text(b BYTEA) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    RETURN convert_from(b, 'UTF8');
EXCEPTION WHEN OTHERS THEN
    RETURN encode(b, 'escape');
END $$;
CREATE VIEW results AS
SELECT id AS request,
       service,
       hypobus_text(body) AS body,
       CASE state WHEN 0 THEN 'pending' WHEN 1 THEN 'ok' ELSE 'error' END AS status,
       hypobus_text(result) AS result,
       worker,
       to_timestamp(accepted_ms / 1000.0) AS accepted_at,
       to_timestamp(finished_ms / 1000.0) AS finished_at
FROM tasks;
COMMENT ON VIEW results IS 'hypobus task broker: every request with its result (tareas_resultados)';
";

const COMMIT: &str = "
WITH ins AS (
    INSERT INTO tasks (id, service, body, route, classic, accepted_ms, state, result, worker, finished_ms)
    SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bytea[], $5::bool[], $6::int8[],
                         $7::int2[], $8::bytea[], $9::text[], $10::int8[])
    ON CONFLICT (id) DO UPDATE
        SET state = EXCLUDED.state, result = EXCLUDED.result, worker = EXCLUDED.worker, finished_ms = EXCLUDED.finished_ms
        WHERE tasks.state = 0 AND EXCLUDED.state <> 0
), upd AS (
    UPDATE tasks t SET state = u.state, result = u.result, worker = u.worker, finished_ms = u.finished_ms
    FROM unnest($11::text[], $12::int2[], $13::bytea[], $14::text[], $15::int8[]) AS u(id, state, result, worker, finished_ms)
    WHERE t.id = u.id
)
SELECT 1";

fn pg_err(what: &str, e: postgres::Error) -> Error {
    Error::Config(format!("task store (postgres): {what}: {}", why(&e)))
}

/// The error with its causes ("error connecting to server: Connection refused …").
fn why(e: &postgres::Error) -> String {
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !s.contains(&c_text) {
            s = format!("{s}: {c_text}");
        }
        cause = c.source();
    }
    s
}

/// The URL with its password (if any) replaced by `***`, for logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..auth_end].rfind('@').and_then(|at| rest[..at].find(':').map(|c| (c, at))) {
        Some((colon, at)) => format!("{scheme}://{}:***{}", &rest[..colon], &rest[at..]),
        None => url.to_string(),
    }
}

/// The same URL naming database `db` instead (the path after the host).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let host = rest.split_once('/').map_or(rest, |(h, _)| h);
    format!("{scheme}://{host}/{db}{query}")
}

/// For tests: `$HYPOBUS_PG_URL` naming a database of its own for `name`
/// (made unique per process; the store creates it on first use). `None`
/// when the variable is unset, and then a panic if `HYPOBUS_REQUIRE_PG=1`
/// (the test command with a server must not skip).
#[doc(hidden)]
pub fn test_url(name: &str) -> Option<String> {
    match std::env::var("HYPOBUS_PG_URL") {
        Ok(u) if !u.is_empty() => {
            Some(with_database(&u, &format!("hb_{name}_{}_{:x}", std::process::id(), crate::wire::task::random_u64() as u32)))
        }
        _ if std::env::var("HYPOBUS_REQUIRE_PG").as_deref() == Ok("1") => {
            panic!("HYPOBUS_REQUIRE_PG=1 but HYPOBUS_PG_URL is not set (run scripts/pg.sh)")
        }
        _ => {
            eprintln!("skipped: no HYPOBUS_PG_URL (scripts/pg.sh starts a PostgreSQL and sets it)");
            None
        }
    }
}

struct Stmts {
    lookup: Statement,
    one: Statement,
    commit: Statement,
}

/// A finished request's outcome as it will be written.
#[derive(Clone)]
struct Outcome {
    result: StoredResult,
    worker: String,
    finished_ms: i64,
}

/// The PostgreSQL journal (see the module's documentation).
pub struct PgStore {
    config: Config,
    full_sync: bool,
    url: String,
    conn: Option<(Client, Stmts)>,
    /// No attempt to connect again before this.
    next_connect: Option<Instant>,
    reconnect_wait: Duration,
    /// New requests not yet written, with their outcome when they finished
    /// before the commit.
    ins: Vec<(StoredTask, Option<Outcome>)>,
    ins_idx: FxMap<String, usize>,
    /// Outcomes of requests written earlier.
    upd: Vec<(String, Outcome)>,
    upd_idx: FxMap<String, usize>,
}

impl PgStore {
    /// Connect to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?…]`,
    /// or `postgresql://`), creating the database when it is missing and the
    /// user may, and the schema when it is missing.
    pub fn open(url: &str, full_sync: bool) -> Result<PgStore> {
        let mut config = Config::from_str(url).map_err(|e| Error::Config(format!("bad PostgreSQL URL {}: {e}", redact(url))))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            // A server that stops answering on TCP fails the call instead of blocking the broker.
            config.tcp_user_timeout(Duration::from_secs(10));
        }
        if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
            // libpq's default (2 h) unless the URL says: a dead peer noticed sooner.
            config.keepalives_idle(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("hypobus-task-broker");
        }
        let mut s = PgStore {
            config,
            full_sync,
            url: redact(url),
            conn: None,
            next_connect: None,
            reconnect_wait: RECONNECT_EVERY,
            ins: Vec::new(),
            ins_idx: FxMap::default(),
            upd: Vec::new(),
            upd_idx: FxMap::default(),
        };
        let client = s.connect_creating()?;
        s.conn = Some(client);
        Ok(s)
    }

    fn connect_creating(&mut self) -> Result<(Client, Stmts)> {
        match self.config.connect(NoTls) {
            Ok(c) => self.ready(c),
            Err(e) if e.code() == Some(&SqlState::INVALID_CATALOG_NAME) => {
                let db = self.config.get_dbname().unwrap_or_default().to_string();
                let mut admin = self.config.clone();
                admin.dbname("postgres");
                let mut a = admin.connect(NoTls).map_err(|e2| {
                    Error::Config(format!(
                        "task store {}: {}; and cannot connect to database postgres to create it: {}",
                        self.url,
                        why(&e),
                        why(&e2)
                    ))
                })?;
                match a.batch_execute(&format!("CREATE DATABASE \"{}\"", db.replace('"', "\"\""))) {
                    Ok(()) => {}
                    Err(e2) if e2.code() == Some(&SqlState::DUPLICATE_DATABASE) => {}
                    Err(e2) => {
                        return Err(Error::Config(format!("task store {}: {}; and cannot create it: {}", self.url, why(&e), why(&e2))))
                    }
                }
                let c = self.config.connect(NoTls).map_err(|e| pg_err("connect", e))?;
                self.ready(c)
            }
            Err(e) => Err(Error::Config(format!("cannot open task store {}: {}", self.url, why(&e)))),
        }
    }

    /// Check (or create) the schema and prepare the statements.
    fn ready(&self, mut c: Client) -> Result<(Client, Stmts)> {
        let mut tx = c.transaction().map_err(|e| pg_err("begin", e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK]).map_err(|e| pg_err("schema lock", e))?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS hypobus_schema (version INTEGER NOT NULL)").map_err(|e| pg_err("schema", e))?;
        let v: Option<i32> =
            tx.query_opt("SELECT max(version) FROM hypobus_schema", &[]).map_err(|e| pg_err("schema version", e))?.and_then(|r| r.get(0));
        match v {
            None => {
                tx.batch_execute(SCHEMA_V1).map_err(|e| pg_err("create the schema", e))?;
                tx.execute("INSERT INTO hypobus_schema (version) VALUES ($1)", &[&SCHEMA_VERSION])
                    .map_err(|e| pg_err("schema version", e))?;
            }
            Some(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(Error::Config(format!(
                    "task store {}: schema version {v}, this broker knows version {SCHEMA_VERSION} (a newer broker made it?)",
                    self.url
                )))
            }
        }
        tx.commit().map_err(|e| pg_err("create the schema", e))?;
        // Plans made for the statements' actual arrays: a generic plan made
        // while the table was small (seq scans) would stay as it grows.
        c.batch_execute("SET plan_cache_mode = force_custom_plan").map_err(|e| pg_err("plan_cache_mode", e))?;
        if !self.full_sync {
            c.batch_execute("SET synchronous_commit = off").map_err(|e| pg_err("synchronous_commit", e))?;
        }
        let stmts = Stmts {
            lookup: c.prepare("SELECT id, state, result FROM tasks WHERE id = ANY($1)").map_err(|e| pg_err("prepare", e))?,
            one: c.prepare("SELECT state, result FROM tasks WHERE id = $1").map_err(|e| pg_err("prepare", e))?,
            commit: c.prepare(COMMIT).map_err(|e| pg_err("prepare", e))?,
        };
        Ok((c, stmts))
    }

    /// The connection, made again when it was lost (waits between attempts:
    /// [`RECONNECT_EVERY`], doubling to [`RECONNECT_MAX`] while they fail).
    fn conn(&mut self) -> Result<&mut (Client, Stmts)> {
        if self.conn.as_ref().is_some_and(|(c, _)| c.is_closed()) {
            self.conn = None;
        }
        if self.conn.is_none() {
            if self.next_connect.is_some_and(|t| Instant::now() < t) {
                return Err(Error::Config(format!("task store {}: no connection (trying again)", self.url)));
            }
            let made = self
                .config
                .connect(NoTls)
                .map_err(|e| Error::Config(format!("task store {}: cannot connect: {}", self.url, why(&e))))
                .and_then(|c| self.ready(c));
            match made {
                Ok(c) => {
                    self.conn = Some(c);
                    self.reconnect_wait = RECONNECT_EVERY;
                }
                Err(e) => {
                    self.next_connect = Some(Instant::now() + self.reconnect_wait);
                    self.reconnect_wait = (self.reconnect_wait * 2).min(RECONNECT_MAX);
                    return Err(e);
                }
            }
        }
        Ok(self.conn.as_mut().expect("connected"))
    }

    /// A failed call: forget a connection that is gone, so the next call connects again.
    fn failed(&mut self, what: &str, e: postgres::Error) -> Error {
        if e.is_closed() || e.code().is_none() || self.conn.as_ref().is_some_and(|(c, _)| c.is_closed()) {
            self.conn = None;
        }
        Error::Config(format!("task store {}: {what}: {}", self.url, why(&e)))
    }

    /// What the buffers know of an id.
    fn local(&self, id: &str) -> Option<Known> {
        if let Some(&i) = self.upd_idx.get(id) {
            return Some(Known::Done(self.upd[i].1.result.clone()));
        }
        self.ins_idx.get(id).map(|&i| match &self.ins[i].1 {
            Some(o) => Known::Done(o.result.clone()),
            None => Known::Pending,
        })
    }

    fn buffer(&mut self, t: &StoredTask) {
        self.ins_idx.insert(t.id.clone(), self.ins.len());
        self.ins.push((t.clone(), None));
    }
}

fn outcome_of(state: i16, body: Option<Vec<u8>>) -> Option<StoredResult> {
    (state != 0).then(|| StoredResult { ok: state == 1, body: body.unwrap_or_default() })
}

fn state_of(r: &StoredResult) -> i16 {
    if r.ok {
        1
    } else {
        2
    }
}

impl TaskStore for PgStore {
    fn accept(&mut self, t: &StoredTask) -> Result<Known> {
        Ok(self.accept_many(std::slice::from_ref(t))?.pop().expect("one answer"))
    }

    fn accept_many(&mut self, ts: &[StoredTask]) -> Result<Vec<Known>> {
        // A course client's request has an id the broker just made (its
        // `classic` flag): new by construction, nothing to look up.
        let ask: Vec<&str> = ts.iter().filter(|t| !t.classic && self.local(&t.id).is_none()).map(|t| t.id.as_str()).collect();
        let mut found: FxMap<String, Option<StoredResult>> = FxMap::default();
        if !ask.is_empty() {
            let rows = {
                let (c, st) = self.conn()?;
                c.query(&st.lookup, &[&ask])
            };
            for r in rows.map_err(|e| self.failed("look up requests", e))? {
                found.insert(r.get(0), outcome_of(r.get(1), r.get(2)));
            }
        }
        let mut out = Vec::with_capacity(ts.len());
        for t in ts {
            out.push(match self.local(&t.id) {
                Some(k) => k,
                None => match found.get(&t.id) {
                    Some(Some(r)) => Known::Done(r.clone()),
                    Some(None) => Known::Pending,
                    None => {
                        self.buffer(t);
                        Known::New
                    }
                },
            });
        }
        Ok(out)
    }

    fn finish(&mut self, id: &str, result: &StoredResult, worker: &str) -> Result<()> {
        let o = Outcome { result: result.clone(), worker: worker.to_string(), finished_ms: crate::log::now_ms() as i64 };
        if let Some(&i) = self.ins_idx.get(id) {
            self.ins[i].1 = Some(o);
        } else if let Some(&i) = self.upd_idx.get(id) {
            self.upd[i].1 = o;
        } else {
            self.upd_idx.insert(id.to_string(), self.upd.len());
            self.upd.push((id.to_string(), o));
        }
        Ok(())
    }

    fn result(&mut self, id: &str) -> Result<Option<StoredResult>> {
        if let Some(k) = self.local(id) {
            return Ok(match k {
                Known::Done(r) => Some(r),
                _ => None,
            });
        }
        let row = {
            let (c, st) = self.conn()?;
            c.query_opt(&st.one, &[&id])
        };
        Ok(row.map_err(|e| self.failed("read a result", e))?.and_then(|r| outcome_of(r.get(0), r.get(1))))
    }

    fn unfinished(&mut self) -> Result<Vec<StoredTask>> {
        self.commit()?;
        let rows = {
            let (c, _) = self.conn()?;
            c.query("SELECT id, service, body, route, classic, accepted_ms FROM tasks WHERE state = 0 ORDER BY seq", &[])
        };
        Ok(rows
            .map_err(|e| self.failed("read the unfinished requests", e))?
            .into_iter()
            .map(|r| StoredTask {
                id: r.get(0),
                service: r.get(1),
                body: r.get(2),
                route: r.get(3),
                classic: r.get(4),
                accepted_ms: r.get::<_, i64>(5) as u64,
            })
            .collect())
    }

    fn commit(&mut self) -> Result<bool> {
        if self.ins.is_empty() && self.upd.is_empty() {
            return Ok(false);
        }
        let r = {
            let ins = &self.ins;
            let i_id: Vec<&str> = ins.iter().map(|(t, _)| t.id.as_str()).collect();
            let i_service: Vec<&str> = ins.iter().map(|(t, _)| t.service.as_str()).collect();
            let i_body: Vec<&[u8]> = ins.iter().map(|(t, _)| &t.body[..]).collect();
            let i_route: Vec<&[u8]> = ins.iter().map(|(t, _)| &t.route[..]).collect();
            let i_classic: Vec<bool> = ins.iter().map(|(t, _)| t.classic).collect();
            let i_accepted: Vec<i64> = ins.iter().map(|(t, _)| t.accepted_ms as i64).collect();
            let i_state: Vec<i16> = ins.iter().map(|(_, o)| o.as_ref().map_or(0, |o| state_of(&o.result))).collect();
            let i_result: Vec<Option<&[u8]>> = ins.iter().map(|(_, o)| o.as_ref().map(|o| &o.result.body[..])).collect();
            let i_worker: Vec<Option<&str>> = ins.iter().map(|(_, o)| o.as_ref().map(|o| o.worker.as_str())).collect();
            let i_finished: Vec<Option<i64>> = ins.iter().map(|(_, o)| o.as_ref().map(|o| o.finished_ms)).collect();
            let upd = &self.upd;
            let u_id: Vec<&str> = upd.iter().map(|(id, _)| id.as_str()).collect();
            let u_state: Vec<i16> = upd.iter().map(|(_, o)| state_of(&o.result)).collect();
            let u_result: Vec<&[u8]> = upd.iter().map(|(_, o)| &o.result.body[..]).collect();
            let u_worker: Vec<&str> = upd.iter().map(|(_, o)| o.worker.as_str()).collect();
            let u_finished: Vec<i64> = upd.iter().map(|(_, o)| o.finished_ms).collect();
            self.conn.as_mut().filter(|(c, _)| !c.is_closed()).map(|(c, st)| {
                c.execute(
                    &st.commit,
                    &[
                        &i_id,
                        &i_service,
                        &i_body,
                        &i_route,
                        &i_classic,
                        &i_accepted,
                        &i_state,
                        &i_result,
                        &i_worker,
                        &i_finished,
                        &u_id,
                        &u_state,
                        &u_result,
                        &u_worker,
                        &u_finished,
                    ],
                )
            })
        };
        let Some(r) = r else {
            // Connect again (throttled), then write.
            self.conn()?;
            return self.commit();
        };
        r.map_err(|e| self.failed("commit", e))?;
        self.ins.clear();
        self.ins_idx.clear();
        self.upd.clear();
        self.upd_idx.clear();
        Ok(true)
    }

    fn keeps_failed_batch(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        self.url.clone()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        let _ = self.commit();
    }
}
