/* SPDX-License-Identifier: MIT */
#include "plugins/smb/smb2_create.h"

#define CREATE_REQ_SIZE  57u
#define CREATE_RSP_SIZE  89u
#define CLOSE_REQ_SIZE   24u
#define CLOSE_RSP_SIZE   60u
#define CTX_HDR_SIZE     16u

/* Pad to 8 relative to `base` (a context start or the body start). */
static void pad8_from(struct wire_wr *w, size_t base)
{
        wire_put_zeros(w, (8 - ((w->pos - base) & 7)) & 7);
}

/*
 * One context at w->pos.  Its Next field is patched by the caller once it
 * knows whether another context follows.
 */
static void put_ctx(struct wire_wr *w, const uint8_t *name, uint16_t name_len,
                    const uint8_t *data, uint32_t data_len)
{
        size_t start = w->pos;
        size_t data_off = data_len ? (CTX_HDR_SIZE + name_len + 7u) & ~(size_t)7 : 0;

        wire_put_u32(w, 0);
        wire_put_u16(w, CTX_HDR_SIZE);
        wire_put_u16(w, name_len);
        wire_put_u16(w, 0);
        wire_put_u16(w, (uint16_t)data_off);
        wire_put_u32(w, data_len);
        wire_put_bytes(w, name, name_len);
        if (data_len) {
                pad8_from(w, start);
                wire_put_bytes(w, data, data_len);
        }
}

int smb2_create_req_encode(struct wire_wr *w, const struct smb2_create_req *req)
{
        uint8_t dh2q[32], dh2c[36];
        struct wire_wr d;

        if (w->err)
                return w->err;
        if ((req->name_len & 1) || (req->name_len && !req->name))
                return -EINVAL;
        if (req->name_len > UINT16_MAX)
                return -ENAMETOOLONG;
        if (req->extra_count && !req->extra)
                return -EINVAL;
        for (size_t i = 0; i < req->extra_count; i++) {
                const struct smb2_create_ctx *c = &req->extra[i];
                /* DataOffset is 16 bits, so the name must stay short. */
                if (!c->name || c->name_len == 0 || c->name_len > 1024 ||
                    (c->data_len && !c->data))
                        return -EINVAL;
        }

        size_t body = w->pos;
        wire_put_u16(w, CREATE_REQ_SIZE);
        wire_put_u8(w, 0);                        /* SecurityFlags */
        wire_put_u8(w, req->oplock_level);
        wire_put_u32(w, req->impersonation_level);
        wire_put_u64(w, 0);                       /* SmbCreateFlags */
        wire_put_u64(w, 0);                       /* Reserved */
        wire_put_u32(w, req->desired_access);
        wire_put_u32(w, req->file_attributes);
        wire_put_u32(w, req->share_access);
        wire_put_u32(w, req->create_disposition);
        wire_put_u32(w, req->create_options);
        wire_put_u16(w, SMB2_HDR_SIZE + CREATE_REQ_SIZE - 1);
        wire_put_u16(w, (uint16_t)req->name_len);
        size_t ctx_fields = w->pos;
        wire_put_u32(w, 0);                       /* CreateContextsOffset */
        wire_put_u32(w, 0);                       /* CreateContextsLength */
        wire_put_bytes(w, req->name, req->name_len);

        bool any = req->dh2q || req->dh2c || req->extra_count;
        if (!any) {
                if (req->name_len == 0)
                        wire_put_u8(w, 0);        /* the one byte StructureSize counts */
                return w->err;
        }

        pad8_from(w, body);
        size_t first = w->pos, prev = SIZE_MAX;

        if (req->dh2q) {
                d = wire_wr_init(dh2q, sizeof(dh2q));
                wire_put_u32(&d, req->dh2q->timeout);
                wire_put_u32(&d, req->dh2q->flags);
                wire_put_u64(&d, 0);
                wire_put_bytes(&d, req->dh2q->create_guid, SMB2_GUID_SIZE);
                prev = w->pos;
                put_ctx(w, (const uint8_t *)SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2, 4,
                        dh2q, sizeof(dh2q));
        }
        if (req->dh2c) {
                if (prev != SIZE_MAX) {
                        pad8_from(w, body);
                        wire_patch_u32(w, prev, (uint32_t)(w->pos - prev));
                }
                d = wire_wr_init(dh2c, sizeof(dh2c));
                wire_put_u64(&d, req->dh2c->file_id.persistent);
                wire_put_u64(&d, req->dh2c->file_id.volatile_);
                wire_put_bytes(&d, req->dh2c->create_guid, SMB2_GUID_SIZE);
                wire_put_u32(&d, req->dh2c->flags);
                prev = w->pos;
                put_ctx(w, (const uint8_t *)SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2, 4,
                        dh2c, sizeof(dh2c));
        }
        for (size_t i = 0; i < req->extra_count; i++) {
                const struct smb2_create_ctx *c = &req->extra[i];
                if (prev != SIZE_MAX) {
                        pad8_from(w, body);
                        wire_patch_u32(w, prev, (uint32_t)(w->pos - prev));
                }
                prev = w->pos;
                put_ctx(w, c->name, c->name_len, c->data, c->data_len);
        }
        if (w->err)
                return w->err;
        if (w->pos - first > UINT32_MAX)
                return -EMSGSIZE;
        wire_patch_u32(w, ctx_fields, (uint32_t)(first - body + SMB2_HDR_SIZE));
        wire_patch_u32(w, ctx_fields + 4, (uint32_t)(w->pos - first));
        return 0;
}

