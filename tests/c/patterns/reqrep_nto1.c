/*
 * req/rep n:1 (course pattern 1): two REQ clients, one REP server; each
 * client gets the answers to its own requests.
 */
#include "patterns.h"

#define PER_CLIENT 4

static char ep[HB_TEXT_MAX];

static void *server(void *arg) {
    hb_socket *rep = arg;
    for (int i = 0; i < 2 * PER_CLIENT; i++) {
        msg_t m;
        recv_or_die(rep, 5000, &m, "server recv");
        char reply[600];
        snprintf(reply, sizeof reply, "answer to %s", m.frame[0]);
        send_str(rep, reply);
    }
    return NULL;
}

static void *client(void *arg) {
    const char *name = arg;
    hb_socket *req = sock_connected(HB_REQ, ep, NULL);
    for (int i = 0; i < PER_CLIENT; i++) {
        char text[64], want[96];
        snprintf(text, sizeof text, "%s #%d", name, i);
        snprintf(want, sizeof want, "answer to %s", text);
        msg_t m;
        ask(req, text, &m);
        CHECK(strcmp(m.frame[0], want) == 0, "%s got '%s', wanted '%s'", name, m.frame[0], want);
        printf("# %s\n", m.frame[0]);
    }
    hb_socket_free(req);
    return NULL;
}

int main(void) {
    hb_socket *rep = sock_bound(HB_REP, ep);
    pthread_t s, c1, c2;
    pthread_create(&s, NULL, server, rep);
    pthread_create(&c1, NULL, client, "alice");
    pthread_create(&c2, NULL, client, "bob");
    pthread_join(c1, NULL);
    pthread_join(c2, NULL);
    pthread_join(s, NULL);
    hb_socket_free(rep);
    return 0;
}
