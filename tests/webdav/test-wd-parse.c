/* SPDX-License-Identifier: MIT */
/* plugins/webdav pure parsers: URL paths, XML bodies, HTTP headers (ranges,
 * entity tags, dates, preconditions, Depth/Overwrite/Timeout, If). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/webdav/wd-http.h"
#include "plugins/webdav/wd-path.h"
#include "plugins/webdav/wd-xml.h"
#include "tests/check-run.h"

/* --- paths ------------------------------------------------------------------ */

START_TEST(url_decode_ok)
{
        char *s = NULL;
        ck_assert_int_eq(wd_url_decode("/a%20b/%C3%A9t%C3%A9", &s), 0);
        ck_assert_str_eq(s, "/a b/\xc3\xa9t\xc3\xa9");
        free(s);
        ck_assert_int_eq(wd_url_decode("/plain+plus", &s), 0);
        ck_assert_str_eq(s, "/plain+plus");     /* '+' is not a space in paths */
        free(s);
}
END_TEST

START_TEST(url_decode_bad)
{
        char *s = NULL;
        ck_assert_int_eq(wd_url_decode("/a%00b", &s), -EINVAL);
        ck_assert_int_eq(wd_url_decode("/a%2", &s), -EINVAL);
        ck_assert_int_eq(wd_url_decode("/a%", &s), -EINVAL);
        ck_assert_int_eq(wd_url_decode("/a%zz", &s), -EINVAL);
        ck_assert_int_eq(wd_url_decode("/a%C3", &s), -EINVAL);         /* cut UTF-8 */
        ck_assert_int_eq(wd_url_decode("/a%C0%AF", &s), -EINVAL);      /* overlong '/' */
        ck_assert_int_eq(wd_url_decode("/a%ED%A0%80", &s), -EINVAL);   /* surrogate */
        {
                char *big = malloc(WD_URL_MAX + 10);
                memset(big, 'a', WD_URL_MAX + 9);
                big[0] = '/';
                big[WD_URL_MAX + 9] = '\0';
                ck_assert_int_eq(wd_url_decode(big, &s), -ENAMETOOLONG);
                free(big);
        }
}
END_TEST

START_TEST(prefix_match)
{
        ck_assert_int_eq(wd_prefix_match("/dav/demo", "/dav/demo"), 9);
        ck_assert_int_eq(wd_prefix_match("/dav/demo", "/dav/demo/x"), 9);
        ck_assert_int_eq(wd_prefix_match("/dav/demo", "/dav/demox"), -1);
        ck_assert_int_eq(wd_prefix_match("/dav/demo", "/dav"), -1);
        ck_assert_int_eq(wd_prefix_match("", "/anything"), 0);
        ck_assert_int_eq(wd_prefix_match("/", "/anything"), 0);
}
END_TEST

/* a stand-in for api->path_check with the same rules for what we test */
static int check_path(const char *p)
{
        if (strlen(p) > 1024)
                return -ENAMETOOLONG;
        if (strstr(p, "..") || strchr(p, '\\') || strstr(p, "//") || strchr(p, ':') ||
            strchr(p, '*'))
                return -EINVAL;
        return 0;
}

