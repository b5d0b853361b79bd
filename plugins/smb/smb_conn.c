/* SPDX-License-Identifier: MIT */
/*
 * SMB2 transport: one channel.  See smb_conn.h.
 *
 * Name resolution: getaddrinfo() blocks, so it is avoided where it can be:
 * a literal IPv4/IPv6 address is resolved with AI_NUMERICHOST (no lookup)
 * and "localhost" maps to 127.0.0.1 and ::1 directly.  Any other name is
 * resolved with a blocking getaddrinfo() at connect time; with a local
 * resolver (nscd/systemd-resolved) that is short, and it happens only on
 * (re)connect, never per request.  A name that must not stall the loop
 * should be given as an address in the configuration.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb2_io.h"
#include "plugins/smb/smb2_misc.h"
#include "plugins/smb/smb_conn.h"
#include "plugins/smb/smb_session.h"
#include "plugins/smb/smb_tcon.h"

enum { REQ_NONE, REQ_CREDIT_WAIT, REQ_SENDQ, REQ_PENDING };

#define HASH_SIZE 256u
#define IOV_BATCH 64
#define RX_BUDGET (32u << 20)           /* bytes per readiness callback */
#define PRE_NEG_MAX_FRAME (1u << 20)
#define DEFAULT_CREDIT_TARGET 1024u
#define CREDIT_STEP 256u

uint64_t smb_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- configuration helpers ------------------------------------------------ */

void smb_server_conf_defaults(struct smb_server_conf *c)
{
        memset(c, 0, sizeof(*c));
        c->port = 445;
        c->dialect_min = SMB2_DIALECT_202;
        c->dialect_max = SMB2_DIALECT_311;
        c->signing = SMB_SIGNING_IF_OFFERED;
        c->encryption = SMB_ENCRYPTION_IF_REQUIRED;
        c->ciphers[0] = SMB2_ENCRYPTION_AES128_GCM;
        c->ciphers[1] = SMB2_ENCRYPTION_AES128_CCM;
        c->ciphers[2] = SMB2_ENCRYPTION_AES256_GCM;
        c->ciphers[3] = SMB2_ENCRYPTION_AES256_CCM;
        c->n_ciphers = 4;
        c->connect_timeout_ms = 10000;
        c->request_timeout_ms = 60000;
        c->echo_interval_s = 60;
        c->backoff.first_ms = 0;
        c->backoff.min_ms = 50;
        c->backoff.max_ms = 2000;
        c->backoff.refused_max_ms = 100;
        c->durable_handles = true;
        c->io_depth = 4;
        c->channels = 1;
}

void smb_server_conf_clear(struct smb_server_conf *c)
{
        if (!c)
                return;
        if (c->password)
                smb_wipe(c->password, strlen(c->password));
        free(c->name);
        free(c->host);
        free(c->user);
        free(c->domain);
        free(c->password);
        free(c->workstation);
        memset(c, 0, sizeof(*c));
}

static const struct {
        const char *name;
        uint16_t value;
} dialects[] = {
        { "2.0.2", SMB2_DIALECT_202 }, { "2.1", SMB2_DIALECT_210 },
        { "3.0", SMB2_DIALECT_300 },   { "3.0.2", SMB2_DIALECT_302 },
        { "3.1.1", SMB2_DIALECT_311 },
}, ciphers[] = {
        { "AES-128-CCM", SMB2_ENCRYPTION_AES128_CCM },
        { "AES-128-GCM", SMB2_ENCRYPTION_AES128_GCM },
        { "AES-256-CCM", SMB2_ENCRYPTION_AES256_CCM },
        { "AES-256-GCM", SMB2_ENCRYPTION_AES256_GCM },
};

uint16_t smb_dialect_parse(const char *s)
{
        for (size_t i = 0; s && i < sizeof(dialects) / sizeof(dialects[0]); i++)
                if (strcmp(s, dialects[i].name) == 0)
                        return dialects[i].value;
        return 0;
}

const char *smb_dialect_name(uint16_t d)
{
        for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++)
                if (dialects[i].value == d)
                        return dialects[i].name;
        return "none";
}

