/* SPDX-License-Identifier: MIT */
/*
 * SMB2 header, compound chains, transform header, Direct TCP framing,
 * ERROR response, SESSION_SETUP/LOGOFF, TREE_CONNECT/DISCONNECT, ECHO,
 * CANCEL, oplock/lease breaks and the NTSTATUS table.
 */
#include <errno.h>

#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb2_header.h"
#include "plugins/smb/smb2_misc.h"
#include "plugins/smb/smb2_session.h"
#include "plugins/smb/smb2_tree.h"
#include "tests/smb/smb2-testutil.h"

/* ---- header -------------------------------------------------------------- */

START_TEST(hdr_encode_sync_request)
{
        uint8_t buf[128];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_hdr h = {
                .credit_charge = 1, .command = SMB2_CREATE, .credits = 31,
                .flags = SMB2_FLAGS_SIGNED, .message_id = 0x0102030405060708ull,
                .process_id = 0xFEFF, .tree_id = 0x11223344,
                .session_id = 0x8877665544332211ull,
                .status = 0xDEADBEEF,   /* not sent in a request */
                .channel_sequence = 0x0002,
        };

        ck_assert_int_eq(smb2_hdr_encode(&w, &h), 0);
        check_bytes(buf, w.pos,
                    "FE 53 4D 42"                 /* ProtocolId */
                    "40 00"                       /* StructureSize */
                    "01 00"                       /* CreditCharge */
                    "02 00 00 00"                 /* ChannelSequence, Reserved */
                    "05 00"                       /* Command CREATE */
                    "1F 00"                       /* CreditRequest 31 */
                    "08 00 00 00"                 /* Flags SIGNED */
                    "00 00 00 00"                 /* NextCommand */
                    "08 07 06 05 04 03 02 01"     /* MessageId */
                    "FF FE 00 00"                 /* Reserved (ProcessId) */
                    "44 33 22 11"                 /* TreeId */
                    "11 22 33 44 55 66 77 88"     /* SessionId */
                    "00000000 00000000 00000000 00000000");
}
END_TEST

START_TEST(hdr_encode_async_response_and_decode)
{
        uint8_t buf[64];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_hdr h = {
                .command = SMB2_READ, .credits = 1, .status = STATUS_PENDING,
                .flags = SMB2_FLAGS_SERVER_TO_REDIR | SMB2_FLAGS_ASYNC_COMMAND,
                .message_id = 9, .async_id = 0x42, .session_id = 3,
        };
        struct smb2_hdr d;

        ck_assert_int_eq(smb2_hdr_encode(&w, &h), 0);
        check_bytes(buf, w.pos,
                    "FE 53 4D 42 40 00 00 00"
                    "03 01 00 00"                 /* Status STATUS_PENDING */
                    "08 00 01 00"
                    "03 00 00 00"                 /* SERVER_TO_REDIR | ASYNC */
                    "00 00 00 00"
                    "09 00 00 00 00 00 00 00"
                    "42 00 00 00 00 00 00 00"     /* AsyncId */
                    "03 00 00 00 00 00 00 00"
                    "00000000 00000000 00000000 00000000");
        ck_assert_int_eq(smb2_hdr_decode(buf, sizeof(buf), &d), 0);
        ck_assert_uint_eq(d.status, STATUS_PENDING);
        ck_assert_uint_eq(d.async_id, 0x42);
        ck_assert_uint_eq(d.tree_id, 0);
        ck_assert_uint_eq(d.message_id, 9);
        ck_assert(smb2_rsp_is_error(&d));
}
END_TEST

START_TEST(hdr_encode_no_room)
{
        uint8_t buf[63];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_hdr h = { 0 };
        ck_assert_int_eq(smb2_hdr_encode(&w, &h), -ENOBUFS);
}
END_TEST

START_TEST(hdr_decode_hand_made)
{
        uint8_t m[64];
        struct smb2_hdr h;

        ck_assert_uint_eq(unhex(m, sizeof(m), RSP_HDR_HEX("10", "05 00 00 80")), 64);
        ck_assert_int_eq(smb2_hdr_decode(m, 64, &h), 0);
        ck_assert_uint_eq(h.command, SMB2_QUERY_INFO);
        ck_assert_uint_eq(h.status, STATUS_BUFFER_OVERFLOW);
        ck_assert_uint_eq(h.credit_charge, 1);
        ck_assert_uint_eq(h.credits, 1);
        ck_assert_uint_eq(h.flags, SMB2_FLAGS_SERVER_TO_REDIR);
        ck_assert_uint_eq(h.message_id, 7);
        ck_assert_uint_eq(h.process_id, 0xFEFF);
        ck_assert_uint_eq(h.tree_id, 5);
        ck_assert_uint_eq(h.session_id, 0x11);
        ck_assert(!smb2_rsp_is_error(&h));  /* QUERY_INFO overflow carries a body */

        /* short, wrong magic, wrong StructureSize */
        ck_assert_int_eq(smb2_hdr_decode(m, 63, &h), -EBADMSG);
        ck_assert_int_eq(smb2_hdr_decode(NULL, 0, &h), -EBADMSG);
        m[0] = 0xFD;
        ck_assert_int_eq(smb2_hdr_decode(m, 64, &h), -EBADMSG);
        m[0] = 0xFE;
        m[4] = 0x41;
        ck_assert_int_eq(smb2_hdr_decode(m, 64, &h), -EPROTO);
}
END_TEST

