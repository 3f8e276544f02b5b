'use strict';
// The task brokers (TaskBroker, TaskWorker, TaskClient over hb_task_*):
// real sockets on 127.0.0.1, free ports, child processes ended by PID,
// bounded waits on conditions. Interop with the real zeromq.js (the course's
// frames) and every task example end to end are at the end.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const hb = require('hypobus');
const { PKG, freePorts, waitFor, start, example, waitOutput, exited, ok, lines, stop, stopAll } = require('./helpers');

const { TaskBroker, TaskWorker, TaskClient, TaskError, HypobusError } = hb;

const FIX = path.join(__dirname, 'fixtures');
const LOCAL = 'tcp://127.0.0.1:*';

const open = [];
function track(o) {
  open.push(o);
  return o;
}
function broker(opts = {}) {
  return track(new TaskBroker({ frontend: LOCAL, backend: LOCAL, ...opts }));
}
function worker(opts) {
  return track(new TaskWorker(opts));
}
function client(opts) {
  return track(new TaskClient(opts));
}
test.afterEach(() => {
  for (const o of open.splice(0).reverse()) o.close();
});
test.after(stopAll);

function node(script, args) {
  return start(process.execPath, [path.join(FIX, script), ...args.map(String)], { cwd: PKG });
}
const workersAre = (b, n, ms = 5000) => waitFor(() => b.stats().workers === n, ms, `${n} workers registered`);
/** A worker answering `TAG:body` and counting what it served. */
function tagged(b, tag, opts = {}) {
  const seen = [];
  const w = worker({
    broker: b,
    hbIntervalMs: 200,
    ...opts,
    handler: (body, job) => {
      seen.push(body.toString());
      return `${tag}:${body}`;
    },
  });
  w.seen = seen;
  return w;
}
/**
 * A task_worker.js process answering after `delayMs`, the only worker of
 * `b`, holding request `body` of a new client: the process, the client and
 * the request's promise.
 */
async function processHolding(b, tag, delayMs, body) {
  const w = node('task_worker.js', [b.backend, tag, delayMs]);
  await waitOutput(w, /ready/);
  await workersAre(b, 1);
  const c = client({ broker: b, timeoutMs: 5000 });
  const p = c.request(body);
  await waitOutput(w, new RegExp(`got ${body}`));
  return { w, c, p };
}
function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hb-node-task-'));
}

// ------------------------------------------------------------ API, bad input

