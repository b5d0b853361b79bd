/* SPDX-License-Identifier: MIT */
/* NEGOTIATE request encoding and response decoding (MS-SMB2 2.2.3, 2.2.4). */
#include <errno.h>

#include "plugins/smb/smb2_negotiate.h"
#include "tests/smb/smb2-testutil.h"

static const uint16_t all_dialects[] = { 0x0202, 0x0210, 0x0300, 0x0302, 0x0311 };
static const uint16_t ciphers[] = { SMB2_ENCRYPTION_AES128_GCM, SMB2_ENCRYPTION_AES128_CCM,
                                    SMB2_ENCRYPTION_AES256_GCM, SMB2_ENCRYPTION_AES256_CCM };
static const uint16_t signing[] = { SMB2_SIGNING_AES_GMAC, SMB2_SIGNING_AES_CMAC,
                                    SMB2_SIGNING_HMAC_SHA256 };
static uint8_t salt[32];

static struct smb2_negotiate_req offer(void)
{
        struct smb2_negotiate_req req = {
                .security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED,
                .capabilities = 0x7F,
                .dialects = all_dialects, .dialect_count = 5,
                .salt = salt, .salt_len = 32,
                .ciphers = ciphers, .cipher_count = 4,
                .signing_algs = signing, .signing_alg_count = 3,
        };
        for (int i = 0; i < 16; i++)
                req.client_guid[i] = (uint8_t)i;
        for (int i = 0; i < 32; i++)
                salt[i] = (uint8_t)(0xA0 + i);
        return req;
}

#define SALT_A0                                                                \
        "A0 A1 A2 A3 A4 A5 A6 A7 A8 A9 AA AB AC AD AE AF"                      \
        "B0 B1 B2 B3 B4 B5 B6 B7 B8 B9 BA BB BC BD BE BF"

START_TEST(req_311)
{
        uint8_t buf[512];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        struct smb2_negotiate_req req = offer();

        /* the body follows a 64-byte header in a real request */
        wire_put_zeros(&w, 64);
        ck_assert_int_eq(smb2_negotiate_req_encode(&w, &req), 0);
        check_bytes(buf + 64, w.pos - 64,
                    /* 64 */ "24 00"                  /* StructureSize 36 */
                    /* 66 */ "05 00"                  /* DialectCount */
                    /* 68 */ "01 00"                  /* SecurityMode */
                    /* 70 */ "00 00"                  /* Reserved */
                    /* 72 */ "7F 00 00 00"            /* Capabilities */
                    /* 76 */ "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F"
                    /* 92 */ "70 00 00 00"            /* NegotiateContextOffset 112 */
                    /* 96 */ "03 00"                  /* NegotiateContextCount */
                    /* 98 */ "00 00"                  /* Reserved2 */
                    /* 100 */ "02 02 10 02 00 03 02 03 11 03"
                    /* 110 */ "00 00"                 /* pad to 8 */
                    /* 112 */ "01 00"                 /* PREAUTH_INTEGRITY_CAPABILITIES */
                              "26 00"                 /* DataLength 38 */
                              "00 00 00 00"
                              "01 00"                 /* HashAlgorithmCount */
                              "20 00"                 /* SaltLength */
                              "01 00"                 /* SHA-512 */
                              SALT_A0
                    /* 158 */ "00 00"
                    /* 160 */ "02 00"                 /* ENCRYPTION_CAPABILITIES */
                              "0A 00"                 /* DataLength 10 */
                              "00 00 00 00"
                              "04 00"                 /* CipherCount */
                              "02 00 01 00 04 00 03 00"
                    /* 178 */ "00 00 00 00 00 00"
                    /* 184 */ "08 00"                 /* SIGNING_CAPABILITIES */
                              "08 00"                 /* DataLength 8 */
                              "00 00 00 00"
                              "03 00"                 /* SigningAlgorithmCount */
                              "02 00 01 00 00 00");
}
END_TEST

