"""Task brokers (hb_task_*): request/reply work distribution as Python objects.

    import hypobus
    with hypobus.TaskBroker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*") as broker, \\
            hypobus.TaskWorker(broker, handler=lambda job: job.body.upper(), threads=4), \\
            hypobus.TaskClient(broker) as client:
        print(client.request(b"hello"))          # b'HELLO'

TaskBroker   a ROUTER frontend (clients) and a ROUTER backend (workers) routing on
             a library thread: policy "lru" (the course's router/router broker; the
             course's REQ frames work unchanged), "load" (the least loaded ready
             worker) or "typed" (an alias of "lru": every policy routes by service);
             answer time-out, heartbeats, a journal in memory, in an SQLite file
             or in PostgreSQL, peering with other brokers.
TaskWorker   registers with a broker, heartbeats, reconnects. Pull style: recv()
             gives a TaskJob (id, service, body) answered with job.reply(bytes) or
             job.error(text). Handler style: handler=fn runs fn(job) on a bounded
             pool of `threads` Python threads pulling from the worker; what fn
             returns (bytes or str) is the answer; an exception or any other
             return value becomes an error answer, never a crash.
TaskClient   lazy pirate: every request has an id, is resent with it after
             `timeout` s and given up after `tries`; request() (one, blocking),
             submit() + results() / next_result() (many in flight), fetch(id)
             (a result again, also from another client or an earlier run).

Every wait is a loop of bounded waits (at most 100 ms each), so Ctrl-C works;
outputs that do not fit the buffer are fetched again with a bigger one (the
library keeps them: HB_BUFFER_TOO_SMALL); each object's handle has a file
descriptor (fileno()) an event loop can watch (hypobus.asyncio.TaskClient).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from ctypes import byref, c_int32, c_size_t, c_uint64, c_void_p, create_string_buffer, sizeof, string_at

from . import _ffi
from ._ffi import (
    HB_BUFFER_TOO_SMALL,
    HB_INTERRUPTED,
    HB_INVALID_HANDLE,
    HB_OK,
    HB_STOPPED,
    HB_TASK_BACKEND,
    HB_TASK_FAILED,
    HB_TASK_FRONTEND,
    HB_TASK_GAVE_UP,
    HB_TASK_LOAD,
    HB_TASK_LRU,
    HB_TASK_OK,
    HB_TASK_STATE,
    HB_TASK_UNKNOWN,
    HB_TIMEOUT,
    TEXT_MAX,
    F,
    TaskBrokerConfig,
    TaskBrokerStatsC,
    TaskClientConfig,
    TaskClientStatsC,
    TaskWorkerConfig,
    TaskWorkerStatsC,
    check,
    failure,
)
from ._role import SLICE_MS, _block_signals, _loopback, _read_stats, _Role, _stats_class
from ._task_args import _body, _Buf, _deadline, _journal, _list_arg, _seconds_ms, _slice, _text, _uint
from .errors import Busy, InvalidArgument, Stopped, TaskFailed, TaskGaveUp, TaskUnknown, Timeout
from .security import _CurveArg

__all__ = [
    "TaskBroker",
    "TaskWorker",
    "TaskClient",
    "TaskJob",
    "TaskResult",
    "TaskBrokerStats",
    "TaskWorkerStats",
    "TaskClientStats",
    "POLICIES",
]

POLICIES = {"lru": HB_TASK_LRU, "load": HB_TASK_LOAD, "typed": HB_TASK_LRU}


# ------------------------------------------------------------ arguments


def _broker_ep(broker, which):
    """An endpoint to connect to: a string, or a TaskBroker (its frontend/backend as reached on this host)."""
    if broker is None or isinstance(broker, (str, bytes)):
        return _text(broker, "broker")
    if isinstance(broker, TaskBroker):
        return _loopback(broker.frontend_endpoint if which == HB_TASK_FRONTEND else broker.backend_endpoint).encode()
    raise TypeError(f"broker must be an endpoint string or a TaskBroker, not {type(broker).__name__}")


def _peers(peers):
    if peers is None:
        return None
    if isinstance(peers, (str, bytes)):
        return _text(peers, "peers")
    if isinstance(peers, (TaskBroker, tuple)):
        peers = [peers]
    out = []
    for p in peers:
        if isinstance(p, TaskBroker):
            if not p.state_endpoint:
                raise InvalidArgument("a peer TaskBroker must publish its capacity (state=...)")
            out.append(f"{_loopback(p.state_endpoint)}|{_loopback(p.frontend_endpoint)}")
        elif isinstance(p, tuple) and len(p) == 2 and all(isinstance(e, str) for e in p):
            out.append(f"{p[0]}|{p[1]}")
        elif isinstance(p, str):
            out.append(p)
        else:
            raise TypeError(
                "peers: each entry is 'STATE_EP|FRONTEND_EP', a (state_ep, frontend_ep) tuple or a "
                f"TaskBroker, not {p!r:.60}"
            )
    return ",".join(out).encode()


# ------------------------------------------------------------ stats and results


# One class per C stats struct, its fields from the generated ctypes structure.
TaskBrokerStats = _stats_class(
    "TaskBrokerStats", TaskBrokerStatsC, "A task broker's counters (hb_task_broker_stats_t)."
)
TaskWorkerStats = _stats_class(
    "TaskWorkerStats",
    TaskWorkerStatsC,
    "A worker's counters (hb_task_worker_stats_t), plus, for a handler, how often it ran and how often it raised or"
    " returned something that is not an answer.",
    extra=(("calls", int, 0), ("handler_errors", int, 0)),
)
TaskClientStats = _stats_class(
    "TaskClientStats", TaskClientStatsC, "A task client's counters (hb_task_client_stats_t)."
)


_OUTCOME = {HB_TASK_OK: "ok", HB_TASK_FAILED: "failed", HB_TASK_GAVE_UP: "gave_up", HB_TASK_UNKNOWN: "unknown"}


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """The outcome of one request: `status` "ok" (`body` = the worker's
    answer), "failed" (the worker answered an error, or the broker failed the
    request: `error` = the reason), "gave_up" (no answer after the client's
    tries: `error` = why) or "unknown" (a fetch of an id the broker does not know)."""

    id: str
    status: str
    body: bytes = b""
    error: str | None = None

    @property
    def ok(self):
        return self.status == "ok"

    def unwrap(self):
        """The body; raises TaskFailed, TaskGaveUp or TaskUnknown (all hypobus.Remote) otherwise."""
        if self.status == "ok":
            return self.body
        if self.status == "failed":
            raise TaskFailed(self.error or "the task failed", task_id=self.id)
        if self.status == "gave_up":
            raise TaskGaveUp(self.error or "no answer", task_id=self.id)
        raise TaskUnknown(f"the broker knows no request with id {self.id!r}", task_id=self.id)


# ------------------------------------------------------------ TaskBroker


class TaskBroker(_Role):
    """A task broker on a library thread (hb_task_broker_new).

    TaskBroker()                                          # ports 5570 (clients) and 5571 (workers), every interface
    TaskBroker("tcp://127.0.0.1:*", "tcp://127.0.0.1:*")  # free ports: .frontend_endpoint, .backend_endpoint
    TaskBroker(..., policy="load", journal="tasks.db")     # least loaded worker first; an SQLite journal

    Keywords (every field of hb_task_broker_config_t; 0 also means the default):
    policy "lru" | "load" | "typed" (= "lru": every policy routes by service);
    journal None / "memory" (in memory), an SQLite path ("x.db", a PathLike,
    or "sqlite:x.db") or a PostgreSQL URL ("postgres://USER@HOST:PORT/DB"):
    a broker killed and restarted on the file or database finishes every
    accepted request and keeps results for fetch(id); name (logs, peers);
    state (an endpoint to publish the spare capacity on) and peers (entries
    "STATE_EP|FRONTEND_EP", (state_ep, frontend_ep) tuples or TaskBrokers);
    answer_timeout_ms, max_attempts, hb_interval_ms, liveness, service_wait_ms,
    peer_interval_ms, full_sync (every commit on disk: SQLite synchronous=FULL,
    PostgreSQL synchronous_commit=on); curve (this broker's own CURVE keys, a
    hypobus.Curve or dict; None = the process default, set_curve).
    """

    _free = F.hb_task_broker_free
    _kind = "task broker"
    _close_rank = 3

    def __init__(
        self,
        frontend=None,
        backend=None,
        policy="lru",
        journal=None,
        name=None,
        state=None,
        peers=None,
        answer_timeout_ms=5000,
        max_attempts=5,
        hb_interval_ms=1000,
        liveness=3,
        service_wait_ms=5000,
        peer_interval_ms=1000,
        full_sync=False,
        curve=None,
    ):
        super().__init__()
        if not isinstance(policy, str) or policy not in POLICIES:
            raise InvalidArgument(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}")
        self.policy = policy
        self._keep = (
            _text(frontend, "frontend"),
            _text(backend, "backend"),
            _journal(journal),
            _text(name, "name"),
            _text(state, "state"),
            _peers(peers),
        )
        cfg = TaskBrokerConfig()
        cfg.size = sizeof(TaskBrokerConfig)
        cfg.policy = POLICIES[policy]
        cfg.frontend, cfg.backend, cfg.store, cfg.name, cfg.state, cfg.peers = self._keep
        cfg.answer_timeout_ms = _uint(answer_timeout_ms, "answer_timeout_ms")
        cfg.max_attempts = _uint(max_attempts, "max_attempts")
        cfg.hb_interval_ms = _uint(hb_interval_ms, "hb_interval_ms")
        cfg.liveness = _uint(liveness, "liveness")
        cfg.service_wait_ms = _uint(service_wait_ms, "service_wait_ms")
        cfg.peer_interval_ms = _uint(peer_interval_ms, "peer_interval_ms")
        cfg.full_sync = 1 if full_sync else 0
        keys = _CurveArg(curve)
        cfg.curve = keys.address
        self.journal = self._keep[2].decode() if self._keep[2] else "memory"
        h = c_void_p()
        st = F.hb_task_broker_new(byref(cfg), byref(h))
        if st != HB_OK:
            raise failure(st, None, "task broker")
        self._register(h.value)
        self.frontend_endpoint = self._endpoint(HB_TASK_FRONTEND)
        self.backend_endpoint = self._endpoint(HB_TASK_BACKEND)
        self.state_endpoint = self._endpoint(HB_TASK_STATE) or None

    def _endpoint(self, which):
        n = c_size_t()
        size = TEXT_MAX
        while True:
            buf = create_string_buffer(size)
            st = F.hb_task_broker_endpoint(self._h, which, buf, size, byref(n))
            if st == HB_BUFFER_TOO_SMALL:
                size = n.value + 1
                continue
            check(st, self._h, "task broker endpoint")
            return buf.value.decode()

    @property
    def clients_connect_to(self):
        """The frontend as a client on this host reaches it (for TaskClient or a course REQ client)."""
        return _loopback(self.frontend_endpoint)

    @property
    def workers_connect_to(self):
        """The backend as a worker on this host reaches it (for TaskWorker or a course REQ worker)."""
        return _loopback(self.backend_endpoint)

    def stats(self):
        return TaskBrokerStats(
            **_read_stats(F.hb_task_broker_stats, self._live_h(), TaskBrokerStatsC, "task broker stats")
        )

    def stop(self):
        """Stop routing (commits the journal, frees the ports); stats() stays readable until close()."""
        h = self._live_h()
        check(F.hb_task_broker_stop(h), h, "task broker stop")

    def __repr__(self):
        if self._closed:
            return "<hypobus.TaskBroker closed>"
        return (
            f"<hypobus.TaskBroker {self.policy} frontend {self.frontend_endpoint} backend {self.backend_endpoint} "
            f"journal {self.journal}>"
        )


# ------------------------------------------------------------ TaskWorker


class TaskJob:
    """One request taken by a worker: `id` (the request id), `service` ("" =
    the default service), `body` (bytes). Answer it once: reply(bytes | str)
    or error(text)."""

    __slots__ = ("_h", "key", "id", "service", "body", "_answered", "_lock")

    def __init__(self, h, key, rid, service, body):
        self._h = h
        self.key = key
        self.id = rid
        self.service = service
        self.body = body
        self._answered = False
        self._lock = threading.Lock()

    @property
    def answered(self):
        return self._answered

    def _claim(self):
        with self._lock:
            if self._answered:
                raise InvalidArgument(f"job {self.id} is already answered")
            self._answered = True

    def _done(self, st, what):
        if st == HB_OK:
            return
        if st == HB_INVALID_HANDLE:
            raise Stopped(f"{what}: the worker is closed (the broker dispatches job {self.id} again)")
        with self._lock:
            self._answered = False
        raise failure(st, self._h, what)

    def reply(self, data):
        """Answer with `data` (bytes-like, or str sent as UTF-8)."""
        b = _body(data, "reply")
        self._claim()
        self._done(F.hb_task_worker_reply(self._h, self.key, b, len(b)), "reply")

    def error(self, reason):
        """Answer with an error: the client gets `reason` as a failed task."""
        r = _text(reason if reason is not None else "", "reason", allow_none=False)
        self._claim()
        self._done(F.hb_task_worker_reply_error(self._h, self.key, r), "reply error")

    def __repr__(self):
        return (
            f"<hypobus.TaskJob {self.id} service {self.service!r} {len(self.body)} bytes"
            f"{' answered' if self._answered else ''}>"
        )


class TaskWorker(_Role):
    """A task worker (hb_task_worker_new, pull style).

    TaskWorker(broker)                                    # pull: job = w.recv(timeout); job.reply(b"...")
    TaskWorker(broker, handler=fn, threads=4)             # fn(job) -> bytes | str on 4 Python threads
    TaskWorker(broker, services=["A", "B"], load=80)      # typed routing; a fixed load for policy "load"

    `broker`: the backend endpoint (default tcp://127.0.0.1:5571) or a
    TaskBroker. `threads`: requests held at once (handler threads, or jobs
    the caller may hold). `services`: "A,B" or a list ("" / None = the
    default service). `name`: prefix of the routing id. `hb_interval_ms`,
    `liveness`: heartbeats (the broker's settings). `load`: None = automatic
    (the share of slots in use), else the number reported (set_load()).
    `curve`: this worker's own CURVE keys (a hypobus.Curve or dict); None =
    the process default (set_curve).

    A handler gets the TaskJob; it returns the answer (bytes, bytearray,
    memoryview or str) or answers itself (job.reply / job.error, then returns
    None). An exception, or a return value of any other type, becomes an
    error answer carrying its description; the worker goes on serving.
    """

    _free = F.hb_task_worker_free
    _kind = "task worker"
    _close_rank = 1

    def __init__(
        self,
        broker=None,
        handler=None,
        threads=1,
        services=None,
        name=None,
        hb_interval_ms=1000,
        liveness=3,
        load=None,
        curve=None,
    ):
        super().__init__()
        if handler is not None and not callable(handler):
            raise TypeError("handler must be callable")
        threads = _uint(threads, "threads", 1, 100000)
        self.handler = handler
        self.threads = threads
        self._keep = (_broker_ep(broker, HB_TASK_BACKEND), _list_arg(services, "services"), _text(name, "name"))
        self.services = [s for s in (self._keep[1] or b"").decode().split(",") if s.strip()]
        cfg = TaskWorkerConfig()
        cfg.size = sizeof(TaskWorkerConfig)
        cfg.threads = threads
        cfg.broker, cfg.services, cfg.name = self._keep
        cfg.hb_interval_ms = _uint(hb_interval_ms, "hb_interval_ms")
        cfg.liveness = _uint(liveness, "liveness")
        keys = _CurveArg(curve)
        cfg.curve = keys.address
        load_arg = self._load_arg(load)
        h = c_void_p()
        # The library's callback style (hb_task_fn) would run Python on library threads; the binding pulls instead.
        check(F.hb_task_worker_new(byref(cfg), _ffi.TASK_FN(), None, byref(h)), None, "task worker")
        self._register(h.value)
        if load_arg >= 0:
            check(F.hb_task_worker_set_load(self._h, load_arg), self._h, "set_load")
        self._tls = threading.local()
        self._ids = threading.local()
        self._count_lock = threading.Lock()
        self._calls = 0
        self._handler_errors = 0
        self._quit = False
        self._pool = []
        if handler is not None:
            for i in range(threads):
                t = threading.Thread(target=self._serve, name=f"hypobus-task-worker-{i}", daemon=True)
                self._pool.append(t)
            for t in self._pool:
                t.start()

    @staticmethod
    def _load_arg(load):
        if load is None:
            return -1
        return _uint(load, "load", -1, 2**31 - 1)

    # -------------------------------------------------- pull style

    def _take(self, h, timeout_ms):
        """One bounded hb_task_worker_recv: (status, TaskJob or None)."""
        tls = self._tls
        buf = getattr(tls, "buf", None)
        if buf is None:
            buf = tls.buf = _Buf()
            tls.job, tls.n = c_uint64(), c_size_t()
            tls.svc, tls.rid = create_string_buffer(TEXT_MAX), create_string_buffer(TEXT_MAX)
        job, n = tls.job, tls.n
        while True:
            st = F.hb_task_worker_recv(h, timeout_ms, byref(job), buf.b, buf.n, byref(n))
            if st == HB_BUFFER_TOO_SMALL:
                buf.grow(n.value)  # the job was not taken: take it now with a buffer that fits
                timeout_ms = 0
                continue
            if st != HB_OK:
                return st, None
            body = string_at(buf.b, n.value)
            key = job.value
            st = F.hb_task_worker_job_info(h, key, tls.svc, TEXT_MAX, None, tls.rid, TEXT_MAX, None)
            if st != HB_OK:
                svc, rid = "", str(key)
            else:
                svc, rid = tls.svc.value.decode("utf-8", "replace"), tls.rid.value.decode("utf-8", "replace")
            return HB_OK, TaskJob(h, key, rid, svc, body)

    def recv(self, timeout=None):
        """The next request as a TaskJob, waiting at most `timeout` s (None: until
        one comes). Raises Timeout, Stopped (closed meanwhile), Busy (a worker
        with a handler: its jobs go to the handler)."""
        h = self._live_h()
        if self.handler is not None:
            raise Busy("this worker has a handler: its jobs go there, there is nothing to recv()")
        deadline = _deadline(timeout)
        while True:
            st, job = self._take(h, _slice(deadline))
            if st == HB_OK:
                return job
            if st in (HB_TIMEOUT, HB_INTERRUPTED):
                if self._closed:
                    raise Stopped("the task worker is closed")
                if deadline is not None and time.monotonic() >= deadline:
                    raise Timeout("no request within the time-out")
                continue
            if st == HB_INVALID_HANDLE and self._closed:
                raise Stopped("the task worker is closed")
            raise failure(st, h, "task worker recv")

    def jobs(self, timeout=None):
        """Iterate over requests; ends when `timeout` s pass without one (None: never) or the worker closes."""
        while True:
            try:
                yield self.recv(timeout)
            except (Timeout, Stopped):
                return

    __iter__ = jobs

    # -------------------------------------------------- handler style

    def _serve(self):
        _block_signals()
        h = self._h
        while not self._quit:
            try:
                st, job = self._take(h, SLICE_MS)
            except Exception:
                time.sleep(0.01)
                continue
            if st in (HB_TIMEOUT, HB_INTERRUPTED):
                continue
            if st in (HB_STOPPED, HB_INVALID_HANDLE):
                return
            if st != HB_OK:
                time.sleep(0.01)
                continue
            self._run(job)

    def _run(self, job):
        with self._count_lock:
            self._calls += 1
        reason = None
        try:
            r = self.handler(job)
        except BaseException as e:  # noqa: B036 - a handler's SystemExit must not end the pool thread either
            reason = f"handler raised {type(e).__name__}: {e}"
        else:
            if job.answered:
                return
            if isinstance(r, (bytes, bytearray, memoryview, str)):
                try:
                    job.reply(r)
                except Stopped:
                    pass
                except Exception as e:
                    reason = f"cannot send the handler's answer: {e}"
                else:
                    return
            else:
                t = type(r).__name__
                what = "None" if r is None else ("an " if t[:1] in "aeiouAEIOU" else "a ") + t
                reason = f"handler returned {what}, not bytes or str"
        with self._count_lock:
            self._handler_errors += 1
        if job.answered:
            return
        try:
            job.error(reason[:400])
        except Exception:
            pass

    # -------------------------------------------------- the rest

    def set_load(self, load):
        """Report `load` from now on (policy "load" prefers the least); None or -1 = automatic."""
        h = self._live_h()
        check(F.hb_task_worker_set_load(h, self._load_arg(load)), h, "set_load")

    def stats(self):
        d = _read_stats(F.hb_task_worker_stats, self._live_h(), TaskWorkerStatsC, "task worker stats")
        return TaskWorkerStats(calls=self._calls, handler_errors=self._handler_errors, **d)

    def fileno(self):
        """A descriptor that turns readable when a request waits (pull style; hb_handle_fd)."""
        return _ffi.handle_fd(self._live_h())

    def stop(self):
        """Unregister and stop (same as close(), kept for the name)."""
        self.close()

    def close(self, grace=2.0):
        """Stop taking requests, let running handler calls finish and answer
        (at most `grace` s), then unregister and release. Jobs not answered
        are dispatched again by the broker."""
        self._quit = True
        deadline = time.monotonic() + grace
        me = threading.current_thread()
        for t in self._pool:
            if t is not me:
                t.join(max(0.0, deadline - time.monotonic()))
        super().close()

    def _after_free(self):
        me = threading.current_thread()
        for t in self._pool:
            if t is not me:
                t.join(1.0)

    def __repr__(self):
        kind = "handler" if self.handler is not None else "pull"
        return f"<hypobus.TaskWorker {kind} threads {self.threads}{' closed' if self._closed else ''}>"


# ------------------------------------------------------------ TaskClient


class TaskClient(_Role):
    """A task client (hb_task_client_new): lazy pirate with many requests in flight.

    c = TaskClient(broker)                       # a frontend endpoint (default tcp://127.0.0.1:5570) or a TaskBroker
    c.request(b"body")                 -> b"answer"   (raises TaskFailed / TaskGaveUp, Timeout)
    rid = c.submit(b"body"); for r in c.results(): r.id, r.status, r.body, r.error
    c.fetch(rid)                       -> TaskResult  (a stored result again, e.g. from a new client)

    `timeout` (s): how long one try waits before the request is sent again
    with the same id (0 / None = the library's 2.5 s); `tries`: sends before
    giving up (0 = 3); `name`: prefix of the ids and the routing id;
    `curve`: this client's own CURVE keys (a hypobus.Curve or dict), None =
    the process default (set_curve).

    Thread safety: any thread may call any method; one thread at a time
    takes outcomes from the library and hands the others theirs.
    """

    _free = F.hb_task_client_free
    _kind = "task client"
    _close_rank = 0

    def __init__(self, broker=None, timeout=2.5, tries=3, name=None, curve=None):
        super().__init__()
        self._keep = (_broker_ep(broker, HB_TASK_FRONTEND), _text(name, "name"))
        cfg = TaskClientConfig()
        cfg.size = sizeof(TaskClientConfig)
        cfg.broker, cfg.name = self._keep
        cfg.tries = _uint(tries, "tries")
        cfg.timeout_ms = 0 if timeout is None or timeout == 0 else _seconds_ms(timeout, "timeout")
        self.timeout = (cfg.timeout_ms or 2500) / 1000
        self.tries = cfg.tries or 3
        keys = _CurveArg(curve)
        cfg.curve = keys.address
        h = c_void_p()
        check(F.hb_task_client_new(byref(cfg), byref(h)), None, "task client")
        self._register(h.value)
        self._cv = threading.Condition()
        self._done = {}  # outcomes taken from the library, not yet handed out: id -> TaskResult
        self._outstanding = set()  # ids submitted or fetched whose outcome was not handed out
        self._waiting = {}  # id -> number of request()/fetch() callers waiting for exactly it
        self._abandoned = set()  # ids whose outcome is dropped when it comes (a request() that timed out)
        self._pumping = False
        self._buf = _Buf()
        self._idbuf = create_string_buffer(256)
        self._idlen, self._oc, self._n = c_size_t(), c_int32(), c_size_t()
        self._newid = create_string_buffer(256)

    # -------------------------------------------------- submitting

    def submit(self, body, id=None, service=None):
        """Send a request; returns its id at once (never waits). `id`: your own
        (1-128 printable ASCII, no space; unique: an id the broker knows gets
        its known outcome, so resubmitting after a crash is safe). `service`:
        the request type ("" / None = the default service)."""
        h = self._live_h()
        b = _body(body)
        svc = _text(service, "service")
        if id is None:
            n = c_size_t()
            with self._cv:  # the id buffer is shared
                st = F.hb_task_client_submit(h, svc, b, len(b), self._newid, 256, byref(n))
                check(st, h, "submit")
                rid = self._newid.value.decode()
                self._outstanding.add(rid)
        else:
            rid = id if isinstance(id, str) else None
            if rid is None:
                raise TypeError(f"id must be str, not {type(id).__name__}")
            check(F.hb_task_client_submit_id(h, rid.encode(), svc, b, len(b)), h, "submit")
            with self._cv:
                self._outstanding.add(rid)
                self._abandoned.discard(rid)
        return rid

    def request(self, body, timeout=None, service=None):
        """Send one request and wait for its answer (bytes). `timeout` (s):
        the longest wait (None: until the outcome, which comes at the latest
        when the client gives up after its tries). Raises TaskFailed (the
        worker answered an error, or no worker serves the service), TaskGaveUp
        (no answer after the tries), Timeout (the wait ran out: the outcome,
        when it comes, is dropped)."""
        deadline = _deadline(timeout)
        rid = self.submit(body, service=service)
        return self._wait_for(rid, deadline).unwrap()

    def fetch(self, id, timeout=None, wait=True):
        """Ask the broker for the outcome of request `id` (sent earlier, maybe by
        another client or an earlier run). wait=True: return it as a
        TaskResult (status "unknown" when the broker does not know the id),
        waiting at most `timeout` s; wait=False: it comes through results()."""
        h = self._live_h()
        if not isinstance(id, str):
            raise TypeError(f"id must be str, not {type(id).__name__}")
        check(F.hb_task_client_fetch(h, id.encode()), h, "fetch")
        with self._cv:
            self._outstanding.add(id)
            self._abandoned.discard(id)
        if not wait:
            return None
        return self._wait_for(id, _deadline(timeout))

    def _wait_for(self, rid, deadline):
        with self._cv:
            self._waiting[rid] = self._waiting.get(rid, 0) + 1
        ok = False
        try:
            r = self._take(rid, deadline)
            ok = True
            return r
        finally:
            with self._cv:
                k = self._waiting.get(rid, 1) - 1
                if k:
                    self._waiting[rid] = k
                else:
                    self._waiting.pop(rid, None)
                if not ok and rid in self._outstanding and not k:
                    self._outstanding.discard(rid)
                    if self._done.pop(rid, None) is None:
                        self._abandoned.add(rid)

    # -------------------------------------------------- taking outcomes

    def _pump(self, h, timeout_ms):
        """One bounded hb_task_client_next (only one thread at a time)."""
        buf = self._buf
        while True:
            st = F.hb_task_client_next(
                h, timeout_ms, self._idbuf, 256, byref(self._idlen), byref(self._oc), buf.b, buf.n, byref(self._n)
            )
            if st == HB_BUFFER_TOO_SMALL:  # the outcome is kept: take it with buffers that fit
                buf.grow(self._n.value)
                if self._idlen.value + 1 > len(self._idbuf):
                    self._idbuf = create_string_buffer(self._idlen.value + 1)
                timeout_ms = 0
                continue
            if st != HB_OK:
                return st, None
            rid = self._idbuf.value.decode("utf-8", "replace")
            status = _OUTCOME.get(self._oc.value, str(self._oc.value))
            data = string_at(buf.b, self._n.value)
            if status == "ok":
                return st, TaskResult(rid, status, data, None)
            return st, TaskResult(rid, status, b"", data.decode("utf-8", "replace") if status != "unknown" else None)

    def _pop_ready(self, want):
        if want is not None:
            r = self._done.pop(want, None)
        else:
            r = None
            for rid in self._done:
                if rid not in self._waiting:
                    r = self._done.pop(rid)
                    break
        if r is not None:
            self._outstanding.discard(r.id)
        return r

    def _take(self, want, deadline):
        """The outcome of `want` (an id), or of any request nobody waits for (None)."""
        h = self._live_h()
        with self._cv:
            while True:
                r = self._pop_ready(want)
                if r is not None:
                    return r
                if self._closed:
                    raise Stopped("the task client is closed")
                if want is None and deadline is None and not (self._outstanding - set(self._waiting)):
                    raise Timeout("no request in flight")
                wait_ms = _slice(deadline)
                if deadline is not None and wait_ms == 0 and time.monotonic() >= deadline:
                    raise Timeout(
                        "no outcome within the time-out"
                        if want is None
                        else f"no outcome for request {want} within the time-out"
                    )
                if self._pumping:
                    self._cv.wait(wait_ms / 1000)
                    continue
                self._pumping = True
                self._cv.release()
                try:
                    st, res = self._pump(h, wait_ms)
                finally:
                    self._cv.acquire()
                    self._pumping = False
                    self._cv.notify_all()
                if res is not None:
                    if res.id in self._abandoned:
                        self._abandoned.discard(res.id)
                    else:
                        self._done[res.id] = res
                elif st in (HB_STOPPED, HB_INVALID_HANDLE) and self._closed:
                    raise Stopped("the task client is closed")
                elif st not in (HB_TIMEOUT, HB_INTERRUPTED):
                    raise failure(st, h, "task client next")

    def next_result(self, timeout=None):
        """The next outcome (a TaskResult) of a request submitted or fetched
        without waiting, waiting at most `timeout` s (None: as long as some are
        in flight). Raises Timeout."""
        return self._take(None, _deadline(timeout))

    next = next_result

    def results(self, timeout=None):
        """Iterate over outcomes until none is in flight; each waits at most
        `timeout` s (None: as long as needed; every request ends, at the latest
        when the client gives up)."""
        while True:
            with self._cv:
                pending = bool(self._outstanding - set(self._waiting))
            if not pending:
                return
            try:
                yield self._take(None, _deadline(timeout))
            except Timeout:
                if timeout is not None:
                    raise
                return

    @property
    def in_flight(self):
        """Requests waiting for an outcome in the library now."""
        return self.stats().in_flight

    def stats(self):
        return TaskClientStats(
            **_read_stats(F.hb_task_client_stats, self._live_h(), TaskClientStatsC, "task client stats")
        )

    def fileno(self):
        """A descriptor that turns readable when an outcome waits (hb_handle_fd)."""
        return _ffi.handle_fd(self._live_h())

    def _after_free(self):
        with self._cv:
            self._cv.notify_all()

    def __repr__(self):
        return f"<hypobus.TaskClient{' closed' if self._closed else ''}>"
