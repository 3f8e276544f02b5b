'use strict';
// The lab's roles as JavaScript objects, on the pull-style ABI: nothing of
// the library ever calls into JavaScript. Requests, answers and state
// changes are taken with zero-time-out calls when the handle's descriptor
// (hb_handle_fd) is readable, on the event loop.
const ffi = require('./ffi');
const { KeepAlive } = require('./loop');
const { HandleOwner } = require('./owner');
const { stats, optStr, optUint, curveOpt, reasonOf } = require('./util');

const { fn, S, HypobusError } = ffi;

/** A broker list: a string, an array of entries, or objects with a `.brokers` (Broker, FailoverBroker). */
function brokerList(b) {
  if (b === undefined || b === null) return null;
  if (typeof b === 'string') return b;
  if (Array.isArray(b)) return b.map(brokerList).join(',');
  if (typeof b === 'object' && typeof b.brokers === 'string') return b.brokers;
  throw new TypeError('brokers must be a broker list string ("HOST[:XSUB:XPUB],..."), an array, or a Broker');
}

const ENDPOINTS = { xsub: 0, xpub: 1, hb: 2 };

function whichOf(which, max) {
  const w = typeof which === 'string' ? ENDPOINTS[which] : which;
  if (!Number.isInteger(w) || w < 0 || w > max)
    throw new TypeError(
      `endpoint: which must be ${Object.keys(ENDPOINTS)
        .slice(0, max + 1)
        .join(', ')}`,
    );
  return w;
}

// ------------------------------------------------------------ broker

/**
 * A broker: XSUB (publishers connect) and XPUB (subscribers connect) with a
 * proxy between them, and a heartbeat PUB. Options: xsub, xpub, hb
 * (endpoints; null = the lab's defaults; hb '' or false = no heartbeat),
 * hbIntervalMs, inprocName, startPassive, curve.
 *
 * `curve` (every role class takes it): this role's own CURVE keys,
 * {cert, server, allow} (file names or Z85 keys, as setCurve); {} = CURVE
 * off for this role; absent or null = the process default (setCurve).
 */
class Broker extends HandleOwner {
  constructor(opts = {}) {
    super('Broker', 'hb_broker_free');
    const xsub = optStr(opts.xsub, 'xsub');
    const xpub = optStr(opts.xpub, 'xpub');
    const hb = opts.hb === false ? '' : optStr(opts.hb, 'hb');
    const interval = optUint(opts.hbIntervalMs, 'hbIntervalMs');
    const cfg = {
      size: ffi.koffi.sizeof(ffi.BrokerConfig),
      hb_interval_ms: interval,
      xsub,
      xpub,
      hb,
      inproc_name: optStr(opts.inprocName, 'inprocName'),
      start_passive: opts.startPassive ? 1 : 0,
      reserved: 0,
      curve: curveOpt(opts.curve),
    };
    this._h = ffi.create('hb_broker_new_ex', cfg);
    this._inproc = opts.inprocName || null;
    this._keep = new KeepAlive();
  }

  /** The endpoint actually bound: 'xsub', 'xpub' or 'hb' ('' without heartbeat). */
  endpoint(which) {
    return ffi.text('hb_broker_endpoint', this._handle('endpoint'), whichOf(which, 2));
  }

  /** This broker as an entry of a broker list ("XSUB|XPUB"), for nodes and clients. */
  get brokers() {
    return `${this.endpoint('xsub')}|${this.endpoint('xpub')}`;
  }

  stats() {
    return stats('hb_broker_stats', ffi.BrokerStats, this._handle('stats'));
  }

  setActive(on) {
    ffi.check(fn.hb_broker_set_active(this._handle('setActive'), on ? 1 : 0), 'hb_broker_set_active', this._h);
    return this;
  }

  isActive() {
    const v = [0];
    ffi.check(fn.hb_broker_is_active(this._handle('isActive'), v), 'hb_broker_is_active', this._h);
    return v[0] !== 0;
  }

  /** Stop forwarding and free the ports; stats() stays readable until close(). */
  stop() {
    return this._stopWith('hb_broker_stop');
  }
}

// ------------------------------------------------------------ failover broker

const ROLES = { primary: 0, backup: 1 };

/**
 * A broker of a primary/backup pair (Binary Star). Emits 'state'
 * ({active, atMs, reason}) and 'active' / 'passive' for every change.
 * Options: role ('primary' | 'backup'), peerHb (required), xsub, xpub, hb,
 * hbIntervalMs, peerIntervalMs, misses, ctl, curve (see Broker; the pair's
 * two brokers share one certificate).
 */
