// chat client: lines typed on stdin go to the server; prints what everyone says.
// Says HI at start and BYE when stdin ends (or on Ctrl-C).
//   node chat_client.js nick [pubPort=9998] [pushPort=9999] [host=localhost]
const zmq = require('hypobus') // the course: require('zeromq')

const nick = process.argv[2] || 'anon'
const pubPort = process.argv[3] || 9998
const pushPort = process.argv[4] || 9999
const host = process.argv[5] || 'localhost'
let sub = zmq.socket('sub')
let psh = zmq.socket('push')
sub.connect('tcp://' + host + ':' + pubPort)
psh.connect('tcp://' + host + ':' + pushPort)
sub.subscribe('')

sub.on('message', (who, m) => {
  console.log('[' + who + '] ' + m)
})

process.stdin.resume()
process.stdin.setEncoding('utf8')
process.stdin.on('data', (str) => {
  for (const line of str.split('\n')) if (line) psh.send([nick, line])
})
process.stdin.on('end', () => {
  psh.send([nick, 'BYE'])
  sub.close()
  psh.close()
})
process.on('SIGINT', () => {
  process.stdin.end()
  process.stdin.emit('end')
})

psh.send([nick, 'HI'])
