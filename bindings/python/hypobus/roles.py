"""The hypotenuse lab's roles as Python objects: Broker, FailoverBroker,
OpNode (its operation may be a Python function), CalcNode, Client (and Lab,
all of them on free loopback ports). Every object is a context manager and
closes cleanly; anything still running at interpreter exit is closed by an
atexit hook. Failures raise hypobus.HypobusError subclasses carrying the
library's message.

Threads: the library runs brokers, calc nodes and built-in operation nodes
on its own threads. The binding starts a Python thread only where Python
code must run: an OpNode with a Python function (it pulls requests with
hb_op_pull_recv and answers them) and a FailoverBroker with an event
callback (it pulls hb_failover_next_event). Those threads block SIGINT and
SIGTERM, so Ctrl-C reaches the application's threads.
"""

from __future__ import annotations

import atexit
import dataclasses
import decimal
import fractions
import math
import queue
import sys
import threading
import time
import traceback
from ctypes import byref, c_double, c_int32, c_size_t, c_uint32, c_uint64, c_void_p, create_string_buffer, sizeof

from . import _ffi
from ._ffi import (
    HB_INTERRUPTED,
    HB_INVALID_HANDLE,
    HB_OK,
    HB_REMOTE,
    HB_STOPPED,
    HB_TIMEOUT,
    TEXT_MAX,
    BrokerConfig,
    BrokerStatsC,
    CalcConfig,
    CalcStatsC,
    ClientConfig,
    ClientStatsC,
    F,
    FailoverConfig,
    FailoverStatsC,
    OpConfig,
    OpStatsC,
    check,
    failure,
)
from ._role import SLICE_MS, _block_signals, _live_roles, _loopback, _read_stats, _Role, _stats_class
from .errors import InvalidArgument, Stopped, Timeout, error_for
from .security import _CurveArg

# ------------------------------------------------------------ stats


# One class per C stats struct, its fields taken from the generated ctypes
# structure (hypobus/_abi.py): a counter added in the library needs no edit here.
BrokerStats = _stats_class("BrokerStats", BrokerStatsC, "A broker's counters (hb_broker_stats_t).")
CalcStats = _stats_class("CalcStats", CalcStatsC, "A calc node's counters (hb_calc_stats_t).")
ClientStats = _stats_class("ClientStats", ClientStatsC, "A client's counters (hb_client_stats_t).")
FailoverStats = _stats_class(
    "FailoverStats",
    FailoverStatsC,
    "A failover broker's counters (hb_failover_stats_t); peer_silent_ms is None when the peer was never heard.",
    types={"active": bool, "peer_silent_ms": "int | None"},
)
OpStats = _stats_class(
    "OpStats",
    OpStatsC,
    "An operation node's counters (hb_op_stats_t), plus, for a Python function, how often it ran and how often it"
    " raised or returned a bad value.",
    types={"callback_running": bool},
    extra=(("calls", int, 0), ("fn_errors", int, 0)),
)


@dataclasses.dataclass(frozen=True)
class FailoverEvent:
    """A state change of a failover broker."""

    at_ms: int
    active: bool
    reason: str

    @property
    def at(self):
        """When it happened, as a Unix time (seconds)."""
        return self.at_ms / 1000


@dataclasses.dataclass(frozen=True)
class Result:
    """The outcome of a request submitted with Client.submit: `value` (the
    hypotenuse, 4 decimals) or `error` (the reason), `status` "ok",
    "remote" (the lab answered an error) or "timeout"."""

    id: int
    value: str | None
    error: str | None
    status: str

    @property
    def ok(self):
        return self.value is not None

    def __float__(self):
        if self.value is None:
            raise ValueError(f"request {self.id} failed: {self.error}")
        return float(self.value)


# ------------------------------------------------------------ arguments


def _text(x, name):
    if x is None:
        return None
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode()
    raise TypeError(f"{name} must be str, not {type(x).__name__}")