START_TEST(above_prefix)
{
        const char *name = NULL;

        ck_assert_uint_eq(wd_above_prefix("/", "/dav/demo", &name), 3);
        ck_assert(strncmp(name, "dav", 3) == 0);
        ck_assert_uint_eq(wd_above_prefix("/dav", "/dav/demo", &name), 4);
        ck_assert_str_eq(name, "demo");
        ck_assert_uint_eq(wd_above_prefix("/dav/", "/dav/demo", &name), 4);
        ck_assert_uint_eq(wd_above_prefix("/", "/ro", &name), 2);
        ck_assert_str_eq(name, "ro");
        /* the export itself, below it, beside it: not above */
        ck_assert_uint_eq(wd_above_prefix("/dav/demo", "/dav/demo", &name), 0);
        ck_assert_uint_eq(wd_above_prefix("/dav/demo/x", "/dav/demo", &name), 0);
        ck_assert_uint_eq(wd_above_prefix("/da", "/dav/demo", &name), 0);
        ck_assert_uint_eq(wd_above_prefix("/davx", "/dav/demo", &name), 0);
        /* only one trailing slash; no relative paths; a root export has
         * nothing above it */
        ck_assert_uint_eq(wd_above_prefix("/dav//", "/dav/demo", &name), 0);
        ck_assert_uint_eq(wd_above_prefix("//", "/dav/demo", &name), 0);
        ck_assert_uint_eq(wd_above_prefix("", "/dav/demo", &name), 0);
        ck_assert_uint_eq(wd_above_prefix("dav", "/dav/demo", &name), 0);
        ck_assert_uint_eq(wd_above_prefix("/", "", &name), 0);
}
END_TEST

START_TEST(share_path)
{
        char *rel = NULL;
        int slash = 0;
        ck_assert_int_eq(wd_share_path("/dav/demo", "/dav/demo/a/b.txt", check_path, &rel,
                                       &slash), 0);
        ck_assert_str_eq(rel, "a/b.txt");
        ck_assert_int_eq(slash, 0);
        free(rel);
        ck_assert_int_eq(wd_share_path("/dav/demo", "/dav/demo/dir/", check_path, &rel, &slash),
                         0);
        ck_assert_str_eq(rel, "dir");
        ck_assert_int_eq(slash, 1);
        free(rel);
        ck_assert_int_eq(wd_share_path("/dav/demo", "/dav/demo", check_path, &rel, &slash), 0);
        ck_assert_str_eq(rel, "");
        free(rel);
        ck_assert_int_eq(wd_share_path("", "/x/y", check_path, &rel, &slash), 0);
        ck_assert_str_eq(rel, "x/y");
        free(rel);
        ck_assert_int_eq(wd_share_path("/dav/demo", "/dav/demo/../etc", check_path, &rel, &slash),
                         -EINVAL);
        ck_assert_int_eq(wd_share_path("/dav/demo", "/dav/demo/a\\b", check_path, &rel, &slash),
                         -EINVAL);
        ck_assert_int_eq(wd_share_path("/dav/demo", "/dav/demo/a//b", check_path, &rel, &slash),
                         -EINVAL);
        ck_assert_int_eq(wd_share_path("/dav/demo", "/other", check_path, &rel, &slash), -ENOENT);
}
END_TEST

START_TEST(uri_path)
{
        char *p = NULL;
        ck_assert_int_eq(wd_uri_path("http://h:8080/dav/demo/x%20y?q=1#f", &p), 0);
        ck_assert_str_eq(p, "/dav/demo/x%20y");
        free(p);
        ck_assert_int_eq(wd_uri_path("/abs/path", &p), 0);
        ck_assert_str_eq(p, "/abs/path");
        free(p);
        ck_assert_int_eq(wd_uri_path("https://host", &p), -EINVAL);
        ck_assert_int_eq(wd_uri_path("relative/x", &p), -EINVAL);
}
END_TEST

START_TEST(href_encoding)
{
        struct wd_buf b;
        buf_init(&b);
        wd_href(&b, "/dav/demo", "a b/\xc3\xa9?#%&", 0);
        ck_assert_str_eq(b.data, "/dav/demo/a%20b/%C3%A9%3F%23%25%26");
        buf_reset(&b);
        wd_href(&b, "/dav/demo", "dir", 1);
        ck_assert_str_eq(b.data, "/dav/demo/dir/");
        buf_reset(&b);
        wd_href(&b, "", "", 1);
        ck_assert_str_eq(b.data, "/");
        buf_done(&b);
}
END_TEST

