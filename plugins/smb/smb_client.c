/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayd/registry.h"
#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb_client.h"

static const char *const chan_actions[] = { "reconnect", "drill_disconnect", "drill_hang", NULL };
static const char *const ses_actions[] = { "reconnect", "drill_session_expired", NULL };
static const char *const tcon_actions[] = { "reconnect", "drill_network_name_deleted", NULL };

/* --- registry hooks ----------------------------------------------------------- */

static void chan_snapshot(void *ud, json_t *d)
{
        struct smb_conn *c = ud;
        smb_conn_snapshot(c, d);
        if (c->srv)
                smb_retry_snapshot(&c->srv->retry, d);
}

static void ses_snapshot(void *ud, json_t *d)
{
        smb_session_snapshot(ud, d);
}

static void tcon_snapshot(void *ud, json_t *d)
{
        struct smb_tcon *t = ud;
        smb_tcon_snapshot(t, d);
        smb_retry_snapshot(&t->retry, d);
}

static int chan_action(void *ud, const char *name, const json_t *args, const char *who)
{
        struct smb_conn *c = ud;
        char cause[GWD_CAUSE_MAX];

        if (smb_sm_is(&c->sm, SMB_CHAN_EXITING))
                return -EBUSY;
        if (strcmp(name, "reconnect") == 0) {
                snprintf(cause, sizeof(cause), "reconnect requested by %s", who ? who : "?");
                /* Drop and redo: the socket goes, requests on it fail with
                 * -ECONNRESET (idempotent ones are retried), the engine
                 * connects, negotiates, sets the session up and
                 * tree-connects every tcon again. */
                if (c->fd >= 0 || !smb_sm_is(&c->sm, SMB_CHAN_NEED_RECONNECT))
                        smb_conn_drop(c, -ECONNRESET, cause);
                smb_recover_now(c->srv);
                return 0;
        }
        if (strcmp(name, "drill_disconnect") == 0) {
                if (c->fd < 0)
                        return -ENOTCONN;
                snprintf(cause, sizeof(cause), "drill: connection cut by %s", who ? who : "?");
                smb_conn_drop(c, -ECONNRESET, cause);
                return 0;
        }
        if (strcmp(name, "drill_hang") == 0) {
                if (c->fd < 0 || c->connecting)
                        return -ENOTCONN;
                /* Nothing is read from now on, as if the server hung; the
                 * request deadlines and the echo must detect it. */
                c->drill_hang = true;
                gwd_log(c->api, c->ctx, GWD_LOG_NOTICE,
                        "%s: drill: reading stopped as if the server hung (by %s)", c->id,
                        who ? who : "?");
                return 0;
        }
        return -EOPNOTSUPP;
}

static int ses_action(void *ud, const char *name, const json_t *args, const char *who)
{
        struct smb_session *ses = ud;
        char cause[GWD_CAUSE_MAX];

        if (smb_sm_is(&ses->sm, SMB_SES_EXITING))
                return -EBUSY;
        if (strcmp(name, "reconnect") == 0)
                snprintf(cause, sizeof(cause), "session setup requested by %s", who ? who : "?");
        else if (strcmp(name, "drill_session_expired") == 0)
                snprintf(cause, sizeof(cause), "drill: STATUS_NETWORK_SESSION_EXPIRED by %s",
                         who ? who : "?");
        else
                return -EOPNOTSUPP;
        smb_session_mark_reconnect(ses, cause);
        if (ses->userdata)
                smb_recover_now(ses->userdata);
        return 0;
}

static int tcon_action(void *ud, const char *name, const json_t *args, const char *who)
{
        struct smb_tcon *t = ud;
        char cause[GWD_CAUSE_MAX];

        if (smb_sm_is(&t->sm, SMB_TCON_EXITING))
                return -EBUSY;
        if (strcmp(name, "reconnect") == 0)
                snprintf(cause, sizeof(cause), "tree connect requested by %s", who ? who : "?");
        else if (strcmp(name, "drill_network_name_deleted") == 0)
                snprintf(cause, sizeof(cause), "drill: STATUS_NETWORK_NAME_DELETED by %s",
                         who ? who : "?");
        else
                return -EOPNOTSUPP;
        smb_tcon_mark_reconnect(t, cause);
        smb_recover_tcon_kick(t, cause);
        return 0;
}

static const struct gwd_object_ops chan_ops = {
        .struct_size = sizeof(struct gwd_object_ops),
        .snapshot = chan_snapshot,
        .action = chan_action,
};

static const struct gwd_object_ops ses_ops = {
        .struct_size = sizeof(struct gwd_object_ops),
        .snapshot = ses_snapshot,
        .action = ses_action,
};

static const struct gwd_object_ops tcon_ops = {
        .struct_size = sizeof(struct gwd_object_ops),
        .snapshot = tcon_snapshot,
        .action = tcon_action,
};

/* --- lifecycle ------------------------------------------------------------------ */

