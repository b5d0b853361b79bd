/* SPDX-License-Identifier: MIT */
/*
 * Tests of plugins/smb/spnego.c.  The tokens are the security buffers of
 * the Windows 10 / Windows Server 2016 exchange published in the Microsoft
 * blog post "SMB 3.1.1 Encryption in Windows 10" (2015-09-09), Appendix A.1
 * (the packet strings are also checked byte for byte by the pre-auth hash
 * chain in test-crypto); plus malformed DER of every kind.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/smb/spnego.h"
#include "tests/smb/enc311-packets.h"
#include "tests/smb/smb2-testutil.h"

/* Final SESSION_SETUP response: NegTokenResp at 0x48, 0x1D bytes. */
#define SS_FINAL                                                                         \
        "FE534D4240000100000000000100800009000000000000000200000000000000FFFE000000000000" \
        "25000000001000006B85A4519A0F3EEA35BA946DD3AFE6B80900000048001D00A11B3019A0030A01" \
        "00A3120410010000003932A87523AB660100000000"

/* Copy `len` bytes at `off` of a packet into an exactly sized buffer. */
static uint8_t *slice(const char *packet_hex, size_t off, size_t len)
{
        size_t n;
        uint8_t *p = unhex_alloc(packet_hex, &n), *t = malloc(len ? len : 1);

        ck_assert_uint_le(off + len, n);
        memcpy(t, p + off, len);
        free(p);
        return t;
}

#define NEG_INIT2() slice(ENC311_NEG_RSP, 0x80, 0x140)
#define CLI_INIT() slice(ENC311_SS_REQ1, 0x58, 0x4A)
#define SRV_RESP1() slice(ENC311_SS_RSP1, 0x48, 0xB3)
#define CLI_RESP() slice(ENC311_SS_REQ2, 0x58, 0x1CF)
#define SRV_FINAL() slice(SS_FINAL, 0x48, 0x1D)

START_TEST(mech_list_der)
{
        static const uint8_t want[] = { 0x30, 0x0C, 0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01,
                                        0x82, 0x37, 0x02, 0x02, 0x0A };
        ck_assert_mem_eq(SPNEGO_NTLM_MECH_LIST, want, sizeof(want));
}
END_TEST

START_TEST(parse_windows_neg_token_init2)
{
        uint8_t *b = NEG_INIT2();
        struct spnego_init in;

        ck_assert_int_eq(spnego_parse_init(b, 0x140, &in), 0);
        ck_assert_uint_eq(in.mech_count, 2);            /* NEGOEX, NTLMSSP */
        ck_assert_int_eq(in.ntlmssp_offered, 1);
        ck_assert_int_eq(in.ntlmssp_preferred, 0);
        ck_assert_uint_eq(in.mech_token_len, 0x108);
        ck_assert_mem_eq(in.mech_token, "NEGOEXTS", 8);
        free(b);
}
END_TEST

START_TEST(build_matches_windows_init)
{
        uint8_t *want = CLI_INIT(), *out;
        size_t n;

        /* Its mechToken is the 40-byte NTLM NEGOTIATE at offset 34. */
        ck_assert_int_eq(spnego_build_init(want + 34, 40, &out, &n), 0);
        ck_assert_uint_eq(n, 0x4A);
        ck_assert_mem_eq(out, want, n);

        struct spnego_init in;
        ck_assert_int_eq(spnego_parse_init(out, n, &in), 0);
        ck_assert_uint_eq(in.mech_count, 1);
        ck_assert_int_eq(in.ntlmssp_preferred, 1);
        ck_assert_ptr_eq(in.mech_token, out + 34);
        ck_assert_uint_eq(in.mech_token_len, 40);
        free(out);
        free(want);
}
END_TEST

START_TEST(parse_windows_resp)
{
        uint8_t *b = SRV_RESP1();
        struct spnego_resp r;

        ck_assert_int_eq(spnego_parse_resp(b, 0xB3, &r), 0);
        ck_assert_int_eq(r.neg_state, SPNEGO_ACCEPT_INCOMPLETE);
        ck_assert_int_eq(r.has_supported_mech, 1);
        ck_assert_int_eq(r.supported_mech_ntlmssp, 1);
        ck_assert_uint_eq(r.response_token_len, 0x94);
        ck_assert_ptr_eq(r.response_token, b + 31);
        ck_assert_ptr_null(r.mech_list_mic);
        free(b);

        b = SRV_FINAL();
        ck_assert_int_eq(spnego_parse_resp(b, 0x1D, &r), 0);
        ck_assert_int_eq(r.neg_state, SPNEGO_ACCEPT_COMPLETED);
        ck_assert_int_eq(r.has_supported_mech, 0);
        ck_assert_ptr_null(r.response_token);
        ck_assert_uint_eq(r.mech_list_mic_len, 16);
        ck_assert_mem_eq(r.mech_list_mic, b + 13, 16);
        free(b);
}
END_TEST

