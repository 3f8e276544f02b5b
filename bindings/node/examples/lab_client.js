// The lab's client: asks for the hypotenuse of a and b and prints it.
//   node lab_client.js [a=12] [b=13] [brokers=127.0.0.1]
const { Client } = require('hypobus')

const a = process.argv[2] || '12'
const b = process.argv[3] || '13'
const brokers = process.argv[4] || process.env.HB_BROKERS || '127.0.0.1'
const client = new Client({ brokers })

client.hypot(a, b).then(
  (h) => {
    console.log(h)
    client.close()
  },
  (err) => {
    console.error('error: ' + err.message + ' (' + err.code + ')')
    client.close()
    process.exitCode = 1
  },
)