def brokers_arg(brokers):
    """A broker list for the C ABI: None (127.0.0.1 on 5555/5556), a string
    ("HOST", "HOST:XSUB:XPUB", "tcp://..|tcp://..", "inproc:NAME", or several
    joined with commas), a Broker / FailoverBroker / Lab, or a list of those."""
    if brokers is None:
        return None
    if isinstance(brokers, (str, bytes)):
        return _text(brokers, "brokers")
    if hasattr(brokers, "brokers") and isinstance(brokers.brokers, str):
        return brokers.brokers.encode()
    if isinstance(brokers, (list, tuple)):
        parts = [brokers_arg(b) for b in brokers]
        return b",".join(p for p in parts if p)
    raise TypeError(f"brokers must be a string, a broker object or a list of them, not {type(brokers).__name__}")


def number_text(x, name="value"):
    """A length as the decimal text the lab's wire carries: int, Decimal,
    Fraction (a terminating one), float, or a str/bytes of a decimal."""
    if isinstance(x, bool):
        raise TypeError(f"{name} must be a number, not bool")
    if isinstance(x, int):
        return str(x).encode()
    if isinstance(x, decimal.Decimal):
        if not x.is_finite():
            raise InvalidArgument(f"{name} is not a finite number: {x}")
        return format(x, "f").encode()
    if isinstance(x, fractions.Fraction):
        return _fraction_text(x, name).encode()
    if isinstance(x, float):
        if not math.isfinite(x):
            raise InvalidArgument(f"{name} is not a finite number: {x}")
        return format(decimal.Decimal(repr(x)), "f").encode()
    if isinstance(x, str):
        return x.encode()
    if isinstance(x, bytes):
        return x
    raise TypeError(f"{name} must be a number or its decimal text, not {type(x).__name__}")


def _fraction_text(q, name="value"):
    """A Fraction as exact decimal text when it terminates, else 40 significant digits."""
    d = q.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    with decimal.localcontext() as ctx:
        if d == 1:
            ctx.prec = len(str(abs(q.numerator))) + max(twos, fives) + 2
        else:
            ctx.prec = 40
        v = decimal.Decimal(q.numerator) / decimal.Decimal(q.denominator)
    return format(v, "f")


def _parse_exact(text):
    """The value of a request as the operation function gets it: int for
    an integer, Decimal for a decimal (both exact)."""
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        return decimal.Decimal(t)


# ------------------------------------------------------------ close_all


def close_all():
    """Close every role object still open (also run at interpreter exit)."""
    roles = _live_roles()
    # Clients and nodes before brokers, so nothing reconnects to a closing broker.
    order = {Client: 0, OpNode: 1, CalcNode: 2, Broker: 3, FailoverBroker: 3}
    roles.sort(key=lambda r: getattr(r, "_close_rank", order.get(type(r), 1)))
    for r in roles:
        try:
            r.close()
        except Exception:
            pass


atexit.register(close_all)


# ------------------------------------------------------------ Broker


class Broker(_Role):
    """A broker (XSUB/XPUB proxy with heartbeats) on a library thread.

    Broker()                                      # the lab's ports 5555/5556/5560
    Broker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", hb="")   # free ports, no heartbeat
    Broker(..., curve=Curve(cert="broker_secret", allow="allowed"))   # its own CURVE keys
    nodes then connect with brokers=broker (or broker.brokers)

    `curve`: this role's own CURVE keys (a hypobus.Curve or a dict), None =
    the process default (set_curve); every role class takes it.
    """

    _free = F.hb_broker_free
    _kind = "broker"

    def __init__(
        self, xsub=None, xpub=None, hb=None, hb_interval_ms=0, inproc_name=None, start_passive=False, curve=None
    ):
        super().__init__()
        keys = _CurveArg(curve)
        self._keep = (_text(xsub, "xsub"), _text(xpub, "xpub"), _text(hb, "hb"), _text(inproc_name, "inproc_name"))
        cfg = BrokerConfig()
        cfg.size = sizeof(BrokerConfig)
        cfg.hb_interval_ms = int(hb_interval_ms)
        cfg.xsub, cfg.xpub, cfg.hb, cfg.inproc_name = self._keep
        cfg.start_passive = 1 if start_passive else 0
        cfg.curve = keys.address
        h = c_void_p()
        check(F.hb_broker_new_ex(byref(cfg), byref(h)), None, "broker")
        self._register(h.value)
        self.inproc_name = inproc_name
        self.xsub_endpoint = self._endpoint(0)
        self.xpub_endpoint = self._endpoint(1)
        self.hb_endpoint = self._endpoint(2)

    def _endpoint(self, which):
        buf = create_string_buffer(TEXT_MAX)
        check(F.hb_broker_endpoint(self._h, which, buf, TEXT_MAX, None), self._h, "broker endpoint")
        return buf.value.decode()

    @property
    def brokers(self):
        """The broker list that reaches this broker ("XSUB_EP|XPUB_EP"), for nodes and clients."""
        return f"{_loopback(self.xsub_endpoint)}|{_loopback(self.xpub_endpoint)}"

    @property
    def active(self):
        out = c_int32()
        h = self._live_h()
        check(F.hb_broker_is_active(h, byref(out)), h, "broker")
        return bool(out.value)

    def set_active(self, on=True):
        h = self._live_h()
        check(F.hb_broker_set_active(h, 1 if on else 0), h, "broker")

    def stats(self):
        return BrokerStats(**_read_stats(F.hb_broker_stats, self._live_h(), BrokerStatsC, "broker stats"))

    def stop(self):
        """Stop forwarding and free the ports (stats stay readable until close())."""
        h = self._live_h()
        check(F.hb_broker_stop(h), h, "broker stop")


