/* SPDX-License-Identifier: MIT */
/*
 * plugins/api/filter: collection filters from the query string.  Pure
 * code, unit-tested by tests/api/test-filter.
 *
 *   state=S[,S...]     state is one of the list
 *   state=!S[,S...]    state is none of the list
 *   parent=ID          the direct parent's id is ID
 *   <kind>=ID          some ancestor of that kind has id ID
 *                      (server=srv1: everything under server srv1)
 */
#ifndef GWD_API_FILTER_H
#define GWD_API_FILTER_H

#include <stddef.h>

#define FILTER_MAX_STATES 16
#define FILTER_MAX_ANCESTORS 4

struct api_filter {
        char states[FILTER_MAX_STATES][32];
        size_t n_states;
        int negate;
        char parent[129];
        struct {
                char kind[32];
                char id[129];
        } anc[FILTER_MAX_ANCESTORS];
        size_t n_anc;
};

/* Add one query parameter.  0 on success, -EINVAL with a message in err
 * for a bad value, -ENOENT when `key` is neither a filter nor a kind. */
int filter_add(struct api_filter *f, const char *key, const char *value, char *err,
               size_t err_size);

/* Does an object match?  ancestor_is(ud, kind, id) answers whether the
 * object has an ancestor of that kind and id. */
int filter_match(const struct api_filter *f, const char *state, const char *parent_id,
                 int (*ancestor_is)(void *ud, const char *kind, const char *id), void *ud);

#endif
