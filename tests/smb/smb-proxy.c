/* SPDX-License-Identifier: MIT */
/*
 * smb-proxy: a loopback TCP proxy for SMB tests that counts SMB2 commands on
 * the wire and injects faults on command.
 *
 *   smb-proxy --listen 127.0.0.1:0 --target HOST:PORT --control CTL.sock
 *             [--port-file FILE] [--pid-file FILE] [--exit-with-parent]
 *   smb-proxy --control CTL.sock --cmd 'stats'
 *
 * It is the independent witness for the SMB client's own bookkeeping
 * (reconnect deduplication, replays), so it decodes the Direct-TCP framing
 * and the SMB2 headers with its own few lines of code instead of
 * plugins/smb/wire.h or the client's codec: a bug there must not be able to
 * hide itself here.  Only bytes the peer's socket accepted are decoded, so
 * the counts are what the other side was actually sent.
 *
 * Control socket: one line in, one line out (JSON, or a bare number for
 * `count`).  See usage() for the commands.  Exit status of the client mode:
 * 0 when the reply is {"ok":true...} or a number, 1 otherwise, 2 on usage.
 * The proxy itself exits 0 on SIGTERM, SIGINT, SIGHUP or `quit`, resetting
 * whatever is still connected.
 *
 * Counting rules: requests are client->server headers, responses the
 * server->client ones; an interim STATUS_PENDING response is counted in
 * pending_interim, not as a response, so that requests and responses of a
 * finished exchange match.  A compound frame counts each of its commands.
 * "malformed": bad framing byte (decoding of that direction stops: the frame
 * boundaries are lost), empty frame, frame shorter than an SMB2 header,
 * StructureSize != 64, bad NextCommand or chained protocol id.  "truncated":
 * a frame still incomplete when its connection closed (a cut, or a peer that
 * lied about the length).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUF_CAP (256u * 1024u)   /* per direction and connection */
#define MAX_OPEN 256             /* more are accepted and reset */
#define MAX_CLOSED_KEPT 128      /* closed connections still listed by stats */
#define MAX_CTL 8                /* control clients at once */
#define CTL_LINE_MAX 512
#define REPLY_MAX (4u * 1024u * 1024u)
#define CLIENT_REPLY_MAX (16u * 1024u * 1024u)
#define CLIENT_TIMEOUT_MS 15000
#define CTL_IDLE_MS 30000        /* a silent control client loses its slot */
#define ACCEPT_BURST 64
#define DISCARD_BURST 16

#define SMB2_HDR_LEN 64u
#define SMB2_FLAG_SERVER_TO_REDIR 0x00000001u
#define NT_STATUS_PENDING 0x00000103u
#define NCMD 19

static const char *const cmd_names[NCMD] = {
        "NEGOTIATE",     "SESSION_SETUP",   "LOGOFF",        "TREE_CONNECT",
        "TREE_DISCONNECT", "CREATE",        "CLOSE",         "FLUSH",
        "READ",          "WRITE",           "LOCK",          "IOCTL",
        "CANCEL",        "ECHO",            "QUERY_DIRECTORY", "CHANGE_NOTIFY",
        "QUERY_INFO",    "SET_INFO",        "OPLOCK_BREAK",
};

/* What one direction of the wire carried. */
struct dir_stats {
        uint64_t cmd[NCMD];      /* requests (client->server) or final responses */
        uint64_t pending;        /* STATUS_PENDING interim responses (not in cmd[]) */
        uint64_t compound;       /* frames holding a chain of two or more headers */
        uint64_t frames;
        uint64_t bad_command;    /* SMB2 header with Command >= 19 */
        uint64_t flag_mismatch;  /* SERVER_TO_REDIR flag contradicts the direction */
        uint64_t encrypted, compressed, smb1, unknown;
        uint64_t malformed;      /* framing or header that cannot be valid */
        uint64_t truncated;      /* frame still incomplete when the connection closed */
        uint64_t bytes;
};

/*
 * Stream decoder of one direction.  Frames may be far larger than the
 * buffers, so headers are captured into hdr[] as the bytes go by: hoff is
 * where the header being captured starts inside the current frame.
 */
#define NO_HDR UINT32_MAX
struct parser {
        struct dir_stats *st, *gst;  /* the connection's and the global counters */
        bool response;
        bool desync;                 /* framing lost: nothing is decoded any more */
        bool in_frame;
        bool classified;
        uint8_t fh[4];
        unsigned fh_have;
        uint32_t flen, fpos;
        uint32_t hoff;
        uint8_t hdr[SMB2_HDR_LEN];
        unsigned hdr_have;
        unsigned chain;
};

#define BUMP(p, field)                                                                   \
        do {                                                                             \
                (p)->st->field++;                                                        \
                (p)->gst->field++;                                                       \
        } while (0)

struct buf {
        uint8_t *d;
        size_t r, w;
};

enum cstate { ST_HELD, ST_CONNECTING, ST_OPEN, ST_CLOSED };
static const char *const state_names[] = { "held", "connecting", "open", "closed" };

struct conn {
        struct conn *next;
        uint64_t id;
        enum cstate st;
        int cfd, ufd;
        int client_port, upstream_port;
        struct buf up, down;       /* up: client -> server */
        bool c_eof, u_eof;         /* EOF read from that side */
        bool up_shut, down_shut;   /* EOF passed on to the other side */
        struct parser pup, pdown;
        struct dir_stats sup, sdown;
        uint64_t discarded;
        const char *why;           /* why it closed */
        int ci, ui;                /* indices into this round's pollfd array, -1: none */
};

struct ctl {
        int fd;
        char in[CTL_LINE_MAX];
        size_t in_len;
        char *out;
        size_t out_len, out_off;
        bool eof;                  /* the client sent everything it will */
        bool closing;              /* close once the reply is out */
        uint64_t last;             /* CLOCK_MONOTONIC ms of the last activity */
        int pi;
};

static struct {
        int lfd, ctlfd, sigfd;
        int listen_port;
        struct sockaddr_storage target;
        socklen_t target_len;
        const char *ctl_path;
        struct conn *head, *tail;
        unsigned n_open, n_closed;
        uint64_t next_id;
        uint64_t total, refused, overload, upstream_fail;
        uint64_t discarded;
        struct dir_stats up, down;
        bool blackhole, refuse, hold;
        bool quit;
        struct ctl ctl[MAX_CTL];
} g;

