'use strict';
// zmq.proxy(frontend, backend, capture) on hb_proxy_*: the library forwards
// whole messages between the two sockets on its own thread (zmq_proxy),
// instead of v5's JavaScript 'message' listeners.
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

/**
 * Forward between `frontend` and `backend` (and copy to `capture`), like
 * v5's zmq.proxy: the pairs 'push/pull', 'pull/push', 'xpub/xsub',
 * 'router/dealer' ('xrep/xreq'). Runs until one of the sockets is closed.
 */
function proxy(frontend, backend, capture) {
  if (!frontend || !backend || typeof frontend.type !== 'string' || typeof backend.type !== 'string') {
    throw new TypeError('proxy(frontend, backend[, capture]) takes sockets');
  }
  if (!PAIRS.has(`${frontend.type}/${backend.type}`)) throw new Error('wrong socket order to proxy');
  return new NativeProxy(frontend, backend, capture);
}

module.exports = { proxy, NativeProxy };
