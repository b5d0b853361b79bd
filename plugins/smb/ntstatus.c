/* SPDX-License-Identifier: MIT */
#include "plugins/smb/ntstatus.h"

#include <errno.h>
#include <stdio.h>

struct ntstatus_entry {
        uint32_t value;
        int err;
        const char *name;
};

#define E(v, e) { v, e, #v }

/* Sorted by value: ntstatus_lookup() is a binary search. */
static const struct ntstatus_entry table[] = {
        E(STATUS_SUCCESS, 0),
        E(STATUS_PENDING, -EINPROGRESS),
        E(STATUS_NOTIFY_CLEANUP, 0),
        E(STATUS_NOTIFY_ENUM_DIR, -ENOBUFS),
        E(STATUS_BUFFER_OVERFLOW, -EOVERFLOW),
        E(STATUS_NO_MORE_FILES, -ENODATA),
        E(STATUS_STOPPED_ON_SYMLINK, -ELOOP),
        E(STATUS_UNSUCCESSFUL, -EIO),
        E(STATUS_NOT_IMPLEMENTED, -EOPNOTSUPP),
        E(STATUS_INVALID_INFO_CLASS, -EOPNOTSUPP),
        E(STATUS_INFO_LENGTH_MISMATCH, -EINVAL),
        E(STATUS_INVALID_HANDLE, -EBADF),
        E(STATUS_INVALID_PARAMETER, -EINVAL),
        E(STATUS_NO_SUCH_DEVICE, -ENODEV),
        E(STATUS_NO_SUCH_FILE, -ENOENT),
        E(STATUS_INVALID_DEVICE_REQUEST, -EOPNOTSUPP),
        E(STATUS_END_OF_FILE, -ENODATA),
        E(STATUS_MORE_PROCESSING_REQUIRED, -EAGAIN),
        E(STATUS_NO_MEMORY, -ENOMEM),
        E(STATUS_ACCESS_DENIED, -EACCES),
        E(STATUS_BUFFER_TOO_SMALL, -ENOBUFS),
        E(STATUS_OBJECT_TYPE_MISMATCH, -EINVAL),
        E(STATUS_OBJECT_NAME_INVALID, -EINVAL),
        E(STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT),
        E(STATUS_OBJECT_NAME_COLLISION, -EEXIST),
        E(STATUS_OBJECT_PATH_INVALID, -ENOTDIR),
        E(STATUS_OBJECT_PATH_NOT_FOUND, -ENOENT),
        E(STATUS_OBJECT_PATH_SYNTAX_BAD, -EINVAL),
        E(STATUS_SHARING_VIOLATION, -EBUSY),
        E(STATUS_QUOTA_EXCEEDED, -EDQUOT),
        E(STATUS_EAS_NOT_SUPPORTED, -EOPNOTSUPP),
        E(STATUS_FILE_LOCK_CONFLICT, -EAGAIN),
        E(STATUS_LOCK_NOT_GRANTED, -EAGAIN),
        E(STATUS_DELETE_PENDING, -ENOENT),
        E(STATUS_NO_LOGON_SERVERS, -EAGAIN),
        E(STATUS_PRIVILEGE_NOT_HELD, -EPERM),
        E(STATUS_NO_SUCH_USER, -EACCES),
        E(STATUS_WRONG_PASSWORD, -EACCES),
        E(STATUS_LOGON_FAILURE, -EACCES),
        E(STATUS_ACCOUNT_RESTRICTION, -EACCES),
        E(STATUS_INVALID_LOGON_HOURS, -EACCES),
        E(STATUS_INVALID_WORKSTATION, -EACCES),
        E(STATUS_PASSWORD_EXPIRED, -EKEYEXPIRED),
        E(STATUS_ACCOUNT_DISABLED, -EACCES),
        E(STATUS_RANGE_NOT_LOCKED, -ENOLCK),
        E(STATUS_DISK_FULL, -ENOSPC),
        E(STATUS_FILE_INVALID, -EIO),
        E(STATUS_INSUFFICIENT_RESOURCES, -EAGAIN),
        E(STATUS_MEDIA_WRITE_PROTECTED, -EROFS),
        E(STATUS_BAD_IMPERSONATION_LEVEL, -EPERM),
        E(STATUS_IO_TIMEOUT, -ETIMEDOUT),
        E(STATUS_FILE_IS_A_DIRECTORY, -EISDIR),
        E(STATUS_NOT_SUPPORTED, -EOPNOTSUPP),
        E(STATUS_REMOTE_NOT_LISTENING, -ECONNREFUSED),
        E(STATUS_BAD_NETWORK_PATH, -ENOENT),
        E(STATUS_NETWORK_BUSY, -EAGAIN),
        E(STATUS_INVALID_NETWORK_RESPONSE, -EPROTO),
        E(STATUS_UNEXPECTED_NETWORK_ERROR, -EIO),
        E(STATUS_NETWORK_NAME_DELETED, -ESTALE),
        E(STATUS_NETWORK_ACCESS_DENIED, -EACCES),
        E(STATUS_BAD_DEVICE_TYPE, -ENODEV),
        E(STATUS_BAD_NETWORK_NAME, -ENOENT),
        E(STATUS_REQUEST_NOT_ACCEPTED, -EAGAIN),
        E(STATUS_NOT_SAME_DEVICE, -EXDEV),
        E(STATUS_INTERNAL_ERROR, -EIO),
        E(STATUS_DIRECTORY_NOT_EMPTY, -ENOTEMPTY),
        E(STATUS_NOT_A_DIRECTORY, -ENOTDIR),
        E(STATUS_NAME_TOO_LONG, -ENAMETOOLONG),
        E(STATUS_TOO_MANY_OPENED_FILES, -EMFILE),
        E(STATUS_CANCELLED, -ECANCELED),
        E(STATUS_CANNOT_DELETE, -EPERM),
        E(STATUS_FILE_DELETED, -ENOENT),
        E(STATUS_FILE_CLOSED, -EBADF),
        E(STATUS_INVALID_LEVEL, -EOPNOTSUPP),
        E(STATUS_PIPE_BROKEN, -EPIPE),
        E(STATUS_LOGON_TYPE_NOT_GRANTED, -EACCES),
        E(STATUS_INVALID_DEVICE_STATE, -EIO),
        E(STATUS_TRUSTED_RELATIONSHIP_FAILURE, -EACCES),
        E(STATUS_ACCOUNT_EXPIRED, -EACCES),
        E(STATUS_USER_SESSION_DELETED, -ENOTCONN),
        E(STATUS_INSUFF_SERVER_RESOURCES, -EAGAIN),
        E(STATUS_INVALID_BUFFER_SIZE, -EINVAL),
        E(STATUS_CONNECTION_DISCONNECTED, -ECONNRESET),
        E(STATUS_CONNECTION_RESET, -ECONNRESET),
        E(STATUS_PASSWORD_MUST_CHANGE, -EKEYEXPIRED),
        E(STATUS_NOT_FOUND, -ENOENT),
        E(STATUS_RETRY, -EAGAIN),
        E(STATUS_ACCOUNT_LOCKED_OUT, -EACCES),
        E(STATUS_CONNECTION_REFUSED, -ECONNREFUSED),
        E(STATUS_NETWORK_UNREACHABLE, -ENETUNREACH),
        E(STATUS_HOST_UNREACHABLE, -EHOSTUNREACH),
        E(STATUS_REQUEST_ABORTED, -ECONNABORTED),
        E(STATUS_USER_MAPPED_FILE, -EBUSY),
        E(STATUS_PATH_NOT_COVERED, -EREMOTE),
        E(STATUS_VOLUME_DISMOUNTED, -ENODEV),
        E(STATUS_NOT_A_REPARSE_POINT, -EINVAL),
        E(STATUS_NETWORK_SESSION_EXPIRED, -EKEYEXPIRED),
        E(STATUS_DOWNGRADE_DETECTED, -EPROTO),
        E(STATUS_SERVER_UNAVAILABLE, -EAGAIN),
        E(STATUS_DISK_QUOTA_EXCEEDED, -EDQUOT),
        E(STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP, -EPROTO),
        E(STATUS_SMB_BAD_CLUSTER_DIALECT, -EPROTO),
};

#undef E

static const struct ntstatus_entry *lookup(uint32_t status)
{
        size_t lo = 0, hi = sizeof(table) / sizeof(table[0]);

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (table[mid].value == status)
                        return &table[mid];
                if (table[mid].value < status)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

const char *ntstatus_name(uint32_t status)
{
        const struct ntstatus_entry *e = lookup(status);
        return e ? e->name : "STATUS_UNKNOWN";
}

int ntstatus_to_errno(uint32_t status)
{
        const struct ntstatus_entry *e = lookup(status);
        if (e)
                return e->err;
        /* Unknown success and informational codes do not fail the call. */
        return (status >> 30) < 2 ? 0 : -EIO;
}

const char *ntstatus_format(uint32_t status, char *buf, size_t len)
{
        const struct ntstatus_entry *e = lookup(status);

        if (!buf || len == 0)
                return "";
        if (e)
                snprintf(buf, len, "%s", e->name);
        else
                snprintf(buf, len, "0x%08X", (unsigned)status);
        return buf;
}

size_t ntstatus_table_size(void)
{
        return sizeof(table) / sizeof(table[0]);
}

uint32_t ntstatus_table_value(size_t i)
{
        return i < ntstatus_table_size() ? table[i].value : 0;
}
