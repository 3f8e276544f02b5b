'use strict';
// The task brokers (hb_task_*, the course's request/reply brokers and the
// task-server assignment) as JavaScript objects: TaskBroker, TaskWorker,
// TaskClient.
//
// Nothing of the library ever calls into JavaScript: the worker is created
// in the library's pull style (hb_task_worker_new with f NULL) and a
// handler function runs on the main thread, fed from the worker's
// descriptor (hb_handle_fd, watched by lib/loop.js), exactly like OpNode.
// The client's outcomes are taken the same way (hb_task_client_next with a
// zero time-out when its descriptor is readable).
const ffi = require('./ffi');
const { KeepAlive } = require('./loop');
const { HandleOwner, BATCH } = require('./owner');
const { stats, optStr, optUint, curveOpt, reasonOf } = require('./util');

const { fn, S, HypobusError, koffi } = ffi;

const BODY_START = 64 * 1024;
const REASON_MAX = 400;

// ------------------------------------------------------------ helpers

function optTimeout(v, what, dflt) {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff)
    throw new TypeError(`${what} must be a non-negative integer (milliseconds)`);
  return v;
}

/** A body: Buffer, any typed array / DataView / ArrayBuffer, or a string (UTF-8). */
function toBytes(v, what) {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  throw new TypeError(`${what} must be a Buffer, a Uint8Array or a string, not ${v === null ? 'null' : typeof v}`);
}

function isBytes(v) {
  return Buffer.isBuffer(v) || typeof v === 'string' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
}

function cut(s, n) {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}

function services(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(',');
  throw new TypeError('services must be a string ("A,B") or an array of strings');
}

function stopped(what) {
  return new HypobusError(`${what}: the object is closed`, S.HB_STOPPED);
}

const dispose = Symbol.dispose || Symbol.for('nodejs.dispose');

/**
 * A wait queued in `list`: a promise settled by whoever takes its entry
 * ({resolve, reject, timer}) out of the list (through `settled`), or
 * resolved with null after `ms`, the entry then taken out and
 * `onTimeout()` run.
 */
function waitIn(list, ms, onTimeout) {
  return new Promise((resolve, reject) => {
    const w = { resolve, reject, timer: null };
    w.timer = setTimeout(() => {
      const k = list.indexOf(w);
      if (k >= 0) list.splice(k, 1);
      if (onTimeout) onTimeout();
      resolve(null);
    }, ms);
    list.push(w);
  });
}

/** A wait of waitIn taken out of its list: its timer stopped, to be settled now. */
function settled(w) {
  if (w.timer) clearTimeout(w.timer);
  return w;
}

/** The task objects: a call on a closed one fails as stopped('Class.method'); `using` closes them. */
class TaskObject extends HandleOwner {
  _closedError(what) {
    return stopped(`${this._kind}.${what}`);
  }

  [dispose]() {
    this.close();
  }
}

// ------------------------------------------------------------ broker

const POLICIES = { lru: 0, load: 1, typed: 0 };
const WHICH = { frontend: 0, backend: 1, state: 2 };

function storeOf(opts) {
  if (opts.db !== undefined && opts.db !== null) {
    if (opts.journal !== undefined && opts.journal !== null) throw new TypeError('give journal or db, not both');
    if (typeof opts.db !== 'string' || opts.db === '') throw new TypeError('db must be the path of an SQLite file');
    return `sqlite:${opts.db}`;
  }
  const j = opts.journal;
  if (j === undefined || j === null || j === 'memory') return null;
  if (typeof j !== 'string' || j === '')
    throw new TypeError("journal must be 'memory', 'sqlite:PATH', the path of an SQLite file or a 'postgres://' URL");
  return /^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(j) ? j : `sqlite:${j}`;
}