class FailoverBroker extends HandleOwner {
  constructor(opts = {}) {
    super('FailoverBroker', 'hb_failover_free');
    const role = typeof opts.role === 'number' ? opts.role : ROLES[opts.role];
    if (role !== 0 && role !== 1) throw new TypeError("role must be 'primary' or 'backup'");
    if (typeof opts.peerHb !== 'string') throw new TypeError("peerHb (the peer's heartbeat endpoint) is required");
    this.role = role === 0 ? 'primary' : 'backup';
    const cfg = {
      size: ffi.koffi.sizeof(ffi.FailoverConfig),
      role,
      xsub: optStr(opts.xsub, 'xsub'),
      xpub: optStr(opts.xpub, 'xpub'),
      hb: optStr(opts.hb, 'hb'),
      peer_hb: opts.peerHb,
      ctl: optStr(opts.ctl, 'ctl'),
      hb_interval_ms: optUint(opts.hbIntervalMs, 'hbIntervalMs'),
      peer_interval_ms: optUint(opts.peerIntervalMs, 'peerIntervalMs'),
      misses: optUint(opts.misses, 'misses'),
      reserved: 0,
      curve: curveOpt(opts.curve),
    };
    this._h = ffi.create('hb_failover_new_ex', cfg, null, null);
    this._at = new BigUint64Array(1);
    this._active = new Int32Array(1);
    this._reason = Buffer.alloc(ffi.TEXT_MAX);
    this._len = new Uint32Array(2);
    this._nextName = 'hb_failover_next_event';
    this._watch().kick();
  }

  _next() {
    return fn.hb_failover_next_event(this._h, 0, this._at, this._active, this._reason, this._reason.length, this._len);
  }

  _take() {
    const ev = {
      active: this._active[0] !== 0,
      atMs: Number(this._at[0]),
      reason: this._reason.toString('utf8', 0, this._len[0]),
    };
    this.emit('state', ev);
    this.emit(ev.active ? 'active' : 'passive', ev);
  }

  _onStopped() {
    this._watcher.close(); // the last events are taken: nothing more comes
  }

  isActive() {
    const v = [0];
    ffi.check(fn.hb_failover_is_active(this._handle('isActive'), v), 'hb_failover_is_active', this._h);
    return v[0] !== 0;
  }

  /** Ask this (active) backup to hand the traffic back to its primary; resolves when done. */
  handback(timeoutMs = 5000) {
    const h = this._handle('handback');
    return new Promise((resolve, reject) => {
      fn.hb_failover_handback.async(h, timeoutMs, (err, st) => {
        if (err) return reject(err);
        if (st !== S.HB_OK)
          return reject(
            this._closed
              ? new HypobusError('handback: the broker was closed', S.HB_STOPPED)
              : ffi.makeError(st, 'hb_failover_handback', h),
          );
        resolve();
      });
    });
  }

  endpoint(which) {
    return ffi.text('hb_failover_endpoint', this._handle('endpoint'), whichOf(which, 1));
  }

  get brokers() {
    return `${this.endpoint('xsub')}|${this.endpoint('xpub')}`;
  }

  stats() {
    const s = stats('hb_failover_stats', ffi.FailoverStats, this._handle('stats'));
    s.active = s.active !== 0;
    return s;
  }

  brokerStats() {
    return stats('hb_failover_broker_stats', ffi.BrokerStats, this._handle('brokerStats'));
  }

  /** Stop; the last events are still emitted. */
  stop() {
    return this._stopWith('hb_failover_stop');
  }
}

// ------------------------------------------------------------ calc node

/** The calculation node. Options: brokers, timeoutMs (for the operation nodes' squares; 0 = 2000), curve (see Broker). */
class CalcNode extends HandleOwner {
  constructor(opts = {}) {
    super('CalcNode', 'hb_calc_free');
    const cfg = {
      size: ffi.koffi.sizeof(ffi.CalcConfig),
      timeout_ms: optUint(opts.timeoutMs, 'timeoutMs'),
      brokers: brokerList(opts.brokers),
      curve: curveOpt(opts.curve),
    };
    this._h = ffi.create('hb_calc_new_ex', cfg);
    this._keep = new KeepAlive();
  }

  stats() {
    return stats('hb_calc_stats', ffi.CalcStats, this._handle('stats'));
  }

