/* SPDX-License-Identifier: MIT */
/* Check suite for the object registry (gatewayd/objects.c) as plugins and
 * frontends see it: through host_api(). */
#include "core-testutil.h"

#include <stddef.h>
#include <unistd.h>

#include <jansson.h>

#include "gatewayd/objects.h"
#include "gatewayd/shares.h"
#include "tests/check-run.h"

/* --- helpers ---------------------------------------------------------------- */

struct rec_event {
        uint64_t seq, time_usec, mono_usec;
        char *kind, *id, *from, *to, *cause;
};

struct recorder {
        struct rec_event *ev;
        size_t n, cap;
        /* optional behaviour inside the callback */
        struct ct_env *env;
        uint64_t unsubscribe_id;        /* unsubscribe this id on the next event */
        int do_unsubscribe;
        struct recorder *subscribe_other;       /* subscribe it on the next event */
        uint64_t subscribed_id;
};

static void rec_fn(void *ud, const struct gwd_event *ev)
{
        struct recorder *r = ud;

        ck_assert_ptr_nonnull(ev);
        ck_assert_ptr_nonnull(ev->kind);
        ck_assert_ptr_nonnull(ev->id);
        ck_assert_ptr_nonnull(ev->from);
        ck_assert_ptr_nonnull(ev->to);
        ck_assert_ptr_nonnull(ev->cause);
        if (r->n == r->cap) {
                r->cap = r->cap ? 2 * r->cap : 64;
                r->ev = realloc(r->ev, r->cap * sizeof(*r->ev));
                ck_assert_ptr_nonnull(r->ev);
        }
        r->ev[r->n++] = (struct rec_event){
                .seq = ev->seq, .time_usec = ev->time_usec, .mono_usec = ev->mono_usec,
                .kind = strdup(ev->kind), .id = strdup(ev->id), .from = strdup(ev->from),
                .to = strdup(ev->to), .cause = strdup(ev->cause),
        };
        if (r->do_unsubscribe) {
                r->do_unsubscribe = 0;
                r->env->api->unsubscribe(r->env->ctx, r->unsubscribe_id);
        }
        if (r->subscribe_other) {
                struct recorder *o = r->subscribe_other;
                r->subscribe_other = NULL;
                ck_assert_int_eq(r->env->api->subscribe(r->env->ctx, rec_fn, o,
                                                        &r->subscribed_id), 0);
        }
}

static void rec_clear(struct recorder *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->ev[i].kind);
                free(r->ev[i].id);
                free(r->ev[i].from);
                free(r->ev[i].to);
                free(r->ev[i].cause);
        }
        free(r->ev);
        r->ev = NULL;
        r->n = r->cap = 0;
}

struct obj_ud {
        int snapshots;
        int actions;
        char last_action[64];
        json_t *last_args;
        char requested_by[512];
        int action_ret;
};

static void ud_snapshot(void *userdata, json_t *details)
{
        struct obj_ud *u = userdata;
        u->snapshots++;
        json_object_set_new(details, "answer", json_integer(42));
        json_object_set_new(details, "snapshots", json_integer(u->snapshots));
}

static int ud_action(void *userdata, const char *name, const json_t *args,
                     const char *requested_by)
{
        struct obj_ud *u = userdata;
        u->actions++;
        snprintf(u->last_action, sizeof(u->last_action), "%s", name);
        json_decref(u->last_args);
        u->last_args = json_deep_copy(args);
        snprintf(u->requested_by, sizeof(u->requested_by), "%s",
                 requested_by ? requested_by : "(null)");
        return u->action_ret;
}

static const struct gwd_object_ops ud_ops = {
        .struct_size = sizeof(struct gwd_object_ops),
        .snapshot = ud_snapshot,
        .action = ud_action,
};

static struct gwd_object *mkobj(struct ct_env *e, const char *kind, const char *id,
                                struct gwd_object *parent, const char *state)
{
        struct gwd_object *o = NULL;
        int r = e->api->object_new(e->ctx, kind, id, parent, state, NULL, NULL, NULL, &o);
        ck_assert_msg(r == 0, "object_new(%s, %s): %s", kind, id, ct_errname(r));
        ck_assert_ptr_nonnull(o);
        return o;
}

struct collect {
        struct gwd_object *objs[64];
        size_t n;
        size_t stop_after;      /* 0: never stop */
};

static int collect_fn(void *ud, struct gwd_object *obj)
{
        struct collect *c = ud;
        ck_assert_uint_lt(c->n, 64);
        c->objs[c->n++] = obj;
        if (c->stop_after && c->n == c->stop_after)
                return 77;
        return 0;
}

static size_t count_objects(struct ct_env *e, const char *kind)
{
        struct collect c = { .n = 0 };
        ck_assert_int_eq(e->api->object_foreach(e->ctx, kind, collect_fn, &c), 0);
        return c.n;
}

/* "2026-11-21T10:00:00.123Z" -> usec since the epoch; -1 if malformed. */
static int64_t parse_time(const char *s)
{
        int y, mo, d, h, mi, sec, ms, n = 0;
        struct tm tm;

        if (!s || strlen(s) != 24)
                return -1;
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &sec, &ms, &n) !=
                    7 || n != 24)
                return -1;
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        return (int64_t)timegm(&tm) * 1000000 + ms * 1000;
}

static void assert_time_near_now(const char *s)
{
        int64_t t = parse_time(s), now = (int64_t)ct_now_usec(CLOCK_REALTIME);
        ck_assert_msg(t >= 0, "malformed time \"%s\"", s ? s : "(null)");
        ck_assert_msg(t <= now + 1000 && t >= now - 10 * 1000000,
                      "time \"%s\" is not now", s);
}

static int valid_utf8(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        while (*p) {
                int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3
                        : (*p & 0xf8) == 0xf0 ? 4 : 0;
                if (!n)
                        return 0;
                for (int i = 1; i < n; i++)
                        if ((p[i] & 0xc0) != 0x80)
                                return 0;
                p += n;
        }
        return 1;
}

static struct ct_env env;

static void setup(void)
{
        ct_env_init(&env, "test");
}

static void teardown(void)
{
        ct_env_free(&env);
}

/* --- create / find / foreach -------------------------------------------------- */

