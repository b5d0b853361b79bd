/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wd-path.h"

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int wd_utf8_valid(const char *str, size_t len)
{
        const unsigned char *s = (const unsigned char *)str;
        size_t i = 0;

        while (i < len) {
                unsigned c = s[i], cp, n;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        n = 2, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        n = 3, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        n = 4, cp = c & 0x07;
                else
                        return 0;
                if (n > len - i)
                        return 0;
                for (unsigned k = 1; k < n; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return 0;
                        cp = cp << 6 | (s[i + k] & 0x3f);
                }
                if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return 0;
                i += n;
        }
        return 1;
}

int wd_url_decode(const char *in, char **ret)
{
        size_t len = strlen(in), o = 0;
        char *out;

        if (len > WD_URL_MAX)
                return -ENAMETOOLONG;
        out = malloc(len + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                if (in[i] == '%') {
                        int hi = i + 2 < len ? hexval(in[i + 1]) : -1;
                        int lo = hi < 0 ? -1 : hexval(in[i + 2]);
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                                free(out);
                                return -EINVAL;
                        }
                        out[o++] = (char)(hi << 4 | lo);
                        i += 2;
                } else {
                        out[o++] = in[i];
                }
        }
        out[o] = '\0';
        if (!wd_utf8_valid(out, o)) {
                free(out);
                return -EINVAL;
        }
        *ret = out;
        return 0;
}

int wd_prefix_match(const char *prefix, const char *path)
{
        size_t n = strlen(prefix);

        while (n > 0 && prefix[n - 1] == '/')
                n--;            /* "/" matches everything, "/a/" is "/a" */
        if (strncmp(prefix, path, n) != 0)
                return -1;
        if (path[n] != '\0' && path[n] != '/')
                return -1;
        return (int)n;
}

size_t wd_above_prefix(const char *path, const char *prefix, const char **ret_name)
{
        size_t n = strlen(path), l;
        const char *c;

        if (n == 0 || path[0] != '/')
                return 0;
        if (path[n - 1] == '/')
                n--;            /* "/" is the root, "/dav/" is "/dav" */
        if (strncmp(prefix, path, n) != 0 || prefix[n] != '/')
                return 0;
        c = prefix + n + 1;
        l = strcspn(c, "/");
        if (l == 0)
                return 0;
        *ret_name = c;
        return l;
}

int wd_share_path(const char *prefix, const char *path, int (*check)(const char *),
                  char **ret, int *ret_slash)
{
        int m = wd_prefix_match(prefix, path);
        const char *rest;
        size_t len;
        char *rel;
        int r;

        if (m < 0)
                return -ENOENT;
        rest = path + m;
        if (*rest == '/')
                rest++;
        len = strlen(rest);
        *ret_slash = len > 0 ? rest[len - 1] == '/' : 1;
        if (len > 0 && rest[len - 1] == '/')
                len--;
        rel = strndup(rest, len);
        if (!rel)
                return -ENOMEM;
        r = check ? check(rel) : 0;
        if (r < 0) {
                free(rel);
                return r;
        }
        *ret = rel;
        return 0;
}

int wd_uri_path(const char *uri, char **ret)
{
        const char *p = uri, *end;
        const char *colon = strchr(uri, ':');
        const char *slash = strchr(uri, '/');

        /* scheme "://" authority: skip to the first '/' after the authority */
        if (colon && (!slash || colon < slash) && colon[1] == '/' && colon[2] == '/') {
                p = strchr(colon + 3, '/');
                if (!p)
                        return -EINVAL;
        }
        if (*p != '/')
                return -EINVAL;
        end = p + strcspn(p, "?#");
        *ret = strndup(p, (size_t)(end - p));
        return *ret ? 0 : -ENOMEM;
}

static int unreserved(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
}

static void encode_into(struct wd_buf *b, const char *s, int keep_slash)
{
        static const char hex[] = "0123456789ABCDEF";
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (unreserved(*p) || (keep_slash && *p == '/')) {
                        buf_addc(b, (char)*p);
                } else {
                        char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
                        buf_add(b, e, 3);
                }
        }
}

void wd_url_encode(struct wd_buf *b, const char *s)
{
        encode_into(b, s, 0);
}

void wd_href(struct wd_buf *b, const char *prefix, const char *rel, int dir)
{
        size_t n = strlen(prefix);
        while (n > 0 && prefix[n - 1] == '/')
                n--;
        for (size_t i = 0; i < n;) {
                /* the prefix is configured text: encode it the same way */
                char tmp[2] = { prefix[i], 0 };
                encode_into(b, tmp, 1);
                i++;
        }
        buf_addc(b, '/');
        if (*rel) {
                encode_into(b, rel, 1);
                if (dir)
                        buf_addc(b, '/');
        }
}

const char *wd_basename(const char *rel)
{
        const char *s = strrchr(rel, '/');
        return s ? s + 1 : rel;
}

char *wd_dirname(const char *rel)
{
        const char *s = strrchr(rel, '/');
        return s ? strndup(rel, (size_t)(s - rel)) : strdup("");
}

char *wd_join(const char *rel, const char *name)
{
        size_t a = strlen(rel), n = strlen(name);
        char *r = malloc(a + n + 2);
        if (!r)
                return NULL;
        if (a) {
                memcpy(r, rel, a);
                r[a++] = '/';
        }
        memcpy(r + a, name, n + 1);
        return r;
}

int wd_path_within(const char *a, const char *b)
{
        size_t n = strlen(b);
        if (n == 0)
                return 1;
        return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}
