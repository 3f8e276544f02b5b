// The whole lab in one Node process on free loopback ports: a broker, a calc
// node, lane 1 squared by a JavaScript function, lane 2 by the library's
// built-in node, and a client asking for 12 and 13 (then 100 requests at once).
//   node lab_all.js
const hb = require('hypobus')

async function main() {
  const broker = new hb.Broker({ xsub: 'tcp://127.0.0.1:*', xpub: 'tcp://127.0.0.1:*', hb: '' })
  const brokers = broker.brokers
  const calc = new hb.CalcNode({ brokers })
  const op1 = new hb.OpNode({ lane: 1, brokers, fn: (x) => x * x })
  const op2 = new hb.OpNode({ lane: 2, brokers })
  const client = new hb.Client({ brokers })
  try {
    console.log(await client.hypot(12, 13))
    const t0 = Date.now()
    const all = await Promise.all(Array.from({ length: 100 }, (_, i) => client.hypot(3 * (i + 1), 4 * (i + 1))))
    const ok = all.every((h, i) => h === (5 * (i + 1)).toFixed(4))
    console.log('100 requests at once: ' + (ok ? 'all right' : 'WRONG') + ' in ' + (Date.now() - t0) + ' ms')
    if (!ok) process.exitCode = 1
  } finally {
    client.close()
    op2.close()
    op1.close()
    calc.close()
    broker.close()
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
