/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 <-> UTF-16LE conversion with full validation, for SMB path names
 * and NTLM user/domain/password strings.
 *
 * Both directions reject anything that is not well-formed Unicode: overlong
 * or truncated UTF-8 sequences, code points above U+10FFFF, UTF-8-encoded
 * surrogates, unpaired UTF-16 surrogates and odd UTF-16 byte counts all give
 * -EILSEQ.  No terminating NUL is read or written: lengths are in bytes.
 * `out` may be NULL to only compute the output length; otherwise -ENOBUFS
 * if `cap` is too small (nothing useful is left in `out` then).
 */
#ifndef GWD_SMB_UTF16_H
#define GWD_SMB_UTF16_H

#include <stddef.h>
#include <stdint.h>

int utf8_to_utf16le(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

/*
 * Same, upper-casing each character first (NTOWFv2 upper-cases the user
 * name, MS-NLMP 3.3.2).  Case mapping covers ASCII, Latin-1, Latin
 * Extended-A, Greek and Cyrillic simple one-to-one mappings; other
 * characters are kept as they are.
 */
int utf8_to_utf16le_upper(const char *in, size_t in_len, uint8_t *out, size_t cap,
                          size_t *out_len);

int utf16le_to_utf8(const uint8_t *in, size_t in_len, char *out, size_t cap, size_t *out_len);

#endif /* GWD_SMB_UTF16_H */
