/* SPDX-License-Identifier: MIT */
/*
 * SMB2 packet header (MS-SMB2 2.2.1), compound chains, the SMB3 transform
 * header (2.2.41), the ERROR response (2.2.2) and Direct TCP framing
 * (2.1).
 *
 * Decoders take one whole SMB2 message (after framing and decryption;
 * for a compound, one element as returned by smb2_compound_next()).
 * Offsets in bodies are "from the start of the SMB2 header", i.e. from
 * msg[0].
 */
#ifndef GWD_SMB2_HEADER_H
#define GWD_SMB2_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/smb2_proto.h"
#include "plugins/smb/wire.h"

struct smb2_hdr {
        uint16_t credit_charge;
        /* Requests (3.x): ChannelSequence; encoded when SERVER_TO_REDIR is clear. */
        uint16_t channel_sequence;
        /* Responses: NTSTATUS; encoded when SERVER_TO_REDIR is set. */
        uint32_t status;
        uint16_t command;
        uint16_t credits;         /* CreditRequest / CreditResponse */
        uint32_t flags;
        uint32_t next_command;
        uint64_t message_id;
        uint64_t async_id;        /* only with SMB2_FLAGS_ASYNC_COMMAND */
        uint32_t process_id;      /* sync form: Reserved (SHOULD be 0xFEFF) */
        uint32_t tree_id;         /* sync form only */
        uint64_t session_id;
        uint8_t signature[SMB2_SIG_SIZE];
};

/* Write the 64-byte header at w->pos (sync or async form from h->flags). */
int smb2_hdr_encode(struct wire_wr *w, const struct smb2_hdr *h);

/*
 * Decode the header at msg[0].  -EBADMSG if len < 64 or the ProtocolId is
 * not 0xFE 'S' 'M' 'B', -EPROTO if StructureSize is not 64.
 */
int smb2_hdr_decode(const uint8_t *msg, size_t len, struct smb2_hdr *h);

/*
 * CreditCharge for a request moving `payload` bytes either way (MS-SMB2
 * 3.1.5.2): one credit per started 64 KiB, at least one.  Only with
 * SMB2_GLOBAL_CAP_LARGE_MTU; 2.0.2 sends 0.
 */
static inline uint16_t smb2_credit_charge(size_t payload)
{
        size_t c = payload ? (payload - 1) / 65536 + 1 : 1;
        return c > UINT16_MAX ? UINT16_MAX : (uint16_t)c;
}

/* In-place patches of an encoded header (e.g. after credits are granted). */
/* "negotiate", "session_setup", ... for commands below SMB2_NUM_COMMANDS. */
const char *smb2_command_name(uint16_t command);

void smb2_hdr_set_message_id(uint8_t *hdr, uint64_t message_id);
void smb2_hdr_set_credits(uint8_t *hdr, uint16_t charge, uint16_t request);
void smb2_hdr_set_flags(uint8_t *hdr, uint32_t flags);
void smb2_hdr_set_next_command(uint8_t *hdr, uint32_t next_command);
void smb2_hdr_set_session_id(uint8_t *hdr, uint64_t session_id);
void smb2_hdr_set_tree_id(uint8_t *hdr, uint32_t tree_id);

/*
 * Position a reader at the body of a response to `command`: checks the
 * header (as smb2_hdr_decode), that it is a response (SERVER_TO_REDIR) for
 * `command`, and that the body StructureSize equals `structure_size` and
 * its fixed part (structure_size rounded down to even) is present.  On
 * success rd covers the whole message, rd->pos is just after
 * StructureSize, and 0 is returned; -EBADMSG for malformed input, -EPROTO
 * for a wrong StructureSize or command.
 */
int smb2_rsp_body(const uint8_t *msg, size_t len, uint16_t command,
                  uint16_t structure_size, struct wire_rd *rd);

/*
 * Bounds-check a (offset, length) pair read from a message of `len` bytes:
 * the slice must start at or after `min_off` (the end of the fixed part)
 * and end inside the message.  A zero length is accepted whatever the
 * offset and yields NULL with 0 returned.  Returns 0 or -EBADMSG.
 */
int smb2_msg_slice(const uint8_t *msg, size_t len, uint64_t off, uint64_t n,
                   size_t min_off, const uint8_t **out);

/*
 * The body of a response to `command` (StructureSize `structure_size`)
 * that starts with a 16-bit buffer offset and a 32-bit buffer length
 * (QUERY_DIRECTORY, QUERY_INFO): the buffer, bounds-checked as
 * smb2_msg_slice does, in *buf (NULL if empty) and *buf_len.  Errors as
 * smb2_rsp_body.
 */
