/* SPDX-License-Identifier: MIT */
/*
 * SMB2/3 and NTLM cryptography over OpenSSL 3 (EVP, EVP_MAC, EVP_KDF).
 * MD4 is written from RFC 1320 and RC4 from its published description,
 * both only for NTLM (NT hash, key exchange, NTLMSSP sealing).
 */
#include "plugins/smb/crypto.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define SMB2_FLAGS_SERVER_TO_REDIR_BIT 0x00000001u
#define SMB2_CANCEL_CMD 0x000C

void smb_wipe(void *buf, size_t len)
{
        if (buf && len)
                OPENSSL_cleanse(buf, len);
}

int smb_memcmp_ct(const void *a, const void *b, size_t len)
{
        return CRYPTO_memcmp(a, b, len) ? 1 : 0;
}

int smb_random(void *buf, size_t len)
{
        uint8_t *p = buf;

        while (len) {
                int chunk = len > INT_MAX ? INT_MAX : (int)len;
                if (RAND_bytes(p, chunk) != 1)
                        return -EIO;
                p += chunk;
                len -= (size_t)chunk;
        }
        return 0;
}

static int iov_valid(const struct iovec *iov, int n)
{
        if (n < 0 || (n > 0 && !iov))
                return 0;
        for (int i = 0; i < n; i++)
                if (iov[i].iov_len && !iov[i].iov_base)
                        return 0;
        return 1;
}

/* ---------------------------------------------------------------- MD4 --- */

/* RFC 1320, section 3.4: message word order and shift amounts per round. */
static const uint8_t md4_idx[3][16] = {
        { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
        { 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15 },
        { 0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15 },
};
static const uint8_t md4_shift[3][4] = { { 3, 7, 11, 19 }, { 3, 5, 9, 13 }, { 3, 9, 11, 15 } };
static const uint32_t md4_const[3] = { 0, 0x5A827999u, 0x6ED9EBA1u };

static uint32_t rol32(uint32_t x, unsigned s)
{
        return (x << s) | (x >> (32 - s));
}

static uint32_t md4_f(int round, uint32_t x, uint32_t y, uint32_t z)
{
        if (round == 0)
                return (x & y) | (~x & z);
        if (round == 1)
                return (x & y) | (x & z) | (y & z);
        return x ^ y ^ z;
}

static void md4_block(uint32_t st[4], const uint8_t blk[64])
{
        uint32_t x[16], v[4];

        for (int i = 0; i < 16; i++)
                x[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 |
                       (uint32_t)blk[4 * i + 2] << 16 | (uint32_t)blk[4 * i + 3] << 24;
        memcpy(v, st, sizeof(v));
        for (int r = 0; r < 3; r++) {
                for (int i = 0; i < 16; i++) {
                        /* Registers rotate a, d, c, b as in the RFC's [abcd k s] steps. */
                        int a = (16 - i) & 3;
                        uint32_t f = md4_f(r, v[(a + 1) & 3], v[(a + 2) & 3], v[(a + 3) & 3]);
                        uint32_t t = v[a] + f + x[md4_idx[r][i]] + md4_const[r];
                        v[a] = rol32(t, md4_shift[r][i & 3]);
                }
        }
        for (int i = 0; i < 4; i++)
                st[i] += v[i];
        smb_wipe(x, sizeof(x));
}

int smb_md4(const void *data, size_t len, uint8_t out[SMB_MD4_LEN])
{
        uint32_t st[4] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u };
        const uint8_t *p = data;
        uint8_t tail[128];
        size_t full = len & ~(size_t)63, rest = len - full;

        if ((len && !data) || !out)
                return -EINVAL;
        for (size_t off = 0; off < full; off += 64)
                md4_block(st, p + off);

        /* Padding: 0x80, zeros to 56 mod 64, then the bit length (LE, 64 bit). */
        memset(tail, 0, sizeof(tail));
        if (rest)
                memcpy(tail, p + full, rest);
        tail[rest] = 0x80;
        size_t tlen = rest < 56 ? 64 : 128;
        uint64_t bits = (uint64_t)len << 3;
        for (int i = 0; i < 8; i++)
                tail[tlen - 8 + i] = (uint8_t)(bits >> (8 * i));
        for (size_t off = 0; off < tlen; off += 64)
                md4_block(st, tail + off);
        for (int i = 0; i < 4; i++)
                for (int b = 0; b < 4; b++)
                        out[4 * i + b] = (uint8_t)(st[i] >> (8 * b));
        smb_wipe(tail, sizeof(tail));
        smb_wipe(st, sizeof(st));
        return 0;
}

/* ---------------------------------------------------------------- RC4 --- */

int smb_rc4_init(struct smb_rc4 *rc4, const uint8_t *key, size_t key_len)
{
        if (!rc4 || !key || key_len == 0 || key_len > 256)
                return -EINVAL;
        for (int i = 0; i < 256; i++)
                rc4->s[i] = (uint8_t)i;
        uint8_t j = 0;
        for (int i = 0; i < 256; i++) {
                j = (uint8_t)(j + rc4->s[i] + key[(size_t)i % key_len]);
                uint8_t t = rc4->s[i];
                rc4->s[i] = rc4->s[j];
                rc4->s[j] = t;
        }
        rc4->i = 0;
        rc4->j = 0;
        return 0;
}

void smb_rc4_crypt(struct smb_rc4 *rc4, uint8_t *buf, size_t len)
{
        uint8_t i = rc4->i, j = rc4->j;

        for (size_t k = 0; k < len; k++) {
                i = (uint8_t)(i + 1);
                j = (uint8_t)(j + rc4->s[i]);
                uint8_t t = rc4->s[i];
                rc4->s[i] = rc4->s[j];
                rc4->s[j] = t;
                buf[k] ^= rc4->s[(uint8_t)(rc4->s[i] + rc4->s[j])];
        }
        rc4->i = i;
        rc4->j = j;
}

void smb_rc4_wipe(struct smb_rc4 *rc4)
{
        smb_wipe(rc4, sizeof(*rc4));
}

/* ------------------------------------------------------ digests, MACs --- */

static int digest_iov(const char *name, const struct iovec *iov, int n, uint8_t *out,
                      unsigned int out_len)
{
        EVP_MD *md = NULL;
        EVP_MD_CTX *ctx = NULL;
        unsigned int len = 0;
        int ret = -EIO;

        if (!out || !iov_valid(iov, n))
                return -EINVAL;
        md = EVP_MD_fetch(NULL, name, NULL);
        ctx = EVP_MD_CTX_new();
        if (!md || !ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1)
                goto out;
        for (int i = 0; i < n; i++)
                if (iov[i].iov_len && EVP_DigestUpdate(ctx, iov[i].iov_base, iov[i].iov_len) != 1)
                        goto out;
        if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != out_len)
                goto out;
        ret = 0;
out:
        EVP_MD_CTX_free(ctx);
        EVP_MD_free(md);
        return ret;
}

