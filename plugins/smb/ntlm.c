/* SPDX-License-Identifier: MIT */
/* NTLMSSP client, NTLMv2 (MS-NLMP 2.2, 3.1.5, 3.3.2, 3.4). */
#include "plugins/smb/ntlm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/smb/utf16.h"
#include "plugins/smb/wire.h"

static const uint8_t ntlm_sig[8] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0 };

/* Windows 10.0, NTLMSSP_REVISION_W2K3 (MS-NLMP 2.2.2.10). */
static const uint8_t default_version[8] = { 10, 0, 0, 0, 0, 0, 0, 0x0F };

#define CHAL_MIN_LEN 32         /* up to ServerChallenge */
#define CHAL_TI_LEN 48          /* with Reserved and TargetInfoFields */
#define AUTH_HDR_LEN 72         /* up to and including Version */
#define NTLMV2_BLOB_FIXED 28    /* RespType .. Z(4) before the AV pairs */
#define FILETIME_UNIX_EPOCH 116444736000000000ull

/* A (Len, MaxLen, BufferOffset) field of an NTLM message. */
struct field {
        uint16_t len;
        uint32_t off;
};

static struct field get_field(struct wire_rd *r)
{
        struct field f;

        f.len = wire_get_u16(r);
        (void)wire_get_u16(r);          /* MaxLen: informational */
        f.off = wire_get_u32(r);
        return f;
}

/* Resolve a field against the whole message; payload must follow the
 * fixed part and lie entirely inside the message. */
static int resolve(const uint8_t *msg, size_t len, struct field f, size_t min_off,
                   const uint8_t **p)
{
        *p = NULL;
        if (f.len == 0)
                return 0;
        if (f.off < min_off || f.off > len || f.len > len - f.off)
                return -EBADMSG;
        *p = msg + f.off;
        return 0;
}

static int set_name(struct ntlm_str *s, const uint8_t *v, uint16_t len)
{
        if (len & 1)
                return -EBADMSG;
        if (!s->p) {
                s->p = v;
                s->len = len;
        }
        return 0;
}

static int parse_av_pairs(const uint8_t *p, size_t len, struct ntlm_challenge *c)
{
        struct wire_rd r = wire_rd_init(p, len);

        for (;;) {
                uint16_t id = wire_get_u16(&r), alen = wire_get_u16(&r);
                const uint8_t *v = wire_get_bytes(&r, alen);
                int ret = 0;

                if (r.err)
                        return -EBADMSG;        /* truncated pair or no MsvAvEOL */
                switch (id) {
                case MSV_AV_EOL:
                        return alen == 0 ? 0 : -EBADMSG;
                case MSV_AV_NB_COMPUTER_NAME:
                        ret = set_name(&c->nb_computer, v, alen);
                        break;
                case MSV_AV_NB_DOMAIN_NAME:
                        ret = set_name(&c->nb_domain, v, alen);
                        break;
                case MSV_AV_DNS_COMPUTER_NAME:
                        ret = set_name(&c->dns_computer, v, alen);
                        break;
                case MSV_AV_DNS_DOMAIN_NAME:
                        ret = set_name(&c->dns_domain, v, alen);
                        break;
                case MSV_AV_DNS_TREE_NAME:
                        ret = set_name(&c->dns_tree, v, alen);
                        break;
                case MSV_AV_FLAGS:
                        if (alen != 4)
                                return -EBADMSG;
                        if (!c->has_av_flags) {
                                struct wire_rd vr = wire_rd_init(v, 4);
                                c->av_flags = wire_get_u32(&vr);
                                c->has_av_flags = 1;
                        }
                        break;
                case MSV_AV_TIMESTAMP:
                        if (alen != 8)
                                return -EBADMSG;
                        if (!c->has_timestamp) {
                                struct wire_rd vr = wire_rd_init(v, 8);
                                c->timestamp = wire_get_u64(&vr);
                                c->has_timestamp = 1;
                        }
                        break;
                default:
                        break;          /* other pairs are carried along untouched */
                }
                if (ret)
                        return ret;
        }
}

