'use strict';
// zeromq.js v5's socket API (require('zeromq') up to 5.x, and
// require('zeromq/v5-compat') in 6.x) on libhypobus's generic sockets.
//
// How it runs (the same shape as v5, which watched ZMQ_FD with uv_poll):
// each socket watches hb_handle_fd on the event loop; when it is readable
// (or after a call that may have consumed its signal), `_run` starts a
// receive chain: zero-time-out receives, one message per tick
// (process.nextTick), as zeromq.js emits them, so a listener that throws,
// pauses or closes the socket acts between two messages and loses none;
// after a batch the chain yields (setImmediate), so a flood cannot starve
// timers. When the chain ends, `_service` takes monitor events and retries
// sends queued in JavaScript.
// Sends that cannot go now (no room, or a REQ waiting for its reply) wait
// in the queue, in order, exactly like v5's BatchList.
const { EventEmitter } = require('node:events');
const util = require('node:util');
const ffi = require('./ffi');
const { Watcher, KeepAlive } = require('./loop');
const C = require('./constants');

const { fn, S, POLLIN, POLLOUT, POLLMON } = ffi;

const EFSM = 156384763; // libzmq's EFSM (ZMQ_HAUSNUMERO + 51)

/** Messages taken per batch before yielding to the event loop. */
const READ_BATCH = 512;

// ------------------------------------------------------------ shared buffers
// One JavaScript thread uses them, one call at a time.

let recvBuf = Buffer.allocUnsafe(64 * 1024);
let recvMaxFrames = 64;
let recvSizes = new Uint32Array(recvMaxFrames * 2); // size_t[]: low, high words
const recvN = new Uint32Array(2); // size_t nframes
const recvTotal = new Uint32Array(2); // size_t total

let sendBuf = Buffer.allocUnsafe(64 * 1024);
let sendSizesCap = 64;
let sendSizes = new Uint32Array(sendSizesCap * 2);
const oneSize = new Uint32Array(2);
const evOut = new Int32Array(1);
const scratch = [];

const eventStruct = Buffer.alloc(24); // hb_socket_event_t: u32 size, i32 event, i64 value, u64 dropped
eventStruct.writeUInt32LE(24, 0);
const eventAddr = Buffer.allocUnsafe(ffi.TEXT_MAX);
const eventAddrLen = new Uint32Array(2);

/** `have` doubled until it reaches `need`. */
function doubled(have, need) {
  while (have < need) have *= 2;
  return have;
}

function growRecv(nframes, total) {
  if (total > recvBuf.length) recvBuf = Buffer.allocUnsafe(doubled(recvBuf.length, total));
  if (nframes > recvMaxFrames) {
    recvMaxFrames = doubled(recvMaxFrames, nframes);
    recvSizes = new Uint32Array(recvMaxFrames * 2);
  }
}

/** Receive one message into the shared buffers (grown as it needs), without waiting: the status. */
function recvShared(h) {
  for (;;) {
    const st = fn.hb_socket_recv(h, 0, recvBuf, recvBuf.length, recvSizes, recvMaxFrames, recvN, recvTotal);
    if (st !== S.HB_BUFFER_TOO_SMALL) return st;
    growRecv(recvN[0], recvTotal[0]);
  }
}

function sendRoom(bytes, frames) {
  if (bytes > sendBuf.length) sendBuf = Buffer.allocUnsafe(doubled(sendBuf.length, bytes));
  if (frames > sendSizesCap) {
    sendSizesCap = doubled(sendSizesCap, frames);
    sendSizes = new Uint32Array(sendSizesCap * 2);
  }
}

/** A frame as v5 sends it: Buffers as they are, anything else as String(x) in UTF-8. */
function frameOf(x) {
  if (Buffer.isBuffer(x)) return x;
  if (typeof x === 'string') return x;
  if (ArrayBuffer.isView(x)) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  if (x instanceof ArrayBuffer) return Buffer.from(x);
  return String(x);
}

// ------------------------------------------------------------ option tables

/** Options whose value is bytes (v5 returns them as strings). */
const BINARY_OPTIONS = new Set([5, 6, 7, 32, 38, 45, 46, 48, 49, 50, 55, 61, 68, 72, 92]);
/** Options v5's getsockopt refused for reading. */
const WRITE_ONLY = new Set([6, 7]);

