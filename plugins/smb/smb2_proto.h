/* SPDX-License-Identifier: MIT */
/*
 * SMB2/3 protocol constants (MS-SMB2, MS-FSCC, MS-DTYP).
 *
 * Only numbers live here; the structures that use them are in the codec
 * headers (smb2_header.h, smb2_negotiate.h, ...).
 */
#ifndef GWD_SMB2_PROTO_H
#define GWD_SMB2_PROTO_H

#include <stdint.h>
#include <time.h>

/* ---- protocol ids and fixed sizes ------------------------------------ */
#define SMB2_PROTO_ID              0x424D53FEu /* 0xFE 'S' 'M' 'B' as LE u32 */
#define SMB2_TRANSFORM_PROTO_ID    0x424D53FDu /* 0xFD 'S' 'M' 'B' */
#define SMB2_COMPRESSION_PROTO_ID  0x424D53FCu /* 0xFC 'S' 'M' 'B' */
#define SMB1_PROTO_ID              0x424D53FFu /* 0xFF 'S' 'M' 'B' */

#define SMB2_HDR_SIZE              64
#define SMB2_HDR_SIG_OFF           48
#define SMB2_SIG_SIZE              16
#define SMB2_TRANSFORM_HDR_SIZE    52
/* The AEAD associated data is the transform header from Nonce on. */
#define SMB2_TRANSFORM_AAD_OFF     20
#define SMB2_TRANSFORM_AAD_SIZE    32
#define SMB2_GUID_SIZE             16
#define SMB2_LEASE_KEY_SIZE        16
#define SMB2_PREAUTH_SALT_SIZE     32

/* 24-bit length of the Direct TCP (port 445) framing header. */
#define SMB2_TCP_FRAME_MAX         0x00FFFFFFu

/* ---- commands (2.2.1) ------------------------------------------------- */
#define SMB2_NEGOTIATE             0x0000
#define SMB2_SESSION_SETUP         0x0001
#define SMB2_LOGOFF                0x0002
#define SMB2_TREE_CONNECT          0x0003
#define SMB2_TREE_DISCONNECT       0x0004
#define SMB2_CREATE                0x0005
#define SMB2_CLOSE                 0x0006
#define SMB2_FLUSH                 0x0007
#define SMB2_READ                  0x0008
#define SMB2_WRITE                 0x0009
#define SMB2_LOCK                  0x000A
#define SMB2_IOCTL                 0x000B
#define SMB2_CANCEL                0x000C
#define SMB2_ECHO                  0x000D
#define SMB2_QUERY_DIRECTORY       0x000E
#define SMB2_CHANGE_NOTIFY         0x000F
#define SMB2_QUERY_INFO            0x0010
#define SMB2_SET_INFO              0x0011
#define SMB2_OPLOCK_BREAK          0x0012
#define SMB2_SERVER_TO_CLIENT_NOTIFICATION 0x0013
#define SMB2_NUM_COMMANDS          0x0014

/* ---- header flags ----------------------------------------------------- */
#define SMB2_FLAGS_SERVER_TO_REDIR     0x00000001u
#define SMB2_FLAGS_ASYNC_COMMAND       0x00000002u
#define SMB2_FLAGS_RELATED_OPERATIONS  0x00000004u
#define SMB2_FLAGS_SIGNED              0x00000008u
#define SMB2_FLAGS_PRIORITY_MASK       0x00000070u
#define SMB2_FLAGS_DFS_OPERATIONS      0x10000000u
#define SMB2_FLAGS_REPLAY_OPERATION    0x20000000u

/* MessageId of unsolicited oplock/lease break notifications. */
#define SMB2_MSGID_UNSOLICITED         0xFFFFFFFFFFFFFFFFull
/* Related compound requests inherit these "previous" ids (3.2.4.1.4). */
#define SMB2_RELATED_SESSION_ID        0xFFFFFFFFFFFFFFFFull
#define SMB2_RELATED_TREE_ID           0xFFFFFFFFu

/* ---- dialects --------------------------------------------------------- */
#define SMB2_DIALECT_202           0x0202
#define SMB2_DIALECT_210           0x0210
#define SMB2_DIALECT_300           0x0300
#define SMB2_DIALECT_302           0x0302
#define SMB2_DIALECT_311           0x0311
#define SMB2_DIALECT_WILDCARD      0x02FF

