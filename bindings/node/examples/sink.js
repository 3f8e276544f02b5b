// push/pull pipeline 1:n:1, the sink: collects [worker, n] and counts per worker.
//   node sink.js [port=8001] [n=30]
const zmq = require('hypobus') // the course: require('zeromq')

const port = process.argv[2] || 8001
const n = parseInt(process.argv[3] || '30')
let pull = zmq.socket('pull')
pull.bindSync('tcp://*:' + port)

let count = 0
let perWorker = {}
pull.on('message', (worker, task) => {
  perWorker[worker] = (perWorker[worker] || 0) + 1
  if (++count === n) {
    for (const w of Object.keys(perWorker).sort()) console.log(w + ': ' + perWorker[w])
    console.log('total: ' + count)
    pull.close()
  }
})
