// pub/sub, a subscriber: prints what the publisher sends on one prefix.
//   node subscriber.js [prefix=uno] [port=9999] [count=0: forever]
const zmq = require('hypobus') // the course: require('zeromq')

const prefix = process.argv[2] || 'uno'
const port = process.argv[3] || 9999
const max = parseInt(process.argv[4] || '0')
let sub = zmq.socket('sub')
sub.connect('tcp://localhost:' + port)
sub.subscribe(prefix)

let n = 0
sub.on('message', (m) => {
  console.log(m + '')
  if (++n === max) sub.close()
})
