'use strict';
// Keeping strangers out of the lab (docs/SECURITY.md): CURVE keys for the
// roles this process starts (setCurve), CZMQ certificate files (keygen,
// loadCertificate), and the library's ZAP authenticator for the generic
// sockets (Authenticator), as lib/../python hypobus.security.
const ffi = require('./ffi');
const { HandleOwner } = require('./owner');
const { stats, optStr } = require('./util');

const KEY = ffi.HB_CURVE_KEY_SIZE;

/**
 * CURVE for every role this process starts from now on (hb_curve_set_default):
 * `cert` this process's secret certificate file (or Z85 secret key),
 * `server` the brokers' certificate file (or Z85 public key), `allow`
 * (brokers) a directory of the allowed clients' certificates. No argument:
 * CURVE off again.
 */
function setCurve({ cert, server, allow } = {}) {
  ffi.check(
    ffi.fn.hb_curve_set_default(optStr(cert, 'cert'), optStr(server, 'server'), optStr(allow, 'allow')),
    'hb_curve_set_default',
    null,
  );
}

/** Write a new certificate pair, `path` (public) and `path`_secret (mode 0600); returns the public key. */
function keygen(path, metadata = {}) {
  const meta = Object.entries(metadata)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  const out = Buffer.alloc(KEY);
  ffi.check(ffi.fn.hb_cert_save(path, null, null, meta || null, out, KEY), 'hb_cert_save', null);
  return ffi.cstr(out);
}

/** {public, secret} of a certificate file (Z85 strings; secret null in a public file). */
function loadCertificate(path) {
  const pub = Buffer.alloc(KEY);
  const sec = Buffer.alloc(KEY);
  const has = [0];
  ffi.check(ffi.fn.hb_cert_load(path, pub, KEY, sec, KEY, has), 'hb_cert_load', null);
  return { public: ffi.cstr(pub), secret: has[0] ? ffi.cstr(sec) : null };
}

function list(v, what) {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.join(',');
  return optStr(v, what);
}

/**
 * The library's ZAP authenticator for this process's generic sockets that
 * are CURVE or PLAIN servers: new Authenticator({curveDir}) (these CURVE
 * clients), {curveAny: true}, {allow: ['127.0.0.1']} or {deny: [...]},
 * {passwords: 'users.txt'} (PLAIN, user=password lines). One per process.
 */
class Authenticator extends HandleOwner {
  constructor(opts = {}) {
    super('Authenticator', 'hb_auth_free');
    const cfg = {
      size: ffi.koffi.sizeof(ffi.AuthConfig),
      curve_any: opts.curveAny ? 1 : 0,
      allow: list(opts.allow, 'allow'),
      deny: list(opts.deny, 'deny'),
      passwords: optStr(opts.passwords, 'passwords'),
      curve_dir: optStr(opts.curveDir, 'curveDir'),
    };
    this._h = ffi.create('hb_auth_new', cfg);
  }

  /** Read the files again; on an error the old rules stay (and it throws). */
  reload() {
    ffi.check(ffi.fn.hb_auth_reload(this._handle('reload')), 'hb_auth_reload', this._h);
    return this;
  }

  /** {allowed, denied, reloads}. */
  stats() {
    return stats('hb_auth_stats', ffi.AuthStats, this._handle('stats'));
  }
}

module.exports = { setCurve, keygen, loadCertificate, Authenticator };
