//! The observer's shared state: the queue of what it found, and the aggregated view (recent requests, timeline, brokers, roles, the summary) that a page or a program reads.

use super::*;

impl Clock {
    pub(super) fn new() -> Clock {
        Clock { t0: Instant::now(), base_us: now_us() }
    }
    pub(super) fn now(&self) -> u64 {
        self.base_us + self.t0.elapsed().as_micros() as u64
    }
}

impl Shared {
    pub(super) fn signal(&self, on: bool) {
        if on {
            self.fd.poke()
        } else {
            self.fd.drain()
        }
    }

    pub(super) fn push(&self, evs: Vec<WatchEvent>) {
        if evs.is_empty() {
            return;
        }
        let mut q = lock(&self.queue);
        for e in evs {
            if q.q.len() >= self.queue_max {
                q.q.pop_front();
                q.dropped += 1;
            }
            q.q.push_back(e);
        }
        drop(q);
        self.signal(true);
    }
}

impl View {
    pub(super) fn add_trace(&mut self, tr: &Trace, recent_max: usize) {
        let s = &mut self.sum;
        s.requests += 1;
        match &tr.outcome {
            Outcome::Answer(_) => s.answers += 1,
            Outcome::Error(_) => {
                s.answers += 1;
                s.errors += 1;
            }
            Outcome::Lost => s.lost += 1,
            Outcome::Open => {}
        }
        s.resends += tr.resends as u64;
        s.duplicates += tr.duplicates as u64;
        let inferred = tr.fallback.iter().filter(|f| **f == Fallback::Inferred).count() as u64;
        self.sum.fallbacks += inferred;
        let total = match tr.outcome {
            Outcome::Answer(_) | Outcome::Error(_) => tr.total_us(),
            _ => None,
        };
        self.done.push_back(Done { start_us: tr.start_us, total_us: total });
        if self.done.len() > 200_000 {
            self.done.pop_front();
        }
        for h in &tr.hops {
            let name = match h.from() {
                Role::Client => tr.client.clone(),
                r => r.name(),
            };
            let n = self.roles.len();
            let is_client = matches!(h.from(), Role::Client);
            let key =
                if is_client && !self.roles.contains_key(&name) && n >= MAX_CLIENT_ROWS + 3 { "other clients".to_string() } else { name };
            let c = self.roles.entry(key).or_default();
            c.sent += 1;
            c.errors += h.error as u64;
            if c.impl_.is_none() || c.impl_ == Some(Impl::Unknown) {
                c.impl_ = Some(tr.impl_of(h.from()));
            }
        }
        let fb = tr.fallback.iter().filter(|f| f.taken()).count() as u64;
        if fb > 0 {
            self.roles.entry("calc".into()).or_default().fallbacks += fb;
        }
        self.recent.push_back(tr.clone());
        while self.recent.len() > recent_max {
            self.recent.pop_front();
        }
        self.version += 1;
    }

    pub(super) fn summary(&self, now: u64) -> Summary {
        let mut s = self.sum.clone();
        s.fallbacks += self.confirmed_fallbacks;
        let (from, to) = (now.saturating_sub(SPAN_US + SPAN_LAG_US), now.saturating_sub(SPAN_LAG_US));
        // Time within [from, to) during which new requests were taken in.
        let mut accepted = 0u64;
        for &(a, b) in &self.accepting {
            let b = b.unwrap_or(now);
            let (x, y) = (a.max(from), b.min(to));
            if y > x {
                accepted += y - x;
            }
        }
        let mut totals: Vec<u64> = Vec::new();
        let mut n = 0u64;
        for d in self.done.iter().rev() {
            if d.start_us < from {
                break;
            }
            if d.start_us < to {
                if let Some(t) = d.total_us {
                    n += 1;
                    totals.push(t);
                }
            }
        }
        s.rate = if accepted > 0 { n as f64 * 1e6 / accepted as f64 } else { 0.0 };
        // Sampling: the samples give the latencies, but the observer follows
        // only what it can read in its windows, so the rate comes from the
        // tagged clients' request numbers between two windows when there
        // are such clients (classic clients carry none).
        if s.sampling {
            if let Some((r, at)) = self.seq_rate {
                if now.saturating_sub(at) < SPAN_US {
                    s.rate = r;
                }
            }
        }
        totals.sort_unstable();
        let p = |q: f64| -> u64 {
            if totals.is_empty() {
                0
            } else {
                totals[((totals.len() as f64 * q).ceil() as usize).clamp(1, totals.len()) - 1]
            }
        };
        s.p50_us = p(0.50);
        s.p99_us = p(0.99);
        let act: Vec<&str> = self.brokers.iter().filter(|b| b.active).map(|b| b.name.as_str()).collect();
        s.active = if act.is_empty() { "none".into() } else { act.join("+") };
        s
    }
}
