/* SPDX-License-Identifier: MIT */
/*
 * A small namespace-aware XML reader for request bodies (PROPFIND,
 * PROPPATCH, LOCK).  It builds a tree of elements with their namespace URI,
 * local name and concatenated character data.  DOCTYPE declarations are
 * refused (no entity expansion, no external entities); depth and element
 * counts are bounded.
 */
#ifndef WD_XML_H
#define WD_XML_H

#include <stddef.h>

#include "wd-buf.h"

#define WD_XML_DEPTH_MAX 64
#define WD_XML_NODES_MAX 4096

#define DAV_NS "DAV:"

struct wd_xnode {
        char *ns;               /* namespace URI, "" when none */
        char *name;             /* local name */
        char *text;             /* character data directly inside, "" if none */
        struct wd_xnode *parent, *child, *next;
};

/* Parse a complete document.  -EINVAL (with *ret_err a short reason) for
 * anything not well-formed or refused, -ENOMEM. */
int wd_xml_parse(const char *data, size_t len, struct wd_xnode **ret, const char **ret_err);
void wd_xml_free(struct wd_xnode *n);

/* 1 if the element is {ns}name. */
int wd_xml_is(const struct wd_xnode *n, const char *ns, const char *name);
/* First child element {ns}name, or NULL. */
struct wd_xnode *wd_xml_child(const struct wd_xnode *n, const char *ns, const char *name);

/* Serialize the children of n (elements and text) into b, declaring each
 * element's namespace as a default namespace where it changes. */
void wd_xml_write_children(struct wd_buf *b, const struct wd_xnode *n);

#endif
