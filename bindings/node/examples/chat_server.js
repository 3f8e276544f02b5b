// chat server: clients PUSH [nick, text]; everything is PUBlished to all.
// HI and BYE announce joins and leaves, with 'server' as the author.
//   node chat_server.js [pubPort=9998] [pullPort=9999]
const zmq = require('hypobus') // the course: require('zeromq')

const pubPort = process.argv[2] || 9998
const pullPort = process.argv[3] || 9999
let pub = zmq.socket('pub')
let pull = zmq.socket('pull')
pub.bind('tcp://*:' + pubPort)
pull.bind('tcp://*:' + pullPort)

pull.on('message', (id, txt) => {
  switch (txt.toString()) {
    case 'HI':
      pub.send(['server', id + ' connected'])
      break
    case 'BYE':
      pub.send(['server', id + ' disconnected'])
      break
    default:
      pub.send([id, txt])
  }
})
