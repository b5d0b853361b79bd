/* SPDX-License-Identifier: MIT */
#include "plugins/smb/smb2_misc.h"

#define OPLOCK_BREAK_SIZE     24u
#define LEASE_BREAK_NOTE_SIZE 44u
#define LEASE_BREAK_ACK_SIZE  36u

int smb2_echo_req_encode(struct wire_wr *w)
{
        wire_put_u16(w, 4);
        wire_put_u16(w, 0);
        return w->err;
}

int smb2_echo_rsp_decode(const uint8_t *msg, size_t len)
{
        struct wire_rd r;
        return smb2_rsp_body(msg, len, SMB2_ECHO, 4, &r);
}

int smb2_cancel_req_encode(struct wire_wr *w)
{
        wire_put_u16(w, 4);
        wire_put_u16(w, 0);
        return w->err;
}

static void get_oplock(struct wire_rd *r, struct smb2_oplock_break *o)
{
        o->oplock_level = wire_get_u8(r);
        wire_skip(r, 1 + 4);
        o->file_id.persistent = wire_get_u64(r);
        o->file_id.volatile_ = wire_get_u64(r);
}

int smb2_break_notify_decode(const uint8_t *msg, size_t len, struct smb2_break_notify *n)
{
        struct wire_rd r;
        int rc;

        memset(n, 0, sizeof(*n));
        /* The StructureSize tells the two notifications apart. */
        rc = smb2_rsp_body(msg, len, SMB2_OPLOCK_BREAK, OPLOCK_BREAK_SIZE, &r);
        if (rc == 0) {
                n->kind = SMB2_BREAK_OPLOCK;
                get_oplock(&r, &n->u.oplock);
                return r.err;
        }
        if (rc != -EPROTO)
                return rc;
        rc = smb2_rsp_body(msg, len, SMB2_OPLOCK_BREAK, LEASE_BREAK_NOTE_SIZE, &r);
        if (rc)
                return rc;
        struct smb2_lease_break *l = &n->u.lease;
        n->kind = SMB2_BREAK_LEASE;
        l->new_epoch = wire_get_u16(&r);
        l->flags = wire_get_u32(&r);
        wire_get_copy(&r, l->lease_key, SMB2_LEASE_KEY_SIZE);
        l->current_state = wire_get_u32(&r);
        l->new_state = wire_get_u32(&r);
        l->break_reason = wire_get_u32(&r);
        l->access_mask_hint = wire_get_u32(&r);
        l->share_mask_hint = wire_get_u32(&r);
        return r.err;
}

int smb2_oplock_break_ack_encode(struct wire_wr *w, const struct smb2_oplock_break *ack)
{
        wire_put_u16(w, OPLOCK_BREAK_SIZE);
        wire_put_u8(w, ack->oplock_level);
        wire_put_u8(w, 0);
        wire_put_u32(w, 0);
        wire_put_u64(w, ack->file_id.persistent);
        wire_put_u64(w, ack->file_id.volatile_);
        return w->err;
}

int smb2_oplock_break_rsp_decode(const uint8_t *msg, size_t len, struct smb2_oplock_break *rsp)
{
        struct wire_rd r;
        int rc;

        memset(rsp, 0, sizeof(*rsp));
        rc = smb2_rsp_body(msg, len, SMB2_OPLOCK_BREAK, OPLOCK_BREAK_SIZE, &r);
        if (rc)
                return rc;
        get_oplock(&r, rsp);
        return r.err;
}

int smb2_lease_break_ack_encode(struct wire_wr *w, const uint8_t lease_key[SMB2_LEASE_KEY_SIZE],
                                uint32_t lease_state)
{
        wire_put_u16(w, LEASE_BREAK_ACK_SIZE);
        wire_put_u16(w, 0);
        wire_put_u32(w, 0);                       /* Flags */
        wire_put_bytes(w, lease_key, SMB2_LEASE_KEY_SIZE);
        wire_put_u32(w, lease_state);
        wire_put_u64(w, 0);                       /* LeaseDuration */
        return w->err;
}

int smb2_lease_break_rsp_decode(const uint8_t *msg, size_t len,
                                struct smb2_lease_break_rsp *rsp)
{
        struct wire_rd r;
        int rc;

        memset(rsp, 0, sizeof(*rsp));
        rc = smb2_rsp_body(msg, len, SMB2_OPLOCK_BREAK, LEASE_BREAK_ACK_SIZE, &r);
        if (rc)
                return rc;
        wire_skip(&r, 2);
        rsp->flags = wire_get_u32(&r);
        wire_get_copy(&r, rsp->lease_key, SMB2_LEASE_KEY_SIZE);
        rsp->lease_state = wire_get_u32(&r);
        rsp->lease_duration = wire_get_u64(&r);
        return r.err;
}
