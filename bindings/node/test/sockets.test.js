'use strict';
// The zeromq.js v5 API on libhypobus: every socket type and pattern, and
// the API surface the course's programs use, over real sockets on 127.0.0.1.
const test = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const zmq = require('hypobus');
const { waitFor, once, messages, start, stop, waitOutput } = require('./helpers');

const ANY = 'tcp://127.0.0.1:*';
const open = [];
function sock(type, opts) {
  const s = zmq.socket(type, opts);
  open.push(s);
  return s;
}
function bound(type) {
  const s = sock(type);
  s.bindSync(ANY);
  return [s, s.last_endpoint];
}
test.afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

const str = (frames) => frames.map((f) => f.toString());

test('req/rep: a request and its reply, as Buffers', async () => {
  const [rep, ep] = bound('rep');
  const req = sock('req').connect(ep);
  rep.on('message', (m) => {
    assert.ok(Buffer.isBuffer(m));
    rep.send('World ' + m);
  });
  req.send('Hello');
  const [[m]] = await messages(req, 1);
  assert.strictEqual(m, 'World Hello');
});

test('req sending twice before the reply: the second waits for the reply (queued, no EFSM)', async () => {
  const [rep, ep] = bound('rep');
  const req = sock('req').connect(ep);
  const errors = [];
  req.on('error', (e) => errors.push(e));
  rep.on('message', (m) => rep.send('re: ' + m));
  for (let i = 0; i < 5; i++) req.send('q' + i);
  assert.strictEqual(req.pending, true);
  const got = await messages(req, 5);
  assert.deepStrictEqual(
    got.map((f) => f[0]),
    ['re: q0', 're: q1', 're: q2', 're: q3', 're: q4'],
  );
  assert.deepStrictEqual(errors, []);
  assert.strictEqual(req.pending, false);
});

test('a REQ with 3000 requests queued at once against a REP in another process gets every reply', async () => {
  // Each reply lets the next request go (EFSM before); a reply that lands
  // while the socket's events are read (for the queued sends) used up the
  // descriptor's signal: it must still be received (it hung at a random point).
  const rep = start(process.execPath, [
    '-e',
    `
    const zmq = require(${JSON.stringify(require.resolve('hypobus'))});
    const rep = zmq.socket('rep');
    rep.bindSync('tcp://127.0.0.1:*');
    rep.on('message', (m) => setImmediate(() => rep.send(m)));
    console.log(rep.last_endpoint);
  `,
  ]);
  try {
    const [ep] = await waitOutput(rep, /tcp:\S+/);
    const req = sock('req').connect(ep);
    const n = 3000;
    for (let i = 0; i < n; i++) req.send('q' + i);
    const got = await messages(req, n, 30000);
    assert.deepStrictEqual(
      got.map((f) => f[0]),
      Array.from({ length: n }, (_, i) => 'q' + i),
    );
  } finally {
    await stop(rep);
  }
});

test('req/rep 1:n: one REQ connected to two REPs goes round robin', async () => {
  const [a, epa] = bound('rep');
  const [b, epb] = bound('rep');
  a.on('message', (m) => a.send('a:' + m));
  b.on('message', (m) => b.send('b:' + m));
  const req = sock('req');
  req.monitor();
  const connected = new Promise((resolve) => {
    let n = 0;
    req.on('handshake', () => ++n === 2 && resolve());
  });
  req.connect(epa).connect(epb);
  await connected;
  for (let i = 0; i < 6; i++) req.send('' + i);
  const got = (await messages(req, 6)).map((f) => f[0]);
  assert.strictEqual(got.filter((x) => x.startsWith('a:')).length, 3, got.join());
  assert.strictEqual(got.filter((x) => x.startsWith('b:')).length, 3, got.join());
});