START_TEST(path_helpers)
{
        char *s;
        ck_assert_str_eq(wd_basename("a/b/c"), "c");
        ck_assert_str_eq(wd_basename("c"), "c");
        s = wd_dirname("a/b/c");
        ck_assert_str_eq(s, "a/b");
        free(s);
        s = wd_dirname("c");
        ck_assert_str_eq(s, "");
        free(s);
        s = wd_join("", "x");
        ck_assert_str_eq(s, "x");
        free(s);
        s = wd_join("a", "x");
        ck_assert_str_eq(s, "a/x");
        free(s);
        ck_assert(wd_path_within("a/b", "a"));
        ck_assert(wd_path_within("a", "a"));
        ck_assert(!wd_path_within("ab", "a"));
        ck_assert(wd_path_within("anything", ""));
}
END_TEST

/* --- XML ---------------------------------------------------------------------- */

static struct wd_xnode *parse(const char *s)
{
        struct wd_xnode *n = NULL;
        const char *err = NULL;
        int r = wd_xml_parse(s, strlen(s), &n, &err);
        ck_assert_msg(r == 0, "parse failed: %s", err ? err : "?");
        return n;
}

static int parse_fails(const char *s)
{
        struct wd_xnode *n = NULL;
        const char *err = NULL;
        int r = wd_xml_parse(s, strlen(s), &n, &err);
        if (r == 0)
                wd_xml_free(n);
        return r == -EINVAL && err != NULL;
}

START_TEST(xml_namespaces)
{
        struct wd_xnode *d = parse("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                                   "<!-- c --><D:propfind xmlns:D=\"DAV:\"><D:prop>"
                                   "<D:getetag/><x:foo xmlns:x=\"urn:x\"/><bar xmlns=\"urn:b\"/>"
                                   "<baz/></D:prop></D:propfind>");
        struct wd_xnode *prop, *c;
        ck_assert(wd_xml_is(d, DAV_NS, "propfind"));
        prop = wd_xml_child(d, DAV_NS, "prop");
        ck_assert_ptr_nonnull(prop);
        c = prop->child;
        ck_assert(wd_xml_is(c, DAV_NS, "getetag"));
        c = c->next;
        ck_assert(wd_xml_is(c, "urn:x", "foo"));
        c = c->next;
        ck_assert(wd_xml_is(c, "urn:b", "bar"));
        c = c->next;
        ck_assert(wd_xml_is(c, "", "baz"));
        ck_assert_ptr_null(c->next);
        wd_xml_free(d);
}
END_TEST

START_TEST(xml_default_ns_and_text)
{
        struct wd_xnode *d = parse("<lockinfo xmlns='DAV:'><owner>a &amp; b &#x263A; "
                                   "<![CDATA[<x>]]></owner></lockinfo>");
        struct wd_xnode *o = wd_xml_child(d, DAV_NS, "owner");
        ck_assert_ptr_nonnull(o);
        ck_assert_str_eq(o->text, "a & b \xe2\x98\xba <x>");
        wd_xml_free(d);
}
END_TEST

START_TEST(xml_refused)
{
        ck_assert(parse_fails("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>"));
        ck_assert(parse_fails("<a><b></a></b>"));
        ck_assert(parse_fails("<a>"));
        ck_assert(parse_fails("<p:a/>"));                       /* undeclared prefix */
        ck_assert(parse_fails("<a/><b/>"));
        ck_assert(parse_fails("<a>&unknown;</a>"));
        ck_assert(parse_fails("<a>&#0;</a>"));
        ck_assert(parse_fails(""));
        ck_assert(parse_fails("<a b=c/>"));
        {
                /* nesting beyond the limit */
                char buf[WD_XML_DEPTH_MAX * 8 + 64] = "";
                for (int i = 0; i < WD_XML_DEPTH_MAX + 2; i++)
                        strcat(buf, "<a>");
                ck_assert(parse_fails(buf));
        }
}
END_TEST

