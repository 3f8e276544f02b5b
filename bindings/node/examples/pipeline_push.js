// push/pull pipeline 1:1, producer: sends n messages of three frames.
//   node pipeline_push.js [port=8000] [n=5]
const zmq = require('hypobus') // the course: require('zeromq')

const port = process.argv[2] || 8000
const n = parseInt(process.argv[3] || '5')
let sock = zmq.socket('push')
sock.bind('tcp://*:' + port)

for (let i = 0; i < n; i++) {
  sock.send(['task', i, 'from push']) // one message, three frames
}
console.log('sent ' + n + ' messages')
// Close once the last one has gone (v5 keeps unsent messages in the socket).
sock.send('END', 0, () => setTimeout(() => sock.close(), 100))
