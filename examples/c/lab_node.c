/*
 * lab_node: the hypotenuse lab's server side in one C process, built on
 * libhypobus: a broker, two operation nodes (lane 1 with the library's
 * built-in square, lane 2 with a square computed by a C callback) and a
 * calculation node.
 *
 *   lab_node [--xsub EP] [--xpub EP] [--hb EP] [--seconds N]
 *
 * Endpoints default to the lab's: every interface, ports 5555 (XSUB), 5556
 * (XPUB) and 5560 (heartbeat); wildcard ports (tcp://127.0.0.1:*) pick free
 * ones. The resolved endpoints
 * are printed, then "ready". Runs for N seconds, or without --seconds until
 * stdin is closed (Ctrl-D). Then prints the counters and frees everything.
 *
 * Clients then run anywhere:  client 12 13 HOST:XSUB_PORT:XPUB_PORT
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hypobus.h"
#define EXAMPLE_NAME "lab_node"
#include "example_util.h" /* CHECK(call): on failure report it, rc = 1, goto out */

/* Lane 2's operation. Runs on that operation node's own thread
 * ("hypobus-op"); `user` points to a counter only that thread writes
 * while the node runs (read after hb_op_stop). */
static int32_t square_in_c(void *user, double x, double *out) {
    unsigned long *calls = user;
    ++*calls;
    *out = x * x;
    return 0;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "tcp://HOST:PORT" -> HOST (0.0.0.0 / * -> 127.0.0.1) and PORT. */
static int split_endpoint(const char *ep, char *host, size_t hostlen, long *port) {
    const char *start = strstr(ep, "://");
    const char *colon = strrchr(ep, ':');
    if (!start || !colon || colon <= start + 3)
        return -1;
    start += 3;
    size_t n = (size_t)(colon - start);
    if (n + 1 > hostlen)
        return -1;
    memcpy(host, start, n);
    host[n] = '\0';
    if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
        snprintf(host, hostlen, "127.0.0.1");
    char *end;
    *port = strtol(colon + 1, &end, 10);
    return (*end == '\0' && *port > 0 && *port < 65536) ? 0 : -1;
}

static void usage(void) {
    fprintf(stderr, "usage: lab_node [--xsub EP] [--xpub EP] [--hb EP] [--seconds N]\n");
}

int main(int argc, char **argv) {
    const char *xsub = NULL, *xpub = NULL, *hb = NULL;
    long seconds = -1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--xsub") == 0)
            xsub = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--xpub") == 0)
            xpub = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--hb") == 0)
            hb = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0)
            seconds = strtol(argv[++i], NULL, 10);
        else {
            usage();
            return 2;
        }
    }

    int rc = 0;
    hb_broker *broker = NULL;
    hb_op *op1 = NULL, *op2 = NULL;
    hb_calc *calc = NULL;
    unsigned long c_calls = 0;
    char ep[3][256];
    char brokers[300];

    CHECK(hb_broker_new(xsub, xpub, hb, 0, &broker));
    for (int32_t w = 0; w < 3; w++)
        CHECK(hb_broker_endpoint(broker, w, ep[w], sizeof ep[w], NULL));
    printf("broker xsub %s\nbroker xpub %s\nbroker hb   %s\n", ep[0], ep[1], ep[2]);

    /* The nodes reach the broker through its resolved ports. */
    char host[200];
    long xsub_port, xpub_port;
    if (split_endpoint(ep[0], host, sizeof host, &xsub_port) != 0 ||
        split_endpoint(ep[1], host, sizeof host, &xpub_port) != 0) {
        fprintf(stderr, "lab_node: cannot read the broker's ports from %s, %s\n", ep[0], ep[1]);
        rc = 1;
        goto out;
    }
    snprintf(brokers, sizeof brokers, "%s:%ld:%ld", host, xsub_port, xpub_port);
    printf("brokers     %s\n", brokers);

    CHECK(hb_op_new(brokers, 1, NULL, NULL, &op1));
    CHECK(hb_op_new(brokers, 2, square_in_c, &c_calls, &op2));
    CHECK(hb_calc_new(brokers, 0, &calc));
    printf("ready\n");
    fflush(stdout);

    if (seconds >= 0) {
        long long end = now_ms() + seconds * 1000LL;
        for (long long left; (left = end - now_ms()) > 0;) {
            struct timespec ts = {left / 1000, (left % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    } else {
        char buf[256];
        for (;;) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EINTR))
                break;
        }
    }

    /* Stop the nodes first (no more callbacks), then read final counters. */
    CHECK(hb_calc_stop(calc));
    CHECK(hb_op_stop(op1));
    CHECK(hb_op_stop(op2));
    CHECK(hb_broker_stop(broker));

    hb_broker_stats_t bs = {.size = sizeof bs};
    hb_op_stats_t s1 = {.size = sizeof s1}, s2 = {.size = sizeof s2};
    hb_calc_stats_t cs = {.size = sizeof cs};
    CHECK(hb_broker_stats(broker, &bs));
    CHECK(hb_op_stats(op1, &s1));
    CHECK(hb_op_stats(op2, &s2));
    CHECK(hb_calc_stats(calc, &cs));
    printf("broker: forwarded %llu, subscriptions %llu, heartbeats %llu\n", (unsigned long long)bs.forwarded,
           (unsigned long long)bs.subscriptions, (unsigned long long)bs.heartbeats);
    printf("op lane 1: requests %llu, replies %llu, errors %llu\n", (unsigned long long)s1.requests,
           (unsigned long long)s1.replies, (unsigned long long)s1.errors);
    printf("op lane 2: requests %llu, replies %llu, errors %llu, C callback calls %lu\n",
           (unsigned long long)s2.requests, (unsigned long long)s2.replies, (unsigned long long)s2.errors, c_calls);
    printf("calc: requests %llu, results %llu, errors %llu, fallbacks %llu\n", (unsigned long long)cs.requests,
           (unsigned long long)cs.results, (unsigned long long)cs.errors, (unsigned long long)cs.fallbacks);

out:
    /* Each free accepts NULL (a role that was never created); keep freeing
     * after a failure, but report it. */
    hb_status st;
    if ((st = hb_calc_free(calc)) != HB_OK) rc = example_fail("hb_calc_free failed", st, NULL);
    if ((st = hb_op_free(op2)) != HB_OK) rc = example_fail("hb_op_free(lane 2) failed", st, NULL);
    if ((st = hb_op_free(op1)) != HB_OK) rc = example_fail("hb_op_free(lane 1) failed", st, NULL);
    if ((st = hb_broker_free(broker)) != HB_OK) rc = example_fail("hb_broker_free failed", st, NULL);
    return rc;
}
