/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "plugins/common/httpd-loop.h"

#define DEFAULT_CONN_LIMIT 256u
#define DEFAULT_TIMEOUT_S 30u
#define TLS_FILE_MAX (256u * 1024u)
/* sd-event's default timer accuracy (0 = 250 ms) would let MHD's "run again
 * now" wait a quarter of a second; MHD's timeouts are exact deadlines. */
#define TIMER_ACCURACY_US 1u

struct listener {
        struct httpd *h;
        struct MHD_Daemon *mhd;
        sd_event_source *io, *timer;
        sd_event_source *now;   /* defer source: run MHD on the next iteration */
        uint64_t armed_us;      /* CLOCK_MONOTONIC deadline of the timer; 0: not armed */
        int fd;                 /* ours until MHD took it (then -1) */
        int family;
        char *unix_path;        /* created by us: unlinked at the end */
};

struct httpd {
        sd_event *loop;
        struct listener *ls;
        size_t n_ls;
        unsigned open_conns, conn_limit;
        char *tls_cert, *tls_key;
};

/* --- addresses ------------------------------------------------------------ */

struct parsed_addr {
        int family;
        union {
                struct sockaddr sa;
                struct sockaddr_in in4;
                struct sockaddr_in6 in6;
                struct sockaddr_un un;
        } u;
        socklen_t len;
        const char *sd_name;    /* "sd:NAME" */
};

static int parse_port(const char *s, uint16_t *ret)
{
        unsigned long v = 0;
        if (!*s)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long)(*s - '0');
                if (v > 65535)
                        return -EINVAL;
        }
        *ret = (uint16_t)v;
        return 0;
}

static int parse_addr(const char *s, struct parsed_addr *ret)
{
        char host[INET6_ADDRSTRLEN + 1];
        const char *colon;
        uint16_t port;
        size_t n;

        memset(ret, 0, sizeof(*ret));
        if (!s)
                return -EINVAL;
        if (strncmp(s, "unix:", 5) == 0) {
                const char *p = s + 5;
                n = strlen(p);
                if (p[0] != '/' || n >= sizeof(ret->u.un.sun_path))
                        return -EINVAL;
                ret->family = AF_UNIX;
                ret->u.un.sun_family = AF_UNIX;
                memcpy(ret->u.un.sun_path, p, n + 1);
                ret->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
                return 0;
        }
        if (strncmp(s, "sd:", 3) == 0) {
                const char *p = s + 3;
                n = strlen(p);
                /* systemd's FileDescriptorName=: up to 255 printable ASCII, no ':' */
                if (n == 0 || n > 255)
                        return -EINVAL;
                for (size_t i = 0; i < n; i++)
                        if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == ':')
                                return -EINVAL;
                ret->family = AF_UNSPEC;
                ret->sd_name = p;
                return 0;
        }
        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close[1] != ':')
                        return -EINVAL;
                n = (size_t)(close - s - 1);
                if (n == 0 || n >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, n);
                host[n] = '\0';
                if (parse_port(close + 2, &port) < 0)
                        return -EINVAL;
                if (inet_pton(AF_INET6, host, &ret->u.in6.sin6_addr) != 1)
                        return -EINVAL;
                ret->family = AF_INET6;
                ret->u.in6.sin6_family = AF_INET6;
                ret->u.in6.sin6_port = htons(port);
                ret->len = sizeof(ret->u.in6);
                return 0;
        }
        colon = strrchr(s, ':');
        if (!colon)
                return -EINVAL;
        n = (size_t)(colon - s);
        if (n == 0 || n >= sizeof(host))
                return -EINVAL;
        memcpy(host, s, n);
        host[n] = '\0';
        if (parse_port(colon + 1, &port) < 0)
                return -EINVAL;
        if (inet_pton(AF_INET, host, &ret->u.in4.sin_addr) != 1)
                return -EINVAL;
        ret->family = AF_INET;
        ret->u.in4.sin_family = AF_INET;
        ret->u.in4.sin_port = htons(port);
        ret->len = sizeof(ret->u.in4);
        return 0;
}

static int addr_is_loopback(const struct sockaddr *sa)
{
        if (sa->sa_family == AF_UNIX)
                return 1;
        if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
                return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
        }
        if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
                const uint8_t *b = in6->sin6_addr.s6_addr;
                if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
                        return 1;
                return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
        }
        return 0;
}

