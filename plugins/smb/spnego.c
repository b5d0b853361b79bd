/* SPDX-License-Identifier: MIT */
/* SPNEGO tokens (RFC 4178, RFC 2743 3.1, MS-SPNG 2.2) over a tiny DER codec. */
#include "plugins/smb/spnego.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TAG_OCTET_STRING 0x04
#define TAG_OID 0x06
#define TAG_ENUMERATED 0x0A
#define TAG_SEQUENCE 0x30
#define TAG_GSS_APP0 0x60       /* [APPLICATION 0] InitialContextToken */
#define TAG_CTX(n) (0xA0 | (n))

/* Largest token we build; SMB security buffers are far smaller. */
#define MAX_TOKEN (16u * 1024 * 1024)

static const uint8_t oid_spnego[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };
static const uint8_t oid_ntlmssp[] = { 0x2b, 0x06, 0x01, 0x04, 0x01,
                                       0x82, 0x37, 0x02, 0x02, 0x0a };

const uint8_t SPNEGO_NTLM_MECH_LIST[SPNEGO_NTLM_MECH_LIST_LEN] = {
        TAG_SEQUENCE, 12, TAG_OID, 10, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a,
};

/* --- reader ------------------------------------------------------------------ */

struct der {
        const uint8_t *p;
        size_t len;
};

/* Next TLV of `d` into tag/val, advancing `d`. */
static int der_next(struct der *d, uint8_t *tag, struct der *val)
{
        size_t hdr = 2, len;

        if (d->len < 2)
                return -EBADMSG;
        if ((d->p[0] & 0x1F) == 0x1F)
                return -EBADMSG;                /* high tag numbers: not in SPNEGO */
        len = d->p[1];
        if (len & 0x80) {
                size_t n = len & 0x7F;
                if (n == 0 || n > 4 || d->len - 2 < n)
                        return -EBADMSG;        /* indefinite or absurd length */
                len = 0;
                for (size_t i = 0; i < n; i++)
                        len = len << 8 | d->p[2 + i];
                hdr += n;
        }
        if (len > d->len - hdr)
                return -EBADMSG;
        *tag = d->p[0];
        val->p = d->p + hdr;
        val->len = len;
        d->p += hdr + len;
        d->len -= hdr + len;
        return 0;
}

static int der_expect(struct der *d, uint8_t tag, struct der *val)
{
        uint8_t t;
        int ret = der_next(d, &t, val);

        return ret ? ret : t == tag ? 0 : -EBADMSG;
}

/* A context-tagged [n] EXPLICIT element that must hold exactly one TLV. */
static int der_explicit(struct der ctx, uint8_t tag, struct der *val)
{
        int ret = der_expect(&ctx, tag, val);

        return ret ? ret : ctx.len ? -EBADMSG : 0;
}

static int oid_is(struct der v, const uint8_t *oid, size_t len)
{
        return v.len == len && memcmp(v.p, oid, len) == 0;
}

static int parse_mech_types(struct der v, struct spnego_init *out)
{
        struct der seq, oid;
        int ret = der_explicit(v, TAG_SEQUENCE, &seq);

        while (!ret && seq.len) {
                ret = der_expect(&seq, TAG_OID, &oid);
                if (ret || oid.len == 0)
                        return -EBADMSG;
                if (oid_is(oid, oid_ntlmssp, sizeof(oid_ntlmssp))) {
                        out->ntlmssp_preferred |= out->mech_count == 0;
                        out->ntlmssp_offered = 1;
                }
                out->mech_count++;
        }
        return ret;
}

/* Fields of NegTokenInit(2): [0] mechTypes, [1] reqFlags, [2] mechToken,
 * [3] negHints / mechListMIC, [4] mechListMIC — only [0] and [2] matter. */
static int parse_init_fields(struct der seq, struct spnego_init *out)
{
        int last = -1, ret = 0;

        while (!ret && seq.len) {
                struct der v, tok;
                uint8_t tag;
                ret = der_next(&seq, &tag, &v);
                if (ret)
                        break;
                int n = tag & 0x1F;
                if ((tag & 0xE0) != 0xA0 || n <= last)
                        return -EBADMSG;
                last = n;
                if (n == 0) {
                        ret = parse_mech_types(v, out);
                } else if (n == 2) {
                        ret = der_explicit(v, TAG_OCTET_STRING, &tok);
                        out->mech_token = tok.p;
                        out->mech_token_len = tok.len;
                }
        }
        return ret;
}