# ------------------------------------------------------------ FailoverBroker


class FailoverBroker(_Role):
    """A broker of a primary/backup pair (Binary Star): role "primary" or
    "backup", `peer_hb` the other's heartbeat endpoint.

    State changes come as FailoverEvent objects: iterate `events()` (or call
    `next_event()`), and/or pass `on_event=fn`: fn(event) is then called on
    a Python thread of the binding that pulls hb_failover_next_event (the
    events are still offered to events() too).
    """

    _free = F.hb_failover_free
    _kind = "failover broker"

    def __init__(
        self,
        role,
        peer_hb,
        xsub=None,
        xpub=None,
        hb=None,
        hb_interval_ms=0,
        peer_interval_ms=0,
        misses=0,
        ctl=None,
        on_event=None,
        curve=None,
    ):
        super().__init__()
        roles = {"primary": 0, "backup": 1, 0: 0, 1: 1}
        if role not in roles:
            raise InvalidArgument(f"role must be 'primary' or 'backup', not {role!r}")
        if on_event is not None and not callable(on_event):
            raise TypeError("on_event must be callable")
        self.role = "primary" if roles[role] == 0 else "backup"
        self._keep = [
            _text(x, n) for x, n in ((xsub, "xsub"), (xpub, "xpub"), (hb, "hb"), (peer_hb, "peer_hb"), (ctl, "ctl"))
        ]
        keys = _CurveArg(curve)
        cfg = FailoverConfig()
        cfg.size = sizeof(FailoverConfig)
        cfg.role = roles[role]
        cfg.xsub, cfg.xpub, cfg.hb, cfg.peer_hb, cfg.ctl = self._keep
        cfg.hb_interval_ms, cfg.peer_interval_ms, cfg.misses = int(hb_interval_ms), int(peer_interval_ms), int(misses)
        cfg.curve = keys.address
        h = c_void_p()
        check(F.hb_failover_new_ex(byref(cfg), _ffi.FAILOVER_EVENT_FN(), None, byref(h)), None, "failover broker")
        self._register(h.value)
        self.xsub_endpoint = self._endpoint(0)
        self.xpub_endpoint = self._endpoint(1)
        self.hb_endpoint = hb or "tcp://127.0.0.1:5560"
        self._on_event = on_event
        self._q = None
        self._thread = None
        if on_event is not None:
            self._q = queue.Queue()
            self._thread = threading.Thread(target=self._pump, name="hypobus-failover-events", daemon=True)
            self._thread.start()

    def _endpoint(self, which):
        buf = create_string_buffer(TEXT_MAX)
        check(F.hb_failover_endpoint(self._h, which, buf, TEXT_MAX, None), self._h, "failover endpoint")
        return buf.value.decode()

    @property
    def brokers(self):
        return f"{_loopback(self.xsub_endpoint)}|{_loopback(self.xpub_endpoint)}"

    def _pull(self, h, timeout_ms):
        at, active = c_uint64(), c_int32()
        buf = create_string_buffer(TEXT_MAX)
        st = F.hb_failover_next_event(h, timeout_ms, byref(at), byref(active), buf, TEXT_MAX, None)
        if st == HB_OK:
            return st, FailoverEvent(at.value, bool(active.value), buf.value.decode("utf-8", "replace"))
        return st, None

    def _pump(self):
        _block_signals()
        h = self._h
        while True:
            st, ev = self._pull(h, SLICE_MS)
            if st == HB_OK:
                self._q.put(ev)
                try:
                    self._on_event(ev)
                except Exception:
                    print("hypobus: exception in a FailoverBroker on_event callback:", file=sys.stderr)
                    traceback.print_exc()
            elif st in (HB_TIMEOUT, HB_INTERRUPTED):
                if self._closed:
                    break
                continue
            else:  # stopped or freed: every queued event was taken
                break
        self._q.put(None)

    def next_event(self, timeout=None):
        """The next state change, waiting at most `timeout` s (None: until
        one comes); raises Timeout, or Stopped once the broker is stopped
        and every event was taken."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._q is not None:
            while True:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    ev = self._q.get(timeout=min(left, SLICE_MS / 1000) if left is not None else SLICE_MS / 1000)
                except queue.Empty:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise Timeout("no failover event within the time-out") from None
                    continue
                if ev is None:
                    self._q.put(None)
                    raise Stopped("the failover broker is stopped")
                return ev
        h = self._live_h()
        while True:
            left = SLICE_MS if deadline is None else max(0, min(SLICE_MS, int((deadline - time.monotonic()) * 1000)))
            st, ev = self._pull(h, left)
            if st == HB_OK:
                return ev
            if st in (HB_TIMEOUT, HB_INTERRUPTED):
                if deadline is not None and time.monotonic() >= deadline:
                    raise Timeout("no failover event within the time-out")
                continue
            raise failure(st, h, "failover event")

    def events(self, timeout=None):
        """Iterate over state changes as they come (each waits at most
        `timeout` s, then the iteration ends); ends when the broker stops."""
        while True:
            try:
                yield self.next_event(timeout)
            except (Timeout, Stopped):
                return

    @property
    def active(self):
        out = c_int32()
        h = self._live_h()
        check(F.hb_failover_is_active(h, byref(out)), h, "failover")
        return bool(out.value)

    def handback(self, timeout=5.0):
        """Ask this (active backup) broker to hand the traffic back to its primary."""
        h = self._live_h()
        check(F.hb_failover_handback(h, max(1, int(timeout * 1000))), h, "hand-back")

    def stats(self):
        d = _read_stats(F.hb_failover_stats, self._live_h(), FailoverStatsC, "failover stats")
        d["active"] = bool(d["active"])
        if d["peer_silent_ms"] == 2**64 - 1:
            d["peer_silent_ms"] = None
        return FailoverStats(**d)

    def broker_stats(self):
        return BrokerStats(**_read_stats(F.hb_failover_broker_stats, self._live_h(), BrokerStatsC, "broker stats"))

    def stop(self):
        h = self._live_h()
        check(F.hb_failover_stop(h), h, "failover stop")

    def _after_free(self):
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(2.0)


# ------------------------------------------------------------ CalcNode


class CalcNode(_Role):
    """The calculation node (library thread): catheti in, hypotenuse out."""

    _free = F.hb_calc_free
    _kind = "calc node"

    def __init__(self, brokers=None, timeout_ms=0, curve=None):
        super().__init__()
        keys = _CurveArg(curve)
        cfg = CalcConfig()
        cfg.size = sizeof(CalcConfig)
        cfg.brokers = brokers_arg(brokers)
        cfg.timeout_ms = int(timeout_ms)
        cfg.curve = keys.address
        h = c_void_p()
        check(F.hb_calc_new_ex(byref(cfg), byref(h)), None, "calc node")
        self._register(h.value)

    def stats(self):
        return CalcStats(**_read_stats(F.hb_calc_stats, self._live_h(), CalcStatsC, "calc stats"))

    def stop(self):
        h = self._live_h()
        check(F.hb_calc_stop(h), h, "calc stop")


# ------------------------------------------------------------ OpNode


class OpNode(_Role):
    """An operation node for `lane` (1 squares cathetus a, 2 cathetus b).

    OpNode(1)                       # the library's built-in square (no Python thread)
    OpNode(2, fn=lambda x: x * x)   # a Python function, run on a binding thread

    `fn` gets the request's value exactly: an int for an integer, a
    decimal.Decimal for a decimal (numbers="float" gives a float). What it
    returns is the answer: an int, Decimal or terminating Fraction is sent
    as exact decimal text (so squares of big integers stay exact), a float
    as it is; an exception, None, a negative or non-finite value or any other
    type becomes an error answer (the calc node then computes that square
    itself), never a crash.
    """

    _kind = "operation node"

    def __init__(self, lane, fn=None, brokers=None, numbers="exact", curve=None):
        super().__init__()
        if isinstance(lane, bool) or not isinstance(lane, int):
            raise TypeError(f"lane must be an int, not {type(lane).__name__}")
        if fn is not None and not callable(fn):
            raise TypeError("fn must be callable")
        if numbers not in ("exact", "float"):
            raise InvalidArgument("numbers must be 'exact' or 'float'")
        if lane < 1 or lane > 2**32 - 1:
            raise InvalidArgument(f"lane must be at least 1, not {lane}")
        self.lane = lane
        self.fn = fn
        self._numbers = numbers
        self._calls = 0
        self._fn_errors = 0
        self._thread = None
        keys = _CurveArg(curve)
        cfg = OpConfig()
        cfg.size = sizeof(OpConfig)
        cfg.lane = lane
        cfg.brokers = brokers_arg(brokers)
        cfg.curve = keys.address
        h = c_void_p()
        if fn is None:
            self._pull = False
            check(F.hb_op_new_ex(byref(cfg), _ffi.OP_FN(), None, byref(h)), None, f"op node lane {lane}")
        else:
            self._pull = True
            check(F.hb_op_pull_new_ex(byref(cfg), byref(h)), None, f"op node lane {lane}")
        self._freefn = F.hb_op_pull_free if self._pull else F.hb_op_free
        self._register(h.value)
        if fn is not None:
            self._thread = threading.Thread(target=self._serve, name=f"hypobus-op-{lane}", daemon=True)
            self._thread.start()

    def _after_free(self):
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(2.0)

    # the binding thread of a Python operation
    def _serve(self):
        _block_signals()
        h = self._h
        rid, val = c_uint64(), c_double()
        buf = create_string_buffer(TEXT_MAX)
        while not self._closed:
            st = F.hb_op_pull_recv(h, SLICE_MS, byref(rid), byref(val), buf, TEXT_MAX, None)
            if st in (HB_TIMEOUT, HB_INTERRUPTED):
                continue
            if st in (HB_STOPPED, HB_INVALID_HANDLE):
                return
            if st != HB_OK:
                time.sleep(0.01)
                continue
            self._answer(h, rid.value, val.value, buf.value.decode("utf-8", "replace"))

    def _answer(self, h, rid, value, text):
        self._calls += 1
        try:
            x = float(value) if self._numbers == "float" else _parse_exact(text)
            r = self.fn(x)
        except Exception as e:
            self._fn_errors += 1
            F.hb_op_pull_reply_error(h, rid, f"operation raised {type(e).__name__}: {e}"[:400].encode())
            return
        reason = None
        if isinstance(r, bool) or r is None:
            reason = f"operation returned {r!r}, not a number"
        elif isinstance(r, float):
            if not math.isfinite(r) or r < 0:
                reason = f"operation returned {r!r}: not a finite non-negative number"
            else:
                st = F.hb_op_pull_reply(h, rid, r)
                if st not in (HB_OK, HB_STOPPED, HB_INVALID_HANDLE):
                    reason = failure(st, h).message
        elif isinstance(r, (int, decimal.Decimal, fractions.Fraction, str)):
            try:
                if isinstance(r, str):
                    t = r.strip()
                    decimal.Decimal(t)
                else:
                    if r < 0:
                        raise ValueError
                    t = number_text(r).decode()
            except (ValueError, ArithmeticError, InvalidArgument):
                reason = f"operation returned {r!r:.100}: not a finite non-negative number"
            else:
                st = F.hb_op_pull_reply_text(h, rid, t.encode())
                if st not in (HB_OK, HB_STOPPED, HB_INVALID_HANDLE):
                    reason = f"operation returned {r!r:.100}: {failure(st, h).message}"
        else:
            reason = f"operation returned a {type(r).__name__}, not a number"
        if reason is not None:
            self._fn_errors += 1
            F.hb_op_pull_reply_error(h, rid, reason[:400].encode())

    def stats(self):
        h = self._live_h()
        d = _read_stats(F.hb_op_pull_stats if self._pull else F.hb_op_stats, h, OpStatsC, "op stats")
        d["callback_running"] = bool(d["callback_running"])
        return OpStats(calls=self._calls, fn_errors=self._fn_errors, **d)

    def stop(self):
        """Stop serving (a Python operation's thread ends); same as close() but for the name."""
        self.close()


# ------------------------------------------------------------ Client

_STATUS_WORD = {HB_OK: "ok", HB_REMOTE: "remote", HB_TIMEOUT: "timeout"}


class Client(_Role):
    """A hypotenuse client.

    c = Client(brokers)                 # tagged mode: private answers, many in flight, retries
    c.hypot(12, 13)           -> "17.6918"
    c.hypot_float(12, 13)     -> 17.6918
    ids = [c.submit(a, b) for a, b in pairs]; for r in c.results(): ...
    Client(brokers, classic=True)       # the original lab's untagged wire (one at a time)
    """

    _free = F.hb_client_free
    _kind = "client"

    def __init__(self, brokers=None, classic=False, timeout=5.0, curve=None):
        super().__init__()
        self.timeout = timeout
        self.classic = bool(classic)
        keys = _CurveArg(curve)
        cfg = ClientConfig()
        cfg.size = sizeof(ClientConfig)
        cfg.brokers = brokers_arg(brokers)
        cfg.classic = 1 if classic else 0
        cfg.timeout_ms = _ms(timeout)
        cfg.curve = keys.address
        h = c_void_p()
        check(F.hb_client_new_ex(byref(cfg), byref(h)), None, "client")
        self._register(h.value)
        self._done = {}  # completions taken by one caller for another: id -> Result
        self._outstanding = set()  # ids submitted and not yet returned to the application
        self._dlock = threading.Lock()
        self._out = create_string_buffer(TEXT_MAX)

    def submit(self, a, b, timeout=None):
        """Send a request; returns its id at once (never waits). `timeout`
        (s) is the request's lifetime (default: the client's)."""
        h = self._live_h()
        rid = c_uint64()
        check(
            F.hb_client_submit(
                h,
                number_text(a, "a"),
                number_text(b, "b"),
                _ms(self.timeout if timeout is None else timeout),
                byref(rid),
            ),
            h,
            "submit",
        )
        with self._dlock:
            self._outstanding.add(rid.value)
        return rid.value

    def cancel(self, rid):
        h = self._live_h()
        with self._dlock:
            self._outstanding.discard(rid)
            self._done.pop(rid, None)
        check(F.hb_client_cancel(h, rid), h, "cancel")

    def _next(self, h, timeout_ms, buf):
        rid, res, n = c_uint64(), c_int32(), c_size_t()
        st = F.hb_client_next(h, timeout_ms, byref(rid), byref(res), buf, TEXT_MAX, byref(n))
        if st != HB_OK:
            return st, None
        text = buf.value.decode("utf-8", "replace")
        r = res.value
        with self._dlock:
            self._outstanding.discard(rid.value)
        return st, Result(
            rid.value,
            text if r == HB_OK else None,
            None if r == HB_OK else text,
            _STATUS_WORD.get(r, _ffi.STATUS_NAMES[r] if 0 <= r < len(_ffi.STATUS_NAMES) else str(r)),
        )

    def next_result(self, timeout=None):
        """The next finished request (a Result), waiting at most `timeout` s
        (None: as long as requests are in flight); raises Timeout."""
        with self._dlock:
            if self._done:
                return self._done.pop(next(iter(self._done)))
        h = self._live_h()
        buf = create_string_buffer(TEXT_MAX)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = (
                SLICE_MS
                if deadline is None
                else max(0, min(SLICE_MS, int((deadline - time.monotonic()) * 1000 + 0.999)))
            )
            st, r = self._next(h, left, buf)
            if st == HB_OK:
                return r
            if st in (HB_TIMEOUT, HB_INTERRUPTED):
                with self._dlock:
                    if self._done:
                        return self._done.pop(next(iter(self._done)))
                if deadline is None and not self._outstanding:
                    raise Timeout("no request in flight")
                if deadline is not None and time.monotonic() >= deadline:
                    raise Timeout("no request finished within the time-out")
                continue
            raise failure(st, h, "next result")

    def results(self, timeout=None):
        """Iterate over finished requests until none is in flight; each
        waits at most `timeout` s (None: as long as needed; every request
        ends within its lifetime)."""
        while True:
            with self._dlock:
                pending = bool(self._done or self._outstanding)
            if not pending:
                return
            try:
                yield self.next_result(timeout)
            except Timeout:
                if timeout is not None:
                    raise
                return

    def hypot(self, a, b, timeout=None):
        """The hypotenuse of a and b as the lab prints it ("17.6918"),
        waiting at most `timeout` s (default: the client's). Raises Remote
        (the lab answered an error, e.g. a value that is not a number),
        Timeout, InvalidArgument (a bad number, nothing sent)."""
        t = self.timeout if timeout is None else timeout
        rid = self.submit(a, b, t)
        h = self._h
        buf = create_string_buffer(TEXT_MAX)
        deadline = time.monotonic() + t + 1.0  # the library ends the request at its lifetime; this is a safety net
        try:
            while True:
                with self._dlock:
                    r = self._done.pop(rid, None)
                if r is None:
                    st, r = self._next(h, SLICE_MS, buf)
                    if st in (HB_TIMEOUT, HB_INTERRUPTED):
                        if time.monotonic() > deadline:
                            raise Timeout(f"no answer within {t} s")
                        continue
                    if st != HB_OK:
                        raise failure(st, h, "hypot")
                    if r.id != rid:
                        with self._dlock:
                            self._done[r.id] = r
                        continue
                rid = None
                if r.value is not None:
                    return r.value
                raise (error_for(HB_TIMEOUT, r.error) if r.status == "timeout" else error_for(HB_REMOTE, r.error))
        finally:
            if rid is not None and not self._closed:
                F.hb_client_cancel(h, rid)

    def hypot_float(self, a, b, timeout=None):
        """hypot() as a float (17.6918)."""
        return float(self.hypot(a, b, timeout))

    @property
    def in_flight(self):
        h = self._live_h()
        n = c_uint32()
        check(F.hb_client_in_flight(h, byref(n)), h, "in_flight")
        return n.value

    def stats(self):
        return ClientStats(**_read_stats(F.hb_client_stats, self._live_h(), ClientStatsC, "client stats"))


def _ms(seconds):
    if seconds is None:
        return 0
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"a time-out is a number of seconds, not {type(seconds).__name__}")
    if seconds < 0 or not math.isfinite(seconds):
        raise InvalidArgument(f"a time-out must be a finite number of seconds >= 0, not {seconds}")
    return max(1, min(int(seconds * 1000), 2**31 - 1)) if seconds > 0 else 0


