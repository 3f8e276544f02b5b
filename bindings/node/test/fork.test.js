'use strict';
// Fork safety from Node: a program with a lab and sockets in use starts
// children with child_process.fork (a new Node process that loads the
// library itself); each uses sockets and a client against the parent,
// exits by itself, and the parent goes on undisturbed. (Node cannot fork()
// without exec; the C and Python tests cover a forked copy of a process.)
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { fork } = require('node:child_process');
const hb = require('hypobus');
const { PKG, waitFor } = require('./helpers');

test('children started with child_process.fork use the library; the parent goes on (10 runs)', async () => {
  const broker = new hb.Broker({ xsub: 'tcp://127.0.0.1:*', xpub: 'tcp://127.0.0.1:*', hb: '' });
  const calc = new hb.CalcNode({ brokers: broker });
  const ops = [1, 2].map((lane) => new hb.OpNode({ lane, brokers: broker }));
  const client = new hb.Client({ brokers: broker });
  const rep = hb.socket('rep');
  rep.bindSync('tcp://127.0.0.1:*');
  rep.on('message', (m) => rep.send(`re: ${m}`));
  try {
    assert.strictEqual(await client.hypot(12, 13), '17.6918');
    for (let i = 0; i < 10; i++) {
      const pending = client.hypot(5, 12);
      const child = fork(
        path.join(__dirname, 'fixtures', 'fork_child.js'),
        [rep.last_endpoint, broker.brokers, String(i)],
        { cwd: PKG, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
      );
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      let msg = null;
      let exit = null;
      child.on('message', (m) => {
        msg = m;
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal };
      });
      try {
        await waitFor(() => exit, 20000, `child ${i} to exit`);
      } finally {
        if (!exit) child.kill('SIGKILL');
      }
      assert.deepStrictEqual(exit, { code: 0, signal: null }, err);
      assert.deepStrictEqual(msg, { reply: `re: child ${i} pid ${child.pid}`, hyp: '5.0000' });
      assert.strictEqual(await pending, '13.0000', "the parent's request in flight meanwhile");
    }
    assert.strictEqual(await client.hypot(12, 13), '17.6918');
  } finally {
    rep.close();
    client.close();
    for (const o of ops) o.close();
    calc.close();
    broker.close();
  }
});
