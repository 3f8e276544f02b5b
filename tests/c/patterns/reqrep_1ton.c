/*
 * req/rep 1:n (course pattern 1): one REQ client connected to two REP
 * servers; libzmq hands the requests out round robin, so the replies
 * alternate between the servers, and each serves half.
 */
#include "patterns.h"

#define ROUNDS 6

typedef struct {
    hb_socket *rep;
    int id;
    int served;
} server_t;

static void *server(void *arg) {
    server_t *s = arg;
    for (int i = 0; i < ROUNDS / 2; i++) {
        msg_t m;
        recv_or_die(s->rep, 5000, &m, "server recv");
        char reply[600];
        snprintf(reply, sizeof reply, "%s from server %d", m.frame[0], s->id);
        send_str(s->rep, reply);
        s->served++;
    }
    return NULL;
}

int main(void) {
    server_t sv[2];
    char ep[2][HB_TEXT_MAX];
    pthread_t t[2];
    hb_socket *req = sock_new(HB_REQ);
    ok_or_die(hb_socket_monitor(req, HB_EVENT_HANDSHAKE_SUCCEEDED), req, "monitor");
    for (int i = 0; i < 2; i++) {
        sv[i] = (server_t){sock_bound(HB_REP, ep[i]), i + 1, 0};
        pthread_create(&t[i], NULL, server, &sv[i]);
        connect_to(req, ep[i]);
    }
    /* Round robin is over the connected servers: wait for both. */
    wait_events(req, HB_EVENT_HANDSHAKE_SUCCEEDED, 2, 5000, "REQ connected to both servers");
    int last = 0;
    for (int i = 0; i < ROUNDS; i++) {
        char text[32];
        snprintf(text, sizeof text, "request %d", i);
        msg_t m;
        ask(req, text, &m);
        int from = 0;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s from server ", text);
        CHECK(strncmp(m.frame[0], prefix, strlen(prefix)) == 0, "reply to '%s' was '%s'", text, m.frame[0]);
        from = atoi(m.frame[0] + strlen(prefix));
        CHECK(from != last, "two replies in a row from server %d: no round robin", from);
        last = from;
        printf("# %s\n", m.frame[0]);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK(sv[i].served == ROUNDS / 2, "server %d served %d", i + 1, sv[i].served);
        hb_socket_free(sv[i].rep);
    }
    hb_socket_free(req);
    return 0;
}
