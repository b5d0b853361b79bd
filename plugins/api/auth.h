/* SPDX-License-Identifier: MIT */
/*
 * plugins/api/auth: bearer tokens with roles.  Pure code, unit-tested by
 * tests/api/test-auth.
 *
 * Token file: one token per line, `<role> <name> <token>`, separated by
 * spaces or tabs; role is `read` (GET only) or `admin` (everything); name is
 * [A-Za-z0-9_.-]{1,64} and appears in logs and in requested_by
 * ("api:<name>"); the token is 16..256 printable ASCII characters without
 * spaces.  Blank lines and lines starting with '#' are ignored.  Names and
 * tokens must be unique.  Error messages carry the line number, never the
 * token.
 */
#ifndef GWD_API_AUTH_H
#define GWD_API_AUTH_H

#include <stddef.h>

enum auth_role {
        ROLE_NONE = 0,
        ROLE_READ = 1,
        ROLE_ADMIN = 2,
};

struct auth_token {
        enum auth_role role;
        char *name;
        char *token;
        size_t token_len;
};

struct auth_tokens {
        struct auth_token *v;
        size_t n;
};

#define AUTH_TOKEN_MIN 16
#define AUTH_TOKEN_MAX 256
#define AUTH_NAME_MAX 64

/* Parse `text` (NUL-terminated).  On error returns -EINVAL and writes a
 * message ("line 3: unknown role \"root\"") into err. */
int auth_parse(const char *text, struct auth_tokens *ret, char *err, size_t err_size);
void auth_tokens_clear(struct auth_tokens *t);

/* Constant-time comparison: the time depends only on the lengths (and
 * compares at least `b_len` bytes), not on where the first difference is. */
int auth_equal(const char *a, size_t a_len, const char *b, size_t b_len);

/* Looks up the token of an "Authorization" header value.  Every stored
 * token is compared, whichever matches.  Returns the token or NULL
 * (*ret_malformed set when the header is not "Bearer <token>"). */
const struct auth_token *auth_lookup(const struct auth_tokens *t, const char *header,
                                     int *ret_malformed);

/* Role needed for a method: GET/HEAD need read, everything else admin. */
enum auth_role auth_role_needed(const char *method);

const char *auth_role_name(enum auth_role r);

#endif