int smb_md5(const struct iovec *iov, int n, uint8_t out[SMB_MD5_LEN])
{
        return digest_iov("MD5", iov, n, out, SMB_MD5_LEN);
}

int smb_sha512(const struct iovec *iov, int n, uint8_t out[SMB_SHA512_LEN])
{
        return digest_iov("SHA512", iov, n, out, SMB_SHA512_LEN);
}

int smb_preauth_update(uint8_t hash[SMB_PREAUTH_HASH_LEN], const struct iovec *iov, int n)
{
        struct iovec v[17];

        if (!hash || n < 0 || n > 16 || !iov_valid(iov, n))
                return -EINVAL;
        v[0] = (struct iovec){ .iov_base = hash, .iov_len = SMB_PREAUTH_HASH_LEN };
        for (int i = 0; i < n; i++)
                v[i + 1] = iov[i];
        uint8_t h[SMB_SHA512_LEN];
        int ret = smb_sha512(v, n + 1, h);
        if (ret == 0)
                memcpy(hash, h, sizeof(h));
        smb_wipe(h, sizeof(h));
        return ret;
}

/* A MAC context ready for updates: HMAC (digest) or CMAC (cipher). */
static EVP_MAC_CTX *mac_new(const char *mac_name, const char *param, const char *alg,
                            const uint8_t *key, size_t key_len)
{
        EVP_MAC *mac = EVP_MAC_fetch(NULL, mac_name, NULL);
        EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
        OSSL_PARAM params[2] = {
                OSSL_PARAM_construct_utf8_string(param, (char *)alg, 0),
                OSSL_PARAM_construct_end(),
        };

        EVP_MAC_free(mac);      /* the context keeps its own reference */
        if (ctx && EVP_MAC_init(ctx, key, key_len, params) != 1) {
                EVP_MAC_CTX_free(ctx);
                ctx = NULL;
        }
        return ctx;
}

