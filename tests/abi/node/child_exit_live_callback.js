'use strict';
// A program that ends (process.exit) while an op node whose operation is a
// JS function is busy: nothing freed, a callback call pending. Must exit 0.
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
function ask(i) {
  f.client_hypot.async(client, String(i), '1', 5000, Buffer.alloc(512), 512, [0], () => {
    if (calls >= 10) {
      f.client_hypot.async(client, '7', '24', 5000, Buffer.alloc(512), 512, [0], () => {});
      const st = { size: hb.koffi.sizeof(hb.OpStats) };
      const until = Date.now() + 5000;
      do hb.check(f.op_stats(op, st), 'op_stats');
      while (!st.callback_running && Date.now() < until);
      console.log(`exiting with a callback pending: ${st.callback_running}`);
      process.exit(0);
    }
    ask(i + 1);
  });
}
ask(1);