static uint8_t scratch[64 * 1024];

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
        va_list ap;

        fputs("smb-proxy: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* ---- SMB2 stream decoding ------------------------------------------------ */

static uint16_t le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 24;
}

static void parser_init(struct parser *p, struct dir_stats *st, struct dir_stats *gst,
                        bool response)
{
        memset(p, 0, sizeof(*p));
        p->st = st;
        p->gst = gst;
        p->response = response;
        p->hoff = NO_HDR;
}

static void parse_header(struct parser *p)
{
        const uint8_t *h = p->hdr;

        /* The first header's id was checked by classify(); chained ones are not. */
        if (h[0] != 0xFE || h[1] != 'S' || h[2] != 'M' || h[3] != 'B' ||
            le16(h + 4) != SMB2_HDR_LEN) {
                BUMP(p, malformed);
                p->hoff = NO_HDR;
                return;
        }
        uint32_t status = le32(h + 8);
        uint16_t cmd = le16(h + 12);
        uint32_t flags = le32(h + 16);
        uint32_t next = le32(h + 20);

        if (++p->chain == 2)
                BUMP(p, compound);
        if (!(flags & SMB2_FLAG_SERVER_TO_REDIR) != !p->response)
                BUMP(p, flag_mismatch);
        if (p->response && status == NT_STATUS_PENDING) {
                BUMP(p, pending);
        } else if (cmd < NCMD) {
                p->st->cmd[cmd]++;
                p->gst->cmd[cmd]++;
        } else {
                BUMP(p, bad_command);
        }

        if (next == 0) {
                p->hoff = NO_HDR;
                return;
        }
        /* MS-SMB2 3.2.4.1.4: 8-byte aligned; the next header must fit the frame. */
        uint64_t nh = (uint64_t)p->hoff + next;
        if (next < SMB2_HDR_LEN || next % 8 != 0 || nh + SMB2_HDR_LEN > p->flen) {
                BUMP(p, malformed);
                p->hoff = NO_HDR;
                return;
        }
        p->hoff = (uint32_t)nh;
        p->hdr_have = 0;
}

static void classify(struct parser *p)
{
        const uint8_t *h = p->hdr;

        p->classified = true;
        if (h[1] != 'S' || h[2] != 'M' || h[3] != 'B') {
                BUMP(p, unknown);
                p->hoff = NO_HDR;
                return;
        }
        switch (h[0]) {
        case 0xFE:
                return; /* go on capturing the SMB2 header */
        case 0xFD:
                BUMP(p, encrypted);
                break;
        case 0xFC:
                BUMP(p, compressed);
                break;
        case 0xFF:
                BUMP(p, smb1);
                break;
        default:
                BUMP(p, unknown);
                break;
        }
        p->hoff = NO_HDR;
}

static void frame_end(struct parser *p)
{
        /* The first header (or the protocol id) did not fit the frame. */
        if (p->hoff != NO_HDR)
                BUMP(p, malformed);
        p->in_frame = false;
}

static void parser_feed(struct parser *p, const uint8_t *d, size_t n)
{
        while (n > 0 && !p->desync) {
                if (!p->in_frame) {
                        p->fh[p->fh_have++] = *d++;
                        n--;
                        if (p->fh_have < 4)
                                continue;
                        p->fh_have = 0;
                        BUMP(p, frames);
                        /* MS-SMB2 2.1: a zero byte, then a 24-bit length.  Anything
                         * else loses the frame boundaries for good. */
                        if (p->fh[0] != 0) {
                                BUMP(p, malformed);
                                p->desync = true;
                                return;
                        }
                        p->flen = (uint32_t)p->fh[1] << 16 | (uint32_t)p->fh[2] << 8 | p->fh[3];
                        if (p->flen == 0) {
                                BUMP(p, malformed);
                                continue;
                        }
                        p->in_frame = true;
                        p->classified = false;
                        p->fpos = 0;
                        p->hoff = 0;
                        p->hdr_have = 0;
                        p->chain = 0;
                        continue;
                }

                size_t take = p->flen - p->fpos;
                if (take > n)
                        take = n;
                if (p->hoff != NO_HDR) {
                        if (p->fpos < p->hoff) {
                                /* skip the body up to the next chained header */
                                if (take > p->hoff - p->fpos)
                                        take = p->hoff - p->fpos;
                        } else {
                                size_t want = SMB2_HDR_LEN - p->hdr_have;
                                if (take > want)
                                        take = want;
                                memcpy(p->hdr + p->hdr_have, d, take);
                                p->hdr_have += (unsigned)take;
                        }
                }
                d += take;
                n -= take;
                p->fpos += (uint32_t)take;

                if (p->hoff != NO_HDR && p->fpos > p->hoff) {
                        if (!p->classified && p->hdr_have >= 4)
                                classify(p);
                        if (p->hoff != NO_HDR && p->hdr_have == SMB2_HDR_LEN)
                                parse_header(p);
                }
                if (p->fpos == p->flen)
                        frame_end(p);
        }
}

/* The connection closed: a frame cut short is counted once. */
static void parser_close(struct parser *p)
{
        if (!p->desync && (p->in_frame || p->fh_have > 0))
                BUMP(p, truncated);
        p->in_frame = false;
        p->fh_have = 0;
        p->desync = true;
}

/* ---- buffers ------------------------------------------------------------- */

static size_t buf_len(const struct buf *b)
{
        return b->w - b->r;
}

static size_t buf_space(const struct buf *b)
{
        return BUF_CAP - buf_len(b);
}

static void buf_compact(struct buf *b)
{
        if (b->r == b->w) {
                b->r = b->w = 0;
        } else if (b->w == BUF_CAP && b->r > 0) {
                memmove(b->d, b->d + b->r, b->w - b->r);
                b->w -= b->r;
                b->r = 0;
        }
}

static uint64_t buf_drop(struct buf *b)
{
        uint64_t n = buf_len(b);

        b->r = b->w = 0;
        return n;
}