static int mac_final(EVP_MAC_CTX *ctx, uint8_t *out, size_t want)
{
        uint8_t buf[EVP_MAX_MD_SIZE];
        size_t len = 0;

        if (EVP_MAC_final(ctx, buf, &len, sizeof(buf)) != 1 || len < want)
                return -EIO;
        memcpy(out, buf, want);
        smb_wipe(buf, sizeof(buf));
        return 0;
}

static int mac_iov(const char *mac_name, const char *param, const char *alg,
                   const uint8_t *key, size_t key_len, const struct iovec *iov, int n,
                   uint8_t *out, size_t out_len)
{
        EVP_MAC_CTX *ctx;
        int ret = -EIO;

        if ((!key && key_len) || !out || !iov_valid(iov, n))
                return -EINVAL;
        ctx = mac_new(mac_name, param, alg, key, key_len);
        if (!ctx)
                return -EIO;
        for (int i = 0; i < n; i++)
                if (iov[i].iov_len && EVP_MAC_update(ctx, iov[i].iov_base, iov[i].iov_len) != 1)
                        goto out;
        ret = mac_final(ctx, out, out_len);
out:
        EVP_MAC_CTX_free(ctx);
        return ret;
}

int smb_hmac_md5(const uint8_t *key, size_t key_len, const struct iovec *iov, int n,
                 uint8_t out[SMB_MD5_LEN])
{
        return mac_iov("HMAC", OSSL_MAC_PARAM_DIGEST, "MD5", key, key_len, iov, n, out,
                       SMB_MD5_LEN);
}

int smb_hmac_sha256(const uint8_t *key, size_t key_len, const struct iovec *iov, int n,
                    uint8_t out[SMB_SHA256_LEN])
{
        return mac_iov("HMAC", OSSL_MAC_PARAM_DIGEST, "SHA256", key, key_len, iov, n, out,
                       SMB_SHA256_LEN);
}

int smb_aes_cmac(const uint8_t key[16], const struct iovec *iov, int n, uint8_t out[16])
{
        if (!key)
                return -EINVAL;
        return mac_iov("CMAC", OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", key, 16, iov, n, out, 16);
}

/* ------------------------------------------------------------------ KDF --- */

int smb_kdf(const uint8_t *ki, size_t ki_len, const void *label, size_t label_len,
            const void *context, size_t context_len, uint8_t *out, size_t out_len)
{
        EVP_KDF *kdf;
        EVP_KDF_CTX *ctx;
        int ret = -EIO;

        if (!ki || !ki_len || !out || out_len == 0 || out_len > 64 ||
            (!label && label_len) || (!context && context_len))
                return -EINVAL;
        /* OpenSSL's KBKDF builds [i]_4 || label || 0x00 || context || [L]_4,
         * which is exactly the SP800-108 input MS-SMB2 3.1.4.2 specifies. */
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, "counter", 0),
                OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, "HMAC", 0),
                OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ki, ki_len),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label, label_len),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)context,
                                                  context_len),
                OSSL_PARAM_construct_end(),
        };
        kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
        ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
        EVP_KDF_free(kdf);
        if (ctx && EVP_KDF_derive(ctx, out, out_len, params) == 1)
                ret = 0;
        EVP_KDF_CTX_free(ctx);
        return ret;
}

/* Labels include their terminating NUL, as MS-SMB2 3.2.5.3.1 counts it. */
#define LBL(s) s, sizeof(s)

static int derive_30(const uint8_t sk[SMB_KEY_LEN], struct smb_keys *k)
{
        int ret = smb_kdf(sk, SMB_KEY_LEN, LBL("SMB2AESCMAC"), LBL("SmbSign"), k->signing, 16);
        if (!ret)
                ret = smb_kdf(sk, SMB_KEY_LEN, LBL("SMB2APP"), LBL("SmbRpc"), k->application, 16);
        if (!ret)
                ret = smb_kdf(sk, SMB_KEY_LEN, LBL("SMB2AESCCM"), LBL("ServerIn "),
                              k->encryption, 16);
        if (!ret)
                ret = smb_kdf(sk, SMB_KEY_LEN, LBL("SMB2AESCCM"), LBL("ServerOut"),
                              k->decryption, 16);
        k->cipher_key_len = 16;
        return ret;
}