/* ---- NEGOTIATE SecurityMode (u16 in NEGOTIATE, u8 in SESSION_SETUP) --- */
#define SMB2_NEGOTIATE_SIGNING_ENABLED   0x0001
#define SMB2_NEGOTIATE_SIGNING_REQUIRED  0x0002

/* ---- global capabilities --------------------------------------------- */
#define SMB2_GLOBAL_CAP_DFS                 0x00000001u
#define SMB2_GLOBAL_CAP_LEASING             0x00000002u
#define SMB2_GLOBAL_CAP_LARGE_MTU           0x00000004u
#define SMB2_GLOBAL_CAP_MULTI_CHANNEL       0x00000008u
#define SMB2_GLOBAL_CAP_PERSISTENT_HANDLES  0x00000010u
#define SMB2_GLOBAL_CAP_DIRECTORY_LEASING   0x00000020u
#define SMB2_GLOBAL_CAP_ENCRYPTION          0x00000040u
#define SMB2_GLOBAL_CAP_NOTIFICATIONS       0x00000080u

/* ---- negotiate contexts (2.2.3.1) ------------------------------------ */
#define SMB2_PREAUTH_INTEGRITY_CAPABILITIES  0x0001
#define SMB2_ENCRYPTION_CAPABILITIES         0x0002
#define SMB2_COMPRESSION_CAPABILITIES        0x0003
#define SMB2_NETNAME_NEGOTIATE_CONTEXT_ID    0x0005
#define SMB2_TRANSPORT_CAPABILITIES          0x0006
#define SMB2_RDMA_TRANSFORM_CAPABILITIES     0x0007
#define SMB2_SIGNING_CAPABILITIES            0x0008

#define SMB2_PREAUTH_INTEGRITY_SHA512        0x0001

#define SMB2_ENCRYPTION_NONE                 0x0000 /* "no common cipher" */
#define SMB2_ENCRYPTION_AES128_CCM           0x0001
#define SMB2_ENCRYPTION_AES128_GCM           0x0002
#define SMB2_ENCRYPTION_AES256_CCM           0x0003
#define SMB2_ENCRYPTION_AES256_GCM           0x0004

#define SMB2_SIGNING_HMAC_SHA256             0x0000
#define SMB2_SIGNING_AES_CMAC                0x0001
#define SMB2_SIGNING_AES_GMAC                0x0002

/* Transform header Flags (3.1.1) / EncryptionAlgorithm (3.0, 3.0.2). */
#define SMB2_TRANSFORM_FLAG_ENCRYPTED        0x0001

/* ---- SESSION_SETUP ---------------------------------------------------- */
#define SMB2_SESSION_FLAG_BINDING            0x01   /* request Flags */
#define SMB2_SESSION_FLAG_IS_GUEST           0x0001 /* response SessionFlags */
#define SMB2_SESSION_FLAG_IS_NULL            0x0002
#define SMB2_SESSION_FLAG_ENCRYPT_DATA       0x0004

/* ---- TREE_CONNECT ----------------------------------------------------- */
#define SMB2_TREE_CONNECT_FLAG_CLUSTER_RECONNECT  0x0001
#define SMB2_TREE_CONNECT_FLAG_REDIRECT_TO_OWNER  0x0002
#define SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT  0x0004

#define SMB2_SHARE_TYPE_DISK                 0x01
#define SMB2_SHARE_TYPE_PIPE                 0x02
#define SMB2_SHARE_TYPE_PRINT                0x03

#define SMB2_SHAREFLAG_MANUAL_CACHING              0x00000000u
#define SMB2_SHAREFLAG_AUTO_CACHING                0x00000010u
#define SMB2_SHAREFLAG_VDO_CACHING                 0x00000020u
#define SMB2_SHAREFLAG_NO_CACHING                  0x00000030u
#define SMB2_SHAREFLAG_CACHING_MASK                0x00000030u
#define SMB2_SHAREFLAG_DFS                         0x00000001u
#define SMB2_SHAREFLAG_DFS_ROOT                    0x00000002u
#define SMB2_SHAREFLAG_RESTRICT_EXCLUSIVE_OPENS    0x00000100u
#define SMB2_SHAREFLAG_FORCE_SHARED_DELETE         0x00000200u
#define SMB2_SHAREFLAG_ALLOW_NAMESPACE_CACHING     0x00000400u
#define SMB2_SHAREFLAG_ACCESS_BASED_DIRECTORY_ENUM 0x00000800u
#define SMB2_SHAREFLAG_FORCE_LEVELII_OPLOCK        0x00001000u
#define SMB2_SHAREFLAG_ENABLE_HASH_V1              0x00002000u
#define SMB2_SHAREFLAG_ENABLE_HASH_V2              0x00004000u
#define SMB2_SHAREFLAG_ENCRYPT_DATA                0x00008000u
#define SMB2_SHAREFLAG_IDENTITY_REMOTING           0x00040000u
#define SMB2_SHAREFLAG_COMPRESS_DATA               0x00100000u
#define SMB2_SHAREFLAG_ISOLATED_TRANSPORT          0x00200000u

