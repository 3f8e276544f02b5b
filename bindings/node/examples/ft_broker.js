// Fault-tolerant router/router broker: the load-balancing broker plus an
// answer timeout per dispatched request. When it fires, the worker is taken
// as failed (its late answers are ignored) and the request goes to another
// worker.
//   node ft_broker.js [frontPort=9998] [backPort=9999] [timeout_ms=1000]
const zmq = require('hypobus') // the course: require('zeromq')

const frontPort = process.argv[2] || 9998
const backPort = process.argv[3] || 9999
const TIMEOUT = parseInt(process.argv[4] || '1000')
let pending = [] // requests waiting for a worker: [client, request]
let ready = [] // workers ready for a request
let busy = {} // worker -> {client, request, timer}
let failed = {} // workers that timed out
let sc = zmq.socket('router')
let sw = zmq.socket('router')
sc.bind('tcp://*:' + frontPort)
sw.bind('tcp://*:' + backPort)

function dispatch(w, c, m) {
  const timer = setTimeout(() => {
    // No answer in time: the worker is failed, the request goes to another.
    console.log('worker ' + w + ' timed out; resending ' + m)
    failed[w] = true
    delete busy[w]
    send(c, m)
  }, TIMEOUT)
  busy[w] = { c: c, m: m, timer: timer }
  sw.send([w, '', c, '', m])
}

function send(c, m) {
  if (ready.length > 0) dispatch(ready.shift(), c, m)
  else pending.push([c, m])
}

sc.on('message', (c, sep, m) => send(c, m))

sw.on('message', (w, sep, c, sep2, r) => {
  if (failed[w]) return // a late answer of a failed worker: ignored
  if (c == '') {
    // registration
    console.log('worker ' + w + ' ready')
    ready.push(w)
  } else {
    const job = busy[w]
    if (!job) return
    clearTimeout(job.timer)
    delete busy[w]
    sc.send([c, '', r])
    ready.push(w)
  }
  if (pending.length > 0 && ready.length > 0) {
    const [pc, pm] = pending.shift()
    dispatch(ready.shift(), pc, pm)
  }
})