static int derive_311(const uint8_t sk[SMB_KEY_LEN], const uint8_t *full, size_t full_len,
                      uint16_t cipher, const uint8_t *pa, struct smb_keys *k)
{
        const size_t pl = SMB_PREAUTH_HASH_LEN;
        int wide = cipher == SMB_CIPHER_AES256_CCM || cipher == SMB_CIPHER_AES256_GCM;
        const uint8_t *ck = wide ? full : sk;
        size_t ck_len = wide ? full_len : SMB_KEY_LEN, kl = wide ? 32 : 16;

        int ret = smb_kdf(sk, SMB_KEY_LEN, LBL("SMBSigningKey"), pa, pl, k->signing, 16);
        if (!ret)
                ret = smb_kdf(sk, SMB_KEY_LEN, LBL("SMBAppKey"), pa, pl, k->application, 16);
        if (!ret)
                ret = smb_kdf(ck, ck_len, LBL("SMBC2SCipherKey"), pa, pl, k->encryption, kl);
        if (!ret)
                ret = smb_kdf(ck, ck_len, LBL("SMBS2CCipherKey"), pa, pl, k->decryption, kl);
        k->cipher_key_len = kl;
        return ret;
}

int smb_derive_keys(uint16_t dialect, uint16_t cipher, const uint8_t *key, size_t key_len,
                    const uint8_t *preauth, struct smb_keys *out)
{
        uint8_t sk[SMB_KEY_LEN] = { 0 };
        int ret;

        if (!key || key_len == 0 || key_len > 64 || !out)
                return -EINVAL;
        memset(out, 0, sizeof(*out));
        memcpy(sk, key, key_len < SMB_KEY_LEN ? key_len : SMB_KEY_LEN);
        switch (dialect) {
        case SMB_DIALECT_202:
        case SMB_DIALECT_210:
                ret = cipher == SMB_CIPHER_NONE ? 0 : -EINVAL;
                if (!ret)
                        memcpy(out->signing, sk, SMB_KEY_LEN);
                break;
        case SMB_DIALECT_300:
        case SMB_DIALECT_302:
                ret = cipher == SMB_CIPHER_NONE || cipher == SMB_CIPHER_AES128_CCM
                              ? derive_30(sk, out)
                              : -EINVAL;
                break;
        case SMB_DIALECT_311:
                if (!preauth || (cipher != SMB_CIPHER_NONE && smb_cipher_key_len(cipher) < 0))
                        ret = -EINVAL;
                else
                        ret = derive_311(sk, key, key_len, cipher, preauth, out);
                break;
        default:
                ret = -EINVAL;
        }
        smb_wipe(sk, sizeof(sk));
        if (ret)
                smb_wipe(out, sizeof(*out));
        return ret;
}

/* -------------------------------------------------------------- signing --- */

typedef int (*feed_fn)(void *ctx, const uint8_t *p, size_t len);

/* Feed the message to `fn`, with zeros in place of the header Signature. */
static int feed_msg(feed_fn fn, void *ctx, const struct iovec *iov, int n)
{
        static const uint8_t zeros[SMB_SIG_LEN];
        size_t off = 0;

        for (int i = 0; i < n; i++) {
                const uint8_t *p = iov[i].iov_base;
                size_t len = iov[i].iov_len;
                while (len) {
                        size_t chunk = len;
                        const uint8_t *src = p;
                        if (off < SMB_HDR_SIG_OFF) {
                                if (chunk > SMB_HDR_SIG_OFF - off)
                                        chunk = SMB_HDR_SIG_OFF - off;
                        } else if (off < SMB_HDR_SIG_OFF + SMB_SIG_LEN) {
                                if (chunk > SMB_HDR_SIG_OFF + SMB_SIG_LEN - off)
                                        chunk = SMB_HDR_SIG_OFF + SMB_SIG_LEN - off;
                                src = zeros;
                        }
                        if (fn(ctx, src, chunk))
                                return -EIO;
                        p += chunk;
                        len -= chunk;
                        off += chunk;
                }
        }
        return 0;
}

/* Copy the first `want` bytes of the message; -EINVAL if it is shorter. */
static int msg_prefix(const struct iovec *iov, int n, uint8_t *dst, size_t want)
{
        size_t got = 0;

        for (int i = 0; i < n && got < want; i++) {
                size_t c = iov[i].iov_len < want - got ? iov[i].iov_len : want - got;
                if (c)
                        memcpy(dst + got, iov[i].iov_base, c);
                got += c;
        }
        return got == want ? 0 : -EINVAL;
}