uint16_t smb_cipher_parse(const char *s)
{
        for (size_t i = 0; s && i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
                if (strcasecmp(s, ciphers[i].name) == 0)
                        return ciphers[i].value;
        return 0;
}

const char *smb_cipher_name(uint16_t c)
{
        for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
                if (ciphers[i].value == c)
                        return ciphers[i].name;
        return "none";
}

const char *smb_sign_alg_name(uint16_t alg)
{
        switch (alg) {
        case SMB2_SIGNING_HMAC_SHA256:
                return "HMAC-SHA256";
        case SMB2_SIGNING_AES_CMAC:
                return "AES-128-CMAC";
        case SMB2_SIGNING_AES_GMAC:
                return "AES-128-GMAC";
        }
        return "unknown";
}

/* --- lists ------------------------------------------------------------------ */

static void list_init(struct smb_req *head)
{
        head->next = head->prev = head;
}

static bool list_empty(const struct smb_req *head)
{
        return head->next == head;
}

static void list_add_tail(struct smb_req *head, struct smb_req *r)
{
        r->prev = head->prev;
        r->next = head;
        head->prev->next = r;
        head->prev = r;
}

static void list_del(struct smb_req *r)
{
        r->prev->next = r->next;
        r->next->prev = r->prev;
        r->next = r->prev = NULL;
}

static void hash_add(struct smb_conn *c, struct smb_req *r)
{
        unsigned b = (unsigned)(r->mid & (c->hash_size - 1));
        r->hnext = c->hash[b];
        c->hash[b] = r;
}

static struct smb_req *hash_find(struct smb_conn *c, uint64_t mid)
{
        for (struct smb_req *r = c->hash[mid & (c->hash_size - 1)]; r; r = r->hnext)
                if (r->mid == mid)
                        return r;
        return NULL;
}

static void hash_del(struct smb_conn *c, struct smb_req *r)
{
        for (struct smb_req **pp = &c->hash[r->mid & (c->hash_size - 1)]; *pp;
             pp = &(*pp)->hnext)
                if (*pp == r) {
                        *pp = r->hnext;
                        r->hnext = NULL;
                        return;
                }
}

/* Take a request out of whatever structure holds it. */
static void req_unlink(struct smb_conn *c, struct smb_req *r)
{
        if (c->rx_direct == r) {
                /* Its response is still arriving into its buffer, which is
                 * the owner's again once done() runs: the rest of the frame
                 * goes to the frame buffer, and the frame is then handled
                 * as what it has become, a response to no pending request. */
                c->rx_direct = NULL;
                c->rx_orphan = true;
        }
        switch (r->where) {
        case REQ_CREDIT_WAIT:
                list_del(r);
                c->n_credit_wait--;
                break;
        case REQ_SENDQ:
        case REQ_PENDING:
                list_del(r);
                hash_del(c, r);
                c->n_pending--;
                break;
        }
        r->where = REQ_NONE;
}

/* --- errors and snapshot ----------------------------------------------------- */

void smb_conn_set_error(struct smb_conn *conn, int error, uint32_t status, const char *what)
{
        conn->last_errno = error;
        conn->last_status = status;
        smb_copy_msg(conn->last_error, sizeof(conn->last_error), what ? what : "");
        conn->last_error_at = error ? smb_realtime_us() : 0;
}

void smb_conn_snapshot(struct smb_conn *c, json_t *d)
{
        json_object_set_new(d, "server", json_string(c->conf->name));
        json_object_set_new(d, "host", json_string(c->conf->host));
        json_object_set_new(d, "port", json_integer(c->conf->port));
        json_object_set_new(d, "peer", json_string(c->peer));
        json_object_set_new(d, "local_port", json_integer(c->fd >= 0 ? c->local_port : 0));
        json_object_set_new(d, "channel_index", json_integer(c->index));
        json_object_set_new(d, "bound", json_boolean(c->bound));
        json_object_set_new(d, "dialect", json_string(smb_dialect_name(c->dialect)));
        json_object_set_new(d, "signing_algorithm",
                            json_string(c->dialect ? smb_sign_alg_name(c->sign_alg) : "none"));
        json_object_set_new(d, "cipher", json_string(smb_cipher_name(c->cipher)));
        json_object_set_new(d, "credits", json_integer(c->credits));
        json_object_set_new(d, "requests_in_flight", json_integer(c->n_pending));
        json_object_set_new(d, "requests_waiting_credits", json_integer(c->n_credit_wait));
        json_object_set_new(d, "credit_peak", json_integer(c->credit_peak));
        json_object_set_new(d, "credit_waits", json_integer((json_int_t)c->stats.credit_waits));
        json_object_set_new(d, "next_message_id", json_integer((json_int_t)c->next_mid));
        json_object_set_new(d, "max_read", json_integer(c->max_read));
        json_object_set_new(d, "max_write", json_integer(c->max_write));
        json_object_set_new(d, "generation", json_integer((json_int_t)c->generation));
        json_object_set_new(d, "reconnect_count", json_integer((json_int_t)c->reconnects));
        json_object_set_new(d, "bytes_out", json_integer((json_int_t)c->stats.bytes_out));
        json_object_set_new(d, "bytes_in", json_integer((json_int_t)c->stats.bytes_in));
        json_object_set_new(d, "bad_signatures",
                            json_integer((json_int_t)c->stats.bad_signatures));
        json_object_set_new(d, "breaks_acknowledged",
                            json_integer((json_int_t)c->stats.breaks_acked));
        json_object_set_new(d, "timeouts", json_integer((json_int_t)c->stats.timeouts));
        /* What went on the wire, per command (the drills report deltas). */
        for (uint16_t i = 0; i < SMB2_NUM_COMMANDS; i++) {
                char key[48];
                snprintf(key, sizeof(key), "sent_%s", smb2_command_name(i));
                json_object_set_new(d, key, json_integer((json_int_t)c->stats.sent[i]));
        }
        json_object_set_new(d, "echo_interval_s", json_integer(c->conf->echo_interval_s));
        json_t *le = json_object();
        json_object_set_new(le, "ntstatus",
                            json_string(c->last_status ? ntstatus_name(c->last_status) : ""));
        json_object_set_new(le, "errno", json_integer(-c->last_errno));
        json_object_set_new(le, "time", smb_time_json(c->last_error_at));
        json_object_set_new(le, "message", json_string(c->last_error));
        json_object_set_new(d, "last_error", le);
}

/* --- timers ---------------------------------------------------------------- */

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void arm_timer(struct smb_conn *c)
{
        uint64_t at = UINT64_MAX;
        struct smb_req *heads[] = { &c->credit_wait, &c->sendq, &c->pending };

        if (c->connecting && c->connect_deadline_us)
                at = c->connect_deadline_us;
        for (size_t i = 0; i < 3; i++)
                for (struct smb_req *r = heads[i]->next; r != heads[i]; r = r->next)
                        if (r->deadline_us < at)
                                at = r->deadline_us;
        if (at == UINT64_MAX) {
                if (c->timer)
                        sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
                c->timer_at = 0;
                return;
        }
        if (!c->timer) {
                if (sd_event_add_time(c->loop, &c->timer, CLOCK_MONOTONIC, at, 1000, on_timer,
                                      c) < 0)
                        return;
        } else {
                sd_event_source_set_time(c->timer, at);
        }
        sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        c->timer_at = at;
}

/* Cheap re-arm when one new deadline is added. */
static void arm_timer_for(struct smb_conn *c, uint64_t at)
{
        if (c->timer_at && c->timer_at <= at)
                return;
        arm_timer(c);
}

/* --- connection teardown -------------------------------------------------- */

static void close_socket(struct smb_conn *c)
{
        c->io = sd_event_source_disable_unref(c->io);
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        c->connecting = false;
        c->connect_deadline_us = 0;
        free(c->rmsg);
        c->rmsg = NULL;
        c->rhdr_got = c->rlen = c->rgot = c->rcap = 0;
        c->rx_lowat = 0;
        c->rx_peek = c->rx_orphan = false;
        c->rx_direct = NULL;
        if (c->ai)
                freeaddrinfo(c->ai);
        c->ai = c->ai_next = NULL;
        c->want_write = false;
        c->drill_hang = false;
}

static void complete_req(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                         size_t len)
{
        smb_req_done_fn done = r->done;
        r->done = NULL;
        if (done)
                done(r, error, status, msg, len);
        smb_req_free(r);
}

/* Every request of the connection, failed with `error`.  The lists are
 * detached first so callbacks may submit new requests meanwhile. */
static void fail_all(struct smb_conn *c, int error)
{
        struct smb_req all;
        struct smb_req *heads[] = { &c->credit_wait, &c->sendq, &c->pending };

        list_init(&all);
        for (size_t i = 0; i < 3; i++)
                while (!list_empty(heads[i])) {
                        struct smb_req *r = heads[i]->next;
                        req_unlink(c, r);
                        list_add_tail(&all, r);
                }
        while (!list_empty(&all)) {
                struct smb_req *r = all.next;
                list_del(r);
                complete_req(r, error, 0, NULL, 0);
        }
        arm_timer(c);
}

void smb_conn_cancel_all(struct smb_conn *c, int error)
{
        fail_all(c, error);
}

static void reset_transport_state(struct smb_conn *c)
{
        c->credits = c->credit_peak = 1;
        c->next_mid = 0;
        c->dialect = 0;
        c->cipher = 0;
        c->max_read = c->max_write = c->max_trans = 0;
        c->max_frame = PRE_NEG_MAX_FRAME;
        memset(c->preauth, 0, sizeof(c->preauth));
}

void smb_conn_drop(struct smb_conn *c, int error, const char *cause)
{
        if (smb_sm_is(&c->sm, SMB_CHAN_EXITING))
                return;
        close_socket(c);
        reset_transport_state(c);
        if (error < 0 && !c->freeing)
                smb_conn_set_error(c, error, c->last_status, cause);
        if (!smb_sm_is(&c->sm, SMB_CHAN_NEED_RECONNECT))
                smb_chan_transition(&c->sm, SMB_CHAN_NEED_RECONNECT, cause);
        if (c->ses)
                smb_session_channel_lost(c->ses, c, cause);
        c->bound = false;
        smb_wipe(c->signing_key, sizeof(c->signing_key));
        /* A server that stopped answering may be one hung process: Samba
         * hands every new connection of a known ClientGuid to the process
         * already serving that client (multichannel), so the reconnect
         * would reach the hung process again.  A new ClientGuid reaches a
         * fresh one (durable handles held by the hung one are lost).  Only
         * once no channel is left: a secondary must bind with the same
         * ClientGuid as the session's other channels. */
        if (error == -ETIMEDOUT && (!c->ses || !smb_session_bound_channels(c->ses)))
                smb_session_new_client_guid(c->ses, c);
        /* The engine schedules the recovery first, so that the requests
         * failed below find it pending and wait for it. */
        if (!c->freeing)
                smb_recover_kick(c->srv, cause);
        fail_all(c, error < 0 ? error : -ECONNABORTED);
        smb_sm_wake(&c->sm, error < 0 ? error : -ECONNABORTED);
}

/* --- sending --------------------------------------------------------------- */

/* Frames are as large as the largest WRITE or READ response (8 MiB
 * against Samba): a fresh allocation of that size is a fresh mapping,
 * faulted in page by page and unmapped again once the frame is done.  One
 * spare buffer per direction and channel is kept for the next big frame
 * instead; small frames come cheaply from the heap. */
#define SPARE_MIN (64u * 1024u)

/* A buffer of at least `len` bytes (its size in *cap), or NULL. */
static uint8_t *spare_take(struct smb_spare *sp, size_t len, size_t *cap)
{
        uint8_t *b;

        if (sp->buf && sp->cap >= len && len >= SPARE_MIN) {
                b = sp->buf;
                *cap = sp->cap;
                *sp = (struct smb_spare){ 0 };
                return b;
        }
        b = malloc(len);
        *cap = b ? len : 0;
        return b;
}

/* Keep the larger of the buffer and the spare; free the other. */
static void spare_release(struct smb_conn *c, struct smb_spare *sp, uint8_t *buf, size_t cap)
{
        if (cap > sp->cap && cap >= SPARE_MIN && !c->freeing) {
                free(sp->buf);
                *sp = (struct smb_spare){ buf, cap };
        } else {
                free(buf);
        }
}

static void frame_buf_release(struct smb_conn *c, struct smb_req *r)
{
        spare_release(c, &c->tx_spare, r->wire, r->wire_cap);
        r->wire = NULL;
        r->wire_cap = 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static void update_io_events(struct smb_conn *c)
{
        uint32_t ev = EPOLLIN;
        if (!c->io)
                return;
        if (c->connecting || c->want_write)
                ev |= EPOLLOUT;
        if (c->drill_hang && !c->connecting)
                ev &= ~(uint32_t)EPOLLIN;       /* a hung server: nothing arrives */
        sd_event_source_set_io_events(c->io, ev);
}

static size_t req_wire_len(const struct smb_req *r)
{
        return r->wire ? r->wire_len : r->len + r->payload_len;
}

/* Write as much of the send queue as the socket takes. */
static int flush_sendq(struct smb_conn *c)
{
        while (!list_empty(&c->sendq)) {
                struct iovec iov[IOV_BATCH];
                int n = 0;
                for (struct smb_req *r = c->sendq.next; r != &c->sendq && n < IOV_BATCH - 1;
                     r = r->next) {
                        size_t off = r->sent;
                        if (r->wire) {
                                iov[n++] = (struct iovec){ r->wire + off, r->wire_len - off };
                                continue;
                        }
                        if (off < r->len) {
                                iov[n++] = (struct iovec){ r->buf + off, r->len - off };
                                off = r->len;
                        }
                        if (r->payload_len)
                                iov[n++] = (struct iovec){
                                        (uint8_t *)r->payload + (off - r->len),
                                        r->payload_len - (off - r->len) };
                }
                struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
                ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK) {
                                c->want_write = true;
                                update_io_events(c);
                                return 0;
                        }
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                c->stats.bytes_out += (uint64_t)w;
                size_t left = (size_t)w;
                while (left && !list_empty(&c->sendq)) {
                        struct smb_req *r = c->sendq.next;
                        size_t rem = req_wire_len(r) - r->sent;
                        if (left < rem) {
                                r->sent += left;
                                left = 0;
                                break;
                        }
                        left -= rem;
                        r->sent += rem;
                        /* The encrypted copy is not needed once on the wire. */
                        frame_buf_release(c, r);
                        list_del(r);
                        list_add_tail(&c->pending, r);
                        r->where = REQ_PENDING;
                }
        }
        if (c->want_write) {
                c->want_write = false;
                update_io_events(c);
        }
        return 0;
}

static bool chan_accepts(const struct smb_conn *c, uint16_t command)
{
        if (c->fd < 0 || c->connecting)
                return false;
        if (command == SMB2_NEGOTIATE)
                return smb_sm_is(&c->sm, SMB_CHAN_IN_NEGOTIATE);
        return smb_sm_is(&c->sm, SMB_CHAN_GOOD);
}

static uint16_t credit_request(struct smb_conn *c, uint16_t charge)
{
        uint32_t have = c->credits;
        uint32_t want = charge ? charge : 1;
        if (have < c->credit_target) {
                uint32_t extra = c->credit_target - have;
                want += extra < CREDIT_STEP ? extra : CREDIT_STEP;
        }
        return want > 65535 ? 65535 : (uint16_t)want;
}

/* MS-SMB2 3.2.4.1.1 / 3.2.5.1.3: SESSION_SETUP requests and the responses
 * that do not end one are signed with Session.SigningKey, everything else
 * with the key of the channel it travels on. */
static const uint8_t *signing_key(const struct smb_conn *c, const struct smb_session *ses,
                                  uint16_t command, bool final)
{
        if (command == SMB2_SESSION_SETUP && !final)
                return ses->keys.signing;
        return c->bound ? c->signing_key : ses->keys.signing;
}

/* How a request travels: encrypted, signed or neither (MS-SMB2 3.2.4.1.1,
 * 3.2.4.1.8).  -EPROTONOSUPPORT: its tree needs encryption we lack. */
static int protection(const struct smb_req *r, bool *encrypt, bool *sign)
{
        const struct smb_session *ses = r->ses;

        *encrypt = *sign = false;
        if (ses && ses->keys_valid) {
                *encrypt = (ses->encrypt || r->encrypt) && r->command != SMB2_NEGOTIATE &&
                           r->command != SMB2_SESSION_SETUP;
                *sign = !*encrypt && (ses->signing || r->sign);
        }
        return r->encrypt && !*encrypt ? -EPROTONOSUPPORT : 0;
}

/* MessageId, credits, session and tree into the header at `hdr` (the
 * request's own, or its copy in a compound frame). */
static void stamp(struct smb_conn *c, struct smb_req *r, uint8_t *hdr, uint32_t add_flags,
                  uint32_t next_command)
{
        uint16_t charge = r->charge ? r->charge : 1;
        uint32_t flags = (uint32_t)hdr[16] | (uint32_t)hdr[17] << 8 |
                         (uint32_t)hdr[18] << 16 | (uint32_t)hdr[19] << 24;

        r->mid = c->next_mid;
        c->next_mid += charge;
        c->credits -= charge;
        smb2_hdr_set_message_id(hdr, r->mid);
        smb2_hdr_set_credits(hdr, c->dialect == SMB2_DIALECT_202 ? 0 : r->charge,
                             credit_request(c, charge));
        if (r->ses)
                smb2_hdr_set_session_id(hdr, r->ses->session_id);
        smb2_hdr_set_tree_id(hdr, r->tree_id);
        smb2_hdr_set_flags(hdr, flags | add_flags);
        smb2_hdr_set_next_command(hdr, next_command);
}

/* Sign the message at `hdr` (len bytes, then payload_len bytes of payload). */
static int sign_msg(struct smb_conn *c, const struct smb_req *r, uint8_t *hdr, size_t len,
                    const void *payload, size_t payload_len)
{
        struct iovec iov[2] = { { hdr, len }, { (void *)payload, payload_len } };
        memset(hdr + SMB2_HDR_SIG_OFF, 0, SMB2_SIG_SIZE);
        return smb_sign(c->sign_alg, signing_key(c, r->ses, r->command, false), iov,
                        payload_len ? 2 : 1, hdr + SMB2_HDR_SIG_OFF);
}

/* r->wire = the transform of msg + payload (MS-SMB2 3.2.4.1.8). */
static int encrypt_frame(struct smb_conn *c, struct smb_req *r, const uint8_t *msg,
                         size_t msg_len, const void *payload, size_t payload_len)
{
        struct smb_session *ses = r->ses;
        size_t total = msg_len + payload_len;
        uint8_t nonce[16];
        int nlen = smb_cipher_nonce_len(c->cipher);
        int ret;

        if (nlen < 0 || total > SMB2_TCP_FRAME_MAX - SMB2_TRANSFORM_HDR_SIZE)
                return -EMSGSIZE;
        r->wire_len = 4 + SMB2_TRANSFORM_HDR_SIZE + total;
        r->wire = spare_take(&c->tx_spare, r->wire_len, &r->wire_cap);
        if (!r->wire)
                return -ENOMEM;
        uint8_t *th = r->wire + 4;
        ret = smb_session_next_nonce(ses, nonce, (size_t)nlen);
        if (ret == 0)
                ret = smb_transform_init(th, nonce, (size_t)nlen, (uint32_t)total,
                                         ses->session_id);
        if (ret == 0)
                ret = smb_encrypt_to(c->cipher, ses->keys.encryption, ses->keys.cipher_key_len,
                                     th, msg, msg_len, payload, payload_len,
                                     th + SMB2_TRANSFORM_HDR_SIZE);
        if (ret < 0) {
                frame_buf_release(c, r);
                return ret;
        }
        struct wire_wr fw = wire_wr_init(r->wire, 4);
        smb2_tcp_frame_encode(&fw, SMB2_TRANSFORM_HDR_SIZE + total);
        return 0;
}

/* Into the table of outstanding requests with its deadline; onto the send
 * queue when it carries bytes of its own (a compound's followers do not). */
static void track(struct smb_conn *c, struct smb_req *r, bool to_sendq)
{
        if (r->command < SMB2_NUM_COMMANDS)
                c->stats.sent[r->command]++;
        r->deadline_us = smb_now_us() + r->timeout_us;
        r->sent = 0;
        list_add_tail(to_sendq ? &c->sendq : &c->pending, r);
        hash_add(c, r);
        r->where = to_sendq ? REQ_SENDQ : REQ_PENDING;
        c->n_pending++;
        arm_timer_for(c, r->deadline_us);
}

/* Assign id and credits, sign or encrypt, queue for the socket. */
static int dispatch(struct smb_conn *c, struct smb_req *r)
{
        uint8_t *hdr = r->buf + 4;
        size_t msg_len = r->len - 4;
        size_t total = msg_len + r->payload_len;
        bool encrypt, sign;
        int ret = protection(r, &encrypt, &sign);

        if (ret < 0)
                return ret;
        if (total > (encrypt ? SMB2_TCP_FRAME_MAX - SMB2_TRANSFORM_HDR_SIZE : SMB2_TCP_FRAME_MAX))
                return -EMSGSIZE;
        stamp(c, r, hdr, sign ? SMB2_FLAGS_SIGNED : 0, 0);
        if (sign) {
                ret = sign_msg(c, r, hdr, msg_len, r->payload, r->payload_len);
                if (ret < 0)
                        return ret;
        }
        if (encrypt) {
                ret = encrypt_frame(c, r, hdr, msg_len, r->payload, r->payload_len);
                if (ret < 0)
                        return ret;
        } else {
                struct wire_wr fw = wire_wr_init(r->buf, 4);
                smb2_tcp_frame_encode(&fw, total);
        }
        track(c, r, true);
        return 0;
}

static size_t pad8(size_t n)
{
        return (n + 7) & ~(size_t)7;
}

/* A related compound led by `lead` (its followers linked by chain_next):
 * every message copied into one frame, the lead carries it. */
static int dispatch_chain(struct smb_conn *c, struct smb_req *lead)
{
        size_t total = 0;
        bool encrypt, sign;
        int ret = protection(lead, &encrypt, &sign);

        if (ret < 0)
                return ret;
        for (struct smb_req *r = lead; r; r = r->chain_next)
                total += r->chain_next ? pad8(r->len - 4) : r->len - 4;
        if (total > SMB2_TCP_FRAME_MAX - SMB2_TRANSFORM_HDR_SIZE)
                return -EMSGSIZE;
        /* the plain compound: in the frame itself, or to be encrypted */
        size_t cap;
        uint8_t *frame = spare_take(&c->tx_spare, 4 + total, &cap);
        if (!frame)
                return -ENOMEM;
        uint8_t *msg = frame + 4;
        size_t off = 0;
        for (struct smb_req *r = lead; r; r = r->chain_next) {
                size_t len = r->len - 4, span = r->chain_next ? pad8(len) : len;
                uint8_t *hdr = msg + off;
                memcpy(hdr, r->buf + 4, len);
                memset(hdr + len, 0, span - len);
                stamp(c, r, hdr, (sign ? SMB2_FLAGS_SIGNED : 0) |
                                 (r != lead ? SMB2_FLAGS_RELATED_OPERATIONS : 0),
                      r->chain_next ? (uint32_t)span : 0);
                /* the padding is signed with the message (3.2.4.1.4) */
                if (sign && (ret = sign_msg(c, r, hdr, span, NULL, 0)) < 0) {
                        spare_release(c, &c->tx_spare, frame, cap);
                        return ret;
                }
                off += span;
        }
        if (encrypt) {
                ret = encrypt_frame(c, lead, msg, total, NULL, 0);
                spare_release(c, &c->tx_spare, frame, cap);
                if (ret < 0)
                        return ret;
        } else {
                struct wire_wr fw = wire_wr_init(frame, 4);
                smb2_tcp_frame_encode(&fw, total);
                lead->wire = frame;
                lead->wire_len = 4 + total;
                lead->wire_cap = cap;
        }
        for (struct smb_req *r = lead; r; r = r->chain_next) {
                if (r->where != REQ_NONE)
                        req_unlink(c, r);       /* from the credit wait list */
                track(c, r, r == lead);
        }
        return 0;
}

static uint32_t chain_charge(const struct smb_req *r)
{
        uint32_t charge = 0;
        for (; r; r = r->chain_next)
                charge += r->charge ? r->charge : 1;
        return charge;
}

/* Move requests from the credit wait list onto the wire while credits last. */
static void pump(struct smb_conn *c)
{
        bool queued = false;

        while (!list_empty(&c->credit_wait)) {
                struct smb_req *r = c->credit_wait.next;
                if (r->chain_follower) {
                        /* its lead is gone: it cannot travel alone */
                        req_unlink(c, r);
                        complete_req(r, -ECANCELED, 0, NULL, 0);
                        continue;
                }
                if (!chan_accepts(c, r->command) || c->credits < chain_charge(r))
                        break;
                if (r->chain_next) {
                        int ret = dispatch_chain(c, r);
                        if (ret < 0) {
                                /* the followers wait right behind it */
                                for (struct smb_req *f = r, *n; f; f = n) {
                                        n = f->chain_next;
                                        req_unlink(c, f);
                                        complete_req(f, ret, 0, NULL, 0);
                                }
                                continue;
                        }
                        queued = true;
                        continue;
                }
                req_unlink(c, r);
                int ret = dispatch(c, r);
                if (ret < 0) {
                        complete_req(r, ret, 0, NULL, 0);
                        continue;
                }
                queued = true;
        }
        if (queued || !list_empty(&c->sendq)) {
                int ret = flush_sendq(c);
                if (ret < 0)
                        smb_conn_drop(c, ret, "send failed");
        }
}

struct smb_req *smb_req_new(struct smb_conn *conn, struct smb_session *ses, uint16_t command,
                            size_t body_cap)
{
        struct smb_req *r = calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        r->cap = 4 + SMB2_HDR_SIZE + body_cap;
        r->buf = calloc(1, r->cap);
        if (!r->buf) {
                free(r);
                return NULL;
        }
        r->conn = conn;
        r->ses = ses;
        r->command = command;
        r->timeout_us = (uint64_t)conn->conf->request_timeout_ms * 1000u;
        struct smb2_hdr h = {
                .command = command,
                .process_id = 0xFEFF,
        };
        struct wire_wr w = wire_wr_init(r->buf + 4, SMB2_HDR_SIZE);
        smb2_hdr_encode(&w, &h);
        r->len = 4 + SMB2_HDR_SIZE;
        return r;
}

struct wire_wr smb_req_body(struct smb_req *r)
{
        return wire_wr_init(r->buf + 4 + SMB2_HDR_SIZE, r->cap - 4 - SMB2_HDR_SIZE);
}

int smb_req_finish(struct smb_req *r, const struct wire_wr *w)
{
        if (w->err)
                return w->err;
        r->len = 4 + SMB2_HDR_SIZE + w->pos;
        return 0;
}

int smb_req_prepare(struct smb_req *r, const struct wire_wr *w, int encoded, size_t charge_len,
                    smb_req_done_fn done, void *userdata)
{
        int ret = encoded < 0 ? encoded : smb_req_finish(r, w);

        if (ret < 0) {
                smb_req_free(r);
                return ret;
        }
        smb_req_set_charge(r, charge_len);
        r->done = done;
        r->userdata = userdata;
        return 0;
}

int smb_req_send(struct smb_req *r, const struct wire_wr *w, int encoded, size_t charge_len,
                 smb_req_done_fn done, void *userdata)
{
        int ret = smb_req_prepare(r, w, encoded, charge_len, done, userdata);
        return ret < 0 ? ret : smb_req_submit(r);
}

size_t smb_conn_io_max(const struct smb_conn *c, bool read)
{
        size_t max = read ? c->max_read : c->max_write;
        if (c->dialect >= SMB2_DIALECT_210 && (c->server_caps & SMB2_GLOBAL_CAP_LARGE_MTU)) {
                size_t paid = (size_t)(c->credit_peak ? c->credit_peak : 1) * 65536u;
                if (paid < max)
                        max = paid;
        }
        return max;
}

struct smb_req *smb_req_new_related(const struct smb_req *lead, uint16_t command,
                                    size_t body_cap)
{
        struct smb_req *r = smb_req_new(lead->conn, lead->ses, command, body_cap);
        if (r) {
                r->tree_id = lead->tree_id;
                r->encrypt = lead->encrypt;
                r->sign = lead->sign;
        }
        return r;
}

void smb_req_set_charge(struct smb_req *r, size_t len)
{
        struct smb_conn *c = r->conn;
        if (c->dialect < SMB2_DIALECT_210 || !(c->server_caps & SMB2_GLOBAL_CAP_LARGE_MTU)) {
                r->charge = c->dialect == SMB2_DIALECT_202 ? 0 : 1;
                return;
        }
        r->charge = (uint16_t)(1 + (len ? (len - 1) / 65536 : 0));
}

void smb_req_free(struct smb_req *r)
{
        if (!r)
                return;
        if (r->where != REQ_NONE)
                req_unlink(r->conn, r);
        free(r->wire);
        free(r->buf);
        free(r);
}

static void free_chain(struct smb_req *r)
{
        for (struct smb_req *n; r; r = n) {
                n = r->chain_next;
                smb_req_free(r);
        }
}

/* A request, or a compound led by it, onto the wire or into the credit wait. */
static int submit_lead(struct smb_req *lead)
{
        struct smb_conn *c = lead->conn;
        uint32_t charge = chain_charge(lead);

        if (smb_sm_is(&c->sm, SMB_CHAN_EXITING)) {
                free_chain(lead);
                return -ESHUTDOWN;
        }
        if (!chan_accepts(c, lead->command)) {
                free_chain(lead);
                return -ENOTCONN;
        }
        if (charge > c->credit_target * 2 && charge > 256) {
                free_chain(lead);
                return -EMSGSIZE;
        }
        /* Keep order: nothing overtakes requests already waiting for credits. */
        if (!list_empty(&c->credit_wait) || c->credits < charge) {
                uint64_t now = smb_now_us();
                c->stats.credit_waits++;
                /* a compound waits as a block, its followers behind its lead */
                for (struct smb_req *r = lead; r; r = r->chain_next) {
                        r->deadline_us = now + r->timeout_us;
                        list_add_tail(&c->credit_wait, r);
                        r->where = REQ_CREDIT_WAIT;
                        c->n_credit_wait++;
                }
                arm_timer_for(c, lead->deadline_us);
                if (c->n_pending == 0 && c->credits < charge) {
                        /* No response can ever bring credits: a dead end.  Let the
                         * deadline timer drop the connection (never complete inline). */
                        lead->deadline_us = now;
                        arm_timer(c);
                }
                return 0;
        }
        int ret = lead->chain_next ? dispatch_chain(c, lead) : dispatch(c, lead);
        if (ret < 0) {
                free_chain(lead);
                return ret;
        }
        ret = flush_sendq(c);
        if (ret < 0) {
                /* Completing inline is not allowed: the socket error shows up
                 * again as EPOLLERR/EPOLLOUT and on_io() drops the connection. */
                c->want_write = true;
                update_io_events(c);
        }
        return 0;
}

int smb_req_submit(struct smb_req *r)
{
        r->chain_next = NULL;
        r->chain_follower = false;
        return submit_lead(r);
}

int smb_req_submit_chain(struct smb_req **reqs, size_t n)
{
        bool ok = n >= 2 && n <= SMB_CHAIN_MAX;

        for (size_t i = 0; ok && i < n; i++)
                ok = reqs[i]->conn == reqs[0]->conn && reqs[i]->ses == reqs[0]->ses &&
                     reqs[i]->tree_id == reqs[0]->tree_id && !reqs[i]->payload_len &&
                     !reqs[i]->rx_buf;
        for (size_t i = 0; i < n; i++) {
                reqs[i]->chain_next = i + 1 < n ? reqs[i + 1] : NULL;
                reqs[i]->chain_follower = i > 0;
        }
        if (!ok) {
                free_chain(reqs[0]);
                return -EINVAL;
        }
        return submit_lead(reqs[0]);
}

/* --- receiving ------------------------------------------------------------- */

static void ack_break(struct smb_conn *c, const uint8_t *msg, size_t len)
{
        struct smb2_break_notify n;
        struct smb_session *ses = c->ses;
        uint32_t tree_id = 0;
        struct smb_req *r;
        struct wire_wr w;

        if (smb2_break_notify_decode(msg, len, &n) < 0 || !ses || !ses->keys_valid)
                return;
        if (n.kind == SMB2_BREAK_OPLOCK) {
                for (struct smb_tcon *t = ses->tcons; t && !tree_id; t = t->next)
                        for (struct gwd_file *f = t->files.next; f != &t->files; f = f->next)
                                if (f->fid.persistent == n.u.oplock.file_id.persistent &&
                                    f->fid.volatile_ == n.u.oplock.file_id.volatile_) {
                                        tree_id = t->tree_id;
                                        break;
                                }
        } else if (!(n.u.lease.flags & SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED)) {
                return;
        }
        r = smb_req_new(c, ses, SMB2_OPLOCK_BREAK, 64);
        if (!r)
                return;
        r->tree_id = tree_id;
        w = smb_req_body(r);
        if (n.kind == SMB2_BREAK_OPLOCK)
                smb2_oplock_break_ack_encode(&w, &n.u.oplock);
        else
                smb2_lease_break_ack_encode(&w, n.u.lease.lease_key, n.u.lease.new_state);
        if (smb_req_finish(r, &w) < 0) {
                smb_req_free(r);
                return;
        }
        for (struct smb_tcon *t = ses->tcons; t; t = t->next)
                if (t->tree_id == tree_id && tree_id)
                        r->encrypt = t->encrypt;
        if (smb_req_submit(r) == 0)
                c->stats.breaks_acked++;
}

/* One SMB2 message (plain, or decrypted).  Returns <0 to drop the connection. */
static int handle_msg(struct smb_conn *c, const uint8_t *msg, size_t len, bool encrypted,
                      uint64_t transform_sid)
{
        struct smb2_hdr h;
        struct smb_req *r;
        int ret = smb2_hdr_decode(msg, len, &h);

        if (ret < 0)
                return ret;
        if (!(h.flags & SMB2_FLAGS_SERVER_TO_REDIR))
                return -EBADMSG;
        if (encrypted && h.session_id != transform_sid)
                return -EBADMSG;
        if (h.message_id == SMB2_MSGID_UNSOLICITED) {
                if (h.command != SMB2_OPLOCK_BREAK)
                        return -EBADMSG;
                ack_break(c, msg, len);
                return 0;
        }
        r = hash_find(c, h.message_id);
        if (!r || r->where != REQ_PENDING || r->command != h.command) {
                /* Not ours (or not completely sent): the stream cannot be trusted. */
                c->stats.dropped_unknown_mid++;
                return -EBADMSG;
        }
        if (c->credits + h.credits > 65535 + (uint32_t)c->credit_target)
                return -EBADMSG;        /* more credits than a sane server grants */
        c->credits += h.credits;
        if (c->credits > c->credit_peak)
                c->credit_peak = c->credits;
        if ((h.flags & SMB2_FLAGS_ASYNC_COMMAND) && h.status == STATUS_PENDING) {
                /* Interim response (3.2.5.1.5): keep waiting, from now on. */
                r->is_async = true;
                r->async_id = h.async_id;
                r->deadline_us = smb_now_us() + r->timeout_us;
                arm_timer(c);
                return 0;
        }
        struct smb_session *ses = r->ses;
        if (!encrypted && ses && ses->keys_valid && !r->no_verify) {
                if (h.flags & SMB2_FLAGS_SIGNED) {
                        /* A READ's data received into its buffer follows
                         * the fixed part: the signature covers both. */
                        struct iovec iov[2] = { { (void *)msg, len },
                                                { r->rx_buf, r->rx_placed } };
                        if (smb_verify(c->sign_alg,
                                       signing_key(c, ses, r->command, h.status == 0), iov,
                                       r->rx_placed ? 2 : 1) < 0) {
                                c->stats.bad_signatures++;
                                if (r->rx_placed)
                                        smb_wipe(r->rx_buf, r->rx_placed);
                                req_unlink(c, r);
                                smb_conn_set_error(c, -EBADMSG, h.status,
                                                   "response with a bad signature");
                                complete_req(r, -EBADMSG, h.status, NULL, 0);
                                return -EBADMSG;
                        }
                } else if (ses->signing || r->sign) {
                        c->stats.bad_signatures++;
                        req_unlink(c, r);
                        smb_conn_set_error(c, -EBADMSG, h.status,
                                           "unsigned response on a signed session");
                        complete_req(r, -EBADMSG, h.status, NULL, 0);
                        return -EBADMSG;
                }
        }
        if (!encrypted && ses && ses->keys_valid && (ses->encrypt || r->encrypt) &&
            r->command != SMB2_SESSION_SETUP) {
                req_unlink(c, r);
                smb_conn_set_error(c, -EBADMSG, h.status, "unencrypted response");
                complete_req(r, -EBADMSG, h.status, NULL, 0);
                return -EBADMSG;
        }
        req_unlink(c, r);
        complete_req(r, 0, h.status, msg, len);
        return 0;
}

/* SMB2 header + the READ response's fixed part: where its data starts. */
#define READ_RSP_HEAD (SMB2_HDR_SIZE + 16u)

/*
 * The pending READ whose buffer the data of this response can be decrypted
 * or received into, or NULL.  `msg` holds the first READ_RSP_HEAD bytes (in
 * clear) of a message of `len` bytes.  Only the simple case qualifies: one
 * response (no compound), success, the data right after the fixed part and
 * running to the end of the message, no more than the request asked for.
 * Anything else (interim or error responses, other commands, odd offsets,
 * trailing bytes) is left to the ordinary path.  None of this is
 * authenticated yet: it only picks a destination; handle_msg() looks again
 * at the same bytes once the tag (or signature) has been checked.
 */
static struct smb_req *read_target(struct smb_conn *c, const uint8_t *msg, size_t len,
                                   bool encrypted, uint64_t sid, size_t *data_len)
{
        struct smb2_read_rsp rsp;
        struct smb2_hdr h;
        struct smb_req *r;

        if (len <= READ_RSP_HEAD || smb2_hdr_decode(msg, READ_RSP_HEAD, &h) < 0 ||
            h.next_command != 0 || h.status != STATUS_SUCCESS || h.command != SMB2_READ ||
            !(h.flags & SMB2_FLAGS_SERVER_TO_REDIR) || (encrypted && h.session_id != sid) ||
            h.message_id == SMB2_MSGID_UNSOLICITED)
                return NULL;
        r = hash_find(c, h.message_id);
        if (!r || r->where != REQ_PENDING || r->command != SMB2_READ || !r->rx_buf)
                return NULL;
        if (smb2_read_rsp_decode_fixed(msg, READ_RSP_HEAD, &rsp) < 0 ||
            rsp.data_offset != READ_RSP_HEAD || rsp.data_len != len - READ_RSP_HEAD ||
            rsp.data_len > r->rx_cap)
                return NULL;
        *data_len = rsp.data_len;
        return r;
}

/*
 * Decrypt and authenticate the message of a transformed frame (`th`: the
 * transform header, `body`: `len` bytes after it).  With GCM the SMB2
 * header and a READ response's fixed part are decrypted first, in place;
 * when they answer a pending READ (read_target) the data is decrypted
 * straight into that request's buffer, instead of in place and then copied
 * there by the completion.  *placed is then the request, its
 * rx_placed set, and only the first READ_RSP_HEAD bytes of `body` hold the
 * message.  A bad tag wipes everything decrypted (in place and at the
 * destination) and fails with -EBADMSG.  CCM decrypts in place in one go.
 */
static int decrypt_frame(struct smb_conn *c, struct smb_session *ses, const uint8_t *th,
                         uint8_t *body, size_t len, uint64_t sid, struct smb_req **placed)
{
        const uint8_t *key = ses->keys.decryption;
        size_t key_len = ses->keys.cipher_key_len;
        size_t head = len < READ_RSP_HEAD ? len : READ_RSP_HEAD, data_len = 0;
        struct smb_req *r = NULL;
        int ret = -EOPNOTSUPP;

        *placed = NULL;
        /* Without a decryptor (out of memory) decrypt as CCM does. */
        if (c->dec || smb_decryptor_new(&c->dec) == 0)
                ret = smb_decrypt_begin(c->dec, c->cipher, key, key_len, th, len);
        if (ret == -EOPNOTSUPP)
                return smb_decrypt(c->cipher, key, key_len, th, body, len);
        if (ret < 0)
                return ret;
        ret = smb_decrypt_update(c->dec, body, head, body);
        if (ret == 0)
                r = read_target(c, body, len, true, sid, &data_len);
        if (ret == 0)
                ret = smb_decrypt_update(c->dec, body + head, len - head,
                                         r ? r->rx_buf : body + head);
        if (ret == 0)
                ret = smb_decrypt_final(c->dec);        /* wipes on failure */
        else
                smb_decrypt_abort(c->dec);
        if (ret < 0)
                return ret;
        if (r) {
                r->rx_placed = data_len;
                *placed = r;
        }
        return 0;
}

static int handle_frame(struct smb_conn *c, uint8_t *buf, size_t len)
{
        const uint8_t *plain = buf;
        size_t plain_len = len;
        bool encrypted = false;
        uint64_t sid = 0;
        int kind = smb2_msg_classify(buf, len);

        if (kind == SMB2_MSG_TRANSFORM) {
                struct smb2_transform_hdr th;
                const uint8_t *payload;
                struct smb_session *ses = c->ses;
                struct smb_req *placed;
                int ret = smb2_transform_hdr_decode(buf, len, &th, &payload);
                if (ret < 0)
                        return ret;
                if (!ses || !ses->keys_valid || th.session_id != ses->session_id ||
                    !c->cipher || !ses->keys.cipher_key_len)
                        return -EBADMSG;
                plain_len = len - SMB2_TRANSFORM_HDR_SIZE;
                ret = decrypt_frame(c, ses, buf, buf + SMB2_TRANSFORM_HDR_SIZE, plain_len,
                                    th.session_id, &placed);
                if (ret < 0) {
                        c->stats.bad_signatures++;
                        return ret;
                }
                /* A READ's data went to its buffer: the message handled
                 * below is the header and the fixed part. */
                if (placed)
                        plain_len = READ_RSP_HEAD;
                plain = buf + SMB2_TRANSFORM_HDR_SIZE;
                encrypted = true;
                sid = th.session_id;
        } else if (kind != SMB2_MSG_PLAIN) {
                return kind < 0 ? kind : -EBADMSG;
        }
        struct smb2_compound_iter it;
        const uint8_t *m;
        size_t mlen;
        int ret;
        smb2_compound_init(&it, plain, plain_len);
        while ((ret = smb2_compound_next(&it, &m, &mlen)) == 1) {
                ret = handle_msg(c, m, mlen, encrypted, sid);
                if (ret < 0)
                        return ret;
                if (c->fd < 0)
                        return 0;       /* a callback dropped the connection */
        }
        return ret;
}

/*
 * The pending READ whose plain response (its first READ_RSP_HEAD bytes in
 * `head`, `len` bytes in all) can be received straight into the request's
 * buffer: what read_target() accepts, and only where handle_msg() is going
 * to accept the response unencrypted.  A signed response qualifies: its
 * signature is checked over the head and the buffer before completion.
 */
static struct smb_req *plain_target(struct smb_conn *c, const uint8_t *head, size_t len)
{
        struct smb_session *ses;
        struct smb2_hdr h;
        struct smb_req *r;
        size_t data_len;

        if (smb2_msg_classify(head, READ_RSP_HEAD) != SMB2_MSG_PLAIN ||
            smb2_hdr_decode(head, READ_RSP_HEAD, &h) < 0)
                return NULL;
        r = read_target(c, head, len, false, 0, &data_len);
        if (!r)
                return NULL;
        ses = r->ses;
        if (ses && ses->keys_valid && (ses->encrypt || r->encrypt))
                return NULL;    /* refused unencrypted: never into the buffer */
        if (ses && ses->keys_valid && !r->no_verify && (ses->signing || r->sign) &&
            !(h.flags & SMB2_FLAGS_SIGNED))
                return NULL;    /* refused unsigned */
        return r;
}

/*
 * While a big frame arrives, have the socket report readable only once a
 * good part of the rest is there (SO_RCVLOWAT): fewer wakeups and recv()
 * calls, each moving more bytes.  Never more than what is still missing
 * of the frame, so its end always wakes us; back to 1 between frames.
 * Non-blocking recv() returns what there is regardless.
 */
#define RX_LOWAT_MAX (1u << 20)
/* Below this a frame is received whole and its READ data copied. */
#define RX_DIRECT_MIN (64u * 1024u)

static void rx_lowat(struct smb_conn *c, size_t missing)
{
        int v = missing > RX_LOWAT_MAX ? (int)RX_LOWAT_MAX : missing ? (int)missing : 1;

        if (v == (c->rx_lowat ? c->rx_lowat : 1))
                return;
        /* Failing only costs wakeups: carry on with the old value. */
        if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)) == 0)
                c->rx_lowat = v;
}

