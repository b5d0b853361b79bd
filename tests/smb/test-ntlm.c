/* SPDX-License-Identifier: MIT */
/*
 * Tests of plugins/smb/ntlm.c and plugins/smb/utf16.c.
 * Vectors: MS-NLMP 4.2.2.1.2 (NTOWFv1), 4.2.4 (NTLMv2: NTOWFv2, LMv2,
 * NTProofStr, session base key, encrypted session key, the 4.2.4.3
 * CHALLENGE and AUTHENTICATE messages, 4.2.4.4 SEAL), and the Windows 10 /
 * Windows Server 2016 exchange published in the Microsoft blog post
 * "SMB 3.1.1 Encryption in Windows 10" (2015-09-09), Appendix A
 * (NEGOTIATE/CHALLENGE/AUTHENTICATE, NTLM MIC, SPNEGO mechListMICs, with the
 * session keys it lists).
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "plugins/smb/crypto.h"
#include "plugins/smb/ntlm.h"
#include "plugins/smb/spnego.h"
#include "plugins/smb/utf16.h"
#include "tests/smb/enc311-packets.h"
#include "tests/smb/smb2-testutil.h"

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

/* ------------------------------------------------------------- vectors */

/* MS-NLMP 4.2.4.3 CHALLENGE_MESSAGE. */
#define SPEC_CHALLENGE                                                     \
        "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef" \
        "00000000000000002400240044000000060070170000000f5300650072007600" \
        "6500720002000c0044006f006d00610069006e0001000c005300650072007600" \
        "6500720000000000"

/* MS-NLMP 4.2.4.3 AUTHENTICATE_MESSAGE. */
#define SPEC_AUTHENTICATE                                                  \
        "4e544c4d5353500003000000180018006c00000054005400840000000c000c00" \
        "480000000800080054000000100010005c00000010001000d8000000358288e2" \
        "0501280a0000000f44006f006d00610069006e00550073006500720043004f00" \
        "4d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaa" \
        "aaaaaaaa68cd0ab851e51c96aabc927bebef6a1c010100000000000000000000" \
        "00000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e00" \
        "01000c005300650072007600650072000000000000000000c5dad2544fc97990" \
        "94ce1ce90bc9d03e"

/* [ENC311] A.1 SESSION_SETUP request 1, response 1 and request 2
 * (tests/smb/enc311-packets.h) carry the Windows client's NEGOTIATE, the
 * server's CHALLENGE and the client's AUTHENTICATE. */
/* The NTLM token at `off` (past the SPNEGO headers) of a packet. */
static uint8_t *token_of(const char *packet_hex, size_t off, size_t len, size_t *out_len)
{
        size_t n;
        uint8_t *p = unhex_alloc(packet_hex, &n), *t = malloc(len);

        ck_assert_uint_le(off + len, n);
        memcpy(t, p + off, len);
        ck_assert_mem_eq(t, "NTLMSSP", 8);
        free(p);
        *out_len = len;
        return t;
}

#define WIN_NEGOTIATE \
        "4E544C4D5353500001000000978208E200000000000000000000000000000000060380250000000F"
static uint8_t *win_negotiate(size_t *n) { return token_of(ENC311_SS_REQ1, 88 + 34, 40, n); }
static uint8_t *win_challenge(size_t *n) { return token_of(ENC311_SS_RSP1, 72 + 31, 148, n); }
static uint8_t *win_authenticate(size_t *n) { return token_of(ENC311_SS_REQ2, 88 + 21, 422, n); }
#define WIN_SESSION_KEY "419FDDF34C1E001909D362AE7FB6AF79"

/* -------------------------------------------------------------- UTF-16 */