START_TEST(build_matches_windows_resp)
{
        uint8_t *want = CLI_RESP(), *out;
        size_t n;
        struct spnego_resp r;

        /* negState accept-incomplete, the 0x1A6-byte AUTHENTICATE at 21 and
         * the 16-byte mechListMIC at the end, as the Windows client sent. */
        ck_assert_int_eq(spnego_build_resp(SPNEGO_ACCEPT_INCOMPLETE, want + 21, 0x1A6,
                                           want + 0x1CF - 16, 16, &out, &n), 0);
        ck_assert_uint_eq(n, 0x1CF);
        ck_assert_mem_eq(out, want, n);
        ck_assert_int_eq(spnego_parse_resp(out, n, &r), 0);
        ck_assert_int_eq(r.neg_state, 1);
        ck_assert_uint_eq(r.response_token_len, 0x1A6);
        ck_assert_uint_eq(r.mech_list_mic_len, 16);
        free(out);

        /* Field omission and the other length forms. */
        ck_assert_int_eq(spnego_build_resp(-1, NULL, 0, NULL, 0, &out, &n), 0);
        ck_assert_uint_eq(n, 4);
        ck_assert_mem_eq(out, "\xA1\x02\x30\x00", 4);
        ck_assert_int_eq(spnego_parse_resp(out, n, &r), 0);
        ck_assert_int_eq(r.neg_state, -1);
        free(out);
        uint8_t *big = calloc(1, 70000);
        ck_assert_int_eq(spnego_build_resp(-1, big, 70000, NULL, 0, &out, &n), 0);
        ck_assert_int_eq(spnego_parse_resp(out, n, &r), 0);
        ck_assert_uint_eq(r.response_token_len, 70000);
        free(out);
        ck_assert_int_eq(spnego_build_resp(-1, big, 200, NULL, 0, &out, &n), 0);
        ck_assert_int_eq(spnego_parse_resp(out, n, &r), 0);
        ck_assert_uint_eq(r.response_token_len, 200);
        free(out);
        ck_assert_int_eq(spnego_build_resp(4, NULL, 0, NULL, 0, &out, &n), -EINVAL);
        ck_assert_int_eq(spnego_build_resp(1, NULL, 3, NULL, 0, &out, &n), -EINVAL);
        free(big);
        free(want);
}
END_TEST

/* ------------------------------------------------------- hostile input */

typedef int (*parse_fn)(const uint8_t *, size_t);

static int p_init(const uint8_t *b, size_t n)
{
        struct spnego_init in;
        int ret = spnego_parse_init(b, n, &in);
        if (ret == 0 && in.mech_token)
                ck_assert(in.mech_token >= b && in.mech_token + in.mech_token_len <= b + n);
        return ret;
}

static int p_resp(const uint8_t *b, size_t n)
{
        struct spnego_resp r;
        int ret = spnego_parse_resp(b, n, &r);
        if (ret == 0 && r.response_token)
                ck_assert(r.response_token >= b &&
                          r.response_token + r.response_token_len <= b + n);
        if (ret == 0 && r.mech_list_mic)
                ck_assert(r.mech_list_mic >= b && r.mech_list_mic + r.mech_list_mic_len <= b + n);
        return ret;
}

/* Every strict prefix of a valid token is rejected, reading only `len`
 * bytes (exact-size copies under ASan). */
static void all_prefixes_fail(uint8_t *tok, size_t n, parse_fn fn)
{
        for (size_t len = 0; len < n; len++) {
                uint8_t *c = malloc(len ? len : 1);
                memcpy(c, tok, len);
                ck_assert_int_lt(fn(c, len), 0);
                free(c);
        }
        ck_assert_int_eq(fn(tok, n), 0);
}

START_TEST(truncated_tokens)
{
        uint8_t *b;

        b = NEG_INIT2();
        all_prefixes_fail(b, 0x140, p_init);
        free(b);
        b = CLI_INIT();
        all_prefixes_fail(b, 0x4A, p_init);
        free(b);
        b = SRV_RESP1();
        all_prefixes_fail(b, 0xB3, p_resp);
        free(b);
        b = CLI_RESP();
        all_prefixes_fail(b, 0x1CF, p_resp);
        free(b);
        b = SRV_FINAL();
        all_prefixes_fail(b, 0x1D, p_resp);
        free(b);
}
END_TEST

static int try_hex(parse_fn fn, const char *hex)
{
        size_t n;
        uint8_t *b = unhex_alloc(hex, &n);
        int ret = fn(b, n);
        free(b);
        return ret;
}

