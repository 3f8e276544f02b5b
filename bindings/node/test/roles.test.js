'use strict';
// The lab's roles from JavaScript: Broker, CalcNode, OpNode (a JavaScript
// function as the operation), Client, FailoverBroker, on free loopback ports.
const test = require('node:test');
const assert = require('node:assert');
const hb = require('hypobus');
const { waitFor, once, freePorts } = require('./helpers');

const ANY = 'tcp://127.0.0.1:*';
const live = [];
function keep(x) {
  live.push(x);
  return x;
}
test.afterEach(() => {
  for (const x of live.splice(0).reverse()) x.close();
});

function broker() {
  return keep(new hb.Broker({ xsub: ANY, xpub: ANY, hb: '' }));
}

/** A SUB socket on the broker's XPUB that records [topic, value] of `prefix`. */
function spy(b, prefix) {
  const s = keep(hb.socket('sub'));
  s.connect(b.endpoint('xpub'));
  s.subscribe(prefix);
  s.got = [];
  s.on('message', (...f) => s.got.push(f.map(String)));
  return s;
}

/** Wait until the broker has seen `n` subscriptions (the nodes are connected). */
function subscribed(b, n) {
  return waitFor(() => b.stats().subscriptions >= n, 5000, `${n} subscriptions at the broker`);
}

test('the lab in one process: JS op nodes (sync and async), a calc node, a client: 17.6918', async () => {
  const b = broker();
  const calc = keep(new hb.CalcNode({ brokers: b }));
  let calls = 0;
  const op1 = keep(
    new hb.OpNode({
      lane: 1,
      brokers: b,
      fn: (x) => {
        calls++;
        return x * x;
      },
    }),
  );
  const op2 = keep(new hb.OpNode({ lane: 2, brokers: b.brokers, fn: async (x) => x * x }));
  await subscribed(b, 7);
  const client = keep(new hb.Client({ brokers: [b] }));
  assert.strictEqual(await client.hypot(12, 13), '17.6918');
  assert.strictEqual(await client.hypot('1.5', 2n), '2.5000');
  assert.strictEqual(calls, 2);
  const cs = calc.stats();
  assert.strictEqual(cs.fallbacks, 0);
  assert.strictEqual(cs.squaresReceived, 4);
  assert.deepStrictEqual(op1.stats(), { callbackRunning: 0, requests: 2, replies: 2, errors: 0, ignored: 0 });
  assert.strictEqual(op2.stats().replies, 2);
  assert.strictEqual(client.stats().answers, 2);
  assert.ok(b.stats().forwarded > 0);
});

test('many requests in flight at once, each with its own answer', async () => {
  const b = broker();
  keep(new hb.CalcNode({ brokers: b }));
  keep(new hb.OpNode({ lane: 1, brokers: b, fn: (x) => x * x }));
  keep(new hb.OpNode({ lane: 2, brokers: b, fn: (x) => new Promise((r) => setImmediate(r, x * x)) }));
  await subscribed(b, 7);
  const client = keep(new hb.Client({ brokers: b }));
  const N = 1000;
  const all = await Promise.all(Array.from({ length: N }, (_, i) => client.hypot(3 * i, 4 * i)));
  all.forEach((h, i) => assert.strictEqual(h, (5 * i).toFixed(4), `request ${i}`));
  assert.strictEqual(client.inFlight(), 0);
  assert.strictEqual(client.stats().requests, N);
});

test('an operation that throws, rejects or returns a bad value gets an error answer; the node lives on', async () => {
  const b = broker();
  const calc = keep(new hb.CalcNode({ brokers: b, timeoutMs: 5000 }));
  const bad = [
    () => {
      throw new Error('boom');
    },
    () => Promise.reject(new Error('async boom')),
    () => undefined,
    () => ({}),
    () => 'abc',
    () => NaN,
    () => -1,
    () => -5n,
    () => {
      throw 'a string';
    }, // eslint-disable-line no-throw-literal
  ];
  let k = 0;
  const op1 = keep(new hb.OpNode({ lane: 1, brokers: b, fn: (x) => bad[k++](x) }));
  keep(new hb.OpNode({ lane: 2, brokers: b }));
  const errs = spy(b, 'calc.square.result.1#');
  await subscribed(b, 8);
  const client = keep(new hb.Client({ brokers: b }));
  for (let i = 0; i < bad.length; i++) {
    // the calc node computes the failed square itself, at once on an error answer
    assert.strictEqual(await client.hypot(12, 13), '17.6918', `case ${i}`);
  }
  assert.strictEqual(k, bad.length);
  const st = op1.stats();
  assert.strictEqual(st.requests, bad.length);
  assert.strictEqual(st.errors, bad.length);
  assert.strictEqual(calc.stats().fallbacks, bad.length);
  await waitFor(() => errs.got.length >= bad.length, 5000, 'the error answers on the wire');
  const texts = errs.got.map((f) => f[1]);
  assert.ok(
    texts.every((t) => t.startsWith('ERR')),
    texts.join('\n'),
  );
  assert.ok(
    texts.some((t) => t.includes('boom')),
    texts.join('\n'),
  );
  assert.ok(texts.some((t) => t.includes('async boom')));
  assert.ok(texts.some((t) => t.includes('undefined')));
  assert.ok(texts.some((t) => t.includes('"abc"')));
  assert.ok(texts.some((t) => t.includes('a string')));
});

