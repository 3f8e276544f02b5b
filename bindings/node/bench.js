'use strict';
// Benchmark (not a test): the same REQ/REP loop and the same PUSH/PULL
// flood with zeromq 6 (its own API and zeromq/v5-compat) and with hypobus,
// side by side in one run, plus the lab's requests per second driven from
// Node. Each figure is the median of RUNS runs, the contenders taking
// turns (a load that comes and goes hits them alike); both ends of a socket pair
// live in this process (one event loop), over TCP on 127.0.0.1.
//
//   node bench.js [--quick]        (from bindings/node, after npm ci)
const zmq6 = require('zeromq');
const zmq5 = require('zeromq/v5-compat');
const hb = require('hypobus');
const { v5Pair, loopbackLab } = require('./test/fixtures/loopback');

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 1 : 5;
const RT = QUICK ? 2000 : 10000; // round trips
const FLOOD = QUICK ? 20000 : 200000; // messages
const FLOOD_V5 = QUICK ? 5000 : 20000; // v5-compat is ~20x slower: fewer, or the run takes minutes
const LAB = QUICK ? 1000 : 10000; // hypotenuse requests
const PAYLOAD = Buffer.alloc(16, 'x');

const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ------------------------------------------------------------ zeromq 6

async function v6ReqRep(n) {
  const rep = new zmq6.Reply();
  await rep.bind('tcp://127.0.0.1:*');
  const req = new zmq6.Request();
  req.connect(rep.lastEndpoint);
  const server = (async () => {
    for (let i = 0; i < n; i++) {
      const [m] = await rep.receive();
      await rep.send(m);
    }
  })();
  const t0 = now();
  for (let i = 0; i < n; i++) {
    await req.send(PAYLOAD);
    await req.receive();
  }
  const dt = now() - t0;
  await server;
  req.close();
  rep.close();
  return n / dt;
}

async function v6Flood(n) {
  const pull = new zmq6.Pull();
  await pull.bind('tcp://127.0.0.1:*');
  const push = new zmq6.Push();
  push.connect(pull.lastEndpoint);
  const t0 = now();
  const recv = (async () => {
    for (let i = 0; i < n; i++) await pull.receive();
  })();
  for (let i = 0; i < n; i++) await push.send(PAYLOAD);
  await recv;
  const dt = now() - t0;
  push.close();
  pull.close();
  return n / dt;
}

// ------------------------------------------------------------ v5 API (zeromq/v5-compat and hypobus)

function v5ReqRep(zmq, n) {
  return new Promise((resolve) => {
    const [rep, req] = v5Pair(zmq, 'rep', 'req');
    rep.on('message', (m) => rep.send(m));
    let i = 0;
    let t0;
    req.on('message', () => {
      if (++i === n) {
        const dt = now() - t0;
        req.close();
        rep.close();
        resolve(n / dt);
        return;
      }
      req.send(PAYLOAD);
    });
    t0 = now();
    req.send(PAYLOAD);
  });
}

function v5Flood(zmq, n) {
  return new Promise((resolve) => {
    const [pull, push] = v5Pair(zmq, 'pull', 'push');
    let i = 0;
    const t0 = now();
    pull.on('message', () => {
      if (++i === n) {
        const dt = now() - t0;
        push.close();
        pull.close();
        resolve(n / dt);
      }
    });
    for (let k = 0; k < n; k++) push.send(PAYLOAD);
  });
}

// ------------------------------------------------------------ the lab

async function lab(n, jsOp) {
  const op = jsOp ? (x) => x * x : undefined;
  const { calc, client, close } = await loopbackLab(hb, [op, op], 60000);
  try {
    await client.hypot(12, 13); // warm-up: the path through the broker is proven
    const t0 = now();
    const all = await Promise.all(Array.from({ length: n }, (_, i) => client.hypot(3 * i, 4 * i)));
    const dt = now() - t0;
    if (!all.every((h, i) => h === (5 * i).toFixed(4))) throw new Error('wrong answers');
    const seq = Math.min(500, n);
    const t1 = now();
    for (let i = 0; i < seq; i++) await client.hypot(12, 13);
    const dt1 = now() - t1;
    if (calc.stats().fallbacks !== 0) throw new Error('fallbacks: an operation node did not answer');
    return { inFlight: n / dt, sequential: seq / dt1 };
  } finally {
    close();
  }
}

// ------------------------------------------------------------ run

/** Run the contenders in turn, RUNS rounds (so a load that comes and goes hits them alike); medians. */
async function interleaved(fns) {
  const xs = fns.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    for (let i = 0; i < fns.length; i++) xs[i].push(await fns[i]());
  }
  return xs.map(median);
}

function fmt(x) {
  return Math.round(x).toLocaleString('en-US');
}

async function main() {
  const rows = [];
  const [rr6, rr5, rrh] = await interleaved([() => v6ReqRep(RT), () => v5ReqRep(zmq5, RT), () => v5ReqRep(hb, RT)]);
  rows.push([`REQ/REP round trips/s (${fmt(RT)}, 16 B)`, rr6, rr5, rrh]);
  const [fl6, fl5, flh] = await interleaved([
    () => v6Flood(FLOOD),
    () => v5Flood(zmq5, FLOOD_V5),
    () => v5Flood(hb, FLOOD),
  ]);
  rows.push([`PUSH/PULL flood msgs/s (${fmt(FLOOD)}, 16 B; v5-compat ${fmt(FLOOD_V5)})`, fl6, fl5, flh]);

  const head = ['', 'zeromq 6', 'zeromq/v5-compat', 'hypobus', 'hypobus / zeromq 6', 'hypobus / v5-compat'];
  const table = [head, head.map(() => '---')];
  for (const [name, a, b, c] of rows)
    table.push([name, fmt(a), fmt(b), fmt(c), `${(c / a).toFixed(2)}x`, `${(c / b).toFixed(2)}x`]);
  for (const js of [false, true]) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await lab(LAB, js));
    const ops = js ? 'JS op nodes (OpNode with a function)' : 'built-in op nodes';
    table.push([
      `lab from Node: hypotenuses/s, ${fmt(LAB)} in flight, ${ops}`,
      '',
      '',
      fmt(median(runs.map((x) => x.inFlight))),
      '',
      '',
    ]);
    table.push([
      `lab from Node: hypotenuses/s, one at a time, ${ops}`,
      '',
      '',
      fmt(median(runs.map((x) => x.sequential))),
      '',
      '',
    ]);
  }
  const lines = table.map((r) => `| ${r.join(' | ')} |`);
  console.log(
    `Node ${process.version}, zeromq ${require('zeromq/package.json').version} (libzmq ${zmq6.version}), ` +
      `hypobus ${hb.libraryVersion} (libzmq ${hb.version}), koffi ${hb.native.koffi.version}; median of ${RUNS}`,
  );
  console.log(lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
