'use strict';
// CURVE from Node: certificates, the library's authenticator on the
// binding's sockets, the lab's roles with keys (setCurve), and interop over
// CURVE with the real zeromq 6 (its socket as a listed client of our
// broker, and curveKeypair keys it accepts).
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
