/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "gatewayd/registry.h"
#include "plugins/smb/smb_state.h"

#define B(s) (1u << (s))

static const char *const chan_names[] = {
        [SMB_CHAN_NEW] = "new",
        [SMB_CHAN_GOOD] = "good",
        [SMB_CHAN_EXITING] = "exiting",
        [SMB_CHAN_NEED_RECONNECT] = "need_reconnect",
        [SMB_CHAN_NEED_NEGOTIATE] = "need_negotiate",
        [SMB_CHAN_IN_NEGOTIATE] = "in_negotiate",
};

/*
 * Channel.  `new` covers the first TCP connect; a failed connect, a dead
 * socket or malformed traffic lead to need_reconnect from anywhere but
 * exiting.  A connected socket always passes through need_negotiate, and
 * only the NEGOTIATE claim leads to good.  A failed NEGOTIATE on a live
 * socket returns to need_negotiate (the socket is dropped by the caller
 * afterwards when the failure was a transport one).
 */
const struct smb_sm_table smb_chan_table = {
        .kind = "channel",
        .n_states = SMB_CHAN__COUNT,
        .names = chan_names,
        .allowed = {
                [SMB_CHAN_NEW] = B(SMB_CHAN_NEED_NEGOTIATE) | B(SMB_CHAN_NEED_RECONNECT) |
                                 B(SMB_CHAN_EXITING),
                [SMB_CHAN_NEED_NEGOTIATE] = B(SMB_CHAN_IN_NEGOTIATE) |
                                            B(SMB_CHAN_NEED_RECONNECT) | B(SMB_CHAN_EXITING),
                [SMB_CHAN_IN_NEGOTIATE] = B(SMB_CHAN_GOOD) | B(SMB_CHAN_NEED_NEGOTIATE) |
                                          B(SMB_CHAN_NEED_RECONNECT) | B(SMB_CHAN_EXITING),
                [SMB_CHAN_GOOD] = B(SMB_CHAN_NEED_RECONNECT) | B(SMB_CHAN_EXITING),
                [SMB_CHAN_NEED_RECONNECT] = B(SMB_CHAN_NEED_NEGOTIATE) | B(SMB_CHAN_EXITING),
                [SMB_CHAN_EXITING] = 0,
        },
        .claims = B(SMB_CHAN_IN_NEGOTIATE),
        .terminal = SMB_CHAN_EXITING,
};

static const char *const ses_names[] = {
        [SMB_SES_NEW] = "new",
        [SMB_SES_GOOD] = "good",
        [SMB_SES_EXITING] = "exiting",
        [SMB_SES_NEED_RECONNECT] = "need_reconnect",
        [SMB_SES_IN_SETUP] = "in_setup",
};

/*
 * Session.  Only the SESSION_SETUP claim leads to good; its failure (or
 * the loss of every channel while it runs) leads to need_reconnect, from
 * where a new claim starts over.
 */
const struct smb_sm_table smb_ses_table = {
        .kind = "session",
        .n_states = SMB_SES__COUNT,
        .names = ses_names,
        .allowed = {
                [SMB_SES_NEW] = B(SMB_SES_IN_SETUP) | B(SMB_SES_EXITING),
                [SMB_SES_IN_SETUP] = B(SMB_SES_GOOD) | B(SMB_SES_NEED_RECONNECT) |
                                     B(SMB_SES_EXITING),
                [SMB_SES_GOOD] = B(SMB_SES_NEED_RECONNECT) | B(SMB_SES_EXITING),
                [SMB_SES_NEED_RECONNECT] = B(SMB_SES_IN_SETUP) | B(SMB_SES_EXITING),
                [SMB_SES_EXITING] = 0,
        },
        .claims = B(SMB_SES_IN_SETUP),
        .terminal = SMB_SES_EXITING,
};

