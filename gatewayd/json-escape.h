/* SPDX-License-Identifier: MIT */
/*
 * A JSON string, escaped byte for byte as jansson's json_dumps() escapes it
 * without flags (so that text written by hand and text from jansson are
 * identical): the quote, backslash, \b \f \n \r \t, other control
 * characters as \u00XX; everything else (UTF-8 included) as it is.  The
 * caller guarantees valid UTF-8.
 *
 * Header-only on purpose: the core (gatewayd/objects.c) and the api plugin
 * (plugins/api/format.c) both need it, and plugins do not link the core.
 */
#ifndef GWD_JSON_ESCAPE_H
#define GWD_JSON_ESCAPE_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef void (*gwd_json_put_fn)(void *ctx, const char *s, size_t n);

static inline void gwd_json_escape(const char *s, gwd_json_put_fn put, void *ctx)
{
        const char *run = s;

        put(ctx, "\"", 1);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                const char *e;
                char u[8];

                switch (c) {
                case '"': e = "\\\""; break;
                case '\\': e = "\\\\"; break;
                case '\b': e = "\\b"; break;
                case '\f': e = "\\f"; break;
                case '\n': e = "\\n"; break;
                case '\r': e = "\\r"; break;
                case '\t': e = "\\t"; break;
                default:
                        if (c >= 0x20)
                                continue;
                        snprintf(u, sizeof(u), "\\u%04X", (unsigned)c);
                        e = u;
                        break;
                }
                put(ctx, run, (size_t)(s - run));
                put(ctx, e, strlen(e));
                run = s + 1;
        }
        put(ctx, run, (size_t)(s - run));
        put(ctx, "\"", 1);
}

#endif /* GWD_JSON_ESCAPE_H */
