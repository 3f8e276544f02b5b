/*
 * push/pull 1:n:1 (course pattern 2): a ventilator PUSHes tasks to three
 * workers (PULL), which PUSH [worker, n] to a sink (PULL) that collects
 * every result. PUSH deals the tasks round robin over the connected
 * workers, so each does a third.
 */
#include "patterns.h"

#define WORKERS 3
#define TASKS 30

static char vent_ep[HB_TEXT_MAX], sink_ep[HB_TEXT_MAX];

static void *worker(void *arg) {
    const char *name = arg;
    hb_socket *in = sock_connected(HB_PULL, vent_ep, NULL);
    hb_socket *out = sock_connected(HB_PUSH, sink_ep, NULL);
    for (;;) {
        msg_t m;
        recv_or_die(in, 10000, &m, "worker recv");
        if (strcmp(m.frame[0], "end") == 0)
            break;
        int n = atoi(m.frame[0]);
        char sq[32];
        snprintf(sq, sizeof sq, "%d", n * n);
        const char *result[2] = {name, sq};
        send_frames(out, result, 2);
    }
    hb_socket_free(in);
    hb_socket_free(out);
    return NULL;
}

int main(void) {
    hb_socket *vent = sock_bound(HB_PUSH, vent_ep);
    hb_socket *sink = sock_bound(HB_PULL, sink_ep);
    ok_or_die(hb_socket_monitor(vent, HB_EVENT_HANDSHAKE_SUCCEEDED), vent, "monitor");
    static const char *names[WORKERS] = {"w1", "w2", "w3"};
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, worker, (void *)names[i]);
    /* Deal only once every worker is connected, so that each gets a third. */
    wait_events(vent, HB_EVENT_HANDSHAKE_SUCCEEDED, WORKERS, 5000, "workers connected");
    for (int i = 1; i <= TASKS; i++) {
        char n[16];
        snprintf(n, sizeof n, "%d", i);
        send_str(vent, n);
    }
    int per[WORKERS] = {0};
    long sum = 0;
    for (int i = 0; i < TASKS; i++) {
        msg_t m;
        recv_or_die(sink, 5000, &m, "sink recv");
        CHECK(m.n == 2, "result of %zu frames", m.n);
        int w = -1;
        for (int k = 0; k < WORKERS; k++)
            if (strcmp(m.frame[0], names[k]) == 0)
                w = k;
        CHECK(w >= 0, "result from unknown worker '%s'", m.frame[0]);
        per[w]++;
        sum += atol(m.frame[1]);
    }
    long want = (long)TASKS * (TASKS + 1) * (2 * TASKS + 1) / 6;
    CHECK(sum == want, "sum of squares %ld, want %ld", sum, want);
    for (int k = 0; k < WORKERS; k++) {
        CHECK(per[k] == TASKS / WORKERS, "worker %s did %d tasks", names[k], per[k]);
        printf("# %s: %d tasks\n", names[k], per[k]);
    }
    for (int k = 0; k < WORKERS; k++)
        send_str(vent, "end");
    for (int k = 0; k < WORKERS; k++)
        pthread_join(t[k], NULL);
    printf("# sink: %d results, sum of squares %ld\n", TASKS, sum);
    hb_socket_free(vent);
    hb_socket_free(sink);
    return 0;
}
