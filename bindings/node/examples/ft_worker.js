// A worker of the fault-tolerant broker (as lb_worker.js); with a third
// argument it stops answering after that many requests (a worker that hangs).
//   node ft_worker.js [name=W1] [port=9999] [answers=forever]
const zmq = require('hypobus') // the course: require('zeromq')

const name = process.argv[2] || 'W1'
const port = process.argv[3] || 9999
const answers = process.argv[4] === undefined ? Infinity : parseInt(process.argv[4])
let req = zmq.socket('req')
req.identity = name
req.connect('tcp://localhost:' + port)

let served = 0
req.on('message', (c, sep, msg) => {
  if (served++ >= answers) {
    console.log(name + ' hangs on ' + msg)
    return // never answers: the broker times out and resends
  }
  req.send([c, '', msg + ' by ' + name])
})

req.send(['', '', ''])
