/* SPDX-License-Identifier: MIT */
/*
 * plugins/api/router: maps (method, path) to a route of the admin API.
 * Pure code (no MHD, no daemon), unit-tested by tests/api/test-router.
 */
#ifndef GWD_API_ROUTER_H
#define GWD_API_ROUTER_H

#include <stddef.h>

enum route_id {
        ROUTE_NONE = 0,
        ROUTE_HEALTHZ,
        ROUTE_METRICS,
        ROUTE_INDEX,
        ROUTE_OPENAPI,
        ROUTE_HEALTH,
        ROUTE_EVENTS,
        ROUTE_OPERATION,
        ROUTE_DRILLS_LIST,
        ROUTE_DRILL_NEW,
        ROUTE_DRILL,
        ROUTE_COLLECTION,
        ROUTE_OBJECT,
        ROUTE_ACTION,
        ROUTE__MAX
};

enum route_method {
        METHOD_GET = 1u << 0,   /* HEAD is served as GET */
        METHOD_POST = 1u << 1,
};

#define ROUTE_MAX_PARAMS 3
#define ROUTE_PARAM_MAX 129     /* GWD_ID_MAX + NUL */

struct route_match {
        enum route_id id;
        const char *name;       /* the pattern, e.g. "/api/v1/{kind}s/{id}" */
        /* Path parameters in pattern order: {kind} (without the plural
         * "s"), {id}, {action}. */
        char params[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX];
        size_t n_params;
        unsigned allow;         /* methods the path accepts (for 405) */
};

/* Result of route_find. */
enum route_result {
        ROUTE_OK = 0,
        ROUTE_NOT_FOUND = -1,       /* no pattern matches the path */
        ROUTE_BAD_METHOD = -2,      /* path known, method not: see allow */
        ROUTE_BAD_PARAM = -3,       /* a parameter is not a valid id/kind/action */
};

/* `method` as sent ("GET", "HEAD", "POST", ...), `path` as decoded by MHD
 * (no query string).  Fills *m on every result (allow, name). */
int route_find(const char *method, const char *path, struct route_match *m);

/* "GET, HEAD, POST" for an allow mask. */
void route_allow_string(unsigned allow, char *buf, size_t size);

/* The route table, for GET /api/v1 and metrics labels. */
struct route_info {
        enum route_id id;
        unsigned methods;
        const char *pattern;
        const char *summary;
        int auth;               /* 0: no authentication */
};
extern const struct route_info route_table[];
extern const size_t route_table_len;
const char *route_name(enum route_id id);

/* Syntax checks shared with handlers. */
int route_valid_id(const char *s);      /* [A-Za-z0-9._-]{1,128}, not "." or ".." */
int route_valid_kind(const char *s);    /* [a-z0-9_]{1,31} */

#endif
