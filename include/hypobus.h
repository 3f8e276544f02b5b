/*
 * libhypobus: the ZeroMQ "hypotenuse lab" (brokers with failover, calc and
 * operation nodes, clients), generic ZeroMQ sockets and a proxy, as a C
 * library. Made to be driven from C, Python (ctypes) and Node (koffi).
 *
 * The rules below hold for every function; each function's comment says
 * which threads may call it and what it waits on.
 *
 * STATUS AND ERRORS
 *  - Every function returns an hb_status; results go through out-pointers.
 *  - After a failure the explanation (status, libzmq errno, message shorter
 *    than HB_ERROR_MAX) is kept twice: per thread (hb_last_error, or
 *    hb_error_info with a NULL handle) and on the handle the call was made
 *    on (hb_error_info with that handle), so a call that ran on a pool
 *    thread (koffi .async) can be explained to its caller.
 *  - No panic crosses the boundary (HB_PANIC). No signal handler is
 *    installed; threads of the library block signals, so signals reach the
 *    application's threads.
 *
 * HANDLES
 *  - Handles are opaque keys, never dereferenced: a NULL, freed or
 *    wrong-type handle returns HB_INVALID_HANDLE, never crashes;
 *    _free(NULL) is a no-op.
 *  - Any handle may be used from any thread. Calls on one handle are
 *    serialized for the short time they touch it; no call holds a handle
 *    while it waits, so another thread's call on the same handle never
 *    waits behind a waiting one.
 *  - Freeing (or stopping) a handle wakes every wait on it at once: those
 *    calls return HB_STOPPED.
 *
 * THE TIMEOUT RULE (every call that can wait takes int32_t timeout_ms)
 *  - timeout_ms > 0: wait at most that many milliseconds, then HB_TIMEOUT.
 *  - timeout_ms == 0: do not wait: take what is ready now, else HB_TIMEOUT.
 *  - timeout_ms < 0: refused with HB_INVALID_ARGUMENT. Nothing waits
 *    without a bound; to wait "until something comes", call in a loop.
 *  - A wait also ends early: HB_INTERRUPTED when a signal handler runs on
 *    the waiting thread (EINTR; e.g. Python's Ctrl-C), HB_STOPPED when the
 *    handle is freed or stopped. Either way the call took nothing and left
 *    nothing half-done (an interrupted hb_client_hypot cancels its request).
 *  - Calls that wait name what they wait on; all others return at once.
 *
 * DATA IN AND OUT
 *  - Strings in: NUL-terminated UTF-8. Binary data: pointer + length
 *    (frames may contain NUL bytes).
 *  - Output goes to caller buffers (buf, len, out_len): written whole, with
 *    a NUL, *out_len (optional) = length without the NUL. A buffer that is
 *    too small gets HB_BUFFER_TOO_SMALL, *out_len = the length needed, and
 *    the item is NOT taken: call again with a bigger buffer and get it.
 *    Every text is shorter than HB_TEXT_MAX bytes.
 *  - The library never hands out memory the caller must free.
 *  - Structs carry their size: set the first field, size, to sizeof the
 *    struct; the library reads or writes only what both sides know, so
 *    structs can grow in later versions without breaking older callers.
 *  - hb_abi_version tells the ABI version (HB_ABI_VERSION_MAJOR/MINOR).
 *
 * BROKER LISTS (the brokers argument of nodes and clients; the same
 * grammar as the bindings and the CLI's --broker: docs/PROTOCOL.md)
 *  - Comma-separated (an empty entry is an error); a node connects to every broker in the list, so a
 *    switch to the backup needs no reconfiguration. NULL or "" means
 *    127.0.0.1 on the lab's ports 5555 (XSUB) and 5556 (XPUB). Each entry:
 *    HOST or HOST:XSUB_PORT:XPUB_PORT (e.g. 10.0.0.2:5555:5556); an IPv6
 *    host in brackets ([::1]:5555:5556); XSUB_ENDPOINT|XPUB_ENDPOINT, the
 *    two endpoints as hb_broker_endpoint reports them
 *    (tcp://127.0.0.1:40001|tcp://127.0.0.1:40002); inproc:NAME for a broker
 *    of this process started with an inproc name (hb_broker_new_ex).
 *
 * EVENT LOOPS AND CALLBACKS
 *  - Everything the library could call back for can also be pulled
 *    (hb_op_pull_*, hb_client_next, hb_failover_next_event, hb_log_next,
 *    hb_watch_next),
 *    and hb_handle_fd gives a file descriptor an event loop can watch
 *    (libuv via koffi.node.poll, asyncio add_reader), so an idle program
 *    uses no CPU. hb_poll waits on many handles at once.
 *  - Callbacks (hb_op_fn, hb_failover_event_fn) run on a thread of their
 *    own that nothing else waits for; stopping or freeing never waits for a
 *    callback that does not return (see each function), and a thread exit
 *    inside a callback (an interpreter shutting down) ends only that thread.
 *  - The library stays loaded until the process ends (it is linked with
 *    -z nodelete), so unloading it with threads running cannot crash.
 *
 * FORK
 *  - A process may fork() at any time after using the library (Python's
 *    multiprocessing, a server forking per connection); the parent is never
 *    disturbed. The child never touches what it inherited (the parent's
 *    ZeroMQ context, threads, descriptors, locks): its first call makes
 *    fresh ones, so it can create sockets and roles as a new process would.
 *  - A handle created before the fork belongs to the parent: in the child
 *    every call on it returns HB_FORKED, and freeing it returns HB_OK and
 *    does nothing (its sockets stay the parent's). An exec()'d child
 *    inherits nothing (the library's descriptors are close-on-exec).
 */

#ifndef HYPOBUS_H
#define HYPOBUS_H

/* Generated by cbindgen from src/ffi/ (see build.rs and cbindgen.toml). Do not edit by hand. */

#include <stddef.h>
#include <stdint.h>

/** The library's version (Cargo.toml), as `hb_version` reports it. */
#define HYPOBUS_VERSION_MAJOR 0
#define HYPOBUS_VERSION_MINOR 1
#define HYPOBUS_VERSION_PATCH 0
#define HYPOBUS_VERSION "0.1.0"

/**
 * Major version of the C ABI. A binding built for another major version
 * must not use this library (see `hb_abi_version`).
 */
#define HB_ABI_VERSION_MAJOR 1

/**
 * Minor version of the C ABI: grows when functions or struct fields are added.
 */
#define HB_ABI_VERSION_MINOR 5

/**
 * Every text the library writes (an answer, an error reason, an event
 * reason, a request's value, a log line) is shorter than this many bytes,
 * NUL included: a buffer of `HB_TEXT_MAX` bytes always fits.
 */
#define HB_TEXT_MAX 512

/**
 * Error messages (`hb_last_error`, `hb_error_info`) are cut to fit this
 * many bytes, NUL included.
 */
#define HB_ERROR_MAX 512

/**
 * The most handles one `hb_poll` or `hb_wait_any` call takes.
 */
#define HB_WAIT_MAX 4096

/**
 * `hb_poll` events: a message (request, answer, event) can be taken now.
 */
#define HB_POLLIN 1

/**
 * `hb_poll` events: a socket can send now.
 */
#define HB_POLLOUT 2

/**
 * `hb_poll` revents: the handle was freed or stopped (or is not valid).
 */
#define HB_POLLERR 4

/**
 * `hb_poll` events (sockets): a socket event (`hb_socket_next_event`) can be taken now.
 */
#define HB_POLLMON 8

/**
 * `hb_poll` revents: another thread called `hb_wake` on the handle.
 */
#define HB_POLLWAKE 16

/**
 * `hb_log_enable` mode bit: log lines go to stderr.
 */
#define HB_LOG_STDERR 1

/**
 * `hb_log_enable` mode bit: log lines are queued for `hb_log_next` (at
 * most 1024; older ones are dropped and a line says how many).
 */
#define HB_LOG_QUEUE 2

/**
 * Bytes of a CURVE key as Z85 text with its NUL (40 characters + 1): the
 * smallest buffer for a key.
 */
#define HB_CURVE_KEY_SIZE 41

/**
 * `hb_socket_send` flag: the message continues with the next
 * `hb_socket_send` call (libzmq's `ZMQ_SNDMORE`, pyzmq's `send(x, SNDMORE)`).
 */
#define HB_SNDMORE 2

/**
 * `hb_socket_send` flag: do not wait for room, whatever `timeout_ms` says
 * (libzmq's `ZMQ_DONTWAIT`; the same as `timeout_ms` 0).
 */
#define HB_DONTWAIT 1

/**
 * Socket type (libzmq's `ZMQ_PAIR`).
 */
#define HB_PAIR 0

/**
 * Socket type `ZMQ_PUB`.
 */
#define HB_PUB 1

/**
 * Socket type `ZMQ_SUB`.
 */
#define HB_SUB 2

/**
 * Socket type `ZMQ_REQ`.
 */
#define HB_REQ 3

/**
 * Socket type `ZMQ_REP`.
 */
#define HB_REP 4

/**
 * Socket type `ZMQ_DEALER`.
 */
#define HB_DEALER 5

/**
 * Socket type `ZMQ_ROUTER`.
 */
#define HB_ROUTER 6

/**
 * Socket type `ZMQ_PULL`.
 */
#define HB_PULL 7

/**
 * Socket type `ZMQ_PUSH`.
 */
#define HB_PUSH 8

/**
 * Socket type `ZMQ_XPUB`.
 */
#define HB_XPUB 9

/**
 * Socket type `ZMQ_XSUB`.
 */
#define HB_XSUB 10

/**
 * Socket type `ZMQ_STREAM`.
 */
#define HB_STREAM 11

/**
 * Option `ZMQ_AFFINITY` (uint64).
 */
#define HB_AFFINITY 4

/**
 * Option `ZMQ_ROUTING_ID` (bytes, 1..255; `ZMQ_IDENTITY` is the same number).
 */
#define HB_ROUTING_ID 5

/**
 * Option `ZMQ_IDENTITY`, the old name of `ZMQ_ROUTING_ID`.
 */
#define HB_IDENTITY 5

/**
 * Option `ZMQ_SUBSCRIBE` (bytes, write-only: a prefix; empty = everything).
 */
#define HB_SUBSCRIBE 6

/**
 * Option `ZMQ_UNSUBSCRIBE` (bytes, write-only).
 */
#define HB_UNSUBSCRIBE 7

/**
 * Option `ZMQ_SNDBUF` (int, bytes of the kernel's send buffer; 0 = OS default).
 */
#define HB_SNDBUF 11

/**
 * Option `ZMQ_RCVBUF` (int).
 */
#define HB_RCVBUF 12

/**
 * Option `ZMQ_RCVMORE` (int, read-only; always 0 here, since `hb_socket_recv` takes whole messages).
 */
#define HB_RCVMORE 13

/**
 * Option `ZMQ_FD` (int, read-only; prefer `hb_handle_fd`).
 */
#define HB_FD 14

/**
 * Option `ZMQ_EVENTS` (int, read-only; the same as `hb_socket_events`).
 */
#define HB_EVENTS 15

/**
 * Option `ZMQ_TYPE` (int, read-only).
 */
#define HB_TYPE 16

/**
 * Option `ZMQ_LINGER` (int, ms; -1 = until sent, libzmq's default).
 */
#define HB_LINGER 17

/**
 * Option `ZMQ_RECONNECT_IVL` (int, ms).
 */
#define HB_RECONNECT_IVL 18

/**
 * Option `ZMQ_BACKLOG` (int).
 */
#define HB_BACKLOG 19

/**
 * Option `ZMQ_RECONNECT_IVL_MAX` (int, ms).
 */
#define HB_RECONNECT_IVL_MAX 21

/**
 * Option `ZMQ_MAXMSGSIZE` (int64, bytes; -1 = no limit).
 */
#define HB_MAXMSGSIZE 22

/**
 * Option `ZMQ_SNDHWM` (int, messages; 0 = no limit).
 */
#define HB_SNDHWM 23

/**
 * Option `ZMQ_RCVHWM` (int, messages; 0 = no limit).
 */
#define HB_RCVHWM 24

/**
 * Option `ZMQ_RCVTIMEO` (int, ms). Stored in libzmq and readable, but the
 * calls of this library take their own `timeout_ms`: a binding implements
 * RCVTIMEO by passing it (a pyzmq look-alike: -1 becomes a loop of bounded waits).
 */
#define HB_RCVTIMEO 27

/**
 * Option `ZMQ_SNDTIMEO` (int, ms); see `HB_RCVTIMEO`.
 */
#define HB_SNDTIMEO 28

/**
 * Option `ZMQ_LAST_ENDPOINT` (text, read-only).
 */
#define HB_LAST_ENDPOINT 32

/**
 * Option `ZMQ_ROUTER_MANDATORY` (int, write-only: sends to an unknown peer fail with `EHOSTUNREACH`).
 */
#define HB_ROUTER_MANDATORY 33

/**
 * Option `ZMQ_TCP_KEEPALIVE` (int: -1 OS default, 0 off, 1 on).
 */
#define HB_TCP_KEEPALIVE 34

/**
 * Option `ZMQ_TCP_KEEPALIVE_CNT` (int).
 */
#define HB_TCP_KEEPALIVE_CNT 35

/**
 * Option `ZMQ_TCP_KEEPALIVE_IDLE` (int, s).
 */
#define HB_TCP_KEEPALIVE_IDLE 36

/**
 * Option `ZMQ_TCP_KEEPALIVE_INTVL` (int, s).
 */
#define HB_TCP_KEEPALIVE_INTVL 37

/**
 * Option `ZMQ_IMMEDIATE` (int: queue only toward completed connections).
 */
#define HB_IMMEDIATE 39

/**
 * Option `ZMQ_XPUB_VERBOSE` (int, write-only: pass on every subscription, not only new ones).
 */
#define HB_XPUB_VERBOSE 40

/**
 * Option `ZMQ_IPV6` (int).
 */
#define HB_IPV6 42

/**
 * Option `ZMQ_MECHANISM` (int, read-only: 0 NULL, 1 PLAIN, 2 CURVE). Since ABI 1.4.
 */
#define HB_MECHANISM 43

/**
 * Option `ZMQ_PLAIN_SERVER` (int: 1 = a PLAIN server). Since ABI 1.4.
 */
#define HB_PLAIN_SERVER 44

/**
 * Option `ZMQ_PLAIN_USERNAME` (text). Since ABI 1.4.
 */
#define HB_PLAIN_USERNAME 45

/**
 * Option `ZMQ_PLAIN_PASSWORD` (text). Since ABI 1.4.
 */
#define HB_PLAIN_PASSWORD 46

/**
 * Option `ZMQ_CURVE_SERVER` (int: 1 = a CURVE server). Since ABI 1.4.
 */
#define HB_CURVE_SERVER 47

/**
 * Option `ZMQ_CURVE_PUBLICKEY` (a key: 32 bytes or 40 of Z85; read as Z85). Since ABI 1.4.
 */
#define HB_CURVE_PUBLICKEY 48

/**
 * Option `ZMQ_CURVE_SECRETKEY` (a key, as `HB_CURVE_PUBLICKEY`). Since ABI 1.4.
 */
#define HB_CURVE_SECRETKEY 49

/**
 * Option `ZMQ_CURVE_SERVERKEY` (a client's: the server's public key). Since ABI 1.4.
 */
#define HB_CURVE_SERVERKEY 50

/**
 * Option `ZMQ_PROBE_ROUTER` (int, write-only).
 */
#define HB_PROBE_ROUTER 51

/**
 * Option `ZMQ_REQ_CORRELATE` (int, write-only).
 */
#define HB_REQ_CORRELATE 52

/**
 * Option `ZMQ_REQ_RELAXED` (int, write-only).
 */
#define HB_REQ_RELAXED 53

/**
 * Option `ZMQ_CONFLATE` (int: keep only the last message).
 */
#define HB_CONFLATE 54

/**
 * Option `ZMQ_ZAP_DOMAIN` (text: the domain a ZAP handler is told; also
 * turns ZAP on for a NULL server). Since ABI 1.4.
 */
#define HB_ZAP_DOMAIN 55

/**
 * Option `ZMQ_ROUTER_HANDOVER` (int, write-only).
 */
#define HB_ROUTER_HANDOVER 56

/**
 * Option `ZMQ_CONNECT_ROUTING_ID` (bytes, write-only: the routing id of the next connect's peer).
 */
#define HB_CONNECT_ROUTING_ID 61

/**
 * Option `ZMQ_HANDSHAKE_IVL` (int, ms).
 */
#define HB_HANDSHAKE_IVL 66

/**
 * Option `ZMQ_XPUB_NODROP` (int, write-only).
 */
#define HB_XPUB_NODROP 69

/**
 * Option `ZMQ_XPUB_WELCOME_MSG` (bytes, write-only).
 */
#define HB_XPUB_WELCOME_MSG 72

/**
 * Option `ZMQ_INVERT_MATCHING` (int).
 */
#define HB_INVERT_MATCHING 74

/**
 * Option `ZMQ_HEARTBEAT_IVL` (int, ms).
 */
#define HB_HEARTBEAT_IVL 75

/**
 * Option `ZMQ_HEARTBEAT_TTL` (int, ms).
 */
#define HB_HEARTBEAT_TTL 76

/**
 * Option `ZMQ_HEARTBEAT_TIMEOUT` (int, ms).
 */
#define HB_HEARTBEAT_TIMEOUT 77

/**
 * Option `ZMQ_CONNECT_TIMEOUT` (int, ms).
 */
#define HB_CONNECT_TIMEOUT 79

/**
 * Socket event (`hb_socket_monitor` mask, `hb_socket_event_t.event`): connected to a peer.
 */
#define HB_EVENT_CONNECTED 1

/**
 * Socket event: a connect is delayed (will be retried in the background).
 */
#define HB_EVENT_CONNECT_DELAYED 2

/**
 * Socket event: a connect is retried; `value` = the retry interval in ms.
 */
#define HB_EVENT_CONNECT_RETRIED 4

/**
 * Socket event: bound and listening.
 */
#define HB_EVENT_LISTENING 8

/**
 * Socket event: a bind failed; `value` = errno.
 */
#define HB_EVENT_BIND_FAILED 16

/**
 * Socket event: a connection was accepted.
 */
#define HB_EVENT_ACCEPTED 32

/**
 * Socket event: accepting a connection failed; `value` = errno.
 */
#define HB_EVENT_ACCEPT_FAILED 64

/**
 * Socket event: a listening or connection descriptor was closed.
 */
#define HB_EVENT_CLOSED 128

/**
 * Socket event: closing failed; `value` = errno.
 */
#define HB_EVENT_CLOSE_FAILED 256

/**
 * Socket event: a connection broke (the peer went away).
 */
#define HB_EVENT_DISCONNECTED 512

/**
 * Socket event: the monitor stopped.
 */
#define HB_EVENT_MONITOR_STOPPED 1024

/**
 * Socket event: a ZMTP handshake failed (no detail).
 */
#define HB_EVENT_HANDSHAKE_FAILED_NO_DETAIL 2048

/**
 * Socket event: a ZMTP handshake completed (the connection is usable).
 */
#define HB_EVENT_HANDSHAKE_SUCCEEDED 4096

/**
 * Socket event: a handshake failed on a protocol error; `value` = the error.
 */
#define HB_EVENT_HANDSHAKE_FAILED_PROTOCOL 8192

/**
 * Socket event: a handshake failed on authentication; `value` = the status code.
 */
#define HB_EVENT_HANDSHAKE_FAILED_AUTH 16384

/**
 * Every socket event (`ZMQ_EVENT_ALL`).
 */
#define HB_EVENT_ALL 65535

/**
 * `hb_task_broker_config_t.policy`: the least recently used ready worker (the course's router/router broker).
 */
#define HB_TASK_LRU 0

/**
 * `hb_task_broker_config_t.policy`: the ready worker reporting the least load (a min-heap).
 */
