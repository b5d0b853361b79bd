/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/api/auth.h"

void auth_tokens_clear(struct auth_tokens *t)
{
        for (size_t i = 0; t && i < t->n; i++) {
                free(t->v[i].name);
                if (t->v[i].token) {
                        explicit_bzero(t->v[i].token, t->v[i].token_len);
                        free(t->v[i].token);
                }
        }
        if (t) {
                free(t->v);
                t->v = NULL;
                t->n = 0;
        }
}

static int is_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* Next field of a line: [*p, end) skipping blanks. */
static size_t field(const char **p, const char *end, const char **ret)
{
        const char *s = *p, *e;
        while (s < end && is_blank(*s))
                s++;
        e = s;
        while (e < end && !is_blank(*e))
                e++;
        *ret = s;
        *p = e;
        return (size_t)(e - s);
}

static int valid_name(const char *s, size_t n)
{
        if (n == 0 || n > AUTH_NAME_MAX)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' ||
                      s[i] == '-'))
                        return 0;
        return 1;
}

static int valid_token(const char *s, size_t n)
{
        if (n < AUTH_TOKEN_MIN || n > AUTH_TOKEN_MAX)
                return 0;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
                        return 0;
        return 1;
}

int auth_parse(const char *text, struct auth_tokens *ret, char *err, size_t err_size)
{
        struct auth_tokens t = { 0 };
        unsigned line = 0;
        const char *p = text;

        while (*p) {
                const char *nl = strchr(p, '\n');
                const char *end = nl ? nl : p + strlen(p);
                const char *role_s, *name_s, *tok_s, *extra_s, *q = p;
                size_t role_n, name_n, tok_n;
                enum auth_role role;
                struct auth_token *grown;

                line++;
                if (end > p && end[-1] == '\r')
                        end--;
                role_n = field(&q, end, &role_s);
                if (role_n == 0 || role_s[0] == '#')
                        goto next;
                name_n = field(&q, end, &name_s);
                tok_n = field(&q, end, &tok_s);
                if (field(&q, end, &extra_s) != 0 || tok_n == 0) {
                        snprintf(err, err_size, "line %u: expected \"<role> <name> <token>\"",
                                 line);
                        goto fail;
                }
                if (role_n == 4 && memcmp(role_s, "read", 4) == 0)
                        role = ROLE_READ;
                else if (role_n == 5 && memcmp(role_s, "admin", 5) == 0)
                        role = ROLE_ADMIN;
                else {
                        snprintf(err, err_size, "line %u: role must be \"read\" or \"admin\"",
                                 line);
                        goto fail;
                }
                if (!valid_name(name_s, name_n)) {
                        snprintf(err, err_size, "line %u: name must be 1..%d of [A-Za-z0-9_.-]",
                                 line, AUTH_NAME_MAX);
                        goto fail;
                }
                if (!valid_token(tok_s, tok_n)) {
                        snprintf(err, err_size, "line %u: token must be %d..%d printable "
                                 "characters without spaces", line, AUTH_TOKEN_MIN,
                                 AUTH_TOKEN_MAX);
                        goto fail;
                }
                for (size_t i = 0; i < t.n; i++) {
                        if (strlen(t.v[i].name) == name_n &&
                            memcmp(t.v[i].name, name_s, name_n) == 0) {
                                snprintf(err, err_size, "line %u: name \"%.*s\" is used twice",
                                         line, (int)name_n, name_s);
                                goto fail;
                        }
                        if (auth_equal(tok_s, tok_n, t.v[i].token, t.v[i].token_len)) {
                                snprintf(err, err_size, "line %u: the token of \"%.*s\" is "
                                         "also the token of \"%s\"", line, (int)name_n, name_s,
                                         t.v[i].name);
                                goto fail;
                        }
                }
                grown = realloc(t.v, (t.n + 1) * sizeof(*grown));
                if (!grown)
                        goto nomem;
                t.v = grown;
                t.v[t.n] = (struct auth_token){ .role = role, .token_len = tok_n };
                t.v[t.n].name = strndup(name_s, name_n);
                t.v[t.n].token = strndup(tok_s, tok_n);
                t.n++;
                if (!t.v[t.n - 1].name || !t.v[t.n - 1].token)
                        goto nomem;
next:
                if (!nl)
                        break;
                p = nl + 1;
        }
        *ret = t;
        return 0;
nomem:
        snprintf(err, err_size, "out of memory");
        auth_tokens_clear(&t);
        return -ENOMEM;
fail:
        auth_tokens_clear(&t);
        return -EINVAL;
}

int auth_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
        /* Walk all of b; bytes of a past its end read as 0 but the length
         * difference already makes the result unequal. */
        volatile unsigned char diff = (unsigned char)(a_len != b_len);
        for (size_t i = 0; i < b_len; i++) {
                unsigned char x = i < a_len ? (unsigned char)a[i] : 0;
                diff |= x ^ (unsigned char)b[i];
        }
        return diff == 0;
}

const struct auth_token *auth_lookup(const struct auth_tokens *t, const char *header,
                                     int *ret_malformed)
{
        const struct auth_token *found = NULL;
        const char *tok;
        size_t n;

        *ret_malformed = 0;
        if (!header)
                return NULL;
        if (strncasecmp(header, "Bearer ", 7) != 0) {
                *ret_malformed = 1;
                return NULL;
        }
        tok = header + 7;
        while (*tok == ' ')
                tok++;
        n = strlen(tok);
        while (n > 0 && tok[n - 1] == ' ')
                n--;
        if (n == 0 || n > AUTH_TOKEN_MAX) {
                *ret_malformed = n == 0;
                return NULL;
        }
        /* No early exit: every stored token costs the same time. */
        for (size_t i = 0; i < t->n; i++)
                if (auth_equal(tok, n, t->v[i].token, t->v[i].token_len) && !found)
                        found = &t->v[i];
        return found;
}

enum auth_role auth_role_needed(const char *method)
{
        return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? ROLE_READ
                                                                          : ROLE_ADMIN;
}

const char *auth_role_name(enum auth_role r)
{
        return r == ROLE_ADMIN ? "admin" : r == ROLE_READ ? "read" : "none";
}