START_TEST(hdr_patch_helpers)
{
        uint8_t m[64] = { 0 };
        smb2_hdr_set_message_id(m, 0x1122334455667788ull);
        smb2_hdr_set_credits(m, 2, 0x100);
        smb2_hdr_set_flags(m, SMB2_FLAGS_SIGNED);
        smb2_hdr_set_session_id(m, 0xAABB);
        smb2_hdr_set_tree_id(m, 0xCCDD);
        ck_assert_uint_eq(m[24], 0x88);
        ck_assert_uint_eq(m[31], 0x11);
        ck_assert_uint_eq(m[6], 2);
        ck_assert_uint_eq(m[14], 0x00);
        ck_assert_uint_eq(m[15], 0x01);
        ck_assert_uint_eq(m[16], 0x08);
        ck_assert_uint_eq(m[36], 0xDD);
        ck_assert_uint_eq(m[37], 0xCC);
        ck_assert_uint_eq(m[40], 0xBB);
        ck_assert_uint_eq(m[41], 0xAA);
}
END_TEST

START_TEST(credit_charge)
{
        ck_assert_uint_eq(smb2_credit_charge(0), 1);
        ck_assert_uint_eq(smb2_credit_charge(1), 1);
        ck_assert_uint_eq(smb2_credit_charge(65536), 1);
        ck_assert_uint_eq(smb2_credit_charge(65537), 2);
        ck_assert_uint_eq(smb2_credit_charge(8u << 20), 128);
}
END_TEST

START_TEST(rsp_is_error_rules)
{
        struct smb2_hdr h = { .command = SMB2_SESSION_SETUP };
        ck_assert(!smb2_rsp_is_error(&h));
        h.status = STATUS_MORE_PROCESSING_REQUIRED;
        ck_assert(!smb2_rsp_is_error(&h));
        h.status = STATUS_LOGON_FAILURE;
        ck_assert(smb2_rsp_is_error(&h));
        h.command = SMB2_READ;
        h.status = STATUS_BUFFER_OVERFLOW;
        ck_assert(!smb2_rsp_is_error(&h));
        h.command = SMB2_QUERY_DIRECTORY;
        ck_assert(smb2_rsp_is_error(&h));
        h.command = SMB2_CREATE;
        ck_assert(smb2_rsp_is_error(&h));
        h.status = STATUS_MORE_PROCESSING_REQUIRED;
        ck_assert(smb2_rsp_is_error(&h));
        h.command = SMB2_CHANGE_NOTIFY;
        h.status = STATUS_NOTIFY_ENUM_DIR;
        ck_assert(!smb2_rsp_is_error(&h));
        h.status = STATUS_PENDING;
        ck_assert(smb2_rsp_is_error(&h));
        h.command = SMB2_IOCTL;
        h.status = STATUS_INVALID_PARAMETER;
        ck_assert(!smb2_rsp_is_error(&h));
}
END_TEST

/* ---- ERROR response ------------------------------------------------------ */

static int dec_error(const uint8_t *m, size_t n)
{
        struct smb2_error_rsp e;
        return smb2_error_rsp_decode(m, n, &e);
}

START_TEST(error_rsp)
{
        uint8_t m[128];
        struct smb2_error_rsp e;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("05", "34 00 00 C0")
                         "09 00"              /* StructureSize */
                         "00"                 /* ErrorContextCount */
                         "00"                 /* Reserved */
                         "04 00 00 00"        /* ByteCount */
                         "DE AD BE EF");      /* ErrorData */

        ck_assert_int_eq(smb2_error_rsp_decode(m, n, &e), 0);
        ck_assert_uint_eq(e.byte_count, 4);
        ck_assert_ptr_eq(e.data, m + 72);
        check_truncations(dec_error, m, n);

        m[68] = 5;      /* ByteCount 5: one past the end */
        ck_assert_int_eq(dec_exact(dec_error, m, n), -EBADMSG);
        put_le(m, 68, 0xFFFFFFFFu, 4);
        ck_assert_int_eq(dec_exact(dec_error, m, n), -EBADMSG);
        put_le(m, 68, 0, 4);
        ck_assert_int_eq(dec_exact(dec_error, m, 73), 0);   /* ByteCount 0 + 1 pad byte */
        ck_assert_int_eq(dec_exact(dec_error, m, 72), 0);   /* lenient: pad byte missing */
        m[64] = 0x11;   /* StructureSize 17 */
        ck_assert_int_eq(dec_exact(dec_error, m, n), -EPROTO);
}
END_TEST

