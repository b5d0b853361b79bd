/* SPDX-License-Identifier: MIT */
/*
 * One SMB2/3 channel: a non-blocking TCP connection on the daemon's
 * sd-event loop with Direct-TCP framing (MS-SMB2 2.1), message ids, credit
 * accounting (3.2.4.1.5, 3.2.5.1.4), a table of outstanding requests keyed
 * by MessageId with one deadline per request, interim STATUS_PENDING
 * responses, oplock/lease break acknowledgments, signing of requests and
 * verification of signed responses, and the SMB3 transform (encryption).
 *
 * Requests are built with smb_req_new(), filled by a codec writing at
 * smb_req_body(), and handed over with smb_req_submit().  Completion
 * (req->done) runs exactly once from a later loop callback, with either a
 * response (error == 0, status/msg/len set) or a transport error (-ETIMEDOUT,
 * -ECONNABORTED, -EBADMSG, -ECANCELED, ...).  The request is freed after
 * done() returns.
 */
#ifndef GWD_SMB_CONN_H
#define GWD_SMB_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <systemd/sd-event.h>

#include "gatewayd/plugin.h"
#include "plugins/smb/crypto.h"
#include "plugins/smb/smb2_header.h"
#include "plugins/smb/smb_recover.h"
#include "plugins/smb/smb_state.h"

struct smb_conn;
struct smb_server;
struct smb_session;
struct smb_req;

enum smb_signing_policy {
        SMB_SIGNING_OFF = 0,            /* only when the server requires it */
        SMB_SIGNING_IF_OFFERED = 1,     /* whenever the server supports it */
        SMB_SIGNING_REQUIRED = 2,       /* ask for it, refuse unsigned responses */
};

enum smb_encryption_policy {
        SMB_ENCRYPTION_OFF = 0,         /* never (shares requiring it fail) */
        SMB_ENCRYPTION_IF_REQUIRED = 1, /* when the session or share requires it */
        SMB_ENCRYPTION_ALWAYS = 2,      /* every session encrypted, or fail */
};

#define SMB_MAX_CIPHERS 4

/* What one configured server says; strings owned by the struct. */
struct smb_server_conf {
        char *name;                     /* config name, part of object ids */
        char *host;
        uint16_t port;
        char *user, *domain, *password; /* password wiped on free */
        char *workstation;
        uint16_t dialect_min, dialect_max;
        enum smb_signing_policy signing;
        enum smb_encryption_policy encryption;
        uint16_t ciphers[SMB_MAX_CIPHERS];      /* preference order */
        unsigned n_ciphers;
        uint32_t connect_timeout_ms;
        uint32_t request_timeout_ms;
        uint32_t echo_interval_s;       /* idle time before an ECHO; 0: never */
        struct smb_backoff backoff;     /* reconnect schedule (smb_recover.h) */
        bool allow_guest;               /* accept a guest logon */
        bool durable_handles;           /* ask for durable v2 opens (smb_handle.h) */
        uint32_t max_io;                /* cap on MaxRead/MaxWrite, 0 = server's */
        unsigned io_depth;              /* requests in flight per transfer */
        unsigned channels;              /* connections per session (multichannel), 1..16 */
};

void smb_server_conf_defaults(struct smb_server_conf *c);
void smb_server_conf_clear(struct smb_server_conf *c);
/* "2.0.2" -> 0x0202 etc.; 0 when unknown. */
uint16_t smb_dialect_parse(const char *s);
const char *smb_dialect_name(uint16_t dialect);
/* "AES-128-GCM" -> SMB2_ENCRYPTION_AES128_GCM; 0 when unknown. */
uint16_t smb_cipher_parse(const char *s);
const char *smb_cipher_name(uint16_t cipher);
const char *smb_sign_alg_name(uint16_t alg);

typedef void (*smb_req_done_fn)(struct smb_req *req, int error, uint32_t status,
                                const uint8_t *msg, size_t len);

