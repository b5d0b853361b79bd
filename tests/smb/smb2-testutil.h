/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the SMB2 codec suites.  Expected bytes are written by
 * hand as hex strings (whitespace ignored); decoders are run on exact-size
 * heap copies so that ASan/valgrind catch any read past the end.
 */
#ifndef GWD_TESTS_SMB2_TESTUTIL_H
#define GWD_TESTS_SMB2_TESTUTIL_H

#include <check.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/check-run.h"

/* FileId used by all vectors: persistent 0x0807060504030201, volatile 0x100F0E0D0C0B0A09. */
#define FID_HEX "01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10"
#define TEST_FID ((struct smb2_file_id){ 0x0807060504030201ull, 0x100F0E0D0C0B0A09ull })

static inline int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = tolower(c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

static inline size_t unhex(uint8_t *out, size_t cap, const char *s)
{
        size_t n = 0;
        int hi = -1;

        for (; *s; s++) {
                if (isspace((unsigned char)*s) || *s == '|')
                        continue;
                int v = hexval((unsigned char)*s);
                ck_assert_msg(v >= 0, "bad hex char '%c'", *s);
                if (hi < 0) {
                        hi = v;
                } else {
                        ck_assert_msg(n < cap, "hex longer than buffer");
                        out[n++] = (uint8_t)(hi << 4 | v);
                        hi = -1;
                }
        }
        ck_assert_msg(hi < 0, "odd number of hex digits");
        return n;
}

static inline void check_bytes(const uint8_t *got, size_t got_len, const char *hex)
{
        static uint8_t want[8192];
        size_t n = unhex(want, sizeof(want), hex);

        for (size_t i = 0; i < n && i < got_len; i++)
                ck_assert_msg(got[i] == want[i], "byte %zu: got %02X want %02X", i, got[i],
                              want[i]);
        ck_assert_msg(got_len == n, "length: got %zu want %zu", got_len, n);
}

/* Hex of any length into a malloc'ed buffer (strlen/2 + 1 bytes); *len gets
 * the decoded length.  For vectors longer than check_bytes' buffer. */
static inline uint8_t *unhex_alloc(const char *s, size_t *len)
{
        size_t cap = strlen(s) / 2 + 1;
        uint8_t *out = malloc(cap);

        ck_assert_ptr_nonnull(out);
        *len = unhex(out, cap, s);
        return out;
}

/* buf[0..n) is exactly the bytes written in hex.  A macro, so that a failure
 * names the test's line. */
#define CHECK_HEX(buf, n, hex)                                                  \
        do {                                                                    \
                size_t l_;                                                      \
                uint8_t *e_ = unhex_alloc(hex, &l_);                            \
                ck_assert_uint_eq((size_t)(n), l_);                             \
                ck_assert_mem_eq(buf, e_, l_);                                  \
                free(e_);                                                       \
        } while (0)

/* A response header written by hand from MS-SMB2 2.2.1.2 (sync form). */
#define RSP_HDR_HEX(cmd_lo, status_hex)                                       \
        "FE 53 4D 42" /* ProtocolId */                                        \
        "40 00"       /* StructureSize 64 */                                  \
        "01 00"       /* CreditCharge */                                      \
        status_hex    /* Status */                                            \
        cmd_lo " 00"  /* Command */                                           \
        "01 00"       /* CreditResponse */                                    \
        "01 00 00 00" /* Flags: SERVER_TO_REDIR */                            \
        "00 00 00 00" /* NextCommand */                                       \
        "07 00 00 00 00 00 00 00" /* MessageId 7 */                           \
        "FF FE 00 00" /* Reserved */                                          \
        "05 00 00 00" /* TreeId 5 */                                          \
        "11 00 00 00 00 00 00 00" /* SessionId 0x11 */                        \
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" /* Signature */

#define ST_OK "00 00 00 00"

/* Exact-size heap copy (NULL for n == 0 is avoided: malloc(1)). */
static inline uint8_t *dup_exact(const uint8_t *p, size_t n)
{
        uint8_t *q = malloc(n ? n : 1);
        ck_assert_ptr_nonnull(q);
        if (n)
                memcpy(q, p, n);
        return q;
}

typedef int (*dec_fn)(const uint8_t *msg, size_t len);

/* Decode an exact-size copy; returns the decoder's result. */
static inline int dec_exact(dec_fn f, const uint8_t *msg, size_t len)
{
        uint8_t *c = dup_exact(msg, len);
        int rc = f(c, len);
        free(c);
        return rc;
}

/* Every strict prefix of a message without trailing slack must be rejected. */
static inline void check_truncations(dec_fn f, const uint8_t *msg, size_t len)
{
        for (size_t n = 0; n < len; n++) {
                int rc = dec_exact(f, msg, n);
                ck_assert_msg(rc < 0, "prefix of %zu/%zu bytes accepted", n, len);
        }
        ck_assert_int_eq(dec_exact(f, msg, len), 0);
}

static inline void put_le(uint8_t *p, size_t off, uint64_t v, int n)
{
        for (int i = 0; i < n; i++)
                p[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* ASCII to UTF-16LE for test names. */
static inline size_t u16(uint8_t *out, const char *s)
{
        size_t n = 0;
        for (; *s; s++) {
                out[n++] = (uint8_t)*s;
                out[n++] = 0;
        }
        return n;
}

#endif /* GWD_TESTS_SMB2_TESTUTIL_H */
