/* SPDX-License-Identifier: MIT */
/*
 * SMB2 CREATE (MS-SMB2 2.2.13, 2.2.14) with create contexts (2.2.13.2,
 * 2.2.14.2), and CLOSE (2.2.15, 2.2.16).
 */
#ifndef GWD_SMB2_CREATE_H
#define GWD_SMB2_CREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/smb2_header.h"

/* A raw create context: name (usually 4 ASCII bytes) and data. */
struct smb2_create_ctx {
        const uint8_t *name;
        uint16_t name_len;
        const uint8_t *data;
        uint32_t data_len;
};

/* SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2 "DH2Q" (2.2.13.2.11). */
struct smb2_dh2q {
        uint32_t timeout;                 /* ms, 0: server default */
        uint32_t flags;                   /* SMB2_DHANDLE_FLAG_PERSISTENT */
        uint8_t create_guid[SMB2_GUID_SIZE];
};

/* SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2 "DH2C" (2.2.13.2.12). */
struct smb2_dh2c {
        struct smb2_file_id file_id;
        uint8_t create_guid[SMB2_GUID_SIZE];
        uint32_t flags;
};

struct smb2_create_req {
        uint8_t oplock_level;             /* SMB2_OPLOCK_LEVEL_* */
        uint32_t impersonation_level;     /* SMB2_IMPERSONATION_* */
        uint32_t desired_access;
        uint32_t file_attributes;
        uint32_t share_access;
        uint32_t create_disposition;      /* FILE_OPEN, FILE_CREATE, ... */
        uint32_t create_options;
        const uint8_t *name;              /* UTF-16LE, relative to the share, no leading '\' */
        size_t name_len;                  /* bytes, even; 0 opens the share root */
        const struct smb2_dh2q *dh2q;     /* optional */
        const struct smb2_dh2c *dh2c;     /* optional */
        const struct smb2_create_ctx *extra;  /* optional further contexts */
        size_t extra_count;
};

/*
 * Body after the header: name at 0x78, then the 8-byte aligned context
 * chain.  -EINVAL for an odd name length or an empty context name,
 * -ENAMETOOLONG for a name over 65534 bytes.
 */
int smb2_create_req_encode(struct wire_wr *w, const struct smb2_create_req *req);

struct smb2_create_rsp {
        uint8_t oplock_level;
        uint8_t flags;                    /* SMB2_CREATE_FLAG_REPARSEPOINT */
        uint32_t create_action;           /* FILE_OPENED, FILE_CREATED, ... */
        uint64_t creation_time;
        uint64_t last_access_time;
        uint64_t last_write_time;
        uint64_t change_time;
        uint64_t allocation_size;
        uint64_t end_of_file;
        uint32_t file_attributes;
        struct smb2_file_id file_id;
        const uint8_t *contexts;          /* raw chain, into msg; NULL if none */
        uint32_t contexts_len;
        /* well-known response contexts, if present */
        bool has_dh2q;                    /* DH2Q response: durable v2 granted */
        uint32_t dh2q_timeout;
        uint32_t dh2q_flags;
        bool has_mxac;                    /* MxAc response */
        uint32_t mxac_status;
        uint32_t maximal_access;
};

/*
 * Decode a CREATE response.  The whole context chain is validated (Next
 * 8-byte aligned and forward, NameOffset/NameLength and DataOffset/
 * DataLength inside each context) before anything is reported.
 */
int smb2_create_rsp_decode(const uint8_t *msg, size_t len, struct smb2_create_rsp *rsp);

/* Walk a create context chain (e.g. smb2_create_rsp.contexts). */
struct smb2_create_ctx_iter {
        const uint8_t *buf;
        size_t len;
        size_t off;
        bool done;
};

void smb2_create_ctx_iter_init(struct smb2_create_ctx_iter *it, const uint8_t *buf, size_t len);
/* 1 with *ctx filled (pointers into buf), 0 at the end, -EBADMSG. */
int smb2_create_ctx_next(struct smb2_create_ctx_iter *it, struct smb2_create_ctx *ctx);

struct smb2_close_req {
        uint16_t flags;                   /* SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB */
        struct smb2_file_id file_id;
};

int smb2_close_req_encode(struct wire_wr *w, const struct smb2_close_req *req);

/* Attributes are valid only if SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB is set in flags. */
struct smb2_close_rsp {
        uint16_t flags;
        uint64_t creation_time;
        uint64_t last_access_time;
        uint64_t last_write_time;
        uint64_t change_time;
        uint64_t allocation_size;
        uint64_t end_of_file;
        uint32_t file_attributes;
};

int smb2_close_rsp_decode(const uint8_t *msg, size_t len, struct smb2_close_rsp *rsp);

#endif /* GWD_SMB2_CREATE_H */
