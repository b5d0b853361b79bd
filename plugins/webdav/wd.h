/* SPDX-License-Identifier: MIT */
/*
 * plugins/webdav internals: the server, the per-request state machine and
 * the method handlers.
 *
 * Request life cycle (everything on the loop thread)
 *   MHD calls the access handler once with the headers (wd_req created,
 *   authenticated, routed), then for every piece of body, then once more
 *   with no data.  A method that needs the backend starts an asynchronous
 *   chain and sets req->waiting; the handler then suspends the connection.
 *   The chain ends in req_respond*() which builds the response and wakes
 *   the request (resume + httpd_kick); MHD calls the handler again and the
 *   response is queued from there.
 *
 * Share pointers
 *   req->share is looked up by name when the request starts.  The core keeps
 *   a share alive while one of its operations is in flight or a file is
 *   open, so every chain starts its next operation from inside the previous
 *   completion (or holds an open file) and never keeps the pointer across a
 *   wait for the client otherwise.
 *
 * References
 *   A wd_req is referenced by MHD (until the completed callback) and by each
 *   backend operation in flight; wd_server by every request and by its
 *   start/stop state, so a completion arriving after stop() still finds
 *   valid memory.
 */
#ifndef WD_H
#define WD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "gatewayd/backend.h"
#include "gatewayd/plugin.h"
#include "plugins/common/httpd-loop.h"

#include "wd-auth.h"
#include "wd-buf.h"
#include "wd-errmap.h"
#include "wd-http.h"
#include "wd-lock.h"

#define WD_CHUNK (256u * 1024u)         /* one backend read or write */
#define WD_RING_SLOTS 4                 /* GET: reads in flight / buffered */
/* PUT: one backend write.  Larger than a GET chunk: the SMB server pays per
 * WRITE (smbd queues each to its I/O thread pool), so 4 MiB writes cost it
 * far less CPU than 256 KiB ones. */
#ifndef WD_PUT_CHUNK
#define WD_PUT_CHUNK (4u << 20)
#endif
/* PUT: at most this many chunks per upload (writes in flight + the one
 * being filled).  8 x 4 MiB keeps a loopback smbd busy; 2 did not (the
 * WRITEs took turns with the body's arrival).  Every chunk comes out of the
 * server-wide budget upload_buffer_bytes, so many uploads at once cannot
 * take more memory than that: an upload that holds no chunk waits for one. */
#ifndef WD_PUT_BUFS
#define WD_PUT_BUFS 8
#endif
#define WD_UPLOAD_BUFFER_DEFAULT (256ull << 20)
/* libmicrohttpd's per-connection memory (connection_memory_bytes): a
 * request body arrives in reads of up to about half of it, and the library
 * zeroes all of it after every request of a kept-alive connection.  Larger
 * means fewer recv calls per uploaded GiB but a memset per request and that
 * much RSS per connection once used: docs/webdav.md, Configuration. */
#define WD_CONNECTION_MEMORY_DEFAULT (256u * 1024u)
#define WD_CONNECTION_MEMORY_MIN (32u * 1024u)
#define WD_CONNECTION_MEMORY_MAX (64u * 1024u * 1024u)
#define WD_XML_BODY_MAX (256u * 1024u)  /* PROPFIND, PROPPATCH, LOCK bodies */
#define WD_LOCK_TIMEOUT_DEFAULT 3600u
#define WD_LOCK_TIMEOUT_MAX 86400u
#define WD_RETRY_AFTER "5"
#define WD_DRAIN_MAX (16u << 20)  /* body read and dropped after an early answer */

/* --- configuration (wd-conf.c) ------------------------------------------- */

struct wd_export {
        char *share;
        char *prefix;           /* "/dav/demo"; "" for "/" */
        bool read_only;
        char **users;           /* NULL: every authenticated user */
        size_t n_users;
};