START_TEST(utf16_roundtrip)
{
        /* "aé€𝄞" : 1-, 2-, 3- and 4-byte UTF-8; the last is a surrogate pair. */
        const char s[] = "a\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E";
        uint8_t u[16];
        char back[16];
        size_t n, m;

        ck_assert_int_eq(utf8_to_utf16le(s, strlen(s), NULL, 0, &n), 0);
        ck_assert_uint_eq(n, 10);
        ck_assert_int_eq(utf8_to_utf16le(s, strlen(s), u, sizeof(u), &n), 0);
        CHECK_HEX(u, n, "6100 E900 AC20 34D8 1EDD");
        ck_assert_int_eq(utf16le_to_utf8(u, n, back, sizeof(back), &m), 0);
        ck_assert_uint_eq(m, strlen(s));
        ck_assert_mem_eq(back, s, m);
        ck_assert_int_eq(utf8_to_utf16le(s, strlen(s), u, 9, &n), -ENOBUFS);
        ck_assert_int_eq(utf16le_to_utf8(u, 10, back, 9, &m), -ENOBUFS);
        ck_assert_int_eq(utf8_to_utf16le("", 0, u, 0, &n), 0);
        ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(utf8_invalid)
{
        static const char *const bad[] = {
                "\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF",
                "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF", "\xED\xA0\x80", "\xED\xBF\xBF",
                "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xFE", "\xE2\x82",
                "\xC3", "a\xC3(", "\xF0\x9D\x84", "\xE2\x28\xA1",
        };
        size_t n;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                ck_assert_int_eq(utf8_to_utf16le(bad[i], strlen(bad[i]), NULL, 0, &n), -EILSEQ);
        /* Boundaries that are valid. */
        ck_assert_int_eq(utf8_to_utf16le("\xF4\x8F\xBF\xBF", 4, NULL, 0, &n), 0);
        ck_assert_int_eq(utf8_to_utf16le("\xEE\x80\x80", 3, NULL, 0, &n), 0);
        ck_assert_int_eq(utf8_to_utf16le("\xC2\x80", 2, NULL, 0, &n), 0);
}
END_TEST

START_TEST(utf16_invalid)
{
        static const char *const bad[] = {
                "41",                   /* odd length */
                "00D8",                 /* lone high surrogate at the end */
                "00D84100",             /* high surrogate then a non-surrogate */
                "00DC",                 /* lone low surrogate */
                "00DC00D8",             /* reversed pair */
                "410000D800D8",         /* two highs */
        };
        size_t n;
        char out[16];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                size_t l;
                uint8_t *b = unhex_alloc(bad[i], &l);
                ck_assert_int_eq(utf16le_to_utf8(b, l, out, sizeof(out), &n), -EILSEQ);
                free(b);
        }
        ck_assert_int_eq(utf16le_to_utf8(NULL, 2, out, sizeof(out), &n), -EINVAL);
}
END_TEST

START_TEST(utf16_upper)
{
        /* ASCII, Latin-1, Latin Extended-A, Greek final sigma, Cyrillic. */
        const char s[] = "user\xC3\xA9\xC3\xBF\xC4\x81\xC5\x82\xCF\x82\xD0\xB6\xD1\x91";
        uint8_t u[64];
        size_t n;

        ck_assert_int_eq(utf8_to_utf16le_upper(s, strlen(s), u, sizeof(u), &n), 0);
        CHECK_HEX(u, n, "5500 5300 4500 5200 C900 7801 0001 4101 A303 1604 0104");
}
END_TEST

/* ------------------------------------------------------ NTLM one-way funcs */

START_TEST(nt_hash_and_ntowfv2)
{
        uint8_t pw[32], d[16];
        size_t n;

        /* MS-NLMP 4.2.2.1.2: NTOWFv1("Password") = MD4(UNICODE("Password")). */
        ck_assert_int_eq(utf8_to_utf16le("Password", 8, pw, sizeof(pw), &n), 0);
        ck_assert_int_eq(smb_md4(pw, n, d), 0);
        CHECK_HEX(d, 16, "a4f49c406510bdcab6824ee7c30fd852");
        /* MS-NLMP 4.2.4.1.1 */
        ck_assert_int_eq(ntlm_ntowfv2("User", "Domain", "Password", d), 0);
        CHECK_HEX(d, 16, "0c868a403bfd7a93a3001ef22ef02e3f");
        /* The user name is upper-cased, the domain is not. */
        uint8_t d2[16];
        ck_assert_int_eq(ntlm_ntowfv2("uSeR", "Domain", "Password", d2), 0);
        ck_assert_mem_eq(d, d2, 16);
        ck_assert_int_eq(ntlm_ntowfv2("User", "DOMAIN", "Password", d2), 0);
        ck_assert_mem_ne(d, d2, 16);
        ck_assert_int_eq(ntlm_ntowfv2("User", "Domain", "Pass\xC0\x80", d2), -EILSEQ);
}
END_TEST