#define HB_TASK_LOAD 1

/**
 * `hb_task_broker_endpoint` `which`: the frontend (clients connect here).
 */
#define HB_TASK_FRONTEND 0

/**
 * `hb_task_broker_endpoint` `which`: the backend (workers connect here).
 */
#define HB_TASK_BACKEND 1

/**
 * `hb_task_broker_endpoint` `which`: the capacity publication (peering; empty without).
 */
#define HB_TASK_STATE 2

/**
 * `hb_task_client_next` outcome: the worker's result is in the buffer.
 */
#define HB_TASK_OK 0

/**
 * `hb_task_client_next` outcome: the task failed; the reason (UTF-8) is in the buffer.
 */
#define HB_TASK_FAILED 1

/**
 * `hb_task_client_next` outcome: no answer after the client's tries; the reason is in the buffer.
 */
#define HB_TASK_GAVE_UP 2

/**
 * `hb_task_client_next` outcome: a fetch of an id the broker does not know (empty buffer).
 */
#define HB_TASK_UNKNOWN 3

/**
 * `hb_watch_new` flag: take in every message, also under load (no
 * sampling). Without it the observer samples above 5000 messages/s.
 */
#define HB_WATCH_FULL 1

/**
 * `hb_watch_event_t.kind`: a request's path, finished (answered, or no
 * answer seen in time).
 */
#define HB_WATCH_TRACE 1

/**
 * `hb_watch_event_t.kind`: a broker changed state (active, passive, silent).
 */
#define HB_WATCH_BROKER 2

/**
 * `hb_watch_event_t.kind`: a role's observability event (a fallback, a
 * refused request, a failover broker's state change).
 */
#define HB_WATCH_ROLE 3

/**
 * `hb_watch_event_t.flags`: a classic (untagged) request.
 */
#define HB_WATCH_CLASSIC 1

/**
 * `hb_watch_event_t.flags`: the calc node computed lane 1's square itself.
 */
#define HB_WATCH_FALLBACK1 2

/**
 * `hb_watch_event_t.flags`: the calc node computed lane 2's square itself.
 */
#define HB_WATCH_FALLBACK2 4

/**
 * `hb_watch_event_t.flags`: the answer was an error (`ERR …`).
 */
#define HB_WATCH_ERROR 8

/**
 * `hb_watch_event_t.flags`: no answer was seen.
 */
#define HB_WATCH_LOST 16

/**
 * `hb_watch_event_t.flags` (broker events): the broker forwards now.
 */
#define HB_WATCH_ACTIVE 32

/**
 * `hb_watch_event_t.flags` (broker events): the broker is heard.
 */
#define HB_WATCH_ALIVE 64

/**
 * `hb_watch_hop_t.from` / `.to`: the request's client.
 */
#define HB_WATCH_CLIENT 0

/**
 * `hb_watch_hop_t.from` / `.to`: the calc node.
 */
#define HB_WATCH_CALC 1

/**
 * `hb_watch_hop_t.from` / `.to`: the operation node of lane 1.
 */
#define HB_WATCH_OP1 2

/**
 * `hb_watch_hop_t.from` / `.to`: the operation node of lane 2.
 */
#define HB_WATCH_OP2 3

/**
 * `hb_watch_export` format: Markdown with one Mermaid `sequenceDiagram` per request.
 */
#define HB_WATCH_MERMAID 1

/**
 * `hb_watch_export` format: one SVG document with every request's diagram.
 */
#define HB_WATCH_SVG 2

/**
 * What a call did. Every exported function returns one.
 *
 * When the status is not `HB_OK`, `hb_last_error()` on the same thread,
 * or `hb_error_info()` with the handle the call was made on, explains it.
 */
typedef enum {
    /**
     * Success.
     */
    HB_OK = 0,
    /**
     * Nothing arrived, or the work did not finish, before the time-out ran
     * out (also: a socket had nothing to receive or could not send now,
     * libzmq's `EAGAIN`).
     */
    HB_TIMEOUT = 1,
    /**
     * A bad argument: a NULL pointer where one is required, a string that
     * is not UTF-8, a value that is not a valid number, an unknown id, a
     * negative time-out.
     */
    HB_INVALID_ARGUMENT = 2,
    /**
     * A NULL, freed, never-created or wrong-type handle.
     */
    HB_INVALID_HANDLE = 3,
    /**
     * A bad setting: endpoint that cannot be bound, bad broker list, lane 0.
     */
    HB_CONFIG = 4,
    /**
     * The remote side answered with an error (the reason is in the error text).
     */
    HB_REMOTE = 5,
    /**
     * A ZeroMQ call failed; `hb_error_info` gives libzmq's errno (for
     * example `EFSM` for a REQ socket sending twice, `EHOSTUNREACH` for a
     * ROUTER_MANDATORY socket and an unknown peer).
     */
    HB_ZMQ = 6,
    /**
     * The handle was freed or stopped (by this or another thread, also while
     * the call waited), or the role's thread is gone.
     */
    HB_STOPPED = 7,
    /**
     * A caller buffer is too small: `*out_len` (or the call's own size
     * output) tells the size needed. Nothing was taken: the same call with
     * a big enough buffer returns the same item.
     */
    HB_BUFFER_TOO_SMALL = 8,
    /**
     * A bug in the library: a panic was caught at the boundary.
     */
    HB_PANIC = 9,
    /**
     * A signal arrived while the call waited (`EINTR`): the call returns
     * at once, having taken and left nothing half-done; call it again
     * once the signal is handled (e.g. Python's Ctrl-C).
     */
    HB_INTERRUPTED = 10,
    /**
     * The handle is busy with something that excludes this call (a socket
     * that a proxy runs, a role calling this from its own callback in a
     * way that would wait for itself).
     */
    HB_BUSY = 11,
    /**
     * The handle was created before this process was forked: it belongs to
     * the parent (its threads and sockets do not exist here), so a forked
     * child cannot use it. Freeing it in the child is `HB_OK` and touches
     * nothing; make new handles instead.
     */
    HB_FORKED = 12,
} hb_status;

/**
 * The configured role of a failover broker (the `role` argument of
 * `hb_failover_new`, passed as an `int32_t`).
 */
typedef enum {
    /**
     * Takes the traffic at start unless it finds the backup active.
     */
    HB_ROLE_PRIMARY = 0,
    /**
     * Watches the primary; takes over when it falls silent, yields to an
     * active primary, hands back on request (`hb_failover_handback`).
     */
    HB_ROLE_BACKUP = 1,
} hb_role;

/**
 * A ZAP authenticator (opaque): decides which peers may connect to the
 * process's generic sockets that are CURVE or PLAIN servers (or NULL ones
 * with `HB_ZAP_DOMAIN` set), as CZMQ's `zauth` and pyzmq's
 * `ThreadAuthenticator`. Create with `hb_auth_new`, release with
 * `hb_auth_free`. Any thread may use it.
 */
typedef struct hb_auth hb_auth;

/**
 * A running broker (opaque). Create with `hb_broker_new` or
 * `hb_broker_new_ex`, release with `hb_broker_free`. Any thread may use
 * it; calls on one handle are serialized (none of them waits long).
 */
typedef struct hb_broker hb_broker;

/**
 * A running calculation node (opaque). Create with `hb_calc_new` or
 * `hb_calc_new_ex`, release with `hb_calc_free`. Any thread may use it.
 */
typedef struct hb_calc hb_calc;

/**
 * A hypotenuse client (opaque). Create with `hb_client_new` or
 * `hb_client_new_ex`, release with `hb_client_free`. No background thread: all work happens inside the
 * calls (and only while one runs: between calls nothing is resent). Any
 * thread may use it; calls lock it only for short non-blocking steps, so a
 * call waiting on one thread never holds up another thread's call.
 */
typedef struct hb_client hb_client;

/**
 * A broker with a failover monitor, primary or backup (opaque). Create with
 * `hb_failover_new`, release with `hb_failover_free`. Any thread may use
 * it; no call holds it while it waits.
 */
typedef struct hb_failover hb_failover;

/**
 * An operation node running on its own thread (opaque). Create with
 * `hb_op_new`, release with `hb_op_free`. Any thread may use it.
 */
typedef struct hb_op hb_op;

/**
 * An operation node driven by the caller (opaque): take requests with
 * `hb_op_pull_recv`, answer them with `hb_op_pull_reply`,
 * `hb_op_pull_reply_text` or `hb_op_pull_reply_error`. Nothing runs in the
 * background and no user code is called by the library. Any thread may
 * use it; a waiting `hb_op_pull_recv` does not hold it.
 */
typedef struct hb_op_pull hb_op_pull;

/**
 * A proxy (opaque): forwards whole messages both ways between a frontend
 * and a backend socket on a library thread, like `zmq_proxy`. Create with
 * `hb_proxy_new`, release with `hb_proxy_free`. Any thread may use it.
 */
typedef struct hb_proxy hb_proxy;

/**
 * A generic ZeroMQ socket (opaque). Create with `hb_socket_new`, release
 * with `hb_socket_free`. Any thread may use it; calls are serialized only
 * for the moment they touch libzmq, never while they wait, so a send on one
 * thread does not wait behind a receive waiting on another.
 */
typedef struct hb_socket hb_socket;

/**
 * A running task broker (opaque): a ROUTER frontend for clients, a ROUTER
 * backend for workers, routing on a thread of its own (`hypobus-task`).
 * Create with `hb_task_broker_new`, release with `hb_task_broker_free`.
 * Any thread may use it; no call on it waits long.
 */
typedef struct hb_task_broker hb_task_broker;

/**
 * A task client (opaque), lazy-pirate style: each request has an id, is
 * resent with it after `timeout_ms` (on a fresh socket when the broker was
 * silent) and gives up after `tries`; many requests in flight; each outcome
 * delivered exactly once. An I/O thread of its own (`hypobus-tc`) does the
 * sending. Create with `hb_task_client_new`, release with
 * `hb_task_client_free`. Any thread may use it; waits do not hold it.
 */
typedef struct hb_task_client hb_task_client;

/**
 * A task worker (opaque): registers with a broker, heartbeats, and either
 * calls a C function on callback threads of its own or hands requests to
 * the caller (`hb_task_worker_recv`). Create with `hb_task_worker_new`,
 * release with `hb_task_worker_free`. Any thread may use it; a waiting
 * `hb_task_worker_recv` does not hold it.
 */
typedef struct hb_task_worker hb_task_worker;

/**
 * The passive observer (opaque). Create with `hb_watch_new`, release
 * with `hb_watch_free`. Any thread may use it; no call holds it while it waits.
 */
typedef struct hb_watch hb_watch;

/**
 * One entry of an `hb_poll` set.
 */
typedef struct {
    /**
     * A handle of a pollable kind: `hb_socket*`, `hb_client*`,
     * `hb_op_pull*`, `hb_failover*` (cast to `const void*`).
     */
    const void *handle;
    /**
     * What to wait for: `HB_POLLIN` (something to take: a message, an
     * answer or due resend, a request, an event), `HB_POLLOUT` (sockets:
     * can send).
     */
    int16_t events;
    /**
     * Set by `hb_poll`: the events that are ready, plus `HB_POLLERR` (the
     * handle is freed or stopped) and `HB_POLLWAKE` (`hb_wake` was called),
     * which are reported whatever `events` asks.
     */
    int16_t revents;
} hb_poll_item;

/**
 * One role's own CURVE keys (ABI 1.5): the `curve` field of a role's
 * config struct (`hb_broker_config_t`, `hb_calc_config_t`, ...). The three
 * fields mean what `hb_curve_set_default`'s arguments mean, for that role
 * only: a role given a non-NULL `curve` uses exactly these keys and never
 * the process default (all three NULL or `""` = CURVE off for this role,
 * even when a process default is set); a NULL `curve` = the process
 * default, as before. Set `size` to `sizeof(hb_curve_config_t)`. The
 * strings are read while the constructor runs; they need not outlive it.
 * Since ABI 1.5.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_curve_config_t)`.
     */
    uint32_t size;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * This role's own certificate: the secret file (`NAME_secret`) or its
     * Z85 secret key. Serving roles need it; a connecting role shows it to
     * an allow-list (without it: a fresh key pair). NULL or `""` = none.
     */
    const char *cert;
    /**
     * Connecting roles: the brokers' certificate (the public file `NAME`)
     * or their Z85 public key; set, the role talks CURVE. NULL or `""` = none.
     */
    const char *server;
    /**
     * Serving roles: a directory of the certificates of the clients allowed
     * to connect (needs `cert`). NULL or `""` = any client that knows the
     * server's public key.
     */
    const char *allow;
} hb_curve_config_t;

/**
 * How `hb_broker_new_ex` starts a broker. Set `size` to
 * `sizeof(hb_broker_config_t)` and every field you do not use to 0 / NULL
 * (`memset` or `= {0}` then set `size`): zero means the default. Fields
 * added by later versions of the library lie past an older caller's `size`
 * and take their defaults.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_broker_config_t)`.
     */
    uint32_t size;
    /**
     * Heartbeat period in milliseconds; 0 = 1000.
     */
    uint32_t hb_interval_ms;
    /**
     * XSUB endpoint to bind (publishers connect here); NULL = port 5555 on every interface.
     */
    const char *xsub;
    /**
     * XPUB endpoint to bind (subscribers connect here); NULL = port 5556 on every interface.
     */
    const char *xpub;
    /**
     * Heartbeat PUB endpoint to bind; NULL = `tcp://127.0.0.1:5560`
     * (loopback: give the address explicitly to reach other hosts);
     * `""` = no heartbeat.
     */
    const char *hb;
    /**
     * Also serve peers of this process over `inproc://` under this name
     * (1 to 64 of `A-Z a-z 0-9 . _ -`): nodes and sockets of the same
     * process reach it as `inproc:NAME` in a broker list, with no TCP in
     * between, while it runs (a node given a name no running broker
     * serves is refused with `HB_CONFIG`). NULL = not.
     */
    const char *inproc_name;
    /**
     * Non-zero: start passive (subscriptions flow, nothing is forwarded)
     * until `hb_broker_set_active`.
     */
    int32_t start_passive;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * This broker's own CURVE keys (see `hb_curve_config_t`); NULL = the
     * process default (`hb_curve_set_default`). Since ABI 1.5.
     */
    const hb_curve_config_t *curve;
} hb_broker_config_t;

/**
 * A broker's counters (`hb_broker_stats`, `hb_failover_broker_stats`).
 * Set `size` to `sizeof(hb_broker_stats_t)` before the call; the library
 * fills as many fields as both sides know and sets `size` to that many
 * bytes, so a struct from an older or newer header is never overrun.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_broker_stats_t)`.
     */
    uint32_t size;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * Messages forwarded from publishers to subscribers.
     */
    uint64_t forwarded;
    /**
     * Messages received while passive and therefore not forwarded.
     */
    uint64_t dropped_passive;
    /**
     * Subscribe requests seen on the XPUB side.
     */
    uint64_t subscriptions;
    /**
     * Unsubscribe requests seen on the XPUB side.
     */
    uint64_t unsubscriptions;
    /**
     * Heartbeats sent.
     */
    uint64_t heartbeats;
} hb_broker_stats_t;

/**
 * How `hb_calc_new_ex` starts a calculation node: `hb_calc_new`'s
 * arguments, and the node's own CURVE keys. Set `size` to
 * `sizeof(hb_calc_config_t)` and every field you do not use to 0 / NULL
 * (zero means the default). Since ABI 1.5.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_calc_config_t)`.
     */
    uint32_t size;
    /**
     * As `hb_calc_new`'s `timeout_ms`; 0 = 2000.
     */
    uint32_t timeout_ms;
    /**
     * A broker list (see BROKER LISTS); NULL or `""` = `127.0.0.1`.
     */
    const char *brokers;
    /**
     * This node's own CURVE keys (see `hb_curve_config_t`); NULL = the
     * process default (`hb_curve_set_default`).
     */
    const hb_curve_config_t *curve;
} hb_calc_config_t;

/**
 * A calc node's counters (`hb_calc_stats`). Set `size` to
 * `sizeof(hb_calc_stats_t)` before the call (see `hb_broker_stats_t`).
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_calc_stats_t)`.
     */
    uint32_t size;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * Requests whose two catheti arrived and were sent to the operation nodes.
     */
    uint64_t requests;
    /**
     * Of those, classic (untagged) requests.
     */
    uint64_t classic_requests;
    /**
     * Hypotenuse answers published.
     */
    uint64_t results;
    /**
     * Error answers published.
     */
    uint64_t errors;
    /**
     * Squares computed locally because no operation node answered in time.
     */
    uint64_t fallbacks;
    /**
     * Squares received from operation nodes and used.
     */
    uint64_t squares_received;
    /**
     * Duplicate requests or squares dropped (or re-answered from the cache).
     */
    uint64_t duplicates;
    /**
     * Messages that were not well-formed and could not be answered.
     */
    uint64_t bad_messages;
    /**
     * Requests dropped because their second cathetus never came.
     */
    uint64_t expired;
    /**
     * Requests in progress right now.
     */
    uint64_t in_flight;
} hb_calc_stats_t;

/**
 * How `hb_client_new_ex` starts a client: `hb_client_new`'s arguments,
 * and the client's own CURVE keys. Set `size` to
 * `sizeof(hb_client_config_t)` and every field you do not use to 0 / NULL
 * (zero means the default). Since ABI 1.5.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_client_config_t)`.
     */
    uint32_t size;
    /**
     * As `hb_client_new`'s `timeout_ms`; 0 = 5000.
     */
    uint32_t timeout_ms;
    /**
     * A broker list (see BROKER LISTS); NULL or `""` = `127.0.0.1`.
     */
    const char *brokers;
    /**
     * As `hb_client_new`'s `classic`: 0 = tagged, non-zero = classic.
     */
    int32_t classic;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * This client's own CURVE keys (see `hb_curve_config_t`); NULL = the
     * process default (`hb_curve_set_default`).
     */
    const hb_curve_config_t *curve;
} hb_client_config_t;

/**
 * A client's counters (`hb_client_stats`). Set `size` to
 * `sizeof(hb_client_stats_t)` before the call (see `hb_broker_stats_t`).
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_client_stats_t)`.
     */
    uint32_t size;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * Requests submitted.
     */
    uint64_t requests;
    /**
     * Resends of unanswered requests.
     */
    uint64_t resent;
    /**
     * Answers delivered to the application (values and errors).
     */
    uint64_t answers;
    /**
     * Duplicate or stray answers dropped (also late answers of cancelled requests).
     */
    uint64_t duplicates;
    /**
     * Requests that timed out.
     */
    uint64_t timeouts;
    /**
     * Requests cancelled (`hb_client_cancel`, or an `hb_client_hypot` that
     * gave up: time-out, signal, free).
     */
    uint64_t cancelled;
    /**
     * Requests submitted and not sent yet, now: waiting for a slot of the
     * window (256 requests on the wire at most) or for the start-up probe.
     */
    uint64_t queued;
} hb_client_stats_t;

/**
 * Called for every state change of a failover broker:
 *
 * * `user`: the pointer given to `hb_failover_new`, never read by the library;
 * * `at_ms`: when it happened, in milliseconds since the Unix epoch;
 * * `active`: the new state, 1 = active (forwarding), 0 = passive;
 * * `reason`: why, in words (NUL-terminated UTF-8, shorter than
 *   `HB_TEXT_MAX`), valid only during the call.
 *
 * Called on the broker's callback thread (a thread of its own,
 * `hypobus-cb`), one event at a time, in order, after the event was
 * queued for `hb_failover_next_event`. The monitor never waits for it, so
 * a slow callback delays nothing but later callbacks, and it may call any
 * library function, also `hb_failover_stop` / `hb_failover_free` on its
 * own broker. Declared `C-unwind`: a thread exit inside it (an interpreter
 * shutting down) ends only the callback thread.
 */