int spnego_parse_init(const uint8_t *buf, size_t len, struct spnego_init *out)
{
        struct der d = { buf, len }, app, oid, ctx, seq;
        int ret;

        if (!out || (!buf && len))
                return -EINVAL;
        memset(out, 0, sizeof(*out));
        if (len == 0)
                return -ENODATA;
        ret = der_expect(&d, TAG_GSS_APP0, &app);
        if (!ret && d.len)
                ret = -EBADMSG;
        if (!ret)
                ret = der_expect(&app, TAG_OID, &oid);
        if (!ret && !oid_is(oid, oid_spnego, sizeof(oid_spnego)))
                ret = -EPROTONOSUPPORT;
        if (!ret)
                ret = der_expect(&app, TAG_CTX(0), &ctx);
        if (!ret && app.len)
                ret = -EBADMSG;
        if (!ret)
                ret = der_explicit(ctx, TAG_SEQUENCE, &seq);
        if (!ret)
                ret = parse_init_fields(seq, out);
        if (ret)
                memset(out, 0, sizeof(*out));
        return ret;
}

static int parse_resp_field(int n, struct der v, struct spnego_resp *out)
{
        struct der x;
        int ret;

        switch (n) {
        case 0:
                ret = der_explicit(v, TAG_ENUMERATED, &x);
                if (!ret && (x.len != 1 || x.p[0] > SPNEGO_REQUEST_MIC))
                        ret = -EBADMSG;
                if (!ret)
                        out->neg_state = x.p[0];
                return ret;
        case 1:
                ret = der_explicit(v, TAG_OID, &x);
                if (!ret && x.len == 0)
                        ret = -EBADMSG;
                if (!ret) {
                        out->has_supported_mech = 1;
                        out->supported_mech_ntlmssp = oid_is(x, oid_ntlmssp, sizeof(oid_ntlmssp));
                }
                return ret;
        case 2:
                ret = der_explicit(v, TAG_OCTET_STRING, &x);
                if (!ret) {
                        out->response_token = x.p;
                        out->response_token_len = x.len;
                }
                return ret;
        case 3:
                ret = der_explicit(v, TAG_OCTET_STRING, &x);
                if (!ret) {
                        out->mech_list_mic = x.p;
                        out->mech_list_mic_len = x.len;
                }
                return ret;
        }
        return 0;               /* future extensions are skipped */
}

int spnego_parse_resp(const uint8_t *buf, size_t len, struct spnego_resp *out)
{
        struct der d = { buf, len }, ctx, seq;
        int last = -1, ret;

        if (!out || (!buf && len))
                return -EINVAL;
        memset(out, 0, sizeof(*out));
        out->neg_state = -1;
        if (len == 0)
                return -ENODATA;
        ret = der_expect(&d, TAG_CTX(1), &ctx);
        if (!ret && d.len)
                ret = -EBADMSG;
        if (!ret)
                ret = der_explicit(ctx, TAG_SEQUENCE, &seq);
        while (!ret && seq.len) {
                struct der v;
                uint8_t tag;
                ret = der_next(&seq, &tag, &v);
                if (ret)
                        break;
                int n = tag & 0x1F;
                if ((tag & 0xE0) != 0xA0 || n <= last) {
                        ret = -EBADMSG;
                        break;
                }
                last = n;
                ret = parse_resp_field(n, v, out);
        }
        if (ret) {
                memset(out, 0, sizeof(*out));
                out->neg_state = -1;
        }
        return ret;
}

/* --- writer ------------------------------------------------------------------ */

static size_t len_size(size_t len)
{
        return len < 0x80 ? 1 : len <= 0xFF ? 2 : len <= 0xFFFF ? 3 : len <= 0xFFFFFF ? 4 : 5;
}

static size_t tlv_size(size_t len)
{
        return 1 + len_size(len) + len;
}

