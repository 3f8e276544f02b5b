//! The task broker's backend: course workers and ours (READY, answers,
//! heartbeats, credit and load), purging the silent ones.

use super::*;

impl Core {
    pub(super) fn drain_backend(&mut self) -> Result<()> {
        for _ in 0..BATCH {
            match crate::sys::ctx::recv_frames(&self.backend, zmq::DONTWAIT, &mut self.frames, 10) {
                Ok(n) => {
                    let frames = std::mem::take(&mut self.frames);
                    self.on_worker(&frames, n);
                    self.frames = frames;
                }
                Err(Error::Zmq(zmq::Error::EAGAIN)) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub(super) fn on_worker(&mut self, f: &[Vec<u8>], n: usize) {
        if n < 2 || !f[1].is_empty() {
            self.st.malformed += 1;
            return;
        }
        let ident = &f[0];
        if n >= 4 && f[2] == WORKER {
            self.on_our_worker(ident, &f[3], &f[4..n.min(f.len())]);
            return;
        }
        // Course frames: [worker, ''] + [] / [''] / ['', '', ''] / ['READY'] register;
        // [worker, '', token, '', reply] answers.
        let rest = &f[2..n.min(f.len())];
        let registers = rest.is_empty() || rest[0].is_empty() || (rest.len() == 1 && rest[0] == proto::READY);
        if registers {
            let w = self.register(ident, Kind::Classic, vec![String::new()], 1, 0);
            if let Some(wk) = self.workers.get(&w) {
                if wk.inflight.is_empty() && wk.credit == 0 {
                    // A REQ worker that asks again is idle again.
                    self.set_credit(w, 1);
                }
            }
            return;
        }
        if rest.len() != 3 || !rest[1].is_empty() {
            self.st.malformed += 1;
            return;
        }
        let w = match self.by_ident.get(ident) {
            Some(&w) => w,
            // A course worker's answer is also its registration (after a broker restart).
            None => self.register(ident, Kind::Classic, vec![String::new()], 0, 0),
        };
        let token = self.parse_token(&rest[0]);
        self.on_answer(w, token, true, rest[2].clone(), None);
        // REQ workers hold one request: answering frees it.
        let (credit, idle) = self.workers.get(&w).map(|x| (x.credit, x.inflight.is_empty())).unwrap_or((1, false));
        if idle && credit == 0 {
            self.set_credit(w, 1);
        }
    }

    pub(super) fn on_our_worker(&mut self, ident: &[u8], cmd: &[u8], args: &[Vec<u8>]) {
        let known = self.by_ident.get(ident).copied();
        match cmd {
            proto::READY => {
                let (Some(services), Some(slots)) =
                    (args.first().and_then(|s| proto::parse_services(s)), args.get(1).and_then(|s| proto::parse_u32(s)))
                else {
                    self.st.malformed += 1;
                    return;
                };
                let load = args.get(2).and_then(|s| proto::parse_u32(s)).unwrap_or(0);
                if let Some(w) = known {
                    // A re-registration: forget what it held (it reconnected).
                    self.purge(w, "registered again");
                }
                self.register(ident, Kind::Ours, services, slots.clamp(1, 100_000), load);
            }
            proto::REPLY => {
                let Some(w) = known else {
                    self.send_worker_cmd(ident, proto::DISCONNECT);
                    self.st.late += 1;
                    return;
                };
                if args.len() < 3 {
                    self.st.malformed += 1;
                    return;
                }
                let token = self.parse_token(&args[0]);
                let ok = args[1] == proto::OK;
                let load = args.get(3).and_then(|s| proto::parse_u32(s));
                self.touch(w);
                self.on_answer(w, token, ok, args[2].clone(), load);
            }
            proto::HEARTBEAT => match known {
                Some(w) => {
                    self.touch(w);
                    if let Some(load) = args.first().and_then(|s| proto::parse_u32(s)) {
                        self.update_load(w, load);
                    }
                }
                None => self.send_worker_cmd(ident, proto::DISCONNECT),
            },
            proto::DISCONNECT => {
                if let Some(w) = known {
                    self.purge(w, "disconnected");
                }
            }
            _ => self.st.malformed += 1,
        }
    }

    pub(super) fn send_worker_cmd(&self, ident: &[u8], cmd: &[u8]) {
        let _ = send_all(&self.backend, &[ident, b"", WORKER, cmd]);
    }

    pub(super) fn touch(&mut self, w: WKey) {
        let life = self.cfg.hb_interval * self.cfg.liveness;
        if let Some(wk) = self.workers.get_mut(&w) {
            if wk.kind == Kind::Ours {
                wk.expires = Some(Instant::now() + life);
            }
        }
    }

    pub(super) fn register(&mut self, ident: &[u8], kind: Kind, services: Vec<String>, slots: u32, load: u32) -> WKey {
        if let Some(&w) = self.by_ident.get(ident) {
            return w;
        }
        let w = self.next_key;
        self.next_key += 1;
        for s in &services {
            self.service(s).workers += 1;
        }
        let expires = (kind == Kind::Ours).then(|| Instant::now() + self.cfg.hb_interval * self.cfg.liveness);
        let svc_text = services.iter().map(|s| if s.is_empty() { "(default)" } else { s.as_str() }).collect::<Vec<_>>().join(",");
        self.workers
            .insert(w, Worker { ident: ident.to_vec(), kind, services, credit: 0, load, inflight: FxMap::default(), expires, epoch: 0 });
        self.by_ident.insert(ident.to_vec(), w);
        self.st.registered += 1;
        log!(
            "task-broker",
            "{}: worker {} registered ({}, services {svc_text}, {slots} slots, load {load})",
            self.name,
            printable(ident),
            if kind == Kind::Classic { "course frames" } else { "HBTW01" }
        );
        self.set_credit(w, slots);
        w
    }

    pub(super) fn set_credit(&mut self, w: WKey, credit: u32) {
        let Some(wk) = self.workers.get_mut(&w) else { return };
        let was = wk.credit;
        wk.credit = credit;
        if was == 0 && credit > 0 {
            self.ready_and_pump(w);
        }
    }

    pub(super) fn update_load(&mut self, w: WKey, load: u32) {
        let Some(wk) = self.workers.get_mut(&w) else { return };
        if wk.load != load {
            wk.load = load;
            if self.cfg.policy == Policy::Load && wk.credit > 0 {
                self.ready_and_pump(w);
            }
        }
    }

    /// An answer from worker `w` for dispatch `token`.
    pub(super) fn on_answer(&mut self, w: WKey, token: Option<u64>, ok: bool, body: Vec<u8>, load: Option<u32>) {
        let held = token.and_then(|t| self.workers.get_mut(&w).and_then(|wk| wk.inflight.remove(&t)));
        if let Some(load) = load {
            if let Some(wk) = self.workers.get_mut(&w) {
                wk.load = load;
            }
        }
        match held {
            Some(Some(key))
                if self
                    .reqs
                    .get(&key)
                    .is_some_and(|r| matches!(r.state, State::Running { worker, token: t } if worker == w && Some(t) == token)) =>
            {
                self.finish(key, ok, body);
            }
            _ => self.st.late += 1,
        }
        if held.is_some() {
            // Ours: each answer returns a slot. Course workers: see on_worker.
            if self.workers.get(&w).is_some_and(|x| x.kind == Kind::Ours) {
                let c = self.workers[&w].credit;
                self.set_credit(w, c + 1);
                if c > 0 && self.cfg.policy == Policy::Load {
                    self.ready_and_pump(w); // new load, new place in the heap
                }
            }
        }
    }

    /// Forget a worker: out of every queue; what it was running goes to others.
    pub(super) fn purge(&mut self, w: WKey, why: &str) {
        let Some(wk) = self.workers.remove(&w) else { return };
        self.by_ident.remove(&wk.ident);
        for s in &wk.services {
            if let Some(svc) = self.services.get_mut(s) {
                svc.workers = svc.workers.saturating_sub(1);
            }
        }
        let mut again = 0;
        for key in wk.inflight.into_values().flatten() {
            if self.reqs.get(&key).is_some_and(|r| matches!(r.state, State::Running { worker, .. } if worker == w)) {
                again += 1;
                self.retry_or_fail(key, "its worker died");
            }
        }
        log!("task-broker", "{}: worker {} {why}; {again} of its requests dispatched again", self.name, printable(&wk.ident));
        // Requests of services that have no worker left now start their wait.
        for s in &wk.services {
            if self.services.get(s).is_some_and(|x| x.workers == 0) && !self.peer_serves(s) {
                let waiting: Vec<RKey> = self.services[s].waiting.iter().copied().collect();
                let at = Instant::now() + self.cfg.service_wait;
                for k in waiting {
                    self.add_timer(at, T_SERVICE, k, 0);
                }
            }
        }
    }

    /// A dispatch failed (time-out, dead worker, dead peer): again, or an
    /// error when the attempts are used up.
    pub(super) fn retry_or_fail(&mut self, key: RKey, why: &str) {
        let Some(r) = self.reqs.get(&key) else { return };
        if r.attempts >= self.cfg.max_attempts {
            let msg = format!("no answer after {} dispatches (last: {why})", r.attempts);
            self.finish(key, false, msg.into_bytes());
        } else {
            self.enqueue(key, true);
        }
    }

    // -------------------------------------------------------- timers
}
