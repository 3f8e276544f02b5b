/*
 * req/rep 1:1 (course pattern 1): a REQ client sends "Hello N", the REP
 * server answers "World N"; three round trips, each checked.
 */
#include "patterns.h"

static char ep[HB_TEXT_MAX];

static void *server(void *arg) {
    hb_socket *rep = arg;
    for (int i = 0; i < 3; i++) {
        msg_t m;
        recv_or_die(rep, 5000, &m, "server recv");
        CHECK(m.n == 1, "request of %zu frames", m.n);
        int n = -1;
        CHECK(sscanf(m.frame[0], "Hello %d", &n) == 1 && n == i, "request %d was '%s'", i, m.frame[0]);
        char reply[32];
        snprintf(reply, sizeof reply, "World %d", n);
        send_str(rep, reply);
    }
    return NULL;
}

int main(void) {
    hb_socket *rep = sock_bound(HB_REP, ep);
    pthread_t t;
    pthread_create(&t, NULL, server, rep);
    hb_socket *req = sock_connected(HB_REQ, ep, NULL);
    for (int i = 0; i < 3; i++) {
        char text[32], want[32];
        snprintf(text, sizeof text, "Hello %d", i);
        snprintf(want, sizeof want, "World %d", i);
        msg_t m;
        ask(req, text, &m);
        CHECK(m.n == 1 && strcmp(m.frame[0], want) == 0, "reply %d was '%s'", i, m.frame[0]);
        printf("# %s -> %s\n", text, m.frame[0]);
    }
    pthread_join(t, NULL);
    hb_socket_free(req);
    hb_socket_free(rep);
    return 0;
}
