/* SPDX-License-Identifier: MIT */
/*
 * Tests of plugins/smb/crypto.c against published vectors:
 *   RFC 1320 (MD4), RFC 2202 (HMAC-MD5), RFC 4231 (HMAC-SHA256),
 *   FIPS 180-2 (SHA-512), RFC 4493 (AES-CMAC), RFC 6229 (RC4),
 *   Microsoft Open Specifications blog posts (E. Olougouna):
 *     [ENC30]  "Encryption in SMB 3.0: A protocol perspective" (2012-10-05)
 *     [ENC311] "SMB 3.1.1 Encryption in Windows 10" (2015-09-09), App. A.1/A.2
 *     [KEYS]   "SMB 2 and SMB 3 security in Windows 10: the anatomy of signing
 *              and cryptographic keys"
 * Where no published vector exists (AES-256 ciphers, AES-GMAC signing,
 * HMAC-SHA256 SMB signing, L = 256 KDF) the result is cross-checked against
 * an independent computation written here directly on OpenSSL primitives.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/provider.h>

#include "plugins/smb/crypto.h"
#include "tests/smb/enc311-packets.h"
#include "tests/smb/smb2-testutil.h"

/* ---------------------------------------------------------------- helpers */

static struct iovec iov1(const void *p, size_t n)
{
        return (struct iovec){ .iov_base = (void *)p, .iov_len = n };
}

/* ------------------------------------------------------------ MD4, RC4 */

static const char *const md4_vec[][2] = {       /* RFC 1320, A.5 */
        { "", "31d6cfe0d16ae931b73c59d7e0c089c0" },
        { "a", "bde52cb31de33e46245e05fbdbd6fb24" },
        { "abc", "a448017aaf21d8525fc10ae87aa6729d" },
        { "message digest", "d9130a8164549fe818874806e1c7014b" },
        { "abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9" },
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
          "043f8582f241db351ce627e153e7f0e4" },
        { "1234567890123456789012345678901234567890123456789012345678901234567890123456"
          "7890",
          "e33b4ddc9c38f2199c3e7b164fcc0536" },
};

START_TEST(md4_rfc1320)
{
        uint8_t d[16];

        for (size_t i = 0; i < sizeof(md4_vec) / sizeof(md4_vec[0]); i++) {
                ck_assert_int_eq(smb_md4(md4_vec[i][0], strlen(md4_vec[i][0]), d), 0);
                CHECK_HEX(d, 16, md4_vec[i][1]);
        }
        ck_assert_int_eq(smb_md4(NULL, 1, d), -EINVAL);
}
END_TEST

/* Every length around the padding boundaries against OpenSSL's legacy MD4,
 * loaded into a private library context (skipped if not installed). */
START_TEST(md4_vs_legacy_provider)
{
        OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();
        OSSL_PROVIDER *prov = lc ? OSSL_PROVIDER_load(lc, "legacy") : NULL;
        EVP_MD *md = prov ? EVP_MD_fetch(lc, "MD4", NULL) : NULL;
        uint8_t data[300], a[16], b[16];
        unsigned int bl;

        if (!md) {
                OSSL_PROVIDER_unload(prov);
                OSSL_LIB_CTX_free(lc);
                return;         /* nothing to compare with */
        }
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)(i * 7 + 3);
        for (size_t len = 0; len <= sizeof(data); len++) {
                ck_assert_int_eq(smb_md4(data, len, a), 0);
                ck_assert_int_eq(EVP_Digest(data, len, b, &bl, md, NULL), 1);
                ck_assert_mem_eq(a, b, 16);
        }
        EVP_MD_free(md);
        OSSL_PROVIDER_unload(prov);
        OSSL_LIB_CTX_free(lc);
}
END_TEST

START_TEST(rc4_rfc6229)
{
        static const uint8_t key[5] = { 1, 2, 3, 4, 5 };
        struct smb_rc4 r;
        uint8_t ks[32] = { 0 };

        ck_assert_int_eq(smb_rc4_init(&r, key, 5), 0);
        /* Two calls: the key stream must continue across them. */
        smb_rc4_crypt(&r, ks, 7);
        smb_rc4_crypt(&r, ks + 7, 25);
        CHECK_HEX(ks, 32, "b2396305f03dc027ccc3524a0a1118a8"
                          "6982944f18fc82d589c403a47a0d0919");
        ck_assert_int_eq(smb_rc4_init(&r, key, 0), -EINVAL);
        smb_rc4_wipe(&r);
}
END_TEST

/* ----------------------------------------------------- hashes and MACs */

