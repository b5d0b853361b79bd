/* SPDX-License-Identifier: MIT */
/* SMB2 TREE_CONNECT (MS-SMB2 2.2.9, 2.2.10) and TREE_DISCONNECT (2.2.11, 2.2.12). */
#ifndef GWD_SMB2_TREE_H
#define GWD_SMB2_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/smb2_header.h"

struct smb2_tree_connect_req {
        uint16_t flags;                   /* SMB2_TREE_CONNECT_FLAG_* (3.1.1), usually 0 */
        const uint8_t *path;              /* "\\server\share" in UTF-16LE, no NUL */
        size_t path_len;                  /* bytes, even, 1..65534 */
};

/* Body after the header; PathOffset is 0x48. */
int smb2_tree_connect_req_encode(struct wire_wr *w, const struct smb2_tree_connect_req *req);

struct smb2_tree_connect_rsp {
        uint8_t share_type;               /* SMB2_SHARE_TYPE_* */
        uint32_t share_flags;             /* SMB2_SHAREFLAG_* (ENCRYPT_DATA: encrypt this tree) */
        uint32_t capabilities;            /* SMB2_SHARE_CAP_* */
        uint32_t maximal_access;
};

int smb2_tree_connect_rsp_decode(const uint8_t *msg, size_t len,
                                 struct smb2_tree_connect_rsp *rsp);

int smb2_tree_disconnect_req_encode(struct wire_wr *w);
int smb2_tree_disconnect_rsp_decode(const uint8_t *msg, size_t len);

#endif /* GWD_SMB2_TREE_H */
