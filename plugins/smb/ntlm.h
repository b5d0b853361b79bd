/* SPDX-License-Identifier: MIT */
/*
 * NTLMSSP client (MS-NLMP), NTLMv2 only, connection-oriented, always with
 * extended session security.
 *
 * Flow for SMB session setup (each token goes inside SPNEGO):
 *   ntlm_build_negotiate()      -> NEGOTIATE_MESSAGE (keep the bytes: MIC)
 *   ntlm_build_authenticate()   <- CHALLENGE_MESSAGE, -> AUTHENTICATE_MESSAGE
 *                                  and the exported session key (= the SMB
 *                                  session key)
 *   ntlm_gss_init() + ntlm_gss_getmic()/verifymic() for the SPNEGO
 *                                  mechListMIC.
 * Every length/offset of the server's message is checked; malformed input
 * gives -EBADMSG, unsupported choices (no Unicode) -EPROTONOSUPPORT.
 */
#ifndef GWD_SMB_NTLM_H
#define GWD_SMB_NTLM_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/crypto.h"

/* NegotiateFlags (MS-NLMP 2.2.2.5). */
#define NTLMSSP_NEGOTIATE_UNICODE 0x00000001u
#define NTLM_NEGOTIATE_OEM 0x00000002u
#define NTLMSSP_REQUEST_TARGET 0x00000004u
#define NTLMSSP_NEGOTIATE_SIGN 0x00000010u
#define NTLMSSP_NEGOTIATE_SEAL 0x00000020u
#define NTLMSSP_NEGOTIATE_DATAGRAM 0x00000040u
#define NTLMSSP_NEGOTIATE_LM_KEY 0x00000080u
#define NTLMSSP_NEGOTIATE_NTLM 0x00000200u
#define NTLMSSP_ANONYMOUS 0x00000800u
#define NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED 0x00001000u
#define NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED 0x00002000u
#define NTLMSSP_NEGOTIATE_ALWAYS_SIGN 0x00008000u
#define NTLMSSP_TARGET_TYPE_DOMAIN 0x00010000u
#define NTLMSSP_TARGET_TYPE_SERVER 0x00020000u
#define NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define NTLMSSP_NEGOTIATE_IDENTIFY 0x00100000u
#define NTLMSSP_REQUEST_NON_NT_SESSION_KEY 0x00400000u
#define NTLMSSP_NEGOTIATE_TARGET_INFO 0x00800000u
#define NTLMSSP_NEGOTIATE_VERSION 0x02000000u
#define NTLMSSP_NEGOTIATE_128 0x20000000u
#define NTLMSSP_NEGOTIATE_KEY_EXCH 0x40000000u
#define NTLMSSP_NEGOTIATE_56 0x80000000u

/* What we ask for by default (the client flags of MS-NLMP 4.2.4). */
#define NTLM_DEFAULT_FLAGS                                                                 \
        (NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_SIGN |     \
         NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_ALWAYS_SIGN | \
         NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_TARGET_INFO |      \
         NTLMSSP_NEGOTIATE_VERSION | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH |  \
         NTLMSSP_NEGOTIATE_56)

/* AV_PAIR ids (MS-NLMP 2.2.2.1). */
enum ntlm_av_id {
        MSV_AV_EOL = 0,
        MSV_AV_NB_COMPUTER_NAME = 1,
        MSV_AV_NB_DOMAIN_NAME = 2,
        MSV_AV_DNS_COMPUTER_NAME = 3,
        MSV_AV_DNS_DOMAIN_NAME = 4,
        MSV_AV_DNS_TREE_NAME = 5,
        MSV_AV_FLAGS = 6,
        MSV_AV_TIMESTAMP = 7,
        MSV_AV_SINGLE_HOST = 8,
        MSV_AV_TARGET_NAME = 9,
        MSV_AV_CHANNEL_BINDINGS = 10,
};

#define MSV_AV_FLAG_MIC_PRESENT 0x00000002u

#define NTLM_NEGOTIATE_LEN 40
#define NTLM_MIC_OFF 72
#define NTLM_MIC_LEN 16

/* A UTF-16LE string inside a parsed message (points into it). */
struct ntlm_str {
        const uint8_t *p;
        size_t len;             /* bytes, always even */
};

struct ntlm_challenge {
        uint32_t flags;
        uint8_t server_challenge[8];
        struct ntlm_str target_name;
        const uint8_t *target_info;     /* raw AV pairs incl. MsvAvEOL, or NULL */
        size_t target_info_len;
        int has_version;
        uint8_t version[8];
        /* From the AV pairs: */
        int has_timestamp;
        uint64_t timestamp;             /* FILETIME */
        int has_av_flags;
        uint32_t av_flags;
        struct ntlm_str nb_computer, nb_domain, dns_computer, dns_domain, dns_tree;
};

