/*
 * frames.h: whole messages of text frames on the generic socket API.
 * hb_socket_send and hb_socket_recv take a message as its bytes end to end
 * plus the size of each frame; these two helpers send a list of texts as
 * one message and give a received message's frames back as texts.
 *
 * Header-only and needing nothing but hypobus.h (an example that includes
 * it still builds with one cc command and pkg-config). Used by
 * task_course_brokers.c and by the course-pattern tests (tests/c/patterns).
 */
#ifndef HYPOBUS_EXAMPLE_FRAMES_H
#define HYPOBUS_EXAMPLE_FRAMES_H

#include <string.h>

#include "hypobus.h"

#define FRAMES_MAX 16      /* frames in one message */
#define FRAMES_BYTES 4096  /* bytes in one message */
#define FRAME_TEXT_MAX 512 /* a received frame as text, NUL included (a longer frame's text is cut) */

/* One received message: its bytes, the size of each frame, and each frame
 * again as a NUL-terminated text. */
typedef struct {
    char buf[FRAMES_BYTES];
    size_t sizes[FRAMES_MAX];
    size_t n, total; /* frames, bytes */
    char frame[FRAMES_MAX][FRAME_TEXT_MAX];
} frames_msg;

/* Send the n texts as the frames of one message, waiting at most
 * timeout_ms for room. HB_BUFFER_TOO_SMALL (nothing sent, nothing in the
 * library's error text) when they exceed FRAMES_MAX frames or FRAMES_BYTES
 * bytes; else what hb_socket_send returns. */
static inline hb_status frames_send(hb_socket *s, const char *const *texts, size_t n, int32_t timeout_ms) {
    char data[FRAMES_BYTES];
    size_t sizes[FRAMES_MAX], off = 0;
    if (n > FRAMES_MAX)
        return HB_BUFFER_TOO_SMALL;
    for (size_t i = 0; i < n; i++) {
        sizes[i] = strlen(texts[i]);
        if (sizes[i] > sizeof data - off)
            return HB_BUFFER_TOO_SMALL;
        memcpy(data + off, texts[i], sizes[i]);
        off += sizes[i];
    }
    return hb_socket_send(s, data, sizes, n, 0, timeout_ms);
}

/* Receive one whole message within timeout_ms into m, its frames also as
 * texts in m->frame. Returns what hb_socket_recv returns (HB_TIMEOUT when
 * nothing came). */
static inline hb_status frames_recv(hb_socket *s, int32_t timeout_ms, frames_msg *m) {
    hb_status st = hb_socket_recv(s, timeout_ms, m->buf, sizeof m->buf, m->sizes, FRAMES_MAX, &m->n, &m->total);
    if (st != HB_OK)
        return st;
    size_t off = 0;
    for (size_t i = 0; i < m->n; i++) {
        size_t k = m->sizes[i] < FRAME_TEXT_MAX - 1 ? m->sizes[i] : FRAME_TEXT_MAX - 1;
        memcpy(m->frame[i], m->buf + off, k);
        m->frame[i][k] = '\0';
        off += m->sizes[i];
    }
    return HB_OK;
}

#endif
