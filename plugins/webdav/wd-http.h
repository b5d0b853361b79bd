/* SPDX-License-Identifier: MIT */
/* HTTP header parsing and evaluation (RFC 9110, RFC 4918): ranges, entity
 * tags, dates, preconditions, Depth, Overwrite, Timeout and the WebDAV If
 * header.  Pure functions, unit-tested. */
#ifndef WD_HTTP_H
#define WD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gatewayd/backend.h"

/* --- entity tags and dates ------------------------------------------------ */

#define WD_ETAG_MAX 64

/* Strong ETag, quotes included, from the backend's identity of the
 * contents: file id, size and modification time. */
void wd_etag(const struct gwd_stat *st, char out[WD_ETAG_MAX]);

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). */
void wd_http_date(time_t t, char out[32]);
/* RFC 3339 ("1994-11-06T08:49:37Z"), for creationdate. */
void wd_iso_date(time_t t, char out[32]);
/* Parse the three date forms RFC 9110 accepts; -EINVAL otherwise. */
int wd_parse_http_date(const char *s, time_t *ret);

/* 1 if `etag` is listed in `list` ("*" matches any existing resource).
 * weak: W/ prefixes ignored (If-None-Match); otherwise a weak tag never
 * matches (If-Match). */
int wd_etag_list_match(const char *list, const char *etag, int weak);

/* --- ranges -------------------------------------------------------------- */

enum wd_range_result {
        WD_RANGE_NONE = 0,              /* no usable Range: send everything */
        WD_RANGE_OK,                    /* *start, *len set: 206 */
        WD_RANGE_UNSATISFIABLE,         /* 416 */
};

/* One "bytes=" range against a representation of `size` bytes.  Several
 * ranges and syntax we do not understand are ignored (RFC 9110 14.2). */
enum wd_range_result wd_parse_range(const char *hdr, uint64_t size, uint64_t *start,
                                    uint64_t *len);

/* --- preconditions (RFC 9110 13.2.2) -------------------------------------- */

struct wd_cond {
        const char *if_match;
        const char *if_none_match;
        const char *if_modified_since;
        const char *if_unmodified_since;
};

/* Evaluate in the RFC's order.  exists: the target exists (etag and mtime
 * valid).  read: the method is GET or HEAD.  Returns 0 (go on), 304 or
 * 412. */
int wd_preconditions(const struct wd_cond *c, int exists, const char *etag, time_t mtime,
                     int read);

/* If-Range: 1 when the range applies (validator matches), 0 otherwise. */
int wd_if_range(const char *hdr, const char *etag, time_t mtime);

/* --- WebDAV headers ----------------------------------------------------- */

#define WD_DEPTH_INFINITY (-1)
#define WD_DEPTH_BAD (-2)

/* "0", "1", "infinity"; NULL gives `dflt`; anything else WD_DEPTH_BAD. */
int wd_parse_depth(const char *hdr, int dflt);
/* "T" -> 1, "F" -> 0, NULL -> 1, else -EINVAL. */
int wd_parse_overwrite(const char *hdr);
/* Seconds requested by a Timeout header, clamped to [1, max]; dflt when
 * missing or only unrecognised values. */
unsigned wd_parse_timeout(const char *hdr, unsigned dflt, unsigned max);

/* --- the If header (RFC 4918 10.4) -------------------------------------- */

#define WD_IF_LISTS_MAX 32
#define WD_IF_CONDS_MAX 16

struct wd_if_cond {
        int negate;
        int is_etag;            /* else a state token */
        char *value;            /* token URI or entity-tag (with quotes) */
};

struct wd_if_list {
        char *tag;              /* resource tag (URI, as sent), NULL if untagged */
        size_t n;
        struct wd_if_cond c[WD_IF_CONDS_MAX];
};

struct wd_if {
        size_t n;
        struct wd_if_list l[WD_IF_LISTS_MAX];
};

/* Parse; -EINVAL on syntax errors (the caller answers 400). */
int wd_if_parse(const char *hdr, struct wd_if **ret);
void wd_if_free(struct wd_if *h);

/* Evaluate: true when any list holds.  For each list, `resolve` gives the
 * state (etag, token check) of its resource; tag is NULL for the request
 * target.  token_ok(ud, tag, token) says whether `token` is a current lock
 * token for that resource; etag_of(ud, tag) its ETag or NULL. */
int wd_if_eval(const struct wd_if *h,
               int (*token_ok)(void *ud, const char *tag, const char *token),
               const char *(*etag_of)(void *ud, const char *tag), void *ud);

/* 1 if `token` appears (not negated) anywhere in the header: a submitted
 * lock token (RFC 4918 10.4.1). */
int wd_if_has_token(const struct wd_if *h, const char *token);

#endif
