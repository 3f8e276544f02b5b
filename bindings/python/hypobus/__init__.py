"""libhypobus for Python: the ZeroMQ hypotenuse lab's roles as Python
objects, and pyzmq's API on the library's sockets (hypobus.zmq).

    import hypobus
    with hypobus.Lab() as lab, hypobus.Client(lab.brokers) as c:
        print(c.hypot(12, 13))        # 17.6918

    import hypobus.zmq as zmq         # pyzmq programs run unchanged
"""

from . import _ffi
from .errors import (
    BufferTooSmall,
    Busy,
    ConfigError,
    HypobusError,
    Interrupted,
    InvalidArgument,
    InvalidHandle,
    Panic,
    Remote,
    Stopped,
    TaskFailed,
    TaskGaveUp,
    TaskUnknown,
    Timeout,
    ZmqFailure,
)

__version__ = _ffi.version()
ABI_VERSION = _ffi.ABI_VERSION
LIB_PATH = _ffi.LIB_PATH

from .roles import (  # noqa: E402
    Broker,
    BrokerStats,
    CalcNode,
    CalcStats,
    Client,
    ClientStats,
    FailoverBroker,
    FailoverEvent,
    FailoverStats,
    Lab,
    OpNode,
    OpStats,
    Result,
    close_all,
    log_enable,
    log_lines,
)
from .security import Authenticator, AuthStats, Curve, keygen, load_certificate, set_curve  # noqa: E402
from .task import (  # noqa: E402
    TaskBroker,
    TaskBrokerStats,
    TaskClient,
    TaskClientStats,
    TaskJob,
    TaskResult,
    TaskWorker,
    TaskWorkerStats,
)

__all__ = [
    "Authenticator",
    "AuthStats",
    "Curve",
    "keygen",
    "load_certificate",
    "set_curve",
    "Broker",
    "FailoverBroker",
    "OpNode",
    "CalcNode",
    "Client",
    "Lab",
    "Result",
    "FailoverEvent",
    "BrokerStats",
    "CalcStats",
    "ClientStats",
    "FailoverStats",
    "OpStats",
    "HypobusError",
    "Timeout",
    "InvalidArgument",
    "InvalidHandle",
    "ConfigError",
    "Remote",
    "ZmqFailure",
    "Stopped",
    "BufferTooSmall",
    "Panic",
    "Interrupted",
    "Busy",
    "close_all",
    "log_enable",
    "log_lines",
    "__version__",
    "TaskBroker",
    "TaskWorker",
    "TaskClient",
    "TaskJob",
    "TaskResult",
    "TaskBrokerStats",
    "TaskWorkerStats",
    "TaskClientStats",
    "TaskFailed",
    "TaskGaveUp",
    "TaskUnknown",
]
