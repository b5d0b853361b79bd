/* SPDX-License-Identifier: MIT */
/*
 * The three SMB state tables (plugins/smb/smb_state.c), checked against the
 * legal moves written out here independently, and the claim/waiter
 * mechanism driven by fake asynchronous work on a real sd-event loop.
 * State changes are observed through the core registry (libgwdcore host).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayd/host.h"
#include "gatewayd/log.h"
#include "plugins/smb/smb_recover.h"
#include "plugins/smb/smb_state.h"
#include "tests/check-run.h"

struct move {
        const char *from, *to;
};

/* The legal moves, as documented in docs/smb.md. */
static const struct move chan_moves[] = {
        { "new", "need_negotiate" },          { "new", "need_reconnect" },
        { "new", "exiting" },                 { "need_negotiate", "in_negotiate" },
        { "need_negotiate", "need_reconnect" }, { "need_negotiate", "exiting" },
        { "in_negotiate", "good" },           { "in_negotiate", "need_negotiate" },
        { "in_negotiate", "need_reconnect" }, { "in_negotiate", "exiting" },
        { "good", "need_reconnect" },         { "good", "exiting" },
        { "need_reconnect", "need_negotiate" }, { "need_reconnect", "exiting" },
        { NULL, NULL },
};

static const struct move ses_moves[] = {
        { "new", "in_setup" },           { "new", "exiting" },
        { "in_setup", "good" },          { "in_setup", "need_reconnect" },
        { "in_setup", "exiting" },       { "good", "need_reconnect" },
        { "good", "exiting" },           { "need_reconnect", "in_setup" },
        { "need_reconnect", "exiting" }, { NULL, NULL },
};

static const struct move tcon_moves[] = {
        { "new", "in_tcon" },
        { "new", "exiting" },
        { "in_tcon", "good" },
        { "in_tcon", "need_tcon" },
        { "in_tcon", "need_reconnect" },
        { "in_tcon", "exiting" },
        { "good", "need_reconnect" },
        { "good", "exiting" },
        { "need_reconnect", "in_files_invalidate" },
        { "need_reconnect", "exiting" },
        { "in_files_invalidate", "need_tcon" },
        { "in_files_invalidate", "exiting" },
        { "need_tcon", "in_tcon" },
        { "need_tcon", "need_reconnect" },
        { "need_tcon", "exiting" },
        { NULL, NULL },
};

static sd_event *loop;
static struct gwd_host *host;
static struct gwd_ctx *ctx;
static const struct gwd_api *api;

static void setup(void)
{
        log_set_max_level(2);   /* the refused moves below log "BUG" lines: keep quiet */
        ck_assert_int_ge(sd_event_new(&loop), 0);
        ck_assert_int_eq(host_new(loop, &host), 0);
        ck_assert_int_eq(host_ctx_new(host, "t", &ctx), 0);
        api = host_api();
}

static void teardown(void)
{
        host_ctx_free(ctx);
        host_free(host);
        sd_event_unref(loop);
}

static int state_index(const struct smb_sm_table *t, const char *name)
{
        for (unsigned i = 0; i < t->n_states; i++)
                if (strcmp(t->names[i], name) == 0)
                        return (int)i;
        ck_abort_msg("unknown state %s", name);
        return -1;
}

static bool listed(const struct move *m, const char *from, const char *to)
{
        for (; m->from; m++)
                if (strcmp(m->from, from) == 0 && strcmp(m->to, to) == 0)
                        return true;
        return false;
}

/* Shortest legal path from `new` to `target` (BFS over the listed moves). */
static int path_to(const struct smb_sm_table *t, const struct move *moves, unsigned target,
                   unsigned *path)
{
        int prev[SMB_SM_MAX_STATES];
        unsigned queue[SMB_SM_MAX_STATES], qh = 0, qt = 0;
        for (unsigned i = 0; i < SMB_SM_MAX_STATES; i++)
                prev[i] = -2;
        prev[0] = -1;
        queue[qt++] = 0;
        while (qh < qt) {
                unsigned s = queue[qh++];
                for (const struct move *m = moves; m->from; m++) {
                        if (state_index(t, m->from) != (int)s)
                                continue;
                        unsigned n = (unsigned)state_index(t, m->to);
                        if (prev[n] != -2)
                                continue;
                        prev[n] = (int)s;
                        queue[qt++] = n;
                }
        }
        ck_assert_msg(prev[target] != -2, "state %s unreachable", t->names[target]);
        int len = 0;
        unsigned rev[SMB_SM_MAX_STATES];
        for (int s = (int)target; s > 0; s = prev[s])
                rev[len++] = (unsigned)s;
        for (int i = 0; i < len; i++)
                path[i] = rev[len - 1 - i];
        return len;
}