START_TEST(t_create_find_foreach)
{
        const char *kinds[] = { "server", "session", "server", "tcon", "session", "server" };
        const char *ids[] = { "s1", "a", "s0", "t-1.x", "B_2", "zz" };
        struct gwd_object *o[6];
        struct collect c = { .n = 0 };

        for (int i = 0; i < 6; i++) {
                o[i] = mkobj(&env, kinds[i], ids[i], NULL, "good");
                ck_assert_str_eq(env.api->object_kind(o[i]), kinds[i]);
                ck_assert_str_eq(env.api->object_id(o[i]), ids[i]);
                ck_assert_str_eq(env.api->object_state(o[i]), "good");
                ck_assert_ptr_null(env.api->object_parent(o[i]));
        }
        for (int i = 0; i < 6; i++)
                ck_assert_ptr_eq(env.api->object_find(env.ctx, kinds[i], ids[i]), o[i]);
        ck_assert_ptr_null(env.api->object_find(env.ctx, "server", "a"));
        ck_assert_ptr_null(env.api->object_find(env.ctx, "session", "s1"));
        ck_assert_ptr_null(env.api->object_find(env.ctx, "nope", "s1"));
        ck_assert_ptr_null(env.api->object_find(env.ctx, "server", "S1"));
        ck_assert_ptr_null(env.api->object_find(env.ctx, NULL, "s1"));
        ck_assert_ptr_null(env.api->object_find(env.ctx, "server", NULL));

        /* all, in creation order */
        ck_assert_int_eq(env.api->object_foreach(env.ctx, NULL, collect_fn, &c), 0);
        ck_assert_uint_eq(c.n, 6);
        for (int i = 0; i < 6; i++)
                ck_assert_ptr_eq(c.objs[i], o[i]);

        /* by kind, in creation order */
        c.n = 0;
        ck_assert_int_eq(env.api->object_foreach(env.ctx, "server", collect_fn, &c), 0);
        ck_assert_uint_eq(c.n, 3);
        ck_assert_ptr_eq(c.objs[0], o[0]);
        ck_assert_ptr_eq(c.objs[1], o[2]);
        ck_assert_ptr_eq(c.objs[2], o[5]);
        c.n = 0;
        ck_assert_int_eq(env.api->object_foreach(env.ctx, "session", collect_fn, &c), 0);
        ck_assert_uint_eq(c.n, 2);
        ck_assert_ptr_eq(c.objs[0], o[1]);
        ck_assert_ptr_eq(c.objs[1], o[4]);
        ck_assert_uint_eq(count_objects(&env, "channel"), 0);

        /* early stop passes fn's value through */
        c = (struct collect){ .stop_after = 2 };
        ck_assert_int_eq(env.api->object_foreach(env.ctx, NULL, collect_fn, &c), 77);
        ck_assert_uint_eq(c.n, 2);

        /* freeing one keeps the order of the rest */
        env.api->object_free(o[2]);
        ck_assert_ptr_null(env.api->object_find(env.ctx, "server", "s0"));
        c = (struct collect){ .n = 0 };
        ck_assert_int_eq(env.api->object_foreach(env.ctx, NULL, collect_fn, &c), 0);
        ck_assert_uint_eq(c.n, 5);
        ck_assert_ptr_eq(c.objs[0], o[0]);
        ck_assert_ptr_eq(c.objs[1], o[1]);
        ck_assert_ptr_eq(c.objs[2], o[3]);
        ck_assert_ptr_eq(c.objs[3], o[4]);
        ck_assert_ptr_eq(c.objs[4], o[5]);
        /* a new object goes to the end */
        o[2] = mkobj(&env, "server", "s0", NULL, "good");
        c = (struct collect){ .n = 0 };
        ck_assert_int_eq(env.api->object_foreach(env.ctx, "server", collect_fn, &c), 0);
        ck_assert_uint_eq(c.n, 3);
        ck_assert_ptr_eq(c.objs[2], o[2]);
}
END_TEST

START_TEST(t_duplicate)
{
        struct gwd_object *a = mkobj(&env, "session", "x1", NULL, "good"), *b = NULL;
        uint64_t seq = env.api->events_last_seq(env.ctx);
        int r;

        r = env.api->object_new(env.ctx, "session", "x1", NULL, "other", NULL, NULL, NULL, &b);
        ck_assert_errno(r, -EEXIST);
        ck_assert_ptr_null(b);
        ck_assert_uint_eq(env.api->events_last_seq(env.ctx), seq);
        ck_assert_uint_eq(count_objects(&env, NULL), 1);
        ck_assert_ptr_eq(env.api->object_find(env.ctx, "session", "x1"), a);
        ck_assert_str_eq(env.api->object_state(a), "good");
        /* same id, other kind: fine */
        b = mkobj(&env, "tcon", "x1", NULL, "good");
        ck_assert_ptr_ne(a, b);
        ck_assert_ptr_eq(env.api->object_find(env.ctx, "tcon", "x1"), b);
        /* duplicate detection does not depend on the creating ctx */
        {
                struct gwd_ctx *ctx2;
                struct gwd_object *c = NULL;
                ck_assert_int_eq(host_ctx_new(env.host, "other", &ctx2), 0);
                r = env.api->object_new(ctx2, "session", "x1", NULL, "good", NULL, NULL, NULL,
                                        &c);
                ck_assert_errno(r, -EEXIST);
                host_ctx_free(ctx2);
        }
}
END_TEST

static void expect_einval(const char *kind, const char *id, const char *state)
{
        struct gwd_object *o = NULL;
        uint64_t seq = env.api->events_last_seq(env.ctx);
        size_t n = count_objects(&env, NULL);
        int r = env.api->object_new(env.ctx, kind, id, NULL, state, NULL, NULL, NULL, &o);
        ck_assert_msg(r == -EINVAL, "object_new(kind \"%s\", id \"%s\", state \"%s\"): %s",
                      kind ? kind : "(null)", id ? id : "(null)", state ? state : "(null)",
                      ct_errname(r));
        ck_assert_ptr_null(o);
        ck_assert_uint_eq(env.api->events_last_seq(env.ctx), seq);
        ck_assert_uint_eq(count_objects(&env, NULL), n);
}

START_TEST(t_invalid_tokens)
{
        char long_kind[65], long_id[300], long_state[65];
        const char *bad_kinds[] = { "", "Server", "ses/sion", "ses sion", "ses%sion", "a-b",
                                    "a.b", "\xc3\xa4", "tab\t", long_kind, NULL };
        const char *bad_ids[] = { "", "a/b", "a b", "a%20b", "a?b", "a#b", "\xc3\xa4",
                                  "a\nb", "..%2f", long_id, NULL };
        const char *bad_states[] = { "", "Good", "go od", "go/od", "go%od", "good!",
                                     long_state, NULL };

        memset(long_kind, 'k', 64);
        long_kind[64] = '\0';
        memset(long_id, 'i', 299);
        long_id[299] = '\0';
        memset(long_state, 's', 64);
        long_state[64] = '\0';

        mkobj(&env, "session", "ok", NULL, "good");
        for (size_t i = 0; bad_kinds[i]; i++)
                expect_einval(bad_kinds[i], "fine", "good");
        expect_einval(NULL, "fine", "good");
        for (size_t i = 0; bad_ids[i]; i++)
                expect_einval("session", bad_ids[i], "good");
        expect_einval("session", NULL, "good");
        for (size_t i = 0; bad_states[i]; i++)
                expect_einval("session", "fine", bad_states[i]);
        expect_einval("session", "fine", NULL);

        /* the characters that are allowed */
        mkobj(&env, "a_kind0", "AZaz09._-", NULL, "need_reconnect2");
}
END_TEST