START_TEST(req_311_netname_only_preauth)
{
        uint8_t buf[256], name[16];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        static const uint16_t d[] = { 0x0311 };
        struct smb2_negotiate_req req = {
                .dialects = d, .dialect_count = 1, .netname = name,
                .netname_len = (uint16_t)u16(name, "srv"),
        };

        wire_put_zeros(&w, 64);
        ck_assert_int_eq(smb2_negotiate_req_encode(&w, &req), 0);
        check_bytes(buf + 64, w.pos - 64,
                    "24 00 01 00 00 00 00 00 00 00 00 00"
                    "00000000 00000000 00000000 00000000"
                    "68 00 00 00"                     /* contexts at 104 */
                    "02 00 00 00"
                    "11 03"                           /* 100 */
                    "00 00"                           /* 102: pad to 104 */
                    "01 00 06 00 00 00 00 00"         /* PREAUTH, 6 bytes of data */
                    "01 00 00 00 01 00"               /* 1 hash, no salt, SHA-512 */
                    "00 00"                           /* 118: pad to 120 */
                    "05 00 06 00 00 00 00 00"         /* NETNAME, 6 bytes */
                    "73 00 72 00 76 00");
}
END_TEST

START_TEST(req_legacy)
{
        uint8_t buf[128];
        struct wire_wr w = wire_wr_init(buf, sizeof(buf));
        static const uint16_t d[] = { 0x0202, 0x0210 };
        struct smb2_negotiate_req req = {
                .security_mode = SMB2_NEGOTIATE_SIGNING_REQUIRED,
                .dialects = d, .dialect_count = 2,
                .ciphers = ciphers, .cipher_count = 4,   /* ignored below 3.1.1 */
        };

        ck_assert_int_eq(smb2_negotiate_req_encode(&w, &req), 0);
        check_bytes(buf, w.pos,
                    "24 00 02 00 02 00 00 00 00 00 00 00"
                    "00000000 00000000 00000000 00000000"
                    "00 00 00 00 00 00 00 00"         /* ClientStartTime */
                    "02 02 10 02");

        w = wire_wr_init(buf, sizeof(buf));
        req.dialect_count = 0;
        ck_assert_int_eq(smb2_negotiate_req_encode(&w, &req), -EINVAL);
        w = wire_wr_init(buf, 39);
        req.dialect_count = 2;
        ck_assert_int_eq(smb2_negotiate_req_encode(&w, &req), -ENOBUFS);
}
END_TEST

/* Hand-made 3.1.1 response: SPNEGO hint + PREAUTH + ENCRYPTION + SIGNING. */
static size_t rsp_311(uint8_t *m, size_t cap)
{
        return unhex(m, cap, RSP_HDR_HEX("00", ST_OK)
                     /* 64 */ "41 00"                 /* StructureSize 65 */
                     /* 66 */ "01 00"                 /* SecurityMode */
                     /* 68 */ "11 03"                 /* DialectRevision */
                     /* 70 */ "03 00"                 /* NegotiateContextCount */
                     /* 72 */ "10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F"
                     /* 88 */ "46 00 00 00"           /* Capabilities */
                     /* 92 */ "00 00 80 00"           /* MaxTransactSize 8 MiB */
                     /* 96 */ "00 00 10 00"           /* MaxReadSize 1 MiB */
                     /* 100 */ "00 00 02 00"          /* MaxWriteSize 128 KiB */
                     /* 104 */ "00 00 00 00 00 00 D9 01" /* SystemTime */
                     /* 112 */ "00 00 00 00 00 00 00 00" /* ServerStartTime */
                     /* 120 */ "80 00"                /* SecurityBufferOffset 128 */
                     /* 122 */ "0A 00"                /* SecurityBufferLength 10 */
                     /* 124 */ "90 00 00 00"          /* NegotiateContextOffset 144 */
                     /* 128 */ "60 08 06 06 2B 06 01 05 05 02"
                     /* 138 */ "00 00 00 00 00 00"
                     /* 144 */ "01 00 26 00 00 00 00 00"
                               "01 00 20 00 01 00"
                               "C0 C1 C2 C3 C4 C5 C6 C7 C8 C9 CA CB CC CD CE CF"
                               "D0 D1 D2 D3 D4 D5 D6 D7 D8 D9 DA DB DC DD DE DF"
                     /* 190 */ "00 00"
                     /* 192 */ "02 00 04 00 00 00 00 00"
                               "01 00 02 00"           /* AES-128-GCM */
                     /* 204 */ "00 00 00 00"
                     /* 208 */ "08 00 04 00 00 00 00 00"
                               "01 00 02 00");         /* AES-GMAC */
}

static int dec_neg(const uint8_t *m, size_t n)
{
        struct smb2_negotiate_req req = offer();
        struct smb2_negotiate_rsp r;
        return smb2_negotiate_rsp_decode(m, n, &req, &r);
}

