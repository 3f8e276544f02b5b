/*
 * task_client: sends every BODY to a task broker at once (many requests in
 * flight) and prints each outcome on its own line, in the order they come:
 * "ok <id> <result>" or "failed <id> <reason>".
 *
 *   task_client FRONTEND_EP [-s SERVICE] BODY...
 *
 * Lazy pirate: each request is resent with its id after 1 s without an
 * answer, and gives up after 5 tries. Exits 0 when every request got a
 * result, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "hypobus.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: task_client FRONTEND_EP [-s SERVICE] BODY...\n");
        return 2;
    }
    const char *service = "";
    int first = 2;
    if (argc > 4 && strcmp(argv[2], "-s") == 0) {
        service = argv[3];
        first = 4;
    }
    hb_task_client_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.broker = argv[1];
    cfg.timeout_ms = 1000;
    cfg.tries = 5;
    hb_task_client *c = NULL;
    char msg[HB_ERROR_MAX];
    if (hb_task_client_new(&cfg, &c) != HB_OK) {
        hb_last_error(msg, sizeof msg, NULL);
        fprintf(stderr, "task_client: %s\n", msg);
        return 1;
    }
    int n = argc - first, failed = 0;
    for (int i = first; i < argc; i++) {
        if (hb_task_client_submit(c, service, argv[i], strlen(argv[i]), NULL, 0, NULL) != HB_OK) {
            hb_last_error(msg, sizeof msg, NULL);
            fprintf(stderr, "task_client: submit: %s\n", msg);
            return 1;
        }
    }
    for (int got = 0; got < n; got++) {
        char id[HB_TEXT_MAX];
        static char out[1 << 20];
        size_t len = 0;
        int32_t outcome = -1;
        hb_status st = hb_task_client_next(c, 10000, id, sizeof id, NULL, &outcome, out, sizeof out - 1, &len);
        if (st != HB_OK) {
            hb_last_error(msg, sizeof msg, NULL);
            fprintf(stderr, "task_client: %d of %d outcomes: %s\n", got, n, msg);
            return 1;
        }
        out[len] = '\0';
        printf("%s %s %s\n", outcome == HB_TASK_OK ? "ok" : "failed", id, out);
        failed += outcome != HB_TASK_OK;
    }
    hb_task_client_free(c);
    return failed ? 1 : 0;
}
