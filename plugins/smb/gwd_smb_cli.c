/* SPDX-License-Identifier: MIT */
/*
 * gwd-smb: a small SMB2/3 client built from the plugin's own code
 * (libgwdsmb + the core host), for operators' diagnostics and benchmarks.
 *
 *   gwd-smb [options] //host/share COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gatewayd/host.h"
#include "gatewayd/log.h"
#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb_client.h"
#include "plugins/smb/smb_fileops.h"

/* Transfers keep 2 x depth single-request operations in flight. */
#define MAX_SLOTS 128

struct slot {
        uint8_t *buf;
        size_t cap;
        uint64_t off;
        size_t len;
        size_t count;
        bool busy, ready;
};

struct cli {
        sd_event *loop;
        struct gwd_host *host;
        struct gwd_ctx *ctx;
        const struct gwd_api *api;
        const struct gwd_backend_ops *ops;
        struct smb_server srv;
        struct smb_tcon *t;
        struct smb_waiter ready;
        char unc[512];
        const char *cmd;
        char **args;
        int nargs;
        int rc;
        bool stats;
        /* transfers */
        struct gwd_file *f;
        int fd;
        bool to_stdout;
        uint64_t size, issued, done_bytes;
        struct slot slots[MAX_SLOTS];
        unsigned nslots;
        unsigned next_slot;     /* in-order completion */
        int xfer_error;
        unsigned busy;
        uint64_t t0;
        char *rpath, *rpath2;
};

static struct cli *g;

static void quit(struct cli *c, int rc)
{
        c->rc = rc;
        sd_event_exit(c->loop, rc);
}

static void fail(struct cli *c, const char *what, int error)
{
        char buf[256];
        fprintf(stderr, "gwd-smb: %s: %s\n", what, smb_server_error(&c->srv, c->t, error, buf,
                                                                       sizeof(buf)));
        quit(c, 1);
}

static uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void print_rate(struct cli *c, const char *what, uint64_t bytes)
{
        if (!c->stats)
                return;
        double s = (double)(now_us() - c->t0) / 1e6;
        fprintf(stderr, "%s: %" PRIu64 " bytes in %.3f s (%.1f MB/s)\n", what, bytes, s,
                s > 0 ? (double)bytes / s / 1e6 : 0.0);
}

/* "a\b/c/" -> "a/b/c"; NULL when the core would refuse it. */
static char *norm_path(struct cli *c, const char *p)
{
        char *s = strdup(p ? p : ""), *o;
        size_t n;
        if (!s)
                return NULL;
        for (o = s; *o; o++)
                if (*o == '\\')
                        *o = '/';
        o = s;
        while (*o == '/')
                o++;
        memmove(s, o, strlen(o) + 1);
        n = strlen(s);
        while (n && s[n - 1] == '/')
                s[--n] = 0;
        if (c->api->path_check(s) < 0) {
                fprintf(stderr, "gwd-smb: invalid path \"%s\"\n", p);
                free(s);
                return NULL;
        }
        return s;
}

/* --- simple commands ------------------------------------------------------- */

static void simple_done(void *ud, const struct gwd_result *res)
{
        struct cli *c = ud;
        if (res->error < 0) {
                char what[600];
                snprintf(what, sizeof(what), "%s %s", c->cmd, c->rpath ? c->rpath : "");
                return fail(c, what, res->error);
        }
        quit(c, 0);
}