START_TEST(malformed_der)
{
        struct spnego_resp r;
        struct spnego_init in;

        ck_assert_int_eq(spnego_parse_resp(NULL, 0, &r), -ENODATA);
        ck_assert_int_eq(spnego_parse_init((const uint8_t *)"", 0, &in), -ENODATA);
        ck_assert_int_eq(spnego_parse_resp(NULL, 3, &r), -EINVAL);
        /* Reference: minimal valid NegTokenResp { negState completed }. */
        ck_assert_int_eq(try_hex(p_resp, "A1073005A0030A0100"), 0);
        /* Indefinite length, 5 length octets, length beyond buffer. */
        ck_assert_int_eq(try_hex(p_resp, "A180 3005A0030A0100 0000"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A185000000000730 05A0030A0100"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A184FFFFFFFF3005A0030A0100"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A1083005A0030A0100"), -EBADMSG);
        /* Inner element longer than its parent. */
        ck_assert_int_eq(try_hex(p_resp, "A1073006A0030A0100"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A1073005A0040A0100"), -EBADMSG);
        /* Trailing garbage, outside and inside. */
        ck_assert_int_eq(try_hex(p_resp, "A1073005A0030A010000"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A1083006A0040A010000"), -EBADMSG);
        /* negState: out of range, wrong length, wrong type. */
        ck_assert_int_eq(try_hex(p_resp, "A1073005A0030A0104"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A1083006A0040A020001"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A1063004A0020A00"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A1073005A003020100"), -EBADMSG);
        /* Out of order / duplicate context tags, non-context tag. */
        ck_assert_int_eq(try_hex(p_resp, "A10C300AA2030401AAA0030A0100"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A10C300AA0030A0100A0030A0100"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A1073005300 30A0100"), -EBADMSG);
        /* High tag number form, wrong outer tag, supportedMech empty OID. */
        ck_assert_int_eq(try_hex(p_resp, "BF01073005A0030A0100"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A0073005A0030A0100"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_resp, "A1063004A1020600"), -EBADMSG);
        /* Unknown higher context tags are skipped. */
        ck_assert_int_eq(try_hex(p_resp, "A10C300AA0030A0101A5030401FF"), 0);

        /* NegTokenInit: wrong mechanism OID, missing [0], empty OID in the list,
         * non-OID in the list, trailing data after the token. */
        ck_assert_int_eq(try_hex(p_init, "601006062B0601050503A0063004A0023000"),
                         -EPROTONOSUPPORT);
        ck_assert_int_eq(try_hex(p_init, "601006062B0601050502A0063004A0023000"), 0);
        ck_assert_int_eq(try_hex(p_init, "601006062B0601050502A1063004A0023000"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_init, "601206062B0601050502A0083006A00430020600"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_init, "601306062B0601050502A0093007A00530030401AA"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_init, "601006062B0601050502A0063004A002300000"), -EBADMSG);
        ck_assert_int_eq(try_hex(p_init, "600806062B0601050502"), -EBADMSG);
        /* mechToken that is not an OCTET STRING. */
        ck_assert_int_eq(try_hex(p_init, "601506062B0601050502A00B3009A0023000A2030201AA"),
                         -EBADMSG);
}
END_TEST

START_TEST(fuzz_tokens)
{
        uint8_t *toks[5] = { NEG_INIT2(), CLI_INIT(), SRV_RESP1(), CLI_RESP(), SRV_FINAL() };
        size_t lens[5] = { 0x140, 0x4A, 0xB3, 0x1CF, 0x1D };
        parse_fn fns[5] = { p_init, p_init, p_resp, p_resp, p_resp };
        uint32_t x = 88172645u;

        for (int t = 0; t < 5; t++) {
                uint8_t *m = malloc(lens[t]);
                for (int it = 0; it < 4000; it++) {
                        memcpy(m, toks[t], lens[t]);
                        for (int k = 0; k < 1 + it % 3; k++) {
                                x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                                /* Bias towards the DER headers at the front. */
                                size_t head = lens[t] < 40 ? lens[t] : 40;
                                size_t pos = it & 1 ? x % lens[t] : x % head;
                                m[pos] = (uint8_t)(x >> 11);
                        }
                        (void)fns[t](m, lens[t]);
                        (void)fns[(t + 2) % 5](m, lens[t]);
                }
                free(m);
                free(toks[t]);
        }
}
END_TEST

static Suite *spnego_suite(void)
{
        Suite *s = suite_create("smb-spnego");
        TCase *t = tcase_create("windows");

        tcase_add_test(t, mech_list_der);
        tcase_add_test(t, parse_windows_neg_token_init2);
        tcase_add_test(t, build_matches_windows_init);
        tcase_add_test(t, parse_windows_resp);
        tcase_add_test(t, build_matches_windows_resp);
        suite_add_tcase(s, t);

        t = tcase_create("hostile");
        tcase_add_test(t, truncated_tokens);
        tcase_add_test(t, malformed_der);
        tcase_add_test(t, fuzz_tokens);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        return check_run_suite(spnego_suite());
}
