/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "wd-lock.h"
#include "wd-path.h"

void wd_locks_init(struct wd_locks *t)
{
        t->head = NULL;
        t->n = 0;
}

static void lock_free(struct wd_lock *l)
{
        if (!l)
                return;
        free(l->share);
        free(l->path);
        free(l->owner);
        free(l->principal);
        free(l);
}

void wd_locks_clear(struct wd_locks *t)
{
        while (t->head) {
                struct wd_lock *l = t->head;
                t->head = l->next;
                lock_free(l);
        }
        t->n = 0;
}

void wd_locks_expire(struct wd_locks *t, uint64_t now_us)
{
        for (struct wd_lock **pp = &t->head; *pp;) {
                struct wd_lock *l = *pp;
                if (l->expires_us <= now_us) {
                        *pp = l->next;
                        lock_free(l);
                        t->n--;
                } else {
                        pp = &l->next;
                }
        }
}

int wd_lock_covers(const struct wd_lock *l, const char *share, const char *path)
{
        if (strcmp(l->share, share) != 0)
                return 0;
        if (strcmp(l->path, path) == 0)
                return 1;
        return l->infinite && wd_path_within(path, l->path);
}

int wd_lock_token_new(char out[WD_TOKEN_MAX])
{
        uint8_t u[16];
        if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
                return -EIO;
        u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);       /* version 4 */
        u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);       /* RFC 4122 variant */
        snprintf(out, WD_TOKEN_MAX,
                 "opaquelocktoken:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                 "%02x%02x%02x%02x%02x%02x",
                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                 u[12], u[13], u[14], u[15]);
        return 0;
}

int wd_locks_add(struct wd_locks *t, const char *share, const char *path, int exclusive,
                 int infinite, const char *owner, const char *principal, unsigned timeout_s,
                 uint64_t now_us, struct wd_lock **ret, const struct wd_lock **ret_conflict)
{
        struct wd_lock *l;
        int r;

        for (l = t->head; l; l = l->next) {
                if (strcmp(l->share, share) != 0)
                        continue;
                /* overlap: the existing lock reaches us, or ours reaches it */
                int overlap = wd_lock_covers(l, share, path) ||
                              (infinite && wd_path_within(l->path, path));
                if (overlap && (exclusive || l->exclusive)) {
                        if (ret_conflict)
                                *ret_conflict = l;
                        return -EBUSY;
                }
        }
        if (t->n >= WD_LOCKS_MAX)
                return -ENOSPC;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->share = strdup(share);
        l->path = strdup(path);
        l->principal = strdup(principal ? principal : "");
        l->owner = owner ? strdup(owner) : NULL;
        if (!l->share || !l->path || !l->principal || (owner && !l->owner)) {
                lock_free(l);
                return -ENOMEM;
        }
        r = wd_lock_token_new(l->token);
        if (r < 0) {
                lock_free(l);
                return r;
        }
        l->exclusive = exclusive;
        l->infinite = infinite;
        l->timeout_s = timeout_s;
        l->expires_us = now_us + (uint64_t)timeout_s * 1000000u;
        l->next = t->head;
        t->head = l;
        t->n++;
        *ret = l;
        return 0;
}

struct wd_lock *wd_locks_find(struct wd_locks *t, const char *token)
{
        for (struct wd_lock *l = t->head; l; l = l->next)
                if (strcmp(l->token, token) == 0)
                        return l;
        return NULL;
}

int wd_locks_remove(struct wd_locks *t, const char *token)
{
        for (struct wd_lock **pp = &t->head; *pp; pp = &(*pp)->next)
                if (strcmp((*pp)->token, token) == 0) {
                        struct wd_lock *l = *pp;
                        *pp = l->next;
                        lock_free(l);
                        t->n--;
                        return 0;
                }
        return -ENOENT;
}

void wd_locks_remove_under(struct wd_locks *t, const char *share, const char *path)
{
        for (struct wd_lock **pp = &t->head; *pp;) {
                struct wd_lock *l = *pp;
                if (strcmp(l->share, share) == 0 && wd_path_within(l->path, path)) {
                        *pp = l->next;
                        lock_free(l);
                        t->n--;
                } else {
                        pp = &l->next;
                }
        }
}

int wd_locks_check(struct wd_locks *t, const char *share, const char *path, unsigned what,
                   int (*submitted)(void *ud, const char *token), void *ud,
                   const struct wd_lock **ret_lock)
{
        char *parent = NULL;

        if ((what & WD_LCK_PARENT) && *path) {
                const char *s = strrchr(path, '/');
                parent = s ? strndup(path, (size_t)(s - path)) : strdup("");
                if (!parent)
                        return -ENOMEM;
        }
        for (struct wd_lock *l = t->head; l; l = l->next) {
                int applies = 0;
                if (strcmp(l->share, share) != 0)
                        continue;
                if ((what & WD_LCK_SELF) && wd_lock_covers(l, share, path))
                        applies = 1;
                if ((what & WD_LCK_BELOW) && wd_path_within(l->path, path))
                        applies = 1;
                if (parent && wd_lock_covers(l, share, parent))
                        applies = 1;
                if (applies && !submitted(ud, l->token)) {
                        if (ret_lock)
                                *ret_lock = l;
                        free(parent);
                        return -EAGAIN;
                }
        }
        free(parent);
        return 0;
}

void wd_locks_foreach(struct wd_locks *t, const char *share, const char *path,
                      void (*fn)(void *ud, const struct wd_lock *l), void *ud)
{
        for (struct wd_lock *l = t->head; l; l = l->next)
                if (wd_lock_covers(l, share, path))
                        fn(ud, l);
}