int ntlm_parse_challenge(const uint8_t *msg, size_t len, struct ntlm_challenge *out)
{
        struct wire_rd r = wire_rd_init(msg, len);
        struct field tn, ti = { 0, 0 };
        uint8_t sig[8];
        const uint8_t *p;
        int ret;

        if (!out || (!msg && len))
                return -EINVAL;
        memset(out, 0, sizeof(*out));
        wire_get_copy(&r, sig, sizeof(sig));
        uint32_t type = wire_get_u32(&r);
        tn = get_field(&r);
        out->flags = wire_get_u32(&r);
        wire_get_copy(&r, out->server_challenge, 8);
        if (r.err || memcmp(sig, ntlm_sig, 8) || type != 2)
                return -EBADMSG;
        if (len >= CHAL_TI_LEN) {
                wire_skip(&r, 8);               /* Reserved */
                ti = get_field(&r);
        }
        if (len >= CHAL_TI_LEN + 8 && (out->flags & NTLMSSP_NEGOTIATE_VERSION)) {
                wire_get_copy(&r, out->version, 8);
                out->has_version = 1;
        }
        if (r.err)
                return -EBADMSG;
        ret = resolve(msg, len, tn, CHAL_MIN_LEN, &p);
        if (ret)
                return ret;
        if ((out->flags & NTLMSSP_NEGOTIATE_UNICODE) && (tn.len & 1))
                return -EBADMSG;
        out->target_name = (struct ntlm_str){ .p = p, .len = tn.len };
        if ((out->flags & NTLMSSP_NEGOTIATE_TARGET_INFO) && ti.len) {
                ret = resolve(msg, len, ti, CHAL_TI_LEN, &p);
                if (!ret)
                        ret = parse_av_pairs(p, ti.len, out);
                if (ret) {
                        memset(out, 0, sizeof(*out));
                        return ret;
                }
                out->target_info = p;
                out->target_info_len = ti.len;
        }
        if (!(out->flags & NTLMSSP_NEGOTIATE_UNICODE))
                return -EPROTONOSUPPORT;
        return 0;
}

int ntlm_build_negotiate(uint32_t flags, const uint8_t *version, uint8_t *buf, size_t cap)
{
        struct wire_wr w = wire_wr_init(buf, cap);

        if (!buf)
                return -EINVAL;
        wire_put_bytes(&w, ntlm_sig, 8);
        wire_put_u32(&w, 1);
        wire_put_u32(&w, flags);
        wire_put_zeros(&w, 16);         /* DomainNameFields, WorkstationFields: empty */
        if (flags & NTLMSSP_NEGOTIATE_VERSION)
                wire_put_bytes(&w, version ? version : default_version, 8);
        else
                wire_put_zeros(&w, 8);
        return w.err ? w.err : (int)w.pos;
}

/* --- helpers ----------------------------------------------------------------- */

/* UTF-8 -> freshly allocated UTF-16LE (never NULL on success). */
static int to16(const char *s, int upper, uint8_t **out, size_t *out_len)
{
        size_t n = s ? strlen(s) : 0, need;
        int ret = upper ? utf8_to_utf16le_upper(s, n, NULL, 0, &need)
                        : utf8_to_utf16le(s, n, NULL, 0, &need);

        if (ret)
                return ret;
        if (need > UINT16_MAX)
                return -ENAMETOOLONG;
        *out = malloc(need ? need : 1);
        if (!*out)
                return -ENOMEM;
        ret = upper ? utf8_to_utf16le_upper(s, n, *out, need, out_len)
                    : utf8_to_utf16le(s, n, *out, need, out_len);
        if (ret) {
                free(*out);
                *out = NULL;
        }
        return ret;
}

static void free_secret(uint8_t *p, size_t len)
{
        if (p) {
                smb_wipe(p, len);
                free(p);
        }
}

