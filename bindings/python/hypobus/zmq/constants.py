"""pyzmq's constants, named and typed as pyzmq has them: enums
(`SocketType`, `SocketOption`, `Event`, `PollEvent`, `Flag`, `Errno`,
`ContextOption`, `MessageOption`, `SecurityMechanism`, `DeviceType`,
`ReconnectStop`, `RouterNotify`, `NormMode`) whose members are also the
module-level names (`zmq.REQ is zmq.SocketType.REQ`, `zmq.POLLIN is
zmq.PollEvent.POLLIN`, `zmq.EVENT_CONNECTED is zmq.Event.CONNECTED`).
The numbers are libzmq's, which are also the C ABI's (HB_REQ, HB_LINGER, ...).
"""

import errno as _errno
from enum import Enum, IntEnum, IntFlag

__all__ = [
    "ContextOption",
    "DeviceType",
    "Enum",
    "Errno",
    "Event",
    "Flag",
    "IntEnum",
    "IntFlag",
    "MessageOption",
    "NormMode",
    "PollEvent",
    "ReconnectStop",
    "RouterNotify",
    "SecurityMechanism",
    "SocketOption",
    "SocketType",
]


class _OptType(Enum):
    """How a socket option's value is passed: a C int, a 64-bit int, bytes, a descriptor."""

    int = "int"
    int64 = "int64"
    bytes = "bytes"
    fd = "fd"


class SocketType(IntEnum):
    """Socket types (libzmq's numbers). SERVER ... CHANNEL are libzmq's draft
    types: the library does not build them (creating one raises EINVAL)."""

    PAIR = 0
    PUB = 1
    SUB = 2
    REQ = 3
    REP = 4
    DEALER = 5
    ROUTER = 6
    PULL = 7
    PUSH = 8
    XPUB = 9
    XSUB = 10
    STREAM = 11
    XREQ = 5
    XREP = 6
    SERVER = 12
    CLIENT = 13
    RADIO = 14
    DISH = 15
    GATHER = 16
    SCATTER = 17
    DGRAM = 18
    PEER = 19
    CHANNEL = 20


_I, _I64, _B, _FD = _OptType.int, _OptType.int64, _OptType.bytes, _OptType.fd


