'use strict';
// Test helpers: free ports, child processes that are always ended by PID,
// bounded waits for a condition (never a bare sleep where a condition can
// be waited for).
const assert = require('node:assert');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const PKG = path.resolve(__dirname, '..');
const REPO = path.resolve(PKG, '..', '..');
const EXAMPLES = path.join(PKG, 'examples');
const CLI = path.join(REPO, 'target', 'release', 'hypobus');

/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picked it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function freePorts(n) {
  const out = new Set();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

/** Resolve when `cond()` is truthy (checked every `everyMs`), reject after `timeoutMs`. */
function waitFor(cond, timeoutMs = 5000, what = 'condition', everyMs = 5) {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      let v;
      try {
        v = cond();
      } catch (e) {
        reject(e);
        return;
      }
      if (v) return resolve(v);
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      setTimeout(tick, everyMs);
    };
    tick();
  });
}

/** Resolve with the first event `name` of `em` (its arguments as an array), reject after `timeoutMs`. */
function once(em, name, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      em.removeListener(name, on);
      reject(new Error(`no '${name}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (...args) => {
      clearTimeout(t);
      resolve(args);
    };
    em.once(name, on);
  });
}

/** Collect `n` 'message' events of a socket as arrays of strings. */
function messages(sock, n, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const got = [];
    const t = setTimeout(() => {
      sock.removeListener('message', on);
      reject(new Error(`got ${got.length} of ${n} messages within ${timeoutMs} ms: ${JSON.stringify(got)}`));
    }, timeoutMs);
    const on = (...frames) => {
      got.push(frames.map((f) => f.toString()));
      if (got.length === n) {
        clearTimeout(t);
        sock.removeListener('message', on);
        resolve(got);
      }
    };
    sock.on('message', on);
  });
}

const children = new Set();

/**
 * Start a child process; its output is collected in `.out` / `.err`.
 * Every child is ended by PID at the latest when the test file ends.
 */
function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
  child.out = '';
  child.err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    child.out += d;
    child.emit('output');
  });
  child.stderr.on('data', (d) => {
    child.err += d;
    child.emit('output');
  });
  child.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      child.code = code;
      child.sig = signal;
      resolve({ code, signal });
    });
  });
  children.add(child);
  return child;
}

/** Run a Node example: node examples/NAME args. */
function example(name, args = [], opts = {}) {
  return start(process.execPath, [path.join(EXAMPLES, name), ...args.map(String)], { cwd: EXAMPLES, ...opts });
}

/** Wait until the child's stdout (or stderr with `{stream: 'err'}`) matches `re`. */
function waitOutput(child, re, timeoutMs = 10000, stream = 'out') {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(child[stream]);
      if (m) {
        cleanup();
        resolve(m);
        return true;
      }
      return false;
    };
    const onExit = () => {
      setImmediate(() => {
        if (!check()) {
          cleanup();
          reject(
            new Error(
              `child exited (${child.code}/${child.sig}) before printing ${re}\nstdout: ${child.out}\nstderr: ${child.err}`,
            ),
          );
        }
      });
    };
    const t = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${re} within ${timeoutMs} ms\nstdout: ${child.out}\nstderr: ${child.err}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(t);
      child.removeListener('output', check);
      child.removeListener('exit', onExit);
    };
    if (check()) return;
    child.on('output', check);
    if (child.exitCode !== null || child.signalCode !== null) onExit();
    else child.once('exit', onExit);
  });
}

/** Wait for the child to exit by itself within `timeoutMs` (then kill it and fail). */
async function exited(child, timeoutMs = 10000) {
  let timer;
  const r = await Promise.race([
    child.exited,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (r === null) {
    stop(child);
    throw new Error(
      `child ${child.spawnargs.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${child.out}\nstderr: ${child.err}`,
    );
  }
  return r;
}

/** Wait for the child to exit with status 0 within `timeoutMs`: its stdout (a failure names the command and both outputs). */
async function ok(child, timeoutMs = 15000) {
  const r = await exited(child, timeoutMs);
  assert.deepStrictEqual(
    r,
    { code: 0, signal: null },
    `${child.spawnargs.slice(1).join(' ')}\nstdout: ${child.out}\nstderr: ${child.err}`,
  );
  return child.out;
}

/** The non-empty lines of `s`. */
function lines(s) {
  return s.split('\n').filter(Boolean);
}

/** End a child by its PID (SIGTERM, then SIGKILL after 3 s) and wait for it. */
async function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  try {
    process.kill(child.pid, signal);
  } catch {
    return child.exited;
  }
  let timer;
  const r = await Promise.race([
    child.exited,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), 3000);
    }),
  ]);
  clearTimeout(timer);
  if (r === null) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    return child.exited;
  }
  return r;
}

/** End every child still running (call in `after`). */
async function stopAll() {
  await Promise.all([...children].map((c) => stop(c)));
}

process.on('exit', () => {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

module.exports = {
  PKG,
  REPO,
  EXAMPLES,
  CLI,
  freePort,
  freePorts,
  waitFor,
  once,
  messages,
  start,
  example,
  waitOutput,
  exited,
  ok,
  lines,
  stop,
  stopAll,
};