function peersOf(p) {
  if (p === undefined || p === null) return null;
  const list = Array.isArray(p) ? p : [p];
  return list
    .map((e) => {
      if (typeof e === 'string') return e;
      if (e instanceof TaskBroker) return `${e.state}|${e.frontend}`;
      if (e && typeof e.state === 'string' && typeof e.frontend === 'string') return `${e.state}|${e.frontend}`;
      throw new TypeError("peers: each entry must be 'STATE_EP|FRONTEND_EP', {state, frontend} or a TaskBroker");
    })
    .join(',');
}

/**
 * A task broker: a ROUTER frontend for clients, a ROUTER backend for
 * workers, routing on a thread of the library. The course's REQ clients
 * and REQ workers work unchanged against it (policy 'lru'); TaskClient and
 * TaskWorker add ids, services, load, heartbeats, a journal.
 */
class TaskBroker extends TaskObject {
  constructor(opts = {}) {
    super('TaskBroker', 'hb_task_broker_free');
    if (opts === null || typeof opts !== 'object') throw new TypeError('TaskBroker options must be an object');
    const policy = opts.policy === undefined || opts.policy === null ? 'lru' : opts.policy;
    if (!Object.prototype.hasOwnProperty.call(POLICIES, policy))
      throw new TypeError("policy must be 'lru', 'load' or 'typed'");
    this.policy = policy;
    const cfg = {
      size: koffi.sizeof(ffi.TaskBrokerConfig),
      policy: POLICIES[policy],
      frontend: optStr(opts.frontend, 'frontend'),
      backend: optStr(opts.backend, 'backend'),
      store: storeOf(opts),
      name: optStr(opts.name, 'name'),
      state: optStr(opts.state, 'state'),
      peers: peersOf(opts.peers),
      answer_timeout_ms: optUint(opts.answerTimeoutMs, 'answerTimeoutMs'),
      max_attempts: optUint(opts.maxAttempts, 'maxAttempts'),
      hb_interval_ms: optUint(opts.hbIntervalMs, 'hbIntervalMs'),
      liveness: optUint(opts.liveness, 'liveness'),
      service_wait_ms: optUint(opts.serviceWaitMs, 'serviceWaitMs'),
      peer_interval_ms: optUint(opts.peerIntervalMs, 'peerIntervalMs'),
      full_sync: opts.fullSync ? 1 : 0,
      reserved: 0,
      curve: curveOpt(opts.curve),
    };
    if (cfg.peers && !cfg.state)
      throw new TypeError('peers need state (the endpoint this broker publishes its capacity on)');
    this.journal = cfg.store ? cfg.store : 'memory';
    this._h = ffi.create('hb_task_broker_new', cfg);
    this._stopped = false;
    this._keep = new KeepAlive();
  }

  /** An endpoint the broker bound ('frontend', 'backend' or 'state'; wildcard ports resolved). */
  endpoint(which) {
    const w = typeof which === 'string' ? WHICH[which] : which;
    if (w !== 0 && w !== 1 && w !== 2) throw new TypeError("endpoint: which must be 'frontend', 'backend' or 'state'");
    return ffi.text('hb_task_broker_endpoint', this._handle('endpoint'), w);
  }

  /** The endpoint clients connect to, e.g. tcp://127.0.0.1:40123. */
  get frontend() {
    return this.endpoint(0);
  }

  /** The endpoint workers connect to. */
  get backend() {
    return this.endpoint(1);
  }

  /** The capacity publication (peering; '' without). */
  get state() {
    return this.endpoint(2);
  }

  stats() {
    return stats('hb_task_broker_stats', ffi.TaskBrokerStats, this._handle('stats'));
  }

  /** Stop routing (the journal is committed, the ports freed); stats() stays readable until close(). */
  stop() {
    if (this._closed || this._stopped) return this;
    this._stopped = true;
    return this._stopWith('hb_task_broker_stop');
  }
}

function endpointOf(b, side, what) {
  if (b === undefined || b === null) return null;
  if (typeof b === 'string') return b;
  if (b instanceof TaskBroker) return b[side];
  throw new TypeError(`${what} must be an endpoint string or a TaskBroker`);
}

// ------------------------------------------------------------ worker

