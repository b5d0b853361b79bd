/* SPDX-License-Identifier: MIT */
/*
 * plugins/common/httpd-loop: libmicrohttpd driven by the daemon's sd-event
 * loop, shared by the HTTP frontends (admin API, WebDAV).  Built into the
 * convenience library libgwdhttpd.la.
 *
 * Model
 *   One MHD daemon per listening socket, each in external-poll epoll mode
 *   (MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, + MHD_USE_TLS when a
 *   certificate is configured).  Each daemon's epoll fd is an sd-event io
 *   source; readiness runs MHD_run(); after every run MHD_get_timeout()
 *   decides what runs it next (see Timers).  Everything happens on
 *   the loop thread: the access handler, content readers and completion
 *   callbacks are called from inside MHD_run(), never concurrently.
 *
 * Listen addresses (strings)
 *   "127.0.0.1:8080"          IPv4 address and port
 *   "[::1]:8080"              IPv6 address and port ("[::]:P" is dual stack)
 *   "unix:/run/x/api.sock"    a unix stream socket; a stale socket file at
 *                             that path is replaced, the file is removed
 *                             again by httpd_free()
 *   "sd:NAME"                 every fd passed by systemd socket activation
 *                             whose FileDescriptorName= is NAME (-ENOENT when
 *                             there is none); the passed fds are dup'ed, so
 *                             they survive httpd_free() and a later restart
 *   Port 0 binds an ephemeral port (see httpd_local_port()).
 *
 * Limits
 *   connection_limit counts connections over all listeners together
 *   (0: 256).  connection_timeout_s closes a connection idle for that long
 *   (0: 30 s); reading the request and writing the response never blocks
 *   the loop, so a slow client only holds its own connection.
 *
 * Suspend/resume
 *   A handler may MHD_suspend_connection() (from the access handler or a
 *   content reader); after MHD_resume_connection() call httpd_kick(h), which
 *   schedules an MHD_run() on the next loop iteration (safe to call from
 *   inside an MHD callback).  MHD forbids stopping a daemon with suspended
 *   connections: resume them all before httpd_free().
 *
 * Timers
 *   A timeout of 0 ("run again now", after nearly every partial send or
 *   receive in edge-triggered epoll mode) enables a one-shot defer source:
 *   MHD runs on the next loop iteration, without a timerfd system call.
 *   Other timeouts (idle connections) arm a timer with a 1 µs accuracy
 *   (sd-event's default of 250 ms would delay them); an armed timer is only
 *   ever moved earlier, so a busy connection does not reprogram it per run.
 *
 * Errors: negative errno, nothing is logged (the caller logs once).
 */
#ifndef GWD_HTTPD_LOOP_H
#define GWD_HTTPD_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <microhttpd.h>
#include <systemd/sd-event.h>

struct httpd;

struct httpd_config {
        /* NULL-terminated list of listen address strings (may be NULL). */
        const char *const *listen;
        /* Already listening sockets the caller owns (not closed by httpd:
         * they are dup'ed). */
        const int *extra_fds;
        size_t n_extra_fds;
        unsigned connection_limit;      /* all listeners together; 0: 256 */
        unsigned connection_timeout_s;  /* idle timeout; 0: 30 */
        /* PEM files; both or neither.  TLS applies to every TCP listener
         * (unix sockets and passed fds too: MHD cannot mix per daemon). */
        const char *tls_cert_file, *tls_key_file;
        /* Per-connection memory for headers and buffers; 0: MHD default
         * (32 KiB).  Requests with larger headers get 431/413 from MHD. */
        size_t connection_memory_limit;
        /* true: the handler's url, and the keys and values of
         * MHD_GET_ARGUMENT_KIND, are exactly as sent (still percent-encoded;
         * MHD only turns '+' into ' ' in query arguments) and the handler
         * decodes them.  false: MHD percent-decodes them in place, which cuts
         * them at a "%00" ("/a%00b" arrives as "/a") and accepts malformed
         * escapes verbatim. */
        bool raw_urls;
        /* sd-event priority of the server's event sources (0: normal;
         * larger: served after sources of a smaller value that are ready in
         * the same loop iteration). */
        int64_t priority;
        MHD_AccessHandlerCallback handler;
        void *handler_cls;
        MHD_RequestCompletedCallback completed;     /* may be NULL */
        void *completed_cls;
};

/* Open every listener and start serving on `loop`.  On failure nothing is
 * left open; *ret_bad (may be NULL) then points to the listen string that
 * failed, or is NULL when the failure is not tied to one. */
int httpd_start(sd_event *loop, const struct httpd_config *cfg, struct httpd **ret,
                const char **ret_bad);

/* Schedule an MHD_run() of every listener on the next loop iteration; call
 * after MHD_resume_connection().  Accepts NULL. */
void httpd_kick(struct httpd *h);

/* Stop listening, close every connection (completion callbacks run from
 * here), unlink unix socket files we created, free.  Accepts NULL.  Every
 * suspended connection must have been resumed before. */
void httpd_free(struct httpd *h);

/* Number of listening sockets, and the local TCP port of listener i
 * (0 for unix sockets), e.g. to learn an ephemeral port. */
size_t httpd_n_listeners(const struct httpd *h);
int httpd_local_port(const struct httpd *h, size_t i);

/* Open connections right now, over all listeners. */
unsigned httpd_connections(const struct httpd *h);

/* Validate a listen string without opening anything.  *ret_loopback (may be
 * NULL) is set to 1 for 127.0.0.0/8, ::1 and unix sockets, 0 otherwise
 * ("sd:" fds: 0, they are unknown until opened).  -EINVAL when malformed. */
int httpd_address_check(const char *s, int *ret_loopback);

/* What we know about the peer of a connection. */
struct httpd_peer {
        int family;             /* AF_INET, AF_INET6, AF_UNIX */
        int loopback;           /* 127.0.0.0/8, ::1, ::ffff:127.x, or AF_UNIX */
        int has_cred;           /* AF_UNIX: uid/gid/pid from SO_PEERCRED */
        uid_t uid;
        gid_t gid;
        pid_t pid;
};

int httpd_peer(struct MHD_Connection *c, struct httpd_peer *ret);

#endif /* GWD_HTTPD_LOOP_H */
