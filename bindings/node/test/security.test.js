'use strict';
// CURVE from Node: certificates, the library's authenticator on the
// binding's sockets, the lab's roles with keys (setCurve), and interop over
// CURVE with the real zeromq 6 (its socket as a listed client of our
// broker, and curveKeypair keys it accepts), and per-role keys (the `curve`
// option): two labs in one process, the task roles, the failover pair.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const hb = require('hypobus');

function certs() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-node-curve-'));
  fs.mkdirSync(path.join(d, 'allowed'));
  const keys = {};
  for (const name of ['broker', 'client', 'stranger']) {
    hb.keygen(path.join(d, name), { name });
    keys[name] = hb.loadCertificate(path.join(d, `${name}_secret`));
  }
  fs.copyFileSync(path.join(d, 'client'), path.join(d, 'allowed', 'client'));
  return { d, keys, p: (n) => path.join(d, n) };
}

test('certificates and curveKeypair', () => {
  const { d, keys, p } = certs();
  assert.strictEqual(keys.client.public.length, 40);
  assert.deepStrictEqual(hb.loadCertificate(p('client')), { public: keys.client.public, secret: null });
  assert.match(fs.readFileSync(p('client_secret'), 'utf8'), /secret-key = "/);
  assert.strictEqual((fs.statSync(p('client_secret')).mode & 0o777).toString(8), '600');
  const kp = hb.curveKeypair();
  assert.strictEqual(kp.public.length, 40);
  assert.notStrictEqual(kp.public, kp.secret);
  assert.throws(() => hb.loadCertificate(p('missing')), /missing/);
  fs.rmSync(d, { recursive: true });
});

function curveClient(type, serverPublic, keys) {
  const s = hb.socket(type);
  s.setsockopt(hb.ZMQ_LINGER, 0);
  s.setsockopt(hb.ZMQ_CURVE_SERVERKEY, serverPublic);
  s.setsockopt(hb.ZMQ_CURVE_PUBLICKEY, keys.public);
  s.setsockopt(hb.ZMQ_CURVE_SECRETKEY, keys.secret);
  return s;
}

test('the library authenticator keeps an unlisted CURVE client out', async () => {
  const { d, keys, p } = certs();
  const auth = new hb.Authenticator({ curveDir: p('allowed') });
  const server = hb.socket('pull');
  server.setsockopt(hb.ZMQ_LINGER, 0);
  server.setsockopt(hb.ZMQ_CURVE_SERVER, 1);
  server.setsockopt(hb.ZMQ_CURVE_SECRETKEY, keys.broker.secret);
  server.bindSync('tcp://127.0.0.1:*');
  const ep = server.getsockopt(hb.ZMQ_LAST_ENDPOINT);
  const got = [];
  server.on('message', (m) => got.push(m.toString()));
  const stranger = curveClient('push', keys.broker.public, keys.stranger);
  stranger.connect(ep);
  stranger.send('from the stranger');
  const listed = curveClient('push', keys.broker.public, keys.client);
  listed.connect(ep);
  listed.send('from the client');
  const t0 = Date.now();
  while (!got.length && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 300)); // the stranger's message would be here by now
  assert.deepStrictEqual(got, ['from the client']);
  const s = auth.stats();
  assert.ok(s.allowed >= 1 && s.denied >= 1, JSON.stringify(s));
  assert.throws(() => new hb.Authenticator({ curveAny: true }), /one per context/);
  for (const x of [server, stranger, listed]) x.close();
  auth.close();
  fs.rmSync(d, { recursive: true });
});

