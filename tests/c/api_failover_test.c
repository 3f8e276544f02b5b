/*
 * api_failover_test: a primary/backup failover pair through the C ABI, in
 * one process on free loopback ports: argument checks, take-over, the
 * restarted primary staying passive, hand-back, events by callback and by
 * hb_failover_next_event, waits woken by free and by signals. Prints "ok -
 * NAME" or "not ok - NAME: DETAIL" per check, then "N passed, M failed";
 * exits non-zero when a check failed. Every wait is bounded.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"


static pthread_t main_thread;

/* What a failover broker's event callback saw (written on its monitor thread). */
struct fo_seen {
    pthread_mutex_t mu;
    hb_failover *self; /* set once hb_failover_new returned */
    int count;
    int last_active;
    uint64_t last_at;
    char last_reason[256];
    int on_main_thread; /* calls made on the main thread (must stay 0) */
    int own_call_ok;      /* own-handle calls from the callback that worked */
    int own_call_failed;  /* ... or not */
};

static void fo_seen_init(struct fo_seen *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->last_active = -1;
}

static void fo_seen_get(struct fo_seen *s, int *count, int *active, char *reason, size_t len) {
    pthread_mutex_lock(&s->mu);
    *count = s->count;
    *active = s->last_active;
    snprintf(reason, len, "%s", s->last_reason);
    pthread_mutex_unlock(&s->mu);
}

/* Wait (at most 2 s) until the callback has seen `want` events: it runs on
 * its own thread, after the event was queued for hb_failover_next_event. */
static void fo_seen_wait(struct fo_seen *s, int want, int *count, int *active, char *reason, size_t len) {
    long long end = now_ms() + 2000;
    for (;;) {
        fo_seen_get(s, count, active, reason, len);
        if (*count >= want || now_ms() >= end)
            return;
        struct timespec ts = {0, 2000000L};
        nanosleep(&ts, NULL);
    }
}

/* hb_failover_event_fn: runs on the broker's callback thread. */
static void on_failover_event(void *user, uint64_t at_ms, int32_t active, const char *reason) {
    struct fo_seen *s = user;
    pthread_mutex_lock(&s->mu);
    s->count++;
    s->last_active = active;
    s->last_at = at_ms;
    snprintf(s->last_reason, sizeof s->last_reason, "%s", reason ? reason : "(null)");
    if (pthread_equal(pthread_self(), main_thread))
        s->on_main_thread++;
    if (s->self) {
        /* Calls on its own handle from inside the callback work. */
        int32_t a = -1;
        hb_failover_stats_t fs = {.size = sizeof fs};
        if (hb_failover_is_active(s->self, &a) == HB_OK && hb_failover_stats(s->self, &fs) == HB_OK)
            s->own_call_ok++;
        else
            s->own_call_failed++;
    }
    pthread_mutex_unlock(&s->mu);
}

/* Start one broker of the pair on wildcard XSUB/XPUB ports, 50 ms
 * heartbeats on `hb`, its events recorded in `seen` by on_failover_event;
 * `seen` also gets the handle (for the callback's own-handle calls). */
static int start_member(int32_t role, const char *hb, const char *peer_hb, uint32_t peer_interval_ms,
                        uint32_t misses, struct fo_seen *seen, hb_failover **out, const char *name) {
    const char *any = "tcp://127.0.0.1:*";
    if (!expect(hb_failover_new(role, any, any, hb, 50, peer_hb, peer_interval_ms, misses, NULL, on_failover_event,
                                seen, out),
                HB_OK, name))
        return 0;
    pthread_mutex_lock(&seen->mu);
    seen->self = *out;
    pthread_mutex_unlock(&seen->mu);
    return 1;
}

/* Poll hb_failover_is_active until it reports `want`, at most `ms`. */
static int wait_active(hb_failover *f, int32_t want, long ms) {
    long long end = now_ms() + ms;
    for (;;) {
        int32_t a = -1;
        if (hb_failover_is_active(f, &a) == HB_OK && a == want)
            return 1;
        if (now_ms() >= end)
            return 0;
        sleep_ms(5);
    }
}

static int32_t is_active(hb_failover *f) {
    int32_t a = -1;
    return hb_failover_is_active(f, &a) == HB_OK ? a : -1;
}

