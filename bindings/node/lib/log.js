'use strict';
// The library's one-line event log (hb_log_*): to stderr, and/or as 'line'
// events on the event loop (hb_log_fd), for the whole process.
const { EventEmitter } = require('node:events');
const ffi = require('./ffi');
const { Watcher } = require('./loop');

const { fn, S, HB_LOG_STDERR: STDERR, HB_LOG_QUEUE: QUEUE } = ffi;

class Log extends EventEmitter {
  constructor() {
    super();
    this._mode = 0;
    this._watcher = null;
    this._buf = Buffer.alloc(ffi.TEXT_MAX);
    this._len = new Uint32Array(2);
    this.on('newListener', (name) => {
      if (name === 'line') setImmediate(() => this._update());
    });
    this.on('removeListener', (name) => {
      if (name === 'line') setImmediate(() => this._update());
    });
  }

  /** Where log lines go: {stderr: bool} (the 'line' events queue them while listened to). */
  enable(opts = {}) {
    this._stderr = Boolean(opts.stderr);
    this._update();
    return this;
  }

  _update() {
    const want = (this._stderr ? STDERR : 0) | (this.listenerCount('line') > 0 ? QUEUE : 0);
    if (want !== this._mode) {
      ffi.check(fn.hb_log_enable(want), 'hb_log_enable', null);
      this._mode = want;
    }
    if (want & QUEUE) {
      if (!this._watcher) {
        const fd = [0];
        ffi.check(fn.hb_log_fd(fd), 'hb_log_fd', null);
        this._watcher = new Watcher(fd[0], () => this._drain());
        this._watcher.unref(); // log lines never keep a program alive
      }
      this._watcher.kick();
    } else if (this._watcher) {
      this._watcher.close();
      this._watcher = null;
    }
  }

  _drain() {
    for (let i = 0; i < 256; i++) {
      const st = fn.hb_log_next(0, this._buf, this._buf.length, this._len);
      if (st !== S.HB_OK) return;
      this.emit('line', this._buf.toString('utf8', 0, this._len[0]));
    }
    if (this._watcher) this._watcher.kick();
  }
}

module.exports = { log: new Log() };