/* ---- sockets ------------------------------------------------------------- */

static void set_nodelay(int fd)
{
        int one = 1;

        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Close so that the peer sees a RST. */
static void close_rst(int fd)
{
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };

        if (fd < 0)
                return;
        (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(fd);
}

/* Close with a FIN: unread input would make Linux send a RST, so read it first. */
static void close_fin(int fd)
{
        if (fd < 0)
                return;
        (void)shutdown(fd, SHUT_WR);
        for (int i = 0; i < DISCARD_BURST; i++) {
                ssize_t n = read(fd, scratch, sizeof(scratch));
                if (n <= 0)
                        break;
        }
        close(fd);
}

static int sockaddr_port(const struct sockaddr_storage *ss)
{
        if (ss->ss_family == AF_INET)
                return ntohs(((const struct sockaddr_in *)ss)->sin_port);
        if (ss->ss_family == AF_INET6)
                return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
        return 0;
}

static int local_port(int fd)
{
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
                return 0;
        return sockaddr_port(&ss);
}

/* ---- connections --------------------------------------------------------- */

static void conn_close(struct conn *c, bool rst, const char *why)
{
        if (c->st == ST_CLOSED)
                return;
        parser_close(&c->pup);
        parser_close(&c->pdown);
        if (rst) {
                close_rst(c->cfd);
                close_rst(c->ufd);
        } else {
                close_fin(c->cfd);
                close_fin(c->ufd);
        }
        c->cfd = c->ufd = -1;
        free(c->up.d);
        free(c->down.d);
        c->up.d = c->down.d = NULL;
        c->up.r = c->up.w = c->down.r = c->down.w = 0;
        c->st = ST_CLOSED;
        c->why = why;
        g.n_open--;
        g.n_closed++;
        say("connection %" PRIu64 " closed (%s)", c->id, why);
}

/* Forget the oldest closed connections beyond the limit (or all of them). */
static void trim_closed(unsigned keep)
{
        struct conn **pp = &g.head;

        g.tail = NULL;
        while (*pp) {
                struct conn *c = *pp;
                if (c->st == ST_CLOSED && g.n_closed > keep) {
                        *pp = c->next;
                        g.n_closed--;
                        free(c);
                        continue;
                }
                g.tail = c;
                pp = &c->next;
        }
}

static void start_upstream(struct conn *c)
{
        int fd = socket(g.target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0) {
                g.upstream_fail++;
                conn_close(c, true, "upstream socket failed");
                return;
        }
        set_nodelay(fd);
        c->ufd = fd;
        if (connect(fd, (const struct sockaddr *)&g.target, g.target_len) == 0) {
                c->st = ST_OPEN;
        } else if (errno == EINPROGRESS) {
                c->st = ST_CONNECTING;
        } else {
                g.upstream_fail++;
                conn_close(c, true, "upstream connect failed");
                return;
        }
        c->upstream_port = local_port(fd);
}

static void accept_one(int fd, const struct sockaddr_storage *ss)
{
        if (g.refuse) {
                g.refused++;
                close_rst(fd);
                return;
        }
        if (g.n_open >= MAX_OPEN) {
                g.overload++;
                close_rst(fd);
                return;
        }
        struct conn *c = calloc(1, sizeof(*c));
        if (c) {
                c->up.d = malloc(BUF_CAP);
                c->down.d = malloc(BUF_CAP);
        }
        if (!c || !c->up.d || !c->down.d) {
                if (c) {
                        free(c->up.d);
                        free(c->down.d);
                }
                free(c);
                g.overload++;
                close_rst(fd);
                return;
        }
        set_nodelay(fd);
        c->id = ++g.next_id;
        c->cfd = fd;
        c->ufd = -1;
        c->ci = c->ui = -1;
        c->client_port = sockaddr_port(ss);
        parser_init(&c->pup, &c->sup, &g.up, false);
        parser_init(&c->pdown, &c->sdown, &g.down, true);
        g.total++;
        g.n_open++;
        if (g.tail)
                g.tail->next = c;
        else
                g.head = c;
        g.tail = c;
        if (g.hold)
                c->st = ST_HELD;
        else
                start_upstream(c);
        say("connection %" PRIu64 " from port %d: %s", c->id, c->client_port,
            state_names[c->st]);
}

static void accept_all(void)
{
        for (int i = 0; i < ACCEPT_BURST; i++) {
                struct sockaddr_storage ss;
                socklen_t len = sizeof(ss);
                int fd = accept4(g.lfd, (struct sockaddr *)&ss, &len,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                            errno != ECONNABORTED)
                                say("accept: %s", strerror(errno));
                        return;
                }
                accept_one(fd, &ss);
        }
}

