/* SPDX-License-Identifier: MIT */
#include "plugins/smb/smb2_header.h"

#include "plugins/smb/ntstatus.h"

int smb2_hdr_encode(struct wire_wr *w, const struct smb2_hdr *h)
{
        wire_put_u32(w, SMB2_PROTO_ID);
        wire_put_u16(w, SMB2_HDR_SIZE);
        wire_put_u16(w, h->credit_charge);
        if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
                wire_put_u32(w, h->status);
        } else {
                wire_put_u16(w, h->channel_sequence);
                wire_put_u16(w, 0);
        }
        wire_put_u16(w, h->command);
        wire_put_u16(w, h->credits);
        wire_put_u32(w, h->flags);
        wire_put_u32(w, h->next_command);
        wire_put_u64(w, h->message_id);
        if (h->flags & SMB2_FLAGS_ASYNC_COMMAND) {
                wire_put_u64(w, h->async_id);
        } else {
                wire_put_u32(w, h->process_id);
                wire_put_u32(w, h->tree_id);
        }
        wire_put_u64(w, h->session_id);
        wire_put_bytes(w, h->signature, SMB2_SIG_SIZE);
        return w->err;
}

int smb2_hdr_decode(const uint8_t *msg, size_t len, struct smb2_hdr *h)
{
        struct wire_rd r = wire_rd_init(msg, len);

        memset(h, 0, sizeof(*h));
        if (!msg || len < SMB2_HDR_SIZE)
                return -EBADMSG;
        if (wire_get_u32(&r) != SMB2_PROTO_ID)
                return -EBADMSG;
        if (wire_get_u16(&r) != SMB2_HDR_SIZE)
                return -EPROTO;
        h->credit_charge = wire_get_u16(&r);
        h->status = wire_get_u32(&r);
        h->channel_sequence = (uint16_t)h->status;
        h->command = wire_get_u16(&r);
        h->credits = wire_get_u16(&r);
        h->flags = wire_get_u32(&r);
        h->next_command = wire_get_u32(&r);
        h->message_id = wire_get_u64(&r);
        if (h->flags & SMB2_FLAGS_ASYNC_COMMAND) {
                h->async_id = wire_get_u64(&r);
        } else {
                h->process_id = wire_get_u32(&r);
                h->tree_id = wire_get_u32(&r);
        }
        h->session_id = wire_get_u64(&r);
        wire_get_copy(&r, h->signature, SMB2_SIG_SIZE);
        return r.err;
}

static void patch(uint8_t *hdr, size_t off, uint64_t v, size_t n)
{
        struct wire_wr w = wire_wr_init(hdr + off, n);
        if (n == 2)
                wire_put_u16(&w, (uint16_t)v);
        else if (n == 4)
                wire_put_u32(&w, (uint32_t)v);
        else
                wire_put_u64(&w, v);
}

void smb2_hdr_set_message_id(uint8_t *hdr, uint64_t message_id)
{
        patch(hdr, 24, message_id, 8);
}

void smb2_hdr_set_credits(uint8_t *hdr, uint16_t charge, uint16_t request)
{
        patch(hdr, 6, charge, 2);
        patch(hdr, 14, request, 2);
}

void smb2_hdr_set_flags(uint8_t *hdr, uint32_t flags)
{
        patch(hdr, 16, flags, 4);
}

void smb2_hdr_set_next_command(uint8_t *hdr, uint32_t next_command)
{
        patch(hdr, 20, next_command, 4);
}

void smb2_hdr_set_session_id(uint8_t *hdr, uint64_t session_id)
{
        patch(hdr, 40, session_id, 8);
}

void smb2_hdr_set_tree_id(uint8_t *hdr, uint32_t tree_id)
{
        patch(hdr, 36, tree_id, 4);
}

int smb2_rsp_body(const uint8_t *msg, size_t len, uint16_t command,
                  uint16_t structure_size, struct wire_rd *rd)
{
        struct smb2_hdr h;
        int rc = smb2_hdr_decode(msg, len, &h);

        *rd = wire_rd_init(msg, msg ? len : 0);
        if (rc)
                return rc;
        if (!(h.flags & SMB2_FLAGS_SERVER_TO_REDIR))
                return -EBADMSG;
        if (h.command != command)
                return -EPROTO;
        wire_seek(rd, SMB2_HDR_SIZE);
        uint16_t ss = wire_get_u16(rd);
        if (rd->err)
                return rd->err;
        if (ss != structure_size)
                return -EPROTO;
        /* An odd StructureSize counts one byte of the variable buffer. */
        if (len - SMB2_HDR_SIZE < (size_t)(structure_size & ~1u))
                return -EBADMSG;
        return 0;
}