test('BigInt and string results are answered exactly (reply_text), not through a double', async () => {
  const b = broker();
  keep(new hb.CalcNode({ brokers: b }));
  const op1 = keep(new hb.OpNode({ lane: 1, brokers: b, fn: (x, text) => BigInt(text) ** 2n }));
  keep(new hb.OpNode({ lane: 2, brokers: b, fn: (x, text) => (text === '0' ? '0' : String(x * x)) }));
  const wire = spy(b, 'calc.square.result.1#');
  await subscribed(b, 8);
  const client = keep(new hb.Client({ brokers: b }));
  assert.strictEqual(await client.hypot('12345678901234567890', '0'), '12345678901234567890.0000');
  await waitFor(() => wire.got.length > 0, 5000, 'the square on the wire');
  // 12345678901234567890 squared; a double would have sent 1.524157875323884e+38
  assert.strictEqual(wire.got[0][1], '152415787532388367501905199875019052100');
  assert.strictEqual(op1.stats().errors, 0);
});

test('the built-in operation node (no fn) and the classic client', async () => {
  const b = broker();
  keep(new hb.CalcNode({ brokers: b }));
  const op1 = keep(new hb.OpNode({ lane: 1, brokers: b }));
  keep(new hb.OpNode({ lane: 2, brokers: b }));
  await subscribed(b, 7);
  const classic = keep(new hb.Client({ brokers: b, classic: true }));
  assert.strictEqual(await classic.hypot(12, 13), '17.6918');
  assert.strictEqual(op1.stats().replies, 1);
});

test('client errors: bad catheti, a time-out, a closed client; HypobusError with the library message and code', async () => {
  const b = broker();
  const client = keep(new hb.Client({ brokers: b, timeoutMs: 300 }));
  await assert.rejects(
    client.hypot('abc', 1),
    (e) => e instanceof hb.HypobusError && e.code === 'HB_INVALID_ARGUMENT' && /abc/.test(e.message),
  );
  await assert.rejects(client.hypot(-3, 4), (e) => e.code === 'HB_INVALID_ARGUMENT');
  await assert.rejects(client.hypot(1, 2, { timeoutMs: -1 }), TypeError);
  // nobody computes: the request times out after its lifetime
  const t0 = Date.now();
  await assert.rejects(client.hypot(1, 2, { timeoutMs: 250 }), (e) => e.code === 'HB_TIMEOUT');
  assert.ok(Date.now() - t0 < 3000);
  const pending = client.hypot(3, 4, { timeoutMs: 5000 });
  client.close();
  await assert.rejects(pending, (e) => e.code === 'HB_STOPPED');
  await assert.rejects(client.hypot(3, 4), (e) => e.code === 'HB_STOPPED');
  assert.throws(
    () => client.stats(),
    (e) => e.code === 'HB_STOPPED',
  );
});

test('bad settings: broker lists, lanes, endpoints', () => {
  assert.throws(
    () => new hb.Client({ brokers: 'tcp://x|' }),
    (e) => e.code === 'HB_CONFIG',
  );
  assert.throws(() => new hb.OpNode({ lane: 0 }), TypeError);
  assert.throws(() => new hb.OpNode({ lane: 1, fn: 'square' }), TypeError);
  assert.throws(
    () => new hb.Broker({ xsub: 'nonsense', xpub: ANY, hb: '' }),
    (e) => e.code === 'HB_CONFIG' && /nonsense/.test(e.message),
  );
  assert.throws(() => new hb.Broker({ xsub: 5 }), TypeError);
  assert.throws(() => new hb.FailoverBroker({ role: 'leader', peerHb: 'tcp://127.0.0.1:1' }), TypeError);
  assert.throws(() => new hb.FailoverBroker({ role: 'backup' }), TypeError);
  assert.throws(() => new hb.CalcNode({ brokers: 42 }), TypeError);
});

