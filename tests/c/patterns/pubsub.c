/*
 * pub/sub (course pattern 3): a publisher rotates through the topics uno,
 * dos, tres (every 20 ms here, every second in the course); three
 * subscribers, each on one prefix, get only their topic.
 */
#include "patterns.h"

#define WANT 5

static char ep[HB_TEXT_MAX];
static const char *topics[3] = {"uno", "dos", "tres"};
static int done[3];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *subscriber(void *arg) {
    int i = (int)(size_t)arg;
    hb_socket *sub = sock_new(HB_SUB);
    ok_or_die(hb_socket_setopt(sub, HB_SUBSCRIBE, topics[i], strlen(topics[i])), sub, "subscribe");
    connect_to(sub, ep);
    int got = 0;
    while (got < WANT) {
        msg_t m;
        recv_or_die(sub, 5000, &m, "subscriber recv");
        CHECK(m.n == 2, "message of %zu frames", m.n);
        CHECK(strcmp(m.frame[0], topics[i]) == 0, "subscriber of '%s' got '%s'", topics[i], m.frame[0]);
        got++;
    }
    printf("# subscriber %s: %d messages, all '%s'\n", topics[i], got, topics[i]);
    pthread_mutex_lock(&lock);
    done[i] = 1;
    pthread_mutex_unlock(&lock);
    hb_socket_free(sub);
    return NULL;
}

int main(void) {
    hb_socket *pub = sock_bound(HB_PUB, ep);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, subscriber, (void *)(size_t)i);
    double end = now_s() + 20;
    for (int k = 0;; k++) {
        pthread_mutex_lock(&lock);
        int all = done[0] && done[1] && done[2];
        pthread_mutex_unlock(&lock);
        if (all)
            break;
        CHECK(now_s() < end, "subscribers did not get %d messages each", WANT);
        char value[32];
        snprintf(value, sizeof value, "value %d", k);
        const char *msg[2] = {topics[k % 3], value};
        send_frames(pub, msg, 2);
        sleep_ms(20);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    hb_socket_free(pub);
    return 0;
}
