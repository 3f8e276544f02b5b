//! The task broker's timers: answer time-outs (dispatch again) and
//! requests waiting too long for a service.

use super::*;

impl Core {
    pub(super) fn on_timers(&mut self) -> Result<()> {
        let now = Instant::now();
        while let Some(Reverse((at, kind, key, token))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if kind == T_ANSWER {
                self.on_answer_timeout(key, token);
            } else {
                self.on_service_wait(key);
            }
        }
        if now >= self.next_hb {
            self.next_hb = now + self.cfg.hb_interval;
            let mut dead = Vec::new();
            for (&w, wk) in &self.workers {
                if wk.kind == Kind::Ours {
                    let _ = send_all(&self.backend, &[&wk.ident, b"", WORKER, proto::HEARTBEAT]);
                    if wk.expires.is_some_and(|e| e <= now) {
                        dead.push(w);
                    }
                }
            }
            for w in dead {
                self.st.purged += 1;
                self.purge(w, "silent: purged");
            }
            self.check_peers(now);
        }
        if self.state_pub.is_some() && now >= self.next_state {
            let iv = self.cfg.peering.as_ref().map_or(Duration::from_secs(1), |p| p.interval);
            self.next_state = now + iv;
            self.publish_state();
            self.check_peers(now);
        }
        Ok(())
    }

    pub(super) fn on_answer_timeout(&mut self, key: RKey, token: u64) {
        let Some(r) = self.reqs.get(&key) else { return };
        match r.state {
            State::Running { worker, token: t } if t == token => {
                if let Some(wk) = self.workers.get_mut(&worker) {
                    if let Some(slot) = wk.inflight.get_mut(&token) {
                        *slot = None; // its late answer is dropped
                    }
                }
                self.st.timeouts += 1;
                let ident = self.workers.get(&worker).map(|w| printable(&w.ident)).unwrap_or_default();
                log!(
                    "task-broker",
                    "{}: request {} unanswered by worker {ident} within {} ms: dispatched again",
                    self.name,
                    r.id,
                    self.cfg.answer_timeout.as_millis()
                );
                if let Some(r) = self.reqs.get_mut(&key) {
                    r.avoid = Some(worker);
                }
                self.retry_or_fail(key, "answer time-out");
            }
            State::Forwarded { peer, token: t } if t == token => {
                self.st.timeouts += 1;
                log!(
                    "task-broker",
                    "{}: request {} unanswered by peer {} in time: queued here again",
                    self.name,
                    r.id,
                    self.peer_name(peer)
                );
                self.retry_or_fail(key, "peer answer time-out");
            }
            _ => {}
        }
    }

    pub(super) fn on_service_wait(&mut self, key: RKey) {
        let Some(r) = self.reqs.get(&key) else { return };
        if r.state != State::Queued {
            return;
        }
        let svc = r.service.clone();
        if self.services.get(&svc).is_some_and(|s| s.workers > 0) || self.peer_serves(&svc) {
            return;
        }
        let shown = if svc.is_empty() { "the default service".to_string() } else { format!("service {svc:?}") };
        let msg = format!("no worker serves {shown} (waited {} ms)", self.cfg.service_wait.as_millis());
        log!("task-broker", "{}: request {}: {msg}", self.name, r.id);
        if let Some(s) = self.services.get_mut(&svc) {
            s.waiting.retain(|k| *k != key);
        }
        self.finish(key, false, msg.into_bytes());
    }

    // -------------------------------------------------------- peering
}