/** A request taken by a worker: answer it once with reply() or error(). */
class Job {
  constructor(worker, key, id, service, body) {
    this._w = worker;
    this._key = key;
    /** The request's id (the client's, or the broker's for a course client). */
    this.id = id;
    /** The service ('' = the default service). */
    this.service = service;
    /** The request's body. */
    this.body = body;
    this.answered = false;
  }

  _answer(what) {
    if (this.answered)
      throw new HypobusError(`Job.${what}: job ${this.id} was answered already`, S.HB_INVALID_ARGUMENT);
    if (this._w._closed)
      throw new HypobusError(
        `Job.${what}: the worker is closed (the broker dispatches the request again)`,
        S.HB_STOPPED,
      );
  }

  /** Answer with a result (Buffer, Uint8Array or string). */
  reply(data) {
    this._answer('reply');
    const buf = toBytes(data, 'Job.reply: the result');
    this.answered = true;
    this._w._held--;
    const st = fn.hb_task_worker_reply(this._w._h, this._key, buf, buf.length);
    ffi.check(st, 'hb_task_worker_reply', this._w._h);
  }

  /** Answer with an error: the client receives `reason` as a failed task. */
  error(reason) {
    this._answer('error');
    const text =
      cut(reason instanceof Error ? reasonOf(reason, 'handler failed') : String(reason), REASON_MAX) || 'failed';
    this.answered = true;
    this._w._held--;
    const st = fn.hb_task_worker_reply_error(this._w._h, this._key, text);
    ffi.check(st, 'hb_task_worker_reply_error', this._w._h);
  }
}

/**
 * A task worker: registers with a broker's backend, heartbeats, registers
 * again when the broker restarts. Pull style (`await worker.recv()`) or,
 * with `handler`, the handler answers every request on the main thread.
 */
class TaskWorker extends TaskObject {
  constructor(opts = {}) {
    super('TaskWorker', 'hb_task_worker_free');
    if (opts === null || typeof opts !== 'object') throw new TypeError('TaskWorker options must be an object');
    if (opts.handler !== undefined && opts.handler !== null && typeof opts.handler !== 'function')
      throw new TypeError('handler must be a function');
    const threads = optUint(opts.threads !== undefined ? opts.threads : opts.concurrency, 'threads', 1) || 1;
    const cfg = {
      size: koffi.sizeof(ffi.TaskWorkerConfig),
      threads,
      broker: endpointOf(opts.broker, 'backend', 'broker'),
      services: services(opts.services),
      name: optStr(opts.name, 'name'),
      hb_interval_ms: optUint(opts.hbIntervalMs, 'hbIntervalMs'),
      liveness: optUint(opts.liveness, 'liveness'),
      curve: curveOpt(opts.curve),
    };
    let load = null;
    if (opts.load !== undefined && opts.load !== null) load = this._loadArg(opts.load);
    this.threads = threads;
    this.services = cfg.services ? cfg.services.split(',') : [''];
    this._handler = opts.handler || null;
    this._h = ffi.create('hb_task_worker_new', cfg, null, null);
    this._held = 0;
    this._running = 0;
    this._waiters = [];
    this._job = new BigUint64Array(1);
    this._n = new BigUint64Array(1);
    this._n2 = new BigUint64Array(1);
    this._buf = Buffer.alloc(BODY_START);
    this._svc = Buffer.alloc(ffi.TEXT_MAX);
    this._id = Buffer.alloc(ffi.TEXT_MAX);
    if (load !== null) ffi.check(fn.hb_task_worker_set_load(this._h, load), 'hb_task_worker_set_load', this._h);
    this._watch();
    if (this._handler) {
      this._watcher.kick();
    } else {
      this._watcher.stop(); // watched only while a recv() waits
      this._watcher.unref();
    }
  }

  _loadArg(n) {
    if (n === null || n === undefined || n === 'auto') return -1;
    if (typeof n !== 'number' || !Number.isInteger(n) || n > 0x7fffffff)
      throw new TypeError("load must be an integer (0..100 by convention; negative or 'auto' = automatic)");
    return n < 0 ? -1 : n;
  }