int httpd_address_check(const char *s, int *ret_loopback)
{
        struct parsed_addr a;
        int r = parse_addr(s, &a);
        if (r < 0)
                return r;
        if (ret_loopback)
                *ret_loopback = a.sd_name ? 0 : addr_is_loopback(&a.u.sa);
        return 0;
}

/* --- sockets --------------------------------------------------------------- */

static int open_listener(const struct parsed_addr *a, int *ret_fd)
{
        int fd, one = 1, r;

        fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (a->family != AF_UNIX &&
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                goto fail;
        if (a->family == AF_INET6) {
                /* "[::]:P" serves IPv4 too; a specific address only itself. */
                int v6only = !IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
                if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
                        goto fail;
        }
        if (a->family == AF_UNIX) {
                struct stat st;
                /* Replace a stale socket left by a crash, never another file. */
                if (lstat(a->u.un.sun_path, &st) == 0) {
                        if (!S_ISSOCK(st.st_mode)) {
                                close(fd);
                                return -EEXIST;
                        }
                        unlink(a->u.un.sun_path);
                }
        }
        if (bind(fd, &a->u.sa, a->len) < 0 || listen(fd, 128) < 0)
                goto fail;
        *ret_fd = fd;
        return 0;
fail:
        r = -errno;
        close(fd);
        return r;
}

static int socket_family(int fd)
{
        int family = 0;
        socklen_t len = sizeof(family);
        if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0)
                return -errno;
        return family;
}

/* Read a PEM file for MHD, which wants the text in memory. */
static int read_pem(const char *path, char **ret)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char *buf;
        size_t len = 0;
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > TLS_FILE_MAX) {
                int r = !S_ISREG(st.st_mode) ? -EINVAL : -EFBIG;
                close(fd);
                return r;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (len < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        buf[len] = '\0';
        if (len == 0) {
                free(buf);
                return -EINVAL;
        }
        *ret = buf;
        return 0;
}

/* --- loop glue ------------------------------------------------------------- */

/*
 * MHD_get_timeout() is 0 ("run again now") after most partial sends and
 * receives in edge-triggered epoll mode, i.e. on nearly every run during a
 * transfer: that case goes through a defer source, which costs no system
 * call.  Only real deadlines (idle connections) use the timer, and an armed
 * timer is never moved later: firing early only runs MHD once more, which
 * then re-arms it, whereas moving it would reprogram the timerfd on every run.
 */
static void rearm(struct listener *l)
{
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t now, deadline;

        if (!l->timer)
                return;
        if (MHD_get_timeout(l->mhd, &ms) != MHD_YES)
                return;         /* nothing to time; an armed timer just fires once */
        if (ms == 0) {
                sd_event_source_set_enabled(l->now, SD_EVENT_ONESHOT);
                return;
        }
        if (sd_event_now(l->h->loop, CLOCK_MONOTONIC, &now) < 0)
                now = 0;
        if (ms > (UINT64_MAX - 1 - now) / 1000u)
                ms = (UINT64_MAX - 1 - now) / 1000u;
        deadline = now + ms * 1000u;
        if (l->armed_us && l->armed_us <= deadline)
                return;
        if (sd_event_source_set_time(l->timer, deadline) < 0 ||
            sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT) < 0) {
                /* cannot wait for the deadline: poll instead of missing it */
                sd_event_source_set_enabled(l->now, SD_EVENT_ONESHOT);
                return;
        }
        l->armed_us = deadline;
}

static void run(struct listener *l)
{
        MHD_run(l->mhd);
        rearm(l);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
        run(ud);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *ud)
{
        struct listener *l = ud;
        l->armed_us = 0;        /* ONESHOT: off now */
        run(l);
        return 0;
}

static int on_now(sd_event_source *s, void *ud)
{
        run(ud);
        return 0;
}

void httpd_kick(struct httpd *h)
{
        if (!h)
                return;
        /* On the next iteration: running MHD here could re-enter it when
         * called from one of its callbacks. */
        for (size_t i = 0; i < h->n_ls; i++)
                if (h->ls[i].now)
                        sd_event_source_set_enabled(h->ls[i].now, SD_EVENT_ONESHOT);
}

/* httpd_config.raw_urls: MHD would percent-decode the path in place and cut
 * it at a decoded NUL before the handler sees it ("a%00b" arrives as "a"),
 * and decodes query keys and values the same way. */
