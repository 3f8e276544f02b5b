'use strict';
// A program that ends (process.exit) while an op node whose operation is a
// JS function is busy: nothing freed, a callback call pending. Must exit 0.
const hb = require('./hbabi');
const { f } = hb;
const js = hb.jsOpLab();
function ask(i) {
  f.client_hypot.async(js.client, String(i), '1', 5000, Buffer.alloc(512), 512, [0], () => {
    if (js.calls >= 10) {
      f.client_hypot.async(js.client, '7', '24', 5000, Buffer.alloc(512), 512, [0], () => {});
      const st = hb.holdUntilCallbackPending(js.op);
      console.log(`exiting with a callback pending: ${st.callback_running}`);
      process.exit(0);
    }
    ask(i + 1);
  });
}
ask(1);
