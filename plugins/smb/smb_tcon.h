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
#include "plugins/smb/smb_recover.h"
#include "plugins/smb/smb_session.h"
#include "plugins/smb/smb_state.h"

/* An open handle: the backend's `struct gwd_file` (smb_handle.h). */
struct gwd_file {
        struct smb_tcon *tcon;          /* NULL once the tcon is gone */
        struct gwd_file *next, *prev;   /* tcon's open-handle list */
        struct smb2_file_id fid;
        uint32_t flags;                 /* GWD_O_* */
        bool is_dir;
        bool lost;                      /* cannot be reopened: ops fail -ESTALE */
        bool durable;                   /* durable v2 granted for the current open */
        bool replayable;                /* the last reopen kept the server's open */
        bool reopening;                 /* claim: a reopen CREATE is in flight */
        void *reopen_rq;                /* that CREATE's context (smb_handle.c) */
        uint64_t tree_gen;              /* tcon->tcons when opened or reopened */
        uint64_t reopens;
        unsigned busy;                  /* operations in flight */
        uint8_t create_guid[16];
        uint32_t access, options;       /* as opened, for a reopen */
        uint8_t *name16;                /* UTF-16LE name, for a reopen */
        size_t name16_len;
        struct smb_waiter reopen_wait;  /* list head: operations waiting */
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
        struct smb_waiter bg_wait;      /* engine attempt (smb_recover.c) */
        struct smb_retry retry;         /* tree-level retries (smb_recover.c) */
        bool hard;                      /* recovery mode of requests */
        uint32_t wait_ms;               /* how long a request waits for recovery */
        int logged_error;               /* last bring-up result logged */
        uint64_t requests_retried;      /* transparently after a recovery */
        uint64_t requests_failed;       /* failed because the tree could not recover */
        unsigned parked;                /* requests waiting for recovery now */
        uint64_t handles_reopened_durable;      /* DH2C kept the server's open */
        uint64_t handles_reopened_by_path;      /* read-only handles opened again */
        uint64_t handles_lost;                  /* could not be reopened (-ESTALE) */
        int last_errno;
        uint32_t last_status;
        char last_error[160];
        uint64_t last_error_at;         /* CLOCK_REALTIME us, 0: never */
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
