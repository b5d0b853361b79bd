/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the core's Check suites (test-objects, test-shares,
 * test-mem): a loop + host + ctx, and "start a backend operation, prove it
 * did not complete inline, then run the loop until its completion arrives
 * (with a timeout) and prove it completed exactly once".
 */
#ifndef GWD_TESTS_CORE_TESTUTIL_H
#define GWD_TESTS_CORE_TESTUTIL_H

#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "gatewayd/backend.h"
#include "gatewayd/plugin.h"
#include "gatewayd/registry.h"
#include "gatewayd/host.h"

#define CT_TIMEOUT_USEC (10u * 1000000u)

struct ct_env {
        sd_event *loop;
        struct gwd_host *host;
        struct gwd_ctx *ctx;
        const struct gwd_api *api;
};

static inline uint64_t ct_now_usec(clockid_t clk)
{
        struct timespec ts;
        clock_gettime(clk, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline void ct_env_init(struct ct_env *e, const char *instance)
{
        int r;

        memset(e, 0, sizeof(*e));
        r = sd_event_new(&e->loop);
        ck_assert_msg(r >= 0, "sd_event_new: %s", strerror(-r));
        r = host_new(e->loop, &e->host);
        ck_assert_msg(r == 0, "host_new: %s", strerror(-r));
        r = host_ctx_new(e->host, instance, &e->ctx);
        ck_assert_msg(r == 0, "host_ctx_new: %s", strerror(-r));
        e->api = host_api();
        ck_assert_ptr_nonnull(e->api);
}

/* Run whatever is ready without blocking, until nothing is. */
static inline void ct_env_drain(struct ct_env *e)
{
        for (int i = 0; i < 1000; i++) {
                int r = sd_event_run(e->loop, 0);
                ck_assert_msg(r >= 0, "sd_event_run: %s", strerror(-r));
                if (r == 0)
                        return;
        }
        ck_abort_msg("loop still busy after 1000 iterations");
}

static inline void ct_env_free(struct ct_env *e)
{
        host_ctx_free(e->ctx);
        e->ctx = NULL;
        host_free(e->host);
        e->host = NULL;
        e->loop = sd_event_unref(e->loop);
}

/* Run the loop until *flag becomes non-zero; fails after timeout_usec. */
static inline void ct_loop_until_at(struct ct_env *e, const int *flag, uint64_t timeout_usec,
                                    const char *what, const char *file, int line)
{
        uint64_t deadline = ct_now_usec(CLOCK_MONOTONIC) + timeout_usec;

        while (!*flag) {
                int r = sd_event_run(e->loop, 50000);
                ck_assert_msg(r >= 0, "sd_event_run: %s (%s:%d)", strerror(-r), file, line);
                if (!*flag && ct_now_usec(CLOCK_MONOTONIC) > deadline)
                        ck_abort_msg("timed out waiting for %s (%s:%d)", what, file, line);
        }
}
#define ct_loop_until(e, flag, what) \
        ct_loop_until_at((e), (flag), CT_TIMEOUT_USEC, (what), __FILE__, __LINE__)

/* --- one completion ------------------------------------------------------- */

struct ct_dirent {
        char *name;
        struct gwd_stat st;
};

struct ct_wait {
        int calls;              /* completions received */
        int in_call;            /* set while the operation call runs */
        int inline_hit;         /* a completion ran inside the call */
        int error;
        uint64_t count;
        struct gwd_file *file;
        int has_st;
        struct gwd_stat st;
        struct ct_dirent *ents;
        size_t n_ents;
};

static inline void ct_wait_clear(struct ct_wait *w)
{
        for (size_t i = 0; i < w->n_ents; i++)
                free(w->ents[i].name);
        free(w->ents);
        memset(w, 0, sizeof(*w));
}

static inline void ct_done(void *cbdata, const struct gwd_result *res)
{
        struct ct_wait *w = cbdata;

        w->calls++;
        if (w->in_call)
                w->inline_hit = 1;
        if (w->calls > 1)
                return;         /* reported by ct_wait_finish */
        w->error = res->error;
        w->count = res->count;
        w->file = res->file;
        if (res->st) {
                w->has_st = 1;
                w->st = *res->st;
        }
        if (res->n_entries) {
                ck_assert_ptr_nonnull(res->entries);
                w->ents = calloc(res->n_entries, sizeof(*w->ents));
                ck_assert_ptr_nonnull(w->ents);
                for (size_t i = 0; i < res->n_entries; i++) {
                        ck_assert_ptr_nonnull(res->entries[i].name);
                        w->ents[i].name = strdup(res->entries[i].name);
                        ck_assert_ptr_nonnull(w->ents[i].name);
                        w->ents[i].st = res->entries[i].st;
                }
                w->n_ents = res->n_entries;
        }
}

static inline void ct_wait_start(struct ct_wait *w)
{
        ct_wait_clear(w);
        w->in_call = 1;
}

static inline void ct_wait_finish(struct ct_env *e, struct ct_wait *w, const char *what,
                                  const char *file, int line)
{
        w->in_call = 0;
        ck_assert_msg(!w->inline_hit && w->calls == 0,
                      "%s completed inline, inside the call (%s:%d)", what, file, line);
        ct_loop_until_at(e, &w->calls, CT_TIMEOUT_USEC, what, file, line);
        /* A second completion would have to come from the loop too. */
        for (int i = 0; i < 3; i++)
                ck_assert_int_ge(sd_event_run(e->loop, 0), 0);
        ck_assert_msg(w->calls == 1, "%s completed %d times (%s:%d)", what, w->calls, file,
                      line);
}

/*
 * CT_CALL(env, &w, expr): expr starts an operation with ct_done and &w as
 * its completion; runs the loop until it completes.  The result is in w.
 */
#define CT_CALL(env, w, expr)                                                  \
        do {                                                                   \
                ct_wait_start(w);                                              \
                expr;                                                          \
                ct_wait_finish((env), (w), #expr, __FILE__, __LINE__);         \
        } while (0)

/* The same, reporting the caller's file and line (for helpers). */
#define CT_CALL_AT(env, w, expr, file, line)                                   \
        do {                                                                   \
                ct_wait_start(w);                                              \
                expr;                                                          \
                ct_wait_finish((env), (w), #expr, (file), (line));             \
        } while (0)

static inline const char *ct_errname(int e)
{
        static char buf[64];
        if (e == 0)
                return "0";
        snprintf(buf, sizeof(buf), "-%d (%s)", -e, strerror(e < 0 ? -e : e));
        return buf;
}

#define ck_assert_errno(got, want)                                             \
        do {                                                                   \
                int got_ = (got), want_ = (want);                              \
                ck_assert_msg(got_ == want_, "%s: got %s, want %d", #got,      \
                              ct_errname(got_), want_);                        \
        } while (0)

#endif