class SocketOption(IntEnum):
    """Socket options (libzmq's numbers). Each member has `_opt_type`.
    `HWM` (1, libzmq 2's number) is pyzmq's "both SNDHWM and RCVHWM"."""

    def __new__(cls, value, opt_type=_I):
        m = int.__new__(cls, value)
        m._value_ = value
        m._opt_type = opt_type
        return m

    HWM = 1
    AFFINITY = 4, _I64
    ROUTING_ID = 5, _B
    SUBSCRIBE = 6, _B
    UNSUBSCRIBE = 7, _B
    RATE = 8
    RECOVERY_IVL = 9
    SNDBUF = 11
    RCVBUF = 12
    RCVMORE = 13
    FD = 14, _FD
    EVENTS = 15
    TYPE = 16
    LINGER = 17
    RECONNECT_IVL = 18
    BACKLOG = 19
    RECONNECT_IVL_MAX = 21
    MAXMSGSIZE = 22, _I64
    SNDHWM = 23
    RCVHWM = 24
    MULTICAST_HOPS = 25
    RCVTIMEO = 27
    SNDTIMEO = 28
    LAST_ENDPOINT = 32, _B
    ROUTER_MANDATORY = 33
    TCP_KEEPALIVE = 34
    TCP_KEEPALIVE_CNT = 35
    TCP_KEEPALIVE_IDLE = 36
    TCP_KEEPALIVE_INTVL = 37
    IMMEDIATE = 39
    XPUB_VERBOSE = 40
    ROUTER_RAW = 41
    IPV6 = 42
    MECHANISM = 43
    PLAIN_SERVER = 44
    PLAIN_USERNAME = 45, _B
    PLAIN_PASSWORD = 46, _B
    CURVE_SERVER = 47
    CURVE_PUBLICKEY = 48, _B
    CURVE_SECRETKEY = 49, _B
    CURVE_SERVERKEY = 50, _B
    PROBE_ROUTER = 51
    REQ_CORRELATE = 52
    REQ_RELAXED = 53
    CONFLATE = 54
    ZAP_DOMAIN = 55, _B
    ROUTER_HANDOVER = 56
    TOS = 57
    CONNECT_ROUTING_ID = 61, _B
    GSSAPI_SERVER = 62
    GSSAPI_PRINCIPAL = 63, _B
    GSSAPI_SERVICE_PRINCIPAL = 64, _B
    GSSAPI_PLAINTEXT = 65
    HANDSHAKE_IVL = 66
    SOCKS_PROXY = 68, _B
    XPUB_NODROP = 69
    BLOCKY = 70
    XPUB_MANUAL = 71
    XPUB_WELCOME_MSG = 72, _B
    STREAM_NOTIFY = 73
    INVERT_MATCHING = 74
    HEARTBEAT_IVL = 75
    HEARTBEAT_TTL = 76
    HEARTBEAT_TIMEOUT = 77
    XPUB_VERBOSER = 78
    CONNECT_TIMEOUT = 79
    TCP_MAXRT = 80
    THREAD_SAFE = 81
    MULTICAST_MAXTPDU = 84
    VMCI_BUFFER_SIZE = 85, _I64
    VMCI_BUFFER_MIN_SIZE = 86, _I64
    VMCI_BUFFER_MAX_SIZE = 87, _I64
    VMCI_CONNECT_TIMEOUT = 88
    USE_FD = 89
    GSSAPI_PRINCIPAL_NAMETYPE = 90
    GSSAPI_SERVICE_PRINCIPAL_NAMETYPE = 91
    BINDTODEVICE = 92, _B
    # old names
    IDENTITY = 5, _B
    CONNECT_RID = 61, _B
    TCP_ACCEPT_FILTER = 38, _B
    IPC_FILTER_PID = 58
    IPC_FILTER_UID = 59
    IPC_FILTER_GID = 60
    IPV4ONLY = 31
    DELAY_ATTACH_ON_CONNECT = 39
    FAIL_UNROUTABLE = 33
    ROUTER_BEHAVIOR = 33
    # libzmq 4.3 options outside its stable header (built into the library all the same) and drafts
    ZAP_ENFORCE_DOMAIN = 93
    LOOPBACK_FASTPATH = 94
    METADATA = 95, _B
    MULTICAST_LOOP = 96
    ROUTER_NOTIFY = 97
    XPUB_MANUAL_LAST_VALUE = 98
    SOCKS_USERNAME = 99, _B
    SOCKS_PASSWORD = 100, _B
    IN_BATCH_SIZE = 101
    OUT_BATCH_SIZE = 102
    WSS_KEY_PEM = 103, _B
    WSS_CERT_PEM = 104, _B
    WSS_TRUST_PEM = 105, _B
    WSS_HOSTNAME = 106, _B
    WSS_TRUST_SYSTEM = 107
    ONLY_FIRST_SUBSCRIBE = 108
    RECONNECT_STOP = 109
    HELLO_MSG = 110, _B
    DISCONNECT_MSG = 111, _B
    PRIORITY = 112
    BUSY_POLL = 113
    HICCUP_MSG = 114, _B
    XSUB_VERBOSE_UNSUBSCRIBE = 115
    TOPICS_COUNT = 116
    NORM_MODE = 117
    NORM_UNICAST_NACK = 118
    NORM_BUFFER_SIZE = 119
    NORM_SEGMENT_SIZE = 120
    NORM_BLOCK_SIZE = 121
    NORM_NUM_PARITY = 122
    NORM_NUM_AUTOPARITY = 123
    NORM_PUSH = 124


class ContextOption(IntEnum):
    """Context options (libzmq's numbers)."""

    IO_THREADS = 1
    MAX_SOCKETS = 2
    SOCKET_LIMIT = 3
    THREAD_PRIORITY = 3
    THREAD_SCHED_POLICY = 4
    MAX_MSGSZ = 5
    MSG_T_SIZE = 6
    THREAD_AFFINITY_CPU_ADD = 7
    THREAD_AFFINITY_CPU_REMOVE = 8
    THREAD_NAME_PREFIX = 9