/* ---- compound chains ------------------------------------------------------ */

static size_t two_echo_responses(uint8_t *m, size_t cap)
{
        size_t n = unhex(m, cap, RSP_HDR_HEX("0D", ST_OK) "04 00 00 00" "00 00 00 00"
                                 RSP_HDR_HEX("0D", ST_OK) "04 00 00 00");
        put_le(m, 20, 72, 4);   /* NextCommand of the first: 64 + 4, padded to 8 */
        return n;
}

START_TEST(compound_walk)
{
        uint8_t m[256];
        size_t n = two_echo_responses(m, sizeof(m));
        struct smb2_compound_iter it;
        const uint8_t *p;
        size_t plen;

        ck_assert_uint_eq(n, 140);
        smb2_compound_init(&it, m, n);
        ck_assert_int_eq(smb2_compound_next(&it, &p, &plen), 1);
        ck_assert_ptr_eq(p, m);
        ck_assert_uint_eq(plen, 72);
        ck_assert_int_eq(smb2_echo_rsp_decode(p, plen), 0);
        ck_assert_int_eq(smb2_compound_next(&it, &p, &plen), 1);
        ck_assert_ptr_eq(p, m + 72);
        ck_assert_uint_eq(plen, 68);
        ck_assert_int_eq(smb2_echo_rsp_decode(p, plen), 0);
        ck_assert_int_eq(smb2_compound_next(&it, &p, &plen), 0);
        ck_assert_int_eq(smb2_compound_next(&it, &p, &plen), 0);
}
END_TEST

static int walk_all(const uint8_t *m, size_t n)
{
        struct smb2_compound_iter it;
        const uint8_t *p;
        size_t plen;
        int rc, count = 0;

        smb2_compound_init(&it, m, n);
        while ((rc = smb2_compound_next(&it, &p, &plen)) > 0)
                ck_assert_int_lt(++count, 100);
        return rc;
}

START_TEST(compound_bad_next_command)
{
        uint8_t m[256];
        size_t n = two_echo_responses(m, sizeof(m));
        static const uint32_t bad[] = { 68, 0x44 + 1, 0x20, 8, 136, 140, 0x1000, 0xFFFFFFF8u };

        ck_assert_int_eq(dec_exact(walk_all, m, n), 0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                put_le(m, 20, bad[i], 4);
                ck_assert_msg(dec_exact(walk_all, m, n) == -EBADMSG, "NextCommand %u",
                              bad[i]);
        }
        /* second header cut short */
        put_le(m, 20, 72, 4);
        ck_assert_int_eq(dec_exact(walk_all, m, 72 + 63), -EBADMSG);
        /* element too short for a header */
        ck_assert_int_eq(dec_exact(walk_all, m, 10), -EBADMSG);
        /* second element is not SMB2 */
        m[72] = 0xFD;
        ck_assert_int_eq(dec_exact(walk_all, m, n), -EBADMSG);
}
END_TEST

START_TEST(compound_link_requests)
{
        uint8_t buf[256];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_hdr h = { .command = SMB2_ECHO, .message_id = 1 };

        /* A 4-byte framing header first: padding is relative to each SMB2 header. */
        ck_assert_int_eq(smb2_tcp_frame_encode(&w, 0), 0);
        size_t h1 = w.pos;
        ck_assert_int_eq(smb2_hdr_encode(&w, &h), 0);
        ck_assert_int_eq(smb2_echo_req_encode(&w), 0);
        ck_assert_int_eq(smb2_compound_link(&w, h1), 0);
        ck_assert_uint_eq(w.pos, 4 + 72);
        h.message_id = 2;
        h.flags = SMB2_FLAGS_RELATED_OPERATIONS;
        ck_assert_int_eq(smb2_hdr_encode(&w, &h), 0);
        ck_assert_int_eq(smb2_echo_req_encode(&w), 0);
        check_bytes(buf + 4 + 20, 4, "48 00 00 00");
        check_bytes(buf + 4 + 68, 4, "00 00 00 00");
        check_bytes(buf + 4 + 72 + 16, 4, "04 00 00 00");
        ck_assert_uint_eq(w.pos, 4 + 72 + 68);
        /* hdr_off that is not a whole header back */
        ck_assert_int_eq(smb2_compound_link(&w, w.pos - 10), -EINVAL);
}
END_TEST

/* ---- transform header, classification, TCP framing ---------------------- */

