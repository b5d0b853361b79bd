/* SPDX-License-Identifier: MIT */
/*
 * One configured server with its channel, session and tree connects,
 * published in the registry (kinds "channel", "session", "tcon") with
 * snapshot hooks and "reconnect" actions.  Shared by the plugin and the
 * gwd-smb CLI.
 *
 * Object ids: channel "<instance>.<server>" (and "<instance>.<server>.c1"
 * ... for the further channels of a multichannel session), session
 * "<instance>.<server>.s1", tcon "<instance>.<gateway share>".
 *
 * Actions: every object offers "reconnect" (channel: drop the socket and
 * redo everything; session: redo SESSION_SETUP; tcon: redo TREE_CONNECT)
 * and a fault drill: channel "drill_disconnect" (cut the socket),
 * "drill_hang" (stop reading it: the deadlines and echoes must notice),
 * session "drill_session_expired", tcon "drill_network_name_deleted" (as if
 * the server had answered with that status).  Each records who asked.
 */
#ifndef GWD_SMB_CLIENT_H
#define GWD_SMB_CLIENT_H

#include "plugins/smb/smb_conn.h"
#include "plugins/smb/smb_recover.h"
#include "plugins/smb/smb_session.h"
#include "plugins/smb/smb_tcon.h"

struct smb_server {
        const struct gwd_api *api;
        struct gwd_ctx *ctx;
        struct smb_server_conf conf;
        struct smb_conn *conn;          /* conns[0]: the session is set up on it */
        struct smb_conn *conns[SMB_MAX_CHANNELS];
        unsigned n_conns;               /* conf.channels once created */
        struct smb_session *ses;
        bool stopping;
        struct smb_retry retry;         /* channel + session (smb_recover.c) */
        /* Called (if set) when a background bring-up of a tcon ends. */
        void (*on_tcon_result)(struct smb_server *srv, struct smb_tcon *t, int error);
        void *userdata;
};

/* Create and publish channel + session (state new).  srv->conf must be
 * filled; srv is zeroed otherwise by the caller. */
int smb_server_create(struct smb_server *srv, const struct gwd_api *api, struct gwd_ctx *ctx);
/* Create and publish a tcon under the session. */
int smb_server_add_tcon(struct smb_server *srv, const char *gateway_name, const char *share,
                        struct smb_tcon **ret);
/* Start (or join) bringing every tcon to good, in the background; the
 * reconnect engine (smb_recover.h) retries from then on. */
void smb_server_bring_up(struct smb_server *srv);
/* Cancel every request (-ECANCELED), then free tcons, session, channel. */
void smb_server_destroy(struct smb_server *srv);

/* NTSTATUS name + errno text of the deepest known failure (for messages). */
const char *smb_server_error(struct smb_server *srv, struct smb_tcon *t, int error, char *buf,
                             size_t len);

#endif /* GWD_SMB_CLIENT_H */