/* ------------------------------------------------------------ messages */

START_TEST(parse_spec_challenge)
{
        size_t n;
        uint8_t *m = unhex_alloc(SPEC_CHALLENGE, &n);
        struct ntlm_challenge c;

        ck_assert_int_eq(ntlm_parse_challenge(m, n, &c), 0);
        ck_assert_uint_eq(c.flags, 0xe28a8233u);
        CHECK_HEX(c.server_challenge, 8, "0123456789abcdef");
        CHECK_HEX(c.target_name.p, c.target_name.len, "530065007200760065007200");
        ck_assert_uint_eq(c.target_info_len, 36);
        ck_assert_ptr_eq(c.target_info, m + 0x44);
        CHECK_HEX(c.nb_domain.p, c.nb_domain.len, "44006f006d00610069006e00");
        CHECK_HEX(c.nb_computer.p, c.nb_computer.len, "530065007200760065007200");
        ck_assert_ptr_null(c.dns_domain.p);
        ck_assert_int_eq(c.has_timestamp, 0);
        ck_assert_int_eq(c.has_av_flags, 0);
        ck_assert_int_eq(c.has_version, 1);
        CHECK_HEX(c.version, 8, "060070170000000f");
        free(m);
}
END_TEST

START_TEST(parse_windows_challenge)
{
        size_t n;
        uint8_t *m = win_challenge(&n);
        struct ntlm_challenge c;

        ck_assert_uint_eq(n, 148);
        ck_assert_int_eq(ntlm_parse_challenge(m, n, &c), 0);
        ck_assert_uint_eq(c.flags, 0xe28a8215u);
        CHECK_HEX(c.server_challenge, 8, "5FC0CB7F886E93D6");
        ck_assert_int_eq(c.has_timestamp, 1);
        ck_assert_uint_eq(c.timestamp, 0x01D0AECD6C5C8D24ull);
        CHECK_HEX(c.dns_domain.p, c.dns_domain.len, "530055005400330031003100");
        CHECK_HEX(c.dns_computer.p, c.dns_computer.len, "530055005400330031003100");
        CHECK_HEX(c.version, 8, "0A0092270000000F");
        free(m);
}
END_TEST

START_TEST(negotiate_matches_windows)
{
        static const uint8_t ver[8] = { 0x06, 0x03, 0x80, 0x25, 0, 0, 0, 0x0F };
        uint8_t buf[64];

        ck_assert_int_eq(ntlm_build_negotiate(0xE2088297u, ver, buf, sizeof(buf)), 40);
        CHECK_HEX(buf, 40, WIN_NEGOTIATE);
        ck_assert_int_eq(ntlm_build_negotiate(NTLM_DEFAULT_FLAGS, NULL, buf, 39), -ENOBUFS);
        ck_assert_int_eq(ntlm_build_negotiate(NTLM_DEFAULT_FLAGS, NULL, buf, 40), 40);
        ck_assert_uint_eq(le32(buf + 12), 0xe2888235u);
}
END_TEST

static const uint8_t spec_cc[8] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
static const uint8_t spec_rsk[16] = { 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                                      0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55 };
static const uint8_t spec_ver[8] = { 0x05, 0x01, 0x28, 0x0a, 0x00, 0x00, 0x00, 0x0f };