START_TEST(transform_encode)
{
        uint8_t buf[64];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_transform_hdr t = {
                .nonce = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 },
                .original_size = 0x100, .flags = SMB2_TRANSFORM_FLAG_ENCRYPTED,
                .session_id = 0x1122334455667788ull,
        };
        memset(t.signature, 0xAA, sizeof(t.signature));

        ck_assert_int_eq(smb2_transform_hdr_encode(&w, &t), 0);
        check_bytes(buf, w.pos,
                    "FD 53 4D 42"
                    "AAAAAAAA AAAAAAAA AAAAAAAA AAAAAAAA"          /* Signature */
                    "01 02 03 04 05 06 07 08 09 0A 0B 00 00 00 00 00" /* Nonce */
                    "00 01 00 00"                                  /* OriginalMessageSize */
                    "00 00"                                        /* Reserved */
                    "01 00"                                        /* Flags: Encrypted */
                    "88 77 66 55 44 33 22 11");                    /* SessionId */
}
END_TEST

static int dec_transform(const uint8_t *m, size_t n)
{
        struct smb2_transform_hdr t;
        const uint8_t *p;
        return smb2_transform_hdr_decode(m, n, &t, &p);
}

START_TEST(transform_decode)
{
        uint8_t m[52 + 64];
        struct smb2_transform_hdr t;
        const uint8_t *p;

        unhex(m, sizeof(m), "FD 53 4D 42"
                            "00112233 44556677 8899AABB CCDDEEFF"
                            "0102030405060708090A0B0C 00000000"
                            "40 00 00 00"      /* 64 bytes of ciphertext */
                            "00 00 01 00"
                            "05 00 00 00 00 00 00 00");
        memset(m + 52, 0x5A, 64);
        ck_assert_int_eq(smb2_transform_hdr_decode(m, sizeof(m), &t, &p), 0);
        ck_assert_ptr_eq(p, m + 52);
        ck_assert_uint_eq(t.original_size, 64);
        ck_assert_uint_eq(t.session_id, 5);
        ck_assert_uint_eq(t.signature[15], 0xFF);
        ck_assert_uint_eq(t.nonce[11], 0x0C);
        check_truncations(dec_transform, m, sizeof(m));
        /* too long: OriginalMessageSize must match the ciphertext exactly */
        ck_assert_int_eq(smb2_transform_hdr_decode(m, sizeof(m) - 1, &t, &p), -EBADMSG);
        m[36] = 0xFF;
        ck_assert_int_eq(dec_exact(dec_transform, m, sizeof(m)), -EBADMSG);
        m[36] = 0x40;
        m[42] = 0x02;   /* unknown Flags */
        ck_assert_int_eq(dec_exact(dec_transform, m, sizeof(m)), -EBADMSG);
        m[42] = 0x01;
        m[0] = 0xFE;
        ck_assert_int_eq(dec_exact(dec_transform, m, sizeof(m)), -EBADMSG);
}
END_TEST

START_TEST(classify)
{
        static const uint8_t plain[] = { 0xFE, 'S', 'M', 'B' };
        static const uint8_t tr[] = { 0xFD, 'S', 'M', 'B' };
        static const uint8_t comp[] = { 0xFC, 'S', 'M', 'B' };
        static const uint8_t smb1[] = { 0xFF, 'S', 'M', 'B' };
        static const uint8_t junk[] = { 0xFE, 'S', 'M', 'C' };

        ck_assert_int_eq(smb2_msg_classify(plain, 4), SMB2_MSG_PLAIN);
        ck_assert_int_eq(smb2_msg_classify(tr, 4), SMB2_MSG_TRANSFORM);
        ck_assert_int_eq(smb2_msg_classify(comp, 4), -EOPNOTSUPP);
        ck_assert_int_eq(smb2_msg_classify(smb1, 4), -EPROTONOSUPPORT);
        ck_assert_int_eq(smb2_msg_classify(junk, 4), -EBADMSG);
        ck_assert_int_eq(smb2_msg_classify(plain, 3), -EBADMSG);
        ck_assert_int_eq(smb2_msg_classify(NULL, 0), -EBADMSG);
}
END_TEST

START_TEST(tcp_framing)
{
        uint8_t buf[8];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        size_t n;

        ck_assert_int_eq(smb2_tcp_frame_encode(&w, 0x012345), 0);
        check_bytes(buf, w.pos, "00 01 23 45");
        ck_assert_int_eq(smb2_tcp_frame_encode(&w, 0x1000000), -EMSGSIZE);
        ck_assert_int_eq(smb2_tcp_frame_decode(buf, 0, &n), 0);
        ck_assert_uint_eq(n, 0x012345);
        ck_assert_int_eq(smb2_tcp_frame_decode(buf, 0x012345, &n), 0);
        ck_assert_int_eq(smb2_tcp_frame_decode(buf, 0x012344, &n), -EMSGSIZE);
        ck_assert_uint_eq(n, 0);
        unhex(buf, 4, "00 FF FF FF");
        ck_assert_int_eq(smb2_tcp_frame_decode(buf, 0, &n), 0);
        ck_assert_uint_eq(n, 0xFFFFFF);
        ck_assert_int_eq(smb2_tcp_frame_decode(buf, 8 << 20, &n), -EMSGSIZE);
        unhex(buf, 4, "01 00 00 40");   /* first byte must be zero */
        ck_assert_int_eq(smb2_tcp_frame_decode(buf, 0, &n), -EBADMSG);
        unhex(buf, 4, "00 00 00 00");   /* empty frame */
        ck_assert_int_eq(smb2_tcp_frame_decode(buf, 0, &n), -EBADMSG);
}
END_TEST

