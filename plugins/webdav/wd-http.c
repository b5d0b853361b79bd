/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "wd-http.h"

void wd_etag(const struct gwd_stat *st, char out[WD_ETAG_MAX])
{
        snprintf(out, WD_ETAG_MAX, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", st->file_id,
                 st->size, (uint64_t)st->mtime_ns);
}

/* Dates of years beyond 9999 would not fit: cut rather than overflow. */
static void copy_out(char out[32], const char *tmp)
{
        size_t n = strlen(tmp);
        if (n > 31)
                n = 31;
        memcpy(out, tmp, n);
        out[n] = '\0';
}

void wd_http_date(time_t t, char out[32])
{
        static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char mons[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        struct tm tm;
        char tmp[96];
        gmtime_r(&t, &tm);
        snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                 tm.tm_mday, mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
        copy_out(out, tmp);
}

void wd_iso_date(time_t t, char out[32])
{
        struct tm tm;
        char tmp[96];
        gmtime_r(&t, &tm);
        snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        copy_out(out, tmp);
}

static int month_of(const char *m)
{
        static const char mons[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        for (int i = 0; i < 12; i++)
                if (strncmp(m, mons[i], 3) == 0)
                        return i;
        return -1;
}

int wd_parse_http_date(const char *s, time_t *ret)
{
        struct tm tm = { 0 };
        char wd[16], mon[4];
        int day, year, h, m, sec, n = 0;

        if (!s)
                return -EINVAL;
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        if (sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d GMT%n", wd, &day, mon, &year, &h, &m, &sec,
                   &n) == 7 && n > 0 && s[n] == '\0') {
                /* fall through to the common checks */
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        } else if (n = 0, sscanf(s, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT%n", wd, &day, mon,
                                 &year, &h, &m, &sec, &n) == 7 && n > 0 && s[n] == '\0') {
                year += year < 70 ? 2000 : 1900;
        /* asctime: Sun Nov  6 08:49:37 1994 */
        } else if (n = 0, sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d%n", wd, mon, &day, &h, &m, &sec,
                                 &year, &n) == 7 && n > 0 && s[n] == '\0') {
        } else {
                return -EINVAL;
        }
        tm.tm_mon = month_of(mon);
        if (tm.tm_mon < 0 || day < 1 || day > 31 || h > 23 || m > 59 || sec > 60 || year < 1900 ||
            h < 0 || m < 0 || sec < 0)
                return -EINVAL;
        tm.tm_mday = day;
        tm.tm_year = year - 1900;
        tm.tm_hour = h;
        tm.tm_min = m;
        tm.tm_sec = sec;
        *ret = timegm(&tm);
        return 0;
}