int ntlm_ntowfv2(const char *user, const char *domain, const char *password, uint8_t out[16])
{
        uint8_t *pw = NULL, *u = NULL, *d = NULL, nt[SMB_MD4_LEN];
        size_t pwl = 0, ul = 0, dl = 0;
        int ret;

        if (!out)
                return -EINVAL;
        ret = to16(password, 0, &pw, &pwl);
        if (!ret)
                ret = to16(user, 1, &u, &ul);
        if (!ret)
                ret = to16(domain, 0, &d, &dl);
        if (!ret)
                ret = smb_md4(pw, pwl, nt);
        if (!ret) {
                struct iovec v[2] = { { u, ul }, { d, dl } };
                ret = smb_hmac_md5(nt, sizeof(nt), v, 2, out);
        }
        smb_wipe(nt, sizeof(nt));
        free_secret(pw, pwl);
        free(u);
        free(d);
        return ret;
}

int ntlm_compute_mic(const uint8_t key[16], const uint8_t *neg, size_t neg_len,
                     const uint8_t *chal, size_t chal_len, const uint8_t *auth,
                     size_t auth_len, uint8_t mic[NTLM_MIC_LEN])
{
        static uint8_t zeros[NTLM_MIC_LEN];

        if (!key || !neg || !chal || !auth || !mic || auth_len < NTLM_MIC_OFF + NTLM_MIC_LEN)
                return -EINVAL;
        struct iovec v[5] = {
                { (void *)neg, neg_len },
                { (void *)chal, chal_len },
                { (void *)auth, NTLM_MIC_OFF },
                { zeros, NTLM_MIC_LEN },
                { (void *)(auth + NTLM_MIC_OFF + NTLM_MIC_LEN),
                  auth_len - NTLM_MIC_OFF - NTLM_MIC_LEN },
        };
        return smb_hmac_md5(key, 16, v, 5, mic);
}

static void put_le16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

/*
 * The AV pairs we send back in the NTLMv2 blob: the server's (without its
 * MsvAvEOL), MsvAvFlags with MIC_PRESENT when a MIC is sent, MsvAvTargetName
 * when asked for, then MsvAvEOL.  With out == NULL only the size is returned.
 */
static size_t build_av_pairs(const struct ntlm_challenge *c, int mic, const uint8_t *spn,
                             size_t spn_len, uint8_t *out)
{
        struct wire_rd r = wire_rd_init(c->target_info, c->target_info_len);
        size_t o = 0;
        int have_flags = 0;

        while (c->target_info) {
                uint16_t id = wire_get_u16(&r), alen = wire_get_u16(&r);
                const uint8_t *v = wire_get_bytes(&r, alen);
                if (r.err || id == MSV_AV_EOL)
                        break;          /* validated by the parser already */
                if (out) {
                        put_le16(out + o, id);
                        put_le16(out + o + 2, alen);
                        memcpy(out + o + 4, v, alen);
                        if (id == MSV_AV_FLAGS && mic && !have_flags)
                                out[o + 4] |= (uint8_t)MSV_AV_FLAG_MIC_PRESENT;
                }
                have_flags |= id == MSV_AV_FLAGS;
                o += 4u + alen;
        }
        if (mic && !have_flags) {
                if (out) {
                        put_le16(out + o, MSV_AV_FLAGS);
                        put_le16(out + o + 2, 4);
                        memset(out + o + 4, 0, 4);
                        out[o + 4] = (uint8_t)MSV_AV_FLAG_MIC_PRESENT;
                }
                o += 8;
        }
        if (spn_len) {
                if (out) {
                        put_le16(out + o, MSV_AV_TARGET_NAME);
                        put_le16(out + o + 2, (uint16_t)spn_len);
                        memcpy(out + o + 4, spn, spn_len);
                }
                o += 4 + spn_len;
        }
        if (out)
                memset(out + o, 0, 4);
        return o + 4;
}

