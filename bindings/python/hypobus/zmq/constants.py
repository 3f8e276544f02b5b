"""pyzmq's constants, named as pyzmq names them (zmq.REQ, zmq.POLLIN,
zmq.LINGER, zmq.EAGAIN, ...), with libzmq's numbers, which are also the
numbers of the C ABI (HB_REQ, HB_LINGER, ...)."""

import errno as _errno

# ------------------------------------------------------------ socket types
PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH, XPUB, XSUB, STREAM = range(12)
XREQ, XREP = DEALER, ROUTER  # old names, as pyzmq keeps them
SOCKET_TYPES = {"PAIR": PAIR, "PUB": PUB, "SUB": SUB, "REQ": REQ, "REP": REP, "DEALER": DEALER, "ROUTER": ROUTER,
                "PULL": PULL, "PUSH": PUSH, "XPUB": XPUB, "XSUB": XSUB, "STREAM": STREAM}

# ------------------------------------------------------------ flags
NOBLOCK = DONTWAIT = 1
SNDMORE = 2
# The RCVMORE/MORE option number (getsockopt(zmq.RCVMORE), frame.get(zmq.MORE)).
RCVMORE = MORE = 13
SRCFD = 2
SHARED = 3

# ------------------------------------------------------------ poll events
POLLIN = 1
POLLOUT = 2
POLLERR = 4
POLLPRI = 8

# ------------------------------------------------------------ socket options (libzmq 4.3, stable)
# name: (number, kind) with kind "int" (C int), "int64", "uint64", "bytes", "str" (text), "key" (CURVE key).
OPTIONS = {
    "AFFINITY": (4, "uint64"), "ROUTING_ID": (5, "bytes"), "IDENTITY": (5, "bytes"), "SUBSCRIBE": (6, "bytes"),
    "UNSUBSCRIBE": (7, "bytes"), "RATE": (8, "int"), "RECOVERY_IVL": (9, "int"), "SNDBUF": (11, "int"),
    "RCVBUF": (12, "int"), "RCVMORE": (13, "int"), "FD": (14, "int"), "EVENTS": (15, "int"), "TYPE": (16, "int"),
    "LINGER": (17, "int"), "RECONNECT_IVL": (18, "int"), "BACKLOG": (19, "int"), "RECONNECT_IVL_MAX": (21, "int"),
    "MAXMSGSIZE": (22, "int64"), "SNDHWM": (23, "int"), "RCVHWM": (24, "int"), "MULTICAST_HOPS": (25, "int"),
    "RCVTIMEO": (27, "int"), "SNDTIMEO": (28, "int"), "IPV4ONLY": (31, "int"), "LAST_ENDPOINT": (32, "str"),
    "ROUTER_MANDATORY": (33, "int"), "TCP_KEEPALIVE": (34, "int"), "TCP_KEEPALIVE_CNT": (35, "int"),
    "TCP_KEEPALIVE_IDLE": (36, "int"), "TCP_KEEPALIVE_INTVL": (37, "int"), "TCP_ACCEPT_FILTER": (38, "str"),
    "IMMEDIATE": (39, "int"), "DELAY_ATTACH_ON_CONNECT": (39, "int"), "XPUB_VERBOSE": (40, "int"),
    "ROUTER_RAW": (41, "int"), "IPV6": (42, "int"), "MECHANISM": (43, "int"), "PLAIN_SERVER": (44, "int"),
    "PLAIN_USERNAME": (45, "str"), "PLAIN_PASSWORD": (46, "str"), "CURVE_SERVER": (47, "int"),
    "CURVE_PUBLICKEY": (48, "key"), "CURVE_SECRETKEY": (49, "key"), "CURVE_SERVERKEY": (50, "key"),
    "PROBE_ROUTER": (51, "int"), "REQ_CORRELATE": (52, "int"), "REQ_RELAXED": (53, "int"), "CONFLATE": (54, "int"),
    "ZAP_DOMAIN": (55, "str"), "ROUTER_HANDOVER": (56, "int"), "TOS": (57, "int"),
    "CONNECT_ROUTING_ID": (61, "bytes"), "CONNECT_RID": (61, "bytes"), "HANDSHAKE_IVL": (66, "int"),
    "SOCKS_PROXY": (68, "str"), "XPUB_NODROP": (69, "int"), "XPUB_MANUAL": (71, "int"),
    "XPUB_WELCOME_MSG": (72, "bytes"), "STREAM_NOTIFY": (73, "int"), "INVERT_MATCHING": (74, "int"),
    "HEARTBEAT_IVL": (75, "int"), "HEARTBEAT_TTL": (76, "int"), "HEARTBEAT_TIMEOUT": (77, "int"),
    "XPUB_VERBOSER": (78, "int"), "CONNECT_TIMEOUT": (79, "int"), "TCP_MAXRT": (80, "int"),
    "THREAD_SAFE": (81, "int"), "MULTICAST_MAXTPDU": (84, "int"), "USE_FD": (89, "int"),
    "BINDTODEVICE": (92, "str"),
}
for _name, (_num, _kind) in OPTIONS.items():
    globals()[_name] = _num