/* The whole MS-NLMP 4.2.4.3 AUTHENTICATE_MESSAGE, byte for byte. */
START_TEST(authenticate_spec_example)
{
        struct ntlm_creds cr = { "User", "Domain", "Password", "COMPUTER" };
        struct ntlm_auth_opts o = { .client_challenge = spec_cc, .random_session_key = spec_rsk,
                                    .use_time = 1, .time = 0, .version = spec_ver };
        struct ntlm_auth_result r;
        uint8_t neg[40], *auth;
        size_t cl, al;
        uint8_t *chal = unhex_alloc(SPEC_CHALLENGE, &cl);

        ck_assert_int_eq(ntlm_build_negotiate(NTLM_DEFAULT_FLAGS, NULL, neg, sizeof(neg)), 40);
        ck_assert_int_eq(ntlm_build_authenticate(&cr, neg, 40, chal, cl, &o, &auth, &al, &r), 0);
        CHECK_HEX(auth, al, SPEC_AUTHENTICATE);
        ck_assert_mem_eq(r.session_key, spec_rsk, 16);
        ck_assert_uint_eq(r.session_key_len, 16);
        ck_assert_uint_eq(r.flags, 0xe2888235u);
        ck_assert_int_eq(r.mic_present, 0);
        free(auth);

        /* Without KEY_EXCH the exported key is the session base key (4.2.4.1.2). */
        uint32_t no_kx = NTLM_DEFAULT_FLAGS & ~NTLMSSP_NEGOTIATE_KEY_EXCH;
        ck_assert_int_eq(ntlm_build_negotiate(no_kx, NULL, neg, sizeof(neg)), 40);
        ck_assert_int_eq(ntlm_build_authenticate(&cr, neg, 40, chal, cl, &o, &auth, &al, &r), 0);
        CHECK_HEX(r.session_key, 16, "8de40ccadbc14a82f15cb0ad0de95ca3");
        ck_assert_uint_eq(le16(auth + 52), 0);  /* no EncryptedRandomSessionKey */
        free(auth);
        free(chal);
}
END_TEST

START_TEST(gss_seal_spec_example)
{
        struct ntlm_gss g;
        uint8_t msg[18], sig[16];
        size_t n;

        ck_assert_int_eq(ntlm_gss_init(&g, spec_rsk, 0xe2888235u), 0);
        /* MS-NLMP 4.2.4.4: SIGNKEY and SEALKEY, client to server. */
        CHECK_HEX(g.sign_c2s, 16, "4788dc861b4782f35d43fd98fe1a2d39");
        ck_assert_int_eq(utf8_to_utf16le("Plaintext", 9, msg, sizeof(msg), &n), 0);
        ck_assert_int_eq(ntlm_gss_seal(&g, msg, n, sig), 0);
        CHECK_HEX(msg, 18, "54e50165bf1936dc996020c1811b0f06fb5f");
        CHECK_HEX(sig, 16, "010000007fb38ec5c55d497600000000");
        ntlm_gss_wipe(&g);
        ck_assert_int_eq(ntlm_gss_init(&g, spec_rsk, NTLMSSP_NEGOTIATE_128), -ENOTSUP);
}
END_TEST

/* NTLM MIC and SPNEGO mechListMICs of a real Windows exchange. */
START_TEST(windows_mic_and_mechlistmic)
{
        size_t nl, cl, al, kl;
        uint8_t *neg = win_negotiate(&nl), *chal = win_challenge(&cl);
        uint8_t *auth = win_authenticate(&al), *key = unhex_alloc(WIN_SESSION_KEY, &kl);
        uint8_t mic[16], sig[16];
        struct ntlm_gss g;

        ck_assert_uint_eq(al, 0x1A6);
        ck_assert_int_eq(ntlm_compute_mic(key, neg, nl, chal, cl, auth, al, mic), 0);
        CHECK_HEX(mic, 16, "A5E34268EF143BE5816251D02C564E9B");
        ck_assert_mem_eq(mic, auth + NTLM_MIC_OFF, 16);

        ck_assert_int_eq(ntlm_gss_init(&g, key, le32(auth + 60)), 0);
        ck_assert_int_eq(ntlm_gss_getmic(&g, SPNEGO_NTLM_MECH_LIST, SPNEGO_NTLM_MECH_LIST_LEN, sig),
                         0);
        CHECK_HEX(sig, 16, "0100000067890BD408F5680D00000000");
        size_t sl;
        uint8_t *srv = unhex_alloc("010000003932A87523AB660100000000", &sl);
        ck_assert_int_eq(ntlm_gss_verifymic(&g, SPNEGO_NTLM_MECH_LIST, SPNEGO_NTLM_MECH_LIST_LEN,
                                            srv, sl), 0);
        ntlm_gss_wipe(&g);
        /* A damaged server MIC is refused. */
        ck_assert_int_eq(ntlm_gss_init(&g, key, le32(auth + 60)), 0);
        srv[7] ^= 1;
        ck_assert_int_eq(ntlm_gss_verifymic(&g, SPNEGO_NTLM_MECH_LIST, SPNEGO_NTLM_MECH_LIST_LEN,
                                            srv, sl), -EBADMSG);
        ck_assert_int_eq(ntlm_gss_verifymic(&g, SPNEGO_NTLM_MECH_LIST, SPNEGO_NTLM_MECH_LIST_LEN,
                                            srv, 15), -EBADMSG);
        ntlm_gss_wipe(&g);
        free(srv);

        /* [ENC311] A.2 exchange (AES-128-CCM session), same flags. */
        free(key);
        key = unhex_alloc("07B7F69C1E2581662DF6987E88F9E891", &kl);
        ck_assert_int_eq(ntlm_gss_init(&g, key, 0xe2888215u), 0);
        ck_assert_int_eq(ntlm_gss_getmic(&g, SPNEGO_NTLM_MECH_LIST, SPNEGO_NTLM_MECH_LIST_LEN, sig),
                         0);
        CHECK_HEX(sig, 16, "010000005C661B9E6BE0F1E500000000");
        srv = unhex_alloc("010000000F57444342A2717E00000000", &sl);
        ck_assert_int_eq(ntlm_gss_verifymic(&g, SPNEGO_NTLM_MECH_LIST, SPNEGO_NTLM_MECH_LIST_LEN,
                                            srv, sl), 0);
        ntlm_gss_wipe(&g);
        free(srv);
        free(neg);
        free(chal);
        free(auth);
        free(key);
}
END_TEST