static int do_read(struct smb_conn *c)
{
        size_t budget = RX_BUDGET;

        while (budget && c->fd >= 0) {
                ssize_t n;
                if (!c->rmsg) {
                        n = recv(c->fd, c->rhdr + c->rhdr_got, 4 - c->rhdr_got, MSG_DONTWAIT);
                        if (n > 0) {
                                c->rhdr_got += (size_t)n;
                                if (c->rhdr_got < 4)
                                        continue;
                                size_t mlen;
                                int ret = smb2_tcp_frame_decode(c->rhdr, c->max_frame, &mlen);
                                if (ret < 0)
                                        return ret;
                                c->rmsg = spare_take(&c->rx_spare, mlen, &c->rcap);
                                if (!c->rmsg)
                                        return -ENOMEM;
                                c->rlen = mlen;
                                c->rgot = 0;
                                /* A big one may be a READ response whose data
                                 * can go straight to its buffer: its head
                                 * first, to see. */
                                c->rx_peek = mlen >= RX_DIRECT_MIN;
                                if (mlen >= RX_LOWAT_MAX)
                                        rx_lowat(c, mlen);
                                continue;
                        }
                } else {
                        uint8_t *dst = c->rmsg + c->rgot;
                        size_t want = c->rlen - c->rgot;
                        if (c->rx_peek)
                                want = READ_RSP_HEAD - c->rgot;
                        else if (c->rx_direct)  /* data: rgot >= READ_RSP_HEAD */
                                dst = c->rx_direct->rx_buf + (c->rgot - READ_RSP_HEAD);
                        n = recv(c->fd, dst, want, MSG_DONTWAIT);
                        if (n > 0) {
                                c->rgot += (size_t)n;
                                budget = (size_t)n > budget ? 0 : budget - (size_t)n;
                                if (c->rx_peek && c->rgot == READ_RSP_HEAD) {
                                        c->rx_peek = false;
                                        c->rx_direct = plain_target(c, c->rmsg, c->rlen);
                                }
                                if (c->rgot < c->rlen) {
                                        if ((size_t)c->rx_lowat > c->rlen - c->rgot)
                                                rx_lowat(c, c->rlen - c->rgot);
                                        continue;
                                }
                                if (c->rx_lowat > 1)
                                        rx_lowat(c, 1);
                                uint8_t *buf = c->rmsg;
                                size_t len = c->rlen, cap = c->rcap, msg_len = len;
                                /* Its data is in the request's buffer (or,
                                 * orphaned, partly lost): the message handled
                                 * is the head. */
                                if (c->rx_direct) {
                                        c->rx_direct->rx_placed = len - READ_RSP_HEAD;
                                        msg_len = READ_RSP_HEAD;
                                } else if (c->rx_orphan) {
                                        msg_len = READ_RSP_HEAD;
                                }
                                c->rx_direct = NULL;
                                c->rx_orphan = false;
                                c->rmsg = NULL;
                                c->rhdr_got = c->rlen = c->rgot = c->rcap = 0;
                                c->stats.bytes_in += len + 4;
                                c->last_rx_us = smb_now_us();
                                int ret = handle_frame(c, buf, msg_len);
                                spare_release(c, &c->rx_spare, buf, cap);
                                if (ret < 0)
                                        return ret;
                                continue;
                        }
                }
                if (n == 0) {
                        c->rx_eof = true;
                        return -ECONNRESET;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return 0;
                if (errno == EINTR)
                        continue;
                return -errno;
        }
        return 0;
}

/* --- connecting ------------------------------------------------------------ */

static void after_connect(struct smb_conn *c);

static int try_next_address(struct smb_conn *c)
{
        int last = -EHOSTUNREACH;

        while (c->ai_next) {
                struct addrinfo *ai = c->ai_next;
                c->ai_next = ai->ai_next;
                int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                ai->ai_protocol);
                if (fd < 0) {
                        last = -errno;
                        continue;
                }
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                char host[INET6_ADDRSTRLEN] = "?";
                if (ai->ai_family == AF_INET)
                        inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, host,
                                  sizeof(host));
                else if (ai->ai_family == AF_INET6)
                        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
                                  host, sizeof(host));
                snprintf(c->peer, sizeof(c->peer), ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
                         host, c->conf->port);
                if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
                        last = -errno;
                        close(fd);
                        continue;
                }
                c->fd = fd;
                int r = sd_event_add_io(c->loop, &c->io, fd, EPOLLIN | EPOLLOUT, on_io, c);
                if (r < 0) {
                        close(fd);
                        c->fd = -1;
                        return r;
                }
                c->connecting = true;
                return 0;
        }
        return last;
}

