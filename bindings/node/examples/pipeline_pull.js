// push/pull pipeline 1:1, consumer: prints every message's frames until END.
//   node pipeline_pull.js [port=8000]
const zmq = require('hypobus') // the course: require('zeromq')

const port = process.argv[2] || 8000
let sock = zmq.socket('pull')
sock.connect('tcp://localhost:' + port)

sock.on('message', (...frames) => {
  if (frames.length === 1 && frames[0] == 'END') {
    console.log('done')
    sock.close()
    return
  }
  console.log('frames: ' + frames.map((f) => f.toString()).join(' | '))
})
