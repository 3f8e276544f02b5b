"""zmq.utils.z85: ZeroMQ's Base-85 (ZMQ RFC 32), as CURVE keys are printed:
4 bytes become 5 characters of a fixed alphabet, big-endian."""

import struct

Z85CHARS = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
Z85MAP = {c: i for i, c in enumerate(Z85CHARS)}

_85s = [85**i for i in range(5)][::-1]


def encode(rawbytes):
    """Z85 text (bytes) of `rawbytes`, whose length must be a multiple of 4."""
    rawbytes = bytes(rawbytes)
    if len(rawbytes) % 4:
        raise ValueError(f"length must be multiple of 4, not {len(rawbytes)}")
    out = bytearray()
    for (word,) in struct.iter_unpack(">I", rawbytes):
        for p in _85s:
            out.append(Z85CHARS[(word // p) % 85])
    return bytes(out)


def decode(z85bytes):
    """The bytes of Z85 text (bytes or ASCII str), whose length must be a multiple of 5."""
    if isinstance(z85bytes, str):
        try:
            z85bytes = z85bytes.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("string argument should contain only ASCII characters") from None
    z85bytes = bytes(z85bytes)
    if len(z85bytes) % 5:
        raise ValueError(f"Z85 length must be multiple of 5, not {len(z85bytes)}")
    words = []
    for i in range(0, len(z85bytes), 5):
        value = 0
        for c in z85bytes[i : i + 5]:
            try:
                value = value * 85 + Z85MAP[c]
            except KeyError:
                raise ValueError(f"{chr(c)!r} is not a Z85 character") from None
        if value > 0xFFFFFFFF:
            raise ValueError("Z85 group out of range")
        words.append(value)
    return struct.pack(f">{len(words)}I", *words)


__all__ = ["encode", "decode", "Z85CHARS", "Z85MAP"]