test('req/rep n:1: two clients, one server, each gets its own answers', async () => {
  const [rep, ep] = bound('rep');
  rep.on('message', (m) => rep.send('re ' + m));
  const c1 = sock('req').connect(ep);
  const c2 = sock('req').connect(ep);
  for (let i = 0; i < 3; i++) {
    c1.send('c1-' + i);
    c2.send('c2-' + i);
  }
  const [g1, g2] = await Promise.all([messages(c1, 3), messages(c2, 3)]);
  assert.deepStrictEqual(
    g1.map((f) => f[0]),
    ['re c1-0', 're c1-1', 're c1-2'],
  );
  assert.deepStrictEqual(
    g2.map((f) => f[0]),
    ['re c2-0', 're c2-1', 're c2-2'],
  );
});

test('push/pull: a multi-frame message keeps its frames (empty, binary, numbers)', async () => {
  const [pull, ep] = bound('pull');
  const push = sock('push').connect(ep);
  const bin = Buffer.from([0, 1, 2, 0, 255]);
  push.send(['a', '', bin, 42, 1.5, Buffer.alloc(0)]);
  const got = await once(pull, 'message');
  assert.strictEqual(got.length, 6);
  assert.ok(got.every((f) => Buffer.isBuffer(f)));
  assert.deepStrictEqual(str(got), ['a', '', bin.toString(), '42', '1.5', '']);
  assert.deepStrictEqual(got[2], bin);
});

test('push/pull 1:n:1: fan-out to three workers and a sink that collects [worker, n]', async () => {
  const vent = sock('push');
  vent.monitor();
  let accepted = 0;
  vent.on('handshake', () => accepted++);
  vent.bindSync(ANY);
  const vep = vent.last_endpoint;
  const [sink, sep] = bound('pull');
  const workers = ['w1', 'w2', 'w3'].map((name) => {
    const pull = sock('pull').connect(vep);
    const push = sock('push').connect(sep);
    pull.on('message', (n) => push.send([name, n]));
    return pull;
  });
  await waitFor(() => accepted === 3, 5000, 'three workers connected');
  for (let i = 0; i < 30; i++) vent.send('' + i);
  const got = await messages(sink, 30);
  const per = {};
  for (const [w, n] of got) per[w] = (per[w] || 0) + Number(n >= 0);
  assert.deepStrictEqual(Object.keys(per).sort(), ['w1', 'w2', 'w3']);
  assert.deepStrictEqual(
    got.map((f) => Number(f[1])).sort((x, y) => x - y),
    [...Array(30).keys()],
  );
  assert.strictEqual(workers.length, 3);
});

test('pub/sub: subscribers get only their prefix; unsubscribe stops it', async () => {
  const [pub, ep] = bound('pub');
  const uno = sock('sub').connect(ep);
  const dos = sock('sub').connect(ep);
  uno.subscribe('uno');
  dos.subscribe(Buffer.from('dos'));
  const gotUno = [];
  const gotDos = [];
  uno.on('message', (m) => gotUno.push(m.toString()));
  dos.on('message', (m) => gotDos.push(m.toString()));
  // Publish until both have something (subscriptions take a moment: the slow joiner).
  const t = setInterval(() => {
    for (const w of ['uno', 'dos', 'tres']) pub.send(w + ' x');
  }, 5);
  try {
    await waitFor(() => gotUno.length > 0 && gotDos.length > 0, 5000, 'both subscribers');
  } finally {
    clearInterval(t);
  }
  assert.ok(
    gotUno.every((m) => m.startsWith('uno')),
    gotUno.join(),
  );
  assert.ok(
    gotDos.every((m) => m.startsWith('dos')),
    gotDos.join(),
  );
  uno.unsubscribe('uno');
  uno.subscribe('tres');
  gotUno.length = 0;
  const t2 = setInterval(() => {
    for (const w of ['uno', 'tres']) pub.send([w, 'y']);
  }, 5);
  try {
    await waitFor(() => gotUno.length >= 3, 5000, 'tres after resubscribing');
  } finally {
    clearInterval(t2);
  }
  // After the switch only tres (uno messages already queued may come first).
  assert.ok(gotUno[gotUno.length - 1].startsWith('tres'), gotUno.join());
});

