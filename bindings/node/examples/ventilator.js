// push/pull pipeline 1:n:1, the source: fans n tasks out to the workers.
//   node ventilator.js [port=8000] [n=30]
const zmq = require('hypobus') // the course: require('zeromq')

const port = process.argv[2] || 8000
const n = parseInt(process.argv[3] || '30')
let push = zmq.socket('push')
push.bindSync('tcp://*:' + port)

// Wait for the workers to connect (PUSH round robin spreads over the connected ones).
setTimeout(() => {
  for (let i = 0; i < n; i++) push.send('' + i)
  console.log('sent ' + n + ' tasks')
  push.send('', 0, () => setTimeout(() => push.close(), 100))
}, parseInt(process.env.VENT_DELAY_MS || '1000'))