static int feed_mac(void *ctx, const uint8_t *p, size_t len)
{
        return EVP_MAC_update(ctx, p, len) == 1 ? 0 : -EIO;
}

static int feed_aad(void *ctx, const uint8_t *p, size_t len)
{
        int outl;

        if (len > INT_MAX)
                return -EIO;
        return EVP_EncryptUpdate(ctx, NULL, &outl, p, (int)len) == 1 ? 0 : -EIO;
}

static int sign_mac(const char *mac_name, const char *param, const char *alg,
                    const uint8_t *key, const struct iovec *iov, int n, uint8_t sig[16])
{
        EVP_MAC_CTX *ctx = mac_new(mac_name, param, alg, key, SMB_KEY_LEN);
        int ret;

        if (!ctx)
                return -EIO;
        ret = feed_msg(feed_mac, ctx, iov, n);
        if (!ret)
                ret = mac_final(ctx, sig, SMB_SIG_LEN);
        EVP_MAC_CTX_free(ctx);
        return ret;
}

/* AES-GMAC nonce (MS-SMB2 3.1.4.1): MessageId, then a 32-bit word whose
 * bit 0 says "sent by the server" and bit 1 "this is a CANCEL request". */
static void gmac_nonce(const uint8_t hdr[SMB_HDR_LEN], uint8_t nonce[12])
{
        uint32_t flags = (uint32_t)hdr[16] | (uint32_t)hdr[17] << 8 |
                         (uint32_t)hdr[18] << 16 | (uint32_t)hdr[19] << 24;
        uint16_t cmd = (uint16_t)(hdr[12] | hdr[13] << 8);
        int server = (flags & SMB2_FLAGS_SERVER_TO_REDIR_BIT) != 0;

        memcpy(nonce, hdr + 24, 8);
        memset(nonce + 8, 0, 4);
        nonce[8] = (uint8_t)((server ? 1 : 0) | (!server && cmd == SMB2_CANCEL_CMD ? 2 : 0));
}

static int sign_gmac(const uint8_t *key, const uint8_t hdr[SMB_HDR_LEN],
                     const struct iovec *iov, int n, uint8_t sig[16])
{
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
        uint8_t nonce[12], dummy[16];
        int outl, ret = -EIO;

        gmac_nonce(hdr, nonce);
        if (!ctx || !c || EVP_EncryptInit_ex2(ctx, c, key, nonce, NULL) != 1)
                goto out;
        if (feed_msg(feed_aad, ctx, iov, n))
                goto out;
        if (EVP_EncryptFinal_ex(ctx, dummy, &outl) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SMB_SIG_LEN, sig) != 1)
                goto out;
        ret = 0;
out:
        EVP_CIPHER_free(c);
        EVP_CIPHER_CTX_free(ctx);
        return ret;
}