struct smb_req {
        struct smb_conn *conn;
        struct smb_session *ses;        /* NULL: no session (NEGOTIATE) */
        uint32_t tree_id;
        bool encrypt;                   /* share requires encryption */
        bool sign;                      /* force signing (3.1.1 TREE_CONNECT) */
        bool no_verify;                 /* SESSION_SETUP: verified by the session */
        uint16_t command;
        uint16_t charge;                /* CreditCharge */
        uint8_t *buf;                   /* 4 framing + 64 header + body */
        size_t len, cap;
        const void *payload;            /* WRITE data, sent after buf, not copied */
        size_t payload_len;
        /* READ: where the data goes (rx_cap bytes at rx_buf, valid until
         * done() runs).  The transport may receive (plain) or decrypt
         * (encrypted) the data of the response straight there: done()
         * then gets only the header and the response's fixed part in msg,
         * with rx_placed = DataLength (the bytes now at rx_buf); 0
         * otherwise. */
        uint8_t *rx_buf;
        size_t rx_cap;
        size_t rx_placed;
        uint64_t mid;
        uint64_t async_id;
        bool is_async;
        uint64_t timeout_us;
        uint64_t deadline_us;           /* CLOCK_MONOTONIC */
        smb_req_done_fn done;
        void *userdata;
        uint64_t arg0, arg1;            /* free for the owner (chunk offset/length) */
        /* transport bookkeeping */
        int where;                      /* enum in smb_conn.c */
        struct smb_req *next, *prev;    /* credit wait / send queue / pending list */
        struct smb_req *hnext;          /* pending hash chain */
        uint8_t *wire;                  /* encrypted frame, when encrypting; a compound's frame */
        size_t wire_len, wire_cap;
        size_t sent;                    /* bytes of this request already written */
        struct smb_req *chain_next;     /* compound: the next request of the same frame */
        bool chain_follower;            /* compound: travels in an earlier request's frame */
};

/* Per-connection counters shown in the registry. */
struct smb_conn_stats {
        uint64_t sent[SMB2_NUM_COMMANDS];
        uint64_t bytes_out, bytes_in;
        uint64_t dropped_unknown_mid;
        uint64_t bad_signatures;
        uint64_t breaks_acked;
        uint64_t timeouts;
        uint64_t credit_waits;          /* requests (or compounds) that waited for credits */
};

/* One big frame buffer kept for the next big frame (smb_conn.c). */
struct smb_spare {
        uint8_t *buf;
        size_t cap;
};

struct smb_conn {
        const struct gwd_api *api;
        struct gwd_ctx *ctx;
        sd_event *loop;
        const struct smb_server_conf *conf;
        struct smb_sm sm;               /* channel state */
        char *id;                       /* registry id */
        struct smb_session *ses;        /* the session on this channel */
        unsigned index;                 /* in the session's channel list */
        /* Bound to the session (3.x: Channel.SigningKey below is valid):
         * only bound channels carry requests other than SESSION_SETUP. */
        bool bound;
        uint8_t signing_key[16];        /* Channel.SigningKey */

        int fd;
        sd_event_source *io;
        sd_event_source *timer;         /* earliest deadline */
        sd_event_source *echo_timer;
        uint64_t timer_at;
        bool connecting;
        uint64_t connect_deadline_us;
        struct addrinfo *ai, *ai_next;  /* addresses still to try */
        char peer[80];
        uint16_t local_port;            /* our side of the connection */

        /* receive */
        uint8_t rhdr[4];
        size_t rhdr_got;
        uint8_t *rmsg;
        size_t rlen, rgot;
        size_t rcap;                    /* of rmsg (a reused buffer may be larger) */
        int rx_lowat;                   /* SO_RCVLOWAT set on fd (0: default, 1) */
        bool rx_peek;                   /* big frame: its head first, then decide */
        /* The pending READ whose (plain) response is arriving straight into
         * its rx_buf: rmsg holds the head, the data goes there. */
        struct smb_req *rx_direct;
        bool rx_orphan;                 /* rx_direct's request went away meanwhile */
        size_t max_frame;
        uint64_t last_rx_us;

        /* send */
        struct smb_req credit_wait;     /* list heads (sentinels) */
        struct smb_req sendq;
        struct smb_req pending;
        struct smb_req **hash;          /* pending by MessageId */
        unsigned hash_size;
        unsigned n_pending, n_credit_wait;
        bool want_write;

        /* credits and ids */
        uint64_t next_mid;
        uint32_t credits;               /* granted, not yet used */
        uint32_t credit_peak;           /* the most held at once: what the server grants */
        uint32_t credit_target;

        /* negotiated */
        uint16_t dialect;
        uint16_t server_sec_mode;
        uint32_t server_caps;
        uint32_t max_read, max_write, max_trans;
        uint16_t cipher;                /* 0: none */
        uint16_t sign_alg;
        uint8_t client_guid[16];
        uint8_t server_guid[16];
        uint8_t preauth[SMB_PREAUTH_HASH_LEN];

        struct smb_spare tx_spare;      /* a sent encrypted frame's buffer, for reuse */
        struct smb_spare rx_spare;      /* a handled received frame's buffer, for reuse */
        struct smb_decryptor *dec;      /* GCM, kept from frame to frame */

        /* reconnect bookkeeping (the engine is in issue 4) */
        uint64_t generation;            /* +1 per successful TCP connect */
        uint64_t reconnects;
        int last_errno;
        uint32_t last_status;
        char last_error[160];
        uint64_t last_error_at;         /* CLOCK_REALTIME us, 0: never */

        struct smb_conn_stats stats;
        bool freeing;
        bool drill_hang;                /* drill: stop reading the socket */
        bool rx_eof;                    /* the last read saw end of stream */
        bool echo_outstanding;
        /* Owner: told (smb_recover_kick) when the channel is lost, after
         * every object is marked and before any request is failed. */
        struct smb_server *srv;
};

