/* SPDX-License-Identifier: MIT */
/* QUERY_INFO / SET_INFO (MS-SMB2 2.2.37-2.2.40) and MS-FSCC information classes. */
#include <errno.h>

#include "plugins/smb/smb2_info.h"
#include "tests/smb/smb2-testutil.h"

START_TEST(qi_req)
{
        uint8_t buf[128];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_query_info_req req = {
                .info_type = SMB2_0_INFO_FILE, .file_info_class = FILE_ALL_INFORMATION,
                .output_buffer_length = 0x1000, .file_id = TEST_FID,
        };

        ck_assert_int_eq(smb2_query_info_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    "29 00"                       /* StructureSize 41 */
                    "01"                          /* InfoType FILE */
                    "12"                          /* FileAllInformation */
                    "00 10 00 00"                 /* OutputBufferLength */
                    "00 00"                       /* InputBufferOffset */
                    "00 00"                       /* Reserved */
                    "00 00 00 00"                 /* InputBufferLength */
                    "00 00 00 00"                 /* AdditionalInformation */
                    "00 00 00 00"                 /* Flags */
                    FID_HEX
                    "00");                        /* Buffer: one byte */

        w = wire_wr_init(buf, sizeof(buf));
        req.info_type = SMB2_0_INFO_FILESYSTEM;
        req.file_info_class = FILE_FS_FULL_SIZE_INFORMATION;
        req.input = (const uint8_t *)"\x01\x02";
        req.input_len = 2;
        ck_assert_int_eq(smb2_query_info_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    "29 00 02 07 00 10 00 00"
                    "68 00"                       /* InputBufferOffset 0x68 */
                    "00 00 02 00 00 00 00 00 00 00 00 00 00 00"
                    FID_HEX "01 02");
}
END_TEST

/* FileAllInformation laid out by hand (MS-FSCC 2.4.2). */
static size_t all_info(uint8_t *b)
{
        memset(b, 0, 112);
        put_le(b, 0, 0x01D0000000000001ull, 8);  /* Basic.CreationTime */
        put_le(b, 24, 0x01D0000000000004ull, 8); /* Basic.ChangeTime */
        put_le(b, 32, FILE_ATTRIBUTE_ARCHIVE, 4);
        put_le(b, 40, 0x2000, 8);                /* Standard.AllocationSize */
        put_le(b, 48, 0x1234, 8);                /* Standard.EndOfFile */
        put_le(b, 56, 1, 4);                     /* NumberOfLinks */
        b[60] = 0;                               /* DeletePending */
        b[61] = 0;                               /* Directory */
        put_le(b, 64, 0xABCDEF, 8);              /* Internal.IndexNumber */
        put_le(b, 72, 0, 4);                     /* EaSize */
        put_le(b, 76, 0x001F01FF, 4);            /* AccessFlags */
        put_le(b, 80, 0, 8);                     /* CurrentByteOffset */
        put_le(b, 88, 0, 4);                     /* Mode */
        put_le(b, 92, 0, 4);                     /* AlignmentRequirement */
        put_le(b, 96, 6, 4);                     /* FileNameLength */
        memcpy(b + 100, "\\\0f\0x\0", 6);
        return 106;
}

static int dec_qi(const uint8_t *m, size_t n)
{
        struct smb2_query_info_rsp r;
        return smb2_query_info_rsp_decode(m, n, &r);
}

START_TEST(qi_rsp_all_info)
{
        uint8_t m[256];
        struct smb2_query_info_rsp r;
        struct smb2_file_all_info a;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("10", ST_OK)
                         "09 00"          /* StructureSize */
                         "48 00"          /* OutputBufferOffset */
                         "6A 00 00 00");  /* OutputBufferLength 106 */
        n += all_info(m + n);

        ck_assert_int_eq(smb2_query_info_rsp_decode(m, n, &r), 0);
        ck_assert_ptr_eq(r.buf, m + 72);
        ck_assert_uint_eq(r.len, 106);
        check_truncations(dec_qi, m, n);

        ck_assert_int_eq(smb2_file_all_info_decode(r.buf, r.len, &a), 0);
        ck_assert_uint_eq(a.basic.creation_time, 0x01D0000000000001ull);
        ck_assert_uint_eq(a.basic.change_time, 0x01D0000000000004ull);
        ck_assert_uint_eq(a.basic.file_attributes, FILE_ATTRIBUTE_ARCHIVE);
        ck_assert_uint_eq(a.standard.allocation_size, 0x2000);
        ck_assert_uint_eq(a.standard.end_of_file, 0x1234);
        ck_assert_uint_eq(a.standard.number_of_links, 1);
        ck_assert_uint_eq(a.index_number, 0xABCDEF);
        ck_assert_uint_eq(a.access_flags, 0x001F01FF);
        ck_assert_uint_eq(a.name_len, 6);
        ck_assert_ptr_eq(a.name, r.buf + 100);
        ck_assert(!a.name_truncated);

        /* STATUS_BUFFER_OVERFLOW: name cut, fixed part usable */
        ck_assert_int_eq(smb2_file_all_info_decode(r.buf, 102, &a), 0);
        ck_assert(a.name_truncated);
        ck_assert_ptr_null(a.name);
        ck_assert_uint_eq(a.standard.end_of_file, 0x1234);
        ck_assert_int_eq(smb2_file_all_info_decode(r.buf, 99, &a), -EBADMSG);

        m[66] = 0x47;
        ck_assert_int_eq(dec_exact(dec_qi, m, n), -EBADMSG);
        m[66] = 0x48;
        put_le(m, 68, 107, 4);
        ck_assert_int_eq(dec_exact(dec_qi, m, n), -EBADMSG);
}
END_TEST