typedef void (*hb_failover_event_fn)(void *user, uint64_t at_ms, int32_t active, const char *reason);

/**
 * How `hb_failover_new_ex` starts a failover broker: `hb_failover_new`'s
 * arguments (but the callback), and the broker's own CURVE keys. Set
 * `size` to `sizeof(hb_failover_config_t)` and every field you do not use
 * to 0 / NULL (zero means the default). Since ABI 1.5.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_failover_config_t)`.
     */
    uint32_t size;
    /**
     * `HB_ROLE_PRIMARY` (0) or `HB_ROLE_BACKUP` (1).
     */
    int32_t role;
    /**
     * XSUB endpoint to bind; NULL = port 5555 on every interface.
     */
    const char *xsub;
    /**
     * XPUB endpoint to bind; NULL = port 5556 on every interface.
     */
    const char *xpub;
    /**
     * Heartbeat endpoint to bind; NULL = `tcp://127.0.0.1:5560`.
     */
    const char *hb;
    /**
     * The peer's heartbeat endpoint (required).
     */
    const char *peer_hb;
    /**
     * Control endpoint (REP) to bind; NULL or `""` = none.
     */
    const char *ctl;
    /**
     * This broker's heartbeat period; 0 = 1000 ms.
     */
    uint32_t hb_interval_ms;
    /**
     * The peer's heartbeat period; 0 = `hb_interval_ms`.
     */
    uint32_t peer_interval_ms;
    /**
     * Periods of silence after which the peer counts as dead; 0 = 3.
     */
    uint32_t misses;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * This broker's own CURVE keys (see `hb_curve_config_t`), for its
     * endpoints and its link to the peer (the two brokers of a pair share
     * one certificate: without `server`, its own public key is the
     * peer's); NULL = the process default (`hb_curve_set_default`).
     */
    const hb_curve_config_t *curve;
} hb_failover_config_t;

/**
 * A failover broker's counters (`hb_failover_stats`). Set `size` to
 * `sizeof(hb_failover_stats_t)` before the call (see `hb_broker_stats_t`).
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_failover_stats_t)`.
     */
    uint32_t size;
    /**
     * 1 when this broker forwards now.
     */
    uint32_t active;
    /**
     * Times it became active.
     */
    uint64_t activations;
    /**
     * Times it became passive.
     */
    uint64_t deactivations;
    /**
     * Heartbeats sent (each is `HB` plus the state message).
     */
    uint64_t heartbeats;
    /**
     * Heartbeat messages received from the peer.
     */
    uint64_t peer_heartbeats;
    /**
     * Milliseconds since the peer was last heard (UINT64_MAX: never).
     */
    uint64_t peer_silent_ms;
} hb_failover_stats_t;

/**
 * An operation computed in C: read `x`, write the result to `*out` and
 * return 0; any other return value is a failure, answered to the calc node
 * as the error `"operation failed (code N)"` (which then computes that
 * square itself). A result that is not finite and non-negative is also
 * answered as an error.
 *
 * Called on the node's callback thread (a thread of its own, `hypobus-cb`),
 * one request at a time. It may call any library function, also
 * `hb_op_stop` or `hb_op_free` on its own node: the node stops, and the
 * callback is not called again once it returns. A callback that does not
 * return within 2 s gets its request answered with an error (the calc node
 * computes that square itself); later requests wait for it.
 * Declared `C-unwind`: a thread exit inside the callback (Python shutting
 * down) ends only the callback thread.
 */
typedef int32_t (*hb_op_fn)(void *user, double x, double *out);

/**
 * How `hb_op_new_ex` and `hb_op_pull_new_ex` start an operation node:
 * `hb_op_new`'s `brokers` and `lane`, and the node's own CURVE keys. Set
 * `size` to `sizeof(hb_op_config_t)` and every field you do not use to 0 /
 * NULL. Since ABI 1.5.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_op_config_t)`.
     */
    uint32_t size;
    /**
     * The lane served: 1 = cathetus a, 2 = cathetus b (>= 1; 0 is refused).
     */
    uint32_t lane;
    /**
     * A broker list (see BROKER LISTS); NULL or `""` = `127.0.0.1`.
     */
    const char *brokers;
    /**
     * This node's own CURVE keys (see `hb_curve_config_t`); NULL = the
     * process default (`hb_curve_set_default`).
     */
    const hb_curve_config_t *curve;
} hb_op_config_t;

/**
 * An operation node's counters (`hb_op_stats`, `hb_op_pull_stats`). Set
 * `size` to `sizeof(hb_op_stats_t)` before the call (see `hb_broker_stats_t`).
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_op_stats_t)`.
     */
    uint32_t size;
    /**
     * 1 while a callback call is running (`hb_op` only): after
     * `hb_op_stop` returned with a callback still running (it did not
     * return within 500 ms), `user` must stay valid until this is 0.
     */
    uint32_t callback_running;
    /**
     * Well-formed requests received.
     */
    uint64_t requests;
    /**
     * Answers published (values and errors).
     */
    uint64_t replies;
    /**
     * Error answers among them, plus bad classic requests dropped.
     */
    uint64_t errors;
    /**
     * Messages that were not for this lane or not well-formed at all.
     */
    uint64_t ignored;
} hb_op_stats_t;

/**
 * A proxy's counters (`hb_proxy_stats`). Set `size` to
 * `sizeof(hb_proxy_stats_t)` before the call; the library writes only the
 * fields both sides know.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_proxy_stats_t)`.
     */
    uint32_t size;
    /**
     * 1 while paused (`hb_proxy_pause`).
     */
    uint32_t paused;
    /**
     * 1 while the proxy's loop runs; 0 once stopped (or ended on an error).
     */
    uint32_t running;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * Messages forwarded frontend to backend (requests, publications).
     */
    uint64_t to_backend_msgs;
    /**
     * Bytes of those messages, all frames.
     */
    uint64_t to_backend_bytes;
    /**
     * Messages forwarded backend to frontend (replies, subscriptions).
     */
    uint64_t to_frontend_msgs;
    /**
     * Bytes of those messages, all frames.
     */
    uint64_t to_frontend_bytes;
    /**
     * Messages dropped because the destination refused them (a ROUTER
     * with `HB_ROUTER_MANDATORY` and an unknown peer).
     */
    uint64_t dropped;
} hb_proxy_stats_t;

/**
 * What `hb_auth_new` allows. Set `size` to `sizeof(hb_auth_config_t)`
 * and every field you do not use to 0 / NULL.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_auth_config_t)`.
     */
    uint32_t size;
    /**
     * Non-zero: any CURVE client that knows the server key (then
     * `curve_dir` is not read).
     */
    int32_t curve_any;
    /**
     * IP addresses allowed, comma-separated; when set, every other address
     * is denied. NULL = no allow list.
     */
    const char *allow;
    /**
     * IP addresses denied, comma-separated (not with `allow`). NULL = none.
     */
    const char *deny;
    /**
     * PLAIN: a file of `user=password` lines (`#` comments). NULL = PLAIN
     * is refused.
     */
    const char *passwords;
    /**
     * CURVE: a directory of the certificates of the allowed clients.
     * NULL (and `curve_any` 0) = CURVE is refused.
     */
    const char *curve_dir;
} hb_auth_config_t;

/**
 * An authenticator's decisions (`hb_auth_stats`). Set `size` first.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_auth_stats_t)`.
     */
    uint32_t size;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * Peers allowed.
     */
    uint64_t allowed;
    /**
     * Peers refused (malformed requests included).
     */
    uint64_t denied;
    /**
     * Reloads (`hb_auth_reload`).
     */
    uint64_t reloads;
} hb_auth_stats_t;

/**
 * The arguments of `hb_socket_send` in a struct, for `hb_socket_send_args`.
 * Set `size` to `sizeof(hb_send_args_t)`; every field is required.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_send_args_t)`.
     */
    uint32_t size;
    /**
     * As `hb_socket_send`'s `flags` (`HB_SNDMORE`, `HB_DONTWAIT`).
     */
    int32_t flags;
    /**
     * As `hb_socket_send`'s `timeout_ms` (the timeout rule).
     */
    int32_t timeout_ms;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * The socket.
     */
    const hb_socket *socket;
    /**
     * The frames' bytes, one after the other.
     */
    const void *data;
    /**
     * The size of each frame (`nframes` entries).
     */
    const size_t *sizes;
    /**
     * The number of frames, at least 1.
     */
    size_t nframes;
} hb_send_args_t;

/**
 * The arguments and results of `hb_socket_recv_many` in a struct, for
 * `hb_socket_recv_args`. Set `size` to `sizeof(hb_recv_args_t)`; the
 * fields up to `max_msgs` are inputs, the last three outputs.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_recv_args_t)`.
     */
    uint32_t size;
    /**
     * As `hb_socket_recv_many`'s `timeout_ms` (the timeout rule).
     */
    int32_t timeout_ms;
    /**
     * The socket.
     */
    const hb_socket *socket;
    /**
     * Where the frames' bytes go (`len` bytes).
     */
    void *buf;
    /**
     * The size of `buf`.
     */
    size_t len;
    /**
     * Where the frames' sizes go (`max_frames` entries).
     */
    size_t *sizes;
    /**
     * The room in `sizes`.
     */
    size_t max_frames;
    /**
     * Where each message's frame count goes (`max_msgs` entries).
     */
    size_t *counts;
    /**
     * The most messages to take, at least 1.
     */
    size_t max_msgs;
    /**
     * Output: the messages taken.
     */
    size_t nmsgs;
    /**
     * Output: the frames taken (on `HB_BUFFER_TOO_SMALL`: the first message's frame count).
     */
    size_t nframes;
    /**
     * Output: the bytes taken (on `HB_BUFFER_TOO_SMALL`: the first message's size).
     */
    size_t total;
} hb_recv_args_t;

/**
 * A socket event (`hb_socket_next_event`). Set `size` to
 * `sizeof(hb_socket_event_t)` before the call; the library writes only
 * the fields both sides know.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_socket_event_t)`.
     */
    uint32_t size;
    /**
     * What happened: one `HB_EVENT_*` value (libzmq's `ZMQ_EVENT_*`).
     */
    int32_t event;
    /**
     * The event's value: the connection's file descriptor (CONNECTED,
     * ACCEPTED, DISCONNECTED, CLOSED, LISTENING), the retry interval in ms
     * (CONNECT_RETRIED), an errno (BIND_FAILED, ACCEPT_FAILED,
     * CLOSE_FAILED), a protocol or status code (HANDSHAKE_FAILED_*).
     */
    int64_t value;
    /**
     * Events dropped so far on this socket because they were not taken in
     * time (the library keeps the last 1024).
     */
    uint64_t dropped;
} hb_socket_event_t;

/**
 * How `hb_task_broker_new` starts a task broker. Set `size` to
 * `sizeof(hb_task_broker_config_t)` and every field you do not use to 0 /
 * NULL (`= {0}`, then set `size`): zero means the default.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_task_broker_config_t)`.
     */
    uint32_t size;
    /**
     * `HB_TASK_LRU` (0, the default) or `HB_TASK_LOAD`.
     */
    int32_t policy;
    /**
     * Endpoint to bind for clients; NULL = port 5570 on every interface
     * (`tcp://127.0.0.1:*` picks a free port: read it with `hb_task_broker_endpoint`).
     */
    const char *frontend;
    /**
     * Endpoint to bind for workers; NULL = port 5571 on every interface.
     */
    const char *backend;
    /**
     * The journal: NULL or `"memory"` = in memory; `"sqlite:PATH"` = an
     * SQLite file (WAL mode); `"postgres://USER@HOST:PORT/DB"` (or
     * `postgresql://`) = a PostgreSQL database (created with its schema on
     * first use; a view `results` for psql). With a file or a database, a
     * broker killed and restarted on it finishes every accepted request,
     * and results can be fetched by id.
     */
    const char *store;
    /**
     * The broker's name in logs and toward peers; NULL = `task-PID`.
     */
    const char *name;
    /**
     * Peering: an endpoint to bind for publishing the spare capacity; NULL = no peering.
     */
    const char *state;
    /**
     * Peering: the peers, `STATE_EP|FRONTEND_EP` entries separated by commas.
     */
    const char *peers;
    /**
     * A dispatched request unanswered this long goes to another worker; 0 = 5000 ms.
     */
    uint32_t answer_timeout_ms;
    /**
     * Dispatches of one request before it fails; 0 = 5.
     */
    uint32_t max_attempts;
    /**
     * Heartbeats to and from workers; 0 = 1000 ms.
     */
    uint32_t hb_interval_ms;
    /**
     * Missed heartbeats before a worker or peer counts as dead; 0 = 3.
     */
    uint32_t liveness;
    /**
     * A request for a service that no worker serves waits this long, then fails; 0 = 5000 ms.
     */
    uint32_t service_wait_ms;
    /**
     * Capacity publication period (peering); 0 = 1000 ms.
     */
    uint32_t peer_interval_ms;
    /**
     * Non-zero: every commit on disk (survives power loss; slower): SQLite
     * `synchronous=FULL`; PostgreSQL the server's `synchronous_commit`
     * (`on`) instead of `off` for the broker's session.
     */
    int32_t full_sync;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * This role's own CURVE keys (see `hb_curve_config_t`); NULL = the
     * process default (`hb_curve_set_default`). Since ABI 1.5.
     */
    const hb_curve_config_t *curve;
} hb_task_broker_config_t;

/**
 * A task broker's counters (`hb_task_broker_stats`). Set `size` to
 * `sizeof(hb_task_broker_stats_t)` before the call.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_task_broker_stats_t)`.
     */
    uint32_t size;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * Requests accepted (new ids).
     */
    uint64_t requests;
    /**
     * Requests taken up from the journal at start.
     */
    uint64_t recovered;
    /**
     * Resends and fetches of known ids.
     */
    uint64_t resends;
    /**
     * Results sent to clients.
     */
    uint64_t replies;
    /**
     * Requests that ended with an error.
     */
    uint64_t errors;
    /**
     * Dispatches to workers.
     */
    uint64_t dispatched;
    /**
     * Dispatches whose answer did not come in time (dispatched again).
     */
    uint64_t timeouts;
    /**
     * Answers dropped because their dispatch was no longer current.
     */
    uint64_t late;
    /**
     * Worker registrations.
     */
    uint64_t registered;
    /**
     * Workers purged for silence.
     */
    uint64_t purged;
    /**
     * Workers registered now.
     */
    uint64_t workers;
    /**
     * Requests waiting or running now.
     */
    uint64_t pending;
    /**
     * Requests passed to peers.
     */
    uint64_t forwarded;
    /**
     * Requests that came from peers.
     */
    uint64_t from_peers;
    /**
     * Malformed messages dropped.
     */
    uint64_t malformed;
    /**
     * Journal commits.
     */
    uint64_t commits;
} hb_task_broker_stats_t;

/**
 * How `hb_task_worker_new` starts a worker. Set `size` to
 * `sizeof(hb_task_worker_config_t)`, every unused field to 0 / NULL.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_task_worker_config_t)`.
     */
    uint32_t size;
    /**
     * Requests held at once: callback threads, or jobs the caller may hold
     * with `hb_task_worker_recv`; 0 = 1.
     */
    uint32_t threads;
    /**
     * The broker's backend endpoint; NULL = `tcp://127.0.0.1:5571`.
     */
    const char *broker;
    /**
     * The services served, separated by commas; NULL or `""` = the default service.
     */
    const char *services;
    /**
     * Prefix of the worker's routing id; NULL = `w`.
     */
    const char *name;
    /**
     * Heartbeat period (the broker's); 0 = 1000 ms.
     */
    uint32_t hb_interval_ms;
    /**
     * Missed broker heartbeats before reconnecting; 0 = 3.
     */
    uint32_t liveness;
    /**
     * This role's own CURVE keys (see `hb_curve_config_t`); NULL = the
     * process default (`hb_curve_set_default`). Since ABI 1.5.
     */
    const hb_curve_config_t *curve;
} hb_task_worker_config_t;

/**
 * A task handler: answer the request `req` (`req_len` bytes) of service
 * `service` (NUL-terminated; `""` = the default service). Set `*reply`
 * and `*reply_len` to the answer and return 0; the memory stays the
 * callback's (a static or thread-local buffer is fine): the library copies
 * it before the next call on the same thread. Return any other value for
 * an error: `*reply` (if set) is the reason, else "handler failed (code N)";
 * the client receives it as a failed task.
 *
 * Called on the worker's callback threads (`hypobus-tcb`, as many as
 * `hb_task_worker_config_t.threads`), one request per thread at a time.
 * It may call any library function, also `hb_task_worker_stop` or
 * `hb_task_worker_free` on its own worker. Declared `C-unwind`: a thread
 * exit inside the callback ends only that thread.
 */
typedef int32_t (*hb_task_fn)(void *user,
                              const char *service,
                              const uint8_t *req,
                              size_t req_len,
                              const uint8_t **reply,
                              size_t *reply_len);

/**
 * A worker's counters (`hb_task_worker_stats`). Set `size` to `sizeof(hb_task_worker_stats_t)` first.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_task_worker_stats_t)`.
     */
    uint32_t size;
    /**
     * The load reported last (0..100: the share of slots in use, unless set).
     */
    uint32_t load;
    /**
     * Callbacks running now: after `hb_task_worker_stop` returned with some
     * still running, `user` must stay valid until this is 0.
     */
    uint32_t callbacks_running;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * Requests received.
     */
    uint64_t jobs;
    /**
     * Answers sent.
     */
    uint64_t replies;
    /**
     * Error answers among them.
     */
    uint64_t errors;
    /**
     * Jobs of an earlier connection dropped at a reconnection.
     */
    uint64_t dropped;
    /**
     * Reconnections (the broker went silent or restarted).
     */
    uint64_t reconnects;
    /**
     * Jobs held now.
     */
    uint64_t held;
} hb_task_worker_stats_t;

/**
 * How `hb_task_client_new` starts a client. Set `size` to
 * `sizeof(hb_task_client_config_t)`, every unused field to 0 / NULL.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_task_client_config_t)`.
     */
    uint32_t size;
    /**
     * Sends of one request before it gives up (`HB_TASK_GAVE_UP`); 0 = 3.
     */
    uint32_t tries;
    /**
     * The broker's frontend endpoint; NULL = `tcp://127.0.0.1:5570`.
     */
    const char *broker;
    /**
     * Prefix of the request ids and routing id; NULL = `c`.
     */
    const char *name;
    /**
     * How long one try waits before the request is sent again (same id); 0 = 2500 ms.
     */
    uint32_t timeout_ms;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * This role's own CURVE keys (see `hb_curve_config_t`); NULL = the
     * process default (`hb_curve_set_default`). Since ABI 1.5.
     */
    const hb_curve_config_t *curve;
} hb_task_client_config_t;

/**
 * A task client's counters (`hb_task_client_stats`). Set `size` to `sizeof(hb_task_client_stats_t)` first.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_task_client_stats_t)`.
     */
    uint32_t size;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
    /**
     * Requests and fetches submitted.
     */
    uint64_t submitted;
    /**
     * Sends after the first.
     */
    uint64_t resent;
    /**
     * Fresh sockets after a silent broker.
     */
    uint64_t reconnects;
    /**
     * Outcomes delivered.
     */
    uint64_t completed;
    /**
     * Among them: failed tasks.
     */
    uint64_t failed;
    /**
     * Among them: requests that gave up.
     */
    uint64_t gave_up;
    /**
     * Duplicate answers dropped.
     */
    uint64_t duplicates;
    /**
     * "Still running" notices from the broker.
     */
    uint64_t pending_notices;
    /**
     * Requests waiting for an outcome now.
     */
    uint64_t in_flight;
} hb_task_client_stats_t;