  /** Take one job now if one is there: a Job, null, or throws. */
  _take() {
    for (;;) {
      const st = fn.hb_task_worker_recv(this._h, 0, this._job, this._buf, this._buf.length, this._n);
      if (st === S.HB_BUFFER_TOO_SMALL) {
        this._buf = Buffer.alloc(Math.max(Number(this._n[0]), this._buf.length * 2));
        continue;
      }
      if (st === S.HB_TIMEOUT) return null;
      if (st !== S.HB_OK) return st;
      const key = this._job[0];
      const body = Buffer.from(this._buf.subarray(0, Number(this._n[0])));
      const ist = fn.hb_task_worker_job_info(
        this._h,
        key,
        this._svc,
        this._svc.length,
        this._n,
        this._id,
        this._id.length,
        this._n2,
      );
      let service = '',
        id = '';
      if (ist === S.HB_OK) {
        service = this._svc.toString('utf8', 0, Number(this._n[0]));
        id = this._id.toString('utf8', 0, Number(this._n2[0]));
      }
      this._held++;
      return new Job(this, key, id, service, body);
    }
  }

  _drain() {
    let i = 0;
    for (; i < BATCH && !this._closed; i++) {
      if (!this._handler && this._waiters.length === 0) break;
      const r = this._take();
      if (r === null) break;
      if (typeof r === 'number') {
        if (r === S.HB_INTERRUPTED) return this._watcher.kick(); // a signal ran during the call: again at once
        if (r === S.HB_STOPPED) {
          this._failWaiters(stopped('TaskWorker.recv'));
          return;
        }
        const err = ffi.makeError(r, 'hb_task_worker_recv', this._h);
        if (this._waiters.length) this._failWaiters(err);
        else this._emitError(err);
        return;
      }
      if (this._handler) this._serve(r);
      else settled(this._waiters.shift()).resolve(r);
    }
    if (this._closed) return;
    if (i === BATCH) this._watcher.kick();
    this._idle();
  }

  _idle() {
    if (this._handler || this._closed) return;
    if (this._waiters.length === 0) {
      this._watcher.stop();
      this._watcher.unref();
    }
  }

  _failWaiters(err) {
    for (const w of this._waiters.splice(0)) settled(w).reject(err);
    this._idle();
  }

  _serve(job) {
    this._running++;
    let r;
    try {
      r = this._handler(job.body, job);
    } catch (e) {
      this._finish(job, undefined, e, true);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
      Promise.resolve(r).then(
        (v) => this._finish(job, v, null, false),
        (e) => this._finish(job, undefined, e, true),
      );
      return;
    }
    this._finish(job, r, null, false);
  }

  _finish(job, value, err, failed) {
    this._running--;
    if (this._closed || job.answered) return; // answered by the handler itself, or dropped at close
    try {
      if (failed) job.error(reasonOf(err, 'handler failed'));
      else if (isBytes(value)) job.reply(value);
      else {
        const what =
          value === null
            ? 'null'
            : value === undefined
              ? 'undefined'
              : Array.isArray(value)
                ? 'an array'
                : typeof value;
        job.error(`the handler returned ${what}, not a Buffer, a Uint8Array or a string`);
      }
    } catch (e) {
      this._emitError(e);
    }
  }

  /**
   * Pull style: the next job, waiting at most `timeoutMs` (default 1000;
   * 0 = only if one is there now); resolves with null on time-out.
   */
  recv(timeoutMs = 1000) {
    if (this._closed) return Promise.reject(stopped('TaskWorker.recv'));
    if (this._handler)
      return Promise.reject(
        new HypobusError('TaskWorker.recv: this worker has a handler: its jobs go there', S.HB_BUSY),
      );
    let t;
    try {
      t = optTimeout(timeoutMs, 'timeoutMs', 1000);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this._waiters.length === 0) {
      const r = this._take();
      if (r instanceof Job) return Promise.resolve(r);
      if (r === S.HB_STOPPED) return Promise.reject(stopped('TaskWorker.recv'));
      if (typeof r === 'number' && r !== S.HB_INTERRUPTED)
        return Promise.reject(ffi.makeError(r, 'hb_task_worker_recv', this._h));
    }
    if (t === 0) return Promise.resolve(null);
    const p = waitIn(this._waiters, t, () => this._idle());
    this._watcher.start();
    if (this._refd) this._watcher.ref();
    return p;
  }