#define SMB2_SHARE_CAP_DFS                         0x00000008u
#define SMB2_SHARE_CAP_CONTINUOUS_AVAILABILITY     0x00000010u
#define SMB2_SHARE_CAP_SCALEOUT                    0x00000020u
#define SMB2_SHARE_CAP_CLUSTER                     0x00000040u
#define SMB2_SHARE_CAP_ASYMMETRIC                  0x00000080u
#define SMB2_SHARE_CAP_REDIRECT_TO_OWNER           0x00000100u

/* ---- CREATE ----------------------------------------------------------- */
#define SMB2_OPLOCK_LEVEL_NONE               0x00
#define SMB2_OPLOCK_LEVEL_II                 0x01
#define SMB2_OPLOCK_LEVEL_EXCLUSIVE          0x08
#define SMB2_OPLOCK_LEVEL_BATCH              0x09
#define SMB2_OPLOCK_LEVEL_LEASE              0xFF

#define SMB2_IMPERSONATION_ANONYMOUS         0x00000000u
#define SMB2_IMPERSONATION_IDENTIFICATION    0x00000001u
#define SMB2_IMPERSONATION_IMPERSONATION     0x00000002u
#define SMB2_IMPERSONATION_DELEGATE          0x00000003u

#define FILE_SUPERSEDE                       0x00000000u
#define FILE_OPEN                            0x00000001u
#define FILE_CREATE                          0x00000002u
#define FILE_OPEN_IF                         0x00000003u
#define FILE_OVERWRITE                       0x00000004u
#define FILE_OVERWRITE_IF                    0x00000005u

#define FILE_DIRECTORY_FILE                  0x00000001u
#define FILE_WRITE_THROUGH                   0x00000002u
#define FILE_SEQUENTIAL_ONLY                 0x00000004u
#define FILE_NO_INTERMEDIATE_BUFFERING       0x00000008u
#define FILE_SYNCHRONOUS_IO_ALERT            0x00000010u
#define FILE_SYNCHRONOUS_IO_NONALERT         0x00000020u
#define FILE_NON_DIRECTORY_FILE              0x00000040u
#define FILE_COMPLETE_IF_OPLOCKED            0x00000100u
#define FILE_NO_EA_KNOWLEDGE                 0x00000200u
#define FILE_OPEN_REMOTE_INSTANCE            0x00000400u
#define FILE_RANDOM_ACCESS                   0x00000800u
#define FILE_DELETE_ON_CLOSE                 0x00001000u
#define FILE_OPEN_BY_FILE_ID                 0x00002000u
#define FILE_OPEN_FOR_BACKUP_INTENT          0x00004000u
#define FILE_NO_COMPRESSION                  0x00008000u
#define FILE_OPEN_REQUIRING_OPLOCK           0x00010000u
#define FILE_DISALLOW_EXCLUSIVE              0x00020000u
#define FILE_RESERVE_OPFILTER                0x00100000u
#define FILE_OPEN_REPARSE_POINT              0x00200000u
#define FILE_OPEN_NO_RECALL                  0x00400000u
#define FILE_OPEN_FOR_FREE_SPACE_QUERY       0x00800000u

#define FILE_SHARE_READ                      0x00000001u
#define FILE_SHARE_WRITE                     0x00000002u
#define FILE_SHARE_DELETE                    0x00000004u

