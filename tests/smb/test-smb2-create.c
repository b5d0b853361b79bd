/* SPDX-License-Identifier: MIT */
/* CREATE with durable handle v2 contexts, and CLOSE (MS-SMB2 2.2.13-2.2.16). */
#include <errno.h>

#include "plugins/smb/smb2_create.h"
#include "tests/smb/smb2-testutil.h"

#define GUID_20 "20 21 22 23 24 25 26 27 28 29 2A 2B 2C 2D 2E 2F"

static struct smb2_create_req open_req(uint8_t *name)
{
        return (struct smb2_create_req){
                .oplock_level = SMB2_OPLOCK_LEVEL_BATCH,
                .impersonation_level = SMB2_IMPERSONATION_IMPERSONATION,
                .desired_access = FILE_READ_DATA | FILE_READ_EA | FILE_READ_ATTRIBUTES |
                                  SMB2_READ_CONTROL | SMB2_SYNCHRONIZE,
                .file_attributes = FILE_ATTRIBUTE_NORMAL,
                .share_access = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                .create_disposition = FILE_OPEN,
                .create_options = FILE_NON_DIRECTORY_FILE,
                .name = name,
                .name_len = u16(name, "a\\b.txt"),
        };
}

#define CREATE_FIXED_HEX(name_len_hex, ctx_off_hex, ctx_len_hex)             \
        /* 64 */ "39 00"                  /* StructureSize 57 */             \
        /* 66 */ "00"                     /* SecurityFlags */                \
        /* 67 */ "09"                     /* RequestedOplockLevel BATCH */   \
        /* 68 */ "02 00 00 00"            /* ImpersonationLevel */           \
        /* 72 */ "00 00 00 00 00 00 00 00" /* SmbCreateFlags */              \
        /* 80 */ "00 00 00 00 00 00 00 00" /* Reserved */                    \
        /* 88 */ "89 00 12 00"            /* DesiredAccess */                \
        /* 92 */ "80 00 00 00"            /* FileAttributes NORMAL */        \
        /* 96 */ "07 00 00 00"            /* ShareAccess RWD */              \
        /* 100 */ "01 00 00 00"           /* CreateDisposition OPEN */       \
        /* 104 */ "40 00 00 00"           /* CreateOptions NON_DIRECTORY */  \
        /* 108 */ "78 00"                 /* NameOffset 0x78 */              \
        /* 110 */ name_len_hex            /* NameLength */                   \
        /* 112 */ ctx_off_hex             /* CreateContextsOffset */         \
        /* 116 */ ctx_len_hex             /* CreateContextsLength */

#define NAME_AB "61 00 5C 00 62 00 2E 00 74 00 78 00 74 00"

START_TEST(create_req_plain)
{
        uint8_t buf[256], name[32];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_create_req req = open_req(name);

        ck_assert_int_eq(smb2_create_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    CREATE_FIXED_HEX("0E 00", "00 00 00 00", "00 00 00 00") NAME_AB);
}
END_TEST

START_TEST(create_req_root_no_name)
{
        uint8_t buf[256], name[32];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_create_req req = open_req(name);

        req.name_len = 0;
        ck_assert_int_eq(smb2_create_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    CREATE_FIXED_HEX("00 00", "00 00 00 00", "00 00 00 00") "00");
}
END_TEST

START_TEST(create_req_dh2q)
{
        uint8_t buf[256], name[32];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_create_req req = open_req(name);
        struct smb2_dh2q dh2q = { .timeout = 60000 };

        for (int i = 0; i < 16; i++)
                dh2q.create_guid[i] = (uint8_t)(0x20 + i);
        req.dh2q = &dh2q;
        ck_assert_int_eq(smb2_create_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    CREATE_FIXED_HEX("0E 00", "88 00 00 00", "38 00 00 00")
                    /* 120 */ NAME_AB
                    /* 134 */ "00 00"
                    /* 136 */ "00 00 00 00"           /* Next */
                              "10 00"                 /* NameOffset */
                              "04 00"                 /* NameLength */
                              "00 00"                 /* Reserved */
                              "18 00"                 /* DataOffset 24 */
                              "20 00 00 00"           /* DataLength 32 */
                              "44 48 32 51"           /* "DH2Q" */
                              "00 00 00 00"
                              "60 EA 00 00"           /* Timeout 60000 */
                              "00 00 00 00"           /* Flags */
                              "00 00 00 00 00 00 00 00"
                              GUID_20);
}
END_TEST