test('the lab answers with keys; a client off the list gets nothing', async () => {
  const { d, p } = certs();
  try {
    hb.setCurve({ cert: p('broker_secret'), allow: p('allowed') });
    const broker = new hb.Broker({ xsub: 'tcp://127.0.0.1:*', xpub: 'tcp://127.0.0.1:*', hb: false });
    hb.setCurve({ cert: p('client_secret'), server: p('broker') });
    const roles = [
      new hb.OpNode({ lane: 1, brokers: broker }),
      new hb.OpNode({ lane: 2, brokers: broker }),
      new hb.CalcNode({ brokers: broker }),
    ];
    const c = new hb.Client({ brokers: broker, timeoutMs: 10000 });
    assert.strictEqual(await c.hypot(12, 13), '17.6918');
    hb.setCurve({ server: p('broker') }); // encrypted, but not on the list
    const stranger = new hb.Client({ brokers: broker, timeoutMs: 1500 });
    await assert.rejects(stranger.hypot(3, 4), /time|Timeout/i);
    for (const r of [c, stranger, ...roles, broker]) r.close();
  } finally {
    hb.setCurve();
    fs.rmSync(d, { recursive: true });
  }
});

test('a real zeromq 6 socket with a listed certificate talks through our CURVE broker', async () => {
  const z = require('zeromq');
  const { d, keys, p } = certs();
  let broker;
  try {
    hb.setCurve({ cert: p('broker_secret'), allow: p('allowed') });
    broker = new hb.Broker({ xsub: 'tcp://127.0.0.1:*', xpub: 'tcp://127.0.0.1:*', hb: false });
  } finally {
    hb.setCurve();
  }
  const sub = new z.Subscriber({
    linger: 0,
    curveServerKey: keys.broker.public,
    curvePublicKey: keys.client.public,
    curveSecretKey: keys.client.secret,
  });
  sub.subscribe('from-hypobus');
  sub.connect(broker.endpoint('xpub'));
  const pub = curveClient('pub', keys.broker.public, keys.client);
  pub.connect(broker.endpoint('xsub'));
  const recv = sub.receive();
  const timer = setInterval(() => pub.send(['from-hypobus', 'hello']), 50);
  let bound;
  const [topic, body] = await Promise.race([
    recv,
    new Promise((_, rej) => {
      bound = setTimeout(() => rej(new Error('nothing through the broker')), 10000);
    }),
  ]);
  clearTimeout(bound);
  clearInterval(timer);
  assert.deepStrictEqual([topic.toString(), body.toString()], ['from-hypobus', 'hello']);
  sub.close();
  pub.close();
  broker.close();
  fs.rmSync(d, { recursive: true });
});

const ANY = 'tcp://127.0.0.1:*';