/* registry.h: id is "[A-Za-z0-9._-], at most GWD_ID_MAX bytes". */
START_TEST(t_id_max_length)
{
        char id[GWD_ID_MAX + 2];
        struct gwd_object *o = NULL;
        int r;

        memset(id, 'x', GWD_ID_MAX - 1);
        id[GWD_ID_MAX - 1] = '\0';
        mkobj(&env, "session", id, NULL, "good");

        memset(id, 'y', GWD_ID_MAX);
        id[GWD_ID_MAX] = '\0';
        r = env.api->object_new(env.ctx, "session", id, NULL, "good", NULL, NULL, NULL, &o);
        ck_assert_msg(r == 0, "an id of exactly GWD_ID_MAX (%d) bytes is refused: %s",
                      GWD_ID_MAX, ct_errname(r));
        ck_assert_str_eq(env.api->object_id(o), id);

        memset(id, 'z', GWD_ID_MAX + 1);
        id[GWD_ID_MAX + 1] = '\0';
        expect_einval("session", id, "good");
}
END_TEST

START_TEST(t_invalid_action_names)
{
        const char *bad[] = { "", "Reconnect", "re connect", "re/connect", "re%63", NULL };
        char long_name[80];

        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        for (size_t i = 0; bad[i]; i++) {
                const char *actions[] = { "reconnect", bad[i], NULL };
                struct gwd_object *o = NULL;
                uint64_t seq = env.api->events_last_seq(env.ctx);
                int r = env.api->object_new(env.ctx, "session", "s", NULL, "good", actions,
                                            NULL, NULL, &o);
                ck_assert_msg(r == -EINVAL, "action name \"%s\": got %s, want -EINVAL", bad[i],
                              ct_errname(r));
                ck_assert_uint_eq(env.api->events_last_seq(env.ctx), seq);
                ck_assert_ptr_null(env.api->object_find(env.ctx, "session", "s"));
        }
        {
                const char *actions[] = { long_name, NULL };
                struct gwd_object *o = NULL;
                int r = env.api->object_new(env.ctx, "session", "s", NULL, "good", actions,
                                            NULL, NULL, &o);
                ck_assert_errno(r, -EINVAL);
        }
}
END_TEST

START_TEST(t_parent_other_host)
{
        struct ct_env other;
        struct gwd_object *foreign, *o = NULL;
        int r;

        ct_env_init(&other, "other");
        foreign = mkobj(&other, "server", "p", NULL, "good");
        r = env.api->object_new(env.ctx, "session", "c", foreign, "good", NULL, NULL, NULL, &o);
        ck_assert_errno(r, -EINVAL);
        ck_assert_ptr_null(env.api->object_find(env.ctx, "session", "c"));
        env.api->object_free(foreign);
        ct_env_free(&other);
}
END_TEST

/* --- state and history ------------------------------------------------------ */

static json_t *history_of(struct gwd_object *o)
{
        json_t *j = env.api->object_to_json(o, GWD_JSON_HISTORY);
        json_t *h;
        ck_assert_ptr_nonnull(j);
        h = json_object_get(j, "history");
        ck_assert_msg(json_is_array(h), "history missing with GWD_JSON_HISTORY");
        json_incref(h);
        json_decref(j);
        return h;
}

START_TEST(t_set_state_history)
{
        struct gwd_object *o = mkobj(&env, "session", "s", NULL, "connecting");
        const char *states[] = { "good", "need_reconnect", "good", "closing" };
        const char *causes[] = { "negotiated", "socket reset by peer", "", "admin: close" };
        uint64_t before = ct_now_usec(CLOCK_REALTIME);
        json_t *h;

        h = history_of(o);
        ck_assert_uint_eq(json_array_size(h), 0);
        json_decref(h);

        for (int i = 0; i < 4; i++) {
                env.api->object_set_state(o, states[i], causes[i]);
                ck_assert_str_eq(env.api->object_state(o), states[i]);
        }
        env.api->object_set_state(o, "closed", NULL);
        ck_assert_str_eq(env.api->object_state(o), "closed");

        h = history_of(o);
        ck_assert_uint_eq(json_array_size(h), 5);
        for (size_t i = 0; i < 5; i++) {
                json_t *e = json_array_get(h, i);
                const char *from = i == 0 ? "connecting" : states[i - 1];
                const char *to = i < 4 ? states[i] : "closed";
                const char *cause = i < 4 ? causes[i] : "";
                const char *t = json_string_value(json_object_get(e, "time"));
                ck_assert_str_eq(json_string_value(json_object_get(e, "from")), from);
                ck_assert_str_eq(json_string_value(json_object_get(e, "to")), to);
                ck_assert_str_eq(json_string_value(json_object_get(e, "cause")), cause);
                assert_time_near_now(t);
                ck_assert_int_ge(parse_time(t), (int64_t)(before / 1000 * 1000));
                if (i > 0) {
                        const char *prev = json_string_value(
                                json_object_get(json_array_get(h, i - 1), "time"));
                        ck_assert_int_ge(parse_time(t), parse_time(prev));
                }
        }
        json_decref(h);
}
END_TEST

START_TEST(t_history_bounded)
{
        struct gwd_object *o = mkobj(&env, "session", "s", NULL, "st0");
        const int changes = GWD_HISTORY_MAX + 9;
        json_t *h;

        for (int i = 1; i <= changes; i++) {
                char st[16], cause[32];
                snprintf(st, sizeof(st), "st%d", i);
                snprintf(cause, sizeof(cause), "change %d", i);
                env.api->object_set_state(o, st, cause);
        }
        h = history_of(o);
        ck_assert_uint_eq(json_array_size(h), GWD_HISTORY_MAX);
        /* oldest dropped: the first kept entry is change number changes-MAX+1 */
        for (int k = 0; k < GWD_HISTORY_MAX; k++) {
                int i = changes - GWD_HISTORY_MAX + 1 + k;
                char from[16], to[16], cause[32];
                json_t *e = json_array_get(h, (size_t)k);
                snprintf(from, sizeof(from), "st%d", i - 1);
                snprintf(to, sizeof(to), "st%d", i);
                snprintf(cause, sizeof(cause), "change %d", i);
                ck_assert_str_eq(json_string_value(json_object_get(e, "from")), from);
                ck_assert_str_eq(json_string_value(json_object_get(e, "to")), to);
                ck_assert_str_eq(json_string_value(json_object_get(e, "cause")), cause);
        }
        json_decref(h);
}
END_TEST

START_TEST(t_set_state_invalid)
{
        struct gwd_object *o = mkobj(&env, "session", "s", NULL, "good");
        struct recorder rec = { .n = 0 };
        uint64_t seq;
        json_t *h;

        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &rec, NULL), 0);
        seq = env.api->events_last_seq(env.ctx);
        env.api->object_set_state(o, "Bad State", "x");
        env.api->object_set_state(o, "", "x");
        env.api->object_set_state(o, NULL, "x");
        env.api->object_set_state(o, "a/b", "x");
        env.api->object_set_state(NULL, "good", "x");
        ck_assert_str_eq(env.api->object_state(o), "good");
        ck_assert_uint_eq(env.api->events_last_seq(env.ctx), seq);
        ck_assert_uint_eq(rec.n, 0);
        h = history_of(o);
        ck_assert_uint_eq(json_array_size(h), 0);
        json_decref(h);
        rec_clear(&rec);
}
END_TEST

