/* SPDX-License-Identifier: MIT */
/* A growable byte buffer for building response bodies.  Errors are sticky:
 * after a failed allocation every append is a no-op and buf_error() tells,
 * so builders check once at the end. */
#ifndef WD_BUF_H
#define WD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct wd_buf {
        char *data;
        size_t len, cap;
        int error;              /* 0 or -ENOMEM */
};

void buf_init(struct wd_buf *b);
void buf_done(struct wd_buf *b);
void buf_reset(struct wd_buf *b);
void buf_add(struct wd_buf *b, const void *data, size_t len);
void buf_adds(struct wd_buf *b, const char *s);
void buf_addc(struct wd_buf *b, char c);
void buf_printf(struct wd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text with &, <, >, " and ' escaped (XML and HTML alike). */
void buf_add_xml(struct wd_buf *b, const char *s);
/* A JSON string literal, quotes included. */
void buf_add_json(struct wd_buf *b, const char *s);
/* Take the NUL-terminated contents (caller frees); the buffer is reset. */
char *buf_steal(struct wd_buf *b, size_t *ret_len);
int buf_error(const struct wd_buf *b);

#endif
