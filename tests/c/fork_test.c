/*
 * fork_test: a process that uses libhypobus may fork at any time. The
 * parent runs a lab (broker, two op nodes, calc node, client) and a REP
 * service on wildcard loopback ports, and keeps both busy; then, ROUNDS
 * times (argv[1], default 50), it forks a child that:
 *   - finds every handle it inherited refused with HB_FORKED (nothing of
 *     the parent's is touched) and freeing one harmless (HB_OK);
 *   - opens sockets and roles of its own: a REQ socket to the parent's REP
 *     service, a client of the parent's lab (a hypotenuse), a broker, a
 *     REQ/REP pair over inproc;
 *   - ends in one of three ways: frees everything and exit(0); exit(0)
 *     with everything still open; _exit(0) with everything open.
 * The parent answers the child's request, checks its own lab and REQ
 * still work after every round, reaps the child (bounded: a child that
 * hangs is killed and fails the round), and shuts down cleanly at the end.
 * A parent that libzmq aborts (the old failure) kills this program: the
 * runner then sees no "N passed" line.
 *
 * Prints "ok - NAME" / "not ok - NAME: DETAIL", then "N passed, M failed".
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A REQ round trip: send `msg`, expect `want` back. */
static int req_round(hb_socket *req, const char *msg, const char *want) {
    size_t n = strlen(msg);
    if (hb_socket_send(req, msg, &n, 1, 0, 5000) != HB_OK)
        return 0;
    char buf[256];
    size_t size, nf, total;
    if (hb_socket_recv(req, 5000, buf, sizeof buf - 1, &size, 1, &nf, &total) != HB_OK)
        return 0;
    buf[total] = '\0';
    return strcmp(buf, want) == 0;
}

static int hypot_ok(hb_client *c) {
    char out[64];
    return hb_client_hypot(c, "12", "13", 5000, out, sizeof out, NULL) == HB_OK && strcmp(out, "17.6918") == 0;
}

/* A round trip between the parent's own REQ and REP. */
static int req_round_parent(hb_socket *req, hb_socket *rep) {
    size_t n = 4;
    char buf[64];
    size_t sz, nf, tot;
    if (hb_socket_send(req, "ping", &n, 1, 0, 5000) != HB_OK ||
        hb_socket_recv(rep, 5000, buf, sizeof buf, &sz, 1, &nf, &tot) != HB_OK)
        return 0;
    n = 4;
    if (hb_socket_send(rep, "pong", &n, 1, 0, 5000) != HB_OK ||
        hb_socket_recv(req, 5000, buf, sizeof buf, &sz, 1, &nf, &tot) != HB_OK)
        return 0;
    return tot == 4 && memcmp(buf, "pong", 4) == 0;
}

