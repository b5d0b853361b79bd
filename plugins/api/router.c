/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "plugins/api/router.h"

/* Patterns are matched segment by segment.  "{kind}s" matches a plural
 * segment and captures it without the "s"; "{id}" and "{action}" capture a
 * whole segment.  Literal routes come first so that "/api/v1/drills" is
 * never read as the collection of kind "drill". */
const struct route_info route_table[] = {
        { ROUTE_HEALTHZ, METHOD_GET, "/healthz", "liveness for load balancers", 0 },
        { ROUTE_METRICS, METHOD_GET, "/metrics", "Prometheus metrics", 1 },
        { ROUTE_INDEX, METHOD_GET, "/api/v1", "this list of routes", 1 },
        { ROUTE_OPENAPI, METHOD_GET, "/api/v1/openapi.json", "the OpenAPI document", 1 },
        { ROUTE_HEALTH, METHOD_GET, "/api/v1/health", "overall health, counts per kind and state", 1 },
        { ROUTE_EVENTS, METHOD_GET, "/api/v1/events", "state changes as Server-Sent Events", 1 },
        { ROUTE_OPERATION, METHOD_GET, "/api/v1/operations/{id}", "an action started by POST", 1 },
        { ROUTE_DRILLS_LIST, METHOD_GET, "/api/v1/drills", "recent drills", 1 },
        { ROUTE_DRILL_NEW, METHOD_POST, "/api/v1/drills", "start a reconnect drill", 1 },
        { ROUTE_DRILL, METHOD_GET, "/api/v1/drills/{id}", "one drill and its report", 1 },
        { ROUTE_COLLECTION, METHOD_GET, "/api/v1/{kind}s", "objects of a kind (filters: state, parent, <kind>)", 1 },
        { ROUTE_OBJECT, METHOD_GET, "/api/v1/{kind}s/{id}", "one object with history and children", 1 },
        { ROUTE_ACTION, METHOD_POST, "/api/v1/{kind}s/{id}/{action}", "run an action (?wait=SECONDS)", 1 },
};
const size_t route_table_len = sizeof(route_table) / sizeof(route_table[0]);

const char *route_name(enum route_id id)
{
        for (size_t i = 0; i < route_table_len; i++)
                if (route_table[i].id == id)
                        return route_table[i].pattern;
        return "unmatched";
}

int route_valid_id(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n >= ROUTE_PARAM_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return 0;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
                        return 0;
        return 1;
}

int route_valid_kind(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 31)
                return 0;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
                        return 0;
        return 1;
}

#define MAX_SEGS 8

/* Split into at most MAX_SEGS segments; -1 when the path is not absolute,
 * has empty segments (a trailing '/' too: MHD decodes "%00" into a NUL, so
 * "/x/%00" arrives as "/x/" and must not mean "/x") or too many. */
static int split(const char *path, const char *seg[MAX_SEGS], size_t len[MAX_SEGS])
{
        int n = 0;
        const char *p = path;

        if (*p != '/')
                return -1;
        p++;
        if (*p == '\0')
                return 0;
        while (*p) {
                const char *slash = strchr(p, '/');
                size_t l = slash ? (size_t)(slash - p) : strlen(p);
                if (l == 0 || n == MAX_SEGS)
                        return -1;
                seg[n] = p;
                len[n] = l;
                n++;
                if (!slash)
                        break;
                p = slash + 1;
                if (*p == '\0')
                        return -1;
        }
        return n;
}

/* 1: matches, 0: does not, -1: matches in shape but a parameter is invalid. */
static int match(const char *pattern, const char *seg[], const size_t len[], int n,
                 struct route_match *m)
{
        const char *pseg[MAX_SEGS];
        size_t plen[MAX_SEGS];
        int pn = split(pattern, pseg, plen), bad = 0;

        if (pn != n)
                return 0;
        m->n_params = 0;
        for (int i = 0; i < n; i++) {
                if (pseg[i][0] == '{') {
                        int plural = pseg[i][plen[i] - 1] == 's';
                        size_t l = len[i];
                        char *dst = m->params[m->n_params++];
                        if (plural) {
                                if (l < 2 || seg[i][l - 1] != 's')
                                        return 0;
                                l--;
                        }
                        if (l >= ROUTE_PARAM_MAX) {
                                bad = 1;
                                dst[0] = '\0';
                                continue;
                        }
                        memcpy(dst, seg[i], l);
                        dst[l] = '\0';
                        if (strncmp(pseg[i], "{id}", 4) == 0 ? !route_valid_id(dst)
                                                            : !route_valid_kind(dst))
                                bad = 1;
                } else if (plen[i] != len[i] || memcmp(pseg[i], seg[i], len[i]) != 0) {
                        return 0;
                }
        }
        return bad ? -1 : 1;
}

int route_find(const char *method, const char *path, struct route_match *m)
{
        const char *seg[MAX_SEGS];
        size_t len[MAX_SEGS];
        unsigned want;
        int n, shape_bad = 0;
        const struct route_info *found = NULL, *first = NULL;

        memset(m, 0, sizeof(*m));
        m->name = "unmatched";
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
                want = METHOD_GET;
        else if (strcmp(method, "POST") == 0)
                want = METHOD_POST;
        else
                want = 0;
        n = split(path, seg, len);
        if (n < 0)
                return ROUTE_NOT_FOUND;
        /* The first pattern that matches decides which family the path is
         * in; a literal route hides the generic ones behind it. */
        for (size_t i = 0; i < route_table_len; i++) {
                const struct route_info *r = &route_table[i];
                struct route_match tmp;
                int k = match(r->pattern, seg, len, n, &tmp);
                if (k == 0)
                        continue;
                if (first && strchr(r->pattern, '{') && !strchr(first->pattern, '{'))
                        break;  /* generic pattern behind a literal one */
                if (!first)
                        first = r;
                m->allow |= r->methods;
                if (k < 0) {
                        shape_bad = 1;
                        if (!m->name || strcmp(m->name, "unmatched") == 0)
                                m->name = r->pattern;
                        continue;
                }
                if (!found && (r->methods & want)) {
                        found = r;
                        memcpy(m->params, tmp.params, sizeof(m->params));
                        m->n_params = tmp.n_params;
                }
        }
        if (!first)
                return ROUTE_NOT_FOUND;
        if (found) {
                m->id = found->id;
                m->name = found->pattern;
                return ROUTE_OK;
        }
        if (!(m->allow & want))
                return ROUTE_BAD_METHOD;
        m->name = first->pattern;
        return shape_bad ? ROUTE_BAD_PARAM : ROUTE_NOT_FOUND;
}

void route_allow_string(unsigned allow, char *buf, size_t size)
{
        snprintf(buf, size, "%s%s%s", (allow & METHOD_GET) ? "GET, HEAD" : "",
                 (allow & METHOD_GET) && (allow & METHOD_POST) ? ", " : "",
                 (allow & METHOD_POST) ? "POST" : "");
}