START_TEST(create_req_dh2q_plus_mxac)
{
        uint8_t buf[256], name[32];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_create_req req = open_req(name);
        struct smb2_dh2q dh2q = { .timeout = 60000, .flags = SMB2_DHANDLE_FLAG_PERSISTENT };
        struct smb2_create_ctx mxac = { .name = (const uint8_t *)"MxAc", .name_len = 4 };

        for (int i = 0; i < 16; i++)
                dh2q.create_guid[i] = (uint8_t)(0x20 + i);
        req.dh2q = &dh2q;
        req.extra = &mxac;
        req.extra_count = 1;
        ck_assert_int_eq(smb2_create_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    CREATE_FIXED_HEX("0E 00", "88 00 00 00", "4C 00 00 00")
                    NAME_AB "00 00"
                    /* 136 */ "38 00 00 00 10 00 04 00 00 00 18 00 20 00 00 00"
                              "44 48 32 51 00 00 00 00"
                              "60 EA 00 00 02 00 00 00 00 00 00 00 00 00 00 00"
                              GUID_20
                    /* 192 */ "00 00 00 00"           /* Next: last */
                              "10 00 04 00 00 00"
                              "00 00"                 /* DataOffset 0: no data */
                              "00 00 00 00"
                              "4D 78 41 63");         /* "MxAc" */
}
END_TEST

START_TEST(create_req_dh2c)
{
        uint8_t buf[256], name[32];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_create_req req = open_req(name);
        struct smb2_dh2c dh2c = { .file_id = TEST_FID, .flags = SMB2_DHANDLE_FLAG_PERSISTENT };

        for (int i = 0; i < 16; i++)
                dh2c.create_guid[i] = (uint8_t)(0x20 + i);
        req.name_len = u16(name, "f");
        req.dh2c = &dh2c;
        ck_assert_int_eq(smb2_create_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    CREATE_FIXED_HEX("02 00", "80 00 00 00", "3C 00 00 00")
                    /* 120 */ "66 00"
                    /* 122 */ "00 00 00 00 00 00"
                    /* 128 */ "00 00 00 00 10 00 04 00 00 00 18 00"
                              "24 00 00 00"           /* DataLength 36 */
                              "44 48 32 43"           /* "DH2C" */
                              "00 00 00 00"
                              FID_HEX
                              GUID_20
                              "02 00 00 00");
}
END_TEST

START_TEST(create_req_invalid)
{
        uint8_t buf[256], name[32];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_create_req req = open_req(name);
        struct smb2_create_ctx bad = { .name = NULL, .name_len = 4 };

        req.name_len = 3;
        ck_assert_int_eq(smb2_create_req_encode(&w, &req), -EINVAL);
        req.name_len = 70000;
        ck_assert_int_eq(smb2_create_req_encode(&w, &req), -ENAMETOOLONG);
        req.name_len = 2;
        req.extra = &bad;
        req.extra_count = 1;
        ck_assert_int_eq(smb2_create_req_encode(&w, &req), -EINVAL);
        req.extra_count = 0;
        w = wire_wr_init(buf, 50);
        ck_assert_int_eq(smb2_create_req_encode(&w, &req), -ENOBUFS);
}
END_TEST

/* Hand-made CREATE response with MxAc and DH2Q response contexts. */
static size_t create_rsp(uint8_t *m, size_t cap)
{
        return unhex(m, cap, RSP_HDR_HEX("05", ST_OK)
                     /* 64 */ "59 00"                 /* StructureSize 89 */
                     /* 66 */ "09"                    /* OplockLevel BATCH */
                     /* 67 */ "00"                    /* Flags */
                     /* 68 */ "01 00 00 00"           /* CreateAction OPENED */
                     /* 72 */ "01 00 00 00 00 00 D0 01"
                     /* 80 */ "02 00 00 00 00 00 D0 01"
                     /* 88 */ "03 00 00 00 00 00 D0 01"
                     /* 96 */ "04 00 00 00 00 00 D0 01"
                     /* 104 */ "00 10 00 00 00 00 00 00" /* AllocationSize */
                     /* 112 */ "23 01 00 00 00 00 00 00" /* EndofFile */
                     /* 120 */ "20 00 00 00"          /* FileAttributes ARCHIVE */
                     /* 124 */ "00 00 00 00"
                     /* 128 */ FID_HEX
                     /* 144 */ "98 00 00 00"          /* CreateContextsOffset 152 */
                     /* 148 */ "40 00 00 00"          /* CreateContextsLength 64 */
                     /* 152 */ "20 00 00 00 10 00 04 00 00 00 18 00 08 00 00 00"
                     /* 168 */ "4D 78 41 63 00 00 00 00"
                     /* 176 */ "00 00 00 00 FF 01 1F 00"
                     /* 184 */ "00 00 00 00 10 00 04 00 00 00 18 00 08 00 00 00"
                     /* 200 */ "44 48 32 51 00 00 00 00"
                     /* 208 */ "60 EA 00 00 00 00 00 00");
}

