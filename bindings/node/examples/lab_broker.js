// The lab's broker, run from Node (XSUB for publishers, XPUB for subscribers,
// heartbeats every second).
//   node lab_broker.js [xsub=tcp://*:5555] [xpub=tcp://*:5556] [hb=tcp://127.0.0.1:5560]
const { Broker } = require('hypobus')

const broker = new Broker({ xsub: process.argv[2], xpub: process.argv[3], hb: process.argv[4] })
console.log('broker ready: ' + broker.brokers)

process.on('SIGINT', stop)
process.on('SIGTERM', stop)
function stop() {
  console.log('final broker: ' + JSON.stringify(broker.stats()))
  broker.close()
}
