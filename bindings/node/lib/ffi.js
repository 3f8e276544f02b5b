'use strict';
// The C ABI of libhypobus (include/hypobus.h, ABI 1.x) declared for koffi.
// Every function of the header is declared here; the rest of the package
// uses only this module to reach the library.
const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

const ABI_MAJOR = 1;
const ABI_MINOR_NEEDED = 2; // 1.1: the task brokers (hb_task_*); 1.2: hb_strerror, hb_zmq_has, hb_context_*
const LIB_NAME = 'libhypobus.so';

/** The places the library is looked for, in order. */
function candidates() {
  const out = [];
  if (process.env.HYPOBUS_LIB) out.push({ where: 'HYPOBUS_LIB', file: path.resolve(process.env.HYPOBUS_LIB) });
  out.push({ where: 'the copy in the package', file: path.join(__dirname, '..', 'native', LIB_NAME) });
  out.push({ where: "the repository's target/release", file: path.resolve(__dirname, '..', '..', '..', 'target', 'release', LIB_NAME) });
  return out;
}

function loadLibrary() {
  const tried = [];
  for (const c of candidates()) {
    if (!fs.existsSync(c.file)) {
      tried.push(`  ${c.file} (${c.where}): not found`);
      continue;
    }
    let lib;
    try {
      lib = koffi.load(c.file);
    } catch (e) {
      tried.push(`  ${c.file} (${c.where}): ${e.message}`);
      continue;
    }
    // The ABI version first: a library of another major version is refused
    // before any other function is looked up.
    let abi;
    try {
      const f = lib.func('int32_t hb_abi_version(_Out_ uint32_t *major, _Out_ uint32_t *minor)');
      const major = [0], minor = [0];
      f(major, minor);
      abi = { major: major[0], minor: minor[0] };
    } catch (e) {
      tried.push(`  ${c.file} (${c.where}): not libhypobus (${e.message})`);
      continue;
    }
    if (abi.major !== ABI_MAJOR || abi.minor < ABI_MINOR_NEEDED) {
      const err = new Error(`hypobus: ${c.file} (${c.where}) has C ABI ${abi.major}.${abi.minor}; this package needs ${ABI_MAJOR}.x with x >= ${ABI_MINOR_NEEDED}`);
      err.code = 'HB_ABI_MISMATCH';
      throw err;
    }
    if (tried.length && process.env.HYPOBUS_LIB) {
      process.emitWarning(`HYPOBUS_LIB=${process.env.HYPOBUS_LIB} was not used:\n${tried.join('\n')}\nloaded ${c.file} instead`, 'HypobusWarning');
    }
    return { lib, file: c.file, abi };
  }
  const err = new Error(`hypobus: cannot load ${LIB_NAME}; tried, in order:\n${tried.join('\n')}\n` +
    'Set HYPOBUS_LIB to the library\'s path, or build it with `cargo build --release` in the libhypobus repository.');
  err.code = 'HB_LIBRARY_NOT_FOUND';
  throw err;
}

const { lib, file: LIB_FILE, abi: ABI } = loadLibrary();

// ------------------------------------------------------------ types

const Status = koffi.alias('hb_status', 'int32_t');

