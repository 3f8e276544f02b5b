/*
 * api_test: exercises libhypobus's C ABI from C: argument and handle
 * checks, buffers, statuses, and full round trips in one process on
 * wildcard ports (callback and pull-style operation nodes, a calc node,
 * clients, several threads on one client), hb_wait_any, and the ABI's
 * later extras (inproc brokers, callbacks stopping their own node, logs,
 * polls). The failover pair is api_failover_test.c.
 *
 * Prints "ok - NAME" or "not ok - NAME: DETAIL" per check, then
 * "N passed, M failed"; exits non-zero when a check failed. Every wait is
 * bounded.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* Lane 2's operation: squares, but fails with code 42 for 7 (to show an
 * operation failure is answered and the calc node falls back). Runs on the
 * op node's own thread. */
static int32_t square_or_fail(void *user, double x, double *out) {
    atomic_ulong *calls = user;
    atomic_fetch_add(calls, 1);
    if (x == 7.0)
        return 42;
    *out = x * x;
    return 0;
}

struct worker {
    hb_client *client;
    int ok;
};

static void *hammer(void *arg) {
    struct worker *w = arg;
    char out[64];
    for (int i = 0; i < 20; i++) {
        if (hb_client_hypot(w->client, "3", "4", 5000, out, sizeof out, NULL) == HB_OK && strcmp(out, "5.0000") == 0)
            w->ok++;
    }
    return NULL;
}

