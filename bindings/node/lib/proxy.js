'use strict';
// zmq.proxy(frontend, backend[, capture]). Without a capture socket, on
// hb_proxy_*: the library forwards whole messages between the two sockets
// on its own thread (zmq_proxy), instead of v5's JavaScript 'message'
// listeners. With one, as v5 did it (with listeners), because v5's capture
// is not zmq_proxy's: it gets only what comes from the backend, and for
// router/dealer without its first two frames (the requester's envelope).
const ffi = require('./ffi');
const { KeepAlive } = require('./loop');

const { fn } = ffi;

const PAIRS = new Set(['push/pull', 'pull/push', 'xpub/xsub', 'router/dealer', 'xrep/xreq']);

class NativeProxy {
  constructor(frontend, backend, capture) {
    this.sockets = [frontend, backend].concat(capture ? [capture] : []);
    for (const s of this.sockets) {
      if (s.closed) throw new TypeError('Socket is closed');
      if (s._proxy) throw new TypeError('Socket is busy: it is in a zmq.proxy()');
    }
    this._h = ffi.create('hb_proxy_new', frontend._h, backend._h, capture ? capture._h : null);
    for (const s of this.sockets) {
      s._proxy = this;
      if (s._watcher) s._watcher.stop();
    }
    this._keep = new KeepAlive(); // the sockets' watches are stopped: this keeps the process alive
  }

  stats() {
    const s = { size: ffi.koffi.sizeof(ffi.ProxyStats) };
    ffi.check(fn.hb_proxy_stats(this._h, s), 'hb_proxy_stats', this._h);
    return s;
  }

  /** One of the sockets is being closed: stop forwarding and give the others back. */
  _release(closing) {
    if (!this._h) return;
    fn.hb_proxy_free(this._h); // the sockets are back in their handles when it returns
    this._h = null;
    this._keep.close();
    for (const s of this.sockets) {
      s._proxy = null;
      if (s === closing || s.closed) continue;
      if (s._watcher) s._watcher.start();
      if (s._out.length) s._flushWrites();
    }
  }
}

/** v5's proxy with a capture socket: 'message' listeners, with counters. */
class ListenerProxy {
  constructor(frontend, backend, capture, envelope) {
    this.sockets = [frontend, backend, capture];
    for (const s of this.sockets) {
      if (s.closed) throw new TypeError('Socket is closed');
      if (s._proxy) throw new TypeError('Socket is busy: it is in a zmq.proxy()');
    }
    this._c = { to_backend_msgs: 0, to_backend_bytes: 0, to_frontend_msgs: 0, to_frontend_bytes: 0 };
    const bytes = (frames) => frames.reduce((n, f) => n + f.length, 0);
    frontend.on('message', (...frames) => {
      this._c.to_backend_msgs++;
      this._c.to_backend_bytes += bytes(frames);
      backend.send(frames);
    });
    backend.on('message', (...frames) => {
      this._c.to_frontend_msgs++;
      this._c.to_frontend_bytes += bytes(frames);
      frontend.send(frames);
      capture.send(envelope ? frames.slice(2) : frames);
    });
  }

  stats() {
    const running = this.sockets.every((s) => !s.closed) ? 1 : 0;
    return { size: ffi.koffi.sizeof(ffi.ProxyStats), paused: 0, running, reserved: 0, ...this._c, dropped: 0 };
  }
}

/**
 * Forward between `frontend` and `backend` (and copy to `capture`), like
 * v5's zmq.proxy: the pairs 'push/pull', 'pull/push', 'xpub/xsub',
 * 'router/dealer' ('xrep/xreq'). Runs until one of the sockets is closed.
 */
function proxy(frontend, backend, capture) {
  if (!frontend || !backend || typeof frontend.type !== 'string' || typeof backend.type !== 'string') {
    throw new TypeError('proxy(frontend, backend[, capture]) takes sockets');
  }
  const pair = `${frontend.type}/${backend.type}`;
  if (!PAIRS.has(pair)) throw new Error('wrong socket order to proxy');
  if (capture) return new ListenerProxy(frontend, backend, capture, pair === 'router/dealer' || pair === 'xrep/xreq');
  return new NativeProxy(frontend, backend, null);
}

module.exports = { proxy, NativeProxy, ListenerProxy };
