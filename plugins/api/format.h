/* SPDX-License-Identifier: MIT */
/*
 * plugins/api/format: text formats of the admin API that need neither MHD
 * nor the daemon: a growable buffer, Server-Sent Events frames and the
 * Prometheus text exposition format.  Unit-tested by tests/api/test-format.
 */
#ifndef GWD_API_FORMAT_H
#define GWD_API_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <gatewayd/plugin.h>

struct sbuf {
        char *p;
        size_t len, cap;
        int oom;                /* sticky: an append failed */
};

void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_append(struct sbuf *b, const char *s, size_t n);
void sbuf_free(struct sbuf *b);
/* Make room for `n` more bytes at once (a size hint; failure is sticky). */
void sbuf_reserve(struct sbuf *b, size_t n);
/* A JSON string literal for `s` (UTF-8 assumed, as jansson keeps it):
 * quote, backslash and control characters escaped as json_dumps() does. */
void sbuf_json_string(struct sbuf *b, const char *s);

/* ISO 8601 UTC with milliseconds: 2024-05-01T10:00:00.123Z */
void format_time(uint64_t usec, char buf[32]);

/* The JSON of one event: {seq, time, kind, id, from, to, cause}. */
json_t *event_json(const struct gwd_event *ev);

/* One SSE frame for an event:
 *   id: <seq>\nevent: state\ndata: <compact JSON>\n\n
 * The JSON never contains a newline (strings are escaped). */
void sse_event(struct sbuf *b, const struct gwd_event *ev);
/* An error frame (no id, so a reconnecting client keeps its position):
 *   event: error\ndata: {"error": code, "detail": detail, "last_seq": N}\n\n */
void sse_error(struct sbuf *b, const char *code, const char *detail, uint64_t last_seq);
/* A comment line (keep-alive): ": text\n\n" */
void sse_comment(struct sbuf *b, const char *text);

/* Prometheus: metric name from parts joined with '_': every character
 * outside [a-zA-Z0-9_] becomes '_', a leading digit gets a '_' prefix. */
void prom_name(char *buf, size_t size, const char *const *parts, size_t n_parts);
/* Label value escaping: backslash, double quote and newline. */
void prom_label_value(struct sbuf *b, const char *v);

#define HISTO_BUCKETS 12
extern const double histo_bounds[HISTO_BUCKETS];
struct histo {
        uint64_t counts[HISTO_BUCKETS];     /* not cumulative */
        uint64_t count;
        double sum;
};
void histo_observe(struct histo *h, double seconds);
/* name_bucket{labels,le="..."} lines (cumulative), name_sum, name_count.
 * `labels` is "" or `key="value",...` already escaped. */
void histo_format(struct sbuf *b, const char *name, const char *labels, const struct histo *h);

#endif