  stop() {
    return this._stopWith('hb_calc_stop');
  }
}

// ------------------------------------------------------------ operation node

/**
 * An operation node for `lane`. With `fn`, a JavaScript function computes
 * the answer: fn(x, text) gets the value as a number and exactly as sent
 * (e.g. "12") and returns (or resolves to) a number, a BigInt or a decimal
 * string (answered exactly); a throw, a rejection or any other value is
 * answered as an error (the calc node then computes that square itself).
 * Without `fn`, the library's built-in square serves the lane.
 * Options: lane (>= 1), fn, brokers, curve (see Broker).
 */
class OpNode extends HandleOwner {
  constructor(opts = {}) {
    super('OpNode', null);
    const lane = opts.lane;
    if (!Number.isInteger(lane) || lane < 1 || lane > 0xffffffff) throw new TypeError('lane must be an integer >= 1');
    if (opts.fn !== undefined && opts.fn !== null && typeof opts.fn !== 'function')
      throw new TypeError('fn must be a function');
    this.lane = lane;
    this._fn = opts.fn || null;
    this._inFlight = 0;
    const cfg = {
      size: ffi.koffi.sizeof(ffi.OpConfig),
      lane,
      brokers: brokerList(opts.brokers),
      curve: curveOpt(opts.curve),
    };
    if (!this._fn) {
      this._builtin = true;
      this._free = 'hb_op_free';
      this._h = ffi.create('hb_op_new_ex', cfg, null, null);
      this._keep = new KeepAlive();
      return;
    }
    this._builtin = false;
    this._free = 'hb_op_pull_free';
    this._h = ffi.create('hb_op_pull_new_ex', cfg);
    this._id = new BigUint64Array(1);
    this._value = new Float64Array(1);
    this._text = Buffer.alloc(ffi.TEXT_MAX);
    this._len = new Uint32Array(2);
    this._nextName = 'hb_op_pull_recv';
    this._watch().kick();
  }

  _next() {
    return fn.hb_op_pull_recv(this._h, 0, this._id, this._value, this._text, this._text.length, this._len);
  }

  _take() {
    this._serve(this._id[0], this._value[0], this._text.toString('utf8', 0, this._len[0]));
  }

  _serve(id, x, text) {
    let r;
    try {
      r = this._fn(x, text);
    } catch (e) {
      this._error(id, reasonOf(e, 'operation failed'));
      return;
    }
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
      this._inFlight++;
      Promise.resolve(r).then(
        (v) => {
          this._inFlight--;
          this._answer(id, v);
        },
        (e) => {
          this._inFlight--;
          this._error(id, reasonOf(e, 'operation failed'));
        },
      );
      return;
    }
    this._answer(id, r);
  }

  /**
   * One reply call, made again while a signal interrupts it. The library
   * takes the request before it publishes the answer, so a call interrupted
   * while publishing leaves no request to answer: a retry then finds none
   * (HB_INVALID_ARGUMENT). That answer is lost, and the calc node computes
   * the square itself after its time-out; nothing else is wrong.
   */
  _reply(name, id, arg) {
    let st = fn[name](this._h, id, arg);
    let interrupted = false;
    for (let i = 0; i < 16 && st === S.HB_INTERRUPTED; i++) {
      interrupted = true;
      st = fn[name](this._h, id, arg);
    }
    if (interrupted && st === S.HB_INVALID_ARGUMENT) return S.HB_OK;
    return st;
  }

  _answer(id, v) {
    if (this._closed) return;
    let st;
    let name = 'hb_op_pull_reply';
    if (typeof v === 'number') {
      st = this._reply(name, id, v);
    } else if (typeof v === 'bigint') {
      if (v < 0n) return this._error(id, `the operation returned a negative result (${v})`);
      name = 'hb_op_pull_reply_text';
      st = this._reply(name, id, v.toString());
    } else if (typeof v === 'string') {
      name = 'hb_op_pull_reply_text';
      st = this._reply(name, id, v);
      if (st === S.HB_INVALID_ARGUMENT) {
        return this._error(
          id,
          `the operation returned "${v.length > 64 ? `${v.slice(0, 64)}...` : v}", not a non-negative decimal number`,
        );
      }
    } else {
      return this._error(
        id,
        `the operation returned ${v === null ? 'null' : typeof v}, not a number, BigInt or decimal string`,
      );
    }
    if (st !== S.HB_OK) this._emitError(ffi.makeError(st, name, this._h));
  }

  _error(id, reason) {
    if (this._closed) return;
    const st = this._reply('hb_op_pull_reply_error', id, reason.length > 400 ? `${reason.slice(0, 400)}...` : reason);
    if (st !== S.HB_OK) this._emitError(ffi.makeError(st, 'hb_op_pull_reply_error', this._h));
  }

  /** Requests handed to an async fn and not answered yet. */
  get inFlight() {
    return this._inFlight;
  }

  stats() {
    const h = this._handle('stats');
    return this._builtin ? stats('hb_op_stats', ffi.OpStats, h) : stats('hb_op_pull_stats', ffi.OpStats, h);
  }
}