/* Our AUTHENTICATE to the Windows CHALLENGE (which has MsvAvTimestamp),
 * checked the way a server would, with independent OpenSSL calls. */
START_TEST(authenticate_with_mic_server_check)
{
        struct ntlm_creds cr = { "Administrator", "SUT311", "Passw0rd!", "DRIVER311" };
        struct ntlm_auth_opts o = { .target_spn = "cifs/SUT311" };
        struct ntlm_auth_result r;
        size_t cl, al;
        uint8_t *chal = win_challenge(&cl), *auth, neg[40];
        uint8_t rk[16], proof[16], base[16], mic[16], *tmp;
        unsigned int l;

        ck_assert_int_eq(ntlm_build_negotiate(NTLM_DEFAULT_FLAGS, NULL, neg, 40), 40);
        ck_assert_int_eq(ntlm_build_authenticate(&cr, neg, 40, chal, cl, &o, &auth, &al, &r), 0);
        ck_assert_int_eq(r.mic_present, 1);
        ck_assert_uint_eq(r.session_key_len, 16);

        /* Every field lies inside the message. */
        for (int f = 12; f <= 52; f += 8) {
                uint16_t len = le16(auth + f);
                uint32_t off = le32(auth + f + 4);
                ck_assert_uint_le((size_t)off + len, al);
                ck_assert_uint_ge(off, 88);
        }
        /* LmChallengeResponse is Z(24) because the server sent a timestamp. */
        ck_assert_uint_eq(le16(auth + 12), 24);
        for (int i = 0; i < 24; i++)
                ck_assert_uint_eq(auth[le32(auth + 16) + (uint32_t)i], 0);

        /* NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge || temp). */
        const uint8_t *nt = auth + le32(auth + 24);
        size_t ntl = le16(auth + 20);
        ck_assert_int_eq(ntlm_ntowfv2("Administrator", "SUT311", "Passw0rd!", rk), 0);
        tmp = malloc(8 + ntl - 16);
        memcpy(tmp, chal + 24, 8);
        memcpy(tmp + 8, nt + 16, ntl - 16);
        ck_assert_ptr_nonnull(HMAC(EVP_md5(), rk, 16, tmp, 8 + ntl - 16, proof, &l));
        ck_assert_mem_eq(proof, nt, 16);
        free(tmp);
        /* The blob carries the server's timestamp and MsvAvFlags = MIC present. */
        ck_assert_mem_eq(nt + 16 + 8, chal + 0x88, 8);      /* MsvAvTimestamp value */
        const uint8_t *av = nt + 16 + 28;
        int saw_flags = 0, saw_spn = 0;
        while (le16(av) != MSV_AV_EOL) {
                if (le16(av) == MSV_AV_FLAGS)
                        saw_flags = le32(av + 4) == MSV_AV_FLAG_MIC_PRESENT;
                if (le16(av) == MSV_AV_TARGET_NAME)
                        saw_spn = le16(av + 2) == 22;
                av += 4 + le16(av + 2);
        }
        ck_assert(saw_flags && saw_spn);

        /* Session key: RC4(SessionBaseKey, EncryptedRandomSessionKey). */
        ck_assert_ptr_nonnull(HMAC(EVP_md5(), rk, 16, proof, 16, base, &l));
        uint8_t ek[16];
        struct smb_rc4 rc4;
        ck_assert_uint_eq(le16(auth + 52), 16);
        memcpy(ek, auth + le32(auth + 56), 16);
        ck_assert_int_eq(smb_rc4_init(&rc4, base, 16), 0);
        smb_rc4_crypt(&rc4, ek, 16);
        ck_assert_mem_eq(ek, r.session_key, 16);

        /* MIC = HMAC_MD5(ExportedSessionKey, NEG || CHAL || AUTH with MIC = 0). */
        tmp = malloc(40 + cl + al);
        memcpy(tmp, neg, 40);
        memcpy(tmp + 40, chal, cl);
        memcpy(tmp + 40 + cl, auth, al);
        memset(tmp + 40 + cl + NTLM_MIC_OFF, 0, 16);
        ck_assert_ptr_nonnull(HMAC(EVP_md5(), r.session_key, 16, tmp, 40 + cl + al, mic, &l));
        ck_assert_mem_eq(mic, auth + NTLM_MIC_OFF, 16);
        free(tmp);
        free(auth);
        free(chal);
}
END_TEST