/* Parse a CHALLENGE_MESSAGE; `out` points into `msg`, keep it alive. */
int ntlm_parse_challenge(const uint8_t *msg, size_t len, struct ntlm_challenge *out);

/*
 * NEGOTIATE_MESSAGE (40 bytes, no domain/workstation, Version included).
 * `version` (8 bytes, MS-NLMP 2.2.2.10) may be NULL for a default.
 * Returns the length written or a negative errno (-ENOBUFS).
 */
int ntlm_build_negotiate(uint32_t flags, const uint8_t *version, uint8_t *buf, size_t cap);

/* UTF-8 credentials; user "" and password "" (or NULL) = anonymous. */
struct ntlm_creds {
        const char *user;
        const char *domain;
        const char *password;
        const char *workstation;        /* NULL = none */
};

/* Optional knobs; NULL or zero fields = normal operation. */
struct ntlm_auth_opts {
        const uint8_t *client_challenge;        /* 8 bytes, else random */
        const uint8_t *random_session_key;      /* 16 bytes, else random */
        int use_time;                           /* use `time` when the server */
        uint64_t time;                          /*   sends no MsvAvTimestamp */
        const uint8_t *version;                 /* 8 bytes, else default */
        const char *target_spn;                 /* UTF-8, adds MsvAvTargetName */
};

struct ntlm_auth_result {
        uint8_t session_key[16];        /* ExportedSessionKey = SMB session key */
        size_t session_key_len;         /* 16, or 0 for anonymous */
        uint32_t flags;                 /* flags sent in the AUTHENTICATE_MESSAGE */
        int mic_present;
        int anonymous;
};

/*
 * Build the AUTHENTICATE_MESSAGE answering `chal` (the CHALLENGE_MESSAGE as
 * received; `neg` is our NEGOTIATE_MESSAGE as sent, both needed for the MIC).
 * On success *out is malloc'ed (free() it) and `res` holds the session key.
 * LmChallengeResponse is Z(24) when the server sent MsvAvTimestamp, and then
 * MsvAvFlags gets MIC_PRESENT and the MIC is filled in (MS-NLMP 3.1.5.1.2).
 */
int ntlm_build_authenticate(const struct ntlm_creds *creds, const uint8_t *neg, size_t neg_len,
                            const uint8_t *chal, size_t chal_len,
                            const struct ntlm_auth_opts *opts, uint8_t **out, size_t *out_len,
                            struct ntlm_auth_result *res);

/* NTOWFv2 (MS-NLMP 3.3.2) from UTF-8 strings. */
int ntlm_ntowfv2(const char *user, const char *domain, const char *password,
                 uint8_t out[16]);

/* MIC = HMAC_MD5(key, neg || chal || auth) with auth's MIC field taken as 0. */
int ntlm_compute_mic(const uint8_t key[16], const uint8_t *neg, size_t neg_len,
                     const uint8_t *chal, size_t chal_len, const uint8_t *auth,
                     size_t auth_len, uint8_t mic[NTLM_MIC_LEN]);

/* --- NTLMSSP message integrity (MS-NLMP 3.4, extended session security) --- */

struct ntlm_gss {
        uint32_t flags;
        uint8_t sign_c2s[16], sign_s2c[16];
        struct smb_rc4 seal_c2s, seal_s2c;
        uint32_t seq_c2s, seq_s2c;
};

/* -ENOTSUP without NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY in `flags`. */
int ntlm_gss_init(struct ntlm_gss *g, const uint8_t exported_key[16], uint32_t flags);
void ntlm_gss_wipe(struct ntlm_gss *g);

/* Client GSS_GetMIC: 16-byte NTLMSSP_MESSAGE_SIGNATURE, advances seq_c2s. */
int ntlm_gss_getmic(struct ntlm_gss *g, const void *msg, size_t len, uint8_t sig[16]);

/* Check a server signature (seq_s2c); 0, or -EBADMSG. */
int ntlm_gss_verifymic(struct ntlm_gss *g, const void *msg, size_t len, const uint8_t *sig,
                       size_t sig_len);

/* Client GSS_WrapEx: seal `msg` in place and produce its signature. */
int ntlm_gss_seal(struct ntlm_gss *g, uint8_t *msg, size_t len, uint8_t sig[16]);

#endif /* GWD_SMB_NTLM_H */
