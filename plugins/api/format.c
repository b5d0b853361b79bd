/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gatewayd/json-escape.h"
#include "plugins/api/format.h"

static int sbuf_grow(struct sbuf *b, size_t extra)
{
        size_t cap;
        char *p;

        if (b->oom)
                return -1;
        if (b->len + extra + 1 <= b->cap)
                return 0;
        cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra + 1)
                cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
                b->oom = 1;
                return -1;
        }
        b->p = p;
        b->cap = cap;
        return 0;
}

void sbuf_append(struct sbuf *b, const char *s, size_t n)
{
        if (sbuf_grow(b, n) < 0)
                return;
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || sbuf_grow(b, (size_t)n) < 0)
                return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void sbuf_reserve(struct sbuf *b, size_t n)
{
        sbuf_grow(b, n);
}

static void sbuf_put(void *ctx, const char *s, size_t n)
{
        sbuf_append(ctx, s, n);
}

void sbuf_json_string(struct sbuf *b, const char *s)
{
        gwd_json_escape(s, sbuf_put, b);
}

void sbuf_free(struct sbuf *b)
{
        free(b->p);
        *b = (struct sbuf){ 0 };
}

void format_time(uint64_t usec, char buf[32])
{
        time_t sec = (time_t)(usec / 1000000u);
        struct tm tm;
        gmtime_r(&sec, &tm);
        char tmp[96];   /* the compiler cannot bound tm's fields */
        snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (unsigned)(usec % 1000000u / 1000u));
        snprintf(buf, 32, "%.31s", tmp);
}

json_t *event_json(const struct gwd_event *ev)
{
        char t[32];
        format_time(ev->time_usec, t);
        return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)ev->seq,
                         "time", t, "kind", ev->kind, "id", ev->id, "from", ev->from, "to",
                         ev->to, "cause", ev->cause);
}

static void sse_data(struct sbuf *b, json_t *j)
{
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (!s) {
                b->oom = 1;
                return;
        }
        sbuf_printf(b, "data: %s\n\n", s);
        free(s);
}

void sse_event(struct sbuf *b, const struct gwd_event *ev)
{
        json_t *j = event_json(ev);
        sbuf_printf(b, "id: %llu\nevent: state\n", (unsigned long long)ev->seq);
        sse_data(b, j);
        json_decref(j);
}

void sse_error(struct sbuf *b, const char *code, const char *detail, uint64_t last_seq)
{
        json_t *j = json_pack("{s:s, s:s, s:I}", "error", code, "detail", detail, "last_seq",
                              (json_int_t)last_seq);
        sbuf_printf(b, "event: error\n");
        sse_data(b, j);
        json_decref(j);
}

void sse_comment(struct sbuf *b, const char *text)
{
        /* A newline inside would end the comment early: cut there. */
        sbuf_printf(b, ": %.*s\n\n", (int)strcspn(text, "\r\n"), text);
}

void prom_name(char *buf, size_t size, const char *const *parts, size_t n_parts)
{
        size_t o = 0;

        if (size == 0)
                return;
        for (size_t i = 0; i < n_parts; i++) {
                for (const char *p = parts[i]; *p && o + 2 < size; p++) {
                        char c = *p;
                        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                 (c >= '0' && c <= '9') || c == '_';
                        if (o == 0 && c >= '0' && c <= '9')
                                buf[o++] = '_';
                        buf[o++] = ok ? c : '_';
                }
                if (i + 1 < n_parts && o + 2 < size)
                        buf[o++] = '_';
        }
        buf[o] = '\0';
}

void prom_label_value(struct sbuf *b, const char *v)
{
        for (; *v; v++) {
                if (*v == '\\')
                        sbuf_append(b, "\\\\", 2);
                else if (*v == '"')
                        sbuf_append(b, "\\\"", 2);
                else if (*v == '\n')
                        sbuf_append(b, "\\n", 2);
                else
                        sbuf_append(b, v, 1);
        }
}

const double histo_bounds[HISTO_BUCKETS] = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
};

void histo_observe(struct histo *h, double seconds)
{
        for (size_t i = 0; i < HISTO_BUCKETS; i++)
                if (seconds <= histo_bounds[i]) {
                        h->counts[i]++;
                        break;
                }
        h->count++;
        h->sum += seconds;
}

void histo_format(struct sbuf *b, const char *name, const char *labels, const struct histo *h)
{
        uint64_t cum = 0;
        const char *sep = labels[0] ? "," : "";

        for (size_t i = 0; i < HISTO_BUCKETS; i++) {
                cum += h->counts[i];
                sbuf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                            histo_bounds[i], (unsigned long long)cum);
        }
        sbuf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                    (unsigned long long)h->count);
        if (labels[0]) {
                sbuf_printf(b, "%s_sum{%s} %.6f\n", name, labels, h->sum);
                sbuf_printf(b, "%s_count{%s} %llu\n", name, labels,
                            (unsigned long long)h->count);
        } else {
                sbuf_printf(b, "%s_sum %.6f\n", name, h->sum);
                sbuf_printf(b, "%s_count %llu\n", name, (unsigned long long)h->count);
        }
}
