/* SPDX-License-Identifier: MIT */
/*
 * SMB2 QUERY_INFO (MS-SMB2 2.2.37, 2.2.38) and SET_INFO (2.2.39, 2.2.40),
 * with the MS-FSCC information structures the client uses.
 */
#ifndef GWD_SMB2_INFO_H
#define GWD_SMB2_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/smb2_header.h"

struct smb2_query_info_req {
        uint8_t info_type;                /* SMB2_0_INFO_FILE / _FILESYSTEM / ... */
        uint8_t file_info_class;          /* FILE_ALL_INFORMATION, FILE_FS_FULL_SIZE_INFORMATION */
        uint32_t output_buffer_length;
        uint32_t additional_information;
        uint32_t flags;
        struct smb2_file_id file_id;
        const uint8_t *input;             /* rarely used (quota/EA queries) */
        uint32_t input_len;
};

/* Body after the header; InputBufferOffset is 0x68 when there is input. */
int smb2_query_info_req_encode(struct wire_wr *w, const struct smb2_query_info_req *req);

struct smb2_query_info_rsp {
        const uint8_t *buf;               /* into msg; NULL if empty */
        uint32_t len;
};

/* Also for STATUS_BUFFER_OVERFLOW responses (truncated buffer). */
int smb2_query_info_rsp_decode(const uint8_t *msg, size_t len, struct smb2_query_info_rsp *rsp);

/* ---- information structures (decoders take the output buffer) -------- */
struct smb2_file_basic_info {             /* FileBasicInformation, 40 bytes */
        uint64_t creation_time;
        uint64_t last_access_time;
        uint64_t last_write_time;
        uint64_t change_time;
        uint32_t file_attributes;
};

struct smb2_file_standard_info {          /* FileStandardInformation, 24 bytes */
        uint64_t allocation_size;
        uint64_t end_of_file;
        uint32_t number_of_links;
        uint8_t delete_pending;
        uint8_t directory;
};

struct smb2_file_network_open_info {      /* FileNetworkOpenInformation, 56 bytes */
        uint64_t creation_time;
        uint64_t last_access_time;
        uint64_t last_write_time;
        uint64_t change_time;
        uint64_t allocation_size;
        uint64_t end_of_file;
        uint32_t file_attributes;
};

struct smb2_file_all_info {               /* FileAllInformation, 100 bytes + name */
        struct smb2_file_basic_info basic;
        struct smb2_file_standard_info standard;
        uint64_t index_number;
        uint32_t ea_size;
        uint32_t access_flags;
        uint64_t current_byte_offset;
        uint32_t mode;
        uint32_t alignment_requirement;
        const uint8_t *name;              /* UTF-16LE; NULL if empty or truncated */
        uint32_t name_len;
        bool name_truncated;              /* FileNameLength beyond the buffer */
};

struct smb2_fs_full_size_info {           /* FileFsFullSizeInformation, 32 bytes */
        uint64_t total_allocation_units;
        uint64_t caller_available_allocation_units;
        uint64_t actual_available_allocation_units;
        uint32_t sectors_per_allocation_unit;
        uint32_t bytes_per_sector;
};

/* Each returns 0 or -EBADMSG if the buffer is shorter than the structure. */
int smb2_file_basic_info_decode(const uint8_t *buf, size_t len, struct smb2_file_basic_info *out);
int smb2_file_standard_info_decode(const uint8_t *buf, size_t len,
                                   struct smb2_file_standard_info *out);
int smb2_file_network_open_info_decode(const uint8_t *buf, size_t len,
                                       struct smb2_file_network_open_info *out);
/* The fixed 100 bytes must be present; a name that does not fit sets name_truncated. */
int smb2_file_all_info_decode(const uint8_t *buf, size_t len, struct smb2_file_all_info *out);
int smb2_fs_full_size_info_decode(const uint8_t *buf, size_t len,
                                  struct smb2_fs_full_size_info *out);

/* ---- SET_INFO ----------------------------------------------------------- */
struct smb2_set_info_req {
        uint8_t info_type;
        uint8_t file_info_class;
        uint32_t additional_information;
        struct smb2_file_id file_id;
        const uint8_t *buf;               /* the information structure */
        uint32_t len;
};

/* Body after the header; BufferOffset is 0x60. */
int smb2_set_info_req_encode(struct wire_wr *w, const struct smb2_set_info_req *req);
int smb2_set_info_rsp_decode(const uint8_t *msg, size_t len);

/*
 * Complete SET_INFO bodies for the common cases (info type FILE).
 * Rename: FILE_RENAME_INFORMATION_TYPE_2 with RootDirectory 0 and the
 * target path relative to the share (UTF-16LE, no leading '\'); the buffer
 * is zero-padded to at least 24 bytes, the size of the structure with a
 * one-character name, which some servers require.
 * Basic: times of 0 and attributes of 0 mean "do not change".
 */
int smb2_set_info_rename_encode(struct wire_wr *w, const struct smb2_file_id *file_id,
                                bool replace_if_exists, const uint8_t *name, size_t name_len);
int smb2_set_info_disposition_encode(struct wire_wr *w, const struct smb2_file_id *file_id,
                                     bool delete_pending);
int smb2_set_info_eof_encode(struct wire_wr *w, const struct smb2_file_id *file_id,
                             uint64_t end_of_file);
int smb2_set_info_basic_encode(struct wire_wr *w, const struct smb2_file_id *file_id,
                               const struct smb2_file_basic_info *basic);

#endif /* GWD_SMB2_INFO_H */
