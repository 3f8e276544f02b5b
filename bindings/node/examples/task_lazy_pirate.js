// Fault tolerance with the task classes, in one process on free ports:
// a lazy-pirate client (every request resent with its id after 300 ms
// without an answer, on a fresh socket when the broker is silent; it gives
// up after 20 tries), two heartbeating workers, and along the way
//   - a worker that takes a request and never answers it (the broker's
//     answer time-out gives that request to the other worker);
//   - the broker stopped and started again on the same ports while requests
//     are being sent (the client resends, the workers notice the silence
//     and register again).
// Every one of the 30 requests is answered, exactly once.
//   node task_lazy_pirate.js
const { TaskBroker, TaskWorker, TaskClient } = require('hypobus')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const brokerOpts = { answerTimeoutMs: 1000, hbIntervalMs: 200 }

async function main() {
  let broker = new TaskBroker({ frontend: 'tcp://127.0.0.1:*', backend: 'tcp://127.0.0.1:*', ...brokerOpts })
  const frontend = broker.frontend,
    backend = broker.backend
  console.log('broker on ' + frontend + ' / ' + backend)

  const w1 = new TaskWorker({ broker: backend, name: 'W1', hbIntervalMs: 200, handler: (body) => 'W1:' + body })
  let hung = false
  const w2 = new TaskWorker({
    broker: backend,
    name: 'W2',
    hbIntervalMs: 200,
    handler: (body) => {
      if (!hung) {
        hung = true
        console.log('W2 takes ' + body + ' and never answers it')
        return new Promise(() => {})
      }
      return 'W2:' + body
    },
  })
  const client = new TaskClient({ broker: frontend, timeoutMs: 300, tries: 20 })
  const answers = new Map()
  const ask = (i) =>
    client.request('r' + i).then((r) => {
      if (answers.has(i)) throw new Error('r' + i + ' answered twice')
      answers.set(i, r.toString())
    })

  // Round 1: one request hangs on W2; the broker gives it to W1 after 1 s.
  await Promise.all(Array.from({ length: 10 }, (_, i) => ask(i)))
  console.log('round 1: 10 answered (' + broker.stats().timeouts + ' answer time-out)')

  // Round 2: the broker goes away while requests are sent, and comes back.
  broker.close()
  console.log('broker stopped')
  const round2 = Promise.all(Array.from({ length: 10 }, (_, i) => ask(10 + i)))
  await sleep(700) // the outage
  broker = new TaskBroker({ frontend, backend, ...brokerOpts })
  console.log('broker started again on the same ports')
  await round2
  console.log('round 2: 10 answered after the restart (client resends: ' + client.stats().resent + ')')

  // Round 3: business as usual.
  await Promise.all(Array.from({ length: 10 }, (_, i) => ask(20 + i)))
  const ok = answers.size === 30 && [...answers].every(([i, r]) => r.endsWith(':r' + i))
  const s = client.stats()
  console.log(ok && s.duplicates === 0 ? 'all 30 requests answered once' : 'FAIL: ' + JSON.stringify([...answers]))
  console.log(
    'workers: W1 ' +
      w1.stats().replies +
      ' replies, W2 ' +
      w2.stats().replies +
      ' (reconnects ' +
      (w1.stats().reconnects + w2.stats().reconnects) +
      ')',
  )
  client.close()
  w1.close()
  w2.close()
  broker.close()
  process.exitCode = ok ? 0 : 1
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