/* Access mask (MS-SMB2 2.2.13.1, MS-DTYP 2.4.3). */
#define FILE_READ_DATA                       0x00000001u
#define FILE_LIST_DIRECTORY                  0x00000001u
#define FILE_WRITE_DATA                      0x00000002u
#define FILE_ADD_FILE                        0x00000002u
#define FILE_APPEND_DATA                     0x00000004u
#define FILE_ADD_SUBDIRECTORY                0x00000004u
#define FILE_READ_EA                         0x00000008u
#define FILE_WRITE_EA                        0x00000010u
#define FILE_EXECUTE                         0x00000020u
#define FILE_TRAVERSE                        0x00000020u
#define FILE_DELETE_CHILD                    0x00000040u
#define FILE_READ_ATTRIBUTES                 0x00000080u
#define FILE_WRITE_ATTRIBUTES                0x00000100u
#define SMB2_DELETE                          0x00010000u
#define SMB2_READ_CONTROL                    0x00020000u
#define SMB2_WRITE_DAC                       0x00040000u
#define SMB2_WRITE_OWNER                     0x00080000u
#define SMB2_SYNCHRONIZE                     0x00100000u
#define SMB2_ACCESS_SYSTEM_SECURITY          0x01000000u
#define SMB2_MAXIMUM_ALLOWED                 0x02000000u
#define SMB2_GENERIC_ALL                     0x10000000u
#define SMB2_GENERIC_EXECUTE                 0x20000000u
#define SMB2_GENERIC_WRITE                   0x40000000u
#define SMB2_GENERIC_READ                    0x80000000u

#define SMB2_CREATE_FLAG_REPARSEPOINT        0x01 /* response Flags, 3.1.1 */

#define FILE_SUPERSEDED                      0x00000000u
#define FILE_OPENED                          0x00000001u
#define FILE_CREATED                         0x00000002u
#define FILE_OVERWRITTEN                     0x00000003u

/* Create context names (4 ASCII bytes, no NUL on the wire). */
#define SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2    "DH2Q"
#define SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2  "DH2C"
#define SMB2_CREATE_REQUEST_LEASE                "RqLs"
#define SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST "MxAc"
#define SMB2_CREATE_QUERY_ON_DISK_ID             "QFid"

#define SMB2_DHANDLE_FLAG_PERSISTENT         0x00000002u

#define SMB2_LEASE_NONE                      0x00000000u
#define SMB2_LEASE_READ_CACHING              0x00000001u
#define SMB2_LEASE_HANDLE_CACHING            0x00000002u
#define SMB2_LEASE_WRITE_CACHING             0x00000004u
#define SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED 0x00000001u

/* ---- CLOSE / READ / WRITE / QUERY_DIRECTORY --------------------------- */
#define SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB     0x0001

#define SMB2_READFLAG_READ_UNBUFFERED        0x01
#define SMB2_READFLAG_REQUEST_COMPRESSED     0x02
#define SMB2_CHANNEL_NONE                    0x00000000u

#define SMB2_WRITEFLAG_WRITE_THROUGH         0x00000001u
#define SMB2_WRITEFLAG_WRITE_UNBUFFERED      0x00000002u

#define SMB2_RESTART_SCANS                   0x01
#define SMB2_RETURN_SINGLE_ENTRY             0x02
#define SMB2_INDEX_SPECIFIED                 0x04
#define SMB2_REOPEN                          0x10

/* ---- QUERY_INFO / SET_INFO info types ---------------------------------- */
#define SMB2_0_INFO_FILE                     0x01
#define SMB2_0_INFO_FILESYSTEM               0x02
#define SMB2_0_INFO_SECURITY                 0x03
#define SMB2_0_INFO_QUOTA                    0x04

/* File information classes (MS-FSCC 2.4). */
#define FILE_DIRECTORY_INFORMATION           1
#define FILE_FULL_DIRECTORY_INFORMATION      2
#define FILE_BOTH_DIRECTORY_INFORMATION      3
#define FILE_BASIC_INFORMATION               4
#define FILE_STANDARD_INFORMATION            5
#define FILE_INTERNAL_INFORMATION            6
#define FILE_EA_INFORMATION                  7
#define FILE_ACCESS_INFORMATION              8
#define FILE_NAME_INFORMATION                9
#define FILE_RENAME_INFORMATION              10
#define FILE_NAMES_INFORMATION               12
#define FILE_DISPOSITION_INFORMATION         13
#define FILE_POSITION_INFORMATION            14
#define FILE_FULL_EA_INFORMATION             15
#define FILE_MODE_INFORMATION                16
#define FILE_ALIGNMENT_INFORMATION           17
#define FILE_ALL_INFORMATION                 18
#define FILE_ALLOCATION_INFORMATION          19
#define FILE_END_OF_FILE_INFORMATION         20
#define FILE_ALTERNATE_NAME_INFORMATION      21
#define FILE_STREAM_INFORMATION              22
#define FILE_COMPRESSION_INFORMATION         28
#define FILE_NETWORK_OPEN_INFORMATION        34
#define FILE_ATTRIBUTE_TAG_INFORMATION       35
#define FILE_ID_BOTH_DIRECTORY_INFORMATION   37
#define FILE_ID_FULL_DIRECTORY_INFORMATION   38

