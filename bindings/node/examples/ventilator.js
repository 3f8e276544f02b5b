// push/pull pipeline 1:n:1, the source: fans n tasks out to the workers.
// PUSH spreads messages over the workers connected at the time, so it waits
// for them first: for `workers` connections (seen with monitor(): the
// 'handshake' event, an addition of hypobus to v5's events), or one second
// when that number is not given.
//   node ventilator.js [port=8000] [n=30] [workers]
const zmq = require('hypobus') // the course: require('zeromq')

const port = process.argv[2] || 8000
const n = parseInt(process.argv[3] || '30')
const workers = parseInt(process.argv[4] || '0')
let push = zmq.socket('push')

function go() {
  for (let i = 0; i < n; i++) push.send('' + i)
  console.log('sent ' + n + ' tasks')
  push.send('', 0, () => setTimeout(() => push.close(), 100))
}

if (workers > 0) {
  let connected = 0
  push.on('handshake', () => {
    if (++connected === workers) {
      push.unmonitor()
      go()
    }
  })
  push.monitor()
  push.bindSync('tcp://*:' + port)
} else {
  push.bindSync('tcp://*:' + port)
  setTimeout(go, 1000)
}
