// A task client with many requests in flight: submits N requests at once,
// then takes the results as they come (for await ... of client.results()),
// and counts which worker answered. Lazy pirate underneath: a request
// unanswered for timeoutMs is sent again with its id, and gives up after
// `tries` sends.
//   node task_client.js [frontend=tcp://127.0.0.1:5570] [n=100] [service]
const { TaskClient } = require('hypobus')

const [frontend = 'tcp://127.0.0.1:5570', n = '100', service] = process.argv.slice(2)

async function main() {
  const client = new TaskClient({ broker: frontend, timeoutMs: 2500, tries: 3 })
  const sent = new Map()
  for (let i = 0; i < parseInt(n); i++) sent.set(client.submit('task ' + i, { service }), 'TASK ' + i)
  let ok = 0,
    failed = 0
  const by = {}
  for await (const r of client.results()) {
    if (!r.ok) {
      failed++
      console.log(r.id + ': ' + r.outcome + ': ' + r.error)
      continue
    }
    const [who, text] = r.body.toString().split(':')
    if (!text.startsWith(sent.get(r.id))) failed++ // not the answer to this request
    by[who] = (by[who] || 0) + 1
    ok++
  }
  console.log(ok + ' results, ' + failed + ' failed')
  for (const [who, k] of Object.entries(by).sort()) console.log(who + ': ' + k)
  client.close()
  process.exitCode = failed || ok !== parseInt(n) ? 1 : 0
}
main()