static int resolve(struct smb_conn *c)
{
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC };
        char port[8];
        const char *host = c->conf->host;
        int r;

        snprintf(port, sizeof(port), "%u", c->conf->port);
        if (strcmp(host, "localhost") == 0) {
                host = "127.0.0.1";
                hints.ai_flags = AI_NUMERICHOST;
        } else {
                struct in6_addr a6;
                struct in_addr a4;
                if (inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1)
                        hints.ai_flags = AI_NUMERICHOST;
        }
        hints.ai_flags |= AI_NUMERICSERV;
        r = getaddrinfo(host, port, &hints, &c->ai);
        if (r != 0)
                return r == EAI_SYSTEM ? -errno : -ENXIO;       /* name does not resolve */
        c->ai_next = c->ai;
        return 0;
}

static int connect_start(struct smb_conn *c)
{
        int r;

        close_socket(c);
        reset_transport_state(c);
        r = resolve(c);
        if (r == 0)
                r = try_next_address(c);
        if (r < 0) {
                close_socket(c);
                return r;
        }
        c->connect_deadline_us = smb_now_us() + (uint64_t)c->conf->connect_timeout_ms * 1000u;
        arm_timer(c);
        return 0;
}

static void connect_failed(struct smb_conn *c, int error, const char *what)
{
        char cause[200];
        snprintf(cause, sizeof(cause), "%s %s:%u: %s", what, c->conf->host, c->conf->port,
                 strerror(-error));
        close_socket(c);
        smb_conn_set_error(c, error, 0, cause);
        if (smb_sm_is(&c->sm, SMB_CHAN_NEW))
                smb_chan_transition(&c->sm, SMB_CHAN_NEED_RECONNECT, cause);
        arm_timer(c);
        smb_sm_wake(&c->sm, error);
}