static void failover_edge_cases(void) {
    char buf[256];
    size_t n = 0;
    uint64_t at = 0;
    int32_t active = -1;
    hb_failover_stats_t fs = {.size = sizeof fs};
    hb_broker_stats_t bs = {.size = sizeof bs};
    hb_failover *f = NULL;
    const char *peer = "tcp://127.0.0.1:1";
    const char *any = "tcp://127.0.0.1:*";

    expect(hb_failover_new(7, any, any, any, 50, peer, 0, 0, NULL, NULL, NULL, &f), HB_INVALID_ARGUMENT,
           "failover: bad role");
    expect_last_error_has("role must be HB_ROLE_PRIMARY (0) or HB_ROLE_BACKUP (1)", "failover: bad role explained");
    check(f == NULL, "failover: out untouched on failure", NULL);
    expect(hb_failover_new(-1, any, any, any, 50, peer, 0, 0, NULL, NULL, NULL, &f), HB_INVALID_ARGUMENT,
           "failover: negative role");
    expect(hb_failover_new(HB_ROLE_BACKUP, any, any, any, 50, NULL, 0, 0, NULL, NULL, NULL, &f), HB_INVALID_ARGUMENT,
           "failover: peer_hb_ep is required");
    expect_last_error_has("peer_hb_ep is NULL", "failover: NULL peer explained");
    expect(hb_failover_new(HB_ROLE_BACKUP, any, any, any, 50, peer, 0, 0, NULL, NULL, NULL, NULL), HB_INVALID_ARGUMENT,
           "failover: NULL out");
    expect(hb_failover_new(HB_ROLE_BACKUP, "nonsense", any, any, 50, peer, 0, 0, NULL, NULL, NULL, &f), HB_CONFIG,
           "failover: unbindable endpoint");
    expect(hb_failover_new(HB_ROLE_BACKUP, any, any, any, 50, peer, 0, 0, "nonsense", NULL, NULL, &f), HB_CONFIG,
           "failover: unbindable control endpoint");
    check(f == NULL, "failover: still untouched", NULL);

    /* NULL handles. */
    expect(hb_failover_is_active(NULL, &active), HB_INVALID_HANDLE, "failover: is_active(NULL)");
    expect(hb_failover_next_event(NULL, 0, &at, &active, buf, sizeof buf, NULL), HB_INVALID_HANDLE,
           "failover: next_event(NULL)");
    expect(hb_failover_handback(NULL, 100), HB_INVALID_HANDLE, "failover: handback(NULL)");
    expect(hb_failover_stats(NULL, &fs), HB_INVALID_HANDLE, "failover: stats(NULL)");
    expect(hb_failover_broker_stats(NULL, &bs), HB_INVALID_HANDLE, "failover: broker_stats(NULL)");
    expect(hb_failover_endpoint(NULL, 0, buf, sizeof buf, NULL), HB_INVALID_HANDLE, "failover: endpoint(NULL)");
    expect(hb_failover_stop(NULL), HB_INVALID_HANDLE, "failover: stop(NULL)");
    expect(hb_failover_free(NULL), HB_OK, "failover: free(NULL)");

    /* A lone backup (its peer never answers), with defaults for interval and
     * misses overridden, a control endpoint "" (= none) and no callback. */
    if (!expect(hb_failover_new(HB_ROLE_BACKUP, any, any, any, 50, peer, 0, 0, "", NULL, NULL, &f), HB_OK,
                "failover: lone backup"))
        return;
    expect(hb_failover_is_active(f, NULL), HB_INVALID_ARGUMENT, "failover: is_active NULL out");
    expect(hb_failover_stats(f, NULL), HB_INVALID_ARGUMENT, "failover: stats NULL out");
    expect(hb_failover_broker_stats(f, NULL), HB_INVALID_ARGUMENT, "failover: broker_stats NULL out");
    expect(hb_failover_next_event(f, 0, NULL, &active, buf, sizeof buf, NULL), HB_INVALID_ARGUMENT,
           "failover: next_event NULL at_ms");
    expect(hb_failover_next_event(f, 0, &at, NULL, buf, sizeof buf, NULL), HB_INVALID_ARGUMENT,
           "failover: next_event NULL active");
    expect(hb_failover_next_event(f, 0, &at, &active, NULL, 8, NULL), HB_INVALID_ARGUMENT,
           "failover: next_event NULL reason with len > 0");
    expect(hb_failover_endpoint(f, 2, buf, sizeof buf, NULL), HB_INVALID_ARGUMENT, "failover: endpoint bad which");
    hb_client *c = NULL;
    if (expect(hb_client_new("127.0.0.1:1:2", 0, 300, &c), HB_OK, "failover: a client for the wrong-type check")) {
        expect(hb_failover_is_active((hb_failover *)c, &active), HB_INVALID_HANDLE, "failover: wrong-type handle");
        expect_last_error_has("expected an hb_failover handle, got an hb_client handle",
                              "failover: wrong-type handle explained");
        hb_client_free(c);
    }
    /* The primary never beats: the lone backup takes over within the window (3 x 50 ms). */
    expect(hb_failover_next_event(f, 3000, &at, &active, NULL, 0, &n), HB_OK,
           "failover: lone backup takes over (event, reason skipped)");
    check(active == 1 && n > 0 && at > 0, "failover: take-over event active=1, reason length, time", NULL);
    expect(hb_failover_handback(f, 500), HB_CONFIG, "failover: handback with no primary refused");
    expect_last_error_has("primary is not running", "failover: handback refusal explained");

    /* Free a running broker. */
    expect(hb_failover_free(f), HB_OK, "failover: free a running broker");
    expect(hb_failover_free(f), HB_INVALID_HANDLE, "failover: double free");
    expect(hb_failover_is_active(f, &active), HB_INVALID_HANDLE, "failover: use after free");
    expect(hb_failover_stop(f), HB_INVALID_HANDLE, "failover: stop after free");
}

