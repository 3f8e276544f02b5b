'use strict';
// The C ABI of libhypobus declared for koffi, as a binding author would, for
// the ABI tests in this folder (the real Node binding lives in bindings/node).
// Loads target/release/libhypobus.so, or $HYPOBUS_LIB.
const koffi = require('koffi');
const path = require('node:path');

const LIB = process.env.HYPOBUS_LIB || path.join(__dirname, '..', '..', '..', 'target', 'release', 'libhypobus.so');
const lib = koffi.load(LIB);

// The status names from the table generated from the header (plain data, no koffi).
const { STATUS_NAMES: STATUS, STATUS: S } = require('../../../bindings/node/lib/abi');

const OpFn = koffi.proto('int32_t hb_op_fn(void *user, double x, double *out)');
const EventFn = koffi.proto(
  'void hb_failover_event_fn(void *user, uint64_t at_ms, int32_t active, const char *reason)',
);

const OpStats = koffi.struct('hb_op_stats_t', {
  size: 'uint32_t',
  callback_running: 'uint32_t',
  requests: 'uint64_t',
  replies: 'uint64_t',
  errors: 'uint64_t',
  ignored: 'uint64_t',
});

const f = {
  op_stats: lib.func('int hb_op_stats(void *op, _Inout_ hb_op_stats_t *out)'),
  last_error: lib.func('int hb_last_error(_Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)'),
  error_info: lib.func(
    'int hb_error_info(void *h, _Out_ int32_t *st, _Out_ int32_t *errno, _Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  ),
  broker_new: lib.func(
    'int hb_broker_new(const char *xsub, const char *xpub, const char *hb, uint32_t ms, _Out_ void **out)',
  ),
  broker_endpoint: lib.func(
    'int hb_broker_endpoint(void *b, int32_t which, _Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  ),
  broker_free: lib.func('int hb_broker_free(void *b)'),
  calc_new: lib.func('int hb_calc_new(const char *brokers, uint32_t ms, _Out_ void **out)'),
  calc_free: lib.func('int hb_calc_free(void *c)'),
  op_new: lib.func('int hb_op_new(const char *brokers, uint32_t lane, hb_op_fn *op, void *user, _Out_ void **out)'),
  op_free: lib.func('int hb_op_free(void *op)'),
  op_stop: lib.func('int hb_op_stop(void *op)'),
  op_pull_new: lib.func('int hb_op_pull_new(const char *brokers, uint32_t lane, _Out_ void **out)'),
  op_pull_recv: lib.func(
    'int hb_op_pull_recv(void *p, int32_t ms, _Out_ uint64_t *id, _Out_ double *v, _Out_ uint8_t *text, size_t len, _Out_ size_t *out_len)',
  ),
  op_pull_reply: lib.func('int hb_op_pull_reply(void *p, uint64_t id, double v)'),
  op_pull_free: lib.func('int hb_op_pull_free(void *p)'),
  client_new: lib.func('int hb_client_new(const char *brokers, int32_t classic, uint32_t ms, _Out_ void **out)'),
  client_hypot: lib.func(
    'int hb_client_hypot(void *c, const char *a, const char *b, int32_t ms, _Out_ uint8_t *out, size_t len, _Out_ size_t *out_len)',
  ),
  client_free: lib.func('int hb_client_free(void *c)'),
  failover_new: lib.func(
    'int hb_failover_new(int32_t role, const char *xsub, const char *xpub, const char *hb, uint32_t ms, const char *peer, uint32_t pms, uint32_t misses, const char *ctl, hb_failover_event_fn *cb, void *user, _Out_ void **out)',
  ),
  failover_next_event: lib.func(
    'int hb_failover_next_event(void *f, int32_t ms, _Out_ uint64_t *at, _Out_ int32_t *active, _Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  ),
  failover_free: lib.func('int hb_failover_free(void *f)'),
};

function text(buf) {
  const end = buf.indexOf(0);
  return buf.subarray(0, end < 0 ? buf.length : end).toString();
}

function lastError() {
  const buf = Buffer.alloc(512);
  f.last_error(buf, buf.length, [0]);
  return text(buf);
}

function handleError(h) {
  const st = [0],
    errno = [0],
    n = [0];
  const buf = Buffer.alloc(512);
  f.error_info(h, st, errno, buf, buf.length, n);
  return { status: st[0], errno: errno[0], message: text(buf) };
}

function check(st, what) {
  if (st !== S.HB_OK) throw new Error(`${what}: ${STATUS[st] || st}: ${lastError()}`);
}

function out(fn, ...args) {
  const o = [null];
  check(fn(...args, o), fn.info ? fn.info.name : 'call');
  return o[0];
}

/** A broker on free loopback ports, a calc node and built-in op nodes on `lanes`. */
function lab(lanes = [1, 2]) {
  const broker = out(f.broker_new, 'tcp://127.0.0.1:*', 'tcp://127.0.0.1:*', '', 0);
  const eps = [0, 1].map((w) => {
    const buf = Buffer.alloc(256);
    check(f.broker_endpoint(broker, w, buf, buf.length, [0]), 'endpoint');
    return text(buf);
  });
  const brokers = `${eps[0]}|${eps[1]}`;
  const calc = out(f.calc_new, brokers, 2000);
  const ops = lanes.map((lane) => out(f.op_new, brokers, lane, null, null));
  return {
    brokers,
    close() {
      for (const op of ops) f.op_free(op);
      f.calc_free(calc);
      f.broker_free(broker);
    },
  };
}

/**
 * A lab (built-in lane 2), an op node for lane 1 whose operation is a JS
 * function (koffi.register: x * x), and a client: {l, op, client, calls}
 * (calls: how often the JS function ran).
 */
function jsOpLab() {
  const l = lab([2]);
  let calls = 0;
  const cb = koffi.register((_user, x, res) => {
    calls++;
    koffi.encode(res, 'double', x * x);
    return 0;
  }, koffi.pointer(OpFn));
  return {
    l,
    op: out(f.op_new, l.brokers, 1, cb, null),
    client: out(f.client_new, l.brokers, 0, 5000),
    get calls() {
      return calls;
    },
  };
}

/**
 * Hold this thread (as a synchronous program does) until op node `op`'s
 * callback thread waits for it to run the JS callback, `ms` at the most:
 * the op node's stats (callback_running 0 when it never came).
 */
function holdUntilCallbackPending(op, ms = 5000) {
  const until = Date.now() + ms;
  const st = { size: koffi.sizeof(OpStats) };
  do check(f.op_stats(op, st), 'op_stats');
  while (!st.callback_running && Date.now() < until);
  return st;
}

module.exports = {
  koffi,
  lib,
  f,
  S,
  STATUS,
  OpFn,
  EventFn,
  OpStats,
  text,
  lastError,
  handleError,
  check,
  out,
  lab,
  jsOpLab,
  holdUntilCallbackPending,
};
