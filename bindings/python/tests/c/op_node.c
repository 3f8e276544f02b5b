/*
 * op_node: one operation node in C on libhypobus (hb_op_new with a C
 * callback that squares), for the mixed-language lab test.
 *
 *   op_node LANE BROKERS     e.g. op_node 2 '127.0.0.1:5555:5556'
 *
 * Prints "C op node lane N ready", then "C square x" for every call (from
 * the node's callback thread), and runs until stdin is closed; then prints
 * its counters and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hypobus.h"

static int32_t square(void *user, double x, double *out) {
    (void)user;
    *out = x * x;
    printf("C square %g\n", x);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: op_node LANE BROKERS\n");
        return 2;
    }
    hb_op *op = NULL;
    hb_status st = hb_op_new(argv[2], (uint32_t)atoi(argv[1]), square, NULL, &op);
    if (st != HB_OK) {
        char msg[HB_ERROR_MAX];
        hb_last_error(msg, sizeof msg, NULL);
        fprintf(stderr, "op_node: hb_op_new failed: %s\n", msg);
        return 1;
    }
    printf("C op node lane %s ready\n", argv[1]);
    fflush(stdout);
    while (getchar() != EOF) {
    }
    hb_op_stats_t s = {.size = sizeof s};
    hb_op_stats(op, &s);
    hb_op_free(op);
    printf("C op node: requests %llu, replies %llu\n", (unsigned long long)s.requests, (unsigned long long)s.replies);
    return 0;
}