/* Allocate (state `new`) and publish in the registry under `id`. */
int smb_conn_new(const struct gwd_api *api, struct gwd_ctx *ctx,
                 const struct smb_server_conf *conf, const char *id, struct smb_conn **ret);
/* Exiting: every request fails with -ECANCELED, the object is unpublished.
 * The session must have been freed first. */
void smb_conn_free(struct smb_conn *conn);

/*
 * Make the channel good: connect and/or NEGOTIATE as needed.  0 when it is
 * good now, -EINPROGRESS when `w` was queued (w->fn runs later with the
 * result), another negative errno when that cannot start.
 */
int smb_conn_ensure(struct smb_conn *conn, struct smb_waiter *w);

/* Drop the socket: need_reconnect, every request completed with `error`,
 * the session and its tcons marked for reconnect. */
void smb_conn_drop(struct smb_conn *conn, int error, const char *cause);

/* Send an ECHO now (unless one is out): its answer refreshes last_rx_us,
 * its deadline (connect timeout, at most one echo interval) drops a dead
 * channel. */
void smb_conn_probe(struct smb_conn *conn);

/* Complete every queued/outstanding request with `error` (shutdown: do
 * this first, while the objects the callbacks touch still exist). */
void smb_conn_cancel_all(struct smb_conn *conn, int error);

/* Requests. */
struct smb_req *smb_req_new(struct smb_conn *conn, struct smb_session *ses, uint16_t command,
                            size_t body_cap);
/* A writer positioned at the body (after the 64-byte header). */
struct wire_wr smb_req_body(struct smb_req *req);
/* Record how far the body writer got (call after encoding). */
int smb_req_finish(struct smb_req *req, const struct wire_wr *w);
/* Credits this request needs for a response of `resp_len` bytes. */
void smb_req_set_charge(struct smb_req *req, size_t payload_or_resp_len);
/* 0: done() will run later; <0: not queued, req freed, done() never runs. */
int smb_req_submit(struct smb_req *req);
/* The usual tail: finish the body written by `w` (unless the encoder
 * already failed with `encoded` < 0), charge credits for `charge_len`,
 * set done/userdata and submit.  Same contract as smb_req_submit: on
 * failure req is freed and done() never runs. */
int smb_req_send(struct smb_req *req, const struct wire_wr *w, int encoded, size_t charge_len,
                 smb_req_done_fn done, void *userdata);
/* smb_req_send() without the submit: 0, or <0 with req freed. */
int smb_req_prepare(struct smb_req *req, const struct wire_wr *w, int encoded, size_t charge_len,
                    smb_req_done_fn done, void *userdata);
/* A request for the same connection, session and tree as `lead`, to follow
 * it in a compound. */
struct smb_req *smb_req_new_related(const struct smb_req *lead, uint16_t command,
                                    size_t body_cap);
/*
 * Related compound (MS-SMB2 3.2.4.1.4): the n prepared requests go out in
 * one frame (one transform when encrypting; each signed over its own
 * 8-byte padded message when signing), reqs[1..] flagged
 * SMB2_FLAGS_RELATED_OPERATIONS so that the server applies them to the
 * handle reqs[0] opens (their bodies carry SMB2_FILE_ID_RELATED).  Each
 * request still completes on its own, exactly once; a server fails the
 * followers of a failed CREATE with its status.  No payloads or receive
 * buffers.  0: queued; <0: nothing queued, all freed, no done() runs.
 */
#define SMB_CHAIN_MAX 4
int smb_req_submit_chain(struct smb_req **reqs, size_t n);
void smb_req_free(struct smb_req *req);
/* The message as sent (header + body), for the pre-auth hash. */
static inline const uint8_t *smb_req_msg(const struct smb_req *req)
{
        return req->buf + 4;
}
static inline size_t smb_req_msg_len(const struct smb_req *req)
{
        return req->len - 4;
}

/* The largest READ (read) or WRITE data for one request: MaxReadSize or
 * MaxWriteSize, and no more than the credits the server has let us hold at
 * once pay for (3.2.4.1.5): a request charged more than a server ever
 * grants would wait for credits forever. */
size_t smb_conn_io_max(const struct smb_conn *conn, bool read);

/* Fill details (dialect, credits, ...) for the registry snapshot. */
struct json_t;
void smb_conn_snapshot(struct smb_conn *conn, json_t *details);

/* Record the last error (NTSTATUS may be 0). */
void smb_conn_set_error(struct smb_conn *conn, int error, uint32_t status, const char *what);

/* Internal to the client: called by smb_session.c once NEGOTIATE is done. */
uint64_t smb_now_us(void);

#endif /* GWD_SMB_CONN_H */