START_TEST(rsp_311_ok)
{
        uint8_t m[512];
        size_t n = rsp_311(m, sizeof(m));
        struct smb2_negotiate_req req = offer();
        struct smb2_negotiate_rsp r;

        ck_assert_uint_eq(n, 220);
        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, n, &req, &r), 0);
        ck_assert_uint_eq(r.dialect, SMB2_DIALECT_311);
        ck_assert_uint_eq(r.security_mode, SMB2_NEGOTIATE_SIGNING_ENABLED);
        ck_assert_uint_eq(r.server_guid[0], 0x10);
        ck_assert_uint_eq(r.server_guid[15], 0x1F);
        ck_assert_uint_eq(r.capabilities, 0x46);
        ck_assert_uint_eq(r.max_transact_size, 8u << 20);
        ck_assert_uint_eq(r.max_read_size, 1u << 20);
        ck_assert_uint_eq(r.max_write_size, 128u << 10);
        ck_assert_uint_eq(r.system_time, 0x01D9000000000000ull);
        ck_assert_ptr_eq(r.security_buffer, m + 128);
        ck_assert_uint_eq(r.security_buffer_len, 10);
        ck_assert_uint_eq(r.context_count, 3);
        ck_assert(r.has_preauth);
        ck_assert_uint_eq(r.hash_alg, SMB2_PREAUTH_INTEGRITY_SHA512);
        ck_assert_ptr_eq(r.preauth_salt, m + 158);
        ck_assert_uint_eq(r.preauth_salt_len, 32);
        ck_assert(r.has_encryption);
        ck_assert_uint_eq(r.cipher, SMB2_ENCRYPTION_AES128_GCM);
        ck_assert(r.has_signing);
        ck_assert_uint_eq(r.signing_alg, SMB2_SIGNING_AES_GMAC);
        check_truncations(dec_neg, m, n);

        /* offered is mandatory */
        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, n, NULL, &r), -EINVAL);
}
END_TEST

START_TEST(rsp_311_no_common_cipher_no_signing_ctx)
{
        uint8_t m[512];
        struct smb2_negotiate_req req = offer();
        struct smb2_negotiate_rsp r;

        ck_assert_uint_eq(rsp_311(m, sizeof(m)), 220);
        put_le(m, 202, 0, 2);           /* Cipher 0: none in common */
        put_le(m, 70, 2, 2);            /* drop the SIGNING context */
        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, 204, &req, &r), 0);
        ck_assert(r.has_encryption);
        ck_assert_uint_eq(r.cipher, 0);
        ck_assert(!r.has_signing);
        ck_assert_uint_eq(r.signing_alg, SMB2_SIGNING_AES_CMAC);
}
END_TEST

START_TEST(rsp_311_not_offered)
{
        uint8_t m[512];
        size_t n;
        struct smb2_negotiate_req req = offer();
        struct smb2_negotiate_rsp r;
        static const uint16_t old[] = { 0x0202, 0x0210, 0x0300 };

        n = rsp_311(m, sizeof(m));
        req.dialects = old;
        req.dialect_count = 3;
        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, n, &req, &r), -EPROTO);

        req = offer();
        req.cipher_count = 1;           /* AES-128-GCM only */
        put_le(m, 202, SMB2_ENCRYPTION_AES128_CCM, 2);
        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, n, &req, &r), -EPROTO);
        req.cipher_count = 0;           /* no ENCRYPTION context sent at all */
        put_le(m, 202, SMB2_ENCRYPTION_AES128_GCM, 2);
        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, n, &req, &r), -EPROTO);

        req = offer();
        req.signing_alg_count = 2;      /* GMAC, CMAC */
        put_le(m, 218, SMB2_SIGNING_HMAC_SHA256, 2);
        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, n, &req, &r), -EPROTO);
        req.signing_alg_count = 0;
        put_le(m, 218, SMB2_SIGNING_AES_GMAC, 2);
        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, n, &req, &r), -EPROTO);

        req = offer();
        put_le(m, 156, 0x0002, 2);      /* unknown hash */
        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, n, &req, &r), -EPROTO);

        n = rsp_311(m, sizeof(m));
        put_le(m, 68, SMB2_DIALECT_WILDCARD, 2);
        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, n, &req, &r), -EPROTO);
}
END_TEST

