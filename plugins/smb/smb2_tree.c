/* SPDX-License-Identifier: MIT */
#include "plugins/smb/smb2_tree.h"

#define TC_REQ_SIZE 9u
#define TC_RSP_SIZE 16u

int smb2_tree_connect_req_encode(struct wire_wr *w, const struct smb2_tree_connect_req *req)
{
        if (w->err)
                return w->err;
        if (!req->path || req->path_len == 0 || (req->path_len & 1) ||
            req->path_len > UINT16_MAX)
                return -EINVAL;
        wire_put_u16(w, TC_REQ_SIZE);
        wire_put_u16(w, req->flags);
        wire_put_u16(w, SMB2_HDR_SIZE + TC_REQ_SIZE - 1);
        wire_put_u16(w, (uint16_t)req->path_len);
        wire_put_bytes(w, req->path, req->path_len);
        return w->err;
}

int smb2_tree_connect_rsp_decode(const uint8_t *msg, size_t len,
                                 struct smb2_tree_connect_rsp *rsp)
{
        struct wire_rd r;
        int rc;

        memset(rsp, 0, sizeof(*rsp));
        rc = smb2_rsp_body(msg, len, SMB2_TREE_CONNECT, TC_RSP_SIZE, &r);
        if (rc)
                return rc;
        rsp->share_type = wire_get_u8(&r);
        wire_skip(&r, 1);
        rsp->share_flags = wire_get_u32(&r);
        rsp->capabilities = wire_get_u32(&r);
        rsp->maximal_access = wire_get_u32(&r);
        return r.err;
}

int smb2_tree_disconnect_req_encode(struct wire_wr *w)
{
        wire_put_u16(w, 4);
        wire_put_u16(w, 0);
        return w->err;
}

int smb2_tree_disconnect_rsp_decode(const uint8_t *msg, size_t len)
{
        struct wire_rd r;
        return smb2_rsp_body(msg, len, SMB2_TREE_DISCONNECT, 4, &r);
}
