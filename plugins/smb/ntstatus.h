/* SPDX-License-Identifier: MIT */
/*
 * NTSTATUS values seen from SMB2 servers (MS-ERREF 2.3) and their mapping
 * to negative errno values.
 *
 * Mapping choices that are not obvious:
 *  - logon failures (STATUS_LOGON_FAILURE, STATUS_WRONG_PASSWORD,
 *    STATUS_ACCOUNT_DISABLED, ...) map to -EACCES rather than the
 *    Linux-only -EKEYREJECTED, so callers print "Permission denied"; code
 *    that must tell bad credentials from a denied share looks at the
 *    NTSTATUS itself.  Expired credentials (STATUS_PASSWORD_EXPIRED,
 *    STATUS_PASSWORD_MUST_CHANGE, STATUS_NETWORK_SESSION_EXPIRED) map to
 *    -EKEYEXPIRED, which the transport uses as "re-authenticate".
 *  - STATUS_BAD_NETWORK_NAME (no such share) maps to -ENOENT, like a missing
 *    path, so "ls //srv/nosuch" says "No such file or directory".
 *  - STATUS_NETWORK_NAME_DELETED (tree gone) maps to -ESTALE and
 *    STATUS_USER_SESSION_DELETED to -ENOTCONN: both mean "reconnect".
 *  - STATUS_END_OF_FILE and STATUS_NO_MORE_FILES map to -ENODATA; READ and
 *    QUERY_DIRECTORY callers treat them as "0 bytes / end of listing".
 *  - STATUS_PENDING maps to -EINPROGRESS, STATUS_MORE_PROCESSING_REQUIRED to
 *    -EAGAIN ("another SESSION_SETUP round"), STATUS_BUFFER_OVERFLOW to
 *    -EOVERFLOW; the transport normally handles these before mapping.
 *  - Any other value with error severity (top two bits 11) maps to -EIO;
 *    unknown success/informational/warning values map to 0/0/-EIO.
 */
