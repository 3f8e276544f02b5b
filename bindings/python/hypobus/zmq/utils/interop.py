"""zmq.utils.interop: an address given as an int or a ctypes/cffi pointer, as an int."""


def cast_int_addr(n):
    """An address as an int: an int, a ctypes pointer or c_void_p, or a cffi pointer."""
    if isinstance(n, int):
        return n
    try:
        import ctypes

        if isinstance(n, ctypes.c_void_p):
            return n.value or 0
        return ctypes.cast(n, ctypes.c_void_p).value or 0
    except Exception:
        pass
    try:
        import cffi

        ffi = cffi.FFI()
        if isinstance(n, ffi.CData):
            return int(ffi.cast("size_t", n))
    except ImportError:
        pass
    raise ValueError(f"Cannot cast {n!r} to int")
