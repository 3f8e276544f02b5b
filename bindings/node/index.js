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
const C = require('./lib/constants');
const { Socket, createSocket } = require('./lib/socket');
const { proxy } = require('./lib/proxy');
const roles = require('./lib/roles');
const task = require('./lib/task');
const { log } = require('./lib/log');

function notSupported(what) {
  return () => {
    throw new Error(`${what} is not supported by hypobus: the process has one ZeroMQ context, shared with the library's roles`);
  };
}

/** v5's Context: hypobus has one process-wide context, not configurable from here. */
class Context {
  constructor() {
    throw new Error('Context cannot be instantiated: hypobus uses one ZeroMQ context per process');
  }
}
Context.setMaxThreads = notSupported('Context.setMaxThreads');
Context.getMaxThreads = notSupported('Context.getMaxThreads');
Context.setMaxSockets = notSupported('Context.setMaxSockets');
Context.getMaxSockets = notSupported('Context.getMaxSockets');

function curveKeypair() {
  throw new Error('curveKeypair is not supported by hypobus (no CURVE key generation in the C ABI)');
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
  log,
  libraryVersion: ffi.libraryVersion(),
  abiVersion: `${ffi.ABI.major}.${ffi.ABI.minor}`,
  libraryPath: ffi.LIB_FILE,
  /** The raw C ABI (koffi functions by C name, statuses, helpers) for what the API above does not cover. */
  native: ffi,
};