START_TEST(rsp_311_malformed)
{
        uint8_t m[512];
        size_t n = rsp_311(m, sizeof(m));
        struct {
                size_t off;
                uint64_t v;
                int width;
                int want;
        } cases[] = {
                { 64, 64, 2, -EPROTO },            /* StructureSize */
                { 122, 0xFFFF, 2, -EBADMSG },      /* security buffer past the end */
                { 120, 0x40, 2, -EBADMSG },        /* inside the header */
                { 120, 0x7F, 2, -EBADMSG },        /* inside the fixed body */
                { 120, 0xD8, 2, -EBADMSG },        /* 216 + 10 > 220 */
                { 124, 0x91, 4, -EBADMSG },        /* misaligned context list */
                { 124, 0x78, 4, -EBADMSG },        /* inside the fixed body */
                { 124, 0xE0, 4, -EBADMSG },        /* past the end */
                { 124, 0xFFFFFFF8u, 4, -EBADMSG }, /* would wrap */
                { 70, 4, 2, -EBADMSG },            /* one context more than present */
                { 70, 0, 2, -EBADMSG },            /* 3.1.1 without contexts */
                { 70, 0xFFFF, 2, -EBADMSG },
                { 146, 37, 2, -EBADMSG },          /* PREAUTH data too short for the salt */
                { 146, 0xFFFF, 2, -EBADMSG },
                { 152, 2, 2, -EBADMSG },           /* HashAlgorithmCount 2 */
                { 154, 0x21, 2, -EBADMSG },        /* salt longer than the context */
                { 194, 3, 2, -EBADMSG },           /* ENCRYPTION data of 3 bytes */
                { 200, 2, 2, -EBADMSG },           /* CipherCount 2 */
                { 210, 5, 2, -EBADMSG },           /* last context past the end */
                { 216, 0, 2, -EBADMSG },           /* SigningAlgorithmCount 0 */
                { 192, 1, 2, -EBADMSG },           /* second PREAUTH */
                { 208, 2, 2, -EBADMSG },           /* second ENCRYPTION */
                { 144, 0x99, 2, -EBADMSG },        /* no PREAUTH (unknown type skipped) */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                n = rsp_311(m, sizeof(m));
                put_le(m, cases[i].off, cases[i].v, cases[i].width);
                int rc = dec_exact(dec_neg, m, n);
                ck_assert_msg(rc == cases[i].want, "case %zu: got %d want %d", i, rc,
                              cases[i].want);
        }
}
END_TEST

START_TEST(rsp_unknown_context_skipped)
{
        uint8_t m[512];
        size_t n = rsp_311(m, sizeof(m));
        put_le(m, 208, 0x0100, 2);      /* SIGNING becomes an unknown type */
        ck_assert_int_eq(dec_exact(dec_neg, m, n), 0);
}
END_TEST

START_TEST(rsp_210)
{
        uint8_t m[256];
        struct smb2_negotiate_req req = offer();
        struct smb2_negotiate_rsp r;
        size_t n = unhex(m, sizeof(m), RSP_HDR_HEX("00", ST_OK)
                         "41 00 03 00"            /* StructureSize, signing required */
                         "10 02"                  /* 2.1 */
                         "FF FF"                  /* Reserved: ignored */
                         "10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F"
                         "07 00 00 00"
                         "00 00 01 00 00 00 01 00 00 00 01 00"
                         "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                         "80 00 00 00"            /* no security buffer */
                         "FF FF FF FF"            /* Reserved2: ignored */
                         "00");

        ck_assert_int_eq(smb2_negotiate_rsp_decode(m, n, &req, &r), 0);
        ck_assert_uint_eq(r.dialect, SMB2_DIALECT_210);
        ck_assert_uint_eq(r.security_mode, 3);
        ck_assert_ptr_null(r.security_buffer);
        ck_assert_uint_eq(r.max_read_size, 65536);
        ck_assert(!r.has_preauth);
        ck_assert_uint_eq(r.signing_alg, SMB2_SIGNING_HMAC_SHA256);
        /* the fixed part without the one buffer byte is enough */
        ck_assert_int_eq(dec_exact(dec_neg, m, n - 1), 0);
        ck_assert_int_eq(dec_exact(dec_neg, m, n - 2), -EBADMSG);
}
END_TEST

static Suite *negotiate_suite(void)
{
        Suite *s = suite_create("smb2-negotiate");
        TCase *tc = tcase_create("negotiate");
        tcase_add_test(tc, req_311);
        tcase_add_test(tc, req_311_netname_only_preauth);
        tcase_add_test(tc, req_legacy);
        tcase_add_test(tc, rsp_311_ok);
        tcase_add_test(tc, rsp_311_no_common_cipher_no_signing_ctx);
        tcase_add_test(tc, rsp_311_not_offered);
        tcase_add_test(tc, rsp_311_malformed);
        tcase_add_test(tc, rsp_unknown_context_skipped);
        tcase_add_test(tc, rsp_210);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(negotiate_suite());
}
