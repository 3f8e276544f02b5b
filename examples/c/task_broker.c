/*
 * task_broker: a task broker (the course's request/reply brokers) from C.
 *
 *   task_broker [--frontend EP] [--backend EP] [--policy lru|load]
 *               [--db PATH | --store STORE] [--answer-timeout-ms N] [--hb-interval-ms N]
 *
 * STORE is the journal as the C ABI takes it: memory, sqlite:PATH, or
 * postgres://USER@HOST:PORT/DB (PostgreSQL: the database and its schema
 * are made on first use; psql shows the view "results").
 *
 * Defaults: free loopback ports, lru, a memory journal. Prints
 * "frontend EP", "backend EP" and "ready", runs until its standard input
 * closes (or a line "quit"), then prints its counters and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypobus.h"
#define EXAMPLE_NAME "task_broker"
#include "example_util.h" /* example_fail(): report a failed call */

int main(int argc, char **argv) {
    hb_task_broker_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.frontend = "tcp://127.0.0.1:*";
    cfg.backend = "tcp://127.0.0.1:*";
    char store[1024] = "";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            fprintf(stderr, "task_broker: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--frontend") == 0)
            cfg.frontend = v;
        else if (strcmp(a, "--backend") == 0)
            cfg.backend = v;
        else if (strcmp(a, "--policy") == 0)
            cfg.policy = strcmp(v, "load") == 0 ? HB_TASK_LOAD : HB_TASK_LRU;
        else if (strcmp(a, "--db") == 0) {
            snprintf(store, sizeof store, "sqlite:%s", v);
            cfg.store = store;
        } else if (strcmp(a, "--store") == 0)
            cfg.store = v;
        else if (strcmp(a, "--answer-timeout-ms") == 0)
            cfg.answer_timeout_ms = (uint32_t)atoi(v);
        else if (strcmp(a, "--hb-interval-ms") == 0)
            cfg.hb_interval_ms = (uint32_t)atoi(v);
        else {
            fprintf(stderr, "task_broker: unknown option %s\n", a);
            return 2;
        }
    }
    hb_log_enable(HB_LOG_STDERR);
    hb_task_broker *b = NULL;
    hb_status st = hb_task_broker_new(&cfg, &b);
    if (st != HB_OK)
        return example_fail("starting", st, NULL);
    char ep[HB_TEXT_MAX];
    hb_task_broker_endpoint(b, HB_TASK_FRONTEND, ep, sizeof ep, NULL);
    printf("frontend %s\n", ep);
    hb_task_broker_endpoint(b, HB_TASK_BACKEND, ep, sizeof ep, NULL);
    printf("backend %s\nready\n", ep);
    fflush(stdout);

    char line[256];
    while (fgets(line, sizeof line, stdin) != NULL && strncmp(line, "quit", 4) != 0) {
    }
    hb_task_broker_stats_t s;
    s.size = sizeof s;
    if ((st = hb_task_broker_stop(b)) != HB_OK)
        return example_fail("stopping", st, b);
    hb_task_broker_stats(b, &s);
    printf("requests %llu replies %llu errors %llu timeouts %llu late %llu workers registered %llu recovered %llu\n",
           (unsigned long long)s.requests, (unsigned long long)s.replies, (unsigned long long)s.errors,
           (unsigned long long)s.timeouts, (unsigned long long)s.late, (unsigned long long)s.registered,
           (unsigned long long)s.recovered);
    hb_task_broker_free(b);
    return 0;
}
