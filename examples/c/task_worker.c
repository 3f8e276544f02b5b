/*
 * task_worker: a task worker whose handler is a C function, run by the
 * library on a pool of callback threads.
 *
 *   task_worker BACKEND_EP [THREADS [SERVICES [LOAD]]]
 *
 * Answers every request with "<service>:" and the request upper-cased; a
 * request "fail" gets an error answer. SERVICES is comma-separated ("" =
 * the default service); LOAD, if given, is the load reported to a broker
 * with the load policy. Prints "ready", runs until its standard input
 * closes, then prints its counters and exits 0.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypobus.h"

/* Each callback thread answers from its own buffer (valid until its next call). */
static _Thread_local unsigned char reply_buf[65536 + 64];

static int32_t upper(void *user, const char *service, const uint8_t *req, size_t len, const uint8_t **reply,
                     size_t *reply_len) {
    (void)user;
    if (len == 4 && memcmp(req, "fail", 4) == 0) {
        static const char why[] = "this worker refuses 'fail'";
        *reply = (const uint8_t *)why;
        *reply_len = sizeof why - 1;
        return 1;
    }
    size_t n = (size_t)snprintf((char *)reply_buf, 64, "%s:", service);
    if (len > sizeof reply_buf - n)
        len = sizeof reply_buf - n;
    for (size_t i = 0; i < len; i++)
        reply_buf[n + i] = (unsigned char)toupper(req[i]);
    *reply = reply_buf;
    *reply_len = n + len;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: task_worker BACKEND_EP [THREADS [SERVICES [LOAD]]]\n");
        return 2;
    }
    hb_task_worker_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.broker = argv[1];
    cfg.threads = argc > 2 ? (uint32_t)atoi(argv[2]) : 2;
    cfg.services = argc > 3 ? argv[3] : NULL;
    hb_task_worker *w = NULL;
    hb_status st = hb_task_worker_new(&cfg, upper, NULL, &w);
    if (st != HB_OK) {
        char msg[HB_ERROR_MAX];
        hb_last_error(msg, sizeof msg, NULL);
        fprintf(stderr, "task_worker: %s\n", msg);
        return 1;
    }
    if (argc > 4)
        hb_task_worker_set_load(w, atoi(argv[4]));
    printf("ready\n");
    fflush(stdout);
    char line[256];
    while (fgets(line, sizeof line, stdin) != NULL) {
    }
    hb_task_worker_stop(w);
    hb_task_worker_stats_t s;
    s.size = sizeof s;
    hb_task_worker_stats(w, &s);
    printf("jobs %llu replies %llu errors %llu reconnects %llu\n", (unsigned long long)s.jobs,
           (unsigned long long)s.replies, (unsigned long long)s.errors, (unsigned long long)s.reconnects);
    hb_task_worker_free(w);
    return 0;
}