START_TEST(sha512_fips180)
{
        uint8_t d[64];
        struct iovec v[2] = { iov1("a", 1), iov1("bc", 2) };

        ck_assert_int_eq(smb_sha512(v, 2, d), 0);
        CHECK_HEX(d, 64, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                         "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
        ck_assert_int_eq(smb_sha512(NULL, 0, d), 0);
        CHECK_HEX(d, 64, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                         "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
}
END_TEST

START_TEST(hmac_md5_rfc2202)
{
        uint8_t k[80], m[50], d[16];
        struct iovec v;

        memset(k, 0x0b, 16);
        v = iov1("Hi There", 8);
        ck_assert_int_eq(smb_hmac_md5(k, 16, &v, 1, d), 0);
        CHECK_HEX(d, 16, "9294727a3638bb1c13f48ef8158bfc9d");

        v = iov1("what do ya want for nothing?", 28);
        ck_assert_int_eq(smb_hmac_md5((const uint8_t *)"Jefe", 4, &v, 1, d), 0);
        CHECK_HEX(d, 16, "750c783e6ab0b503eaa86e310a5db738");

        memset(k, 0xaa, 16);
        memset(m, 0xdd, 50);
        v = iov1(m, 50);
        ck_assert_int_eq(smb_hmac_md5(k, 16, &v, 1, d), 0);
        CHECK_HEX(d, 16, "56be34521d144c88dbb8c733f0e8b3f6");

        memset(k, 0xaa, 80);
        v = iov1("Test Using Larger Than Block-Size Key - Hash Key First", 54);
        ck_assert_int_eq(smb_hmac_md5(k, 80, &v, 1, d), 0);
        CHECK_HEX(d, 16, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
}
END_TEST

START_TEST(hmac_sha256_rfc4231)
{
        uint8_t k[131], m[50], d[32];
        struct iovec v;

        memset(k, 0x0b, 20);
        v = iov1("Hi There", 8);
        ck_assert_int_eq(smb_hmac_sha256(k, 20, &v, 1, d), 0);
        CHECK_HEX(d, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

        struct iovec v2[2] = { iov1("what do ya want ", 16), iov1("for nothing?", 12) };
        ck_assert_int_eq(smb_hmac_sha256((const uint8_t *)"Jefe", 4, v2, 2, d), 0);
        CHECK_HEX(d, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

        memset(k, 0xaa, 20);
        memset(m, 0xdd, 50);
        v = iov1(m, 50);
        ck_assert_int_eq(smb_hmac_sha256(k, 20, &v, 1, d), 0);
        CHECK_HEX(d, 32, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

        memset(k, 0xaa, 131);
        v = iov1("Test Using Larger Than Block-Size Key - Hash Key First", 54);
        ck_assert_int_eq(smb_hmac_sha256(k, 131, &v, 1, d), 0);
        CHECK_HEX(d, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

START_TEST(cmac_rfc4493)
{
        size_t kl, ml;
        uint8_t *k = unhex_alloc("2b7e151628aed2a6abf7158809cf4f3c", &kl);
        uint8_t *m = unhex_alloc("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
                           "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
                           &ml);
        uint8_t d[16];
        struct iovec v;

        ck_assert_uint_eq(ml, 64);
        ck_assert_int_eq(smb_aes_cmac(k, NULL, 0, d), 0);
        CHECK_HEX(d, 16, "bb1d6929e95937287fa37d129b756746");
        v = iov1(m, 16);
        ck_assert_int_eq(smb_aes_cmac(k, &v, 1, d), 0);
        CHECK_HEX(d, 16, "070a16b46b4d4144f79bdd9dd04a287c");
        v = iov1(m, 40);
        ck_assert_int_eq(smb_aes_cmac(k, &v, 1, d), 0);
        CHECK_HEX(d, 16, "dfa66747de9ae63030ca32611497c827");
        struct iovec v3[3] = { iov1(m, 5), iov1(m + 5, 0), iov1(m + 5, 59) };
        ck_assert_int_eq(smb_aes_cmac(k, v3, 3, d), 0);
        CHECK_HEX(d, 16, "51f0bebf7e3b9d92fc49741779363cfe");
        free(k);
        free(m);
}
END_TEST

START_TEST(bad_iov_args)
{
        uint8_t d[64];
        struct iovec bad = { .iov_base = NULL, .iov_len = 3 };

        ck_assert_int_eq(smb_sha512(&bad, 1, d), -EINVAL);
        ck_assert_int_eq(smb_hmac_md5((const uint8_t *)"k", 1, &bad, 1, d), -EINVAL);
        ck_assert_int_eq(smb_hmac_sha256((const uint8_t *)"k", 1, NULL, -1, d), -EINVAL);
        ck_assert_int_eq(smb_preauth_update(d, NULL, 17), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ KDF */

static void check_keys(uint16_t dialect, uint16_t cipher, const char *sk_hex,
                       const char *preauth_hex, const char *sign, const char *enc,
                       const char *dec, const char *app)
{
        size_t skl, pal = 0;
        uint8_t *sk = unhex_alloc(sk_hex, &skl);
        uint8_t *pa = preauth_hex ? unhex_alloc(preauth_hex, &pal) : NULL;
        struct smb_keys k;

        ck_assert_int_eq(smb_derive_keys(dialect, cipher, sk, skl, pa, &k), 0);
        ck_assert_uint_eq(k.cipher_key_len, 16);
        CHECK_HEX(k.signing, 16, sign);
        CHECK_HEX(k.encryption, 16, enc);
        CHECK_HEX(k.decryption, 16, dec);
        if (app)
                CHECK_HEX(k.application, 16, app);
        free(sk);
        free(pa);
}

#define PREAUTH_GCM                                                                      \
        "B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDBA7DB256BA2EA30E9" \
        "77F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770"
#define PREAUTH_CCM                                                                      \
        "DECF98A420718718F22090D3580FCC5E484BD310FA1268210C6E86335A8891E767F5BCD99FA5A785" \
        "9D665AD07A73EA94E1BCDB7CFA69A6962A28A244138340B1"
#define PREAUTH_KEYS                                                                     \
        "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB7928622DDDAD522D97" \
        "51640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01"

START_TEST(kdf_smb30_vectors)
{
        /* [ENC30] */
        check_keys(SMB_DIALECT_300, SMB_CIPHER_NONE, "B4546771B515F766A86735532DD6C4F0", NULL,
                   "F773CD23C18FD1E08EE510CADA7CF852", "261B72350558F2E9DCF613070383EDBF",
                   "8FE2B57EC34D2DB5B1A9727F526BBDB5", "77432F808CE99156B5BC6A3676D730D1");
        /* [KEYS], SMB 3.0 first channel */
        check_keys(SMB_DIALECT_302, SMB_CIPHER_AES128_CCM, "7CD451825D0450D235424E44BA6E78CC",
                   NULL, "0B7E9C5CAC36C0F6EA9AB275298CEDCE", "FAD27796665B313EBB578F388632B4F7",
                   "B0F0427F7CEB416D1D9DCC0CD4F99447", NULL);
}
END_TEST

START_TEST(kdf_smb311_vectors)
{
        /* [ENC311] A.1 (AES-128-GCM) and A.2 (AES-128-CCM) */
        check_keys(SMB_DIALECT_311, SMB_CIPHER_AES128_GCM, "419FDDF34C1E001909D362AE7FB6AF79",
                   PREAUTH_GCM, "8765949DFEAEE105CE9118B45BE988F0",
                   "A2F5E80E5D59103034F32E52F698E5EC", "748C50868C90F302962A5C35F5F9A8BF",
                   "099D610789FBE82055B313601C3E8CC4");
        check_keys(SMB_DIALECT_311, SMB_CIPHER_AES128_CCM, "07B7F69C1E2581662DF6987E88F9E891",
                   PREAUTH_CCM, "3DCC82C5795AE27F383242761078C59B",
                   "DFAAA31AAE40A2485D47AC4DF09FDA1D", "95C544AEF6072680DA1CE49A68A97FA6",
                   "7A2F0F73EC2D530879B2913BBFCE242F");
        /* [KEYS], SMB 3.1.1 first channel */
        check_keys(SMB_DIALECT_311, SMB_CIPHER_AES128_GCM, "270E1BA896585EEB7AF3472D3B4C75A7",
                   PREAUTH_KEYS, "73FE7A9A77BEF0BDE49C650D8CCB5F76",
                   "629BCBC54422A0F572B97F45989B6073", "E2AF0DCEFAC68DA71A0DFBD0D1350D74",
                   "6D7AD7954E9EC61E907B4D473DC178FF");
}
END_TEST

/* SP800-108 written out independently: K(i) = HMAC(ki, [i] || label || 0 || ctx || [L]).
 * MS-SMB2 labels are passed with their NUL (its label lengths count it). */
static void ref_kdf(const uint8_t *ki, size_t kil, const char *label, size_t ll,
                    const uint8_t *ctx, size_t cl, uint8_t *out, size_t out_len)
{
        uint8_t in[256], blk[32];

        ck_assert_uint_le(4 + ll + 1 + cl + 4, sizeof(in));
        uint32_t L = (uint32_t)out_len * 8;
        unsigned int bl;

        for (uint32_t i = 1; (i - 1) * 32 < out_len; i++) {
                size_t n = 0;
                in[n++] = (uint8_t)(i >> 24), in[n++] = (uint8_t)(i >> 16);
                in[n++] = (uint8_t)(i >> 8), in[n++] = (uint8_t)i;
                memcpy(in + n, label, ll), n += ll;
                in[n++] = 0;
                memcpy(in + n, ctx, cl), n += cl;
                in[n++] = (uint8_t)(L >> 24), in[n++] = (uint8_t)(L >> 16);
                in[n++] = (uint8_t)(L >> 8), in[n++] = (uint8_t)L;
                ck_assert_ptr_nonnull(HMAC(EVP_sha256(), ki, (int)kil, in, n, blk, &bl));
                size_t c = out_len - (i - 1) * 32 < 32 ? out_len - (i - 1) * 32 : 32;
                memcpy(out + (i - 1) * 32, blk, c);
        }
}

/* No published AES-256 vectors: L = 256 with Session.FullSessionKey for the
 * cipher keys, L = 128 with Session.SessionKey for signing/application. */
START_TEST(kdf_aes256_crosscheck)
{
        uint8_t full[32], pa[64], want[32];
        struct smb_keys k;

        for (int i = 0; i < 32; i++)
                full[i] = (uint8_t)(0xA0 + i);
        for (int i = 0; i < 64; i++)
                pa[i] = (uint8_t)(3 * i);
        for (int c = SMB_CIPHER_AES256_CCM; c <= SMB_CIPHER_AES256_GCM; c++) {
                ck_assert_int_eq(smb_derive_keys(SMB_DIALECT_311, (uint16_t)c, full, 32, pa, &k),
                                 0);
                ck_assert_uint_eq(k.cipher_key_len, 32);
                ref_kdf(full, 32, "SMBC2SCipherKey", 16, pa, 64, want, 32);
                ck_assert_mem_eq(k.encryption, want, 32);
                ref_kdf(full, 32, "SMBS2CCipherKey", 16, pa, 64, want, 32);
                ck_assert_mem_eq(k.decryption, want, 32);
                ref_kdf(full, 16, "SMBSigningKey", 14, pa, 64, want, 16);
                ck_assert_mem_eq(k.signing, want, 16);
                ref_kdf(full, 16, "SMBAppKey", 10, pa, 64, want, 16);
                ck_assert_mem_eq(k.application, want, 16);
        }
        /* The generic KDF with one and with two PRF blocks. */
        uint8_t out[64], ref[64];
        ck_assert_int_eq(smb_kdf(full, 32, "lbl", 3, pa, 10, out, 48), 0);
        ref_kdf(full, 32, "lbl", 3, pa, 10, ref, 48);
        ck_assert_mem_eq(out, ref, 48);
}
END_TEST

START_TEST(kdf_misc)
{
        uint8_t key[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, pa[64] = { 0 }, out[16];
        struct smb_keys k;

        /* 2.x: the signing key is Session.SessionKey (short keys zero padded). */
        ck_assert_int_eq(smb_derive_keys(SMB_DIALECT_210, 0, key, 8, NULL, &k), 0);
        ck_assert_mem_eq(k.signing, key, 8);
        ck_assert_mem_eq(k.signing + 8, pa, 8);
        ck_assert_uint_eq(k.cipher_key_len, 0);
        ck_assert_int_eq(smb_derive_keys(SMB_DIALECT_202, SMB_CIPHER_AES128_GCM, key, 8, NULL, &k),
                         -EINVAL);
        ck_assert_int_eq(smb_derive_keys(SMB_DIALECT_300, SMB_CIPHER_AES128_GCM, key, 8, NULL, &k),
                         -EINVAL);
        ck_assert_int_eq(smb_derive_keys(SMB_DIALECT_311, 0, key, 8, NULL, &k), -EINVAL);
        ck_assert_int_eq(smb_derive_keys(SMB_DIALECT_311, 9, key, 8, pa, &k), -EINVAL);
        ck_assert_int_eq(smb_derive_keys(0x0222, 0, key, 8, pa, &k), -EINVAL);
        ck_assert_int_eq(smb_derive_keys(SMB_DIALECT_311, 0, key, 0, pa, &k), -EINVAL);
        ck_assert_int_eq(smb_kdf(key, 8, NULL, 1, NULL, 0, out, 16), -EINVAL);
        ck_assert_int_eq(smb_kdf(key, 8, "a", 1, NULL, 0, out, 0), -EINVAL);
        ck_assert_int_eq(smb_kdf(key, 8, "a", 1, NULL, 0, out, 65), -EINVAL);
}
END_TEST

/* ---------------------------------------------- pre-authentication hash */

/* [ENC311] A.1: NEGOTIATE request/response, two SESSION_SETUP round trips. */
static const char *const preauth_msgs[] = {
        ENC311_NEG_REQ,
        ENC311_NEG_RSP,
        ENC311_SS_REQ1,
        ENC311_SS_RSP1,
        ENC311_SS_REQ2,
};

static const char *const preauth_hashes[] = {
        "550442DAF311412870AD9E58E602B0312D61328D6B1AC28F22AF46D6EA581F23A9BFABE0CC041197"
        "6BF3F9DA23D3433352CB48CF00B8659BC1A3695E1B1A52A8",
        "ABE4DA6E875F6FB05033AF04DCC38C92888B4E13D1EAB7AA05CADE142064974CB3EAB0782600549B"
        "A27207AA213B0D190B9950FA36D45BE32A888BFEE8389B74",
        "A5E8AB87E2ADB8FA5F4545D20F1FD2019D66CCD0F4DFD1F762F1DFC8DCB15B98D0BD1F1450F6A0AF"
        "C70F80B353C2D959217681949CF22DF35F31257A281C6A80",
        "9A095455244172898902B0FBDF5FEFAFD8435BB66A47EB55CB7542732A423F58B12B3ED698BEF387"
        "8D8A346FD9F5CC882DA37AAF2A939290E98B935FC72B3944",
        PREAUTH_GCM,
};

START_TEST(preauth_chain_enc311)
{
        uint8_t h[64] = { 0 };

        for (size_t i = 0; i < 5; i++) {
                size_t n;
                uint8_t *m = unhex_alloc(preauth_msgs[i], &n);
                /* Split the message to exercise the iovec path. */
                struct iovec v[2] = { iov1(m, n / 3), iov1(m + n / 3, n - n / 3) };
                ck_assert_int_eq(smb_preauth_update(h, v, 2), 0);
                CHECK_HEX(h, 64, preauth_hashes[i]);
                free(m);
        }
}
END_TEST

/* -------------------------------------------------------------- signing */

/* Final SESSION_SETUP responses of [ENC311] A.1 and A.2, AES-CMAC signed. */
#define SS_FINAL_GCM                                                                     \
        "FE534D4240000100000000000100800009000000000000000200000000000000FFFE000000000000" \
        "25000000001000006B85A4519A0F3EEA35BA946DD3AFE6B80900000048001D00A11B3019A0030A01" \
        "00A3120410010000003932A87523AB660100000000"
#define SS_FINAL_CCM                                                                     \
        "FE534D4240000100000000000100800009000000000000000200000000000000FFFE000000000000" \
        "21000000001000003676196AEE8CA17E5D50A53642EF2BE40900000048001D00A11B3019A0030A01" \
        "00A3120410010000000F57444342A2717E00000000"

static void check_cmac_vector(const char *msg_hex, const char *key_hex, const char *sig_hex)
{
        size_t n, kl;
        uint8_t *m = unhex_alloc(msg_hex, &n), *k = unhex_alloc(key_hex, &kl), sig[16];
        struct iovec v = iov1(m, n);

        ck_assert_int_eq(smb_sign(SMB_SIGN_AES_CMAC, k, &v, 1, sig), 0);
        CHECK_HEX(sig, 16, sig_hex);
        ck_assert_int_eq(smb_verify(SMB_SIGN_AES_CMAC, k, &v, 1), 0);
        /* Split inside the Signature field: still the same MAC. */
        for (size_t cut = 40; cut < 70; cut += 3) {
                struct iovec v2[3] = { iov1(m, cut), iov1(m + cut, 0), iov1(m + cut, n - cut) };
                ck_assert_int_eq(smb_verify(SMB_SIGN_AES_CMAC, k, v2, 3), 0);
        }
        /* Any flipped bit, in the body or the signature, fails. */
        m[n - 1] ^= 1;
        ck_assert_int_eq(smb_verify(SMB_SIGN_AES_CMAC, k, &v, 1), -EBADMSG);
        m[n - 1] ^= 1;
        m[SMB_HDR_SIG_OFF + 5] ^= 0x80;
        ck_assert_int_eq(smb_verify(SMB_SIGN_AES_CMAC, k, &v, 1), -EBADMSG);
        ck_assert_int_eq(smb_verify(SMB_SIGN_AES_GMAC, k, &v, 1), -EBADMSG);
        free(m);
        free(k);
}

START_TEST(sign_cmac_enc311)
{
        check_cmac_vector(SS_FINAL_GCM, "8765949DFEAEE105CE9118B45BE988F0",
                          "6B85A4519A0F3EEA35BA946DD3AFE6B8");
        check_cmac_vector(SS_FINAL_CCM, "3DCC82C5795AE27F383242761078C59B",
                          "3676196AEE8CA17E5D50A53642EF2BE4");
}
END_TEST

/* Independent AES-GMAC per MS-SMB2 3.1.4.1 on a copy with a zero signature. */
static void ref_gmac(const uint8_t *key, const uint8_t *msg, size_t n, uint8_t tag[16])
{
        uint8_t *c = malloc(n), nonce[12] = { 0 }, dummy[16];
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int l;

        memcpy(c, msg, n);
        memset(c + 48, 0, 16);
        memcpy(nonce, c + 24, 8);                       /* MessageId */
        int server = c[16] & 1;                         /* SMB2_FLAGS_SERVER_TO_REDIR */
        int cancel = !server && c[12] == 0x0C && c[13] == 0;
        nonce[8] = (uint8_t)(server | (cancel << 1));
        ck_assert_int_eq(EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, nonce), 1);
        ck_assert_int_eq(EVP_EncryptUpdate(ctx, NULL, &l, c, (int)n), 1);
        ck_assert_int_eq(EVP_EncryptFinal_ex(ctx, dummy, &l), 1);
        ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag), 1);
        EVP_CIPHER_CTX_free(ctx);
        free(c);
}

START_TEST(sign_gmac_crosscheck)
{
        size_t n, kl;
        uint8_t *m = unhex_alloc(SS_FINAL_GCM, &n), *k = unhex_alloc("8765949DFEAEE105CE9118B45BE988F0", &kl);
        uint8_t sig[16], ref[16], first[16];
        struct iovec v = iov1(m, n);

        ck_assert_int_eq(smb_sign(SMB_SIGN_AES_GMAC, k, &v, 1, sig), 0);
        ref_gmac(k, m, n, ref);
        ck_assert_mem_eq(sig, ref, 16);
        memcpy(first, sig, 16);

        /* Role bit: the same bytes sent by a client sign differently. */
        m[16] &= (uint8_t)~1;
        ck_assert_int_eq(smb_sign(SMB_SIGN_AES_GMAC, k, &v, 1, sig), 0);
        ref_gmac(k, m, n, ref);
        ck_assert_mem_eq(sig, ref, 16);
        ck_assert_mem_ne(sig, first, 16);

        /* Cancel bit: a CANCEL request differs from the same non-cancel. */
        uint8_t plain[16];
        m[12] = 0x0D;
        ck_assert_int_eq(smb_sign(SMB_SIGN_AES_GMAC, k, &v, 1, plain), 0);
        m[12] = 0x0C;
        ck_assert_int_eq(smb_sign(SMB_SIGN_AES_GMAC, k, &v, 1, sig), 0);
        ref_gmac(k, m, n, ref);
        ck_assert_mem_eq(sig, ref, 16);

        /* Sign, store, verify; then MessageId tamper fails. */
        memcpy(m + 48, sig, 16);
        ck_assert_int_eq(smb_verify(SMB_SIGN_AES_GMAC, k, &v, 1), 0);
        m[24] ^= 1;
        ck_assert_int_eq(smb_verify(SMB_SIGN_AES_GMAC, k, &v, 1), -EBADMSG);
        free(m);
        free(k);
}
END_TEST

START_TEST(sign_hmac_sha256_crosscheck)
{
        size_t n, kl;
        uint8_t *m = unhex_alloc(SS_FINAL_GCM, &n), *k = unhex_alloc("419FDDF34C1E001909D362AE7FB6AF79", &kl);
        uint8_t sig[16], ref[32], *c = malloc(n);
        unsigned int rl;
        struct iovec v = iov1(m, n);

        memcpy(c, m, n);
        memset(c + 48, 0, 16);
        ck_assert_ptr_nonnull(HMAC(EVP_sha256(), k, 16, c, n, ref, &rl));
        ck_assert_int_eq(smb_sign(SMB_SIGN_HMAC_SHA256, k, &v, 1, sig), 0);
        ck_assert_mem_eq(sig, ref, 16);
        memcpy(m + 48, sig, 16);
        ck_assert_int_eq(smb_verify(SMB_SIGN_HMAC_SHA256, k, &v, 1), 0);
        m[70] ^= 4;
        ck_assert_int_eq(smb_verify(SMB_SIGN_HMAC_SHA256, k, &v, 1), -EBADMSG);
        free(c);
        free(m);
        free(k);
}
END_TEST

START_TEST(sign_bad_args)
{
        uint8_t key[16] = { 0 }, msg[64] = { 0 }, sig[16];
        struct iovec v = iov1(msg, 63);

        ck_assert_int_eq(smb_sign(SMB_SIGN_AES_CMAC, key, &v, 1, sig), -EINVAL);
        ck_assert_int_eq(smb_verify(SMB_SIGN_AES_CMAC, key, &v, 1), -EINVAL);
        v.iov_len = 64;
        ck_assert_int_eq(smb_sign((enum smb_sign_alg)7, key, &v, 1, sig), -EINVAL);
        ck_assert_int_eq(smb_sign(SMB_SIGN_AES_CMAC, key, NULL, 1, sig), -EINVAL);
        ck_assert_int_eq(smb_sign(SMB_SIGN_AES_CMAC, key, &v, 0, sig), -EINVAL);
}
END_TEST

/* ----------------------------------------------------------- encryption */

struct enc_vec {
        uint16_t cipher;
        const char *key;
        const char *nonce;      /* bytes put in the Nonce field */
        uint64_t session_id;
        const char *plain;
        const char *sig;
        const char *cipher_text;
};

static const struct enc_vec enc_vecs[] = {
        { /* [ENC30] WRITE request */
          SMB_CIPHER_AES128_CCM, "261B72350558F2E9DCF613070383EDBF",
          "66E69A111892584FB5ED524A744DA3EE", 0x8e40014000011ull,
          "FE534D4240000100000000000900400008000000000000000400000000000000"
          "FFFE0000010000001100001400E4080000000000000000000000000000000000"
          "3100700017000000000000000000000015010000390000020100000039020000"
          "00000000000000007000000000000000536D623320656E6372797074696F6E20"
          "74657374696E67",
          "81A286535415445DAE393921E44FA42E",
          "25C8FEE16605A437832D1CD52DA9F4645333482A175FE5384563F45FCDAFAEF3"
          "8BC62BA4D5C62897996625A44C29BE5658DE2E6117585779E7B59FFD971278D0"
          "8580D7FA899E410E910EABF5AA1DB43050B33B49182637759AC15D84BFCDF5B6"
          "B238993C0F4CF4D6012023F6C627297075D84B7803912D0A9639634453595EF3"
          "E33FFE4E7AC2AB" },
        { /* [ENC311] A.1 WRITE request, AES-128-GCM */
          SMB_CIPHER_AES128_GCM, "A2F5E80E5D59103034F32E52F698E5EC", "C7D6822D269CAF48904C664C",
          0x100000000025ull,
          "FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000"
          "25000000001000000000000000000000000000000000000031007000170000000000000000000000"
          "0600000004000000010000000400000000000000000000007000000000000000536D623320656E63"
          "72797074696F6E2074657374696E67",
          "BD73D97D2BC9001BCAFAC0FDFF5FEEBC",
          "6ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02D14EF247F8BDE38ACF6256F8"
          "B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB44576545567C24D4C014D47C9"
          "FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E91AF013F00D17E3ABC2FC3D36"
          "C8C1B6B93973253852DBD442E46EE8" },
        { /* [ENC311] A.1 READ request */
          SMB_CIPHER_AES128_GCM, "A2F5E80E5D59103034F32E52F698E5EC", "D7AA8C6D36859243B715E0A6",
          0x100000000025ull,
          "FE534D4240000100000000000800010008000000000000000600000000000000FFFE000001000000"
          "25000000001000000000000000000000000000000000000031000000170000000000000000000000"
          "060000000400000001000000040000000000000000000000000000000000000000",
          "6DAC0B6FD85A3ED42BB917DA38FE0386",
          "88A47BF09CA3C3141CDD7306BE9D9475AB24FCCB833D77461C041F8FB983D0C188F0729272B31D9D"
          "3D0DC6B687C069EEE0CC8EACA2C536D019ACC9E185D1EB630E0FCB793EEECEB06D82A1D77706E700"
          "DBEBFB4FEB54D7AD2D97E7288804F90757FE4D08D6A84A3FF433E7451E768E4699" },
        { /* [ENC311] A.2 WRITE request, AES-128-CCM */
          SMB_CIPHER_AES128_CCM, "DFAAA31AAE40A2485D47AC4DF09FDA1D", "9F6F1EAAD7E9F24AACD38F",
          0x100000000021ull,
          "FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000"
          "21000000001000000000000000000000000000000000000031007000170000000000000000000000"
          "0500000004000000010000000400000000000000000000007000000000000000536D623320656E63"
          "72797074696F6E2074657374696E67",
          "E89551D666DAB8993488F5A97103116C",
          "56A74778199A9D2B6E9C3A376FD88D27680694FED253A313BEB07381AE8689F973ACDB8D716E4477"
          "803BCE53A92E1B81FA3E965AD9AF2C89C08CE66A344664453B8FC88118EDC9814CF58E92AA465E6E"
          "FB09958A9FDAD96FBD55B36A710C30D5E7C64AD7B9449F9F17EDD024FE8BA79154F340A82740D1D5"
          "180C69B0A2DE6A4BA893BD55D3210E" },
};

START_TEST(encrypt_published)
{
        for (size_t i = 0; i < sizeof(enc_vecs) / sizeof(enc_vecs[0]); i++) {
                const struct enc_vec *e = &enc_vecs[i];
                size_t kl, nl, pl;
                uint8_t *k = unhex_alloc(e->key, &kl), *nonce = unhex_alloc(e->nonce, &nl);
                uint8_t *p = unhex_alloc(e->plain, &pl), hdr[SMB_TRANSFORM_HDR_LEN];

                ck_assert_int_eq(smb_transform_init(hdr, nonce, nl, (uint32_t)pl, e->session_id),
                                 0);
                ck_assert_int_eq(smb_encrypt(e->cipher, k, kl, hdr, p, pl), 0);
                CHECK_HEX(hdr + SMB_TRANSFORM_SIG_OFF, 16, e->sig);
                CHECK_HEX(p, pl, e->cipher_text);
                /* And back. */
                ck_assert_int_eq(smb_decrypt(e->cipher, k, kl, hdr, p, pl), 0);
                CHECK_HEX(p, pl, e->plain);
                free(k);
                free(nonce);
                free(p);
        }
}
END_TEST

/* A message in two pieces encrypts to the same bytes and tag, split
 * anywhere, out of place and in place (head == out). */
START_TEST(encrypt_two_pieces)
{
        for (size_t i = 0; i < sizeof(enc_vecs) / sizeof(enc_vecs[0]); i++) {
                const struct enc_vec *e = &enc_vecs[i];
                size_t kl, nl, pl;
                uint8_t *k = unhex_alloc(e->key, &kl), *nonce = unhex_alloc(e->nonce, &nl);
                uint8_t *p = unhex_alloc(e->plain, &pl), hdr[SMB_TRANSFORM_HDR_LEN];
                uint8_t *out = malloc(pl);

                ck_assert_ptr_nonnull(out);
                for (size_t split = 0; split <= pl; split += (split < 3 ? 1 : 7)) {
                        ck_assert_int_eq(smb_transform_init(hdr, nonce, nl, (uint32_t)pl,
                                                            e->session_id), 0);
                        memset(out, 0xAA, pl);
                        ck_assert_int_eq(smb_encrypt_to(e->cipher, k, kl, hdr, p, split,
                                                        p + split, pl - split, out), 0);
                        CHECK_HEX(hdr + SMB_TRANSFORM_SIG_OFF, 16, e->sig);
                        CHECK_HEX(out, pl, e->cipher_text);
                        /* in place: the head is the output buffer */
                        memcpy(out, p, split);
                        memset(out + split, 0x55, pl - split);
                        ck_assert_int_eq(smb_transform_init(hdr, nonce, nl, (uint32_t)pl,
                                                            e->session_id), 0);
                        ck_assert_int_eq(smb_encrypt_to(e->cipher, k, kl, hdr, out, split,
                                                        p + split, pl - split, out), 0);
                        CHECK_HEX(out, pl, e->cipher_text);
                }
                /* inconsistent arguments */
                ck_assert_int_eq(smb_encrypt_to(e->cipher, k, kl, hdr, p, 1, NULL, pl - 1, out),
                                 -EINVAL);
                ck_assert_int_eq(smb_encrypt_to(e->cipher, k, kl, hdr, p, pl, NULL, 0, NULL),
                                 -EINVAL);
                ck_assert_int_eq(smb_encrypt_to(e->cipher, k, kl, hdr, p, pl - 1, NULL, 0, out),
                                 -EINVAL);      /* OriginalMessageSize is pl */
                free(out);
                free(k);
                free(nonce);
                free(p);
        }
}
END_TEST

struct dec_vec {
        uint16_t cipher;
        const char *key;
        const char *transformed;
        const char *plain;
};

static const struct dec_vec dec_vecs[] = {
        { /* [ENC30] WRITE response */
          SMB_CIPHER_AES128_CCM, "8FE2B57EC34D2DB5B1A9727F526BBDB5",
          "FD534D42A6015530A18F6D9AFFE22AFAE8E66484860000000000000011000014"
          "00E4080050000000000001001100001400E40800DBF46435C5F14169293CE079"
          "E344479BF670227E49873F458672C3098DAC467DD5809F369D67409166515787"
          "1483E01F7BECD02064EAC3E235F913668BBC2F097980D4B378F1993EFF6E60D1"
          "77309E5B",
          "FE534D4240000100000000000900210009000000000000000400000000000000"
          "FFFE0000010000001100001400E4080000000000000000000000000000000000"
          "11000000170000000000000000000000" },
        { /* [ENC30] READ response */
          SMB_CIPHER_AES128_CCM, "8FE2B57EC34D2DB5B1A9727F526BBDB5",
          "FD534D42ABD518B68C2F04D7879F482B689EB83F870000000000000011000014"
          "00E4080067000000000001001100001400E40800493D6FE2BDBEB435CF5F5469"
          "70C7BB57BF20E713C75A3D045507E0D68E5C0346659D6FFB8AC1504A786CA2BB"
          "89C9E7FE4F313E910A04180D2D0EA7DF636329E5A3285984500EF86FE9D55DA4"
          "FAB9531CFDD4C551D47F3C73124BB4590A45052B694048B991CCF5",
          "FE534D4240000100000000000800210009000000000000000500000000000000"
          "FFFE0000010000001100001400E4080000000000000000000000000000000000"
          "11005000170000000000000000000000536D623320656E6372797074696F6E20"
          "74657374696E67" },
        { /* [ENC311] A.1 WRITE response */
          SMB_CIPHER_AES128_GCM, "748C50868C90F302962A5C35F5F9A8BF",
          "FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B4000000000000000050000000"
          "00000100250000000010000026BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8"
          "F2D793A815C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA6179159B"
          "82E03C9E18A050FF0EA1C967",
          "FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000"
          "25000000001000000000000000000000000000000000000011000000170000000000000000000000" },
        { /* [ENC311] A.1 READ response */
          SMB_CIPHER_AES128_GCM, "748C50868C90F302962A5C35F5F9A8BF",
          "FD534D427F714B3B9D8FA1198584E71C2BAA1CB6E16831DD2E8EB7B4000000000000000067000000"
          "000001002500000000100000FECEDF4D03BB11A6CC5D8A53BE33D6D8701986342B4197D306E16F9C"
          "BB218E92F7F8281F51CE68BB85A20D87DE90EBBF80538066D1C37513C0A58D70936D537B624F5500"
          "202A612B6CD30D448A82791A0B2E049ED512AFAEFB06E98AB3D6F931D7D50DB2DBD36A",
          "FE534D4240000100000000000800010001000000000000000600000000000000FFFE000001000000"
          "25000000001000000000000000000000000000000000000011005000170000000000000000000000"
          "536D623320656E6372797074696F6E2074657374696E67" },
        { /* [ENC311] A.2 READ response, AES-128-CCM */
          SMB_CIPHER_AES128_CCM, "95C544AEF6072680DA1CE49A68A97FA6",
          "FD534D42E241A13C7E1EE42ECF1FD69F3B8668C6DA6831DD2E8EB7B4000000000000000067000000"
          "00000100210000000010000015D67234FC8358D7BA1BF037ABC8EFD41A0A8F9BB04B16DEB1E85606"
          "BD8C2770823FE6239A286CB3E3D5762ABBD53FD8DE11ED491FE905E146A8FFCE09414AB741103D63"
          "7E28B19C6BA759B399DCC21FAE24CF2A455A13B215FC2857ABB513927F9F271D1C208B",
          "FE534D4240000100000000000800010001000000000000000600000000000000FFFE000001000000"
          "21000000001000000000000000000000000000000000000011005000170000000000000000000000"
          "536D623320656E6372797074696F6E2074657374696E67" },
};

START_TEST(decrypt_published)
{
        for (size_t i = 0; i < sizeof(dec_vecs) / sizeof(dec_vecs[0]); i++) {
                const struct dec_vec *d = &dec_vecs[i];
                size_t kl, tl;
                uint8_t *k = unhex_alloc(d->key, &kl), *t = unhex_alloc(d->transformed, &tl);
                size_t bl = tl - SMB_TRANSFORM_HDR_LEN;
                uint8_t *body = t + SMB_TRANSFORM_HDR_LEN;

                ck_assert_int_eq(smb_decrypt(d->cipher, k, kl, t, body, bl), 0);
                CHECK_HEX(body, bl, d->plain);
                free(k);
                free(t);
        }
}
END_TEST

/* Each kind of damage must fail authentication and leave no plaintext. */
START_TEST(decrypt_tampered)
{
        const struct dec_vec *d = &dec_vecs[2 + (size_t)_i % 3];
        size_t kl, tl;
        uint8_t *k = unhex_alloc(d->key, &kl), *t = unhex_alloc(d->transformed, &tl);
        size_t bl = tl - SMB_TRANSFORM_HDR_LEN;
        uint8_t *body = t + SMB_TRANSFORM_HDR_LEN, *zero = calloc(1, bl);

        switch (_i / 3) {
        case 0:
                t[SMB_TRANSFORM_SIG_OFF + 15] ^= 1;     /* tag */
                break;
        case 1:
                t[SMB_TRANSFORM_NONCE_OFF + 3] ^= 1;    /* nonce (and AAD) */
                break;
        case 2:
                t[48] ^= 1;                             /* SessionId: AAD only */
                break;
        case 3:
                body[bl / 2] ^= 0x40;                   /* ciphertext */
                break;
        case 4:
                k[0] ^= 1;                              /* wrong key */
                break;
        }
        ck_assert_int_eq(smb_decrypt(d->cipher, k, kl, t, body, bl), -EBADMSG);
        ck_assert_mem_eq(body, zero, bl);
        free(zero);
        free(k);
        free(t);
}
END_TEST

START_TEST(decrypt_bad_header)
{
        const struct dec_vec *d = &dec_vecs[2];
        size_t kl, tl;
        uint8_t *k = unhex_alloc(d->key, &kl), *t = unhex_alloc(d->transformed, &tl);
        size_t bl = tl - SMB_TRANSFORM_HDR_LEN;
        uint8_t *body = t + SMB_TRANSFORM_HDR_LEN;

        /* OriginalMessageSize must equal the payload length. */
        ck_assert_int_eq(smb_decrypt(d->cipher, k, kl, t, body, bl - 1), -EBADMSG);
        t[0] = 0xFE;
        ck_assert_int_eq(smb_decrypt(d->cipher, k, kl, t, body, bl), -EBADMSG);
        t[0] = 0xFD;
        t[42] = 2;
        ck_assert_int_eq(smb_decrypt(d->cipher, k, kl, t, body, bl), -EBADMSG);
        t[42] = 1;
        ck_assert_int_eq(smb_decrypt(d->cipher, k, 32, t, body, bl), -EINVAL);
        ck_assert_int_eq(smb_decrypt(SMB_CIPHER_NONE, k, kl, t, body, bl), -EINVAL);
        ck_assert_int_eq(smb_decrypt(d->cipher, k, kl, t, body, 0), -EINVAL);
        ck_assert_int_eq(smb_encrypt(d->cipher, k, kl, t, body, bl - 1), -EINVAL);
        ck_assert_int_eq(smb_decrypt(d->cipher, k, kl, t, body, bl), 0);
        free(k);
        free(t);
}
END_TEST

/* --- incremental decryption (smb_decryptor) ---------------------------- */

/* The GCM entries of dec_vecs: [ENC311] A.1 WRITE and READ responses. */
static const size_t gcm_dec_vecs[] = { 2, 3 };

/* Any split into a head decrypted in place and a tail decrypted elsewhere
 * gives the published plaintext, and so does one byte at a time; one
 * decryptor serves every message. */
START_TEST(decryptor_published)
{
        struct smb_decryptor *dec;

        ck_assert_int_eq(smb_decryptor_new(&dec), 0);
        for (size_t v = 0; v < sizeof(gcm_dec_vecs) / sizeof(gcm_dec_vecs[0]); v++) {
                const struct dec_vec *d = &dec_vecs[gcm_dec_vecs[v]];
                size_t kl, tl, pl;
                uint8_t *k = unhex_alloc(d->key, &kl), *t = unhex_alloc(d->transformed, &tl);
                uint8_t *plain = unhex_alloc(d->plain, &pl);
                size_t bl = tl - SMB_TRANSFORM_HDR_LEN;
                uint8_t *body = malloc(bl), *tail = malloc(bl);

                ck_assert_uint_eq(bl, pl);
                ck_assert_ptr_nonnull(body);
                ck_assert_ptr_nonnull(tail);
                for (size_t split = 0; split <= bl; split++) {
                        memcpy(body, t + SMB_TRANSFORM_HDR_LEN, bl);
                        memset(tail, 0x5A, bl);
                        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, bl), 0);
                        ck_assert_int_eq(smb_decrypt_update(dec, body, split, body), 0);
                        ck_assert_int_eq(smb_decrypt_update(dec, body + split, bl - split,
                                                            tail), 0);
                        ck_assert_int_eq(smb_decrypt_final(dec), 0);
                        ck_assert_mem_eq(body, plain, split);
                        ck_assert_mem_eq(tail, plain + split, bl - split);
                }
                /* byte by byte, in place: one growing range */
                memcpy(body, t + SMB_TRANSFORM_HDR_LEN, bl);
                ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, bl), 0);
                for (size_t i = 0; i < bl; i++)
                        ck_assert_int_eq(smb_decrypt_update(dec, body + i, 1, body + i), 0);
                ck_assert_int_eq(smb_decrypt_final(dec), 0);
                CHECK_HEX(body, bl, d->plain);
                free(body);
                free(tail);
                free(plain);
                free(k);
                free(t);
        }
        smb_decryptor_free(dec);
        smb_decryptor_free(NULL);
}
END_TEST

/* The READ response split where the client splits it: SMB2 header and
 * the READ response's fixed part (64 + 16 bytes) into a scratch buffer,
 * the data (DataOffset 0x50) into the destination.  Each kind of damage
 * fails the tag, and neither the scratch nor the destination keeps any
 * plaintext; what update did not write is left alone. */
START_TEST(decryptor_tampered)
{
        const struct dec_vec *d = &dec_vecs[3];
        size_t kl, tl;
        uint8_t *k = unhex_alloc(d->key, &kl), *t = unhex_alloc(d->transformed, &tl);
        size_t bl = tl - SMB_TRANSFORM_HDR_LEN, data_len = bl - 80;
        uint8_t *body = t + SMB_TRANSFORM_HDR_LEN;
        uint8_t head[80], dst[128], zero[80] = { 0 };
        struct smb_decryptor *dec;

        ck_assert_uint_eq(data_len, 0x17);
        ck_assert_int_eq(smb_decryptor_new(&dec), 0);
        switch (_i) {
        case 0:
                t[SMB_TRANSFORM_SIG_OFF] ^= 0x80;       /* tag */
                break;
        case 1:
                t[SMB_TRANSFORM_NONCE_OFF + 11] ^= 1;   /* nonce (and AAD) */
                break;
        case 2:
                t[51] ^= 1;                             /* SessionId: AAD only */
                break;
        case 3:
                body[bl - 1] ^= 0x01;                   /* last ciphertext byte */
                break;
        case 4:
                body[3] ^= 0x01;                        /* ciphertext of the header */
                break;
        case 5:
                k[15] ^= 1;                             /* wrong key */
                break;
        }
        memset(dst, 0x5A, sizeof(dst));
        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, bl), 0);
        ck_assert_int_eq(smb_decrypt_update(dec, body, 80, head), 0);
        ck_assert_int_eq(smb_decrypt_update(dec, body + 80, data_len, dst + 8), 0);
        ck_assert_int_eq(smb_decrypt_final(dec), -EBADMSG);
        ck_assert_mem_eq(head, zero, sizeof(head));
        ck_assert_mem_eq(dst + 8, zero, data_len);
        for (size_t i = 0; i < sizeof(dst); i++)
                if (i < 8 || i >= 8 + data_len)
                        ck_assert_uint_eq(dst[i], 0x5A);
        /* The decryptor is usable again after a failure. */
        if (_i != 5) {
                free(t);
                t = unhex_alloc(d->transformed, &tl);
                ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, bl), 0);
                ck_assert_int_eq(smb_decrypt_update(dec, t + SMB_TRANSFORM_HDR_LEN, bl, dst), 0);
                ck_assert_int_eq(smb_decrypt_final(dec), 0);
                CHECK_HEX(dst, bl, d->plain);
        }
        smb_decryptor_free(dec);
        free(k);
        free(t);
}
END_TEST

