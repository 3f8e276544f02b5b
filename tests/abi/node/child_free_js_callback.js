'use strict';
// Item 3: an op node whose operation is a JS function (koffi.register), with
// traffic, freed synchronously on the main thread while a call of the JS
// callback is pending. Must not deadlock; the program then ends by itself.
const hb = require('./hbabi');
const { f } = hb;

const js = hb.jsOpLab();
const { l, op, client } = js;
let answered = 0;
let freedIn = null;
const buf = Buffer.alloc(512);

function ask(i) {
  f.client_hypot.async(client, String(i), '1', 5000, buf, buf.length, [0], (err, st) => {
    if (err) throw err;
    if (st === hb.S.HB_OK) answered++;
    if (freedIn === null && js.calls >= 20) {
      // Traffic keeps coming (the next request is in flight), so the op
      // node's callback thread is waiting for this thread to run the JS callback.
      f.client_hypot.async(client, '7', '24', 5000, Buffer.alloc(512), 512, [0], () => {});
      const stats = hb.holdUntilCallbackPending(op);
      if (!stats.callback_running)
        throw new Error(
          'no callback became pending: ' + JSON.stringify(stats, (k, v) => (typeof v === 'bigint' ? String(v) : v)),
        );
      const t0 = Date.now();
      hb.check(f.op_free(op), 'op_free');
      freedIn = Date.now() - t0;
      console.log(`freed in ${freedIn} ms after ${js.calls} callback calls, ${answered} answers`);
      setTimeout(() => {
        f.client_free(client);
        l.close();
      }, 50);
      return;
    }
    if (freedIn === null) ask(i + 1);
  });
}
ask(1);
