"""Devices: a proxy between two sockets that the device makes itself,
run in the calling thread (Device), a background thread (ThreadDevice)
or a child process (ProcessDevice). Sockets are made when the device
starts, in the thread or process that runs it; bind/connect/setsockopt
calls before that are queued."""

import random
import socket
import threading

from .. import constants as C
from ..error import ContextTerminated, ZMQBindError, ZMQError
from ..sugar import Context
from ..sugar import device as _device


def _probe_port(addr, min_port=49152, max_port=65536, max_tries=100):
    """A port free now on a tcp:// host: probed with a plain socket, which
    frees the port the moment it is closed (a ZeroMQ socket lets it go in
    the background); other addresses are probed with a ZeroMQ socket."""
    host = addr[len("tcp://") :] if addr.startswith("tcp://") else None
    if (
        host is not None
        and host not in ("*", "")
        and not host.replace(".", "").isdigit()
        and ":" not in host
        and host != "localhost"
    ):
        host = None  # an interface name: only libzmq knows it
    if host is None:
        with Context() as ctx, ctx.socket(C.PUSH) as probe:
            return probe.bind_to_random_port(addr, min_port, max_port, max_tries)
    host = {"*": "", "localhost": "127.0.0.1"}.get(host, host.strip("[]"))
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    default = (min_port, max_port) == (49152, 65536)
    for _ in range(1 if default else max_tries):
        port = 0 if default else random.randrange(min_port, max_port)
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise ZMQBindError("Could not bind socket to random port.")


class Device:
    """A device (zmq.device: QUEUE, FORWARDER, STREAMER are all proxies)
    between an `in_type` and an `out_type` socket (`out_type` -1: one
    socket for both sides, e.g. an echo REP). `start()` runs it here and
    returns when its context is terminated."""

    context_factory = Context.instance
    _context = None

    def __init__(self, device_type=C.QUEUE, in_type=None, out_type=None):
        self.device_type = device_type
        if in_type is None:
            raise TypeError("in_type must be specified")
        if out_type is None:
            raise TypeError("out_type must be specified")
        self.in_type = in_type
        self.out_type = out_type
        self._in_binds, self._in_connects, self._in_sockopts = [], [], []
        self._out_binds, self._out_connects, self._out_sockopts = [], [], []
        self._random_addrs = []
        self.daemon = True
        self.done = False

    def bind_in(self, addr):
        self._in_binds.append(addr)

    def bind_in_to_random_port(self, addr, *args, **kwargs):
        """Find a free port (as Socket.bind_to_random_port) and queue it for binding; returns it."""
        port = self._reserve_random_port(addr, *args, **kwargs)
        self.bind_in(f"{addr}:{port}")
        return port

    def connect_in(self, addr):
        self._in_connects.append(addr)

    def setsockopt_in(self, opt, value):
        self._in_sockopts.append((opt, value))

    def bind_out(self, addr):
        self._out_binds.append(addr)

    def bind_out_to_random_port(self, addr, *args, **kwargs):
        port = self._reserve_random_port(addr, *args, **kwargs)
        self.bind_out(f"{addr}:{port}")
        return port

    def connect_out(self, addr):
        self._out_connects.append(addr)

    def setsockopt_out(self, opt, value):
        self._out_sockopts.append((opt, value))

    def _reserve_random_port(self, addr, *args, **kwargs):
        """A port of `addr` free now that no other queued address of this
        device took (as Socket.bind_to_random_port chooses it)."""
        for _ in range(5):
            port = _probe_port(addr, *args, **kwargs)
            if f"{addr}:{port}" not in self._random_addrs:
                break
        else:
            raise ZMQBindError("Could not reserve random port.")
        self._random_addrs.append(f"{addr}:{port}")
        return port

    @staticmethod
    def _make(ctx, kind, sockopts, binds, connects):
        s = ctx.socket(kind)
        for opt, value in sockopts:
            s.setsockopt(opt, value)
        for a in binds:
            s.bind(a)
        for a in connects:
            s.connect(a)
        return s

    def _setup_sockets(self):
        ctx = self.context_factory()
        self._context = ctx
        self._sockets = []
        ins = self._make(ctx, self.in_type, self._in_sockopts, self._in_binds, self._in_connects)
        self._sockets.append(ins)
        if self.out_type < 0:
            # One socket for both sides: the "out" settings apply to it too.
            outs = ins
            for opt, value in self._out_sockopts:
                outs.setsockopt(opt, value)
            for a in self._out_binds:
                outs.bind(a)
            for a in self._out_connects:
                outs.connect(a)
        else:
            outs = self._make(ctx, self.out_type, self._out_sockopts, self._out_binds, self._out_connects)
            self._sockets.append(outs)
        return ins, outs

    def run_device(self):
        ins, outs = self._setup_sockets()
        _device(self.device_type, ins, outs)

    def _close_sockets(self):
        for s in getattr(self, "_sockets", ()):
            s.close()

    def run(self):
        """Make the sockets and run the device until its context is terminated."""
        try:
            self.run_device()
        except ContextTerminated:
            pass
        except ZMQError as e:
            if e.errno != C.ETERM:
                raise
        finally:
            self.done = True
            self._close_sockets()

    def start(self):
        """Run the device (in the calling thread for Device; it returns when the context is terminated)."""
        return self.run()

    def join(self, timeout=None):
        """Device runs in the foreground: nothing to wait for once start() returned."""


class BackgroundDevice(Device):
    """A device that start() runs in the background (a thread or a process)."""

    _launcher = None
    launcher = None

    def _launch(self):
        raise NotImplementedError

    def start(self):
        self.launcher = self._launch()
        self.launcher.daemon = self.daemon
        self.launcher.start()

    def join(self, timeout=None):
        if self.launcher is not None:
            self.launcher.join(timeout=timeout)


class ThreadDevice(BackgroundDevice):
    """A device run by a daemon thread (its sockets live in that thread)."""

    def _launch(self):
        return threading.Thread(target=self.run, name=f"zmq-{type(self).__name__}")


class ProcessDevice(BackgroundDevice):
    """A device run by a child process (multiprocessing), with its own Context."""

    context_factory = Context

    def _launch(self):
        import multiprocessing

        return multiprocessing.Process(target=self.run)


__all__ = ["Device", "ThreadDevice", "ProcessDevice", "BackgroundDevice"]
