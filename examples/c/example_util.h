/*
 * example_util.h: what the C examples share, so that each example shows
 * the library and not the same error reporting again: a failed call is
 * reported with its status name and the library's explanation.
 *
 * Header-only and needing nothing but hypobus.h, so an example still
 * builds with one command (the quotes find this file beside the example):
 *
 *   cc lab_node.c $(pkg-config --cflags --libs libhypobus) -o lab_node
 *
 * Define EXAMPLE_NAME, the program's name for its messages, first:
 *
 *   #define EXAMPLE_NAME "lab_node"
 *   #include "example_util.h"
 */
#ifndef HYPOBUS_EXAMPLE_UTIL_H
#define HYPOBUS_EXAMPLE_UTIL_H

#ifndef EXAMPLE_NAME
#error "define EXAMPLE_NAME (the program's name, for its messages) before including example_util.h"
#endif

#include <stdio.h>

#include "hypobus.h"

/* Print "EXAMPLE_NAME: WHAT: HB_STATUS_NAME: explanation" on stderr and
 * return 1 (the exit code of a failure). The explanation is `handle`'s last
 * failure (hb_error_info) when a handle is given, else the last failure of
 * this thread (hb_last_error). Error texts always fit HB_ERROR_MAX bytes. */
static inline int example_fail(const char *what, hb_status st, const void *handle) {
    char name[32], msg[HB_ERROR_MAX];
    int32_t s = 0, e = 0;
    hb_status_name((int32_t)st, name, sizeof name, NULL);
    if (handle == NULL || hb_error_info(handle, &s, &e, msg, sizeof msg, NULL) != HB_OK)
        hb_last_error(msg, sizeof msg, NULL);
    fprintf(stderr, EXAMPLE_NAME ": %s: %s: %s\n", what, name, msg);
    return 1;
}

/* CHECK(call): make a call that returns hb_status; unless it is HB_OK,
 * report "CALL failed", set the caller's `rc` to 1 and jump to its label
 * `out` (where everything created so far is freed). */
#define CHECK(call)                                        \
    do {                                                   \
        hb_status st_ = (call);                            \
        if (st_ != HB_OK) {                                \
            rc = example_fail(#call " failed", st_, NULL); \
            goto out;                                      \
        }                                                  \
    } while (0)

#endif
