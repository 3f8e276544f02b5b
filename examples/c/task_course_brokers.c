/*
 * task_course_brokers: the course's three request/reply brokers expressed
 * with the library, each with REQ clients and workers written on the
 * generic socket API (threads of this process, free loopback ports):
 *
 *   1. router/dealer: clients REQ -> ROUTER, DEALER -> REP workers, the
 *      broker is hb_proxy (round robin, asynchronous);
 *   2. router/router (load balancing): hb_task_broker with the lru policy;
 *      workers are REQ sockets that announce themselves with an empty
 *      request and answer [client, "", reply], exactly the course's frames;
 *   3. fault tolerant: the same broker with a 300 ms answer time-out; one
 *      worker never answers, yet every request is answered (by the other),
 *      and the stuck worker's late answer never reaches a client.
 *
 * Prints what each stage did; exits 0 when every check passed, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hypobus.h"
#include "frames.h" /* frames_send, frames_recv: messages of text frames */

static void die(hb_status st, const void *h, const char *what) {
    if (st == HB_OK)
        return;
    char msg[HB_ERROR_MAX];
    int32_t s = 0, e = 0;
    if (h == NULL || hb_error_info(h, &s, &e, msg, sizeof msg, NULL) != HB_OK)
        hb_last_error(msg, sizeof msg, NULL);
    fprintf(stderr, "FAIL: %s: %s\n", what, msg);
    exit(1);
}

#define CHECK(c, ...)                     \
    do {                                  \
        if (!(c)) {                       \
            fprintf(stderr, "FAIL: ");    \
            fprintf(stderr, __VA_ARGS__); \
            fprintf(stderr, "\n");        \
            exit(1);                      \
        }                                 \
    } while (0)

static hb_socket *sock(int32_t type, const char *connect_ep, const char *id) {
    hb_socket *s = NULL;
    die(hb_socket_new(type, &s), NULL, "hb_socket_new");
    die(hb_socket_setopt_int(s, HB_LINGER, 0), s, "LINGER");
    if (id)
        die(hb_socket_setopt(s, HB_ROUTING_ID, id, strlen(id)), s, "ROUTING_ID");
    if (connect_ep)
        die(hb_socket_connect(s, connect_ep), s, connect_ep);
    return s;
}

static void send_frames(hb_socket *s, const char **frames, size_t n) {
    die(frames_send(s, frames, n, 5000), s, "send");
}

static char front_ep[HB_TEXT_MAX], back_ep[HB_TEXT_MAX];

/* ------------------------------------------------------------ workers */

typedef struct {
    int rep;      /* 1: a REP worker (router/dealer), 0: a course REQ worker */
    int hang;     /* never answer (the stuck worker) */
    char name[16];
    int served;
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    hb_socket *s = sock(w->rep ? HB_REP : HB_REQ, back_ep, w->name);
    if (!w->rep) {
        const char *hello[3] = {"", "", ""}; /* the course: req.send(['','','']) */
        send_frames(s, hello, 3);
    }
    for (;;) {
        frames_msg m;
        hb_status st = frames_recv(s, 1500, &m);
        if (st == HB_TIMEOUT)
            break; /* no more work */
        die(st, s, "worker recv");
        if (w->hang) {
            /* The stuck worker: takes a request and never answers it. */
            struct timespec t = {2, 0};
            nanosleep(&t, NULL);
            break;
        }
        const char *req = w->rep ? m.frame[0] : m.frame[2];
        char reply[600];
        snprintf(reply, sizeof reply, "%s by %s", req, w->name);
        if (w->rep) {
            const char *out[1] = {reply};
            send_frames(s, out, 1);
        } else {
            const char *out[3] = {m.frame[0], "", reply}; /* [client, '', reply] */
            send_frames(s, out, 3);
        }
        w->served++;
    }
    hb_socket_free(s);
    return NULL;
}

/* ------------------------------------------------------------ clients */

#define CLIENTS 3
#define PER_CLIENT 5

static void *client(void *arg) {
    int id = (int)(size_t)arg;
    hb_socket *s = sock(HB_REQ, front_ep, NULL);
    for (int i = 0; i < PER_CLIENT; i++) {
        char text[64];
        snprintf(text, sizeof text, "C%d-%d", id, i);
        const char *out[1] = {text};
        send_frames(s, out, 1);
        frames_msg m;
        die(frames_recv(s, 5000, &m), s, "client recv");
        CHECK(m.n == 1 && strncmp(m.frame[0], text, strlen(text)) == 0 && m.frame[0][strlen(text)] == ' ', "%s got '%s'", text,
              m.frame[0]);
    }
    hb_socket_free(s);
    return NULL;
}

static pthread_t worker_threads[4];

/* Start workers w[from..to) on worker_threads[from..to). */
static void start_workers(worker_t *w, int from, int to) {
    for (int i = from; i < to; i++)
        pthread_create(&worker_threads[i], NULL, worker, &w[i]);
}