int smb2_msg_slice(const uint8_t *msg, size_t len, uint64_t off, uint64_t n,
                   size_t min_off, const uint8_t **out)
{
        *out = NULL;
        if (n == 0)
                return 0;
        if (off < min_off || off > len || n > len - off)
                return -EBADMSG;
        *out = msg + off;
        return 0;
}

int smb2_rsp_offset_buffer(const uint8_t *msg, size_t len, uint16_t command,
                           uint16_t structure_size, const uint8_t **buf, uint32_t *buf_len)
{
        struct wire_rd r;
        int rc;

        *buf = NULL;
        *buf_len = 0;
        rc = smb2_rsp_body(msg, len, command, structure_size, &r);
        if (rc)
                return rc;
        uint16_t off = wire_get_u16(&r);
        uint32_t n = wire_get_u32(&r);
        if (r.err)
                return r.err;
        /* The buffer starts after the fixed part (StructureSize counts one
         * byte of the buffer). */
        rc = smb2_msg_slice(msg, len, off, n, SMB2_HDR_SIZE + structure_size - 1u, buf);
        if (rc)
                return rc;
        *buf_len = n;
        return 0;
}

bool smb2_rsp_is_error(const struct smb2_hdr *h)
{
        /* The exceptions listed in MS-SMB2 3.3.4.4. */
        if (h->status == STATUS_SUCCESS)
                return false;
        if (h->status == STATUS_PENDING)
                return true;
        switch (h->command) {
        case SMB2_SESSION_SETUP:
                return h->status != STATUS_MORE_PROCESSING_REQUIRED;
        case SMB2_READ:
        case SMB2_QUERY_INFO:
                return h->status != STATUS_BUFFER_OVERFLOW;
        case SMB2_IOCTL:
                /* INVALID_PARAMETER carries a body only for copychunk. */
                return h->status != STATUS_BUFFER_OVERFLOW &&
                       h->status != STATUS_INVALID_PARAMETER;
        case SMB2_CHANGE_NOTIFY:
                return h->status != STATUS_NOTIFY_ENUM_DIR;
        default:
                return true;
        }
}

int smb2_error_rsp_decode(const uint8_t *msg, size_t len, struct smb2_error_rsp *e)
{
        struct smb2_hdr h;
        struct wire_rd r;
        int rc;

        memset(e, 0, sizeof(*e));
        rc = smb2_hdr_decode(msg, len, &h);
        if (rc)
                return rc;
        rc = smb2_rsp_body(msg, len, h.command, 9, &r);
        if (rc)
                return rc;
        e->context_count = wire_get_u8(&r);
        wire_skip(&r, 1);
        e->byte_count = wire_get_u32(&r);
        if (r.err)
                return r.err;
        return smb2_msg_slice(msg, len, r.pos, e->byte_count, r.pos, &e->data);
}

void smb2_compound_init(struct smb2_compound_iter *it, const uint8_t *buf, size_t len)
{
        *it = (struct smb2_compound_iter){ .buf = buf, .len = buf ? len : 0 };
}

int smb2_compound_next(struct smb2_compound_iter *it, const uint8_t **msg, size_t *msg_len)
{
        struct wire_rd r;
        uint32_t next;

        *msg = NULL;
        *msg_len = 0;
        if (it->done || it->off >= it->len) {
                it->done = true;
                return 0;
        }
        size_t left = it->len - it->off;
        if (left < SMB2_HDR_SIZE) {
                it->done = true;
                return -EBADMSG;
        }
        r = wire_rd_init(it->buf + it->off, left);
        if (wire_get_u32(&r) != SMB2_PROTO_ID) {
                it->done = true;
                return -EBADMSG;
        }
        wire_seek(&r, 20);
        next = wire_get_u32(&r);
        if (next == 0) {
                *msg = it->buf + it->off;
                *msg_len = left;
                it->done = true;
                return 1;
        }
        /* The next header must start on 8 bytes and fit whole. */
        if ((next & 7) || next < SMB2_HDR_SIZE || next > left ||
            left - next < SMB2_HDR_SIZE) {
                it->done = true;
                return -EBADMSG;
        }
        *msg = it->buf + it->off;
        *msg_len = next;
        it->off += next;
        return 1;
}

