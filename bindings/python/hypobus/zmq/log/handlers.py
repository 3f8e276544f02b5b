"""zmq.log.handlers: PUBHandler publishes log records on a PUB socket as
[topic, message]. The topic is "ROOT.LEVEL" (or "LEVEL" with no root
topic), plus ".SUB" when the message starts with "SUB::"; each level has
its own formatter (setFormatter(fmt) sets them all, setFormatter(fmt,
level) one)."""

import copy
import logging

from .. import constants as C
from ..sugar import Context, Socket

TOPIC_DELIM = "::"

_DETAIL = "%(levelname)s %(filename)s:%(lineno)d - %(message)s\n"


class PUBHandler(logging.Handler):
    """A logging handler that publishes on a PUB socket: give it a bound
    socket, or an endpoint to bind (a PUB of `context`, or of a new Context)."""

    def __init__(self, interface_or_socket, context=None, root_topic=""):
        logging.Handler.__init__(self)
        self.root_topic = root_topic
        self.formatters = {
            logging.DEBUG: logging.Formatter(_DETAIL),
            logging.INFO: logging.Formatter("%(message)s\n"),
            logging.WARN: logging.Formatter(_DETAIL),
            logging.ERROR: logging.Formatter("%(levelname)s %(filename)s:%(lineno)d - %(message)s - %(exc_info)s\n"),
            logging.CRITICAL: logging.Formatter(_DETAIL),
        }
        if isinstance(interface_or_socket, Socket):
            self.socket = interface_or_socket
            self.ctx = self.socket.context
        else:
            self.ctx = context or Context()
            self.socket = self.ctx.socket(C.PUB)
            self.socket.bind(interface_or_socket)

    @property
    def root_topic(self):
        return self._root_topic

    @root_topic.setter
    def root_topic(self, value):
        self.setRootTopic(value)

    def setRootTopic(self, root_topic):
        """The first part of every topic ('' for none); bytes are decoded as UTF-8."""
        if isinstance(root_topic, bytes):
            root_topic = root_topic.decode("utf8")
        self._root_topic = root_topic

    def setFormatter(self, fmt, level=logging.NOTSET):
        """The formatter of `level`, or of every level (NOTSET)."""
        if level == logging.NOTSET:
            for lvl in list(self.formatters):
                self.formatters[lvl] = fmt
        else:
            self.formatters[level] = fmt

    def format(self, record):
        fmt = self.formatters.get(record.levelno) or self.formatter or logging.Formatter()
        return fmt.format(record)

    def emit(self, record):
        """Publish [topic, formatted message]."""
        sub = ""
        text = str(record.msg)
        if TOPIC_DELIM in text:
            sub, rest = text.split(TOPIC_DELIM, 1)
            record = copy.copy(record)
            record.msg = rest
        try:
            body = self.format(record).encode("utf8")
        except Exception:
            self.handleError(record)
            return
        parts = [p for p in (self.root_topic, record.levelname, sub) if p]
        self.socket.send_multipart([".".join(parts).encode("utf8", "replace"), body])


class TopicLogger(logging.Logger):
    """A Logger whose log() takes a topic: log(level, topic, msg) logs "topic::msg"."""

    def log(self, level, topic, msg, *args, **kwargs):
        logging.Logger.log(self, level, f"{topic}{TOPIC_DELIM}{msg}", *args, **kwargs)


for _name in ("debug", "info", "warn", "warning", "error", "critical", "fatal"):
    _level = getattr(logging, _name.upper())

    def _method(self, topic, msg, *args, _level=_level, **kwargs):
        self.log(_level, topic, msg, *args, **kwargs)

    _method.__name__ = _name
    setattr(TopicLogger, _name, _method)

__all__ = ["PUBHandler", "TopicLogger", "TOPIC_DELIM"]
