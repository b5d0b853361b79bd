/* SPDX-License-Identifier: MIT */
/* The backend registry: named shares behind asynchronous file operations. */
#ifndef GWD_CORE_SHARES_H
#define GWD_CORE_SHARES_H

#include "gatewayd/backend.h"

struct gwd_ctx;
struct share_table;
struct defer_queue;

int share_table_new(struct defer_queue *dq, struct share_table **ret);
void share_table_free(struct share_table *t);

int share_register(struct share_table *t, struct gwd_ctx *owner, const char *name,
                   const struct gwd_backend_ops *ops, void *userdata, struct gwd_share **ret);
void share_unregister(struct gwd_share *share);
unsigned share_unregister_owned(struct share_table *t, struct gwd_ctx *owner);

struct gwd_share *share_find(struct share_table *t, const char *name);
int share_foreach(struct share_table *t, int (*fn)(void *ud, struct gwd_share *s), void *ud);
const char *share_name(const struct gwd_share *share);
const struct gwd_backend_ops *share_ops(const struct gwd_share *share, void **ret_userdata);

int path_check(const char *path);
/* Share names: 1..64 of [A-Za-z0-9_.-], not starting with '.'. */
int share_name_check(const char *name);

#endif
