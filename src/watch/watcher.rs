//! The observer's thread: reads every broker's XPUB and heartbeats, puts each request together (trace.rs), judges the brokers, samples under load.

use super::*;

impl Watcher {
    pub(super) fn run(&mut self, stop: StopSignal) -> Result<()> {
        let mut frames: Vec<zmq::Message> = (0..4).map(|_| zmq::Message::new()).collect();
        let mut next_tick = Instant::now();
        loop {
            let now = Instant::now();
            if now >= next_tick {
                self.judge_brokers();
                self.drive_sampling(now)?;
                next_tick = now + TICK;
            }
            let due = self.tracker.next_due().map(|t| {
                let d = t.saturating_sub(self.clock.now());
                now + Duration::from_micros(d)
            });
            let wake = due.map_or(next_tick, |d| d.min(next_tick));
            let mut items: Vec<zmq::PollItem> = vec![stop.sock.as_poll_item(zmq::POLLIN)];
            items.extend(self.subs.iter().map(|s| s.as_poll_item(zmq::POLLIN)));
            items.extend(self.hbs.iter().map(|(_, s)| s.as_poll_item(zmq::POLLIN)));
            zmq::poll(&mut items, ctx::ms_until(wake))?;
            let readable: Vec<bool> = items.iter().map(|i| i.is_readable()).collect();
            drop(items);
            if readable[0] {
                self.tracker.flush();
                self.collect();
                self.publish();
                return Ok(());
            }
            let n = self.subs.len();
            for i in 0..n {
                if readable[1 + i] {
                    self.read_sub(i, &mut frames)?;
                }
            }
            for j in 0..self.hbs.len() {
                if readable[1 + n + j] {
                    self.read_hb(j)?;
                }
            }
            self.tracker.on_time(self.clock.now());
            self.collect();
            self.publish();
        }
    }

    pub(super) fn read_sub(&mut self, i: usize, frames: &mut [zmq::Message]) -> Result<()> {
        let before = self.brokers[i].messages;
        let r = self.read_batch(i, frames);
        let n = self.brokers[i].messages - before;
        self.shared.messages.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        r
    }

    pub(super) fn read_batch(&mut self, i: usize, frames: &mut [zmq::Message]) -> Result<()> {
        for _ in 0..BATCH {
            let mut n = 0;
            loop {
                let slot = n.min(frames.len() - 1);
                match self.subs[i].recv(&mut frames[slot], zmq::DONTWAIT) {
                    Ok(()) => {}
                    Err(zmq::Error::EAGAIN) if n == 0 => return Ok(()),
                    Err(e) => return Err(e.into()),
                }
                n += 1;
                if !frames[slot].get_more() {
                    break;
                }
            }
            let at = self.clock.now();
            if std::mem::take(&mut self.window_opening) {
                self.accepting(true);
            }
            let b = &mut self.brokers[i];
            b.messages += 1;
            b.last_traffic = Some(at);
            if let Mode::Full { count, .. } | Mode::Open { count, .. } = &mut self.mode {
                *count += 1;
            }
            let k = n.min(frames.len());
            let first: &[u8] = &frames[0];
            if first == crate::wire::ANNOUNCE_TOPIC.as_bytes() {
                self.brokers[i].announced = Some((true, at));
                self.judge_brokers_because(i, "it announced it is active (hypobus.broker.active)");
                continue;
            }
            if first.starts_with(b"hypobus.probe.") {
                continue;
            }
            if matches!(self.mode, Mode::Idle { .. }) && !first.starts_with(b"hypobus.") {
                // Between sampling windows: what was still queued is dropped unread.
                self.brokers[i].last_data = Some(at);
                continue;
            }
            if !first.starts_with(b"hypobus.") {
                let b = &mut self.brokers[i];
                let was = b.last_data.is_some_and(|t| at.saturating_sub(t) <= TRAFFIC_ACTIVE_US);
                b.last_data = Some(at);
                if !was {
                    self.judge(i, None);
                }
            }
            let refs: Vec<&[u8]> = frames[..k].iter().map(|m| &m[..]).collect();
            if refs[0] == crate::wire::obs::obs_topic("broker").as_bytes() && refs.get(1) == Some(&&b"state"[..]) {
                // [topic, "state", "", "<role> active|passive: <reason>"]
                let detail = String::from_utf8_lossy(refs.get(3).copied().unwrap_or(b"")).into_owned();
                let active = detail.split_whitespace().nth(1).is_some_and(|w| w.starts_with("active"));
                self.brokers[i].announced = Some((active, at));
                let why = format!("it said so: {detail}");
                self.judge_brokers_because(i, &why);
            }
            self.tracker.on_message(at, i, &refs);
        }
        Ok(())
    }

