/* SPDX-License-Identifier: MIT */
/* SMB2 NEGOTIATE (MS-SMB2 2.2.3, 2.2.4) with the 3.1.1 negotiate contexts. */
#ifndef GWD_SMB2_NEGOTIATE_H
#define GWD_SMB2_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/smb2_header.h"

struct smb2_negotiate_req {
        uint16_t security_mode;           /* SMB2_NEGOTIATE_SIGNING_* */
        uint32_t capabilities;            /* SMB2_GLOBAL_CAP_* */
        uint8_t client_guid[SMB2_GUID_SIZE];
        const uint16_t *dialects;         /* e.g. 0x0202, 0x0210, 0x0300, 0x0302, 0x0311 */
        uint16_t dialect_count;
        /*
         * The rest is sent only if dialects contain 0x0311.  The
         * PREAUTH_INTEGRITY context (SHA-512 + salt) is always sent then;
         * ENCRYPTION / SIGNING / NETNAME only with a non-zero count/length.
         */
        const uint8_t *salt;              /* usually 32 random bytes */
        uint16_t salt_len;
        const uint16_t *ciphers;          /* client order of preference */
        uint16_t cipher_count;
        const uint16_t *signing_algs;     /* e.g. AES-GMAC, AES-CMAC, HMAC-SHA256 */
        uint16_t signing_alg_count;
        const uint8_t *netname;           /* server name, UTF-16LE, optional */
        uint16_t netname_len;             /* bytes */
};

/*
 * Body of a NEGOTIATE request, to be written right after its 64-byte
 * header.  -EINVAL for no dialects or a context list that cannot be
 * encoded, w->err (-ENOBUFS) when out of room.
 */
int smb2_negotiate_req_encode(struct wire_wr *w, const struct smb2_negotiate_req *req);

struct smb2_negotiate_rsp {
        uint16_t security_mode;
        uint16_t dialect;
        uint8_t server_guid[SMB2_GUID_SIZE];
        uint32_t capabilities;
        uint32_t max_transact_size;
        uint32_t max_read_size;
        uint32_t max_write_size;
        uint64_t system_time;             /* NT time */
        uint64_t server_start_time;
        const uint8_t *security_buffer;   /* SPNEGO hint, into msg; NULL if empty */
        uint16_t security_buffer_len;
        /* 3.1.1 only (zero otherwise) */
        uint16_t context_count;
        bool has_preauth;
        uint16_t hash_alg;                /* SMB2_PREAUTH_INTEGRITY_SHA512 */
        const uint8_t *preauth_salt;      /* into msg */
        uint16_t preauth_salt_len;
        bool has_encryption;
        uint16_t cipher;                  /* 0: no common cipher */
        bool has_signing;
        uint16_t signing_alg;             /* AES-CMAC if no SIGNING context */
};

/*
 * Decode a NEGOTIATE response and check it against what we offered in
 * `offered` (required): the dialect must be one we listed, and for 3.1.1
 * there must be exactly one PREAUTH context choosing SHA-512 and at most
 * one ENCRYPTION / SIGNING context choosing one of our ciphers (or none)
 * / signing algorithms; every context length is checked.  Unknown context
 * types are skipped.  Returns 0, -EBADMSG (malformed), -EPROTO (wrong
 * StructureSize, or something selected that we did not offer).
 */
int smb2_negotiate_rsp_decode(const uint8_t *msg, size_t len,
                              const struct smb2_negotiate_req *offered,
                              struct smb2_negotiate_rsp *rsp);

#endif /* GWD_SMB2_NEGOTIATE_H */
