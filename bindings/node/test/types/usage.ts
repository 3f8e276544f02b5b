// Type-checked by `tsc --noEmit` (run-tests.sh), never run: the declarations
// in index.d.ts must accept the course's programs and the roles' use.
import zmq = require('hypobus');
import { Broker, CalcNode, Client, FailoverBroker, HypobusError, OpNode } from 'hypobus';

const rep: zmq.Socket = zmq.socket('rep');
rep.bind('tcp://*:5555', (err?: Error) => {
  if (err) throw err;
});
rep.on('message', (req: Buffer) => {
  rep.send('World ' + req.toString());
});
const req = zmq.socket('req');
req.identity = 'client-1';
req.connect('tcp://localhost:5555');
req.send(['', '', '']);
req.send('part', zmq.ZMQ_SNDMORE);
req.send(42, 0, (err) => console.log(err));
req.setsockopt('linger', 0);
req.setsockopt(zmq.ZMQ_SNDHWM, 100);
const ep: number | string = req.getsockopt(zmq.ZMQ_LAST_ENDPOINT);
const last: string = req.last_endpoint;
req.monitor(10, 0);
req.on('connect', (value: number, endpoint: string) => console.log(value, endpoint, ep, last));
req.unmonitor();
req.pause();
req.resume();
const sub = zmq.createSocket('sub', { linger: 0 });
sub.subscribe('uno');
sub.unsubscribe(Buffer.from('uno'));
const frames: Buffer[] | null = sub.read();
console.log(frames, zmq.version, zmq.types.router, zmq.options.identity, zmq.events[1]);
const router = zmq.socket('router');
const dealer = zmq.socket('dealer');
const p: zmq.ZmqProxy = zmq.proxy(router, dealer);
console.log(p.stats().to_backend_msgs);
req.on('error', (e: Error) => {
  if (zmq.isFullError(e)) console.log(e.code, e.errno, e.address, e.detail);
});
zmq.Context.setMaxSockets(256);
const maxSockets: number = zmq.Context.getMaxSockets() + zmq.context.maxSocketsLimit;
zmq.context.blocky = false;
const curve: boolean = zmq.capability.curve;
console.log(maxSockets, curve, zmq.Context.getMaxThreads());
req.close();

async function lab(): Promise<void> {
  const broker = new Broker({ xsub: 'tcp://127.0.0.1:*', xpub: 'tcp://127.0.0.1:*', hb: '' });
  const brokers: string = broker.brokers;
  const calc = new CalcNode({ brokers, timeoutMs: 2000 });
  const op1 = new OpNode({ lane: 1, brokers: broker, fn: (x: number) => x * x });
  const op2 = new OpNode({ lane: 2, brokers: [broker], fn: async (_x, text) => BigInt(text) ** 2n });
  const op3 = new OpNode({ lane: 3, brokers, fn: (_x, text) => text });
  const client = new Client({ brokers, timeoutMs: 5000 });
  const keys: zmq.CurveOptions = { cert: 'node_secret', server: 'broker' };
  const keyed = new Client({ brokers, curve: keys });
  keyed.close();
  new CalcNode({ brokers, curve: {} }).close();
  try {
    const h: string = await client.hypot(12, 13);
    const h2: string = await client.hypot('1.5', 2n, { timeoutMs: 1000 });
    console.log(h, h2, client.inFlight(), client.stats().answers, calc.stats().fallbacks, op1.stats().requests);
  } catch (e) {
    if (e instanceof HypobusError && e.code === 'HB_REMOTE') console.log(e.message, e.status, e.errno);
  }
  const fo = new FailoverBroker({ role: 'backup', peerHb: 'tcp://127.0.0.1:5560', hb: 'tcp://127.0.0.1:5561' });
  fo.on('state', (ev) => console.log(ev.active, ev.atMs, ev.reason));
  fo.on('active', (ev) => console.log(ev.reason));
  const active: boolean = fo.isActive();
  await fo.handback(2000);
  console.log(active, fo.stats().peerSilentMs, fo.brokerStats().forwarded, fo.endpoint('xsub'));
  zmq.log.enable({ stderr: false });
  zmq.log.on('line', (line: string) => console.log(line));
  for (const r of [client, op1, op2, op3, calc, fo]) r.close();
  broker.unref().close();
  console.log(zmq.libraryVersion, zmq.abiVersion, zmq.libraryPath, zmq.native.S.HB_OK);
}
void lab;

async function tasks(): Promise<void> {
  const broker = new zmq.TaskBroker({
    policy: 'load',
    frontend: 'tcp://127.0.0.1:*',
    backend: 'tcp://127.0.0.1:*',
    db: '/tmp/t.db',
  });
  const fe: string = broker.frontend;
  const w = new zmq.TaskWorker({
    broker,
    threads: 4,
    services: ['A'],
    handler: async (body: Buffer, job: zmq.Job) => `${job.service}:${body}`,
  });
  const pull = new zmq.TaskWorker({ broker: broker.backend, load: 10 });
  const job = await pull.recv(100);
  if (job) job.reply(Buffer.from(job.body));
  for await (const j of pull) j.error('no');
  pull.setLoad('auto');
  const c = new zmq.TaskClient({ broker: fe, tries: 5, timeoutMs: 500 });
  const r: Buffer = await c.request('x', { service: 'A', timeoutMs: 1000 });
  const id: string = c.submit(new Uint8Array([1, 2]));
  const res: zmq.TaskResult = await c.result(id);
  const again = await c.fetch(id);
  const nxt: zmq.TaskResult | null = await c.next(10);
  for await (const x of c.results()) console.log(x.outcome, x.body, x.error);
  try {
    await c.request('y');
  } catch (e) {
    if (e instanceof zmq.TaskError) console.log(e.outcome, e.reason, e.code);
  }
  const s: zmq.TaskBrokerStats = broker.stats();
  console.log(r, res.ok, again.outcome, nxt, s.late, w.stats().running, c.stats().gaveUp);
  c.close();
  w.close();
  pull.close();
  broker[Symbol.dispose]();
}
void tasks;
