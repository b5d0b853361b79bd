/* SPDX-License-Identifier: MIT */
#include "plugins/smb/smb2_session.h"

#define SS_REQ_SIZE 25u
#define SS_RSP_SIZE 9u

int smb2_session_setup_req_encode(struct wire_wr *w, const struct smb2_session_setup_req *req)
{
        if (w->err)
                return w->err;
        if (req->security_buffer_len > UINT16_MAX)
                return -EMSGSIZE;
        if (req->security_buffer_len && !req->security_buffer)
                return -EINVAL;
        wire_put_u16(w, SS_REQ_SIZE);
        wire_put_u8(w, req->flags);
        wire_put_u8(w, req->security_mode);
        wire_put_u32(w, req->capabilities);
        wire_put_u32(w, req->channel);
        wire_put_u16(w, SMB2_HDR_SIZE + SS_REQ_SIZE - 1);
        wire_put_u16(w, (uint16_t)req->security_buffer_len);
        wire_put_u64(w, req->previous_session_id);
        if (req->security_buffer_len)
                wire_put_bytes(w, req->security_buffer, req->security_buffer_len);
        else
                wire_put_u8(w, 0);  /* the one byte StructureSize counts */
        return w->err;
}

int smb2_session_setup_rsp_decode(const uint8_t *msg, size_t len,
                                  struct smb2_session_setup_rsp *rsp)
{
        struct wire_rd r;
        int rc;

        memset(rsp, 0, sizeof(*rsp));
        rc = smb2_rsp_body(msg, len, SMB2_SESSION_SETUP, SS_RSP_SIZE, &r);
        if (rc)
                return rc;
        rsp->session_flags = wire_get_u16(&r);
        uint16_t off = wire_get_u16(&r);
        uint16_t n = wire_get_u16(&r);
        if (r.err)
                return r.err;
        rc = smb2_msg_slice(msg, len, off, n, SMB2_HDR_SIZE + SS_RSP_SIZE - 1,
                            &rsp->security_buffer);
        if (rc)
                return rc;
        rsp->security_buffer_len = n;
        return 0;
}

int smb2_logoff_req_encode(struct wire_wr *w)
{
        wire_put_u16(w, 4);
        wire_put_u16(w, 0);
        return w->err;
}

int smb2_logoff_rsp_decode(const uint8_t *msg, size_t len)
{
        struct wire_rd r;
        return smb2_rsp_body(msg, len, SMB2_LOGOFF, 4, &r);
}