int smb2_rsp_offset_buffer(const uint8_t *msg, size_t len, uint16_t command,
                           uint16_t structure_size, const uint8_t **buf, uint32_t *buf_len);

/*
 * True if the body of this response is an SMB2 ERROR response rather than
 * the command's own response (MS-SMB2 3.3.4.4: MORE_PROCESSING_REQUIRED
 * for SESSION_SETUP, BUFFER_OVERFLOW for READ/QUERY_INFO/IOCTL,
 * INVALID_PARAMETER for IOCTL copychunk and NOTIFY_ENUM_DIR for
 * CHANGE_NOTIFY carry a normal body).  STATUS_PENDING interim responses
 * (ASYNC flag, AsyncId) always have an ERROR body: check for them before
 * calling a command decoder, which would answer -EPROTO.
 */
bool smb2_rsp_is_error(const struct smb2_hdr *h);

/* ---- ERROR response (2.2.2) ------------------------------------------- */
struct smb2_error_rsp {
        uint8_t context_count;    /* 3.1.1 error contexts in data */
        uint32_t byte_count;
        const uint8_t *data;      /* into msg, NULL if byte_count == 0 */
};

int smb2_error_rsp_decode(const uint8_t *msg, size_t len, struct smb2_error_rsp *e);

/* ---- compound chains (3.2.4.1.4) --------------------------------------- */
struct smb2_compound_iter {
        const uint8_t *buf;
        size_t len;
        size_t off;
        bool done;
};

void smb2_compound_init(struct smb2_compound_iter *it, const uint8_t *buf, size_t len);

/*
 * Next message of the chain: 1 with *msg, *msg_len set (the last element
 * runs to the end of the buffer), 0 at the end, -EBADMSG if a NextCommand
 * is not 8-byte aligned, smaller than a header, or points past the end.
 */
int smb2_compound_next(struct smb2_compound_iter *it, const uint8_t **msg, size_t *msg_len);

/*
 * Close one request of an outgoing compound whose header starts at
 * absolute writer offset `hdr_off`: pad with zeros to 8 bytes (relative
 * to the header) and store the distance in its NextCommand.  Call before
 * encoding the next header; sign afterwards (padding is signed).
 */
int smb2_compound_link(struct wire_wr *w, size_t hdr_off);

/* ---- SMB3 transform header (2.2.41) ----------------------------------- */
struct smb2_transform_hdr {
        uint8_t signature[SMB2_SIG_SIZE];
        uint8_t nonce[16];        /* CCM uses 11 bytes, GCM 12; rest zero */
        uint32_t original_size;
        uint16_t flags;           /* SMB2_TRANSFORM_FLAG_ENCRYPTED */
        uint64_t session_id;
};

int smb2_transform_hdr_encode(struct wire_wr *w, const struct smb2_transform_hdr *t);

/*
 * Decode a transform header at buf[0]; *payload gets the ciphertext,
 * which must be exactly OriginalMessageSize (>= 64) bytes.
 */
int smb2_transform_hdr_decode(const uint8_t *buf, size_t len, struct smb2_transform_hdr *t,
                              const uint8_t **payload);

enum smb2_msg_kind {
        SMB2_MSG_PLAIN = 1,       /* 0xFE 'S' 'M' 'B' */
        SMB2_MSG_TRANSFORM = 2,   /* 0xFD 'S' 'M' 'B' */
};

/*
 * What a received frame holds: SMB2_MSG_PLAIN or SMB2_MSG_TRANSFORM;
 * -EOPNOTSUPP for a compression transform (0xFC, never negotiated by us),
 * -EPROTONOSUPPORT for SMB1, -EBADMSG otherwise.
 */
int smb2_msg_classify(const uint8_t *buf, size_t len);

/* ---- Direct TCP framing (2.1) ------------------------------------------ */
#define SMB2_TCP_HDR_SIZE 4

/* 0x00 + 24-bit big-endian length; -EMSGSIZE above 0xFFFFFF. */
int smb2_tcp_frame_encode(struct wire_wr *w, size_t msg_len);

/*
 * Parse the 4-byte framing header.  -EBADMSG if the first byte is not 0 or
 * the length is 0, -EMSGSIZE if it exceeds max_len (0: the 24-bit limit).
 */
int smb2_tcp_frame_decode(const uint8_t hdr[SMB2_TCP_HDR_SIZE], size_t max_len,
                          size_t *msg_len);

#endif /* GWD_SMB2_HEADER_H */
