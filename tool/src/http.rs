//! The live page of `hypobus watch --http ADDR:PORT`: a tiny HTTP/1.1
//! server on `std::net` (no crate) that serves one self-contained page
//! (HTML, CSS and JS embedded in the binary, nothing from the network) and
//! pushes the observer's state to it with server-sent events.
//!
//! Routes: `/` the page; `/events` the event stream (at most 4 updates a
//! second, each the whole state: the diagram of the latest requests as SVG,
//! the failover timeline as SVG, the role counters, the summary); `/state`
//! the same state once, as JSON; `/diagram.svg` the diagram alone.
//!
//! The server renders on its side from the observer's snapshot, which the
//! observer keeps aggregated (sampling under load), so what the browser
//! gets does not grow with the lab's traffic.

use hypobus::error::{Error, Result};
use hypobus::watch::{json, now_us, render, Observer};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The page, embedded at build time.
pub const PAGE: &str = include_str!("page.html");

/// Requests shown in the live diagram (newest first).
const SHOWN: usize = 4;
/// Time between two updates of one event stream.
const PERIOD: Duration = Duration::from_millis(250);
/// Most connections served at once.
const MAX_CONNS: usize = 32;

/// The whole state for the page, as JSON.
pub fn state_json(obs: &Observer) -> String {
    let s = obs.snapshot();
    let names: Vec<String> = s.brokers.iter().map(|b| b.name.clone()).collect();
    let latest: Vec<_> = s.recent.iter().rev().take(SHOWN).cloned().collect();
    let diagram = render::svg_fragment(&latest, &names, &s.timeline);
    let now = now_us();
    let from = s.started_us.max(now.saturating_sub(120_000_000));
    let timeline = render::timeline_svg(&s.brokers, &s.timeline, from, now);
    let events: Vec<String> = s.timeline.iter().rev().take(12).map(json::broker_event).collect();
    let traces: Vec<String> = latest.iter().map(|t| json::trace(t, &names)).collect();
    format!(
        r#"{{"version":{},"summary":{},"brokers":{},"diagram":{},"timeline":{},"roles":{},"events":[{}],"traces":[{}]}}"#,
        s.version,
        json::summary(&s.summary),
        json::brokers(&s.brokers),
        json::string(&diagram),
        json::string(&timeline),
        json::string(&render::roles_rows(&s.roles)),
        events.join(","),
        traces.join(",")
    )
}

/// A running page server. Dropping it stops it.
pub struct WebServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WebServer {
    /// Bind `bind` (`127.0.0.1:8080`; port 0 picks a free one) and serve
    /// the page of `obs` on a thread (`hypobus-http`, one more per connection).
    pub fn start(bind: &str, obs: Arc<Observer>) -> Result<WebServer> {
        let listener = TcpListener::bind(bind).map_err(|e| Error::Config(format!("cannot listen on {bind}: {e}")))?;
        let addr = listener.local_addr().map_err(|e| Error::Config(format!("cannot listen on {bind}: {e}")))?;
        listener.set_nonblocking(true).map_err(|e| Error::Config(format!("{bind}: {e}")))?;
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let thread = std::thread::Builder::new()
            .name("hypobus-http".into())
            .spawn(move || {
                hypobus::sys::runner::block_signals();
                serve(listener, obs, st)
            })
            .map_err(|e| Error::Config(format!("cannot start the web server thread: {e}")))?;
        Ok(WebServer { addr, stop, thread: Some(thread) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving (open event streams end within a period).
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(listener: TcpListener, obs: Arc<Observer>, stop: Arc<AtomicBool>) {
    let conns = Arc::new(AtomicUsize::new(0));
    let mut handlers = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((s, _)) => {
                if conns.load(Ordering::SeqCst) >= MAX_CONNS {
                    let _ = reply(&s, "503 Service Unavailable", "text/plain", b"too many connections\n");
                    continue;
                }
                conns.fetch_add(1, Ordering::SeqCst);
                let (obs, stop, conns) = (obs.clone(), stop.clone(), conns.clone());
                let h = std::thread::Builder::new().name("hypobus-http-conn".into()).spawn(move || {
                    hypobus::sys::runner::block_signals();
                    let _ = handle(s, &obs, &stop);
                    conns.fetch_sub(1, Ordering::SeqCst);
                });
                if let Ok(h) = h {
                    handlers.push(h);
                }
                handlers.retain(|h| !h.is_finished());
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    for h in handlers {
        let _ = h.join();
    }
}

fn reply(mut s: &TcpStream, status: &str, ctype: &str, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    s.flush()
}

fn handle(s: TcpStream, obs: &Observer, stop: &AtomicBool) -> std::io::Result<()> {
    s.set_nonblocking(false)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut r = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    // Skip the headers (bounded).
    for _ in 0..100 {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return reply(&s, "405 Method Not Allowed", "text/plain", b"GET only\n");
    }
    match path.split('?').next().unwrap_or("/") {
        "/" | "/index.html" => reply(&s, "200 OK", "text/html; charset=utf-8", PAGE.as_bytes()),
        "/state" => reply(&s, "200 OK", "application/json", state_json(obs).as_bytes()),
        "/diagram.svg" => {
            let snap = obs.snapshot();
            let names: Vec<String> = snap.brokers.iter().map(|b| b.name.clone()).collect();
            let latest: Vec<_> = snap.recent.iter().rev().take(SHOWN).cloned().collect();
            reply(&s, "200 OK", "image/svg+xml", render::svg(&latest, &names, &snap.timeline).as_bytes())
        }
        "/events" => events(s, obs, stop),
        _ => reply(&s, "404 Not Found", "text/plain", b"not found\n"),
    }
}

/// The event stream: the state whenever it changed, at most every PERIOD,
/// and at least every 2 s (the timeline moves, and a dead client is found).
fn events(mut s: TcpStream, obs: &Observer, stop: &AtomicBool) -> std::io::Result<()> {
    s.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n\r\nretry: 1000\n\n",
    )?;
    let mut last_version = u64::MAX;
    let mut last_sent = Instant::now() - Duration::from_secs(10);
    while !stop.load(Ordering::SeqCst) {
        let v = obs.version();
        if v != last_version || last_sent.elapsed() >= Duration::from_secs(2) {
            let msg = format!("data: {}\n\n", state_json(obs));
            s.write_all(msg.as_bytes())?;
            s.flush()?;
            last_version = v;
            last_sent = Instant::now();
        }
        std::thread::sleep(PERIOD);
    }
    Ok(())
}