/* Read from one side: into the buffer towards the peer, or into nothing. */
static int side_read(struct conn *c, int fd, struct buf *b, bool *eof)
{
        if (g.blackhole) {
                for (int i = 0; i < DISCARD_BURST; i++) {
                        ssize_t n = read(fd, scratch, sizeof(scratch));
                        if (n > 0) {
                                c->discarded += (uint64_t)n;
                                g.discarded += (uint64_t)n;
                                continue;
                        }
                        if (n == 0) {
                                *eof = true;
                                return 0;
                        }
                        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                                return 0;
                        return -errno;
                }
                return 0;
        }
        buf_compact(b);
        if (b->w == BUF_CAP)
                return 0;
        ssize_t n = read(fd, b->d + b->w, BUF_CAP - b->w);
        if (n > 0) {
                b->w += (size_t)n;
                return 0;
        }
        if (n == 0) {
                *eof = true;
                return 0;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return 0;
        return -errno;
}

/* Write what the peer accepts; only those bytes are decoded and counted. */
static int side_write(int fd, struct buf *b, struct parser *p)
{
        while (buf_len(b) > 0) {
                ssize_t n = send(fd, b->d + b->r, buf_len(b), MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return 0;
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                parser_feed(p, b->d + b->r, (size_t)n);
                p->st->bytes += (uint64_t)n;
                p->gst->bytes += (uint64_t)n;
                b->r += (size_t)n;
        }
        b->r = b->w = 0;
        return 0;
}

/* Forward what is buffered and pass EOFs on; closes the connection when done. */
static void conn_progress(struct conn *c)
{
        if (c->st != ST_OPEN || g.blackhole)
                return;
        if (side_write(c->ufd, &c->up, &c->pup) < 0) {
                conn_close(c, true, "upstream write error");
                return;
        }
        if (side_write(c->cfd, &c->down, &c->pdown) < 0) {
                conn_close(c, true, "client write error");
                return;
        }
        if (c->c_eof && !c->up_shut && buf_len(&c->up) == 0) {
                (void)shutdown(c->ufd, SHUT_WR);
                c->up_shut = true;
        }
        if (c->u_eof && !c->down_shut && buf_len(&c->down) == 0) {
                (void)shutdown(c->cfd, SHUT_WR);
                c->down_shut = true;
        }
        if (c->up_shut && c->down_shut)
                conn_close(c, false, "both sides closed");
}

static short want_client(const struct conn *c)
{
        short ev = 0;

        if (!c->c_eof && (g.blackhole || buf_space(&c->up) > 0))
                ev |= POLLIN;
        if (c->st == ST_OPEN && !g.blackhole && buf_len(&c->down) > 0)
                ev |= POLLOUT;
        return ev;
}

static short want_upstream(const struct conn *c)
{
        short ev = 0;

        if (c->st == ST_CONNECTING)
                return POLLOUT;
        if (c->st != ST_OPEN)
                return 0;
        if (!c->u_eof && (g.blackhole || buf_space(&c->down) > 0))
                ev |= POLLIN;
        if (!g.blackhole && buf_len(&c->up) > 0)
                ev |= POLLOUT;
        return ev;
}

static void conn_events(struct conn *c, short crev, short urev)
{
        if (c->st == ST_CONNECTING && urev) {
                int err = 0;
                socklen_t len = sizeof(err);
                if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        err = errno;
                if (err) {
                        g.upstream_fail++;
                        say("connection %" PRIu64 ": upstream: %s", c->id, strerror(err));
                        conn_close(c, true, "upstream connect failed");
                        return;
                }
                c->st = ST_OPEN;
                c->upstream_port = local_port(c->ufd);
                urev = 0;
        }
        if (crev & (POLLIN | POLLHUP | POLLERR)) {
                if (side_read(c, c->cfd, &c->up, &c->c_eof) < 0) {
                        conn_close(c, true, "client read error");
                        return;
                }
        }
        if (c->st == ST_OPEN && (urev & (POLLIN | POLLHUP | POLLERR))) {
                if (side_read(c, c->ufd, &c->down, &c->u_eof) < 0) {
                        conn_close(c, true, "upstream read error");
                        return;
                }
        }
        conn_progress(c);
}

/* ---- control: replies ---------------------------------------------------- */

struct sb {
        char *d;
        size_t len, cap;
        bool full;
};

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sb *b, const char *fmt, ...)
{
        va_list ap;

        if (b->full)
                return;
        for (;;) {
                size_t room = b->cap - b->len;
                va_start(ap, fmt);
                int n = room ? vsnprintf(b->d + b->len, room, fmt, ap) : -1;
                va_end(ap);
                if (n >= 0 && (size_t)n < room) {
                        b->len += (size_t)n;
                        return;
                }
                size_t ncap = b->cap ? b->cap * 2 : 4096;
                if (n >= 0 && ncap < b->len + (size_t)n + 1)
                        ncap = b->len + (size_t)n + 1;
                if (ncap > REPLY_MAX) {
                        b->full = true;
                        return;
                }
                char *nd = realloc(b->d, ncap);
                if (!nd) {
                        b->full = true;
                        return;
                }
                b->d = nd;
                b->cap = ncap;
        }
}

struct scalar {
        const char *name;
        uint64_t v;
};

/* The global scalars: one table for `stats` and `count NAME`. */
static size_t totals(struct scalar *t)
{
        size_t n = 0;

#define T(nm, val) t[n++] = (struct scalar){ nm, (uint64_t)(val) }
        T("connections_total", g.total);
        T("connections_open", g.n_open);
        T("refused", g.refused);
        T("overload", g.overload);
        T("upstream_failures", g.upstream_fail);
        T("pending_interim", g.down.pending);
        T("compound_requests", g.up.compound);
        T("compound_responses", g.down.compound);
        T("encrypted", g.up.encrypted + g.down.encrypted);
        T("compressed", g.up.compressed + g.down.compressed);
        T("smb1", g.up.smb1 + g.down.smb1);
        T("unknown", g.up.unknown + g.down.unknown);
        T("malformed", g.up.malformed + g.down.malformed);
        T("truncated", g.up.truncated + g.down.truncated);
        T("bad_command", g.up.bad_command + g.down.bad_command);
        T("flag_mismatch", g.up.flag_mismatch + g.down.flag_mismatch);
        T("frames_up", g.up.frames);
        T("frames_down", g.down.frames);
        T("bytes_up", g.up.bytes);
        T("bytes_down", g.down.bytes);
        T("bytes_discarded", g.discarded);
#undef T
        return n; /* <= MAX_TOTALS */
}
#define MAX_TOTALS 32

static void add_cmd_map(struct sb *b, const char *key, const uint64_t *cmd, bool all)
{
        bool first = true;

        sb_add(b, ",\"%s\":{", key);
        for (int i = 0; i < NCMD; i++) {
                if (!all && cmd[i] == 0)
                        continue;
                sb_add(b, "%s\"%s\":%" PRIu64, first ? "" : ",", cmd_names[i], cmd[i]);
                first = false;
        }
        sb_add(b, "}");
}

static void reply_stats(struct sb *b)
{
        struct scalar t[MAX_TOTALS];
        size_t n = totals(t);

        sb_add(b, "{\"ok\":true,\"listen_port\":%d,\"blackhole\":%s,\"refuse\":%s,\"hold\":%s",
               g.listen_port, g.blackhole ? "true" : "false", g.refuse ? "true" : "false",
               g.hold ? "true" : "false");
        for (size_t i = 0; i < n; i++)
                sb_add(b, ",\"%s\":%" PRIu64, t[i].name, t[i].v);
        add_cmd_map(b, "requests", g.up.cmd, true);
        add_cmd_map(b, "responses", g.down.cmd, true);
        sb_add(b, ",\"connections\":[");
        for (const struct conn *c = g.head; c; c = c->next) {
                sb_add(b,
                       "%s{\"id\":%" PRIu64 ",\"open\":%s,\"state\":\"%s\",\"client_port\":%d,"
                       "\"upstream_port\":%d",
                       c == g.head ? "" : ",", c->id, c->st == ST_CLOSED ? "false" : "true",
                       state_names[c->st], c->client_port, c->upstream_port);
                add_cmd_map(b, "requests", c->sup.cmd, false);
                add_cmd_map(b, "responses", c->sdown.cmd, false);
                sb_add(b,
                       ",\"pending_interim\":%" PRIu64 ",\"compound_requests\":%" PRIu64
                       ",\"encrypted\":%" PRIu64 ",\"malformed\":%" PRIu64
                       ",\"truncated\":%" PRIu64 ",\"desync\":%s,\"bytes_up\":%" PRIu64
                       ",\"bytes_down\":%" PRIu64 ",\"bytes_discarded\":%" PRIu64,
                       c->sdown.pending, c->sup.compound,
                       c->sup.encrypted + c->sdown.encrypted,
                       c->sup.malformed + c->sdown.malformed,
                       c->sup.truncated + c->sdown.truncated,
                       (c->pup.desync || c->pdown.desync) && c->st != ST_CLOSED ? "true"
                                                                                 : "false",
                       c->sup.bytes, c->sdown.bytes, c->discarded);
                if (c->st == ST_CLOSED)
                        sb_add(b, ",\"closed\":\"%s\"", c->why);
                sb_add(b, "}");
        }
        sb_add(b, "]}");
}

static void reply_err(struct sb *b, const char *msg)
{
        /* msg is always a literal of ours: nothing from the client is echoed. */
        sb_add(b, "{\"ok\":false,\"error\":\"%s\"}", msg);
}

static int parse_u64(const char *s, uint64_t *out)
{
        uint64_t v = 0;

        if (!*s || strlen(s) > 19)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t)(*s - '0');
        }
        *out = v;
        return 0;
}