static const char *const tcon_names[] = {
        [SMB_TCON_NEW] = "new",
        [SMB_TCON_GOOD] = "good",
        [SMB_TCON_EXITING] = "exiting",
        [SMB_TCON_NEED_RECONNECT] = "need_reconnect",
        [SMB_TCON_NEED_TCON] = "need_tcon",
        [SMB_TCON_IN_TCON] = "in_tcon",
        [SMB_TCON_IN_FILES_INVALIDATE] = "in_files_invalidate",
};

/*
 * Tree connect.  After a loss (need_reconnect) the open handles are
 * invalidated under the in_files_invalidate claim before a new
 * TREE_CONNECT may be claimed from need_tcon.  A failed TREE_CONNECT goes
 * to need_tcon (the handles are already invalid); a session lost while
 * the TREE_CONNECT runs goes to need_reconnect.
 */
const struct smb_sm_table smb_tcon_table = {
        .kind = "tcon",
        .n_states = SMB_TCON__COUNT,
        .names = tcon_names,
        .allowed = {
                [SMB_TCON_NEW] = B(SMB_TCON_IN_TCON) | B(SMB_TCON_EXITING),
                [SMB_TCON_IN_TCON] = B(SMB_TCON_GOOD) | B(SMB_TCON_NEED_TCON) |
                                     B(SMB_TCON_NEED_RECONNECT) | B(SMB_TCON_EXITING),
                [SMB_TCON_GOOD] = B(SMB_TCON_NEED_RECONNECT) | B(SMB_TCON_EXITING),
                [SMB_TCON_NEED_RECONNECT] = B(SMB_TCON_IN_FILES_INVALIDATE) |
                                            B(SMB_TCON_EXITING),
                [SMB_TCON_IN_FILES_INVALIDATE] = B(SMB_TCON_NEED_TCON) | B(SMB_TCON_EXITING),
                [SMB_TCON_NEED_TCON] = B(SMB_TCON_IN_TCON) | B(SMB_TCON_NEED_RECONNECT) |
                                       B(SMB_TCON_EXITING),
                [SMB_TCON_EXITING] = 0,
        },
        .claims = B(SMB_TCON_IN_TCON) | B(SMB_TCON_IN_FILES_INVALIDATE),
        .terminal = SMB_TCON_EXITING,
};

void smb_sm_init(struct smb_sm *sm, const struct smb_sm_table *table, const struct gwd_api *api,
                 struct gwd_ctx *ctx, const char *label)
{
        memset(sm, 0, sizeof(*sm));
        sm->table = table;
        sm->state = 0;  /* `new` is 0 in every table */
        sm->api = api;
        sm->ctx = ctx;
        sm->label = label ? label : table->kind;
        smb_waitq_init(&sm->waiters);
}

const char *smb_sm_state_name(const struct smb_sm_table *t, unsigned state)
{
        return state < t->n_states ? t->names[state] : "invalid";
}

bool smb_sm_allowed(const struct smb_sm_table *t, unsigned from, unsigned to)
{
        if (from >= t->n_states || to >= t->n_states)
                return false;
        return (t->allowed[from] >> to) & 1u;
}

int smb_sm_publish(struct smb_sm *sm, const char *id, struct gwd_object *parent,
                   const char *const *actions, const struct gwd_object_ops *ops,
                   void *userdata)
{
        if (!sm->api)
                return 0;
        return sm->api->object_new(sm->ctx, sm->table->kind, id, parent,
                                   smb_sm_state_name(sm->table, sm->state), actions, ops,
                                   userdata, &sm->obj);
}

void smb_sm_unpublish(struct smb_sm *sm)
{
        if (sm->api && sm->obj)
                sm->api->object_free(sm->obj);
        sm->obj = NULL;
}

int smb_sm_move(struct smb_sm *sm, unsigned to, const char *cause)
{
        const struct smb_sm_table *t = sm->table;

        if (!cause)
                cause = "";
        if (!smb_sm_allowed(t, sm->state, to)) {
                sm->refused++;
                if (sm->api)
                        gwd_log(sm->api, sm->ctx, GWD_LOG_ERR,
                                "BUG: %s %s: illegal move %s -> %s refused (cause: %s)",
                                t->kind, sm->label, smb_sm_state_name(t, sm->state),
                                smb_sm_state_name(t, to), cause);
                return -EINVAL;
        }
        sm->state = to;
        sm->transitions++;
        if (sm->api && sm->obj)
                sm->api->object_set_state(sm->obj, t->names[to], cause);
        return 0;
}