test('broker: endpoints, passive/active, stats, stop, inproc', async () => {
  const b = keep(new hb.Broker({ xsub: ANY, xpub: ANY, hb: ANY, hbIntervalMs: 50 }));
  assert.match(b.endpoint('xsub'), /^tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.match(b.endpoint(2), /^tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.strictEqual(b.brokers, `${b.endpoint('xsub')}|${b.endpoint('xpub')}`);
  const beat = keep(hb.socket('sub'));
  beat.connect(b.endpoint('hb'));
  beat.subscribe('');
  const [m] = await once(beat, 'message');
  assert.strictEqual(m.toString(), 'HB');
  assert.ok(b.isActive());
  b.setActive(false);
  assert.strictEqual(b.isActive(), false);
  const sub = spy(b, 'x');
  const pub = keep(hb.socket('pub'));
  pub.connect(b.endpoint('xsub'));
  await waitFor(() => b.stats().subscriptions >= 1);
  const t = setInterval(() => pub.send(['x', '1']), 5);
  try {
    await waitFor(() => b.stats().droppedPassive > 0, 5000, 'publications held while passive');
    b.setActive(true);
    await waitFor(() => sub.got.length > 0, 5000, 'publications forwarded once active');
  } finally {
    clearInterval(t);
  }
  b.stop();
  assert.ok(b.stats().heartbeats > 0, 'stats stay readable after stop');
  assert.throws(
    () => b.setActive(true),
    (e) => e.code === 'HB_STOPPED',
  );

  const name = `node-test-${process.pid}`;
  const ib = keep(new hb.Broker({ xsub: ANY, xpub: ANY, hb: '', inprocName: name }));
  keep(new hb.CalcNode({ brokers: `inproc:${name}` }));
  keep(new hb.OpNode({ lane: 1, brokers: `inproc:${name}`, fn: (x) => x * x }));
  keep(new hb.OpNode({ lane: 2, brokers: `inproc:${name}` }));
  await subscribed(ib, 7);
  const c = keep(new hb.Client({ brokers: `inproc:${name}` }));
  assert.strictEqual(await c.hypot(6, 8), '10.0000');
});

test('failover: the backup takes over when the primary stops, and hands back', async () => {
  const [p1, p2] = await freePorts(2);
  const hbA = `tcp://127.0.0.1:${p1}`;
  const hbB = `tcp://127.0.0.1:${p2}`;
  const cfg = { xsub: ANY, xpub: ANY, hbIntervalMs: 50, misses: 3 };
  const primary = new hb.FailoverBroker({ role: 'primary', hb: hbA, peerHb: hbB, ...cfg });
  const pStates = [];
  primary.on('state', (e) => pStates.push(e));
  const backup = keep(new hb.FailoverBroker({ role: 'backup', hb: hbB, peerHb: hbA, ...cfg }));
  const bStates = [];
  backup.on('state', (e) => bStates.push(e));
  try {
    await waitFor(() => primary.isActive(), 5000, 'the primary active');
    await waitFor(() => backup.stats().peerHeartbeats > 2, 5000, 'the backup hearing the primary');
    assert.strictEqual(backup.isActive(), false);
    // isActive() reads the library now; the 'state' event comes with the watcher's next drain
    await waitFor(
      () => pStates.some((e) => e.active && typeof e.reason === 'string' && e.atMs > 1e12),
      5000,
      `the primary's 'state' event (${JSON.stringify(pStates)})`,
    );
    await assert.rejects(primary.handback(500), (e) => e.code === 'HB_CONFIG');
    const takeover = once(backup, 'active', 5000);
    const t0 = Date.now();
    primary.stop();
    const [ev] = await takeover;
    assert.strictEqual(ev.active, true);
    assert.ok(Date.now() - t0 < 3000, `took over in ${Date.now() - t0} ms`);
    assert.ok(backup.isActive());
    assert.strictEqual(backup.stats().active, true);
    assert.ok(backup.brokerStats().forwarded >= 0);
    // a new primary finds the backup active and stays passive until the hand-back
    primary.close();
    const again = keep(new hb.FailoverBroker({ role: 'primary', hb: hbA, peerHb: hbB, ...cfg }));
    await waitFor(
      () => backup.stats().peerSilentMs < 100 && again.stats().peerHeartbeats > 2,
      5000,
      'the pair talking again',
    );
    assert.strictEqual(again.isActive(), false);
    const passive = once(backup, 'passive', 5000);
    await backup.handback(3000);
    await passive;
    await waitFor(() => again.isActive(), 5000, 'the primary active after the hand-back');
    assert.ok(bStates.length >= 2);
  } finally {
    primary.close();
  }
});

test("the library's log as 'line' events", async () => {
  const lines = [];
  const on = (l) => lines.push(l);
  hb.log.on('line', on);
  try {
    await waitFor(() => hb.log._mode === 2, 2000, 'the log queue on');
    const b = broker();
    keep(new hb.OpNode({ lane: 1, brokers: b }));
    await waitFor(() => lines.some((l) => /^\d+\.\d+ op: lane 1 serving$/.test(l)), 5000, "the op node's log line");
  } finally {
    hb.log.removeListener('line', on);
  }
  await waitFor(() => hb.log._mode === 0, 2000, 'the log queue off once nobody listens');
});