int smb2_compound_link(struct wire_wr *w, size_t hdr_off)
{
        if (w->err)
                return w->err;
        if (hdr_off > w->pos || w->pos - hdr_off < SMB2_HDR_SIZE)
                return -EINVAL;
        size_t n = w->pos - hdr_off;
        wire_put_zeros(w, (8 - (n & 7)) & 7);
        if (w->err)
                return w->err;
        if (w->pos - hdr_off > UINT32_MAX)
                return -EMSGSIZE;
        wire_patch_u32(w, hdr_off + 20, (uint32_t)(w->pos - hdr_off));
        return 0;
}

int smb2_transform_hdr_encode(struct wire_wr *w, const struct smb2_transform_hdr *t)
{
        wire_put_u32(w, SMB2_TRANSFORM_PROTO_ID);
        wire_put_bytes(w, t->signature, SMB2_SIG_SIZE);
        wire_put_bytes(w, t->nonce, sizeof(t->nonce));
        wire_put_u32(w, t->original_size);
        wire_put_u16(w, 0);
        wire_put_u16(w, t->flags);
        wire_put_u64(w, t->session_id);
        return w->err;
}

int smb2_transform_hdr_decode(const uint8_t *buf, size_t len, struct smb2_transform_hdr *t,
                              const uint8_t **payload)
{
        struct wire_rd r = wire_rd_init(buf, buf ? len : 0);

        memset(t, 0, sizeof(*t));
        *payload = NULL;
        if (wire_get_u32(&r) != SMB2_TRANSFORM_PROTO_ID)
                return -EBADMSG;
        wire_get_copy(&r, t->signature, SMB2_SIG_SIZE);
        wire_get_copy(&r, t->nonce, sizeof(t->nonce));
        t->original_size = wire_get_u32(&r);
        wire_skip(&r, 2);
        t->flags = wire_get_u16(&r);
        t->session_id = wire_get_u64(&r);
        if (r.err)
                return r.err;
        if (t->flags != SMB2_TRANSFORM_FLAG_ENCRYPTED)
                return -EBADMSG;
        if (t->original_size < SMB2_HDR_SIZE || t->original_size != wire_rd_left(&r))
                return -EBADMSG;
        *payload = buf + r.pos;
        return 0;
}

int smb2_msg_classify(const uint8_t *buf, size_t len)
{
        struct wire_rd r = wire_rd_init(buf, buf ? len : 0);
        uint32_t id = wire_get_u32(&r);

        if (r.err)
                return -EBADMSG;
        switch (id) {
        case SMB2_PROTO_ID:
                return SMB2_MSG_PLAIN;
        case SMB2_TRANSFORM_PROTO_ID:
                return SMB2_MSG_TRANSFORM;
        case SMB2_COMPRESSION_PROTO_ID:
                return -EOPNOTSUPP;
        case SMB1_PROTO_ID:
                return -EPROTONOSUPPORT;
        default:
                return -EBADMSG;
        }
}

int smb2_tcp_frame_encode(struct wire_wr *w, size_t msg_len)
{
        if (msg_len > SMB2_TCP_FRAME_MAX)
                return -EMSGSIZE;
        /* The only big-endian field in SMB2. */
        wire_put_u8(w, 0);
        wire_put_u8(w, (uint8_t)(msg_len >> 16));
        wire_put_u8(w, (uint8_t)(msg_len >> 8));
        wire_put_u8(w, (uint8_t)msg_len);
        return w->err;
}

int smb2_tcp_frame_decode(const uint8_t hdr[SMB2_TCP_HDR_SIZE], size_t max_len,
                          size_t *msg_len)
{
        *msg_len = 0;
        if (hdr[0] != 0)
                return -EBADMSG;
        size_t n = (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
        if (n == 0)
                return -EBADMSG;
        if (max_len == 0 || max_len > SMB2_TCP_FRAME_MAX)
                max_len = SMB2_TCP_FRAME_MAX;
        if (n > max_len)
                return -EMSGSIZE;
        *msg_len = n;
        return 0;
}

const char *smb2_command_name(uint16_t command)
{
        static const char *const names[SMB2_NUM_COMMANDS] = {
                "negotiate", "session_setup", "logoff", "tree_connect", "tree_disconnect",
                "create", "close", "flush", "read", "write", "lock", "ioctl", "cancel", "echo",
                "query_directory", "change_notify", "query_info", "set_info", "oplock_break",
                "server_to_client_notification",
        };
        return command < SMB2_NUM_COMMANDS ? names[command] : "unknown";
}
