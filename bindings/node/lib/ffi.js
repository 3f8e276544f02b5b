'use strict';
// The C ABI of libhypobus (include/hypobus.h, ABI 1.x) declared for koffi.
// Every function of the header is declared here, from the tables generated
// from the header (lib/abi.js, by scripts/gen-bindings.py); the rest of the
// package uses only this module to reach the library.
const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');
const abi = require('./abi');

// Every function of the header is declared, so the library must be of the
// header's ABI: the same major version and at least its minor one.
const ABI_MAJOR = abi.HB_ABI_VERSION_MAJOR;
const ABI_MINOR_NEEDED = abi.HB_ABI_VERSION_MINOR;
const LIB_NAME = 'libhypobus.so';

// The prebuilt libraries of a release come in one optional npm package per
// platform (as koffi's and esbuild's do): npm installs only the one whose
// "os"/"cpu"/"libc" fit the machine. Built by scripts/dist.sh against glibc 2.17.
const PLATFORM_PACKAGES = {
  'linux-x64': '@hypobus/linux-x64',
  'linux-arm64': '@hypobus/linux-arm64',
};

/** The running platform as the packages name it: linux-x64, linux-arm64, ... */
function platformKey() {
  return `${process.platform}-${process.arch}`;
}

/** The library of the running platform's prebuilt package, or why there is none. */
function platformPackage() {
  const key = platformKey();
  const name = PLATFORM_PACKAGES[key];
  if (!name) {
    return {
      where: `no prebuilt package for ${key}`,
      missing: `prebuilt libraries exist for ${Object.keys(PLATFORM_PACKAGES).join(', ')} (glibc 2.17 or later) only`,
    };
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return { where: `the prebuilt package ${name} for ${key}`, missing: 'not installed' };
  }
  return { where: `the prebuilt package ${name} for ${key}`, file: path.join(dir, LIB_NAME) };
}

/** The places the library is looked for, in order. */
function candidates() {
  const out = [];
  if (process.env.HYPOBUS_LIB) out.push({ where: 'HYPOBUS_LIB', file: path.resolve(process.env.HYPOBUS_LIB) });
  out.push({ where: 'the copy in the package', file: path.join(__dirname, '..', 'native', LIB_NAME) });
  out.push(platformPackage());
  out.push({
    where: "the repository's target/release",
    file: path.resolve(__dirname, '..', '..', '..', 'target', 'release', LIB_NAME),
  });
  return out;
}

function loadLibrary() {
  const tried = [];
  for (const c of candidates()) {
    if (c.missing) {
      tried.push(`  ${c.where}: ${c.missing}`);
      continue;
    }
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
    let version;
    try {
      const f = lib.func('int32_t hb_abi_version(_Out_ uint32_t *major, _Out_ uint32_t *minor)');
      const major = [0],
        minor = [0];
      f(major, minor);
      version = { major: major[0], minor: minor[0] };
    } catch (e) {
      tried.push(`  ${c.file} (${c.where}): not libhypobus (${e.message})`);
      continue;
    }
    if (version.major !== ABI_MAJOR || version.minor < ABI_MINOR_NEEDED) {
      const err = new Error(
        `hypobus: ${c.file} (${c.where}) has C ABI ${version.major}.${version.minor}; this package needs ${ABI_MAJOR}.x with x >= ${ABI_MINOR_NEEDED}`,
      );
      err.code = 'HB_ABI_MISMATCH';
      throw err;
    }
    if (tried.length && process.env.HYPOBUS_LIB) {
      process.emitWarning(
        `HYPOBUS_LIB=${process.env.HYPOBUS_LIB} was not used:\n${tried.join('\n')}\nloaded ${c.file} instead`,
        'HypobusWarning',
      );
    }
    return { lib, file: c.file, abi: version };
  }
  const key = platformKey();
  const pkg = PLATFORM_PACKAGES[key];
  const hint = pkg
    ? `On ${key}, install the prebuilt library with \`npm install ${pkg}\` (npm installs it with hypobus ` +
      'unless optional dependencies were left out), set HYPOBUS_LIB to the path of a libhypobus.so, or build it ' +
      'with `cargo build --release` in the libhypobus repository.'
    : `There is no prebuilt libhypobus for ${key} (prebuilt: ${Object.keys(PLATFORM_PACKAGES).join(', ')}); ` +
      'build it with `cargo build --release` in the libhypobus repository and set HYPOBUS_LIB to its path.';
  const err = new Error(`hypobus: cannot load ${LIB_NAME} on ${key}; tried, in order:\n${tried.join('\n')}\n${hint}`);
  err.platform = key;
  err.code = 'HB_LIBRARY_NOT_FOUND';
  throw err;
}

const { lib, file: LIB_FILE, abi: ABI } = loadLibrary();

// ------------------------------------------------------------ types and functions
// Handles are `void *` (koffi 3: BigInt addresses). Buffers on the hot paths
// are declared `void *` so that a Buffer or typed array is passed by pointer,
// without conversion; the other out-parameters use koffi's [value] arrays
// (see NODE_BUFFER_OUTPUTS in scripts/gen-bindings.py).

// The structs and callback types by binding name: BrokerStats (hb_broker_stats_t), OpFn (hb_op_fn), ...
const types = abi.declare(koffi);

// A signal handled during a call (HB_INTERRUPTED: SIGPROF of a profiler,
// SIGCHLD, ...) leaves nothing done (the ABI's rule), so a call is simply
// made again, a few times. The calls that take messages, answers and events
// are the exception: their loops go on at the next turn of the event loop
// instead (they are declared raw).
const { HB_INTERRUPTED } = abi;
const RAW = new Set([
  'hb_socket_recv',
  'hb_socket_send',
  'hb_socket_events',
  'hb_socket_next_event',
  'hb_client_next',
  'hb_op_pull_recv',
  'hb_failover_next_event',
  'hb_log_next',
  'hb_abi_version',
  'hb_error_info',
  'hb_last_error',
  'hb_op_pull_reply',
  'hb_op_pull_reply_text',
  'hb_op_pull_reply_error',
  'hb_task_worker_recv',
  'hb_task_client_next',
  'hb_task_client_request',
]);

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
for (const [name, proto] of Object.entries(abi.FUNCTIONS)) {
  const raw = lib.func(proto);
  fn[name] = RAW.has(name) ? raw : retrying(raw);
}

// ------------------------------------------------------------ constants

const { STATUS_NAMES, STATUS: S, HB_TEXT_MAX: TEXT_MAX } = abi;
const { HB_POLLIN: POLLIN, HB_POLLOUT: POLLOUT, HB_POLLERR: POLLERR, HB_POLLMON: POLLMON, HB_POLLWAKE: POLLWAKE } = abi;

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
  const st = [0],
    errno = [0],
    n = [0];
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
  const a = [0],
    b = [0],
    c = [0];
  fn.hb_zmq_version(a, b, c);
  return `${a[0]}.${b[0]}.${c[0]}`;
}

module.exports = {
  ...abi.CONSTANTS,
  koffi,
  lib,
  fn,
  LIB_FILE,
  ABI,
  S,
  STATUS_NAMES,
  TEXT_MAX,
  POLLIN,
  POLLOUT,
  POLLERR,
  POLLMON,
  POLLWAKE,
  ...types,
  HypobusError,
  errorInfo,
  makeError,
  check,
  create,
  text,
  handleFd,
  cstr,
  candidates,
  platformKey,
  PLATFORM_PACKAGES,
  libraryVersion,
  zmqVersion,
  strerror,
  zmqHas,
};