static void on_connected(struct smb_conn *c)
{
        int err = 0;
        socklen_t l = sizeof(err);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
                err = errno;
        if (err) {
                /* Try the next address, if any. */
                sd_event_source_disable_unref(c->io);
                c->io = NULL;
                close(c->fd);
                c->fd = -1;
                int r = c->ai_next ? try_next_address(c) : -err;
                if (r < 0)
                        connect_failed(c, r, "cannot connect to");
                return;
        }
        c->connecting = false;
        c->connect_deadline_us = 0;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        c->local_port = 0;
        if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
                c->local_port = ntohs(ss.ss_family == AF_INET6
                                              ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                              : ((struct sockaddr_in *)&ss)->sin_port);
        freeaddrinfo(c->ai);
        c->ai = c->ai_next = NULL;
        update_io_events(c);
        arm_timer(c);
        after_connect(c);
}

static void after_connect(struct smb_conn *c)
{
        char cause[160];
        int r;

        c->generation++;
        if (c->generation > 1)
                c->reconnects++;
        c->last_rx_us = smb_now_us();
        snprintf(cause, sizeof(cause), "TCP connected to %s", c->peer);
        smb_chan_transition(&c->sm, SMB_CHAN_NEED_NEGOTIATE, cause);
        r = smb_sm_claim(&c->sm, SMB_CHAN_IN_NEGOTIATE, "NEGOTIATE sent");
        if (r < 0)
                return;
        r = smb_negotiate_start(c);
        if (r < 0)
                smb_conn_drop(c, r, "cannot send NEGOTIATE");
}

