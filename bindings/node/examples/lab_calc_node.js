// The lab's calculation node, run from Node: catheti in, hypotenuse out.
//   node lab_calc_node.js [brokers=127.0.0.1]
const { CalcNode } = require('hypobus')

const brokers = process.argv[2] || process.env.HB_BROKERS || '127.0.0.1'
const calc = new CalcNode({ brokers })
console.log('calc node serving via ' + brokers)

process.on('SIGINT', stop)
process.on('SIGTERM', stop)
function stop() {
  console.log('final calc: ' + JSON.stringify(calc.stats()))
  calc.close()
}
