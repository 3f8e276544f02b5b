/*
 * check.h: the C tests' checks ("ok - NAME" / "not ok - NAME: DETAIL", the
 * counts for the last line "N passed, M failed") and small helpers they
 * share. Header-only: each test program includes it once.
 */
#ifndef HYPOBUS_TEST_CHECK_H
#define HYPOBUS_TEST_CHECK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hypobus.h"

static int passed, failed;

static inline void last_error(char *buf, size_t len) {
    if (hb_last_error(buf, len, NULL) != HB_OK && len > 0)
        buf[len - 1] = '\0';
}

static inline void check(int cond, const char *name, const char *detail) {
    if (cond) {
        passed++;
        printf("ok - %s\n", name);
    } else {
        failed++;
        printf("not ok - %s: %s\n", name, detail ? detail : "");
    }
    fflush(stdout);
}

/* Check a status; on mismatch report both names and the last error. */
static inline int expect(hb_status got, hb_status want, const char *name) {
    char detail[1400] = "";
    if (got != want) {
        char g[32], w[32], msg[1024];
        hb_status_name((int32_t)got, g, sizeof g, NULL);
        hb_status_name((int32_t)want, w, sizeof w, NULL);
        last_error(msg, sizeof msg);
        snprintf(detail, sizeof detail, "got %s, want %s (last error: %s)", g, w, msg);
    }
    check(got == want, name, detail);
    return got == want;
}

static inline void expect_last_error_has(const char *needle, const char *name) {
    char msg[1024], detail[1200];
    last_error(msg, sizeof msg);
    snprintf(detail, sizeof detail, "last error %s lacks %s", msg, needle);
    check(strstr(msg, needle) != NULL, name, detail);
}

static inline void expect_str(const char *got, const char *want, const char *name) {
    char detail[600];
    snprintf(detail, sizeof detail, "got \"%s\", want \"%s\"", got, want);
    check(strcmp(got, want) == 0, name, detail);
}

static inline long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline long port_of(const char *ep) {
    const char *colon = strrchr(ep, ':');
    return colon ? strtol(colon + 1, NULL, 10) : 0;
}

static inline void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A free loopback TCP port (the failover brokers' heartbeat endpoints must
 * be known to each other before they start, so no wildcard there). */
static inline int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &n) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

#endif