function optionNumber(opt) {
  if (typeof opt === 'number') return opt;
  if (typeof opt === 'string') {
    if (Object.prototype.hasOwnProperty.call(C.options, opt)) return C.options[opt];
    if (Object.prototype.hasOwnProperty.call(C.longOptions, opt)) return C.longOptions[opt];
  }
  throw new TypeError(`Unknown option: ${String(opt)}`);
}

function socketTypeOf(type) {
  if (typeof type === 'number' && Number.isInteger(type) && type >= 0 && type <= 11) return type;
  if (typeof type === 'string' && Object.prototype.hasOwnProperty.call(C.types, type)) return C.types[type];
  throw new TypeError(`Invalid socket type: ${String(type)}`);
}

const TYPE_NAMES = ['pair', 'pub', 'sub', 'req', 'rep', 'dealer', 'router', 'pull', 'push', 'xpub', 'xsub', 'stream'];
const CAN_RECV = new Set([0, 2, 3, 4, 5, 6, 7, 9, 10, 11]);
const CAN_SEND = new Set([0, 1, 3, 4, 5, 6, 8, 9, 10, 11]);

/** libzmq's own error numbers (ZMQ_HAUSNUMERO + n) by name. */
const LIBZMQ_ERRNOS = new Map([
  [EFSM, 'EFSM'],
  [EFSM + 1, 'ENOCOMPATPROTO'],
  [EFSM + 2, 'ETERM'],
  [EFSM + 3, 'EMTHREAD'],
]);

/** The name of an errno as zeromq.js gives it in `code` ('EHOSTUNREACH', 'EFSM'...). */
function errnoName(errno) {
  const z = LIBZMQ_ERRNOS.get(errno);
  if (z) return z;
  const m = util.getSystemErrorMap().get(-errno);
  return m ? m[0] : `E${errno}`;
}

/**
 * An error as zeromq.js makes it for a libzmq failure: `message` is
 * libzmq's text (zmq_strerror), `code` the errno's name, `errno` the
 * number, `address` the endpoint of a bind/connect.
 */
function zmqError(errno, address) {
  const e = new Error(ffi.strerror(errno));
  e.errno = errno;
  e.code = errnoName(errno);
  if (address !== undefined) e.address = address;
  return e;
}

// ------------------------------------------------------------ the socket

/** A FIFO with O(1) shift (a flood can queue many thousands of messages). */
class Fifo {
  constructor() {
    this.items = [];
    this.head = 0;
  }
  get length() {
    return this.items.length - this.head;
  }
  push(x) {
    this.items.push(x);
  }
  peek() {
    return this.items[this.head];
  }
  shift() {
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  clear() {
    this.items = [];
    this.head = 0;
  }
}

/** A batch of frames that goes as one message, with the callbacks of its send() calls. */
class OutBatch {
  constructor() {
    this.parts = [];
    this.cbs = null;
  }
}

class Socket extends EventEmitter {
  /**
   * @param {string|number} type 'req', 'rep', 'pub', 'sub', 'push', 'pull',
   *   'dealer', 'router', 'pair', 'xpub', 'xsub', 'stream' (also 'xreq',
   *   'xrep'), or a ZMQ_* type number.
   */
  constructor(type) {
    super();
    const t = socketTypeOf(type);
    this.type = typeof type === 'string' ? type : TYPE_NAMES[t];
    this._kind = t;
    this._h = ffi.create('hb_socket_new', t);
    this._closed = false;
    this._paused = false;
    this._endpoints = 0;
    this._refd = true;
    this._watcher = null;
    this._open = null; // the batch being built with ZMQ_SNDMORE
    this._out = new Fifo(); // closed batches waiting to be sent
    this._blocked = false; // the head of _out was refused: wait for the descriptor before trying again
    this._monitoring = false;
    this._proxy = null; // the zmq.proxy() this socket is in
    this._pumping = false; // a receive chain step (_pump) is scheduled
    this._budget = READ_BATCH; // messages the chain may still take before yielding
    this._gotAny = false; // the chain emitted a message
    this._fromPoll = false; // the descriptor woke us
    this._run = this._run.bind(this);
    this._pump = this._pump.bind(this);
  }

  // -------------------------------------------------------- plumbing

  _live(what) {
    if (this._closed) throw new TypeError('Socket is closed');
    if (this._proxy && what !== 'close') throw new TypeError('Socket is busy: it is in a zmq.proxy()');
  }