static void edge_cases(void) {
    char buf[256];
    size_t n = 0;

    /* Library-wide functions and buffers. */
    expect(hb_version(buf, sizeof buf, &n), HB_OK, "hb_version");
    check(n == strlen(buf) && n > 0, "hb_version out_len", buf);
    expect(hb_version(buf, 2, &n), HB_BUFFER_TOO_SMALL, "hb_version small buffer");
    check(strlen(buf) == 0 && n > 1, "small buffer gets an empty string (never a cut text), out_len = length needed", buf);
    expect(hb_version(NULL, 0, &n), HB_BUFFER_TOO_SMALL, "size query with NULL buffer and len 0");
    expect(hb_version(NULL, 10, &n), HB_INVALID_ARGUMENT, "NULL buffer with len > 0");
    expect_last_error_has("NULL", "last error names the NULL buffer");
    expect(hb_version(buf, sizeof buf, NULL), HB_OK, "out_len is optional");
    expect(hb_status_name(HB_TIMEOUT, buf, sizeof buf, NULL), HB_OK, "hb_status_name");
    expect_str(buf, "HB_TIMEOUT", "hb_status_name text");
    expect(hb_status_name(1234, buf, sizeof buf, NULL), HB_OK, "hb_status_name unknown value");
    expect_str(buf, "HB_UNKNOWN", "hb_status_name unknown text");
    expect(hb_log_enable(0), HB_OK, "hb_log_enable");
    expect(hb_log_enable(8), HB_INVALID_ARGUMENT, "hb_log_enable: unknown mode bits");
    hb_version(NULL, 10, &n); /* make a fresh last error */
    expect(hb_last_error(buf, 4, &n), HB_BUFFER_TOO_SMALL, "hb_last_error small buffer");
    check(strlen(buf) == 0 && n > 3, "hb_last_error: nothing cut, length needed", buf);
    expect(hb_last_error(buf, sizeof buf, &n), HB_OK, "hb_last_error is not changed by reading it");
    check(n < HB_ERROR_MAX, "error text shorter than HB_ERROR_MAX", buf);
    uint32_t maj = 0, min = 99;
    expect(hb_abi_version(&maj, &min), HB_OK, "hb_abi_version");
    check(maj == HB_ABI_VERSION_MAJOR && min == HB_ABI_VERSION_MINOR && maj == 1, "ABI version 1.x", NULL);
    int32_t zv[3] = {0, 0, 0};
    expect(hb_zmq_version(&zv[0], &zv[1], &zv[2]), HB_OK, "hb_zmq_version");
    check(zv[0] == 4, "libzmq 4.x inside", NULL);
    expect(hb_wake((const void *)0x1234), HB_INVALID_HANDLE, "hb_wake on a bad handle");
    int32_t fd = -1;
    expect(hb_handle_fd(NULL, &fd), HB_INVALID_HANDLE, "hb_handle_fd(NULL)");

    /* NULL handles and out-pointers. */
    hb_broker_stats_t bs = {.size = sizeof bs};
    hb_client_stats_t cs = {.size = sizeof cs};
    hb_op_stats_t os = {.size = sizeof os};
    hb_calc_stats_t ks = {.size = sizeof ks};
    expect(hb_broker_stats(NULL, &bs), HB_INVALID_HANDLE, "NULL broker handle");
    expect(hb_client_stats(NULL, &cs), HB_INVALID_HANDLE, "NULL client handle");
    expect(hb_op_stats(NULL, &os), HB_INVALID_HANDLE, "NULL op handle");
    expect(hb_op_pull_stats(NULL, &os), HB_INVALID_HANDLE, "NULL op_pull handle");
    expect(hb_calc_stats(NULL, &ks), HB_INVALID_HANDLE, "NULL calc handle");
    expect(hb_client_hypot(NULL, "3", "4", 100, buf, sizeof buf, NULL), HB_INVALID_HANDLE, "hypot on NULL client");
    expect(hb_broker_new(NULL, NULL, NULL, 0, NULL), HB_INVALID_ARGUMENT, "hb_broker_new with NULL out");
    expect(hb_client_new(NULL, 0, 0, NULL), HB_INVALID_ARGUMENT, "hb_client_new with NULL out");
    expect(hb_op_pull_new(NULL, 1, NULL), HB_INVALID_ARGUMENT, "hb_op_pull_new with NULL out");
    expect(hb_broker_free(NULL), HB_OK, "hb_broker_free(NULL)");
    expect(hb_op_free(NULL), HB_OK, "hb_op_free(NULL)");
    expect(hb_op_pull_free(NULL), HB_OK, "hb_op_pull_free(NULL)");
    expect(hb_calc_free(NULL), HB_OK, "hb_calc_free(NULL)");
    expect(hb_client_free(NULL), HB_OK, "hb_client_free(NULL)");

    /* Configuration errors. */
    hb_client *c = NULL;
    expect(hb_client_new("host:1", 0, 0, &c), HB_CONFIG, "bad broker list");
    expect_last_error_has("bad broker address", "bad broker list explained");
    check(c == NULL, "out untouched on failure", NULL);
    hb_op *op = NULL;
    expect(hb_op_new(NULL, 0, NULL, NULL, &op), HB_CONFIG, "lane 0");
    hb_broker *b = NULL;
    expect(hb_broker_new("nonsense", NULL, NULL, 0, &b), HB_CONFIG, "unbindable endpoint");

    /* A client with no broker: handle checks, bad numbers, time-outs. */
    expect(hb_client_new("127.0.0.1:1:2", 0, 300, &c), HB_OK, "client without a broker");
    expect(hb_client_hypot(c, "abc", "13", 100, buf, sizeof buf, NULL), HB_INVALID_ARGUMENT, "bad number");
    expect_last_error_has("cathetus a: not a decimal number", "bad number explained");
    expect(hb_client_hypot(c, "12", "-3", 100, buf, sizeof buf, NULL), HB_INVALID_ARGUMENT, "negative number");
    expect(hb_client_hypot(c, NULL, "13", 100, buf, sizeof buf, NULL), HB_INVALID_ARGUMENT, "NULL cathetus");
    expect(hb_client_hypot(c, "\xff", "13", 100, buf, sizeof buf, NULL), HB_INVALID_ARGUMENT, "non-UTF-8 cathetus");
    double d = 0;
    expect(hb_client_hypot_f64(c, NAN, 1, 100, &d), HB_INVALID_ARGUMENT, "hypot_f64 NaN");
    expect(hb_client_hypot_f64(c, -1, 1, 100, &d), HB_INVALID_ARGUMENT, "hypot_f64 negative");
    expect(hb_client_hypot_f64(c, 1, 1, 100, NULL), HB_INVALID_ARGUMENT, "hypot_f64 NULL out");
    uint64_t id = 0;
    hb_status result;
    expect(hb_client_next(c, 50, &id, &result, buf, sizeof buf, NULL), HB_TIMEOUT, "next with nothing in flight");
    expect(hb_client_next(c, -1, &id, &result, buf, sizeof buf, NULL), HB_INVALID_ARGUMENT,
           "next: a negative time-out is refused (the timeout rule)");
    expect_last_error_has("timeout_ms must be >= 0", "timeout rule explained");
    expect(hb_client_next(c, 0, NULL, &result, buf, sizeof buf, NULL), HB_INVALID_ARGUMENT, "next with NULL id");
    long long t0 = now_ms();
    expect(hb_client_hypot(c, "3", "4", 200, buf, sizeof buf, NULL), HB_TIMEOUT, "hypot times out with no broker");
    check(now_ms() - t0 < 3000, "time-out is bounded", NULL);
    expect(hb_broker_stats((hb_broker *)c, &bs), HB_INVALID_HANDLE, "wrong-type handle");
    expect_last_error_has("expected an hb_broker handle, got an hb_client handle", "wrong-type handle explained");
    expect(hb_client_free(c), HB_OK, "hb_client_free");
    expect(hb_client_free(c), HB_INVALID_HANDLE, "double free");
    expect(hb_client_stats(c, &cs), HB_INVALID_HANDLE, "use after free");
    expect(hb_client_hypot(c, "3", "4", 100, buf, sizeof buf, NULL), HB_INVALID_HANDLE, "hypot after free");
}

