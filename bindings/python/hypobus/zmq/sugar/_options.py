"""Options as attributes (pyzmq's zmq.sugar.attrsettr, done with
descriptors): sock.linger, sock.IDENTITY, assignable sock.subscribe, and
the attribute rule of Contexts and of Socket subclasses with a __dict__."""

from .. import constants as C
from ..error import ZMQError


class _Opt:
    """sock.linger, sock.rcvtimeo, sock.identity ...: an option as an attribute."""

    __slots__ = ("num",)

    def __init__(self, num):
        self.num = num

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        try:
            return obj.getsockopt(self.num)
        except ZMQError as e:
            if e.errno in (C.EINVAL, C.EFAULT):  # a write-only option (as pyzmq says it)
                # pyzmq's raise too, with the ZMQError as its context
                raise AttributeError(f"{C.OPTION_NAMES.get(self.num, self.num).lower()} attribute is write-only")  # noqa: B904
            raise

    def __set__(self, obj, value):
        if isinstance(value, str) and C.OPTION_KIND.get(self.num) in ("bytes", "str", "key"):
            obj.setsockopt_string(self.num, value)
        else:
            obj.setsockopt(self.num, value)


def _class_has(cls, key):
    for k in cls.__mro__:
        if key in k.__dict__ or key in getattr(k, "__annotations__", ()):
            return True
    return False


def _checked_setattr(self, key, value, _osa=object.__setattr__):
    """pyzmq's attribute rule for Socket subclasses that have a __dict__:
    names the instance or its class know are set as usual, an option's name
    sets the option, anything else raises AttributeError."""
    if key[:1] == "_" or key in self.__dict__ or _class_has(type(self), key):
        _osa(self, key, value)
        return
    upper = key.upper()
    if upper in C.SocketOption.__members__:
        _Opt(int(C.SocketOption[upper])).__set__(self, value)
        return
    raise AttributeError(f"{type(self).__name__} has no such option: {upper}")


class _Sub:
    """sock.subscribe / sock.unsubscribe: the method, and assignable
    (`sock.subscribe = b"topic"` subscribes, as in pyzmq)."""

    __slots__ = ("opt", "func")

    def __init__(self, opt, func):
        self.opt, self.func = opt, func

    def __get__(self, obj, cls=None):
        return self.func if obj is None else self.func.__get__(obj, cls)

    def __set__(self, obj, value):
        if isinstance(value, str):
            value = value.encode("utf8")
        obj.setsockopt(self.opt, value)
