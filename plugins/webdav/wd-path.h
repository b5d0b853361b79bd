/* SPDX-License-Identifier: MIT */
/* URL paths: percent-decoding, mapping to an export and a share path, and
 * the reverse (hrefs).  Pure functions, unit-tested. */
#ifndef WD_PATH_H
#define WD_PATH_H

#include <stddef.h>

#include "wd-buf.h"

/* Longest URL path accepted (bytes, encoded); longer ones get 414. */
#define WD_URL_MAX 8192

/* Percent-decode `in` (a URL path, no query) into a new string.  "%00",
 * malformed escapes and invalid UTF-8 give -EINVAL; -ENOMEM. */
int wd_url_decode(const char *in, char **ret);

/* Is `prefix` ("/dav/demo", "/") a prefix of the decoded URL path `path` at a
 * component boundary?  Returns the length matched, or -1. */
int wd_prefix_match(const char *prefix, const char *path);

/* Does the decoded URL path `path` name a collection above the export
 * prefix `prefix` ("/" or "/dav" above "/dav/demo"; one trailing '/' of path
 * is ignored)?  Then the length of the next component of prefix below it,
 * with *ret_name pointing to it inside prefix; otherwise 0. */
size_t wd_above_prefix(const char *path, const char *prefix, const char **ret_name);

/* The share path below `prefix` for decoded URL path `path` (which must
 * match, see wd_prefix_match): leading and one trailing '/' removed.  Sets
 * *ret_slash when the URL ended with '/'.  The result is validated with
 * `check` (api->path_check): -EINVAL / -ENAMETOOLONG pass through. */
int wd_share_path(const char *prefix, const char *path, int (*check)(const char *),
                  char **ret, int *ret_slash);

/* Reduce a Destination header value (absolute URI or absolute path) to its
 * path part, still encoded.  -EINVAL when it has no usable path. */
int wd_uri_path(const char *uri, char **ret);

/* Append prefix + "/" + rel (+ "/" when dir) to b, percent-encoded except
 * for unreserved characters and '/'. */
void wd_href(struct wd_buf *b, const char *prefix, const char *rel, int dir);

/* Percent-encode one string into b (as wd_href does). */
void wd_url_encode(struct wd_buf *b, const char *s);

/* Last component of a share path ("" for the root). */
const char *wd_basename(const char *rel);

/* Parent of a share path as a new string ("" for top-level names); NULL
 * without memory. */
char *wd_dirname(const char *rel);

/* rel + "/" + name (or name when rel is ""), NULL without memory. */
char *wd_join(const char *rel, const char *name);

/* 1 when `a` is `b` or below it (b may be "", the root). */
int wd_path_within(const char *a, const char *b);

/* 1 if s is valid UTF-8 of length len. */
int wd_utf8_valid(const char *s, size_t len);

#endif