int smb_sign(enum smb_sign_alg alg, const uint8_t key[SMB_KEY_LEN], const struct iovec *iov,
             int n, uint8_t sig[SMB_SIG_LEN])
{
        uint8_t hdr[SMB_HDR_LEN];

        if (!key || !sig || !iov_valid(iov, n) || msg_prefix(iov, n, hdr, sizeof(hdr)))
                return -EINVAL;
        switch (alg) {
        case SMB_SIGN_HMAC_SHA256:
                return sign_mac("HMAC", OSSL_MAC_PARAM_DIGEST, "SHA256", key, iov, n, sig);
        case SMB_SIGN_AES_CMAC:
                return sign_mac("CMAC", OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", key, iov, n, sig);
        case SMB_SIGN_AES_GMAC:
                return sign_gmac(key, hdr, iov, n, sig);
        }
        return -EINVAL;
}

int smb_verify(enum smb_sign_alg alg, const uint8_t key[SMB_KEY_LEN], const struct iovec *iov,
               int n)
{
        uint8_t hdr[SMB_HDR_LEN], sig[SMB_SIG_LEN];
        int ret;

        if (!iov_valid(iov, n) || msg_prefix(iov, n, hdr, sizeof(hdr)))
                return -EINVAL;
        ret = smb_sign(alg, key, iov, n, sig);
        if (ret)
                return ret;
        ret = CRYPTO_memcmp(sig, hdr + SMB_HDR_SIG_OFF, SMB_SIG_LEN) ? -EBADMSG : 0;
        smb_wipe(sig, sizeof(sig));
        return ret;
}

/* ----------------------------------------------------------- encryption --- */

int smb_cipher_key_len(uint16_t cipher)
{
        switch (cipher) {
        case SMB_CIPHER_AES128_CCM:
        case SMB_CIPHER_AES128_GCM:
                return 16;
        case SMB_CIPHER_AES256_CCM:
        case SMB_CIPHER_AES256_GCM:
                return 32;
        }
        return -EINVAL;
}

int smb_cipher_nonce_len(uint16_t cipher)
{
        switch (cipher) {
        case SMB_CIPHER_AES128_CCM:
        case SMB_CIPHER_AES256_CCM:
                return 11;
        case SMB_CIPHER_AES128_GCM:
        case SMB_CIPHER_AES256_GCM:
                return 12;
        }
        return -EINVAL;
}

static const char *cipher_name(uint16_t cipher)
{
        switch (cipher) {
        case SMB_CIPHER_AES128_CCM:
                return "AES-128-CCM";
        case SMB_CIPHER_AES128_GCM:
                return "AES-128-GCM";
        case SMB_CIPHER_AES256_CCM:
                return "AES-256-CCM";
        case SMB_CIPHER_AES256_GCM:
                return "AES-256-GCM";
        }
        return NULL;
}

static uint32_t get_le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

int smb_transform_init(uint8_t hdr[SMB_TRANSFORM_HDR_LEN], const uint8_t *nonce,
                       size_t nonce_len, uint32_t msg_size, uint64_t session_id)
{
        if (!hdr || !nonce || nonce_len == 0 || nonce_len > 16)
                return -EINVAL;
        memset(hdr, 0, SMB_TRANSFORM_HDR_LEN);
        hdr[0] = 0xFD;
        hdr[1] = 'S';
        hdr[2] = 'M';
        hdr[3] = 'B';
        memcpy(hdr + SMB_TRANSFORM_NONCE_OFF, nonce, nonce_len);
        put_le32(hdr + 36, msg_size);
        hdr[42] = 0x01;         /* Flags: Encrypted */
        for (int i = 0; i < 8; i++)
                hdr[44 + i] = (uint8_t)(session_id >> (8 * i));
        return 0;
}

static int transform_ok(const uint8_t *hdr, size_t len)
{
        return hdr[0] == 0xFD && hdr[1] == 'S' && hdr[2] == 'M' && hdr[3] == 'B' &&
               get_le32(hdr + 36) == len && hdr[42] == 0x01 && hdr[43] == 0x00;
}

/* One AEAD pass.  enc: tag is written to `tag`; dec: `tag` is checked. */
/* The message is `head` followed by `tail` (tail_len may be 0); the result
 * goes to `out` (head_len + tail_len bytes; out == head is in place). */
static int aead(uint16_t cipher, int enc, const uint8_t *key, const uint8_t *hdr,
                const uint8_t *head, size_t head_len, const uint8_t *tail, size_t tail_len,
                uint8_t *out, uint8_t tag[SMB_SIG_LEN])
{
        size_t len = head_len + tail_len;
        const char *name = cipher_name(cipher);
        int ccm = smb_cipher_nonce_len(cipher) == 11, nlen = smb_cipher_nonce_len(cipher);
        EVP_CIPHER *c = name ? EVP_CIPHER_fetch(NULL, name, NULL) : NULL;
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int outl, ret = -EIO;

        if (!c || !ctx || EVP_CipherInit_ex2(ctx, c, NULL, NULL, enc, NULL) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, nlen, NULL) != 1)
                goto out;
        /* CCM takes the tag length (and on decrypt the tag) before the key. */
        if (ccm && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SMB_SIG_LEN,
                                       enc ? NULL : tag) != 1)
                goto out;
        if (EVP_CipherInit_ex2(ctx, NULL, key, hdr + SMB_TRANSFORM_NONCE_OFF, enc, NULL) != 1)
                goto out;
        if (ccm && EVP_CipherUpdate(ctx, NULL, &outl, NULL, (int)len) != 1)
                goto out;
        if (EVP_CipherUpdate(ctx, NULL, &outl, hdr + SMB_TRANSFORM_AAD_OFF,
                             SMB_TRANSFORM_AAD_LEN) != 1)
                goto out;
        if (!ccm && !enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SMB_SIG_LEN,
                                                tag) != 1)
                goto out;
        ret = -EBADMSG;
        if (tail_len && ccm) {
                /* CCM takes the data in one update: gather it first. */
                if (out != head)
                        memmove(out, head, head_len);
                memcpy(out + head_len, tail, tail_len);
                head = out;
                head_len = len;
                tail_len = 0;
        }
        if (EVP_CipherUpdate(ctx, out, &outl, head, (int)head_len) != 1)
                goto out;       /* CCM reports a bad tag here */
        size_t done = (size_t)outl;
        if (tail_len) {
                if (EVP_CipherUpdate(ctx, out + done, &outl, tail, (int)tail_len) != 1)
                        goto out;
                done += (size_t)outl;
        }
        if (EVP_CipherFinal_ex(ctx, out + done, &outl) != 1)
                goto out;       /* GCM reports a bad tag here */
        ret = -EIO;
        if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SMB_SIG_LEN, tag) != 1)
                goto out;
        ret = 0;