START_TEST(xml_serialize_owner)
{
        struct wd_xnode *d = parse("<D:owner xmlns:D=\"DAV:\"><D:href>mailto:a@b</D:href>"
                                   "<x:n xmlns:x=\"urn:x\">t&lt;</x:n></D:owner>");
        struct wd_buf b;
        buf_init(&b);
        wd_xml_write_children(&b, d);
        ck_assert_str_eq(b.data, "<href xmlns=\"DAV:\">mailto:a@b</href>"
                                 "<n xmlns=\"urn:x\">t&lt;</n>");
        buf_done(&b);
        wd_xml_free(d);
}
END_TEST

/* --- HTTP headers ------------------------------------------------------------- */

START_TEST(ranges)
{
        uint64_t s = 0, l = 0;
        ck_assert_int_eq(wd_parse_range("bytes=0-0", 10, &s, &l), WD_RANGE_OK);
        ck_assert(s == 0 && l == 1);
        ck_assert_int_eq(wd_parse_range("bytes=2-", 10, &s, &l), WD_RANGE_OK);
        ck_assert(s == 2 && l == 8);
        ck_assert_int_eq(wd_parse_range("bytes=-3", 10, &s, &l), WD_RANGE_OK);
        ck_assert(s == 7 && l == 3);
        ck_assert_int_eq(wd_parse_range("bytes=-30", 10, &s, &l), WD_RANGE_OK);
        ck_assert(s == 0 && l == 10);
        ck_assert_int_eq(wd_parse_range("bytes=5-100", 10, &s, &l), WD_RANGE_OK);
        ck_assert(s == 5 && l == 5);
        ck_assert_int_eq(wd_parse_range("bytes=10-", 10, &s, &l), WD_RANGE_UNSATISFIABLE);
        ck_assert_int_eq(wd_parse_range("bytes=-0", 10, &s, &l), WD_RANGE_UNSATISFIABLE);
        ck_assert_int_eq(wd_parse_range("bytes=0-", 0, &s, &l), WD_RANGE_UNSATISFIABLE);
        ck_assert_int_eq(wd_parse_range("bytes=99999999999999999999999-", 10, &s, &l),
                         WD_RANGE_UNSATISFIABLE);
        ck_assert_int_eq(wd_parse_range("bytes=0-1,3-4", 10, &s, &l), WD_RANGE_NONE);
        ck_assert_int_eq(wd_parse_range("bytes=5-2", 10, &s, &l), WD_RANGE_NONE);
        ck_assert_int_eq(wd_parse_range("items=0-1", 10, &s, &l), WD_RANGE_NONE);
        ck_assert_int_eq(wd_parse_range("bytes=x-1", 10, &s, &l), WD_RANGE_NONE);
        ck_assert_int_eq(wd_parse_range(NULL, 10, &s, &l), WD_RANGE_NONE);
}
END_TEST

START_TEST(etags)
{
        struct gwd_stat st = { .file_id = 0x2a, .size = 16, .mtime_ns = 255 };
        char e[WD_ETAG_MAX];
        wd_etag(&st, e);
        ck_assert_str_eq(e, "\"2a-10-ff\"");
        ck_assert(wd_etag_list_match("\"2a-10-ff\"", e, 0));
        ck_assert(wd_etag_list_match("\"x\", \"2a-10-ff\"", e, 0));
        ck_assert(!wd_etag_list_match("\"x\", \"y\"", e, 0));
        ck_assert(wd_etag_list_match("*", e, 0));
        ck_assert(!wd_etag_list_match("*", NULL, 0));
        ck_assert(!wd_etag_list_match("W/\"2a-10-ff\"", e, 0));        /* strong */
        ck_assert(wd_etag_list_match("W/\"2a-10-ff\"", e, 1));         /* weak */
        ck_assert(!wd_etag_list_match("garbage", e, 1));
}
END_TEST