static const char *skip_ows(const char *p)
{
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

/* Compare entity-tag [a, alen) with etag.  weak comparison drops W/. */
static int tag_eq(const char *a, size_t alen, const char *etag, int weak)
{
        int a_weak = alen >= 2 && a[0] == 'W' && a[1] == '/';
        int e_weak = etag[0] == 'W' && etag[1] == '/';
        size_t elen;

        if (!weak && (a_weak || e_weak))
                return 0;
        if (a_weak) {
                a += 2;
                alen -= 2;
        }
        if (e_weak)
                etag += 2;
        elen = strlen(etag);
        return alen == elen && memcmp(a, etag, alen) == 0;
}

int wd_etag_list_match(const char *list, const char *etag, int weak)
{
        const char *p = skip_ows(list);

        if (*p == '*' && *skip_ows(p + 1) == '\0')
                return etag != NULL;
        if (!etag)
                return 0;
        while (*p) {
                const char *s = p;
                if (p[0] == 'W' && p[1] == '/')
                        p += 2;
                if (*p != '"')
                        return 0;       /* malformed: no match */
                p = strchr(p + 1, '"');
                if (!p)
                        return 0;
                p++;
                if (tag_eq(s, (size_t)(p - s), etag, weak))
                        return 1;
                p = skip_ows(p);
                if (*p == ',')
                        p = skip_ows(p + 1);
                else if (*p)
                        return 0;
        }
        return 0;
}

static int parse_u64(const char **pp, uint64_t *ret)
{
        const char *p = *pp;
        uint64_t v = 0;
        if (!isdigit((unsigned char)*p))
                return -EINVAL;
        for (; isdigit((unsigned char)*p); p++) {
                unsigned d = (unsigned)(*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *pp = p;
        *ret = v;
        return 0;
}

enum wd_range_result wd_parse_range(const char *hdr, uint64_t size, uint64_t *start,
                                    uint64_t *len)
{
        const char *p;
        uint64_t a, b;
        int r;

        if (!hdr)
                return WD_RANGE_NONE;
        p = skip_ows(hdr);
        if (strncasecmp(p, "bytes", 5) != 0)
                return WD_RANGE_NONE;
        p = skip_ows(p + 5);
        if (*p != '=')
                return WD_RANGE_NONE;
        p = skip_ows(p + 1);
        if (strchr(p, ','))
                return WD_RANGE_NONE;   /* several ranges: we send it all */
        if (*p == '-') {
                /* suffix: the last b bytes */
                p++;
                if (parse_u64(&p, &b) < 0 || *skip_ows(p))
                        return WD_RANGE_NONE;
                if (b == 0 || size == 0)
                        return WD_RANGE_UNSATISFIABLE;
                if (b > size)
                        b = size;
                *start = size - b;
                *len = b;
                return WD_RANGE_OK;
        }
        r = parse_u64(&p, &a);
        if (r == -ERANGE)
                return WD_RANGE_UNSATISFIABLE;
        if (r < 0 || *p != '-')
                return WD_RANGE_NONE;
        p++;
        if (*skip_ows(p) == '\0') {
                b = UINT64_MAX;
        } else {
                r = parse_u64(&p, &b);
                if (r == -ERANGE)
                        b = UINT64_MAX;
                else if (r < 0 || *skip_ows(p) || b < a)
                        return WD_RANGE_NONE;
        }
        if (a >= size)
                return WD_RANGE_UNSATISFIABLE;
        if (b >= size)
                b = size - 1;
        *start = a;
        *len = b - a + 1;
        return WD_RANGE_OK;
}

int wd_preconditions(const struct wd_cond *c, int exists, const char *etag, time_t mtime,
                     int read)
{
        time_t t;

        if (c->if_match) {
                if (!wd_etag_list_match(c->if_match, exists ? etag : NULL, 0))
                        return 412;
        } else if (c->if_unmodified_since && exists &&
                   wd_parse_http_date(c->if_unmodified_since, &t) == 0) {
                if (mtime > t)
                        return 412;
        }
        if (c->if_none_match) {
                if (wd_etag_list_match(c->if_none_match, exists ? etag : NULL, 1))
                        return read ? 304 : 412;
        } else if (read && exists && c->if_modified_since &&
                   wd_parse_http_date(c->if_modified_since, &t) == 0) {
                if (mtime <= t)
                        return 304;
        }
        return 0;
}

int wd_if_range(const char *hdr, const char *etag, time_t mtime)
{
        const char *p = skip_ows(hdr);
        time_t t;

        if (*p == '"' || (p[0] == 'W' && p[1] == '/')) {
                size_t n = strlen(p);
                while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                        n--;
                return tag_eq(p, n, etag, 0);
        }
        if (wd_parse_http_date(p, &t) < 0)
                return 0;
        return mtime == t;      /* an exact match of a strong-ish validator */
}

int wd_parse_depth(const char *hdr, int dflt)
{
        if (!hdr)
                return dflt;
        hdr = skip_ows(hdr);
        if (strcmp(hdr, "0") == 0)
                return 0;
        if (strcmp(hdr, "1") == 0)
                return 1;
        if (strcasecmp(hdr, "infinity") == 0)
                return WD_DEPTH_INFINITY;
        return WD_DEPTH_BAD;
}

int wd_parse_overwrite(const char *hdr)
{
        if (!hdr)
                return 1;
        hdr = skip_ows(hdr);
        if ((hdr[0] == 'T' || hdr[0] == 't') && *skip_ows(hdr + 1) == '\0')
                return 1;
        if ((hdr[0] == 'F' || hdr[0] == 'f') && *skip_ows(hdr + 1) == '\0')
                return 0;
        return -EINVAL;
}

unsigned wd_parse_timeout(const char *hdr, unsigned dflt, unsigned max)
{
        const char *p = hdr;

        while (p && *p) {
                p = skip_ows(p);
                if (strncasecmp(p, "Infinite", 8) == 0)
                        return max;
                if (strncasecmp(p, "Second-", 7) == 0) {
                        const char *q = p + 7;
                        uint64_t v = 0;
                        int r = parse_u64(&q, &v);
                        if (r == 0)
                                return v == 0 ? 1 : v > max ? max : (unsigned)v;
                        if (r == -ERANGE)
                                return max;
                }
                p = strchr(p, ',');
                if (p)
                        p++;
        }
        return dflt > max ? max : dflt;
}

/* --- If header --------------------------------------------------------- */

void wd_if_free(struct wd_if *h)
{
        if (!h)
                return;
        for (size_t i = 0; i < h->n; i++) {
                free(h->l[i].tag);
                for (size_t j = 0; j < h->l[i].n; j++)
                        free(h->l[i].c[j].value);
        }
        free(h);
}

static const char *skip_lws(const char *p)
{
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                p++;
        return p;
}

/* "<" ... ">" into a new string. */
static int read_coded(const char **pp, char **ret)
{
        const char *p = *pp, *e;
        if (*p != '<')
                return -EINVAL;
        e = strchr(p + 1, '>');
        if (!e || e == p + 1)
                return -EINVAL;
        for (const char *q = p + 1; q < e; q++)
                if (*q == ' ' || *q == '<')
                        return -EINVAL;
        *ret = strndup(p + 1, (size_t)(e - p - 1));
        if (!*ret)
                return -ENOMEM;
        *pp = e + 1;
        return 0;
}

int wd_if_parse(const char *hdr, struct wd_if **ret)
{
        struct wd_if *h = calloc(1, sizeof(*h));
        const char *p = hdr;
        char *tag = NULL;
        int tagged = -1, r = -EINVAL;

        if (!h)
                return -ENOMEM;
        p = skip_lws(p);
        if (!*p)
                goto fail;
        while (*(p = skip_lws(p))) {
                if (*p == '<') {
                        if (tagged == 0)
                                goto fail;      /* no mixing of the two forms */
                        tagged = 1;
                        free(tag);
                        tag = NULL;
                        if ((r = read_coded(&p, &tag)) < 0)
                                goto fail;
                        r = -EINVAL;
                        p = skip_lws(p);
                        if (*p != '(')
                                goto fail;
                        continue;
                }
                if (*p != '(')
                        goto fail;
                if (tagged < 0)
                        tagged = 0;
                if (h->n == WD_IF_LISTS_MAX)
                        goto fail;
                struct wd_if_list *l = &h->l[h->n++];
                if (tag && !(l->tag = strdup(tag))) {
                        r = -ENOMEM;
                        goto fail;
                }
                p++;
                for (;;) {
                        struct wd_if_cond *c;
                        p = skip_lws(p);
                        if (*p == ')') {
                                p++;
                                break;
                        }
                        if (l->n == WD_IF_CONDS_MAX)
                                goto fail;
                        c = &l->c[l->n];
                        if (strncmp(p, "Not", 3) == 0) {
                                c->negate = 1;
                                p = skip_lws(p + 3);
                        }
                        if (*p == '<') {
                                if ((r = read_coded(&p, &c->value)) < 0)
                                        goto fail;
                                r = -EINVAL;
                        } else if (*p == '[') {
                                const char *e = strchr(p, ']');
                                if (!e || e == p + 1)
                                        goto fail;
                                c->is_etag = 1;
                                c->value = strndup(p + 1, (size_t)(e - p - 1));
                                if (!c->value) {
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                p = e + 1;
                        } else {
                                goto fail;
                        }
                        l->n++;
                }
                if (l->n == 0)
                        goto fail;
        }
        free(tag);
        *ret = h;
        return 0;
fail:
        free(tag);
        wd_if_free(h);
        return r;
}

int wd_if_eval(const struct wd_if *h,
               int (*token_ok)(void *ud, const char *tag, const char *token),
               const char *(*etag_of)(void *ud, const char *tag), void *ud)
{
        for (size_t i = 0; i < h->n; i++) {
                const struct wd_if_list *l = &h->l[i];
                int all = 1;
                for (size_t j = 0; j < l->n && all; j++) {
                        const struct wd_if_cond *c = &l->c[j];
                        int v;
                        if (c->is_etag) {
                                const char *e = etag_of(ud, l->tag);
                                v = e && tag_eq(c->value, strlen(c->value), e, 0);
                        } else {
                                v = token_ok(ud, l->tag, c->value);
                        }
                        if (c->negate)
                                v = !v;
                        all = v;
                }
                if (all)
                        return 1;
        }
        return 0;
}

int wd_if_has_token(const struct wd_if *h, const char *token)
{
        for (size_t i = 0; h && i < h->n; i++)
                for (size_t j = 0; j < h->l[i].n; j++) {
                        const struct wd_if_cond *c = &h->l[i].c[j];
                        if (!c->is_etag && !c->negate && strcmp(c->value, token) == 0)
                                return 1;
                }
        return 0;
}