static void check_table(const struct smb_sm_table *t, const struct move *moves)
{
        char id[64];
        unsigned n = 0;

        /* The table itself equals the written-out list. */
        for (unsigned f = 0; f < t->n_states; f++)
                for (unsigned to = 0; to < t->n_states; to++)
                        ck_assert_msg(smb_sm_allowed(t, f, to) ==
                                              listed(moves, t->names[f], t->names[to]),
                                      "%s: %s -> %s", t->kind, t->names[f], t->names[to]);
        /* And the transition function follows it, recording every move. */
        for (unsigned f = 0; f < t->n_states; f++)
                for (unsigned to = 0; to < t->n_states; to++) {
                        struct smb_sm sm;
                        unsigned path[SMB_SM_MAX_STATES];
                        snprintf(id, sizeof(id), "%s-%u", t->kind, n++);
                        smb_sm_init(&sm, t, api, ctx, id);
                        ck_assert_int_eq(smb_sm_publish(&sm, id, NULL, NULL, NULL, NULL), 0);
                        int len = path_to(t, moves, f, path);
                        for (int i = 0; i < len; i++)
                                ck_assert_int_eq(smb_sm_move(&sm, path[i], "walk"), 0);
                        ck_assert_str_eq(api->object_state(sm.obj), t->names[f]);
                        int r = smb_sm_move(&sm, to, "probe");
                        if (listed(moves, t->names[f], t->names[to])) {
                                ck_assert_int_eq(r, 0);
                                ck_assert_uint_eq(sm.state, to);
                                ck_assert_str_eq(api->object_state(sm.obj), t->names[to]);
                                ck_assert_uint_eq(sm.refused, 0);
                        } else {
                                ck_assert_int_eq(r, -EINVAL);
                                ck_assert_uint_eq(sm.state, f);
                                ck_assert_str_eq(api->object_state(sm.obj), t->names[f]);
                                ck_assert_uint_eq(sm.refused, 1);
                        }
                        json_t *j = api->object_to_json(sm.obj, GWD_JSON_HISTORY);
                        ck_assert_ptr_nonnull(j);
                        json_decref(j);
                        smb_sm_unpublish(&sm);
                }
        /* exiting is terminal and every state can reach it. */
        for (unsigned to = 0; to < t->n_states; to++)
                ck_assert(!smb_sm_allowed(t, t->terminal, to));
        for (unsigned f = 0; f < t->n_states; f++)
                if (f != t->terminal)
                        ck_assert(smb_sm_allowed(t, f, t->terminal));
}

START_TEST(test_chan_table)
{
        check_table(&smb_chan_table, chan_moves);
}
END_TEST

START_TEST(test_ses_table)
{
        check_table(&smb_ses_table, ses_moves);
}
END_TEST

START_TEST(test_tcon_table)
{
        check_table(&smb_tcon_table, tcon_moves);
}
END_TEST

START_TEST(test_typed_wrappers)
{
        struct smb_sm sm;
        smb_sm_init(&sm, &smb_ses_table, NULL, NULL, "x");
        /* A channel move on a session object is refused whatever the state. */
        ck_assert_int_eq(smb_chan_transition(&sm, SMB_CHAN_NEED_NEGOTIATE, "x"), -EINVAL);
        ck_assert_int_eq(smb_ses_transition(&sm, SMB_SES_IN_SETUP, "x"), 0);
        ck_assert_int_eq(smb_tcon_transition(&sm, SMB_TCON_GOOD, "x"), -EINVAL);
        ck_assert_uint_eq(sm.state, SMB_SES_IN_SETUP);
        ck_assert_str_eq(smb_sm_state_name(&smb_tcon_table, SMB_TCON_IN_FILES_INVALIDATE),
                         "in_files_invalidate");
        ck_assert_str_eq(smb_sm_state_name(&smb_tcon_table, 99), "invalid");
}
END_TEST

/* --- claims and waiters with fake work -------------------------------------- */

struct fake {
        struct smb_sm sm;
        sd_event_source *work;
        int outcome;                    /* error the work ends with */
        unsigned started;               /* how often the work was started */
};

struct caller {
        struct smb_waiter w;
        struct fake *obj;
        int result;
        bool called;
        unsigned state_seen;
};

static int work_done(sd_event_source *s, uint64_t usec, void *ud)
{
        struct fake *f = ud;
        f->work = sd_event_source_unref(f->work);
        if (f->outcome == 0)
                smb_sm_release(&f->sm, SMB_CHAN_GOOD, 0, "fake negotiate done");
        else
                smb_sm_release(&f->sm, SMB_CHAN_NEED_RECONNECT, f->outcome, "fake failure");
        return 0;
}

