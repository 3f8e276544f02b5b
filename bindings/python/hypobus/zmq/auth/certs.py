"""CURVE certificate files (CZMQ's format), as pyzmq's zmq.auth.certs:
NAME.key (public) and NAME.key_secret (secret, mode 0600), written and
read by libhypobus (hb_cert_save, hb_cert_load)."""

import ctypes
import glob
import os

from ... import _ffi
from .. import constants as C

_KEY = 41  # HB_CURVE_KEY_SIZE: 40 characters of Z85 and a NUL


def create_certificates(key_dir, name, metadata=None):
    """Make a new key pair and write it as `key_dir/name.key` (public) and
    `key_dir/name.key_secret` (secret); returns the two paths."""
    base = os.path.join(os.fspath(key_dir), name)
    public_file, secret_file = f"{base}.key", f"{base}.key_secret"
    meta = None
    if metadata:
        meta = "\n".join(f"{k}={v}" for k, v in dict(metadata).items()).encode("utf-8")
    if _ffi.F.hb_cert_save(public_file.encode(), None, None, meta, None, 0) != _ffi.HB_OK:
        st, _, msg = _ffi.error_info(None)
        raise (OSError(msg) if st == _ffi.HB_CONFIG else ValueError(msg))
    return public_file, secret_file


def load_certificate(filename):
    """(public_key, secret_key) of a certificate file, as Z85 bytes;
    secret_key is None for a public certificate. ValueError if the file is
    not a certificate, OSError if it cannot be read."""
    pub, sec, has = ctypes.create_string_buffer(_KEY), ctypes.create_string_buffer(_KEY), ctypes.c_int32()
    path = os.fspath(filename)
    if _ffi.F.hb_cert_load(path.encode(), pub, _KEY, sec, _KEY, ctypes.byref(has)) != _ffi.HB_OK:
        st, _, msg = _ffi.error_info(None)
        if st == _ffi.HB_CONFIG:
            if not os.path.exists(path):
                raise FileNotFoundError(C.ENOENT, f"No such file or directory: {path!r}")
            raise OSError(msg)
        raise ValueError(msg)
    return pub.value, (sec.value if has.value else None)


def load_certificates(directory="."):
    """{public_key: True} for every `*.key` certificate in `directory`."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise OSError(f"Invalid certificate directory: {directory}")
    certs = {}
    for cert_file in sorted(glob.glob(os.path.join(directory, "*.key"))):
        public_key, _ = load_certificate(cert_file)
        if public_key:
            certs[public_key] = True
    return certs


__all__ = ["create_certificates", "load_certificate", "load_certificates"]