  /** Pull style: jobs as they come, until the worker is closed. */
  async *[Symbol.asyncIterator]() {
    while (!this._closed) {
      let job;
      try {
        job = await this.recv(1000);
      } catch (e) {
        if (e instanceof HypobusError && e.code === 'HB_STOPPED') return;
        throw e;
      }
      if (job) yield job;
    }
  }

  /** Report `load` to the broker from now on (null, 'auto' or negative: the share of slots in use). */
  setLoad(load) {
    const n = this._loadArg(load);
    ffi.check(fn.hb_task_worker_set_load(this._handle('setLoad'), n), 'hb_task_worker_set_load', this._h);
    return this;
  }

  stats() {
    const s = stats('hb_task_worker_stats', ffi.TaskWorkerStats, this._handle('stats'));
    s.running = this._running;
    return s;
  }

  /** Jobs handed to the handler (or taken with recv) and not answered yet. */
  get inFlight() {
    return this._held;
  }

  /** The watch keeps the process alive for a handler, or while a recv() waits. */
  _awaiting() {
    return Boolean(this._handler || this._waiters.length);
  }

  /**
   * Unregister, close the connection and release the handle (close()). Jobs
   * not answered yet are dropped (the broker dispatches them again);
   * waiting recv() calls reject with HB_STOPPED.
   */
  _afterClose() {
    this._failWaiters(stopped('TaskWorker.recv'));
  }

  stop() {
    return this.close();
  }
}

// ------------------------------------------------------------ client

const OUTCOMES = ['ok', 'failed', 'gave_up', 'unknown'];

/** A task that failed, gave up, or is unknown to the broker (code HB_REMOTE). */
class TaskError extends HypobusError {
  constructor(result, what) {
    const reason = result.outcome === 'unknown' ? `the broker does not know request ${result.id}` : result.error;
    super(`${what}: ${reason} (HB_REMOTE)`, S.HB_REMOTE);
    this.name = 'TaskError';
    this.id = result.id;
    this.outcome = result.outcome;
    this.reason = reason;
  }
}

/**
 * A task client (lazy pirate): every request has an id and is resent with
 * it after `timeoutMs` without an answer, on a fresh socket when the
 * broker was silent, and gives up after `tries` sends. Many requests in
 * flight; each outcome delivered once.
 */
class TaskClient extends TaskObject {
  constructor(opts = {}) {
    super('TaskClient', 'hb_task_client_free');
    if (opts === null || typeof opts !== 'object') throw new TypeError('TaskClient options must be an object');
    const cfg = {
      size: koffi.sizeof(ffi.TaskClientConfig),
      tries: optUint(opts.tries, 'tries'),
      broker: endpointOf(opts.broker, 'frontend', 'broker'),
      name: optStr(opts.name, 'name'),
      timeout_ms: optUint(opts.timeoutMs, 'timeoutMs'),
      reserved: 0,
      curve: curveOpt(opts.curve),
    };
    this._h = ffi.create('hb_task_client_new', cfg);
    this._waiters = new Map(); // id -> [{resolve, reject}] (request, result, fetch)
    this._queue = []; // outcomes nobody waits for by id (submit)
    this._nexts = []; // next() calls waiting
    this._inflight = new Set(); // ids submitted or fetched, outcome not in yet
    this._dropped = new Map(); // id -> count of outcomes to drop (a request() that timed out)
    this._idBuf = Buffer.alloc(256);
    this._n = new BigUint64Array(1);
    this._n2 = new BigUint64Array(1);
    this._outcome = new Int32Array(1);
    this._buf = Buffer.alloc(BODY_START);
    this._nextName = 'hb_task_client_next';
    this._watch().unref();
  }