# pyzmq's pseudo-option: both high-water marks at once.
HWM = -1
OPTION_KIND = {}
for _name, (_num, _kind) in OPTIONS.items():
    OPTION_KIND[_num] = _kind
OPTION_NAMES = {num: name for name, (num, _k) in reversed(list(OPTIONS.items()))}

# ------------------------------------------------------------ context options
IO_THREADS = 1
MAX_SOCKETS = 2
SOCKET_LIMIT = 3
THREAD_PRIORITY = 3
THREAD_SCHED_POLICY = 4
MAX_MSGSZ = 5
MSG_T_SIZE = 6
IPV6_CTX = 42
BLOCKY = 70

# ------------------------------------------------------------ security mechanisms
NULL, PLAIN, CURVE, GSSAPI = 0, 1, 2, 3

# ------------------------------------------------------------ socket events (monitor)
EVENT_CONNECTED = 0x0001
EVENT_CONNECT_DELAYED = 0x0002
EVENT_CONNECT_RETRIED = 0x0004
EVENT_LISTENING = 0x0008
EVENT_BIND_FAILED = 0x0010
EVENT_ACCEPTED = 0x0020
EVENT_ACCEPT_FAILED = 0x0040
EVENT_CLOSED = 0x0080
EVENT_CLOSE_FAILED = 0x0100
EVENT_DISCONNECTED = 0x0200
EVENT_MONITOR_STOPPED = 0x0400
EVENT_HANDSHAKE_FAILED_NO_DETAIL = 0x0800
EVENT_HANDSHAKE_SUCCEEDED = 0x1000
EVENT_HANDSHAKE_FAILED_PROTOCOL = 0x2000
EVENT_HANDSHAKE_FAILED_AUTH = 0x4000
EVENT_ALL = 0xFFFF

# ------------------------------------------------------------ errno (Linux numbers, as pyzmq has them)
ZMQ_HAUSNUMERO = 156384712
EAGAIN = _errno.EAGAIN
EINVAL = _errno.EINVAL
EFAULT = _errno.EFAULT
ENOMEM = _errno.ENOMEM
ENODEV = _errno.ENODEV
EMSGSIZE = _errno.EMSGSIZE
EAFNOSUPPORT = _errno.EAFNOSUPPORT
ENETUNREACH = _errno.ENETUNREACH
ECONNABORTED = _errno.ECONNABORTED
ECONNRESET = _errno.ECONNRESET
ENOTCONN = _errno.ENOTCONN
ETIMEDOUT = _errno.ETIMEDOUT
EHOSTUNREACH = _errno.EHOSTUNREACH
ENETRESET = _errno.ENETRESET
ENOTSUP = _errno.EOPNOTSUPP
EPROTONOSUPPORT = _errno.EPROTONOSUPPORT
ENOBUFS = _errno.ENOBUFS
ENETDOWN = _errno.ENETDOWN
EADDRINUSE = _errno.EADDRINUSE
EADDRNOTAVAIL = _errno.EADDRNOTAVAIL
ECONNREFUSED = _errno.ECONNREFUSED
EINPROGRESS = _errno.EINPROGRESS
ENOTSOCK = _errno.ENOTSOCK
ENOENT = _errno.ENOENT
EINTR = _errno.EINTR
EBUSY = _errno.EBUSY
EFSM = ZMQ_HAUSNUMERO + 51
ENOCOMPATPROTO = ZMQ_HAUSNUMERO + 52
ETERM = ZMQ_HAUSNUMERO + 53
EMTHREAD = ZMQ_HAUSNUMERO + 54

DEFAULT_PROTOCOL = -1  # pickle.DEFAULT_PROTOCOL is used, as in pyzmq
