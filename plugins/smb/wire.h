/* SPDX-License-Identifier: MIT */
/*
 * Bounds-checked little-endian byte readers and writers.
 *
 * Every decoder in the SMB plugin reads through a `struct wire_rd` and every
 * encoder writes through a `struct wire_wr`.  Both are sticky on error: the
 * first out-of-bounds access sets `err` (-EBADMSG for reads, -ENOBUFS for
 * writes) and every later access does nothing and yields zeros, so a codec
 * can do a run of reads and check `err` once at the end without ever
 * touching memory outside the buffer.
 */
#ifndef GWD_SMB_WIRE_H
#define GWD_SMB_WIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wire_rd {
        const uint8_t *buf;
        size_t len;
        size_t pos;
        int err;
};

struct wire_wr {
        uint8_t *buf;
        size_t cap;
        size_t pos;
        int err;
};

static inline struct wire_rd wire_rd_init(const void *buf, size_t len)
{
        return (struct wire_rd){ .buf = buf, .len = len };
}

static inline struct wire_wr wire_wr_init(void *buf, size_t cap)
{
        return (struct wire_wr){ .buf = buf, .cap = cap };
}

/* 1 if `n` more bytes can be read at the current position. */
static inline int wire_rd_has(const struct wire_rd *r, size_t n)
{
        return r->err == 0 && r->pos <= r->len && n <= r->len - r->pos;
}

static inline size_t wire_rd_left(const struct wire_rd *r)
{
        return r->err || r->pos > r->len ? 0 : r->len - r->pos;
}

/* Pointer to the next n bytes, advancing; NULL (and err set) if short. */
static inline const uint8_t *wire_get_bytes(struct wire_rd *r, size_t n)
{
        if (!wire_rd_has(r, n)) {
                if (!r->err)
                        r->err = -EBADMSG;
                return NULL;
        }
        const uint8_t *p = r->buf + r->pos;
        r->pos += n;
        return p;
}

static inline void wire_skip(struct wire_rd *r, size_t n)
{
        (void)wire_get_bytes(r, n);
}

/* Move to absolute offset `off` (which may be == len). */
static inline void wire_seek(struct wire_rd *r, size_t off)
{
        if (r->err)
                return;
        if (off > r->len)
                r->err = -EBADMSG;
        else
                r->pos = off;
}

static inline uint8_t wire_get_u8(struct wire_rd *r)
{
        const uint8_t *p = wire_get_bytes(r, 1);
        return p ? p[0] : 0;
}

static inline uint16_t wire_get_u16(struct wire_rd *r)
{
        const uint8_t *p = wire_get_bytes(r, 2);
        return p ? (uint16_t)(p[0] | (uint16_t)p[1] << 8) : 0;
}

static inline uint32_t wire_get_u32(struct wire_rd *r)
{
        const uint8_t *p = wire_get_bytes(r, 4);
        return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                   (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                 : 0;
}

static inline uint64_t wire_get_u64(struct wire_rd *r)
{
        uint64_t lo = wire_get_u32(r);
        uint64_t hi = wire_get_u32(r);
        return lo | hi << 32;
}

static inline void wire_get_copy(struct wire_rd *r, void *dst, size_t n)
{
        const uint8_t *p = wire_get_bytes(r, n);
        if (p)
                memcpy(dst, p, n);
        else
                memset(dst, 0, n);
}

/* Pointer to the next n writable bytes, advancing; NULL if no room. */
static inline uint8_t *wire_put_space(struct wire_wr *w, size_t n)
{
        if (w->err || w->pos > w->cap || n > w->cap - w->pos) {
                if (!w->err)
                        w->err = -ENOBUFS;
                return NULL;
        }
        uint8_t *p = w->buf + w->pos;
        w->pos += n;
        return p;
}

static inline void wire_put_bytes(struct wire_wr *w, const void *src, size_t n)
{
        uint8_t *p = wire_put_space(w, n);
        if (p && n)
                memcpy(p, src, n);
}

static inline void wire_put_zeros(struct wire_wr *w, size_t n)
{
        uint8_t *p = wire_put_space(w, n);
        if (p)
                memset(p, 0, n);
}

static inline void wire_put_u8(struct wire_wr *w, uint8_t v)
{
        uint8_t *p = wire_put_space(w, 1);
        if (p)
                p[0] = v;
}

static inline void wire_put_u16(struct wire_wr *w, uint16_t v)
{
        uint8_t *p = wire_put_space(w, 2);
        if (p) {
                p[0] = (uint8_t)v;
                p[1] = (uint8_t)(v >> 8);
        }
}

static inline void wire_put_u32(struct wire_wr *w, uint32_t v)
{
        uint8_t *p = wire_put_space(w, 4);
        if (p) {
                p[0] = (uint8_t)v;
                p[1] = (uint8_t)(v >> 8);
                p[2] = (uint8_t)(v >> 16);
                p[3] = (uint8_t)(v >> 24);
        }
}

static inline void wire_put_u64(struct wire_wr *w, uint64_t v)
{
        wire_put_u32(w, (uint32_t)v);
        wire_put_u32(w, (uint32_t)(v >> 32));
}

/* Pad with zeros up to a multiple of `align` (a power of two). */
static inline void wire_put_align(struct wire_wr *w, size_t align)
{
        size_t pad = (align - (w->pos & (align - 1))) & (align - 1);
        wire_put_zeros(w, pad);
}

/* Patch a u16/u32 at an earlier absolute offset (lengths, offsets). */
static inline void wire_patch_u16(struct wire_wr *w, size_t off, uint16_t v)
{
        if (!w->err && off + 2 <= w->pos) {
                w->buf[off] = (uint8_t)v;
                w->buf[off + 1] = (uint8_t)(v >> 8);
        }
}

static inline void wire_patch_u32(struct wire_wr *w, size_t off, uint32_t v)
{
        if (!w->err && off + 4 <= w->pos) {
                w->buf[off] = (uint8_t)v;
                w->buf[off + 1] = (uint8_t)(v >> 8);
                w->buf[off + 2] = (uint8_t)(v >> 16);
                w->buf[off + 3] = (uint8_t)(v >> 24);
        }
}

#endif /* GWD_SMB_WIRE_H */