START_TEST(nttime)
{
        /* 2000-01-01T00:00:00Z = 946684800 s after the Unix epoch. */
        struct timespec ts = { 946684800, 123456700 };
        uint64_t nt = smb2_timespec_to_nttime(ts);
        ck_assert_uint_eq(nt, 116444736000000000ull + 9466848000000000ull + 1234567ull);
        struct timespec back = smb2_nttime_to_timespec(nt);
        ck_assert_int_eq(back.tv_sec, 946684800);
        ck_assert_int_eq(back.tv_nsec, 123456700);
        back = smb2_nttime_to_timespec(0);
        ck_assert_int_eq(back.tv_sec, 0);
        back = smb2_nttime_to_timespec(UINT64_MAX);
        ck_assert_int_gt(back.tv_sec, 0);
}
END_TEST

/* ---- SESSION_SETUP / LOGOFF ---------------------------------------------- */

START_TEST(session_setup_req)
{
        uint8_t buf[128];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        static const uint8_t tok[] = { 'N', 'T', 'L', 'M' };
        struct smb2_session_setup_req req = {
                .security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED,
                .capabilities = SMB2_GLOBAL_CAP_DFS,
                .security_buffer = tok, .security_buffer_len = 4,
        };

        ck_assert_int_eq(smb2_session_setup_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    "19 00"                       /* StructureSize 25 */
                    "00"                          /* Flags */
                    "01"                          /* SecurityMode */
                    "01 00 00 00"                 /* Capabilities DFS */
                    "00 00 00 00"                 /* Channel */
                    "58 00"                       /* SecurityBufferOffset 0x58 */
                    "04 00"                       /* SecurityBufferLength */
                    "00 00 00 00 00 00 00 00"     /* PreviousSessionId */
                    "4E 54 4C 4D");

        w = wire_wr_init(buf, sizeof(buf));
        req.flags = SMB2_SESSION_FLAG_BINDING;
        req.security_mode = SMB2_NEGOTIATE_SIGNING_REQUIRED;
        req.previous_session_id = 0x0102030405060708ull;
        req.security_buffer_len = 0;
        ck_assert_int_eq(smb2_session_setup_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    "19 00 01 02 01 00 00 00 00 00 00 00 58 00 00 00"
                    "08 07 06 05 04 03 02 01"
                    "00");                        /* one pad byte */

        w = wire_wr_init(buf, sizeof(buf));
        req.security_buffer_len = 70000;
        ck_assert_int_eq(smb2_session_setup_req_encode(&w, &req), -EMSGSIZE);
}
END_TEST

static int dec_ss(const uint8_t *m, size_t n)
{
        struct smb2_session_setup_rsp r;
        return smb2_session_setup_rsp_decode(m, n, &r);
}

START_TEST(session_setup_rsp)
{
        uint8_t m[128];
        struct smb2_session_setup_rsp r;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("01", "16 00 00 C0")
                         "09 00"          /* StructureSize */
                         "04 00"          /* SessionFlags ENCRYPT_DATA */
                         "48 00"          /* SecurityBufferOffset */
                         "06 00"          /* SecurityBufferLength */
                         "A1 B2 C3 D4 E5 F6");

        ck_assert_int_eq(smb2_session_setup_rsp_decode(m, n, &r), 0);
        ck_assert_uint_eq(r.session_flags, SMB2_SESSION_FLAG_ENCRYPT_DATA);
        ck_assert_ptr_eq(r.security_buffer, m + 72);
        ck_assert_uint_eq(r.security_buffer_len, 6);
        check_truncations(dec_ss, m, n);

        m[68] = 0x47;   /* buffer overlapping the fixed part */
        ck_assert_int_eq(dec_exact(dec_ss, m, n), -EBADMSG);
        m[68] = 0x49;   /* one past */
        ck_assert_int_eq(dec_exact(dec_ss, m, n), -EBADMSG);
        m[68] = 0x48;
        m[70] = 0xFF;
        m[71] = 0xFF;
        ck_assert_int_eq(dec_exact(dec_ss, m, n), -EBADMSG);
        m[70] = 0;
        m[71] = 0;      /* empty token: offset not checked */
        m[68] = 0;
        ck_assert_int_eq(smb2_session_setup_rsp_decode(m, n, &r), 0);
        ck_assert_ptr_null(r.security_buffer);
        m[64] = 8;
        ck_assert_int_eq(dec_exact(dec_ss, m, n), -EPROTO);
        m[64] = 9;
        m[12] = 0x03;   /* not a SESSION_SETUP response */
        ck_assert_int_eq(dec_exact(dec_ss, m, n), -EPROTO);
        m[12] = 0x01;
        m[16] = 0x00;   /* no SERVER_TO_REDIR: a request */
        ck_assert_int_eq(dec_exact(dec_ss, m, n), -EBADMSG);
}
END_TEST

