/*
 * security_test.c: CURVE through the C ABI. Key pairs and certificates
 * (hb_curve_keypair, hb_curve_public, hb_cert_save, hb_cert_load), the lab
 * with keys (hb_curve_set_default: a broker with an allow-list, nodes and a
 * listed client answer; a client off the list times out), and the library's
 * authenticator on generic sockets (hb_auth_*: an unlisted CURVE client is
 * refused, counted, and let in after a reload), and per-role keys (ABI 1.5:
 * hb_curve_config_t in the roles' config structs): two labs in one process,
 * one with keys and an allow-list, one plain beside a process default that
 * is on; a client with a wrong server key gets nothing; the failover pair's
 * heartbeat link with keys. Last line "N passed, M failed".
 */
#include <stddef.h>
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

/* A CURVE config of files in the test's directory (NULL names stay NULL). */
static hb_curve_config_t curve_of(const char *cert, const char *server, const char *allow, char bufs[3][512]) {
    hb_curve_config_t c;
    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    const char *names[3] = {cert, server, allow};
    const char **fields[3] = {&c.cert, &c.server, &c.allow};
    for (int i = 0; i < 3; i++)
        if (names[i]) {
            path(bufs[i], 512, names[i]);
            *fields[i] = bufs[i];
        }
    return c;
}

/* A broker on free loopback ports with `curve`; its list entry into `list`. */
static hb_broker *broker_with(const hb_curve_config_t *curve, char *list, size_t n, const char *name) {
    char xs[256] = "", xp[256] = "";
    hb_broker_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.xsub = "tcp://127.0.0.1:*";
    cfg.xpub = "tcp://127.0.0.1:*";
    cfg.hb = "";
    cfg.curve = curve;
    hb_broker *b = NULL;
    expect(hb_broker_new_ex(&cfg, &b), HB_OK, name);
    hb_broker_endpoint(b, 0, xs, sizeof xs, NULL);
    hb_broker_endpoint(b, 1, xp, sizeof xp, NULL);
    snprintf(list, n, "%s|%s", xs, xp);
    return b;
}

/* Calc and both op lanes on `list`, each with `curve` (lane 2 pull style is
 * not needed: hb_op_new_ex serves both lanes with the built-in square). */
static void nodes_with(const char *list, const hb_curve_config_t *curve, hb_calc **calc, hb_op **o1, hb_op **o2, const char *what) {
    char name[128];
    hb_calc_config_t cc;
    memset(&cc, 0, sizeof cc);
    cc.size = sizeof cc;
    cc.brokers = list;
    cc.curve = curve;
    snprintf(name, sizeof name, "hb_calc_new_ex (%s)", what);
    expect(hb_calc_new_ex(&cc, calc), HB_OK, name);
    hb_op_config_t oc;
    memset(&oc, 0, sizeof oc);
    oc.size = sizeof oc;
    oc.brokers = list;
    oc.curve = curve;
    oc.lane = 1;
    snprintf(name, sizeof name, "hb_op_new_ex lane 1 (%s)", what);
    expect(hb_op_new_ex(&oc, NULL, NULL, o1), HB_OK, name);
    oc.lane = 2;
    snprintf(name, sizeof name, "hb_op_new_ex lane 2 (%s)", what);
    expect(hb_op_new_ex(&oc, NULL, NULL, o2), HB_OK, name);
}

static hb_client *client_with(const char *list, const hb_curve_config_t *curve, uint32_t timeout_ms) {
    hb_client_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.brokers = list;
    cfg.timeout_ms = timeout_ms;
    cfg.curve = curve;
    hb_client *c = NULL;
    if (hb_client_new_ex(&cfg, &c) != HB_OK) return NULL;
    return c;
}