START_TEST(t_cause_sanitised)
{
        struct gwd_object *o = mkobj(&env, "session", "s", NULL, "good");
        const char cause[] = "line1\nline2\ttab\x1b[31mred\x7f\rend\x01";
        struct recorder rec = { .n = 0 };
        char long_cause[1000];
        const char *got;
        json_t *h;

        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &rec, NULL), 0);
        env.api->object_set_state(o, "bad", cause);
        h = history_of(o);
        got = json_string_value(json_object_get(json_array_get(h, 0), "cause"));
        ck_assert_ptr_nonnull(got);
        ck_assert_uint_eq(rec.n, 1);
        for (int pass = 0; pass < 2; pass++) {
                const char *s = pass ? rec.ev[0].cause : got;
                ck_assert_uint_eq(strlen(s), strlen(cause));
                for (size_t i = 0; cause[i]; i++) {
                        unsigned char c = (unsigned char)cause[i];
                        if (c < 0x20 || c == 0x7f)
                                ck_assert_msg((unsigned char)s[i] >= 0x20 &&
                                                      (unsigned char)s[i] != 0x7f,
                                              "control character 0x%02x kept at %zu", c, i);
                        else
                                ck_assert_int_eq(s[i], cause[i]);
                }
        }
        json_decref(h);

        /* too long: cut to at most GWD_CAUSE_MAX bytes, history entry still there */
        memset(long_cause, 'c', sizeof(long_cause) - 1);
        long_cause[sizeof(long_cause) - 1] = '\0';
        env.api->object_set_state(o, "good", long_cause);
        h = history_of(o);
        ck_assert_uint_eq(json_array_size(h), 2);
        got = json_string_value(json_object_get(json_array_get(h, 1), "cause"));
        ck_assert_ptr_nonnull(got);
        ck_assert_uint_gt(strlen(got), 0);
        ck_assert_uint_le(strlen(got), GWD_CAUSE_MAX);
        ck_assert_int_eq(strncmp(got, long_cause, strlen(got)), 0);
        ck_assert_uint_eq(rec.n, 2);
        ck_assert_str_eq(rec.ev[1].cause, got);
        json_decref(h);
        rec_clear(&rec);
}
END_TEST

/* Truncating a long UTF-8 cause must not cut a character in half: the
 * history (JSON, must be UTF-8) would lose the entry and subscribers would
 * get invalid UTF-8.  (Results are collected before asserting so a failure
 * leaks nothing under valgrind.) */
static void check_cause_utf8(const char *cause)
{
        struct gwd_object *o = mkobj(&env, "session", "s", NULL, "good");
        struct recorder rec = { .n = 0 };
        size_t n_hist, n_ev, ev_len = 0;
        int ev_ok = 0;
        json_t *h;

        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &rec, NULL), 0);
        env.api->object_set_state(o, "bad", cause);
        h = history_of(o);
        n_hist = json_array_size(h);
        json_decref(h);
        n_ev = rec.n;
        if (n_ev == 1) {
                ev_ok = valid_utf8(rec.ev[0].cause);
                ev_len = strlen(rec.ev[0].cause);
        }
        rec_clear(&rec);
        ck_assert_msg(n_hist == 1,
                      "history has %zu entries after 1 change (the stored cause is not valid "
                      "UTF-8, so jansson refused the entry)", n_hist);
        ck_assert_uint_eq(n_ev, 1);
        ck_assert_msg(ev_ok, "event cause (%zu bytes) is not valid UTF-8", ev_len);
}

START_TEST(t_cause_truncated_utf8)
{
        char cause[2 * 300 + 1] = "";

        for (int i = 0; i < 300; i++)
                strcat(cause, "\xc3\xa9");      /* é, 2 bytes: 255 cuts one in half */
        check_cause_utf8(cause);
}
END_TEST

START_TEST(t_cause_invalid_utf8)
{
        check_cause_utf8("server said \xff\xfe garbage");
}
END_TEST

/* --- events --------------------------------------------------------------- */

START_TEST(t_events_each_change)
{
        struct recorder rec = { .n = 0 };
        struct gwd_object *a, *b;
        uint64_t t0 = ct_now_usec(CLOCK_REALTIME);

        ck_assert_uint_eq(env.api->events_last_seq(env.ctx), 0);
        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &rec, NULL), 0);

        a = mkobj(&env, "server", "a", NULL, "connecting");
        ck_assert_uint_eq(rec.n, 1);
        b = mkobj(&env, "session", "b", a, "good");
        ck_assert_uint_eq(rec.n, 2);
        env.api->object_set_state(a, "good", "connected");
        ck_assert_uint_eq(rec.n, 3);
        env.api->object_set_state(b, "expired", "ticket");
        ck_assert_uint_eq(rec.n, 4);
        env.api->object_free(b);
        ck_assert_uint_eq(rec.n, 5);
        env.api->object_free(a);
        ck_assert_uint_eq(rec.n, 6);

        struct {
                const char *kind, *id, *from, *to, *cause;
        } want[] = {
                { "server", "a", "", "connecting", NULL },
                { "session", "b", "", "good", NULL },
                { "server", "a", "connecting", "good", "connected" },
                { "session", "b", "good", "expired", "ticket" },
                { "session", "b", "expired", "", NULL },
                { "server", "a", "good", "", NULL },
        };
        for (size_t i = 0; i < 6; i++) {
                struct rec_event *ev = &rec.ev[i];
                ck_assert_uint_eq(ev->seq, i + 1);      /* from 1, strictly +1 */
                ck_assert_str_eq(ev->kind, want[i].kind);
                ck_assert_str_eq(ev->id, want[i].id);
                ck_assert_str_eq(ev->from, want[i].from);
                ck_assert_str_eq(ev->to, want[i].to);
                if (want[i].cause)
                        ck_assert_str_eq(ev->cause, want[i].cause);
                ck_assert_uint_ge(ev->time_usec, t0 - 1000);
                ck_assert_uint_le(ev->time_usec, ct_now_usec(CLOCK_REALTIME) + 1000);
                ck_assert_uint_gt(ev->mono_usec, 0);
                if (i > 0) {
                        ck_assert_uint_ge(ev->mono_usec, rec.ev[i - 1].mono_usec);
                        ck_assert_uint_ge(ev->time_usec, rec.ev[i - 1].time_usec);
                }
        }
        ck_assert_uint_eq(env.api->events_last_seq(env.ctx), 6);
        rec_clear(&rec);
}
END_TEST

