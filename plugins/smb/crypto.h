/* SPDX-License-Identifier: MIT */
/*
 * Cryptographic primitives of the SMB client (MS-SMB2 3.1.4, MS-NLMP 3.4).
 *
 * Everything here is a pure function over caller buffers: no global state,
 * no logging.  Functions return 0 or a negative errno; -EBADMSG always means
 * "authentication failed" (bad signature, bad AEAD tag) so callers can map it
 * to STATUS_ACCESS_DENIED / drop the connection without looking further.
 *
 * OpenSSL 3 is used through EVP / EVP_MAC / EVP_KDF only, with the default
 * library context.  MD4 and RC4 (needed by NTLM only) are implemented here
 * from RFC 1320 and the published RC4 algorithm, so the plugin does not
 * depend on OpenSSL's optional "legacy" provider being installed.
 */
#ifndef GWD_SMB_CRYPTO_H
#define GWD_SMB_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define SMB_MD4_LEN 16
#define SMB_MD5_LEN 16
#define SMB_SHA256_LEN 32
#define SMB_SHA512_LEN 64
#define SMB_PREAUTH_HASH_LEN 64
#define SMB_SIG_LEN 16
#define SMB_KEY_LEN 16          /* Session.SessionKey, signing and application keys */
#define SMB_MAX_CIPHER_KEY_LEN 32

/* SMB2 header: 64 bytes, Signature at offset 48 (MS-SMB2 2.2.1). */
#define SMB_HDR_LEN 64
#define SMB_HDR_SIG_OFF 48

/* SMB2 TRANSFORM_HEADER (MS-SMB2 2.2.41). */
#define SMB_TRANSFORM_HDR_LEN 52
#define SMB_TRANSFORM_SIG_OFF 4
#define SMB_TRANSFORM_NONCE_OFF 20
#define SMB_TRANSFORM_AAD_OFF 20
#define SMB_TRANSFORM_AAD_LEN 32

/* Dialect revision numbers (MS-SMB2 2.2.3). */
enum smb_dialect {
        SMB_DIALECT_202 = 0x0202,
        SMB_DIALECT_210 = 0x0210,
        SMB_DIALECT_300 = 0x0300,
        SMB_DIALECT_302 = 0x0302,
        SMB_DIALECT_311 = 0x0311,
};

/* Cipher ids of SMB2_ENCRYPTION_CAPABILITIES (MS-SMB2 2.2.3.1.2). */
enum smb_cipher {
        SMB_CIPHER_NONE = 0x0000,
        SMB_CIPHER_AES128_CCM = 0x0001,
        SMB_CIPHER_AES128_GCM = 0x0002,
        SMB_CIPHER_AES256_CCM = 0x0003,
        SMB_CIPHER_AES256_GCM = 0x0004,
};

/* Signing algorithm ids of SMB2_SIGNING_CAPABILITIES (MS-SMB2 2.2.3.1.7). */
enum smb_sign_alg {
        SMB_SIGN_HMAC_SHA256 = 0x0000,  /* 2.0.2 and 2.1 */
        SMB_SIGN_AES_CMAC = 0x0001,     /* 3.0, 3.0.2, 3.1.1 default */
        SMB_SIGN_AES_GMAC = 0x0002,     /* 3.1.1 when negotiated */
};

/* --- hashes and MACs (iovec variants hash the concatenation) ------------- */

int smb_md4(const void *data, size_t len, uint8_t out[SMB_MD4_LEN]);
int smb_md5(const struct iovec *iov, int n, uint8_t out[SMB_MD5_LEN]);
int smb_sha512(const struct iovec *iov, int n, uint8_t out[SMB_SHA512_LEN]);
int smb_hmac_md5(const uint8_t *key, size_t key_len, const struct iovec *iov, int n,
                 uint8_t out[SMB_MD5_LEN]);
int smb_hmac_sha256(const uint8_t *key, size_t key_len, const struct iovec *iov, int n,
                    uint8_t out[SMB_SHA256_LEN]);
int smb_aes_cmac(const uint8_t key[16], const struct iovec *iov, int n, uint8_t out[16]);

/* Pre-authentication integrity (MS-SMB2 3.2.5.2): H = SHA-512(H || message).
 * The message is the concatenation of the iovecs. */
int smb_preauth_update(uint8_t hash[SMB_PREAUTH_HASH_LEN], const struct iovec *iov, int n);

/* --- RC4 (NTLM key exchange and NTLMSSP sealing) --------------------------- */