START_TEST(decryptor_bad_use)
{
        const struct dec_vec *d = &dec_vecs[3];
        size_t kl, tl;
        uint8_t *k = unhex_alloc(d->key, &kl), *t = unhex_alloc(d->transformed, &tl);
        size_t bl = tl - SMB_TRANSFORM_HDR_LEN;
        const uint8_t *body = t + SMB_TRANSFORM_HDR_LEN;
        uint8_t out[256], zero[256] = { 0 };
        struct smb_decryptor *dec;

        ck_assert_int_eq(smb_decryptor_new(NULL), -EINVAL);
        ck_assert_int_eq(smb_decryptor_new(&dec), 0);
        /* nothing begun */
        ck_assert_int_eq(smb_decrypt_update(dec, body, 1, out), -EINVAL);
        ck_assert_int_eq(smb_decrypt_final(dec), -EINVAL);
        smb_decrypt_abort(dec);
        smb_decrypt_abort(NULL);
        /* arguments and header */
        ck_assert_int_eq(smb_decrypt_begin(dec, SMB_CIPHER_AES128_CCM, k, kl, t, bl),
                         -EOPNOTSUPP);
        ck_assert_int_eq(smb_decrypt_begin(dec, SMB_CIPHER_AES256_CCM, out, 32, t, bl),
                         -EOPNOTSUPP);
        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, 32, t, bl), -EINVAL);
        ck_assert_int_eq(smb_decrypt_begin(dec, SMB_CIPHER_NONE, k, kl, t, bl), -EINVAL);
        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, 0), -EINVAL);
        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, NULL, kl, t, bl), -EINVAL);
        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, bl - 1), -EBADMSG);
        t[42] = 2;
        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, bl), -EBADMSG);
        t[42] = 1;
        /* past the end, NULL buffers */
        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, bl), 0);
        ck_assert_int_eq(smb_decrypt_update(dec, body, bl + 1, out), -EINVAL);
        ck_assert_int_eq(smb_decrypt_update(dec, NULL, 1, out), -EINVAL);
        ck_assert_int_eq(smb_decrypt_update(dec, body, 1, NULL), -EINVAL);
        ck_assert_int_eq(smb_decrypt_update(dec, body, 0, NULL), 0);
        /* four separate ranges, not a fifth */
        memset(out, 0x5A, sizeof(out));
        for (size_t i = 0; i < SMB_DECRYPT_MAX_OUT; i++)
                ck_assert_int_eq(smb_decrypt_update(dec, body + i, 1, out + 2 * i), 0);
        ck_assert_int_eq(smb_decrypt_update(dec, body + 4, 1, out + 8), -EINVAL);
        ck_assert_int_eq(smb_decrypt_update(dec, body + 4, 1, out + 7), 0);  /* continues */
        /* final with bytes missing: refused, and what was written is wiped */
        ck_assert_int_eq(smb_decrypt_final(dec), -EINVAL);
        for (size_t i = 0; i < 10; i++)
                ck_assert_uint_eq(out[i], i == 0 || i == 2 || i == 4 || i == 6 || i == 7
                                                  ? 0 : 0x5A);
        ck_assert_int_eq(smb_decrypt_final(dec), -EINVAL);
        /* abort wipes; a new begin aborts the message in progress */
        memset(out, 0x5A, sizeof(out));
        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, bl), 0);
        ck_assert_int_eq(smb_decrypt_update(dec, body, 10, out), 0);
        smb_decrypt_abort(dec);
        ck_assert_mem_eq(out, zero, 10);
        ck_assert_uint_eq(out[10], 0x5A);
        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, bl), 0);
        ck_assert_int_eq(smb_decrypt_update(dec, body, 10, out + 20), 0);
        ck_assert_int_eq(smb_decrypt_begin(dec, d->cipher, k, kl, t, bl), 0);
        ck_assert_mem_eq(out + 20, zero, 10);
        ck_assert_int_eq(smb_decrypt_update(dec, body, bl, out), 0);
        ck_assert_int_eq(smb_decrypt_final(dec), 0);
        CHECK_HEX(out, bl, d->plain);
        smb_decryptor_free(dec);
        free(k);
        free(t);
}
END_TEST

