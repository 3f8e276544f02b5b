'use strict';
// Event-loop plumbing shared by sockets and roles: a libuv poll on a
// handle's descriptor (hb_handle_fd, through koffi.node.poll) that runs a
// drain function in setImmediate, never inside the native callback, so
// user code (message listeners, operation functions) always runs on a
// plain JavaScript stack.
const ffi = require('./ffi');

/**
 * Watches `fd` and calls `run(fromPoll)` from setImmediate when it is
 * readable or when `kick()` asks for it; calls are coalesced (at most one
 * pending at a time). `ref()`/`unref()` decide whether the watch keeps the
 * process alive.
 */
class Watcher {
  constructor(fd, run) {
    this._run = run;
    this._scheduled = false;
    this._fromPoll = false;
    this._closed = false;
    this._refd = true;
    this._immediate = null;
    this._tick = () => {
      this._immediate = null;
      this._scheduled = false;
      const fromPoll = this._fromPoll;
      this._fromPoll = false;
      if (!this._closed) this._run(fromPoll);
    };
    this._onPoll = (status) => {
      // A libuv error on the descriptor (it should not happen: it is the
      // handle's own epoll descriptor): stop watching rather than spin.
      if (typeof status === 'number' && status < 0) this.stop();
      this._fromPoll = true;
      this.kick();
    };
    this._poll = ffi.koffi.node.poll(fd, { readable: true }, this._onPoll);
  }

  /** Run the drain function soon (once, however often this is called meanwhile). */
  kick() {
    if (this._scheduled || this._closed) return;
    this._scheduled = true;
    this._immediate = setImmediate(this._tick);
    if (!this._refd) this._immediate.unref();
  }

  /** Stop watching for now (the descriptor stays the handle's). */
  stop() {
    if (this._poll) this._poll.stop();
  }

  /** Watch again after stop(), and drain once. */
  start() {
    if (this._closed) return;
    this._poll.start({ readable: true }, this._onPoll);
    if (!this._refd) this._poll.unref();
    this.kick();
  }

  ref() {
    this._refd = true;
    if (this._poll) this._poll.ref();
    if (this._immediate) this._immediate.ref();
  }

  unref() {
    this._refd = false;
    if (this._poll) this._poll.unref();
    if (this._immediate) this._immediate.unref();
  }

  /** Stop for good: call before the handle (and so its descriptor) is freed. */
  close() {
    if (this._closed) return;
    this._closed = true;
    if (this._immediate) clearImmediate(this._immediate);
    this._immediate = null;
    if (this._poll) this._poll.close();
    this._poll = null;
  }
}

/** A timer that does nothing but keep the process alive while a role runs. */
class KeepAlive {
  constructor() {
    this._t = setInterval(() => {}, 0x7fffffff);
  }
  ref() {
    if (this._t) this._t.ref();
  }
  unref() {
    if (this._t) this._t.unref();
  }
  close() {
    if (this._t) clearInterval(this._t);
    this._t = null;
  }
}

module.exports = { Watcher, KeepAlive };
