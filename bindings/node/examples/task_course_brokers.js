// The course's three request/reply brokers expressed with the library, each
// with REQ clients and workers written as the course writes them
// (zmq.socket('req'), on('message')), all in this process on free ports:
//
//   1. router/dealer: clients REQ -> ROUTER, DEALER -> REP workers; the
//      broker is zmq.proxy (round robin, asynchronous);
//   2. router/router (load balancing): a TaskBroker with the lru policy;
//      workers are REQ sockets that announce themselves with an empty
//      request and answer [client, '', reply]: the course's frames;
//   3. fault tolerant: the same broker with a 300 ms answer time-out; one
//      worker answers far too late, yet every request is answered (by the
//      other) and the late answer never reaches a client.
//
//   node task_course_brokers.js        (exits 0 when every check passed)
const zmq = require('hypobus') // the course: require('zeromq')
const { TaskBroker } = zmq

const LOCAL = 'tcp://127.0.0.1:*'
let failed = false
function check(ok, what) {
  if (!ok) {
    console.log('FAIL: ' + what)
    failed = true
  }
}

// A REQ client: n requests, each after the previous reply.
function client(ep, name, n) {
  return new Promise((resolve) => {
    const req = zmq.socket('req')
    const replies = []
    req.connect(ep)
    req.on('message', (reply) => {
      replies.push(reply.toString())
      if (replies.length === n) {
        req.close()
        resolve(replies)
      } else {
        req.send(name + '-' + replies.length)
      }
    })
    req.send(name + '-0')
  })
}

// A REP worker of the router/dealer broker.
function repWorker(ep, name) {
  const rep = zmq.socket('rep')
  rep.connect(ep)
  rep.on('message', (msg) => rep.send(msg + ' by ' + name))
  return rep
}

// A REQ worker of the router/router broker (the course's frames). With
// lateMs, it answers its first request that late and then leaves.
function reqWorker(ep, name, lateMs) {
  const req = zmq.socket('req')
  req.identity = name
  req.connect(ep)
  req.on('message', (c, sep, msg) => {
    if (lateMs) {
      setTimeout(() => {
        req.send([c, '', msg + ' by ' + name])
        setTimeout(() => req.close(), 100)
      }, lateMs)
      return
    }
    req.send([c, '', msg + ' by ' + name])
  })
  req.send(['', '', ''])
  return req
}

function waitFor(cond, ms) {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const tick = () =>
      cond() ? resolve() : Date.now() - t0 > ms ? reject(new Error('timed out')) : setTimeout(tick, 5)
    tick()
  })
}

const byWorker = (replies) => {
  const n = {}
  for (const r of replies) {
    const w = r.split(' by ')[1]
    n[w] = (n[w] || 0) + 1
  }
  return Object.entries(n)
    .sort()
    .map(([w, k]) => w + ': ' + k)
    .join(', ')
}

async function routerDealer() {
  const frontend = zmq.socket('router')
  const backend = zmq.socket('dealer')
  frontend.bindSync(LOCAL)
  backend.bindSync(LOCAL)
  const fe = frontend.last_endpoint,
    be = backend.last_endpoint
  zmq.proxy(frontend, backend)
  const workers = ['w1', 'w2', 'w3'].map((n) => repWorker(be, n))
  const all = (await Promise.all(['a', 'b', 'c'].map((n) => client(fe, n, 5)))).flat()
  check(all.length === 15 && all.every((r) => / by w[123]$/.test(r)), 'router/dealer: every request answered')
  console.log('router/dealer: ' + all.length + ' replies (' + byWorker(all) + ')')
  for (const w of workers) w.close()
  frontend.close()
  backend.close()
}

async function routerRouter() {
  const broker = new TaskBroker({ policy: 'lru', frontend: LOCAL, backend: LOCAL })
  const workers = ['W1', 'W2'].map((n) => reqWorker(broker.backend, n))
  await waitFor(() => broker.stats().workers === 2, 5000)
  const names = ['a', 'b', 'c']
  const replies = await Promise.all(names.map((n) => client(broker.frontend, n, 5)))
  replies.forEach((list, k) =>
    list.forEach((r, i) =>
      check(
        new RegExp('^' + names[k] + '-' + i + ' by W[12]$').test(r),
        'router/router: ' + r + ' is the answer to ' + names[k] + '-' + i,
      ),
    ),
  )
  const all = replies.flat()
  console.log('router/router: ' + all.length + ' replies (' + byWorker(all) + ')')
  for (const w of workers) w.close()
  broker.close()
}

async function faultTolerant() {
  const broker = new TaskBroker({ policy: 'lru', frontend: LOCAL, backend: LOCAL, answerTimeoutMs: 300 })
  const late = reqWorker(broker.backend, 'LATE', 800)
  await waitFor(() => broker.stats().workers === 1, 5000)
  const good = reqWorker(broker.backend, 'GOOD')
  await waitFor(() => broker.stats().workers === 2, 5000)
  const all = (await Promise.all(['x', 'y'].map((n) => client(broker.frontend, n, 3)))).flat()
  await waitFor(() => broker.stats().late === 1, 5000) // the late answer came, and was dropped
  const s = broker.stats()
  const delivered = all.filter((r) => r.endsWith(' by LATE')).length
  check(all.length === 6 && delivered === 0, 'fault tolerant: all answered by GOOD')
  check(s.timeouts === 1, 'fault tolerant: one answer time-out')
  console.log(
    'fault tolerant: ' +
      all.length +
      ' replies, ' +
      s.timeouts +
      ' answer time-out, ' +
      delivered +
      ' late answers delivered (' +
      s.late +
      ' dropped by the broker)',
  )
  good.close()
  late.close()
  broker.close()
}

async function main() {
  await routerDealer()
  await routerRouter()
  await faultTolerant()
  console.log(failed ? 'some checks failed' : 'all checks passed')
  process.exit(failed ? 1 : 0)
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