  /**
   * The error of a failed call: for a libzmq failure, as zeromq.js makes it
   * (see zmqError), with the library's explanation in `detail` and its
   * status in `status`; otherwise (no errno: a closed handle, a bad
   * argument caught by the library) a HypobusError (code 'HB_...').
   */
  _err(st, what, address) {
    const info = ffi.errorInfo(this._h);
    if (info.status === st && info.errno > 0) {
      const e = zmqError(info.errno, address);
      e.status = st;
      e.operation = what;
      e.detail = `${what}: ${info.message || ffi.STATUS_NAMES[st]}`;
      return e;
    }
    const e = ffi.makeError(st, what, this._h);
    if (address !== undefined) e.address = address;
    return e;
  }

  _watch() {
    if (this._watcher || this._closed) return;
    this._watcher = new Watcher(ffi.handleFd(this._h, 'socket'), this._run);
    this._updateRef();
  }

  _updateRef() {
    if (!this._watcher) return;
    if (this._refd && this._endpoints > 0) this._watcher.ref();
    else this._watcher.unref();
  }

  /** After a call that may have made libzmq consume the descriptor's signal: look again soon. */
  _kick() {
    // While a receive chain runs, its next tick receives, and a receive
    // (until one finds nothing) makes libzmq process everything pending, so
    // no signal can be lost; the chain's end looks at the rest (_service).
    if (this._pumping) return;
    if (this._watcher && !this._proxy) this._watcher.kick();
  }

  /**
   * The drain step, from the descriptor or a kick (see the file's header):
   * receiving sockets start a receive chain (_pump), which takes care of
   * the rest when it ends; the others look at their events (_service).
   */
  _run(fromPoll) {
    if (this._closed || this._proxy) return;
    this._budget = READ_BATCH;
    if (fromPoll) this._fromPoll = true;
    if (CAN_RECV.has(this._kind) && !this._paused) {
      if (!this._pumping) {
        this._pumping = true;
        this._gotAny = false;
        process.nextTick(this._pump);
      }
      return;
    }
    this._service(false);
  }

  /**
   * One step of the receive chain, in a tick of its own: take one message
   * and emit it, the next step scheduled first (process.nextTick), so
   * messages come one per tick as zeromq.js emits them and a listener that
   * throws loses nothing; a listener that pauses or closes the socket stops
   * the chain before the next message is taken. After READ_BATCH messages
   * the chain yields to timers and I/O (setImmediate). It ends on a receive
   * that finds nothing (libzmq processed its commands: the descriptor is
   * quiet) or on anything else (the events tell what: _service).
   *
   * An exception in a listener is emitted as 'error' when the socket has an
   * 'error' listener (as v5), else thrown from this tick as an uncaught
   * exception (as v5's emit and zeromq.js do).
   */
  _pump() {
    this._pumping = false;
    if (this._closed || this._proxy) return;
    if (this._paused) {
      this._service(false);
      return;
    }
    if (this._budget <= 0) {
      this._watcher.kick(); // the rest on the next turn of the event loop (_run)
      return;
    }
    this._budget--;
    const st = recvShared(this._h);
    if (st === S.HB_OK) {
      const m = this._message(recvN[0], recvTotal[0]);
      this._gotAny = true;
      this._pumping = true;
      process.nextTick(this._pump);
      try {
        if (Array.isArray(m)) this.emit('message', ...m);
        else this.emit('message', m);
      } catch (err) {
        if (this.listenerCount('error') === 0) throw err;
        this.emit('error', err);
      }
      return;
    }
    if (st === S.HB_TIMEOUT) {
      this._service(true);
      return;
    }
    if (st === S.HB_INTERRUPTED) {
      this._watcher.kick(); // a signal ran: go on at the next turn
      return;
    }
    if (st !== S.HB_BUSY && st !== S.HB_STOPPED && st !== S.HB_INVALID_HANDLE) {
      const e = this._err(st, 'hb_socket_recv');
      // EFSM: nothing to receive in this state (v5 looked at ZMQ_EVENTS first)
      if (e.errno !== EFSM) this._emitError(e);
    }
    this._service(false);
  }