/* Independent AEAD over the transform header for the ciphers without
 * published SMB vectors (AES-256-CCM/GCM). */
static void ref_aead(uint16_t cipher, const uint8_t *key, const uint8_t *hdr,
                     const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
        int ccm = cipher == SMB_CIPHER_AES256_CCM;
        const EVP_CIPHER *c = ccm ? EVP_aes_256_ccm() : EVP_aes_256_gcm();
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int l;

        ck_assert_int_eq(EVP_EncryptInit_ex(ctx, c, NULL, NULL, NULL), 1);
        ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, ccm ? 11 : 12, NULL), 1);
        if (ccm)
                ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, NULL), 1);
        ck_assert_int_eq(EVP_EncryptInit_ex(ctx, NULL, NULL, key, hdr + 20), 1);
        if (ccm)
                ck_assert_int_eq(EVP_EncryptUpdate(ctx, NULL, &l, NULL, (int)len), 1);
        ck_assert_int_eq(EVP_EncryptUpdate(ctx, NULL, &l, hdr + 20, 32), 1);
        ck_assert_int_eq(EVP_EncryptUpdate(ctx, out, &l, in, (int)len), 1);
        ck_assert_int_eq(EVP_EncryptFinal_ex(ctx, out + l, &l), 1);
        ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag), 1);
        EVP_CIPHER_CTX_free(ctx);
}

