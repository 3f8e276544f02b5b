// req/rep server: answers every request with its own name and the request.
// Run one for 1:1 and n:1, two (on two ports) for 1:n.
//   node reqrep_server.js [port=9999] [name=server]
const zmq = require('hypobus') // the course: require('zeromq')

const port = process.argv[2] || 9999
const name = process.argv[3] || 'server'
let rep = zmq.socket('rep')
rep.bind('tcp://*:' + port)

rep.on('message', (msg) => {
  console.log(name + ' received ' + msg)
  rep.send(name + ': ' + msg)
})
