// A task broker (the course's router/router broker, with our protocol on
// top): clients connect to the frontend, workers to the backend. Runs until
// Ctrl-C / SIGTERM, then stops cleanly and prints its counters.
//   node task_broker.js [--frontend EP] [--backend EP] [--policy lru|load|typed]
//                       [--db PATH | --store STORE] [--answer-timeout-ms N]
// STORE: memory, sqlite:PATH or postgres://USER@HOST:PORT/DB (PostgreSQL:
// the database and schema are made on first use; psql shows the view results).
// Defaults: ports 5570 (frontend) and 5571 (backend) on every interface.
const { TaskBroker } = require('hypobus')

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const broker = new TaskBroker({
  frontend: opt('--frontend'),
  backend: opt('--backend'),
  policy: opt('--policy', 'lru'),
  db: opt('--db'),
  journal: opt('--store'),
  answerTimeoutMs: parseInt(opt('--answer-timeout-ms', '0')),
})
console.log(
  'task broker ready: frontend ' +
    broker.frontend +
    ', backend ' +
    broker.backend +
    ' (' +
    broker.policy +
    ', journal ' +
    broker.journal +
    ')',
)

function quit() {
  broker.stop()
  const s = broker.stats()
  console.log(
    'stopped: ' +
      s.requests +
      ' requests, ' +
      s.replies +
      ' replies, ' +
      s.errors +
      ' errors, ' +
      s.timeouts +
      ' answer time-outs, ' +
      s.registered +
      ' worker registrations',
  )
  broker.close()
}
process.on('SIGINT', quit)
process.on('SIGTERM', quit)
