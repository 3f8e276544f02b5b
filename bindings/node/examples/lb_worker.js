// A worker of the router/router broker: a REQ socket with an identity that
// announces itself with ['', '', ''] (REQ adds the delimiter, so the broker
// gets [identity, '', '', '', '']) and then answers every request.
//   node lb_worker.js [name=W1] [port=9999] [delay_ms=10]
const zmq = require('hypobus') // the course: require('zeromq')

const name = process.argv[2] || 'W1'
const port = process.argv[3] || 9999
const delay = parseInt(process.argv[4] || '10')
let req = zmq.socket('req')
req.identity = name + process.pid
req.connect('tcp://localhost:' + port)

req.on('message', (c, sep, msg) => {
  setTimeout(() => {
    req.send([c, '', msg + ' by ' + name])
  }, delay)
})

req.send(['', '', ''])
