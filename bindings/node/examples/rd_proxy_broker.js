// router/dealer broker with zmq.proxy(): the same as rd_broker.js, the
// forwarding done by the library (zmq_proxy) instead of two listeners.
//   node rd_proxy_broker.js [frontPort=9998] [backPort=9999]
const zmq = require('hypobus') // the course: require('zeromq')

const frontPort = process.argv[2] || 9998
const backPort = process.argv[3] || 9999
let frontend = zmq.socket('router')
let backend = zmq.socket('dealer')
frontend.bindSync('tcp://*:' + frontPort)
backend.bindSync('tcp://*:' + backPort)

zmq.proxy(frontend, backend)

process.on('SIGTERM', () => {
  frontend.close()
  backend.close()
})
