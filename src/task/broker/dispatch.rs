//! The task broker's dispatch: requests wait per service, ready workers per
//! policy (lru queue or load heap), a request goes to one worker with a
//! token of its own, a finished one is journaled.

use super::*;

impl Core {
    pub(super) fn add_req(&mut self, r: Req) -> RKey {
        let key = self.next_key;
        self.next_key += 1;
        self.by_id.insert(r.id.clone(), key);
        self.reqs.insert(key, r);
        key
    }

    pub(super) fn service(&mut self, name: &str) -> &mut Service {
        let policy = self.cfg.policy;
        if self.services.contains_key(name) {
            return self.services.get_mut(name).expect("just looked");
        }
        self.services.entry(name.to_string()).or_insert_with(|| Service {
            ready: match policy {
                Policy::Lru => Ready::Lru(VecDeque::new()),
                Policy::Load => Ready::Load(BinaryHeap::new()),
            },
            waiting: VecDeque::new(),
            workers: 0,
        })
    }

    /// Put a request in its service's queue (`front`: it was running) and dispatch what can be.
    pub(super) fn enqueue(&mut self, key: RKey, front: bool) {
        let Some(r) = self.reqs.get_mut(&key) else { return };
        r.state = State::Queued;
        let svc = r.service.clone();
        let s = self.service(&svc);
        if front {
            s.waiting.push_front(key);
        } else {
            s.waiting.push_back(key);
        }
        if s.workers == 0 && !self.peer_serves(&svc) {
            let at = Instant::now() + self.cfg.service_wait;
            self.add_timer(at, T_SERVICE, key, 0);
        }
        self.pump(&svc);
    }

    pub(super) fn add_timer(&mut self, at: Instant, kind: u8, key: RKey, token: u64) {
        self.timers.push(Reverse((at, kind, key, token)));
    }

    /// Dispatch the waiting requests of `svc` while workers (or peers) can take them.
    pub(super) fn pump(&mut self, svc: &str) {
        loop {
            let Some(s) = self.services.get_mut(svc) else { return };
            let Some(&key) = s.waiting.front() else { return };
            if !self.reqs.get(&key).is_some_and(|r| r.state == State::Queued) {
                self.services.get_mut(svc).map(|s| s.waiting.pop_front());
                continue;
            }
            let avoid = self.reqs[&key].avoid;
            if let Some(w) = self.take_ready(svc, avoid) {
                self.services.get_mut(svc).map(|s| s.waiting.pop_front());
                self.dispatch(key, w);
                continue;
            }
            let from_peer = self.reqs[&key].from_peer;
            if !from_peer {
                if let Some(p) = self.pick_peer(svc) {
                    self.services.get_mut(svc).map(|s| s.waiting.pop_front());
                    self.forward(key, p);
                    continue;
                }
            }
            return;
        }
    }

    /// Pop a ready worker of `svc` (not `avoid` if another one is ready).
    pub(super) fn take_ready(&mut self, svc: &str, avoid: Option<WKey>) -> Option<WKey> {
        let mut skipped = None;
        let found = loop {
            let Some(w) = self.pop_ready(svc) else { break None };
            if Some(w) == avoid && skipped.is_none() {
                skipped = Some(w);
                continue;
            }
            break Some(w);
        };
        match (found, skipped) {
            (Some(w), Some(s)) => {
                // Not taken after all: its credit back, its place back.
                if let Some(x) = self.workers.get_mut(&s) {
                    x.credit += 1;
                }
                self.push_ready(s);
                Some(w)
            }
            (None, Some(s)) => Some(s),
            (f, None) => f,
        }
    }

    /// The next valid entry of `svc`'s ready structure, its credit taken.
    pub(super) fn pop_ready(&mut self, svc: &str) -> Option<WKey> {
        let s = self.services.get_mut(svc)?;
        loop {
            let (w, epoch) = match &mut s.ready {
                Ready::Lru(q) => q.pop_front()?,
                Ready::Load(h) => {
                    let Reverse((_, _, w, e)) = h.pop()?;
                    (w, e)
                }
            };
            let Some(wk) = self.workers.get_mut(&w) else { continue };
            if wk.epoch != epoch || wk.credit == 0 {
                continue;
            }
            wk.credit -= 1;
            // Out of every other service's structure until pushed again.
            wk.epoch += 1;
            return Some(w);
        }
    }

