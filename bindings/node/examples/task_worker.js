// A task worker with a handler function: the function answers every
// request; up to THREADS requests are handled at once (an async function
// may take its time: the worker keeps heartbeating meanwhile). It runs on
// the main thread, driven by the worker's file descriptor.
//   node task_worker.js [backend=tcp://127.0.0.1:5571] [name=W1] [threads=2] [delay_ms=10] [service...]
const { TaskWorker } = require('hypobus')

const [backend = 'tcp://127.0.0.1:5571', name = 'W1', threads = '2', delay = '10', ...services] = process.argv.slice(2)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const worker = new TaskWorker({
  broker: backend,
  name,
  threads: parseInt(threads),
  services,
  handler: async (body, job) => {
    await sleep(parseInt(delay)) // the work
    return name + ':' + body.toString().toUpperCase() + (job.service ? ' (' + job.service + ')' : '')
  },
})
console.log('worker ' + name + ' ready (' + threads + ' at once, services: ' + (services.join(',') || 'default') + ')')

function quit() {
  const s = worker.stats()
  console.log(name + ': ' + s.jobs + ' jobs, ' + s.replies + ' replies, ' + s.errors + ' errors')
  worker.close()
}
process.on('SIGINT', quit)
process.on('SIGTERM', quit)
