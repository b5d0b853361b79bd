/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wd-path.h"
#include "wd-xml.h"

/* A namespace binding in scope: prefix ("" for the default) -> URI. */
struct nsbind {
        char *prefix;
        char *uri;
        unsigned depth;
        struct nsbind *next;
};

struct parser {
        const char *p, *end;
        struct nsbind *ns;
        unsigned depth;
        unsigned nodes;
        const char *err;
};

static int fail(struct parser *ps, const char *why)
{
        if (!ps->err)
                ps->err = why;
        return -EINVAL;
}

static int is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_space(struct parser *ps)
{
        while (ps->p < ps->end && is_space(*ps->p))
                ps->p++;
}

static int starts(struct parser *ps, const char *s)
{
        size_t n = strlen(s);
        return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0;
}

/* Skip past the next occurrence of `term`. */
static int skip_past(struct parser *ps, const char *term)
{
        size_t n = strlen(term);
        for (const char *q = ps->p; (size_t)(ps->end - q) >= n; q++)
                if (memcmp(q, term, n) == 0) {
                        ps->p = q + n;
                        return 0;
                }
        return fail(ps, "unterminated markup");
}

static int name_char(unsigned char c)
{
        return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ':';
}

static int read_name(struct parser *ps, const char **ret, size_t *ret_len)
{
        const char *s = ps->p;
        if (s >= ps->end || !name_char((unsigned char)*s) || *s == '-' || *s == '.' ||
            (*s >= '0' && *s <= '9'))
                return fail(ps, "bad name");
        while (ps->p < ps->end && name_char((unsigned char)*ps->p))
                ps->p++;
        *ret = s;
        *ret_len = (size_t)(ps->p - s);
        return 0;
}

/* Append one UTF-8 encoded code point. */
static void add_cp(struct wd_buf *b, unsigned long cp)
{
        char u[4];
        if (cp < 0x80) {
                u[0] = (char)cp;
                buf_add(b, u, 1);
        } else if (cp < 0x800) {
                u[0] = (char)(0xc0 | cp >> 6);
                u[1] = (char)(0x80 | (cp & 0x3f));
                buf_add(b, u, 2);
        } else if (cp < 0x10000) {
                u[0] = (char)(0xe0 | cp >> 12);
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                u[2] = (char)(0x80 | (cp & 0x3f));
                buf_add(b, u, 3);
        } else {
                u[0] = (char)(0xf0 | cp >> 18);
                u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                u[3] = (char)(0x80 | (cp & 0x3f));
                buf_add(b, u, 4);
        }
}

/* Decode character data or an attribute value [s, e) into b. */
static int decode_text(struct parser *ps, const char *s, const char *e, struct wd_buf *b)
{
        while (s < e) {
                const char *amp = memchr(s, '&', (size_t)(e - s));
                const char *lt = memchr(s, '<', (size_t)(e - s));
                if (lt)
                        return fail(ps, "'<' in text");
                if (!amp) {
                        buf_add(b, s, (size_t)(e - s));
                        break;
                }
                buf_add(b, s, (size_t)(amp - s));
                const char *semi = memchr(amp, ';', (size_t)(e - amp));
                if (!semi || semi - amp > 12)
                        return fail(ps, "bad entity");
                size_t n = (size_t)(semi - amp - 1);
                const char *ent = amp + 1;
                if (n == 2 && memcmp(ent, "lt", 2) == 0)
                        buf_addc(b, '<');
                else if (n == 2 && memcmp(ent, "gt", 2) == 0)
                        buf_addc(b, '>');
                else if (n == 3 && memcmp(ent, "amp", 3) == 0)
                        buf_addc(b, '&');
                else if (n == 4 && memcmp(ent, "quot", 4) == 0)
                        buf_addc(b, '"');
                else if (n == 4 && memcmp(ent, "apos", 4) == 0)
                        buf_addc(b, '\'');
                else if (n >= 2 && ent[0] == '#') {
                        unsigned long cp = 0;
                        int hex = ent[1] == 'x';
                        size_t i = hex ? 2 : 1;
                        if (i >= n)
                                return fail(ps, "bad character reference");
                        for (; i < n; i++) {
                                char c = ent[i];
                                int v = c >= '0' && c <= '9' ? c - '0'
                                        : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                                if (v < 0)
                                        return fail(ps, "bad character reference");
                                cp = cp * (hex ? 16 : 10) + (unsigned long)v;
                                if (cp > 0x10ffff)
                                        return fail(ps, "bad character reference");
                        }
                        if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
                                return fail(ps, "bad character reference");
                        add_cp(b, cp);
                } else {
                        return fail(ps, "unknown entity");
                }
                s = semi + 1;
        }
        return buf_error(b) ? -ENOMEM : 0;
}

