// Hello World client (the slides' REQ): sends "Hello" ten times, prints the replies.
// All ten send() calls are made at once: zeromq.js queues them and the REQ
// socket sends each one after the previous reply.
//   node hello_client.js [port=5555] [host=localhost]
const zmq = require('hypobus') // the course: require('zeromq')

const port = process.argv[2] || 5555
const host = process.argv[3] || 'localhost'
let requester = zmq.socket('req')
let x = 0

requester.on('message', function (reply) {
  console.log('Received reply', x, ': [', reply.toString(), ']')
  x += 1
  if (x === 10) {
    requester.close()
  }
})

requester.connect('tcp://' + host + ':' + port)

for (let i = 0; i < 10; i++) {
  console.log('Sending request', i, '...')
  requester.send('Hello')
}
