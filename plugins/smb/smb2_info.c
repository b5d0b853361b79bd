/* SPDX-License-Identifier: MIT */
#include "plugins/smb/smb2_info.h"

#define QI_REQ_SIZE 41u
#define QI_RSP_SIZE 9u
#define SI_REQ_SIZE 33u
#define SI_RSP_SIZE 2u

#define RENAME_FIXED   20u
#define RENAME_MIN_BUF 24u

int smb2_query_info_req_encode(struct wire_wr *w, const struct smb2_query_info_req *req)
{
        if (w->err)
                return w->err;
        if (req->input_len && !req->input)
                return -EINVAL;
        wire_put_u16(w, QI_REQ_SIZE);
        wire_put_u8(w, req->info_type);
        wire_put_u8(w, req->file_info_class);
        wire_put_u32(w, req->output_buffer_length);
        wire_put_u16(w, req->input_len ? SMB2_HDR_SIZE + QI_REQ_SIZE - 1 : 0);
        wire_put_u16(w, 0);
        wire_put_u32(w, req->input_len);
        wire_put_u32(w, req->additional_information);
        wire_put_u32(w, req->flags);
        wire_put_u64(w, req->file_id.persistent);
        wire_put_u64(w, req->file_id.volatile_);
        if (req->input_len)
                wire_put_bytes(w, req->input, req->input_len);
        else
                wire_put_u8(w, 0);
        return w->err;
}

int smb2_query_info_rsp_decode(const uint8_t *msg, size_t len, struct smb2_query_info_rsp *rsp)
{
        memset(rsp, 0, sizeof(*rsp));
        return smb2_rsp_offset_buffer(msg, len, SMB2_QUERY_INFO, QI_RSP_SIZE, &rsp->buf,
                                      &rsp->len);
}

static void get_basic(struct wire_rd *r, struct smb2_file_basic_info *b)
{
        b->creation_time = wire_get_u64(r);
        b->last_access_time = wire_get_u64(r);
        b->last_write_time = wire_get_u64(r);
        b->change_time = wire_get_u64(r);
        b->file_attributes = wire_get_u32(r);
        wire_skip(r, 4);
}

static void get_standard(struct wire_rd *r, struct smb2_file_standard_info *s)
{
        s->allocation_size = wire_get_u64(r);
        s->end_of_file = wire_get_u64(r);
        s->number_of_links = wire_get_u32(r);
        s->delete_pending = wire_get_u8(r);
        s->directory = wire_get_u8(r);
        wire_skip(r, 2);
}

int smb2_file_basic_info_decode(const uint8_t *buf, size_t len, struct smb2_file_basic_info *out)
{
        struct wire_rd r = wire_rd_init(buf, buf ? len : 0);

        memset(out, 0, sizeof(*out));
        get_basic(&r, out);
        return r.err;
}

int smb2_file_standard_info_decode(const uint8_t *buf, size_t len,
                                   struct smb2_file_standard_info *out)
{
        struct wire_rd r = wire_rd_init(buf, buf ? len : 0);

        memset(out, 0, sizeof(*out));
        get_standard(&r, out);
        return r.err;
}

int smb2_file_network_open_info_decode(const uint8_t *buf, size_t len,
                                       struct smb2_file_network_open_info *out)
{
        struct wire_rd r = wire_rd_init(buf, buf ? len : 0);

        memset(out, 0, sizeof(*out));
        out->creation_time = wire_get_u64(&r);
        out->last_access_time = wire_get_u64(&r);
        out->last_write_time = wire_get_u64(&r);
        out->change_time = wire_get_u64(&r);
        out->allocation_size = wire_get_u64(&r);
        out->end_of_file = wire_get_u64(&r);
        out->file_attributes = wire_get_u32(&r);
        wire_skip(&r, 4);
        return r.err;
}

int smb2_file_all_info_decode(const uint8_t *buf, size_t len, struct smb2_file_all_info *out)
{
        struct wire_rd r = wire_rd_init(buf, buf ? len : 0);

        memset(out, 0, sizeof(*out));
        get_basic(&r, &out->basic);
        get_standard(&r, &out->standard);
        out->index_number = wire_get_u64(&r);
        out->ea_size = wire_get_u32(&r);
        out->access_flags = wire_get_u32(&r);
        out->current_byte_offset = wire_get_u64(&r);
        out->mode = wire_get_u32(&r);
        out->alignment_requirement = wire_get_u32(&r);
        out->name_len = wire_get_u32(&r);
        if (r.err)
                return r.err;
        if (out->name_len > wire_rd_left(&r)) {
                /* STATUS_BUFFER_OVERFLOW cuts the name; the fixed part stays usable. */
                out->name_truncated = true;
                return 0;
        }
        out->name = out->name_len ? wire_get_bytes(&r, out->name_len) : NULL;
        return r.err;
}