static void per_role_bad_args(void) {
    char b[3][512];
    hb_calc *calc = NULL;
    expect(hb_calc_new_ex(NULL, &calc), HB_INVALID_ARGUMENT, "hb_calc_new_ex(NULL) is HB_INVALID_ARGUMENT");
    hb_calc_config_t cc;
    memset(&cc, 0, sizeof cc);
    expect(hb_calc_new_ex(&cc, &calc), HB_INVALID_ARGUMENT, "a config without size is HB_INVALID_ARGUMENT");
    cc.size = sizeof cc;
    hb_curve_config_t curve;
    memset(&curve, 0, sizeof curve);
    cc.curve = &curve;
    expect(hb_calc_new_ex(&cc, &calc), HB_INVALID_ARGUMENT, "a curve config without size is HB_INVALID_ARGUMENT");
    curve = curve_of("client", NULL, NULL, b);
    expect(hb_calc_new_ex(&cc, &calc), HB_CONFIG, "a public file as the role's cert is HB_CONFIG");
    expect_last_error_has("no secret key", "and the message says why");
    curve = curve_of(NULL, "missing", NULL, b);
    hb_client *c = client_with(NULL, &curve, 1000);
    check(c == NULL, "a missing server certificate is refused", NULL);
    expect_last_error_has("missing", "and the message names the file");
    curve = curve_of("broker_secret", NULL, "broker", b);
    hb_broker_config_t bc;
    memset(&bc, 0, sizeof bc);
    bc.size = sizeof bc;
    bc.xsub = bc.xpub = "tcp://127.0.0.1:*";
    bc.hb = "";
    bc.curve = &curve;
    hb_broker *br = NULL;
    expect(hb_broker_new_ex(&bc, &br), HB_CONFIG, "an allow-list that is not a directory is HB_CONFIG");
    expect_last_error_has("not a directory", "and the message says why");
    check(calc == NULL && br == NULL, "nothing was made", NULL);
    /* A caller built against ABI 1.4 passes the smaller size: the curve field
     * lies past it and is not read (an unset curve config would be refused). */
    hb_curve_config_t unset;
    memset(&unset, 0, sizeof unset);
    bc.curve = &unset;
    bc.size = offsetof(hb_broker_config_t, curve);
    expect(hb_broker_new_ex(&bc, &br), HB_OK, "an older caller's size leaves curve unread (the process default)");
    hb_broker_free(br);
    hb_op_pull *pull = NULL;
    expect(hb_op_pull_new_ex(NULL, &pull), HB_INVALID_ARGUMENT, "hb_op_pull_new_ex(NULL) is HB_INVALID_ARGUMENT");
    hb_watch *w = NULL;
    expect(hb_watch_new_ex(NULL, &w), HB_INVALID_ARGUMENT, "hb_watch_new_ex(NULL) is HB_INVALID_ARGUMENT");
    hb_failover *f = NULL;
    expect(hb_failover_new_ex(NULL, NULL, NULL, &f), HB_INVALID_ARGUMENT, "hb_failover_new_ex(NULL) is HB_INVALID_ARGUMENT");
}

static void per_role_keys(void) {
    char ka[3][512], kn[3][512], kw[3][512], kp[3][512], listA[600], listB[600], ans[64];
    /* A process default that is on and fits neither lab: a stranger's keys
     * for a server that does not exist. Roles given their own keys ignore it. */
    char p1[512], p2[512];
    path(p1, sizeof p1, "stranger_secret");
    path(p2, sizeof p2, "stranger");
    expect(hb_curve_set_default(p1, p2, NULL), HB_OK, "a process default that fits no broker");

    /* Lab A: a CURVE broker with an allow-list; nodes and a client with the listed keys. */
    hb_curve_config_t brokerA = curve_of("broker_secret", NULL, "allowed", ka);
    hb_curve_config_t nodesA = curve_of("client_secret", "broker", NULL, kn);
    hb_broker *a = broker_with(&brokerA, listA, sizeof listA, "lab A: hb_broker_new_ex with its own keys and allow-list");
    hb_calc *calcA = NULL;
    hb_op *a1 = NULL, *a2 = NULL;
    nodes_with(listA, &nodesA, &calcA, &a1, &a2, "lab A keys");

    /* Lab B: plain, every role with CURVE off (all three unset) despite the default. */
    hb_curve_config_t off;
    memset(&off, 0, sizeof off);
    off.size = sizeof off;
    hb_broker *b = broker_with(&off, listB, sizeof listB, "lab B: a plain broker beside the process default");
    hb_calc *calcB = NULL;
    hb_op *b1 = NULL, *b2 = NULL;
    nodes_with(listB, &off, &calcB, &b1, &b2, "plain");

    hb_watch_config_t wc;
    memset(&wc, 0, sizeof wc);
    wc.size = sizeof wc;
    wc.brokers = listA;
    wc.curve = &nodesA;
    hb_watch *w = NULL;
    expect(hb_watch_new_ex(&wc, &w), HB_OK, "hb_watch_new_ex on lab A with its keys");

    hb_client *ca = client_with(listA, &nodesA, 10000);
    check(ca != NULL, "hb_client_new_ex with lab A's keys", NULL);
    if (ca && expect(hb_client_hypot(ca, "12", "13", 10000, ans, sizeof ans, NULL), HB_OK, "lab A's client gets its answer"))
        expect_str(ans, "17.6918", "over CURVE with per-role keys: 17.6918");
    hb_client *cb = client_with(listB, &off, 10000);
    check(cb != NULL, "hb_client_new_ex with CURVE off", NULL);
    if (cb && expect(hb_client_hypot(cb, "3", "4", 10000, ans, sizeof ans, NULL), HB_OK, "lab B's plain client gets its answer"))
        expect_str(ans, "5.0000", "in clear, beside a process default: 5.0000");

    /* The observer with lab A's keys saw lab A's request. */
    hb_watch_event_t ev;
    int traced = 0;
    long long until = now_ms() + 10000;
    while (!traced && now_ms() < until) {
        memset(&ev, 0, sizeof ev);
        ev.size = sizeof ev;
        if (hb_watch_next(w, 500, &ev, NULL, 0, NULL) == HB_OK && ev.kind == HB_WATCH_TRACE && !(ev.flags & HB_WATCH_LOST)) traced = 1;
    }
    check(traced, "the observer with lab A's keys traced lab A's request", NULL);
    hb_watch_free(w);

    /* Strangers: a wrong server key, plain, and the process default: nothing. */
    hb_curve_config_t wrong = curve_of("client_secret", "stranger", NULL, kw);
    hb_client *cw = client_with(listA, &wrong, 1500);
    if (cw) expect(hb_client_hypot(cw, "5", "12", 1500, ans, sizeof ans, NULL), HB_TIMEOUT, "a client with a wrong server key gets nothing");
    hb_client *cp = client_with(listA, &off, 1500);
    if (cp) expect(hb_client_hypot(cp, "6", "8", 1500, ans, sizeof ans, NULL), HB_TIMEOUT, "a plain client of the CURVE broker gets nothing");
    hb_client *cd = client_with(listB, NULL, 1500);
    if (cd) expect(hb_client_hypot(cd, "8", "15", 1500, ans, sizeof ans, NULL), HB_TIMEOUT, "curve NULL takes the process default (no answer from the plain lab)");
    /* (the stranger of authenticator() is on the list since its reload) */
    char op[512];
    path(op, sizeof op, "outsider");
    expect(hb_cert_save(op, NULL, NULL, NULL, NULL, 0), HB_OK, "a certificate on no list");
    hb_curve_config_t unlisted = curve_of("outsider_secret", "broker", NULL, kp);
    hb_client *cu = client_with(listA, &unlisted, 1500);
    if (cu) expect(hb_client_hypot(cu, "9", "12", 1500, ans, sizeof ans, NULL), HB_TIMEOUT, "a client off lab A's allow-list gets nothing");
    check(cw && cp && cd && cu, "the strangers' clients were made", NULL);
    hb_client_free(cw);
    hb_client_free(cp);
    hb_client_free(cd);
    hb_client_free(cu);
    /* Lab A still answers its own. */
    if (ca && expect(hb_client_hypot(ca, "20", "21", 10000, ans, sizeof ans, NULL), HB_OK, "lab A still answers"))
        expect_str(ans, "29.0000", "29.0000");
    hb_client_free(ca);
    hb_client_free(cb);
    hb_op_free(a1);
    hb_op_free(a2);
    hb_calc_free(calcA);
    hb_op_free(b1);
    hb_op_free(b2);
    hb_calc_free(calcB);
    hb_broker_free(a);
    hb_broker_free(b);
    expect(hb_curve_set_default(NULL, NULL, NULL), HB_OK, "process default off again");
}

