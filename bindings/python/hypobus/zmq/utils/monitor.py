"""zmq.utils.monitor: read the events of a socket monitor
(Socket.get_monitor_socket() or Socket.monitor(addr)): libzmq's v1 format,
two frames per event."""

import struct

from .. import constants as C
from ..error import ZMQError


def parse_monitor_message(msg):
    """A monitor event's two frames as a dict: {'event': zmq.Event,
    'value': int, 'endpoint': bytes}."""
    if len(msg) != 2 or len(msg[0]) != 6:
        raise RuntimeError(f"Invalid event message format: {msg}")
    first = bytes(msg[0])
    event, value = struct.unpack("=Hi", first)
    try:
        event = C.Event(event)
    except ValueError:
        pass
    return {"event": event, "value": value, "endpoint": bytes(msg[1])}


async def _parse_when_done(fut):
    return parse_monitor_message(await fut)


def recv_monitor_message(socket, flags=0):
    """Receive one event from a monitor socket and parse it (a dict, see
    parse_monitor_message); with an asyncio socket, a future of it."""
    msg = socket.recv_multipart(flags)
    if isinstance(msg, list):
        return parse_monitor_message(msg)
    import asyncio

    return asyncio.ensure_future(_parse_when_done(msg))


__all__ = ["parse_monitor_message", "recv_monitor_message"]
_ = ZMQError
