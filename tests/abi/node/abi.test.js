'use strict';
// The C ABI driven from Node through koffi as a binding author would: each
// test is a defect the review found (issue 10, part A) that is Node's.
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const hb = require('./hbabi');

function child(script, timeoutMs = 30000) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(__dirname, script)], { encoding: 'utf8', timeout: timeoutMs });
  return { ...r, took: Date.now() - t0 };
}

test('item 4: a program that used the library exits cleanly (5 runs, no SIGSEGV)', () => {
  for (let i = 0; i < 5; i++) {
    const r = child('child_exit.js');
    assert.strictEqual(r.signal, null, `run ${i}: killed by ${r.signal}\n${r.stderr}`);
    assert.strictEqual(r.status, 0, `run ${i}: exit ${r.status}\n${r.stderr}`);
    assert.strictEqual(r.stdout.trim(), '17.6918');
  }
});

test('item 3: a sync hb_op_free on the main thread with a JS callback pending does not deadlock', () => {
  const r = child('child_free_js_callback.js', 30000);
  assert.strictEqual(r.error, undefined, `child did not finish: ${r.error}\n${r.stdout}\n${r.stderr}`);
  assert.strictEqual(r.signal, null, r.stderr);
  assert.strictEqual(r.status, 0, r.stderr);
  const m = /freed in (\d+) ms after (\d+) callback calls, (\d+) answers/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Number(m[1]) < 2000, `free took ${m[1]} ms`);
  assert.ok(Number(m[2]) >= 20 && Number(m[3]) >= 19, r.stdout);
});

test('exit with a live JS callback pending is clean (5 runs)', () => {
  for (let i = 0; i < 5; i++) {
    const r = child('child_exit_live_callback.js');
    assert.strictEqual(r.signal, null, `run ${i}: killed by ${r.signal}\n${r.stderr}`);
    assert.strictEqual(r.status, 0, `run ${i}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stdout, /exiting with a callback pending: 1/);
  }
});

test('item 1: a pending .async wait ends when the handle is freed, and the program exits', () => {
  const r = child('child_async_wait.js', 20000);
  assert.strictEqual(r.error, undefined, `child did not finish: ${r.error}`);
  assert.strictEqual(r.status, 0, r.stderr);
  const m = /returned (\w+) after (\d+) ms/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.strictEqual(m[1], 'HB_STOPPED');
  assert.ok(Number(m[2]) < 1000, r.stdout);
  assert.ok(r.took < 5000, `exit took ${r.took} ms`);
});

test('item 9: the error text of a .async call reaches its caller', async () => {
  const p = hb.out(hb.f.op_pull_new, 'tcp://127.0.0.1:1|tcp://127.0.0.1:2', 1);
  try {
    // This (main) thread fails differently meanwhile.
    assert.strictEqual(hb.f.op_pull_reply(p, 999, 1), hb.S.HB_INVALID_ARGUMENT);
    const mine = hb.lastError();
    const st = await new Promise((resolve, reject) => {
      const text = Buffer.alloc(64);
      hb.f.op_pull_recv.async(p, 30, [0], [0], text, text.length, [0], (err, s) => (err ? reject(err) : resolve(s)));
    });
    assert.strictEqual(st, hb.S.HB_TIMEOUT);
    const e = hb.handleError(p);
    assert.strictEqual(e.status, hb.S.HB_TIMEOUT);
    assert.match(e.message, /no request within 30 ms/);
    assert.strictEqual(hb.lastError(), mine, 'this thread keeps its own text');
  } finally {
    hb.f.op_pull_free(p);
  }
});
