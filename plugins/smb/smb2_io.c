/* SPDX-License-Identifier: MIT */
#include "plugins/smb/smb2_io.h"

#define READ_REQ_SIZE   49u
#define READ_RSP_SIZE   17u
#define WRITE_REQ_SIZE  49u
#define WRITE_RSP_SIZE  17u
#define FLUSH_REQ_SIZE  24u

int smb2_read_req_encode(struct wire_wr *w, const struct smb2_read_req *req)
{
        wire_put_u16(w, READ_REQ_SIZE);
        wire_put_u8(w, req->padding);
        wire_put_u8(w, req->flags);
        wire_put_u32(w, req->length);
        wire_put_u64(w, req->offset);
        wire_put_u64(w, req->file_id.persistent);
        wire_put_u64(w, req->file_id.volatile_);
        wire_put_u32(w, req->minimum_count);
        wire_put_u32(w, SMB2_CHANNEL_NONE);
        wire_put_u32(w, req->remaining_bytes);
        wire_put_u16(w, 0);                       /* ReadChannelInfoOffset */
        wire_put_u16(w, 0);                       /* ReadChannelInfoLength */
        wire_put_u8(w, 0);                        /* the one byte StructureSize counts */
        return w->err;
}

int smb2_read_rsp_decode_fixed(const uint8_t *msg, size_t len, struct smb2_read_rsp *rsp)
{
        struct wire_rd r;
        int rc;

        memset(rsp, 0, sizeof(*rsp));
        rc = smb2_rsp_body(msg, len, SMB2_READ, READ_RSP_SIZE, &r);
        if (rc)
                return rc;
        rsp->data_offset = wire_get_u8(&r);
        wire_skip(&r, 1);
        rsp->data_len = wire_get_u32(&r);
        rsp->data_remaining = wire_get_u32(&r);
        wire_skip(&r, 4);
        return r.err;
}

int smb2_read_rsp_decode(const uint8_t *msg, size_t len, struct smb2_read_rsp *rsp)
{
        int rc = smb2_read_rsp_decode_fixed(msg, len, rsp);

        if (rc)
                return rc;
        return smb2_msg_slice(msg, len, rsp->data_offset, rsp->data_len,
                              SMB2_HDR_SIZE + READ_RSP_SIZE - 1, &rsp->data);
}

int smb2_write_req_encode(struct wire_wr *w, const struct smb2_write_req *req)
{
        if (w->err)
                return w->err;
        wire_put_u16(w, WRITE_REQ_SIZE);
        wire_put_u16(w, SMB2_WRITE_DATA_OFFSET);
        wire_put_u32(w, req->length);
        wire_put_u64(w, req->offset);
        wire_put_u64(w, req->file_id.persistent);
        wire_put_u64(w, req->file_id.volatile_);
        wire_put_u32(w, SMB2_CHANNEL_NONE);
        wire_put_u32(w, req->remaining_bytes);
        wire_put_u16(w, 0);                       /* WriteChannelInfoOffset */
        wire_put_u16(w, 0);                       /* WriteChannelInfoLength */
        wire_put_u32(w, req->flags);
        if (req->length == 0)
                wire_put_u8(w, 0);
        else if (req->data)
                wire_put_bytes(w, req->data, req->length);
        return w->err;
}

int smb2_write_rsp_decode(const uint8_t *msg, size_t len, struct smb2_write_rsp *rsp)
{
        struct wire_rd r;
        int rc;

        memset(rsp, 0, sizeof(*rsp));
        rc = smb2_rsp_body(msg, len, SMB2_WRITE, WRITE_RSP_SIZE, &r);
        if (rc)
                return rc;
        wire_skip(&r, 2);
        rsp->count = wire_get_u32(&r);
        rsp->remaining = wire_get_u32(&r);
        return r.err;
}

int smb2_flush_req_encode(struct wire_wr *w, const struct smb2_file_id *file_id)
{
        wire_put_u16(w, FLUSH_REQ_SIZE);
        wire_put_u16(w, 0);
        wire_put_u32(w, 0);
        wire_put_u64(w, file_id->persistent);
        wire_put_u64(w, file_id->volatile_);
        return w->err;
}

int smb2_flush_rsp_decode(const uint8_t *msg, size_t len)
{
        struct wire_rd r;
        return smb2_rsp_body(msg, len, SMB2_FLUSH, 4, &r);
}
