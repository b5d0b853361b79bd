/* SPDX-License-Identifier: MIT */
/* SMB2 SESSION_SETUP (MS-SMB2 2.2.5, 2.2.6) and LOGOFF (2.2.7, 2.2.8). */
#ifndef GWD_SMB2_SESSION_H
#define GWD_SMB2_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/smb2_header.h"

struct smb2_session_setup_req {
        uint8_t flags;                    /* SMB2_SESSION_FLAG_BINDING */
        uint8_t security_mode;            /* SMB2_NEGOTIATE_SIGNING_* */
        uint32_t capabilities;            /* only SMB2_GLOBAL_CAP_DFS is meaningful */
        uint32_t channel;                 /* MUST be 0 */
        uint64_t previous_session_id;
        const uint8_t *security_buffer;   /* SPNEGO token */
        size_t security_buffer_len;       /* <= 65535 */
};

/* Body after the header; SecurityBufferOffset is 0x58. -EMSGSIZE if the token is too big. */
int smb2_session_setup_req_encode(struct wire_wr *w, const struct smb2_session_setup_req *req);

struct smb2_session_setup_rsp {
        uint16_t session_flags;           /* SMB2_SESSION_FLAG_IS_GUEST/IS_NULL/ENCRYPT_DATA */
        const uint8_t *security_buffer;   /* into msg, NULL if empty */
        uint16_t security_buffer_len;
};

/* Works for STATUS_SUCCESS and STATUS_MORE_PROCESSING_REQUIRED responses alike. */
int smb2_session_setup_rsp_decode(const uint8_t *msg, size_t len,
                                  struct smb2_session_setup_rsp *rsp);

int smb2_logoff_req_encode(struct wire_wr *w);
int smb2_logoff_rsp_decode(const uint8_t *msg, size_t len);

#endif /* GWD_SMB2_SESSION_H */
