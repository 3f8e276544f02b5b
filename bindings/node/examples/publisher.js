// pub/sub, the publisher: one message a second, rotating through uno, dos, tres.
//   node publisher.js [port=9999] [interval_ms=1000]
const zmq = require('hypobus') // the course: require('zeromq')

const port = process.argv[2] || 9999
const interval = parseInt(process.argv[3] || '1000')
let pub = zmq.socket('pub')
let msg = ['uno', 'dos', 'tres']
let count = 0

pub.bind('tcp://*:' + port)

function emite() {
  let m = msg[0]
  pub.send(m + ' ' + count++)
  msg.shift()
  msg.push(m) // rotate
}
setInterval(emite, interval)
