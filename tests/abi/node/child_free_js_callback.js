'use strict';
// Item 3: an op node whose operation is a JS function (koffi.register), with
// traffic, freed synchronously on the main thread while a call of the JS
// callback is pending. Must not deadlock; the program then ends by itself.
const hb = require('./hbabi');
const { koffi, f } = hb;

const l = hb.lab([2]);
let calls = 0;
const cb = koffi.register((_user, x, out) => {
  calls++;
  koffi.encode(out, 'double', x * x);
  return 0;
}, koffi.pointer(hb.OpFn));
const op = hb.out(f.op_new, l.brokers, 1, cb, null);
const client = hb.out(f.client_new, l.brokers, 0, 5000);
let answered = 0;
let freedIn = null;
const buf = Buffer.alloc(512);

function ask(i) {
  f.client_hypot.async(client, String(i), '1', 5000, buf, buf.length, [0], (err, st) => {
    if (err) throw err;
    if (st === hb.S.HB_OK) answered++;
    if (freedIn === null && calls >= 20) {
      // Traffic keeps coming (the next request is in flight), so the op
      // node's callback thread is waiting for this thread to run the JS callback.
      f.client_hypot.async(client, '7', '24', 5000, Buffer.alloc(512), 512, [0], () => {});
      {
        // Hold this thread (as a synchronous program does) until the op
        // node's callback thread waits for it to run the JS callback.
        const until = Date.now() + 5000;
        const st = { size: hb.koffi.sizeof(hb.OpStats) };
        do {
          hb.check(f.op_stats(op, st), 'op_stats');
        } while (!st.callback_running && Date.now() < until);
        if (!st.callback_running)
          throw new Error(
            'no callback became pending: ' + JSON.stringify(st, (k, v) => (typeof v === 'bigint' ? String(v) : v)),
          );
        const t0 = Date.now();
        hb.check(f.op_free(op), 'op_free');
        freedIn = Date.now() - t0;
        console.log(`freed in ${freedIn} ms after ${calls} callback calls, ${answered} answers`);
        setTimeout(() => {
          f.client_free(client);
          l.close();
        }, 50);
      }
      return;
    }
    if (freedIn === null) ask(i + 1);
  });
}
ask(1);