START_TEST(aes256_crosscheck)
{
        uint16_t cipher = _i ? SMB_CIPHER_AES256_GCM : SMB_CIPHER_AES256_CCM;
        uint8_t key[32], nonce[12], hdr[52], msg[1000], ref[1000], tag[16];
        size_t len = sizeof(msg);

        for (size_t i = 0; i < sizeof(key); i++)
                key[i] = (uint8_t)(0x40 + i);
        for (size_t i = 0; i < sizeof(msg); i++)
                msg[i] = (uint8_t)(i * 13);
        ck_assert_int_eq(smb_random(nonce, sizeof(nonce)), 0);
        ck_assert_int_eq(smb_cipher_key_len(cipher), 32);
        int nl = smb_cipher_nonce_len(cipher);
        ck_assert_int_eq(smb_transform_init(hdr, nonce, (size_t)nl, (uint32_t)len,
                                            0x1122334455667788ull), 0);
        ref_aead(cipher, key, hdr, msg, len, ref, tag);
        ck_assert_int_eq(smb_encrypt(cipher, key, 32, hdr, msg, len), 0);
        ck_assert_mem_eq(msg, ref, len);
        ck_assert_mem_eq(hdr + 4, tag, 16);
        ck_assert_int_eq(smb_decrypt(cipher, key, 32, hdr, msg, len), 0);
        for (size_t i = 0; i < len; i++)
                ck_assert_uint_eq(msg[i], (uint8_t)(i * 13));
        ck_assert_int_eq(smb_encrypt(cipher, key, 16, hdr, msg, len), -EINVAL);
        if (cipher == SMB_CIPHER_AES256_GCM) {
                /* the reference ciphertext, incrementally, after an AES-128 message */
                struct smb_decryptor *dec;
                uint8_t out[1000];
                ck_assert_int_eq(smb_decryptor_new(&dec), 0);
                ck_assert_int_eq(smb_decrypt_begin(dec, SMB_CIPHER_AES128_GCM, key, 16, hdr,
                                                   len), 0);
                ck_assert_int_eq(smb_decrypt_update(dec, ref, 100, out), 0);
                ck_assert_int_eq(smb_decrypt_begin(dec, cipher, key, 32, hdr, len), 0);
                ck_assert_int_eq(smb_decrypt_update(dec, ref, 333, out), 0);
                ck_assert_int_eq(smb_decrypt_update(dec, ref + 333, len - 333, out + 333), 0);
                ck_assert_int_eq(smb_decrypt_final(dec), 0);
                for (size_t i = 0; i < len; i++)
                        ck_assert_uint_eq(out[i], (uint8_t)(i * 13));
                smb_decryptor_free(dec);
        }
        ck_assert_int_eq(smb_encrypt(cipher, key, 32, hdr, msg, len), 0);
        hdr[51] ^= 1;
        ck_assert_int_eq(smb_decrypt(cipher, key, 32, hdr, msg, len), -EBADMSG);
}
END_TEST

