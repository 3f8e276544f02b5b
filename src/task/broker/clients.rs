//! The task broker's frontend: clients' requests and fetches in, answers out
//! (held until the journal batch that recorded them is committed).

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
        let frames = if classic {
            vec![Vec::new(), body.to_vec()]
        } else {
            vec![Vec::new(), CLIENT.to_vec(), proto::REPLY.to_vec(), id.as_bytes().to_vec(), status.to_vec(), body.to_vec()]
        };
        self.outbox.push((route.to_vec(), frames));
    }

    pub(super) fn flush_outbox(&mut self) {
        for (route, frames) in self.outbox.drain(..) {
            let _ = self.frontend.send(&route, zmq::SNDMORE | zmq::DONTWAIT);
            let last = frames.len() - 1;
            for (i, fr) in frames.iter().enumerate() {
                let _ = self.frontend.send(&fr[..], if i < last { zmq::SNDMORE | zmq::DONTWAIT } else { zmq::DONTWAIT });
            }
        }
    }

    pub(super) fn on_request(&mut self, route: Vec<u8>, classic: bool, id: String, service: String, body: Vec<u8>, from_peer: bool) {
        if let Some(&key) = self.by_id.get(&id) {
            // A resend of a request still running: answers go to the newest route.
            self.st.resends += 1;
            let r = self.reqs.get_mut(&key).expect("by_id and reqs agree");
            r.route = route.clone();
            self.reply_to(&route, classic, &id, proto::PENDING, b"");
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
        if self.reqs.len() >= self.cfg.max_pending {
            self.reply_to(&route, classic, &id, proto::ERR, format!("broker overloaded: {} requests pending", self.reqs.len()).as_bytes());
            return;
        }
        let t = StoredTask { id, service, body, route, classic, accepted_ms: crate::log::now_ms() };
        match self.store.accept(&t) {
            Ok(Known::New) | Ok(Known::Pending) => {}
            Ok(Known::Done(res)) => {
                self.st.resends += 1;
                self.st.replies += 1;
                self.reply_to(&t.route, classic, &t.id, if res.ok { proto::OK } else { proto::ERR }, &res.body);
                return;
            }
            Err(e) => {
                log!("task-broker", "{}: journal write failed: {e}", self.name);
                self.reply_to(&t.route, classic, &t.id, proto::ERR, format!("the broker cannot journal the request: {e}").as_bytes());
                return;
            }
        }
        self.st.requests += 1;
        if from_peer {
            self.st.from_peers += 1;
        }
        let key = self.add_req(Req {
            id: t.id,
            service: t.service,
            body: t.body,
            route: t.route,
            classic,
            from_peer,
            state: State::Queued,
            attempts: 0,
            avoid: None,
        });
        self.enqueue(key, false);
    }

    pub(super) fn on_fetch(&mut self, route: &[u8], id: String) {
        self.st.resends += 1;
        if let Some(&key) = self.by_id.get(&id) {
            let r = self.reqs.get_mut(&key).expect("by_id and reqs agree");
            r.route = route.to_vec();
            r.classic = false;
            self.reply_to(route, false, &id, proto::PENDING, b"");
            return;
        }
        match self.store.result(&id) {
            Ok(Some(res)) => {
                self.st.replies += 1;
                self.reply_to(route, false, &id, if res.ok { proto::OK } else { proto::ERR }, &res.body);
            }
            Ok(None) => self.reply_to(route, false, &id, proto::UNKNOWN, b""),
            Err(e) => self.reply_to(route, false, &id, proto::ERR, format!("the broker cannot read its journal: {e}").as_bytes()),
        }
    }
}