class Flag(IntFlag):
    """send/recv flags."""

    DONTWAIT = 1
    SNDMORE = 2
    NOBLOCK = 1


class PollEvent(IntFlag):
    """Poll events."""

    POLLIN = 1
    POLLOUT = 2
    POLLERR = 4
    POLLPRI = 8


class MessageOption(IntEnum):
    """Frame (message) options: frame.get(zmq.MORE)."""

    MORE = 1
    SRCFD = 2
    SHARED = 3


class SecurityMechanism(IntEnum):
    NULL = 0
    PLAIN = 1
    CURVE = 2
    GSSAPI = 3


class ReconnectStop(IntEnum):
    CONN_REFUSED = 1
    HANDSHAKE_FAILED = 2
    AFTER_DISCONNECT = 4


class RouterNotify(IntEnum):
    CONNECT = 1
    DISCONNECT = 2


class NormMode(IntEnum):
    FIXED = 0
    CC = 1
    CCL = 2
    CCE = 3
    CCE_ECNONLY = 4


class DeviceType(IntEnum):
    """zmq.device() types (all are proxies)."""

    STREAMER = 1
    FORWARDER = 2
    QUEUE = 3


_HAUSNUMERO = 156384712


class Errno(IntEnum):
    """The errno values pyzmq names (Linux numbers, and libzmq's own)."""

    EAGAIN = _errno.EAGAIN
    EFAULT = _errno.EFAULT
    EINVAL = _errno.EINVAL
    ENOTSUP = _errno.EOPNOTSUPP
    EPROTONOSUPPORT = _errno.EPROTONOSUPPORT
    ENOBUFS = _errno.ENOBUFS
    ENETDOWN = _errno.ENETDOWN
    EADDRINUSE = _errno.EADDRINUSE
    EADDRNOTAVAIL = _errno.EADDRNOTAVAIL
    ECONNREFUSED = _errno.ECONNREFUSED
    EINPROGRESS = _errno.EINPROGRESS
    ENOTSOCK = _errno.ENOTSOCK
    EMSGSIZE = _errno.EMSGSIZE
    EAFNOSUPPORT = _errno.EAFNOSUPPORT
    ENETUNREACH = _errno.ENETUNREACH
    ECONNABORTED = _errno.ECONNABORTED
    ECONNRESET = _errno.ECONNRESET
    ENOTCONN = _errno.ENOTCONN
    ETIMEDOUT = _errno.ETIMEDOUT
    EHOSTUNREACH = _errno.EHOSTUNREACH
    ENETRESET = _errno.ENETRESET
    EFSM = _HAUSNUMERO + 51
    ENOCOMPATPROTO = _HAUSNUMERO + 52
    ETERM = _HAUSNUMERO + 53
    EMTHREAD = _HAUSNUMERO + 54


class Event(IntFlag):
    """Socket monitor events (zmq.EVENT_*), and the protocol error codes
    carried as the value of EVENT_HANDSHAKE_FAILED_PROTOCOL."""

    PROTOCOL_ERROR_WS_UNSPECIFIED = 0x30000000
    PROTOCOL_ERROR_ZMTP_UNSPECIFIED = 0x10000000
    PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND = 0x10000001
    PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE = 0x10000002
    PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE = 0x10000003
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED = 0x10000011
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE = 0x10000012
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO = 0x10000013
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE = 0x10000014
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR = 0x10000015
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY = 0x10000016
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME = 0x10000017
    PROTOCOL_ERROR_ZMTP_INVALID_METADATA = 0x10000018
    PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC = 0x11000001
    PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH = 0x11000002
    PROTOCOL_ERROR_ZAP_UNSPECIFIED = 0x20000000
    PROTOCOL_ERROR_ZAP_MALFORMED_REPLY = 0x20000001
    PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID = 0x20000002
    PROTOCOL_ERROR_ZAP_BAD_VERSION = 0x20000003
    PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE = 0x20000004
    PROTOCOL_ERROR_ZAP_INVALID_METADATA = 0x20000005
    CONNECTED = 0x0001
    CONNECT_DELAYED = 0x0002
    CONNECT_RETRIED = 0x0004
    LISTENING = 0x0008
    BIND_FAILED = 0x0010
    ACCEPTED = 0x0020
    ACCEPT_FAILED = 0x0040
    CLOSED = 0x0080
    CLOSE_FAILED = 0x0100
    DISCONNECTED = 0x0200
    MONITOR_STOPPED = 0x0400
    HANDSHAKE_FAILED_NO_DETAIL = 0x0800
    HANDSHAKE_SUCCEEDED = 0x1000
    HANDSHAKE_FAILED_PROTOCOL = 0x2000
    HANDSHAKE_FAILED_AUTH = 0x4000
    ALL_V1 = 0xFFFF
    ALL = 0xFFFF
    PIPES_STATS = 0x10000
    ALL_V2 = 0x1FFFF


