/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "wd-auth.h"

int wd_user_name_valid(const char *n)
{
        size_t len = strlen(n);
        if (len == 0 || len > 64)
                return 0;
        for (; *n; n++)
                if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
                      (*n >= '0' && *n <= '9') || *n == '_' || *n == '.' || *n == '@' ||
                      *n == '-'))
                        return 0;
        return 1;
}

static int sha256(const void *a, size_t alen, const void *b, size_t blen, unsigned char out[32])
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned n = 0;
        int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
                 EVP_DigestUpdate(ctx, a, alen) && EVP_DigestUpdate(ctx, b, blen) &&
                 EVP_DigestFinal_ex(ctx, out, &n) && n == 32;
        EVP_MD_CTX_free(ctx);
        return ok ? 0 : -EIO;
}

static int parse_hex32(const char *s, unsigned char out[32])
{
        if (strlen(s) != 64)
                return -EINVAL;
        for (int i = 0; i < 32; i++) {
                int v = 0;
                for (int k = 0; k < 2; k++) {
                        char c = s[2 * i + k];
                        int d = c >= '0' && c <= '9' ? c - '0'
                                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                        if (d < 0)
                                return -EINVAL;
                        v = v * 16 + d;
                }
                out[i] = (unsigned char)v;
        }
        return 0;
}

void wd_users_free(struct wd_users *u)
{
        if (!u)
                return;
        for (size_t i = 0; i < u->n; i++) {
                free(u->c[i].user);
                free(u->c[i].salt);
                if (u->c[i].plain) {
                        OPENSSL_cleanse(u->c[i].plain, strlen(u->c[i].plain));
                        free(u->c[i].plain);
                }
        }
        free(u->c);
        *u = (struct wd_users){ 0 };
}

static int parse_line(char *line, struct wd_cred *c)
{
        char *sp, *val;

        sp = strpbrk(line, " \t");
        if (!sp)
                return -EINVAL;
        *sp = '\0';
        val = sp + 1;
        while (*val == ' ' || *val == '\t')
                val++;
        if (!wd_user_name_valid(line))
                return -EINVAL;
        if (!(c->user = strdup(line)))
                return -ENOMEM;
        if (strncmp(val, "sha256:", 7) == 0) {
                char *salt = val + 7, *colon = strchr(salt, ':');
                if (!colon || colon == salt)
                        return -EINVAL;
                *colon = '\0';
                c->kind = WD_CRED_SHA256;
                if (parse_hex32(colon + 1, c->hash) < 0)
                        return -EINVAL;
                return (c->salt = strdup(salt)) ? 0 : -ENOMEM;
        }
        if (strncmp(val, "plain:", 6) == 0 && val[6]) {
                c->kind = WD_CRED_PLAIN;
                return (c->plain = strdup(val + 6)) ? 0 : -ENOMEM;
        }
        if (strncmp(val, "token-sha256:", 13) == 0) {
                c->kind = WD_CRED_TOKEN;
                return parse_hex32(val + 13, c->hash);
        }
        return -EINVAL;
}

int wd_users_parse(const char *text, struct wd_users *ret, unsigned *ret_line)
{
        struct wd_users u = { 0 };
        const char *p = text;
        unsigned lineno = 0;
        int r = 0;

        while (*p) {
                const char *e = strchr(p, '\n');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                char *line;

                lineno++;
                while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
                        len--;
                line = strndup(p, len);
                if (!line) {
                        r = -ENOMEM;
                        break;
                }
                {
                        char *s = line;
                        while (*s == ' ' || *s == '\t')
                                s++;
                        if (*s && *s != '#') {
                                struct wd_cred *nc = realloc(u.c, (u.n + 1) * sizeof(*nc));
                                if (!nc) {
                                        r = -ENOMEM;
                                } else {
                                        u.c = nc;
                                        memset(&u.c[u.n], 0, sizeof(u.c[u.n]));
                                        u.n++;
                                        r = parse_line(s, &u.c[u.n - 1]);
                                        if (r == 0 && u.c[u.n - 1].kind == WD_CRED_PLAIN)
                                                u.n_plain++;
                                }
                        }
                }
                OPENSSL_cleanse(line, len);
                free(line);
                if (r < 0)
                        break;
                p = e ? e + 1 : p + len;
        }
        if (r < 0) {
                if (ret_line)
                        *ret_line = lineno;
                wd_users_free(&u);
                return r;
        }
        *ret = u;
        return 0;
}

int wd_users_check_password(const struct wd_users *u, const char *user, const char *password)
{
        int ok = 0;
        for (size_t i = 0; i < u->n; i++) {
                const struct wd_cred *c = &u->c[i];
                if (strcmp(c->user, user) != 0)
                        continue;
                if (c->kind == WD_CRED_SHA256) {
                        unsigned char h[32];
                        if (sha256(c->salt, strlen(c->salt), password, strlen(password), h) == 0 &&
                            CRYPTO_memcmp(h, c->hash, 32) == 0)
                                ok = 1;
                } else if (c->kind == WD_CRED_PLAIN) {
                        unsigned char h1[32], h2[32];
                        /* compare digests so the time does not depend on
                         * where the strings differ */
                        if (sha256("", 0, password, strlen(password), h1) == 0 &&
                            sha256("", 0, c->plain, strlen(c->plain), h2) == 0 &&
                            CRYPTO_memcmp(h1, h2, 32) == 0)
                                ok = 1;
                }
        }
        return ok;
}

const char *wd_users_check_token(const struct wd_users *u, const char *token)
{
        unsigned char h[32];
        const char *who = NULL;

        if (sha256("", 0, token, strlen(token), h) < 0)
                return NULL;
        for (size_t i = 0; i < u->n; i++)
                if (u->c[i].kind == WD_CRED_TOKEN && CRYPTO_memcmp(h, u->c[i].hash, 32) == 0)
                        who = u->c[i].user;
        return who;
}

int wd_base64_decode(const char *in, char **ret)
{
        size_t len = strlen(in), o = 0;
        unsigned acc = 0;
        int bits = 0, pad = 0;
        char *out;

        if (len % 4 != 0 || len > 8192)
                return -EINVAL;
        out = malloc(len / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                char c = in[i];
                int v;
                if (c == '=') {
                        if (i < len - 2) {
                                free(out);
                                return -EINVAL;
                        }
                        pad++;
                        continue;
                }
                if (pad) {
                        free(out);
                        return -EINVAL;
                }
                v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
                    : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
                if (v < 0) {
                        free(out);
                        return -EINVAL;
                }
                acc = acc << 6 | (unsigned)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (char)((acc >> bits) & 0xff);
                        if (out[o - 1] == '\0') {
                                free(out);
                                return -EINVAL;
                        }
                }
        }
        out[o] = '\0';
        *ret = out;
        return 0;
}