START_TEST(logoff)
{
        uint8_t buf[8], m[80];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        ck_assert_int_eq(smb2_logoff_req_encode(&w), 0);
        check_bytes(buf, w.pos, "04 00 00 00");
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("02", ST_OK) "04 00 00 00");
        check_truncations(smb2_logoff_rsp_decode, m, n);
        m[64] = 9;
        ck_assert_int_eq(smb2_logoff_rsp_decode(m, n), -EPROTO);
}
END_TEST

/* ---- TREE_CONNECT / TREE_DISCONNECT ---------------------------------------- */

START_TEST(tree_connect_req)
{
        uint8_t buf[128], path[64];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_tree_connect_req req = { .path = path, .path_len = u16(path, "\\\\srv\\share") };

        ck_assert_int_eq(smb2_tree_connect_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    "09 00"              /* StructureSize */
                    "00 00"              /* Flags */
                    "48 00"              /* PathOffset */
                    "16 00"              /* PathLength 22 */
                    "5C 00 5C 00 73 00 72 00 76 00 5C 00 73 00 68 00 61 00 72 00 65 00");
        w = wire_wr_init(buf, sizeof(buf));
        req.path_len = 3;
        ck_assert_int_eq(smb2_tree_connect_req_encode(&w, &req), -EINVAL);
        req.path_len = 0;
        ck_assert_int_eq(smb2_tree_connect_req_encode(&w, &req), -EINVAL);
}
END_TEST

static int dec_tc(const uint8_t *m, size_t n)
{
        struct smb2_tree_connect_rsp r;
        return smb2_tree_connect_rsp_decode(m, n, &r);
}

START_TEST(tree_connect_rsp)
{
        uint8_t m[128];
        struct smb2_tree_connect_rsp r;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("03", ST_OK)
                         "10 00"          /* StructureSize 16 */
                         "01"             /* ShareType DISK */
                         "00"
                         "10 80 00 00"    /* ShareFlags AUTO_CACHING | ENCRYPT_DATA */
                         "08 00 00 00"    /* Capabilities DFS */
                         "FF 01 1F 00");  /* MaximalAccess */

        ck_assert_int_eq(smb2_tree_connect_rsp_decode(m, n, &r), 0);
        ck_assert_uint_eq(r.share_type, SMB2_SHARE_TYPE_DISK);
        ck_assert_uint_eq(r.share_flags,
                          SMB2_SHAREFLAG_AUTO_CACHING | SMB2_SHAREFLAG_ENCRYPT_DATA);
        ck_assert_uint_eq(r.capabilities, SMB2_SHARE_CAP_DFS);
        ck_assert_uint_eq(r.maximal_access, 0x001F01FF);
        check_truncations(dec_tc, m, n);
        m[64] = 9;
        ck_assert_int_eq(dec_exact(dec_tc, m, n), -EPROTO);
}
END_TEST

START_TEST(tree_disconnect)
{
        uint8_t buf[8], m[80];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        ck_assert_int_eq(smb2_tree_disconnect_req_encode(&w), 0);
        check_bytes(buf, w.pos, "04 00 00 00");
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("04", ST_OK) "04 00 00 00");
        check_truncations(smb2_tree_disconnect_rsp_decode, m, n);
}
END_TEST

/* ---- ECHO, CANCEL, breaks ------------------------------------------------- */

START_TEST(echo_cancel)
{
        uint8_t buf[8], m[80];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        ck_assert_int_eq(smb2_echo_req_encode(&w), 0);
        check_bytes(buf, w.pos, "04 00 00 00");
        w = wire_wr_init(buf, sizeof(buf));
        ck_assert_int_eq(smb2_cancel_req_encode(&w), 0);
        check_bytes(buf, w.pos, "04 00 00 00");
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("0D", ST_OK) "04 00 00 00");
        check_truncations(smb2_echo_rsp_decode, m, n);
}
END_TEST

static int dec_break(const uint8_t *m, size_t n)
{
        struct smb2_break_notify b;
        return smb2_break_notify_decode(m, n, &b);
}