/**
 * How `hb_watch_new_ex` starts an observer: `hb_watch_new`'s arguments,
 * and the observer's own CURVE keys. Set `size` to
 * `sizeof(hb_watch_config_t)` and every field you do not use to 0 / NULL.
 * Since ABI 1.5.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_watch_config_t)`.
     */
    uint32_t size;
    /**
     * 0 or `HB_WATCH_FULL`.
     */
    uint32_t flags;
    /**
     * The brokers to watch, a broker list; NULL or `""` = the lab's default broker.
     */
    const char *brokers;
    /**
     * NULL, or the brokers' heartbeat endpoints by position, comma-separated.
     */
    const char *hb_eps;
    /**
     * The observer's own CURVE keys (see `hb_curve_config_t`); NULL = the
     * process default (`hb_curve_set_default`).
     */
    const hb_curve_config_t *curve;
} hb_watch_config_t;

/**
 * An event of the observer (`hb_watch_next`). Set `size` to
 * `sizeof(hb_watch_event_t)` before the call.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_watch_event_t)`.
     */
    uint32_t size;
    /**
     * `HB_WATCH_TRACE`, `HB_WATCH_BROKER` or `HB_WATCH_ROLE`.
     */
    int32_t kind;
    /**
     * A trace's number (for `hb_watch_hop`); 0 for other kinds.
     */
    uint64_t id;
    /**
     * When (µs since the Unix epoch): a trace's first message, an event's time.
     */
    uint64_t at_us;
    /**
     * A trace's total, first cathetus to answer (µs); -1 when unanswered or not a trace.
     */
    int64_t total_us;
    /**
     * A trace's number of hops (messages).
     */
    uint32_t hops;
    /**
     * `HB_WATCH_CLASSIC`, `HB_WATCH_FALLBACK1`, ... bits.
     */
    uint32_t flags;
    /**
     * A trace's messages sent again (resends, re-answers).
     */
    uint32_t resends;
    /**
     * A trace's duplicates (the same message through two brokers, a second answer).
     */
    uint32_t duplicates;
    /**
     * The broker's index in the list given to `hb_watch_new` (broker and
     * role events; for a trace, the broker of its answer); -1 when none.
     */
    int32_t broker;
    /**
     * Reserved, 0.
     */
    uint32_t reserved;
} hb_watch_event_t;

/**
 * One message of a recent request (`hb_watch_hop`). Set `size` to
 * `sizeof(hb_watch_hop_t)` before the call.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_watch_hop_t)`.
     */
    uint32_t size;
    /**
     * Its lane (1, 2), 0 for the answer.
     */
    uint32_t lane;
    /**
     * Who sent it and to whom: `HB_WATCH_CLIENT`, `HB_WATCH_CALC`, `HB_WATCH_OP1`, `HB_WATCH_OP2`.
     */
    int32_t from;
    int32_t to;
    /**
     * 0 the first of its kind, 1 sent again (a resend), 2 a duplicate.
     */
    int32_t mark;
    /**
     * 1 for an error value (`ERR …`).
     */
    uint32_t error;
    /**
     * 1 when sent untagged (a classic peer).
     */
    uint32_t untagged;
    /**
     * The broker it came through (index).
     */
    int32_t broker;
    /**
     * When it reached the observer, µs after the request's first message.
     */
    uint64_t dt_us;
} hb_watch_hop_t;

/**
 * The observer's live numbers (`hb_watch_summary`). Set `size` to
 * `sizeof(hb_watch_summary_t)` before the call.
 */
typedef struct {
    /**
     * Set by the caller: `sizeof(hb_watch_summary_t)`.
     */
    uint32_t size;
    /**
     * 1 while the observer samples (under load).
     */
    uint32_t sampling;
    /**
     * Answered requests per second over the last 3 s (estimated from the samples).
     */
    double rate;
    /**
     * Median and 99th percentile of the requests' totals (µs) over the same span.
     */
    uint64_t p50_us;
    uint64_t p99_us;
    /**
     * Since the start, of the requests seen: requests, answers (error answers included), errors, lost.
     */
    uint64_t requests;
    uint64_t answers;
    uint64_t errors;
    uint64_t lost;
    /**
     * Squares the calc node computed itself (its events, plus inferred ones).
     */
    uint64_t fallbacks;
    uint64_t resends;
    uint64_t duplicates;
    /**
     * Messages received in all.
     */
    uint64_t messages;
    /**
     * Events dropped because nobody took them (the queue holds 10000).
     */
    uint64_t dropped;
    /**
     * Index of the active broker, -1 when none is known (the first when several forward).
     */
    int32_t active_broker;
    /**
     * How many brokers forward now (2 in a split brain).
     */
    uint32_t active_count;
} hb_watch_summary_t;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Write the library version (e.g. `"0.1.0"`) into `buf`.
 *
 * `buf` holds `len` bytes and receives a NUL-terminated string; `*out_len`
 * (optional, may be NULL) receives its length without the NUL. `buf` may
 * be NULL when `len` is 0, to ask for the length.
 *
 * Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (nothing written but an empty
 * string; `*out_len` = the length needed); `HB_INVALID_ARGUMENT` (`buf`
 * NULL with `len` > 0). Any thread; never waits.
 */
hb_status hb_version(char *buf, size_t len, size_t *out_len);

/**
 * Write the C ABI version of this library: `*major` =
 * `HB_ABI_VERSION_MAJOR`, `*minor` = `HB_ABI_VERSION_MINOR` (either may be
 * NULL). A binding checks that the major version is the one it was written
 * for, and that the minor version is at least the one it needs.
 *
 * Always `HB_OK`. Any thread; never waits.
 */
hb_status hb_abi_version(uint32_t *major, uint32_t *minor);

/**
 * Write the version of the libzmq inside this library (e.g. 4, 3, 5); any
 * pointer may be NULL. Always `HB_OK`. Any thread; never waits.
 */
hb_status hb_zmq_version(int32_t *major, int32_t *minor, int32_t *patch);

/**
 * Write the message of the last failed call made on this thread into `buf`
 * (an empty string if no call failed yet).
 *
 * The message is kept per thread and replaced by each failing call;
 * successful calls leave it as it was. Reading it does not clear it, and
 * this function never changes it. It is shorter than `HB_ERROR_MAX` bytes.
 * A call that ran on another thread (a Node `.async` call, a thread pool):
 * read its failure with `hb_error_info` and the handle instead.
 *
 * Same buffer rules as `hb_version`. Any thread; never waits.
 */
hb_status hb_last_error(char *buf, size_t len, size_t *out_len);

/**
 * The explanation of the last failed call made *on a handle* (from any
 * thread), or with `handle` NULL, of the last failed call made on this
 * thread: `*status` = its status, `*zmq_errno` = libzmq's errno when it
 * was a ZeroMQ failure (else 0), `buf` = the message (shorter than
 * `HB_ERROR_MAX` bytes). Any output may be NULL (`buf` only with `len` 0).
 *
 * Made for calls that ran on a pool thread (koffi `.async`): the caller
 * reads the explanation of its own failure from the handle it used, on
 * whatever thread. If several threads fail on one handle at the same
 * time, it is the last one's.
 *
 * Returns `HB_OK`; `HB_INVALID_HANDLE` (a handle that is not live: its
 * errors are gone with it); `HB_BUFFER_TOO_SMALL` (only `*out_len`, the
 * status and the errno are set). Any thread; never waits.
 */
hb_status hb_error_info(const void *handle,
                        int32_t *status,
                        int32_t *zmq_errno,
                        char *buf,
                        size_t len,
                        size_t *out_len);

/**
 * Write the name of a status value (e.g. `"HB_TIMEOUT"`) into `buf`;
 * `"HB_UNKNOWN"` for a value that is not an `hb_status`.
 *
 * Same buffer rules and statuses as `hb_version`. Any thread; never waits.
 */
hb_status hb_status_name(int32_t status, char *buf, size_t len, size_t *out_len);

/**
 * Set where the library's one-line event log goes, for the whole process:
 * `mode` = 0 (off, the default), `HB_LOG_STDERR`, `HB_LOG_QUEUE`, or both
 * (`HB_LOG_STDERR | HB_LOG_QUEUE`). Turning the queue off drops what is in
 * it.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` for other bits. Any thread; never
 * waits.
 */
hb_status hb_log_enable(int32_t mode);

/**
 * Take the oldest queued log line (see `HB_LOG_QUEUE`), waiting at most
 * `timeout_ms` (the timeout rule). The line, e.g. `"1764633600.123 op: lane
 * 1 serving"`, goes to `buf` (shorter than `HB_TEXT_MAX`), its length to
 * `*out_len` (optional).
 *
 * Returns `HB_OK`; `HB_TIMEOUT` (no line); `HB_INTERRUPTED`;
 * `HB_BUFFER_TOO_SMALL` (the line is NOT taken; `*out_len` = its length);
 * `HB_INVALID_ARGUMENT` (`buf` NULL with `len` > 0, a negative
 * time-out). Any thread; waits for a line (the log queue's descriptor).
 */
hb_status hb_log_next(int32_t timeout_ms, char *buf, size_t len, size_t *out_len);

/**
 * Write to `*fd` the descriptor that is readable while log lines are
 * queued (for an event loop: when readable, call `hb_log_next` with a zero
 * time-out until `HB_TIMEOUT`). It belongs to the library: do not read or
 * close it.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`fd` NULL); `HB_ZMQ` when the
 * system had no descriptor to give. Any thread; never waits.
 */
hb_status hb_log_fd(int32_t *fd);

/**
 * Wake the waits on a handle of any kind: an `hb_poll` or `hb_wait_any`
 * that includes it returns at once and reports it (`HB_POLLWAKE`), once
 * per call of this function. Made for a thread that must make a poll on
 * another thread look again (for example to change its set).
 *
 * Returns `HB_OK` or `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_wake(const void *handle);

/**
 * Write to `*fd` a file descriptor that becomes readable when the handle
 * may have something to take (a message, a request, an answer, an event,
 * a due resend or time-out) or was freed: for an event loop (libuv through
 * `koffi.node.poll`, asyncio `loop.add_reader`), so an idle program uses no
 * CPU. When it is readable, make the handle's taking call with a zero
 * time-out until it returns `HB_TIMEOUT` (`hb_socket_recv`,
 * `hb_client_next`, `hb_op_pull_recv`, `hb_failover_next_event`); the fd
 * may also wake when there turns out to be nothing, which is harmless.
 * Read nothing from it and do not close it: it belongs to the handle and
 * is closed when the handle is freed (stop watching it first). Each call
 * returns the same descriptor.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`fd` NULL, a handle kind with
 * nothing to wait for: broker, calc, op, proxy); `HB_INVALID_HANDLE`;
 * `HB_ZMQ`. Any thread; never waits.
 */
hb_status hb_handle_fd(const void *handle, int32_t *fd);

/**
 * Wait until at least one of `n` handles is ready, at most `timeout_ms`
 * milliseconds (the timeout rule: 0 = just look, negative refused).
 *
 * `items` is an array of `n` (1 to `HB_WAIT_MAX`) `hb_poll_item`s; each
 * names a handle and the events to wait for. On return every item's
 * `revents` is set: ready events, `HB_POLLERR` for a handle that is freed,
 * stopped or not valid, `HB_POLLWAKE` after `hb_wake`. A handle is
 * `HB_POLLIN`-ready when its taking call with a zero time-out makes
 * progress (`hb_socket_recv`, `hb_client_next`, `hb_op_pull_recv`,
 * `hb_failover_next_event`); make those calls, then poll again.
 *
 * Returns `HB_OK` with `*n_ready` (optional) = the number of items with
 * `revents` != 0; `HB_TIMEOUT`; `HB_INTERRUPTED` (a signal);
 * `HB_INVALID_ARGUMENT` (`items` NULL, `n` 0 or above `HB_WAIT_MAX`, a
 * negative time-out, a handle of a kind that cannot be polled: broker,
 * calc, op, proxy). Any thread; waits on the handles' descriptors and
 * holds none of them meanwhile: other threads may use or free them, and a
 * free or `hb_wake` ends the wait at once.
 */
hb_status hb_poll(hb_poll_item *items, size_t n, int32_t timeout_ms, size_t *n_ready);

/**
 * Wait until one of `n` handles has something to take, at most
 * `timeout_ms` milliseconds: `hb_poll` with `HB_POLLIN` on every handle,
 * for callers that only need the first ready one.
 *
 * `handles` points to `n` (1 to `HB_WAIT_MAX`) handles of pollable kinds,
 * mixed as you like (cast to `const void*`).
 *
 * Returns `HB_OK` with the index of the first ready handle in `*ready`
 * (also a handle woken by `hb_wake`, or freed meanwhile: its next call
 * says which); `HB_TIMEOUT`; `HB_INTERRUPTED`; `HB_INVALID_ARGUMENT`
 * (`handles` or `ready` NULL, `n` 0 or above `HB_WAIT_MAX`, a negative
 * time-out, a handle that cannot be polled); `HB_INVALID_HANDLE` (a NULL,
 * freed or unknown handle: `*ready` is its index). Any thread; holds no
 * handle while it waits.
 */
hb_status hb_wait_any(const void *const *handles, size_t n, int32_t timeout_ms, size_t *ready);

/**
 * Start a broker: bind its XSUB endpoint (publishers connect here), its
 * XPUB endpoint (subscribers connect here) and its heartbeat PUB endpoint,
 * then forward on a background thread named `hypobus-broker`.
 *
 * * `xsub_ep`, `xpub_ep`: ZeroMQ endpoints to bind, e.g.
 *   `tcp://127.0.0.1:5555`; NULL means the lab's defaults on every
 *   interface, ports 5555 and 5556. A wildcard port (`tcp://127.0.0.1:*`)
 *   picks a free port: read it back with `hb_broker_endpoint`.
 * * `hb_ep`: the heartbeat endpoint; NULL = `tcp://127.0.0.1:5560`
 *   (loopback only: name the address to beat to other hosts, e.g.
 *   `tcp://0.0.0.0:5560`); `""` sends no heartbeat.
 * * `hb_interval_ms`: heartbeat period; 0 means 1000.
 * * `out`: receives the new handle (owned by the caller, release it with
 *   `hb_broker_free`). Untouched on failure.
 *
 * Returns `HB_OK`; `HB_CONFIG` when an endpoint cannot be bound (in use,
 * malformed); `HB_INVALID_ARGUMENT` when `out` is NULL or a string is not
 * UTF-8; `HB_ZMQ` for other ZeroMQ failures. Any thread; waits only for
 * the binds.
 */
hb_status hb_broker_new(const char *xsub_ep,
                        const char *xpub_ep,
                        const char *hb_ep,
                        uint32_t hb_interval_ms,
                        hb_broker **out);

/**
 * `hb_broker_new` with every setting in a struct (see `hb_broker_config_t`),
 * including the ones `hb_broker_new` has no argument for: an `inproc://`
 * name, a passive start.
 *
 * Returns as `hb_broker_new`; also `HB_INVALID_ARGUMENT` when `cfg` is
 * NULL or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG`
 * when a CURVE key or file of `cfg->curve` is bad (the message names it).
 * Any thread; waits only for the binds (and the key files).
 */
hb_status hb_broker_new_ex(const hb_broker_config_t *cfg, hb_broker **out);

/**
 * Write the endpoint a broker actually bound (wildcard ports resolved, e.g.
 * `tcp://127.0.0.1:40123`) into `buf`. `which`: 0 = XSUB, 1 = XPUB,
 * 2 = heartbeat (an empty string when the broker sends no heartbeat).
 *
 * `buf` holds `len` bytes and receives a NUL-terminated string; `*out_len`
 * (optional) its length without the NUL.
 *
 * Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (only `*out_len` = the length
 * needed is set); `HB_INVALID_ARGUMENT` (bad `which`, `buf` NULL with
 * `len` > 0); `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_broker_endpoint(const hb_broker *b, int32_t which, char *buf, size_t len, size_t *out_len);

/**
 * Copy the broker's counters into `*out` (also after `hb_broker_stop`: the
 * final counts). Set `out->size` first (see `hb_broker_stats_t`).
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
 * NULL, `out->size` not set). Any thread; never waits.
 */
hb_status hb_broker_stats(const hb_broker *b, hb_broker_stats_t *out);

/**
 * Make the broker forward publications (`on` != 0, active) or hold them
 * (`on` == 0, passive: subscriptions still flow, nothing is forwarded).
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_STOPPED` when the broker was
 * stopped. Any thread; never waits.
 */
hb_status hb_broker_set_active(const hb_broker *b, int32_t on);

/**
 * Write 1 to `*out` when the broker forwards publications, else 0.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
 * NULL). Any thread; never waits.
 */
hb_status hb_broker_is_active(const hb_broker *b, int32_t *out);

/**
 * Stop forwarding, close the sockets (the ports are free again on return)
 * and join the broker's thread. The handle stays valid (stats remain
 * readable) until `hb_broker_free`. Stopping twice is harmless.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the broker's thread
 * ended with (`HB_ZMQ`, ...). Any thread; waits for the broker's thread
 * to end (it ends at once: it runs no user code).
 */
hb_status hb_broker_stop(const hb_broker *b);

/**
 * Stop the broker (if running; its ports are free on return) and release
 * the handle. NULL is a no-op (`HB_OK`). After this call the handle is
 * invalid: any use, including a second free, returns `HB_INVALID_HANDLE`.
 * Any thread; waits for the broker's thread to end.
 */
hb_status hb_broker_free(hb_broker *b);

/**
 * Connect a calculation node to the brokers and serve on a background
 * thread named `hypobus-calc` (no user code runs there).
 *
 * * `brokers`: a broker list (see BROKER LISTS at the top of this header;
 *   NULL or `""` = `127.0.0.1` on the default ports 5555/5556).
 * * `timeout_ms`: how long to wait for the operation nodes' squares before
 *   computing the missing ones locally; 0 means 2000 (the lab's value).
 * * `out`: receives the new handle (release with `hb_calc_free`).
 *
 * Returns `HB_OK`; `HB_CONFIG` (bad broker list); `HB_INVALID_ARGUMENT`
 * (`out` NULL, bad UTF-8); `HB_ZMQ`. Any thread; never waits (the node
 * connects in the background).
 */
hb_status hb_calc_new(const char *brokers, uint32_t timeout_ms, hb_calc **out);

/**
 * `hb_calc_new` with its settings in a struct (see `hb_calc_config_t`),
 * including the node's own CURVE keys.
 *
 * Returns as `hb_calc_new`; also `HB_INVALID_ARGUMENT` when `cfg` is NULL
 * or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG` when a
 * CURVE key or file of `cfg->curve` is bad (the message names it). Since
 * ABI 1.5. Any thread; waits only on the key files (the node connects in
 * the background).
 */
hb_status hb_calc_new_ex(const hb_calc_config_t *cfg, hb_calc **out);

/**
 * Copy the node's counters into `*out` (also after `hb_calc_stop`); set
 * `out->size` first.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
 * NULL, `out->size` not set). Any thread; never waits.
 */
hb_status hb_calc_stats(const hb_calc *c, hb_calc_stats_t *out);

/**
 * Stop serving, close the sockets and join the node's thread. The handle
 * stays valid (stats remain readable) until `hb_calc_free`. Stopping twice
 * is harmless.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the node's thread
 * ended with (`HB_ZMQ`, ...). Any thread; waits for the node's thread to
 * end (at once: it runs no user code).
 */
hb_status hb_calc_stop(const hb_calc *c);

/**
 * Stop the node (if running) and release the handle. NULL is a no-op
 * (`HB_OK`); a freed handle (second free) is `HB_INVALID_HANDLE`. Any
 * thread; waits for the node's thread to end.
 */
hb_status hb_calc_free(hb_calc *c);

