// router/dealer broker: clients (REQ) connect to the ROUTER frontend,
// workers (REP) to the DEALER backend; messages are passed through as they
// come, so requests go round robin to the workers, asynchronously.
//   node rd_broker.js [frontPort=9998] [backPort=9999]
const zmq = require('hypobus') // the course: require('zeromq')

const frontPort = process.argv[2] || 9998
const backPort = process.argv[3] || 9999
let sc = zmq.socket('router') // frontend
let sw = zmq.socket('dealer') // backend
sc.bind('tcp://*:' + frontPort)
sw.bind('tcp://*:' + backPort)

sc.on('message', (...m) => sw.send(m))
sw.on('message', (...m) => sc.send(m))
