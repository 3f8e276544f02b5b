// req/rep client: connects to every port given (two ports = 1:n, requests
// go round robin), sends n requests at once (queued, one per reply),
// prints the replies, and closes.
//   node reqrep_client.js [n=6] [name=client] [port=9999 ...]
const zmq = require('hypobus') // the course: require('zeromq')

const n = parseInt(process.argv[2] || '6')
const name = process.argv[3] || 'client'
const ports = process.argv.length > 4 ? process.argv.slice(4) : ['9999']
let req = zmq.socket('req')
for (const port of ports) req.connect('tcp://localhost:' + port)

let replies = 0
req.on('message', (msg) => {
  console.log('reply: ' + msg)
  if (++replies === n) req.close()
})

for (let i = 0; i < n; i++) req.send(name + ' request ' + i)