/* Several subscribers in several contexts: each gets every event once. */
START_TEST(t_events_synchronous_all_subscribers)
{
        struct recorder r1 = { .n = 0 }, r2 = { .n = 0 }, r3 = { .n = 0 };
        struct gwd_ctx *ctx2;
        struct gwd_object *o;
        uint64_t id1, id2, id3;

        ck_assert_int_eq(host_ctx_new(env.host, "second", &ctx2), 0);
        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &r1, &id1), 0);
        ck_assert_int_eq(env.api->subscribe(ctx2, rec_fn, &r2, &id2), 0);
        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &r3, &id3), 0);
        ck_assert_uint_ne(id1, id2);
        ck_assert_uint_ne(id1, id3);
        ck_assert_uint_ne(id2, id3);
        ck_assert_int_eq(env.api->subscribe(env.ctx, NULL, &r1, NULL), -EINVAL);

        o = mkobj(&env, "tcon", "t", NULL, "good");
        /* delivered inside object_new, no loop iteration needed */
        ck_assert_uint_eq(r1.n, 1);
        ck_assert_uint_eq(r2.n, 1);
        ck_assert_uint_eq(r3.n, 1);
        env.api->object_set_state(o, "bad", "x");
        ck_assert_uint_eq(r1.n, 2);
        ck_assert_uint_eq(r2.n, 2);
        ck_assert_uint_eq(r3.n, 2);
        ck_assert_uint_eq(r1.ev[1].seq, r2.ev[1].seq);
        ck_assert_uint_eq(r1.ev[1].seq, r3.ev[1].seq);

        env.api->unsubscribe(env.ctx, id3);
        env.api->object_set_state(o, "good", "y");
        ck_assert_uint_eq(r1.n, 3);
        ck_assert_uint_eq(r2.n, 3);
        ck_assert_uint_eq(r3.n, 2);

        /* host_ctx_free drops ctx2's subscription */
        host_ctx_free(ctx2);
        env.api->object_free(o);
        ck_assert_uint_eq(r1.n, 4);
        ck_assert_uint_eq(r2.n, 3);
        rec_clear(&r1);
        rec_clear(&r2);
        rec_clear(&r3);
}
END_TEST

START_TEST(t_unsubscribe_in_callback)
{
        struct recorder a = { .env = &env }, b = { .env = &env }, c = { .env = &env };
        uint64_t ida, idb, idc;
        struct gwd_object *o;

        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &a, &ida), 0);
        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &b, &idb), 0);
        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &c, &idc), 0);

        /* a removes itself while the event is being dispatched */
        a.do_unsubscribe = 1;
        a.unsubscribe_id = ida;
        o = mkobj(&env, "session", "s", NULL, "good");
        ck_assert_uint_eq(a.n, 1);
        ck_assert_uint_eq(b.n, 1);
        ck_assert_uint_eq(c.n, 1);      /* the others still get this event */

        env.api->object_set_state(o, "bad", "1");
        ck_assert_uint_eq(a.n, 1);
        ck_assert_uint_eq(b.n, 2);
        ck_assert_uint_eq(c.n, 2);

        /* b removes c (later in the list) from inside its callback */
        b.do_unsubscribe = 1;
        b.unsubscribe_id = idc;
        env.api->object_set_state(o, "good", "2");
        ck_assert_uint_eq(b.n, 3);
        ck_assert_uint_le(c.n, 3);
        env.api->object_set_state(o, "bad", "3");
        ck_assert_uint_eq(b.n, 4);
        ck_assert_uint_le(c.n, 3);

        /* c removes b (earlier in the list) from inside its callback: first
         * re-add c */
        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &c, &idc), 0);
        c.do_unsubscribe = 1;
        c.unsubscribe_id = idb;
        {
                size_t bn = b.n, cn = c.n;
                env.api->object_set_state(o, "good", "4");
                ck_assert_uint_eq(b.n, bn + 1);
                ck_assert_uint_eq(c.n, cn + 1);
                env.api->object_set_state(o, "bad", "5");
                ck_assert_uint_eq(b.n, bn + 1);
                ck_assert_uint_eq(c.n, cn + 2);
        }
        /* every event still reached the remaining subscriber in order */
        for (size_t i = 1; i < c.n; i++)
                ck_assert_uint_gt(c.ev[i].seq, c.ev[i - 1].seq);
        /* unsubscribing an unknown id is harmless */
        env.api->unsubscribe(env.ctx, 999999);
        rec_clear(&a);
        rec_clear(&b);
        rec_clear(&c);
}
END_TEST

START_TEST(t_subscribe_in_callback)
{
        struct recorder a = { .env = &env }, late = { .n = 0 };
        struct gwd_object *o;

        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &a, NULL), 0);
        a.subscribe_other = &late;      /* grows the subscriber array mid-dispatch */
        o = mkobj(&env, "session", "s", NULL, "good");
        ck_assert_uint_eq(a.n, 1);
        ck_assert_uint_le(late.n, 1);
        env.api->object_set_state(o, "bad", "x");
        ck_assert_uint_eq(a.n, 2);
        ck_assert_uint_ge(late.n, 1);
        ck_assert_uint_eq(late.ev[late.n - 1].seq, a.ev[1].seq);
        rec_clear(&a);
        rec_clear(&late);
}
END_TEST

START_TEST(t_events_since)
{
        struct recorder live = { .n = 0 }, replay = { .n = 0 };
        struct gwd_object *o;
        uint64_t last;

        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &live, NULL), 0);
        o = mkobj(&env, "session", "s", NULL, "a0");
        for (int i = 1; i <= 20; i++) {
                char st[8], cause[16];
                snprintf(st, sizeof(st), "a%d", i);
                snprintf(cause, sizeof(cause), "c%d", i);
                env.api->object_set_state(o, st, cause);
        }
        env.api->object_free(o);
        last = env.api->events_last_seq(env.ctx);
        ck_assert_uint_eq(last, 22);
        ck_assert_uint_eq(live.n, 22);

        /* everything */
        ck_assert_int_eq(env.api->events_since(env.ctx, 0, rec_fn, &replay), 0);
        ck_assert_uint_eq(replay.n, 22);
        for (size_t i = 0; i < 22; i++) {
                ck_assert_uint_eq(replay.ev[i].seq, live.ev[i].seq);
                ck_assert_uint_eq(replay.ev[i].time_usec, live.ev[i].time_usec);
                ck_assert_uint_eq(replay.ev[i].mono_usec, live.ev[i].mono_usec);
                ck_assert_str_eq(replay.ev[i].kind, live.ev[i].kind);
                ck_assert_str_eq(replay.ev[i].id, live.ev[i].id);
                ck_assert_str_eq(replay.ev[i].from, live.ev[i].from);
                ck_assert_str_eq(replay.ev[i].to, live.ev[i].to);
                ck_assert_str_eq(replay.ev[i].cause, live.ev[i].cause);
        }
        rec_clear(&replay);

        /* from the middle */
        ck_assert_int_eq(env.api->events_since(env.ctx, 15, rec_fn, &replay), 0);
        ck_assert_uint_eq(replay.n, 7);
        for (size_t i = 0; i < 7; i++)
                ck_assert_uint_eq(replay.ev[i].seq, 16 + i);
        ck_assert_str_eq(replay.ev[0].cause, "c15");
        rec_clear(&replay);

        /* nothing new */
        ck_assert_int_eq(env.api->events_since(env.ctx, last, rec_fn, &replay), 0);
        ck_assert_uint_eq(replay.n, 0);
        /* the future */
        ck_assert_errno(env.api->events_since(env.ctx, last + 1, rec_fn, &replay), -ERANGE);
        ck_assert_errno(env.api->events_since(env.ctx, UINT64_MAX, rec_fn, &replay), -ERANGE);
        ck_assert_uint_eq(replay.n, 0);
        rec_clear(&live);
}
END_TEST