const BrokerConfig = koffi.struct('hb_broker_config_t', {
  size: 'uint32_t', hb_interval_ms: 'uint32_t', xsub: 'const char *', xpub: 'const char *', hb: 'const char *',
  inproc_name: 'const char *', start_passive: 'int32_t', reserved: 'uint32_t',
});
const BrokerStats = koffi.struct('hb_broker_stats_t', {
  size: 'uint32_t', reserved: 'uint32_t', forwarded: 'uint64_t', dropped_passive: 'uint64_t', subscriptions: 'uint64_t',
  unsubscriptions: 'uint64_t', heartbeats: 'uint64_t',
});
const CalcStats = koffi.struct('hb_calc_stats_t', {
  size: 'uint32_t', reserved: 'uint32_t', requests: 'uint64_t', classic_requests: 'uint64_t', results: 'uint64_t',
  errors: 'uint64_t', fallbacks: 'uint64_t', squares_received: 'uint64_t', duplicates: 'uint64_t', bad_messages: 'uint64_t',
  expired: 'uint64_t', in_flight: 'uint64_t',
});
const ClientStats = koffi.struct('hb_client_stats_t', {
  size: 'uint32_t', reserved: 'uint32_t', requests: 'uint64_t', resent: 'uint64_t', answers: 'uint64_t',
  duplicates: 'uint64_t', timeouts: 'uint64_t', cancelled: 'uint64_t', queued: 'uint64_t',
});
const FailoverStats = koffi.struct('hb_failover_stats_t', {
  size: 'uint32_t', active: 'uint32_t', activations: 'uint64_t', deactivations: 'uint64_t', heartbeats: 'uint64_t',
  peer_heartbeats: 'uint64_t', peer_silent_ms: 'uint64_t',
});
const OpStats = koffi.struct('hb_op_stats_t', {
  size: 'uint32_t', callback_running: 'uint32_t', requests: 'uint64_t', replies: 'uint64_t', errors: 'uint64_t', ignored: 'uint64_t',
});
const ProxyStats = koffi.struct('hb_proxy_stats_t', {
  size: 'uint32_t', paused: 'uint32_t', running: 'uint32_t', reserved: 'uint32_t', to_backend_msgs: 'uint64_t',
  to_backend_bytes: 'uint64_t', to_frontend_msgs: 'uint64_t', to_frontend_bytes: 'uint64_t', dropped: 'uint64_t',
});
const SocketEvent = koffi.struct('hb_socket_event_t', { size: 'uint32_t', event: 'int32_t', value: 'int64_t', dropped: 'uint64_t' });
const PollItem = koffi.struct('hb_poll_item', { handle: 'const void *', events: 'int16_t', revents: 'int16_t' });
const TaskBrokerConfig = koffi.struct('hb_task_broker_config_t', {
  size: 'uint32_t', policy: 'int32_t', frontend: 'const char *', backend: 'const char *', store: 'const char *',
  name: 'const char *', state: 'const char *', peers: 'const char *', answer_timeout_ms: 'uint32_t', max_attempts: 'uint32_t',
  hb_interval_ms: 'uint32_t', liveness: 'uint32_t', service_wait_ms: 'uint32_t', peer_interval_ms: 'uint32_t',
  full_sync: 'int32_t', reserved: 'uint32_t',
});
const TaskBrokerStats = koffi.struct('hb_task_broker_stats_t', {
  size: 'uint32_t', reserved: 'uint32_t', requests: 'uint64_t', recovered: 'uint64_t', resends: 'uint64_t', replies: 'uint64_t',
  errors: 'uint64_t', dispatched: 'uint64_t', timeouts: 'uint64_t', late: 'uint64_t', registered: 'uint64_t', purged: 'uint64_t',
  workers: 'uint64_t', pending: 'uint64_t', forwarded: 'uint64_t', from_peers: 'uint64_t', malformed: 'uint64_t', commits: 'uint64_t',
});
const TaskWorkerConfig = koffi.struct('hb_task_worker_config_t', {
  size: 'uint32_t', threads: 'uint32_t', broker: 'const char *', services: 'const char *', name: 'const char *',
  hb_interval_ms: 'uint32_t', liveness: 'uint32_t',
});
const TaskWorkerStats = koffi.struct('hb_task_worker_stats_t', {
  size: 'uint32_t', load: 'uint32_t', callbacks_running: 'uint32_t', reserved: 'uint32_t', jobs: 'uint64_t', replies: 'uint64_t',
  errors: 'uint64_t', dropped: 'uint64_t', reconnects: 'uint64_t', held: 'uint64_t',
});
const TaskClientConfig = koffi.struct('hb_task_client_config_t', {
  size: 'uint32_t', tries: 'uint32_t', broker: 'const char *', name: 'const char *', timeout_ms: 'uint32_t', reserved: 'uint32_t',
});
const TaskClientStats = koffi.struct('hb_task_client_stats_t', {
  size: 'uint32_t', reserved: 'uint32_t', submitted: 'uint64_t', resent: 'uint64_t', reconnects: 'uint64_t', completed: 'uint64_t',
  failed: 'uint64_t', gave_up: 'uint64_t', duplicates: 'uint64_t', pending_notices: 'uint64_t', in_flight: 'uint64_t',
});
const TaskFn = koffi.proto('int32_t hb_task_fn(void *user, const char *service, const uint8_t *req, size_t req_len, void *reply, void *reply_len)');
const OpFn = koffi.proto('int32_t hb_op_fn(void *user, double x, _Out_ double *out)');
const FailoverEventFn = koffi.proto('void hb_failover_event_fn(void *user, uint64_t at_ms, int32_t active, const char *reason)');