out:
        EVP_CIPHER_CTX_free(ctx);
        EVP_CIPHER_free(c);
        return ret;
}

static int aead_args_ok(uint16_t cipher, const uint8_t *key, size_t key_len, const void *hdr,
                        const uint8_t *buf, size_t len)
{
        return key && hdr && buf && smb_cipher_key_len(cipher) == (int)key_len && len > 0 &&
               len <= INT_MAX;
}

int smb_encrypt_to(uint16_t cipher, const uint8_t *key, size_t key_len,
                   uint8_t hdr[SMB_TRANSFORM_HDR_LEN], const uint8_t *head, size_t head_len,
                   const uint8_t *tail, size_t tail_len, uint8_t *out)
{
        uint8_t tag[SMB_SIG_LEN];
        int ret;

        if (!out || (tail_len && !tail) || head_len > INT_MAX || tail_len > INT_MAX - head_len ||
            !aead_args_ok(cipher, key, key_len, hdr, head, head_len + tail_len) ||
            !transform_ok(hdr, head_len + tail_len))
                return -EINVAL;
        ret = aead(cipher, 1, key, hdr, head, head_len, tail, tail_len, out, tag);
        if (ret)
                return ret == -EBADMSG ? -EIO : ret;
        memcpy(hdr + SMB_TRANSFORM_SIG_OFF, tag, SMB_SIG_LEN);
        return 0;
}

int smb_encrypt(uint16_t cipher, const uint8_t *key, size_t key_len,
                uint8_t hdr[SMB_TRANSFORM_HDR_LEN], uint8_t *buf, size_t len)
{
        return smb_encrypt_to(cipher, key, key_len, hdr, buf, len, NULL, 0, buf);
}

int smb_decrypt(uint16_t cipher, const uint8_t *key, size_t key_len,
                const uint8_t hdr[SMB_TRANSFORM_HDR_LEN], uint8_t *buf, size_t len)
{
        uint8_t tag[SMB_SIG_LEN];
        int ret;

        if (!aead_args_ok(cipher, key, key_len, hdr, buf, len))
                return -EINVAL;
        if (!transform_ok(hdr, len))
                return -EBADMSG;
        memcpy(tag, hdr + SMB_TRANSFORM_SIG_OFF, SMB_SIG_LEN);
        ret = aead(cipher, 0, key, hdr, buf, len, NULL, 0, buf, tag);
        if (ret)
                smb_wipe(buf, len);
        return ret;
}

/* --------------------------------------------------- incremental decrypt --- */

struct smb_decryptor {
        EVP_CIPHER_CTX *ctx;
        EVP_CIPHER *alg;                /* fetched once for `cipher` */
        uint16_t cipher;
        bool open;                      /* between begin and final/abort */
        size_t left;                    /* message bytes not decrypted yet */
        struct {
                uint8_t *p;
                size_t len;
        } out[SMB_DECRYPT_MAX_OUT];     /* where unauthenticated plaintext went */
        unsigned n_out;
};