  /**
   * The rest of the drain step, once receiving is done. `clean`: the last
   * receive found nothing, which quieted the descriptor; the events are read
   * only when that is not enough: send-only sockets, queued sends, a
   * monitor, a pause, a receive that could not run.
   */
  _service(clean) {
    if (this._closed || this._proxy) return;
    const fromPoll = this._fromPoll;
    this._fromPoll = false;
    let did = this._gotAny;
    this._gotAny = false;
    let again = false;
    if (!clean || this._monitoring || this._out.length > 0 || this._paused) {
      const st = fn.hb_socket_events(this._h, evOut);
      if (st !== S.HB_OK) {
        if (st === S.HB_INTERRUPTED) return this._watcher.kick(); // a signal: look again at once
        if (st === S.HB_BUSY || st === S.HB_STOPPED || st === S.HB_INVALID_HANDLE) return;
        this._emitError(this._err(st, 'hb_socket_events'));
        return;
      }
      const ev = evOut[0];
      if (ev & POLLMON) {
        this._drainEvents();
        did = true;
      }
      // A message that came while this call made libzmq process its
      // commands (the descriptor's signal is used up): receive it.
      if (ev & POLLIN && CAN_RECV.has(this._kind) && !this._paused && !this._closed) again = true;
      if (this._out.length > 0 && !this._paused && !this._closed && (ev & POLLOUT || did || !this._blocked)) {
        this._blocked = false;
        if (this._flushWrites() > 0) again = true;
        did = true;
      }
    }
    if (!did && fromPoll && !this._closed) {
      // Woken with nothing to do: the handle's notifier may be set (after
      // a monitor change or a proxy); a zero-time-out event call clears it.
      this._drainEvents();
    }
    if (again && !this._closed) this._watcher.kick();
  }

  /** The message just received into the shared buffers: a Buffer, or an array of frames. */
  _message(n, total) {
    // One copy per message out of the shared buffer; the frames are views of it.
    const all = Buffer.allocUnsafe(total);
    recvBuf.copy(all, 0, 0, total);
    if (n === 1) return all;
    const frames = new Array(n);
    let off = 0;
    for (let i = 0; i < n; i++) {
      const sz = recvSizes[2 * i];
      frames[i] = all.subarray(off, off + sz);
      off += sz;
    }
    return frames;
  }

  /** Emit 'error' on a later tick (thrown as an uncaught exception if nobody listens, as zeromq.js). */
  _emitError(err) {
    process.nextTick(() => this.emit('error', err));
  }

  // -------------------------------------------------------- sending

  /**
   * Send a message: a frame (Buffer, string, number...) or an array of
   * frames (sent as one multipart message). `flags` may hold ZMQ_SNDMORE:
   * the message goes on with the next send(). `cb(err)` is called once the
   * message went to libzmq (or failed).
   */
  send(msg, flags, cb) {
    if (typeof flags === 'function' && cb === undefined) {
      cb = flags;
      flags = 0;
    }
    flags = flags | 0;
    if (cb !== undefined && cb !== null && typeof cb !== 'function')
      throw new TypeError('Provided callback must be a function');
    if (this._closed) {
      // v5 queued it on a closed socket and never sent it; tell a callback.
      if (cb) process.nextTick(cb, new TypeError('Socket is closed'));
      return this;
    }
    let b = this._open;
    // The hot path: a whole message, nothing queued before it, sent at once.
    const now = b === null && (flags & C.ZMQ_SNDMORE) === 0 && this._out.length === 0 && !this._paused && !this._proxy;
    if (Array.isArray(msg)) {
      const n = msg.length;
      if (n === 0) return this;
      if (now && this._trySend(msg, n, cb ? [cb] : null)) return this;
      if (b === null) b = this._open = new OutBatch();
      for (let i = 0; i < n; i++) b.parts.push(frameOf(msg[i]));
    } else {
      if (now && this._trySend1(msg, cb ? [cb] : null)) return this;
      if (b === null) b = this._open = new OutBatch();
      b.parts.push(frameOf(msg));
    }
    if (cb) (b.cbs || (b.cbs = [])).push(cb);
    if ((flags & C.ZMQ_SNDMORE) === 0) {
      this._open = null;
      this._out.push(b);
      if (!this._paused && !this._proxy && !this._blocked) this._flushWrites();
    }
    return this;
  }