async function until(cond, ms = 10000) {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

test('per-role keys: a CURVE lab and a plain lab in one process, beside a process default', async () => {
  const { d, keys, p } = certs();
  hb.keygen(p('outsider'));
  const mine = { cert: p('client_secret'), server: p('broker') };
  const off = {};
  const open = [];
  const track = (o) => (open.push(o), o);
  try {
    // A process default that fits neither lab: roles given their own keys ignore it.
    hb.setCurve({ cert: p('stranger_secret'), server: p('stranger') });
    const a = track(
      new hb.Broker({ xsub: ANY, xpub: ANY, hb: false, curve: { cert: p('broker_secret'), allow: p('allowed') } }),
    );
    const b = track(new hb.Broker({ xsub: ANY, xpub: ANY, hb: false, curve: off }));
    track(new hb.OpNode({ lane: 1, brokers: a, curve: mine }));
    // a JavaScript operation (the pull-style node), keys as Z85 text
    track(
      new hb.OpNode({
        lane: 2,
        brokers: a,
        fn: (x) => x * x,
        curve: { cert: keys.client.secret, server: keys.broker.public },
      }),
    );
    track(new hb.CalcNode({ brokers: a, curve: mine }));
    for (const lane of [1, 2]) track(new hb.OpNode({ lane, brokers: b, curve: off }));
    track(new hb.CalcNode({ brokers: b, curve: off }));
    const ca = track(new hb.Client({ brokers: a, timeoutMs: 10000, curve: mine }));
    assert.strictEqual(await ca.hypot(12, 13), '17.6918');
    const cb = track(new hb.Client({ brokers: b, timeoutMs: 10000, curve: off }));
    assert.strictEqual(await cb.hypot(3, 4), '5.0000', 'plain, beside a process default that is on');
    const strangers = [
      [a, { cert: p('client_secret'), server: p('stranger') }], // a wrong server key
      [a, off], // plain
      [a, { cert: p('outsider_secret'), server: p('broker') }], // not on the list
      [b, undefined], // the process default: CURVE to a plain broker
    ];
    for (const [broker, curve] of strangers) {
      const c = track(new hb.Client({ brokers: broker, timeoutMs: 1500, curve }));
      await assert.rejects(c.hypot(5, 12), /time|Timeout/i, JSON.stringify(curve));
    }
    assert.strictEqual(await ca.hypot(20, 21), '29.0000', 'lab A still answers its own');
  } finally {
    for (const o of open.reverse()) o.close();
    hb.setCurve();
    fs.rmSync(d, { recursive: true });
  }
});

test('per-role keys: the task roles and the failover pair', async () => {
  const { d, p } = certs();
  const mine = { cert: p('client_secret'), server: p('broker') };
  const serving = { cert: p('broker_secret'), allow: p('allowed') };
  const open = [];
  const track = (o) => (open.push(o), o);
  try {
    const tb = track(new hb.TaskBroker({ frontend: ANY, backend: ANY, hbIntervalMs: 100, curve: serving }));
    track(
      new hb.TaskWorker({
        broker: tb,
        hbIntervalMs: 100,
        curve: mine,
        handler: (body) => body.toString().toUpperCase(),
      }),
    );
    const tc = track(new hb.TaskClient({ broker: tb, curve: mine }));
    assert.strictEqual((await tc.request('over curve', { timeoutMs: 10000 })).toString(), 'OVER CURVE');
    const plain = track(new hb.TaskClient({ broker: tb, curve: {}, timeoutMs: 500, tries: 1 }));
    await assert.rejects(plain.request('in clear', { timeoutMs: 3000 }));
    const [php, bhp] = await require('./helpers').freePorts(2);
    const fo = (role, hbp, peer) =>
      track(
        new hb.FailoverBroker({
          role,
          xsub: ANY,
          xpub: ANY,
          hb: `tcp://127.0.0.1:${hbp}`,
          peerHb: `tcp://127.0.0.1:${peer}`,
          hbIntervalMs: 100,
          curve: serving,
        }),
      );
    const pr = fo('primary', php, bhp);
    const bk = fo('backup', bhp, php);
    assert.ok(
      await until(() => pr.stats().peerHeartbeats > 0 && bk.stats().peerHeartbeats > 0),
      'no heartbeats over CURVE',
    );
    assert.ok(await until(() => pr.stats().active && !bk.stats().active), 'primary active, backup passive');
  } finally {
    for (const o of open.reverse()) o.close();
    fs.rmSync(d, { recursive: true });
  }
});

test('the curve option: bad values are refused', () => {
  const { d, p } = certs();
  assert.throws(() => new hb.Client({ curve: { cert: null, bogus: 1 } }), /unknown key 'bogus'/);
  assert.throws(() => new hb.CalcNode({ curve: 'broker' }), TypeError);
  assert.throws(
    () => new hb.Client({ curve: { server: p('missing') } }),
    (e) => e.code === 'HB_CONFIG' && /missing/.test(e.message),
  );
  assert.throws(
    () => new hb.Broker({ xsub: ANY, xpub: ANY, hb: false, curve: { cert: p('broker') } }),
    /no secret key/,
  );
  assert.throws(
    () => new hb.TaskBroker({ frontend: ANY, backend: ANY, curve: { cert: p('broker_secret'), allow: p('broker') } }),
    /not a directory/,
  );
  fs.rmSync(d, { recursive: true });
});
