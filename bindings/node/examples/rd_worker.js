// A worker of the router/dealer broker (REP): answers "name: request".
//   node rd_worker.js [name=w1] [port=9999] [delay_ms=10]
const zmq = require('hypobus') // the course: require('zeromq')

const name = process.argv[2] || 'w1'
const port = process.argv[3] || 9999
const delay = parseInt(process.argv[4] || '10')
let rep = zmq.socket('rep')
rep.connect('tcp://localhost:' + port)

rep.on('message', (msg) => {
  setTimeout(() => rep.send(name + ': ' + msg), delay)
})