START_TEST(info_structs)
{
        uint8_t b[64] = { 0 };
        struct smb2_file_basic_info bi;
        struct smb2_file_standard_info si;
        struct smb2_file_network_open_info no;
        struct smb2_fs_full_size_info fs;

        put_le(b, 16, 0x33, 8);
        put_le(b, 32, FILE_ATTRIBUTE_DIRECTORY, 4);
        ck_assert_int_eq(smb2_file_basic_info_decode(b, 40, &bi), 0);
        ck_assert_uint_eq(bi.last_write_time, 0x33);
        ck_assert_uint_eq(bi.file_attributes, FILE_ATTRIBUTE_DIRECTORY);
        ck_assert_int_eq(smb2_file_basic_info_decode(b, 39, &bi), -EBADMSG);

        memset(b, 0, sizeof(b));
        put_le(b, 8, 0x44, 8);
        put_le(b, 16, 2, 4);
        b[20] = 1;
        b[21] = 1;
        ck_assert_int_eq(smb2_file_standard_info_decode(b, 24, &si), 0);
        ck_assert_uint_eq(si.end_of_file, 0x44);
        ck_assert_uint_eq(si.number_of_links, 2);
        ck_assert_uint_eq(si.delete_pending, 1);
        ck_assert_uint_eq(si.directory, 1);
        ck_assert_int_eq(smb2_file_standard_info_decode(b, 23, &si), -EBADMSG);

        memset(b, 0, sizeof(b));
        put_le(b, 32, 0x1000, 8);
        put_le(b, 40, 0x0FFF, 8);
        put_le(b, 48, FILE_ATTRIBUTE_READONLY, 4);
        ck_assert_int_eq(smb2_file_network_open_info_decode(b, 56, &no), 0);
        ck_assert_uint_eq(no.allocation_size, 0x1000);
        ck_assert_uint_eq(no.end_of_file, 0x0FFF);
        ck_assert_uint_eq(no.file_attributes, FILE_ATTRIBUTE_READONLY);
        ck_assert_int_eq(smb2_file_network_open_info_decode(b, 55, &no), -EBADMSG);

        memset(b, 0, sizeof(b));
        put_le(b, 0, 1000, 8);
        put_le(b, 8, 400, 8);
        put_le(b, 16, 500, 8);
        put_le(b, 24, 8, 4);
        put_le(b, 28, 512, 4);
        ck_assert_int_eq(smb2_fs_full_size_info_decode(b, 32, &fs), 0);
        ck_assert_uint_eq(fs.total_allocation_units, 1000);
        ck_assert_uint_eq(fs.caller_available_allocation_units, 400);
        ck_assert_uint_eq(fs.actual_available_allocation_units, 500);
        ck_assert_uint_eq(fs.sectors_per_allocation_unit, 8);
        ck_assert_uint_eq(fs.bytes_per_sector, 512);
        ck_assert_int_eq(smb2_fs_full_size_info_decode(b, 31, &fs), -EBADMSG);
        ck_assert_int_eq(smb2_fs_full_size_info_decode(NULL, 0, &fs), -EBADMSG);
}
END_TEST

#define SI_FIXED(cls, len)                                                    \
        "21 00"           /* StructureSize 33 */                              \
        "01"              /* InfoType FILE */                                 \
        cls               /* FileInfoClass */                                 \
        len               /* BufferLength */                                  \
        "60 00"           /* BufferOffset 0x60 */                             \
        "00 00"           /* Reserved */                                      \
        "00 00 00 00"     /* AdditionalInformation */                         \
        FID_HEX

