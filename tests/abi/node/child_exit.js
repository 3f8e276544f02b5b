'use strict';
// Item 4: load the library, run a lab and a client, print the answer and let
// the program end by itself with everything still running. Must exit 0.
const hb = require('./hbabi');
const l = hb.lab();
const client = hb.out(hb.f.client_new, l.brokers, 0, 5000);
const buf = Buffer.alloc(512);
hb.check(hb.f.client_hypot(client, '12', '13', 5000, buf, buf.length, [0]), 'hypot');
console.log(hb.text(buf));
