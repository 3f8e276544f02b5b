// router/router load-balancing broker: workers are REQ sockets that announce
// themselves with an empty request; the broker keeps a queue of ready
// workers and a queue of pending requests.
// Frames: [client, '', request] from a client; [worker, '', client, '', request]
// to a worker; [worker, '', client, '', reply] from a worker.
//   node lb_broker.js [frontPort=9998] [backPort=9999]
const zmq = require('hypobus') // the course: require('zeromq')

const frontPort = process.argv[2] || 9998
const backPort = process.argv[3] || 9999
let cli = [],
  req = [],
  workers = []
let sc = zmq.socket('router') // frontend
let sw = zmq.socket('router') // backend
sc.bind('tcp://*:' + frontPort)
sw.bind('tcp://*:' + backPort)

sc.on('message', (c, sep, m) => {
  if (workers.length == 0) {
    cli.push(c)
    req.push(m)
  } else {
    sw.send([workers.shift(), '', c, '', m])
  }
})

sw.on('message', (w, sep, c, sep2, r) => {
  if (c == '') {
    // a new worker announces itself
    if (cli.length > 0) {
      // requests came before any worker: the new one takes the first
      sw.send([w, '', cli.shift(), '', req.shift()])
    } else {
      workers.push(w)
    }
    return
  }
  if (cli.length > 0) {
    sw.send([w, '', cli.shift(), '', req.shift()])
  } else {
    workers.push(w)
  }
  sc.send([c, '', r])
})
