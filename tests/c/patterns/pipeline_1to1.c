/*
 * push/pull 1:1 with a multi-frame message (course pattern 2): one send
 * of three frames (one of them binary, with NUL bytes) arrives as one
 * whole message, frames intact.
 */
#include "patterns.h"

int main(void) {
    char ep[HB_TEXT_MAX];
    hb_socket *pull = sock_bound(HB_PULL, ep);
    hb_socket *push = sock_connected(HB_PUSH, ep, NULL);
    const char data[] = "task\0" "part two" "\x01\x00\x02";
    size_t sizes[3] = {5, 8, 3};
    ok_or_die(hb_socket_send(push, data, sizes, 3, 0, 5000), push, "send");
    ok_or_die(hb_socket_send(push, "done", (size_t[]){4}, 1, 0, 5000), push, "send");
    char buf[64];
    size_t got[8], n = 0, total = 0;
    ok_or_die(hb_socket_recv(pull, 5000, buf, sizeof buf, got, 8, &n, &total), pull, "recv");
    CHECK(n == 3 && total == 16, "got %zu frames, %zu bytes", n, total);
    CHECK(got[0] == 5 && got[1] == 8 && got[2] == 3, "frame sizes %zu %zu %zu", got[0], got[1], got[2]);
    CHECK(memcmp(buf, data, 16) == 0, "frame bytes differ");
    msg_t m;
    recv_or_die(pull, 5000, &m, "second message");
    CHECK(m.n == 1 && strcmp(m.frame[0], "done") == 0, "second message '%s'", m.frame[0]);
    printf("# one message of 3 frames (5, 8, 3 bytes), then 'done'\n");
    hb_socket_free(push);
    hb_socket_free(pull);
    return 0;
}