/* File system information classes (MS-FSCC 2.5). */
#define FILE_FS_VOLUME_INFORMATION           1
#define FILE_FS_SIZE_INFORMATION             3
#define FILE_FS_DEVICE_INFORMATION           4
#define FILE_FS_ATTRIBUTE_INFORMATION        5
#define FILE_FS_FULL_SIZE_INFORMATION        7
#define FILE_FS_OBJECT_ID_INFORMATION        8
#define FILE_FS_SECTOR_SIZE_INFORMATION      11

/* ---- file attributes (MS-FSCC 2.6) ------------------------------------ */
#define FILE_ATTRIBUTE_READONLY              0x00000001u
#define FILE_ATTRIBUTE_HIDDEN                0x00000002u
#define FILE_ATTRIBUTE_SYSTEM                0x00000004u
#define FILE_ATTRIBUTE_DIRECTORY             0x00000010u
#define FILE_ATTRIBUTE_ARCHIVE               0x00000020u
#define FILE_ATTRIBUTE_NORMAL                0x00000080u
#define FILE_ATTRIBUTE_TEMPORARY             0x00000100u
#define FILE_ATTRIBUTE_SPARSE_FILE           0x00000200u
#define FILE_ATTRIBUTE_REPARSE_POINT         0x00000400u
#define FILE_ATTRIBUTE_COMPRESSED            0x00000800u
#define FILE_ATTRIBUTE_OFFLINE               0x00001000u
#define FILE_ATTRIBUTE_NOT_CONTENT_INDEXED   0x00002000u
#define FILE_ATTRIBUTE_ENCRYPTED             0x00004000u
#define FILE_ATTRIBUTE_INTEGRITY_STREAM      0x00008000u
#define FILE_ATTRIBUTE_NO_SCRUB_DATA         0x00020000u

/* ---- NT times (MS-DTYP FILETIME: 100 ns ticks since 1601-01-01 UTC) --- */
#define SMB2_NTTIME_UNIX_EPOCH               116444736000000000ull
#define SMB2_NTTIME_TICKS_PER_SEC            10000000ull
/* In SET_INFO FileBasicInformation: 0 = leave unchanged. */
#define SMB2_NTTIME_NO_CHANGE                0ull

/* Times before 1970 clamp to 0; after year 2262 they clamp too. */
static inline struct timespec smb2_nttime_to_timespec(uint64_t nt)
{
        struct timespec ts = { 0, 0 };
        if (nt <= SMB2_NTTIME_UNIX_EPOCH)
                return ts;
        uint64_t d = nt - SMB2_NTTIME_UNIX_EPOCH;
        uint64_t sec = d / SMB2_NTTIME_TICKS_PER_SEC;
        if (sec > (uint64_t)INT64_MAX / 2)
                sec = (uint64_t)INT64_MAX / 2;
        ts.tv_sec = (time_t)sec;
        ts.tv_nsec = (long)(d % SMB2_NTTIME_TICKS_PER_SEC) * 100;
        return ts;
}

static inline uint64_t smb2_timespec_to_nttime(struct timespec ts)
{
        if (ts.tv_sec < 0)
                return SMB2_NTTIME_UNIX_EPOCH;
        uint64_t sec = (uint64_t)ts.tv_sec;
        if (sec > (UINT64_MAX - SMB2_NTTIME_UNIX_EPOCH) / SMB2_NTTIME_TICKS_PER_SEC - 1)
                return UINT64_MAX - 1;
        uint64_t ns = ts.tv_nsec > 0 && ts.tv_nsec < 1000000000L ? (uint64_t)ts.tv_nsec : 0;
        return SMB2_NTTIME_UNIX_EPOCH + sec * SMB2_NTTIME_TICKS_PER_SEC + ns / 100;
}

/* ---- FileId ----------------------------------------------------------- */
struct smb2_file_id {
        uint64_t persistent;
        uint64_t volatile_;
};

/* FileId of related compound requests ("use the previous one"). */
#define SMB2_FILE_ID_RELATED ((struct smb2_file_id){ UINT64_MAX, UINT64_MAX })

#endif /* GWD_SMB2_PROTO_H */
