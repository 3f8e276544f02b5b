"""zmq.sugar.version: the pyzmq API version this module follows, and libzmq's."""

from ... import _ffi

VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH = 27, 3, 0
VERSION_EXTRA = ""
__version__ = f"{VERSION_MAJOR}.{VERSION_MINOR}.{VERSION_PATCH}"
version_info = (VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH)
__revision__ = ""


def pyzmq_version():
    """The pyzmq version whose API hypobus.zmq follows, e.g. "27.3.0"."""
    return __version__


def pyzmq_version_info():
    return version_info


def zmq_version_info():
    """The version of the libzmq inside libhypobus, e.g. (4, 3, 4)."""
    return _ffi.zmq_version_info()


def zmq_version():
    return "%i.%i.%i" % zmq_version_info()


__all__ = ["zmq_version", "zmq_version_info", "pyzmq_version", "pyzmq_version_info", "__version__", "__revision__"]