static int dec_create(const uint8_t *m, size_t n)
{
        struct smb2_create_rsp r;
        return smb2_create_rsp_decode(m, n, &r);
}

START_TEST(create_rsp_ok)
{
        uint8_t m[300];
        size_t n = create_rsp(m, sizeof(m));
        struct smb2_create_rsp r;
        struct smb2_create_ctx_iter it;
        struct smb2_create_ctx c;

        ck_assert_uint_eq(n, 216);
        ck_assert_int_eq(smb2_create_rsp_decode(m, n, &r), 0);
        ck_assert_uint_eq(r.oplock_level, SMB2_OPLOCK_LEVEL_BATCH);
        ck_assert_uint_eq(r.create_action, FILE_OPENED);
        ck_assert_uint_eq(r.creation_time, 0x01D0000000000001ull);
        ck_assert_uint_eq(r.change_time, 0x01D0000000000004ull);
        ck_assert_uint_eq(r.allocation_size, 4096);
        ck_assert_uint_eq(r.end_of_file, 0x123);
        ck_assert_uint_eq(r.file_attributes, FILE_ATTRIBUTE_ARCHIVE);
        ck_assert_uint_eq(r.file_id.persistent, TEST_FID.persistent);
        ck_assert_uint_eq(r.file_id.volatile_, TEST_FID.volatile_);
        ck_assert_ptr_eq(r.contexts, m + 152);
        ck_assert_uint_eq(r.contexts_len, 64);
        ck_assert(r.has_mxac);
        ck_assert_uint_eq(r.mxac_status, 0);
        ck_assert_uint_eq(r.maximal_access, 0x001F01FF);
        ck_assert(r.has_dh2q);
        ck_assert_uint_eq(r.dh2q_timeout, 60000);
        ck_assert_uint_eq(r.dh2q_flags, 0);

        smb2_create_ctx_iter_init(&it, r.contexts, r.contexts_len);
        ck_assert_int_eq(smb2_create_ctx_next(&it, &c), 1);
        ck_assert_int_eq(memcmp(c.name, "MxAc", 4), 0);
        ck_assert_ptr_eq(c.data, m + 176);
        ck_assert_int_eq(smb2_create_ctx_next(&it, &c), 1);
        ck_assert_int_eq(memcmp(c.name, "DH2Q", 4), 0);
        ck_assert_uint_eq(c.data_len, 8);
        ck_assert_int_eq(smb2_create_ctx_next(&it, &c), 0);
        ck_assert_int_eq(smb2_create_ctx_next(&it, &c), 0);

        check_truncations(dec_create, m, n);
}
END_TEST

START_TEST(create_rsp_no_contexts)
{
        uint8_t m[300];
        size_t n = create_rsp(m, sizeof(m));
        struct smb2_create_rsp r;

        put_le(m, 144, 0, 4);
        put_le(m, 148, 0, 4);
        ck_assert_int_eq(dec_exact(dec_create, m, 152), 0);
        ck_assert_int_eq(smb2_create_rsp_decode(m, n, &r), 0);
        ck_assert_ptr_null(r.contexts);
        ck_assert(!r.has_dh2q);
        ck_assert_int_eq(dec_exact(dec_create, m, 151), -EBADMSG);
}
END_TEST

