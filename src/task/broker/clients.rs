//! The task broker's frontend: clients' requests and fetches in, answers out
//! (held until the journal batch that recorded them is committed). New
//! requests of one drain are journaled together (`TaskStore::accept_many`:
//! one look-up for the batch in a remote store).

use super::*;

impl Core {
    pub(super) fn drain_frontend(&mut self) -> Result<()> {
        for _ in 0..BATCH {
            match crate::sys::ctx::recv_frames(&self.frontend, zmq::DONTWAIT, &mut self.frames, 8) {
                Ok(n) => {
                    let frames = std::mem::take(&mut self.frames);
                    self.on_client(&frames, n);
                    self.frames = frames;
                }
                Err(Error::Zmq(zmq::Error::EAGAIN)) => break,
                Err(e) => return Err(e),
            }
        }
        self.accept_staged();
        Ok(())
    }

    pub(super) fn on_client(&mut self, f: &[Vec<u8>], n: usize) {
        // [client, '', ...]
        if n < 3 || !f[1].is_empty() {
            self.st.malformed += 1;
            return;
        }
        let route = &f[0];
        if f[2] == CLIENT {
            if !(5..=8).contains(&n) {
                self.st.malformed += 1;
                return;
            }
            let (cmd, id) = (&f[3][..], &f[4][..]);
            if !proto::valid_id(id) {
                self.st.malformed += 1;
                return;
            }
            let id = String::from_utf8_lossy(id).into_owned();
            match cmd {
                proto::REQUEST if n == 7 || n == 8 => {
                    let service = &f[5];
                    let body = f[6].clone();
                    let from_peer = f.get(7).is_some_and(|x| x == proto::FLAG_FROM_PEER);
                    if !proto::valid_service(service) {
                        self.reply_to(
                            route,
                            false,
                            &id,
                            proto::ERR,
                            format!("bad service name {:?}", String::from_utf8_lossy(service)).as_bytes(),
                        );
                        return;
                    }
                    let service = String::from_utf8_lossy(service).into_owned();
                    self.on_request(route.clone(), false, id, service, body, from_peer);
                }
                proto::FETCH if n == 5 => self.on_fetch(route, id),
                _ => self.st.malformed += 1,
            }
            return;
        }
        // Course frames: [client, '', request...]; only one body frame is kept.
        if n > 3 {
            self.st.malformed += 1;
            return;
        }
        let id = format!("k{}.{}", self.epoch_tag, self.next_classic);
        self.next_classic += 1;
        self.on_request(route.clone(), true, id, String::new(), f[2].clone(), false);
    }

    /// Queue an answer to a client (sent after the next commit).
    pub(super) fn reply_to(&mut self, route: &[u8], classic: bool, id: &str, status: &[u8], body: &[u8]) {
        self.outbox.push((route.to_vec(), reply_frames(classic, id, status, body)));
    }

    /// Send an answer that depends on nothing uncommitted (`PENDING`, a
    /// journal error) at once: it is not held while the journal cannot commit.
    pub(super) fn reply_now(&self, route: &[u8], classic: bool, id: &str, status: &[u8], body: &[u8]) {
        self.send_to_client(route, &reply_frames(classic, id, status, body));
    }

    fn send_to_client(&self, route: &[u8], frames: &[Vec<u8>]) {
        let _ = self.frontend.send(route, zmq::SNDMORE | zmq::DONTWAIT);
        let last = frames.len() - 1;
        for (i, fr) in frames.iter().enumerate() {
            let _ = self.frontend.send(&fr[..], if i < last { zmq::SNDMORE | zmq::DONTWAIT } else { zmq::DONTWAIT });
        }
    }

    pub(super) fn flush_outbox(&mut self) {
        for (route, frames) in std::mem::take(&mut self.outbox) {
            self.send_to_client(&route, &frames);
        }
    }

    /// A resend of a request still running: answers go to the newest route.
    fn resent(&mut self, key: RKey, route: Vec<u8>, classic: bool, id: &str) {
        self.st.resends += 1;
        self.reply_now(&route, classic, id, proto::PENDING, b"");
        self.reqs.get_mut(&key).expect("by_id and reqs agree").route = route;
    }

