/* SPDX-License-Identifier: MIT */
/* READ, WRITE, FLUSH (MS-SMB2 2.2.17-2.2.22). */
#include <errno.h>

#include "plugins/smb/smb2_io.h"
#include "tests/smb/smb2-testutil.h"

START_TEST(read_req)
{
        uint8_t buf[128];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_read_req req = {
                .padding = SMB2_READ_DATA_OFFSET, .length = 0x10000,
                .offset = 0x123456789ull, .file_id = TEST_FID, .minimum_count = 1,
        };

        ck_assert_int_eq(smb2_read_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    "31 00"                       /* StructureSize 49 */
                    "50"                          /* Padding */
                    "00"                          /* Flags */
                    "00 00 01 00"                 /* Length */
                    "89 67 45 23 01 00 00 00"     /* Offset */
                    FID_HEX
                    "01 00 00 00"                 /* MinimumCount */
                    "00 00 00 00"                 /* Channel NONE */
                    "00 00 00 00"                 /* RemainingBytes */
                    "00 00 00 00"                 /* ReadChannelInfoOffset/Length */
                    "00");                        /* Buffer: one byte */
}
END_TEST

static int dec_read(const uint8_t *m, size_t n)
{
        struct smb2_read_rsp r;
        return smb2_read_rsp_decode(m, n, &r);
}

START_TEST(read_rsp)
{
        uint8_t m[128];
        struct smb2_read_rsp r;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("08", ST_OK)
                         "11 00"          /* StructureSize 17 */
                         "50"             /* DataOffset */
                         "00"
                         "05 00 00 00"    /* DataLength */
                         "00 00 00 00"    /* DataRemaining */
                         "00 00 00 00"    /* Reserved2 */
                         "68 65 6C 6C 6F");

        ck_assert_int_eq(smb2_read_rsp_decode(m, n, &r), 0);
        ck_assert_uint_eq(r.data_len, 5);
        ck_assert_ptr_eq(r.data, m + 80);
        ck_assert_int_eq(memcmp(r.data, "hello", 5), 0);
        check_truncations(dec_read, m, n);

        m[66] = 0x4F;   /* data overlapping the fixed part */
        ck_assert_int_eq(dec_exact(dec_read, m, n), -EBADMSG);
        m[66] = 0x51;   /* one past the end */
        ck_assert_int_eq(dec_exact(dec_read, m, n), -EBADMSG);
        m[66] = 0xFF;
        ck_assert_int_eq(dec_exact(dec_read, m, n), -EBADMSG);
        m[66] = 0x50;
        put_le(m, 68, 6, 4);
        ck_assert_int_eq(dec_exact(dec_read, m, n), -EBADMSG);
        put_le(m, 68, 0xFFFFFFFFu, 4);
        ck_assert_int_eq(dec_exact(dec_read, m, n), -EBADMSG);
        put_le(m, 68, 0, 4);    /* empty read: DataOffset not checked */
        m[66] = 0;
        ck_assert_int_eq(smb2_read_rsp_decode(m, 80, &r), 0);
        ck_assert_ptr_null(r.data);
        m[64] = 0x10;
        ck_assert_int_eq(dec_exact(dec_read, m, n), -EPROTO);
}
END_TEST

static int dec_read_fixed(const uint8_t *m, size_t n)
{
        struct smb2_read_rsp r;
        return smb2_read_rsp_decode_fixed(m, n, &r);
}

/* Header and fixed part alone: the data may be elsewhere (or not yet
 * decrypted), so DataOffset/DataLength are returned, not checked. */
START_TEST(read_rsp_fixed)
{
        uint8_t m[128];
        struct smb2_read_rsp r;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("08", ST_OK)
                         "11 00"          /* StructureSize 17 */
                         "50"             /* DataOffset */
                         "00"
                         "00 00 80 00"    /* DataLength 8 MiB: not in the message */
                         "07 00 00 00"    /* DataRemaining */
                         "00 00 00 00");  /* Reserved2 */

        ck_assert_uint_eq(n, 80);
        ck_assert_int_eq(smb2_read_rsp_decode_fixed(m, n, &r), 0);
        ck_assert_uint_eq(r.data_offset, 0x50);
        ck_assert_uint_eq(r.data_len, 8u << 20);
        ck_assert_uint_eq(r.data_remaining, 7);
        ck_assert_ptr_null(r.data);
        check_truncations(dec_read_fixed, m, n);
        /* the full decoder refuses what is not there */
        ck_assert_int_eq(smb2_read_rsp_decode(m, n, &r), -EBADMSG);
        m[64] = 0x10;
        ck_assert_int_eq(smb2_read_rsp_decode_fixed(m, n, &r), -EPROTO);
        m[64] = 0x11;
        m[12] = 0x09;   /* a WRITE response */
        ck_assert_int_eq(smb2_read_rsp_decode_fixed(m, n, &r), -EPROTO);
}
END_TEST

