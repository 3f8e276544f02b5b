'use strict';
// The base of the objects that own one library handle (the lab's roles in
// lib/roles.js, the task objects in lib/task.js): the handle and its
// closing, stop(), ref()/unref() over a KeepAlive timer and/or a Watcher on
// the handle's descriptor, errors emitted or warned, and the drain of a
// handle whose results are pulled with zero-time-out calls.
const { EventEmitter } = require('node:events');
const ffi = require('./ffi');

const { Watcher } = require('./loop');

const { fn, S, HypobusError } = ffi;

/** Results taken per drain before yielding to the event loop. */
const BATCH = 256;

class HandleOwner extends EventEmitter {
  /**
   * @param {string} kind the class's name, for messages ('Broker', 'TaskClient'...)
   * @param {string|null} free the C function that frees the handle
   */
  constructor(kind, free) {
    super();
    this._kind = kind;
    this._free = free;
    this._h = null;
    this._closed = false;
    this._keep = null; // a KeepAlive: keeps the process alive while the library runs the object
    this._watcher = null; // a Watcher on the handle's descriptor
    this._refd = true; // ref() (the default) or unref()
  }

  /** The error of method `what` called on the closed object. */
  _closedError(what) {
    return new HypobusError(`${this._kind}.${what}: the ${this._kind} is closed`, S.HB_STOPPED);
  }

  /** Watch the handle's descriptor: `_drain()` runs when it is readable (the watcher is returned). */
  _watch() {
    this._watcher = new Watcher(ffi.handleFd(this._h, this._kind), () => this._drain());
    return this._watcher;
  }

  /** The handle, for method `what`; throws when closed. */
  _handle(what) {
    if (this._closed) throw this._closedError(what);
    return this._h;
  }

  _emitError(err) {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else process.emitWarning(err.message, 'HypobusWarning');
  }

  get closed() {
    return this._closed;
  }

  /**
   * Whether the watch keeps the process alive now (after ref()): always, by
   * default; the objects that wait for answers only while some are awaited.
   */
  _awaiting() {
    return true;
  }

  /** Let the process end while this object runs (it keeps the process alive by default). */
  unref() {
    this._refd = false;
    if (this._keep) this._keep.unref();
    if (this._watcher) this._watcher.unref();
    return this;
  }

  ref() {
    this._refd = true;
    if (this._keep) this._keep.ref();
    if (this._watcher && this._awaiting()) this._watcher.ref();
    return this;
  }

  /**
   * Stop the library's work with C function `name` (the handle stays
   * readable until close()): the process is no longer kept alive for it,
   * and a watched handle is drained once more (its last results, then
   * HB_STOPPED).
   */
  _stopWith(name) {
    if (this._closed) return this;
    if (this._keep) this._keep.close();
    ffi.check(fn[name](this._h), name, this._h);
    if (this._watcher) this._watcher.kick();
    return this;
  }

  /** What a subclass does once the handle is freed (settle what waits...). */
  _afterClose() {}

  close() {
    if (this._closed) return this;
    this._closed = true;
    if (this._watcher) this._watcher.close();
    if (this._keep) this._keep.close();
    fn[this._free](this._h);
    this._h = null;
    this._afterClose();
    return this;
  }

  /**
   * Take what the library has for us, up to BATCH results, with
   * `_next()` (a zero-time-out call: its status) and `_take()` (the result
   * of an HB_OK), then yield; `_nextName` names the call in errors. A full
   * batch drains again on the next turn of the event loop; otherwise the
   * descriptor wakes us, and the watch stops keeping the process alive
   * while nothing is awaited.
   */
  _drain() {
    let i = 0;
    for (; i < BATCH && !this._closed; i++) {
      const st = this._next();
      if (st === S.HB_TIMEOUT) break;
      if (st === S.HB_INTERRUPTED) return this._watcher.kick(); // a signal ran during the call: again at once
      if (st === S.HB_STOPPED) return this._onStopped();
      if (st !== S.HB_OK) {
        this._emitError(ffi.makeError(st, this._nextName, this._h));
        break;
      }
      this._take();
    }
    if (this._closed) return;
    if (i === BATCH) this._watcher.kick();
    else if (!this._awaiting()) this._watcher.unref();
  }

  /** The drain's call answered HB_STOPPED (stop() was called). */
  _onStopped() {}
}

module.exports = { HandleOwner, BATCH };
