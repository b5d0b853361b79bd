/* SPDX-License-Identifier: MIT */
/*
 * SMB2 ECHO (MS-SMB2 2.2.28, 2.2.29), CANCEL (2.2.30), OPLOCK_BREAK
 * notifications, acknowledgments and responses for oplocks (2.2.23.1,
 * 2.2.24.1, 2.2.25.1) and leases (2.2.23.2, 2.2.24.2, 2.2.25.2).
 */
#ifndef GWD_SMB2_MISC_H
#define GWD_SMB2_MISC_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/smb2_header.h"

int smb2_echo_req_encode(struct wire_wr *w);
int smb2_echo_rsp_decode(const uint8_t *msg, size_t len);

/*
 * CANCEL body.  The header must carry the MessageId of the request being
 * cancelled (or its AsyncId with SMB2_FLAGS_ASYNC_COMMAND), CreditCharge
 * 0; the server sends no reply.
 */
int smb2_cancel_req_encode(struct wire_wr *w);

struct smb2_oplock_break {
        uint8_t oplock_level;             /* SMB2_OPLOCK_LEVEL_NONE or _II */
        struct smb2_file_id file_id;
};

struct smb2_lease_break {
        uint16_t new_epoch;
        uint32_t flags;                   /* SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED */
        uint8_t lease_key[SMB2_LEASE_KEY_SIZE];
        uint32_t current_state;           /* SMB2_LEASE_* */
        uint32_t new_state;
        uint32_t break_reason;
        uint32_t access_mask_hint;
        uint32_t share_mask_hint;
};

enum smb2_break_kind {
        SMB2_BREAK_OPLOCK = 1,
        SMB2_BREAK_LEASE = 2,
};

struct smb2_break_notify {
        enum smb2_break_kind kind;
        union {
                struct smb2_oplock_break oplock;
                struct smb2_lease_break lease;
        } u;
};

/*
 * A server-initiated OPLOCK_BREAK (command 0x12, MessageId all ones):
 * StructureSize 24 is an oplock break, 44 a lease break; anything else is
 * -EPROTO.
 */
int smb2_break_notify_decode(const uint8_t *msg, size_t len, struct smb2_break_notify *n);

int smb2_oplock_break_ack_encode(struct wire_wr *w, const struct smb2_oplock_break *ack);
/* The server's answer to our oplock acknowledgment (StructureSize 24). */
int smb2_oplock_break_rsp_decode(const uint8_t *msg, size_t len, struct smb2_oplock_break *rsp);

int smb2_lease_break_ack_encode(struct wire_wr *w, const uint8_t lease_key[SMB2_LEASE_KEY_SIZE],
                                uint32_t lease_state);

struct smb2_lease_break_rsp {
        uint32_t flags;
        uint8_t lease_key[SMB2_LEASE_KEY_SIZE];
        uint32_t lease_state;
        uint64_t lease_duration;
};

/* The server's answer to our lease acknowledgment (StructureSize 36). */
int smb2_lease_break_rsp_decode(const uint8_t *msg, size_t len,
                                struct smb2_lease_break_rsp *rsp);

#endif /* GWD_SMB2_MISC_H */
