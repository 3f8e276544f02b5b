/*
 * failover_broker: one broker of a primary/backup pair, built on
 * libhypobus's hb_failover API. Run one process per machine (or two on one
 * machine with different ports): the backup takes over when the primary
 * dies, a restarted primary stays passive while the backup is active, and
 * the backup hands back on request.
 *
 *   failover_broker --role primary|backup --hb EP --peer-hb EP
 *                   [--xsub EP] [--xpub EP] [--interval MS] [--misses N]
 *
 * --hb is this broker's heartbeat endpoint (bound), --peer-hb the other
 * broker's (connected). --xsub and --xpub default to the lab's ports 5555 and
 * 5556 on every interface; --interval (heartbeat period) to 1000 ms,
 * --misses to 3.
 *
 * Prints the resolved endpoints, then "ready", then one line per state
 * change: "event active REASON" or "event passive REASON". Reads commands
 * on stdin, one per line: "status" prints "status active" or "status
 * passive"; "handback" (on the backup) prints "handback ok" or "handback
 * refused: REASON". At end of input it stops, prints its counters and
 * exits 0.
 *
 * Events are read in pull style (hb_failover_next_event) from the main
 * loop, as a binding without callbacks would.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypobus.h"
#define EXAMPLE_NAME "failover_broker"
#include "example_util.h" /* CHECK(call): on failure report it, rc = 1, goto out */

static void usage(void) {
    fprintf(stderr, "usage: failover_broker --role primary|backup --hb EP --peer-hb EP [--xsub EP] [--xpub EP]"
                    " [--interval MS] [--misses N]\n");
}

/* Print every queued state change. */
static hb_status print_events(hb_failover *f) {
    for (;;) {
        uint64_t at_ms;
        int32_t active;
        char reason[512];
        hb_status st = hb_failover_next_event(f, 0, &at_ms, &active, reason, sizeof reason, NULL);
        if (st == HB_TIMEOUT)
            return HB_OK;
        if (st != HB_OK && st != HB_BUFFER_TOO_SMALL) /* a cut reason is still an event */
            return st;
        printf("event %s %s\n", active ? "active" : "passive", reason);
        fflush(stdout);
    }
}

static void command(hb_failover *f, const char *line) {
    if (strcmp(line, "status") == 0) {
        int32_t active = 0;
        hb_status st = hb_failover_is_active(f, &active);
        if (st == HB_OK)
            printf("status %s\n", active ? "active" : "passive");
        else
            example_fail("hb_failover_is_active failed", st, NULL);
    } else if (strcmp(line, "handback") == 0) {
        hb_status st = hb_failover_handback(f, 2000);
        if (st == HB_OK) {
            printf("handback ok\n");
        } else {
            char msg[512];
            hb_last_error(msg, sizeof msg, NULL);
            printf("handback refused: %s\n", msg);
        }
    } else if (line[0] != '\0') {
        printf("unknown command \"%s\" (status, handback)\n", line);
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    const char *role_s = NULL, *hb = NULL, *peer = NULL, *xsub = NULL, *xpub = NULL;
    unsigned long interval = 0, misses = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && strcmp(argv[i], "--role") == 0)
            role_s = v;
        else if (v && strcmp(argv[i], "--hb") == 0)
            hb = v;
        else if (v && strcmp(argv[i], "--peer-hb") == 0)
            peer = v;
        else if (v && strcmp(argv[i], "--xsub") == 0)
            xsub = v;
        else if (v && strcmp(argv[i], "--xpub") == 0)
            xpub = v;
        else if (v && strcmp(argv[i], "--interval") == 0)
            interval = strtoul(v, NULL, 10);
        else if (v && strcmp(argv[i], "--misses") == 0)
            misses = strtoul(v, NULL, 10);
        else {
            usage();
            return 2;
        }
        i++;
    }
    int32_t role;
    if (role_s && strcmp(role_s, "primary") == 0)
        role = HB_ROLE_PRIMARY;
    else if (role_s && strcmp(role_s, "backup") == 0)
        role = HB_ROLE_BACKUP;
    else {
        usage();
        return 2;
    }
    if (!hb || !peer) {
        usage();
        return 2;
    }

    int rc = 0;
    hb_failover *f = NULL;
    char ep[2][256];
    CHECK(hb_failover_new(role, xsub, xpub, hb, (uint32_t)interval, peer, 0, (uint32_t)misses, NULL, NULL, NULL, &f));
    CHECK(hb_failover_endpoint(f, 0, ep[0], sizeof ep[0], NULL));
    CHECK(hb_failover_endpoint(f, 1, ep[1], sizeof ep[1], NULL));
    printf("%s xsub %s\n%s xpub %s\nready\n", role_s, ep[0], role_s, ep[1]);
    fflush(stdout);

    /* Main loop: commands from stdin, events every 20 ms. */
    char line[256];
    size_t used = 0;
    for (int more = 1; more;) {
        CHECK(print_events(f));
        struct pollfd p = {STDIN_FILENO, POLLIN, 0};
        int n = poll(&p, 1, 20);
        if (n < 0 && errno != EINTR) {
            perror("failover_broker: poll");
            break;
        }
        if (n <= 0)
            continue;
        ssize_t got = read(STDIN_FILENO, line + used, sizeof line - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            more = 0; /* end of input: finish the last line, then stop */
            got = 0;
            if (used > 0)
                line[used++] = '\n';
        }
        used += (size_t)got;
        char *start = line, *nl;
        while ((nl = memchr(start, '\n', used - (size_t)(start - line))) != NULL) {
            *nl = '\0';
            command(f, start);
            start = nl + 1;
        }
        used -= (size_t)(start - line);
        memmove(line, start, used);
        if (used == sizeof line - 1)
            used = 0; /* a line too long: drop it */
    }

    CHECK(hb_failover_stop(f));
    hb_status left = print_events(f); /* the events still queued, then HB_STOPPED */
    if (left != HB_STOPPED) {
        rc = example_fail("hb_failover_next_event failed", left, NULL);
        goto out;
    }
    hb_failover_stats_t s = {.size = sizeof s};
    hb_broker_stats_t bs = {.size = sizeof bs};
    CHECK(hb_failover_stats(f, &s));
    CHECK(hb_failover_broker_stats(f, &bs));
    printf("%s: activations %llu, deactivations %llu, peer heartbeats %llu, forwarded %llu, held while passive %llu\n",
           role_s, (unsigned long long)s.activations, (unsigned long long)s.deactivations,
           (unsigned long long)s.peer_heartbeats, (unsigned long long)bs.forwarded,
           (unsigned long long)bs.dropped_passive);

out:
    if (f) {
        hb_status st = hb_failover_free(f);
        if (st != HB_OK)
            rc = example_fail("hb_failover_free failed", st, NULL);
    }
    return rc;
}