# ------------------------------------------------------------ module-level names: the enum members themselves


def _export(enum_cls, prefix=""):
    for name, member in enum_cls.__members__.items():
        if name.startswith("PROTOCOL_ERROR") and prefix:
            globals()[name] = member
        else:
            globals()[prefix + name] = member
        __all__.append(prefix + name if not (prefix and name.startswith("PROTOCOL_ERROR")) else name)


for _cls in (
    SocketType,
    ContextOption,
    Flag,
    PollEvent,
    MessageOption,
    SecurityMechanism,
    DeviceType,
    Errno,
    SocketOption,
):
    _export(_cls)
_export(Event, "EVENT_")
_export(ReconnectStop, "RECONNECT_STOP_")
_export(RouterNotify, "NOTIFY_")
_export(NormMode, "NORM_")
__all__ = list(dict.fromkeys(__all__))
MORE = MessageOption.MORE  # frame.get(zmq.MORE) ...
RCVMORE = SocketOption.RCVMORE  # ... and the RCVMORE socket option, as pyzmq has both

# Other numbers pyzmq exports.
ZMQ_HAUSNUMERO = _HAUSNUMERO
IPC_PATH_MAX_LEN = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux
DEFAULT_PROTOCOL = -1  # pickle.DEFAULT_PROTOCOL is used, as in pyzmq
VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH = 4, 3, 4
VERSION = 40304
# errno values pyzmq also offers that Errno does not list
EINTR = _errno.EINTR
EBUSY = _errno.EBUSY
ENOENT = _errno.ENOENT
ENOMEM = _errno.ENOMEM
ENODEV = _errno.ENODEV
EACCES = _errno.EACCES

# ------------------------------------------------------------ the binding's own tables (not pyzmq API)

SOCKET_TYPES = {m.name: int(m) for m in SocketType if m <= SocketType.STREAM}
# Options the binding sets and reads with the library, by number: "int", "int64", "uint64", "bytes",
# "str" (text: the library adds/strips the NUL) or "key" (CURVE keys: 32 bytes or 40 characters of Z85).
_KIND = {
    4: "uint64",
    22: "int64",
    5: "bytes",
    6: "bytes",
    7: "bytes",
    61: "bytes",
    72: "bytes",
    95: "str",
    32: "str",
    38: "str",
    45: "str",
    46: "str",
    55: "str",
    68: "str",
    92: "str",
    48: "key",
    49: "key",
    50: "key",
}
OPTION_KIND = {}
for _m in SocketOption:
    if _m == SocketOption.HWM:
        continue
    OPTION_KIND[int(_m)] = _KIND.get(
        int(_m), "bytes" if _m._opt_type is _OptType.bytes else "int64" if _m._opt_type is _OptType.int64 else "int"
    )
OPTION_NAMES = {int(m): m.name for m in reversed(list(SocketOption.__members__.values()))}
OPTIONS = {
    name: (int(m), OPTION_KIND.get(int(m), "int"))
    for name, m in SocketOption.__members__.items()
    if m != SocketOption.HWM
}