static struct gwd_object *make_events(uint64_t n_total)
{
        struct gwd_object *o = mkobj(&env, "session", "s", NULL, "s0");
        for (uint64_t i = 1; i < n_total; i++)
                env.api->object_set_state(o, (i & 1) ? "s1" : "s0", "tick");
        ck_assert_uint_eq(env.api->events_last_seq(env.ctx), n_total);
        return o;
}

/* Exactly GWD_EVENTS_MAX events: all still there. */
START_TEST(t_events_since_full_ring)
{
        struct recorder replay = { .n = 0 };

        make_events(GWD_EVENTS_MAX);
        ck_assert_int_eq(env.api->events_since(env.ctx, 0, rec_fn, &replay), 0);
        ck_assert_uint_eq(replay.n, GWD_EVENTS_MAX);
        for (size_t i = 0; i < replay.n; i++)
                ck_assert_uint_eq(replay.ev[i].seq, i + 1);
        ck_assert_str_eq(replay.ev[0].cause, "created");
        rec_clear(&replay);
}
END_TEST

/* More than GWD_EVENTS_MAX events after `after`: -ERANGE; the newest
 * GWD_EVENTS_MAX are replayed intact. */
START_TEST(t_events_since_wrapped)
{
        struct recorder live = { .n = 0 }, replay = { .n = 0 };
        const uint64_t total = GWD_EVENTS_MAX + 37;
        struct gwd_object *o;
        uint64_t after;

        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &live, NULL), 0);
        o = make_events(total);
        ck_assert_uint_eq(live.n, total);

        ck_assert_errno(env.api->events_since(env.ctx, 0, rec_fn, &replay), -ERANGE);
        after = total - GWD_EVENTS_MAX - 1;     /* MAX + 1 events after it */
        ck_assert_errno(env.api->events_since(env.ctx, after, rec_fn, &replay), -ERANGE);
        ck_assert_uint_eq(replay.n, 0);

        after = total - GWD_EVENTS_MAX;         /* exactly MAX events after it */
        ck_assert_int_eq(env.api->events_since(env.ctx, after, rec_fn, &replay), 0);
        ck_assert_uint_eq(replay.n, GWD_EVENTS_MAX);
        for (size_t i = 0; i < replay.n; i++) {
                struct rec_event *l = &live.ev[after + i];
                ck_assert_uint_eq(replay.ev[i].seq, after + 1 + i);
                ck_assert_uint_eq(replay.ev[i].seq, l->seq);
                ck_assert_str_eq(replay.ev[i].from, l->from);
                ck_assert_str_eq(replay.ev[i].to, l->to);
                ck_assert_uint_eq(replay.ev[i].mono_usec, l->mono_usec);
        }
        rec_clear(&replay);

        /* one more event: the previous `after` is now out of range */
        env.api->object_free(o);
        ck_assert_errno(env.api->events_since(env.ctx, after, rec_fn, &replay), -ERANGE);
        ck_assert_int_eq(env.api->events_since(env.ctx, after + 1, rec_fn, &replay), 0);
        ck_assert_uint_eq(replay.n, GWD_EVENTS_MAX);
        ck_assert_str_eq(replay.ev[replay.n - 1].to, "");
        rec_clear(&replay);
        rec_clear(&live);
}
END_TEST

/* --- JSON ------------------------------------------------------------------- */

START_TEST(t_to_json)
{
        const char *actions[] = { "reconnect", "close", NULL };
        struct obj_ud u = { 0 };
        struct gwd_object *parent = mkobj(&env, "server", "srv.1", NULL, "good"), *child = NULL;
        json_t *j, *p, *a, *d;
        int64_t created;

        ck_assert_int_eq(env.api->object_new(env.ctx, "session", "sess-7", parent, "connecting",
                                             actions, &ud_ops, &u, &child), 0);
        ck_assert_ptr_eq(env.api->object_parent(child), parent);

        j = env.api->object_to_json(child, 0);
        ck_assert_ptr_nonnull(j);
        ck_assert(json_is_object(j));
        ck_assert_str_eq(json_string_value(json_object_get(j, "kind")), "session");
        ck_assert_str_eq(json_string_value(json_object_get(j, "id")), "sess-7");
        ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "connecting");
        p = json_object_get(j, "parent");
        ck_assert(json_is_object(p));
        ck_assert_uint_eq(json_object_size(p), 2);
        ck_assert_str_eq(json_string_value(json_object_get(p, "kind")), "server");
        ck_assert_str_eq(json_string_value(json_object_get(p, "id")), "srv.1");
        assert_time_near_now(json_string_value(json_object_get(j, "since")));
        assert_time_near_now(json_string_value(json_object_get(j, "created")));
        created = parse_time(json_string_value(json_object_get(j, "created")));
        d = json_object_get(j, "details");
        ck_assert(json_is_object(d));
        ck_assert_int_eq(json_integer_value(json_object_get(d, "answer")), 42);
        ck_assert_int_eq(json_integer_value(json_object_get(d, "snapshots")), 1);
        a = json_object_get(j, "actions");
        ck_assert(json_is_array(a));
        ck_assert_uint_eq(json_array_size(a), 2);
        ck_assert_str_eq(json_string_value(json_array_get(a, 0)), "reconnect");
        ck_assert_str_eq(json_string_value(json_array_get(a, 1)), "close");
        ck_assert_ptr_null(json_object_get(j, "history"));
        json_decref(j);

        /* details are produced on every call, never cached */
        usleep(5000);
        env.api->object_set_state(child, "good", "ok");
        j = env.api->object_to_json(child, 0);
        d = json_object_get(j, "details");
        ck_assert_int_eq(json_integer_value(json_object_get(d, "snapshots")), 2);
        ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "good");
        ck_assert_int_eq(parse_time(json_string_value(json_object_get(j, "created"))), created);
        ck_assert_int_gt(parse_time(json_string_value(json_object_get(j, "since"))), created);
        ck_assert_ptr_null(json_object_get(j, "history"));
        json_decref(j);

        /* with history */
        j = env.api->object_to_json(child, GWD_JSON_HISTORY);
        ck_assert(json_is_array(json_object_get(j, "history")));
        ck_assert_uint_eq(json_array_size(json_object_get(j, "history")), 1);
        json_decref(j);

        /* no parent, no ops, no actions */
        j = env.api->object_to_json(parent, GWD_JSON_HISTORY);
        ck_assert_ptr_nonnull(j);
        ck_assert(json_is_null(json_object_get(j, "parent")));
        ck_assert(json_is_object(json_object_get(j, "details")));
        ck_assert_uint_eq(json_object_size(json_object_get(j, "details")), 0);
        ck_assert(json_is_array(json_object_get(j, "actions")));
        ck_assert_uint_eq(json_array_size(json_object_get(j, "actions")), 0);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "history")), 0);
        json_decref(j);
        env.api->object_free(child);
}
END_TEST