START_TEST(oplock_break)
{
        uint8_t m[128], buf[64];
        struct smb2_break_notify b;
        struct smb2_oplock_break o;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("12", ST_OK)
                         "18 00"          /* StructureSize 24 */
                         "01"             /* OplockLevel II */
                         "00 00 00 00 00" /* Reserved, Reserved2 */
                         FID_HEX);

        ck_assert_int_eq(smb2_break_notify_decode(m, n, &b), 0);
        ck_assert_int_eq(b.kind, SMB2_BREAK_OPLOCK);
        ck_assert_uint_eq(b.u.oplock.oplock_level, SMB2_OPLOCK_LEVEL_II);
        ck_assert_uint_eq(b.u.oplock.file_id.persistent, TEST_FID.persistent);
        ck_assert_uint_eq(b.u.oplock.file_id.volatile_, TEST_FID.volatile_);
        check_truncations(dec_break, m, n);
        ck_assert_int_eq(smb2_oplock_break_rsp_decode(m, n, &o), 0);
        ck_assert_uint_eq(o.oplock_level, 1);

        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_oplock_break ack = { .oplock_level = SMB2_OPLOCK_LEVEL_NONE,
                                         .file_id = TEST_FID };
        ck_assert_int_eq(smb2_oplock_break_ack_encode(&w, &ack), 0);
        check_bytes(buf, w.pos, "18 00 00 00 00 00 00 00" FID_HEX);

        m[64] = 25;
        ck_assert_int_eq(dec_exact(dec_break, m, n), -EPROTO);
}
END_TEST

START_TEST(lease_break)
{
        uint8_t m[160], buf[64];
        struct smb2_break_notify b;
        struct smb2_lease_break_rsp lr;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("12", ST_OK)
                         "2C 00"          /* StructureSize 44 */
                         "03 00"          /* NewEpoch */
                         "01 00 00 00"    /* Flags ACK_REQUIRED */
                         "A0A1A2A3 A4A5A6A7 A8A9AAAB ACADAEAF" /* LeaseKey */
                         "07 00 00 00"    /* CurrentLeaseState RWH */
                         "01 00 00 00"    /* NewLeaseState R */
                         "00 00 00 00 00 00 00 00 00 00 00 00");

        ck_assert_int_eq(smb2_break_notify_decode(m, n, &b), 0);
        ck_assert_int_eq(b.kind, SMB2_BREAK_LEASE);
        ck_assert_uint_eq(b.u.lease.new_epoch, 3);
        ck_assert_uint_eq(b.u.lease.flags, SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED);
        ck_assert_uint_eq(b.u.lease.lease_key[0], 0xA0);
        ck_assert_uint_eq(b.u.lease.lease_key[15], 0xAF);
        ck_assert_uint_eq(b.u.lease.current_state, 7);
        ck_assert_uint_eq(b.u.lease.new_state, SMB2_LEASE_READ_CACHING);
        check_truncations(dec_break, m, n);

        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        ck_assert_int_eq(smb2_lease_break_ack_encode(&w, b.u.lease.lease_key,
                                                     SMB2_LEASE_READ_CACHING), 0);
        check_bytes(buf, w.pos,
                    "24 00"              /* StructureSize 36 */
                    "00 00"              /* Reserved */
                    "00 00 00 00"        /* Flags */
                    "A0A1A2A3 A4A5A6A7 A8A9AAAB ACADAEAF"
                    "01 00 00 00"        /* LeaseState */
                    "00 00 00 00 00 00 00 00"); /* LeaseDuration */

        /* the server's lease break response has the acknowledgment's layout */
        n = unhex(m, sizeof(m), RSP_HDR_HEX("12", ST_OK)
                  "24 00 00 00 00 00 00 00"
                  "A0A1A2A3 A4A5A6A7 A8A9AAAB ACADAEAF"
                  "01 00 00 00" "00 00 00 00 00 00 00 00");
        ck_assert_int_eq(smb2_lease_break_rsp_decode(m, n, &lr), 0);
        ck_assert_uint_eq(lr.lease_state, 1);
        ck_assert_uint_eq(lr.lease_key[3], 0xA3);
        ck_assert_int_eq(smb2_break_notify_decode(m, n, &b), -EPROTO);
        ck_assert_int_eq(smb2_lease_break_rsp_decode(m, n - 1, &lr), -EBADMSG);
}
END_TEST

/* ---- NTSTATUS ------------------------------------------------------------- */

START_TEST(ntstatus_table)
{
        size_t n = ntstatus_table_size();
        ck_assert_uint_ge(n, 60);
        for (size_t i = 1; i < n; i++)
                ck_assert_msg(ntstatus_table_value(i - 1) < ntstatus_table_value(i),
                              "table not sorted at %zu", i);
        for (size_t i = 0; i < n; i++) {
                uint32_t v = ntstatus_table_value(i);
                ck_assert_str_ne(ntstatus_name(v), "STATUS_UNKNOWN");
                if (ntstatus_is_error(v))
                        ck_assert_int_lt(ntstatus_to_errno(v), 0);
        }
}
END_TEST