/**
 * Connect a client to the brokers.
 *
 * * `brokers`: `"HOST[:XSUB_PORT:XPUB_PORT],..."` (NULL or `""` = `127.0.0.1`
 *   on the default ports 5555/5556).
 * * `classic`: 0 = tagged mode (private answers, many requests in flight,
 *   retries across a broker failover); non-zero = the original lab's
 *   untagged wire (one request at a time, for original calc servers).
 * * `timeout_ms`: the default lifetime of a request (see
 *   `hb_client_submit`); 0 means 5000.
 * * `out`: receives the new handle (release with `hb_client_free`).
 *
 * Returns `HB_OK`; `HB_CONFIG` (bad broker list); `HB_INVALID_ARGUMENT`
 * (`out` NULL, bad UTF-8); `HB_ZMQ`.
 *
 * Any thread; never waits (the connection is made in the background; the
 * first requests wait in the client until the path through a broker is
 * proven, within their own lifetimes).
 */
hb_status hb_client_new(const char *brokers, int32_t classic, uint32_t timeout_ms, hb_client **out);

/**
 * `hb_client_new` with its settings in a struct (see
 * `hb_client_config_t`), including the client's own CURVE keys.
 *
 * Returns as `hb_client_new`; also `HB_INVALID_ARGUMENT` when `cfg` is
 * NULL or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG` when
 * a CURVE key or file of `cfg->curve` is bad (the message names it). Since
 * ABI 1.5. Any thread; waits only on the key files (the connection is made
 * in the background).
 */
hb_status hb_client_new_ex(const hb_client_config_t *cfg, hb_client **out);

/**
 * The hypotenuse of `a` and `b` (decimal text such as `"12"` or `"1.5"`),
 * waiting at most `timeout_ms` milliseconds, which is also the request's
 * lifetime (the timeout rule: 0 = one look without waiting, which for a
 * new request means `HB_TIMEOUT`; negative refused before anything is
 * sent). Writes it with four decimals (e.g. `"17.6918"`) into `out` (`len`
 * bytes, NUL-terminated; length without NUL in `*out_len`, optional). A
 * buffer of `HB_TEXT_MAX` bytes always fits. Answers of requests submitted
 * earlier that arrive meanwhile are kept for `hb_client_next`.
 *
 * When the call does not return `HB_OK`, `HB_REMOTE` or
 * `HB_BUFFER_TOO_SMALL` (a time-out, `HB_INTERRUPTED`, `HB_STOPPED`, ...)
 * its request is cancelled: `hb_client_next` never returns it and a late
 * answer is dropped (counted in `duplicates`).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (a or b NULL, not UTF-8, or not a
 * non-negative finite decimal number, negative `timeout_ms`: nothing is
 * sent; `out` NULL with `len` > 0); `HB_REMOTE` when the calc node answered
 * an error (the reason is in `hb_last_error`); `HB_TIMEOUT`;
 * `HB_INTERRUPTED` (a signal handler ran); `HB_STOPPED` (freed meanwhile);
 * `HB_BUFFER_TOO_SMALL`: `*out_len` = the answer's length, and the answer
 * is NOT lost: it becomes the first completion `hb_client_next` returns
 * (with the request's id); `HB_CONFIG` (classic mode with a request
 * already in flight); `HB_INVALID_HANDLE`; `HB_ZMQ`.
 *
 * Any thread; waits for the answer (the timeout rule) without holding the
 * client: other threads may use the client meanwhile, and freeing it ends
 * the wait with `HB_STOPPED`.
 */
hb_status hb_client_hypot(const hb_client *c,
                          const char *a,
                          const char *b,
                          int32_t timeout_ms,
                          char *out,
                          size_t len,
                          size_t *out_len);

/**
 * `hb_client_hypot` with doubles: writes the hypotenuse (the four-decimal
 * answer, parsed) to `*out`. `a` and `b` must be finite and non-negative.
 * Same time-out and cancelling as `hb_client_hypot`.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (bad a or b, `out` NULL, negative
 * `timeout_ms`); `HB_REMOTE` (reason in `hb_last_error`); `HB_TIMEOUT`;
 * `HB_INTERRUPTED`; `HB_STOPPED`; `HB_CONFIG`; `HB_INVALID_HANDLE`; `HB_ZMQ`.
 *
 * Any thread; waits for the answer (the timeout rule) without holding the client.
 */
hb_status hb_client_hypot_f64(const hb_client *c, double a, double b, int32_t timeout_ms, double *out);

/**
 * Submit a request for the hypotenuse of `a` and `b` (decimal text);
 * `*id` receives its id. Collect the outcome with `hb_client_next` (or
 * drop it with `hb_client_cancel`).
 *
 * `limit_ms` is the request's LIFETIME, not a wait: this call never waits.
 * When no answer came `limit_ms` after this call, the request finishes
 * with `HB_TIMEOUT` (as a completion of `hb_client_next`). 0 = the client's
 * default lifetime (`hb_client_new`); negative refused. Meanwhile the
 * request may wait in the client (for the start-up probe, or for a free
 * slot of the window of 256 requests on the wire) and is resent when its
 * answer is overdue, but only while some call runs on this client
 * (`hb_client_next`, `hb_client_hypot`, `hb_poll`'s caller then calling
 * `hb_client_next`): there is no background thread.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (a or b NULL, not UTF-8, or not a
 * valid number: nothing is sent; `id` NULL; negative `limit_ms`);
 * `HB_CONFIG` (classic mode with a request already in flight);
 * `HB_INVALID_HANDLE`; `HB_ZMQ`.
 *
 * Any thread; never waits (locks the client briefly).
 */
hb_status hb_client_submit(const hb_client *c, const char *a, const char *b, int32_t limit_ms, uint64_t *id);

/**
 * Cancel request `id` (from `hb_client_submit`): whether it is waiting,
 * on the wire, or finished and not yet taken by `hb_client_next`, it is
 * forgotten; `hb_client_next` never returns it, and a late answer is
 * dropped (counted in `duplicates`).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (an unknown id: never submitted,
 * already returned by `hb_client_next`, or already cancelled);
 * `HB_INVALID_HANDLE`; `HB_STOPPED`.
 *
 * Any thread; never waits.
 */
hb_status hb_client_cancel(const hb_client *c, uint64_t id);

/**
 * Take the next finished request, waiting for one at most `timeout_ms`
 * milliseconds (the timeout rule: 0 = just look; negative refused). While
 * it waits, it also does the client's work: takes in answers, resends
 * overdue requests, fails expired ones, sends waiting ones.
 *
 * On `HB_OK` a request finished: `*id` is its id and `*result` its own
 * outcome: `HB_OK` with the hypotenuse in `out` (e.g. `"17.6918"`), or
 * `HB_REMOTE` / `HB_TIMEOUT` with the error text in `out`. Every such
 * text is shorter than `HB_TEXT_MAX`: a buffer of `HB_TEXT_MAX` bytes
 * always fits. `out` may be NULL with `len` 0 when the text is not wanted
 * (the completion is then taken; `*out_len` still gets the text's length).
 *
 * Returns `HB_OK`; `HB_TIMEOUT` when nothing finished in time (outputs
 * untouched); `HB_BUFFER_TOO_SMALL`: `*id`, `*result` and `*out_len` (the
 * text's length) are set and the completion is KEPT: the next call
 * returns it again; `HB_INTERRUPTED`; `HB_STOPPED` (freed meanwhile);
 * `HB_INVALID_ARGUMENT` (`id` or `result` NULL, `out` NULL with `len` > 0,
 * negative `timeout_ms`); `HB_INVALID_HANDLE`; `HB_ZMQ`.
 *
 * Any thread; waits for a completion (the timeout rule) without holding
 * the client: other threads may submit, cancel or free meanwhile (a free
 * ends the wait with `HB_STOPPED`). Completions go to one caller each.
 */
hb_status hb_client_next(const hb_client *c,
                         int32_t timeout_ms,
                         uint64_t *id,
                         hb_status *result,
                         char *out,
                         size_t len,
                         size_t *out_len);

/**
 * Write the number of requests submitted and not yet finished (on the
 * wire or waiting in the client) to `*out`.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, `HB_STOPPED`, or
 * `HB_INVALID_ARGUMENT` (`out` NULL). Any thread; never waits.
 */
hb_status hb_client_in_flight(const hb_client *c, uint32_t *out);

/**
 * Copy the client's counters into `*out` (see `hb_client_stats_t`).
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, `HB_STOPPED`, or
 * `HB_INVALID_ARGUMENT` (`out` NULL or `out->size` not set). Any thread;
 * never waits.
 */
hb_status hb_client_stats(const hb_client *c, hb_client_stats_t *out);

/**
 * Close the client and release the handle; requests in flight are
 * abandoned. Calls waiting on it on other threads return `HB_STOPPED` at
 * once. NULL is a no-op (`HB_OK`); a freed handle (second free) is
 * `HB_INVALID_HANDLE`.
 *
 * Any thread; waits only for another thread's short step on the client to end.
 */
hb_status hb_client_free(hb_client *c);

/**
 * Start a failover broker: bind its XSUB endpoint (publishers connect
 * here), its XPUB endpoint (subscribers connect here) and its heartbeat
 * PUB endpoint, connect to the peer's heartbeat endpoint, and run the
 * broker (thread `hypobus-broker`) and its monitor (thread
 * `hypobus-failover`). The broker starts passive; the monitor makes it
 * active or keeps it passive by the Binary Star rules:
 *
 * * a backup takes over when the primary has been silent for `misses`
 *   heartbeat periods, yields when an active primary is heard (an original
 *   primary that only sends `HB` counts as active), and hands back on
 *   request (`hb_failover_handback`) to a live, passive primary;
 * * a primary becomes active at start unless it finds the backup active (then
 *   it stays passive until the backup hands back or falls silent).
 *
 * Heartbeats sent: the classic one frame `HB`, then `[HB.state, role, state]`.
 *
 * * `role`: an `hb_role` value, `HB_ROLE_PRIMARY` (0) or `HB_ROLE_BACKUP` (1).
 * * `xsub_ep`, `xpub_ep`: ZeroMQ endpoints to bind, e.g.
 *   `tcp://127.0.0.1:5555`; NULL means the lab's defaults: every interface,
 *   ports 5555 and 5556. Wildcard ports (`tcp://127.0.0.1:*`) pick free
 *   ports, read back with `hb_failover_endpoint`.
 * * `hb_ep`: the heartbeat endpoint to bind; NULL = `tcp://127.0.0.1:5560`
 *   (loopback only: name the address for a peer on another host, e.g.
 *   `tcp://0.0.0.0:5560`). It should be a fixed one: the peer must know it.
 * * `hb_interval_ms`: this broker's heartbeat period; 0 means 1000.
 * * `peer_hb_ep`: the peer's heartbeat endpoint to connect to (required),
 *   e.g. `tcp://10.0.0.2:5560`. It need not be up yet.
 * * `peer_interval_ms`: the peer's heartbeat period; 0 means the same as
 *   `hb_interval_ms` (an original primary beats every 1000 ms).
 * * `misses`: heartbeat periods of silence after which the peer counts as
 *   dead; 0 means 3.
 * * `ctl_ep`: an optional control endpoint to bind (REP: answers `status`
 *   and `handback`, as `hypobus ctl` sends them); NULL or `""` = none.
 * * `cb`: called on the broker's callback thread for every state change
 *   (see `hb_failover_event_fn`); NULL = none. Events are queued for
 *   `hb_failover_next_event` either way.
 * * `user`: passed to `cb`, never read by the library; must stay valid until
 *   `hb_failover_stop` or `hb_failover_free` returns.
 * * `out`: receives the new handle (release with `hb_failover_free`).
 *   Untouched on failure.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` or `peer_hb_ep` NULL, a role
 * other than 0 or 1, a string that is not UTF-8); `HB_CONFIG` (an endpoint
 * cannot be bound or connected); `HB_ZMQ` for other ZeroMQ failures.
 * Any thread; waits only for the binds (the monitor and the broker run on
 * their own threads).
 */
hb_status hb_failover_new(int32_t role,
                          const char *xsub_ep,
                          const char *xpub_ep,
                          const char *hb_ep,
                          uint32_t hb_interval_ms,
                          const char *peer_hb_ep,
                          uint32_t peer_interval_ms,
                          uint32_t misses,
                          const char *ctl_ep,
                          hb_failover_event_fn cb,
                          void *user,
                          hb_failover **out);

/**
 * `hb_failover_new` with its settings in a struct (see
 * `hb_failover_config_t`), including the broker's own CURVE keys; `cb`,
 * `user` and `out` as in `hb_failover_new` (`cb` runs on the broker's
 * callback thread).
 *
 * Returns as `hb_failover_new`; also `HB_INVALID_ARGUMENT` when `cfg` is
 * NULL or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG`
 * when a CURVE key or file of `cfg->curve` is bad (the message names it).
 * Since ABI 1.5. Any thread; waits only for the binds (and the key files).
 */
hb_status hb_failover_new_ex(const hb_failover_config_t *cfg,
                             hb_failover_event_fn cb,
                             void *user,
                             hb_failover **out);

/**
 * Take the next state change, waiting at most `timeout_ms` (the timeout
 * rule). Events are queued from the start, whether or not a callback is
 * set, and each is returned once, in order.
 *
 * On `HB_OK`: `*at_ms` = when it happened (milliseconds since the Unix
 * epoch), `*active` = the new state (1 active, 0 passive), and `reason`
 * (`len` bytes) receives why, NUL-terminated (shorter than `HB_TEXT_MAX`),
 * its length in `*out_len` (optional). `reason` may be NULL with `len` 0
 * to skip the text.
 *
 * Returns `HB_OK`; `HB_TIMEOUT` when no event came in time (outputs
 * untouched); `HB_INTERRUPTED`; `HB_STOPPED` once the broker is stopped
 * (or freed) and every queued event was taken; `HB_BUFFER_TOO_SMALL` when
 * `reason` is too small (the event is NOT taken; `*out_len` = the length
 * needed); `HB_INVALID_ARGUMENT` (`at_ms` or `active` NULL, `reason` NULL
 * with `len` > 0, a negative time-out); `HB_INVALID_HANDLE`. Any thread;
 * waits for an event without holding the handle; a stop or free on
 * another thread ends the wait at once.
 */
hb_status hb_failover_next_event(const hb_failover *f,
                                 int32_t timeout_ms,
                                 uint64_t *at_ms,
                                 int32_t *active,
                                 char *reason,
                                 size_t len,
                                 size_t *out_len);

/**
 * Write 1 to `*out` when the broker forwards publications now (active),
 * else 0 (passive, or stopped).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL); `HB_INVALID_HANDLE`;
 * `HB_STOPPED` while `hb_failover_stop` runs on another thread. Any
 * thread; never waits.
 */
hb_status hb_failover_is_active(const hb_failover *f, int32_t *out);

/**
 * Ask an active backup to hand the traffic back to its primary, which must
 * be alive and passive, and wait at most `timeout_ms` (the timeout rule)
 * for the monitor's answer. On `HB_OK` the backup is passive and the
 * primary becomes active within about one heartbeat period.
 *
 * The request is sent at once; with `timeout_ms` 0, or when the wait ends
 * early (`HB_TIMEOUT`, `HB_INTERRUPTED`), the monitor may still carry it
 * out: the events (`hb_failover_next_event`) tell.
 *
 * Returns `HB_OK`; `HB_CONFIG` when refused, with the reason in the error
 * text (this broker is the primary, the backup is not active, the primary
 * is not running or is already active); `HB_TIMEOUT`; `HB_INTERRUPTED`;
 * `HB_STOPPED` (the broker was stopped or freed); `HB_INVALID_HANDLE`;
 * `HB_ZMQ`. Any thread, also an event callback; waits for the monitor's
 * answer without holding the handle.
 */
hb_status hb_failover_handback(const hb_failover *f, int32_t timeout_ms);

/**
 * Copy the failover counters into `*out` (also after `hb_failover_stop`:
 * the final counts, with `active` 0); set `out->size` first.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, `out->size` not
 * set); `HB_INVALID_HANDLE`; `HB_STOPPED` while `hb_failover_stop` runs on
 * another thread. Any thread; never waits.
 */
hb_status hb_failover_stats(const hb_failover *f, hb_failover_stats_t *out);

/**
 * Copy the forwarding counters of the broker inside into `*out` (also
 * after `hb_failover_stop`); set `out->size` first. `dropped_passive`
 * counts the publications held while passive.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, `out->size` not
 * set); `HB_INVALID_HANDLE`; `HB_STOPPED` while `hb_failover_stop` runs on
 * another thread. Any thread; never waits.
 */
hb_status hb_failover_broker_stats(const hb_failover *f, hb_broker_stats_t *out);

/**
 * Write an endpoint the broker bound (wildcard ports resolved, e.g.
 * `tcp://127.0.0.1:40123`) into `buf`. `which`: 0 = XSUB, 1 = XPUB.
 * (The heartbeat endpoint is the one given to `hb_failover_new`.)
 *
 * `buf` holds `len` bytes and receives a NUL-terminated string; `*out_len`
 * (optional) its length without the NUL. Also valid after `hb_failover_stop`.
 *
 * Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (only `*out_len` = the length
 * needed is set); `HB_INVALID_ARGUMENT` (bad `which`, `buf` NULL with
 * `len` > 0); `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_failover_endpoint(const hb_failover *f, int32_t which, char *buf, size_t len, size_t *out_len);

/**
 * Stop the monitor and the broker: no more heartbeats, nothing forwarded,
 * every socket closed (the ports are free again on return), both threads
 * joined; no callback starts after this returns (one still running is
 * waited for at most 500 ms, and not at all from inside the callback). A
 * `hb_failover_next_event` waiting on another thread returns the events
 * still queued, then `HB_STOPPED`. The handle stays valid (counters and
 * endpoints remain readable) until `hb_failover_free`. Stopping twice is
 * harmless.
 *
 * Returns `HB_OK`; `HB_INVALID_HANDLE`; or the error a thread ended with
 * (`HB_ZMQ`, ...). Any thread, also the broker's own event callback; waits
 * for the broker's threads (they run no user code) and as said for a
 * callback.
 */
hb_status hb_failover_stop(const hb_failover *f);

/**
 * Stop the failover broker (if running, see `hb_failover_stop`) and
 * release the handle. NULL is a no-op (`HB_OK`). After this call the handle
 * is invalid: any use, including a second free, returns
 * `HB_INVALID_HANDLE`; waits on other threads end at once with
 * `HB_STOPPED`. Any thread, also the broker's own event callback; waits as
 * `hb_failover_stop`.
 */
hb_status hb_failover_free(hb_failover *f);

/**
 * Write libzmq's text for the error number `errnum` into `buf`: what
 * `zmq_strerror` gives, libzmq's own wording for its errors ("Host
 * unreachable" for `EHOSTUNREACH`, "Operation cannot be accomplished in
 * current state" for `EFSM`, "Address already in use"...) and the C
 * library's for the others. `hb_error_info` gives the errno of a failure.
 *
 * Same buffer rules and statuses as `hb_version`. Since ABI 1.2. Any
 * thread; never waits.
 */
hb_status hb_strerror(int32_t errnum, char *buf, size_t len, size_t *out_len);

/**
 * `*out` = 1 if the libzmq inside the library has `capability`, else 0,
 * as `zmq_has`: `"ipc"`, `"pgm"`, `"tipc"`, `"norm"`, `"curve"`,
 * `"gssapi"`, `"draft"` (any other name is 0).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`capability` or `out` NULL,
 * `capability` not UTF-8). Since ABI 1.2. Any thread; never waits.
 */
hb_status hb_zmq_has(const char *capability, int32_t *out);

/**
 * Set an option of the process's ZeroMQ context (the one the generic
 * sockets and the roles of the process share), as `zmq_ctx_set`:
 * `option` is libzmq's number (`ZMQ_IO_THREADS` 1, `ZMQ_MAX_SOCKETS` 2,
 * `ZMQ_THREAD_PRIORITY` 3, `ZMQ_THREAD_SCHED_POLICY` 4, `ZMQ_MAX_MSGSZ` 5,
 * `ZMQ_IPV6` 42, `ZMQ_BLOCKY` 70, ...). As in libzmq, the I/O threads,
 * the socket limit and the thread settings take effect when the context
 * starts (its first socket); a value set later is kept and read back by
 * `hb_context_get` but changes nothing. The process's context is never
 * terminated.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (an option or value libzmq
 * refuses; `hb_error_info` gives its errno, `EINVAL`). Since ABI 1.2. Any
 * thread; never waits.
 */
