/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plugins/api/filter.h"
#include "plugins/api/router.h"

int filter_add(struct api_filter *f, const char *key, const char *value, char *err,
               size_t err_size)
{
        if (!value)
                value = "";
        if (strcmp(key, "state") == 0) {
                const char *p = value;
                if (f->n_states) {
                        snprintf(err, err_size, "state: given twice");
                        return -EINVAL;
                }
                if (*p == '!') {
                        f->negate = 1;
                        p++;
                }
                for (;;) {
                        const char *comma = strchr(p, ',');
                        size_t n = comma ? (size_t)(comma - p) : strlen(p);
                        char tmp[32];
                        if (n == 0 || n >= sizeof(tmp) || f->n_states == FILTER_MAX_STATES) {
                                snprintf(err, err_size, "state: expected [!]STATE[,STATE...] "
                                         "with at most %d states", FILTER_MAX_STATES);
                                return -EINVAL;
                        }
                        memcpy(tmp, p, n);
                        tmp[n] = '\0';
                        if (!route_valid_kind(tmp)) {
                                snprintf(err, err_size, "state: \"%s\" is not a state name "
                                         "([a-z0-9_]{1,31})", tmp);
                                return -EINVAL;
                        }
                        memcpy(f->states[f->n_states++], tmp, n + 1);
                        if (!comma)
                                break;
                        p = comma + 1;
                }
                return 0;
        }
        if (strcmp(key, "parent") == 0) {
                if (f->parent[0] || !route_valid_id(value)) {
                        snprintf(err, err_size, "parent: expected one object id");
                        return -EINVAL;
                }
                snprintf(f->parent, sizeof(f->parent), "%s", value);
                return 0;
        }
        if (!route_valid_kind(key)) {
                snprintf(err, err_size, "unknown query parameter");
                return -ENOENT;
        }
        if (!route_valid_id(value)) {
                snprintf(err, err_size, "%s: expected an object id", key);
                return -EINVAL;
        }
        if (f->n_anc == FILTER_MAX_ANCESTORS) {
                snprintf(err, err_size, "at most %d ancestor filters", FILTER_MAX_ANCESTORS);
                return -EINVAL;
        }
        snprintf(f->anc[f->n_anc].kind, sizeof(f->anc[0].kind), "%s", key);
        snprintf(f->anc[f->n_anc].id, sizeof(f->anc[0].id), "%s", value);
        f->n_anc++;
        return 0;
}

int filter_match(const struct api_filter *f, const char *state, const char *parent_id,
                 int (*ancestor_is)(void *ud, const char *kind, const char *id), void *ud)
{
        if (f->n_states) {
                int in = 0;
                for (size_t i = 0; i < f->n_states && !in; i++)
                        in = strcmp(f->states[i], state) == 0;
                if (in == f->negate)
                        return 0;
        }
        if (f->parent[0] && (!parent_id || strcmp(parent_id, f->parent) != 0))
                return 0;
        for (size_t i = 0; i < f->n_anc; i++)
                if (!ancestor_is(ud, f->anc[i].kind, f->anc[i].id))
                        return 0;
        return 1;
}