START_TEST(ntstatus_mapping)
{
        char buf[24];

        ck_assert_str_eq(ntstatus_name(0xC000006D), "STATUS_LOGON_FAILURE");
        ck_assert_str_eq(ntstatus_name(STATUS_SUCCESS), "STATUS_SUCCESS");
        ck_assert_str_eq(ntstatus_name(0x80000006), "STATUS_NO_MORE_FILES");
        ck_assert_str_eq(ntstatus_name(0xC000035C), "STATUS_NETWORK_SESSION_EXPIRED");
        ck_assert_str_eq(ntstatus_name(0xC0001234), "STATUS_UNKNOWN");
        ck_assert_int_eq(ntstatus_to_errno(STATUS_SUCCESS), 0);
        ck_assert_int_eq(ntstatus_to_errno(0xC0000034), -ENOENT);
        ck_assert_int_eq(ntstatus_to_errno(0xC0000035), -EEXIST);
        ck_assert_int_eq(ntstatus_to_errno(0xC0000022), -EACCES);
        ck_assert_int_eq(ntstatus_to_errno(0xC000006D), -EACCES);
        ck_assert_int_eq(ntstatus_to_errno(0xC00000CC), -ENOENT);
        ck_assert_int_eq(ntstatus_to_errno(0xC00000BA), -EISDIR);
        ck_assert_int_eq(ntstatus_to_errno(0xC0000103), -ENOTDIR);
        ck_assert_int_eq(ntstatus_to_errno(0xC0000101), -ENOTEMPTY);
        ck_assert_int_eq(ntstatus_to_errno(0xC000007F), -ENOSPC);
        ck_assert_int_eq(ntstatus_to_errno(0xC00000A2), -EROFS);
        ck_assert_int_eq(ntstatus_to_errno(0xC0000043), -EBUSY);
        ck_assert_int_eq(ntstatus_to_errno(0xC000003A), -ENOENT);
        ck_assert_int_eq(ntstatus_to_errno(0xC000000D), -EINVAL);
        ck_assert_int_eq(ntstatus_to_errno(0xC00000BB), -EOPNOTSUPP);
        ck_assert_int_eq(ntstatus_to_errno(0xC00000B5), -ETIMEDOUT);
        ck_assert_int_eq(ntstatus_to_errno(0xC0000011), -ENODATA);
        ck_assert_int_eq(ntstatus_to_errno(0x80000006), -ENODATA);
        ck_assert_int_eq(ntstatus_to_errno(0x00000103), -EINPROGRESS);
        ck_assert_int_eq(ntstatus_to_errno(0xC0001234), -EIO);
        ck_assert_int_eq(ntstatus_to_errno(0x80001234), -EIO);
        ck_assert_int_eq(ntstatus_to_errno(0x40001234), 0);
        ck_assert_str_eq(ntstatus_format(0xC0000022, buf, sizeof(buf)), "STATUS_ACCESS_DENIED");
        ck_assert_str_eq(ntstatus_format(0xC0001234, buf, sizeof(buf)), "0xC0001234");
        ck_assert_str_eq(ntstatus_format(0xC0000022, buf, 7), "STATUS");
        ck_assert_str_eq(ntstatus_format(0xC0000022, NULL, 0), "");
}
END_TEST

static Suite *codec_suite(void)
{
        Suite *s = suite_create("smb2-codec");
        TCase *tc = tcase_create("header");
        tcase_add_test(tc, hdr_encode_sync_request);
        tcase_add_test(tc, hdr_encode_async_response_and_decode);
        tcase_add_test(tc, hdr_encode_no_room);
        tcase_add_test(tc, hdr_decode_hand_made);
        tcase_add_test(tc, hdr_patch_helpers);
        tcase_add_test(tc, credit_charge);
        tcase_add_test(tc, rsp_is_error_rules);
        tcase_add_test(tc, error_rsp);
        tcase_add_test(tc, compound_walk);
        tcase_add_test(tc, compound_bad_next_command);
        tcase_add_test(tc, compound_link_requests);
        tcase_add_test(tc, transform_encode);
        tcase_add_test(tc, transform_decode);
        tcase_add_test(tc, classify);
        tcase_add_test(tc, tcp_framing);
        tcase_add_test(tc, nttime);
        suite_add_tcase(s, tc);

        tc = tcase_create("session-tree-misc");
        tcase_add_test(tc, session_setup_req);
        tcase_add_test(tc, session_setup_rsp);
        tcase_add_test(tc, logoff);
        tcase_add_test(tc, tree_connect_req);
        tcase_add_test(tc, tree_connect_rsp);
        tcase_add_test(tc, tree_disconnect);
        tcase_add_test(tc, echo_cancel);
        tcase_add_test(tc, oplock_break);
        tcase_add_test(tc, lease_break);
        suite_add_tcase(s, tc);

        tc = tcase_create("ntstatus");
        tcase_add_test(tc, ntstatus_table);
        tcase_add_test(tc, ntstatus_mapping);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(codec_suite());
}