    pub(super) fn read_hb(&mut self, j: usize) -> Result<()> {
        let i = self.hbs[j].0;
        loop {
            let m = match self.hbs[j].1.recv_multipart(zmq::DONTWAIT) {
                Ok(m) => m,
                Err(zmq::Error::EAGAIN) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            let at = self.clock.now();
            let b = &mut self.brokers[i];
            match m.as_slice() {
                [hb] if hb == crate::wire::HEARTBEAT => {
                    if let Some(last) = b.last_hb {
                        b.hb_interval = Some(at.saturating_sub(last).max(1000));
                    }
                    b.last_hb = Some(at);
                    b.hb_only += 1;
                }
                [t, role, state] if t == crate::wire::STATE_TOPIC => {
                    let active = state == b"active";
                    let changed = b.state.as_ref().is_none_or(|(_, a, _)| *a != active);
                    b.state = Some((String::from_utf8_lossy(role).into_owned(), active, at));
                    b.hb_only = 0;
                    b.last_hb = Some(at);
                    if changed {
                        let why = format!("its heartbeat says {}", String::from_utf8_lossy(state));
                        self.judge_brokers_because(i, &why);
                    }
                }
                _ => {}
            }
        }
    }

    pub(super) fn judge_brokers(&mut self) {
        for i in 0..self.brokers.len() {
            self.judge(i, None);
        }
    }

    pub(super) fn judge_brokers_because(&mut self, i: usize, why: &str) {
        self.judge(i, Some(why));
    }

    /// Decide whether broker `i` is alive and active now; report a change.
    pub(super) fn judge(&mut self, i: usize, why: Option<&str>) {
        let now = self.clock.now();
        let b = &self.brokers[i];
        let window = b.hb_interval.map_or(3_000_000, |iv| (iv * 3).clamp(150_000, 5_000_000)) + 50_000;
        let hb_alive = b.last_hb.is_some_and(|t| now.saturating_sub(t) <= window);
        let traffic = b.last_traffic.is_some_and(|t| now.saturating_sub(t) <= TRAFFIC_ACTIVE_US);
        let has_hb = self.shared_hb(i);
        let announced = b.announced.is_some_and(|(a, t)| a && now.saturating_sub(t) <= TRAFFIC_ACTIVE_US);
        let said_passive = b.announced.is_some_and(|(a, t)| !a && b.last_data.is_none_or(|l| l <= t + 1000));
        let data = b.last_data.is_some_and(|t| now.saturating_sub(t) <= TRAFFIC_ACTIVE_US);
        let by_traffic = || {
            let active = (data || announced) && !said_passive;
            (
                traffic || announced || said_passive,
                active,
                if active { "traffic comes through it".to_string() } else { "no traffic through it".to_string() },
            )
        };
        let (alive, active, reason) = match (has_hb, b.last_hb) {
            (true, Some(_)) if !hb_alive => (false, false, format!("no heartbeat for {} ms", window / 1000)),
            (true, Some(_)) => match &b.state {
                Some((_, a, at)) if b.hb_only < 2 && now.saturating_sub(*at) <= window => {
                    let a = match b.announced {
                        Some((x, t)) if t > *at => x,
                        _ => *a,
                    };
                    (true, a, format!("its heartbeat says {}", if a { "active" } else { "passive" }))
                }
                // `HB` only: an original (or plain) broker, which always forwards.
                _ => (true, true, "classic heartbeat (HB only): it forwards".into()),
            },
            // No heartbeat (yet): what comes through it tells.
            _ => by_traffic(),
        };
        let reported = match (&self.brokers[i].state, self.brokers[i].hb_only) {
            (Some((role, _, _)), n) if n < 2 => role.clone(),
            (_, n) if n >= 2 => "classic".into(),
            _ => String::new(),
        };
        if self.brokers[i].reported != reported {
            self.brokers[i].reported = reported.clone();
            let mut v = lock(&self.shared.view);
            v.brokers[i].reported = reported.clone();
            v.version += 1;
        }
        let shown = (alive, active);
        if self.brokers[i].shown == Some(shown) {
            return;
        }
        let first = self.brokers[i].shown.is_none();
        self.brokers[i].shown = Some(shown);
        if first && !alive {
            // Not heard yet: nothing to report.
            return;
        }
        let ev = BrokerEvent {
            at_us: now,
            broker: i,
            name: self.names[i].clone(),
            active,
            alive,
            reason: why.map(str::to_string).unwrap_or(reason),
        };
        {
            let mut v = lock(&self.shared.view);
            v.brokers[i].alive = alive;
            v.brokers[i].active = active;
            v.brokers[i].reported = reported;
            v.timeline.push_back(ev.clone());
            while v.timeline.len() > MAX_TIMELINE {
                v.timeline.pop_front();
            }
            v.version += 1;
        }
        self.pending.push(WatchEvent::Broker(ev));
    }

    pub(super) fn shared_hb(&self, i: usize) -> bool {
        self.hbs.iter().any(|(k, _)| *k == i)
    }

    pub(super) fn collect(&mut self) {
        let outs: Vec<Output> = self.tracker.drain().collect();
        if outs.is_empty() {
            return;
        }
        let mut v = lock(&self.shared.view);
        for o in outs {
            match o {
                Output::Trace(t) => {
                    v.add_trace(&t, self.shared.recent_max);
                    self.pending.push(WatchEvent::Trace(t));
                }
                Output::Role(r) => {
                    if r.event == "fallback" {
                        v.confirmed_fallbacks += 1;
                    }
                    v.version += 1;
                    self.pending.push(WatchEvent::Role(r));
                }
            }
        }
        for (i, b) in self.brokers.iter().enumerate() {
            v.brokers[i].messages = b.messages;
        }
        v.sum.messages = self.tracker.stats().messages;
    }

    pub(super) fn publish(&mut self) {
        let evs = std::mem::take(&mut self.pending);
        self.shared.push(evs);
    }

    pub(super) fn subscribe_all(&self, on: bool) -> Result<()> {
        for s in &self.subs {
            if on {
                s.set_subscribe(b"")?;
            } else {
                s.set_unsubscribe(b"")?;
            }
        }
        Ok(())
    }

    pub(super) fn accepting(&mut self, on: bool) {
        self.tracker.accept_new = on;
        let now = self.clock.now();
        let mut v = lock(&self.shared.view);
        if on {
            v.accepting.push_back((now, None));
        } else if let Some(last) = v.accepting.back_mut() {
            last.1.get_or_insert(now);
        }
        while v.accepting.len() > 64 {
            v.accepting.pop_front();
        }
        v.sum.sampling = !matches!(self.mode, Mode::Full { .. });
    }

    pub(super) fn drive_sampling(&mut self, now: Instant) -> Result<()> {
        let Sampling::Auto { threshold, window, period } = self.sampling else { return Ok(()) };
        match self.mode {
            Mode::Full { since, count } => {
                let el = now - since;
                if el >= Duration::from_millis(100) {
                    let rate = (count as f64 / el.as_secs_f64()) as u64;
                    if rate > threshold {
                        crate::log!(
                            "watch",
                            "{rate} messages/s: sampling {} ms every {} ms from now on",
                            window.as_millis(),
                            period.as_millis()
                        );
                        self.mode = Mode::Idle { next: now + period.saturating_sub(window) };
                        self.accepting(false);
                        self.subscribe_all(false)?;
                        // What is open now can no longer be followed.
                        self.tracker.flush_quiet();
                    } else {
                        self.mode = Mode::Full { since: now, count: 0 };
                    }
                }
            }
            Mode::Idle { next } if now >= next => {
                self.subscribe_all(true)?;
                self.mode = Mode::Open { until: now + window, started: now, count: 0 };
                // The window counts from its first message (the subscription
                // takes a moment to reach the broker), see `read_batch`.
                self.tracker.accept_new = true;
                self.window_opening = true;
            }
            Mode::Open { until, started, count } if now >= until => {
                if std::mem::take(&mut self.window_opening) {
                    self.accepting(true); // a window that got nothing at all
                }
                let rate = (count as f64 / (now - started).as_secs_f64().max(1e-3)) as u64;
                self.mode = Mode::Drain { until: now + Duration::from_millis(250), rate };
                self.accepting(false);
            }
            Mode::Drain { until, rate } if now >= until || self.tracker.unanswered() == 0 => {
                if rate < threshold / 2 {
                    crate::log!("watch", "{rate} messages/s: every message again");
                    self.mode = Mode::Full { since: now, count: 0 };
                    self.accepting(true);
                    let mut v = lock(&self.shared.view);
                    v.seq_mark = None;
                    v.seq_rate = None;
                } else {
                    self.subscribe_all(false)?;
                    self.tracker.flush_quiet();
                    self.mode = Mode::Idle { next: now + period.saturating_sub(window + Duration::from_millis(250)) };
                    let (at, sent) = (self.clock.now(), self.tracker.tagged_sent());
                    let mut v = lock(&self.shared.view);
                    v.sum.sampling = true;
                    if let Some((a0, s0)) = v.seq_mark {
                        if at > a0 && sent > s0 {
                            v.seq_rate = Some(((sent - s0) as f64 * 1e6 / (at - a0) as f64, at));
                        }
                    }
                    v.seq_mark = Some((at, sent));
                }
            }
            _ => {}
        }
        Ok(())
    }
}
