//! The observer's handle: start (connect to the brokers), take what it found, snapshots and summaries, stop.

use super::*;

impl Observer {
    /// Connect to every broker's XPUB (and heartbeat) endpoint and start
    /// watching on a thread named `hypobus-watch`.
    pub fn start(cfg: WatchConfig) -> Result<Observer> {
        if cfg.brokers.is_empty() {
            return Err(Error::Config("at least one broker to watch is needed".into()));
        }
        let ctx = ctx::context();
        let keys = cfg.curve.server_key.as_ref().map(|_| cfg.curve.client_keys()).transpose()?;
        let mut subs = Vec::new();
        let mut hbs = Vec::new();
        crate::lab::brokers::BrokerAddr::check_served(cfg.brokers.iter().map(|b| b.xpub.as_str()))?;
        for (i, b) in cfg.brokers.iter().enumerate() {
            let s = ctx.socket(zmq::SUB)?;
            ctx::tune(&s)?;
            s.set_reconnect_ivl(50)?;
            s.set_reconnect_ivl_max(500)?;
            if b.xpub.contains('[') {
                s.set_ipv6(true)?;
            }
            s.set_subscribe(b"")?;
            s.set_subscribe(b"hypobus.")?;
            if let Some(k) = &keys {
                cfg.curve.connect_with(&s, k, None)?;
            }
            crate::sys::ctx::no_eintr(|| s.connect(&b.xpub)).map_err(|e| Error::Config(format!("cannot connect to {}: {e}", b.xpub)))?;
            subs.push(s);
            if let Some(hb) = &b.hb {
                let h = ctx.socket(zmq::SUB)?;
                ctx::tune(&h)?;
                h.set_reconnect_ivl(50)?;
                h.set_reconnect_ivl_max(200)?;
                if hb.contains('[') {
                    h.set_ipv6(true)?;
                }
                h.set_subscribe(b"")?;
                if let Some(k) = &keys {
                    cfg.curve.connect_with(&h, k, None)?;
                }
                crate::sys::ctx::no_eintr(|| h.connect(hb)).map_err(|e| Error::Config(format!("cannot connect to {hb}: {e}")))?;
                hbs.push((i, h));
            }
        }
        let fd = Notifier::new()?;
        let clock = Clock::new();
        let view = View {
            recent: VecDeque::new(),
            timeline: VecDeque::new(),
            brokers: cfg
                .brokers
                .iter()
                .map(|b| BrokerView {
                    name: b.name.clone(),
                    xpub: b.xpub.clone(),
                    hb: b.hb.clone(),
                    alive: false,
                    active: false,
                    reported: String::new(),
                    messages: 0,
                })
                .collect(),
            roles: BTreeMap::new(),
            done: VecDeque::new(),
            accepting: VecDeque::from([(clock.base_us, None)]),
            seq_mark: None,
            seq_rate: None,
            sum: Summary::default(),
            confirmed_fallbacks: 0,
            version: 0,
            started_us: clock.base_us,
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue { q: VecDeque::new(), dropped: 0, ended: false }),
            fd,
            view: Mutex::new(view),
            queue_max: cfg.queue_max.max(1),
            recent_max: cfg.recent.max(1),
            messages: Default::default(),
        });
        let mut w = Watcher {
            tracker: Tracker::new(cfg.tracker),
            sampling: cfg.sampling,
            mode: Mode::Full { since: Instant::now(), count: 0 },
            brokers: (0..cfg.brokers.len()).map(|_| BrokerState::default()).collect(),
            names: cfg.brokers.iter().map(|b| b.name.clone()).collect(),
            subs,
            hbs,
            shared: shared.clone(),
            clock,
            pending: Vec::new(),
            window_opening: false,
        };
        let runner = Runner::spawn(&ctx, "hypobus-watch", move |stop| w.run(stop))?;
        Ok(Observer { runner, shared, brokers: cfg.brokers })
    }

    /// The brokers watched.
    pub fn brokers(&self) -> &[WatchBroker] {
        &self.brokers
    }

    /// The next event, waiting at most `timeout` (`None`: none came, or
    /// the observer stopped and nothing is left).
    pub fn next(&self, timeout: Duration) -> Option<WatchEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.try_next() {
                return Some(e);
            }
            if lock(&self.shared.queue).ended {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            let mut p = libc::pollfd { fd: self.shared.fd.fd(), events: libc::POLLIN, revents: 0 };
            let ms = (deadline - now).as_millis().min(1000) as i32 + 1;
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut p, 1, ms) };
        }
    }

    /// The next event if one is queued (never waits).
    pub fn try_next(&self) -> Option<WatchEvent> {
        let mut q = lock(&self.shared.queue);
        let e = q.q.pop_front();
        if q.q.is_empty() && !q.ended {
            self.shared.signal(false);
        }
        e
    }

    /// Take the next queued event if `accept` says the caller can take it
    /// (never waits): `Got`, `Refused` (it stays queued), `Empty` or `Ended`
    /// (stopped, nothing left).
    pub fn try_take(&self, accept: impl FnOnce(&WatchEvent) -> bool) -> Take {
        let mut q = lock(&self.shared.queue);
        let r = match q.q.front() {
            Some(e) if !accept(e) => return Take::Refused,
            Some(_) => Take::Got(q.q.pop_front().expect("front")),
            None if q.ended => return Take::Ended,
            None => Take::Empty,
        };
        if q.q.is_empty() && !q.ended {
            self.shared.signal(false);
        }
        r
    }

    /// Look at the next queued event without taking it.
    pub fn peek_with<R>(&self, f: impl FnOnce(Option<&WatchEvent>, bool) -> R) -> R {
        let q = lock(&self.shared.queue);
        f(q.q.front(), q.ended)
    }

    /// Give back an event just taken (the caller could not take it): it is
    /// returned first.
    pub fn unget(&self, e: WatchEvent) {
        lock(&self.shared.queue).q.push_front(e);
        self.shared.signal(true);
    }

    /// The descriptor that is readable while events are queued.
    pub fn event_fd(&self) -> RawFd {
        self.shared.fd.fd()
    }

    /// Wait (at most `timeout`) for the next finished trace, skipping other
    /// events (broker and role events stay in the snapshot's timeline).
    pub fn next_trace(&self, timeout: Duration) -> Option<Trace> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left)? {
                WatchEvent::Trace(t) => return Some(*t),
                _ if left.is_zero() => return None,
                _ => {}
            }
        }
    }

    /// The live numbers.
    pub fn summary(&self) -> Summary {
        let v = lock(&self.shared.view);
        let mut s = v.summary(now_us());
        s.dropped = lock(&self.shared.queue).dropped;
        s
    }

    /// The last finished traces, oldest first.
    pub fn recent(&self) -> Vec<Trace> {
        lock(&self.shared.view).recent.iter().cloned().collect()
    }

    /// Everything a view shows.
    pub fn snapshot(&self) -> Snapshot {
        let v = lock(&self.shared.view);
        let mut summary = v.summary(now_us());
        summary.dropped = lock(&self.shared.queue).dropped;
        Snapshot {
            recent: v.recent.iter().cloned().collect(),
            timeline: v.timeline.iter().cloned().collect(),
            brokers: v.brokers.clone(),
            roles: v.roles.iter().map(|(k, c)| (k.clone(), *c)).collect(),
            summary,
            version: v.version,
            started_us: v.started_us,
        }
    }

    /// Messages received so far, over every broker (heartbeats not counted).
    pub fn messages(&self) -> u64 {
        self.shared.messages.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Grows with every change of the snapshot.
    pub fn version(&self) -> u64 {
        lock(&self.shared.view).version
    }

    /// True while the observer's thread runs.
    pub fn is_running(&self) -> bool {
        self.runner.is_running()
    }

    /// Stop watching: traces still open are handed out as they are (lost
    /// if unanswered), then the queue ends.
    pub fn stop(&mut self) -> Result<()> {
        let r = self.runner.stop();
        let mut q = lock(&self.shared.queue);
        q.ended = true;
        drop(q);
        self.shared.signal(true);
        r
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