# ------------------------------------------------------------ Lab


class Lab:
    """A whole lab in this process on free loopback ports: a broker (no
    heartbeat), a calc node and the built-in operation nodes of `ops`
    (default lanes 1 and 2). `lab.brokers` is the broker list for clients."""

    def __init__(self, ops=(1, 2), calc=True, calc_timeout_ms=0, heartbeat=False):
        self.broker = Broker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*" if heartbeat else "")
        self.brokers = self.broker.brokers
        self.calc = CalcNode(self.brokers, calc_timeout_ms) if calc else None
        self.ops = [o if isinstance(o, OpNode) else OpNode(o, brokers=self.brokers) for o in ops]

    def close(self):
        for o in self.ops:
            o.close()
        if self.calc is not None:
            self.calc.close()
        self.broker.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------ log


def log_enable(stderr=True, queue=False):
    """Where the library's event log goes: stderr and/or a queue read by log_lines()."""
    mode = (1 if stderr else 0) | (2 if queue else 0)
    check(F.hb_log_enable(mode), None, "log_enable")


def log_lines(timeout=0.0):
    """Yield the queued log lines (log_enable(queue=True)), waiting at most `timeout` s for each."""
    buf = create_string_buffer(TEXT_MAX)
    while True:
        st = F.hb_log_next(_ms(timeout) if timeout else 0, buf, TEXT_MAX, None)
        if st == HB_OK:
            yield buf.value.decode("utf-8", "replace")
        elif st == HB_INTERRUPTED:
            continue
        else:
            return
