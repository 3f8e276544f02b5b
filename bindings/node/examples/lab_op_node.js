// The lab's operation node with a JavaScript function as the operation:
// squares the values of one lane. BigInt makes integer squares exact at any
// size; a bad value ('abc') throws, which the node answers as an error (the
// calc node then computes that square itself) -- it never takes the node down.
//   node lab_op_node.js [lane=1] [brokers=127.0.0.1]
// brokers: "HOST[:XSUB:XPUB],..." or "tcp://H:P1|tcp://H:P2" (see the README)
const { OpNode } = require('hypobus')

const lane = parseInt(process.argv[2] || '1')
const brokers = process.argv[3] || process.env.HB_BROKERS || '127.0.0.1'

function square(x, text) {
  if (/^\d+$/.test(text)) return BigInt(text) * BigInt(text) // exact
  if (!Number.isFinite(x) || x < 0) throw new Error('not a length: ' + text)
  return x * x
}

const op = new OpNode({ lane, brokers, fn: square })
console.log('op node (JavaScript) serving lane ' + lane + ' via ' + brokers)

process.on('SIGINT', stop)
process.on('SIGTERM', stop)
function stop() {
  console.log('final op: ' + JSON.stringify(op.stats()))
  op.close()
}
