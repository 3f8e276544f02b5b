/*
 * client: asks a running lab for one hypotenuse.
 *
 *   client A B [BROKERS]
 *
 * BROKERS is "HOST[:XSUB_PORT:XPUB_PORT],..." (default 127.0.0.1 on the
 * lab's ports 5555/5556). Prints the hypotenuse with four decimals and exits
 * 0; on any error prints the library's explanation to stderr and exits 1.
 */
#include <stdio.h>

#include "hypobus.h"

static int fail(const char *what, hb_status st) {
    char name[32], msg[1024];
    hb_status_name((int32_t)st, name, sizeof name, NULL);
    hb_last_error(msg, sizeof msg, NULL);
    fprintf(stderr, "client: %s: %s: %s\n", what, name, msg);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: client A B [HOST[:XSUB_PORT:XPUB_PORT],...]\n");
        return 2;
    }
    hb_client *c = NULL;
    hb_status st = hb_client_new(argc == 4 ? argv[3] : NULL, 0, 0, &c);
    if (st != HB_OK)
        return fail("connecting", st);

    char answer[HB_TEXT_MAX]; /* always big enough */
    st = hb_client_hypot(c, argv[1], argv[2], 5000, answer, sizeof answer, NULL);
    int rc = 0;
    if (st == HB_OK)
        printf("%s\n", answer);
    else
        rc = fail("hypot", st);
    if ((st = hb_client_free(c)) != HB_OK)
        rc = fail("closing", st);
    return rc;
}
