"""zmq.utils.jsonapi: JSON as bytes (dumps gives UTF-8 bytes, loads takes bytes or str)."""

import json

jsonmod = json


def dumps(o, **kwargs):
    """JSON of `o` as UTF-8 bytes (non-ASCII kept as is)."""
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(o, **kwargs).encode("utf8")


def loads(s, **kwargs):
    """The object of JSON text given as bytes (UTF-8) or str."""
    if isinstance(s, (bytes, bytearray, memoryview)):
        s = bytes(s).decode("utf8")
    return json.loads(s, **kwargs)


__all__ = ["dumps", "loads", "jsonmod"]