static void caller_done(struct smb_waiter *w, int error)
{
        struct caller *c = (struct caller *)w;
        ck_assert(!c->called);          /* exactly once */
        c->called = true;
        c->result = error;
        c->state_seen = c->obj->sm.state;
}

/* "Ensure good": the first caller claims and starts the work, the others wait. */
static int ensure(struct fake *f, struct caller *c)
{
        c->obj = f;
        c->w.fn = caller_done;
        if (smb_sm_is(&f->sm, SMB_CHAN_GOOD))
                return 0;
        int r = smb_sm_claim(&f->sm, SMB_CHAN_IN_NEGOTIATE, "fake negotiate");
        if (r == 0) {
                f->started++;
                ck_assert_int_ge(sd_event_add_time_relative(loop, &f->work, CLOCK_MONOTONIC,
                                                            1000, 0, work_done, f),
                                 0);
        } else if (r != -EINPROGRESS) {
                return r;
        }
        smb_sm_wait(&f->sm, &c->w);
        return -EINPROGRESS;
}

static void run_until_idle(struct fake *f)
{
        while (f->work)
                ck_assert_int_ge(sd_event_run(loop, 1000000), 0);
}

START_TEST(test_claim_success)
{
        struct fake f = { 0 };
        struct caller c[5] = { 0 };

        smb_sm_init(&f.sm, &smb_chan_table, api, ctx, "fake");
        ck_assert_int_eq(smb_sm_publish(&f.sm, "fake", NULL, NULL, NULL, NULL), 0);
        ck_assert_int_eq(smb_sm_move(&f.sm, SMB_CHAN_NEED_NEGOTIATE, "connected"), 0);
        for (int i = 0; i < 5; i++) {
                ck_assert_int_eq(ensure(&f, &c[i]), -EINPROGRESS);
                /* In progress never looks like done. */
                ck_assert(!c[i].called);
                ck_assert_uint_eq(f.sm.state, SMB_CHAN_IN_NEGOTIATE);
        }
        ck_assert_uint_eq(f.started, 1);        /* only the first caller did the work */
        run_until_idle(&f);
        for (int i = 0; i < 5; i++) {
                ck_assert(c[i].called);
                ck_assert_int_eq(c[i].result, 0);
                ck_assert_uint_eq(c[i].state_seen, SMB_CHAN_GOOD);
        }
        ck_assert(!smb_sm_has_waiters(&f.sm));
        struct caller late = { 0 };
        ck_assert_int_eq(ensure(&f, &late), 0);
        ck_assert_str_eq(api->object_state(f.sm.obj), "good");
        smb_sm_unpublish(&f.sm);
}
END_TEST

START_TEST(test_claim_failure_and_retry)
{
        struct fake f = { .outcome = -ECONNREFUSED };
        struct caller a = { 0 }, b = { 0 }, c = { 0 };

        smb_sm_init(&f.sm, &smb_chan_table, api, ctx, "fake2");
        ck_assert_int_eq(smb_sm_move(&f.sm, SMB_CHAN_NEED_NEGOTIATE, "connected"), 0);
        ck_assert_int_eq(ensure(&f, &a), -EINPROGRESS);
        ck_assert_int_eq(ensure(&f, &b), -EINPROGRESS);
        /* A waiter that gives up is never called. */
        smb_sm_unwait(&b.w);
        run_until_idle(&f);
        ck_assert(a.called);
        ck_assert_int_eq(a.result, -ECONNREFUSED);
        ck_assert_uint_eq(a.state_seen, SMB_CHAN_NEED_RECONNECT);
        ck_assert(!b.called);
        /* From need_reconnect the claim is not legal: no work starts. */
        ck_assert_int_eq(ensure(&f, &c), -EINVAL);
        ck_assert_uint_eq(f.started, 1);
        /* A new socket: the next caller claims again and succeeds. */
        ck_assert_int_eq(smb_sm_move(&f.sm, SMB_CHAN_NEED_NEGOTIATE, "reconnected"), 0);
        f.outcome = 0;
        memset(&c, 0, sizeof(c));
        ck_assert_int_eq(ensure(&f, &c), -EINPROGRESS);
        run_until_idle(&f);
        ck_assert_int_eq(c.result, 0);
        ck_assert_uint_eq(f.started, 2);
}
END_TEST

static struct caller requeue_second;

static void requeue_cb(struct smb_waiter *w, int error)
{
        struct caller *c = (struct caller *)w;
        c->called = true;
        c->result = error;
        /* Joining again while being woken: must wait for the next release. */
        requeue_second.w.fn = caller_done;
        requeue_second.obj = c->obj;
        smb_sm_wait(&c->obj->sm, &requeue_second.w);
}

