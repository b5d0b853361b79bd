/* SPDX-License-Identifier: MIT */
/* QUERY_DIRECTORY (MS-SMB2 2.2.33, 2.2.34) and directory entries (MS-FSCC 2.4.17/18). */
#include <errno.h>

#include "plugins/smb/smb2_dir.h"
#include "tests/smb/smb2-testutil.h"

START_TEST(qd_req)
{
        uint8_t buf[128];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        static const uint8_t star[] = { '*', 0 };
        struct smb2_query_directory_req req = {
                .info_class = FILE_ID_BOTH_DIRECTORY_INFORMATION,
                .flags = SMB2_RESTART_SCANS, .file_id = TEST_FID,
                .pattern = star, .pattern_len = 2, .output_buffer_length = 0x10000,
        };

        ck_assert_int_eq(smb2_query_directory_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    "21 00"                       /* StructureSize 33 */
                    "25"                          /* FileIdBothDirectoryInformation */
                    "01"                          /* RESTART_SCANS */
                    "00 00 00 00"                 /* FileIndex */
                    FID_HEX
                    "60 00"                       /* FileNameOffset 0x60 */
                    "02 00"                       /* FileNameLength */
                    "00 00 01 00"                 /* OutputBufferLength */
                    "2A 00");

        w = wire_wr_init(buf, sizeof(buf));
        req.info_class = FILE_ID_FULL_DIRECTORY_INFORMATION;
        req.flags = SMB2_REOPEN;
        ck_assert_int_eq(smb2_query_directory_req_encode(&w, &req), 0);
        ck_assert_uint_eq(buf[2], 0x26);
        ck_assert_uint_eq(buf[3], 0x10);
        req.pattern_len = 0;
        ck_assert_int_eq(smb2_query_directory_req_encode(&w, &req), -EINVAL);
}
END_TEST

/* Two FileIdBothDirectoryInformation entries, "." and "ab", laid out by hand. */
static size_t both_entries(uint8_t *b)
{
        memset(b, 0, 224);
        /* entry 0 at 0 */
        put_le(b, 0, 112, 4);                   /* NextEntryOffset: 104 + 2, padded */
        put_le(b, 8, 0x01D0000000000001ull, 8);
        put_le(b, 56, FILE_ATTRIBUTE_DIRECTORY, 4);
        put_le(b, 60, 2, 4);                    /* FileNameLength */
        put_le(b, 96, 5, 8);                    /* FileId */
        b[104] = '.';
        /* entry 1 at 112 */
        put_le(b, 112 + 0, 0, 4);
        put_le(b, 112 + 4, 9, 4);               /* FileIndex */
        put_le(b, 112 + 24, 0x01D0000000000003ull, 8);
        put_le(b, 112 + 40, 0x10, 8);           /* EndOfFile */
        put_le(b, 112 + 48, 0x1000, 8);         /* AllocationSize */
        put_le(b, 112 + 56, FILE_ATTRIBUTE_ARCHIVE, 4);
        put_le(b, 112 + 60, 4, 4);
        put_le(b, 112 + 64, 7, 4);              /* EaSize */
        b[112 + 68] = 4;                        /* ShortNameLength */
        b[112 + 70] = 'A';
        b[112 + 72] = 'B';
        put_le(b, 112 + 96, 6, 8);
        b[112 + 104] = 'a';
        b[112 + 106] = 'b';
        return 112 + 108;
}

static int walk(uint8_t cls, const uint8_t *b, size_t n)
{
        struct smb2_dir_iter it;
        struct smb2_dirent e;
        int rc, count = 0;

        rc = smb2_dir_iter_init(&it, cls, b, n);
        if (rc)
                return rc;
        while ((rc = smb2_dir_iter_next(&it, &e)) > 0)
                ck_assert_int_lt(++count, 1000);
        return rc < 0 ? rc : count;
}

static int walk_both(const uint8_t *b, size_t n)
{
        return walk(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, n);
}

static int walk_full(const uint8_t *b, size_t n)
{
        return walk(FILE_ID_FULL_DIRECTORY_INFORMATION, b, n);
}

START_TEST(iter_both)
{
        uint8_t b[256];
        size_t n = both_entries(b);
        struct smb2_dir_iter it;
        struct smb2_dirent e;

        ck_assert_int_eq(smb2_dir_iter_init(&it, FILE_ID_BOTH_DIRECTORY_INFORMATION, b, n), 0);
        ck_assert_int_eq(smb2_dir_iter_next(&it, &e), 1);
        ck_assert_uint_eq(e.name_len, 2);
        ck_assert_ptr_eq(e.name, b + 104);
        ck_assert_uint_eq(e.file_attributes, FILE_ATTRIBUTE_DIRECTORY);
        ck_assert_uint_eq(e.creation_time, 0x01D0000000000001ull);
        ck_assert_uint_eq(e.file_id, 5);
        ck_assert_ptr_null(e.short_name);
        ck_assert_int_eq(smb2_dir_iter_next(&it, &e), 1);
        ck_assert_uint_eq(e.file_index, 9);
        ck_assert_uint_eq(e.name_len, 4);
        ck_assert_int_eq(memcmp(e.name, "a\0b\0", 4), 0);
        ck_assert_uint_eq(e.end_of_file, 0x10);
        ck_assert_uint_eq(e.allocation_size, 0x1000);
        ck_assert_uint_eq(e.last_write_time, 0x01D0000000000003ull);
        ck_assert_uint_eq(e.ea_size, 7);
        ck_assert_uint_eq(e.short_name_len, 4);
        ck_assert_ptr_eq(e.short_name, b + 112 + 70);
        ck_assert_uint_eq(e.file_id, 6);
        ck_assert_int_eq(smb2_dir_iter_next(&it, &e), 0);
        ck_assert_int_eq(smb2_dir_iter_next(&it, &e), 0);

        ck_assert_int_eq(dec_exact(walk_both, b, n), 2);
        /* every cut fails, including right at entry 1 (Next points at the end) */
        for (size_t k = 1; k < n; k++)
                ck_assert_msg(dec_exact(walk_both, b, k) < 0, "prefix %zu", k);
        ck_assert_int_eq(dec_exact(walk_both, b, 0), 0);
}
END_TEST