static size_t unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
        return strlen(s);
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
        struct httpd *h = cls;
        return h->open_conns < h->conn_limit ? MHD_YES : MHD_NO;
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
        struct httpd *h = cls;
        if (code == MHD_CONNECTION_NOTIFY_STARTED)
                h->open_conns++;
        else if (code == MHD_CONNECTION_NOTIFY_CLOSED && h->open_conns > 0)
                h->open_conns--;
}

static int listener_start(struct httpd *h, struct listener *l, const struct httpd_config *cfg)
{
        unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
        const union MHD_DaemonInfo *info;
        struct MHD_OptionItem opts[16];
        size_t n = 0;
        int r;

        if (l->family == AF_INET6)
                flags |= MHD_USE_IPv6;
        if (h->tls_cert)
                flags |= MHD_USE_TLS;
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, l->fd, NULL };
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, h->conn_limit, NULL };
        opts[n++] = (struct MHD_OptionItem){
                MHD_OPTION_CONNECTION_TIMEOUT,
                cfg->connection_timeout_s ? cfg->connection_timeout_s : DEFAULT_TIMEOUT_S, NULL };
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
                                             (intptr_t)notify_conn, h };
        if (cfg->raw_urls)
                opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_UNESCAPE_CALLBACK,
                                                     (intptr_t)unescape_none, NULL };
        if (cfg->connection_memory_limit)
                opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                                     (intptr_t)cfg->connection_memory_limit,
                                                     NULL };
        if (cfg->completed)
                opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
                                                     (intptr_t)cfg->completed,
                                                     cfg->completed_cls };
        if (h->tls_cert) {
                opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert };
                opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key };
        }
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

        l->mhd = MHD_start_daemon(flags, 0, accept_policy, h, cfg->handler, cfg->handler_cls,
                                  MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
        if (!l->mhd)
                return -EINVAL;
        l->fd = -1;     /* MHD owns it now */
        info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info)
                return -EINVAL;
        r = sd_event_add_io(h->loop, &l->io, info->epoll_fd, EPOLLIN, on_io, l);
        if (r < 0)
                return r;
        r = sd_event_add_time(h->loop, &l->timer, CLOCK_MONOTONIC, 0, TIMER_ACCURACY_US,
                              on_timer, l);
        if (r < 0)
                return r;
        l->armed_us = 1;        /* armed at time 0: fires on the first iteration */
        r = sd_event_add_defer(h->loop, &l->now, on_now, l);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(l->now, SD_EVENT_OFF);
        if (r < 0)
                return r;
        if (cfg->priority) {
                sd_event_source *srcs[] = { l->io, l->timer, l->now };
                for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
                        r = sd_event_source_set_priority(srcs[i], cfg->priority);
                        if (r < 0)
                                return r;
                }
        }
        rearm(l);
        return 0;
}

static struct listener *listener_add(struct httpd *h, int fd, int family)
{
        struct listener *grown = realloc(h->ls, (h->n_ls + 1) * sizeof(*grown));
        if (!grown)
                return NULL;
        h->ls = grown;
        grown[h->n_ls] = (struct listener){ .h = h, .fd = fd, .family = family };
        return &grown[h->n_ls++];
}

static int add_fd_dup(struct httpd *h, int fd)
{
        int family = socket_family(fd);
        int copy;

        if (family < 0)
                return family;
        copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
                return -errno;
        /* MHD expects a non-blocking listening socket in epoll mode. */
        int fl = fcntl(copy, F_GETFL);
        if (fl < 0 || fcntl(copy, F_SETFL, fl | O_NONBLOCK) < 0 ||
            !listener_add(h, copy, family)) {
                int r = fl < 0 ? -errno : -ENOMEM;
                close(copy);
                return r;
        }
        return 0;
}

static int add_sd_fds(struct httpd *h, const char *name)
{
        char **names = NULL;
        int n = sd_listen_fds_with_names(0, &names);
        int found = 0, r = 0;

        for (int i = 0; i < n; i++) {
                if (r == 0 && names && names[i] && strcmp(names[i], name) == 0) {
                        r = add_fd_dup(h, SD_LISTEN_FDS_START + i);
                        found++;
                }
                if (names)
                        free(names[i]);
        }
        free(names);
        if (r < 0)
                return r;
        return found ? 0 : -ENOENT;
}