static int parse_onoff(const char *s, bool *out)
{
        if (s && strcmp(s, "on") == 0)
                *out = true;
        else if (s && strcmp(s, "off") == 0)
                *out = false;
        else
                return -EINVAL;
        return 0;
}

static void cmd_count(struct sb *b, char **tok, int nt)
{
        if (nt == 3 && (strcmp(tok[1], "request") == 0 || strcmp(tok[1], "response") == 0)) {
                const uint64_t *cmd = tok[1][2] == 'q' ? g.up.cmd : g.down.cmd;
                for (int i = 0; i < NCMD; i++) {
                        if (strcmp(tok[2], cmd_names[i]) == 0) {
                                sb_add(b, "%" PRIu64, cmd[i]);
                                return;
                        }
                }
                reply_err(b, "unknown SMB2 command name");
                return;
        }
        if (nt == 2) {
                struct scalar t[MAX_TOTALS];
                size_t n = totals(t);
                for (size_t i = 0; i < n; i++) {
                        if (strcmp(tok[1], t[i].name) == 0) {
                                sb_add(b, "%" PRIu64, t[i].v);
                                return;
                        }
                }
                reply_err(b, "unknown counter");
                return;
        }
        reply_err(b, "usage: count request|response COMMAND | count COUNTER");
}

static void cmd_cut(struct sb *b, char **tok, int nt)
{
        bool fin = false, all = false;
        uint64_t id = 0;
        unsigned n = 0;

        if (nt < 2 || nt > 3 || (nt == 3 && strcmp(tok[2], "fin") != 0 &&
                                 strcmp(tok[2], "rst") != 0)) {
                reply_err(b, "usage: cut all|ID [fin|rst]");
                return;
        }
        fin = nt == 3 && strcmp(tok[2], "fin") == 0;
        if (strcmp(tok[1], "all") == 0) {
                all = true;
        } else if (parse_u64(tok[1], &id) < 0) {
                reply_err(b, "usage: cut all|ID [fin|rst]");
                return;
        }
        for (struct conn *c = g.head; c; c = c->next) {
                if (c->st == ST_CLOSED || (!all && c->id != id))
                        continue;
                conn_close(c, !fin, fin ? "cut fin" : "cut");
                n++;
        }
        if (!all && n == 0) {
                reply_err(b, "no open connection with that id");
                return;
        }
        sb_add(b, "{\"ok\":true,\"cut\":%u}", n);
}

static void set_blackhole(bool on)
{
        if (on && !g.blackhole) {
                for (struct conn *c = g.head; c; c = c->next) {
                        if (c->st == ST_CLOSED)
                                continue;
                        uint64_t n = buf_drop(&c->up) + buf_drop(&c->down);
                        c->discarded += n;
                        g.discarded += n;
                }
        }
        g.blackhole = on;
}

static void set_hold(bool on)
{
        g.hold = on;
        if (on)
                return;
        for (struct conn *c = g.head; c; c = c->next) {
                if (c->st == ST_HELD)
                        start_upstream(c);
        }
}

static void reset_counters(void)
{
        memset(&g.up, 0, sizeof(g.up));
        memset(&g.down, 0, sizeof(g.down));
        g.total = g.refused = g.overload = g.upstream_fail = g.discarded = 0;
        trim_closed(0);
        for (struct conn *c = g.head; c; c = c->next) {
                memset(&c->sup, 0, sizeof(c->sup));
                memset(&c->sdown, 0, sizeof(c->sdown));
                c->discarded = 0;
        }
}

