'use strict';
// The mixed lab (the acceptance): the broker from the command-line
// tool, the calc node in Node, operation lane 1 a JavaScript function, lane 2
// from the command-line tool, the client from the command-line tool -> 17.6918.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const { CLI, start, example, waitOutput, waitFor, exited, stop, stopAll, freePorts } = require('./helpers');

test.after(stopAll);

function cli(...args) {
  return start(CLI, args.map(String));
}

async function subscriptions(broker, n) {
  // --stats-every-ms prints the broker's counters: wait until every node subscribed
  await waitFor(
    () => {
      const all = [...broker.out.matchAll(/ subscriptions=(\d+)/g)];
      return all.length > 0 && Number(all[all.length - 1][1]) >= n;
    },
    10000,
    `${n} subscriptions at the broker`,
  );
}

test('the command-line tool is built', () => {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: cargo build --release`);
});

test('mixed lab: CLI broker, Node calc, JS op lane 1, CLI op lane 2, CLI client -> 17.6918', async () => {
  const broker = cli(
    'broker',
    '--xsub',
    'tcp://127.0.0.1:0',
    '--xpub',
    'tcp://127.0.0.1:0',
    '--no-hb',
    '--stats-every-ms',
    '50',
  );
  const [, xsub, xpub] = await waitOutput(broker, /broker ready: xsub (\S+) xpub (\S+)/);
  const brokers = `${xsub}|${xpub}`;
  const calc = example('lab_calc_node.js', [brokers]);
  const op1 = example('lab_op_node.js', [1, brokers]);
  const op2 = cli('op', '--lane', 2, '--broker', brokers);
  await subscriptions(broker, 7); // calc 5, one per op node
  const client = cli('client', 12, 13, '--broker', brokers);
  const r = await exited(client, 15000);
  assert.deepStrictEqual(r, { code: 0, signal: null }, client.err);
  assert.strictEqual(client.out, '17.6918\n');
  // Both squares came from the operation nodes, lane 1 from the JavaScript function.
  for (const c of [op1, calc]) await stop(c, 'SIGINT');
  await stop(op2, 'SIGINT');
  await stop(broker, 'SIGINT');
  const op1Stats = JSON.parse(/final op: (\{.*\})/.exec(op1.out)[1]);
  const calcStats = JSON.parse(/final calc: (\{.*\})/.exec(calc.out)[1]);
  assert.deepStrictEqual([op1Stats.requests, op1Stats.replies, op1Stats.errors], [1, 1, 0]);
  assert.strictEqual(calcStats.fallbacks, 0);
  assert.strictEqual(calcStats.squaresReceived, 2);
  assert.match(op2.out, /final op lane 2: requests=1 replies=1 errors=0/);
  assert.deepStrictEqual([op1.code, calc.code, op2.code], [0, 0, 0]);
});

test('mixed lab the other way: Node broker, CLI calc and op nodes, Node client', async () => {
  const [xs, xp] = await freePorts(2);
  const broker = example('lab_broker.js', [`tcp://127.0.0.1:${xs}`, `tcp://127.0.0.1:${xp}`, '']);
  await waitOutput(broker, /broker ready/);
  const brokers = `127.0.0.1:${xs}:${xp}`;
  const nodes = [
    cli('calc', '--broker', brokers),
    cli('op', '--lane', 1, '--broker', brokers),
    cli('op', '--lane', 2, '--broker', brokers),
  ];
  const client = example('lab_client.js', [12, 13, brokers]);
  const r = await exited(client, 15000);
  assert.deepStrictEqual(r, { code: 0, signal: null }, client.err);
  assert.strictEqual(client.out, '17.6918\n');
  for (const n of nodes) await stop(n, 'SIGINT');
  await stop(broker, 'SIGINT');
  assert.match(broker.out, /final broker: \{"forwarded":[1-9]/);
});