/* Everything computed before the message is laid out. */
struct auth_parts {
        uint8_t *dom, *user, *ws, *spn, *nt;
        size_t dom_len, user_len, ws_len, spn_len, nt_len;
        uint8_t lm[24];
        size_t lm_len;
        uint8_t enc_key[16];
        size_t enc_key_len;
        uint8_t exported[16];
        uint32_t flags;
        int mic;
};

static void parts_free(struct auth_parts *a)
{
        free(a->dom);
        free(a->user);
        free(a->ws);
        free(a->spn);
        free(a->nt);
        smb_wipe(a, sizeof(*a));
}

static uint64_t filetime_now(void)
{
        time_t t = time(NULL);
        return t < 0 ? FILETIME_UNIX_EPOCH : FILETIME_UNIX_EPOCH + (uint64_t)t * 10000000ull;
}

/* NtChallengeResponse, LmChallengeResponse, SessionBaseKey (MS-NLMP 3.3.2). */
static int ntlmv2_responses(const struct ntlm_creds *cr, const struct ntlm_challenge *c,
                            const struct ntlm_auth_opts *o, struct auth_parts *a,
                            uint8_t base_key[16])
{
        uint8_t rk[16], cc[8], proof[16];
        size_t ti_len = build_av_pairs(c, a->mic, a->spn, a->spn_len, NULL);
        int ret;

        if (NTLMV2_BLOB_FIXED + ti_len + 4 + 16 > UINT16_MAX)
                return -EMSGSIZE;
        ret = ntlm_ntowfv2(cr->user, cr->domain, cr->password, rk);
        if (!ret && o->client_challenge)
                memcpy(cc, o->client_challenge, 8);
        else if (!ret)
                ret = smb_random(cc, sizeof(cc));
        if (ret)
                goto out;
        a->nt_len = 16 + NTLMV2_BLOB_FIXED + ti_len + 4;
        a->nt = calloc(1, a->nt_len);
        if (!a->nt) {
                ret = -ENOMEM;
                goto out;
        }
        /* temp = 1, 1, Z(6), Time, ClientChallenge, Z(4), AV pairs, Z(4) */
        uint8_t *temp = a->nt + 16;
        uint64_t t = c->has_timestamp ? c->timestamp : o->use_time ? o->time : filetime_now();
        temp[0] = 1;
        temp[1] = 1;
        for (int i = 0; i < 8; i++)
                temp[8 + i] = (uint8_t)(t >> (8 * i));
        memcpy(temp + 16, cc, 8);
        build_av_pairs(c, a->mic, a->spn, a->spn_len, temp + NTLMV2_BLOB_FIXED);

        struct iovec pv[2] = { { (void *)c->server_challenge, 8 }, { temp, a->nt_len - 16 } };
        ret = smb_hmac_md5(rk, 16, pv, 2, proof);
        if (ret)
                goto out;
        memcpy(a->nt, proof, 16);
        struct iovec bv = { proof, 16 };
        ret = smb_hmac_md5(rk, 16, &bv, 1, base_key);
        if (ret)
                goto out;
        a->lm_len = 24;
        if (c->has_timestamp) {
                memset(a->lm, 0, 24);   /* MS-NLMP 3.3.2: Z(24) with MsvAvTimestamp */
        } else {
                struct iovec lv[2] = { { (void *)c->server_challenge, 8 }, { cc, 8 } };
                ret = smb_hmac_md5(rk, 16, lv, 2, a->lm);
                memcpy(a->lm + 16, cc, 8);
        }
out:
        smb_wipe(rk, sizeof(rk));
        smb_wipe(proof, sizeof(proof));
        return ret;
}

static int key_exchange(const struct ntlm_auth_opts *o, const uint8_t base_key[16],
                        struct auth_parts *a)
{
        struct smb_rc4 rc4;
        int ret;