  /**
   * Send one whole message now if libzmq takes it. True when it is done
   * with (sent, or failed and reported); false when it must wait (queue it).
   */
  _trySend(parts, n, cbs) {
    if (n === 1) return this._trySend1(parts[0], cbs);
    let bound = 0;
    for (let i = 0; i < n; i++) {
      const p = frameOf(parts[i]);
      scratch[i] = p;
      bound += typeof p === 'string' ? p.length * 3 : p.length;
    }
    sendRoom(bound, n);
    let off = 0;
    for (let i = 0; i < n; i++) {
      const p = scratch[i];
      scratch[i] = undefined;
      const len = typeof p === 'string' ? sendBuf.write(p, off) : p.copy(sendBuf, off);
      sendSizes[2 * i] = len;
      sendSizes[2 * i + 1] = 0;
      off += len;
    }
    const st = fn.hb_socket_send(this._h, sendBuf, sendSizes, n, 0, 0);
    return this._sent(st, cbs);
  }

  _trySend1(p, cbs) {
    p = frameOf(p);
    let data;
    if (typeof p === 'string') {
      sendRoom(p.length * 3, 1);
      oneSize[0] = sendBuf.write(p, 0);
      data = sendBuf;
    } else {
      oneSize[0] = p.length;
      data = p;
    }
    oneSize[1] = 0;
    const st = fn.hb_socket_send(this._h, data, oneSize, 1, 0, 0);
    return this._sent(st, cbs);
  }

  /** Act on a send's status; false when the message must wait for room. */
  _sent(st, cbs) {
    if (st === S.HB_OK) {
      this._kick();
      if (cbs) for (const cb of cbs) cb.call(this);
      return true;
    }
    if (st === S.HB_TIMEOUT) {
      // No room: wait for the descriptor (libzmq signals it when room comes).
      this._blocked = true;
      this._watch();
      return false;
    }
    if (st === S.HB_INTERRUPTED) {
      // A signal ran during the call: nothing was sent; try again soon.
      this._watch();
      this._kick();
      return false;
    }
    if (st === S.HB_BUSY) return false;
    const e = this._err(st, 'hb_socket_send');
    if (e.errno === EFSM) {
      // A REQ waiting for its reply (or a REP for its request): v5 kept
      // the message until the socket could send. So do we.
      this._blocked = true;
      this._watch();
      return false;
    }
    if (cbs) {
      process.nextTick(() => {
        for (const cb of cbs) cb.call(this, e);
      });
    } else {
      this._emitError(e);
    }
    return true;
  }

  /** Send queued batches in order until one must wait; returns how many went. */
  _flushWrites() {
    let n = 0;
    const q = this._out;
    while (q.length > 0 && !this._closed && !this._paused && !this._proxy) {
      const b = q.peek();
      if (!this._trySend(b.parts, b.parts.length, b.cbs)) break;
      q.shift();
      n++;
    }
    return n;
  }

  // -------------------------------------------------------- endpoints

  /**
   * v5's asynchronous bind and unbind: `op(addr)` runs now; its outcome
   * comes on a later tick: `cb(err)`, or the event `what` (then `cb()`).
   */
  _later(what, addr, cb, op) {
    if (typeof addr !== 'string') throw new TypeError('Address must be a string!');
    if (cb !== undefined && typeof cb !== 'function') throw new TypeError('Provided callback must be a function');
    this._live(what);
    let err = null;
    try {
      op.call(this, addr);
    } catch (e) {
      err = e;
    }
    const keep = new KeepAlive(); // the pending callback keeps the process alive, as v5's bind did
    setImmediate(() => {
      keep.close();
      if (err) {
        if (cb) cb(err);
        else if (this.listenerCount('error') > 0) this.emit('error', err);
        else
          process.emitWarning(
            `${what}(${addr}) failed and no callback or 'error' listener was given: ${err.message}`,
            'HypobusWarning',
          );
        return;
      }
      if (what === 'bind' && !this._closed) this._kick();
      this.emit(what, addr);
      if (cb) cb();
    });
    return this;
  }

  /** The synchronous endpoint calls: `op(addr)` now, its error thrown. */
  _now(what, addr, op) {
    if (typeof addr !== 'string') throw new TypeError('Address must be a string!');
    this._live(what);
    op.call(this, addr);
    return this;
  }

  /** One more endpoint: watch the descriptor, keep the process alive (unless unref()), look again. */
  _added() {
    this._endpoints++;
    this._watch();
    this._updateRef();
    this._kick();
  }

  _removed() {
    if (this._endpoints > 0) this._endpoints--;
    this._updateRef();
    this._kick();
  }

