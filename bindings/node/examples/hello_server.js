// Hello World server (the slides' REP): binds, answers "World" to every request.
//   node hello_server.js [port=5555]
const zmq = require('hypobus') // the course: require('zeromq')

const port = process.argv[2] || 5555
let rep = zmq.socket('rep')

rep.bind('tcp://*:' + port, function (err) {
  if (err) throw err
  console.log('Listening on ' + port + '...')
})

rep.on('message', function (request) {
  console.log('Received request: [' + request.toString() + ']')
  setTimeout(function () {
    rep.send('World')
  }, 1)
})

process.on('SIGINT', function () {
  rep.close()
})