int smb_sm_claim(struct smb_sm *sm, unsigned claim_state, const char *cause)
{
        if (!((sm->table->claims >> claim_state) & 1u))
                return -EINVAL;
        if (sm->state == claim_state)
                return -EINPROGRESS;
        if (!smb_sm_allowed(sm->table, sm->state, claim_state))
                return -EINVAL;
        return smb_sm_move(sm, claim_state, cause);
}

void smb_waitq_init(struct smb_waiter *head)
{
        head->next = head->prev = head;
        head->queued = false;
}

void smb_waitq_add(struct smb_waiter *head, struct smb_waiter *w)
{
        if (w->queued)
                smb_sm_unwait(w);
        w->prev = head->prev;
        w->next = head;
        head->prev->next = w;
        head->prev = w;
        w->queued = true;
}

bool smb_waitq_empty(const struct smb_waiter *head)
{
        return head->next == head;
}

size_t smb_waitq_len(const struct smb_waiter *head)
{
        size_t n = 0;
        for (const struct smb_waiter *w = head->next; w != head; w = w->next)
                n++;
        return n;
}

void smb_waitq_wake(struct smb_waiter *list, int error)
{
        struct smb_waiter head = { 0 };
        struct smb_waiter *w;

        /* Detach the list first: a woken waiter may queue itself again (on
         * a new claim) and must then wait for the next release. */
        if (smb_waitq_empty(list))
                return;
        head.next = list->next;
        head.prev = list->prev;
        head.next->prev = &head;
        head.prev->next = &head;
        list->next = list->prev = list;
        while ((w = head.next) != &head) {
                smb_sm_unwait(w);
                w->fn(w, error);
        }
}

void smb_sm_wait(struct smb_sm *sm, struct smb_waiter *w)
{
        smb_waitq_add(&sm->waiters, w);
}

void smb_sm_unwait(struct smb_waiter *w)
{
        if (!w->queued)
                return;
        w->prev->next = w->next;
        w->next->prev = w->prev;
        w->next = w->prev = NULL;
        w->queued = false;
}

bool smb_sm_has_waiters(const struct smb_sm *sm)
{
        return !smb_waitq_empty(&sm->waiters);
}

void smb_sm_wake(struct smb_sm *sm, int error)
{
        smb_waitq_wake(&sm->waiters, error);
}

int smb_sm_release(struct smb_sm *sm, unsigned to, int error, const char *cause)
{
        int r = 0;

        if (sm->state != to)
                r = smb_sm_move(sm, to, cause);
        smb_sm_wake(sm, error);
        return r;
}

static int typed_move(struct smb_sm *sm, const struct smb_sm_table *t, unsigned to,
                      const char *cause)
{
        if (sm->table != t) {
                sm->refused++;
                return -EINVAL;
        }
        return smb_sm_move(sm, to, cause);
}

int smb_chan_transition(struct smb_sm *sm, enum smb_chan_state to, const char *cause)
{
        return typed_move(sm, &smb_chan_table, to, cause);
}

int smb_ses_transition(struct smb_sm *sm, enum smb_ses_state to, const char *cause)
{
        return typed_move(sm, &smb_ses_table, to, cause);
}

int smb_tcon_transition(struct smb_sm *sm, enum smb_tcon_state to, const char *cause)
{
        return typed_move(sm, &smb_tcon_table, to, cause);
}

uint64_t smb_realtime_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

json_t *smb_time_json(uint64_t us)
{
        char buf[40];
        struct tm tm;
        time_t t = (time_t)(us / 1000000u);

        if (!us || !gmtime_r(&t, &tm))
                return json_null();
        size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, sizeof(buf) - n, ".%03uZ", (unsigned)(us / 1000u % 1000u));
        return json_string(buf);
}