/* A plugin built against an older, smaller gwd_object_ops: only the fields
 * within struct_size are used. */
START_TEST(t_ops_struct_size)
{
        struct gwd_object_ops small = ud_ops;
        const char *actions[] = { "reconnect", NULL };
        struct obj_ud u = { 0 };
        struct gwd_object *o = NULL;
        json_t *j;

        small.struct_size = offsetof(struct gwd_object_ops, action);
        ck_assert_int_eq(env.api->object_new(env.ctx, "session", "s", NULL, "good", actions,
                                             &small, &u, &o), 0);
        j = env.api->object_to_json(o, 0);
        ck_assert_int_eq(u.snapshots, 1);
        json_decref(j);
        ck_assert_errno(env.api->object_action(o, "reconnect", NULL, "t"), -EOPNOTSUPP);
        ck_assert_int_eq(u.actions, 0);
}
END_TEST

START_TEST(t_action)
{
        const char *actions[] = { "reconnect", "close", NULL };
        struct obj_ud u = { 0 };
        struct gwd_object *o = NULL, *plain = NULL;
        json_t *args = json_pack("{s:b, s:i}", "force", 1, "delay", 5);
        uint64_t seq;

        ck_assert_int_eq(env.api->object_new(env.ctx, "session", "s", NULL, "good", actions,
                                             &ud_ops, &u, &o), 0);
        seq = env.api->events_last_seq(env.ctx);

        ck_assert_int_eq(env.api->object_action(o, "reconnect", args, "api:ops-token: flaky"), 0);
        ck_assert_int_eq(u.actions, 1);
        ck_assert_str_eq(u.last_action, "reconnect");
        ck_assert_str_eq(u.requested_by, "api:ops-token: flaky");
        ck_assert(json_equal(u.last_args, args));

        /* the hook's answer passes through */
        u.action_ret = -EBUSY;
        ck_assert_errno(env.api->object_action(o, "close", args, "api:x"), -EBUSY);
        ck_assert_int_eq(u.actions, 2);
        ck_assert_str_eq(u.last_action, "close");
        u.action_ret = -EINVAL;
        ck_assert_errno(env.api->object_action(o, "close", args, "api:x"), -EINVAL);
        ck_assert_int_eq(u.actions, 3);

        /* not offered: the hook is not asked */
        u.action_ret = 0;
        ck_assert_errno(env.api->object_action(o, "explode", args, "api:x"), -EOPNOTSUPP);
        ck_assert_errno(env.api->object_action(o, "Reconnect", args, "api:x"), -EOPNOTSUPP);
        ck_assert_errno(env.api->object_action(o, "", args, "api:x"), -EOPNOTSUPP);
        ck_assert_int_eq(u.actions, 3);

        /* the registry itself changes nothing */
        ck_assert_uint_eq(env.api->events_last_seq(env.ctx), seq);
        ck_assert_str_eq(env.api->object_state(o), "good");

        /* an object offering actions but without an action hook */
        ck_assert_int_eq(env.api->object_new(env.ctx, "session", "p", NULL, "good", actions,
                                             NULL, NULL, &plain), 0);
        ck_assert_errno(env.api->object_action(plain, "reconnect", args, "api:x"), -EOPNOTSUPP);

        json_decref(u.last_args);
        json_decref(args);
}
END_TEST

START_TEST(t_parent_free_clears_child)
{
        struct gwd_object *p = mkobj(&env, "server", "p", NULL, "good");
        struct gwd_object *c1 = mkobj(&env, "session", "c1", p, "good");
        struct gwd_object *c2 = mkobj(&env, "session", "c2", p, "good");
        struct gwd_object *other = mkobj(&env, "server", "q", NULL, "good");
        struct gwd_object *c3 = mkobj(&env, "session", "c3", other, "good");
        json_t *j;

        env.api->object_free(p);
        ck_assert_ptr_null(env.api->object_parent(c1));
        ck_assert_ptr_null(env.api->object_parent(c2));
        ck_assert_ptr_eq(env.api->object_parent(c3), other);
        j = env.api->object_to_json(c1, 0);
        ck_assert(json_is_null(json_object_get(j, "parent")));
        json_decref(j);
        j = env.api->object_to_json(c3, 0);
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "parent"), "id")),
                         "q");
        json_decref(j);
}
END_TEST

/* The (kind, id) index grows past its initial size and stays exact while
 * objects come and go; every lookup is checked against the creation list. */
START_TEST(t_find_many)
{
        enum { N = 3000 };
        static struct gwd_object *o[N];
        char id[32];

        for (int i = 0; i < N; i++) {
                snprintf(id, sizeof(id), "obj%d", i);
                o[i] = mkobj(&env, i % 2 ? "tcon" : "session", id, NULL, "good");
        }
        for (int i = 0; i < N; i++) {
                snprintf(id, sizeof(id), "obj%d", i);
                ck_assert_ptr_eq(env.api->object_find(env.ctx, i % 2 ? "tcon" : "session", id),
                                 o[i]);
                ck_assert_ptr_null(env.api->object_find(env.ctx, i % 2 ? "session" : "tcon", id));
        }
        /* every third one freed: the others are still found, the freed not */
        for (int i = 0; i < N; i += 3)
                env.api->object_free(o[i]);
        for (int i = 0; i < N; i++) {
                snprintf(id, sizeof(id), "obj%d", i);
                struct gwd_object *f = env.api->object_find(env.ctx, i % 2 ? "tcon" : "session", id);
                if (i % 3 == 0)
                        ck_assert_ptr_null(f);
                else
                        ck_assert_ptr_eq(f, o[i]);
        }
        /* a freed id can be created again */
        struct gwd_object *again = mkobj(&env, "session", "obj0", NULL, "good");
        ck_assert_ptr_eq(env.api->object_find(env.ctx, "session", "obj0"), again);
        ck_assert_int_eq(env.api->object_new(env.ctx, "session", "obj0", NULL, "good", NULL, NULL,
                                             NULL, &again), -EEXIST);
}
END_TEST

static int free_child_fn(void *ud, struct gwd_object *obj)
{
        ++*(int *)ud;
        env.api->object_free(obj);
        return 0;
}