START_TEST(authenticate_anonymous)
{
        struct ntlm_creds cr = { "", "", "", NULL };
        struct ntlm_auth_result r;
        size_t cl, al;
        uint8_t *chal = win_challenge(&cl), *auth, neg[40];

        ck_assert_int_eq(ntlm_build_negotiate(NTLM_DEFAULT_FLAGS, NULL, neg, 40), 40);
        ck_assert_int_eq(ntlm_build_authenticate(&cr, neg, 40, chal, cl, NULL, &auth, &al, &r), 0);
        ck_assert_int_eq(r.anonymous, 1);
        ck_assert_uint_eq(r.session_key_len, 0);
        ck_assert_int_eq(r.mic_present, 0);
        ck_assert(r.flags & NTLMSSP_ANONYMOUS);
        ck_assert(!(r.flags & NTLMSSP_NEGOTIATE_KEY_EXCH));
        ck_assert_uint_eq(le16(auth + 12), 1);          /* LM = Z(1) */
        ck_assert_uint_eq(auth[le32(auth + 16)], 0);
        ck_assert_uint_eq(le16(auth + 20), 0);          /* no NT response */
        ck_assert_uint_eq(le16(auth + 52), 0);
        ck_assert_uint_eq(al, 72 + 1);
        free(auth);
        free(chal);
}
END_TEST

/* -------------------------------------------------------- hostile input */

static uint8_t *spec_chal(size_t *n)
{
        return unhex_alloc(SPEC_CHALLENGE, n);
}

START_TEST(challenge_truncated)
{
        size_t n;
        uint8_t *m = spec_chal(&n);
        struct ntlm_challenge c;

        /* Every prefix: either rejected or (once all referenced data is
         * present) accepted; a copy of exactly `len` bytes lets ASan catch
         * any read past the end. */
        for (size_t len = 0; len < n; len++) {
                uint8_t *cp = malloc(len ? len : 1);
                memcpy(cp, m, len);
                ck_assert_int_lt(ntlm_parse_challenge(cp, len, &c), 0);
                free(cp);
        }
        ck_assert_int_eq(ntlm_parse_challenge(m, n, &c), 0);
        ck_assert_int_eq(ntlm_parse_challenge(NULL, 0, &c), -EBADMSG);
        ck_assert_int_eq(ntlm_parse_challenge(NULL, 5, &c), -EINVAL);
        free(m);
}
END_TEST