test('TaskBroker: wildcard ports read back, defaults, stats, stop then close, Symbol.dispose', () => {
  const b = broker({ policy: 'load' });
  assert.match(b.frontend, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.match(b.backend, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.notStrictEqual(b.frontend, b.backend);
  assert.strictEqual(b.state, '');
  assert.strictEqual(b.endpoint('frontend'), b.frontend);
  assert.strictEqual(b.journal, 'memory');
  const s = b.stats();
  assert.strictEqual(s.requests, 0);
  assert.strictEqual(s.workers, 0);
  b.stop();
  assert.strictEqual(b.stats().requests, 0); // readable after stop
  b.stop(); // twice is harmless
  b[Symbol.dispose]();
  assert.ok(b.closed);
  assert.throws(
    () => b.stats(),
    (e) => e instanceof HypobusError && e.code === 'HB_STOPPED',
  );
  b.close();
});

test('bad arguments are clear exceptions, the library error text included; nothing goes down', async () => {
  assert.throws(() => new TaskBroker({ policy: 'fastest' }), /policy must be 'lru', 'load' or 'typed'/);
  assert.throws(() => new TaskBroker({ frontend: 5 }), TypeError);
  assert.throws(
    () => new TaskBroker({ frontend: 'nope://x', backend: LOCAL }),
    (e) => e instanceof HypobusError && e.code === 'HB_CONFIG' && /nope:\/\/x/.test(e.message),
  );
  assert.throws(() => new TaskBroker({ frontend: LOCAL, backend: LOCAL, peers: ['a|b'] }), /peers need state/);
  assert.throws(
    () => new TaskBroker({ frontend: LOCAL, backend: LOCAL, journal: 'sqlite:/nonexistent-dir/x/y.db' }),
    (e) => e instanceof HypobusError && e.code === 'HB_CONFIG',
  );
  // A PostgreSQL URL goes to the library as it is (nothing listens on port 1).
  assert.throws(
    () =>
      new TaskBroker({ frontend: LOCAL, backend: LOCAL, journal: 'postgres://nobody@127.0.0.1:1/x?connect_timeout=2' }),
    (e) =>
      e instanceof HypobusError &&
      e.code === 'HB_CONFIG' &&
      /task store postgres:\/\/nobody@127\.0\.0\.1:1\/x/.test(e.message),
  );
  assert.throws(() => new TaskWorker({ broker: 'tcp://127.0.0.1:1', handler: 'no' }), /handler must be a function/);
  assert.throws(() => new TaskWorker({ broker: 'tcp://127.0.0.1:1', threads: -1 }), TypeError);
  assert.throws(
    () => new TaskWorker({ broker: 'tcp://127.0.0.1:1', services: ['bad service!'] }),
    (e) => e instanceof HypobusError && e.code === 'HB_CONFIG',
  );
  assert.throws(() => new TaskClient({ broker: 42 }), TypeError);

  const b = broker();
  const c = client({ broker: b });
  await assert.rejects(c.request(12), TypeError);
  await assert.rejects(
    c.request('x', { service: 'no spaces allowed' }),
    (e) => e instanceof HypobusError && e.code === 'HB_CONFIG',
  );
  assert.throws(
    () => c.submit('x', { id: 'has space' }),
    (e) => e.code === 'HB_CONFIG',
  );
  await assert.rejects(c.request('x', { timeoutMs: -1 }), TypeError);
  await assert.rejects(c.result('never-submitted'), (e) => e.code === 'HB_INVALID_ARGUMENT');
  const pw = worker({ broker: b });
  await assert.rejects(pw.recv(-5), TypeError);
  assert.throws(() => pw.setLoad('high'), TypeError);
  const hw = worker({ broker: b, handler: () => 'x' });
  await assert.rejects(hw.recv(10), (e) => e.code === 'HB_BUSY');
  c.close();
  await assert.rejects(c.request('x'), (e) => e.code === 'HB_STOPPED');
  assert.throws(
    () => c.submit('x'),
    (e) => e.code === 'HB_STOPPED',
  );
  pw.close();
  await assert.rejects(pw.recv(10), (e) => e.code === 'HB_STOPPED');
});

test('pull style: recv() -> a job with id, service and bytes; reply once; recv(0) and a time-out give null', async () => {
  const b = broker();
  const w = worker({ broker: b, services: ['bytes'] });
  const c = client({ broker: b });
  assert.strictEqual(await w.recv(0), null);
  const t0 = Date.now();
  assert.strictEqual(await w.recv(100), null);
  assert.ok(Date.now() - t0 >= 90);
  await workersAre(b, 1);
  const body = Buffer.from([0, 1, 2, 255, 0]);
  const id = c.submit(body, { service: 'bytes', id: 'my-id-1' });
  assert.strictEqual(id, 'my-id-1');
  const job = await w.recv(5000);
  assert.ok(job);
  assert.strictEqual(job.id, 'my-id-1');
  assert.strictEqual(job.service, 'bytes');
  assert.ok(Buffer.isBuffer(job.body));
  assert.deepStrictEqual(job.body, body);
  assert.strictEqual(w.inFlight, 1);
  job.reply(new Uint8Array([9, 0, 9]));
  assert.throws(() => job.reply('again'), /answered already/);
  const r = await c.result(id);
  assert.deepStrictEqual(r, { id, outcome: 'ok', ok: true, body: Buffer.from([9, 0, 9]), error: null });
  // A big body: the buffer grows, nothing is lost.
  const big = Buffer.alloc(3 * 1024 * 1024, 7);
  const p = c.request(big, { service: 'bytes' });
  const j2 = await w.recv(5000);
  assert.strictEqual(j2.body.length, big.length);
  j2.reply(Buffer.concat([j2.body, j2.body]));
  assert.strictEqual((await p).length, 2 * big.length);
  const p3 = c.request('e', { service: 'bytes' });
  (await w.recv(5000)).error('no thanks');
  await assert.rejects(
    p3,
    (e) => e instanceof TaskError && e.code === 'HB_REMOTE' && e.outcome === 'failed' && e.reason === 'no thanks',
  );
  await waitFor(() => w.stats().replies === 3, 2000, '3 answers counted');
  const s = w.stats();
  assert.strictEqual(s.jobs, 3);
  assert.strictEqual(s.replies, 3);
  assert.strictEqual(s.errors, 1);
});

test('client: many in flight with submit(), next() and the results() iterator; fetch(id) again; request time-out', async () => {
  const b = broker();
  tagged(b, 'W', { threads: 4 });
  const c = client({ broker: b });
  await workersAre(b, 1);
  const ids = [];
  for (let i = 0; i < 50; i++) ids.push(c.submit(`m${i}`));
  assert.strictEqual(new Set(ids).size, 50);
  const first = await c.next(5000);
  assert.ok(first.ok && ids.includes(first.id));
  const got = new Map([[first.id, first.body.toString()]]);
  for await (const r of c.results()) {
    assert.ok(!got.has(r.id), `twice: ${r.id}`);
    got.set(r.id, r.body.toString());
  }
  assert.strictEqual(got.size, 50);
  ids.forEach((id, i) => assert.strictEqual(got.get(id), `W:m${i}`));
  assert.strictEqual(await c.next(0), null);
  // A result again, by id, from another client.
  const c2 = client({ broker: b.frontend });
  const again = await c2.fetch(ids[7]);
  assert.strictEqual(again.body.toString(), 'W:m7');
  const unknown = await c2.fetch('nobody-sent-this');
  assert.strictEqual(unknown.outcome, 'unknown');
  // timeoutMs on one request: rejected with HB_TIMEOUT, its outcome dropped.
  const slowB = broker();
  const sw = worker({ broker: slowB });
  const c3 = client({ broker: slowB });
  await workersAre(slowB, 1);
  await assert.rejects(c3.request('slow', { timeoutMs: 100 }), (e) => e.code === 'HB_TIMEOUT');
  const j = await sw.recv(5000);
  j.reply('late');
  await waitFor(() => c3.inFlight === 0, 5000, 'the dropped outcome');
  assert.strictEqual(await c3.next(0), null);
  const s = c.stats();
  assert.strictEqual(s.completed, 50);
  assert.strictEqual(s.duplicates, 0);
});

// ------------------------------------------------------------ the brief's scenarios

test('4 clients x 200 requests over 4 binding workers: all answered, each to its sender, none twice', async () => {
  const b = broker({ hbIntervalMs: 200 });
  const ws = [
    tagged(b, 'W0'),
    worker({ broker: b, threads: 2, hbIntervalMs: 200, handler: async (body) => `W1:${body}` }),
    worker({ broker: b, threads: 3, hbIntervalMs: 200 }),
    worker({ broker: b, hbIntervalMs: 200 }),
  ];
  const counts = [0, 0, 0, 0];
  const pull = async (w, tag, k) => {
    for await (const job of w) {
      counts[k]++;
      job.reply(`${tag}:${job.body}`);
    }
  };
  const loops = [pull(ws[2], 'W2', 2), pull(ws[3], 'W3', 3)];
  await workersAre(b, 4);
  const clients = [0, 1, 2, 3].map((k) => client({ broker: b, name: `c${k}` }));
  const answers = await Promise.all(
    clients.map((c, k) =>
      Promise.all(Array.from({ length: 200 }, (_, i) => c.request(`c${k}-${i}`).then((r) => r.toString()))),
    ),
  );
  const by = { W0: 0, W1: 0, W2: 0, W3: 0 };
  answers.forEach((list, k) =>
    list.forEach((a, i) => {
      const [tag, body] = a.split(':');
      assert.strictEqual(body, `c${k}-${i}`, `client ${k} got ${a}`);
      by[tag]++;
    }),
  );
  assert.strictEqual(
    Object.values(by).reduce((x, y) => x + y),
    800,
  );
  for (const [tag, n] of Object.entries(by)) assert.ok(n > 0, `${tag} served nothing: ${JSON.stringify(by)}`);
  const jobs = ws.map((w) => w.stats().jobs).reduce((x, y) => x + y);
  assert.strictEqual(jobs, 800, 'no request ran twice');
  await waitFor(() => b.stats().replies === 800, 2000, '800 replies counted');
  const s = b.stats();
  assert.strictEqual(s.requests, 800);
  assert.strictEqual(s.late, 0);
  for (const c of clients) assert.strictEqual(c.stats().duplicates, 0);
  for (const w of ws) w.close();
  await Promise.all(loops);
});

test('a worker process SIGKILLed mid-request: another worker answers within the answer time-out, once', async () => {
  const b = broker({ answerTimeoutMs: 2000, hbIntervalMs: 200 });
  const { w: victim, c, p } = await processHolding(b, 'VICTIM', 60000, 'k1');
  const fast = tagged(b, 'FAST');
  await workersAre(b, 2);
  const t0 = Date.now();
  process.kill(victim.pid, 'SIGKILL');
  assert.strictEqual((await p).toString(), 'FAST:k1');
  const took = Date.now() - t0;
  assert.ok(took < 2000, `answered after ${took} ms, not within the answer time-out`);
  await exited(victim, 5000);
  assert.deepStrictEqual(fast.seen, ['k1']);
  // the broker counts a reply just after sending it
  await waitFor(() => b.stats().replies === 1, 2000, 'the reply counted');
  assert.strictEqual(b.stats().requests, 1);
  await waitFor(() => b.stats().workers === 1, 5000, 'the killed worker purged');
  assert.ok(b.stats().purged >= 1);
  assert.strictEqual(c.stats().duplicates, 0);
  assert.strictEqual(c.stats().completed, 1);
});

test('a slow worker process: another answers after the answer time-out; the slow answer is dropped, never delivered twice', async () => {
  const b = broker({ answerTimeoutMs: 400, hbIntervalMs: 200 });
  const { w: slow, c, p } = await processHolding(b, 'SLOW', 1200, 's1');
  const fast = tagged(b, 'FAST');
  assert.strictEqual((await p).toString(), 'FAST:s1');
  await waitFor(() => b.stats().late === 1, 5000, "the slow worker's late answer");
  const s = b.stats();
  assert.strictEqual(s.timeouts, 1);
  assert.strictEqual(s.replies, 1);
  assert.deepStrictEqual(fast.seen, ['s1']);
  assert.strictEqual(await c.next(0), null);
  assert.strictEqual(c.stats().completed, 1);
  assert.strictEqual(c.stats().duplicates, 0);
  await stop(slow);
});

test('load policy: the worker reporting high load gets measurably fewer requests (lru, for contrast, splits them)', async () => {
  const run = async (policy) => {
    const b = broker({ policy, hbIntervalMs: 100 });
    const hi = tagged(b, 'HI', { threads: 4, load: 90, hbIntervalMs: 100 });
    const lo = tagged(b, 'LO', { threads: 4, load: 10, hbIntervalMs: 100 });
    await workersAre(b, 2);
    await waitFor(() => hi.stats().load === 90 && lo.stats().load === 10, 2000, 'the loads set');
    const c = client({ broker: b });
    // Three in flight at a time: the low-load worker always has a free slot.
    for (let i = 0; i < 60; i++) await Promise.all([c.request(`a${i}`), c.request(`b${i}`), c.request(`c${i}`)]);
    return { hi: hi.seen.length, lo: lo.seen.length };
  };
  const load = await run('load');
  assert.strictEqual(load.hi + load.lo, 180);
  assert.ok(load.hi * 5 < load.lo, `load policy: high-load worker got ${load.hi}, low-load ${load.lo}`);
  for (const o of open.splice(0).reverse()) o.close();
  const lru = await run('lru');
  assert.ok(lru.hi > 40 && lru.lo > 40, `lru: ${JSON.stringify(lru)}`);
});

test('typed routing: service B requests reach only B workers; a service with no worker fails with the documented error', async () => {
  const b = broker({ policy: 'typed', serviceWaitMs: 300 });
  const a = tagged(b, 'A', { services: ['A'] });
  const b1 = worker({ broker: b, services: 'B,X', handler: (body, job) => `B1:${job.service}:${body}` });
  const b2 = worker({ broker: b, services: ['B'], handler: (body, job) => `B2:${job.service}:${body}` });
  await workersAre(b, 3);
  const c = client({ broker: b });
  const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => c.request(`r${i}`, { service: 'B' }).then(String)));
  rs.forEach((r, i) => assert.match(r, new RegExp(`^B[12]:B:r${i}$`)));
  assert.ok(rs.some((r) => r.startsWith('B1')) && rs.some((r) => r.startsWith('B2')), rs.join(' '));
  assert.deepStrictEqual(a.seen, []);
  assert.strictEqual(String(await c.request('z', { service: 'A' })), 'A:z');
  assert.strictEqual(b1.stats().jobs + b2.stats().jobs, 40);
  const t0 = Date.now();
  await assert.rejects(
    c.request('lost', { service: 'C' }),
    (e) =>
      e instanceof TaskError &&
      e.outcome === 'failed' &&
      /^no worker serves service "C" \(waited \d+ ms\)$/.test(e.reason),
  );
  assert.ok(Date.now() - t0 >= 250);
  // the default service ('') has no worker here either
  await assert.rejects(c.request('lost'), /no worker serves the default service \(waited \d+ ms\)/);
});

