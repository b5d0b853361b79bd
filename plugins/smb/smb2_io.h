/* SPDX-License-Identifier: MIT */
/* SMB2 READ (MS-SMB2 2.2.19, 2.2.20), WRITE (2.2.21, 2.2.22), FLUSH (2.2.17, 2.2.18). */
#ifndef GWD_SMB2_IO_H
#define GWD_SMB2_IO_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/smb2_header.h"

/* Where WRITE data starts, from the SMB2 header: 64 + 48. */
#define SMB2_WRITE_DATA_OFFSET 0x70
/* Preferred READ data offset to ask for: 64 + 16. */
#define SMB2_READ_DATA_OFFSET  0x50

struct smb2_read_req {
        uint8_t padding;                  /* requested DataOffset in the response, 0x50 */
        uint8_t flags;                    /* SMB2_READFLAG_* (3.0.2+) */
        uint32_t length;
        uint64_t offset;
        struct smb2_file_id file_id;
        uint32_t minimum_count;
        uint32_t remaining_bytes;
};

int smb2_read_req_encode(struct wire_wr *w, const struct smb2_read_req *req);

struct smb2_read_rsp {
        uint8_t data_offset;
        uint32_t data_len;
        uint32_t data_remaining;
        const uint8_t *data;              /* into msg, NULL if data_len == 0 */
};

/* DataOffset/DataLength are checked against the message (data at >= 0x50). */
int smb2_read_rsp_decode(const uint8_t *msg, size_t len, struct smb2_read_rsp *rsp);
/* Header and the 16 fixed bytes only: DataOffset and DataLength are NOT
 * checked against the message and data stays NULL.  For a response whose
 * data the transport put elsewhere (smb_req.rx_buf), or to look at a
 * response of which only that much is known yet. */
int smb2_read_rsp_decode_fixed(const uint8_t *msg, size_t len, struct smb2_read_rsp *rsp);

struct smb2_write_req {
        uint64_t offset;
        struct smb2_file_id file_id;
        uint32_t flags;                   /* SMB2_WRITEFLAG_* */
        uint32_t remaining_bytes;
        const void *data;                 /* NULL: payload sent by the caller */
        uint32_t length;
};

/*
 * Body after the header, DataOffset 0x70, Length req->length.  With
 * req->data the payload is copied after the body; with req->data == NULL
 * only the 48 fixed bytes are written and the caller sends exactly
 * req->length payload bytes right after (a second iovec), so large writes
 * are not copied.  The signature/encryption must then cover both parts.
 * A zero-length write gets the one pad byte StructureSize 49 implies.
 */
int smb2_write_req_encode(struct wire_wr *w, const struct smb2_write_req *req);

struct smb2_write_rsp {
        uint32_t count;
        uint32_t remaining;
};

int smb2_write_rsp_decode(const uint8_t *msg, size_t len, struct smb2_write_rsp *rsp);

int smb2_flush_req_encode(struct wire_wr *w, const struct smb2_file_id *file_id);
int smb2_flush_rsp_decode(const uint8_t *msg, size_t len);

#endif /* GWD_SMB2_IO_H */
