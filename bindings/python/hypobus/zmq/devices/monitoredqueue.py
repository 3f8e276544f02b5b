"""monitored_queue: a queue between two sockets that also sends every
message, prefixed with where it came from, to a monitor socket."""

from .. import constants as C
from ..sugar import Poller, Socket


def _relay(src, dst, mon, prefix, swap_ids):
    msg = src.recv_multipart()
    if swap_ids and len(msg) >= 2:
        msg[0], msg[1] = msg[1], msg[0]
    dst.send_multipart(msg)
    mon.send_multipart([prefix] + msg)


def monitored_queue(in_socket, out_socket, mon_socket, in_prefix=b"in", out_prefix=b"out"):
    """Forward messages both ways between in_socket and out_socket, and
    copy each to mon_socket as [in_prefix or out_prefix, *frames]. Two
    ROUTER sockets swap the first two frames (the routing ids) so that
    each side reaches the other. Runs until the context is terminated
    (raises ContextTerminated)."""
    for name, s in (("in_socket", in_socket), ("out_socket", out_socket), ("mon_socket", mon_socket)):
        if not isinstance(s, Socket):
            raise TypeError(f"{name} must be a zmq Socket, not {type(s).__name__}")
    if not isinstance(in_prefix, bytes) or not isinstance(out_prefix, bytes):
        raise TypeError("in_prefix and out_prefix must be bytes")
    swap_ids = in_socket.type == C.ROUTER and out_socket.type == C.ROUTER
    poller = Poller()
    poller.register(in_socket, C.POLLIN)
    poller.register(out_socket, C.POLLIN)
    while True:
        for s, _ev in poller.poll():
            if s is in_socket:
                _relay(in_socket, out_socket, mon_socket, in_prefix, swap_ids)
            else:
                _relay(out_socket, in_socket, mon_socket, out_prefix, swap_ids)


__all__ = ["monitored_queue"]