test('xpub/xsub: subscriptions travel up as messages, publications down', async () => {
  const [xpub, xpep] = bound('xpub');
  const [xsub, xsep] = bound('xsub');
  const sub = sock('sub').connect(xpep);
  const pub = sock('pub').connect(xsep);
  sub.subscribe('t');
  const [subMsg] = await once(xpub, 'message');
  assert.deepStrictEqual([...subMsg], [1, 't'.charCodeAt(0)]);
  xsub.send(subMsg); // forward the subscription to the publisher's side
  xsub.on('message', (...f) => xpub.send(f));
  const got = [];
  sub.on('message', (...f) => got.push(str(f)));
  const t = setInterval(() => pub.send(['t', 'hello']), 5);
  try {
    await waitFor(() => got.length > 0, 5000, 'a publication through xsub/xpub');
  } finally {
    clearInterval(t);
  }
  assert.deepStrictEqual(got[0], ['t', 'hello']);
});

test('pair: both directions', async () => {
  const [a, ep] = bound('pair');
  const b = sock('pair').connect(ep);
  b.send('ping');
  const [m] = await once(a, 'message');
  assert.strictEqual(m.toString(), 'ping');
  a.send(['pong', 'x']);
  assert.deepStrictEqual(str(await once(b, 'message')), ['pong', 'x']);
});

test("dealer/router: identity set before connect is the router's first frame", async () => {
  const [router, ep] = bound('router');
  const dealer = sock('dealer');
  dealer.identity = 'dealer-7';
  assert.strictEqual(dealer.identity, 'dealer-7');
  dealer.connect(ep);
  dealer.send(['', 'hello']);
  const got = await once(router, 'message');
  assert.deepStrictEqual(str(got), ['dealer-7', '', 'hello']);
  router.send([got[0], '', 'back']);
  assert.deepStrictEqual(str(await once(dealer, 'message')), ['', 'back']);
});

test("router/router with REQ workers: a worker's ['', '', ''] arrives as [id, '', '', '', '']", async () => {
  const [router, ep] = bound('router');
  const req = sock('req');
  req.identity = 'W1';
  req.connect(ep);
  req.send(['', '', '']);
  const got = await once(router, 'message');
  assert.deepStrictEqual(str(got), ['W1', '', '', '', '']);
  assert.ok(got[2] == '', 'a Buffer compares with == to a string, as the course does');
  router.send(['W1', '', 'client', '', 'job']);
  assert.deepStrictEqual(str(await once(req, 'message')), ['client', '', 'job']);
});

test('stream: raw TCP peers', async () => {
  const [stream, ep] = bound('stream');
  const port = Number(ep.split(':').pop());
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => {});
  try {
    const [id, empty] = await once(stream, 'message'); // the connection notice
    assert.strictEqual(empty.length, 0);
    c.write('raw bytes');
    const [id2, data] = await once(stream, 'message');
    assert.deepStrictEqual(id2, id);
    assert.strictEqual(data.toString(), 'raw bytes');
    const reply = once(c, 'data');
    stream.send([id, 'raw reply']);
    assert.strictEqual((await reply)[0].toString(), 'raw reply');
  } finally {
    c.destroy();
  }
});

test('send: ZMQ_SNDMORE over several calls, callbacks, numbers, strings, Buffers', async () => {
  const [pull, ep] = bound('pull');
  const push = sock('push').connect(ep);
  const calls = [];
  push.send('a', zmq.ZMQ_SNDMORE);
  push.send(7, zmq.ZMQ_SNDMORE, () => calls.push('seven'));
  push.send(Buffer.from('c'), 0, (err) => calls.push(err ? err.message : 'sent'));
  push.send(['x', 'y'], 0, (err) => calls.push(err || 'both'));
  const got = [];
  pull.on('message', (...f) => got.push(str(f)));
  await waitFor(() => got.length === 2, 5000, 'two messages');
  assert.deepStrictEqual(got, [
    ['a', '7', 'c'],
    ['x', 'y'],
  ]);
  await waitFor(() => calls.length === 3);
  assert.deepStrictEqual(calls, ['seven', 'sent', 'both']);
  assert.strictEqual(zmq.ZMQ_SNDMORE, 2);
});