/* The child's whole life; returns its exit code's meaning via exit/_exit. */
static void child(int round, hb_socket *inherited_req, hb_client *inherited_client, hb_broker *inherited_broker,
                  const char *rep_ep, const char *brokers) {
    int bad = 0;
#define CHILD_CHECK(cond, what)                                                                                        \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            char m[600] = "";                                                                                          \
            hb_last_error(m, sizeof m, NULL);                                                                          \
            fprintf(stderr, "child %d: %s failed (last error: %s)\n", round, what, m);                                 \
            bad = 1;                                                                                                   \
        }                                                                                                              \
    } while (0)

    /* Inherited handles: refused with HB_FORKED, and the text says why. */
    size_t n = 2;
    CHILD_CHECK(hb_socket_send(inherited_req, "hi", &n, 1, 0, 100) == HB_FORKED, "send on an inherited socket");
    char m[600] = "";
    hb_last_error(m, sizeof m, NULL);
    CHILD_CHECK(strstr(m, "fork") != NULL, "HB_FORKED's text names the fork");
    char out[64];
    CHILD_CHECK(hb_client_hypot(inherited_client, "3", "4", 100, out, sizeof out, NULL) == HB_FORKED,
                "hypot on an inherited client");
    hb_broker_stats_t st = {.size = sizeof st};
    CHILD_CHECK(hb_broker_stats(inherited_broker, &st) == HB_FORKED, "stats of an inherited broker");
    const void *hs[1] = {inherited_req};
    size_t ready = 0;
    CHILD_CHECK(hb_wait_any(hs, 1, 0, &ready) == HB_FORKED, "hb_wait_any on an inherited handle");

    /* Its own sockets and roles. */
    hb_socket *req = NULL;
    CHILD_CHECK(hb_socket_new(HB_REQ, &req) == HB_OK, "socket_new in the child");
    CHILD_CHECK(hb_socket_connect(req, rep_ep) == HB_OK, "connect in the child");
    char msg[64], want[64];
    snprintf(msg, sizeof msg, "child %d", round);
    snprintf(want, sizeof want, "re: child %d", round);
    CHILD_CHECK(req_round(req, msg, want), "the child's REQ round trip with the parent");

    hb_client *c = NULL;
    CHILD_CHECK(hb_client_new(brokers, 0, 5000, &c) == HB_OK, "client_new in the child");
    CHILD_CHECK(c && hypot_ok(c), "the child's hypotenuse through the parent's lab");

    hb_broker *b = NULL;
    CHILD_CHECK(hb_broker_new("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "", 0, &b) == HB_OK, "broker in the child");

    hb_socket *rep = NULL, *req2 = NULL;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://fork-child-%d", round);
    CHILD_CHECK(hb_socket_new(HB_REP, &rep) == HB_OK && hb_socket_bind(rep, ep, NULL, 0, NULL) == HB_OK,
                "inproc REP in the child");
    CHILD_CHECK(hb_socket_new(HB_REQ, &req2) == HB_OK && hb_socket_connect(req2, ep) == HB_OK,
                "inproc REQ in the child");
    n = 4;
    CHILD_CHECK(hb_socket_send(req2, "ping", &n, 1, 0, 2000) == HB_OK, "inproc send");
    char buf[16];
    size_t sz, nf, tot = 0;
    CHILD_CHECK(hb_socket_recv(rep, 2000, buf, sizeof buf, &sz, 1, &nf, &tot) == HB_OK && tot == 4, "inproc recv");

    /* Freeing an inherited handle in the child touches nothing: HB_OK. */
    CHILD_CHECK(hb_socket_free(inherited_req) == HB_OK, "free of an inherited socket");
    CHILD_CHECK(hb_client_free(inherited_client) == HB_OK, "free of an inherited client");

    int code = bad ? 1 : 0;
    switch (round % 3) {
    case 0:
        hb_socket_free(req2);
        hb_socket_free(rep);
        hb_broker_free(b);
        hb_client_free(c);
        hb_socket_free(req);
        exit(code);
    case 1:
        exit(code); /* everything still open; atexit handlers run */
    default:
        _exit(code);
    }
}

/* Reap `pid` within `limit_s`, serving the REP socket meanwhile (the
 * child's request). Returns the exit status, or -1 (killed: it hung). */
static int serve_and_reap(pid_t pid, hb_socket *rep, double limit_s, int *served) {
    double end = now_s() + limit_s;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (now_s() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        char buf[128];
        size_t sz, nf, tot;
        if (hb_socket_recv(rep, 20, buf, sizeof buf - 1, &sz, 1, &nf, &tot) == HB_OK) {
            buf[tot] = '\0';
            char reply[160];
            snprintf(reply, sizeof reply, "re: %s", buf);
            size_t rn = strlen(reply);
            hb_socket_send(rep, reply, &rn, 1, 0, 1000);
            (*served)++;
        }
    }
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 50;
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* The parent's lab and REP service. */
    hb_broker *b = NULL;
    if (!expect(hb_broker_new("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "", 0, &b), HB_OK, "parent broker"))
        return 1;
    char ep[2][128];
    hb_broker_endpoint(b, 0, ep[0], sizeof ep[0], NULL);
    hb_broker_endpoint(b, 1, ep[1], sizeof ep[1], NULL);
    char brokers[300];
    snprintf(brokers, sizeof brokers, "%s|%s", ep[0], ep[1]);
    hb_op *op1 = NULL, *op2 = NULL;
    hb_calc *calc = NULL;
    hb_client *c = NULL;
    expect(hb_op_new(brokers, 1, NULL, NULL, &op1), HB_OK, "parent op lane 1");
    expect(hb_op_new(brokers, 2, NULL, NULL, &op2), HB_OK, "parent op lane 2");
    expect(hb_calc_new(brokers, 1000, &calc), HB_OK, "parent calc");
    expect(hb_client_new(brokers, 0, 5000, &c), HB_OK, "parent client");
    check(hypot_ok(c), "parent hypotenuse before any fork", "");

    hb_socket *rep = NULL, *req = NULL;
    char rep_ep[128];
    expect(hb_socket_new(HB_REP, &rep), HB_OK, "parent REP");
    expect(hb_socket_bind(rep, "tcp://127.0.0.1:*", rep_ep, sizeof rep_ep, NULL), HB_OK, "parent REP bind");
    expect(hb_socket_new(HB_REQ, &req), HB_OK, "parent REQ");
    expect(hb_socket_connect(req, rep_ep), HB_OK, "parent REQ connect");
    /* A REQ/REP round trip in the parent (the REP answered by hand). */
    size_t n = 5;
    expect(hb_socket_send(req, "hello", &n, 1, 0, 5000), HB_OK, "parent send");
    int served = 0;
    {
        char buf[64];
        size_t sz, nf, tot;
        expect(hb_socket_recv(rep, 5000, buf, sizeof buf, &sz, 1, &nf, &tot), HB_OK, "parent REP recv");
        n = 2;
        expect(hb_socket_send(rep, "ok", &n, 1, 0, 5000), HB_OK, "parent REP reply");
        expect(hb_socket_recv(req, 5000, buf, sizeof buf, &sz, 1, &nf, &tot), HB_OK, "parent REQ recv");
    }
    if (failed) {
        printf("%d passed, %d failed\n", passed, failed);
        return 1;
    }

    int hangs = 0, bad_exits = 0, lab_fail = 0;
    for (int i = 0; i < rounds; i++) {
        /* Requests in flight while forking: the client has one pending. */
        uint64_t id = 0;
        hb_client_submit(c, "5", "12", 5000, &id);
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            check(0, "fork", strerror(errno));
            break;
        }
        if (pid == 0)
            child(i, req, c, b, rep_ep, brokers);
        int before = served;
        int status = serve_and_reap(pid, rep, 20.0, &served);
        char detail[160];
        if (status < 0) {
            hangs++;
            snprintf(detail, sizeof detail, "round %d: the child hung (killed after 20 s)", i);
            check(0, "child finished", detail);
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            bad_exits++;
            snprintf(detail, sizeof detail, "round %d: child status %#x (see its stderr)", i, status);
            check(0, "child exit status 0", detail);
        }
        check(served == before + 1, "the parent served the child's request", "");
        /* The parent is undisturbed: its pending answer, a new hypotenuse, its REQ. */
        char ans[64];
        uint64_t got = 0;
        hb_status result = HB_TIMEOUT;
        hb_status s = hb_client_next(c, 5000, &got, &result, ans, sizeof ans, NULL);
        if (!(s == HB_OK && got == id && result == HB_OK && strcmp(ans, "13.0000") == 0) || !hypot_ok(c) ||
            !req_round_parent(req, rep))
            lab_fail++;
    }
    check(hangs == 0, "no child hung", "");
    check(bad_exits == 0, "every child exited 0", "");
    {
        char d[64];
        snprintf(d, sizeof d, "%d rounds of %d", lab_fail, rounds);
        check(lab_fail == 0, "the parent's lab and sockets work after every fork", d);
    }

    /* Clean shutdown of the parent. */
    expect(hb_socket_free(req), HB_OK, "parent frees REQ");
    expect(hb_socket_free(rep), HB_OK, "parent frees REP");
    expect(hb_client_free(c), HB_OK, "parent frees client");
    expect(hb_calc_free(calc), HB_OK, "parent frees calc");
    expect(hb_op_free(op1), HB_OK, "parent frees op 1");
    expect(hb_op_free(op2), HB_OK, "parent frees op 2");
    expect(hb_broker_free(b), HB_OK, "parent frees broker");
    printf("ok - %d forks: children used their own sockets and roles, the parent went on and shut down\n", rounds);
    passed++;
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