  _busy() {
    if (this._refd && !this._closed) this._watcher.ref();
    this._watcher.kick();
  }

  /** The next outcome (the buffers grown as it needs). */
  _next() {
    for (;;) {
      const st = fn.hb_task_client_next(
        this._h,
        0,
        this._idBuf,
        this._idBuf.length,
        this._n2,
        this._outcome,
        this._buf,
        this._buf.length,
        this._n,
      );
      if (st !== S.HB_BUFFER_TOO_SMALL) return st;
      if (Number(this._n2[0]) >= this._idBuf.length) this._idBuf = Buffer.alloc(Number(this._n2[0]) + 1);
      if (Number(this._n[0]) > this._buf.length)
        this._buf = Buffer.alloc(Math.max(Number(this._n[0]), this._buf.length * 2));
    }
  }

  _take() {
    const id = this._idBuf.toString('utf8', 0, Number(this._n2[0]));
    const outcome = OUTCOMES[this._outcome[0]] || `outcome ${this._outcome[0]}`;
    const n = Number(this._n[0]);
    this._deliver({
      id,
      outcome,
      ok: outcome === 'ok',
      body: outcome === 'ok' ? Buffer.from(this._buf.subarray(0, n)) : null,
      error: outcome === 'failed' || outcome === 'gave_up' ? this._buf.toString('utf8', 0, n) : null,
    });
  }

  /** The client keeps the process alive only while outcomes are awaited; unref() not even then. */
  _awaiting() {
    return this._inflight.size > 0 || this._nexts.length > 0;
  }

  _deliver(result) {
    this._inflight.delete(result.id);
    const drop = this._dropped.get(result.id);
    if (drop) {
      if (drop === 1) this._dropped.delete(result.id);
      else this._dropped.set(result.id, drop - 1);
      return;
    }
    const ws = this._waiters.get(result.id);
    if (ws) {
      this._waiters.delete(result.id);
      for (const w of ws) w.resolve(result);
      return;
    }
    const nx = this._nexts.shift();
    if (nx) {
      settled(nx).resolve(result);
      return;
    }
    this._queue.push(result);
    this.emit('result', result);
  }

  _wait(id) {
    return new Promise((resolve, reject) => {
      let ws = this._waiters.get(id);
      if (!ws) this._waiters.set(id, (ws = []));
      ws.push({ resolve, reject });
    });
  }