/* Write tag + length at *p, advancing it. */
static void put_hdr(uint8_t **p, uint8_t tag, size_t len)
{
        size_t n = len_size(len);

        *(*p)++ = tag;
        if (n == 1) {
                *(*p)++ = (uint8_t)len;
                return;
        }
        *(*p)++ = (uint8_t)(0x80 | (n - 1));
        for (size_t i = n - 1; i > 0; i--)
                *(*p)++ = (uint8_t)(len >> (8 * (i - 1)));
}

static void put_bytes(uint8_t **p, const void *src, size_t len)
{
        if (len)
                memcpy(*p, src, len);
        *p += len;
}

/* Hand the buffer over only if the size computation matched what was written. */
static int finish(uint8_t *buf, size_t written, size_t total, uint8_t **out, size_t *out_len)
{
        if (written != total) {
                free(buf);
                return -EIO;
        }
        *out = buf;
        *out_len = total;
        return 0;
}

int spnego_build_init(const uint8_t *token, size_t token_len, uint8_t **out, size_t *out_len)
{
        if ((!token && token_len) || !out || !out_len || token_len > MAX_TOKEN)
                return -EINVAL;
        size_t mech = tlv_size(SPNEGO_NTLM_MECH_LIST_LEN);                    /* [0] */
        size_t tok = token ? tlv_size(tlv_size(token_len)) : 0;              /* [2] */
        size_t seq = tlv_size(mech + tok);
        size_t neg = tlv_size(seq);                                          /* [0] choice */
        size_t body = tlv_size(sizeof(oid_spnego)) + neg;
        size_t total = tlv_size(body);
        uint8_t *buf = malloc(total), *p = buf;

        if (!buf)
                return -ENOMEM;
        put_hdr(&p, TAG_GSS_APP0, body);
        put_hdr(&p, TAG_OID, sizeof(oid_spnego));
        put_bytes(&p, oid_spnego, sizeof(oid_spnego));
        put_hdr(&p, TAG_CTX(0), seq);
        put_hdr(&p, TAG_SEQUENCE, mech + tok);
        put_hdr(&p, TAG_CTX(0), SPNEGO_NTLM_MECH_LIST_LEN);
        put_bytes(&p, SPNEGO_NTLM_MECH_LIST, SPNEGO_NTLM_MECH_LIST_LEN);
        if (token) {
                put_hdr(&p, TAG_CTX(2), tlv_size(token_len));
                put_hdr(&p, TAG_OCTET_STRING, token_len);
                put_bytes(&p, token, token_len);
        }
        return finish(buf, (size_t)(p - buf), total, out, out_len);
}

int spnego_build_resp(int neg_state, const uint8_t *token, size_t token_len,
                      const uint8_t *mic, size_t mic_len, uint8_t **out, size_t *out_len)
{
        if (neg_state > SPNEGO_REQUEST_MIC || (!token && token_len) || (!mic && mic_len) ||
            !out || !out_len || token_len > MAX_TOKEN || mic_len > MAX_TOKEN)
                return -EINVAL;
        size_t st = neg_state >= 0 ? tlv_size(tlv_size(1)) : 0;
        size_t tok = token ? tlv_size(tlv_size(token_len)) : 0;
        size_t mc = mic ? tlv_size(tlv_size(mic_len)) : 0;
        size_t seq = tlv_size(st + tok + mc);
        size_t total = tlv_size(seq);
        uint8_t *buf = malloc(total), *p = buf;

        if (!buf)
                return -ENOMEM;
        put_hdr(&p, TAG_CTX(1), seq);
        put_hdr(&p, TAG_SEQUENCE, st + tok + mc);
        if (neg_state >= 0) {
                put_hdr(&p, TAG_CTX(0), tlv_size(1));
                put_hdr(&p, TAG_ENUMERATED, 1);
                *p++ = (uint8_t)neg_state;
        }
        if (token) {
                put_hdr(&p, TAG_CTX(2), tlv_size(token_len));
                put_hdr(&p, TAG_OCTET_STRING, token_len);
                put_bytes(&p, token, token_len);
        }
        if (mic) {
                put_hdr(&p, TAG_CTX(3), tlv_size(mic_len));
                put_hdr(&p, TAG_OCTET_STRING, mic_len);
                put_bytes(&p, mic, mic_len);
        }
        return finish(buf, (size_t)(p - buf), total, out, out_len);
}
