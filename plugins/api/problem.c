/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/api/api.h"

const char *api_status_title(unsigned status)
{
        switch (status) {
        case 200: return "OK";
        case 202: return "Accepted";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 413: return "Content Too Large";
        case 415: return "Unsupported Media Type";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        }
        return "Error";
}

static enum MHD_Result queue(struct api_req *r, unsigned status, struct MHD_Response *resp,
                             const char *ctype)
{
        enum MHD_Result ret;

        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        if (status == MHD_HTTP_UNAUTHORIZED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                        "Bearer realm=\"gatewayd\"");
        ret = MHD_queue_response(r->conn, status, resp);
        MHD_destroy_response(resp);
        if (ret == MHD_YES) {
                r->status = status;
                r->responded = true;
        }
        return ret;
}

enum MHD_Result api_reply_text(struct api_req *r, unsigned status, const char *ctype,
                               const char *text, size_t len, bool copy)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(
                len, (void *)text, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
        return queue(r, status, resp, ctype);
}

static enum MHD_Result reply_json_headers(struct api_req *r, unsigned status, json_t *body,
                                          const char *ctype, const char *hname,
                                          const char *hvalue)
{
        char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
        struct MHD_Response *resp;
        size_t len;

        json_decref(body);
        if (!s)
                return MHD_NO;
        len = strlen(s);
        /* A trailing newline keeps terminals tidy for curl users. */
        char *nl = realloc(s, len + 2);
        if (nl) {
                s = nl;
                s[len++] = '\n';
                s[len] = '\0';
        }
        resp = MHD_create_response_from_buffer(len, s, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(s);
                return MHD_NO;
        }
        if (hname)
                MHD_add_response_header(resp, hname, hvalue);
        return queue(r, status, resp, ctype);
}

enum MHD_Result api_reply_sbuf(struct api_req *r, unsigned status, struct sbuf *body)
{
        struct MHD_Response *resp;

        sbuf_append(body, "\n", 1);
        if (body->oom) {
                sbuf_free(body);
                return MHD_NO;
        }
        resp = MHD_create_response_from_buffer(body->len, body->p, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                sbuf_free(body);
                return MHD_NO;
        }
        *body = (struct sbuf){ 0 };     /* MHD frees it now */
        return queue(r, status, resp, "application/json");
}

enum MHD_Result api_reply_json(struct api_req *r, unsigned status, json_t *body)
{
        return reply_json_headers(r, status, body, "application/json", NULL, NULL);
}

enum MHD_Result api_reply_json_location(struct api_req *r, unsigned status, json_t *body,
                                        const char *location)
{
        return reply_json_headers(r, status, body, "application/json",
                                  MHD_HTTP_HEADER_LOCATION, location);
}

/* Client-supplied bytes (path, method) may not be UTF-8: jansson refuses
 * those, and the error body must still go out. */
static json_t *string_or(const char *s, const char *fallback)
{
        json_t *j = s ? json_string(s) : NULL;
        return j ? j : json_string(fallback);
}

static json_t *problem_json(struct api_req *r, unsigned status, const char *detail)
{
        return json_pack("{s:s, s:s, s:i, s:o, s:o}", "type", "about:blank", "title",
                         api_status_title(status), "status", (int)status, "detail",
                         string_or(detail, "(detail not UTF-8)"), "instance",
                         string_or(r->url, "(path not UTF-8)"));
}

enum MHD_Result api_problem(struct api_req *r, unsigned status, const char *fmt, ...)
{
        char detail[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        return reply_json_headers(r, status, problem_json(r, status, detail),
                                  "application/problem+json", NULL, NULL);
}

enum MHD_Result api_problem_allow(struct api_req *r, unsigned allow)
{
        char allow_s[64], detail[128];
        route_allow_string(allow, allow_s, sizeof(allow_s));
        snprintf(detail, sizeof(detail), "%s is not allowed here; allowed: %s", r->method,
                 allow_s);
        return reply_json_headers(r, MHD_HTTP_METHOD_NOT_ALLOWED,
                                  problem_json(r, MHD_HTTP_METHOD_NOT_ALLOWED, detail),
                                  "application/problem+json", MHD_HTTP_HEADER_ALLOW, allow_s);
}