static void fmt_time(int64_t ns, char *buf, size_t len)
{
        time_t t = (time_t)(ns / 1000000000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void ls_done(void *ud, const struct gwd_result *res)
{
        struct cli *c = ud;
        char tb[32];
        if (res->error < 0)
                return simple_done(ud, res);
        for (size_t i = 0; i < res->n_entries; i++) {
                const struct gwd_dirent *e = &res->entries[i];
                fmt_time(e->st.mtime_ns, tb, sizeof(tb));
                printf("%c %12" PRIu64 " %s %s\n", e->st.type == GWD_TYPE_DIR ? 'd' : '-',
                       e->st.size, tb, e->name);
        }
        quit(c, 0);
}

static void stat_done(void *ud, const struct gwd_result *res)
{
        struct cli *c = ud;
        char tb[32];
        if (res->error < 0)
                return simple_done(ud, res);
        fmt_time(res->st->mtime_ns, tb, sizeof(tb));
        printf("type: %s\nsize: %" PRIu64 "\nmtime: %s UTC\nattributes: 0x%08x\n",
               res->st->type == GWD_TYPE_DIR ? "directory" : "file", res->st->size, tb,
               res->st->attributes);
        quit(c, 0);
}

/* truncate: open, truncate, close */
static void trunc_closed(void *ud, const struct gwd_result *res)
{
        struct cli *c = ud;
        if (c->xfer_error < 0)
                return fail(c, "truncate", c->xfer_error);
        simple_done(ud, res);
}

static void trunc_done(void *ud, const struct gwd_result *res)
{
        struct cli *c = ud;
        c->xfer_error = res->error;
        c->ops->close(c->t, c->f, trunc_closed, c);
}

static void trunc_opened(void *ud, const struct gwd_result *res)
{
        struct cli *c = ud;
        if (res->error < 0)
                return simple_done(ud, res);
        c->f = res->file;
        c->ops->truncate(c->t, c->f, strtoull(c->args[1], NULL, 0), trunc_done, c);
}

/* --- get / put ----------------------------------------------------------------- */

static void xfer_closed(void *ud, const struct gwd_result *res)
{
        struct cli *c = ud;
        if (c->fd >= 0 && !c->to_stdout)
                close(c->fd);
        c->fd = -1;
        if (c->xfer_error < 0)
                return fail(c, c->cmd, c->xfer_error);
        if (res->error < 0)
                return fail(c, "close", res->error);
        print_rate(c, c->cmd, c->done_bytes);
        quit(c, 0);
}

static void xfer_end(struct cli *c)
{
        if (c->busy)
                return;
        c->ops->close(c->t, c->f, xfer_closed, c);
}

static void get_issue(struct cli *c);

static void get_read_done(void *ud, const struct gwd_result *res)
{
        struct slot *s = ud;
        struct cli *c = g;

        c->busy--;
        s->busy = false;
        s->ready = true;
        if (res->error < 0 && !c->xfer_error)
                c->xfer_error = res->error;
        s->count = res->error < 0 ? 0 : res->count;
        /* Write completed slots in file order. */
        while (!c->xfer_error && c->slots[c->next_slot].ready) {
                struct slot *w = &c->slots[c->next_slot];
                size_t off = 0;
                while (off < w->count) {
                        ssize_t n = write(c->fd, w->buf + off, w->count - off);
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                c->xfer_error = -errno;
                                break;
                        }
                        off += (size_t)n;
                }
                c->done_bytes += w->count;
                w->ready = false;
                if (w->count < w->len)
                        c->issued = c->size = w->off + w->count;  /* end of file */
                c->next_slot = (c->next_slot + 1) % c->nslots;
        }
        if (c->xfer_error || c->issued >= c->size)
                return xfer_end(c);
        get_issue(c);
}

static void get_issue(struct cli *c)
{
        for (unsigned i = 0; i < c->nslots && c->issued < c->size && !c->xfer_error; i++) {
                unsigned k = (c->next_slot + c->busy) % c->nslots;
                struct slot *s = &c->slots[k];
                if (s->busy || s->ready)
                        break;
                s->off = c->issued;
                s->len = c->size - c->issued < s->cap ? (size_t)(c->size - c->issued) : s->cap;
                s->busy = true;
                c->busy++;
                c->issued += s->len;
                c->ops->read(c->t, c->f, s->off, s->buf, s->len, get_read_done, s);
        }
        if (!c->busy)
                xfer_end(c);
}

static void put_issue(struct cli *c);

static void put_write_done(void *ud, const struct gwd_result *res)
{
        struct slot *s = ud;
        struct cli *c = g;
        c->busy--;
        s->busy = false;
        if (res->error < 0 && !c->xfer_error)
                c->xfer_error = res->error;
        else
                c->done_bytes += s->len;
        if (c->xfer_error || c->issued >= c->size)
                return xfer_end(c);
        put_issue(c);
}

static void put_issue(struct cli *c)
{
        for (unsigned i = 0; i < c->nslots && c->issued < c->size && !c->xfer_error; i++) {
                struct slot *s = &c->slots[i];
                if (s->busy)
                        continue;
                s->off = c->issued;
                s->len = c->size - c->issued < s->cap ? (size_t)(c->size - c->issued) : s->cap;
                size_t got = 0;
                while (got < s->len) {
                        ssize_t n = pread(c->fd, s->buf + got, s->len - got,
                                          (off_t)(s->off + got));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                c->xfer_error = n < 0 ? -errno : -EIO;
                                break;
                        }
                        got += (size_t)n;
                }
                if (c->xfer_error)
                        break;
                s->busy = true;
                c->busy++;
                c->issued += s->len;
                c->ops->write(c->t, c->f, s->off, s->buf, s->len, put_write_done, s);
        }
        if (!c->busy)
                xfer_end(c);
}

