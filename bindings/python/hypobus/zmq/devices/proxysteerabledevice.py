"""Steerable proxy devices: a proxy device with a control socket
(PAUSE, RESUME, TERMINATE, STATISTICS)."""

from ..sugar import proxy_steerable
from .proxydevice import ProcessProxy, Proxy, ProxyBase, ThreadProxy


class ProxySteerableBase:
    """Adds the control socket."""

    def __init__(self, in_type, out_type, mon_type=None, ctrl_type=None):
        from .. import constants as C

        ProxyBase.__init__(self, in_type, out_type, C.PUB if mon_type is None else mon_type)
        self.ctrl_type = ctrl_type
        self._ctrl_binds, self._ctrl_connects, self._ctrl_sockopts = [], [], []

    def bind_ctrl(self, addr):
        self._ctrl_binds.append(addr)

    def bind_ctrl_to_random_port(self, addr, *args, **kwargs):
        port = self._reserve_random_port(addr, *args, **kwargs)
        self.bind_ctrl(f"{addr}:{port}")
        return port

    def connect_ctrl(self, addr):
        self._ctrl_connects.append(addr)

    def setsockopt_ctrl(self, opt, value):
        self._ctrl_sockopts.append((opt, value))

    def _setup_sockets(self):
        ins, outs, mons = ProxyBase._setup_sockets(self)
        ctrls = self._make(self._context, self.ctrl_type, self._ctrl_sockopts, self._ctrl_binds, self._ctrl_connects)
        self._sockets.append(ctrls)
        return ins, outs, mons, ctrls

    def run_device(self):
        ins, outs, mons, ctrls = self._setup_sockets()
        proxy_steerable(ins, outs, mons, ctrls)


class ProxySteerable(ProxySteerableBase, Proxy):
    """A steerable proxy run in the calling thread."""


class ThreadProxySteerable(ProxySteerableBase, ThreadProxy):
    """A steerable proxy run by a daemon thread."""


class ProcessProxySteerable(ProxySteerableBase, ProcessProxy):
    """A steerable proxy run by a child process."""


__all__ = ["ProxySteerable", "ThreadProxySteerable", "ProcessProxySteerable"]