hb_status hb_context_set(int32_t option, int32_t value);

/**
 * `*value` = an option of the process's ZeroMQ context, as `zmq_ctx_get`
 * (`ZMQ_IO_THREADS` 1, `ZMQ_MAX_SOCKETS` 2, `ZMQ_SOCKET_LIMIT` 3,
 * `ZMQ_MAX_MSGSZ` 5, `ZMQ_MSG_T_SIZE` 6, `ZMQ_IPV6` 42, `ZMQ_BLOCKY`
 * 70, ...; see `hb_context_set`).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`value` NULL, an option libzmq
 * does not know: errno `EINVAL`). Since ABI 1.2. Any thread; never waits.
 */
hb_status hb_context_get(int32_t option, int32_t *value);

/**
 * Connect an operation node to the brokers and serve `lane` on a
 * background thread named `hypobus-op`.
 *
 * * `brokers`: a broker list (see BROKER LISTS at the top of this header;
 *   NULL or `""` = `127.0.0.1` on the default ports 5555/5556).
 * * `lane`: 1 serves cathetus a (`calc.square.request.1`), 2 cathetus b;
 *   any lane >= 1 works.
 * * `op`: the operation, called on the node's callback thread with `user`
 *   (see `hb_op_fn`); NULL = the built-in square, exact for integers and
 *   short decimals (no callback thread). `user` is never read by the
 *   library; it must stay valid until `hb_op_stop` or `hb_op_free` returns
 *   (and, if a callback was still running then, until it returns: see
 *   `hb_op_stats_t.callback_running`).
 * * `out`: receives the new handle (release with `hb_op_free`).
 *
 * Returns `HB_OK`; `HB_CONFIG` (bad broker list, lane 0);
 * `HB_INVALID_ARGUMENT` (`out` NULL, bad UTF-8); `HB_ZMQ`. Any thread;
 * never waits (the node connects in the background).
 */
hb_status hb_op_new(const char *brokers, uint32_t lane, hb_op_fn op, void *user, hb_op **out);

/**
 * `hb_op_new` with `brokers` and `lane` in a struct (see `hb_op_config_t`),
 * including the node's own CURVE keys; `op`, `user` and `out` as in
 * `hb_op_new` (the callback runs on the node's callback thread).
 *
 * Returns as `hb_op_new`; also `HB_INVALID_ARGUMENT` when `cfg` is NULL
 * or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG` when a
 * CURVE key or file of `cfg->curve` is bad (the message names it). Since
 * ABI 1.5. Any thread; waits only on the key files (the node connects in
 * the background).
 */
hb_status hb_op_new_ex(const hb_op_config_t *cfg, hb_op_fn op, void *user, hb_op **out);

/**
 * Copy the node's counters into `*out` (also after `hb_op_stop`); set
 * `out->size` first.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
 * NULL, `out->size` not set). Any thread; never waits.
 */
hb_status hb_op_stats(const hb_op *op, hb_op_stats_t *out);

/**
 * Stop serving, close the sockets and join the node's thread; no callback
 * starts after this returns. A callback call still running is waited for
 * at most 500 ms (never when the callback itself calls this): a callback
 * that waits for the calling thread — a Node or Python callback whose
 * interpreter thread is the one stopping — finishes later, its answer
 * dropped. The handle stays valid (stats remain readable) until
 * `hb_op_free`. Stopping twice is harmless.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the node's thread
 * ended with (`HB_ZMQ`, ...). Any thread, also the node's own callback;
 * waits for the node's thread (it ends at once) and at most 500 ms for a
 * running callback.
 */
hb_status hb_op_stop(const hb_op *op);

/**
 * Stop the node (see `hb_op_stop`) and release the handle. NULL is a
 * no-op (`HB_OK`); a freed handle (second free) is `HB_INVALID_HANDLE`.
 * Any thread, also the node's own callback; waits as `hb_op_stop`.
 */
hb_status hb_op_free(hb_op *op);

/**
 * Connect a pull-style operation node for `lane` (see `hb_op_new` for
 * `brokers` and `lane`). `*out` receives the handle (release with
 * `hb_op_pull_free`).
 *
 * Returns `HB_OK`; `HB_CONFIG` (bad broker list, lane 0);
 * `HB_INVALID_ARGUMENT` (`out` NULL, bad UTF-8); `HB_ZMQ`. Any thread;
 * never waits.
 */
hb_status hb_op_pull_new(const char *brokers, uint32_t lane, hb_op_pull **out);

/**
 * `hb_op_pull_new` with `brokers` and `lane` in a struct (see
 * `hb_op_config_t`), including the node's own CURVE keys.
 *
 * Returns as `hb_op_pull_new`; also `HB_INVALID_ARGUMENT` when `cfg` is
 * NULL or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG` when
 * a CURVE key or file of `cfg->curve` is bad (the message names it). Since
 * ABI 1.5. Any thread; waits only on the key files.
 */
hb_status hb_op_pull_new_ex(const hb_op_config_t *cfg, hb_op_pull **out);

/**
 * Take the next request, waiting at most `timeout_ms` (the timeout rule).
 * Malformed requests are answered with an error on the way and never
 * returned.
 *
 * On `HB_OK`: `*id` identifies the request for the reply, `*value` is its
 * value, and `text` (if not NULL) receives the value exactly as sent,
 * e.g. `"12"` (shorter than `HB_TEXT_MAX`), its length in `*text_out_len`
 * (optional; `text` NULL with `text_len` 0 skips the text). Every request
 * taken must be answered once (`hb_op_pull_reply*`).
 *
 * Returns `HB_OK`; `HB_TIMEOUT`; `HB_INTERRUPTED`; `HB_STOPPED` (freed
 * meanwhile); `HB_BUFFER_TOO_SMALL` when `text` is too small (the request
 * is NOT taken, `*text_out_len` = its length: call again with a bigger
 * buffer); `HB_INVALID_ARGUMENT` (`id` or `value` NULL, `text` NULL with
 * `text_len` > 0, a negative time-out); `HB_INVALID_HANDLE`; `HB_ZMQ`.
 * Any thread; waits for a request (the node's socket) without holding the
 * handle.
 */
hb_status hb_op_pull_recv(const hb_op_pull *p,
                          int32_t timeout_ms,
                          uint64_t *id,
                          double *value,
                          char *text,
                          size_t text_len,
                          size_t *text_out_len);

/**
 * Answer request `id` (from `hb_op_pull_recv`) with `value`. A value that
 * is not finite and non-negative is sent as an error answer instead.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` when no request `id` is waiting
 * (never taken, or already answered); `HB_INVALID_HANDLE`; `HB_ZMQ`. Any
 * thread; never waits.
 */
hb_status hb_op_pull_reply(const hb_op_pull *p, uint64_t id, double value);

/**
 * Answer request `id` with a value given as decimal text, sent exactly as
 * given (e.g. `"152415787532388367501905199875019052100"`, the square of
 * 12345678901234567890, which a double would round).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`text` NULL, not UTF-8 or not a
 * non-negative decimal number: the request stays waiting, answer it again;
 * no request `id` waiting); `HB_INVALID_HANDLE`; `HB_ZMQ`. Any thread;
 * never waits.
 */
hb_status hb_op_pull_reply_text(const hb_op_pull *p, uint64_t id, const char *text);

/**
 * Answer request `id` with an error; `reason` (UTF-8, required) is sent to
 * the calc node, which then computes the square itself.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`reason` NULL or not UTF-8, no
 * request `id` waiting); `HB_INVALID_HANDLE`; `HB_ZMQ`. Any thread; never
 * waits.
 */
hb_status hb_op_pull_reply_error(const hb_op_pull *p, uint64_t id, const char *reason);

/**
 * Copy the node's counters into `*out`; set `out->size` first.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
 * NULL, `out->size` not set). Any thread; never waits.
 */
hb_status hb_op_pull_stats(const hb_op_pull *p, hb_op_stats_t *out);

/**
 * Close the node and release the handle; a `hb_op_pull_recv` waiting on
 * another thread returns `HB_STOPPED` at once. Requests taken and not
 * answered are dropped (the calc node computes those squares itself).
 * NULL is a no-op (`HB_OK`); a freed handle is `HB_INVALID_HANDLE`. Any
 * thread; never waits.
 */
hb_status hb_op_pull_free(hb_op_pull *p);

/**
 * Start a proxy between `frontend` and `backend` (and a `capture` socket
 * that gets a copy of every frame forwarded either way, or NULL), like
 * `zmq_proxy`: messages read on the frontend go to the backend and back.
 * Typical pairs: XSUB frontend and XPUB backend (publications flow down,
 * subscriptions up); ROUTER frontend and DEALER backend (a request/reply
 * broker). `*out` receives the handle.
 *
 * The sockets move into the proxy: while it runs, calls on their handles
 * return `HB_BUSY` (and waits on them end with `HB_BUSY`). When it stops
 * (`hb_proxy_stop`, `hb_proxy_free`, or an error) they go back to their
 * handles, bound and connected as before; a handle freed meanwhile has its
 * socket closed instead. The proxy never waits on a full destination: a
 * message with no room (e.g. a DEALER with no worker yet) waits in the
 * proxy until there is room, and nothing more is read in that direction
 * meanwhile. The same for the capture, as in `zmq_proxy`, where the copy is
 * sent first: a copy the capture has no room for (a PUSH with no peer yet,
 * a full one) is held and nothing more is read either way until the
 * capture takes it (a PUB capture never refuses: it drops at its HWM). A
 * message kept by a too-small `hb_socket_recv` is forwarded first.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out`, `frontend` or `backend`
 * NULL, the same socket twice); `HB_INVALID_HANDLE`; `HB_BUSY` (a socket
 * already in a proxy); `HB_ZMQ`. Any thread; never waits.
 */
hb_status hb_proxy_new(const hb_socket *frontend,
                       const hb_socket *backend,
                       const hb_socket *capture,
                       hb_proxy **out);

/**
 * Pause the proxy: when this returns, nothing more is forwarded (messages
 * wait in the sockets, subject to their HWMs) until `hb_proxy_resume`.
 *
 * Returns `HB_OK`; `HB_STOPPED` (the proxy is stopped); `HB_INVALID_HANDLE`.
 * Any thread; waits only for a batch being forwarded to finish (microseconds).
 */
hb_status hb_proxy_pause(const hb_proxy *p);

/**
 * Forward again after `hb_proxy_pause` (what waited goes first).
 *
 * Returns `HB_OK`; `HB_STOPPED`; `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_proxy_resume(const hb_proxy *p);

/**
 * Stop the proxy and join its thread (which runs no user code, so this is
 * quick): when it returns, the sockets are back in their handles (usable
 * again) and every `hb_proxy_wait` returns `HB_OK`. Stopping a stopped
 * proxy does nothing. The handle stays valid (for `hb_proxy_stats`) until
 * `hb_proxy_free`.
 *
 * Returns `HB_OK`; `HB_ZMQ` (the loop had ended on a libzmq error; the
 * sockets are back all the same); `HB_INVALID_HANDLE`. Any thread; waits
 * for the proxy thread to end.
 */
hb_status hb_proxy_stop(const hb_proxy *p);

/**
 * Wait until the proxy has stopped, at most `timeout_ms` (the timeout
 * rule): for pyzmq's blocking `zmq.proxy()`, which a binding runs as a
 * loop of bounded waits until another thread stops the proxy.
 *
 * Returns `HB_OK` (stopped, by `hb_proxy_stop` or an error); `HB_TIMEOUT`
 * (still running); `HB_INTERRUPTED`; `HB_STOPPED` (the handle was freed);
 * `HB_INVALID_ARGUMENT` (negative time-out); `HB_INVALID_HANDLE`. Any
 * thread; waits for the proxy's end without holding the handle.
 */
hb_status hb_proxy_wait(const hb_proxy *p, int32_t timeout_ms);

/**
 * Write the proxy's counters to `*out` (set `out->size` first).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL or its size unset);
 * `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_proxy_stats(const hb_proxy *p, hb_proxy_stats_t *out);

/**
 * Stop the proxy (as `hb_proxy_stop`: its sockets go back to their
 * handles) and release the handle; waits on it return `HB_STOPPED`. NULL
 * is a no-op.
 *
 * Returns `HB_OK` or `HB_INVALID_HANDLE`. Any thread; waits for the proxy
 * thread to end.
 */
hb_status hb_proxy_free(hb_proxy *p);

/**
 * A new random CURVE key pair, each key as 40 characters of Z85 text with
 * a NUL, into `public_key` and `secret_key` (each at least
 * `HB_CURVE_KEY_SIZE` bytes; sizes in `public_len`, `secret_len`).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (a NULL buffer); `HB_BUFFER_TOO_SMALL`
 * (a buffer under `HB_CURVE_KEY_SIZE`: nothing was generated);
 * `HB_CONFIG` (the library was built without CURVE). Since ABI 1.4. Any
 * thread; never waits.
 */
hb_status hb_curve_keypair(char *public_key, size_t public_len, char *secret_key, size_t secret_len);

/**
 * The public key that belongs to `secret_key` (40 characters of Z85),
 * written into `public_key` (at least `HB_CURVE_KEY_SIZE` bytes).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (NULL, or not a Z85 key);
 * `HB_BUFFER_TOO_SMALL`; `HB_CONFIG` (no CURVE). Since ABI 1.4. Any
 * thread; never waits.
 */
hb_status hb_curve_public(const char *secret_key, char *public_key, size_t public_len);

/**
 * Write a CURVE certificate in CZMQ's format: the public file `path` and
 * the secret file `path` + `"_secret"` (mode 0600), as `zcert_save` and
 * `hypobus keygen` do; CZMQ and pyzmq's `zmq.auth.load_certificate` read
 * them. `secret_key` (Z85) NULL: a new key pair is made; `public_key` is
 * then ignored, else it may be NULL (derived from the secret key).
 * `metadata`: NULL or `"name=value"` lines (names of letters, digits and
 * `$-_@.&+/`; values without quotes). If `public_out` is not NULL the
 * certificate's public key is written there (at least `HB_CURVE_KEY_SIZE`
 * bytes, `public_len`).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (NULL path, a bad key or
 * metadata line; the public key given does not match the secret key);
 * `HB_BUFFER_TOO_SMALL` (nothing was written); `HB_CONFIG` (a file
 * cannot be written, the message says why; no CURVE). Since ABI 1.4. Any
 * thread; waits only on the file system.
 */
hb_status hb_cert_save(const char *path,
                       const char *public_key,
                       const char *secret_key,
                       const char *metadata,
                       char *public_out,
                       size_t public_len);

/**
 * Read a CURVE certificate file (public or secret, CZMQ's or pyzmq's
 * format): its public key into `public_key`, and if `secret_key` is not
 * NULL its secret key (an empty string when the file has none). Each
 * buffer at least `HB_CURVE_KEY_SIZE` bytes. `*has_secret` (optional) = 1
 * when the file holds a secret key.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (NULL path or public buffer;
 * the file is not a certificate: the message names the file and line);
 * `HB_BUFFER_TOO_SMALL`; `HB_CONFIG` (the file cannot be read). Since ABI
 * 1.4. Any thread; waits only on the file system.
 */
hb_status hb_cert_load(const char *path,
                       char *public_key,
                       size_t public_len,
                       char *secret_key,
                       size_t secret_len,
                       int32_t *has_secret);

/**
 * Set the CURVE keys of every lab role this process creates from now on
 * (brokers, failover brokers, calc and op nodes, clients, the watch
 * observer), as the CLI's `--curve-cert`, `--curve-server` and
 * `--curve-allow` do. Each may be NULL or `""` (not set); all three
 * unset turn CURVE off again (the default).
 *
 * * `cert`: this process's own certificate: the secret file
 *   (`NAME_secret`, `hypobus keygen`) or its Z85 secret key. Brokers need
 *   it; connecting roles show it to an allow-list (without it they make a
 *   fresh key pair: encrypted, but on no list).
 * * `server`: the brokers' certificate (the public file `NAME`) or their
 *   Z85 public key: connecting roles then talk CURVE to every broker.
 * * `allow`: brokers only: a directory of the certificates of the
 *   clients allowed to connect (read when a broker starts).
 *
 * Roles already running keep their settings, and a role given its own
 * keys (a non-NULL `hb_curve_config_t` in its config, ABI 1.5) never
 * takes these. Returns `HB_OK`;
 * `HB_CONFIG` (a file cannot be read or holds no such key, `allow` is not
 * a directory: the message names it); `HB_INVALID_ARGUMENT` (not UTF-8).
 * Since ABI 1.4. Any thread; waits only on the file system.
 */
hb_status hb_curve_set_default(const char *cert, const char *server, const char *allow);

/**
 * Start an authenticator for the process's ZeroMQ context (the one the
 * generic sockets share): it answers every ZAP request from then on,
 * logging each decision once (`auth: ALLOWED ...`/`DENIED ...` event
 * lines, `hb_log_*`). One per process: a second one, or another ZAP
 * handler bound in the process (pyzmq-style authenticators of a binding
 * included), is refused with `HB_CONFIG`. The roles' own allow-lists run
 * in their own contexts and do not count.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`cfg` or `out` NULL, size
 * unset, both `allow` and `deny`); `HB_CONFIG` (a file or directory
 * cannot be read; another authenticator runs). Since ABI 1.4. Any thread;
 * waits only on the file system.
 */
hb_status hb_auth_new(const hb_auth_config_t *cfg, hb_auth **out);

/**
 * Read the authenticator's files again (a changed allow-list directory,
 * new passwords): decisions from then on follow them. On an error the
 * old rules stay.
 *
 * Returns `HB_OK`; `HB_CONFIG` (a file cannot be read: the old rules
 * stay); `HB_INVALID_HANDLE`. Since ABI 1.4. Any thread; waits only on
 * the file system.
 */
hb_status hb_auth_reload(const hb_auth *a);

/**
 * Write the authenticator's counters to `*out` (set `out->size` first).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT`; `HB_INVALID_HANDLE`. Since ABI
 * 1.4. Any thread; never waits.
 */
hb_status hb_auth_stats(const hb_auth *a, hb_auth_stats_t *out);

/**
 * Stop the authenticator and release the handle (ZAP requests are then
 * not answered: libzmq lets NULL peers in and refuses CURVE and PLAIN
 * ones). NULL is a no-op.
 *
 * Returns `HB_OK` or `HB_INVALID_HANDLE`. Since ABI 1.4. Any thread;
 * waits for its thread to end (it runs no user code).
 */
hb_status hb_auth_free(hb_auth *a);

/**
 * Create a socket of type `type` (libzmq's numbers: `HB_PAIR` 0, `HB_PUB`
 * 1, `HB_SUB` 2, `HB_REQ` 3, `HB_REP` 4, `HB_DEALER` 5, `HB_ROUTER` 6,
 * `HB_PULL` 7, `HB_PUSH` 8, `HB_XPUB` 9, `HB_XSUB` 10, `HB_STREAM` 11) in
 * the process's one ZeroMQ context, which the library's roles share (so
 * `inproc://` endpoints reach them). Options are libzmq's defaults
 * (LINGER -1, HWMs 1000). `*out` receives the handle.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, bad type); `HB_ZMQ`
 * (too many sockets: `EMFILE`). Any thread; never waits.
 */
hb_status hb_socket_new(int32_t type, hb_socket **out);

