'use strict';
// hypobus: libhypobus for Node.
//
//  - zeromq.js v5's API (require('zeromq') up to 5.x, zeromq/v5-compat in
//    6.x) at the top level: swap require('zeromq') for require('hypobus')
//    and a v5-style program runs on libhypobus's sockets;
//  - the lab's roles as objects: Broker, FailoverBroker, CalcNode, OpNode
//    (a JavaScript function as the operation), Client (await hypot(a, b));
//  - the task brokers (the course's request/reply brokers): TaskBroker,
//    TaskWorker (pull style, or a handler function), TaskClient.
const ffi = require('./lib/ffi');
const security = require('./lib/security');
const C = require('./lib/constants');
const { Socket, createSocket } = require('./lib/socket');
const { proxy } = require('./lib/proxy');
const roles = require('./lib/roles');
const task = require('./lib/task');
const { log } = require('./lib/log');

// libzmq's context option numbers (zmq_ctx_set / zmq_ctx_get).
const CTX = { IO_THREADS: 1, MAX_SOCKETS: 2, SOCKET_LIMIT: 3, MAX_MSGSZ: 5, IPV6: 42, BLOCKY: 70 };

function ctxGet(option) {
  const v = [0];
  ffi.check(ffi.fn.hb_context_get(option, v), 'hb_context_get', null);
  return v[0];
}

function ctxSet(option, value, what) {
  if (typeof value === 'boolean') value = value ? 1 : 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${what} must be an integer`);
  ffi.check(ffi.fn.hb_context_set(option, value), `hb_context_set(${what})`, null);
}

/**
 * The process's ZeroMQ context, as zeromq 6's `zmq.context`: hypobus has
 * one, shared by its sockets and the library's roles. As in libzmq, the
 * thread and socket settings count when it starts (the first socket of the
 * process); a value set later is kept and read back but changes nothing.
 */
class ProcessContext {
  get ioThreads() {
    return ctxGet(CTX.IO_THREADS);
  }
  set ioThreads(v) {
    ctxSet(CTX.IO_THREADS, v, 'ioThreads');
  }
  get maxSockets() {
    return ctxGet(CTX.MAX_SOCKETS);
  }
  set maxSockets(v) {
    ctxSet(CTX.MAX_SOCKETS, v, 'maxSockets');
  }
  get maxSocketsLimit() {
    return ctxGet(CTX.SOCKET_LIMIT);
  }
  get maxMessageSize() {
    return ctxGet(CTX.MAX_MSGSZ);
  }
  set maxMessageSize(v) {
    ctxSet(CTX.MAX_MSGSZ, v, 'maxMessageSize');
  }
  get ipv6() {
    return ctxGet(CTX.IPV6) !== 0;
  }
  set ipv6(v) {
    ctxSet(CTX.IPV6, v, 'ipv6');
  }
  get blocky() {
    return ctxGet(CTX.BLOCKY) !== 0;
  }
  set blocky(v) {
    ctxSet(CTX.BLOCKY, v, 'blocky');
  }
}
const context = new ProcessContext();

/** What the libzmq inside libhypobus can do, as zeromq 6's `zmq.capability` (zmq_has). */
const capability = Object.freeze(
  Object.fromEntries(['ipc', 'pgm', 'tipc', 'norm', 'curve', 'gssapi', 'draft'].map((c) => [c, ffi.zmqHas(c)])),
);

/** v5's Context: static settings of the process's one context (see `context`). */
class Context {
  constructor() {
    throw new Error('Context cannot be instantiated: hypobus uses one ZeroMQ context per process');
  }
  static setMaxThreads(value) {
    context.ioThreads = value;
  }
  static getMaxThreads() {
    return context.ioThreads;
  }
  static setMaxSockets(value) {
    context.maxSockets = value;
  }
  static getMaxSockets() {
    return context.maxSockets;
  }
}

/** True for an Error (zeromq.js's isFullError: its errors carry code, errno, address). */
function isFullError(err) {
  return err instanceof Error;
}

/** A new CURVE key pair, {public, secret}: 40 characters of Z85 each (zeromq.js v5). */
function curveKeypair() {
  const pub = Buffer.alloc(ffi.HB_CURVE_KEY_SIZE);
  const sec = Buffer.alloc(ffi.HB_CURVE_KEY_SIZE);
  ffi.check(ffi.fn.hb_curve_keypair(pub, pub.length, sec, sec.length), 'hb_curve_keypair', null);
  return { public: ffi.cstr(pub), secret: ffi.cstr(sec) };
}

module.exports = {
  ...C,
  // zeromq.js v5
  Socket,
  socket: createSocket,
  createSocket,
  proxy,
  Context,
  curveKeypair,
  version: ffi.zmqVersion(),
  // zeromq 6's names for the same (what zeromq.js programs and tests read)
  context,
  capability,
  isFullError,
  // the lab
  Broker: roles.Broker,
  FailoverBroker: roles.FailoverBroker,
  CalcNode: roles.CalcNode,
  OpNode: roles.OpNode,
  Client: roles.Client,
  // the task brokers (the course's request/reply brokers)
  TaskBroker: task.TaskBroker,
  TaskWorker: task.TaskWorker,
  TaskClient: task.TaskClient,
  TaskError: task.TaskError,
  Job: task.Job,
  HypobusError: ffi.HypobusError,
  // security (docs/SECURITY.md)
  setCurve: security.setCurve,
  keygen: security.keygen,
  loadCertificate: security.loadCertificate,
  Authenticator: security.Authenticator,
  log,
  libraryVersion: ffi.libraryVersion(),
  abiVersion: `${ffi.ABI.major}.${ffi.ABI.minor}`,
  libraryPath: ffi.LIB_FILE,
  /** The raw C ABI (koffi functions by C name, statuses, helpers) for what the API above does not cover. */
  native: ffi,
};
