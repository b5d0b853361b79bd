/* SPDX-License-Identifier: MIT */
/*
 * Users and credentials.  The users file (users_file / users_credential)
 * has one credential per line, several lines per user allowed:
 *
 *   # comment
 *   alice sha256:<salt>:<hex SHA-256 of salt followed by the password>
 *   bob   plain:<password>             (accepted, with a warning at start)
 *   ci    token-sha256:<hex SHA-256 of a bearer token>
 *
 * User names are 1..64 of [A-Za-z0-9_.@-].  Comparisons are constant-time.
 */
#ifndef WD_AUTH_H
#define WD_AUTH_H

#include <stddef.h>

enum wd_cred_kind {
        WD_CRED_SHA256 = 1,
        WD_CRED_PLAIN,
        WD_CRED_TOKEN,
};

struct wd_cred {
        char *user;
        int kind;
        char *salt;                     /* WD_CRED_SHA256 */
        unsigned char hash[32];         /* SHA256 and TOKEN */
        char *plain;                    /* WD_CRED_PLAIN */
};

struct wd_users {
        struct wd_cred *c;
        size_t n;
        size_t n_plain;
};

/* Parse the file's text.  On a bad line: -EINVAL and *ret_line (1-based). */
int wd_users_parse(const char *text, struct wd_users *ret, unsigned *ret_line);
void wd_users_free(struct wd_users *u);

/* 1 if `user` exists with a password matching `password`. */
int wd_users_check_password(const struct wd_users *u, const char *user, const char *password);
/* The user a bearer token belongs to, or NULL. */
const char *wd_users_check_token(const struct wd_users *u, const char *token);

int wd_user_name_valid(const char *name);

/* Decode standard base64 into a new NUL-terminated string (NUL bytes inside
 * are refused). */
int wd_base64_decode(const char *in, char **ret);

#endif