/* The failover pair with per-role keys: each broker hears the other over
 * the CURVE heartbeat link (the pair shares one certificate). */
static void failover_with_keys(void) {
    char k[3][512], hb1[64], hb2[64];
    hb_curve_config_t curve = curve_of("broker_secret", NULL, "allowed", k);
    snprintf(hb1, sizeof hb1, "tcp://127.0.0.1:%d", free_port());
    snprintf(hb2, sizeof hb2, "tcp://127.0.0.1:%d", free_port());
    hb_failover_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.xsub = cfg.xpub = "tcp://127.0.0.1:*";
    cfg.hb_interval_ms = 100;
    cfg.curve = &curve;
    hb_failover *p = NULL, *b = NULL;
    cfg.role = HB_ROLE_PRIMARY;
    cfg.hb = hb1;
    cfg.peer_hb = hb2;
    expect(hb_failover_new_ex(&cfg, NULL, NULL, &p), HB_OK, "hb_failover_new_ex primary with its own keys");
    cfg.role = HB_ROLE_BACKUP;
    cfg.hb = hb2;
    cfg.peer_hb = hb1;
    expect(hb_failover_new_ex(&cfg, NULL, NULL, &b), HB_OK, "hb_failover_new_ex backup with its own keys");
    hb_failover_stats_t sp, sb;
    long long until = now_ms() + 10000;
    int heard = 0;
    while (p && b && !heard && now_ms() < until) {
        memset(&sp, 0, sizeof sp);
        memset(&sb, 0, sizeof sb);
        sp.size = sizeof sp;
        sb.size = sizeof sb;
        hb_failover_stats(p, &sp);
        hb_failover_stats(b, &sb);
        heard = sp.peer_heartbeats > 0 && sb.peer_heartbeats > 0 && sp.active && !sb.active;
        if (!heard) sleep_ms(50);
    }
    check(heard, "the pair hears each other over CURVE; the primary is active, the backup passive", NULL);
    hb_failover_free(b);
    hb_failover_free(p);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/hb-c-security-%d", (int)getpid());
    mkdir(dir, 0700);
    certs();
    lab_with_keys();
    authenticator();
    per_role_bad_args();
    per_role_keys();
    failover_with_keys();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
