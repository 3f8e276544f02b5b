'use strict';
// Helpers shared by the roles (lib/roles.js) and the task brokers
// (lib/task.js): option checks, stats readers, error texts.
const ffi = require('./ffi');

function num(v) {
  return typeof v === 'bigint' ? Number(v) : v;
}

function toCamel(k) {
  return k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

/** A stats struct as a plain object: camelCase names, numbers, without size and reserved. */
function plain(struct) {
  const out = {};
  for (const [k, v] of Object.entries(struct)) if (k !== 'size' && k !== 'reserved') out[toCamel(k)] = num(v);
  return out;
}

/** Read a stats struct with `fn[name](h, &struct)`, as a plain object. */
function stats(name, Struct, h) {
  const s = { size: ffi.koffi.sizeof(Struct) };
  ffi.check(ffi.fn[name](h, s), name, h);
  return plain(s);
}

function optStr(v, what) {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new TypeError(`${what} must be a string`);
  return v;
}

function optUint(v, what, dflt = 0) {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new TypeError(`${what} must be a non-negative integer`);
  return v;
}

const CURVE_KEYS = new Set(['cert', 'server', 'allow']);

/**
 * A role's `curve` option as the `curve` field of its config struct
 * (hb_curve_config_t): undefined / null = the process default (setCurve);
 * {cert, server, allow} = exactly these keys for this role ({} = CURVE off).
 */
function curveOpt(v) {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new TypeError('curve must be an object {cert, server, allow} or null');
  for (const k of Object.keys(v))
    if (!CURVE_KEYS.has(k)) throw new TypeError(`curve: unknown key '${k}' (cert, server, allow)`);
  return {
    size: ffi.koffi.sizeof(ffi.CurveConfig),
    reserved: 0,
    cert: optStr(v.cert, 'curve.cert'),
    server: optStr(v.server, 'curve.server'),
    allow: optStr(v.allow, 'curve.allow'),
  };
}

/** The text of a failure thrown (or rejected) by user code: an Error's message, else the value as a string. */
function reasonOf(e, fallback) {
  if (e instanceof Error) return e.message || e.name || fallback;
  const s = String(e);
  return s || fallback;
}

module.exports = { num, toCamel, plain, stats, optStr, optUint, curveOpt, reasonOf };