struct smb_rc4 {
        uint8_t s[256];
        uint8_t i, j;
};

int smb_rc4_init(struct smb_rc4 *rc4, const uint8_t *key, size_t key_len);
void smb_rc4_crypt(struct smb_rc4 *rc4, uint8_t *buf, size_t len);
void smb_rc4_wipe(struct smb_rc4 *rc4);

/* --- key derivation ---------------------------------------------------------- */

/* SP800-108 counter mode, PRF HMAC-SHA256, r = 32, L = 8 * out_len bits:
 * out = PRF(ki, [1]_4 || label || 0x00 || context || [L]_4) || ...
 * `label` and `context` are passed with their terminating NUL when MS-SMB2
 * says so (the MS-SMB2 label lengths include it); out_len 1..64. */
int smb_kdf(const uint8_t *ki, size_t ki_len, const void *label, size_t label_len,
            const void *context, size_t context_len, uint8_t *out, size_t out_len);

struct smb_keys {
        uint8_t signing[SMB_KEY_LEN];
        uint8_t application[SMB_KEY_LEN];
        uint8_t encryption[SMB_MAX_CIPHER_KEY_LEN];     /* client -> server */
        uint8_t decryption[SMB_MAX_CIPHER_KEY_LEN];     /* server -> client */
        size_t cipher_key_len;                          /* 0, 16 or 32 */
};

/*
 * Session keys for the client side (MS-SMB2 3.2.5.3.1).
 * `key` is the full GSS session key (for NTLM the 16-byte exported session
 * key); Session.SessionKey is its first 16 bytes, zero padded.
 * 2.0.2/2.1: signing = SessionKey, no encryption keys.
 * 3.0/3.0.2: labels "SMB2AESCMAC"/"SmbSign", "SMB2APP"/"SmbRpc",
 *            "SMB2AESCCM"/"ServerIn " and "ServerOut"; cipher must be NONE or
 *            AES128_CCM (3.0.x always uses AES-128-CCM).
 * 3.1.1:     labels "SMBSigningKey", "SMBAppKey", "SMBC2SCipherKey",
 *            "SMBS2CCipherKey", context = `preauth` (64 bytes).  For the
 *            AES-256 ciphers the cipher keys use the full session key
 *            (Session.FullSessionKey) and L = 256; signing and application
 *            keys stay 128-bit keys derived from Session.SessionKey.
 */
int smb_derive_keys(uint16_t dialect, uint16_t cipher, const uint8_t *key, size_t key_len,
                    const uint8_t *preauth, struct smb_keys *out);

/* --- SMB2 signing (MS-SMB2 3.1.4.1 / 3.1.5.1) ------------------------------ */

/*
 * Signature of one SMB2 message (header + body + padding of a compound
 * element) given as iovecs, computed as if the 16-byte Signature field of the
 * header were zero; the iovecs are not modified.  For AES-GMAC the nonce is
 * built from the header itself: MessageId, SMB2_FLAGS_SERVER_TO_REDIR (role
 * bit) and whether it is a CANCEL request.  `key` is 16 bytes for every
 * algorithm (HMAC-SHA256 uses Session.SessionKey and truncates to 16 bytes).
 * -EINVAL if the message is shorter than an SMB2 header.
 */
int smb_sign(enum smb_sign_alg alg, const uint8_t key[SMB_KEY_LEN], const struct iovec *iov,
             int n, uint8_t sig[SMB_SIG_LEN]);

/* Recompute and compare (constant time) with the Signature in the header:
 * 0 if it matches, -EBADMSG if not. */
int smb_verify(enum smb_sign_alg alg, const uint8_t key[SMB_KEY_LEN], const struct iovec *iov,
               int n);

/* --- SMB3 encryption (MS-SMB2 3.1.4.3 / 3.2.5.1.1.1) ----------------------- */

/* Key length of a cipher: 16 or 32, or -EINVAL for NONE/unknown. */
int smb_cipher_key_len(uint16_t cipher);

/* AEAD nonce length (11 for CCM, 12 for GCM) or -EINVAL. */
int smb_cipher_nonce_len(uint16_t cipher);

/* Fill a TRANSFORM_HEADER: ProtocolId, zero Signature, Nonce (nonce_len
 * bytes, rest zero), OriginalMessageSize, Flags = 0x0001, SessionId. */
int smb_transform_init(uint8_t hdr[SMB_TRANSFORM_HDR_LEN], const uint8_t *nonce,
                       size_t nonce_len, uint32_t msg_size, uint64_t session_id);

