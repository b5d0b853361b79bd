/* SPDX-License-Identifier: MIT */
/*
 * The WebDAV lock table (RFC 4918 sections 6 and 7): exclusive and shared
 * write locks on (share, path), depth 0 or infinity, with timeouts.  Locks
 * live in memory only; a daemon restart forgets them (clients refresh or
 * re-lock).  Pure data structure, unit-tested; time is passed in.
 */
#ifndef WD_LOCK_H
#define WD_LOCK_H

#include <stddef.h>
#include <stdint.h>

#define WD_LOCKS_MAX 4096
#define WD_TOKEN_MAX 64         /* "opaquelocktoken:" + UUID + NUL fits */

struct wd_lock {
        struct wd_lock *next;
        char *share;
        char *path;             /* share path, "" for the root */
        char token[WD_TOKEN_MAX];
        int exclusive;
        int infinite;           /* depth infinity */
        char *owner;            /* serialized <D:owner> content, may be NULL */
        char *principal;        /* authenticated user, "" when anonymous */
        unsigned timeout_s;
        uint64_t expires_us;    /* CLOCK_MONOTONIC */
};

struct wd_locks {
        struct wd_lock *head;
        size_t n;
};

void wd_locks_init(struct wd_locks *t);
void wd_locks_clear(struct wd_locks *t);

/* Drop expired locks. */
void wd_locks_expire(struct wd_locks *t, uint64_t now_us);

/* 1 if lock l applies to (share, path): on it, or on an ancestor with
 * depth infinity. */
int wd_lock_covers(const struct wd_lock *l, const char *share, const char *path);

/* A new lock on (share, path): -EBUSY when an existing lock conflicts
 * (*ret_conflict set), -ENOSPC when the table is full, -ENOMEM. */
int wd_locks_add(struct wd_locks *t, const char *share, const char *path, int exclusive,
                 int infinite, const char *owner, const char *principal, unsigned timeout_s,
                 uint64_t now_us, struct wd_lock **ret, const struct wd_lock **ret_conflict);

struct wd_lock *wd_locks_find(struct wd_locks *t, const char *token);

/* Remove by token: 0, or -ENOENT. */
int wd_locks_remove(struct wd_locks *t, const char *token);

/* Remove every lock on `path` or below (the resource went away). */
void wd_locks_remove_under(struct wd_locks *t, const char *share, const char *path);

/* What a modification must prove it holds (flags for wd_locks_check). */
#define WD_LCK_SELF 0x1u        /* locks covering the path */
#define WD_LCK_BELOW 0x2u       /* locks on descendants (collection delete/move) */
#define WD_LCK_PARENT 0x4u      /* the parent's locks: membership changes */

/* 0 when every lock selected by `what` has its token submitted
 * (submitted(ud, token) returns 1), else -EAGAIN and *ret_lock names the
 * first lock that blocks. */
int wd_locks_check(struct wd_locks *t, const char *share, const char *path, unsigned what,
                   int (*submitted)(void *ud, const char *token), void *ud,
                   const struct wd_lock **ret_lock);

/* Call fn for every lock covering (share, path). */
void wd_locks_foreach(struct wd_locks *t, const char *share, const char *path,
                      void (*fn)(void *ud, const struct wd_lock *l), void *ud);

/* A fresh "opaquelocktoken:<uuid>" (random version 4 UUID). */
int wd_lock_token_new(char out[WD_TOKEN_MAX]);

#endif
