/*
 * router/dealer broker (course pattern 5): REQ clients connect to a ROUTER
 * frontend, REP workers to a DEALER backend, and hb_proxy forwards between
 * them on a library thread: requests go round robin to the workers, the
 * replies find their way back to the client that asked. Then the proxy is
 * paused (nothing goes through), resumed, and stopped, which gives the
 * sockets back to their handles.
 */
#include "patterns.h"

#define CLIENTS 3
#define PER_CLIENT 4
#define WORKERS 2

static char front_ep[HB_TEXT_MAX], back_ep[HB_TEXT_MAX];
static int served[WORKERS];
static int stop_workers;

static void *worker(void *arg) {
    int id = (int)(size_t)arg;
    hb_socket *rep = sock_connected(HB_REP, back_ep, NULL);
    while (!__atomic_load_n(&stop_workers, __ATOMIC_SEQ_CST)) {
        msg_t m;
        if (recv_msg(rep, 100, &m) != HB_OK)
            continue;
        char reply[600];
        snprintf(reply, sizeof reply, "%s done by worker %d", m.frame[0], id);
        send_str(rep, reply);
        __atomic_add_fetch(&served[id], 1, __ATOMIC_SEQ_CST);
    }
    hb_socket_free(rep);
    return NULL;
}

static void *client(void *arg) {
    int id = (int)(size_t)arg;
    hb_socket *req = sock_connected(HB_REQ, front_ep, NULL);
    for (int i = 0; i < PER_CLIENT; i++) {
        msg_t m;
        ask_echoed(req, &m, "client %d request %d", id, i);
    }
    hb_socket_free(req);
    return NULL;
}

static hb_proxy_stats_t stats(hb_proxy *p) {
    hb_proxy_stats_t s;
    s.size = sizeof s;
    ok_or_die(hb_proxy_stats(p, &s), p, "hb_proxy_stats");
    return s;
}

int main(void) {
    hb_socket *front = sock_bound(HB_ROUTER, front_ep);
    hb_socket *back = sock_bound(HB_DEALER, back_ep);
    ok_or_die(hb_socket_monitor(back, HB_EVENT_HANDSHAKE_SUCCEEDED), back, "monitor");
    pthread_t w[WORKERS], c[CLIENTS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&w[i], NULL, worker, (void *)(size_t)i);
    /* The DEALER deals over the connected workers: let both connect first. */
    wait_events(back, HB_EVENT_HANDSHAKE_SUCCEEDED, WORKERS, 5000, "workers connected");
    hb_proxy *p = NULL;
    ok_or_die(hb_proxy_new(front, back, NULL, &p), NULL, "hb_proxy_new");
    /* The proxy owns the sockets now. */
    int32_t ev = 0;
    CHECK(hb_socket_events(front, &ev) == HB_BUSY, "a socket run by the proxy must be busy");
    for (int i = 0; i < CLIENTS; i++)
        pthread_create(&c[i], NULL, client, (void *)(size_t)i);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(c[i], NULL);
    hb_proxy_stats_t s = stats(p);
    CHECK(s.to_backend_msgs == CLIENTS * PER_CLIENT && s.to_frontend_msgs == CLIENTS * PER_CLIENT,
          "proxy forwarded %llu requests, %llu replies", (unsigned long long)s.to_backend_msgs,
          (unsigned long long)s.to_frontend_msgs);
    for (int i = 0; i < WORKERS; i++) {
        int n = __atomic_load_n(&served[i], __ATOMIC_SEQ_CST);
        CHECK(n == CLIENTS * PER_CLIENT / WORKERS, "worker %d served %d (round robin)", i, n);
        printf("# worker %d served %d requests\n", i, n);
    }
    /* Paused: a request waits; resumed: it is answered. */
    ok_or_die(hb_proxy_pause(p), p, "pause");
    hb_socket *req = sock_connected(HB_REQ, front_ep, NULL);
    send_str(req, "while paused");
    msg_t m;
    CHECK(recv_msg(req, 300, &m) == HB_TIMEOUT, "a paused proxy forwarded '%s'", m.frame[0]);
    CHECK(stats(p).paused == 1, "stats say not paused");
    ok_or_die(hb_proxy_resume(p), p, "resume");
    recv_or_die(req, 5000, &m, "reply after resume");
    CHECK(strncmp(m.frame[0], "while paused done by", 20) == 0, "after resume: '%s'", m.frame[0]);
    ok_or_die(hb_proxy_stop(p), p, "stop");
    CHECK(hb_proxy_wait(p, 0) == HB_OK, "a stopped proxy must not be running");
    ok_or_die(hb_socket_events(front, &ev), front, "frontend back after stop");
    ok_or_die(hb_proxy_free(p), NULL, "hb_proxy_free");
    __atomic_store_n(&stop_workers, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(w[i], NULL);
    hb_socket_free(req);
    hb_socket_free(front);
    hb_socket_free(back);
    printf("# %d clients x %d requests through hb_proxy; pause, resume, stop\n", CLIENTS, PER_CLIENT);
    return 0;
}