  _submit(body, opts, what) {
    const h = this._handle(what);
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${what}: options must be an object`);
    const data = toBytes(body, `${what}: the body`);
    const service = optStr(opts.service, 'service');
    let id;
    if (opts.id !== undefined && opts.id !== null) {
      if (typeof opts.id !== 'string') throw new TypeError(`${what}: id must be a string`);
      ffi.check(fn.hb_task_client_submit_id(h, opts.id, service, data, data.length), 'hb_task_client_submit_id', h);
      id = opts.id;
    } else {
      const idBuf = Buffer.alloc(128);
      ffi.check(
        fn.hb_task_client_submit(h, service, data, data.length, idBuf, idBuf.length, this._n2),
        'hb_task_client_submit',
        h,
      );
      id = idBuf.toString('utf8', 0, Number(this._n2[0]));
    }
    this._inflight.add(id);
    this._busy();
    return id;
  }

  /**
   * Submit a request (body: Buffer, Uint8Array or string) and return its id
   * at once. Options: service, id (your own, unique: resubmitting a known
   * id gets its known outcome). The outcome comes through result(id),
   * next() or results().
   */
  submit(body, opts = {}) {
    return this._submit(body, opts, 'submit');
  }

  /**
   * One request: resolves with the result (a Buffer), rejects with a
   * TaskError (the task failed or the client gave up after its tries) or a
   * HypobusError HB_TIMEOUT (`timeoutMs` ran out first; the outcome is then
   * dropped). Options: service, id, timeoutMs.
   */
  request(body, opts = {}) {
    let id, limit;
    try {
      limit = optTimeout(opts && opts.timeoutMs, 'timeoutMs', 0);
      id = this._submit(body, opts, 'request');
    } catch (e) {
      return Promise.reject(e);
    }
    const p = this._wait(id);
    const settle = p.then((r) => {
      if (r.ok) return r.body;
      throw new TaskError(r, 'request');
    });
    if (!limit) return settle;
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        const ws = this._waiters.get(id);
        if (ws && ws.length === 1) {
          this._waiters.delete(id);
          this._dropped.set(id, (this._dropped.get(id) || 0) + 1);
        }
        const e = new HypobusError(`request: no outcome for ${id} within ${limit} ms (HB_TIMEOUT)`, S.HB_TIMEOUT);
        e.id = id;
        reject(e);
      }, limit);
    });
    return Promise.race([settle, timeout]).finally(() => clearTimeout(timer));
  }

  /** The outcome of request `id` (submitted by this client): a promise of a TaskResult. */
  result(id) {
    if (typeof id !== 'string') return Promise.reject(new TypeError('result: id must be a string'));
    const k = this._queue.findIndex((r) => r.id === id);
    if (k >= 0) return Promise.resolve(this._queue.splice(k, 1)[0]);
    if (this._closed) return Promise.reject(stopped('TaskClient.result'));
    if (!this._inflight.has(id))
      return Promise.reject(
        new HypobusError(
          `result: no request ${id} in flight on this client (use fetch to ask the broker)`,
          S.HB_INVALID_ARGUMENT,
        ),
      );
    return this._wait(id);
  }

  /**
   * Ask the broker for the outcome of request `id` (sent earlier, maybe by
   * another client or an earlier run): resolves with a TaskResult (outcome
   * 'unknown' when the broker does not know the id), after the request
   * finishes if it still runs.
   */
  fetch(id) {
    try {
      if (typeof id !== 'string') throw new TypeError('fetch: id must be a string');
      const h = this._handle('fetch');
      ffi.check(fn.hb_task_client_fetch(h, id), 'hb_task_client_fetch', h);
    } catch (e) {
      return Promise.reject(e);
    }
    this._inflight.add(id);
    const p = this._wait(id);
    this._busy();
    return p;
  }

  /** The next outcome of a submit() nobody asked for by id; null after `timeoutMs` (default 5000). */
  next(timeoutMs = 5000) {
    if (this._queue.length) return Promise.resolve(this._queue.shift());
    if (this._closed) return Promise.reject(stopped('TaskClient.next'));
    let t;
    try {
      t = optTimeout(timeoutMs, 'timeoutMs', 5000);
    } catch (e) {
      return Promise.reject(e);
    }
    if (t === 0) return Promise.resolve(null);
    const p = waitIn(this._nexts, t, null);
    this._busy();
    return p;
  }

  /**
   * The outcomes of everything submitted (in the order they come), until
   * nothing submitted is in flight: `for await (const r of client.results())`.
   */
  async *results() {
    for (;;) {
      if (this._queue.length) {
        yield this._queue.shift();
        continue;
      }
      const waiting = [...this._inflight].filter((id) => !this._waiters.has(id)).length;
      if (waiting === 0 || this._closed) return;
      const r = await this.next(60000);
      if (r) yield r;
    }
  }

  /** Requests and fetches whose outcome has not come yet. */
  get inFlight() {
    return this._inflight.size;
  }

  stats() {
    return stats('hb_task_client_stats', ffi.TaskClientStats, this._handle('stats'));
  }

  /**
   * Close the client (close()): requests in flight are abandoned (the
   * broker still finishes them and keeps their results for a fetch); their
   * promises reject with HB_STOPPED.
   */
  _afterClose() {
    const err = stopped('TaskClient');
    for (const ws of this._waiters.values()) for (const w of ws) w.reject(err);
    this._waiters.clear();
    for (const nx of this._nexts.splice(0)) settled(nx).resolve(null);
    this._inflight.clear();
  }
}

module.exports = { TaskBroker, TaskWorker, TaskClient, TaskError, Job };