START_TEST(write_req_inline)
{
        uint8_t buf[128];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_write_req req = { .offset = 0x1000, .file_id = TEST_FID,
                                      .data = "abc", .length = 3,
                                      .flags = SMB2_WRITEFLAG_WRITE_THROUGH };

        ck_assert_int_eq(smb2_write_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    "31 00"                       /* StructureSize 49 */
                    "70 00"                       /* DataOffset 0x70 */
                    "03 00 00 00"                 /* Length */
                    "00 10 00 00 00 00 00 00"     /* Offset */
                    FID_HEX
                    "00 00 00 00"                 /* Channel */
                    "00 00 00 00"                 /* RemainingBytes */
                    "00 00 00 00"                 /* WriteChannelInfoOffset/Length */
                    "01 00 00 00"                 /* Flags WRITE_THROUGH */
                    "61 62 63");
}
END_TEST

START_TEST(write_req_iovec)
{
        uint8_t buf[128];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_write_req req = { .offset = 0, .file_id = TEST_FID, .length = 1u << 20 };

        /* payload goes in a second iovec: only 48 bytes written here */
        wire_put_zeros(&w, 64);
        ck_assert_int_eq(smb2_write_req_encode(&w, &req), 0);
        ck_assert_uint_eq(w.pos, SMB2_WRITE_DATA_OFFSET);
        check_bytes(buf + 64, w.pos - 64,
                    "31 00 70 00 00 00 10 00 00 00 00 00 00 00 00 00" FID_HEX
                    "00000000 00000000 00000000 00000000");

        w = wire_wr_init(buf, sizeof(buf));
        req.length = 0;
        ck_assert_int_eq(smb2_write_req_encode(&w, &req), 0);
        ck_assert_uint_eq(w.pos, 49);   /* one pad byte for an empty write */
        ck_assert_uint_eq(buf[48], 0);
}
END_TEST

static int dec_write(const uint8_t *m, size_t n)
{
        struct smb2_write_rsp r;
        return smb2_write_rsp_decode(m, n, &r);
}

START_TEST(write_rsp)
{
        uint8_t m[128];
        struct smb2_write_rsp r;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("09", ST_OK)
                         "11 00 00 00"    /* StructureSize, Reserved */
                         "03 00 00 00"    /* Count */
                         "00 00 00 00"    /* Remaining */
                         "00 00 00 00");  /* WriteChannelInfoOffset/Length */

        ck_assert_int_eq(smb2_write_rsp_decode(m, n, &r), 0);
        ck_assert_uint_eq(r.count, 3);
        check_truncations(dec_write, m, n);
        m[64] = 0x10;
        ck_assert_int_eq(dec_exact(dec_write, m, n), -EPROTO);
}
END_TEST

START_TEST(flush)
{
        uint8_t buf[64], m[80];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_file_id fid = TEST_FID;

        ck_assert_int_eq(smb2_flush_req_encode(&w, &fid), 0);
        check_bytes(buf, w.pos, "18 00 00 00 00 00 00 00" FID_HEX);
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("07", ST_OK) "04 00 00 00");
        check_truncations(smb2_flush_rsp_decode, m, n);
}
END_TEST

static Suite *io_suite(void)
{
        Suite *s = suite_create("smb2-io");
        TCase *tc = tcase_create("io");
        tcase_add_test(tc, read_req);
        tcase_add_test(tc, read_rsp);
        tcase_add_test(tc, read_rsp_fixed);
        tcase_add_test(tc, write_req_inline);
        tcase_add_test(tc, write_req_iovec);
        tcase_add_test(tc, write_rsp);
        tcase_add_test(tc, flush);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(io_suite());
}