test('handler errors (throw, rejection, wrong return type) become error replies and the worker keeps serving', async () => {
  const b = broker();
  const handler = (body) => {
    switch (body.toString()) {
      case 'throw':
        throw new Error('boom');
      case 'throw-string':
        throw 'plain'; // eslint-disable-line no-throw-literal
      case 'reject':
        return Promise.reject(new RangeError('async boom'));
      case 'number':
        return 42;
      case 'undefined':
        return undefined;
      case 'object':
        return { a: 1 };
      case 'late-object':
        return Promise.resolve([1]);
      default:
        return Promise.resolve(Buffer.from(`ok:${body}`));
    }
  };
  const w = worker({ broker: b, handler, threads: 2 });
  await workersAre(b, 1);
  const c = client({ broker: b });
  const expect = {
    throw: 'boom',
    'throw-string': 'plain',
    reject: 'async boom',
    number: 'the handler returned number, not a Buffer, a Uint8Array or a string',
    undefined: 'the handler returned undefined, not a Buffer, a Uint8Array or a string',
    object: 'the handler returned object, not a Buffer, a Uint8Array or a string',
    'late-object': 'the handler returned an array, not a Buffer, a Uint8Array or a string',
  };
  for (const [body, reason] of Object.entries(expect)) {
    await assert.rejects(c.request(body), (e) => e instanceof TaskError && e.reason === reason, body);
    assert.strictEqual(String(await c.request('fine')), 'ok:fine');
  }
  await waitFor(() => w.stats().replies === 14, 2000, '14 answers counted');
  const s = w.stats();
  assert.strictEqual(s.errors, 7);
  assert.strictEqual(s.replies, 14);
  assert.ok(!w.closed);
});

