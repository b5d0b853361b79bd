/* SPDX-License-Identifier: MIT */
#include "plugins/smb/smb2_negotiate.h"

/* Offsets below are from the start of the SMB2 header. */
#define NEG_REQ_FIXED   36u
#define NEG_RSP_FIXED   64u

static bool has_u16(const uint16_t *v, size_t n, uint16_t x)
{
        for (size_t i = 0; v && i < n; i++)
                if (v[i] == x)
                        return true;
        return false;
}

/* Pad to 8 relative to the header, which is SMB2_HDR_SIZE before `body`. */
static void pad8(struct wire_wr *w, size_t body)
{
        size_t rel = w->pos - body + SMB2_HDR_SIZE;
        wire_put_zeros(w, (8 - (rel & 7)) & 7);
}

static void put_ctx_hdr(struct wire_wr *w, uint16_t type, size_t data_len)
{
        wire_put_u16(w, type);
        wire_put_u16(w, (uint16_t)data_len);
        wire_put_u32(w, 0);
}

int smb2_negotiate_req_encode(struct wire_wr *w, const struct smb2_negotiate_req *req)
{
        if (w->err)
                return w->err;
        if (!req->dialects || req->dialect_count == 0)
                return -EINVAL;
        if ((req->salt_len && !req->salt) || (req->cipher_count && !req->ciphers) ||
            (req->signing_alg_count && !req->signing_algs) ||
            (req->netname_len && !req->netname))
                return -EINVAL;
        /* Each context's DataLength is 16 bits. */
        if (6u + req->salt_len > UINT16_MAX || 2u + 2u * req->cipher_count > UINT16_MAX ||
            2u + 2u * req->signing_alg_count > UINT16_MAX)
                return -EINVAL;

        bool v311 = has_u16(req->dialects, req->dialect_count, SMB2_DIALECT_311);
        size_t body = w->pos;

        wire_put_u16(w, NEG_REQ_FIXED);
        wire_put_u16(w, req->dialect_count);
        wire_put_u16(w, req->security_mode);
        wire_put_u16(w, 0);
        wire_put_u32(w, req->capabilities);
        wire_put_bytes(w, req->client_guid, SMB2_GUID_SIZE);
        size_t ctx_off_pos = w->pos;
        wire_put_u32(w, 0);   /* NegotiateContextOffset, or ClientStartTime low */
        wire_put_u16(w, 0);   /* NegotiateContextCount */
        wire_put_u16(w, 0);
        for (uint16_t i = 0; i < req->dialect_count; i++)
                wire_put_u16(w, req->dialects[i]);
        if (!v311 || w->err)
                return w->err;

        uint16_t count = 0;
        pad8(w, body);
        size_t first = w->pos - body + SMB2_HDR_SIZE;

        /* HashAlgorithmCount, SaltLength, one hash id, salt */
        put_ctx_hdr(w, SMB2_PREAUTH_INTEGRITY_CAPABILITIES, 6u + req->salt_len);
        wire_put_u16(w, 1);
        wire_put_u16(w, req->salt_len);
        wire_put_u16(w, SMB2_PREAUTH_INTEGRITY_SHA512);
        wire_put_bytes(w, req->salt, req->salt_len);
        count++;

        if (req->cipher_count) {
                pad8(w, body);
                put_ctx_hdr(w, SMB2_ENCRYPTION_CAPABILITIES, 2u + 2u * req->cipher_count);
                wire_put_u16(w, req->cipher_count);
                for (uint16_t i = 0; i < req->cipher_count; i++)
                        wire_put_u16(w, req->ciphers[i]);
                count++;
        }
        if (req->signing_alg_count) {
                pad8(w, body);
                put_ctx_hdr(w, SMB2_SIGNING_CAPABILITIES, 2u + 2u * req->signing_alg_count);
                wire_put_u16(w, req->signing_alg_count);
                for (uint16_t i = 0; i < req->signing_alg_count; i++)
                        wire_put_u16(w, req->signing_algs[i]);
                count++;
        }
        if (req->netname_len) {
                pad8(w, body);
                put_ctx_hdr(w, SMB2_NETNAME_NEGOTIATE_CONTEXT_ID, req->netname_len);
                wire_put_bytes(w, req->netname, req->netname_len);
                count++;
        }
        if (w->err)
                return w->err;
        wire_patch_u32(w, ctx_off_pos, (uint32_t)first);
        wire_patch_u16(w, ctx_off_pos + 4, count);
        return 0;
}

