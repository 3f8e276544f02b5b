'use strict';
// npm pack / npm publish: put libhypobus.so into the package (native/), so
// that the tarball installs and runs on a machine without Rust. Takes
// $HYPOBUS_LIB, else the repository's target/release/libhypobus.so,
// building it with `cargo build --release --lib` when it is missing.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const pkg = path.resolve(__dirname, '..');
const repo = path.resolve(pkg, '..', '..');
const built = path.join(repo, 'target', 'release', 'libhypobus.so');
const dest = path.join(pkg, 'native', 'libhypobus.so');

function fail(msg) {
  console.error(`hypobus prepack: ${msg}`);
  process.exit(1);
}

let src = process.env.HYPOBUS_LIB ? path.resolve(process.env.HYPOBUS_LIB) : built;
if (!fs.existsSync(src)) {
  if (process.env.HYPOBUS_LIB) fail(`HYPOBUS_LIB=${process.env.HYPOBUS_LIB} does not exist`);
  if (!fs.existsSync(path.join(repo, 'Cargo.toml')))
    fail(`${built} is missing and ${repo} is not the libhypobus repository`);
  console.error(`hypobus prepack: ${built} is missing; running cargo build --release --lib in ${repo}`);
  const r = spawnSync('cargo', ['build', '--release', '--lib'], { cwd: repo, stdio: 'inherit' });
  if (r.error) fail(`cannot run cargo (${r.error.message}): install Rust, or set HYPOBUS_LIB to a built libhypobus.so`);
  if (r.status !== 0) fail(`cargo build failed (exit ${r.status})`);
  src = built;
  if (!fs.existsSync(src)) fail(`cargo build did not produce ${built}`);
}
fs.mkdirSync(path.dirname(dest), { recursive: true });
fs.copyFileSync(src, dest);
console.error(`hypobus prepack: packed ${src} (${fs.statSync(dest).size} bytes) as native/libhypobus.so`);