/**
 * Close the socket and release the handle. Every wait on it (on any
 * thread) returns `HB_STOPPED` at once. Messages not yet sent are sent in
 * the background as `HB_LINGER` says (libzmq's default -1: until they are
 * sent or the peer is gone for good; set it to 0 to drop them). A running
 * monitor stops. A socket that a proxy runs is closed when the proxy stops.
 * NULL is a no-op.
 *
 * Returns `HB_OK` or `HB_INVALID_HANDLE`. Any thread; never waits, except
 * in libzmq's send of `HB_EVENT_MONITOR_STOPPED` to the reader of a monitor
 * started by `hb_socket_monitor_endpoint` (no wait with the reader that
 * function describes).
 */
hb_status hb_socket_free(hb_socket *s);

/**
 * Bind the socket to `endpoint` (`tcp://127.0.0.1:5555`,
 * `tcp://127.0.0.1:*` for a free port, `ipc:///tmp/x`, `inproc://name`)
 * and write the endpoint actually bound (a wildcard port resolved, e.g.
 * `tcp://127.0.0.1:40123`) into `bound` (`len` bytes, NUL-terminated;
 * length without the NUL in `*out_len`, optional). `bound` may be NULL
 * with `len` 0. An endpoint is shorter than `HB_TEXT_MAX`.
 *
 * Returns `HB_OK`; `HB_CONFIG` (a bad endpoint, address in use, unknown
 * protocol: the message names the endpoint, `hb_error_info` gives
 * libzmq's errno, e.g. `EADDRINUSE`); `HB_BUFFER_TOO_SMALL` (the socket IS
 * bound; `*out_len` = the length; read it again with `HB_LAST_ENDPOINT`);
 * `HB_INVALID_ARGUMENT`; `HB_INVALID_HANDLE`; `HB_BUSY` (a proxy runs
 * it). Any thread; never waits.
 */
hb_status hb_socket_bind(const hb_socket *s, const char *endpoint, char *bound, size_t len, size_t *out_len);

/**
 * Stop listening on `endpoint`, given as `hb_socket_bind` wrote it (a
 * wildcard does not match).
 *
 * Returns `HB_OK`; `HB_CONFIG` (not bound there: errno `ENOENT`);
 * `HB_INVALID_ARGUMENT`; `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread;
 * never waits.
 */
hb_status hb_socket_unbind(const hb_socket *s, const char *endpoint);

/**
 * Connect the socket to `endpoint` (`tcp://127.0.0.1:5555`, `inproc://name`,
 * ...). The peer need not be up yet: libzmq connects and reconnects in the
 * background (see `HB_RECONNECT_IVL`, and `hb_socket_monitor` to watch it).
 *
 * Returns `HB_OK`; `HB_CONFIG` (a bad endpoint: the message names it,
 * `hb_error_info` gives the errno); `HB_INVALID_ARGUMENT`;
 * `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
 */
hb_status hb_socket_connect(const hb_socket *s, const char *endpoint);

/**
 * Disconnect from `endpoint`, given as to `hb_socket_connect`.
 *
 * Returns `HB_OK`; `HB_CONFIG` (not connected there: errno `ENOENT`);
 * `HB_INVALID_ARGUMENT`; `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread;
 * never waits.
 */
hb_status hb_socket_disconnect(const hb_socket *s, const char *endpoint);

/**
 * Set option `option` (libzmq's number, e.g. `HB_SUBSCRIBE`,
 * `HB_ROUTING_ID`, `HB_LINGER`) from `len` raw bytes at `value`, as
 * `zmq_setsockopt` takes them: an int option takes exactly 4 bytes (a C
 * `int`), `HB_MAXMSGSIZE` and `HB_AFFINITY` 8; bytes and text options
 * (subscriptions, routing ids, names) any bytes, NUL bytes included
 * (`value` may be NULL with `len` 0: e.g. subscribe to everything).
 * For integers `hb_socket_setopt_int` is simpler.
 *
 * `HB_RCVTIMEO`/`HB_SNDTIMEO` are stored and readable, but the calls of
 * this library take their own `timeout_ms` (bindings pass them on).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (unknown option number, a
 * read-only option, a wrong length, a value libzmq refuses or an option
 * this socket type does not have: errno `EINVAL`, the message names the
 * option); `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
 */
hb_status hb_socket_setopt(const hb_socket *s, int32_t option, const void *value, size_t len);

/**
 * Set an integer option (any of libzmq's int, int64 or uint64 options) to
 * `value`, converted to the option's C type; a value that does not fit it
 * (above `INT_MAX` for an int option, negative for a uint64 one) is refused.
 *
 * Returns as `hb_socket_setopt`; `HB_INVALID_ARGUMENT` also for a bytes
 * or text option. Any thread; never waits.
 */
hb_status hb_socket_setopt_int(const hb_socket *s, int32_t option, int64_t value);

/**
 * Read option `option` into `buf` (`len` bytes): bytes options (e.g.
 * `HB_ROUTING_ID`) as their bytes, `*out_len` = their count; text options
 * (`HB_LAST_ENDPOINT`, CURVE keys as Z85) with a NUL added, `*out_len` =
 * the length without it; int options as their raw C value (4 or 8 bytes).
 * `*out_len` is optional; `buf` may be NULL with `len` 0 (a size query).
 *
 * Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (nothing written, `*out_len` =
 * the size needed, without the NUL of a text); `HB_INVALID_ARGUMENT`
 * (unknown or write-only option, such as `HB_SUBSCRIBE`: errno `EINVAL`);
 * `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
 */
hb_status hb_socket_getopt(const hb_socket *s, int32_t option, void *buf, size_t len, size_t *out_len);

/**
 * Read an integer option (int, int64 or uint64) into `*value`.
 * `HB_EVENTS` is what `hb_socket_events` returns.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`value` NULL, an unknown,
 * write-only or non-integer option); `HB_INVALID_HANDLE`; `HB_BUSY`.
 * Any thread; never waits.
 */
hb_status hb_socket_getopt_int(const hb_socket *s, int32_t option, int64_t *value);

/**
 * The metadata property `name` of the last message this socket handed
 * out (libzmq's `zmq_msg_gets`), as text into `buf` (`len` bytes, rules
 * of `hb_version`): `"User-Id"` (set by the ZAP handler: a CURVE client's
 * public key in Z85, a PLAIN user name), `"Peer-Address"`,
 * `"Socket-Type"`, `"Routing-Id"`, and any property the ZAP handler
 * added. Ask before the next receive: only the last message's metadata
 * is kept.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`name` NULL; the message has no
 * such property; no message handed out yet, or its first frame was over
 * 64 KiB: the message says which);
 * `HB_BUFFER_TOO_SMALL`; `HB_INVALID_HANDLE`; `HB_BUSY`. Since ABI 1.4.
 * Any thread; never waits.
 */
hb_status hb_socket_msg_property(const hb_socket *s,
                                 const char *name,
                                 char *buf,
                                 size_t len,
                                 size_t *out_len);

/**
 * Send one message, or one part of a message, in ONE call: `nframes`
 * frames (at least 1) whose bytes lie one after the other in `data`, the
 * size of frame i in `sizes[i]` (frames may hold NUL bytes, and be empty;
 * `data` may be NULL when every size is 0).
 *
 * `flags`: 0, or `HB_SNDMORE` = the message goes on with the next
 * `hb_socket_send` call (pyzmq's `send(x, SNDMORE)`); `HB_DONTWAIT` = do
 * not wait (like `timeout_ms` 0).
 *
 * Waits for room up to `timeout_ms` (the timeout rule; 0 = libzmq's
 * `ZMQ_DONTWAIT`: no room now is `HB_TIMEOUT`, libzmq's `EAGAIN`). Only the
 * first frame of a message can be refused for room (libzmq then takes the
 * rest), so a call sends all its frames or none.
 *
 * Returns `HB_OK`; `HB_TIMEOUT` (no room: nothing was sent); `HB_ZMQ` with
 * libzmq's errno in `hb_error_info` (`EFSM`: a REQ socket sending twice
 * without a reply between; `EHOSTUNREACH`: `HB_ROUTER_MANDATORY` and no
 * peer with that routing id; `ENOTSUP`: a SUB or PULL socket cannot
 * send); `HB_INVALID_ARGUMENT` (NULL `sizes` or `data`, `nframes` 0, an
 * unknown flag, a negative time-out); `HB_INTERRUPTED`; `HB_STOPPED` (the
 * socket was freed meanwhile); `HB_INVALID_HANDLE`; `HB_BUSY`. Any
 * thread; waits for room without holding the socket.
 */
hb_status hb_socket_send(const hb_socket *s,
                         const void *data,
                         const size_t *sizes,
                         size_t nframes,
                         int32_t flags,
                         int32_t timeout_ms);

/**
 * Receive one WHOLE message (every frame of a multipart message) in ONE
 * call: the frames are written one after the other into `buf` (`len`
 * bytes), the size of frame i into `sizes[i]` (room for `max_frames`),
 * the number of frames into `*nframes` and the bytes in all into `*total`
 * (both optional).
 *
 * Output that does not fit is never lost: if `len` or `max_frames` is too
 * small, the call returns `HB_BUFFER_TOO_SMALL` with `*total` and
 * `*nframes` set to what is needed, and the message is KEPT in the socket:
 * the next `hb_socket_recv` returns it first. `buf` NULL with `len` 0 is a
 * size query: it always returns `HB_BUFFER_TOO_SMALL` with the shape of
 * the next message and keeps it (`sizes` may be NULL when `max_frames` is 0).
 *
 * Waits for a message up to `timeout_ms` (the timeout rule; 0 = take what
 * is there now).
 *
 * Returns `HB_OK`; `HB_TIMEOUT` (no message); `HB_BUFFER_TOO_SMALL`;
 * `HB_ZMQ` (`EFSM`: a REQ socket receiving before it sent, `ENOTSUP`: a
 * PUB or PUSH socket cannot receive); `HB_INVALID_ARGUMENT` (`buf` NULL
 * with `len` > 0, `sizes` NULL with `max_frames` > 0, a negative
 * time-out); `HB_INTERRUPTED`; `HB_STOPPED` (freed meanwhile);
 * `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; waits for a message without
 * holding the socket (other threads may send on it meanwhile).
 */
hb_status hb_socket_recv(const hb_socket *s,
                         int32_t timeout_ms,
                         void *buf,
                         size_t len,
                         size_t *sizes,
                         size_t max_frames,
                         size_t *nframes,
                         size_t *total);

/**
 * Receive SEVERAL whole messages in ONE call, for bindings whose per-call
 * cost is high (a Python `recv` drains them from a queue of its own): the
 * first message exactly as `hb_socket_recv` takes it (waiting up to
 * `timeout_ms`, the timeout rule), then, without waiting, every further
 * message already queued on the socket, as long as it fits and fewer than
 * `max_msgs` were taken.
 *
 * The frames of all messages go one after the other into `buf` (`len`
 * bytes), their sizes into `sizes` (room for `max_frames`), the number of
 * frames of message i into `counts[i]` (room for `max_msgs`, at least 1);
 * `*nmsgs` receives the number of messages and `*total` (optional) the
 * bytes in all.
 *
 * Output that does not fit is never lost: if the FIRST message does not
 * fit, the call returns `HB_BUFFER_TOO_SMALL` as `hb_socket_recv` does
 * (`*nmsgs` = 0, `counts[0]` = its frame count, `*total` = its bytes) and
 * keeps it; a later message that does not fit stays in the socket for the
 * next call (the call still returns `HB_OK` with what it took). A REQ or
 * REP socket takes one message per call (its state machine allows no more).
 *
 * Returns as `hb_socket_recv`; also `HB_INVALID_ARGUMENT` (`counts` or
 * `nmsgs` NULL, `max_msgs` 0). Any thread; waits for the first message
 * without holding the socket (other threads may send on it meanwhile),
 * never for the others.
 *
 * Since ABI 1.1.
 */
hb_status hb_socket_recv_many(const hb_socket *s,
                              int32_t timeout_ms,
                              void *buf,
                              size_t len,
                              size_t *sizes,
                              size_t max_frames,
                              size_t *counts,
                              size_t max_msgs,
                              size_t *nmsgs,
                              size_t *total);

/**
 * `hb_socket_send` with its arguments in a struct that the caller builds
 * once and reuses, changing only what varies (the sizes, the bytes at
 * `data`): for callers whose cost per argument is high (Python ctypes
 * converts every argument of every call). Same behaviour, statuses and
 * error texts as `hb_socket_send`.
 *
 * Returns as `hb_socket_send`; also `HB_INVALID_ARGUMENT` (`args` NULL or
 * `args->size` smaller than the struct). Any thread; waits for room as
 * `hb_socket_send` (the timeout rule) without holding the socket.
 *
 * Since ABI 1.1.
 */
hb_status hb_socket_send_args(const hb_send_args_t *args);

/**
 * Send SEVERAL whole messages in ONE call, in order, for bindings whose
 * per-call cost is high (a Python binding hands over a burst of sends at
 * once): message i has `counts[i]` frames (at least 1), whose sizes are
 * the next `counts[i]` entries of `sizes` and whose bytes follow one after
 * the other in `data`. Each message goes whole or not at all, as with
 * `hb_socket_send`; `flags` applies to every message (`HB_DONTWAIT`;
 * `HB_SNDMORE` is refused: a message of this call cannot continue into
 * the next call).
 *
 * Waits for room up to `timeout_ms` in all (the timeout rule: 0 = send
 * what fits now). `*sent` receives the number of messages sent, also when
 * the call fails: they went out, the others did not.
 *
 * Returns `HB_OK` (all sent); `HB_TIMEOUT` (no room for message `*sent`
 * in time); otherwise as `hb_socket_send` for message `*sent` (`HB_ZMQ`
 * with libzmq's errno, ...); also `HB_INVALID_ARGUMENT` (`sent`, `counts`
 * or `sizes` NULL, `nmsgs` 0, a count of 0, `HB_SNDMORE` in `flags`). Any
 * thread; waits for room without holding the socket.
 *
 * Since ABI 1.1.
 */
hb_status hb_socket_send_many(const hb_socket *s,
                              const void *data,
                              const size_t *sizes,
                              const size_t *counts,
                              size_t nmsgs,
                              int32_t flags,
                              int32_t timeout_ms,
                              size_t *sent);

/**
 * `hb_socket_recv_many` with its arguments and results in a struct that
 * the caller builds once and reuses (see `hb_socket_send_args`): writes
 * `nmsgs`, `nframes` (all messages' frames) and `total`. Same behaviour,
 * statuses and error texts as `hb_socket_recv_many` (`max_msgs` 1 takes
 * one message, as `hb_socket_recv`).
 *
 * Returns as `hb_socket_recv_many`; also `HB_INVALID_ARGUMENT` (`args`
 * NULL or `args->size` smaller than the struct). Any thread; waits for the
 * first message as `hb_socket_recv_many` without holding the socket.
 *
 * Since ABI 1.1.
 */
hb_status hb_socket_recv_args(hb_recv_args_t *args);

/**
 * Write what the socket can do now to `*events`: `HB_POLLIN` (a message
 * can be received, also one kept by a too-small buffer), `HB_POLLOUT`
 * (a message can be sent), `HB_POLLMON` (a socket event can be taken with
 * `hb_socket_next_event`), like libzmq's `ZMQ_EVENTS`.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`events` NULL);
 * `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
 */
hb_status hb_socket_events(const hb_socket *s, int32_t *events);

/**
 * Report the socket's events in `events_mask` (`HB_EVENT_*` bits or'ed,
 * `HB_EVENT_ALL` for all), to be taken with `hb_socket_next_event`; 0
 * stops reporting (events already queued can still be taken). Calling it
 * again replaces the mask. Start it before `hb_socket_connect` or
 * `hb_socket_bind` to see their events.
 *
 * The library keeps the last 1024 events not taken yet (older ones are
 * dropped and counted in `hb_socket_event_t.dropped`); libzmq's I/O thread
 * never waits for a slow reader. While a monitor runs, `hb_handle_fd`'s
 * descriptor also wakes for events: an event loop then takes both
 * messages and events with a zero time-out (`hb_socket_next_event`;
 * `hb_socket_recv` alone also quiets the descriptor, keeping the events).
 * `hb_poll` reports them as `HB_POLLMON`.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (bits beyond `HB_EVENT_ALL`);
 * `HB_ZMQ`; `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread; never waits.
 */
hb_status hb_socket_monitor(const hb_socket *s, int32_t events_mask);

/**
 * Take the next socket event, waiting up to `timeout_ms` for one (the
 * timeout rule): its type and value go to `*ev` (set `ev->size` first),
 * the endpoint it is about (e.g. `tcp://127.0.0.1:5555`) into `addr`
 * (`len` bytes, NUL-terminated, shorter than `HB_TEXT_MAX`; length without
 * the NUL in `*out_len`, optional; `addr` may be NULL with `len` 0 when the
 * address is not wanted).
 *
 * Returns `HB_OK`; `HB_TIMEOUT`; `HB_BUFFER_TOO_SMALL` (the address does
 * not fit: `*out_len` = its length, the event is kept for the next call);
 * `HB_INVALID_ARGUMENT` (`ev` NULL or its size unset, no monitor started
 * and no event left, `addr` NULL with `len` > 0, a negative time-out);
 * `HB_INTERRUPTED`; `HB_STOPPED`; `HB_INVALID_HANDLE`; `HB_BUSY`. Any
 * thread; waits without holding the socket.
 */
hb_status hb_socket_next_event(const hb_socket *s,
                               int32_t timeout_ms,
                               hb_socket_event_t *ev,
                               char *addr,
                               size_t len,
                               size_t *out_len);

/**
 * Start libzmq's socket monitor on the caller's `endpoint` (pyzmq's
 * `socket.monitor(addr, events)`, libzmq's `zmq_socket_monitor`): libzmq
 * binds a PAIR socket at `endpoint` (an `inproc://` address) and sends
 * each event in `events` (`HB_EVENT_*` bits or'ed) to it as two frames,
 * libzmq's v1 format: 6 bytes (event as uint16, value as uint32, both
 * little-endian on the platforms served) and the endpoint it is about.
 * `endpoint` NULL stops the monitor (libzmq first sends
 * `HB_EVENT_MONITOR_STOPPED` if `events` had it). A running monitor of
 * either kind is replaced (events of an `hb_socket_monitor` already queued
 * stay readable with `hb_socket_next_event`); `hb_socket_monitor` in turn
 * replaces this one. Freeing the socket stops it (in the freeing call).
 *
 * The reader is the caller's: libzmq sends the events with a blocking
 * send, on its I/O thread (shared by every socket of the process) for
 * most of them. Connect an inproc `HB_PAIR` socket with `HB_RCVHWM` 0 to
 * `endpoint` BEFORE this call (an inproc connect may come before the
 * bind; the pipe is then unbounded from the first event on, so no send
 * ever waits) and keep it open until the monitor is stopped or the socket
 * freed (an inproc pipe ends with its bind side: connect a reader anew
 * before each start). A reader with a bounded pipe that is not read, or
 * none at all, stalls libzmq's I/O thread, as with libzmq itself; and
 * `hb_socket_free` then waits in that send (it stops the monitor in the
 * call, rather than leaving the send to libzmq's reaper thread).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (bits beyond `HB_EVENT_ALL`, an
 * endpoint that is not UTF-8); `HB_ZMQ` (libzmq's errno:
 * `EPROTONOSUPPORT` for an endpoint that is not `inproc://`,
 * `EADDRINUSE`, `EINVAL`); `HB_INVALID_HANDLE`; `HB_BUSY`. Any thread;
 * waits for nothing of its own: starting never waits, and stopping waits
 * only in libzmq's blocking send of `HB_EVENT_MONITOR_STOPPED`, i.e. not
 * at all with the reader described above.
 *
 * Since ABI 1.3.
 */
hb_status hb_socket_monitor_endpoint(const hb_socket *s, const char *endpoint, int32_t events);