test('a large message (4 MB) and many frames (300) arrive whole', async () => {
  const [pull, ep] = bound('pull');
  const push = sock('push').connect(ep);
  const big = Buffer.alloc(4 * 1024 * 1024, 7);
  big[12345] = 1;
  push.send(big);
  const frames = Array.from({ length: 300 }, (_, i) => 'f' + i);
  push.send(frames);
  const got = [];
  pull.on('message', (...f) => got.push(f));
  await waitFor(() => got.length === 2, 10000, 'both messages');
  assert.strictEqual(got[0].length, 1);
  assert.ok(got[0][0].equals(big));
  assert.deepStrictEqual(str(got[1]), frames);
});

test('a flood through a small HWM: every message, in order; timers still run meanwhile', async () => {
  const [pull, ep] = bound('pull');
  const push = sock('push');
  push.setsockopt(zmq.ZMQ_SNDHWM, 10);
  push.connect(ep);
  // 20000 messages of 1 KB: more than the kernel's socket buffers hold, so
  // most of them wait in JavaScript for room (HB_TIMEOUT, then the fd).
  const N = 20000;
  const pad = 'x'.repeat(1000);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    let next = 0;
    let bad = null;
    const done = new Promise((resolve) => {
      pull.on('message', (m) => {
        const v = parseInt(m.toString('utf8', 0, 8), 10);
        if (v !== next && bad === null) bad = `got ${v} expecting ${next}`;
        next++;
        if (next === N) resolve();
      });
    });
    for (let i = 0; i < N; i++) push.send(String(i).padStart(8, '0') + pad);
    assert.ok(push.pending, 'most messages wait in JavaScript');
    await done;
    assert.strictEqual(bad, null);
    assert.strictEqual(push.pending, false);
    assert.ok(ticks > 3, `timers ran ${ticks} times during the flood`);
  } finally {
    clearInterval(timer);
  }
});

