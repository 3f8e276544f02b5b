/*
 * Helpers shared by the course-pattern programs (tests/c/patterns/NAME.c):
 * checks that end the program with a message, sockets on wildcard loopback
 * ports, whole-message send and receive with bounded waits (over the
 * examples' examples/c/frames.h).
 *
 * Every program runs its parties as threads of one process, waits only
 * with time-outs, checks real results and exits 0 (all good) or 1.
 */
#ifndef PATTERNS_H
#define PATTERNS_H

#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hypobus.h"
/* frames_send, frames_recv: the examples' messages of text frames */
#include "../../../examples/c/frames.h"

/* Print why and exit 1 (from any thread). */
static inline void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* A status that must be HB_OK; on failure, say what and why (handle's error). */
static inline void ok_or_die(hb_status st, const void *handle, const char *what) {
    if (st == HB_OK)
        return;
    char name[32], msg[HB_ERROR_MAX];
    int32_t s = 0, e = 0;
    hb_status_name((int32_t)st, name, sizeof name, NULL);
    if (hb_error_info(handle, &s, &e, msg, sizeof msg, NULL) != HB_OK)
        hb_last_error(msg, sizeof msg, NULL);
    fail("%s: %s (errno %d): %s", what, name, (int)e, msg);
}

#define CHECK(cond, ...)          \
    do {                          \
        if (!(cond))              \
            fail(__VA_ARGS__);    \
    } while (0)

static inline double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static inline hb_socket *sock_new(int32_t type) {
    hb_socket *s = NULL;
    ok_or_die(hb_socket_new(type, &s), NULL, "hb_socket_new");
    ok_or_die(hb_socket_setopt_int(s, HB_LINGER, 0), s, "LINGER");
    return s;
}

/* Bind to a free loopback port; the real endpoint goes to ep (HB_TEXT_MAX bytes). */
static inline void bind_any(hb_socket *s, char *ep) {
    ok_or_die(hb_socket_bind(s, "tcp://127.0.0.1:*", ep, HB_TEXT_MAX, NULL), s, "bind");
}

static inline void connect_to(hb_socket *s, const char *ep) {
    ok_or_die(hb_socket_connect(s, ep), s, ep);
}

static inline void set_id(hb_socket *s, const char *id) {
    ok_or_die(hb_socket_setopt(s, HB_ROUTING_ID, id, strlen(id)), s, "ROUTING_ID");
}

/* A socket of `type` bound to a free loopback port (endpoint to ep, HB_TEXT_MAX bytes). */
static inline hb_socket *sock_bound(int32_t type, char *ep) {
    hb_socket *s = sock_new(type);
    bind_any(s, ep);
    return s;
}

/* A socket of `type` with the routing id `id` (none if NULL), connected to ep. */
static inline hb_socket *sock_connected(int32_t type, const char *ep, const char *id) {
    hb_socket *s = sock_new(type);
    if (id)
        set_id(s, id);
    connect_to(s, ep);
    return s;
}

/* Send one message of n text frames. */
static inline void send_frames(hb_socket *s, const char *const *frames, size_t n) {
    hb_status st = frames_send(s, frames, n, 5000);
    CHECK(st != HB_BUFFER_TOO_SMALL, "message too big (%zu frames)", n);
    ok_or_die(st, s, "send");
}

static inline void send_str(hb_socket *s, const char *text) {
    send_frames(s, &text, 1);
}

/* One received message, frames also as NUL-terminated strings (m.frame). */
typedef frames_msg msg_t;

/* Receive one whole message within timeout_ms; returns HB_OK or HB_TIMEOUT
 * (anything else ends the program). */
static inline hb_status recv_msg(hb_socket *s, int32_t timeout_ms, msg_t *m) {
    hb_status st = frames_recv(s, timeout_ms, m);
    if (st != HB_TIMEOUT)
        ok_or_die(st, s, "recv");
    return st;
}

/* Receive one message or fail after timeout_ms. */
static inline void recv_or_die(hb_socket *s, int32_t timeout_ms, msg_t *m, const char *what) {
    if (recv_msg(s, timeout_ms, m) != HB_OK)
        fail("%s: nothing within %d ms", what, (int)timeout_ms);
}

/* A REQ's round: send `text`, receive the reply (at most 5 s) into m. */
static inline void ask(hb_socket *req, const char *text, msg_t *m) {
    send_str(req, text);
    recv_or_die(req, 5000, m, "client recv");
}

/* A REQ's round with a request made from fmt (printf style): send it,
 * receive the reply (at most 5 s) into m, and fail unless the reply is one
 * frame that repeats the request and a space (the brokers' workers answer
 * "REQUEST by WORKER"). */
__attribute__((format(printf, 3, 4)))
static inline void ask_echoed(hb_socket *req, msg_t *m, const char *fmt, ...) {
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ask(req, text, m);
    size_t k = strlen(text);
    CHECK(m->n == 1 && strncmp(m->frame[0], text, k) == 0 && m->frame[0][k] == ' ', "'%s' got '%s'", text,
          m->frame[0]);
}

/* Wait (bounded) until `s` has seen `count` events of type `event` (monitor
 * started by the caller with hb_socket_monitor). */
static inline void wait_events(hb_socket *s, int32_t event, int count, int32_t timeout_ms, const char *what) {
    double end = now_s() + timeout_ms / 1000.0;
    int seen = 0;
    while (seen < count) {
        CHECK(now_s() < end, "%s: %d of %d events within %d ms", what, seen, count, (int)timeout_ms);
        hb_socket_event_t ev;
        ev.size = sizeof ev;
        hb_status st = hb_socket_next_event(s, 200, &ev, NULL, 0, NULL);
        if (st == HB_TIMEOUT)
            continue;
        ok_or_die(st, s, "hb_socket_next_event");
        if (ev.event == event)
            seen++;
    }
}

#endif
