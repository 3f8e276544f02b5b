"""MonitoredQueue devices: a queue device whose traffic is copied, with a prefix, to a monitor socket."""

from .. import constants as C
from .monitoredqueue import monitored_queue
from .proxydevice import ProcessProxy, Proxy, ProxyBase, ThreadProxy


class MonitoredQueueBase(ProxyBase):
    """A queue between in and out; every message goes to the monitor as [prefix, *frames]."""

    def __init__(self, in_type, out_type, mon_type=C.PUB, in_prefix=b"in", out_prefix=b"out"):
        ProxyBase.__init__(self, in_type=in_type, out_type=out_type, mon_type=mon_type)
        self.in_prefix = in_prefix
        self.out_prefix = out_prefix

    def run_device(self):
        ins, outs, mons = self._setup_sockets()
        monitored_queue(ins, outs, mons, self.in_prefix, self.out_prefix)


class MonitoredQueue(MonitoredQueueBase, Proxy):
    """Run in the calling thread."""


class ThreadMonitoredQueue(MonitoredQueueBase, ThreadProxy):
    """Run by a daemon thread."""


class ProcessMonitoredQueue(MonitoredQueueBase, ProcessProxy):
    """Run by a child process."""


__all__ = ["MonitoredQueue", "ThreadMonitoredQueue", "ProcessMonitoredQueue"]
