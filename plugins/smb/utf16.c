/* SPDX-License-Identifier: MIT */
/* UTF-8 <-> UTF-16LE (RFC 3629, RFC 2781) with strict validation. */
#include "plugins/smb/utf16.h"

#include <errno.h>

/* Decode one scalar value at in[*pos]; -EILSEQ on any malformation. */
static int utf8_next(const uint8_t *in, size_t len, size_t *pos, uint32_t *cp)
{
        size_t p = *pos;
        uint8_t b = in[p];
        uint32_t c, min;
        int n;

        if (b < 0x80) {
                *cp = b;
                *pos = p + 1;
                return 0;
        }
        if (b >= 0xC2 && b <= 0xDF) {
                n = 1, c = b & 0x1F, min = 0x80;
        } else if (b >= 0xE0 && b <= 0xEF) {
                n = 2, c = b & 0x0F, min = 0x800;
        } else if (b >= 0xF0 && b <= 0xF4) {
                n = 3, c = b & 0x07, min = 0x10000;
        } else {
                return -EILSEQ;         /* continuation byte, C0/C1, F5..FF */
        }
        if ((size_t)n > len - p - 1)
                return -EILSEQ;
        for (int i = 1; i <= n; i++) {
                uint8_t cb = in[p + (size_t)i];
                if ((cb & 0xC0) != 0x80)
                        return -EILSEQ;
                c = c << 6 | (cb & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
                return -EILSEQ;
        *cp = c;
        *pos = p + (size_t)n + 1;
        return 0;
}

/* Simple (one-to-one) upper-case mapping for the common alphabets. */
static uint32_t upcase(uint32_t c)
{
        if (c >= 'a' && c <= 'z')
                return c - 0x20;
        if (c < 0xB5)
                return c;
        if (c == 0xB5)
                return 0x39C;
        if ((c >= 0xE0 && c <= 0xFE && c != 0xF7))
                return c - 0x20;
        if (c == 0xFF)
                return 0x178;
        if (c >= 0x100 && c <= 0x17F) {
                /* Latin Extended-A pairs: mostly (even upper, odd lower),
                 * except 0x139..0x148 and 0x179..0x17E (odd upper, even lower). */
                if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
                        return (c & 1) ? c : c - 1;
                if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F)
                        return c == 0x131 ? 'I' : c == 0x17F ? 'S' : c;
                return (c & 1) ? c - 1 : c;
        }
        if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
                return c - 0x20;
        if (c == 0x3C2)
                return 0x3A3;
        if (c >= 0x430 && c <= 0x44F)
                return c - 0x20;
        if (c >= 0x450 && c <= 0x45F)
                return c - 0x50;
        return c;
}

static int to_utf16(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len,
                    int upper)
{
        const uint8_t *s = (const uint8_t *)in;
        size_t pos = 0, o = 0;

        if ((!in && in_len) || !out_len)
                return -EINVAL;
        while (pos < in_len) {
                uint32_t cp;
                int ret = utf8_next(s, in_len, &pos, &cp);
                if (ret)
                        return ret;
                if (upper)
                        cp = upcase(cp);
                uint16_t u[2];
                size_t nu = 1;
                if (cp >= 0x10000) {
                        cp -= 0x10000;
                        u[0] = (uint16_t)(0xD800 | (cp >> 10));
                        u[1] = (uint16_t)(0xDC00 | (cp & 0x3FF));
                        nu = 2;
                } else {
                        u[0] = (uint16_t)cp;
                }
                for (size_t i = 0; i < nu; i++) {
                        if (out) {
                                if (cap - o < 2)
                                        return -ENOBUFS;
                                out[o] = (uint8_t)u[i];
                                out[o + 1] = (uint8_t)(u[i] >> 8);
                        }
                        o += 2;
                }
        }
        *out_len = o;
        return 0;
}

int utf8_to_utf16le(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
        return to_utf16(in, in_len, out, cap, out_len, 0);
}

int utf8_to_utf16le_upper(const char *in, size_t in_len, uint8_t *out, size_t cap,
                          size_t *out_len)
{
        return to_utf16(in, in_len, out, cap, out_len, 1);
}

int utf16le_to_utf8(const uint8_t *in, size_t in_len, char *out, size_t cap, size_t *out_len)
{
        size_t pos = 0, o = 0;

        if ((!in && in_len) || !out_len)
                return -EINVAL;
        if (in_len & 1)
                return -EILSEQ;
        while (pos < in_len) {
                uint32_t c = (uint32_t)in[pos] | (uint32_t)in[pos + 1] << 8;
                pos += 2;
                if (c >= 0xDC00 && c <= 0xDFFF)
                        return -EILSEQ;         /* low surrogate first */
                if (c >= 0xD800 && c <= 0xDBFF) {
                        if (in_len - pos < 2)
                                return -EILSEQ;
                        uint32_t lo = (uint32_t)in[pos] | (uint32_t)in[pos + 1] << 8;
                        if (lo < 0xDC00 || lo > 0xDFFF)
                                return -EILSEQ;
                        pos += 2;
                        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                }
                uint8_t b[4];
                size_t n;
                if (c < 0x80) {
                        b[0] = (uint8_t)c, n = 1;
                } else if (c < 0x800) {
                        b[0] = (uint8_t)(0xC0 | c >> 6), b[1] = (uint8_t)(0x80 | (c & 0x3F)), n = 2;
                } else if (c < 0x10000) {
                        b[0] = (uint8_t)(0xE0 | c >> 12);
                        b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
                        b[2] = (uint8_t)(0x80 | (c & 0x3F));
                        n = 3;
                } else {
                        b[0] = (uint8_t)(0xF0 | c >> 18);
                        b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
                        b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
                        b[3] = (uint8_t)(0x80 | (c & 0x3F));
                        n = 4;
                }
                if (out) {
                        if (cap - o < n)
                                return -ENOBUFS;
                        for (size_t i = 0; i < n; i++)
                                out[o + i] = (char)b[i];
                }
                o += n;
        }
        *out_len = o;
        return 0;
}