static const char *ns_lookup(struct parser *ps, const char *prefix, size_t len)
{
        for (struct nsbind *b = ps->ns; b; b = b->next)
                if (strlen(b->prefix) == len && memcmp(b->prefix, prefix, len) == 0)
                        return b->uri;
        if (len == 3 && memcmp(prefix, "xml", 3) == 0)
                return "http://www.w3.org/XML/1998/namespace";
        return len == 0 ? "" : NULL;
}

static void ns_pop(struct parser *ps)
{
        while (ps->ns && ps->ns->depth >= ps->depth) {
                struct nsbind *b = ps->ns;
                ps->ns = b->next;
                free(b->prefix);
                free(b->uri);
                free(b);
        }
}

struct attr {
        const char *name;
        size_t name_len;
        char *value;
};

#define ATTRS_MAX 32

static int parse_element(struct parser *ps, struct wd_xnode *parent, struct wd_xnode **ret);

static int parse_content(struct parser *ps, struct wd_xnode *el)
{
        struct wd_buf text;
        struct wd_xnode **tail = &el->child;
        int r;

        buf_init(&text);
        for (;;) {
                const char *s = ps->p;
                while (ps->p < ps->end && *ps->p != '<')
                        ps->p++;
                r = decode_text(ps, s, ps->p, &text);
                if (r < 0)
                        goto out;
                if (ps->p >= ps->end) {
                        r = fail(ps, "unexpected end of document");
                        goto out;
                }
                if (starts(ps, "</"))
                        break;
                if (starts(ps, "<!--")) {
                        if ((r = skip_past(ps, "-->")) < 0)
                                goto out;
                } else if (starts(ps, "<![CDATA[")) {
                        const char *c = ps->p + 9;
                        if ((r = skip_past(ps, "]]>")) < 0)
                                goto out;
                        buf_add(&text, c, (size_t)(ps->p - 3 - c));
                } else if (starts(ps, "<?")) {
                        if ((r = skip_past(ps, "?>")) < 0)
                                goto out;
                } else if (starts(ps, "<!")) {
                        r = fail(ps, "declarations are not allowed");
                        goto out;
                } else {
                        struct wd_xnode *child;
                        r = parse_element(ps, el, &child);
                        if (r < 0)
                                goto out;
                        *tail = child;
                        tail = &child->next;
                }
        }
        /* the end tag: must match the start tag's qualified name (checked by
         * the caller, which knows it) */
        el->text = buf_steal(&text, NULL);
        r = el->text ? 0 : -ENOMEM;
out:
        buf_done(&text);
        return r;
}