// ------------------------------------------------------------ functions
// Handles are `void *` (koffi externals). Buffers on the hot paths are
// declared `void *` so that a Buffer or typed array is passed by pointer,
// without conversion; the other out-parameters use koffi's [value] arrays.

const decl = {
  hb_version: 'hb_status hb_version(_Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  hb_abi_version: 'hb_status hb_abi_version(_Out_ uint32_t *major, _Out_ uint32_t *minor)',
  hb_zmq_version: 'hb_status hb_zmq_version(_Out_ int32_t *major, _Out_ int32_t *minor, _Out_ int32_t *patch)',
  hb_last_error: 'hb_status hb_last_error(_Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  hb_error_info: 'hb_status hb_error_info(const void *handle, _Out_ int32_t *status, _Out_ int32_t *zmq_errno, _Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  hb_status_name: 'hb_status hb_status_name(int32_t status, _Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  hb_log_enable: 'hb_status hb_log_enable(int32_t mode)',
  hb_log_next: 'hb_status hb_log_next(int32_t timeout_ms, void *buf, size_t len, void *out_len)',
  hb_log_fd: 'hb_status hb_log_fd(_Out_ int32_t *fd)',
  hb_wake: 'hb_status hb_wake(const void *handle)',
  hb_handle_fd: 'hb_status hb_handle_fd(const void *handle, _Out_ int32_t *fd)',

  hb_broker_new: 'hb_status hb_broker_new(const char *xsub_ep, const char *xpub_ep, const char *hb_ep, uint32_t hb_interval_ms, _Out_ void **out)',
  hb_broker_new_ex: 'hb_status hb_broker_new_ex(const hb_broker_config_t *cfg, _Out_ void **out)',
  hb_broker_endpoint: 'hb_status hb_broker_endpoint(const void *b, int32_t which, _Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  hb_broker_stats: 'hb_status hb_broker_stats(const void *b, _Inout_ hb_broker_stats_t *out)',
  hb_broker_set_active: 'hb_status hb_broker_set_active(const void *b, int32_t on)',
  hb_broker_is_active: 'hb_status hb_broker_is_active(const void *b, _Out_ int32_t *out)',
  hb_broker_stop: 'hb_status hb_broker_stop(const void *b)',
  hb_broker_free: 'hb_status hb_broker_free(void *b)',

  hb_calc_new: 'hb_status hb_calc_new(const char *brokers, uint32_t timeout_ms, _Out_ void **out)',
  hb_calc_stats: 'hb_status hb_calc_stats(const void *c, _Inout_ hb_calc_stats_t *out)',
  hb_calc_stop: 'hb_status hb_calc_stop(const void *c)',
  hb_calc_free: 'hb_status hb_calc_free(void *c)',

  hb_client_new: 'hb_status hb_client_new(const char *brokers, int32_t classic, uint32_t timeout_ms, _Out_ void **out)',
  hb_client_hypot: 'hb_status hb_client_hypot(const void *c, const char *a, const char *b, int32_t timeout_ms, _Out_ uint8_t *out, size_t len, _Out_ size_t *out_len)',
  hb_client_hypot_f64: 'hb_status hb_client_hypot_f64(const void *c, double a, double b, int32_t timeout_ms, _Out_ double *out)',
  hb_client_submit: 'hb_status hb_client_submit(const void *c, const char *a, const char *b, int32_t limit_ms, void *id)',
  hb_client_cancel: 'hb_status hb_client_cancel(const void *c, uint64_t id)',
  hb_client_next: 'hb_status hb_client_next(const void *c, int32_t timeout_ms, void *id, void *result, void *out, size_t len, void *out_len)',
  hb_client_in_flight: 'hb_status hb_client_in_flight(const void *c, _Out_ uint32_t *out)',
  hb_client_stats: 'hb_status hb_client_stats(const void *c, _Inout_ hb_client_stats_t *out)',
  hb_client_free: 'hb_status hb_client_free(void *c)',

  hb_failover_new: 'hb_status hb_failover_new(int32_t role, const char *xsub_ep, const char *xpub_ep, const char *hb_ep, uint32_t hb_interval_ms, const char *peer_hb_ep, uint32_t peer_interval_ms, uint32_t misses, const char *ctl_ep, hb_failover_event_fn *cb, void *user, _Out_ void **out)',
  hb_failover_next_event: 'hb_status hb_failover_next_event(const void *f, int32_t timeout_ms, void *at_ms, void *active, void *reason, size_t len, void *out_len)',
  hb_failover_is_active: 'hb_status hb_failover_is_active(const void *f, _Out_ int32_t *out)',
  hb_failover_handback: 'hb_status hb_failover_handback(const void *f, int32_t timeout_ms)',
  hb_failover_stats: 'hb_status hb_failover_stats(const void *f, _Inout_ hb_failover_stats_t *out)',
  hb_failover_broker_stats: 'hb_status hb_failover_broker_stats(const void *f, _Inout_ hb_broker_stats_t *out)',
  hb_failover_endpoint: 'hb_status hb_failover_endpoint(const void *f, int32_t which, _Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  hb_failover_stop: 'hb_status hb_failover_stop(const void *f)',
  hb_failover_free: 'hb_status hb_failover_free(void *f)',

  hb_op_new: 'hb_status hb_op_new(const char *brokers, uint32_t lane, hb_op_fn *op, void *user, _Out_ void **out)',
  hb_op_stats: 'hb_status hb_op_stats(const void *op, _Inout_ hb_op_stats_t *out)',
  hb_op_stop: 'hb_status hb_op_stop(const void *op)',
  hb_op_free: 'hb_status hb_op_free(void *op)',
  hb_op_pull_new: 'hb_status hb_op_pull_new(const char *brokers, uint32_t lane, _Out_ void **out)',
  hb_op_pull_recv: 'hb_status hb_op_pull_recv(const void *p, int32_t timeout_ms, void *id, void *value, void *text, size_t text_len, void *text_out_len)',
  hb_op_pull_reply: 'hb_status hb_op_pull_reply(const void *p, uint64_t id, double value)',
  hb_op_pull_reply_text: 'hb_status hb_op_pull_reply_text(const void *p, uint64_t id, const char *text)',
  hb_op_pull_reply_error: 'hb_status hb_op_pull_reply_error(const void *p, uint64_t id, const char *reason)',
  hb_op_pull_stats: 'hb_status hb_op_pull_stats(const void *p, _Inout_ hb_op_stats_t *out)',
  hb_op_pull_free: 'hb_status hb_op_pull_free(void *p)',

  hb_proxy_new: 'hb_status hb_proxy_new(const void *frontend, const void *backend, const void *capture, _Out_ void **out)',
  hb_proxy_pause: 'hb_status hb_proxy_pause(const void *p)',
  hb_proxy_resume: 'hb_status hb_proxy_resume(const void *p)',
  hb_proxy_stop: 'hb_status hb_proxy_stop(const void *p)',
  hb_proxy_wait: 'hb_status hb_proxy_wait(const void *p, int32_t timeout_ms)',
  hb_proxy_stats: 'hb_status hb_proxy_stats(const void *p, _Inout_ hb_proxy_stats_t *out)',
  hb_proxy_free: 'hb_status hb_proxy_free(void *p)',

  hb_socket_new: 'hb_status hb_socket_new(int32_t type, _Out_ void **out)',
  hb_socket_free: 'hb_status hb_socket_free(void *s)',
  hb_socket_bind: 'hb_status hb_socket_bind(const void *s, const char *endpoint, _Out_ uint8_t *bound, size_t len, _Out_ size_t *out_len)',
  hb_socket_unbind: 'hb_status hb_socket_unbind(const void *s, const char *endpoint)',
  hb_socket_connect: 'hb_status hb_socket_connect(const void *s, const char *endpoint)',
  hb_socket_disconnect: 'hb_status hb_socket_disconnect(const void *s, const char *endpoint)',
  hb_socket_setopt: 'hb_status hb_socket_setopt(const void *s, int32_t option, const void *value, size_t len)',
  hb_socket_setopt_int: 'hb_status hb_socket_setopt_int(const void *s, int32_t option, int64_t value)',
  hb_socket_getopt: 'hb_status hb_socket_getopt(const void *s, int32_t option, void *buf, size_t len, void *out_len)',
  hb_socket_getopt_int: 'hb_status hb_socket_getopt_int(const void *s, int32_t option, _Out_ int64_t *value)',
  hb_socket_send: 'hb_status hb_socket_send(const void *s, const void *data, const void *sizes, size_t nframes, int32_t flags, int32_t timeout_ms)',
  hb_socket_recv: 'hb_status hb_socket_recv(const void *s, int32_t timeout_ms, void *buf, size_t len, void *sizes, size_t max_frames, void *nframes, void *total)',
  hb_socket_events: 'hb_status hb_socket_events(const void *s, void *events)',
  hb_socket_monitor: 'hb_status hb_socket_monitor(const void *s, int32_t events_mask)',
  hb_socket_next_event: 'hb_status hb_socket_next_event(const void *s, int32_t timeout_ms, void *ev, void *addr, size_t len, void *out_len)',
  // Task brokers (ABI 1.1). The worker's callback style (hb_task_fn) is
  // declared for completeness; lib/task.js uses the pull style only, so no
  // JavaScript ever runs on a library thread.
  hb_task_broker_new: 'hb_status hb_task_broker_new(const hb_task_broker_config_t *cfg, _Out_ void **out)',
  hb_task_broker_endpoint: 'hb_status hb_task_broker_endpoint(const void *b, int32_t which, _Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  hb_task_broker_stats: 'hb_status hb_task_broker_stats(const void *b, _Inout_ hb_task_broker_stats_t *out)',
  hb_task_broker_stop: 'hb_status hb_task_broker_stop(const void *b)',
  hb_task_broker_free: 'hb_status hb_task_broker_free(void *b)',
  hb_task_worker_new: 'hb_status hb_task_worker_new(const hb_task_worker_config_t *cfg, hb_task_fn *f, void *user, _Out_ void **out)',
  hb_task_worker_recv: 'hb_status hb_task_worker_recv(const void *w, int32_t timeout_ms, void *job, void *buf, size_t len, void *out_len)',
  hb_task_worker_job_info: 'hb_status hb_task_worker_job_info(const void *w, uint64_t job, void *service, size_t service_len, void *service_out_len, void *id, size_t id_len, void *id_out_len)',
  hb_task_worker_reply: 'hb_status hb_task_worker_reply(const void *w, uint64_t job, const void *data, size_t len)',
  hb_task_worker_reply_error: 'hb_status hb_task_worker_reply_error(const void *w, uint64_t job, const char *reason)',
  hb_task_worker_set_load: 'hb_status hb_task_worker_set_load(const void *w, int32_t load)',
  hb_task_worker_stats: 'hb_status hb_task_worker_stats(const void *w, _Inout_ hb_task_worker_stats_t *out)',
  hb_task_worker_stop: 'hb_status hb_task_worker_stop(const void *w)',
  hb_task_worker_free: 'hb_status hb_task_worker_free(void *w)',
  hb_task_client_new: 'hb_status hb_task_client_new(const hb_task_client_config_t *cfg, _Out_ void **out)',
  hb_task_client_submit: 'hb_status hb_task_client_submit(const void *c, const char *service, const void *data, size_t len, void *id, size_t id_len, void *id_out_len)',
  hb_task_client_submit_id: 'hb_status hb_task_client_submit_id(const void *c, const char *id, const char *service, const void *data, size_t len)',
  hb_task_client_fetch: 'hb_status hb_task_client_fetch(const void *c, const char *id)',
  hb_task_client_next: 'hb_status hb_task_client_next(const void *c, int32_t timeout_ms, void *id, size_t id_len, void *id_out_len, void *outcome, void *buf, size_t len, void *out_len)',
  hb_task_client_request: 'hb_status hb_task_client_request(const void *c, const char *service, const void *data, size_t data_len, int32_t timeout_ms, void *buf, size_t len, void *out_len)',
  hb_task_client_stats: 'hb_status hb_task_client_stats(const void *c, _Inout_ hb_task_client_stats_t *out)',
  hb_task_client_free: 'hb_status hb_task_client_free(void *c)',
  hb_poll: 'hb_status hb_poll(_Inout_ hb_poll_item *items, size_t n, int32_t timeout_ms, _Out_ size_t *n_ready)',
  hb_wait_any: 'hb_status hb_wait_any(const void **handles, size_t n, int32_t timeout_ms, _Out_ size_t *ready)',
  // libzmq's texts and capabilities, the process context's options (ABI 1.2)
  hb_strerror: 'hb_status hb_strerror(int32_t errnum, _Out_ uint8_t *buf, size_t len, _Out_ size_t *out_len)',
  hb_zmq_has: 'hb_status hb_zmq_has(const char *capability, _Out_ int32_t *out)',
  hb_context_set: 'hb_status hb_context_set(int32_t option, int32_t value)',
  hb_context_get: 'hb_status hb_context_get(int32_t option, _Out_ int32_t *value)',
};

// A signal handled during a call (HB_INTERRUPTED: SIGPROF of a profiler,
// SIGCHLD, ...) leaves nothing done (the ABI's rule), so a call is simply
// made again, a few times. The calls that take messages, answers and events
// are the exception: their loops go on at the next turn of the event loop
// instead (they are declared raw).
const HB_INTERRUPTED = 10;
const RAW = new Set(['hb_socket_recv', 'hb_socket_send', 'hb_socket_events', 'hb_socket_next_event', 'hb_client_next',
  'hb_op_pull_recv', 'hb_failover_next_event', 'hb_log_next', 'hb_abi_version', 'hb_error_info', 'hb_last_error',
  'hb_op_pull_reply', 'hb_op_pull_reply_text', 'hb_op_pull_reply_error',
  'hb_task_worker_recv', 'hb_task_client_next', 'hb_task_client_request']);

function retrying(raw) {
  const f = (...args) => {
    let st = raw(...args);
    for (let i = 0; st === HB_INTERRUPTED && i < 16; i++) st = raw(...args);
    return st;
  };
  f.async = raw.async;
  f.info = raw.info;
  return f;
}

const fn = {};
for (const [name, proto] of Object.entries(decl)) {
  const raw = lib.func(proto);
  fn[name] = RAW.has(name) ? raw : retrying(raw);
}

// ------------------------------------------------------------ constants

const STATUS_NAMES = ['HB_OK', 'HB_TIMEOUT', 'HB_INVALID_ARGUMENT', 'HB_INVALID_HANDLE', 'HB_CONFIG', 'HB_REMOTE', 'HB_ZMQ',
  'HB_STOPPED', 'HB_BUFFER_TOO_SMALL', 'HB_PANIC', 'HB_INTERRUPTED', 'HB_BUSY', 'HB_FORKED'];
const S = Object.freeze(Object.fromEntries(STATUS_NAMES.map((n, i) => [n, i])));
const TEXT_MAX = 512;
const POLLIN = 1, POLLOUT = 2, POLLERR = 4, POLLMON = 8, POLLWAKE = 16;

// ------------------------------------------------------------ errors

const textBuf = Buffer.alloc(TEXT_MAX);

function cstr(buf) {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
}

/** An error of the library: `code` is the status name ('HB_TIMEOUT', ...). */
class HypobusError extends Error {
  constructor(message, status, errno) {
    super(message);
    this.name = 'HypobusError';
    this.status = status;
    this.code = STATUS_NAMES[status] || `HB_STATUS_${status}`;
    if (errno) this.errno = errno;
  }
}

/** The explanation of the last failure on `handle` (or this thread when null). */
function errorInfo(handle) {
  const st = [0], errno = [0], n = [0];
  const r = fn.hb_error_info(handle || null, st, errno, textBuf, textBuf.length, n);
  if (r !== S.HB_OK) return { status: 0, errno: 0, message: '' };
  return { status: st[0], errno: errno[0], message: cstr(textBuf) };
}

/** An Error for status `st` returned by `what` on `handle`. */
function makeError(st, what, handle) {
  const info = errorInfo(handle);
  const msg = info.message || `${what} failed`;
  const e = new HypobusError(`${what}: ${msg} (${STATUS_NAMES[st] || st})`, st, info.status === st ? info.errno : 0);
  e.operation = what;
  return e;
}

function check(st, what, handle) {
  if (st !== S.HB_OK) throw makeError(st, what, handle);
}

/** Call a constructor-style function whose last argument is `_Out_ void **out`. */
function create(name, ...args) {
  const out = [null];
  let st = fn[name](...args, out);
  // The roles' constructors report a zmq_connect interrupted by a signal as
  // HB_CONFIG ("cannot connect to ...: Interrupted system call") rather than
  // HB_INTERRUPTED; nothing was created, so try again.
  for (let i = 0; i < 16 && st === S.HB_CONFIG && /Interrupted system call/.test(errorInfo(null).message); i++) {
    st = fn[name](...args, out);
  }
  check(st, name, null);
  return out[0];
}

/** A text output call: f(...args, buf, len, out_len). */
function text(name, handle, ...args) {
  const n = [0];
  const st = fn[name](handle, ...args, textBuf, textBuf.length, n);
  check(st, name, handle);
  return cstr(textBuf);
}

/** The descriptor an event loop watches for `handle`. */
function handleFd(handle, what) {
  const fd = [0];
  check(fn.hb_handle_fd(handle, fd), `${what}: hb_handle_fd`, handle);
  return fd[0];
}

function libraryVersion() {
  const buf = Buffer.alloc(64);
  fn.hb_version(buf, buf.length, [0]);
  return cstr(buf);
}

const strerrors = new Map();

/** libzmq's text for an errno (zmq_strerror: 'Host unreachable', 'Address already in use'...). */
function strerror(errno) {
  let t = strerrors.get(errno);
  if (t === undefined) {
    const buf = Buffer.alloc(TEXT_MAX);
    t = fn.hb_strerror(errno, buf, buf.length, [0]) === S.HB_OK ? cstr(buf) : `Unknown error ${errno}`;
    strerrors.set(errno, t);
  }
  return t;
}

/** Whether the libzmq inside the library has a capability ('ipc', 'curve'...): zmq_has. */
function zmqHas(what) {
  const out = [0];
  check(fn.hb_zmq_has(what, out), 'hb_zmq_has', null);
  return out[0] === 1;
}

function zmqVersion() {
  const a = [0], b = [0], c = [0];
  fn.hb_zmq_version(a, b, c);
  return `${a[0]}.${b[0]}.${c[0]}`;
}

module.exports = {
  koffi, lib, fn, LIB_FILE, ABI, S, STATUS_NAMES, TEXT_MAX, POLLIN, POLLOUT, POLLERR, POLLMON, POLLWAKE,
  BrokerConfig, BrokerStats, CalcStats, ClientStats, FailoverStats, OpStats, ProxyStats, SocketEvent, PollItem, OpFn, FailoverEventFn,
  TaskBrokerConfig, TaskBrokerStats, TaskWorkerConfig, TaskWorkerStats, TaskClientConfig, TaskClientStats, TaskFn,
  HypobusError, errorInfo, makeError, check, create, text, handleFd, cstr, candidates, libraryVersion, zmqVersion, strerror, zmqHas,
};