static void round_trip(void) {
    char buf[512], ep[3][128], brokers[128];
    size_t n = 0;
    hb_broker *b = NULL;
    hb_op *op1 = NULL, *op2 = NULL;
    hb_op_pull *pull = NULL;
    hb_calc *calc = NULL;
    hb_client *c = NULL;
    atomic_ulong c_calls = 0;

    if (!expect(hb_broker_new("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", 100, &b), HB_OK,
                "broker on wildcard ports"))
        return;
    for (int32_t w = 0; w < 3; w++)
        expect(hb_broker_endpoint(b, w, ep[w], sizeof ep[w], &n), HB_OK, "hb_broker_endpoint");
    check(port_of(ep[0]) > 0 && port_of(ep[1]) > 0 && port_of(ep[2]) > 0, "wildcard ports resolved", ep[0]);
    expect(hb_broker_endpoint(b, 7, buf, sizeof buf, NULL), HB_INVALID_ARGUMENT, "endpoint: bad which");
    expect(hb_broker_endpoint(b, 0, buf, 8, &n), HB_BUFFER_TOO_SMALL, "endpoint: buffer too small");
    check(n == strlen(ep[0]), "endpoint: out_len is the length needed", buf);
    snprintf(brokers, sizeof brokers, "127.0.0.1:%ld:%ld", port_of(ep[0]), port_of(ep[1]));

    int32_t active = -1;
    expect(hb_broker_is_active(b, &active), HB_OK, "hb_broker_is_active");
    check(active == 1, "broker starts active", NULL);

    expect(hb_op_new(brokers, 1, NULL, NULL, &op1), HB_OK, "op node lane 1 (built-in square)");
    expect(hb_op_new(brokers, 2, square_or_fail, &c_calls, &op2), HB_OK, "op node lane 2 (C callback)");
    expect(hb_calc_new(brokers, 1000, &calc), HB_OK, "calc node");
    expect(hb_client_new(brokers, 0, 5000, &c), HB_OK, "client");

    expect(hb_client_hypot(c, "12", "13", 5000, buf, sizeof buf, &n), HB_OK, "hypot 12 13");
    expect_str(buf, "17.6918", "12, 13 -> 17.6918");
    check(n == 7, "hypot out_len", buf);
    expect(hb_client_hypot(c, "24", "7", 5000, buf, sizeof buf, NULL), HB_OK, "hypot with a failing C operation");
    expect_str(buf, "25.0000", "failed operation: the calc node computed the square itself");
    double d = 0;
    expect(hb_client_hypot_f64(c, 3, 4, 5000, &d), HB_OK, "hypot_f64 3 4");
    check(d == 5.0, "3, 4 -> 5.0", NULL);
    expect(hb_client_hypot(c, "12", "13", 5000, buf, 4, &n), HB_BUFFER_TOO_SMALL, "hypot: buffer too small");
    check(n == 7 && buf[0] == '\0', "hypot: nothing cut, out_len = 7", buf);
    {
        uint64_t kid = 0;
        hb_status kres = HB_PANIC;
        expect(hb_client_next(c, 0, &kid, &kres, buf, sizeof buf, &n), HB_OK, "hypot: the answer is kept for next");
        check(kres == HB_OK && strcmp(buf, "17.6918") == 0, "hypot: kept answer 17.6918", buf);
    }
    expect(hb_client_hypot(c, "1.7e308", "1.7e308", 5000, buf, sizeof buf, NULL), HB_REMOTE,
           "remote error answer");
    expect_last_error_has("remote error: cannot compute hypotenuse", "remote error explained");

    uint64_t id = 0, got = 0;
    hb_status result = HB_PANIC;
    uint32_t inflight = 99;
    expect(hb_client_submit(c, "5", "12", 5000, &id), HB_OK, "submit");
    expect(hb_client_in_flight(c, &inflight), HB_OK, "in_flight");
    check(inflight == 1, "one request in flight", NULL);
    expect(hb_client_next(c, 5000, &got, &result, buf, sizeof buf, NULL), HB_OK, "next");
    check(got == id && result == HB_OK, "next: same id, own outcome HB_OK", NULL);
    expect_str(buf, "13.0000", "5, 12 -> 13.0000");
    expect(hb_client_next(c, 30, &got, &result, buf, sizeof buf, NULL), HB_TIMEOUT, "next: nothing left");

    /* Several threads on one client handle. */
    pthread_t th[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i].client = c;
        w[i].ok = 0;
        pthread_create(&th[i], NULL, hammer, &w[i]);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += w[i].ok;
    }
    check(total == 80, "4 threads x 20 requests on one client", NULL);

    /* Passive broker: nothing is forwarded, the request times out. */
    expect(hb_broker_set_active(b, 0), HB_OK, "set passive");
    expect(hb_client_hypot(c, "3", "4", 300, buf, sizeof buf, NULL), HB_TIMEOUT, "passive broker: time-out");
    expect(hb_broker_set_active(b, 1), HB_OK, "set active");
    expect(hb_client_hypot(c, "3", "4", 5000, buf, sizeof buf, NULL), HB_OK, "active again");

    /* Replace lane 2's callback node with a pull-style node driven here. */
    expect(hb_op_stop(op2), HB_OK, "stop op lane 2");
    hb_op_stats_t s2 = {.size = sizeof s2};
    expect(hb_op_stats(op2, &s2), HB_OK, "stats after stop");
    check(s2.size == sizeof s2 && s2.callback_running == 0, "stats: size echoed, no callback running", NULL);
    hb_op_stats_t s0 = {.size = 0};
    expect(hb_op_stats(op2, &s0), HB_INVALID_ARGUMENT, "stats: size not set is refused");
    check(s2.requests > 0 && s2.errors > 0 && atomic_load(&c_calls) > 0,
          "C callback node: requests and an error counted", NULL);
    expect(hb_op_free(op2), HB_OK, "free op lane 2");
    expect(hb_op_free(op2), HB_INVALID_HANDLE, "double free op");

    expect(hb_op_pull_new(brokers, 2, &pull), HB_OK, "pull op node lane 2");
    double value = 0;
    char text[64];
    expect(hb_op_pull_recv(pull, 20, &id, &value, text, sizeof text, NULL), HB_TIMEOUT, "pull recv: nothing yet");
    expect(hb_op_pull_reply(pull, 12345, 1.0), HB_INVALID_ARGUMENT, "pull reply: unknown id");
    expect(hb_op_pull_recv(pull, 20, NULL, &value, text, sizeof text, NULL), HB_INVALID_ARGUMENT,
           "pull recv: NULL id");
    expect(hb_op_pull_recv(pull, -1, &id, &value, text, sizeof text, NULL), HB_INVALID_ARGUMENT,
           "pull recv: a negative time-out (no unbounded wait) is refused");

    /* Submit, then serve lane 2 from this thread until an answer came that
     * this pull node took part in. Bounded: 15 s. */
    int pulled = 0, answered_after_pull = 0, good_text = 1, answers = 0;
    int error_replied = 0;
    long long end = now_ms() + 15000;
    expect(hb_client_submit(c, "5", "12", 5000, &id), HB_OK, "submit for the pull node");
    while (now_ms() < end && !answered_after_pull) {
        uint64_t rid;
        size_t tl = 0;
        hb_status st = hb_op_pull_recv(pull, 20, &rid, &value, text, sizeof text, &tl);
        if (st == HB_OK) {
            pulled++;
            if (value != 12.0 || strcmp(text, "12") != 0 || tl != 2)
                good_text = 0;
            if (!error_replied) {
                /* The first one gets an error answer: the calc node must still answer right. */
                error_replied = hb_op_pull_reply_error(pull, rid, "no squares today") == HB_OK;
            } else if (hb_op_pull_reply(pull, rid, value * value) != HB_OK) {
                good_text = 0;
            }
        } else if (st != HB_TIMEOUT) {
            expect(st, HB_TIMEOUT, "pull recv");
            break;
        }
        st = hb_client_next(c, 20, &got, &result, buf, sizeof buf, NULL);
        if (st == HB_OK) {
            answers++;
            if (result != HB_OK || strcmp(buf, "13.0000") != 0) {
                check(0, "answer while served by the pull node", buf);
                break;
            }
            if (pulled > 1)
                answered_after_pull = 1;
            else
                hb_client_submit(c, "5", "12", 5000, &id); /* again, until the pull node serves one */
        } else if (st != HB_TIMEOUT) {
            expect(st, HB_TIMEOUT, "client next while pulling");
            break;
        }
    }
    check(answered_after_pull, "pull-style node served lane 2 (recv / reply / next loop)", NULL);
    check(good_text, "pull recv: value 12, text \"12\"", text);
    check(error_replied, "pull reply_error accepted", NULL);
    hb_op_stats_t ps = {.size = sizeof ps};
    expect(hb_op_pull_stats(pull, &ps), HB_OK, "pull stats");
    check(ps.requests > 0 && ps.replies > 0 && ps.errors > 0, "pull stats non-zero", NULL);
    /* Drain what may still be in flight (bounded) before checking the counters. */
    for (long long e2 = now_ms() + 3000; now_ms() < e2;) {
        uint32_t k = 0;
        hb_client_in_flight(c, &k);
        if (k == 0)
            break;
        hb_client_next(c, 50, &got, &result, buf, sizeof buf, NULL);
    }

    hb_broker_stats_t bs = {.size = sizeof bs};
    hb_op_stats_t s1 = {.size = sizeof s1};
    hb_calc_stats_t ks = {.size = sizeof ks};
    hb_client_stats_t cs = {.size = sizeof cs};
    expect(hb_broker_stats(b, &bs), HB_OK, "broker stats");
    expect(hb_op_stats(op1, &s1), HB_OK, "op stats");
    expect(hb_calc_stats(calc, &ks), HB_OK, "calc stats");
    expect(hb_client_stats(c, &cs), HB_OK, "client stats");
    check(bs.forwarded > 0 && bs.subscriptions > 0 && bs.heartbeats > 0, "broker stats non-zero", NULL);
    check(s1.requests > 0 && s1.replies > 0, "op stats non-zero", NULL);
    check(ks.requests > 0 && ks.results > 0 && ks.errors > 0 && ks.fallbacks > 0, "calc stats non-zero", NULL);
    check(cs.requests > 0 && cs.answers > 0 && cs.timeouts > 0, "client stats non-zero", NULL);

    /* Stop, then use the stopped handles. */
    expect(hb_calc_stop(calc), HB_OK, "calc stop");
    expect(hb_calc_stop(calc), HB_OK, "calc stop twice");
    expect(hb_broker_stop(b), HB_OK, "broker stop");
    expect(hb_broker_stats(b, &bs), HB_OK, "broker stats after stop");
    expect(hb_broker_set_active(b, 1), HB_STOPPED, "set_active on a stopped broker");

    expect(hb_client_free(c), HB_OK, "free client");
    expect(hb_op_pull_free(pull), HB_OK, "free pull node");
    expect(hb_op_pull_free(pull), HB_INVALID_HANDLE, "double free pull node");
    expect(hb_calc_free(calc), HB_OK, "free calc");
    expect(hb_op_free(op1), HB_OK, "free op lane 1");
    expect(hb_broker_free(b), HB_OK, "free broker");
    expect(hb_broker_free(b), HB_INVALID_HANDLE, "double free broker");
    expect(hb_broker_endpoint(b, 0, buf, sizeof buf, NULL), HB_INVALID_HANDLE, "endpoint after free");
}