int smb_conn_ensure(struct smb_conn *c, struct smb_waiter *w)
{
        int r;

        switch (c->sm.state) {
        case SMB_CHAN_GOOD:
                return 0;
        case SMB_CHAN_EXITING:
                return -ESHUTDOWN;
        case SMB_CHAN_IN_NEGOTIATE:
                smb_sm_wait(&c->sm, w);
                return -EINPROGRESS;
        case SMB_CHAN_NEED_NEGOTIATE:
                r = smb_sm_claim(&c->sm, SMB_CHAN_IN_NEGOTIATE, "NEGOTIATE sent");
                if (r < 0)
                        return r;
                smb_sm_wait(&c->sm, w);
                r = smb_negotiate_start(c);
                if (r < 0) {
                        smb_sm_unwait(w);
                        smb_conn_drop(c, r, "cannot send NEGOTIATE");
                        return r;
                }
                return -EINPROGRESS;
        default:        /* new, need_reconnect */
                if (!c->connecting) {
                        r = connect_start(c);
                        if (r < 0) {
                                char cause[200];
                                if (r == -ENXIO)
                                        snprintf(cause, sizeof(cause),
                                                 "cannot resolve host name \"%s\"",
                                                 c->conf->host);
                                else
                                        snprintf(cause, sizeof(cause),
                                                 "cannot connect to %s:%u: %s", c->conf->host,
                                                 c->conf->port, strerror(-r));
                                smb_conn_set_error(c, r, 0, cause);
                                if (smb_sm_is(&c->sm, SMB_CHAN_NEW))
                                        smb_chan_transition(&c->sm, SMB_CHAN_NEED_RECONNECT,
                                                            cause);
                                return r;
                        }
                }
                smb_sm_wait(&c->sm, w);
                return -EINPROGRESS;
        }
}