struct wd_conf {
        char **listen;          /* NULL-terminated */
        struct wd_export *exports;
        size_t n_exports;
        struct wd_users users;
        bool have_users;
        bool anon_loopback;
        char *tls_cert_file, *tls_key_file;
        uint64_t max_upload;
        uint64_t upload_chunks;         /* upload_buffer_bytes / WD_PUT_CHUNK */
        bool flush_uploads;             /* FLUSH before the rename */
        unsigned max_connections;
        unsigned connection_timeout;
        size_t connection_memory;       /* bytes of MHD pool per connection */
};

int wd_conf_check(const struct gwd_api *api, const json_t *config, const char *path,
                  struct gwd_conf_errors *errs);
/* Parse a checked section; reads the users secret.  *ret_err names what
 * failed. */
int wd_conf_load(const struct gwd_api *api, const json_t *config, struct wd_conf *ret,
                 const char **ret_err);
void wd_conf_free(struct wd_conf *c);

/* --- server and requests (wd-server.c) ------------------------------------ */

struct put_state;

struct wd_server {
        const struct gwd_api *api;
        struct gwd_ctx *ctx;
        struct wd_conf conf;
        struct httpd *httpd;
        struct wd_locks locks;
        struct wd_req *reqs;            /* live requests */
        unsigned refs;
        bool stopping, destroyed;
        struct gwd_object *obj;         /* "server" object in the registry */
        uint64_t n_requests;
        uint64_t put_chunks_used;       /* of conf.upload_chunks */
        struct put_state *put_waiters;  /* uploads waiting for their first chunk (wd-put.c) */
};

enum wd_method {
        WD_OPTIONS = 1, WD_GET, WD_HEAD, WD_PUT, WD_DELETE, WD_MKCOL, WD_COPY, WD_MOVE,
        WD_PROPFIND, WD_PROPPATCH, WD_LOCK, WD_UNLOCK, WD_POST,
};

struct wd_req;
typedef void (*wd_step_fn)(struct wd_req *req);

struct wd_req {
        struct wd_server *srv;
        struct wd_req *next, *prev;
        struct MHD_Connection *conn;
        unsigned refs;
        bool mhd_done;          /* MHD completed the request */
        bool suspended, waiting, started;
        bool in_headers;        /* suspended in the first call, see the handler */
        bool queued;            /* the response went to MHD */
        enum wd_method method;
        const struct wd_export *exp;
        struct gwd_share *share;
        const struct gwd_backend_ops *ops;
        void *sh;               /* first argument of every op */
        char *path;             /* share path */
        char *vpath;            /* or: a collection above the exports (wd-root.c) */
        bool slash;             /* URL ended with '/' */
        const char *user;       /* "" when anonymous */
        struct wd_if *ifh;      /* parsed If header, NULL when absent */
        char etag[WD_ETAG_MAX]; /* of the target, when known */
        bool have_etag;

        /* request body for XML methods */
        struct wd_buf body;
        bool body_too_big;
        uint64_t body_seen;

        /* the answer */
        struct MHD_Response *resp;
        unsigned status;

        /* method state */
        void *m;
        void (*m_free)(struct wd_req *req);
        /* PUT body consumer: consume some of data, set *len to what is left */
        void (*on_body)(struct wd_req *req, const char *data, size_t *len);
        wd_step_fn on_end;      /* body complete */
        wd_step_fn on_abort;    /* MHD ended the request before we answered */
};

const char *req_header(struct wd_req *req, const char *name);
void req_ref(struct wd_req *req);
void req_unref(struct wd_req *req);
/* The chain is waiting for the backend: the handler suspends. */
void req_wait(struct wd_req *req);
/* Resume a suspended request (from completions). */
void req_wake(struct wd_req *req);

/* Responses: each sets req->resp and wakes the request. */
void req_respond(struct wd_req *req, unsigned status, struct MHD_Response *resp);
void req_respond_buf(struct wd_req *req, unsigned status, const char *ctype,
                     struct wd_buf *b);