static int parse_element(struct parser *ps, struct wd_xnode *parent, struct wd_xnode **ret)
{
        struct attr attrs[ATTRS_MAX];
        size_t n_attrs = 0;
        const char *qname, *colon;
        size_t qlen;
        struct wd_xnode *el = NULL;
        int empty = 0, r;

        if (++ps->nodes > WD_XML_NODES_MAX)
                return fail(ps, "too many elements");
        if (ps->depth >= WD_XML_DEPTH_MAX)
                return fail(ps, "nested too deeply");
        ps->p++;        /* '<' */
        if ((r = read_name(ps, &qname, &qlen)) < 0)
                return r;
        ps->depth++;
        for (;;) {
                const char *an;
                size_t alen;
                char quote;
                const char *vs;
                struct wd_buf v;

                skip_space(ps);
                if (ps->p >= ps->end) {
                        r = fail(ps, "unexpected end of document");
                        goto out;
                }
                if (*ps->p == '>') {
                        ps->p++;
                        break;
                }
                if (starts(ps, "/>")) {
                        ps->p += 2;
                        empty = 1;
                        break;
                }
                if ((r = read_name(ps, &an, &alen)) < 0)
                        goto out;
                skip_space(ps);
                if (ps->p >= ps->end || *ps->p != '=') {
                        r = fail(ps, "attribute without value");
                        goto out;
                }
                ps->p++;
                skip_space(ps);
                if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\'')) {
                        r = fail(ps, "unquoted attribute");
                        goto out;
                }
                quote = *ps->p++;
                vs = ps->p;
                while (ps->p < ps->end && *ps->p != quote)
                        ps->p++;
                if (ps->p >= ps->end) {
                        r = fail(ps, "unterminated attribute");
                        goto out;
                }
                if (n_attrs == ATTRS_MAX) {
                        r = fail(ps, "too many attributes");
                        goto out;
                }
                buf_init(&v);
                r = decode_text(ps, vs, ps->p, &v);
                ps->p++;
                if (r < 0) {
                        buf_done(&v);
                        goto out;
                }
                attrs[n_attrs].name = an;
                attrs[n_attrs].name_len = alen;
                attrs[n_attrs].value = buf_steal(&v, NULL);
                buf_done(&v);
                if (!attrs[n_attrs].value) {
                        r = -ENOMEM;
                        goto out;
                }
                n_attrs++;
        }
        /* namespace declarations first: they apply to this element's name */
        for (size_t i = 0; i < n_attrs; i++) {
                const struct attr *a = &attrs[i];
                const char *prefix;
                size_t plen;
                struct nsbind *b;

                if (a->name_len == 5 && memcmp(a->name, "xmlns", 5) == 0) {
                        prefix = "";
                        plen = 0;
                } else if (a->name_len > 6 && memcmp(a->name, "xmlns:", 6) == 0) {
                        prefix = a->name + 6;
                        plen = a->name_len - 6;
                        if (!*a->value) {
                                r = fail(ps, "empty namespace for a prefix");
                                goto out;
                        }
                } else {
                        continue;
                }
                b = calloc(1, sizeof(*b));
                if (!b || !(b->prefix = strndup(prefix, plen)) ||
                    !(b->uri = strdup(a->value))) {
                        if (b)
                                free(b->prefix);
                        free(b);
                        r = -ENOMEM;
                        goto out;
                }
                b->depth = ps->depth;
                b->next = ps->ns;
                ps->ns = b;
        }
        el = calloc(1, sizeof(*el));
        if (!el) {
                r = -ENOMEM;
                goto out;
        }
        el->parent = parent;
        colon = memchr(qname, ':', qlen);
        {
                const char *uri = colon ? ns_lookup(ps, qname, (size_t)(colon - qname))
                                        : ns_lookup(ps, "", 0);
                const char *local = colon ? colon + 1 : qname;
                size_t llen = qlen - (size_t)(local - qname);
                if (!uri || llen == 0 || memchr(local, ':', llen)) {
                        r = fail(ps, "undeclared namespace prefix");
                        goto out;
                }
                el->ns = strdup(uri);
                el->name = strndup(local, llen);
                if (!el->ns || !el->name) {
                        r = -ENOMEM;
                        goto out;
                }
        }
        if (empty) {
                el->text = strdup("");
                r = el->text ? 0 : -ENOMEM;
                goto out;
        }
        if ((r = parse_content(ps, el)) < 0)
                goto out;
        /* "</" qname ws* ">" */
        ps->p += 2;
        if ((size_t)(ps->end - ps->p) < qlen || memcmp(ps->p, qname, qlen) != 0) {
                r = fail(ps, "mismatched end tag");
                goto out;
        }
        ps->p += qlen;
        skip_space(ps);
        if (ps->p >= ps->end || *ps->p != '>') {
                r = fail(ps, "mismatched end tag");
                goto out;
        }
        ps->p++;
        r = 0;