/* One context's data; returns 0 or a negative errno. */
static int parse_ctx(uint16_t type, struct wire_rd *d, const uint8_t *data,
                     const struct smb2_negotiate_req *offered, struct smb2_negotiate_rsp *rsp)
{
        switch (type) {
        case SMB2_PREAUTH_INTEGRITY_CAPABILITIES: {
                if (rsp->has_preauth)
                        return -EBADMSG;
                rsp->has_preauth = true;
                uint16_t nhash = wire_get_u16(d);
                uint16_t salt_len = wire_get_u16(d);
                if (d->err || nhash != 1)
                        return -EBADMSG;
                rsp->hash_alg = wire_get_u16(d);
                const uint8_t *salt = wire_get_bytes(d, salt_len);
                if (d->err)
                        return d->err;
                rsp->preauth_salt = salt_len ? salt : NULL;
                rsp->preauth_salt_len = salt_len;
                if (rsp->hash_alg != SMB2_PREAUTH_INTEGRITY_SHA512)
                        return -EPROTO;
                (void)data;
                return 0;
        }
        case SMB2_ENCRYPTION_CAPABILITIES: {
                if (rsp->has_encryption)
                        return -EBADMSG;
                rsp->has_encryption = true;
                uint16_t n = wire_get_u16(d);
                rsp->cipher = wire_get_u16(d);
                if (d->err || n != 1)
                        return -EBADMSG;
                if (!offered->cipher_count)
                        return -EPROTO;
                if (rsp->cipher != SMB2_ENCRYPTION_NONE &&
                    !has_u16(offered->ciphers, offered->cipher_count, rsp->cipher))
                        return -EPROTO;
                return 0;
        }
        case SMB2_SIGNING_CAPABILITIES: {
                if (rsp->has_signing)
                        return -EBADMSG;
                rsp->has_signing = true;
                uint16_t n = wire_get_u16(d);
                rsp->signing_alg = wire_get_u16(d);
                if (d->err || n != 1)
                        return -EBADMSG;
                if (!has_u16(offered->signing_algs, offered->signing_alg_count,
                             rsp->signing_alg))
                        return -EPROTO;
                return 0;
        }
        default:
                /* Contexts we do not interpret (e.g. future ones) are skipped. */
                return 0;
        }
}

static int parse_ctx_list(const uint8_t *msg, size_t len, uint32_t off, uint16_t count,
                          const struct smb2_negotiate_req *offered,
                          struct smb2_negotiate_rsp *rsp)
{
        struct wire_rd r = wire_rd_init(msg, len);

        if (count == 0 || (off & 7) || off < SMB2_HDR_SIZE + NEG_RSP_FIXED)
                return -EBADMSG;
        wire_seek(&r, off);
        for (uint16_t i = 0; i < count; i++) {
                if (i > 0) {
                        /* Every context after the first starts on 8 bytes. */
                        size_t pad = (8 - (r.pos & 7)) & 7;
                        wire_skip(&r, pad);
                }
                uint16_t type = wire_get_u16(&r);
                uint16_t dlen = wire_get_u16(&r);
                wire_skip(&r, 4);
                const uint8_t *data = wire_get_bytes(&r, dlen);
                if (r.err)
                        return r.err;
                struct wire_rd d = wire_rd_init(data, dlen);
                int rc = parse_ctx(type, &d, data, offered, rsp);
                if (rc)
                        return rc;
        }
        if (!rsp->has_preauth)
                return -EBADMSG;
        return 0;
}

int smb2_negotiate_rsp_decode(const uint8_t *msg, size_t len,
                              const struct smb2_negotiate_req *offered,
                              struct smb2_negotiate_rsp *rsp)
{
        struct wire_rd r;
        int rc;

        memset(rsp, 0, sizeof(*rsp));
        if (!offered)
                return -EINVAL;
        rc = smb2_rsp_body(msg, len, SMB2_NEGOTIATE, NEG_RSP_FIXED + 1, &r);
        if (rc)
                return rc;
        rsp->security_mode = wire_get_u16(&r);
        rsp->dialect = wire_get_u16(&r);
        uint16_t ctx_count = wire_get_u16(&r);
        wire_get_copy(&r, rsp->server_guid, SMB2_GUID_SIZE);
        rsp->capabilities = wire_get_u32(&r);
        rsp->max_transact_size = wire_get_u32(&r);
        rsp->max_read_size = wire_get_u32(&r);
        rsp->max_write_size = wire_get_u32(&r);
        rsp->system_time = wire_get_u64(&r);
        rsp->server_start_time = wire_get_u64(&r);
        uint16_t sec_off = wire_get_u16(&r);
        uint16_t sec_len = wire_get_u16(&r);
        uint32_t ctx_off = wire_get_u32(&r);
        if (r.err)
                return r.err;

        rc = smb2_msg_slice(msg, len, sec_off, sec_len, SMB2_HDR_SIZE + NEG_RSP_FIXED,
                            &rsp->security_buffer);
        if (rc)
                return rc;
        rsp->security_buffer_len = sec_len;

        if (!has_u16(offered->dialects, offered->dialect_count, rsp->dialect))
                return -EPROTO;
        rsp->signing_alg = SMB2_SIGNING_AES_CMAC;
        if (rsp->dialect != SMB2_DIALECT_311) {
                /* Below 3.1.1 the signing algorithm follows from the dialect. */
                if (rsp->dialect < SMB2_DIALECT_300)
                        rsp->signing_alg = SMB2_SIGNING_HMAC_SHA256;
                return 0;
        }
        rsp->context_count = ctx_count;
        return parse_ctx_list(msg, len, ctx_off, ctx_count, offered, rsp);
}