void req_respond_text(struct wd_req *req, unsigned status, const char *msg);
void req_respond_errno(struct wd_req *req, int err, enum wd_method_kind kind);
/* RFC 4918 precondition/postcondition code as an XML error body. */
void req_respond_cond(struct wd_req *req, unsigned status, const char *cond,
                      const char *href);

/* Resolve a URL path (decoded) to an export and share path.  0 or an HTTP
 * status to answer. */
unsigned wd_resolve(struct wd_server *srv, const char *url, const struct wd_export **ret_exp,
                    char **ret_path, bool *ret_slash);
/* Is user allowed on exp? */
bool wd_user_allowed(const struct wd_export *exp, const char *user);

/* 401 with the WWW-Authenticate challenges, or another status, with msg. */
void wd_auth_failed(struct wd_req *req, unsigned status, const char *msg);

/* A completion for operations whose result does not matter (close after
 * an error). */
void wd_ignore_done(void *cbdata, const struct gwd_result *res);

/* Monotonic clock in µs. */
uint64_t wd_now_us(void);

/* Lock checks for a modification of (req->exp->share, path): evaluates the
 * If header and the lock table; answers 412/423 and returns false when the
 * request must stop. */
bool wd_locks_ok(struct wd_req *req, const char *share, const char *path, unsigned what);

/* --- collections above the exports (wd-root.c) ------------------------------ */

/* "/" (unless an export is mounted there) and every other path above an
 * export prefix ("/dav" for "/dav/demo") is a read-only collection listing
 * the exports below it that the user may use. */
struct wd_vent {
        char *href;                     /* percent-encoded, ends with '/' */
        char *name;                     /* last component; "" for "/" */
        const struct wd_export *exp;    /* the export mounted here, or NULL */
};

/* True when the decoded URL path `url` is such a collection for this server
 * (whoever asks). */
bool wd_root_is_virtual(struct wd_server *srv, const char *url);
/* True when `url` (in no export) is a member of such a collection: nothing
 * can be created there. */
bool wd_root_parent_virtual(struct wd_server *srv, const char *url);
/* Called with the headers when `url` matched no export: false when it is
 * not above one either (the caller answers 404); otherwise the request is
 * taken (answered now, or req->vpath set for wd_root()). */
bool wd_root_begin(struct wd_req *req, const char *url);
/* GET, HEAD and PROPFIND on req->vpath, once the body is in. */
void wd_root(struct wd_req *req);
/* wd-props.c: the Multi-Status for a virtual collection: v[0] is the
 * collection itself, v[1..n-1] its members (sent with Depth: 1). */
void wd_propfind_virtual(struct wd_req *req, const struct wd_vent *v, size_t n);

/* --- methods --------------------------------------------------------------- */

void wd_get(struct wd_req *req);                /* wd-get.c: GET, HEAD */
void wd_put_begin(struct wd_req *req);          /* wd-put.c */
void wd_propfind(struct wd_req *req);           /* wd-props.c */
void wd_proppatch(struct wd_req *req);
void wd_mkcol(struct wd_req *req);              /* wd-tree.c */
void wd_delete(struct wd_req *req);
void wd_copy_move(struct wd_req *req);
void wd_lock(struct wd_req *req);               /* wd-lockops.c */
void wd_unlock(struct wd_req *req);
/* wd-list.c: collection listing; `entries` from readdir. */
void wd_list_respond(struct wd_req *req, const struct gwd_dirent *entries, size_t n);
/* Names never shown (temporary uploads). */
bool wd_hidden_name(const char *name);
/* wd-props.c: lockdiscovery content for (share, path). */
void wd_lockdiscovery(struct wd_buf *b, struct wd_server *srv, const char *share,
                      const char *path);
void wd_activelock(struct wd_buf *b, const struct wd_lock *l, const char *prefix);

#endif