out:
        for (size_t i = 0; i < n_attrs; i++)
                free(attrs[i].value);
        ns_pop(ps);
        ps->depth--;
        if (r < 0) {
                wd_xml_free(el);
                return r;
        }
        *ret = el;
        return 0;
}

/* Prolog and epilog: XML declaration, comments, PIs, white space. */
static int skip_misc(struct parser *ps)
{
        for (;;) {
                skip_space(ps);
                if (starts(ps, "<!--")) {
                        if (skip_past(ps, "-->") < 0)
                                return -EINVAL;
                } else if (starts(ps, "<?")) {
                        if (skip_past(ps, "?>") < 0)
                                return -EINVAL;
                } else if (starts(ps, "<!")) {
                        return fail(ps, "declarations are not allowed");
                } else {
                        return 0;
                }
        }
}

int wd_xml_parse(const char *data, size_t len, struct wd_xnode **ret, const char **ret_err)
{
        struct parser ps = { .p = data, .end = data + len };
        struct wd_xnode *root = NULL;
        int r;

        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                ps.p += 3;
        if (memchr(data, '\0', len) || !wd_utf8_valid(ps.p, (size_t)(ps.end - ps.p))) {
                r = fail(&ps, "not UTF-8 text");
                goto out;
        }
        if ((r = skip_misc(&ps)) < 0)
                goto out;
        if (ps.p >= ps.end || *ps.p != '<') {
                r = fail(&ps, "no root element");
                goto out;
        }
        if ((r = parse_element(&ps, NULL, &root)) < 0)
                goto out;
        if ((r = skip_misc(&ps)) < 0)
                goto out;
        if (ps.p != ps.end) {
                r = fail(&ps, "content after the root element");
                goto out;
        }
        *ret = root;
        root = NULL;
out:
        wd_xml_free(root);
        while (ps.ns) {
                ps.depth = 0;
                ns_pop(&ps);
        }
        if (ret_err)
                *ret_err = ps.err ? ps.err : (r == -ENOMEM ? "out of memory" : NULL);
        return r;
}

void wd_xml_free(struct wd_xnode *n)
{
        while (n) {
                struct wd_xnode *next = n->next;
                wd_xml_free(n->child);
                free(n->ns);
                free(n->name);
                free(n->text);
                free(n);
                n = next;
        }
}

int wd_xml_is(const struct wd_xnode *n, const char *ns, const char *name)
{
        return n && strcmp(n->ns, ns) == 0 && strcmp(n->name, name) == 0;
}

struct wd_xnode *wd_xml_child(const struct wd_xnode *n, const char *ns, const char *name)
{
        for (struct wd_xnode *c = n ? n->child : NULL; c; c = c->next)
                if (wd_xml_is(c, ns, name))
                        return c;
        return NULL;
}

static void write_node(struct wd_buf *b, const struct wd_xnode *n, const char *parent_ns)
{
        buf_addc(b, '<');
        buf_adds(b, n->name);
        if (strcmp(n->ns, parent_ns) != 0) {
                buf_adds(b, " xmlns=\"");
                buf_add_xml(b, n->ns);
                buf_addc(b, '"');
        }
        buf_addc(b, '>');
        buf_add_xml(b, n->text);
        for (const struct wd_xnode *c = n->child; c; c = c->next)
                write_node(b, c, n->ns);
        buf_adds(b, "</");
        buf_adds(b, n->name);
        buf_addc(b, '>');
}

void wd_xml_write_children(struct wd_buf *b, const struct wd_xnode *n)
{
        /* Text and children are kept apart by the reader, so mixed content
         * comes out with the text first; owners are short, that is fine. */
        buf_add_xml(b, n->text);
        for (const struct wd_xnode *c = n->child; c; c = c->next)
                write_node(b, c, "");
}
