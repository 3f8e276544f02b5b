'use strict';
// Item 1: a wait for a failover event pending as a koffi .async call on a
// pool thread; freeing the handle ends it at once (HB_STOPPED) and the
// program then ends by itself.
const hb = require('./hbabi');
const { f } = hb;
const fo = hb.out(
  f.failover_new,
  1,
  'tcp://127.0.0.1:*',
  'tcp://127.0.0.1:*',
  `inproc://hb-node-${process.pid}`,
  50,
  'inproc://hb-node-nobody',
  50,
  2,
  null,
  null,
  null,
);
const buf = Buffer.alloc(512);
hb.check(f.failover_next_event(fo, 5000, [0], [0], buf, buf.length, [0]), 'take-over event');
const t0 = Date.now();
f.failover_next_event.async(fo, 10000, [0], [0], buf, buf.length, [0], (err, st) => {
  if (err) throw err;
  console.log(`async next_event returned ${hb.STATUS[st]} after ${Date.now() - t0} ms`);
});
setTimeout(() => hb.check(f.failover_free(fo), 'free'), 100);