        /* NTLMv2: KeyExchangeKey = SessionBaseKey (MS-NLMP 3.4.5.1). */
        if (!(a->flags & NTLMSSP_NEGOTIATE_KEY_EXCH)) {
                memcpy(a->exported, base_key, 16);
                return 0;
        }
        if (o->random_session_key)
                memcpy(a->exported, o->random_session_key, 16);
        else if ((ret = smb_random(a->exported, 16)))
                return ret;
        memcpy(a->enc_key, a->exported, 16);
        ret = smb_rc4_init(&rc4, base_key, 16);
        if (!ret)
                smb_rc4_crypt(&rc4, a->enc_key, 16);
        smb_rc4_wipe(&rc4);
        a->enc_key_len = 16;
        return ret;
}

static int is_empty(const char *s)
{
        return !s || !*s;
}

static int compute_parts(const struct ntlm_creds *cr, uint32_t neg_flags,
                         const struct ntlm_challenge *c, const struct ntlm_auth_opts *o,
                         struct auth_parts *a, int *anonymous)
{
        uint8_t base_key[16];
        int ret;

        *anonymous = is_empty(cr->user) && is_empty(cr->password);
        a->flags = neg_flags & (c->flags | NTLMSSP_REQUEST_TARGET);
        if (*anonymous)
                a->flags = (a->flags | NTLMSSP_ANONYMOUS) &
                           ~(NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_SIGN |
                             NTLMSSP_NEGOTIATE_SEAL);
        ret = to16(cr->domain, 0, &a->dom, &a->dom_len);
        if (!ret)
                ret = to16(cr->user, 0, &a->user, &a->user_len);
        if (!ret)
                ret = to16(cr->workstation, 0, &a->ws, &a->ws_len);
        if (!ret && o->target_spn)
                ret = to16(o->target_spn, 0, &a->spn, &a->spn_len);
        if (ret || *anonymous) {
                /* Anonymous (MS-NLMP 3.3.2): no NT response, LM = Z(1), no keys. */
                a->lm_len = 1;
                memset(a->lm, 0, sizeof(a->lm));
                return ret;
        }
        a->mic = c->has_timestamp;
        ret = ntlmv2_responses(cr, c, o, a, base_key);
        if (!ret)
                ret = key_exchange(o, base_key, a);
        smb_wipe(base_key, sizeof(base_key));
        return ret;
}

static void put_field(struct wire_wr *w, size_t len, size_t *off)
{
        wire_put_u16(w, (uint16_t)len);
        wire_put_u16(w, (uint16_t)len);
        wire_put_u32(w, (uint32_t)*off);  /* in bounds even when empty */
        *off += len;
}

static int layout(const struct auth_parts *a, const struct ntlm_auth_opts *o, uint8_t **out,
                  size_t *out_len)
{
        size_t hdr = AUTH_HDR_LEN + (a->mic ? NTLM_MIC_LEN : 0);
        size_t total = hdr + a->dom_len + a->user_len + a->ws_len + a->lm_len + a->nt_len +
                       a->enc_key_len;
        size_t off = hdr;
        uint8_t *buf = malloc(total);
        struct wire_wr w;

        if (!buf)
                return -ENOMEM;
        w = wire_wr_init(buf, total);
        wire_put_bytes(&w, ntlm_sig, 8);
        wire_put_u32(&w, 3);
        /* Payload order as in MS-NLMP 4.2.4.3: domain, user, workstation,
         * LM response, NT response, encrypted session key. */
        size_t off_lm = off + a->dom_len + a->user_len + a->ws_len;
        put_field(&w, a->lm_len, &off_lm);
        put_field(&w, a->nt_len, &off_lm);
        put_field(&w, a->dom_len, &off);
        put_field(&w, a->user_len, &off);
        put_field(&w, a->ws_len, &off);
        put_field(&w, a->enc_key_len, &off_lm);
        wire_put_u32(&w, a->flags);
        if (a->flags & NTLMSSP_NEGOTIATE_VERSION)
                wire_put_bytes(&w, o->version ? o->version : default_version, 8);
        else
                wire_put_zeros(&w, 8);
        if (a->mic)
                wire_put_zeros(&w, NTLM_MIC_LEN);
        wire_put_bytes(&w, a->dom, a->dom_len);
        wire_put_bytes(&w, a->user, a->user_len);
        wire_put_bytes(&w, a->ws, a->ws_len);
        wire_put_bytes(&w, a->lm, a->lm_len);
        wire_put_bytes(&w, a->nt, a->nt_len);
        wire_put_bytes(&w, a->enc_key, a->enc_key_len);
        if (w.err || w.pos != total) {
                free_secret(buf, total);
                return -EIO;
        }
        *out = buf;
        *out_len = total;
        return 0;
}