/* --- event callbacks --------------------------------------------------------- */

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct smb_conn *c = userdata;
        int r;

        if (c->connecting) {
                if (revents & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                        on_connected(c);
                return 0;
        }
        if (revents & EPOLLOUT) {
                r = flush_sendq(c);
                if (r < 0) {
                        smb_conn_drop(c, r, "send failed");
                        return 0;
                }
        }
        if ((revents & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !c->drill_hang) {
                r = do_read(c);
                if (r < 0) {
                        char cause[160];
                        /* An orderly close (end of stream) is reported as
                         * such, though it counts as a reset for the backoff. */
                        if (r == -ECONNRESET && c->rx_eof)
                                snprintf(cause, sizeof(cause),
                                         "connection closed by the server (end of stream)");
                        else
                                snprintf(cause, sizeof(cause), "%s: %s",
                                         r == -ECONNRESET ? "connection reset by the server"
                                         : r == -EBADMSG || r == -EPROTO || r == -EMSGSIZE
                                                 ? "malformed traffic from the server"
                                                 : "receive failed",
                                         strerror(-r));
                        c->rx_eof = false;
                        smb_conn_drop(c, r, cause);
                        return 0;
                }
        }
        if (c->fd >= 0)
                pump(c);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct smb_conn *c = userdata;
        uint64_t now = smb_now_us();
        struct smb_req *heads[] = { &c->credit_wait, &c->sendq, &c->pending };

        c->timer_at = 0;
        if (c->connecting && c->connect_deadline_us && c->connect_deadline_us <= now) {
                connect_failed(c, -ETIMEDOUT, "timed out connecting to");
                return 0;
        }
        for (size_t i = 0; i < 3; i++)
                for (struct smb_req *r = heads[i]->next; r != heads[i]; r = r->next)
                        if (r->deadline_us <= now) {
                                char cause[160];
                                c->stats.timeouts++;
                                snprintf(cause, sizeof(cause),
                                         "request (command %u, message id %llu) timed out "
                                         "after %llu ms",
                                         r->command, (unsigned long long)r->mid,
                                         (unsigned long long)(r->timeout_us / 1000));
                                /* A server that does not answer one request within its
                                 * deadline is treated as dead: the message id cannot
                                 * be reused and later answers cannot be trusted. */
                                smb_conn_drop(c, -ETIMEDOUT, cause);
                                return 0;
                        }
        arm_timer(c);
        return 0;
}

static void echo_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                      size_t len)
{
        r->conn->echo_outstanding = false;
        /* Receiving anything refreshed last_rx_us; a lost echo times out
         * (its deadline drops the channel). */
}

