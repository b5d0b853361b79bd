/* SPDX-License-Identifier: MIT */
/*
 * The three state machines of the SMB client: channel (one TCP connection),
 * session and tree connect, with the Linux client's state names.
 *
 * Rules (docs/smb.md, ../shared/design/ARCHITECTURE.md):
 *  - The state of an object lives in its `struct smb_sm` and is written by
 *    exactly one function, smb_sm_move(), reached through the per-object
 *    transition functions smb_chan_transition(), smb_ses_transition() and
 *    smb_tcon_transition().  The move is checked against the object's
 *    table; an illegal move is refused with -EINVAL and logged as a bug.
 *    Every accepted move is recorded in the registry (history + event)
 *    with its cause.
 *  - Flags such as "need reconnect" are derived from the enum
 *    (smb_sm_is()), never stored beside it.
 *  - The in_* states are claims.  smb_sm_claim() moves into the claim
 *    state and makes the caller the owner; a caller that finds the claim
 *    already taken gets -EINPROGRESS and joins the waiter list with
 *    smb_sm_wait().  The owner finishes with smb_sm_release(), which moves
 *    to the outcome state and then completes every waiter with the result.
 *    A waiter is never told "done" while the work is still in progress.
 *  - `exiting` is terminal.
 */
#ifndef GWD_SMB_STATE_H
#define GWD_SMB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gatewayd/plugin.h"

enum smb_chan_state {
        SMB_CHAN_NEW,
        SMB_CHAN_GOOD,
        SMB_CHAN_EXITING,
        SMB_CHAN_NEED_RECONNECT,
        SMB_CHAN_NEED_NEGOTIATE,
        SMB_CHAN_IN_NEGOTIATE,
        SMB_CHAN__COUNT,
};

enum smb_ses_state {
        SMB_SES_NEW,
        SMB_SES_GOOD,
        SMB_SES_EXITING,
        SMB_SES_NEED_RECONNECT,
        SMB_SES_IN_SETUP,
        SMB_SES__COUNT,
};

enum smb_tcon_state {
        SMB_TCON_NEW,
        SMB_TCON_GOOD,
        SMB_TCON_EXITING,
        SMB_TCON_NEED_RECONNECT,
        SMB_TCON_NEED_TCON,
        SMB_TCON_IN_TCON,
        SMB_TCON_IN_FILES_INVALIDATE,
        SMB_TCON__COUNT,
};

#define SMB_SM_MAX_STATES 8

/* One object kind: its state names and its legal moves. */
struct smb_sm_table {
        const char *kind;                       /* registry kind */
        unsigned n_states;
        const char *const *names;               /* lower-case, as in the registry */
        /* allowed[from] is a bitmask of the states `from` may move to. */
        uint32_t allowed[SMB_SM_MAX_STATES];
        uint32_t claims;                        /* bitmask of claim (in_*) states */
        unsigned terminal;                      /* the `exiting` state */
};

extern const struct smb_sm_table smb_chan_table;
extern const struct smb_sm_table smb_ses_table;
extern const struct smb_sm_table smb_tcon_table;

/* A waiter on a claim: intrusive, owned by whoever waits. */
struct smb_waiter {
        struct smb_waiter *next, *prev;
        void (*fn)(struct smb_waiter *w, int error);
        bool queued;
};

struct smb_sm {
        const struct smb_sm_table *table;
        unsigned state;                         /* written by smb_sm_move() only */
        const struct gwd_api *api;              /* NULL: no registry, no log */
        struct gwd_ctx *ctx;
        struct gwd_object *obj;                 /* registry object, may be NULL */
        const char *label;                      /* id for log lines */
        struct smb_waiter waiters;              /* list head */
        uint64_t transitions;
        uint64_t refused;                       /* illegal moves (bugs) seen */
};

void smb_sm_init(struct smb_sm *sm, const struct smb_sm_table *table, const struct gwd_api *api,
                 struct gwd_ctx *ctx, const char *label);

/* Publish in the registry (kind from the table) with the current state. */
int smb_sm_publish(struct smb_sm *sm, const char *id, struct gwd_object *parent,
                   const char *const *actions, const struct gwd_object_ops *ops,
                   void *userdata);
/* Drop the registry object (children first); completes no waiter. */
void smb_sm_unpublish(struct smb_sm *sm);

const char *smb_sm_state_name(const struct smb_sm_table *t, unsigned state);
bool smb_sm_allowed(const struct smb_sm_table *t, unsigned from, unsigned to);

/* The one writer of sm->state.  0, or -EINVAL (illegal: logged as a bug). */
int smb_sm_move(struct smb_sm *sm, unsigned to, const char *cause);

static inline bool smb_sm_is(const struct smb_sm *sm, unsigned state)
{
        return sm->state == state;
}

static inline bool smb_sm_in_claim(const struct smb_sm *sm)
{
        return (sm->table->claims >> sm->state) & 1u;
}

/*
 * Take the claim `claim_state`: 0 when the caller now owns it, -EINPROGRESS
 * when somebody already does (join with smb_sm_wait), -EINVAL when the
 * move is not legal from the current state (not logged: callers probe).
 */
int smb_sm_claim(struct smb_sm *sm, unsigned claim_state, const char *cause);

/* Queue w (w->fn set by the caller) on the object's waiter list. */
void smb_sm_wait(struct smb_sm *sm, struct smb_waiter *w);
/* Remove w if queued (a waiter that gives up). */
void smb_sm_unwait(struct smb_waiter *w);
bool smb_sm_has_waiters(const struct smb_sm *sm);

/*
 * End of a claim (or of any wait-worthy phase): move to `to` (skipped when
 * `to` equals the current state) and complete all waiters with `error`.
 * Returns the result of the move.
 */
int smb_sm_release(struct smb_sm *sm, unsigned to, int error, const char *cause);

/* Complete all waiters with `error` without a move. */
void smb_sm_wake(struct smb_sm *sm, int error);

/* A bare waiter list (handles, parked requests): head is a sentinel. */
void smb_waitq_init(struct smb_waiter *head);
void smb_waitq_add(struct smb_waiter *head, struct smb_waiter *w);
bool smb_waitq_empty(const struct smb_waiter *head);
size_t smb_waitq_len(const struct smb_waiter *head);
/* Complete every waiter with `error` (the list is detached first). */
void smb_waitq_wake(struct smb_waiter *head, int error);

/* Per-object transition functions: thin, typed wrappers of smb_sm_move. */
int smb_chan_transition(struct smb_sm *sm, enum smb_chan_state to, const char *cause);
int smb_ses_transition(struct smb_sm *sm, enum smb_ses_state to, const char *cause);
int smb_tcon_transition(struct smb_sm *sm, enum smb_tcon_state to, const char *cause);

/* CLOCK_REALTIME in microseconds, and as an RFC 3339 UTC string with
 * milliseconds (null for 0: never). */
uint64_t smb_realtime_us(void);
struct json_t;
struct json_t *smb_time_json(uint64_t realtime_us);

/* Copy a message into a fixed buffer, truncating (never overflowing). */
static inline void smb_copy_msg(char *dst, size_t cap, const char *src)
{
        size_t n = 0;
        if (!cap)
                return;
        if (src)
                while (src[n] && n < cap - 1)
                        n++;
        if (n)
                memcpy(dst, src, n);
        dst[n] = 0;
}

#endif /* GWD_SMB_STATE_H */