#ifndef GWD_SMB_NTSTATUS_H
#define GWD_SMB_NTSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATUS_SUCCESS                      0x00000000u
#define STATUS_PENDING                      0x00000103u
#define STATUS_NOTIFY_CLEANUP               0x0000010Bu
#define STATUS_NOTIFY_ENUM_DIR              0x0000010Cu
#define STATUS_BUFFER_OVERFLOW              0x80000005u
#define STATUS_NO_MORE_FILES                0x80000006u
#define STATUS_STOPPED_ON_SYMLINK           0x8000002Du
#define STATUS_UNSUCCESSFUL                 0xC0000001u
#define STATUS_NOT_IMPLEMENTED              0xC0000002u
#define STATUS_INVALID_INFO_CLASS           0xC0000003u
#define STATUS_INFO_LENGTH_MISMATCH         0xC0000004u
#define STATUS_INVALID_HANDLE               0xC0000008u
#define STATUS_INVALID_PARAMETER            0xC000000Du
#define STATUS_NO_SUCH_DEVICE               0xC000000Eu
#define STATUS_NO_SUCH_FILE                 0xC000000Fu
#define STATUS_INVALID_DEVICE_REQUEST       0xC0000010u
#define STATUS_END_OF_FILE                  0xC0000011u
#define STATUS_MORE_PROCESSING_REQUIRED     0xC0000016u
#define STATUS_NO_MEMORY                    0xC0000017u
#define STATUS_ACCESS_DENIED                0xC0000022u
#define STATUS_BUFFER_TOO_SMALL             0xC0000023u
#define STATUS_OBJECT_TYPE_MISMATCH         0xC0000024u
#define STATUS_OBJECT_NAME_INVALID          0xC0000033u
#define STATUS_OBJECT_NAME_NOT_FOUND        0xC0000034u
#define STATUS_OBJECT_NAME_COLLISION        0xC0000035u
#define STATUS_OBJECT_PATH_INVALID          0xC0000039u
#define STATUS_OBJECT_PATH_NOT_FOUND        0xC000003Au
#define STATUS_OBJECT_PATH_SYNTAX_BAD       0xC000003Bu
#define STATUS_SHARING_VIOLATION            0xC0000043u
#define STATUS_QUOTA_EXCEEDED               0xC0000044u
#define STATUS_EAS_NOT_SUPPORTED            0xC000004Fu
#define STATUS_FILE_LOCK_CONFLICT           0xC0000054u
#define STATUS_LOCK_NOT_GRANTED             0xC0000055u
#define STATUS_DELETE_PENDING               0xC0000056u
#define STATUS_NO_LOGON_SERVERS             0xC000005Eu
#define STATUS_PRIVILEGE_NOT_HELD           0xC0000061u
#define STATUS_NO_SUCH_USER                 0xC0000064u
#define STATUS_WRONG_PASSWORD               0xC000006Au
#define STATUS_LOGON_FAILURE                0xC000006Du
#define STATUS_ACCOUNT_RESTRICTION          0xC000006Eu
#define STATUS_INVALID_LOGON_HOURS          0xC000006Fu
#define STATUS_INVALID_WORKSTATION          0xC0000070u
#define STATUS_PASSWORD_EXPIRED             0xC0000071u
#define STATUS_ACCOUNT_DISABLED             0xC0000072u
#define STATUS_RANGE_NOT_LOCKED             0xC000007Eu
#define STATUS_DISK_FULL                    0xC000007Fu
#define STATUS_FILE_INVALID                 0xC0000098u
#define STATUS_INSUFFICIENT_RESOURCES       0xC000009Au
#define STATUS_MEDIA_WRITE_PROTECTED        0xC00000A2u
#define STATUS_BAD_IMPERSONATION_LEVEL      0xC00000A5u
#define STATUS_IO_TIMEOUT                   0xC00000B5u
#define STATUS_FILE_IS_A_DIRECTORY          0xC00000BAu
#define STATUS_NOT_SUPPORTED                0xC00000BBu
#define STATUS_REMOTE_NOT_LISTENING         0xC00000BCu
#define STATUS_BAD_NETWORK_PATH             0xC00000BEu
#define STATUS_NETWORK_BUSY                 0xC00000BFu
#define STATUS_INVALID_NETWORK_RESPONSE     0xC00000C3u
#define STATUS_UNEXPECTED_NETWORK_ERROR     0xC00000C4u
#define STATUS_NETWORK_NAME_DELETED         0xC00000C9u
#define STATUS_NETWORK_ACCESS_DENIED        0xC00000CAu
#define STATUS_BAD_DEVICE_TYPE              0xC00000CBu
#define STATUS_BAD_NETWORK_NAME             0xC00000CCu
#define STATUS_REQUEST_NOT_ACCEPTED         0xC00000D0u
#define STATUS_NOT_SAME_DEVICE              0xC00000D4u
#define STATUS_INTERNAL_ERROR               0xC00000E5u
#define STATUS_DIRECTORY_NOT_EMPTY          0xC0000101u
#define STATUS_NOT_A_DIRECTORY              0xC0000103u
#define STATUS_NAME_TOO_LONG                0xC0000106u
#define STATUS_TOO_MANY_OPENED_FILES        0xC000011Fu
#define STATUS_CANCELLED                    0xC0000120u
#define STATUS_CANNOT_DELETE                0xC0000121u
#define STATUS_FILE_DELETED                 0xC0000123u
#define STATUS_FILE_CLOSED                  0xC0000128u
#define STATUS_INVALID_LEVEL                0xC0000148u
#define STATUS_PIPE_BROKEN                  0xC000014Bu
#define STATUS_LOGON_TYPE_NOT_GRANTED       0xC000015Bu
#define STATUS_INVALID_DEVICE_STATE         0xC0000184u
#define STATUS_TRUSTED_RELATIONSHIP_FAILURE 0xC000018Du
#define STATUS_ACCOUNT_EXPIRED              0xC0000193u
#define STATUS_USER_SESSION_DELETED         0xC0000203u
#define STATUS_INSUFF_SERVER_RESOURCES      0xC0000205u
#define STATUS_INVALID_BUFFER_SIZE          0xC0000206u
#define STATUS_CONNECTION_DISCONNECTED      0xC000020Cu
#define STATUS_CONNECTION_RESET             0xC000020Du
#define STATUS_PASSWORD_MUST_CHANGE         0xC0000224u
#define STATUS_NOT_FOUND                    0xC0000225u
#define STATUS_RETRY                        0xC000022Du
#define STATUS_ACCOUNT_LOCKED_OUT           0xC0000234u
#define STATUS_CONNECTION_REFUSED           0xC0000236u
#define STATUS_NETWORK_UNREACHABLE          0xC000023Cu
#define STATUS_HOST_UNREACHABLE             0xC000023Du
#define STATUS_REQUEST_ABORTED              0xC0000240u
#define STATUS_USER_MAPPED_FILE             0xC0000243u
#define STATUS_PATH_NOT_COVERED             0xC0000257u
#define STATUS_VOLUME_DISMOUNTED            0xC000026Eu
#define STATUS_NOT_A_REPARSE_POINT          0xC0000275u
#define STATUS_NETWORK_SESSION_EXPIRED      0xC000035Cu
#define STATUS_DOWNGRADE_DETECTED           0xC0000388u
#define STATUS_SERVER_UNAVAILABLE           0xC0000466u
#define STATUS_DISK_QUOTA_EXCEEDED          0xC0000802u
#define STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP 0xC05D0000u
#define STATUS_SMB_BAD_CLUSTER_DIALECT      0xC05D0001u

/* Severity is the top two bits: 00 success, 01 info, 10 warning, 11 error. */
static inline bool ntstatus_is_error(uint32_t status)
{
        return (status >> 30) == 3;
}

static inline bool ntstatus_is_warning(uint32_t status)
{
        return (status >> 30) == 2;
}

/* Symbolic name, or "STATUS_UNKNOWN" for a value not in the table. */
const char *ntstatus_name(uint32_t status);

/* Negative errno (see the mapping notes above); 0 for STATUS_SUCCESS. */
int ntstatus_to_errno(uint32_t status);

/*
 * Name into a caller buffer, "0xC0001234" for unknown values; returns
 * buf.  Meant for log lines, so it always NUL-terminates (len > 0).
 */
const char *ntstatus_format(uint32_t status, char *buf, size_t len);

/* Number of table entries and access by index (for tests). */
size_t ntstatus_table_size(void);
uint32_t ntstatus_table_value(size_t i);

#endif /* GWD_SMB_NTSTATUS_H */
