"""zmq.devices: proxies run in the foreground, a background thread or a
child process, with their own sockets (Device, ThreadDevice,
ProcessDevice, Proxy/ThreadProxy/ProcessProxy, the steerable ones,
MonitoredQueue/ThreadMonitoredQueue/ProcessMonitoredQueue), and
monitored_queue()."""

from .. import device, proxy, proxy_steerable  # noqa: F401
from . import basedevice, monitoredqueue, monitoredqueuedevice, proxydevice, proxysteerabledevice  # noqa: F401
from .basedevice import BackgroundDevice, Device, ProcessDevice, ThreadDevice
from .monitoredqueue import monitored_queue
from .monitoredqueuedevice import MonitoredQueue, ProcessMonitoredQueue, ThreadMonitoredQueue
from .proxydevice import ProcessProxy, Proxy, ThreadProxy
from .proxysteerabledevice import ProcessProxySteerable, ProxySteerable, ThreadProxySteerable

monitoredqueue_fn = monitored_queue
__all__ = [
    "device",
    "proxy",
    "proxy_steerable",
    "Device",
    "ThreadDevice",
    "ProcessDevice",
    "BackgroundDevice",
    "Proxy",
    "ThreadProxy",
    "ProcessProxy",
    "ProxySteerable",
    "ThreadProxySteerable",
    "ProcessProxySteerable",
    "MonitoredQueue",
    "ThreadMonitoredQueue",
    "ProcessMonitoredQueue",
    "monitored_queue",
]
