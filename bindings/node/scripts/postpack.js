'use strict';
// After npm pack: remove the copy of the library made by prepack, so that in
// the repository the package keeps loading target/release (the fresh build)
// rather than a copy that would go stale.
const fs = require('node:fs');
const path = require('node:path');

fs.rmSync(path.resolve(__dirname, '..', 'native'), { recursive: true, force: true });