/* Run the clients to the end, then wait for the workers to go idle and end. */
static void run_clients_then_join(int nw) {
    pthread_t ct[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        pthread_create(&ct[i], NULL, client, (void *)(size_t)(i + 1));
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(ct[i], NULL);
    for (int i = 0; i < nw; i++)
        pthread_join(worker_threads[i], NULL);
}

static void run_parties(worker_t *w, int nw) {
    start_workers(w, 0, nw);
    run_clients_then_join(nw);
}

/* Wait (at most 5 s) until `n` peers completed their handshake with `s`. */
static void wait_connected(hb_socket *s, int n) {
    for (int seen = 0; seen < n;) {
        hb_socket_event_t ev;
        ev.size = sizeof ev;
        die(hb_socket_next_event(s, 5000, &ev, NULL, 0, NULL), s, "waiting for the workers to connect");
        seen += ev.event == HB_EVENT_HANDSHAKE_SUCCEEDED;
    }
}

static hb_task_broker *task_broker(uint32_t answer_timeout_ms) {
    hb_task_broker_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.frontend = "tcp://127.0.0.1:*";
    cfg.backend = "tcp://127.0.0.1:*";
    cfg.policy = HB_TASK_LRU;
    cfg.answer_timeout_ms = answer_timeout_ms;
    hb_task_broker *b = NULL;
    die(hb_task_broker_new(&cfg, &b), NULL, "hb_task_broker_new");
    die(hb_task_broker_endpoint(b, HB_TASK_FRONTEND, front_ep, sizeof front_ep, NULL), b, "endpoint");
    die(hb_task_broker_endpoint(b, HB_TASK_BACKEND, back_ep, sizeof back_ep, NULL), b, "endpoint");
    return b;
}

int main(void) {
    /* 1. router/dealer with hb_proxy */
    hb_socket *fe = sock(HB_ROUTER, NULL, NULL), *be = sock(HB_DEALER, NULL, NULL);
    die(hb_socket_monitor(be, HB_EVENT_HANDSHAKE_SUCCEEDED), be, "monitor");
    die(hb_socket_bind(fe, "tcp://127.0.0.1:*", front_ep, sizeof front_ep, NULL), fe, "bind");
    die(hb_socket_bind(be, "tcp://127.0.0.1:*", back_ep, sizeof back_ep, NULL), be, "bind");
    worker_t rd[2] = {{1, 0, "REP1", 0}, {1, 0, "REP2", 0}};
    start_workers(rd, 0, 2);
    /* The DEALER deals round robin over the workers connected: let both connect first. */
    wait_connected(be, 2);
    hb_proxy *p = NULL;
    die(hb_proxy_new(fe, be, NULL, &p), NULL, "hb_proxy_new");
    run_clients_then_join(2);
    CHECK(rd[0].served + rd[1].served == CLIENTS * PER_CLIENT && rd[0].served > 0 && rd[1].served > 0,
          "router/dealer: %d + %d served", rd[0].served, rd[1].served);
    printf("router/dealer (hb_proxy): %d requests, REP1 %d, REP2 %d\n", CLIENTS * PER_CLIENT, rd[0].served, rd[1].served);
    hb_proxy_free(p);
    hb_socket_free(fe);
    hb_socket_free(be);

    /* 2. router/router: the task broker, lru, the course's frames */
    hb_task_broker *b = task_broker(0);
    worker_t rr[2] = {{0, 0, "W1", 0}, {0, 0, "W2", 0}};
    run_parties(rr, 2);
    hb_task_broker_stats_t s;
    s.size = sizeof s;
    die(hb_task_broker_stats(b, &s), b, "stats");
    CHECK(s.replies == CLIENTS * PER_CLIENT && s.registered == 2, "router/router: %llu replies, %llu workers",
          (unsigned long long)s.replies, (unsigned long long)s.registered);
    printf("router/router (hb_task_broker, lru): %llu requests, W1 %d, W2 %d\n", (unsigned long long)s.replies,
           rr[0].served, rr[1].served);
    hb_task_broker_free(b);

    /* 3. fault tolerant: one worker never answers */
    b = task_broker(300);
    worker_t ft[2] = {{0, 1, "STUCK", 0}, {0, 0, "GOOD", 0}};
    /* The stuck worker registers first, so the first request goes to it. */
    start_workers(ft, 0, 1);
    for (int i = 0;; i++) {
        s.size = sizeof s;
        die(hb_task_broker_stats(b, &s), b, "stats");
        if (s.registered == 1)
            break;
        CHECK(i < 500, "the stuck worker did not register within 5 s");
        struct timespec t = {0, 10000000};
        nanosleep(&t, NULL);
    }
    start_workers(ft, 1, 2);
    run_clients_then_join(2);
    s.size = sizeof s;
    die(hb_task_broker_stats(b, &s), b, "stats");
    CHECK(s.replies == CLIENTS * PER_CLIENT && ft[1].served == CLIENTS * PER_CLIENT && s.timeouts >= 1,
          "fault tolerant: %llu replies, %llu time-outs", (unsigned long long)s.replies, (unsigned long long)s.timeouts);
    printf("fault tolerant (answer time-out 300 ms): %llu requests answered, %llu re-dispatched after a time-out, all by GOOD\n",
           (unsigned long long)s.replies, (unsigned long long)s.timeouts);
    hb_task_broker_free(b);
    return 0;
}