// ------------------------------------------------------------ client

/**
 * A hypotenuse client: `await client.hypot(12, 13)` → '17.6918'; many
 * requests may be in flight at once. Options: brokers, classic (the
 * original untagged wire, one request at a time), timeoutMs (a request's
 * default lifetime; 0 = 5000), curve (see Broker).
 */
class Client extends HandleOwner {
  constructor(opts = {}) {
    super('Client', 'hb_client_free');
    const cfg = {
      size: ffi.koffi.sizeof(ffi.ClientConfig),
      timeout_ms: optUint(opts.timeoutMs, 'timeoutMs'),
      brokers: brokerList(opts.brokers),
      classic: opts.classic ? 1 : 0,
      reserved: 0,
      curve: curveOpt(opts.curve),
    };
    this._h = ffi.create('hb_client_new_ex', cfg);
    this._pending = new Map();
    this._subId = new BigUint64Array(1);
    this._id = new BigUint64Array(1);
    this._result = new Int32Array(1);
    this._text = Buffer.alloc(ffi.TEXT_MAX);
    this._len = new Uint32Array(2);
    this._nextName = 'hb_client_next';
    this._watch().unref();
  }

  /**
   * The hypotenuse of a and b (non-negative decimal numbers, as numbers,
   * BigInts or strings), as the lab prints it: a string with 4 decimals.
   * Rejects with a HypobusError: code 'HB_REMOTE' (the lab answered an
   * error), 'HB_TIMEOUT', 'HB_INVALID_ARGUMENT', 'HB_STOPPED' (closed).
   */
  hypot(a, b, opts = {}) {
    if (this._closed) return Promise.reject(new HypobusError('hypot: the client is closed', S.HB_STOPPED));
    const limit = opts.timeoutMs === undefined ? 0 : opts.timeoutMs;
    if (!Number.isInteger(limit) || limit < 0 || limit > 0x7fffffff)
      return Promise.reject(new TypeError('timeoutMs must be a non-negative integer'));
    const st = fn.hb_client_submit(this._h, String(a), String(b), limit, this._subId);
    if (st !== S.HB_OK) return Promise.reject(ffi.makeError(st, 'hypot', this._h));
    const id = this._subId[0];
    const p = new Promise((resolve, reject) => this._pending.set(id, { resolve, reject }));
    if (this._refd) this._watcher.ref();
    this._watcher.kick();
    return p;
  }

  _next() {
    return fn.hb_client_next(this._h, 0, this._id, this._result, this._text, this._text.length, this._len);
  }

  _take() {
    const entry = this._pending.get(this._id[0]);
    if (!entry) return;
    this._pending.delete(this._id[0]);
    const text = this._text.toString('utf8', 0, this._len[0]);
    const r = this._result[0];
    if (r === S.HB_OK) entry.resolve(text);
    else entry.reject(new HypobusError(`hypot: ${text} (${ffi.STATUS_NAMES[r] || r})`, r));
  }

  /** The client keeps the process alive only while requests are in flight. */
  _awaiting() {
    return this._pending.size > 0;
  }

  /** Requests submitted and not finished. */
  inFlight() {
    const v = [0];
    ffi.check(fn.hb_client_in_flight(this._handle('inFlight'), v), 'hb_client_in_flight', this._h);
    return v[0];
  }

  stats() {
    return stats('hb_client_stats', ffi.ClientStats, this._handle('stats'));
  }

  /** Close the client (close()): requests in flight reject with HB_STOPPED. */
  _afterClose() {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const e of pending) e.reject(new HypobusError('hypot: the client was closed', S.HB_STOPPED));
  }
}

module.exports = { Broker, FailoverBroker, CalcNode, OpNode, Client, brokerList };
