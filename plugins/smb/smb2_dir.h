/* SPDX-License-Identifier: MIT */
/*
 * SMB2 QUERY_DIRECTORY (MS-SMB2 2.2.33, 2.2.34) and an iterator over
 * FileIdBothDirectoryInformation / FileIdFullDirectoryInformation entries
 * (MS-FSCC 2.4.17, 2.4.18).
 */
#ifndef GWD_SMB2_DIR_H
#define GWD_SMB2_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/smb2_header.h"

struct smb2_query_directory_req {
        uint8_t info_class;               /* FILE_ID_BOTH_/FILE_ID_FULL_DIRECTORY_INFORMATION */
        uint8_t flags;                    /* SMB2_RESTART_SCANS, SMB2_REOPEN, ... */
        uint32_t file_index;              /* with SMB2_INDEX_SPECIFIED only */
        struct smb2_file_id file_id;
        const uint8_t *pattern;           /* UTF-16LE, e.g. "*" = 2A 00 */
        size_t pattern_len;               /* bytes, even, >= 2 */
        uint32_t output_buffer_length;
};

/* Body after the header; FileNameOffset is 0x60. */
int smb2_query_directory_req_encode(struct wire_wr *w,
                                    const struct smb2_query_directory_req *req);

struct smb2_query_directory_rsp {
        const uint8_t *buf;               /* entries, into msg; NULL if empty */
        uint32_t len;
};

int smb2_query_directory_rsp_decode(const uint8_t *msg, size_t len,
                                    struct smb2_query_directory_rsp *rsp);

struct smb2_dirent {
        uint32_t file_index;
        uint64_t creation_time;
        uint64_t last_access_time;
        uint64_t last_write_time;
        uint64_t change_time;
        uint64_t end_of_file;
        uint64_t allocation_size;
        uint32_t file_attributes;
        uint32_t ea_size;
        uint64_t file_id;                 /* server inode number */
        const uint8_t *name;              /* UTF-16LE, not NUL-terminated */
        uint32_t name_len;                /* bytes */
        const uint8_t *short_name;        /* FileIdBoth only, UTF-16LE */
        uint8_t short_name_len;           /* bytes, <= 24 */
};

struct smb2_dir_iter {
        const uint8_t *buf;
        size_t len;
        size_t off;
        uint8_t info_class;
        bool done;
};

/* -EOPNOTSUPP for an information class the iterator does not parse. */
int smb2_dir_iter_init(struct smb2_dir_iter *it, uint8_t info_class,
                       const uint8_t *buf, size_t len);

/*
 * Next entry: 1 with *e filled, 0 at the end, -EBADMSG if an entry or its
 * name does not fit or NextEntryOffset does not move past the current
 * entry's name (so a chain can neither overlap nor loop).
 */
int smb2_dir_iter_next(struct smb2_dir_iter *it, struct smb2_dirent *e);

#endif /* GWD_SMB2_DIR_H */