#define HUGE_PAGE (2u << 20)

/*
 * A transfer buffer (MaxRead/MaxWrite, 8 MiB against Samba).  The slots
 * are 2 x depth of them, 64 MiB by default, all touched for the first time
 * by the transfer: with 4 KiB pages 16,384 page faults, 5-17% of the CPU
 * time of a 1 GiB encrypted get (more on a VM whose host backs guest
 * memory lazily).  On 2 MiB boundaries with MADV_HUGEPAGE (THP in
 * "madvise" mode) they fault in 2 MiB at a time.  Where THP is off the
 * advice is ignored and nothing changes.
 */
static void *xfer_buf_alloc(size_t len)
{
        void *p = NULL;

        if (len < HUGE_PAGE)
                return malloc(len);
        len = (len + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
        if (posix_memalign(&p, HUGE_PAGE, len) != 0)
                return NULL;
        (void)madvise(p, len, MADV_HUGEPAGE);
        return p;
}

static int alloc_slots(struct cli *c, size_t unit)
{
        unsigned depth = c->srv.conf.io_depth ? c->srv.conf.io_depth : 4;
        size_t cap = unit;
        c->nslots = 2 * depth < MAX_SLOTS ? 2 * depth : MAX_SLOTS;
        for (unsigned i = 0; i < c->nslots; i++) {
                c->slots[i].buf = xfer_buf_alloc(cap);
                if (!c->slots[i].buf)
                        return -ENOMEM;
                c->slots[i].cap = cap;
        }
        return 0;
}

static void xfer_opened(void *ud, const struct gwd_result *res)
{
        struct cli *c = ud;
        bool get = strcmp(c->cmd, "get") == 0;
        int r;

        if (res->error < 0) {
                char what[600];
                snprintf(what, sizeof(what), "%s %s", c->cmd, c->rpath);
                if (c->fd >= 0 && !c->to_stdout)
                        close(c->fd);
                return fail(c, what, res->error);
        }
        c->f = res->file;
        r = alloc_slots(c, get ? c->srv.conn->max_read : c->srv.conn->max_write);
        if (r < 0) {
                c->xfer_error = r;
                return xfer_end(c);
        }
        c->t0 = now_us();
        if (get) {
                c->size = res->st->size;
                get_issue(c);
        } else {
                put_issue(c);
        }
}

static void start_get(struct cli *c)
{
        const char *local;
        if (c->nargs < 1 || c->nargs > 2) {
                fprintf(stderr, "usage: get REMOTE [LOCAL|-]\n");
                return quit(c, 2);
        }
        local = c->nargs == 2 ? c->args[1] : strrchr(c->rpath, '/') ? strrchr(c->rpath, '/') + 1
                                                                     : c->rpath;
        if (strcmp(local, "-") == 0) {
                c->fd = STDOUT_FILENO;
                c->to_stdout = true;
        } else {
                c->fd = open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (c->fd < 0) {
                        fprintf(stderr, "gwd-smb: %s: %s\n", local, strerror(errno));
                        return quit(c, 1);
                }
        }
        c->ops->open(c->t, c->rpath, GWD_O_READ, xfer_opened, c);
}

static void start_put(struct cli *c)
{
        struct stat st;
        if (c->nargs != 2) {
                fprintf(stderr, "usage: put LOCAL REMOTE\n");
                return quit(c, 2);
        }
        c->fd = open(c->args[0], O_RDONLY | O_CLOEXEC);
        if (c->fd < 0 || fstat(c->fd, &st) < 0) {
                fprintf(stderr, "gwd-smb: %s: %s\n", c->args[0], strerror(errno));
                return quit(c, 1);
        }
        c->size = (uint64_t)st.st_size;
        c->ops->open(c->t, c->rpath2, GWD_O_WRITE | GWD_O_CREATE | GWD_O_TRUNC, xfer_opened,
                     c);
}

/* --- info ---------------------------------------------------------------------- */

static int print_obj(void *ud, struct gwd_object *obj)
{
        struct cli *c = ud;
        json_t *j = c->api->object_to_json(obj, 0);
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        if (s)
                printf("%s\n", s);
        free(s);
        json_decref(j);
        return 0;
}

/* --- main ------------------------------------------------------------------------ */

static void run_cmd(struct cli *c);

/* "reconnect": the channel's registry action, then wait for the tree. */
static void on_reconnected(struct smb_waiter *w, int error)
{
        struct cli *c = g;
        if (error < 0)
                return fail(c, "reconnect", error);
        printf("reconnected: channel %s, generation %llu, reconnects %llu, tcon %s\n",
               smb_sm_state_name(&smb_chan_table, c->srv.conn->sm.state),
               (unsigned long long)c->srv.conn->generation,
               (unsigned long long)c->srv.conn->reconnects,
               smb_sm_state_name(&smb_tcon_table, c->t->sm.state));
        c->cmd = "ls";
        c->nargs = 0;
        run_cmd(c);
}

static void do_reconnect(struct cli *c)
{
        int r = c->api->object_action(c->srv.conn->sm.obj, "reconnect", NULL,
                                      "gwd-smb: reconnect command");
        if (r < 0)
                return fail(c, "reconnect", r);
        c->ready.fn = on_reconnected;
        r = smb_tcon_ensure(c->t, &c->ready);
        if (r == 0)
                on_reconnected(&c->ready, 0);
        else if (r != -EINPROGRESS)
                fail(c, "reconnect", r);
}

static void run_cmd(struct cli *c)
{
        const char *cmd = c->cmd;

        if (strcmp(cmd, "reconnect") == 0)
                return do_reconnect(c);

        if (strcmp(cmd, "info") == 0) {
                c->api->object_foreach(c->ctx, NULL, print_obj, c);
                return quit(c, 0);
        }
        if (strcmp(cmd, "put") == 0) {
                if (c->nargs == 2 && !(c->rpath2 = norm_path(c, c->args[1])))
                        return quit(c, 2);
                c->rpath = c->rpath2;
                return start_put(c);
        }
        if (c->nargs >= 1 && !(c->rpath = norm_path(c, c->args[0])))
                return quit(c, 2);
        if (strcmp(cmd, "ls") == 0) {
                if (!c->rpath)
                        c->rpath = strdup("");
                return c->ops->readdir(c->t, c->rpath, ls_done, c);
        }
        if (strcmp(cmd, "get") == 0)
                return start_get(c);
        if (c->nargs < 1) {
                fprintf(stderr, "gwd-smb: %s needs a path\n", cmd);
                return quit(c, 2);
        }
        if (strcmp(cmd, "stat") == 0)
                return c->ops->stat(c->t, c->rpath, stat_done, c);
        if (strcmp(cmd, "mkdir") == 0)
                return c->ops->mkdir(c->t, c->rpath, simple_done, c);
        if (strcmp(cmd, "rmdir") == 0)
                return c->ops->rmdir(c->t, c->rpath, simple_done, c);
        if (strcmp(cmd, "rm") == 0)
                return c->ops->unlink(c->t, c->rpath, simple_done, c);
        if (strcmp(cmd, "mv") == 0 && c->nargs == 2) {
                if (!(c->rpath2 = norm_path(c, c->args[1])))
                        return quit(c, 2);
                return c->ops->rename(c->t, c->rpath, c->rpath2, 0, simple_done, c);
        }
        if (strcmp(cmd, "truncate") == 0 && c->nargs == 2)
                return c->ops->open(c->t, c->rpath, GWD_O_WRITE, trunc_opened, c);
        fprintf(stderr, "gwd-smb: unknown command or wrong arguments: %s\n", cmd);
        quit(c, 2);
}

static void on_ready(struct smb_waiter *w, int error)
{
        struct cli *c = g;
        if (error < 0) {
                char what[600];
                snprintf(what, sizeof(what), "cannot connect to %s", c->unc);
                return fail(c, what, error);
        }
        run_cmd(c);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
        struct cli *c = ud;
        fprintf(stderr, "gwd-smb: interrupted\n");
        quit(c, 1);
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f,
                "usage: gwd-smb [options] //host/share COMMAND [ARGS]\n"
                "commands:\n"
                "  ls [DIR]                 list a directory\n"
                "  get REMOTE [LOCAL|-]     download a file\n"
                "  put LOCAL REMOTE         upload a file\n"
                "  stat PATH                show a file's attributes\n"
                "  mkdir PATH | rmdir PATH | rm PATH\n"
                "  mv FROM TO               rename (fails if TO exists)\n"
                "  truncate PATH SIZE       set a file's size\n"
                "  info                     show channel, session and tree state\n"
                "  reconnect                drop the channel, reconnect, then ls\n"
                "options:\n"
                "  -p, --port PORT          TCP port (default 445)\n"
                "  -U, --user [DOMAIN\\]USER user name\n"
                "  -W, --domain DOMAIN      domain\n"
                "      --password-file F    read the password from F (else $GWD_SMB_PASSWORD)\n"
                "      --dialect-min X      2.0.2, 2.1, 3.0, 3.0.2 or 3.1.1\n"
                "      --dialect-max X\n"
                "      --encrypt            encrypt everything (fail if impossible)\n"
                "      --no-encrypt         never encrypt\n"
                "      --cipher NAME        offer only NAME (AES-128-CCM, AES-128-GCM,\n"
                "                           AES-256-CCM, AES-256-GCM)\n"
                "      --signing MODE       required, if_offered (default) or off\n"
                "      --depth N            requests in flight per transfer (default 4)\n"
                "      --max-io BYTES       cap MaxRead/MaxWrite\n"
                "      --timeout SEC        per-request deadline (default 60)\n"
                "      --stats              print the transfer rate on stderr\n"
                "  -v, --verbose            log state changes\n");
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "port", required_argument, NULL, 'p' },
                { "user", required_argument, NULL, 'U' },
                { "domain", required_argument, NULL, 'W' },
                { "password-file", required_argument, NULL, 'P' },
                { "dialect-min", required_argument, NULL, 1 },
                { "dialect-max", required_argument, NULL, 2 },
                { "encrypt", no_argument, NULL, 3 },
                { "no-encrypt", no_argument, NULL, 4 },
                { "cipher", required_argument, NULL, 5 },
                { "signing", required_argument, NULL, 6 },
                { "depth", required_argument, NULL, 7 },
                { "max-io", required_argument, NULL, 8 },
                { "timeout", required_argument, NULL, 9 },
                { "stats", no_argument, NULL, 10 },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct cli cli = { .fd = -1, .rc = 1 };
        struct cli *c = &cli;
        struct smb_server_conf *conf = &c->srv.conf;
        const char *pwfile = NULL;
        int opt, r, verbose = 0;

        g = c;
        smb_server_conf_defaults(conf);
        while ((opt = getopt_long(argc, argv, "p:U:W:vh", opts, NULL)) != -1) {
                switch (opt) {
                case 'p':
                        conf->port = (uint16_t)atoi(optarg);
                        if (!conf->port) {
                                fprintf(stderr, "gwd-smb: bad port %s\n", optarg);
                                return 2;
                        }
                        break;
                case 'U': {
                        const char *sep = strpbrk(optarg, "\\/");
                        if (sep) {
                                free(conf->domain);
                                conf->domain = strndup(optarg, (size_t)(sep - optarg));
                                conf->user = strdup(sep + 1);
                        } else {
                                conf->user = strdup(optarg);
                        }
                        break;
                }
                case 'W':
                        free(conf->domain);
                        conf->domain = strdup(optarg);
                        break;
                case 'P':
                        pwfile = optarg;
                        break;
                case 1:
                case 2: {
                        uint16_t d = smb_dialect_parse(optarg);
                        if (!d) {
                                fprintf(stderr, "gwd-smb: unknown dialect %s\n", optarg);
                                return 2;
                        }
                        if (opt == 1)
                                conf->dialect_min = d;
                        else
                                conf->dialect_max = d;
                        break;
                }
                case 3:
                        conf->encryption = SMB_ENCRYPTION_ALWAYS;
                        break;
                case 4:
                        conf->encryption = SMB_ENCRYPTION_OFF;
                        break;
                case 5: {
                        uint16_t ci = smb_cipher_parse(optarg);
                        if (!ci) {
                                fprintf(stderr, "gwd-smb: unknown cipher %s\n", optarg);
                                return 2;
                        }
                        conf->ciphers[0] = ci;
                        conf->n_ciphers = 1;
                        break;
                }
                case 6:
                        if (strcmp(optarg, "required") == 0)
                                conf->signing = SMB_SIGNING_REQUIRED;
                        else if (strcmp(optarg, "if_offered") == 0)
                                conf->signing = SMB_SIGNING_IF_OFFERED;
                        else if (strcmp(optarg, "off") == 0)
                                conf->signing = SMB_SIGNING_OFF;
                        else {
                                fprintf(stderr, "gwd-smb: bad signing mode %s\n", optarg);
                                return 2;
                        }
                        break;
                case 7:
                        conf->io_depth = (unsigned)atoi(optarg);
                        if (conf->io_depth < 1 || conf->io_depth > 64) {
                                fprintf(stderr, "gwd-smb: depth must be 1..64\n");
                                return 2;
                        }
                        break;
                case 8:
                        conf->max_io = (uint32_t)strtoul(optarg, NULL, 0);
                        break;
                case 9:
                        conf->request_timeout_ms = (uint32_t)atoi(optarg) * 1000u;
                        conf->connect_timeout_ms = conf->request_timeout_ms;
                        break;
                case 10:
                        c->stats = true;
                        break;
                case 'v':
                        verbose++;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (argc - optind < 2 || strncmp(argv[optind], "//", 2) != 0) {
                usage(stderr);
                return 2;
        }
        {
                const char *p = argv[optind] + 2, *slash = strchr(p, '/');
                if (!slash || slash == p || !slash[1] || strchr(slash + 1, '/')) {
                        fprintf(stderr, "gwd-smb: expected //host/share, got %s\n",
                                argv[optind]);
                        return 2;
                }
                conf->host = strndup(p, (size_t)(slash - p));
                snprintf(c->unc, sizeof(c->unc), "%s", argv[optind]);
                c->cmd = argv[optind + 1];
                c->args = argv + optind + 2;
                c->nargs = argc - optind - 2;
                conf->name = strdup("cli");
                if (!conf->user)
                        conf->user = strdup("");
                if (!conf->domain)
                        conf->domain = strdup("");
                if (pwfile) {
                        FILE *f = fopen(pwfile, "re");
                        char buf[512];
                        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
                        if (!f) {
                                fprintf(stderr, "gwd-smb: %s: %s\n", pwfile, strerror(errno));
                                return 2;
                        }
                        fclose(f);
                        buf[n] = 0;
                        if (n && buf[n - 1] == '\n')
                                buf[--n] = 0;
                        conf->password = strdup(buf);
                        smb_wipe(buf, sizeof(buf));
                } else if (getenv("GWD_SMB_PASSWORD")) {
                        conf->password = strdup(getenv("GWD_SMB_PASSWORD"));
                }
                if (!conf->password)
                        conf->password = strdup("");
                c->srv.conf.allow_guest = false;
                if (!conf->host || !conf->user || !conf->domain || !conf->password ||
                    !conf->name)
                        return 1;
                /* the SMB share name, kept until exit */
                c->srv.userdata = strdup(slash + 1);
                if (!c->srv.userdata)
                        return 1;
        }

        log_setup(LOG_TARGET_STDERR);
        log_set_max_level(verbose >= 2 ? GWD_LOG_DEBUG : verbose ? GWD_LOG_INFO : GWD_LOG_WARNING);
        signal(SIGPIPE, SIG_IGN);
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGTERM);
        sigprocmask(SIG_BLOCK, &ss, NULL);

        r = sd_event_new(&c->loop);
        if (r >= 0)
                r = sd_event_add_signal(c->loop, NULL, SIGINT, on_signal, c);
        if (r >= 0)
                r = sd_event_add_signal(c->loop, NULL, SIGTERM, on_signal, c);
        if (r >= 0)
                r = host_new(c->loop, &c->host);
        if (r >= 0)
                r = host_ctx_new(c->host, "gwd-smb", &c->ctx);
        if (r < 0) {
                fprintf(stderr, "gwd-smb: cannot set up: %s\n", strerror(-r));
                return 1;
        }
        c->api = host_api();
        c->ops = &smb_backend_ops;
        r = smb_server_create(&c->srv, c->api, c->ctx);
        if (r >= 0)
                r = smb_server_add_tcon(&c->srv, "share", c->srv.userdata, &c->t);
        if (r < 0) {
                fprintf(stderr, "gwd-smb: cannot set up: %s\n", strerror(-r));
                return 1;
        }
        c->ready.fn = on_ready;
        r = smb_tcon_ensure(c->t, &c->ready);
        if (r == 0)
                run_cmd(c);
        else if (r != -EINPROGRESS)
                on_ready(&c->ready, r);
        sd_event_loop(c->loop);

        smb_sm_unwait(&c->ready);
        smb_server_destroy(&c->srv);
        host_ctx_free(c->ctx);
        host_free(c->host);
        sd_event_unref(c->loop);
        for (unsigned i = 0; i < MAX_SLOTS; i++)
                free(c->slots[i].buf);
        free(c->rpath);
        if (c->rpath2 != c->rpath)
                free(c->rpath2);
        free(c->srv.userdata);
        smb_server_conf_clear(&c->srv.conf);
        return c->rc;
}