    /// Put a worker with credit back into every ready structure of its services.
    pub(super) fn push_ready(&mut self, w: WKey) {
        let Some(wk) = self.workers.get_mut(&w) else { return };
        if wk.credit == 0 {
            return;
        }
        wk.epoch += 1;
        // Taken out for the loop (no copy), put back after.
        let (epoch, load, services) = (wk.epoch, wk.load, std::mem::take(&mut wk.services));
        let seq = self.next_token; // any increasing number: ties go to the least recently used
        self.next_token += 1;
        for svc in &services {
            let s = self.service(svc);
            match &mut s.ready {
                Ready::Lru(q) => q.push_back((w, epoch)),
                Ready::Load(h) => h.push(Reverse((load, seq, w, epoch))),
            }
        }
        self.compact(&services);
        if let Some(wk) = self.workers.get_mut(&w) {
            wk.services = services;
        }
    }

    /// [`push_ready`](Core::push_ready), then dispatch what waits for its services.
    pub(super) fn ready_and_pump(&mut self, w: WKey) {
        self.push_ready(w);
        let services = self.workers.get(&w).map(|x| x.services.clone()).unwrap_or_default();
        for svc in &services {
            self.pump(svc);
        }
    }

    /// Drop stale entries when a ready structure grew much bigger than the worker count.
    pub(super) fn compact(&mut self, services: &[String]) {
        let n = self.workers.len();
        for svc in services {
            let Some(s) = self.services.get_mut(svc) else { continue };
            let len = match &s.ready {
                Ready::Lru(q) => q.len(),
                Ready::Load(h) => h.len(),
            };
            if len <= 4 * n + 64 {
                continue;
            }
            let workers = &self.workers;
            let live = |w: &WKey, e: &u64| workers.get(w).is_some_and(|x| x.epoch == *e && x.credit > 0);
            match &mut s.ready {
                Ready::Lru(q) => q.retain(|(w, e)| live(w, e)),
                Ready::Load(h) => h.retain(|Reverse((_, _, w, e))| live(w, e)),
            }
        }
    }

    pub(super) fn token_frame(&self, token: u64) -> Vec<u8> {
        format!("{}:{token}", self.epoch_tag).into_bytes()
    }

    pub(super) fn parse_token(&self, f: &[u8]) -> Option<u64> {
        let s = std::str::from_utf8(f).ok()?;
        let (tag, n) = s.split_once(':')?;
        if tag != self.epoch_tag {
            return None;
        }
        n.parse().ok()
    }

    pub(super) fn dispatch(&mut self, key: RKey, w: WKey) {
        let token = self.next_token;
        self.next_token += 1;
        let tf = self.token_frame(token);
        let (Some(r), Some(wk)) = (self.reqs.get_mut(&key), self.workers.get_mut(&w)) else { return };
        r.state = State::Running { worker: w, token };
        r.attempts += 1;
        wk.inflight.insert(token, Some(key));
        let b = &self.backend;
        let sent = match wk.kind {
            Kind::Classic => send_all(b, &[&wk.ident, b"", &tf, b"", &r.body]),
            Kind::Ours => send_all(b, &[&wk.ident, b"", WORKER, proto::REQUEST, &tf, r.id.as_bytes(), r.service.as_bytes(), &r.body]),
        };
        if let Err(e) = sent {
            log!("task-broker", "{}: cannot send to a worker: {e}", self.name);
        }
        self.st.dispatched += 1;
        let at = Instant::now() + self.cfg.answer_timeout;
        self.add_timer(at, T_ANSWER, key, token);
        // A worker with more credit stays ready.
        if self.workers.get(&w).is_some_and(|x| x.credit > 0) {
            self.push_ready(w);
        }
    }

    /// Finish a request: journal its outcome, answer its client.
    pub(super) fn finish(&mut self, key: RKey, ok: bool, body: Vec<u8>) {
        let Some(r) = self.reqs.remove(&key) else { return };
        self.by_id.remove(&r.id);
        if !ok {
            self.st.errors += 1;
        }
        let res = StoredResult { ok, body };
        let by = match r.state {
            State::Running { worker, .. } => self.workers.get(&worker).map(|w| printable(&w.ident)).unwrap_or_default(),
            State::Forwarded { peer, .. } => format!("peer:{}", self.peer_name(peer)),
            State::Queued => String::new(),
        };
        if let Err(e) = self.store.finish(&r.id, &res, &by) {
            log!("task-broker", "{}: journal write failed for {}: {e}", self.name, r.id);
        }
        self.st.replies += 1;
        self.reply_to(&r.route, r.classic, &r.id, if ok { proto::OK } else { proto::ERR }, &res.body);
    }

    // -------------------------------------------------------- backend
}
