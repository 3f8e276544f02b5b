// A durable task broker: its journal is an SQLite file. A client submits a
// request while no worker runs and goes away; the broker is stopped (it
// could as well be killed) and started again on the same file: it takes the
// request up, a worker answers it, and a new client fetches the result by
// id, again after one more restart (the result is on disk).
//   node task_durable.js [journal=./tasks.db | postgres://USER@HOST:PORT/DB]
const fs = require('node:fs')
const { TaskBroker, TaskWorker, TaskClient } = require('hypobus')

const where = process.argv[2] || './tasks.db'
const pg = /^postgres(ql)?:\/\//.test(where)
if (!pg) for (const f of [where, where + '-wal', where + '-shm']) fs.rmSync(f, { force: true })
const journal = pg ? where : `sqlite:${where}`

function waitFor(cond, ms) {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const tick = () =>
      cond() ? resolve() : Date.now() - t0 > ms ? reject(new Error('timed out')) : setTimeout(tick, 5)
    tick()
  })
}

async function main() {
  let broker = new TaskBroker({ frontend: 'tcp://127.0.0.1:*', backend: 'tcp://127.0.0.1:*', journal })
  const frontend = broker.frontend,
    backend = broker.backend
  console.log('broker 1, journal ' + broker.journal)

  const c1 = new TaskClient({ broker: frontend })
  const id = c1.submit('12', { service: 'square' })
  await waitFor(() => broker.stats().requests === 1, 5000)
  console.log('submitted ' + id + ' (no worker yet); the client goes away')
  c1.close()
  broker.close()

  broker = new TaskBroker({ frontend, backend, journal })
  console.log('broker 2 on the same file: ' + broker.stats().recovered + ' request taken up')
  const worker = new TaskWorker({
    broker: backend,
    services: ['square'],
    handler: (body) => 'SQUARE ' + Number(body) ** 2,
  })
  const c2 = new TaskClient({ broker: frontend })
  let r = await c2.fetch(id)
  console.log('fetched ' + r.id + ': ' + r.outcome + ' "' + r.body + '"')
  c2.close()
  worker.close()
  broker.close()

  broker = new TaskBroker({ frontend, backend, journal })
  const c3 = new TaskClient({ broker: frontend })
  r = await c3.fetch(id)
  console.log('broker 3, no worker: fetched ' + r.id + ': ' + r.outcome + ' "' + r.body + '"')
  c3.close()
  broker.close()
  console.log('done')
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
