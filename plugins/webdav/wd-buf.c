/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd-buf.h"

void buf_init(struct wd_buf *b)
{
        *b = (struct wd_buf){ 0 };
}

void buf_done(struct wd_buf *b)
{
        if (!b)
                return;
        free(b->data);
        buf_init(b);
}

void buf_reset(struct wd_buf *b)
{
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

static int grow(struct wd_buf *b, size_t more)
{
        size_t need, cap;
        char *d;

        if (b->error)
                return -1;
        if (more > SIZE_MAX / 2 - b->len - 1) {
                b->error = -ENOMEM;
                return -1;
        }
        need = b->len + more + 1;
        if (need <= b->cap)
                return 0;
        cap = b->cap ? b->cap : 256;
        while (cap < need)
                cap *= 2;
        d = realloc(b->data, cap);
        if (!d) {
                b->error = -ENOMEM;
                return -1;
        }
        b->data = d;
        b->cap = cap;
        return 0;
}

void buf_add(struct wd_buf *b, const void *data, size_t len)
{
        if (grow(b, len) < 0)
                return;
        if (len)
                memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
}

void buf_adds(struct wd_buf *b, const char *s)
{
        buf_add(b, s, strlen(s));
}

void buf_addc(struct wd_buf *b, char c)
{
        buf_add(b, &c, 1);
}

void buf_printf(struct wd_buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (b->error)
                return;
        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || grow(b, (size_t)n) < 0) {
                b->error = -ENOMEM;
                return;
        }
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void buf_add_xml(struct wd_buf *b, const char *s)
{
        const char *run = s;
        for (; *s; s++) {
                const char *rep = NULL;
                switch (*s) {
                case '&': rep = "&amp;"; break;
                case '<': rep = "&lt;"; break;
                case '>': rep = "&gt;"; break;
                case '"': rep = "&quot;"; break;
                case '\'': rep = "&#39;"; break;
                }
                if (rep) {
                        buf_add(b, run, (size_t)(s - run));
                        buf_adds(b, rep);
                        run = s + 1;
                }
        }
        buf_add(b, run, (size_t)(s - run));
}

void buf_add_json(struct wd_buf *b, const char *s)
{
        buf_addc(b, '"');
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        buf_addc(b, '\\');
                        buf_addc(b, (char)*p);
                } else if (*p < 0x20) {
                        buf_printf(b, "\\u%04x", *p);
                } else {
                        buf_addc(b, (char)*p);
                }
        }
        buf_addc(b, '"');
}

char *buf_steal(struct wd_buf *b, size_t *ret_len)
{
        char *d;
        if (b->error)
                return NULL;
        if (!b->data && grow(b, 0) < 0)
                return NULL;
        if (!b->len)
                b->data[0] = '\0';
        d = b->data;
        if (ret_len)
                *ret_len = b->len;
        buf_init(b);
        return d;
}

int buf_error(const struct wd_buf *b)
{
        return b->error;
}
