'use strict';
// Interop with the real zeromq.js (the `zeromq` npm package, 6.x, and its
// zeromq/v5-compat): a zeromq.js program in a child process on one end, the
// binding on the other, in both directions.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const hb = require('hypobus');
const { PKG, freePort, start, exited, stop, stopAll, waitOutput, messages, example } = require('./helpers');

test.after(stopAll);

const PEER = path.join(__dirname, 'fixtures', 'zmq_peer.js');
function peer(lib, role, endpoint, n) {
  return start(process.execPath, [PEER, lib, role, endpoint, String(n)], { cwd: PKG });
}
async function done(child) {
  const r = await exited(child, 20000);
  assert.deepStrictEqual(r, { code: 0, signal: null }, `${child.out}\n${child.err}`);
  return child.out;
}
const lines = (s) => s.split('\n').filter(Boolean);
const open = [];
function sock(type) {
  const s = hb.socket(type);
  open.push(s);
  return s;
}
test.afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

test('zeromq is the real package, with its own libzmq', () => {
  const z = require('zeromq');
  assert.match(z.version, /^\d+\.\d+\.\d+$/);
  assert.ok(require.resolve('zeromq').includes(path.join('node_modules', 'zeromq')));
});

for (const lib of ['v6', 'v5']) {
  const name = lib === 'v6' ? 'zeromq 6' : 'zeromq/v5-compat';

  test(`${name} REQ -> hypobus REP`, async () => {
    const rep = sock('rep');
    rep.bindSync('tcp://127.0.0.1:*');
    rep.on('message', (m) => rep.send('hb:' + m));
    const out = await done(peer(lib, 'req', rep.last_endpoint, 5));
    assert.deepStrictEqual(
      lines(out).slice(1),
      [0, 1, 2, 3, 4].map((i) => `reply hb:q${i}`),
    );
  });

  test(`hypobus REQ -> ${name} REP (five sends queued at once)`, async () => {
    const ep = `tcp://127.0.0.1:${await freePort()}`;
    const child = peer(lib, 'rep', ep, 5);
    await waitOutput(child, /ready/);
    const req = sock('req');
    req.connect(ep);
    for (let i = 0; i < 5; i++) req.send('r' + i);
    const got = await messages(req, 5);
    assert.deepStrictEqual(
      got.map((f) => f[0]),
      [0, 1, 2, 3, 4].map((i) => `zmq:r${i}`),
    );
    await done(child);
  });

  test(`${name} PUB -> hypobus SUB`, async () => {
    const ep = `tcp://127.0.0.1:${await freePort()}`;
    const child = peer(lib, 'pub', ep);
    await waitOutput(child, /ready/);
    const sub = sock('sub');
    sub.connect(ep);
    sub.subscribe('uno');
    const got = await messages(sub, 5);
    assert.ok(
      got.every((f) => f.length === 2 && f[0] === 'uno'),
      JSON.stringify(got),
    );
    await stop(child);
  });

  test(`hypobus PUB -> ${name} SUB`, async () => {
    const pub = sock('pub');
    pub.bindSync('tcp://127.0.0.1:*');
    const child = peer(lib, 'sub', pub.last_endpoint, 5);
    let i = 0;
    const t = setInterval(() => {
      pub.send(['dos', 'no']);
      pub.send(['uno', '' + i++]);
    }, 5);
    try {
      const out = await done(child);
      const msgs = lines(out).filter((l) => l.startsWith('msg'));
      assert.strictEqual(msgs.length, 5);
      assert.ok(
        msgs.every((l) => /^msg uno \d+$/.test(l)),
        out,
      );
    } finally {
      clearInterval(t);
    }
  });

  test(`${name} PUSH -> hypobus PULL: 20000 messages in order`, async () => {
    const pull = sock('pull');
    pull.bindSync('tcp://127.0.0.1:*');
    let next = 0;
    let inOrder = true;
    const end = new Promise((resolve) =>
      pull.on('message', (m) => {
        if (m.toString() === 'END') return resolve();
        if (Number(m) !== next) inOrder = false;
        next++;
      }),
    );
    const child = peer(lib, 'push', pull.last_endpoint, 20000);
    await end;
    assert.strictEqual(next, 20000);
    assert.ok(inOrder);
    await done(child);
  });

  test(`hypobus PUSH -> ${name} PULL: 20000 messages in order`, async () => {
    const ep = `tcp://127.0.0.1:${await freePort()}`;
    const child = peer(lib, 'pull', ep);
    await waitOutput(child, /ready/);
    const push = sock('push');
    push.connect(ep);
    for (let i = 0; i < 20000; i++) push.send('' + i);
    push.send('END');
    const out = await done(child);
    assert.match(out, /count 20000 inorder true/);
  });

  test(`${name} DEALER with an identity -> hypobus ROUTER, and back`, async () => {
    const router = sock('router');
    router.bindSync('tcp://127.0.0.1:*');
    router.on('message', (id, empty, m) => router.send([id, '', 'hello ' + id + ' ' + m]));
    const out = await done(peer(lib, 'dealer', router.last_endpoint));
    assert.match(out, /reply \|hello zmq-dealer hi/);
  });
}

test('a course example on hypobus against zeromq/v5-compat: hello_client.js -> a zeromq REP', async () => {
  const port = await freePort();
  const child = peer('v5', 'rep', `tcp://127.0.0.1:${port}`, 10);
  await waitOutput(child, /ready/);
  const out = await done(example('hello_client.js', [port, '127.0.0.1']));
  assert.strictEqual(lines(out).filter((l) => l.includes('Received reply') && l.includes('zmq:Hello')).length, 10);
  await done(child);
});

test('a zeromq 6 client against a course example on hypobus: zeromq REQ -> hello_server.js', async () => {
  const port = await freePort();
  const server = example('hello_server.js', [port]);
  const out = await done(peer('v6', 'req', `tcp://127.0.0.1:${port}`, 3));
  assert.deepStrictEqual(lines(out).slice(1), ['reply World', 'reply World', 'reply World']);
  await stop(server);
});
