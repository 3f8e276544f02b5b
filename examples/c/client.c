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
#define EXAMPLE_NAME "client"
#include "example_util.h" /* example_fail(): report a failed call */

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: client A B [HOST[:XSUB_PORT:XPUB_PORT],...]\n");
        return 2;
    }
    hb_client *c = NULL;
    hb_status st = hb_client_new(argc == 4 ? argv[3] : NULL, 0, 0, &c);
    if (st != HB_OK)
        return example_fail("connecting", st, NULL);

    char answer[HB_TEXT_MAX]; /* always big enough */
    st = hb_client_hypot(c, argv[1], argv[2], 5000, answer, sizeof answer, NULL);
    int rc = 0;
    if (st == HB_OK)
        printf("%s\n", answer);
    else
        rc = example_fail("hypot", st, NULL);
    if ((st = hb_client_free(c)) != HB_OK)
        rc = example_fail("closing", st, NULL);
    return rc;
}