test('SQLite journal: a broker process SIGKILLed with accepted unanswered requests, restarted on the file: all answered once; fetch(id) later', async () => {
  const dir = tmpdir();
  const db = path.join(dir, 'tasks.db');
  const [fp, bp] = await freePorts(2);
  const fe = `tcp://127.0.0.1:${fp}`,
    be = `tcp://127.0.0.1:${bp}`;
  const run = () => node('task_broker.js', [fe, be, db]);
  const statsOf = (child) => {
    const all = lines(child.out).filter((l) => l.startsWith('stats '));
    const last = all[all.length - 1] || '';
    return Object.fromEntries([...last.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
  };
  try {
    let b = run();
    await waitOutput(b, /^ready /m);
    const c = client({ broker: fe, tries: 40, timeoutMs: 300 });
    const ids = Array.from({ length: 20 }, (_, i) => c.submit(`job${i}`));
    await waitFor(() => statsOf(b).pending === 20 && statsOf(b).commits >= 1, 5000, '20 accepted');
    const before = b.out.length;
    await waitFor(() => b.out.length > before, 2000, 'one more stats line (committed)');
    process.kill(b.pid, 'SIGKILL');
    await exited(b, 5000);
    b = run();
    await waitOutput(b, /^ready /m);
    await waitFor(() => statsOf(b).recovered === 20, 5000, 'the journal taken up');
    const w = tagged(be, 'W', { threads: 4 });
    const got = new Map();
    for await (const r of c.results()) {
      assert.ok(!got.has(r.id), `twice: ${r.id}`);
      assert.ok(r.ok, JSON.stringify(r));
      got.set(r.id, r.body.toString());
    }
    assert.strictEqual(got.size, 20);
    ids.forEach((id, i) => assert.strictEqual(got.get(id), `W:job${i}`));
    assert.strictEqual(w.seen.length, 20, `ran: ${w.seen.join(' ')}`);
    assert.strictEqual(new Set(w.seen).size, 20);
    // Another broker process on the same file: the results are still there.
    await stop(b);
    b = run();
    await waitOutput(b, /^ready /m);
    const c2 = client({ broker: fe });
    const r = await c2.fetch(ids[3]);
    assert.deepStrictEqual([r.outcome, r.body.toString()], ['ok', 'W:job3']);
    assert.strictEqual((await c2.fetch('c-never')).outcome, 'unknown');
    assert.strictEqual(w.seen.length, 20, 'fetching ran nothing again');
    await stop(b);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker follows its broker: TaskBroker restarted on the same ports, the worker registers again and serves', async () => {
  const [fp, bp] = await freePorts(2);
  const fe = `tcp://127.0.0.1:${fp}`,
    be = `tcp://127.0.0.1:${bp}`;
  let b = track(new TaskBroker({ frontend: fe, backend: be, hbIntervalMs: 100 }));
  const w = tagged(be, 'W', { hbIntervalMs: 100 });
  await workersAre(b, 1);
  const c = client({ broker: fe, timeoutMs: 300, tries: 20 });
  assert.strictEqual(String(await c.request('one')), 'W:one');
  b.close();
  b = track(new TaskBroker({ frontend: fe, backend: be, hbIntervalMs: 100 }));
  assert.strictEqual(String(await c.request('two')), 'W:two');
  assert.ok(w.stats().reconnects >= 1);
});

test("peering: a broker with no worker passes its client's request to a peer with a free worker", async () => {
  const [sa, fa, sb, fb] = (await freePorts(4)).map((p) => `tcp://127.0.0.1:${p}`);
  const a = broker({ frontend: fa, name: 'A', state: sa, peers: [`${sb}|${fb}`], peerIntervalMs: 100 });
  const b = broker({ frontend: fb, name: 'B', state: sb, peers: [{ state: sa, frontend: fa }], peerIntervalMs: 100 });
  assert.strictEqual(a.state, sa);
  assert.strictEqual(b.state, sb);
  tagged(b, 'at-B');
  await workersAre(b, 1);
  const c = client({ broker: a });
  assert.strictEqual((await c.request('far')).toString(), 'at-B:far');
  assert.strictEqual(a.stats().forwarded, 1);
  await waitFor(() => b.stats().fromPeers === 1, 2000, 'B counted the request from its peer');
});

test('an idle handler worker and an idle client use no CPU (the fd is watched, nothing polls)', async () => {
  const b = broker();
  tagged(b, 'W');
  const c = client({ broker: b });
  worker({ broker: b }); // pull style, no recv waiting
  await workersAre(b, 2);
  c.submit('x');
  await c.next(5000);
  const u0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 500)); // measuring idleness: a fixed window is the point
  const u = process.cpuUsage(u0);
  assert.ok(u.user + u.system < 100000, `used ${(u.user + u.system) / 1000} ms of CPU in 500 ms idle`);
});

// ------------------------------------------------------------ interop with the real zeromq.js

test("interop: course-style zeromq.js REQ clients and REQ workers against the binding's TaskBroker (lru)", async () => {
  const b = broker();
  const ws = ['W1', 'W2'].map((n) => node('course_rr_worker.js', [b.backend, n]));
  await Promise.all(ws.map((w) => waitOutput(w, /ready/)));
  await workersAre(b, 2);
  const cs = [0, 1, 2].map((i) => node('course_rr_client.js', [b.frontend, `c${i}`, 20]));
  for (const [i, cl] of cs.entries()) {
    const r = await exited(cl, 20000);
    assert.deepStrictEqual(r, { code: 0, signal: null }, cl.err);
    const replies = lines(cl.out)
      .filter((l) => l.startsWith('reply '))
      .map((l) => l.slice(6));
    assert.strictEqual(replies.length, 20);
    replies.forEach((rep, n) => assert.match(rep, new RegExp(`^W[12]:c${i}-${n}$`)));
  }
  await waitFor(() => b.stats().replies === 60, 2000, '60 replies counted');
  const s = b.stats();
  assert.strictEqual(s.late + s.timeouts, 0);
  await Promise.all(ws.map((w) => stop(w)));
});

test('interop: a zeromq.js course worker serves a TaskClient; a TaskWorker serves a zeromq.js course client (mixed on one broker)', async () => {
  const b = broker();
  const cw = node('course_rr_worker.js', [b.backend, 'ZW']);
  await waitOutput(cw, /ready/);
  await workersAre(b, 1);
  const c = client({ broker: b });
  assert.deepStrictEqual((await Promise.all(['one', 'two', 'three'].map((x) => c.request(x)))).map(String), [
    'ZW:one',
    'ZW:two',
    'ZW:three',
  ]);
  const ours = tagged(b, 'ours');
  await workersAre(b, 2);
  const cc = node('course_rr_client.js', [b.frontend, 'x', 10]);
  assert.deepStrictEqual(await exited(cc, 20000), { code: 0, signal: null });
  const who = new Set(
    lines(cc.out)
      .filter((l) => l.startsWith('reply '))
      .map((l) => l.slice(6).split(':')[0]),
  );
  assert.deepStrictEqual([...who].sort(), ['ZW', 'ours']);
  assert.ok(ours.seen.length > 0);
  await stop(cw);
});

test('interop: a stuck zeromq.js course worker is routed around (answer time-out); its late answer never reaches a client', async () => {
  const b = broker({ answerTimeoutMs: 400 });
  const stuck = node('course_rr_worker.js', [b.backend, 'STUCK', 0, 0]);
  await waitOutput(stuck, /ready/);
  await workersAre(b, 1);
  const cc = node('course_rr_client.js', [b.frontend, 'q', 1]);
  await waitOutput(stuck, /hanging on q-0/);
  const good = node('course_rr_worker.js', [b.backend, 'GOOD']);
  assert.deepStrictEqual(await exited(cc, 10000), { code: 0, signal: null });
  assert.deepStrictEqual(lines(cc.out), ['reply GOOD:q-0', 'done']);
  await waitFor(() => b.stats().timeouts === 1, 5000, 'one answer time-out');
  await Promise.all([stop(stuck), stop(good)]);
});

test("interop: the course's router/router broker on zeromq.js serving the binding's course-frame workers and clients", async () => {
  const [fp, bp] = await freePorts(2);
  const zb = node('course_lb_broker.js', [fp, bp]);
  await waitOutput(zb, /ready/);
  const ws = ['H1', 'H2'].map((n) => example('lb_worker.js', [n, bp, 5]));
  // The course's broker never hands a request that came before any worker to
  // a worker announcing itself later: the clients start once both are ready.
  await waitFor(() => (zb.out.match(/^worker \S+ ready$/gm) || []).length === 2, 10000, 'both workers announced');
  const cs = ['c1', 'c2'].map((n) => example('rd_client.js', [n, fp, 6]));
  for (const [k, cl] of cs.entries()) {
    assert.deepStrictEqual(await exited(cl, 15000), { code: 0, signal: null }, cl.err);
    const got = lines(cl.out);
    assert.strictEqual(got.length, 6, cl.out);
    for (const l of got) assert.match(l, new RegExp(`^c${k + 1} got \\[c${k + 1}-\\d by H[12]\\]$`));
  }
  await Promise.all([...ws.map((w) => stop(w)), stop(zb)]);
});

// ------------------------------------------------------------ the examples

test('example task_course_brokers.js: router/dealer, router/router and fault tolerant, with the library', async () => {
  const out = await ok(example('task_course_brokers.js'), 30000);
  assert.match(out, /router\/dealer: 15 replies/);
  assert.match(out, /router\/router: 15 replies/);
  assert.match(out, /fault tolerant: 6 replies, 1 answer time-out, 0 late answers delivered/);
  assert.match(out, /all checks passed/);
});

test('examples task_broker.js + task_worker.js (a handler function) + task_client.js (many in flight)', async () => {
  const [fp, bp] = await freePorts(2);
  const b = example('task_broker.js', ['--frontend', `tcp://127.0.0.1:${fp}`, '--backend', `tcp://127.0.0.1:${bp}`]);
  await waitOutput(b, /task broker ready/);
  const w1 = example('task_worker.js', [`tcp://127.0.0.1:${bp}`, 'W1', 2]);
  const w2 = example('task_worker.js', [`tcp://127.0.0.1:${bp}`, 'W2', 2]);
  await Promise.all([waitOutput(w1, /ready/), waitOutput(w2, /ready/)]);
  const out = await ok(example('task_client.js', [`tcp://127.0.0.1:${fp}`, 100]), 20000);
  assert.match(out, /100 results, 0 failed/);
  assert.match(out, /W1: [1-9]\d*/);
  assert.match(out, /W2: [1-9]\d*/);
  await Promise.all([stop(w1), stop(w2)]);
  await stop(b, 'SIGINT');
  assert.match(b.out, /stopped: \d+ requests, \d+ replies/);
});

test('example task_lazy_pirate.js: lazy-pirate client, heartbeating workers, a worker lost and a broker restarted', async () => {
  const out = await ok(example('task_lazy_pirate.js'), 40000);
  assert.match(out, /all 30 requests answered once/);
});

test('example task_durable.js: an SQLite journal, a client that fetches its result by id after a restart', async () => {
  const dir = tmpdir();
  try {
    const out = await ok(example('task_durable.js', [path.join(dir, 'journal.db')]), 30000);
    assert.match(out, /fetched .+: ok "SQUARE 144"/);
    assert.match(out, /done/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