  _bind(addr) {
    const n = [0];
    // (A signal during the bind is retried by the library: it never fails with EINTR.)
    const st = fn.hb_socket_bind(this._h, addr, eventAddr, eventAddr.length, n);
    if (st !== S.HB_OK && st !== S.HB_BUFFER_TOO_SMALL) throw this._err(st, `bind(${addr})`, addr);
    this._added();
  }

  _unbind(addr) {
    const st = fn.hb_socket_unbind(this._h, addr);
    if (st !== S.HB_OK) throw this._err(st, `unbind(${addr})`, addr);
    this._removed();
  }

  _connect(addr) {
    const st = fn.hb_socket_connect(this._h, addr);
    if (st !== S.HB_OK) throw this._err(st, `connect(${addr})`, addr);
    this._added();
  }

  _disconnect(addr) {
    const st = fn.hb_socket_disconnect(this._h, addr);
    if (st !== S.HB_OK) throw this._err(st, `disconnect(${addr})`, addr);
    this._removed();
  }

  /** Bind asynchronously (as v5): `cb(err)` is called, and 'bind' emitted, on a later tick. */
  bind(addr, cb) {
    return this._later('bind', addr, cb, this._bind);
  }

  bindSync(addr) {
    return this._now('bindSync', addr, this._bind);
  }

  unbind(addr, cb) {
    return this._later('unbind', addr, cb, this._unbind);
  }

  unbindSync(addr) {
    return this._now('unbindSync', addr, this._unbind);
  }

  connect(addr) {
    return this._now('connect', addr, this._connect);
  }

  disconnect(addr) {
    return this._now('disconnect', addr, this._disconnect);
  }

  // -------------------------------------------------------- options

  setsockopt(opt, val) {
    const o = optionNumber(opt);
    this._live('setsockopt');
    let st;
    if (
      o === C.ZMQ_SUBSCRIBE ||
      o === C.ZMQ_UNSUBSCRIBE ||
      BINARY_OPTIONS.has(o) ||
      Buffer.isBuffer(val) ||
      typeof val === 'string'
    ) {
      let b;
      if (Buffer.isBuffer(val)) b = val;
      else if (typeof val === 'string') b = Buffer.from(val, 'utf8');
      else if (ArrayBuffer.isView(val)) b = Buffer.from(val.buffer, val.byteOffset, val.byteLength);
      else if (val === null || val === undefined) b = Buffer.alloc(0);
      else if (BINARY_OPTIONS.has(o)) throw new TypeError('Value must be a buffer');
      else b = Buffer.from(String(val), 'utf8');
      st = fn.hb_socket_setopt(this._h, o, b, b.length);
    } else {
      let v = val;
      if (typeof v === 'boolean') v = v ? 1 : 0;
      if (typeof v === 'bigint') v = Number(v);
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError('Value must be an integer');
      st = fn.hb_socket_setopt_int(this._h, o, Math.trunc(v));
    }
    if (st !== S.HB_OK) throw this._err(st, `setsockopt(${String(opt)})`);
    this._kick();
    return this;
  }

  getsockopt(opt) {
    const o = optionNumber(opt);
    this._live('getsockopt');
    if (WRITE_ONLY.has(o)) throw new Error('Invalid argument');
    let r;
    if (BINARY_OPTIONS.has(o)) {
      const n = new Uint32Array(2);
      const st = fn.hb_socket_getopt(this._h, o, eventAddr, eventAddr.length, n);
      if (st !== S.HB_OK) throw this._err(st, `getsockopt(${String(opt)})`);
      r = eventAddr.toString('utf8', 0, n[0]);
    } else {
      const v = [0];
      const st = fn.hb_socket_getopt_int(this._h, o, v);
      if (st !== S.HB_OK) throw this._err(st, `getsockopt(${String(opt)})`);
      r = Number(v[0]);
    }
    this._kick();
    return r;
  }

  subscribe(filter) {
    this.setsockopt(C.ZMQ_SUBSCRIBE, filter === undefined ? '' : filter);
    return this;
  }

  unsubscribe(filter) {
    this.setsockopt(C.ZMQ_UNSUBSCRIBE, filter === undefined ? '' : filter);
    return this;
  }

  // -------------------------------------------------------- flow

  /** No 'message' is emitted and every send() is queued until resume(). */
  pause() {
    this._paused = true;
  }

  resume() {
    this._paused = false;
    this._blocked = false;
    if (this._out.length) this._flushWrites();
    if (this._watcher) this._kick();
  }