test('options: by number, by name, as properties; types as v5 returns them', () => {
  const s = sock('dealer');
  s.setsockopt(zmq.ZMQ_LINGER, 0);
  assert.strictEqual(s.getsockopt(zmq.ZMQ_LINGER), 0);
  s.setsockopt('linger', 25);
  assert.strictEqual(s.linger, 25);
  s.linger = 30;
  assert.strictEqual(s.getsockopt('linger'), 30);
  s.setsockopt('ZMQ_SNDHWM', 77);
  assert.strictEqual(s.getsockopt(zmq.ZMQ_SNDHWM), 77);
  s.setsockopt(zmq.ZMQ_IDENTITY, Buffer.from('id-1'));
  assert.strictEqual(s.identity, 'id-1');
  assert.strictEqual(s.getsockopt(zmq.ZMQ_TYPE), zmq.ZMQ_DEALER);
  s.bindSync(ANY);
  assert.match(s.last_endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.strictEqual(typeof s._fd, 'number');
  assert.throws(() => s.setsockopt('nonsense', 1), /Unknown option/);
  // libzmq's EINVAL as zeromq.js reports it; the library's explanation in `detail`
  assert.throws(
    () => s.setsockopt(9999, 1),
    (e) => e.code === 'EINVAL' && e.message === 'Invalid argument' && /unknown socket option 9999/.test(e.detail),
  );
  assert.throws(
    () => s.setsockopt(zmq.ZMQ_LINGER, 'x'.repeat(3)),
    (e) => e.code === 'EINVAL' && /4-byte integer/.test(e.detail),
  );
  assert.throws(() => s.setsockopt(zmq.ZMQ_SNDHWM, {}), /Value must be an integer/);
  const c = zmq.createSocket('req', { linger: 5, identity: 'made' });
  open.push(c);
  assert.strictEqual(c.linger, 5);
  assert.strictEqual(c.identity, 'made');
});

test('pause/resume: nothing is emitted and sends wait while paused', async () => {
  const [pull, ep] = bound('pull');
  const push = sock('push').connect(ep);
  const got = [];
  pull.on('message', (m) => got.push(m.toString()));
  push.send('first');
  await waitFor(() => got.length === 1);
  pull.pause();
  push.pause();
  push.send('held');
  assert.ok(push.pending);
  // a message that reaches the paused pull is not emitted
  const push2 = sock('push').connect(ep);
  push2.send('while paused');
  await new Promise((r) => setTimeout(r, 100)); // proving an absence takes a bounded wait
  assert.deepStrictEqual(got, ['first']);
  push.resume();
  pull.resume();
  await waitFor(() => got.length === 3, 5000, 'the held messages');
  assert.deepStrictEqual(got.slice(1).sort(), ['held', 'while paused']);
});

test('bind: asynchronous callback and bind event; errors to the callback; bindSync throws', async () => {
  const s = sock('rep');
  let event = null;
  s.on('bind', (a) => {
    event = a;
  });
  let sync = true;
  const err = await new Promise((resolve) => {
    s.bind(ANY, (e) => resolve(e === undefined ? 'ok' : e));
    sync = false;
  });
  assert.strictEqual(err, 'ok');
  assert.strictEqual(sync, false, 'the callback comes on a later tick');
  assert.strictEqual(event, ANY);
  const ep = s.last_endpoint;
  const other = sock('rep');
  const e = await new Promise((resolve) => other.bind(ep, resolve));
  // as zeromq.js: libzmq's errno name, number and text, the address; the library's sentence in `detail`
  assert.ok(e instanceof Error);
  assert.strictEqual(e.code, 'EADDRINUSE');
  assert.strictEqual(e.errno, 98);
  assert.strictEqual(e.message, 'Address already in use');
  assert.strictEqual(e.address, ep);
  assert.match(e.detail, /cannot bind/);
  assert.strictEqual(e.status, 4); // HB_CONFIG
  assert.throws(
    () => other.bindSync(ep),
    (x) => x.code === 'EADDRINUSE' && x.address === ep && x.detail.includes(ep),
  );
  assert.throws(
    () => other.bindSync('nonsense://x'),
    (x) => x.code === 'EPROTONOSUPPORT' && x.message === 'Protocol not supported',
  );
  assert.throws(
    () => other.connect('tcp://'),
    (x) => x instanceof Error,
  );
  assert.throws(() => other.bind(5), TypeError);
  // unbind frees it
  await new Promise((resolve, reject) => s.unbind(ep, (x) => (x ? reject(x) : resolve())));
  // libzmq closes the listener on its I/O thread: the port is free a moment later
  await waitFor(
    () => {
      try {
        other.bindSync(ep);
        return true;
      } catch (x) {
        if (x.errno !== 98) throw x;
        return false;
      }
    },
    5000,
    'the port to be free after unbind',
  );
  other.unbindSync(ep);
  assert.throws(
    () => other.unbindSync(ep),
    (x) => x.code === 'ENOENT',
  );
});

test("a failed bind without a callback emits 'error' when listened to", async () => {
  const [, ep] = bound('pull');
  const s = sock('pull');
  const p = once(s, 'error');
  s.bind(ep);
  const [e] = await p;
  assert.strictEqual(e.code, 'EADDRINUSE');
});

test("send failures: an 'error' event or the callback's error (ROUTER_MANDATORY, PULL)", async () => {
  const [router] = bound('router');
  router.setsockopt(zmq.ZMQ_ROUTER_MANDATORY, 1);
  const p = once(router, 'error');
  let inSend = true;
  router.send(['nobody', '', 'x']);
  inSend = false;
  const [e] = await p;
  assert.strictEqual(inSend, false, "'error' comes on a later tick, not inside send()");
  assert.strictEqual(e.code, 'EHOSTUNREACH');
  assert.strictEqual(e.errno, 113);
  assert.strictEqual(e.message, 'Host unreachable'); // libzmq's text, as zeromq.js
  assert.strictEqual(e.status, 6); // HB_ZMQ
  const pull = sock('pull');
  let cbSync = true;
  const err = await new Promise((resolve) => {
    pull.send('x', 0, resolve);
    cbSync = false;
  });
  assert.strictEqual(cbSync, false, 'a failed send calls back on a later tick');
  assert.ok(err instanceof Error && err.code === 'ENOTSUP' && err.message === 'Operation not supported', String(err));
});

test("an exception in a 'message' listener becomes an 'error' event", async () => {
  const [pull, ep] = bound('pull');
  const push = sock('push').connect(ep);
  pull.on('message', () => {
    throw new Error('listener failed');
  });
  const p = once(pull, 'error');
  push.send('x');
  const [e] = await p;
  assert.strictEqual(e.message, 'listener failed');
});

test('messages come one per tick: a listener that throws loses nothing, a listener that pauses stops the next', async () => {
  const [pull, ep] = bound('pull');
  const push = sock('push').connect(ep);
  // wait until the three are queued in the pull socket, then let it read them in one batch
  pull.pause();
  for (const m of ['a', 'b', 'c']) push.send(m);
  await waitFor(() => (pull.getsockopt(zmq.ZMQ_EVENTS) & zmq.ZMQ_POLLIN) !== 0, 5000, 'messages waiting');
  await new Promise((r) => setTimeout(r, 50)); // all three in (one is enough to be readable)
  const seen = [];
  const thrown = [];
  const onUncaught = (e) => thrown.push([e.message, seen.length]);
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', onUncaught);
  try {
    pull.on('message', (m) => {
      seen.push(m.toString());
      if (m.toString() === 'a') throw new Error('listener failed on a');
    });
    pull.resume();
    await waitFor(() => seen.length === 3, 5000, 'all three messages');
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    for (const l of saved) process.on('uncaughtException', l);
  }
  assert.deepStrictEqual(seen, ['a', 'b', 'c']);
  // the exception surfaced before the next message was emitted
  assert.deepStrictEqual(thrown, [['listener failed on a', 1]]);

  // a listener that pauses the socket: the next message waits for resume()
  const got = [];
  pull.removeAllListeners('message');
  pull.on('message', (m) => {
    got.push(m.toString());
    pull.pause();
  });
  for (const m of ['d', 'e']) push.send(m);
  await waitFor(() => got.length === 1, 5000, 'the first');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepStrictEqual(got, ['d']);
  pull.resume();
  await waitFor(() => got.length === 2, 5000, 'the second after resume');
  assert.deepStrictEqual(got, ['d', 'e']);
});

test('context and capability as zeromq 6 has them; v5 Context statics on the process context', () => {
  assert.strictEqual(typeof zmq.capability.ipc, 'boolean');
  assert.strictEqual(zmq.capability.ipc, true);
  assert.strictEqual(zmq.capability.curve, true, 'the vendored libzmq has CURVE (libsodium)');
  const max = zmq.Context.getMaxSockets();
  assert.ok(max >= 1 && max <= zmq.context.maxSocketsLimit, String(max));
  zmq.Context.setMaxSockets(max); // the context has started: kept, read back, no effect (libzmq)
  assert.strictEqual(zmq.context.maxSockets, max);
  assert.strictEqual(zmq.Context.getMaxThreads(), zmq.context.ioThreads);
  assert.throws(
    () => zmq.Context.setMaxSockets(-1),
    (e) => e.code === 'HB_INVALID_ARGUMENT' && e.errno === 22,
  );
  assert.throws(() => {
    zmq.context.ioThreads = 'many';
  }, TypeError);
  assert.throws(() => new zmq.Context(), /cannot be instantiated/);
  assert.strictEqual(typeof zmq.context.blocky, 'boolean');
  assert.ok(zmq.isFullError(new Error('x')));
  assert.ok(!zmq.isFullError('x'));
});

test('closed sockets: closed flag, calls throw "Socket is closed", send reports to its callback, close twice is harmless', async () => {
  const s = zmq.socket('push');
  assert.strictEqual(s.closed, false);
  s.close();
  assert.strictEqual(s.closed, true);
  s.close();
  assert.throws(() => s.connect('tcp://127.0.0.1:1'), /Socket is closed/);
  assert.throws(() => s.bindSync(ANY), /Socket is closed/);
  assert.throws(() => s.setsockopt('linger', 0), /Socket is closed/);
  assert.throws(() => s.linger, /Socket is closed/);
  const e = await new Promise((resolve) => s.send('x', 0, resolve));
  assert.match(e.message, /Socket is closed/);
  assert.strictEqual(s.read(), null);
});

test('bad input: socket types, subscribe on a non-SUB, arguments', () => {
  assert.throws(() => zmq.socket('nope'), TypeError);
  assert.throws(() => zmq.socket(99), TypeError);
  const s = sock('push');
  assert.throws(
    () => s.subscribe('x'),
    (e) => e.code === 'EINVAL' && /PUSH socket/.test(e.detail),
  );
  assert.throws(() => s.send('x', 0, 'not a function'), TypeError);
  assert.throws(() => s.monitor('x'), TypeError);
  assert.throws(() => zmq.proxy(sock('req'), sock('rep')), /wrong socket order/);
  assert.ok(zmq.socket('xreq') instanceof zmq.Socket);
  const x = zmq.socket('xrep');
  open.push(x);
  assert.strictEqual(x.getsockopt(zmq.ZMQ_TYPE), zmq.ZMQ_ROUTER);
});

test("monitor: 'listen', 'accept', 'connect', 'disconnect'; unmonitor stops them", async () => {
  const server = sock('rep');
  server.monitor(10, 0);
  const listen = once(server, 'listen');
  server.bindSync(ANY);
  const ep = server.last_endpoint;
  const [fd, addr] = await listen;
  assert.strictEqual(typeof fd, 'number');
  assert.strictEqual(addr, ep);
  const accept = once(server, 'accept');
  const client = zmq.socket('req');
  client.monitor();
  const connect = once(client, 'connect');
  client.connect(ep);
  const [, caddr] = await connect;
  assert.strictEqual(caddr, ep);
  await accept;
  const disconnect = once(server, 'disconnect');
  client.close();
  await disconnect;
  server.unmonitor();
  let more = 0;
  server.on('accept', () => more++);
  const c2 = sock('req').connect(ep);
  c2.send('x');
  await once(server, 'message');
  assert.strictEqual(more, 0);
});

test("monitor: 'bind_error' is not a libzmq event for bind(); 'connect_retry' comes for a missing peer", async () => {
  const port = await require('./helpers').freePort();
  const s = sock('dealer');
  s.setsockopt(zmq.ZMQ_RECONNECT_IVL, 20);
  s.monitor();
  const retry = once(s, 'connect_retry');
  s.connect(`tcp://127.0.0.1:${port}`);
  const [ivl, addr] = await retry;
  assert.strictEqual(typeof ivl, 'number');
  assert.strictEqual(addr, `tcp://127.0.0.1:${port}`);
});

test('read(): takes one message synchronously', async () => {
  const [pull, ep] = bound('pull');
  pull.pause();
  const push = sock('push').connect(ep);
  push.send(['r', 'e', 'ad']);
  const m = await waitFor(() => pull.read(), 5000, 'a message to read');
  assert.deepStrictEqual(str(m), ['r', 'e', 'ad']);
  assert.strictEqual(pull.read(), null);
});

test('zmq.proxy: router/dealer (the broker), push/pull, xpub/xsub; closing a socket stops it', async () => {
  const [front, fep] = bound('router');
  const [back, bep] = bound('dealer');
  const p = zmq.proxy(front, back);
  const rep = sock('rep').connect(bep);
  rep.on('message', (m) => rep.send('via proxy: ' + m));
  const req = sock('req').connect(fep);
  req.send('a');
  req.send('b');
  assert.deepStrictEqual(
    (await messages(req, 2)).map((f) => f[0]),
    ['via proxy: a', 'via proxy: b'],
  );
  assert.ok(p.stats().to_backend_msgs >= 2);
  assert.throws(() => front.send('x') && front.connect(fep), /busy/);
  back.close();
  // the frontend is usable again
  front.send(['nobody', '', 'x']);

  const [pin, pinep] = bound('pull');
  const [pout, poutep] = bound('push');
  zmq.proxy(pin, pout);
  const src = sock('push').connect(pinep);
  const dst = sock('pull').connect(poutep);
  src.send(['1', '2']);
  assert.deepStrictEqual(str(await once(dst, 'message')), ['1', '2']);

  const [xpub, xpep] = bound('xpub');
  const [xsub, xsep] = bound('xsub');
  zmq.proxy(xpub, xsub);
  const sub = sock('sub').connect(xpep);
  sub.subscribe('');
  const pub = sock('pub').connect(xsep);
  const got = [];
  sub.on('message', (m) => got.push(m.toString()));
  const t = setInterval(() => pub.send('news'), 5);
  try {
    await waitFor(() => got.length > 0, 5000, 'news through the xpub/xsub proxy');
  } finally {
    clearInterval(t);
  }
});

test("zmq.proxy with a capture socket copies what v5 copied: the backend's messages, minus the envelope for router/dealer", async () => {
  const [front, fep] = bound('router');
  const [back, bep] = bound('dealer');
  const [cap, cep] = bound('pub');
  const capSub = sock('sub').connect(cep);
  capSub.subscribe('');
  const p = zmq.proxy(front, back, cap);
  const rep = sock('rep').connect(bep);
  rep.on('message', (m) => rep.send(m + ' bar'));
  const req = sock('req').connect(fep);
  const captured = [];
  capSub.on('message', (...f) => captured.push(str(f)));
  await new Promise((r) => setTimeout(r, 100)); // the capture's subscriber connected
  req.send('foo');
  assert.deepStrictEqual(
    (await messages(req, 1)).map((f) => f[0]),
    ['foo bar'],
  );
  await waitFor(() => captured.length === 1, 5000, 'the captured reply');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepStrictEqual(captured, [['foo bar']], 'only the reply, without [identity, ""]');
  const st = p.stats();
  assert.strictEqual(st.to_backend_msgs, 1);
  assert.strictEqual(st.to_frontend_msgs, 1);
  // the sockets stay usable (v5's proxy was listeners)
  assert.doesNotThrow(() => front.getsockopt(zmq.ZMQ_TYPE));
});

test('disconnect: the REQ moves on to the other REP', async () => {
  const [a, epa] = bound('rep');
  const [b, epb] = bound('rep');
  a.on('message', (m) => a.send('a'));
  b.on('message', (m) => b.send('b'));
  const req = sock('req').connect(epa).connect(epb);
  req.disconnect(epa);
  assert.throws(
    () => req.disconnect(epa),
    (e) => e.code === 'ENOENT' && e.address === epa,
  );
  for (let i = 0; i < 4; i++) req.send('x');
  const got = (await messages(req, 4)).map((f) => f[0]);
  assert.deepStrictEqual(got, ['b', 'b', 'b', 'b']);
});

test('300 sockets open at once, each receiving (no limit on sockets watched)', async () => {
  const [pub, ep] = bound('pub');
  const subs = [];
  for (let i = 0; i < 300; i++) {
    const s = sock('sub').connect(ep);
    s.subscribe('');
    subs.push(s);
  }
  const seen = new Set();
  subs.forEach((s, i) => s.on('message', () => seen.add(i)));
  const t = setInterval(() => pub.send('all'), 10);
  try {
    await waitFor(() => seen.size === 300, 15000, 'all 300 subscribers');
  } finally {
    clearInterval(t);
  }
});

test('constants and module surface as v5', () => {
  assert.strictEqual(zmq.ZMQ_PUB, 1);
  assert.strictEqual(zmq.ZMQ_ROUTER, 6);
  assert.strictEqual(zmq.ZMQ_IDENTITY, 5);
  assert.strictEqual(zmq.ZMQ_POLLIN, 1);
  assert.strictEqual(zmq.options.identity, 5);
  assert.strictEqual(zmq.types.xrep, 6);
  assert.strictEqual(zmq.events[512], 'disconnect');
  assert.match(zmq.version, /^\d+\.\d+\.\d+$/);
  assert.strictEqual(zmq.createSocket, zmq.socket);
  const kp = zmq.curveKeypair();
  assert.ok(kp.public.length === 40 && kp.secret.length === 40, 'curveKeypair gives two Z85 keys');
  assert.throws(() => new zmq.Context(), /Context/);
  assert.strictEqual(typeof zmq.Context.getMaxThreads(), 'number'); // the process context's (see 'context and capability')
});
