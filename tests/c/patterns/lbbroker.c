/*
 * router/router load-balancing broker (course pattern 6). Workers are REQ
 * sockets with identities that announce themselves with an empty first
 * message; the broker (the main thread, polling both ROUTERs with hb_poll)
 * keeps a queue of ready workers and reads client requests only while a
 * worker is free. Frames: from a client [client, "", request]; to a worker
 * [worker, "", client, "", request]; from a worker [worker, "", client,
 * "", reply]; to the client [client, "", reply].
 */
#include "patterns.h"

#define CLIENTS 3
#define PER_CLIENT 3
#define WORKERS 2
#define TOTAL (CLIENTS * PER_CLIENT)

static char front_ep[HB_TEXT_MAX], back_ep[HB_TEXT_MAX];

static void *worker(void *arg) {
    int id = (int)(size_t)arg;
    char name[16];
    snprintf(name, sizeof name, "W%d", id);
    hb_socket *req = sock_connected(HB_REQ, back_ep, name);
    send_str(req, ""); /* ready */
    for (;;) {
        msg_t m;
        if (recv_msg(req, 10000, &m) != HB_OK)
            fail("%s: no work within 10 s", name);
        /* REQ took the delimiter off: [client, "", request] */
        CHECK(m.n == 3 && m.sizes[1] == 0, "%s got %zu frames", name, m.n);
        if (strcmp(m.frame[2], "END") == 0)
            break;
        char reply[600];
        snprintf(reply, sizeof reply, "%s by %s", m.frame[2], name);
        const char *out[3] = {m.frame[0], "", reply};
        send_frames(req, out, 3);
    }
    hb_socket_free(req);
    return NULL;
}

static void *client(void *arg) {
    int id = (int)(size_t)arg;
    char name[16];
    snprintf(name, sizeof name, "C%d", id);
    hb_socket *req = sock_connected(HB_REQ, front_ep, name);
    for (int i = 0; i < PER_CLIENT; i++) {
        msg_t m;
        ask_echoed(req, &m, "%s-%d", name, i);
        CHECK(strstr(m.frame[0], " by W"), "%s got '%s'", name, m.frame[0]);
        printf("# %s\n", m.frame[0]);
    }
    hb_socket_free(req);
    return NULL;
}

int main(void) {
    hb_socket *front = sock_bound(HB_ROUTER, front_ep);
    hb_socket *back = sock_bound(HB_ROUTER, back_ep);
    pthread_t w[WORKERS], c[CLIENTS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&w[i], NULL, worker, (void *)(size_t)(i + 1));
    for (int i = 0; i < CLIENTS; i++)
        pthread_create(&c[i], NULL, client, (void *)(size_t)(i + 1));
    char ready[WORKERS * 2][16];
    int nready = 0, replies = 0, registered = 0, served[WORKERS + 1] = {0};
    double end = now_s() + 20;
    while (replies < TOTAL) {
        CHECK(now_s() < end, "broker: %d of %d replies within 20 s", replies, TOTAL);
        hb_poll_item items[2] = {{back, HB_POLLIN, 0}, {front, HB_POLLIN, 0}};
        /* Take client requests only once every worker has announced itself
           (so that the check below does not depend on thread start order)
           and while one is ready. */
        size_t n = nready > 0 && registered == WORKERS ? 2 : 1;
        hb_status st = hb_poll(items, n, 500, NULL);
        if (st == HB_TIMEOUT)
            continue;
        ok_or_die(st, NULL, "hb_poll");
        msg_t m;
        if (items[0].revents & HB_POLLIN && recv_msg(back, 0, &m) == HB_OK) {
            CHECK(m.n >= 3 && m.sizes[1] == 0, "backend message of %zu frames", m.n);
            CHECK(nready < WORKERS * 2, "ready queue overflow");
            snprintf(ready[nready++], 16, "%.15s", m.frame[0]);
            if (m.n == 3 && m.sizes[2] == 0) {
                registered++; /* [worker, "", ""]: announces itself */
            } else {
                /* [worker, "", client, "", reply] */
                CHECK(m.n == 5 && m.sizes[3] == 0, "reply of %zu frames", m.n);
                const char *out[3] = {m.frame[2], "", m.frame[4]};
                send_frames(front, out, 3);
                served[atoi(m.frame[0] + 1)]++;
                replies++;
            }
        }
        if (n == 2 && items[1].revents & HB_POLLIN && recv_msg(front, 0, &m) == HB_OK) {
            /* [client, "", request] to the first ready worker */
            CHECK(m.n == 3 && m.sizes[1] == 0, "request of %zu frames", m.n);
            const char *out[5] = {ready[0], "", m.frame[0], "", m.frame[2]};
            send_frames(back, out, 5);
            memmove(ready[0], ready[1], sizeof ready - sizeof ready[0]);
            nready--;
        }
    }
    CHECK(registered == WORKERS, "%d workers registered", registered);
    CHECK(nready == WORKERS, "%d workers ready at the end", nready);
    for (int i = 1; i <= WORKERS; i++) {
        CHECK(served[i] > 0, "worker W%d served nothing", i);
        printf("# W%d served %d\n", i, served[i]);
    }
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(c[i], NULL);
    /* Every worker is ready again: send each one END. */
    for (int i = 0; i < nready; i++) {
        const char *out[5] = {ready[i], "", "broker", "", "END"};
        send_frames(back, out, 5);
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(w[i], NULL);
    hb_socket_free(front);
    hb_socket_free(back);
    return 0;
}