int ntlm_build_authenticate(const struct ntlm_creds *creds, const uint8_t *neg, size_t neg_len,
                            const uint8_t *chal, size_t chal_len,
                            const struct ntlm_auth_opts *opts, uint8_t **out, size_t *out_len,
                            struct ntlm_auth_result *res)
{
        static const struct ntlm_auth_opts no_opts;
        struct ntlm_challenge c;
        struct auth_parts a;
        int anonymous = 0, ret;

        if (!creds || !neg || !out || !out_len || !res)
                return -EINVAL;
        *out = NULL;
        *out_len = 0;
        memset(res, 0, sizeof(*res));
        if (neg_len < 16 || memcmp(neg, ntlm_sig, 8) || neg[8] != 1)
                return -EINVAL;
        ret = ntlm_parse_challenge(chal, chal_len, &c);
        if (ret)
                return ret;
        memset(&a, 0, sizeof(a));
        struct wire_rd nr = wire_rd_init(neg + 12, 4);
        ret = compute_parts(creds, wire_get_u32(&nr), &c, opts ? opts : &no_opts, &a,
                            &anonymous);
        if (!ret)
                ret = layout(&a, opts ? opts : &no_opts, out, out_len);
        if (!ret && a.mic) {
                ret = ntlm_compute_mic(a.exported, neg, neg_len, chal, chal_len, *out, *out_len,
                                       *out + NTLM_MIC_OFF);
                if (ret) {
                        free_secret(*out, *out_len);
                        *out = NULL;
                        *out_len = 0;
                }
        }
        if (!ret) {
                memcpy(res->session_key, a.exported, 16);
                res->session_key_len = anonymous ? 0 : 16;
                res->flags = a.flags;
                res->mic_present = a.mic;
                res->anonymous = anonymous;
        }
        parts_free(&a);
        return ret;
}

/* --- NTLMSSP signing and sealing (MS-NLMP 3.4.4, 3.4.5) ------------------ */

static int md5_key(const uint8_t *key, size_t key_len, const char *magic, size_t magic_len,
                   uint8_t out[16])
{
        struct iovec v[2] = { { (void *)key, key_len }, { (void *)magic, magic_len } };
        return smb_md5(v, 2, out);
}

/* The magic constants include their terminating NUL. */
#define MAGIC(s) s, sizeof(s)

int ntlm_gss_init(struct ntlm_gss *g, const uint8_t exported_key[16], uint32_t flags)
{
        uint8_t seal[16];
        size_t seal_len = (flags & NTLMSSP_NEGOTIATE_128) ? 16
                          : (flags & NTLMSSP_NEGOTIATE_56) ? 7
                                                           : 5;
        int ret;

        if (!g || !exported_key)
                return -EINVAL;
        memset(g, 0, sizeof(*g));
        if (!(flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY))
                return -ENOTSUP;
        g->flags = flags;
        ret = md5_key(exported_key, 16,
                      MAGIC("session key to client-to-server signing key magic constant"),
                      g->sign_c2s);
        if (!ret)
                ret = md5_key(exported_key, 16,
                              MAGIC("session key to server-to-client signing key magic constant"),
                              g->sign_s2c);
        if (!ret)
                ret = md5_key(exported_key, seal_len,
                              MAGIC("session key to client-to-server sealing key magic constant"),
                              seal);
        if (!ret)
                ret = smb_rc4_init(&g->seal_c2s, seal, 16);
        if (!ret)
                ret = md5_key(exported_key, seal_len,
                              MAGIC("session key to server-to-client sealing key magic constant"),
                              seal);
        if (!ret)
                ret = smb_rc4_init(&g->seal_s2c, seal, 16);
        smb_wipe(seal, sizeof(seal));
        if (ret)
                ntlm_gss_wipe(g);
        return ret;
}