struct waiter {
    hb_failover *f;
    atomic_int status; /* -1 while waiting */
};

static void *wait_forever(void *arg) {
    struct waiter *w = arg;
    uint64_t at;
    int32_t active;
    char reason[128];
    hb_status st;
    /* Drain what is queued, then wait, one bounded wait after another. */
    while ((st = hb_failover_next_event(w->f, 1000, &at, &active, reason, sizeof reason, NULL)) == HB_OK ||
           st == HB_TIMEOUT) {
    }
    atomic_store(&w->status, (int)st);
    return NULL;
}

static void failover_pair(void) {
    char p_hb[64], b_hb[64], buf[400], reason[256], seen_reason[256];
    size_t n = 0;
    uint64_t at = 0;
    int32_t active = -1;
    int count = 0, seen_active = -1;
    hb_failover *pri = NULL, *bak = NULL;
    hb_failover_stats_t fs = {.size = sizeof fs};
    hb_broker_stats_t bs = {.size = sizeof bs};
    struct fo_seen ps, bseen;
    fo_seen_init(&ps);
    fo_seen_init(&bseen);

    int pp = free_port(), bp = free_port();
    check(pp > 0 && bp > 0 && pp != bp, "failover: two free ports", NULL);
    snprintf(p_hb, sizeof p_hb, "tcp://127.0.0.1:%d", pp);
    snprintf(b_hb, sizeof b_hb, "tcp://127.0.0.1:%d", bp);

    /* Primary and backup, 50 ms heartbeats. The peer counts as dead after
     * 6 misses for the backup (take-over in ~300 ms), 10 for the primary
     * (a starting broker waits that long, plus 500 ms, to hear its peer
     * before it decides alone): generous, so a loaded machine does not make
     * the test flaky. */
    if (!start_member(HB_ROLE_PRIMARY, p_hb, b_hb, 0, 10, &ps, &pri, "failover: primary"))
        return;
    if (!start_member(HB_ROLE_BACKUP, b_hb, p_hb, 50, 6, &bseen, &bak, "failover: backup")) {
        hb_failover_free(pri);
        return;
    }

    check(wait_active(pri, 1, 3000), "failover: the primary becomes active", NULL);
    sleep_ms(700); /* two take-over windows of the backup */
    check(is_active(bak) == 0, "failover: the backup stays passive while the primary beats", NULL);
    check(is_active(pri) == 1, "failover: the primary stays active", NULL);
    expect(hb_failover_next_event(pri, 2000, &at, &active, reason, sizeof reason, &n), HB_OK,
           "failover: primary's activation event");
    check(active == 1 && n == strlen(reason) && n > 0, "failover: primary event active=1 with a reason", reason);
    expect(hb_failover_next_event(bak, 0, &at, &active, reason, sizeof reason, NULL), HB_TIMEOUT,
           "failover: no event on the passive backup");

    char ep0[128], ep1[128];
    expect(hb_failover_endpoint(pri, 0, ep0, sizeof ep0, NULL), HB_OK, "failover: endpoint xsub");
    expect(hb_failover_endpoint(pri, 1, ep1, sizeof ep1, &n), HB_OK, "failover: endpoint xpub");
    check(port_of(ep0) > 0 && port_of(ep1) > 0 && port_of(ep0) != port_of(ep1) && n == strlen(ep1),
          "failover: wildcard ports resolved", ep0);
    expect(hb_failover_endpoint(pri, 0, buf, 6, &n), HB_BUFFER_TOO_SMALL, "failover: endpoint buffer too small");
    check(n == strlen(ep0) && strlen(buf) == 0, "failover: endpoint not cut, out_len = length needed", buf);
    expect(hb_failover_stats(pri, &fs), HB_OK, "failover: primary stats");
    check(fs.active == 1 && fs.activations == 1 && fs.deactivations == 0 && fs.peer_heartbeats > 0 &&
              fs.peer_silent_ms < 1000,
          "failover: primary stats active, 1 activation, peer heard", NULL);
    expect(hb_failover_broker_stats(pri, &bs), HB_OK, "failover: broker stats");
    expect(hb_failover_handback(pri, 1000), HB_CONFIG, "failover: handback asked of the primary refused");
    expect_last_error_has("backup", "failover: primary handback refusal explained");
    expect(hb_failover_handback(bak, 1000), HB_CONFIG, "failover: handback by a passive backup refused");
    expect_last_error_has("not active", "failover: passive handback refusal explained");

    /* The primary stops: the backup takes over within 2 s. */
    long long t0 = now_ms();
    expect(hb_failover_stop(pri), HB_OK, "failover: stop the primary");
    expect(hb_failover_stop(pri), HB_OK, "failover: stop twice");
    hb_status st = hb_failover_next_event(bak, 2000, &at, &active, reason, sizeof reason, &n);
    long long took = now_ms() - t0;
    expect(st, HB_OK, "failover: backup take-over event within 2 s");
    snprintf(buf, sizeof buf, "active=%d after %lld ms: %s", active, took, reason);
    check(st == HB_OK && active == 1 && took < 2000, "failover: take-over event active=1", buf);
    check(strstr(reason, "primary silent") != NULL, "failover: take-over reason", reason);
    check(is_active(bak) == 1, "failover: the backup is active", NULL);
    fo_seen_wait(&bseen, 1, &count, &seen_active, seen_reason, sizeof seen_reason);
    check(count == 1 && seen_active == 1 && strcmp(seen_reason, reason) == 0,
          "failover: the callback saw the same event", seen_reason);

    /* The stopped primary: readable, inert. */
    check(is_active(pri) == 0, "failover: stopped primary is not active", NULL);
    expect(hb_failover_stats(pri, &fs), HB_OK, "failover: stats after stop");
    check(fs.active == 0 && fs.activations == 1, "failover: final stats", NULL);
    expect(hb_failover_endpoint(pri, 0, buf, sizeof buf, NULL), HB_OK, "failover: endpoint after stop");
    expect(hb_failover_next_event(pri, 1000, &at, &active, reason, sizeof reason, NULL), HB_STOPPED,
           "failover: next_event on a stopped broker returns at once");
    expect(hb_failover_handback(pri, 100), HB_STOPPED, "failover: handback on a stopped broker");
    expect(hb_failover_handback(bak, 1000), HB_CONFIG, "failover: handback refused while the primary is dead");
    expect_last_error_has("primary is not running", "failover: dead-primary refusal explained");
    check(is_active(bak) == 1, "failover: the backup is still active after a refused handback", NULL);
    expect(hb_failover_free(pri), HB_OK, "failover: free the stopped primary");
    expect(hb_failover_free(pri), HB_INVALID_HANDLE, "failover: double free primary");

    /* The primary comes back on the same heartbeat port: it stays passive
     * (its first bare `HB` must not pass for an original, always-active
     * primary at the backup either). */
    pthread_mutex_destroy(&ps.mu);
    fo_seen_init(&ps);
    if (!start_member(HB_ROLE_PRIMARY, p_hb, b_hb, 0, 10, &ps, &pri,
                      "failover: primary restarted on the same heartbeat port")) {
        hb_failover_free(bak);
        return;
    }
    long long end = now_ms() + 3000;
    do {
        fs.peer_heartbeats = 0;
        hb_failover_stats(pri, &fs);
        if (fs.peer_heartbeats > 3)
            break;
        sleep_ms(5);
    } while (now_ms() < end);
    sleep_ms(600); /* a dozen heartbeats later */
    check(fs.peer_heartbeats > 3, "failover: restarted primary hears the backup", NULL);
    check(is_active(pri) == 0, "failover: restarted primary stays passive (no split brain)", NULL);
    check(is_active(bak) == 1, "failover: the backup keeps the traffic", NULL);
    expect(hb_failover_next_event(pri, 0, &at, &active, reason, sizeof reason, NULL), HB_TIMEOUT,
           "failover: no event on the passive primary");

    /* A thread waits on the backup's events (bounded waits in a loop). */
    struct waiter w = {bak, -1};
    pthread_t th;
    int waiting = pthread_create(&th, NULL, wait_forever, &w) == 0;

    /* Hand-back: the primary takes the traffic, the backup yields. */
    expect(hb_failover_handback(bak, 2000), HB_OK, "failover: handback");
    check(wait_active(pri, 1, 2000), "failover: primary active after handback", NULL);
    check(is_active(bak) == 0, "failover: backup passive after handback", NULL);
    expect(hb_failover_next_event(pri, 2000, &at, &active, NULL, 0, &n), HB_OK,
           "failover: primary event after handback (reason skipped)");
    check(active == 1 && n > 0, "failover: primary event active=1", NULL);
    fo_seen_wait(&ps, 1, &count, &seen_active, seen_reason, sizeof seen_reason);
    check(count == 1 && seen_active == 1, "failover: primary callback saw it", seen_reason);
    fo_seen_wait(&bseen, 2, &count, &seen_active, seen_reason, sizeof seen_reason);
    check(count == 2 && seen_active == 0 && strstr(seen_reason, "hand-back") != NULL,
          "failover: backup callback saw the hand-back", seen_reason);
    expect(hb_failover_handback(bak, 1000), HB_CONFIG, "failover: second handback refused");
    expect(hb_failover_stats(bak, &fs), HB_OK, "failover: backup stats");
    check(fs.active == 0 && fs.activations == 1 && fs.deactivations == 1, "failover: backup 1 activation, 1 deactivation",
          NULL);

    pthread_mutex_lock(&bseen.mu);
    check(bseen.on_main_thread == 0 && bseen.own_call_ok == 2 && bseen.own_call_failed == 0,
          "failover: callback on its own thread, own-handle calls work", NULL);
    pthread_mutex_unlock(&bseen.mu);

    /* Freeing the backup wakes the waiting thread: it took the hand-back
     * event, then gets HB_STOPPED. */
    expect(hb_failover_free(bak), HB_OK, "failover: free the backup while a thread waits");
    if (waiting) {
        long long e2 = now_ms() + 3000;
        while (atomic_load(&w.status) == -1 && now_ms() < e2)
            sleep_ms(5);
        int ws = atomic_load(&w.status);
        check(ws == HB_STOPPED, "failover: the waiting next_event returns HB_STOPPED on free", NULL);
        if (ws != -1)
            pthread_join(th, NULL);
        else
            pthread_detach(th);
    }
    expect(hb_failover_free(pri), HB_OK, "failover: free the primary");
    pthread_mutex_destroy(&ps.mu);
    pthread_mutex_destroy(&bseen.mu);
}

int main(void) {
    long long t0 = now_ms();
    main_thread = pthread_self();
    failover_edge_cases();
    failover_pair();
    printf("%d passed, %d failed (%lld ms)\n", passed, failed, now_ms() - t0);
    return failed ? 1 : 0;
}