static void put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

START_TEST(challenge_inconsistent)
{
        size_t n;
        uint8_t *m = spec_chal(&n), *orig = malloc(n);
        struct ntlm_challenge c;

        memcpy(orig, m, n);
#define RESET() memcpy(m, orig, n)
#define BAD(expr, err)                                                         \
        do {                                                                   \
                RESET();                                                       \
                expr;                                                          \
                ck_assert_int_eq(ntlm_parse_challenge(m, n, &c), err);         \
        } while (0)
        BAD(m[0] = 'X', -EBADMSG);
        BAD(m[8] = 3, -EBADMSG);
        BAD(put32(m + 16, (uint32_t)n - 11), -EBADMSG);    /* TargetName past end */
        BAD(put32(m + 16, 0xFFFFFFF8u), -EBADMSG);          /* offset + len overflows */
        BAD(put32(m + 16, 8), -EBADMSG);                    /* points into the header */
        BAD(put16(m + 12, 0xFFFF), -EBADMSG);
        BAD(put16(m + 12, 11), -EBADMSG);                   /* odd UTF-16 length */
        BAD(put32(m + 44, (uint32_t)n - 35), -EBADMSG);    /* TargetInfo past end */
        BAD(put32(m + 44, 0xFFFFFFFFu), -EBADMSG);
        BAD(put16(m + 40, 0x25), -EBADMSG);
        BAD(put16(m + 40, 0x20), -EBADMSG);                 /* AV list loses its EOL */
        BAD(put16(m + 0x46, 0x0d), -EBADMSG);               /* AvLen odd */
        BAD(put16(m + 0x46, 0x30), -EBADMSG);               /* AvLen past the list */
        BAD(put16(m + 0x66, 4), -EBADMSG);                  /* EOL with a length */
        BAD(put16(m + 0x44, MSV_AV_TIMESTAMP), -EBADMSG);   /* timestamp of 12 bytes */
        BAD(put16(m + 0x44, MSV_AV_FLAGS), -EBADMSG);       /* flags of 12 bytes */
        BAD(m[20] &= (uint8_t)~NTLMSSP_NEGOTIATE_UNICODE, -EPROTONOSUPPORT);
        /* Without NEGOTIATE_TARGET_INFO a broken TargetInfo field is ignored. */
        BAD((put32(m + 44, 0xFFFFFFFFu), m[22] &= (uint8_t)~0x80), 0);
        ck_assert_ptr_null(c.target_info);
        free(orig);
        free(m);
}
END_TEST

/* Cheap deterministic fuzzing: mutated messages never crash the parser or
 * the AUTHENTICATE builder (ASan/UBSan watch the accesses). */
START_TEST(challenge_fuzz)
{
        size_t n;
        uint8_t *base = win_challenge(&n), *m = malloc(n), neg[40], *auth;
        uint32_t x = 2463534242u;
        struct ntlm_challenge c;
        struct ntlm_creds cr = { "u", "d", "p", NULL };
        struct ntlm_auth_result r;
        size_t al;
        int ok = 0;

        ck_assert_int_eq(ntlm_build_negotiate(NTLM_DEFAULT_FLAGS, NULL, neg, 40), 40);
        for (int it = 0; it < 3000; it++) {
                memcpy(m, base, n);
                for (int k = 0; k < 1 + it % 4; k++) {
                        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                        m[x % n] = (uint8_t)(x >> 8);
                }
                x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                size_t len = it % 5 ? n : x % (n + 1);
                if (ntlm_parse_challenge(m, len, &c) == 0) {
                        ok++;
                        ck_assert_uint_le((size_t)(c.target_name.p ? c.target_name.p - m : 0) +
                                                  c.target_name.len, len);
                }
                if (ntlm_build_authenticate(&cr, neg, 40, m, len, NULL, &auth, &al, &r) == 0)
                        free(auth);
        }
        ck_assert_int_gt(ok, 0);
        free(m);
        free(base);
}
END_TEST