int smb_decryptor_new(struct smb_decryptor **ret)
{
        struct smb_decryptor *d;

        if (!ret)
                return -EINVAL;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->ctx = EVP_CIPHER_CTX_new();
        if (!d->ctx) {
                free(d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
}

void smb_decryptor_free(struct smb_decryptor *d)
{
        if (!d)
                return;
        smb_decrypt_abort(d);
        EVP_CIPHER_CTX_free(d->ctx);    /* the provider cleanses the key schedule */
        EVP_CIPHER_free(d->alg);
        free(d);
}

static void dec_close(struct smb_decryptor *d, bool wipe)
{
        for (unsigned i = 0; wipe && i < d->n_out; i++)
                smb_wipe(d->out[i].p, d->out[i].len);
        d->n_out = 0;
        d->left = 0;
        d->open = false;
}

void smb_decrypt_abort(struct smb_decryptor *d)
{
        if (d && d->open)
                dec_close(d, true);
}

int smb_decrypt_begin(struct smb_decryptor *d, uint16_t cipher, const uint8_t *key,
                      size_t key_len, const uint8_t hdr[SMB_TRANSFORM_HDR_LEN], size_t len)
{
        int outl;

        if (!d || !key || !hdr || smb_cipher_key_len(cipher) != (int)key_len || len == 0 ||
            len > INT_MAX)
                return -EINVAL;
        smb_decrypt_abort(d);
        if (smb_cipher_nonce_len(cipher) != 12)
                return -EOPNOTSUPP;
        if (!transform_ok(hdr, len))
                return -EBADMSG;
        /* Fetching is a locked lookup in the provider store: once per
         * connection rather than once per message. */
        if (!d->alg || d->cipher != cipher) {
                EVP_CIPHER_free(d->alg);
                d->cipher = cipher;
                d->alg = EVP_CIPHER_fetch(NULL, cipher_name(cipher), NULL);
                if (!d->alg || EVP_CipherInit_ex2(d->ctx, d->alg, NULL, NULL, 0, NULL) != 1) {
                        EVP_CIPHER_free(d->alg);
                        d->alg = NULL;
                        return -EIO;
                }
        }
        /* GCM's default nonce length is the 12 bytes SMB uses.  A new key
         * and nonce restart the GCM state whatever the last message did. */
        if (EVP_CipherInit_ex2(d->ctx, NULL, key, hdr + SMB_TRANSFORM_NONCE_OFF, 0, NULL) != 1 ||
            EVP_CipherUpdate(d->ctx, NULL, &outl, hdr + SMB_TRANSFORM_AAD_OFF,
                             SMB_TRANSFORM_AAD_LEN) != 1 ||
            EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, SMB_SIG_LEN,
                                (void *)(hdr + SMB_TRANSFORM_SIG_OFF)) != 1)
                return -EIO;
        d->left = len;
        d->n_out = 0;
        d->open = true;
        return 0;
}

/* Remember [p, p + n) for wiping; false when a fifth separate range would
 * be needed. */
static bool dec_track(struct smb_decryptor *d, uint8_t *p, size_t n)
{
        if (d->n_out) {
                uint8_t *last = d->out[d->n_out - 1].p;
                size_t last_len = d->out[d->n_out - 1].len;
                if (p == last + last_len) {
                        d->out[d->n_out - 1].len += n;
                        return true;
                }
        }
        if (d->n_out == SMB_DECRYPT_MAX_OUT)
                return false;
        d->out[d->n_out].p = p;
        d->out[d->n_out].len = n;
        d->n_out++;
        return true;
}

int smb_decrypt_update(struct smb_decryptor *d, const uint8_t *in, size_t n, uint8_t *out)
{
        int outl;

        if (!d || !d->open || n > d->left || (n && (!in || !out)))
                return -EINVAL;
        if (n == 0)
                return 0;
        if (!dec_track(d, out, n))
                return -EINVAL;
        /* GCM is a stream mode: every input byte comes out at once.  n is
         * at most the message length, which begin bounded by INT_MAX. */
        if (EVP_CipherUpdate(d->ctx, out, &outl, in, (int)n) != 1 || (size_t)outl != n) {
                dec_close(d, true);
                return -EIO;
        }
        d->left -= n;
        return 0;
}

int smb_decrypt_final(struct smb_decryptor *d)
{
        uint8_t none[16];
        int outl;

        if (!d || !d->open)
                return -EINVAL;
        if (d->left) {
                dec_close(d, true);
                return -EINVAL;
        }
        if (EVP_CipherFinal_ex(d->ctx, none, &outl) != 1) {
                dec_close(d, true);
                return -EBADMSG;
        }
        dec_close(d, false);
        return 0;
}
