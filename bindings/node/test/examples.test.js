'use strict';
// Every example end to end, as separate processes on free ports, bounded in
// time: the course's programs (SPEC section 3, items 1-7) and the lab's roles.
const test = require('node:test');
const assert = require('node:assert');
const { freePorts, example, waitOutput, ok, lines, stop, stopAll } = require('./helpers');

test.after(stopAll);

test('hello client/server (the slides): ten requests queued at once, ten replies, the client exits by itself', async () => {
  const [port] = await freePorts(1);
  const server = example('hello_server.js', [port]);
  const client = example('hello_client.js', [port]);
  const out = await ok(client);
  const replies = lines(out).filter((l) => l.startsWith('Received reply'));
  assert.strictEqual(replies.length, 10, out);
  assert.ok(
    replies.every((l) => l.includes('World')),
    out,
  );
  await waitOutput(server, /(Received request: \[Hello\][\s\S]*){10}/);
  await stop(server);
});

test('req/rep 1:1 and n:1: two clients, one server, each gets its own replies', async () => {
  const [port] = await freePorts(1);
  const server = example('reqrep_server.js', [port, 'S']);
  const c1 = example('reqrep_client.js', [4, 'alice', port]);
  const c2 = example('reqrep_client.js', [4, 'bob', port]);
  const [o1, o2] = await Promise.all([ok(c1), ok(c2)]);
  assert.deepStrictEqual(
    lines(o1),
    [0, 1, 2, 3].map((i) => `reply: S: alice request ${i}`),
  );
  assert.deepStrictEqual(
    lines(o2),
    [0, 1, 2, 3].map((i) => `reply: S: bob request ${i}`),
  );
  await stop(server);
});

test('req/rep 1:n: one client, two servers, requests go round robin', async () => {
  const [p1, p2] = await freePorts(2);
  const a = example('reqrep_server.js', [p1, 'A']);
  const b = example('reqrep_server.js', [p2, 'B']);
  const out = await ok(example('reqrep_client.js', [20, 'c', p1, p2]));
  const got = lines(out);
  assert.strictEqual(got.length, 20, out);
  assert.ok(got.some((l) => l.includes('A: ')) && got.some((l) => l.includes('B: ')), out);
  await Promise.all([stop(a), stop(b)]);
});

test('pipeline 1:1: multi-frame messages, both ends exit by themselves', async () => {
  const [port] = await freePorts(1);
  const push = example('pipeline_push.js', [port, 5]);
  const pull = example('pipeline_pull.js', [port]);
  const [po, pl] = await Promise.all([ok(push), ok(pull)]);
  assert.match(po, /sent 5 messages/);
  assert.deepStrictEqual(lines(pl), [0, 1, 2, 3, 4].map((i) => `frames: task | ${i} | from push`).concat(['done']));
});

test('pipeline 1:n:1: a ventilator, three workers, a sink collecting [worker, n]', async () => {
  const [vp, sp] = await freePorts(2);
  const sink = example('sink.js', [sp, 30]);
  const workers = ['w1', 'w2', 'w3'].map((w) => example('worker.js', [w, vp, sp]));
  const vent = example('ventilator.js', [vp, 30, 3]);
  const out = await ok(sink);
  await ok(vent);
  assert.match(out, /total: 30/);
  for (const w of ['w1', 'w2', 'w3']) assert.match(out, new RegExp(`${w}: [1-9]`), out);
  await Promise.all(workers.map((w) => stop(w)));
});

test('pub/sub: a publisher rotating uno, dos, tres; three subscribers, each on one prefix', async () => {
  const [port] = await freePorts(1);
  const pub = example('publisher.js', [port, 30]);
  const subs = ['uno', 'dos', 'tres'].map((p) => example('subscriber.js', [p, port, 3]));
  const outs = await Promise.all(subs.map((s) => ok(s)));
  ['uno', 'dos', 'tres'].forEach((p, i) => {
    const got = lines(outs[i]);
    assert.strictEqual(got.length, 3, outs[i]);
    assert.ok(
      got.every((l) => l.startsWith(p + ' ')),
      outs[i],
    );
  });
  await stop(pub);
});

test('chat: HI and BYE announced by server, lines relayed to everyone', async () => {
  const [pp, qp] = await freePorts(2);
  const server = example('chat_server.js', [pp, qp]);
  const alice = example('chat_client.js', ['alice', pp, qp]);
  const bob = example('chat_client.js', ['bob', pp, qp]);
  // Subscriptions take a moment (the slow joiner): Alice talks until both hear her
  // (everyone gets everything, the author too).
  let n = 0;
  const talk = setInterval(() => alice.stdin.write(`hello ${n++}\n`), 20);
  try {
    await waitOutput(bob, /\[alice\] hello \d+/);
    await waitOutput(alice, /\[alice\] hello \d+/);
  } finally {
    clearInterval(talk);
  }
  // Both are subscribed now: a newcomer's HI reaches them
  const carol = example('chat_client.js', ['carol', pp, qp]);
  await waitOutput(bob, /\[server\] carol connected/);
  await waitOutput(alice, /\[server\] carol connected/);
  carol.stdin.end();
  await ok(carol);
  alice.stdin.end();
  await ok(alice);
  await waitOutput(bob, /\[server\] alice disconnected/);
  bob.stdin.end();
  await ok(bob);
  await stop(server);
});