START_TEST(si_rename)
{
        uint8_t buf[128], name[32];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_file_id fid = TEST_FID;
        size_t nl = u16(name, "new.txt");

        ck_assert_int_eq(smb2_set_info_rename_encode(&w, &fid, true, name, nl), 0);
        check_bytes(buf, w.pos,
                    SI_FIXED("0A", "22 00 00 00")  /* FileRenameInformation, 34 bytes */
                    "01"                          /* ReplaceIfExists */
                    "00 00 00 00 00 00 00"        /* Reserved */
                    "00 00 00 00 00 00 00 00"     /* RootDirectory */
                    "0E 00 00 00"                 /* FileNameLength */
                    "6E 00 65 00 77 00 2E 00 74 00 78 00 74 00");

        w = wire_wr_init(buf, sizeof(buf));
        nl = u16(name, "x");
        ck_assert_int_eq(smb2_set_info_rename_encode(&w, &fid, false, name, nl), 0);
        check_bytes(buf, w.pos,
                    SI_FIXED("0A", "18 00 00 00")  /* padded to 24 */
                    "00 00 00 00 00 00 00 00"
                    "00 00 00 00 00 00 00 00"
                    "02 00 00 00"
                    "78 00" "00 00");

        ck_assert_int_eq(smb2_set_info_rename_encode(&w, &fid, false, name, 3), -EINVAL);
        ck_assert_int_eq(smb2_set_info_rename_encode(&w, &fid, false, name, 0), -EINVAL);
}
END_TEST

START_TEST(si_others)
{
        uint8_t buf[128];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_file_id fid = TEST_FID;
        struct smb2_file_basic_info bi = { .last_write_time = 0x01D0000000000003ull,
                                           .file_attributes = FILE_ATTRIBUTE_READONLY };

        ck_assert_int_eq(smb2_set_info_disposition_encode(&w, &fid, true), 0);
        check_bytes(buf, w.pos, SI_FIXED("0D", "01 00 00 00") "01");

        w = wire_wr_init(buf, sizeof(buf));
        ck_assert_int_eq(smb2_set_info_eof_encode(&w, &fid, 0x100000000ull), 0);
        check_bytes(buf, w.pos, SI_FIXED("14", "08 00 00 00") "00 00 00 00 01 00 00 00");

        w = wire_wr_init(buf, sizeof(buf));
        ck_assert_int_eq(smb2_set_info_basic_encode(&w, &fid, &bi), 0);
        check_bytes(buf, w.pos,
                    SI_FIXED("04", "28 00 00 00")
                    "00 00 00 00 00 00 00 00"     /* CreationTime: unchanged */
                    "00 00 00 00 00 00 00 00"
                    "03 00 00 00 00 00 D0 01"     /* LastWriteTime */
                    "00 00 00 00 00 00 00 00"
                    "01 00 00 00"                 /* FileAttributes */
                    "00 00 00 00");

        w = wire_wr_init(buf, sizeof(buf));
        struct smb2_set_info_req req = { .info_type = SMB2_0_INFO_FILE,
                                         .file_info_class = FILE_END_OF_FILE_INFORMATION,
                                         .file_id = fid,
                                         .buf = (const uint8_t *)"\x10\0\0\0\0\0\0\0",
                                         .len = 8 };
        ck_assert_int_eq(smb2_set_info_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos, SI_FIXED("14", "08 00 00 00") "10 00 00 00 00 00 00 00");
        req.len = 0;
        ck_assert_int_eq(smb2_set_info_req_encode(&w, &req), -EINVAL);

        w = wire_wr_init(buf, 39);
        ck_assert_int_eq(smb2_set_info_eof_encode(&w, &fid, 1), -ENOBUFS);
}
END_TEST

START_TEST(si_rsp)
{
        uint8_t m[80];
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("11", ST_OK) "02 00");
        check_truncations(smb2_set_info_rsp_decode, m, n);
        m[64] = 4;
        ck_assert_int_eq(smb2_set_info_rsp_decode(m, n), -EPROTO);
}
END_TEST

static Suite *info_suite(void)
{
        Suite *s = suite_create("smb2-info");
        TCase *tc = tcase_create("info");
        tcase_add_test(tc, qi_req);
        tcase_add_test(tc, qi_rsp_all_info);
        tcase_add_test(tc, info_structs);
        tcase_add_test(tc, si_rename);
        tcase_add_test(tc, si_others);
        tcase_add_test(tc, si_rsp);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(info_suite());
}
