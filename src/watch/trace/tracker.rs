//! The tracker: feeds on every message the observer reads and puts each request's hops together into a Trace (tagged and classic wire), with resends, duplicates, errors and fallbacks; finished and lost traces go out.

use super::*;

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Tracker {
        Tracker {
            cfg,
            open: HashMap::new(),
            links: HashMap::new(),
            classic_wait: [VecDeque::new(), VecDeque::new()],
            classic_open: VecDeque::new(),
            square_wait: [VecDeque::new(), VecDeque::new()],
            lingering: VecDeque::new(),
            started: VecDeque::new(),
            next_id: 1,
            classic_n: 0,
            accept_new: true,
            seqs: HashMap::new(),
            seq_sum: 0,
            stats: TrackerStats::default(),
            out: Vec::new(),
        }
    }

    pub fn stats(&self) -> TrackerStats {
        TrackerStats { open: self.open.len() as u64, ..self.stats }
    }

    /// Requests open now (answered ones lingering included).
    pub fn open_len(&self) -> usize {
        self.open.len()
    }

    /// Requests open now and not answered yet.
    /// Requests the tagged clients sent since the observer first saw each
    /// of them (from their tags' request numbers; see `seqs`).
    pub fn tagged_sent(&self) -> u64 {
        self.seq_sum
    }

    pub(super) fn count_seq(&mut self, tag: &str) {
        let Some((id, n)) = tag.rsplit_once('.') else { return };
        let Ok(n) = n.parse::<u64>() else { return };
        let room = self.seqs.len() < MAX_OPEN;
        match self.seqs.get_mut(id) {
            Some(m) if n > *m => {
                self.seq_sum += n - *m;
                *m = n;
            }
            Some(_) => {}
            // A client seen for the first time counts from here on.
            None if room => {
                self.seqs.insert(id.to_string(), n);
            }
            None => {}
        }
    }

    pub fn unanswered(&self) -> usize {
        self.open.len() - self.lingering.len().min(self.open.len())
    }

    /// Take what is ready to hand out.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Output> {
        self.out.drain(..)
    }

    /// Take in one message (`frames` as received) that arrived at `at_us`
    /// through broker `broker`.
    pub fn on_message(&mut self, at_us: u64, broker: usize, frames: &[&[u8]]) {
        self.stats.messages += 1;
        let Some(topic) = frames.first() else { return };
        if topic.starts_with(OBS_PREFIX.as_bytes()) {
            self.on_obs(at_us, broker, frames);
            return;
        }
        let Ok(t) = wire::parse_topic(topic) else {
            self.stats.foreign += 1;
            return;
        };
        let value = frames.get(1).map_or(&[][..], |v| *v);
        let lane_ok = |l: u32| l == 1 || l == 2;
        let kind = match t.kind {
            Kind::Request(l) if lane_ok(l) => HopKind::Request(l),
            Kind::SquareRequest(l) if lane_ok(l) => HopKind::SquareRequest(l),
            Kind::SquareResult(l) if lane_ok(l) => HopKind::SquareResult(l),
            Kind::Reply if t.tag.is_some() => HopKind::Answer,
            Kind::Result if t.tag.is_none() => HopKind::Answer,
            _ => {
                self.stats.foreign += 1;
                return;
            }
        };
        let hop = Hop {
            at_us,
            kind,
            topic: text(topic, wire::MAX_TOPIC_LEN),
            value: text(value, VALUE_MAX),
            broker,
            mark: Mark::First,
            error: value.starts_with(wire::ERROR_PREFIX.as_bytes()),
            untagged: t.tag.is_none(),
        };
        let key = match (kind, t.tag) {
            (HopKind::Request(l), Some(tag)) => {
                if l == 1 {
                    self.count_seq(tag);
                }
                if !self.open.contains_key(tag) {
                    if !self.accept_new {
                        self.stats.unmatched += 1;
                        return;
                    }
                    self.start(tag.to_string(), Some(tag.to_string()), client_name(tag), at_us);
                }
                let tr = self.open.get_mut(tag).expect("just made");
                let v = hop.value.clone();
                if l == 1 {
                    tr.a.get_or_insert(v);
                } else {
                    tr.b.get_or_insert(v);
                }
                Some(tag.to_string())
            }
            (HopKind::Request(l), None) => {
                self.classic_request(l, hop);
                return;
            }
            (HopKind::SquareRequest(l), tag) => self.square_request_key(l, tag, &hop.value),
            (HopKind::SquareResult(l), tag) => self.square_result_key(l, tag, &hop),
            (HopKind::Answer, Some(tag)) => self.open.contains_key(tag).then(|| tag.to_string()),
            (HopKind::Answer, None) => self.classic_answer_key(&hop.value),
        };
        match key {
            Some(k) => self.add_hop(&k, hop),
            None => self.stats.unmatched += 1,
        }
    }

    pub(super) fn start(&mut self, key: String, tag: Option<String>, client: String, at_us: u64) {
        if self.open.len() >= MAX_OPEN {
            if let Some((_, old)) = self.started.pop_front() {
                self.finish_lost(&old);
            }
        }
        let mut tr = Trace {
            id: self.next_id,
            tag: tag.clone(),
            client,
            a: None,
            b: None,
            outcome: Outcome::Open,
            start_us: at_us,
            end_us: None,
            hops: Vec::with_capacity(8),
            fallback: [Fallback::No, Fallback::No],
            resends: 0,
            duplicates: 0,
            impls: [Impl::Unknown; 4],
            notes: Vec::new(),
            link: None,
        };
        tr.set_impl(Role::Client, if tag.is_some() { Impl::Tagged } else { Impl::Classic });
        self.next_id += 1;
        self.started.push_back((at_us, key.clone()));
        self.open.insert(key, tr);
    }

    pub(super) fn classic_request(&mut self, lane: u32, hop: Hop) {
        let i = (lane - 1) as usize;
        self.classic_wait[i].push_back((hop.at_us, hop.value.clone(), hop.broker));
        // Keep the hop itself for the trace: both hops are rebuilt below.
        while !self.classic_wait[0].is_empty() && !self.classic_wait[1].is_empty() {
            let (ta, a, ba) = self.classic_wait[0].pop_front().expect("a");
            let (tb, b, bb) = self.classic_wait[1].pop_front().expect("b");
            if !self.accept_new {
                self.stats.unmatched += 2;
                continue;
            }
            self.classic_n += 1;
            let key = format!("classic.{}", self.classic_n);
            self.start(key.clone(), None, "classic client".into(), ta.min(tb));
            let tr = self.open.get_mut(&key).expect("just made");
            tr.a = Some(a.clone());
            tr.b = Some(b.clone());
            let mk = |at_us, l, v: String, broker| Hop {
                at_us,
                kind: HopKind::Request(l),
                topic: wire::request_topic(l),
                value: v,
                broker,
                mark: Mark::First,
                error: false,
                untagged: true,
            };
            let (h1, h2) = (mk(ta, 1, a, ba), mk(tb, 2, b, bb));
            if ta <= tb {
                tr.hops.push(h1);
                tr.hops.push(h2);
            } else {
                tr.hops.push(h2);
                tr.hops.push(h1);
            }
            self.classic_open.push_back(key);
        }
    }

    /// Resolve a tag to a trace key: a client's tag or a calc node's internal one.
    pub(super) fn resolve(&self, tag: &str) -> Option<String> {
        if self.open.contains_key(tag) {
            return Some(tag.to_string());
        }
        self.links.get(tag).filter(|k| self.open.contains_key(*k)).cloned()
    }

    pub(super) fn square_request_key(&mut self, lane: u32, tag: Option<&str>, value: &str) -> Option<String> {
        let i = (lane - 1) as usize;
        let key = match tag {
            Some(t) => match self.resolve(t) {
                Some(k) => Some(k),
                // A classic request's internal tag: the oldest classic
                // request not linked yet whose cathetus this is.
                None if t.starts_with("c.") => {
                    let v = norm(value);
                    let found = self
                        .classic_open
                        .iter()
                        .find(|k| self.open.get(*k).is_some_and(|tr| tr.link.is_none() && tr.cathetus(lane).is_some_and(|c| norm(c) == v)));
                    let k = found.cloned();
                    if let Some(k) = &k {
                        self.links.insert(t.to_string(), k.clone());
                        if let Some(tr) = self.open.get_mut(k) {
                            tr.link = Some(t.to_string());
                        }
                    }
                    k
                }
                None => None,
            },
            // An original calc server: the oldest classic request that has
            // no square request on this lane yet, with this cathetus.
            None => {
                let v = norm(value);
                let kind = HopKind::SquareRequest(lane);
                let pick = |fresh: bool| {
                    self.classic_open
                        .iter()
                        .find(|k| {
                            self.open.get(*k).is_some_and(|tr| {
                                tr.outcome == Outcome::Open
                                    && (!fresh || !tr.has_any(kind))
                                    && tr.cathetus(lane).is_some_and(|c| norm(c) == v)
                            })
                        })
                        .cloned()
                };
                pick(true).or_else(|| pick(false))
            }
        };
        if let Some(k) = &key {
            self.square_wait[i].push_back(k.clone());
        }
        key
    }

    pub(super) fn square_result_key(&mut self, lane: u32, tag: Option<&str>, hop: &Hop) -> Option<String> {
        if let Some(t) = tag {
            return self.resolve(t);
        }
        // An original operation server answers untagged: the oldest request
        // waiting for this lane's square whose cathetus it is the square of.
        let i = (lane - 1) as usize;
        let kind = HopKind::SquareResult(lane);
        let sq = Number::parse(hop.value.as_bytes()).ok();
        while self.square_wait[i].front().is_some_and(|k| self.open.get(k).is_none_or(|tr| tr.has(kind) || tr.outcome != Outcome::Open)) {
            self.square_wait[i].pop_front();
        }
        let is_sq = |tr: &Trace| match (&sq, tr.cathetus(lane).and_then(|c| Number::parse(c.as_bytes()).ok())) {
            (Some(s), Some(c)) => s.is_square_of(&c),
            _ => hop.error,
        };
        let found = self.square_wait[i].iter().find(|k| self.open.get(*k).is_some_and(|tr| !tr.has(kind) && is_sq(tr))).cloned();
        // Else a late copy of a square already in: a duplicate of it.
        found.or_else(|| self.open.iter().find(|(_, tr)| tr.has(kind) && is_sq(tr)).map(|(k, _)| k.clone()))
    }

    pub(super) fn classic_answer_key(&mut self, value: &str) -> Option<String> {
        while self.classic_open.front().is_some_and(|k| self.open.get(k).is_none_or(|tr| tr.outcome != Outcome::Open)) {
            self.classic_open.pop_front();
        }
        let expected = |tr: &Trace| -> Option<String> {
            let a = Number::parse(tr.a.as_ref()?.as_bytes()).ok()?;
            let b = Number::parse(tr.b.as_ref()?.as_bytes()).ok()?;
            wire::hypot(&a, &b).ok()
        };
        let open = |k: &&String| self.open.get(*k).is_some_and(|tr| tr.outcome == Outcome::Open);
        let exact = self.classic_open.iter().filter(open).find(|k| expected(&self.open[*k]).as_deref() == Some(value)).cloned();
        exact.or_else(|| self.classic_open.iter().find(open).cloned()).or_else(|| {
            // A late copy of a classic answer already in.
            self.open.iter().find(|(_, tr)| tr.classic() && matches!(&tr.outcome, Outcome::Answer(h) if h == value)).map(|(k, _)| k.clone())
        })
    }

    pub(super) fn add_hop(&mut self, key: &str, mut hop: Hop) {
        let dup_window = self.cfg.dup_window_us;
        let linger = self.cfg.linger_us;
        let Some(tr) = self.open.get_mut(key) else { return };
        // A copy of a message already seen?
        if let Some(prev) = tr.hops.iter().rev().find(|h| h.kind == hop.kind && h.value == hop.value) {
            if prev.broker != hop.broker && hop.at_us.saturating_sub(prev.at_us) <= dup_window {
                hop.mark = Mark::Duplicate;
                tr.duplicates += 1;
            } else {
                hop.mark = Mark::Resend;
                tr.resends += 1;
            }
        } else if hop.kind == HopKind::Answer && tr.outcome != Outcome::Open {
            hop.mark = Mark::Duplicate;
            tr.duplicates += 1;
        }
        let (from, to) = hop.kind.from_to();
        let imp = if hop.untagged { Impl::Classic } else { Impl::Tagged };
        match hop.kind {
            HopKind::Request(_) => {}
            HopKind::SquareRequest(_) | HopKind::Answer => tr.set_impl(Role::Calc, imp),
            HopKind::SquareResult(_) => tr.set_impl(from, imp),
        }
        let _ = to;
        if hop.kind == HopKind::Answer && tr.outcome == Outcome::Open {
            tr.end_us = Some(hop.at_us);
            tr.outcome = match wire::parse_answer(hop.value.as_bytes()) {
                Ok(h) => Outcome::Answer(h),
                Err(reason) => Outcome::Error(reason),
            };
            // A lane that was asked and never answered (or answered an
            // error): the calc node computed that square itself.
            for l in 1..=2u32 {
                let i = (l - 1) as usize;
                let asked = tr.has_any(HopKind::SquareRequest(l));
                if asked && !tr.has(HopKind::SquareResult(l)) && !tr.fallback[i].taken() && matches!(tr.outcome, Outcome::Answer(_)) {
                    tr.fallback[i] = Fallback::Inferred;
                }
            }
            self.lingering.push_back((hop.at_us + linger, key.to_string()));
        }
        tr.hops.push(hop);
    }

    pub(super) fn on_obs(&mut self, at_us: u64, broker: usize, frames: &[&[u8]]) {
        let f = |i: usize| frames.get(i).map(|b| text(b, 400)).unwrap_or_default();
        let role = f(0).trim_start_matches(OBS_PREFIX).replace('.', " ");
        let ev = RoleEvent { at_us, role, event: f(1), tag: f(2), detail: f(3), broker };
        if !ev.tag.is_empty() {
            if let Some(k) = self.resolve(&ev.tag) {
                let tr = self.open.get_mut(&k).expect("resolved");
                if ev.event == "fallback" {
                    let lane = ev.detail.split_whitespace().find_map(|w| w.strip_prefix("lane=")).and_then(|l| l.parse::<u32>().ok());
                    if let Some(l @ (1 | 2)) = lane {
                        tr.fallback[(l - 1) as usize] = Fallback::Confirmed(ev.detail.clone());
                    }
                }
                if !tr.notes.iter().any(|n| n.role == ev.role && n.text == format!("{}: {}", ev.event, ev.detail)) {
                    tr.notes.push(Note { at_us, role: ev.role.clone(), text: format!("{}: {}", ev.event, ev.detail) });
                }
            }
        }
        self.out.push(Output::Role(ev));
    }

    /// Hand out answered traces whose linger passed and expire old ones.
    pub fn on_time(&mut self, now_us: u64) {
        while self.lingering.front().is_some_and(|(t, _)| *t <= now_us) {
            let (_, k) = self.lingering.pop_front().expect("front");
            if let Some(tr) = self.open.remove(&k) {
                self.forget_links(&tr);
                self.out.push(Output::Trace(Box::new(tr)));
            }
        }
        let expire = self.cfg.expire_us;
        while self.started.front().is_some_and(|(t, _)| t + expire <= now_us) {
            let (_, k) = self.started.pop_front().expect("front");
            self.finish_lost(&k);
        }
        // Half classic requests whose other cathetus never came.
        for q in &mut self.classic_wait {
            while q.front().is_some_and(|(t, _, _)| t + expire <= now_us) {
                q.pop_front();
                self.stats.unmatched += 1;
            }
        }
        if self.open.is_empty() {
            self.classic_open.clear();
            self.square_wait.iter_mut().for_each(VecDeque::clear);
            self.links.clear();
        }
    }

    pub(super) fn finish_lost(&mut self, k: &str) {
        if let Some(mut tr) = self.open.remove(k) {
            if tr.outcome == Outcome::Open {
                tr.outcome = Outcome::Lost;
            }
            self.forget_links(&tr);
            self.out.push(Output::Trace(Box::new(tr)));
        }
    }

    pub(super) fn forget_links(&mut self, tr: &Trace) {
        if let Some(l) = &tr.link {
            self.links.remove(l);
        }
    }

    /// Hand out everything still open (answered or not): at the end.
    pub fn flush(&mut self) {
        let mut keys: Vec<(u64, String)> = self.open.iter().map(|(k, t)| (t.id, k.clone())).collect();
        keys.sort();
        for (_, k) in keys {
            if let Some(tr) = self.open.remove(&k) {
                let mut tr = tr;
                if tr.outcome == Outcome::Open {
                    tr.outcome = Outcome::Lost;
                }
                self.out.push(Output::Trace(Box::new(tr)));
            }
        }
        self.lingering.clear();
        self.started.clear();
        self.links.clear();
    }

    /// Forget every request still open, handing out only those already
    /// answered (the observer stops following the others: a sampling
    /// window closed, so their next messages will not come).
    pub fn flush_quiet(&mut self) {
        let keys: Vec<String> = self.lingering.drain(..).map(|(_, k)| k).collect();
        for k in keys {
            if let Some(tr) = self.open.remove(&k) {
                self.out.push(Output::Trace(Box::new(tr)));
            }
        }
        self.stats.cut += self.open.len() as u64;
        self.open.clear();
        self.started.clear();
        self.links.clear();
        self.classic_open.clear();
        self.classic_wait.iter_mut().for_each(VecDeque::clear);
        self.square_wait.iter_mut().for_each(VecDeque::clear);
    }

    /// When [`Tracker::on_time`] next has something to do (µs), if ever.
    pub fn next_due(&self) -> Option<u64> {
        let a = self.lingering.front().map(|(t, _)| *t);
        let b = self.started.front().map(|(t, _)| t + self.cfg.expire_us);
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