/**
 * Start a task broker: bind its frontend (clients) and backend (workers),
 * open its journal, take up the journal's unfinished requests, and route
 * on a background thread named `hypobus-task`. `cfg` NULL = every default
 * (memory journal, `lru`, ports 5570 and 5571 on every interface).
 *
 * The course's frames work unchanged against it (REQ clients sending
 * `[request]`; REQ workers registering with an empty message and answering
 * `[client, '', reply]`); `hb_task_worker_*` and `hb_task_client_*` add
 * ids, services, load and heartbeats (docs/PROTOCOL.md).
 *
 * Returns `HB_OK`; `HB_CONFIG` (an endpoint that cannot be bound, a bad
 * store, policy or peer list, a journal that cannot be opened, a bad
 * CURVE key or file of `cfg->curve`); `HB_INVALID_ARGUMENT` (`out` NULL,
 * `cfg->size` or `cfg->curve->size` unset, bad UTF-8); `HB_ZMQ`. Any
 * thread; waits only for the binds, the key files and for opening the
 * journal.
 */
hb_status hb_task_broker_new(const hb_task_broker_config_t *cfg, hb_task_broker **out);

/**
 * Write an endpoint the broker bound (wildcard ports resolved, e.g.
 * `tcp://127.0.0.1:40123`) into `buf`: `which` = `HB_TASK_FRONTEND`,
 * `HB_TASK_BACKEND` or `HB_TASK_STATE` (empty without peering).
 *
 * Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (`*out_len` = the length needed);
 * `HB_INVALID_ARGUMENT` (bad `which`, `buf` NULL with `len` > 0);
 * `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_task_broker_endpoint(const hb_task_broker *b,
                                  int32_t which,
                                  char *buf,
                                  size_t len,
                                  size_t *out_len);

/**
 * Copy the broker's counters into `*out` (also after `hb_task_broker_stop`); set `out->size` first.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
 * NULL, `out->size` not set). Any thread; never waits.
 */
hb_status hb_task_broker_stats(const hb_task_broker *b, hb_task_broker_stats_t *out);

/**
 * Stop routing: commit the journal, close the sockets, join the thread.
 * Requests still running are abandoned (a broker restarted on the same
 * SQLite journal takes them up). The handle stays valid for
 * `hb_task_broker_stats` until freed; stopping twice is harmless.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the broker's thread
 * ended with. Any thread; waits for the broker's thread (it ends at once).
 */
hb_status hb_task_broker_stop(const hb_task_broker *b);

/**
 * Stop the broker (see `hb_task_broker_stop`) and release the handle. NULL
 * is a no-op. Any thread; waits as `hb_task_broker_stop`.
 */
hb_status hb_task_broker_free(hb_task_broker *b);

/**
 * Start a task worker: connect to the broker's backend, register (with its
 * services, its `threads` slots and its load), heartbeat, and register
 * again whenever the broker restarts or goes silent (I/O thread
 * `hypobus-tw`). `cfg` NULL = every default.
 *
 * * `f` not NULL: `f` answers every request, called with `user` on
 *   `threads` callback threads of the worker (see `hb_task_fn`). `user` is
 *   never read by the library and must stay valid until
 *   `hb_task_worker_stop` or `hb_task_worker_free` returned and
 *   `hb_task_worker_stats_t.callbacks_running` is 0.
 * * `f` NULL: pull style: take requests with `hb_task_worker_recv` and
 *   answer each with `hb_task_worker_reply` or `hb_task_worker_reply_error`.
 *
 * Returns `HB_OK`; `HB_CONFIG` (bad endpoint, bad service name, more than
 * 100000 threads, a bad CURVE key or file of `cfg->curve`);
 * `HB_INVALID_ARGUMENT` (`out` NULL, `cfg->size` or `cfg->curve->size`
 * unset, bad UTF-8); `HB_ZMQ`. Any thread; waits only on the key files (it
 * connects in the background).
 */
hb_status hb_task_worker_new(const hb_task_worker_config_t *cfg,
                             hb_task_fn f,
                             void *user,
                             hb_task_worker **out);

/**
 * Pull style (a worker made with `f` NULL): take the next request, waiting
 * at most `timeout_ms` (the timeout rule). `*job` receives its number (for
 * the answer and `hb_task_worker_job_info`), `buf` its body (`len` bytes;
 * the size in `*out_len`, optional). Every job taken must be answered once.
 *
 * Returns `HB_OK`; `HB_TIMEOUT`; `HB_INTERRUPTED`; `HB_STOPPED` (freed or
 * stopped meanwhile); `HB_BUFFER_TOO_SMALL` (the job is NOT taken;
 * `*out_len` = its size); `HB_BUSY` (the worker has a callback: its jobs
 * go there); `HB_INVALID_ARGUMENT` (`job` NULL, `buf` NULL with `len` > 0,
 * a negative time-out); `HB_INVALID_HANDLE`. Any thread; waits for a
 * request (the worker's job queue) without holding the worker.
 */
hb_status hb_task_worker_recv(const hb_task_worker *w,
                              int32_t timeout_ms,
                              uint64_t *job,
                              void *buf,
                              size_t len,
                              size_t *out_len);

/**
 * The service (`""` = the default service) and the request id of job
 * `job` (taken with `hb_task_worker_recv`, not answered yet), each into
 * its buffer (either may be NULL with length 0; lengths in the optional
 * `*_out_len`). Both texts are shorter than `HB_TEXT_MAX`.
 *
 * Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (nothing written but empty
 * strings; the lengths needed in the `*_out_len`); `HB_INVALID_ARGUMENT`
 * (no such job waiting); `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_task_worker_job_info(const hb_task_worker *w,
                                  uint64_t job,
                                  char *service,
                                  size_t service_len,
                                  size_t *service_out_len,
                                  char *id,
                                  size_t id_len,
                                  size_t *id_out_len);

/**
 * Answer job `job` with `data` (`len` bytes, copied).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (no such job waiting, `data` NULL
 * with `len` > 0); `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_task_worker_reply(const hb_task_worker *w, uint64_t job, const void *data, size_t len);

/**
 * Answer job `job` with an error; the client receives `reason` (UTF-8,
 * required) as a failed task.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (no such job waiting, `reason`
 * NULL or not UTF-8); `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_task_worker_reply_error(const hb_task_worker *w, uint64_t job, const char *reason);

/**
 * Report `load` to the broker from now on (with every answer and
 * heartbeat; a broker with the `HB_TASK_LOAD` policy prefers the ready
 * worker with the least); a negative `load` = automatic (the share of the
 * worker's slots in use, 0..100, the default).
 *
 * Returns `HB_OK` or `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_task_worker_set_load(const hb_task_worker *w, int32_t load);

/**
 * Copy the worker's counters into `*out` (also after stopping); set `out->size` first.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
 * NULL, `out->size` not set). Any thread; never waits.
 */
hb_status hb_task_worker_stats(const hb_task_worker *w, hb_task_worker_stats_t *out);

/**
 * Stop: unregister from the broker, close the socket, end the callback
 * threads (each after the call it is in); waits at most 500 ms for
 * callbacks still running (never when called from one), whose answers are
 * then dropped. Jobs taken and not answered are dropped (the broker
 * dispatches them again). The handle stays valid until freed; stopping
 * twice is harmless; a waiting `hb_task_worker_recv` returns `HB_STOPPED`.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or the error the worker's thread
 * ended with. Any thread, also a callback; waits for the worker's I/O
 * thread (it ends at once) and at most 500 ms for running callbacks.
 */
hb_status hb_task_worker_stop(const hb_task_worker *w);

/**
 * Stop the worker (see `hb_task_worker_stop`) and release the handle. NULL
 * is a no-op. Any thread, also a callback; waits as `hb_task_worker_stop`.
 */
hb_status hb_task_worker_free(hb_task_worker *w);

/**
 * Start a task client for the broker's frontend (`cfg` NULL = every default).
 *
 * Returns `HB_OK`; `HB_CONFIG` (bad endpoint or name, a bad CURVE key or
 * file of `cfg->curve`); `HB_INVALID_ARGUMENT` (`out` NULL, `cfg->size` or
 * `cfg->curve->size` unset, bad UTF-8); `HB_ZMQ`. Any thread; waits only
 * on the key files (it connects in the background).
 */
hb_status hb_task_client_new(const hb_task_client_config_t *cfg, hb_task_client **out);

/**
 * Submit a request for `service` (NULL or `""` = the default service) with
 * body `data` (`len` bytes, copied); its new id (shorter than 100 bytes)
 * goes to `id` (`id_len` bytes, NUL-terminated; length in `*id_out_len`,
 * optional; NULL with 0 = not wanted). The outcome comes through
 * `hb_task_client_next`.
 *
 * Returns `HB_OK`; `HB_BUFFER_TOO_SMALL` (nothing submitted; `*id_out_len`
 * = the length needed); `HB_CONFIG` (a bad service name, a body over 16
 * MiB); `HB_INVALID_ARGUMENT` (`data` NULL with `len` > 0); `HB_STOPPED`;
 * `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_task_client_submit(const hb_task_client *c,
                                const char *service,
                                const void *data,
                                size_t len,
                                char *id,
                                size_t id_len,
                                size_t *id_out_len);

/**
 * Submit a request with the caller's id `id` (1 to 128 printable ASCII
 * characters, no space; unique: an id the broker knows gets its known
 * outcome, so resubmitting after a crash is safe).
 *
 * Returns `HB_OK`; `HB_CONFIG` (a bad id or service name, a body over 16
 * MiB); `HB_INVALID_ARGUMENT` (`id` NULL, `data` NULL with `len` > 0);
 * `HB_STOPPED`; `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_task_client_submit_id(const hb_task_client *c,
                                   const char *id,
                                   const char *service,
                                   const void *data,
                                   size_t len);

/**
 * Ask the broker for the outcome of request `id` (sent earlier, maybe by
 * another client or an earlier run of this program): it comes through
 * `hb_task_client_next` (`HB_TASK_UNKNOWN` if the broker does not know
 * the id), after the request finishes if it still runs.
 *
 * Returns `HB_OK`; `HB_CONFIG` (a bad id); `HB_INVALID_ARGUMENT` (`id`
 * NULL); `HB_STOPPED`; `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_task_client_fetch(const hb_task_client *c, const char *id);

/**
 * Take the next outcome, waiting at most `timeout_ms` (the timeout rule):
 * its request id into `id` (NUL-terminated, shorter than 130 bytes; length
 * in `*id_out_len`, optional), `*outcome` = `HB_TASK_OK` (the result in
 * `buf`), `HB_TASK_FAILED` or `HB_TASK_GAVE_UP` (the reason, UTF-8, in
 * `buf`) or `HB_TASK_UNKNOWN`; the size of what went into `buf` in
 * `*out_len` (optional). Each outcome is delivered once.
 *
 * Returns `HB_OK`; `HB_TIMEOUT`; `HB_INTERRUPTED`; `HB_STOPPED`;
 * `HB_BUFFER_TOO_SMALL` (`id` or `buf` too small: the outcome is NOT taken,
 * `*id_out_len` and `*out_len` = the sizes needed); `HB_INVALID_ARGUMENT`
 * (`outcome` NULL, a buffer NULL with a length > 0, a negative time-out);
 * `HB_INVALID_HANDLE`. Any thread; waits for an outcome (the client's
 * completion queue) without holding the client.
 */
hb_status hb_task_client_next(const hb_task_client *c,
                              int32_t timeout_ms,
                              char *id,
                              size_t id_len,
                              size_t *id_out_len,
                              int32_t *outcome,
                              void *buf,
                              size_t len,
                              size_t *out_len);

/**
 * Submit a request and wait for its outcome at most `timeout_ms` (the
 * timeout rule; 0 = submit and look once): the result goes to `buf` (`len`
 * bytes; its size in `*out_len`, optional). Outcomes of other requests that
 * arrive meanwhile stay queued for `hb_task_client_next`.
 *
 * Returns `HB_OK`; `HB_REMOTE` (the task failed or the client gave up: the
 * reason is the error text); `HB_TIMEOUT` (the wait ran out: the request is
 * cancelled and its outcome dropped); `HB_INTERRUPTED` (likewise cancelled);
 * `HB_BUFFER_TOO_SMALL` (`*out_len` = the size needed; the outcome is kept
 * for `hb_task_client_next`); `HB_CONFIG`; `HB_INVALID_ARGUMENT` (`buf`
 * NULL with `len` > 0, `data` NULL with `len` > 0, a negative time-out);
 * `HB_STOPPED`; `HB_INVALID_HANDLE`. Any thread; waits for the outcome
 * without holding the client.
 */
hb_status hb_task_client_request(const hb_task_client *c,
                                 const char *service,
                                 const void *data,
                                 size_t data_len,
                                 int32_t timeout_ms,
                                 void *buf,
                                 size_t len,
                                 size_t *out_len);

/**
 * Copy the client's counters into `*out`; set `out->size` first.
 *
 * Returns `HB_OK`, `HB_INVALID_HANDLE`, or `HB_INVALID_ARGUMENT` (`out`
 * NULL, `out->size` not set). Any thread; never waits.
 */
hb_status hb_task_client_stats(const hb_task_client *c, hb_task_client_stats_t *out);

/**
 * Close the client (requests in flight are abandoned; the broker still
 * finishes them and keeps their results for a fetch) and release the
 * handle; waits on it return `HB_STOPPED`. NULL is a no-op. Any thread;
 * waits for the client's I/O thread to end (at once).
 */
hb_status hb_task_client_free(hb_task_client *c);

/**
 * Start an observer of the lab: connect a SUB socket (subscribed to
 * everything) to each broker's XPUB endpoint and one to each heartbeat
 * endpoint given, and watch on a thread of its own (`hypobus-watch`).
 * It reconstructs each request's path from the wire alone (client → calc,
 * calc → operation lanes, lanes → calc, calc → client; tagged and classic)
 * and queues what it finds for `hb_watch_next`.
 *
 * * `brokers`: the brokers to watch, a broker list (see BROKER LISTS in the
 *   preamble; only their XPUB endpoints are used); NULL or `""` = the lab's
 *   default broker. With two brokers they are named `primary` and `backup`.
 * * `hb_eps`: NULL, or the brokers' heartbeat endpoints by position,
 *   comma-separated, an empty entry for a broker without one (e.g.
 *   `tcp://10.0.0.1:5560,tcp://10.0.0.2:5560`); they tell who is active.
 * * `flags`: 0 or `HB_WATCH_FULL`.
 * * `out`: receives the new handle (release with `hb_watch_free`);
 *   untouched on failure.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL, unknown flags, text
 * not UTF-8); `HB_CONFIG` (a bad broker list or endpoint); `HB_ZMQ`. Any
 * thread; never waits (the connections are made in the background).
 */
hb_status hb_watch_new(const char *brokers, const char *hb_eps, uint32_t flags, hb_watch **out);

/**
 * `hb_watch_new` with its settings in a struct (see `hb_watch_config_t`),
 * including the observer's own CURVE keys.
 *
 * Returns as `hb_watch_new`; also `HB_INVALID_ARGUMENT` when `cfg` is
 * NULL or `cfg->size` (or `cfg->curve->size`) is not set; `HB_CONFIG` when
 * a CURVE key or file of `cfg->curve` is bad (the message names it). Since
 * ABI 1.5. Any thread; waits only on the key files (the connections are
 * made in the background).
 */
hb_status hb_watch_new_ex(const hb_watch_config_t *cfg, hb_watch **out);

/**
 * Take the next event, waiting at most `timeout_ms` (the timeout rule).
 * Each event is returned once, in order: `HB_WATCH_TRACE` (a request's
 * path, once it was answered and a short linger for late copies passed,
 * or when no answer came in time), `HB_WATCH_BROKER`, `HB_WATCH_ROLE`.
 *
 * `*ev` (set `ev->size` first) gets the numbers; `buf` (`len` bytes) gets
 * one line of text, NUL-terminated, shorter than `HB_TEXT_MAX` (a trace:
 * `request 3: client 3f9a0c hypot(12, 13) = 17.6918 in 0.84 ms via
 * primary [tag …]`; a broker: `backup active: <why>`; a role event:
 * `calc fallback <tag>: <detail>`), its length in `*out_len` (optional).
 * `buf` may be NULL with `len` 0 to skip the text. Read a trace's hops
 * with `hb_watch_hop` and its `id`.
 *
 * Returns `HB_OK`; `HB_TIMEOUT`; `HB_INTERRUPTED`; `HB_STOPPED` once the
 * observer is stopped and every queued event was taken;
 * `HB_BUFFER_TOO_SMALL` (the event is NOT taken; `*out_len` = the length
 * needed); `HB_INVALID_ARGUMENT` (`ev` NULL or `ev->size` not set, `buf`
 * NULL with `len` > 0, a negative time-out); `HB_INVALID_HANDLE`. Any
 * thread; waits for an event without holding the handle; a stop or free on
 * another thread ends the wait at once.
 */
hb_status hb_watch_next(const hb_watch *w,
                        int32_t timeout_ms,
                        hb_watch_event_t *ev,
                        char *buf,
                        size_t len,
                        size_t *out_len);

/**
 * Read hop `index` (0 = the first message) of the recent request `id`
 * (an `hb_watch_event_t.id`; the last 64 finished requests are kept).
 * `*hop` (set `hop->size` first) gets its numbers; `buf` (`len` bytes)
 * its topic and value, `calc.square.result.1#<tag> 144` (shorter than
 * `HB_TEXT_MAX`; `buf` may be NULL with `len` 0 to skip the text), its
 * length in `*out_len` (optional).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`hop` NULL or its size not set,
 * an `id` no longer kept, `index` past the last hop); `HB_BUFFER_TOO_SMALL`
 * (`*out_len` = the length needed; call again); `HB_INVALID_HANDLE`. Any
 * thread; never waits.
 */
hb_status hb_watch_hop(const hb_watch *w,
                       uint64_t id,
                       uint32_t index,
                       hb_watch_hop_t *hop,
                       char *buf,
                       size_t len,
                       size_t *out_len);

/**
 * Copy the live numbers into `*out` (set `out->size` first): rate and
 * percentiles over the last 3 s, counts since the start, the active broker.
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`out` NULL or its size not set);
 * `HB_INVALID_HANDLE`. Any thread; never waits.
 */
hb_status hb_watch_summary(const hb_watch *w, hb_watch_summary_t *out);

/**
 * Write the sequence diagrams of the last `n` finished requests (at most
 * 64 are kept; 0 = all kept) to the file `path`, with the broker changes
 * between them: `format` `HB_WATCH_MERMAID` (Markdown with a Mermaid block
 * per request, to paste into a report) or `HB_WATCH_SVG` (one SVG).
 *
 * Returns `HB_OK`; `HB_INVALID_ARGUMENT` (`path` NULL or not UTF-8, an
 * unknown format); `HB_CONFIG` (the file cannot be written; the reason is
 * in the error text); `HB_INVALID_HANDLE`. Any thread; never waits (but
 * for writing the file).
 */
hb_status hb_watch_export(const hb_watch *w, int32_t format, uint32_t n, const char *path);

/**
 * Stop watching: sockets closed, the thread joined; requests still open
 * are queued as they are (unanswered ones with `HB_WATCH_LOST`), then
 * `hb_watch_next` returns `HB_STOPPED` once the queue is empty. The handle
 * stays valid (summary, hops, export) until `hb_watch_free`. Stopping
 * twice is harmless.
 *
 * Returns `HB_OK`; `HB_INVALID_HANDLE`; or the error the thread ended
 * with. Any thread; waits for the observer's thread (it runs no user code).
 */
hb_status hb_watch_stop(const hb_watch *w);

/**
 * Stop the observer (see `hb_watch_stop`) and release the handle. NULL is
 * a no-op (`HB_OK`). After this call the handle is invalid: any use,
 * including a second free, returns `HB_INVALID_HANDLE`; waits on other
 * threads end at once with `HB_STOPPED`. Any thread; waits as `hb_watch_stop`.
 */
hb_status hb_watch_free(hb_watch *w);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* HYPOBUS_H */
