// A client of a broker (REQ): sends n requests (queued, one per reply), prints the replies.
//   node rd_client.js [name=c1] [port=9998] [n=4]
const zmq = require('hypobus') // the course: require('zeromq')

const name = process.argv[2] || 'c1'
const port = process.argv[3] || 9998
const n = parseInt(process.argv[4] || '4')
let req = zmq.socket('req')
req.connect('tcp://localhost:' + port)

let got = 0
req.on('message', (msg) => {
  console.log(name + ' got [' + msg + ']')
  if (++got === n) req.close()
})
for (let i = 0; i < n; i++) req.send(name + '-' + i)