  /** Keep the process alive while the socket has endpoints (the default). */
  ref() {
    this._refd = true;
    this._updateRef();
    return this;
  }

  /** Let the process end even though this socket is open. */
  unref() {
    this._refd = false;
    this._updateRef();
    return this;
  }

  /** Take one message now, as an array of Buffers, or null (v5's read()). */
  read() {
    if (this._closed || recvShared(this._h) !== S.HB_OK) return null;
    const m = this._message(recvN[0], recvTotal[0]);
    return Array.isArray(m) ? m : [m];
  }

  get closed() {
    return this._closed;
  }

  /** True while sends wait in the queue. */
  get pending() {
    return this._out.length > 0;
  }

  // -------------------------------------------------------- monitor

  /**
   * Emit the socket's events: 'connect', 'connect_delay', 'connect_retry',
   * 'listen', 'bind_error', 'accept', 'accept_error', 'close',
   * 'close_error', 'disconnect', each as (value, endpoint, error). They
   * come as they happen (the arguments of v5's polling timer are
   * checked but not needed).
   */
  monitor(interval, numOfEvents) {
    if (interval !== undefined && interval !== null) {
      if (typeof interval !== 'number') throw new TypeError('Option must be an integer');
      if (interval <= 0) throw new TypeError('Option must be a positive integer');
    }
    if (numOfEvents !== undefined && numOfEvents !== null) {
      if (typeof numOfEvents !== 'number') throw new TypeError('numOfEvents must be an integer');
      if (numOfEvents < 0) throw new TypeError('numOfEvents should be no less than zero');
    }
    this._live('monitor');
    const st = fn.hb_socket_monitor(this._h, C.MONITOR_MASK);
    if (st !== S.HB_OK) throw this._err(st, 'monitor');
    this._monitoring = true;
    this._watch();
    this._kick();
    return this;
  }

  unmonitor() {
    if (this._closed || !this._monitoring) return this;
    this._monitoring = false;
    if (!this._proxy) fn.hb_socket_monitor(this._h, 0);
    this._drainEvents(); // drops what was queued, clears the descriptor
    return this;
  }

  /** Take every queued socket event (emitting them while monitoring). */
  _drainEvents() {
    const h = this._h;
    for (let i = 0; i < 4096 && !this._closed; i++) {
      const st = fn.hb_socket_next_event(h, 0, eventStruct, eventAddr, eventAddr.length, eventAddrLen);
      if (st !== S.HB_OK) return;
      if (!this._monitoring) continue;
      const id = eventStruct.readInt32LE(4);
      const value = Number(eventStruct.readBigInt64LE(8));
      const name = C.events[id];
      if (!name) continue;
      const addr = eventAddr.toString('utf8', 0, eventAddrLen[0]);
      const error = id === 16 || id === 64 || id === 256 ? zmqError(value, addr) : undefined;
      try {
        this.emit(name, value, addr, error);
      } catch (err) {
        this._emitError(err);
      }
    }
  }

  // -------------------------------------------------------- close

  /** Close the socket. Queued sends are dropped (as v5); the process may then end. */
  close() {
    if (this._closed) return this;
    if (this._proxy) this._proxy._release(this);
    this._closed = true;
    this._out.clear();
    this._open = null;
    if (this._watcher) this._watcher.close();
    this._watcher = null;
    fn.hb_socket_free(this._h);
    this._h = null;
    return this;
  }
}

// Option properties, as v5: sock.identity = 'x', sock.linger, sock.last_endpoint...
for (const name of Object.keys(C.options)) {
  if (Object.prototype.hasOwnProperty.call(Socket.prototype, name)) continue;
  Object.defineProperty(Socket.prototype, name, {
    get() {
      return this.getsockopt(C.options[name]);
    },
    set(val) {
      if (typeof val === 'string') val = Buffer.from(val, 'utf8');
      this.setsockopt(C.options[name], val);
    },
    configurable: true,
    enumerable: false,
  });
}

function createSocket(type, options) {
  const sock = new Socket(type);
  if (options) for (const key of Object.keys(options)) sock[key] = options[key];
  return sock;
}

module.exports = {
  Socket,
  createSocket,
  socket: createSocket,
  CAN_RECV,
  CAN_SEND,
  TYPE_NAMES,
  EFSM,
  _internal: { frameOf },
};