/* An AV list so long the NTLMv2 response would not fit a 16-bit length. */
START_TEST(authenticate_oversized_target_info)
{
        size_t ti = 65500, n = 56 + ti;
        uint8_t *m = calloc(1, n), neg[40], *auth = NULL;
        struct ntlm_creds cr = { "u", "d", "p", NULL };
        struct ntlm_auth_result r;
        struct ntlm_challenge c;
        size_t al;

        memcpy(m, "NTLMSSP", 8);
        m[8] = 2;
        put32(m + 20, 0xe28a8215u);
        put16(m + 40, (uint16_t)ti);
        put16(m + 42, (uint16_t)ti);
        put32(m + 44, 56);
        put16(m + 56, 0x00FF);                  /* an unknown pair carrying the bulk */
        put16(m + 58, (uint16_t)(ti - 8));      /* ...then MsvAvEOL (zeros) */
        ck_assert_int_eq(ntlm_parse_challenge(m, n, &c), 0);
        ck_assert_int_eq(ntlm_build_negotiate(NTLM_DEFAULT_FLAGS, NULL, neg, 40), 40);
        ck_assert_int_eq(ntlm_build_authenticate(&cr, neg, 40, m, n, NULL, &auth, &al, &r),
                         -EMSGSIZE);
        ck_assert_ptr_null(auth);
        free(m);
}
END_TEST

START_TEST(authenticate_bad_args)
{
        size_t cl, al;
        uint8_t *chal = unhex_alloc(SPEC_CHALLENGE, &cl), neg[40], *auth;
        struct ntlm_creds cr = { "User", "Domain", "Password", NULL };
        struct ntlm_creds badcr = { "Us\xFFr", "Domain", "Password", NULL };
        struct ntlm_auth_result r;

        ck_assert_int_eq(ntlm_build_negotiate(NTLM_DEFAULT_FLAGS, NULL, neg, 40), 40);
        ck_assert_int_eq(ntlm_build_authenticate(&cr, neg, 15, chal, cl, NULL, &auth, &al, &r),
                         -EINVAL);
        neg[8] = 2;
        ck_assert_int_eq(ntlm_build_authenticate(&cr, neg, 40, chal, cl, NULL, &auth, &al, &r),
                         -EINVAL);
        neg[8] = 1;
        ck_assert_int_eq(ntlm_build_authenticate(&badcr, neg, 40, chal, cl, NULL, &auth, &al, &r),
                         -EILSEQ);
        ck_assert_int_eq(ntlm_build_authenticate(&cr, neg, 40, chal, cl - 1, NULL, &auth, &al, &r),
                         -EBADMSG);
        ck_assert_int_eq(ntlm_build_authenticate(NULL, neg, 40, chal, cl, NULL, &auth, &al, &r),
                         -EINVAL);
        ck_assert_int_eq(ntlm_compute_mic(spec_rsk, neg, 40, chal, cl, chal, 87, neg), -EINVAL);
        free(chal);
}
END_TEST

static Suite *ntlm_suite(void)
{
        Suite *s = suite_create("smb-ntlm");
        TCase *t;

        t = tcase_create("utf16");
        tcase_add_test(t, utf16_roundtrip);
        tcase_add_test(t, utf8_invalid);
        tcase_add_test(t, utf16_invalid);
        tcase_add_test(t, utf16_upper);
        suite_add_tcase(s, t);

        t = tcase_create("vectors");
        tcase_add_test(t, nt_hash_and_ntowfv2);
        tcase_add_test(t, parse_spec_challenge);
        tcase_add_test(t, parse_windows_challenge);
        tcase_add_test(t, negotiate_matches_windows);
        tcase_add_test(t, authenticate_spec_example);
        tcase_add_test(t, gss_seal_spec_example);
        tcase_add_test(t, windows_mic_and_mechlistmic);
        tcase_add_test(t, authenticate_with_mic_server_check);
        tcase_add_test(t, authenticate_anonymous);
        suite_add_tcase(s, t);

        t = tcase_create("hostile");
        tcase_add_test(t, challenge_truncated);
        tcase_add_test(t, challenge_inconsistent);
        tcase_add_test(t, challenge_fuzz);
        tcase_add_test(t, authenticate_oversized_target_info);
        tcase_add_test(t, authenticate_bad_args);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        return check_run_suite(ntlm_suite());
}
