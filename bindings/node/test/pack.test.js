'use strict';
// The package as a user gets it: `npm pack` carries libhypobus.so, and the
// tarball installs in an empty folder and runs an example on a machine
// without Rust (no cargo on PATH, no repository around).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { PKG } = require('./helpers');

const NODE_DIR = path.dirname(process.execPath);

/** A PATH with node and the system tools, and no directory that holds cargo. */
function pathWithoutCargo() {
  const dirs = [NODE_DIR, '/usr/local/bin', '/usr/bin', '/bin'];
  return dirs.filter((d) => !fs.existsSync(path.join(d, 'cargo'))).join(':');
}

/** The environment of a machine without Rust: npm's own settings and proxies kept, PATH without cargo. */
function bareEnv(tmp) {
  const env = { HOME: process.env.HOME || tmp, PATH: pathWithoutCargo() };
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_config_/i.test(k) || /^(https?|no)_proxy$/i.test(k)) env[k] = v;
  }
  if (!env.npm_config_cache) env.npm_config_cache = path.join(os.homedir(), '.npm');
  return env;
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 180000, ...opts });
  if (r.error) throw r.error;
  return r;
}

test('npm pack, then npm install of the tarball in an empty folder without cargo, then an example', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hypobus-pack-'));
  try {
    const npm = path.join(NODE_DIR, 'npm');
    const packed = run(npm, ['pack', '--pack-destination', tmp, '--json', '--loglevel=error'], { cwd: PKG });
    assert.strictEqual(packed.status, 0, packed.stderr);
    const info = JSON.parse(packed.stdout)[0];
    const files = info.files.map((f) => f.path);
    for (const f of [
      'native/libhypobus.so',
      'index.js',
      'index.d.ts',
      'lib/ffi.js',
      'lib/socket.js',
      'examples/lab_all.js',
      'README.md',
    ]) {
      assert.ok(files.includes(f), `${f} is not in the tarball: ${files.join(', ')}`);
    }
    assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/')), files.join(', '));
    assert.ok(!fs.existsSync(path.join(PKG, 'native')), 'postpack removes the copy from the repository');
    const tgz = path.join(tmp, info.filename);

    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    const env = bareEnv(tmp);
    const which = run('sh', ['-c', 'command -v cargo || echo none'], { env });
    assert.strictEqual(which.stdout.trim(), 'none', 'cargo must not be reachable');
    const inst = run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tgz], {
      cwd: app,
      env,
    });
    assert.strictEqual(inst.status, 0, inst.stdout + inst.stderr);

    const installed = path.join(app, 'node_modules', 'hypobus');
    assert.ok(fs.existsSync(path.join(installed, 'native', 'libhypobus.so')));
    const where = run(process.execPath, ['-e', "console.log(require('hypobus').libraryPath)"], { cwd: app, env });
    assert.strictEqual(where.status, 0, where.stderr);
    assert.strictEqual(where.stdout.trim(), fs.realpathSync(path.join(installed, 'native', 'libhypobus.so')));

    const ex = run(process.execPath, [path.join(installed, 'examples', 'lab_all.js')], {
      cwd: app,
      env,
      timeout: 30000,
    });
    assert.strictEqual(ex.status, 0, ex.stdout + ex.stderr);
    assert.match(ex.stdout, /^17\.6918\n100 requests at once: all right/);

    // a course program copied next to the user's own code
    fs.copyFileSync(path.join(installed, 'examples', 'lab_all.js'), path.join(app, 'mine.js'));
    const mine = run(process.execPath, ['mine.js'], { cwd: app, env, timeout: 30000 });
    assert.strictEqual(mine.status, 0, mine.stderr);
    assert.match(mine.stdout, /^17\.6918\n/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(path.join(PKG, 'native'), { recursive: true, force: true });
  }
});

test('npm install ./bindings/node (the folder) needs no compiler and loads the repository build', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hypobus-folder-'));
  try {
    const npm = path.join(NODE_DIR, 'npm');
    const env = bareEnv(tmp);
    const inst = run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', PKG], {
      cwd: tmp,
      env,
    });
    assert.strictEqual(inst.status, 0, inst.stdout + inst.stderr);
    const r = run(
      process.execPath,
      ['-e', "const h = require('hypobus'); console.log(h.libraryPath); console.log(h.socket('req').close().closed)"],
      { cwd: tmp, env },
    );
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(r.stdout.trim().split('\n'), [
      path.resolve(PKG, '..', '..', 'target', 'release', 'libhypobus.so'),
      'true',
    ]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
