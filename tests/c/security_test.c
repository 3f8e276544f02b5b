/*
 * security_test.c: CURVE through the C ABI. Key pairs and certificates
 * (hb_curve_keypair, hb_curve_public, hb_cert_save, hb_cert_load), the lab
 * with keys (hb_curve_set_default: a broker with an allow-list, nodes and a
 * listed client answer; a client off the list times out), and the library's
 * authenticator on generic sockets (hb_auth_*: an unlisted CURVE client is
 * refused, counted, and let in after a reload). Last line "N passed, M failed".
 */
#include <sys/stat.h>

#include "check.h"

static char dir[256];

static void path(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static void copy(const char *from, const char *to) {
    char a[512], b[512], buf[4096];
    path(a, sizeof a, from);
    path(b, sizeof b, to);
    FILE *in = fopen(a, "rb"), *out = fopen(b, "wb");
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    if (in) fclose(in);
    if (out) fclose(out);
}

static void certs(void) {
    char pub[HB_CURVE_KEY_SIZE], sec[HB_CURVE_KEY_SIZE], derived[HB_CURVE_KEY_SIZE], p[512];
    expect(hb_curve_keypair(pub, sizeof pub, sec, sizeof sec), HB_OK, "hb_curve_keypair");
    check(strlen(pub) == 40 && strlen(sec) == 40, "keys are 40 characters of Z85", pub);
    expect(hb_curve_public(sec, derived, sizeof derived), HB_OK, "hb_curve_public");
    expect_str(derived, pub, "the public key derives from the secret key");
    expect(hb_curve_keypair(pub, 40, sec, sizeof sec), HB_BUFFER_TOO_SMALL, "a 40-byte buffer is too small");
    expect(hb_curve_public("not a key", derived, sizeof derived), HB_INVALID_ARGUMENT, "a bad secret key is refused");

    const char *names[] = {"broker", "client", "stranger"};
    for (int i = 0; i < 3; i++) {
        path(p, sizeof p, names[i]);
        expect(hb_cert_save(p, NULL, NULL, "name=test", NULL, 0), HB_OK, "hb_cert_save makes a pair");
    }
    path(p, sizeof p, "client_secret");
    struct stat st;
    check(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "the secret file is mode 0600", p);
    int32_t has = -1;
    expect(hb_cert_load(p, pub, sizeof pub, sec, sizeof sec, &has), HB_OK, "hb_cert_load of the secret file");
    check(has == 1 && strlen(sec) == 40, "it holds the secret key", sec);
    path(p, sizeof p, "client");
    expect(hb_cert_load(p, derived, sizeof derived, sec, sizeof sec, &has), HB_OK, "hb_cert_load of the public file");
    check(has == 0 && sec[0] == '\0' && strcmp(derived, pub) == 0, "the public file has the public key only", derived);
    path(p, sizeof p, "missing");
    expect(hb_cert_load(p, pub, sizeof pub, NULL, 0, NULL), HB_CONFIG, "a missing file is HB_CONFIG");
    mkdir((snprintf(p, sizeof p, "%s/allowed", dir), p), 0700);
    copy("client", "allowed/client");
}

static void lab_with_keys(void) {
    char cert[512], server[512], allowed[512], xs[256], xp[256], list[600], ans[64];
    path(cert, sizeof cert, "broker_secret");
    path(allowed, sizeof allowed, "allowed");
    expect(hb_curve_set_default(cert, NULL, allowed), HB_OK, "hb_curve_set_default for the broker");
    hb_broker *b = NULL;
    expect(hb_broker_new("tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "", 0, &b), HB_OK, "a CURVE broker with an allow-list");
    hb_broker_endpoint(b, 0, xs, sizeof xs, NULL);
    hb_broker_endpoint(b, 1, xp, sizeof xp, NULL);
    snprintf(list, sizeof list, "%s|%s", xs, xp);
    path(cert, sizeof cert, "client_secret");
    path(server, sizeof server, "broker");
    expect(hb_curve_set_default(cert, server, NULL), HB_OK, "hb_curve_set_default for the nodes");
    hb_op *o1 = NULL, *o2 = NULL;
    hb_calc *calc = NULL;
    hb_client *c = NULL;
    expect(hb_op_new(list, 1, NULL, NULL, &o1), HB_OK, "op lane 1 with keys");
    expect(hb_op_new(list, 2, NULL, NULL, &o2), HB_OK, "op lane 2 with keys");
    expect(hb_calc_new(list, 0, &calc), HB_OK, "calc with keys");
    expect(hb_client_new(list, 0, 10000, &c), HB_OK, "a listed client");
    if (expect(hb_client_hypot(c, "12", "13", 10000, ans, sizeof ans, NULL), HB_OK, "the listed client gets its answer"))
        expect_str(ans, "17.6918", "over CURVE: 17.6918");
    hb_client_free(c);
    expect(hb_curve_set_default(NULL, server, NULL), HB_OK, "encrypted, but with a fresh key");
    c = NULL;
    expect(hb_client_new(list, 0, 1500, &c), HB_OK, "an unlisted client");
    expect(hb_client_hypot(c, "3", "4", 1500, ans, sizeof ans, NULL), HB_TIMEOUT, "the unlisted client gets nothing");
    hb_client_free(c);
    expect(hb_curve_set_default(NULL, NULL, NULL), HB_OK, "CURVE off again");
    path(cert, sizeof cert, "client");
    expect(hb_curve_set_default(cert, NULL, NULL), HB_CONFIG, "a public file is no certificate of one's own");
    expect_last_error_has("no secret key", "and the message says why");
    hb_op_free(o1);
    hb_op_free(o2);
    hb_calc_free(calc);
    hb_broker_free(b);
}

/* A generic socket that is a CURVE client of `server_pub` with the keys of certificate `name`. */
static hb_socket *curve_push(const char *server_pub, const char *name, const char *ep) {
    char p[512], pub[HB_CURVE_KEY_SIZE], sec[HB_CURVE_KEY_SIZE];
    path(p, sizeof p, name);
    hb_cert_load(p, pub, sizeof pub, sec, sizeof sec, NULL);
    hb_socket *s = NULL;
    hb_socket_new(HB_PUSH, &s);
    hb_socket_setopt_int(s, HB_LINGER, 0);
    hb_socket_setopt(s, HB_CURVE_SERVERKEY, server_pub, 40);
    hb_socket_setopt(s, HB_CURVE_PUBLICKEY, pub, 40);
    hb_socket_setopt(s, HB_CURVE_SECRETKEY, sec, 40);
    hb_socket_connect(s, ep);
    return s;
}

static int recv_text(hb_socket *s, char *buf, size_t len, int32_t timeout_ms) {
    size_t size = 0, nframes = 0, total = 0;
    if (hb_socket_recv(s, timeout_ms, buf, len - 1, &size, 1, &nframes, &total) != HB_OK) return 0;
    buf[size] = '\0';
    return 1;
}

static void send_text(hb_socket *s, const char *text) {
    size_t n = strlen(text);
    hb_socket_send(s, text, &n, 1, 0, 1000);
}

static void authenticator(void) {
    char p[512], bpub[HB_CURVE_KEY_SIZE], bsec[HB_CURVE_KEY_SIZE], ep[256], got[64];
    hb_auth_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    path(p, sizeof p, "allowed");
    cfg.curve_dir = p;
    hb_auth *auth = NULL;
    expect(hb_auth_new(&cfg, &auth), HB_OK, "hb_auth_new with a CURVE allow-list");
    hb_auth *second = NULL;
    expect(hb_auth_new(&cfg, &second), HB_CONFIG, "a second authenticator is refused");
    char bp[512];
    path(bp, sizeof bp, "broker_secret");
    hb_cert_load(bp, bpub, sizeof bpub, bsec, sizeof bsec, NULL);
    hb_socket *server = NULL;
    hb_socket_new(HB_PULL, &server);
    hb_socket_setopt_int(server, HB_LINGER, 0);
    hb_socket_setopt_int(server, HB_CURVE_SERVER, 1);
    hb_socket_setopt(server, HB_CURVE_SECRETKEY, bsec, 40);
    hb_socket_bind(server, "tcp://127.0.0.1:*", ep, sizeof ep, NULL);
    hb_socket *stranger = curve_push(bpub, "stranger_secret", ep);
    send_text(stranger, "stranger");
    hb_socket *listed = curve_push(bpub, "client_secret", ep);
    send_text(listed, "listed");
    check(recv_text(server, got, sizeof got, 5000) && strcmp(got, "listed") == 0, "the listed client gets through", got);
    check(!recv_text(server, got, sizeof got, 300), "the stranger does not", got);
    hb_auth_stats_t s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    expect(hb_auth_stats(auth, &s), HB_OK, "hb_auth_stats");
    check(s.allowed >= 1 && s.denied >= 1, "decisions counted", NULL);
    copy("stranger", "allowed/stranger");
    expect(hb_auth_reload(auth), HB_OK, "hb_auth_reload");
    hb_socket *again = curve_push(bpub, "stranger_secret", ep);
    send_text(again, "again");
    check(recv_text(server, got, sizeof got, 5000) && strcmp(got, "again") == 0, "listed now, it gets through", got);
    hb_socket_free(again);
    hb_socket_free(stranger);
    hb_socket_free(listed);
    hb_socket_free(server);
    expect(hb_auth_free(auth), HB_OK, "hb_auth_free");
    expect(hb_auth_reload(auth), HB_INVALID_HANDLE, "a freed authenticator is an invalid handle");
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/hb-c-security-%d", (int)getpid());
    mkdir(dir, 0700);
    certs();
    lab_with_keys();
    authenticator();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