int smb_server_create(struct smb_server *srv, const struct gwd_api *api, struct gwd_ctx *ctx)
{
        const char *inst = api->instance_name(ctx);
        char id[160];
        int r;

        srv->api = api;
        srv->ctx = ctx;
        snprintf(id, sizeof(id), "%s.%s", inst, srv->conf.name);
        r = smb_conn_new(api, ctx, &srv->conf, id, &srv->conn);
        if (r < 0)
                return r;
        srv->conn->srv = srv;
        r = smb_sm_publish(&srv->conn->sm, id, NULL, chan_actions, &chan_ops, srv->conn);
        if (r < 0)
                goto fail;
        snprintf(id, sizeof(id), "%s.%s.s1", inst, srv->conf.name);
        r = smb_session_new(srv->conn, id, &srv->ses);
        if (r < 0)
                goto fail;
        r = smb_sm_publish(&srv->ses->sm, id, srv->conn->sm.obj, ses_actions, &ses_ops,
                           srv->ses);
        if (r < 0)
                goto fail;
        srv->ses->on_bind_result = smb_recover_bind_result;
        srv->ses->userdata = srv;
        srv->conns[0] = srv->conn;
        srv->n_conns = 1;
        /* Further channels of the session (multichannel): "<server>.c1"... */
        for (unsigned i = 1; i < srv->conf.channels && i < SMB_MAX_CHANNELS; i++) {
                struct smb_conn *c;
                snprintf(id, sizeof(id), "%s.%s.c%u", inst, srv->conf.name, i);
                r = smb_conn_new(api, ctx, &srv->conf, id, &c);
                if (r < 0)
                        goto fail;
                c->srv = srv;
                srv->conns[srv->n_conns++] = c;
                r = smb_sm_publish(&c->sm, id, NULL, chan_actions, &chan_ops, c);
                if (r == 0)
                        r = smb_session_add_channel(srv->ses, c);
                if (r < 0)
                        goto fail;
        }
        return 0;
fail:
        smb_server_destroy(srv);
        return r;
}

int smb_server_add_tcon(struct smb_server *srv, const char *gateway_name, const char *share,
                        struct smb_tcon **ret)
{
        char id[160];
        struct smb_tcon *t;
        int r;

        snprintf(id, sizeof(id), "%s.%s", srv->api->instance_name(srv->ctx), gateway_name);
        r = smb_tcon_new(srv->ses, id, share, &t);
        if (r < 0)
                return r;
        t->userdata_srv = srv;
        r = smb_sm_publish(&t->sm, id, srv->ses->sm.obj, tcon_actions, &tcon_ops, t);
        if (r < 0) {
                smb_tcon_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

void smb_server_bring_up(struct smb_server *srv)
{
        smb_recover_now(srv);
}

void smb_server_destroy(struct smb_server *srv)
{
        if (!srv)
                return;
        srv->stopping = true;
        smb_recover_stop(srv);
        if (srv->n_conns == 0 && srv->conn)
                srv->conns[srv->n_conns++] = srv->conn;
        for (unsigned i = 0; i < srv->n_conns; i++)
                smb_conn_cancel_all(srv->conns[i], -ECANCELED);
        if (srv->ses) {
                while (srv->ses->tcons) {
                        struct smb_tcon *t = srv->ses->tcons;
                        smb_sm_unwait(&t->bg_wait);
                        smb_tcon_free(t);
                }
                smb_session_free(srv->ses);
                srv->ses = NULL;
        }
        for (unsigned i = 0; i < srv->n_conns; i++)
                smb_conn_free(srv->conns[i]);
        srv->n_conns = 0;
        srv->conn = NULL;
}

const char *smb_server_error(struct smb_server *srv, struct smb_tcon *t, int error, char *buf,
                             size_t len)
{
        uint32_t st = 0;
        const char *msg = NULL;

        if (t && t->op_status)
                st = t->op_status;
        else if (t && t->last_status)
                st = t->last_status, msg = t->last_error;
        else if (srv->ses && srv->ses->last_status)
                st = srv->ses->last_status, msg = srv->ses->last_error;
        else if (srv->conn && srv->conn->last_status)
                st = srv->conn->last_status, msg = srv->conn->last_error;
        /* Without an NTSTATUS the deepest layer that failed says it best
         * (the upper layers only wrap its message). */
        if (!st && srv->conn && srv->conn->last_errno && srv->conn->last_error[0] &&
            !smb_sm_is(&srv->conn->sm, SMB_CHAN_GOOD))
                msg = srv->conn->last_error;
        if (!msg && t && t->last_error[0])
                msg = t->last_error;
        if (st)
                snprintf(buf, len, "%s (%s)", strerror(-error), ntstatus_name(st));
        else if (msg && *msg)
                snprintf(buf, len, "%s (%s)", strerror(-error), msg);
        else
                snprintf(buf, len, "%s", strerror(-error));
        return buf;
}