START_TEST(dates)
{
        time_t t = 0;
        char out[32];
        ck_assert_int_eq(wd_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
        ck_assert_int_eq((long long)t, 784111777LL);
        ck_assert_int_eq(wd_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
        ck_assert_int_eq((long long)t, 784111777LL);
        ck_assert_int_eq(wd_parse_http_date("Sun Nov  6 08:49:37 1994", &t), 0);
        ck_assert_int_eq((long long)t, 784111777LL);
        ck_assert_int_eq(wd_parse_http_date("yesterday", &t), -EINVAL);
        ck_assert_int_eq(wd_parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT", &t), -EINVAL);
        wd_http_date(784111777, out);
        ck_assert_str_eq(out, "Sun, 06 Nov 1994 08:49:37 GMT");
        wd_iso_date(784111777, out);
        ck_assert_str_eq(out, "1994-11-06T08:49:37Z");
}
END_TEST

START_TEST(preconditions)
{
        const char *e = "\"1-2-3\"";
        struct wd_cond c = { 0 };
        time_t m = 784111777;

        ck_assert_int_eq(wd_preconditions(&c, 1, e, m, 1), 0);
        c.if_none_match = "\"1-2-3\"";
        ck_assert_int_eq(wd_preconditions(&c, 1, e, m, 1), 304);
        ck_assert_int_eq(wd_preconditions(&c, 1, e, m, 0), 412);
        c.if_none_match = "*";
        ck_assert_int_eq(wd_preconditions(&c, 0, NULL, 0, 0), 0);   /* create-only PUT */
        ck_assert_int_eq(wd_preconditions(&c, 1, e, m, 0), 412);
        c = (struct wd_cond){ .if_match = "\"other\"" };
        ck_assert_int_eq(wd_preconditions(&c, 1, e, m, 0), 412);
        c.if_match = "\"1-2-3\"";
        ck_assert_int_eq(wd_preconditions(&c, 1, e, m, 0), 0);
        ck_assert_int_eq(wd_preconditions(&c, 0, NULL, 0, 0), 412);
        c = (struct wd_cond){ .if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT" };
        ck_assert_int_eq(wd_preconditions(&c, 1, e, m, 1), 304);
        ck_assert_int_eq(wd_preconditions(&c, 1, e, m + 1, 1), 0);
        c = (struct wd_cond){ .if_unmodified_since = "Sun, 06 Nov 1994 08:49:37 GMT" };
        ck_assert_int_eq(wd_preconditions(&c, 1, e, m + 1, 0), 412);
        ck_assert_int_eq(wd_preconditions(&c, 1, e, m, 0), 0);
        /* If-None-Match wins over If-Modified-Since */
        c = (struct wd_cond){ .if_none_match = "\"x\"",
                              .if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT" };
        ck_assert_int_eq(wd_preconditions(&c, 1, e, m, 1), 0);
        ck_assert_int_eq(wd_if_range("\"1-2-3\"", e, m), 1);
        ck_assert_int_eq(wd_if_range("\"nope\"", e, m), 0);
        ck_assert_int_eq(wd_if_range("Sun, 06 Nov 1994 08:49:37 GMT", e, m), 1);
}
END_TEST

START_TEST(dav_headers)
{
        ck_assert_int_eq(wd_parse_depth(NULL, 7), 7);
        ck_assert_int_eq(wd_parse_depth("0", 7), 0);
        ck_assert_int_eq(wd_parse_depth("1", 7), 1);
        ck_assert_int_eq(wd_parse_depth("Infinity", 7), WD_DEPTH_INFINITY);
        ck_assert_int_eq(wd_parse_depth("2", 7), WD_DEPTH_BAD);
        ck_assert_int_eq(wd_parse_overwrite(NULL), 1);
        ck_assert_int_eq(wd_parse_overwrite("T"), 1);
        ck_assert_int_eq(wd_parse_overwrite("F"), 0);
        ck_assert_int_eq(wd_parse_overwrite("maybe"), -EINVAL);
        ck_assert_uint_eq(wd_parse_timeout(NULL, 3600, 86400), 3600);
        ck_assert_uint_eq(wd_parse_timeout("Second-60", 3600, 86400), 60);
        ck_assert_uint_eq(wd_parse_timeout("Infinite, Second-60", 3600, 86400), 86400);
        ck_assert_uint_eq(wd_parse_timeout("Second-999999999", 3600, 86400), 86400);
        ck_assert_uint_eq(wd_parse_timeout("Bogus, Second-5", 3600, 86400), 5);
        ck_assert_uint_eq(wd_parse_timeout("Second-99999999999999999999999", 3600, 86400), 86400);
}
END_TEST

static int tok_ok(void *ud, const char *tag, const char *token)
{
        return strcmp(token, "opaquelocktoken:good") == 0;
}

static const char *etag_of(void *ud, const char *tag)
{
        return tag ? NULL : "\"e1\"";
}

START_TEST(if_header)
{
        struct wd_if *h = NULL;

        ck_assert_int_eq(wd_if_parse("(<opaquelocktoken:good>)", &h), 0);
        ck_assert_uint_eq(h->n, 1);
        ck_assert(wd_if_eval(h, tok_ok, etag_of, NULL));
        ck_assert(wd_if_has_token(h, "opaquelocktoken:good"));
        wd_if_free(h);

        ck_assert_int_eq(wd_if_parse("(<opaquelocktoken:bad>) (Not <DAV:no-lock> [\"e1\"])",
                                     &h), 0);
        ck_assert_uint_eq(h->n, 2);
        ck_assert(wd_if_eval(h, tok_ok, etag_of, NULL));       /* second list holds */
        ck_assert(!wd_if_has_token(h, "DAV:no-lock"));          /* negated: not submitted */
        wd_if_free(h);

        ck_assert_int_eq(wd_if_parse("(<opaquelocktoken:bad> [\"e1\"])", &h), 0);
        ck_assert(!wd_if_eval(h, tok_ok, etag_of, NULL));
        wd_if_free(h);

        ck_assert_int_eq(wd_if_parse("<http://h/dav/x> (<opaquelocktoken:good>) "
                                     "<http://h/dav/y> ([\"e1\"])", &h), 0);
        ck_assert_uint_eq(h->n, 2);
        ck_assert_str_eq(h->l[0].tag, "http://h/dav/x");
        ck_assert_str_eq(h->l[1].tag, "http://h/dav/y");
        wd_if_free(h);

        ck_assert_int_eq(wd_if_parse("", &h), -EINVAL);
        ck_assert_int_eq(wd_if_parse("(<a>", &h), -EINVAL);
        ck_assert_int_eq(wd_if_parse("()", &h), -EINVAL);
        ck_assert_int_eq(wd_if_parse("<http://x>", &h), -EINVAL);
        ck_assert_int_eq(wd_if_parse("(<a>) <http://x> (<b>)", &h), -EINVAL);  /* mixed */
        ck_assert_int_eq(wd_if_parse("(garbage)", &h), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("webdav-parse");
        TCase *t = tcase_create("paths");
        tcase_add_test(t, url_decode_ok);
        tcase_add_test(t, url_decode_bad);
        tcase_add_test(t, prefix_match);
        tcase_add_test(t, above_prefix);
        tcase_add_test(t, share_path);
        tcase_add_test(t, uri_path);
        tcase_add_test(t, href_encoding);
        tcase_add_test(t, path_helpers);
        suite_add_tcase(s, t);
        t = tcase_create("xml");
        tcase_add_test(t, xml_namespaces);
        tcase_add_test(t, xml_default_ns_and_text);
        tcase_add_test(t, xml_refused);
        tcase_add_test(t, xml_serialize_owner);
        suite_add_tcase(s, t);
        t = tcase_create("http");
        tcase_add_test(t, ranges);
        tcase_add_test(t, etags);
        tcase_add_test(t, dates);
        tcase_add_test(t, preconditions);
        tcase_add_test(t, dav_headers);
        tcase_add_test(t, if_header);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        return check_run_suite(suite());
}