async function brokerRun(brokerName) {
  const [fp, bp] = await freePorts(2);
  const broker = example(brokerName, [fp, bp]);
  const workers = ['w1', 'w2'].map((w) => example('rd_worker.js', [w, bp, 5]));
  const seen = new Set();
  // Round robin needs both workers connected: run clients until both answered (bounded).
  for (let round = 0; round < 10 && seen.size < 2; round++) {
    const clients = ['c1', 'c2'].map((c) => example('rd_client.js', [c, fp, 4]));
    const outs = await Promise.all(clients.map((c) => ok(c)));
    outs.forEach((o, i) => {
      const got = lines(o);
      assert.strictEqual(got.length, 4, o);
      got.forEach((l, k) => {
        const m = /^c\d got \[(w\d): (c\d-\d)\]$/.exec(l);
        assert.ok(m, l);
        assert.strictEqual(m[2], `c${i + 1}-${k}`);
        seen.add(m[1]);
      });
    });
  }
  assert.deepStrictEqual([...seen].sort(), ['w1', 'w2']);
  await Promise.all([...workers, broker].map((c) => stop(c)));
}

test('router/dealer broker: REQ clients, REP workers, round robin', () => brokerRun('rd_broker.js'));

test('router/dealer broker with zmq.proxy()', () => brokerRun('rd_proxy_broker.js'));

test("router/router load-balancing broker: REQ workers announce themselves with ['', '', '']", async () => {
  const [fp, bp] = await freePorts(2);
  const broker = example('lb_broker.js', [fp, bp]);
  const workers = ['W1', 'W2'].map((w) => example('lb_worker.js', [w, bp, 20]));
  const seen = new Set();
  for (let round = 0; round < 10 && seen.size < 2; round++) {
    const clients = ['c1', 'c2', 'c3'].map((c) => example('rd_client.js', [c, fp, 3]));
    const outs = await Promise.all(clients.map((c) => ok(c)));
    outs.forEach((o, i) => {
      const got = lines(o);
      assert.strictEqual(got.length, 3, o);
      got.forEach((l, k) => {
        const m = new RegExp(`^c${i + 1} got \\[c${i + 1}-${k} by (W\\d)\\]$`).exec(l);
        assert.ok(m, l);
        seen.add(m[1]);
      });
    });
  }
  assert.deepStrictEqual([...seen].sort(), ['W1', 'W2']);
  await Promise.all([...workers, broker].map((c) => stop(c)));
});

test('fault-tolerant broker: a worker that hangs times out, its request goes to another worker', async () => {
  const [fp, bp] = await freePorts(2);
  const broker = example('ft_broker.js', [fp, bp, 300]);
  const hang = example('ft_worker.js', ['W1', bp, 1]);
  await waitOutput(broker, /worker W1 ready/);
  const good = example('ft_worker.js', ['W2', bp]);
  await waitOutput(broker, /worker W2 ready/);
  const out = await ok(example('rd_client.js', ['c1', fp, 4]));
  const got = lines(out);
  assert.deepStrictEqual(
    got.map((l) => l.replace(/ by W\d/, '')),
    [0, 1, 2, 3].map((i) => `c1 got [c1-${i}]`),
  );
  assert.ok(
    got.some((l) => l.endsWith('by W2]')),
    out,
  );
  await waitOutput(broker, /worker W1 timed out; resending c1-\d/);
  await waitOutput(hang, /W1 hangs on c1-\d/);
  await Promise.all([hang, good, broker].map((c) => stop(c)));
});

test('the lab in one Node process (lab_all.js)', async () => {
  const out = await ok(example('lab_all.js'), 20000);
  assert.deepStrictEqual(lines(out), [lines(out)[0], lines(out)[1]]);
  assert.strictEqual(lines(out)[0], '17.6918');
  assert.match(lines(out)[1], /^100 requests at once: all right in \d+ ms$/);
});

test('the lab as separate Node processes: lab_broker, lab_calc_node, lab_op_node (JS, lanes 1 and 2), lab_client', async () => {
  const [xs, xp, hbp] = await freePorts(3);
  const broker = example('lab_broker.js', [`tcp://127.0.0.1:${xs}`, `tcp://127.0.0.1:${xp}`, `tcp://127.0.0.1:${hbp}`]);
  await waitOutput(broker, /broker ready: (\S+)/);
  const brokers = `127.0.0.1:${xs}:${xp}`;
  const calc = example('lab_calc_node.js', [brokers]);
  const op1 = example('lab_op_node.js', [1, brokers]);
  const op2 = example('lab_op_node.js', [2, brokers]);
  await Promise.all([calc, op1, op2].map((c) => waitOutput(c, /serving/)));
  const answer = await ok(example('lab_client.js', [12, 13, brokers]));
  assert.strictEqual(answer.trim(), '17.6918');
  await stop(op1, 'SIGINT');
  await stop(op2, 'SIGINT');
  await stop(calc, 'SIGINT');
  await stop(broker, 'SIGINT');
  assert.match(op1.out, /final op: \{"callbackRunning":0,"requests":\d+/);
  assert.match(calc.out, /final calc: \{"requests":[1-9]/);
  assert.match(broker.out, /final broker: \{"forwarded":[1-9]/);
  assert.deepStrictEqual([op1.code, op2.code, calc.code, broker.code], [0, 0, 0, 0]);
});