START_TEST(transform_init_layout)
{
        uint8_t hdr[52], nonce[11];

        for (int i = 0; i < 11; i++)
                nonce[i] = (uint8_t)(i + 1);
        ck_assert_int_eq(smb_transform_init(hdr, nonce, 11, 0x87, 0x8e40014000011ull), 0);
        CHECK_HEX(hdr, 52, "FD534D42 00000000000000000000000000000000"
                           "0102030405060708090A0B0000000000 87000000 0000 0100"
                           "1100001400E40800");
        ck_assert_int_eq(smb_transform_init(hdr, nonce, 17, 1, 1), -EINVAL);
        ck_assert_int_eq(smb_cipher_nonce_len(SMB_CIPHER_NONE), -EINVAL);
        ck_assert_int_eq(smb_cipher_key_len(7), -EINVAL);
}
END_TEST

START_TEST(random_and_ct)
{
        uint8_t a[64] = { 0 }, b[64] = { 0 };

        ck_assert_int_eq(smb_random(a, sizeof(a)), 0);
        ck_assert_int_eq(smb_random(b, sizeof(b)), 0);
        ck_assert_mem_ne(a, b, sizeof(a));
        ck_assert_int_eq(smb_random(a, 0), 0);
        ck_assert_int_eq(smb_memcmp_ct(a, a, 64), 0);
        ck_assert_int_ne(smb_memcmp_ct(a, b, 64), 0);
}
END_TEST