/* One command line -> one reply (without the newline). */
static void run_command(char *line, struct sb *b)
{
        char *tok[5];
        int nt = 0;
        char *save = NULL;

        for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
                if (nt == 5) {
                        reply_err(b, "too many words");
                        return;
                }
                tok[nt++] = t;
        }
        if (nt == 0) {
                reply_err(b, "empty command");
                return;
        }
        const char *v = nt > 1 ? tok[1] : NULL;
        bool on = false;

        if (strcmp(tok[0], "stats") == 0 && nt == 1) {
                reply_stats(b);
        } else if (strcmp(tok[0], "ping") == 0 && nt == 1) {
                sb_add(b, "{\"ok\":true}");
        } else if (strcmp(tok[0], "reset") == 0 && nt == 1) {
                reset_counters();
                sb_add(b, "{\"ok\":true}");
        } else if (strcmp(tok[0], "count") == 0) {
                cmd_count(b, tok, nt);
        } else if (strcmp(tok[0], "cut") == 0) {
                cmd_cut(b, tok, nt);
        } else if (strcmp(tok[0], "blackhole") == 0 && nt == 2 && parse_onoff(v, &on) == 0) {
                set_blackhole(on);
                sb_add(b, "{\"ok\":true,\"blackhole\":%s}", on ? "true" : "false");
        } else if (strcmp(tok[0], "refuse") == 0 && nt == 2 && parse_onoff(v, &on) == 0) {
                g.refuse = on;
                sb_add(b, "{\"ok\":true,\"refuse\":%s}", on ? "true" : "false");
        } else if (strcmp(tok[0], "hold") == 0 && nt == 2 && parse_onoff(v, &on) == 0) {
                set_hold(on);
                sb_add(b, "{\"ok\":true,\"hold\":%s}", on ? "true" : "false");
        } else if (strcmp(tok[0], "quit") == 0 && nt == 1) {
                g.quit = true;
                sb_add(b, "{\"ok\":true}");
        } else {
                reply_err(b, "unknown command or bad arguments");
        }
}

/* ---- control: connections ------------------------------------------------ */

static void ctl_close(struct ctl *k)
{
        close(k->fd);
        free(k->out);
        memset(k, 0, sizeof(*k));
        k->fd = -1;
}

static void ctl_queue(struct ctl *k, struct sb *b)
{
        if (b->full) {
                free(b->d);
                *b = (struct sb){ 0 };
                reply_err(b, "reply too large");
        }
        sb_add(b, "\n");
        if (b->full) {
                free(b->d);
                k->closing = true;
                return;
        }
        k->out = b->d;
        k->out_len = b->len;
        k->out_off = 0;
}

static void ctl_flush(struct ctl *k)
{
        while (k->out && k->out_off < k->out_len) {
                ssize_t n = send(k->fd, k->out + k->out_off, k->out_len - k->out_off,
                                 MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK) {
                                k->closing = true;
                                k->out_off = k->out_len;
                        }
                        break;
                }
                k->out_off += (size_t)n;
        }
        if (k->out && k->out_off == k->out_len) {
                free(k->out);
                k->out = NULL;
                k->out_len = k->out_off = 0;
        }
}

/* Run the first complete line, if any (true: a reply is queued). */
static bool ctl_process(struct ctl *k)
{
        char *nl = memchr(k->in, '\n', k->in_len);
        struct sb b = { 0 };

        if (k->closing)
                return false;
        if (!nl) {
                if (k->in_len == sizeof(k->in)) {
                        reply_err(&b, "line too long");
                        ctl_queue(k, &b);
                        k->closing = true;
                        k->in_len = 0;
                        return true;
                }
                return false;
        }
        *nl = '\0';
        size_t used = (size_t)(nl - k->in) + 1;
        if (memchr(k->in, '\0', used - 1))
                reply_err(&b, "NUL byte in command");
        else
                run_command(k->in, &b);
        memmove(k->in, k->in + used, k->in_len - used);
        k->in_len -= used;
        ctl_queue(k, &b);
        return true;
}

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Replies go out in order: the next line is run once the previous reply is sent. */
static void ctl_events(struct ctl *k, short rev)
{
        if ((rev & (POLLIN | POLLHUP | POLLERR)) && !k->eof && k->in_len < sizeof(k->in)) {
                ssize_t n = read(k->fd, k->in + k->in_len, sizeof(k->in) - k->in_len);
                if (n > 0)
                        k->in_len += (size_t)n;
                else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                        k->eof = true;
        }
        k->last = now_ms();
        for (;;) {
                if (!k->out && !ctl_process(k))
                        break;
                ctl_flush(k);
                if (k->out)
                        break;
        }
        if ((k->eof || k->closing) && !k->out)
                ctl_close(k);
}

static void ctl_accept(void)
{
        for (;;) {
                int fd = accept4(g.ctlfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return;
                struct ctl *k = NULL;
                for (int i = 0; i < MAX_CTL; i++) {
                        if (g.ctl[i].fd < 0) {
                                k = &g.ctl[i];
                                break;
                        }
                }
                if (!k) {
                        static const char busy[] = "{\"ok\":false,\"error\":\"busy\"}\n";
                        (void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
                        close(fd);
                        continue;
                }
                memset(k, 0, sizeof(*k));
                k->fd = fd;
                k->last = now_ms();
        }
}

/* ---- setup --------------------------------------------------------------- */

/* HOST:PORT or [V6]:PORT; host copied into host[hostsz]. */
static int split_hostport(const char *s, char *host, size_t hostsz, unsigned *port)
{
        const char *h = s, *colon;
        size_t hl;

        if (*s == '[') {
                const char *e = strchr(s, ']');
                if (!e || e[1] != ':')
                        return -EINVAL;
                h = s + 1;
                hl = (size_t)(e - h);
                colon = e + 1;
        } else {
                colon = strrchr(s, ':');
                if (!colon || memchr(s, ':', (size_t)(colon - s)))
                        return -EINVAL;
                hl = (size_t)(colon - s);
        }
        if (hl == 0 || hl >= hostsz)
                return -EINVAL;
        memcpy(host, h, hl);
        host[hl] = '\0';

        uint64_t p;
        if (parse_u64(colon + 1, &p) < 0 || p > 65535)
                return -EINVAL;
        *port = (unsigned)p;
        return 0;
}

static int open_listener(const char *spec)
{
        char host[INET6_ADDRSTRLEN + 1];
        unsigned port;
        struct sockaddr_storage ss;
        socklen_t len;

        memset(&ss, 0, sizeof(ss));
        if (split_hostport(spec, host, sizeof(host), &port) < 0) {
                say("--listen: want 127.0.0.1:PORT or [::1]:PORT, got '%s'", spec);
                return -EINVAL;
        }
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
                if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127) {
                        say("--listen: %s is not a loopback address", host);
                        return -EPERM;
                }
                s4->sin_family = AF_INET;
                s4->sin_port = htons((uint16_t)port);
                len = sizeof(*s4);
        } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
                if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) {
                        say("--listen: %s is not a loopback address", host);
                        return -EPERM;
                }
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons((uint16_t)port);
                len = sizeof(*s6);
        } else {
                say("--listen: '%s' is not a numeric address", host);
                return -EINVAL;
        }

        int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
                int e = errno;
                say("--listen %s: %s", spec, strerror(e));
                close(fd);
                return -e;
        }
        g.listen_port = local_port(fd);
        return fd;
}

