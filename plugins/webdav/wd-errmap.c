/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>

#include "wd-errmap.h"

unsigned wd_status_of_errno(int err, enum wd_method_kind kind, int *retry_after)
{
        *retry_after = 0;
        switch (-err) {
        case 0:
                return 200;
        case ENOENT:
                return 404;
        case EACCES:
        case EPERM:
        case EROFS:
                return 403;
        case EEXIST:
                return kind == WD_M_CREATE ? 405 : 412;
        case ENOTEMPTY:
        case ENOTDIR:
        case EISDIR:
                return 409;
        case ENOSPC:
        case EDQUOT:
                return 507;
        case EFBIG:
                return 413;
        case ENAMETOOLONG:
                return 414;
        case EINVAL:
                return 400;
        case EBUSY:
        case ETXTBSY:
                return 423;
        case EOPNOTSUPP:
                return 501;
        case EHOSTDOWN:
        case ETIMEDOUT:
        case ENOTCONN:
        case ECONNRESET:
        case ECONNREFUSED:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case ENODEV:
        case ECANCELED:
        case EAGAIN:
                *retry_after = 1;
                return 503;
        case EIO:
                return 502;
        case ENOMEM:
                *retry_after = 1;
                return 503;
        default:
                return 500;
        }
}

const char *wd_reason(unsigned status)
{
        switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 206: return "Partial Content";
        case 207: return "Multi-Status";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 412: return "Precondition Failed";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 416: return "Range Not Satisfiable";
        case 423: return "Locked";
        case 424: return "Failed Dependency";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 507: return "Insufficient Storage";
        default: return "Error";
        }
}