START_TEST(test_wake_detaches_list)
{
        struct fake f = { 0 };
        struct caller a = { 0 };

        smb_sm_init(&f.sm, &smb_chan_table, NULL, NULL, "fake3");
        ck_assert_int_eq(smb_sm_move(&f.sm, SMB_CHAN_NEED_NEGOTIATE, "x"), 0);
        ck_assert_int_eq(smb_sm_claim(&f.sm, SMB_CHAN_IN_NEGOTIATE, "x"), 0);
        ck_assert_int_eq(smb_sm_claim(&f.sm, SMB_CHAN_IN_NEGOTIATE, "x"), -EINPROGRESS);
        a.obj = &f;
        a.w.fn = requeue_cb;
        smb_sm_wait(&f.sm, &a.w);
        memset(&requeue_second, 0, sizeof(requeue_second));
        smb_sm_release(&f.sm, SMB_CHAN_GOOD, 0, "done");
        ck_assert(a.called);
        ck_assert(!requeue_second.called);
        ck_assert(smb_sm_has_waiters(&f.sm));
        smb_sm_wake(&f.sm, -ECANCELED);
        ck_assert(requeue_second.called);
        ck_assert_int_eq(requeue_second.result, -ECANCELED);
        /* Claims only for claim states. */
        ck_assert_int_eq(smb_sm_claim(&f.sm, SMB_CHAN_GOOD, "x"), -EINVAL);
}
END_TEST

/* The reconnect schedule: first at once, then min doubling, capped. */
START_TEST(test_backoff_schedule)
{
        const struct smb_backoff b = { .first_ms = 0, .min_ms = 50, .max_ms = 2000 };
        const uint32_t want[] = { 0, 50, 100, 200, 400, 800, 1600, 2000, 2000 };

        for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                ck_assert_uint_eq(smb_backoff_delay_ms(&b, i, -ETIMEDOUT), want[i]);
        ck_assert_uint_eq(smb_backoff_delay_ms(&b, 1000000u, -ETIMEDOUT), 2000);    /* no overflow */
        const struct smb_backoff c = { .first_ms = 7, .min_ms = 300, .max_ms = 100 };
        ck_assert_uint_eq(smb_backoff_delay_ms(&c, 0, -ETIMEDOUT), 7);
        ck_assert_uint_eq(smb_backoff_delay_ms(&c, 1, -ETIMEDOUT), 100);            /* min above max */
        const struct smb_backoff z = { .first_ms = 0, .min_ms = 0, .max_ms = 10 };
        ck_assert_uint_eq(smb_backoff_delay_ms(&z, 1, -ETIMEDOUT), 1);              /* never 0 after a failure */
        ck_assert_uint_eq(smb_backoff_delay_ms(&z, 5, -ETIMEDOUT), 10);
        /* A refusing server is polled with the lower cap. */
        const struct smb_backoff r = { .min_ms = 50, .max_ms = 2000, .refused_max_ms = 100 };
        ck_assert_uint_eq(smb_backoff_delay_ms(&r, 1, -ECONNREFUSED), 50);
        ck_assert_uint_eq(smb_backoff_delay_ms(&r, 6, -ECONNREFUSED), 100);
        ck_assert_uint_eq(smb_backoff_delay_ms(&r, 6, -ECONNRESET), 100);
        ck_assert_uint_eq(smb_backoff_delay_ms(&r, 6, -ETIMEDOUT), 1600);
}
END_TEST

/* The bare waiter lists behind handles and parked requests. */
static int waitq_hits;
static void waitq_cb(struct smb_waiter *w, int error)
{
        waitq_hits += error == -EAGAIN ? 1 : 100;
}

START_TEST(test_waitq)
{
        struct smb_waiter head, a = { .fn = waitq_cb }, b = { .fn = waitq_cb };

        smb_waitq_init(&head);
        ck_assert(smb_waitq_empty(&head));
        smb_waitq_add(&head, &a);
        smb_waitq_add(&head, &b);
        ck_assert_uint_eq(smb_waitq_len(&head), 2);
        smb_sm_unwait(&a);
        ck_assert_uint_eq(smb_waitq_len(&head), 1);
        waitq_hits = 0;
        smb_waitq_wake(&head, -EAGAIN);
        ck_assert_int_eq(waitq_hits, 1);
        ck_assert(smb_waitq_empty(&head));
        ck_assert(!b.queued);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("smb-state");
        TCase *tc = tcase_create("tables");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_chan_table);
        tcase_add_test(tc, test_ses_table);
        tcase_add_test(tc, test_tcon_table);
        tcase_add_test(tc, test_typed_wrappers);
        suite_add_tcase(s, tc);
        tc = tcase_create("claims");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_claim_success);
        tcase_add_test(tc, test_claim_failure_and_retry);
        tcase_add_test(tc, test_wake_detaches_list);
        tcase_add_test(tc, test_waitq);
        tcase_add_test(tc, test_backoff_schedule);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(suite());
}
