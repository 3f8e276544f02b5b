/*
 * chat (course pattern 4): clients PUSH [nick, text] to the server, which
 * PUBlishes every message to all; a client joins with the text HI and
 * leaves with BYE, which the server announces as ["server", "HI nick"] /
 * ["server", "BYE nick"].
 */
#include "patterns.h"

static char in_ep[HB_TEXT_MAX], out_ep[HB_TEXT_MAX];
static int stop_server;

static void *server(void *arg) {
    hb_socket **s = arg; /* [0] PULL from clients, [1] PUB to all */
    while (!__atomic_load_n(&stop_server, __ATOMIC_SEQ_CST)) {
        msg_t m;
        if (recv_msg(s[0], 100, &m) != HB_OK)
            continue;
        CHECK(m.n == 2, "chat message of %zu frames", m.n);
        if (strcmp(m.frame[1], "HI") == 0 || strcmp(m.frame[1], "BYE") == 0) {
            char text[1100];
            snprintf(text, sizeof text, "%s %s", m.frame[1], m.frame[0]);
            const char *out[2] = {"server", text};
            send_frames(s[1], out, 2);
        } else {
            const char *out[2] = {m.frame[0], m.frame[1]};
            send_frames(s[1], out, 2);
        }
    }
    return NULL;
}

typedef struct {
    const char *nick, *other;
    hb_socket *push, *sub;
} client_t;

static void say(client_t *c, const char *text) {
    const char *msg[2] = {c->nick, text};
    send_frames(c->push, msg, 2);
}

/* Wait for [author, text] on the client's SUB, skipping everything else. */
static void wait_for(client_t *c, const char *author, const char *text) {
    double end = now_s() + 5;
    for (;;) {
        CHECK(now_s() < end, "%s never saw [%s, %s]", c->nick, author, text);
        msg_t m;
        if (recv_msg(c->sub, 100, &m) != HB_OK)
            continue;
        CHECK(m.n == 2, "published message of %zu frames", m.n);
        if (strcmp(m.frame[0], author) == 0 && strcmp(m.frame[1], text) == 0)
            return;
    }
}

static void join(client_t *c) {
    c->push = sock_connected(HB_PUSH, in_ep, NULL);
    c->sub = sock_new(HB_SUB);
    ok_or_die(hb_socket_setopt(c->sub, HB_SUBSCRIBE, "", 0), c->sub, "subscribe");
    connect_to(c->sub, out_ep);
    /* A subscriber joining late misses what was published before: say HI
     * until our own announcement comes back. */
    char mine[64];
    snprintf(mine, sizeof mine, "HI %s", c->nick);
    double end = now_s() + 5;
    for (;;) {
        CHECK(now_s() < end, "%s never saw its own HI", c->nick);
        say(c, "HI");
        msg_t m;
        if (recv_msg(c->sub, 100, &m) == HB_OK && strcmp(m.frame[0], "server") == 0 && strcmp(m.frame[1], mine) == 0)
            break;
    }
}

int main(void) {
    hb_socket *srv[2] = {sock_bound(HB_PULL, in_ep), sock_bound(HB_PUB, out_ep)};
    pthread_t t;
    pthread_create(&t, NULL, server, srv);
    client_t alice = {"alice", "bob", NULL, NULL}, bob = {"bob", "alice", NULL, NULL};
    join(&alice);
    join(&bob);
    wait_for(&alice, "server", "HI bob");
    say(&alice, "hello bob");
    wait_for(&bob, "alice", "hello bob");
    say(&bob, "hi alice");
    wait_for(&alice, "bob", "hi alice");
    say(&bob, "BYE");
    wait_for(&alice, "server", "BYE bob");
    printf("# alice and bob joined, talked, bob left; every line reached both\n");
    __atomic_store_n(&stop_server, 1, __ATOMIC_SEQ_CST);
    pthread_join(t, NULL);
    hb_socket *all[6] = {alice.push, alice.sub, bob.push, bob.sub, srv[0], srv[1]};
    for (int i = 0; i < 6; i++)
        hb_socket_free(all[i]);
    return 0;
}