START_TEST(iter_both_malformed)
{
        uint8_t b[256];
        size_t n;
        struct {
                size_t off;
                uint64_t v;
                int width;
        } cases[] = {
                { 0, 8, 4 },                    /* next entry inside this one */
                { 0, 105, 4 },                  /* next entry overlaps this name */
                { 0, 220, 4 },                  /* points at the end */
                { 0, 0xFFFFFFF8u, 4 },          /* would wrap */
                { 60, 3, 4 },                   /* odd name length */
                { 60, 0xFFFFFFFEu, 4 },
                { 112 + 60, 6, 4 },             /* last name past the end */
                { 112 + 68, 25, 1 },            /* ShortNameLength > 24 */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                n = both_entries(b);
                put_le(b, cases[i].off, cases[i].v, cases[i].width);
                int rc = dec_exact(walk_both, b, n);
                ck_assert_msg(rc == -EBADMSG, "case %zu: got %d", i, rc);
        }
        /* Next just past the name is legal but lands in padding: garbage is rejected */
        n = both_entries(b);
        put_le(b, 0, 104 + 2, 4);
        ck_assert_int_eq(dec_exact(walk_both, b, n), -EBADMSG);
}
END_TEST

START_TEST(iter_full)
{
        uint8_t b[200] = { 0 };
        struct smb2_dir_iter it;
        struct smb2_dirent e;

        put_le(b, 0, 88, 4);
        put_le(b, 60, 6, 4);
        put_le(b, 72, 0x77, 8);                 /* FileId */
        memcpy(b + 80, "x\0y\0z\0", 6);
        put_le(b, 88 + 60, 2, 4);
        put_le(b, 88 + 72, 0x78, 8);
        b[88 + 80] = 'q';
        size_t n = 88 + 82;

        ck_assert_int_eq(smb2_dir_iter_init(&it, FILE_ID_FULL_DIRECTORY_INFORMATION, b, n), 0);
        ck_assert_int_eq(smb2_dir_iter_next(&it, &e), 1);
        ck_assert_uint_eq(e.file_id, 0x77);
        ck_assert_ptr_eq(e.name, b + 80);
        ck_assert_uint_eq(e.name_len, 6);
        ck_assert_int_eq(smb2_dir_iter_next(&it, &e), 1);
        ck_assert_uint_eq(e.file_id, 0x78);
        ck_assert_ptr_eq(e.name, b + 168);
        ck_assert_int_eq(smb2_dir_iter_next(&it, &e), 0);
        for (size_t k = 1; k < n; k++)
                ck_assert_msg(dec_exact(walk_full, b, k) < 0, "prefix %zu", k);
        ck_assert_int_eq(dec_exact(walk_full, b, n), 2);
        /* the same bytes read as IdBoth: second entry too short */
        ck_assert_int_eq(dec_exact(walk_both, b, n), -EBADMSG);
        ck_assert_int_eq(smb2_dir_iter_init(&it, FILE_DIRECTORY_INFORMATION, b, n), -EOPNOTSUPP);
        ck_assert_int_eq(smb2_dir_iter_next(&it, &e), 0);
}
END_TEST

static int dec_qd(const uint8_t *m, size_t n)
{
        struct smb2_query_directory_rsp r;
        return smb2_query_directory_rsp_decode(m, n, &r);
}

START_TEST(qd_rsp)
{
        uint8_t m[400];
        struct smb2_query_directory_rsp r;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("0E", ST_OK)
                         "09 00"          /* StructureSize */
                         "48 00"          /* OutputBufferOffset */
                         "DC 00 00 00");  /* OutputBufferLength 220 */
        n += both_entries(m + n);

        ck_assert_int_eq(smb2_query_directory_rsp_decode(m, n, &r), 0);
        ck_assert_ptr_eq(r.buf, m + 72);
        ck_assert_uint_eq(r.len, 220);
        ck_assert_int_eq(walk_both(r.buf, r.len), 2);
        check_truncations(dec_qd, m, n);
        m[66] = 0x47;
        ck_assert_int_eq(dec_exact(dec_qd, m, n), -EBADMSG);
        m[66] = 0x48;
        put_le(m, 68, 0xFFFFFFFFu, 4);
        ck_assert_int_eq(dec_exact(dec_qd, m, n), -EBADMSG);
        m[64] = 8;
        ck_assert_int_eq(dec_exact(dec_qd, m, n), -EPROTO);
}
END_TEST

static Suite *dir_suite(void)
{
        Suite *s = suite_create("smb2-dir");
        TCase *tc = tcase_create("dir");
        tcase_add_test(tc, qd_req);
        tcase_add_test(tc, iter_both);
        tcase_add_test(tc, iter_both_malformed);
        tcase_add_test(tc, iter_full);
        tcase_add_test(tc, qd_rsp);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(dir_suite());
}
