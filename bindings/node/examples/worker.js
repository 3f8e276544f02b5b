// push/pull pipeline 1:n:1, a worker: takes tasks, sends [worker, n] to the sink.
//   node worker.js [name=w1] [in=8000] [out=8001]
const zmq = require('hypobus') // the course: require('zeromq')

const name = process.argv[2] || 'w1'
const inPort = process.argv[3] || 8000
const outPort = process.argv[4] || 8001
let pull = zmq.socket('pull')
let push = zmq.socket('push')
pull.connect('tcp://localhost:' + inPort)
push.connect('tcp://localhost:' + outPort)

pull.on('message', (n) => {
  if (n.length === 0) return // the ventilator's end marker
  push.send([name, n])
})