/* hb_wait_any: one call waiting on several clients and a pull-style
 * operation node, dispatching what it returns (the way an event loop does). */
static void wait_any(void) {
    char buf[512], ep[2][128], brokers[128];
    hb_broker *b = NULL;
    hb_op *op1 = NULL;
    hb_op_pull *pull = NULL;
    hb_calc *calc = NULL;
    hb_client *c1 = NULL, *c2 = NULL;
    size_t ready = 99;

    if (!expect(hb_broker_new("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "", 0, &b), HB_OK, "wait_any: broker"))
        return;
    for (int32_t w = 0; w < 2; w++)
        hb_broker_endpoint(b, w, ep[w], sizeof ep[w], NULL);
    snprintf(brokers, sizeof brokers, "127.0.0.1:%ld:%ld", port_of(ep[0]), port_of(ep[1]));
    expect(hb_op_new(brokers, 1, NULL, NULL, &op1), HB_OK, "wait_any: op lane 1");
    expect(hb_op_pull_new(brokers, 2, &pull), HB_OK, "wait_any: pull node lane 2");
    expect(hb_calc_new(brokers, 3000, &calc), HB_OK, "wait_any: calc");
    expect(hb_client_new(brokers, 0, 5000, &c1), HB_OK, "wait_any: client 1");
    expect(hb_client_new(brokers, 0, 5000, &c2), HB_OK, "wait_any: client 2");

    const void *set[3] = {c1, c2, pull};
    expect(hb_wait_any(set, 3, 50, &ready), HB_TIMEOUT, "wait_any: nothing to take yet -> HB_TIMEOUT");
    expect(hb_wait_any(set, 3, -1, &ready), HB_INVALID_ARGUMENT, "wait_any: negative time-out refused");
    expect(hb_wait_any(NULL, 3, 10, &ready), HB_INVALID_ARGUMENT, "wait_any: NULL array");
    expect(hb_wait_any(set, 3, 10, NULL), HB_INVALID_ARGUMENT, "wait_any: NULL ready");
    const void *with_broker[2] = {c1, b};
    expect(hb_wait_any(with_broker, 2, 10, &ready), HB_INVALID_ARGUMENT, "wait_any: a broker handle cannot be waited on");

    /* Client 2 asks; the pull node (lane 2) and then client 2 become ready.
     * Dispatch on the index, like an event loop. Bounded: 10 s. */
    uint64_t id = 0, got = 0;
    hb_status result = HB_PANIC;
    expect(hb_client_submit(c2, "12", "13", 5000, &id), HB_OK, "wait_any: submit on client 2");
    int pulls = 0, c1_ready = 0, answered = 0;
    long long deadline = now_ms() + 10000;
    while (!answered && now_ms() < deadline) {
        hb_status st = hb_wait_any(set, 3, 200, &ready);
        if (st == HB_TIMEOUT)
            continue;
        if (!expect(st, HB_OK, "wait_any: a handle became ready"))
            break;
        if (ready == 0) {
            c1_ready++;
            hb_client_next(c1, 0, &got, &result, buf, sizeof buf, NULL);
        } else if (ready == 1) {
            if (hb_client_next(c2, 0, &got, &result, buf, sizeof buf, NULL) == HB_OK) {
                answered = 1;
                check(got == id && result == HB_OK && strcmp(buf, "17.6918") == 0, "wait_any: client 2's answer", buf);
            }
        } else {
            uint64_t rid = 0;
            double v = 0;
            if (hb_op_pull_recv(pull, 0, &rid, &v, NULL, 0, NULL) == HB_OK) {
                pulls++;
                hb_op_pull_reply(pull, rid, v * v);
            }
        }
    }
    check(answered, "wait_any: the answer arrived through hb_wait_any", NULL);
    check(pulls >= 1, "wait_any: the pull node was woken for its request", NULL);
    hb_calc_stats_t cs = {.size = sizeof cs};
    expect(hb_calc_stats(calc, &cs), HB_OK, "wait_any: calc stats");
    check(cs.fallbacks == 0, "wait_any: the square came from the pull node, not the fallback", NULL);
    check(c1_ready == 0, "wait_any: client 1 (nothing in flight) never woke", NULL);

    expect(hb_client_free(c1), HB_OK, "wait_any: free client 1");
    expect(hb_wait_any(set, 3, 10, &ready), HB_INVALID_HANDLE, "wait_any: a freed handle");
    check(ready == 0, "wait_any: the freed handle's index is reported", NULL);

    hb_client_free(c2);
    hb_op_pull_free(pull);
    hb_calc_free(calc);
    hb_op_free(op1);
    hb_broker_free(b);
}

/* ------------------------------------------------------------ ABI 1.0 extras */

/* An operation that stops its own node from inside the callback (it gets
 * the node through `user`): allowed, HB_OK, and never called again. */
struct self_stopper {
    hb_op *op;
    atomic_int calls;
    atomic_int stop_status;
};

static int32_t stop_myself(void *user, double x, double *out) {
    struct self_stopper *s = user;
    atomic_fetch_add(&s->calls, 1);
    if (atomic_load(&s->stop_status) == -1)
        atomic_store(&s->stop_status, (int)hb_op_stop(s->op));
    *out = x * x;
    return 0;
}

struct poller {
    hb_op_pull *pull;
    atomic_int status;
    atomic_int revents;
    long long took;
};

static void *poll_long(void *arg) {
    struct poller *p = arg;
    hb_poll_item it = {.handle = p->pull, .events = HB_POLLIN, .revents = 0};
    long long t0 = now_ms();
    atomic_store(&p->status, (int)hb_poll(&it, 1, 10000, NULL));
    p->took = now_ms() - t0;
    atomic_store(&p->revents, it.revents);
    return NULL;
}

static void abi_extras(void) {
    char buf[HB_TEXT_MAX], ep[2][128], brokers[300];
    size_t n = 0;
    hb_broker *b = NULL;
    hb_broker_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.xsub = "tcp://127.0.0.1:*";
    cfg.xpub = "tcp://127.0.0.1:*";
    cfg.hb = "";
    cfg.inproc_name = "api-test";
    expect(hb_broker_new_ex(NULL, &b), HB_INVALID_ARGUMENT, "broker_new_ex: NULL config");
    hb_broker_config_t zero;
    memset(&zero, 0, sizeof zero);
    expect(hb_broker_new_ex(&zero, &b), HB_INVALID_ARGUMENT, "broker_new_ex: size not set");
    if (!expect(hb_broker_new_ex(&cfg, &b), HB_OK, "broker_new_ex with an inproc name"))
        return;
    for (int32_t w = 0; w < 2; w++)
        hb_broker_endpoint(b, w, ep[w], sizeof ep[w], NULL);
    /* Nodes reach the broker as reported (XSUB|XPUB), the client over inproc. */
    snprintf(brokers, sizeof brokers, "%s|%s", ep[0], ep[1]);
    hb_op *op2 = NULL;
    hb_op_pull *pull = NULL;
    hb_calc *calc = NULL;
    hb_client *c = NULL;
    struct self_stopper ss = {.op = NULL};
    atomic_store(&ss.calls, 0);
    atomic_store(&ss.stop_status, -1);
    expect(hb_op_new(brokers, 2, stop_myself, &ss, &op2), HB_OK, "op lane 2 (stops itself) on EP|EP brokers");
    ss.op = op2;
    expect(hb_op_pull_new(brokers, 1, &pull), HB_OK, "pull node lane 1");
    expect(hb_calc_new(brokers, 1000, &calc), HB_OK, "calc node");
    expect(hb_client_new("inproc:api-test", 0, 5000, &c), HB_OK, "client over inproc");

    /* Exact squares on the pull path: reply with the decimal text. */
    uint64_t id = 0, got = 0;
    hb_status result = HB_PANIC;
    expect(hb_client_submit(c, "12345678901234567890", "0", 5000, &id), HB_OK, "submit a big integer");
    int replied = 0, answered = 0, small_ok = 0;
    long long end = now_ms() + 10000;
    while (!answered && now_ms() < end) {
        uint64_t rid = 0;
        double v = 0;
        char text[8];
        size_t tl = 0;
        hb_status st = hb_op_pull_recv(pull, 20, &rid, &v, text, sizeof text, &tl);
        if (st == HB_BUFFER_TOO_SMALL) {
            char big[HB_TEXT_MAX];
            small_ok = tl == 20 && hb_op_pull_recv(pull, 0, &rid, &v, big, sizeof big, &tl) == HB_OK &&
                       strcmp(big, "12345678901234567890") == 0;
            expect(hb_op_pull_reply_text(pull, rid, "not a number"), HB_INVALID_ARGUMENT, "reply_text: bad text refused");
            replied = hb_op_pull_reply_text(pull, rid, "152415787532388367501905199875019052100") == HB_OK;
        }
        if (hb_client_next(c, 20, &got, &result, buf, sizeof buf, NULL) == HB_OK)
            answered = 1;
    }
    check(small_ok, "pull recv: a text that does not fit is kept, then taken whole", NULL);
    check(replied, "reply_text accepted", NULL);
    check(answered && result == HB_OK && strcmp(buf, "12345678901234567890.0000") == 0,
          "exact square on the pull path: 12345678901234567890.0000", buf);
    check(atomic_load(&ss.stop_status) == HB_OK, "a callback stopping its own node gets HB_OK", NULL);
    int calls = atomic_load(&ss.calls);
    expect(hb_client_hypot(c, "3", "4", 5000, buf, sizeof buf, NULL), HB_OK, "hypot after lane 2 stopped itself");
    check(calls == 1 && atomic_load(&ss.calls) == 1, "the stopped node's callback is not called again", NULL);
    expect(hb_op_free(op2), HB_OK, "free the self-stopped node");

    /* Error text kept on the handle. */
    expect(hb_op_pull_reply(pull, 777, 1.0), HB_INVALID_ARGUMENT, "pull reply: unknown id");
    int32_t est = -1, eno = -1;
    expect(hb_error_info(pull, &est, &eno, buf, sizeof buf, &n), HB_OK, "hb_error_info on the handle");
    check(est == HB_INVALID_ARGUMENT && eno == 0 && strstr(buf, "777") != NULL, "the handle's last failure", buf);

    /* Take what lane 1 still has (the request of the last hypot, which the
     * calc node answered with its own square meanwhile). */
    for (;;) {
        uint64_t rid = 0;
        double v = 0;
        if (hb_op_pull_recv(pull, 0, &rid, &v, NULL, 0, NULL) != HB_OK)
            break;
        hb_op_pull_reply(pull, rid, v * v);
    }

    /* hb_poll: a poll waiting on another thread is ended by hb_wake, then by a free. */
    struct poller pl = {.pull = pull};
    atomic_store(&pl.status, -1);
    pthread_t th;
    if (pthread_create(&th, NULL, poll_long, &pl) == 0) {
        sleep_ms(100);
        long long t0 = now_ms();
        expect(hb_wake(pull), HB_OK, "hb_wake");
        pthread_join(th, NULL);
        check(atomic_load(&pl.status) == HB_OK && (atomic_load(&pl.revents) & HB_POLLWAKE) && now_ms() - t0 < 500,
              "hb_poll woken by hb_wake with HB_POLLWAKE", NULL);
    }
    hb_poll_item it = {.handle = pull, .events = HB_POLLIN, .revents = 0};
    expect(hb_poll(&it, 1, 0, &n), HB_TIMEOUT, "hb_poll: nothing to take");
    expect(hb_poll(&it, 1, -5, &n), HB_INVALID_ARGUMENT, "hb_poll: negative time-out refused");
    int32_t fd = -1;
    expect(hb_handle_fd(pull, &fd), HB_OK, "hb_handle_fd on a pull node");
    check(fd >= 0, "a descriptor to watch", NULL);
    int32_t fd2 = -2;
    hb_handle_fd(pull, &fd2);
    check(fd == fd2, "the same descriptor each time", NULL);
    expect(hb_handle_fd(b, &fd), HB_INVALID_ARGUMENT, "hb_handle_fd on a broker: nothing to wait for");

    /* The log queue: pull lines, keep one that does not fit. */
    expect(hb_log_enable(HB_LOG_QUEUE), HB_OK, "log to the queue");
    hb_op *tmp = NULL;
    expect(hb_op_new(brokers, 9, NULL, NULL, &tmp), HB_OK, "an op node that logs");
    char tiny[4];
    expect(hb_log_next(1000, tiny, sizeof tiny, &n), HB_BUFFER_TOO_SMALL, "log line kept when too long");
    check(n > 4, "log line length reported", NULL);
    expect(hb_log_next(0, buf, sizeof buf, &n), HB_OK, "log line taken whole");
    check(strstr(buf, "lane 9 serving") != NULL, "the op node's log line", buf);
    expect(hb_log_next(-1, buf, sizeof buf, &n), HB_INVALID_ARGUMENT, "log_next: negative time-out refused");
    expect(hb_log_fd(&fd), HB_OK, "hb_log_fd");
    hb_log_enable(0);
    hb_op_free(tmp);

    pthread_create(&th, NULL, poll_long, &pl);
    atomic_store(&pl.status, -1);
    sleep_ms(100);
    long long t1 = now_ms();
    expect(hb_op_pull_free(pull), HB_OK, "free the pull node while a poll waits on it");
    pthread_join(th, NULL);
    check(atomic_load(&pl.status) == HB_OK && (atomic_load(&pl.revents) & HB_POLLERR) && now_ms() - t1 < 500,
          "the poll wakes with HB_POLLERR", NULL);

    hb_client_free(c);
    hb_calc_free(calc);
    hb_broker_free(b);
}

int main(void) {
    long long t0 = now_ms();
    edge_cases();
    round_trip();
    wait_any();
    abi_extras();
    printf("%d passed, %d failed (%lld ms)\n", passed, failed, now_ms() - t0);
    return failed ? 1 : 0;
}