    pub(super) fn on_request(&mut self, route: Vec<u8>, classic: bool, id: String, service: String, body: Vec<u8>, from_peer: bool) {
        if let Some(&key) = self.by_id.get(&id) {
            self.resent(key, route, classic, &id);
            return;
        }
        if body.len() > proto::MAX_BODY {
            self.reply_to(
                &route,
                classic,
                &id,
                proto::ERR,
                format!("request of {} bytes is too big (at most {})", body.len(), proto::MAX_BODY).as_bytes(),
            );
            return;
        }
        let pending = self.reqs.len() + self.staged.len();
        if pending >= self.cfg.max_pending {
            self.reply_to(&route, classic, &id, proto::ERR, format!("broker overloaded: {pending} requests pending").as_bytes());
            return;
        }
        self.staged.push(StoredTask { id, service, body, route, classic, accepted_ms: crate::log::now_ms() });
        self.staged_from_peer.push(from_peer);
    }

    /// Journal the new requests of this drain in one go, then queue them.
    pub(super) fn accept_staged(&mut self) {
        if self.staged.is_empty() {
            return;
        }
        let tasks = std::mem::take(&mut self.staged);
        let from_peers = std::mem::take(&mut self.staged_from_peer);
        // When the batch cannot be looked up (the database is gone), each
        // request on its own: those the store still knows get their answer,
        // the others an error at once.
        let known: Vec<Result<Known>> = match self.store.accept_many(&tasks) {
            Ok(k) => k.into_iter().map(Ok).collect(),
            Err(e) => {
                log!("task-broker", "{}: journal look-up failed for {} new requests: {e}", self.name, tasks.len());
                tasks.iter().map(|t| self.store.accept(t)).collect()
            }
        };
        for ((t, from_peer), k) in tasks.into_iter().zip(from_peers).zip(known) {
            if let Some(&key) = self.by_id.get(&t.id) {
                // The same id twice in one drain.
                self.resent(key, t.route, t.classic, &t.id);
                continue;
            }
            match k {
                Err(e) => {
                    let why = format!("the broker cannot journal the request: {e}");
                    self.reply_now(&t.route, t.classic, &t.id, proto::ERR, why.as_bytes());
                    continue;
                }
                Ok(Known::Done(res)) => {
                    self.st.resends += 1;
                    self.st.replies += 1;
                    if self.commit_retry.is_some() && !t.classic {
                        // Its answer may wait for the journal: the client waits too.
                        self.reply_now(&t.route, t.classic, &t.id, proto::PENDING, b"");
                    }
                    self.reply_to(&t.route, t.classic, &t.id, if res.ok { proto::OK } else { proto::ERR }, &res.body);
                    continue;
                }
                Ok(_) => {}
            }
            self.st.requests += 1;
            if from_peer {
                self.st.from_peers += 1;
            }
            self.queue_task(t, from_peer);
        }
    }

    pub(super) fn on_fetch(&mut self, route: &[u8], id: String) {
        self.st.resends += 1;
        if let Some(&key) = self.by_id.get(&id) {
            let r = self.reqs.get_mut(&key).expect("by_id and reqs agree");
            r.route = route.to_vec();
            r.classic = false;
            self.reply_now(route, false, &id, proto::PENDING, b"");
            return;
        }
        match self.store.result(&id) {
            Ok(Some(res)) => {
                self.st.replies += 1;
                self.reply_to(route, false, &id, if res.ok { proto::OK } else { proto::ERR }, &res.body);
            }
            Ok(None) => self.reply_to(route, false, &id, proto::UNKNOWN, b""),
            Err(e) => self.reply_now(route, false, &id, proto::ERR, format!("the broker cannot read its journal: {e}").as_bytes()),
        }
    }
}

fn reply_frames(classic: bool, id: &str, status: &[u8], body: &[u8]) -> Vec<Vec<u8>> {
    if classic {
        vec![Vec::new(), body.to_vec()]
    } else {
        vec![Vec::new(), CLIENT.to_vec(), proto::REPLY.to_vec(), id.as_bytes().to_vec(), status.to_vec(), body.to_vec()]
    }
}