START_TEST(create_rsp_malformed)
{
        uint8_t m[300];
        size_t n;
        struct {
                size_t off;
                uint64_t v;
                int width;
                int want;
        } cases[] = {
                { 64, 88, 2, -EPROTO },            /* StructureSize */
                { 144, 0x90, 4, -EBADMSG },        /* contexts inside the fixed part */
                { 144, 0x99, 4, -EBADMSG },        /* 153 + 64 > 216 */
                { 144, 0xFFFFFFF8u, 4, -EBADMSG },
                { 148, 65, 4, -EBADMSG },
                { 148, 0xFFFFFFFFu, 4, -EBADMSG },
                { 148, 8, 4, -EBADMSG },           /* chain cut: first context header short */
                { 148, 40, 4, -EBADMSG },          /* Next 32 leaves 8 bytes: short header */
                { 152, 0x21, 4, -EBADMSG },        /* Next misaligned */
                { 152, 0x08, 4, -EBADMSG },        /* Next inside the context header */
                { 152, 0x40, 4, -EBADMSG },        /* Next == length: nothing follows */
                { 152, 0xFFFFFFF8u, 4, -EBADMSG },
                { 156, 0x0F, 2, -EBADMSG },        /* NameOffset inside the header */
                { 156, 0x1E, 2, -EBADMSG },        /* name runs past the context */
                { 156, 0xFFFF, 2, -EBADMSG },
                { 158, 0, 2, -EBADMSG },           /* empty name */
                { 158, 0xFFFF, 2, -EBADMSG },
                { 162, 0x0C, 2, -EBADMSG },        /* DataOffset inside the header */
                { 162, 0x19, 2, -EBADMSG },        /* data runs past Next */
                { 164, 9, 4, -EBADMSG },
                { 164, 0xFFFFFFFFu, 4, -EBADMSG },
                { 196, 4, 4, -EBADMSG },           /* DH2Q response data too short */
                { 196, 9, 4, -EBADMSG },           /* last context data past the end */
                { 164, 4, 4, -EBADMSG },           /* MxAc data too short */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                n = create_rsp(m, sizeof(m));
                put_le(m, cases[i].off, cases[i].v, cases[i].width);
                int rc = dec_exact(dec_create, m, n);
                ck_assert_msg(rc == cases[i].want, "case %zu: got %d want %d", i, rc,
                              cases[i].want);
        }
}
END_TEST

START_TEST(close_req_rsp)
{
        uint8_t buf[64], m[160];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_close_req req = { .flags = SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB,
                                      .file_id = TEST_FID };
        struct smb2_close_rsp r;

        ck_assert_int_eq(smb2_close_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos, "18 00 01 00 00 00 00 00" FID_HEX);

        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("06", ST_OK)
                         "3C 00"          /* StructureSize 60 */
                         "01 00"          /* Flags POSTQUERY_ATTRIB */
                         "00 00 00 00"
                         "01 00 00 00 00 00 D0 01"
                         "02 00 00 00 00 00 D0 01"
                         "03 00 00 00 00 00 D0 01"
                         "04 00 00 00 00 00 D0 01"
                         "00 20 00 00 00 00 00 00"
                         "FF 1F 00 00 00 00 00 00"
                         "10 00 00 00");
        ck_assert_int_eq(smb2_close_rsp_decode(m, n, &r), 0);
        ck_assert_uint_eq(r.flags, 1);
        ck_assert_uint_eq(r.last_write_time, 0x01D0000000000003ull);
        ck_assert_uint_eq(r.allocation_size, 0x2000);
        ck_assert_uint_eq(r.end_of_file, 0x1FFF);
        ck_assert_uint_eq(r.file_attributes, FILE_ATTRIBUTE_DIRECTORY);
        m[64] = 0x3D;
        ck_assert_int_eq(smb2_close_rsp_decode(m, n, &r), -EPROTO);
        m[64] = 0x3C;
        ck_assert_int_eq(smb2_close_rsp_decode(m, n - 1, &r), -EBADMSG);
}
END_TEST

static Suite *create_suite(void)
{
        Suite *s = suite_create("smb2-create");
        TCase *tc = tcase_create("create");
        tcase_add_test(tc, create_req_plain);
        tcase_add_test(tc, create_req_root_no_name);
        tcase_add_test(tc, create_req_dh2q);
        tcase_add_test(tc, create_req_dh2q_plus_mxac);
        tcase_add_test(tc, create_req_dh2c);
        tcase_add_test(tc, create_req_invalid);
        tcase_add_test(tc, create_rsp_ok);
        tcase_add_test(tc, create_rsp_no_contexts);
        tcase_add_test(tc, create_rsp_malformed);
        tcase_add_test(tc, close_req_rsp);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(create_suite());
}