void ntlm_gss_wipe(struct ntlm_gss *g)
{
        if (g)
                smb_wipe(g, sizeof(*g));
}

/* NTLMSSP_MESSAGE_SIGNATURE with extended session security (2.2.2.9.1). */
static int make_sig(uint32_t flags, const uint8_t sign_key[16], struct smb_rc4 *seal,
                    uint32_t seq, const void *msg, size_t len, uint8_t sig[16])
{
        uint8_t seqb[4], mac[16];
        int ret;

        for (int i = 0; i < 4; i++)
                seqb[i] = (uint8_t)(seq >> (8 * i));
        struct iovec v[2] = { { seqb, 4 }, { (void *)msg, len } };
        ret = smb_hmac_md5(sign_key, 16, v, 2, mac);
        if (ret)
                return ret;
        if (flags & NTLMSSP_NEGOTIATE_KEY_EXCH)
                smb_rc4_crypt(seal, mac, 8);
        sig[0] = 1;
        sig[1] = sig[2] = sig[3] = 0;
        memcpy(sig + 4, mac, 8);
        memcpy(sig + 12, seqb, 4);
        smb_wipe(mac, sizeof(mac));
        return 0;
}

int ntlm_gss_getmic(struct ntlm_gss *g, const void *msg, size_t len, uint8_t sig[16])
{
        if (!g || (!msg && len) || !sig)
                return -EINVAL;
        return make_sig(g->flags, g->sign_c2s, &g->seal_c2s, g->seq_c2s++, msg, len, sig);
}

int ntlm_gss_verifymic(struct ntlm_gss *g, const void *msg, size_t len, const uint8_t *sig,
                       size_t sig_len)
{
        uint8_t want[16];
        int ret;

        if (!g || (!msg && len) || !sig)
                return -EINVAL;
        if (sig_len != 16)
                return -EBADMSG;
        ret = make_sig(g->flags, g->sign_s2c, &g->seal_s2c, g->seq_s2c++, msg, len, want);
        if (!ret && smb_memcmp_ct(want, sig, 16))
                ret = -EBADMSG;
        smb_wipe(want, sizeof(want));
        return ret;
}

int ntlm_gss_seal(struct ntlm_gss *g, uint8_t *msg, size_t len, uint8_t sig[16])
{
        uint8_t seqb[4], mac[16];
        int ret;

        if (!g || (!msg && len) || !sig)
                return -EINVAL;
        /* The checksum covers the plaintext; RC4 runs over the message first,
         * then over the checksum, on the same key stream (MS-NLMP 3.4.3). */
        uint32_t seq = g->seq_c2s++;
        for (int i = 0; i < 4; i++)
                seqb[i] = (uint8_t)(seq >> (8 * i));
        struct iovec v[2] = { { seqb, 4 }, { msg, len } };
        ret = smb_hmac_md5(g->sign_c2s, 16, v, 2, mac);
        if (ret)
                return ret;
        smb_rc4_crypt(&g->seal_c2s, msg, len);
        if (g->flags & NTLMSSP_NEGOTIATE_KEY_EXCH)
                smb_rc4_crypt(&g->seal_c2s, mac, 8);
        sig[0] = 1;
        sig[1] = sig[2] = sig[3] = 0;
        memcpy(sig + 4, mac, 8);
        memcpy(sig + 12, seqb, 4);
        smb_wipe(mac, sizeof(mac));
        return 0;
}