int smb2_fs_full_size_info_decode(const uint8_t *buf, size_t len,
                                  struct smb2_fs_full_size_info *out)
{
        struct wire_rd r = wire_rd_init(buf, buf ? len : 0);

        memset(out, 0, sizeof(*out));
        out->total_allocation_units = wire_get_u64(&r);
        out->caller_available_allocation_units = wire_get_u64(&r);
        out->actual_available_allocation_units = wire_get_u64(&r);
        out->sectors_per_allocation_unit = wire_get_u32(&r);
        out->bytes_per_sector = wire_get_u32(&r);
        return r.err;
}

/* SET_INFO fixed part; returns the position of BufferLength for patching. */
static size_t put_set_info_hdr(struct wire_wr *w, uint8_t type, uint8_t cls, uint32_t buf_len,
                               uint32_t addl, const struct smb2_file_id *fid)
{
        wire_put_u16(w, SI_REQ_SIZE);
        wire_put_u8(w, type);
        wire_put_u8(w, cls);
        size_t len_pos = w->pos;
        wire_put_u32(w, buf_len);
        wire_put_u16(w, SMB2_HDR_SIZE + SI_REQ_SIZE - 1);
        wire_put_u16(w, 0);
        wire_put_u32(w, addl);
        wire_put_u64(w, fid->persistent);
        wire_put_u64(w, fid->volatile_);
        return len_pos;
}

int smb2_set_info_req_encode(struct wire_wr *w, const struct smb2_set_info_req *req)
{
        if (w->err)
                return w->err;
        if (!req->buf || req->len == 0)
                return -EINVAL;
        put_set_info_hdr(w, req->info_type, req->file_info_class, req->len,
                         req->additional_information, &req->file_id);
        wire_put_bytes(w, req->buf, req->len);
        return w->err;
}

int smb2_set_info_rsp_decode(const uint8_t *msg, size_t len)
{
        struct wire_rd r;
        return smb2_rsp_body(msg, len, SMB2_SET_INFO, SI_RSP_SIZE, &r);
}

int smb2_set_info_rename_encode(struct wire_wr *w, const struct smb2_file_id *file_id,
                                bool replace_if_exists, const uint8_t *name, size_t name_len)
{
        if (w->err)
                return w->err;
        if (!name || name_len == 0 || (name_len & 1))
                return -EINVAL;
        if (name_len > UINT16_MAX)
                return -ENAMETOOLONG;
        size_t buf_len = RENAME_FIXED + name_len;
        size_t pad = buf_len < RENAME_MIN_BUF ? RENAME_MIN_BUF - buf_len : 0;

        put_set_info_hdr(w, SMB2_0_INFO_FILE, FILE_RENAME_INFORMATION,
                         (uint32_t)(buf_len + pad), 0, file_id);
        wire_put_u8(w, replace_if_exists ? 1 : 0);
        wire_put_zeros(w, 7);
        wire_put_u64(w, 0);                       /* RootDirectory */
        wire_put_u32(w, (uint32_t)name_len);
        wire_put_bytes(w, name, name_len);
        wire_put_zeros(w, pad);
        return w->err;
}

int smb2_set_info_disposition_encode(struct wire_wr *w, const struct smb2_file_id *file_id,
                                     bool delete_pending)
{
        put_set_info_hdr(w, SMB2_0_INFO_FILE, FILE_DISPOSITION_INFORMATION, 1, 0, file_id);
        wire_put_u8(w, delete_pending ? 1 : 0);
        return w->err;
}

int smb2_set_info_eof_encode(struct wire_wr *w, const struct smb2_file_id *file_id,
                             uint64_t end_of_file)
{
        put_set_info_hdr(w, SMB2_0_INFO_FILE, FILE_END_OF_FILE_INFORMATION, 8, 0, file_id);
        wire_put_u64(w, end_of_file);
        return w->err;
}

int smb2_set_info_basic_encode(struct wire_wr *w, const struct smb2_file_id *file_id,
                               const struct smb2_file_basic_info *basic)
{
        put_set_info_hdr(w, SMB2_0_INFO_FILE, FILE_BASIC_INFORMATION, 40, 0, file_id);
        wire_put_u64(w, basic->creation_time);
        wire_put_u64(w, basic->last_access_time);
        wire_put_u64(w, basic->last_write_time);
        wire_put_u64(w, basic->change_time);
        wire_put_u32(w, basic->file_attributes);
        wire_put_u32(w, 0);
        return w->err;
}
