/* SPDX-License-Identifier: MIT */
/*
 * Tree connects (MS-SMB2 3.2.4.2.4, 3.2.5.5) and their open handles.
 */
#ifndef GWD_SMB_TCON_H
#define GWD_SMB_TCON_H

#include <stdbool.h>
#include <stdint.h>

#include "gatewayd/backend.h"
#include "plugins/smb/smb2_proto.h"
#include "plugins/smb/smb_session.h"
#include "plugins/smb/smb_state.h"

/* An open handle: the backend's `struct gwd_file`. */
struct gwd_file {
        struct smb_tcon *tcon;
        struct gwd_file *next, *prev;   /* tcon's open-handle list */
        struct smb2_file_id fid;
        uint32_t flags;                 /* GWD_O_* */
        bool is_dir;
        bool invalid;                   /* lost with its tree; ops fail -ESTALE */
        uint64_t generation;            /* channel generation at open */
        unsigned busy;                  /* operations in flight */
        char *path;
};

struct smb_server;

struct smb_tcon {
        const struct gwd_api *api;
        struct smb_server *userdata_srv;        /* owner (smb_client.h) */
        struct gwd_ctx *ctx;
        struct smb_session *ses;
        struct smb_tcon *next;          /* session's list */
        struct smb_sm sm;
        char *id;
        char *share;                    /* SMB share name */
        char *unc;                      /* \\host\share */
        uint32_t tree_id;
        uint8_t share_type;
        uint32_t share_flags;
        uint32_t share_caps;
        uint32_t maximal_access;
        bool encrypt;                   /* ENCRYPT_DATA or session encrypted */
        struct smb_waiter ses_wait;
        struct gwd_file files;          /* list head */
        unsigned n_files;
        uint64_t tcons;                 /* TREE_CONNECTs done */
        uint32_t op_status;             /* NTSTATUS of the last failed file op */
        struct smb_waiter bg_wait;      /* background bring-up (plugin start, actions) */
        int last_errno;
        uint32_t last_status;
        char last_error[160];
};

int smb_tcon_new(struct smb_session *ses, const char *id, const char *share,
                 struct smb_tcon **ret);
/* Exiting + TREE_DISCONNECT (best effort); handles are forgotten. */
void smb_tcon_free(struct smb_tcon *tcon);

/* Same contract as smb_conn_ensure: tree connected and good. */
int smb_tcon_ensure(struct smb_tcon *tcon, struct smb_waiter *w);

/* Session lost: good -> need_reconnect. */
void smb_tcon_session_lost(struct smb_tcon *tcon, const char *cause);
/* STATUS_NETWORK_NAME_DELETED or an admin action. */
void smb_tcon_mark_reconnect(struct smb_tcon *tcon, const char *cause);

/* Prepare a request on this tree (tree id, encryption). */
struct smb_req *smb_tcon_req_new(struct smb_tcon *tcon, uint16_t command, size_t body_cap);

void smb_tcon_file_add(struct smb_tcon *tcon, struct gwd_file *f);
void smb_tcon_file_remove(struct smb_tcon *tcon, struct gwd_file *f);

void smb_tcon_snapshot(struct smb_tcon *tcon, json_t *details);

/* UTF-8 gateway path ("a/b") to an SMB name (UTF-16LE "a\b"); malloc'd. */
int smb_path_to_utf16(const char *path, uint8_t **out, size_t *out_len);

#endif /* GWD_SMB_TCON_H */