static Suite *crypto_suite(void)
{
        Suite *s = suite_create("smb-crypto");
        TCase *t;

        t = tcase_create("primitives");
        tcase_add_test(t, md4_rfc1320);
        tcase_add_test(t, md4_vs_legacy_provider);
        tcase_add_test(t, rc4_rfc6229);
        tcase_add_test(t, sha512_fips180);
        tcase_add_test(t, hmac_md5_rfc2202);
        tcase_add_test(t, hmac_sha256_rfc4231);
        tcase_add_test(t, cmac_rfc4493);
        tcase_add_test(t, bad_iov_args);
        tcase_add_test(t, random_and_ct);
        suite_add_tcase(s, t);

        t = tcase_create("kdf");
        tcase_add_test(t, kdf_smb30_vectors);
        tcase_add_test(t, kdf_smb311_vectors);
        tcase_add_test(t, kdf_aes256_crosscheck);
        tcase_add_test(t, kdf_misc);
        tcase_add_test(t, preauth_chain_enc311);
        suite_add_tcase(s, t);

        t = tcase_create("signing");
        tcase_add_test(t, sign_cmac_enc311);
        tcase_add_test(t, sign_gmac_crosscheck);
        tcase_add_test(t, sign_hmac_sha256_crosscheck);
        tcase_add_test(t, sign_bad_args);
        suite_add_tcase(s, t);

        t = tcase_create("encryption");
        tcase_add_test(t, encrypt_published);
        tcase_add_test(t, encrypt_two_pieces);
        tcase_add_test(t, decrypt_published);
        tcase_add_loop_test(t, decrypt_tampered, 0, 15);
        tcase_add_test(t, decrypt_bad_header);
        tcase_add_test(t, decryptor_published);
        tcase_add_loop_test(t, decryptor_tampered, 0, 6);
        tcase_add_test(t, decryptor_bad_use);
        tcase_add_loop_test(t, aes256_crosscheck, 0, 2);
        tcase_add_test(t, transform_init_layout);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        return check_run_suite(crypto_suite());
}
