/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: every SMB2 response decoder on the same bytes.
 *
 * The input is one received frame (after NetBIOS framing).  It is fed
 * whole to every decoder, walked as a compound chain with each element
 * fed again, and every pointer a decoder returns is read end to end, so
 * that a wrong bound shows up as an ASan report rather than silently.
 * Built either with -fsanitize=fuzzer (make fuzz) or with fuzz-driver.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb2_create.h"
#include "plugins/smb/smb2_dir.h"
#include "plugins/smb/smb2_header.h"
#include "plugins/smb/smb2_info.h"
#include "plugins/smb/smb2_io.h"
#include "plugins/smb/smb2_misc.h"
#include "plugins/smb/smb2_negotiate.h"
#include "plugins/smb/smb2_session.h"
#include "plugins/smb/smb2_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

/* Touch every byte of a returned slice. */
static void touch(const uint8_t *p, size_t n)
{
        uint8_t x = 0;
        for (size_t i = 0; p && i < n; i++)
                x ^= p[i];
        sink ^= x;
}

static void walk_dir(uint8_t cls, const uint8_t *buf, size_t len)
{
        struct smb2_dir_iter it;
        struct smb2_dirent e;

        if (smb2_dir_iter_init(&it, cls, buf, len))
                return;
        while (smb2_dir_iter_next(&it, &e) > 0) {
                touch(e.name, e.name_len);
                touch(e.short_name, e.short_name_len);
        }
}

static void walk_ctx(const uint8_t *buf, size_t len)
{
        struct smb2_create_ctx_iter it;
        struct smb2_create_ctx c;

        smb2_create_ctx_iter_init(&it, buf, len);
        while (smb2_create_ctx_next(&it, &c) > 0) {
                touch(c.name, c.name_len);
                touch(c.data, c.data_len);
        }
}

static void info_buffers(const uint8_t *buf, size_t len)
{
        struct smb2_file_all_info a;
        struct smb2_file_basic_info b;
        struct smb2_file_standard_info s;
        struct smb2_file_network_open_info n;
        struct smb2_fs_full_size_info f;

        if (smb2_file_all_info_decode(buf, len, &a) == 0)
                touch(a.name, a.name_len);
        (void)smb2_file_basic_info_decode(buf, len, &b);
        (void)smb2_file_standard_info_decode(buf, len, &s);
        (void)smb2_file_network_open_info_decode(buf, len, &n);
        (void)smb2_fs_full_size_info_decode(buf, len, &f);
}

static void one_message(const uint8_t *m, size_t n)
{
        static const uint16_t dialects[] = { 0x0202, 0x0210, 0x0300, 0x0302, 0x0311 };
        static const uint16_t ciphers[] = { 2, 1, 4, 3 };
        static const uint16_t signing[] = { 2, 1, 0 };
        static const uint8_t salt[32];
        const struct smb2_negotiate_req offer = {
                .dialects = dialects, .dialect_count = 5, .salt = salt, .salt_len = 32,
                .ciphers = ciphers, .cipher_count = 4,
                .signing_algs = signing, .signing_alg_count = 3,
        };
        struct smb2_hdr h;
        struct smb2_error_rsp er;
        struct smb2_negotiate_rsp neg;
        struct smb2_session_setup_rsp ss;
        struct smb2_tree_connect_rsp tc;
        struct smb2_create_rsp cr;
        struct smb2_close_rsp cl;
        struct smb2_read_rsp rd;
        struct smb2_write_rsp wr;
        struct smb2_query_directory_rsp qd;
        struct smb2_query_info_rsp qi;
        struct smb2_break_notify bn;
        struct smb2_oplock_break ob;
        struct smb2_lease_break_rsp lb;

        if (smb2_hdr_decode(m, n, &h) == 0) {
                (void)smb2_rsp_is_error(&h);
                (void)ntstatus_name(h.status);
                (void)ntstatus_to_errno(h.status);
        }
        if (smb2_error_rsp_decode(m, n, &er) == 0)
                touch(er.data, er.byte_count);
        if (smb2_negotiate_rsp_decode(m, n, &offer, &neg) == 0) {
                touch(neg.security_buffer, neg.security_buffer_len);
                touch(neg.preauth_salt, neg.preauth_salt_len);
        }
        if (smb2_session_setup_rsp_decode(m, n, &ss) == 0)
                touch(ss.security_buffer, ss.security_buffer_len);
        (void)smb2_logoff_rsp_decode(m, n);
        (void)smb2_tree_connect_rsp_decode(m, n, &tc);
        (void)smb2_tree_disconnect_rsp_decode(m, n);
        if (smb2_create_rsp_decode(m, n, &cr) == 0) {
                touch(cr.contexts, cr.contexts_len);
                walk_ctx(cr.contexts, cr.contexts_len);
        }
        (void)smb2_close_rsp_decode(m, n, &cl);
        if (smb2_read_rsp_decode(m, n, &rd) == 0)
                touch(rd.data, rd.data_len);
        (void)smb2_read_rsp_decode_fixed(m, n, &rd);
        (void)smb2_write_rsp_decode(m, n, &wr);
        (void)smb2_flush_rsp_decode(m, n);
        if (smb2_query_directory_rsp_decode(m, n, &qd) == 0) {
                walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, qd.buf, qd.len);
                walk_dir(FILE_ID_FULL_DIRECTORY_INFORMATION, qd.buf, qd.len);
        }
        if (smb2_query_info_rsp_decode(m, n, &qi) == 0)
                info_buffers(qi.buf, qi.len);
        (void)smb2_set_info_rsp_decode(m, n);
        (void)smb2_echo_rsp_decode(m, n);
        (void)smb2_break_notify_decode(m, n, &bn);
        (void)smb2_oplock_break_rsp_decode(m, n, &ob);
        (void)smb2_lease_break_rsp_decode(m, n, &lb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct smb2_compound_iter it;
        struct smb2_transform_hdr th;
        const uint8_t *p;
        size_t plen, flen;

        (void)smb2_msg_classify(data, size);
        if (size >= SMB2_TCP_HDR_SIZE)
                (void)smb2_tcp_frame_decode(data, 1u << 20, &flen);
        if (smb2_transform_hdr_decode(data, size, &th, &p) == 0)
                touch(p, th.original_size);

        one_message(data, size);
        smb2_compound_init(&it, data, size);
        while (smb2_compound_next(&it, &p, &plen) > 0)
                if (p != data || plen != size)
                        one_message(p, plen);

        /* Raw buffers too: the entry/context walkers take untrusted slices. */
        walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, data, size);
        walk_dir(FILE_ID_FULL_DIRECTORY_INFORMATION, data, size);
        walk_ctx(data, size);
        info_buffers(data, size);
        return 0;
}