int httpd_start(sd_event *loop, const struct httpd_config *cfg, struct httpd **ret,
                const char **ret_bad)
{
        struct httpd *h;
        int r = 0;

        if (ret_bad)
                *ret_bad = NULL;
        if (!loop || !cfg || !cfg->handler || !ret ||
            (!cfg->tls_cert_file) != (!cfg->tls_key_file))
                return -EINVAL;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->loop = sd_event_ref(loop);
        h->conn_limit = cfg->connection_limit ? cfg->connection_limit : DEFAULT_CONN_LIMIT;
        if (cfg->tls_cert_file) {
                if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
                        r = -EOPNOTSUPP;
                        goto fail;
                }
                r = read_pem(cfg->tls_cert_file, &h->tls_cert);
                if (r < 0)
                        goto fail;
                r = read_pem(cfg->tls_key_file, &h->tls_key);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; cfg->listen && cfg->listen[i]; i++) {
                struct parsed_addr a;
                struct listener *l = NULL;
                int fd = -1;

                r = parse_addr(cfg->listen[i], &a);
                if (r == 0 && a.sd_name)
                        r = add_sd_fds(h, a.sd_name);
                else if (r == 0) {
                        r = open_listener(&a, &fd);
                        if (r == 0 && !(l = listener_add(h, fd, a.family))) {
                                close(fd);
                                r = -ENOMEM;
                        }
                        if (r == 0 && a.family == AF_UNIX &&
                            !(l->unix_path = strdup(a.u.un.sun_path)))
                                r = -ENOMEM;
                }
                if (r < 0) {
                        if (ret_bad)
                                *ret_bad = cfg->listen[i];
                        goto fail;
                }
        }
        for (size_t i = 0; i < cfg->n_extra_fds; i++) {
                r = add_fd_dup(h, cfg->extra_fds[i]);
                if (r < 0)
                        goto fail;
        }
        if (h->n_ls == 0) {
                r = -EDESTADDRREQ;
                goto fail;
        }
        for (size_t i = 0; i < h->n_ls; i++) {
                r = listener_start(h, &h->ls[i], cfg);
                if (r < 0)
                        goto fail;
        }
        *ret = h;
        return 0;
fail:
        httpd_free(h);
        return r;
}

void httpd_free(struct httpd *h)
{
        if (!h)
                return;
        for (size_t i = 0; i < h->n_ls; i++) {
                struct listener *l = &h->ls[i];
                sd_event_source_disable_unref(l->io);
                sd_event_source_disable_unref(l->timer);
                sd_event_source_disable_unref(l->now);
                if (l->mhd) {
                        /* Let MHD process resumptions made just before. */
                        MHD_run(l->mhd);
                        MHD_stop_daemon(l->mhd);
                }
                if (l->fd >= 0)
                        close(l->fd);
                if (l->unix_path) {
                        unlink(l->unix_path);
                        free(l->unix_path);
                }
        }
        free(h->ls);
        free(h->tls_cert);
        if (h->tls_key) {
                explicit_bzero(h->tls_key, strlen(h->tls_key));
                free(h->tls_key);
        }
        sd_event_unref(h->loop);
        free(h);
}

size_t httpd_n_listeners(const struct httpd *h)
{
        return h ? h->n_ls : 0;
}

int httpd_local_port(const struct httpd *h, size_t i)
{
        const union MHD_DaemonInfo *info;
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        if (!h || i >= h->n_ls || !h->ls[i].mhd)
                return -EINVAL;
        info = MHD_get_daemon_info(h->ls[i].mhd, MHD_DAEMON_INFO_LISTEN_FD);
        if (!info || getsockname(info->listen_fd, (struct sockaddr *)&ss, &len) < 0)
                return -EINVAL;
        if (ss.ss_family == AF_INET)
                return ntohs(((struct sockaddr_in *)&ss)->sin_port);
        if (ss.ss_family == AF_INET6)
                return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        return 0;
}

unsigned httpd_connections(const struct httpd *h)
{
        return h ? h->open_conns : 0;
}

int httpd_peer(struct MHD_Connection *c, struct httpd_peer *ret)
{
        const union MHD_ConnectionInfo *info;
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int fd;

        memset(ret, 0, sizeof(*ret));
        info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!info)
                return -EINVAL;
        fd = info->connect_fd;
        if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
                return -errno;
        ret->family = ss.ss_family;
        ret->loopback = addr_is_loopback((struct sockaddr *)&ss);
        if (ss.ss_family == AF_UNIX) {
                struct ucred cred;
                socklen_t clen = sizeof(cred);
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
                        ret->has_cred = 1;
                        ret->uid = cred.uid;
                        ret->gid = cred.gid;
                        ret->pid = cred.pid;
                }
        }
        return 0;
}