/*
 * Keepalive and dead-server detection.  The timer ticks every interval.
 * After one interval without anything received an ECHO goes out with a
 * deadline of one interval, so a silent server is declared dead within
 * three intervals (docs/smb.md, "Detection").  A server that answers the
 * echo but not a request still trips that request's own deadline.
 */
static void send_echo(struct smb_conn *c, uint64_t timeout_us)
{
        if (!smb_sm_is(&c->sm, SMB_CHAN_GOOD) || c->echo_outstanding)
                return;
        /* Under the session only where it is bound (a channel waiting to
         * bind does not know it yet). */
        struct smb_req *r = smb_req_new(c, c->ses && c->ses->keys_valid && c->bound ? c->ses
                                                                                  : NULL,
                                        SMB2_ECHO, 8);
        if (!r)
                return;
        struct wire_wr w = smb_req_body(r);
        smb2_echo_req_encode(&w);
        if (smb_req_finish(r, &w) < 0) {
                smb_req_free(r);
                return;
        }
        r->done = echo_done;
        r->timeout_us = timeout_us;
        if (smb_req_submit(r) == 0)
                c->echo_outstanding = true;
}

void smb_conn_probe(struct smb_conn *c)
{
        uint64_t t = (uint64_t)c->conf->connect_timeout_ms * 1000u;
        uint64_t e = (uint64_t)c->conf->echo_interval_s * 1000000u;
        send_echo(c, e && e < t ? e : t);
}

static int on_echo(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct smb_conn *c = userdata;
        uint64_t interval = (uint64_t)c->conf->echo_interval_s * 1000000u;
        uint64_t now = smb_now_us();

        sd_event_source_set_time(s, now + interval);
        sd_event_source_set_enabled(s, SD_EVENT_ON);
        if (now - c->last_rx_us + 50000u < interval)
                return 0;
        send_echo(c, interval);
        return 0;
}

/* --- lifecycle --------------------------------------------------------------- */

int smb_conn_new(const struct gwd_api *api, struct gwd_ctx *ctx,
                 const struct smb_server_conf *conf, const char *id, struct smb_conn **ret)
{
        struct smb_conn *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->api = api;
        c->ctx = ctx;
        c->loop = api->event(ctx);
        c->conf = conf;
        c->fd = -1;
        c->id = strdup(id);
        c->hash_size = HASH_SIZE;
        c->hash = calloc(HASH_SIZE, sizeof(*c->hash));
        if (!c->id || !c->hash) {
                free(c->id);
                free(c->hash);
                free(c);
                return -ENOMEM;
        }
        list_init(&c->credit_wait);
        list_init(&c->sendq);
        list_init(&c->pending);
        c->credit_target = DEFAULT_CREDIT_TARGET;
        reset_transport_state(c);
        r = smb_random(c->client_guid, sizeof(c->client_guid));
        smb_sm_init(&c->sm, &smb_chan_table, api, ctx, c->id);
        if (r == 0 && conf->echo_interval_s)
                r = sd_event_add_time_relative(c->loop, &c->echo_timer, CLOCK_MONOTONIC,
                                               (uint64_t)conf->echo_interval_s * 1000000u,
                                               100000u, on_echo, c);
        if (r < 0) {
                sd_event_source_disable_unref(c->echo_timer);
                free(c->id);
                free(c->hash);
                free(c);
                return r;
        }
        *ret = c;
        return 0;
}

void smb_conn_free(struct smb_conn *c)
{
        if (!c)
                return;
        c->freeing = true;
        close_socket(c);
        if (!smb_sm_is(&c->sm, SMB_CHAN_EXITING))
                smb_chan_transition(&c->sm, SMB_CHAN_EXITING, "channel closed");
        fail_all(c, -ECANCELED);
        smb_sm_wake(&c->sm, -ECANCELED);
        c->timer = sd_event_source_disable_unref(c->timer);
        c->echo_timer = sd_event_source_disable_unref(c->echo_timer);
        smb_sm_unpublish(&c->sm);
        free(c->hash);
        free(c->id);
        free(c->tx_spare.buf);
        free(c->rx_spare.buf);
        smb_decryptor_free(c->dec);
        free(c);
}
