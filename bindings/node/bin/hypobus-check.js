#!/usr/bin/env node
'use strict';
// `npx hypobus-check ROLE [options] -- COMMAND...`: the same as `hypobus check`
// (docs/CHECK.md): grade a program that plays a role of the lab. Runs the
// `hypobus` command-line tool, found as $HYPOBUS_BIN, on the PATH, or in the
// repository's target/release (running from a checkout), with the same
// arguments and exit status.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

function findTool() {
  if (process.env.HYPOBUS_BIN) return fs.existsSync(process.env.HYPOBUS_BIN) ? process.env.HYPOBUS_BIN : null;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const file = path.join(dir, 'hypobus');
    if (dir && fs.existsSync(file)) return file;
  }
  const built = path.resolve(__dirname, '..', '..', '..', 'target', 'release', 'hypobus');
  return fs.existsSync(built) ? built : null;
}

const tool = findTool();
if (!tool) {
  console.error(
    'hypobus-check: the hypobus command-line tool was not found: set $HYPOBUS_BIN, put it on the PATH, ' +
      'or build it (cargo build --release in the libhypobus repository)',
  );
  process.exit(3);
}
const r = spawnSync(tool, ['check', ...process.argv.slice(2)], { stdio: 'inherit' });
if (r.error) {
  console.error(`hypobus-check: cannot run ${tool}: ${r.error.message}`);
  process.exit(3);
}
process.exit(r.status === null ? 3 : r.status);