START_TEST(t_foreach_child)
{
        struct gwd_object *p = mkobj(&env, "server", "p", NULL, "good");
        struct gwd_object *q = mkobj(&env, "server", "q", NULL, "good");
        struct gwd_object *c[5];
        struct collect col = { .n = 0 };
        char id[8];
        int n = 0;

        for (int i = 0; i < 5; i++) {
                snprintf(id, sizeof(id), "c%d", i);
                /* interleaved with another parent's children */
                c[i] = mkobj(&env, "session", id, p, "good");
                snprintf(id, sizeof(id), "d%d", i);
                mkobj(&env, "session", id, q, "good");
        }
        mkobj(&env, "tcon", "grandchild", c[1], "good");
        ck_assert_int_eq(env.api->object_foreach_child(p, collect_fn, &col), 0);
        ck_assert_uint_eq(col.n, 5);
        for (int i = 0; i < 5; i++)
                ck_assert_ptr_eq(col.objs[i], c[i]);

        /* first, middle and last child freed: order kept */
        env.api->object_free(c[0]);
        env.api->object_free(c[2]);
        env.api->object_free(c[4]);
        col.n = 0;
        ck_assert_int_eq(env.api->object_foreach_child(p, collect_fn, &col), 0);
        ck_assert_uint_eq(col.n, 2);
        ck_assert_ptr_eq(col.objs[0], c[1]);
        ck_assert_ptr_eq(col.objs[1], c[3]);

        /* stops early with fn's value */
        col.n = 0;
        col.stop_after = 1;
        ck_assert_int_eq(env.api->object_foreach_child(p, collect_fn, &col), 77);
        ck_assert_uint_eq(col.n, 1);

        /* fn may free the child it is given */
        ck_assert_int_eq(env.api->object_foreach_child(q, free_child_fn, &n), 0);
        ck_assert_int_eq(n, 5);
        col.n = 0;
        col.stop_after = 0;
        ck_assert_int_eq(env.api->object_foreach_child(q, collect_fn, &col), 0);
        ck_assert_uint_eq(col.n, 0);
        ck_assert_ptr_null(env.api->object_find(env.ctx, "session", "d3"));

        /* a freed parent has orphaned its children: none listed anywhere */
        env.api->object_free(p);
        ck_assert_ptr_null(env.api->object_parent(c[1]));
        ck_assert_int_eq(env.api->object_foreach_child(c[1], collect_fn, &col), 0);
        ck_assert_uint_eq(col.n, 1);    /* its own child stays */
        ck_assert_int_eq(env.api->object_foreach_child(NULL, collect_fn, &col), 0);
}
END_TEST

/* Never called: share_register only needs a table. */
static void stub_open(void *share, const char *path, uint32_t flags, gwd_done_fn done,
                      void *cbdata)
{
        ck_abort_msg("stub_open called");
}

static const struct gwd_backend_ops stub_ops = {
        .struct_size = sizeof(struct gwd_backend_ops),
        .open = stub_open,
};

static int count_share(void *ud, struct gwd_share *s)
{
        (void)s;
        ++*(int *)ud;
        return 0;
}

static int n_shares(struct ct_env *e)
{
        int n = 0;
        ck_assert_int_eq(e->api->share_foreach(e->ctx, count_share, &n), 0);
        return n;
}

START_TEST(t_ctx_free_releases)
{
        struct recorder watch = { .n = 0 }, dropped = { .n = 0 };
        struct gwd_ctx *plug;
        struct gwd_object *p, *c, *mine;
        struct gwd_share *sh = NULL;

        mine = mkobj(&env, "server", "mine", NULL, "good");
        ck_assert_int_eq(env.api->subscribe(env.ctx, rec_fn, &watch, NULL), 0);
        ck_assert_int_eq(host_ctx_new(env.host, "plug", &plug), 0);
        ck_assert_str_eq(env.api->instance_name(plug), "plug");
        ck_assert_ptr_eq(env.api->event(plug), env.loop);
        ck_assert_int_eq(env.api->object_new(plug, "server", "p", NULL, "good", NULL, NULL,
                                             NULL, &p), 0);
        ck_assert_int_eq(env.api->object_new(plug, "session", "c", p, "good", NULL, NULL, NULL,
                                             &c), 0);
        ck_assert_int_eq(env.api->share_register(plug, "left", &stub_ops, NULL, &sh), 0);
        ck_assert_int_eq(env.api->subscribe(plug, rec_fn, &dropped, NULL), 0);
        ck_assert_ptr_eq(env.api->share_find(env.ctx, "left"), sh);
        ck_assert_int_eq(n_shares(&env), 1);
        rec_clear(&watch);     /* forget the creation events */

        host_ctx_free(plug);

        ck_assert_ptr_null(env.api->object_find(env.ctx, "server", "p"));
        ck_assert_ptr_null(env.api->object_find(env.ctx, "session", "c"));
        ck_assert_ptr_eq(env.api->object_find(env.ctx, "server", "mine"), mine);
        ck_assert_uint_eq(count_objects(&env, NULL), 1);
        ck_assert_ptr_null(env.api->share_find(env.ctx, "left"));
        ck_assert_int_eq(n_shares(&env), 0);
        /* destruction events, children first */
        ck_assert_uint_eq(watch.n, 2);
        ck_assert_str_eq(watch.ev[0].id, "c");
        ck_assert_str_eq(watch.ev[0].to, "");
        ck_assert_str_eq(watch.ev[1].id, "p");
        ck_assert_str_eq(watch.ev[1].to, "");
        /* the freed context's subscription is gone */
        {
                size_t before = dropped.n;
                env.api->object_set_state(mine, "bad", "x");
                ck_assert_uint_eq(dropped.n, before);
                ck_assert_uint_eq(watch.n, 3);
        }
        /* names are free again */
        ck_assert_int_eq(env.api->share_register(env.ctx, "left", &stub_ops, NULL, &sh), 0);
        mkobj(&env, "server", "p", NULL, "good");
        rec_clear(&watch);
        rec_clear(&dropped);
}
END_TEST

START_TEST(t_free_null)
{
        env.api->object_free(NULL);
        host_ctx_free(NULL);
        host_free(NULL);
        ck_assert_uint_eq(env.api->events_last_seq(env.ctx), 0);
}
END_TEST

static Suite *objects_suite(void)
{
        Suite *s = suite_create("objects");
        TCase *tc = tcase_create("registry");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, t_create_find_foreach);
        tcase_add_test(tc, t_find_many);
        tcase_add_test(tc, t_foreach_child);
        tcase_add_test(tc, t_duplicate);
        tcase_add_test(tc, t_invalid_tokens);
        tcase_add_test(tc, t_id_max_length);
        tcase_add_test(tc, t_invalid_action_names);
        tcase_add_test(tc, t_parent_other_host);
        tcase_add_test(tc, t_set_state_history);
        tcase_add_test(tc, t_history_bounded);
        tcase_add_test(tc, t_set_state_invalid);
        tcase_add_test(tc, t_cause_sanitised);
        tcase_add_test(tc, t_cause_truncated_utf8);
        tcase_add_test(tc, t_cause_invalid_utf8);
        tcase_add_test(tc, t_events_each_change);
        tcase_add_test(tc, t_events_synchronous_all_subscribers);
        tcase_add_test(tc, t_unsubscribe_in_callback);
        tcase_add_test(tc, t_subscribe_in_callback);
        tcase_add_test(tc, t_events_since);
        tcase_add_test(tc, t_events_since_full_ring);
        tcase_add_test(tc, t_events_since_wrapped);
        tcase_add_test(tc, t_to_json);
        tcase_add_test(tc, t_ops_struct_size);
        tcase_add_test(tc, t_action);
        tcase_add_test(tc, t_parent_free_clears_child);
        tcase_add_test(tc, t_ctx_free_releases);
        tcase_add_test(tc, t_free_null);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(objects_suite());
}
