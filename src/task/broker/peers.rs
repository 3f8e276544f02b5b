//! Peering: publishing spare capacity, reading peers', passing requests to a
//! live peer with capacity, taking back what a silent peer held.

use super::*;

impl Core {
    pub(super) fn peer_name(&self, i: usize) -> String {
        self.peers[i].name.clone().unwrap_or_else(|| self.peers[i].frontend_ep.clone())
    }

    pub(super) fn peer_serves(&self, svc: &str) -> bool {
        self.peers.iter().any(|p| p.alive && p.capacity.contains_key(svc))
    }

    pub(super) fn pick_peer(&self, svc: &str) -> Option<usize> {
        self.peers
            .iter()
            .enumerate()
            .filter(|(_, p)| p.alive)
            .filter_map(|(i, p)| p.capacity.get(svc).filter(|c| **c > 0).map(|c| (i, *c)))
            .max_by_key(|(i, c)| (*c, Reverse(*i)))
            .map(|(i, _)| i)
    }

    pub(super) fn forward(&mut self, key: RKey, p: usize) {
        let token = self.next_token;
        self.next_token += 1;
        let Some(r) = self.reqs.get_mut(&key) else { return };
        r.state = State::Forwarded { peer: p, token };
        r.attempts += 1;
        let peer = &mut self.peers[p];
        if let Some(c) = peer.capacity.get_mut(&r.service) {
            *c = c.saturating_sub(1);
        }
        let _ =
            send_all(&peer.dealer, &[b"", CLIENT, proto::REQUEST, r.id.as_bytes(), r.service.as_bytes(), &r.body, proto::FLAG_FROM_PEER]);
        self.st.forwarded += 1;
        let at = Instant::now() + self.cfg.answer_timeout * 2;
        self.add_timer(at, T_ANSWER, key, token);
    }

    pub(super) fn publish_state(&mut self) {
        let Some(pubs) = &self.state_pub else { return };
        let mut free: HashMap<&str, i64> = HashMap::new();
        for wk in self.workers.values() {
            for s in &wk.services {
                *free.entry(s.as_str()).or_default() += wk.credit as i64;
            }
        }
        let mut frames: Vec<Vec<u8>> = vec![proto::PEER.to_vec(), proto::STATE.to_vec(), self.name.as_bytes().to_vec()];
        for (s, n) in free {
            let waiting = self.services.get(s).map_or(0, |x| x.waiting.len() as i64);
            frames.push(s.as_bytes().to_vec());
            frames.push((n - waiting).max(0).to_string().into_bytes());
        }
        let refs: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
        let _ = send_all(pubs, &refs);
    }

    pub(super) fn drain_peer_state(&mut self, i: usize) -> Result<()> {
        let mut got = false;
        for _ in 0..BATCH {
            match crate::sys::ctx::recv_frames(&self.peers[i].sub, zmq::DONTWAIT, &mut self.frames, 256) {
                Ok(n) => {
                    let f = &self.frames;
                    if n < 3 || f[0] != proto::PEER || f[1] != proto::STATE || n % 2 == 0 {
                        self.st.malformed += 1;
                        continue;
                    }
                    let mut cap = HashMap::new();
                    for pair in f[3..].chunks(2) {
                        if let (Ok(s), Some(c)) = (std::str::from_utf8(&pair[0]), proto::parse_u32(&pair[1])) {
                            cap.insert(s.to_string(), c);
                        }
                    }
                    let name = String::from_utf8_lossy(&f[2]).into_owned();
                    let p = &mut self.peers[i];
                    if !p.alive {
                        log!("task-broker", "{}: peer {name} up ({})", self.name, p.state_ep);
                    }
                    p.alive = true;
                    p.name = Some(name);
                    p.capacity = cap;
                    p.last_heard = Some(Instant::now());
                    got = true;
                }
                Err(Error::Zmq(zmq::Error::EAGAIN)) => break,
                Err(e) => return Err(e),
            }
        }
        if got {
            let svcs: Vec<String> = self.peers[i].capacity.keys().cloned().collect();
            for s in svcs {
                self.pump(&s);
            }
        }
        Ok(())
    }

    pub(super) fn drain_peer_replies(&mut self, i: usize) -> Result<()> {
        for _ in 0..BATCH {
            match crate::sys::ctx::recv_frames(&self.peers[i].dealer, zmq::DONTWAIT, &mut self.frames, 8) {
                Ok(n) => {
                    // ['', HBTC01, REPLY, id, status, body]
                    let f = std::mem::take(&mut self.frames);
                    if n == 6 && f[0].is_empty() && f[1] == CLIENT && f[2] == proto::REPLY {
                        let id = String::from_utf8_lossy(&f[3]).into_owned();
                        let key = self.by_id.get(&id).copied();
                        let current =
                            key.filter(|k| self.reqs.get(k).is_some_and(|r| matches!(r.state, State::Forwarded { peer, .. } if peer == i)));
                        match (current, &f[4][..]) {
                            (Some(k), proto::OK) => self.finish(k, true, f[5].clone()),
                            (Some(k), proto::ERR) => self.finish(k, false, f[5].clone()),
                            (Some(k), proto::UNKNOWN) => self.retry_or_fail(k, "the peer lost it"),
                            (Some(_), _) => {}
                            (None, _) => self.st.late += 1,
                        }
                    } else {
                        self.st.malformed += 1;
                    }
                    self.frames = f;
                }
                Err(Error::Zmq(zmq::Error::EAGAIN)) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub(super) fn check_peers(&mut self, now: Instant) {
        let Some(iv) = self.cfg.peering.as_ref().map(|p| p.interval) else { return };
        let life = iv * self.cfg.liveness;
        for i in 0..self.peers.len() {
            let p = &mut self.peers[i];
            if p.alive && p.last_heard.is_some_and(|t| now.duration_since(t) > life) {
                p.alive = false;
                p.capacity.clear();
                log!("task-broker", "{}: peer {} silent for {} ms: capacity 0", self.name, self.peer_name(i), life.as_millis());
                let held: Vec<RKey> = self
                    .reqs
                    .iter()
                    .filter(|(_, r)| matches!(r.state, State::Forwarded { peer, .. } if peer == i))
                    .map(|(k, _)| *k)
                    .collect();
                for k in held {
                    self.enqueue(k, true);
                }
            }
        }
    }
}