static int resolve_target(const char *spec)
{
        char host[256];
        char portstr[12];
        unsigned port;
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
        struct addrinfo *ai = NULL;

        if (split_hostport(spec, host, sizeof(host), &port) < 0 || port == 0) {
                say("--target: want HOST:PORT, got '%s'", spec);
                return -EINVAL;
        }
        snprintf(portstr, sizeof(portstr), "%u", port);
        int rc = getaddrinfo(host, portstr, &hints, &ai);
        if (rc != 0 || !ai) {
                say("--target %s: %s", spec, gai_strerror(rc));
                return -EINVAL;
        }
        if (ai->ai_addrlen > sizeof(g.target)) {
                freeaddrinfo(ai);
                return -EINVAL;
        }
        memcpy(&g.target, ai->ai_addr, ai->ai_addrlen);
        g.target_len = ai->ai_addrlen;
        freeaddrinfo(ai);
        return 0;
}

static int unix_addr(const char *path, struct sockaddr_un *sun)
{
        memset(sun, 0, sizeof(*sun));
        sun->sun_family = AF_UNIX;
        if (!*path || strlen(path) >= sizeof(sun->sun_path))
                return -ENAMETOOLONG;
        memcpy(sun->sun_path, path, strlen(path) + 1);
        return 0;
}

static int open_control(const char *path)
{
        struct sockaddr_un sun;
        struct stat st;

        if (unix_addr(path, &sun) < 0) {
                say("--control: path empty or too long");
                return -ENAMETOOLONG;
        }
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        say("--control %s: exists and is not a socket", path);
                        return -EEXIST;
                }
                (void)unlink(path);
        }
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        mode_t old = umask(077);
        int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
        umask(old);
        if (rc < 0 || listen(fd, 8) < 0) {
                int e = errno;
                say("--control %s: %s", path, strerror(e));
                close(fd);
                return -e;
        }
        return fd;
}

/* Written whole under a temporary name, then renamed: readers never see half. */
static int write_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int write_file(const char *path, const char *fmt, ...)
{
        char tmp[PATH_MAX];
        va_list ap;

        if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
                return -ENAMETOOLONG;
        FILE *f = fopen(tmp, "we");
        if (!f)
                return -errno;
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        if (fclose(f) != 0 || rename(tmp, path) < 0) {
                int e = errno;
                (void)unlink(tmp);
                return -e;
        }
        return 0;
}

static int open_signals(void)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return -errno;
        signal(SIGPIPE, SIG_IGN);
        int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* ---- main loop ----------------------------------------------------------- */

