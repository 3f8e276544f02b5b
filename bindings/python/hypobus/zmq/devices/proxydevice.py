"""Proxy devices: a Device with a third, capture socket (zmq.proxy's `capture`)."""

from .. import constants as C
from ..sugar import proxy
from .basedevice import Device, ProcessDevice, ThreadDevice


class ProxyBase:
    """Adds the monitor (capture) socket: every message through the proxy is copied to it."""

    def __init__(self, in_type, out_type, mon_type=C.PUB):
        Device.__init__(self, C.QUEUE, in_type, out_type)
        self.mon_type = mon_type
        self._mon_binds, self._mon_connects, self._mon_sockopts = [], [], []

    def bind_mon(self, addr):
        self._mon_binds.append(addr)

    def bind_mon_to_random_port(self, addr, *args, **kwargs):
        port = self._reserve_random_port(addr, *args, **kwargs)
        self.bind_mon(f"{addr}:{port}")
        return port

    def connect_mon(self, addr):
        self._mon_connects.append(addr)

    def setsockopt_mon(self, opt, value):
        self._mon_sockopts.append((opt, value))

    def _setup_sockets(self):
        ins, outs = Device._setup_sockets(self)
        mons = self._make(self._context, self.mon_type, self._mon_sockopts, self._mon_binds, self._mon_connects)
        self._sockets.append(mons)
        return ins, outs, mons

    def run_device(self):
        ins, outs, mons = self._setup_sockets()
        proxy(ins, outs, mons)


class Proxy(ProxyBase, Device):
    """A proxy with a capture socket, run in the calling thread."""


class ThreadProxy(ProxyBase, ThreadDevice):
    """A proxy with a capture socket, run by a daemon thread."""


class ProcessProxy(ProxyBase, ProcessDevice):
    """A proxy with a capture socket, run by a child process."""


__all__ = ["Proxy", "ThreadProxy", "ProcessProxy"]