/*
 * Encrypt `buf` (the whole SMB2 message, len == OriginalMessageSize) in place
 * and store the 16-byte tag in the header's Signature.  AAD is the header
 * from Nonce to its end (32 bytes).
 */
int smb_encrypt(uint16_t cipher, const uint8_t *key, size_t key_len,
                uint8_t hdr[SMB_TRANSFORM_HDR_LEN], uint8_t *buf, size_t len);
/*
 * The same for a message in two pieces, `head` then `tail` (tail_len may be
 * 0), written encrypted to `out` (head_len + tail_len bytes, which may be
 * `head` itself): a WRITE's header and its payload go straight from where
 * they are to the frame, without first being copied together (GCM; CCM
 * needs the whole message in one piece and gathers it in `out` first).
 */
int smb_encrypt_to(uint16_t cipher, const uint8_t *key, size_t key_len,
                   uint8_t hdr[SMB_TRANSFORM_HDR_LEN], const uint8_t *head, size_t head_len,
                   const uint8_t *tail, size_t tail_len, uint8_t *out);

/*
 * Decrypt in place and authenticate.  -EBADMSG if the header is malformed
 * (ProtocolId, Flags, OriginalMessageSize != len) or the tag does not match;
 * on a tag mismatch `buf` is wiped so unauthenticated plaintext never leaks.
 */
int smb_decrypt(uint16_t cipher, const uint8_t *key, size_t key_len,
                const uint8_t hdr[SMB_TRANSFORM_HDR_LEN], uint8_t *buf, size_t len);

/*
 * Incremental decryption of one transformed message (AES-GCM only: CCM
 * authenticates before it can decrypt, use smb_decrypt).  It lets the
 * receiver decrypt the SMB2 header first, decide from it where the rest of
 * the message belongs (a READ's data: straight into the caller's buffer),
 * and decrypt the rest there, without first decrypting the whole message
 * in place and copying it again.
 *
 *   smb_decrypt_begin(d, cipher, key, key_len, hdr, len);
 *   smb_decrypt_update(d, in, n, out);      ... until len bytes are done
 *   smb_decrypt_final(d);                   0, or -EBADMSG: bad tag
 *
 * Until final returns 0 the plaintext written so far is NOT authenticated:
 * look at it (to pick the next destination) but act on nothing.  The
 * decryptor remembers where update wrote (at most SMB_DECRYPT_MAX_OUT
 * separate ranges; a range continuing the previous one extends it) and a
 * failing final, or smb_decrypt_abort, wipes all of it, so unauthenticated
 * plaintext never survives.  Those ranges must stay valid until then.
 * `out` may be `in` (in place) or not overlap it at all.
 *
 * The decryptor keeps the OpenSSL cipher context and the fetched cipher
 * from one message to the next (one per connection).
 */
#define SMB_DECRYPT_MAX_OUT 4

struct smb_decryptor;

int smb_decryptor_new(struct smb_decryptor **ret);
void smb_decryptor_free(struct smb_decryptor *d);

/* -EOPNOTSUPP for the CCM ciphers, -EINVAL for bad arguments, -EBADMSG if
 * the header is malformed (as smb_decrypt).  A message begun and not
 * finished is aborted first. */
int smb_decrypt_begin(struct smb_decryptor *d, uint16_t cipher, const uint8_t *key,
                      size_t key_len, const uint8_t hdr[SMB_TRANSFORM_HDR_LEN], size_t len);
/* The next `n` bytes of the message; -EINVAL beyond its end or with a
 * fifth separate output range (nothing is written then). */
int smb_decrypt_update(struct smb_decryptor *d, const uint8_t *in, size_t n, uint8_t *out);
/* Check the tag once every byte went through update: 0 when it matches;
 * -EBADMSG (every output range wiped) when not; -EINVAL (and wiped) when
 * bytes are missing.  The message is over either way. */
int smb_decrypt_final(struct smb_decryptor *d);
/* Give up on the message: wipe what update wrote.  No-op when idle. */
void smb_decrypt_abort(struct smb_decryptor *d);

/* --- misc --------------------------------------------------------------------- */

/* Cryptographically strong random bytes; -EIO if the DRBG fails. */
int smb_random(void *buf, size_t len);

/* Constant-time comparison: 0 if equal. */
int smb_memcmp_ct(const void *a, const void *b, size_t len);

/* Wipe secrets (not optimised away). */
void smb_wipe(void *buf, size_t len);

#endif /* GWD_SMB_CRYPTO_H */