void smb2_create_ctx_iter_init(struct smb2_create_ctx_iter *it, const uint8_t *buf, size_t len)
{
        *it = (struct smb2_create_ctx_iter){ .buf = buf, .len = buf ? len : 0 };
}

int smb2_create_ctx_next(struct smb2_create_ctx_iter *it, struct smb2_create_ctx *ctx)
{
        memset(ctx, 0, sizeof(*ctx));
        if (it->done || it->off >= it->len) {
                it->done = true;
                return 0;
        }
        it->done = true;        /* cleared again below if a next context follows */

        size_t left = it->len - it->off;
        struct wire_rd r = wire_rd_init(it->buf + it->off, left);
        uint32_t next = wire_get_u32(&r);
        uint16_t name_off = wire_get_u16(&r);
        uint16_t name_len = wire_get_u16(&r);
        wire_skip(&r, 2);
        uint16_t data_off = wire_get_u16(&r);
        uint32_t data_len = wire_get_u32(&r);
        if (r.err)
                return -EBADMSG;

        size_t ctx_len = left;
        if (next) {
                if ((next & 7) || next < CTX_HDR_SIZE || next >= left)
                        return -EBADMSG;
                ctx_len = next;
        }
        if (name_len == 0 || name_off < CTX_HDR_SIZE || name_off > ctx_len ||
            name_len > ctx_len - name_off)
                return -EBADMSG;
        if (data_len) {
                if (data_off < CTX_HDR_SIZE || data_off > ctx_len ||
                    data_len > ctx_len - data_off)
                        return -EBADMSG;
                ctx->data = it->buf + it->off + data_off;
        }
        ctx->name = it->buf + it->off + name_off;
        ctx->name_len = name_len;
        ctx->data_len = data_len;
        if (next) {
                it->off += next;
                it->done = false;
        }
        return 1;
}

static bool ctx_is(const struct smb2_create_ctx *c, const char *tag)
{
        return c->name_len == 4 && memcmp(c->name, tag, 4) == 0;
}

int smb2_create_rsp_decode(const uint8_t *msg, size_t len, struct smb2_create_rsp *rsp)
{
        struct wire_rd r;
        int rc;

        memset(rsp, 0, sizeof(*rsp));
        rc = smb2_rsp_body(msg, len, SMB2_CREATE, CREATE_RSP_SIZE, &r);
        if (rc)
                return rc;
        rsp->oplock_level = wire_get_u8(&r);
        rsp->flags = wire_get_u8(&r);
        rsp->create_action = wire_get_u32(&r);
        rsp->creation_time = wire_get_u64(&r);
        rsp->last_access_time = wire_get_u64(&r);
        rsp->last_write_time = wire_get_u64(&r);
        rsp->change_time = wire_get_u64(&r);
        rsp->allocation_size = wire_get_u64(&r);
        rsp->end_of_file = wire_get_u64(&r);
        rsp->file_attributes = wire_get_u32(&r);
        wire_skip(&r, 4);
        rsp->file_id.persistent = wire_get_u64(&r);
        rsp->file_id.volatile_ = wire_get_u64(&r);
        uint32_t ctx_off = wire_get_u32(&r);
        uint32_t ctx_len = wire_get_u32(&r);
        if (r.err)
                return r.err;
        rc = smb2_msg_slice(msg, len, ctx_off, ctx_len, SMB2_HDR_SIZE + CREATE_RSP_SIZE - 1,
                            &rsp->contexts);
        if (rc)
                return rc;
        rsp->contexts_len = ctx_len;

        struct smb2_create_ctx_iter it;
        struct smb2_create_ctx c;
        smb2_create_ctx_iter_init(&it, rsp->contexts, ctx_len);
        while ((rc = smb2_create_ctx_next(&it, &c)) > 0) {
                struct wire_rd d = wire_rd_init(c.data, c.data_len);
                if (ctx_is(&c, SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2)) {
                        rsp->dh2q_timeout = wire_get_u32(&d);
                        rsp->dh2q_flags = wire_get_u32(&d);
                        if (d.err)
                                return -EBADMSG;
                        rsp->has_dh2q = true;
                } else if (ctx_is(&c, SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST)) {
                        rsp->mxac_status = wire_get_u32(&d);
                        rsp->maximal_access = wire_get_u32(&d);
                        if (d.err)
                                return -EBADMSG;
                        rsp->has_mxac = true;
                }
        }
        return rc;
}

int smb2_close_req_encode(struct wire_wr *w, const struct smb2_close_req *req)
{
        wire_put_u16(w, CLOSE_REQ_SIZE);
        wire_put_u16(w, req->flags);
        wire_put_u32(w, 0);
        wire_put_u64(w, req->file_id.persistent);
        wire_put_u64(w, req->file_id.volatile_);
        return w->err;
}

int smb2_close_rsp_decode(const uint8_t *msg, size_t len, struct smb2_close_rsp *rsp)
{
        struct wire_rd r;
        int rc;

        memset(rsp, 0, sizeof(*rsp));
        rc = smb2_rsp_body(msg, len, SMB2_CLOSE, CLOSE_RSP_SIZE, &r);
        if (rc)
                return rc;
        rsp->flags = wire_get_u16(&r);
        wire_skip(&r, 4);
        rsp->creation_time = wire_get_u64(&r);
        rsp->last_access_time = wire_get_u64(&r);
        rsp->last_write_time = wire_get_u64(&r);
        rsp->change_time = wire_get_u64(&r);
        rsp->allocation_size = wire_get_u64(&r);
        rsp->end_of_file = wire_get_u64(&r);
        rsp->file_attributes = wire_get_u32(&r);
        return r.err;
}