static int serve(void)
{
        static struct pollfd pfd[3 + MAX_CTL + 2 * MAX_OPEN];

        while (!g.quit) {
                trim_closed(MAX_CLOSED_KEPT);
                nfds_t n = 0;
                int timeout = -1;
                uint64_t now = now_ms();
                pfd[n++] = (struct pollfd){ .fd = g.sigfd, .events = POLLIN };
                pfd[n++] = (struct pollfd){ .fd = g.lfd, .events = POLLIN };
                pfd[n++] = (struct pollfd){ .fd = g.ctlfd, .events = POLLIN };
                for (int i = 0; i < MAX_CTL; i++) {
                        struct ctl *k = &g.ctl[i];
                        k->pi = -1;
                        if (k->fd < 0)
                                continue;
                        if (now - k->last > CTL_IDLE_MS) {
                                ctl_close(k);
                                continue;
                        }
                        timeout = 1000;
                        short ev = k->out ? POLLOUT : POLLIN;
                        k->pi = (int)n;
                        pfd[n++] = (struct pollfd){ .fd = k->fd, .events = ev };
                }
                for (struct conn *c = g.head; c; c = c->next) {
                        c->ci = c->ui = -1;
                        if (c->st == ST_CLOSED)
                                continue;
                        /* An fd without wanted events is left out, so that a HUP
                         * we cannot act on yet does not spin the loop. */
                        short ev = want_client(c);
                        if (ev) {
                                c->ci = (int)n;
                                pfd[n++] = (struct pollfd){ .fd = c->cfd, .events = ev };
                        }
                        ev = want_upstream(c);
                        if (ev) {
                                c->ui = (int)n;
                                pfd[n++] = (struct pollfd){ .fd = c->ufd, .events = ev };
                        }
                }
                if (poll(pfd, n, timeout) < 0) {
                        if (errno == EINTR)
                                continue;
                        say("poll: %s", strerror(errno));
                        return -errno;
                }

                for (struct conn *c = g.head; c; c = c->next) {
                        if (c->st == ST_CLOSED || (c->ci < 0 && c->ui < 0))
                                continue;
                        short crev = c->ci >= 0 ? pfd[c->ci].revents : 0;
                        short urev = c->ui >= 0 ? pfd[c->ui].revents : 0;
                        if (crev || urev)
                                conn_events(c, crev, urev);
                }
                for (int i = 0; i < MAX_CTL; i++) {
                        struct ctl *k = &g.ctl[i];
                        if (k->fd >= 0 && k->pi >= 0 && pfd[k->pi].revents)
                                ctl_events(k, pfd[k->pi].revents);
                }
                /* Commands may have released buffered data or pending EOFs. */
                for (struct conn *c = g.head; c; c = c->next)
                        conn_progress(c);
                if (pfd[1].revents)
                        accept_all();
                if (pfd[2].revents)
                        ctl_accept();
                if (pfd[0].revents) {
                        struct signalfd_siginfo si;
                        if (read(g.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                say("signal %u: exiting", si.ssi_signo);
                                g.quit = true;
                        }
                }
        }
        return 0;
}

static void shutdown_all(void)
{
        for (struct conn *c = g.head; c; c = c->next)
                conn_close(c, true, "proxy exiting");
        trim_closed(0);
        for (int i = 0; i < MAX_CTL; i++) {
                if (g.ctl[i].fd >= 0) {
                        ctl_flush(&g.ctl[i]);
                        ctl_close(&g.ctl[i]);
                }
        }
        if (g.ctlfd >= 0) {
                close(g.ctlfd);
                (void)unlink(g.ctl_path);
        }
        if (g.lfd >= 0)
                close(g.lfd);
        if (g.sigfd >= 0)
                close(g.sigfd);
}

/* ---- client mode --------------------------------------------------------- */

static int client(const char *path, const char *cmd)
{
        struct sockaddr_un sun;

        if (strchr(cmd, '\n') || strlen(cmd) >= CTL_LINE_MAX) {
                fprintf(stderr, "smb-proxy: --cmd must be one line shorter than %d bytes\n",
                        CTL_LINE_MAX);
                return 2;
        }
        if (unix_addr(path, &sun) < 0) {
                fprintf(stderr, "smb-proxy: --control: path empty or too long\n");
                return 2;
        }
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                fprintf(stderr, "smb-proxy: %s: %s\n", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);

        size_t cl = strlen(cmd);
        char *line = malloc(cl + 2);
        if (!line) {
                close(fd);
                return 1;
        }
        memcpy(line, cmd, cl);
        line[cl] = '\n';
        size_t off = 0;
        while (off < cl + 1) {
                ssize_t n = send(fd, line + off, cl + 1 - off, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        fprintf(stderr, "smb-proxy: send: %s\n", strerror(errno));
                        free(line);
                        close(fd);
                        return 1;
                }
                off += (size_t)n;
        }
        free(line);

        size_t cap = 4096, len = 0;
        char *rep = malloc(cap);
        int rc = 1;
        while (rep) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int pr = poll(&p, 1, CLIENT_TIMEOUT_MS);
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr <= 0) {
                        fprintf(stderr, "smb-proxy: no reply\n");
                        break;
                }
                if (len + 1 >= cap) {
                        char *nr = cap * 2 <= CLIENT_REPLY_MAX ? realloc(rep, cap * 2) : NULL;
                        if (!nr) {
                                fprintf(stderr, "smb-proxy: reply too large\n");
                                break;
                        }
                        rep = nr;
                        cap *= 2;
                }
                ssize_t n = read(fd, rep + len, cap - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        fprintf(stderr, "smb-proxy: connection closed before the reply\n");
                        break;
                }
                char *nl = memchr(rep + len, '\n', (size_t)n);
                len += (size_t)n;
                if (nl) {
                        *nl = '\0';
                        puts(rep);
                        bool number = rep[0] >= '0' && rep[0] <= '9';
                        rc = (number || strncmp(rep, "{\"ok\":true", 10) == 0) ? 0 : 1;
                        break;
                }
        }
        free(rep);
        close(fd);
        return rc;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
        fputs("usage: smb-proxy --listen 127.0.0.1:PORT --target HOST:PORT --control SOCKET\n"
              "                 [--port-file FILE] [--pid-file FILE] [--exit-with-parent]\n"
              "       smb-proxy --control SOCKET --cmd COMMAND\n"
              "commands: stats | reset | ping | quit | cut all|ID [fin|rst]\n"
              "          blackhole|refuse|hold on|off\n"
              "          count request|response SMB2_COMMAND | count COUNTER\n",
              f);
}

int main(int argc, char **argv)
{
        const char *listen_spec = NULL, *target = NULL, *ctl = NULL, *port_file = NULL;
        const char *pid_file = NULL, *cmd = NULL;
        bool with_parent = false;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char **dst = NULL;
                if (strcmp(a, "--listen") == 0)
                        dst = &listen_spec;
                else if (strcmp(a, "--target") == 0)
                        dst = &target;
                else if (strcmp(a, "--control") == 0)
                        dst = &ctl;
                else if (strcmp(a, "--port-file") == 0)
                        dst = &port_file;
                else if (strcmp(a, "--pid-file") == 0)
                        dst = &pid_file;
                else if (strcmp(a, "--cmd") == 0)
                        dst = &cmd;
                else if (strcmp(a, "--exit-with-parent") == 0) {
                        with_parent = true;
                        continue;
                } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (!dst || i + 1 >= argc) {
                        usage(stderr);
                        return 2;
                }
                *dst = argv[++i];
        }
        if (ctl && cmd && !listen_spec && !target)
                return client(ctl, cmd);
        if (!listen_spec || !target || !ctl || cmd) {
                usage(stderr);
                return 2;
        }

        g.lfd = g.ctlfd = g.sigfd = -1;
        for (int i = 0; i < MAX_CTL; i++)
                g.ctl[i].fd = -1;
        g.ctl_path = ctl;

        if (with_parent) {
                pid_t parent = getppid();
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent) {
                        say("parent gone");
                        return 1;
                }
        }
        int rc = 1;
        g.sigfd = open_signals();
        if (g.sigfd < 0 || resolve_target(target) < 0)
                goto out;
        g.lfd = open_listener(listen_spec);
        if (g.lfd < 0)
                goto out;
        g.ctlfd = open_control(ctl);
        if (g.ctlfd < 0)
                goto out;
        if (pid_file && write_file(pid_file, "%ld\n", (long)getpid()) < 0) {
                say("--pid-file %s: cannot write", pid_file);
                goto out;
        }
        /* Last: the port file tells the caller that both sockets listen. */
        if (port_file && write_file(port_file, "%d\n", g.listen_port) < 0) {
                say("--port-file %s: cannot write", port_file);
                goto out;
        }
        say("listening on %s port %d, target %s, control %s", listen_spec, g.listen_port,
            target, ctl);
        rc = serve() < 0 ? 1 : 0;
out:
        shutdown_all();
        return rc;
}
