/* SPDX-License-Identifier: MIT */
#include "plugins/smb/smb2_dir.h"

#define QD_REQ_SIZE 33u
#define QD_RSP_SIZE 9u

/* Fixed part of each entry, up to FileName (MS-FSCC). */
#define ID_BOTH_FIXED 104u
#define ID_FULL_FIXED 80u

int smb2_query_directory_req_encode(struct wire_wr *w,
                                    const struct smb2_query_directory_req *req)
{
        if (w->err)
                return w->err;
        if (!req->pattern || req->pattern_len == 0 || (req->pattern_len & 1) ||
            req->pattern_len > UINT16_MAX)
                return -EINVAL;
        wire_put_u16(w, QD_REQ_SIZE);
        wire_put_u8(w, req->info_class);
        wire_put_u8(w, req->flags);
        wire_put_u32(w, req->file_index);
        wire_put_u64(w, req->file_id.persistent);
        wire_put_u64(w, req->file_id.volatile_);
        wire_put_u16(w, SMB2_HDR_SIZE + QD_REQ_SIZE - 1);
        wire_put_u16(w, (uint16_t)req->pattern_len);
        wire_put_u32(w, req->output_buffer_length);
        wire_put_bytes(w, req->pattern, req->pattern_len);
        return w->err;
}

int smb2_query_directory_rsp_decode(const uint8_t *msg, size_t len,
                                    struct smb2_query_directory_rsp *rsp)
{
        memset(rsp, 0, sizeof(*rsp));
        return smb2_rsp_offset_buffer(msg, len, SMB2_QUERY_DIRECTORY, QD_RSP_SIZE, &rsp->buf,
                                      &rsp->len);
}

int smb2_dir_iter_init(struct smb2_dir_iter *it, uint8_t info_class,
                       const uint8_t *buf, size_t len)
{
        *it = (struct smb2_dir_iter){ .buf = buf, .len = buf ? len : 0,
                                      .info_class = info_class };
        if (info_class != FILE_ID_BOTH_DIRECTORY_INFORMATION &&
            info_class != FILE_ID_FULL_DIRECTORY_INFORMATION) {
                it->done = true;
                return -EOPNOTSUPP;
        }
        return 0;
}

int smb2_dir_iter_next(struct smb2_dir_iter *it, struct smb2_dirent *e)
{
        memset(e, 0, sizeof(*e));
        if (it->done || it->off >= it->len) {
                it->done = true;
                return 0;
        }
        it->done = true;        /* cleared again below if a next entry follows */

        bool both = it->info_class == FILE_ID_BOTH_DIRECTORY_INFORMATION;
        size_t fixed = both ? ID_BOTH_FIXED : ID_FULL_FIXED;
        size_t left = it->len - it->off;
        const uint8_t *ent = it->buf + it->off;
        struct wire_rd r = wire_rd_init(ent, left);

        if (left < fixed)
                return -EBADMSG;
        uint32_t next = wire_get_u32(&r);
        e->file_index = wire_get_u32(&r);
        e->creation_time = wire_get_u64(&r);
        e->last_access_time = wire_get_u64(&r);
        e->last_write_time = wire_get_u64(&r);
        e->change_time = wire_get_u64(&r);
        e->end_of_file = wire_get_u64(&r);
        e->allocation_size = wire_get_u64(&r);
        e->file_attributes = wire_get_u32(&r);
        e->name_len = wire_get_u32(&r);
        e->ea_size = wire_get_u32(&r);
        if (both) {
                e->short_name_len = wire_get_u8(&r);
                wire_skip(&r, 1);
                const uint8_t *sn = wire_get_bytes(&r, 24);
                wire_skip(&r, 2);
                if (e->short_name_len > 24)
                        return -EBADMSG;
                e->short_name = e->short_name_len ? sn : NULL;
        } else {
                wire_skip(&r, 4);
        }
        e->file_id = wire_get_u64(&r);
        if (r.err || r.pos != fixed)
                return -EBADMSG;
        if ((e->name_len & 1) || e->name_len > left - fixed)
                return -EBADMSG;
        e->name = e->name_len ? ent + fixed : NULL;

        if (next) {
                /* Strictly past this entry's name: no overlap, no loop. */
                if (next < fixed + e->name_len || next >= left)
                        return -EBADMSG;
                it->off += next;
                it->done = false;
        }
        return 1;
}
