'use strict';
// Whole-process behaviour: an idle subscriber uses no CPU, programs end by
// themselves once their sockets are closed (no SIGSEGV, no hang), and the
// library is found, or not found, with a clear error.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const hb = require('hypobus');
const { PKG, start, exited, stopAll, waitOutput } = require('./helpers');

test.after(stopAll);

const fixture = (name) => path.join(__dirname, 'fixtures', name);

for (const roles of [false, true]) {
  test(`an idle subscriber (REQ, monitor${roles ? ', op node and client' : ''}) uses < 2 % of a core over 2 s`, async () => {
    const pub = hb.socket('pub');
    pub.bindSync('tcp://127.0.0.1:*');
    try {
      const child = start(process.execPath, [fixture('idle_subscriber.js'), pub.last_endpoint, roles ? 'roles' : ''], {
        cwd: PKG,
      });
      const r = await exited(child, 15000);
      assert.deepStrictEqual(r, { code: 0, signal: null }, child.err);
      const m = JSON.parse(child.out.split('\n')[0]);
      const share = (m.userUs + m.systemUs) / m.wallUs;
      assert.ok(m.wallUs >= 1.9e6, JSON.stringify(m));
      assert.ok(share < 0.02, `idle CPU ${(share * 100).toFixed(2)} % of a core: ${JSON.stringify(m)}`);
      if (roles) assert.strictEqual(child.out.split('\n')[1], 'HB_STOPPED', 'the pending hypot ends with the client');
    } finally {
      pub.close();
    }
  });
}

for (const mode of ['close', 'exit', 'unref']) {
  test(`a program with every socket type and role exits by itself (${mode}), 3 runs`, async () => {
    for (let i = 0; i < 3; i++) {
      const child = start(process.execPath, [fixture('exit_clean.js'), mode], { cwd: PKG });
      const r = await exited(child, 15000);
      assert.deepStrictEqual(r, { code: 0, signal: null }, `run ${i}: ${child.out}\n${child.err}`);
      assert.match(child.out, /got hello\n17\.6918\n/);
      assert.strictEqual(child.err, '');
    }
  });
}

test("signals interrupting the calls (the profiler's SIGPROF, HB_INTERRUPTED) lose nothing", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hypobus-prof-'));
  try {
    const child = start(
      process.execPath,
      ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', tmp, fixture('under_signals.js')],
      { cwd: PKG },
    );
    const r = await exited(child, 90000);
    assert.deepStrictEqual(r, { code: 0, signal: null }, child.err);
    assert.strictEqual(child.out, 'flood true\npingpong true\nlab true\n');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('without a reachable library, the error names every path tried', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hypobus-nolib-'));
  try {
    const pkg = path.join(tmp, 'a', 'b', 'pkg');
    fs.mkdirSync(path.join(pkg, 'lib'), { recursive: true });
    for (const f of fs.readdirSync(path.join(PKG, 'lib')))
      fs.copyFileSync(path.join(PKG, 'lib', f), path.join(pkg, 'lib', f));
    fs.symlinkSync(path.join(PKG, 'node_modules'), path.join(pkg, 'node_modules'));
    const r = spawnSync(process.execPath, ['-e', "require('./lib/ffi.js')"], {
      cwd: pkg,
      encoding: 'utf8',
      env: { ...process.env, HYPOBUS_LIB: path.join(tmp, 'missing.so') },
      timeout: 15000,
    });
    assert.notStrictEqual(r.status, 0);
    assert.ok(
      r.stderr.includes(`cannot load libhypobus.so on ${process.platform}-${process.arch}; tried, in order`),
      r.stderr,
    );
    assert.match(r.stderr, /the prebuilt package @hypobus\/linux-(x64|arm64) for linux-(x64|arm64): not installed/);
    assert.ok(r.stderr.includes(`${path.join(tmp, 'missing.so')} (HYPOBUS_LIB): not found`), r.stderr);
    assert.ok(
      r.stderr.includes(`${path.join(pkg, 'native', 'libhypobus.so')} (the copy in the package): not found`),
      r.stderr,
    );
    assert.ok(
      r.stderr.includes(
        `${path.join(tmp, 'a', 'target', 'release', 'libhypobus.so')} (the repository's target/release): not found`,
      ),
      r.stderr,
    );
    assert.match(r.stderr, /HB_LIBRARY_NOT_FOUND|HYPOBUS_LIB/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('a library of another ABI major version is refused at load', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hypobus-abi-'));
  try {
    const c = path.join(tmp, 'fake.c');
    fs.writeFileSync(
      c,
      '#include <stdint.h>\nint32_t hb_abi_version(uint32_t *a, uint32_t *b) { if (a) *a = 2; if (b) *b = 0; return 0; }\n',
    );
    const so = path.join(tmp, 'libfake.so');
    const g = spawnSync('gcc', ['-shared', '-fPIC', '-o', so, c], { encoding: 'utf8' });
    assert.strictEqual(g.status, 0, g.stderr);
    const r = spawnSync(process.execPath, ['-e', "require('hypobus')"], {
      cwd: PKG,
      encoding: 'utf8',
      env: { ...process.env, HYPOBUS_LIB: so },
      timeout: 15000,
    });
    assert.notStrictEqual(r.status, 0);
    assert.match(r.stderr, /has C ABI 2\.0; this package needs 1\.x/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('HYPOBUS_LIB is the first place looked at', async () => {
  const lib = path.resolve(PKG, '..', '..', 'target', 'release', 'libhypobus.so');
  const child = start(process.execPath, ['-e', "console.log(require('hypobus').libraryPath)"], {
    cwd: PKG,
    env: { ...process.env, HYPOBUS_LIB: lib },
  });
  await waitOutput(child, /\S+/);
  await exited(child);
  assert.strictEqual(child.out.trim(), lib);
});

test('every name index.d.ts declares is exported', () => {
  const dts = fs.readFileSync(path.join(PKG, 'index.d.ts'), 'utf8');
  const names = [...dts.matchAll(/^export (?:declare )?(?:const|function|class) (\w+)/gm)].map((m) => m[1]);
  assert.ok(names.length > 100, `${names.length} names`);
  const missing = names.filter((n) => !(n in hb));
  assert.deepStrictEqual(missing, []);
});
