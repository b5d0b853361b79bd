/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "wd-mime.h"

static const struct {
        const char *ext;
        const char *type;
} types[] = {
        { "7z", "application/x-7z-compressed" },
        { "avi", "video/x-msvideo" },
        { "bmp", "image/bmp" },
        { "bz2", "application/x-bzip2" },
        { "c", "text/plain; charset=utf-8" },
        { "css", "text/css; charset=utf-8" },
        { "csv", "text/csv; charset=utf-8" },
        { "doc", "application/msword" },
        { "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
        { "flac", "audio/flac" },
        { "gif", "image/gif" },
        { "gz", "application/gzip" },
        { "h", "text/plain; charset=utf-8" },
        { "htm", "text/html; charset=utf-8" },
        { "html", "text/html; charset=utf-8" },
        { "ico", "image/vnd.microsoft.icon" },
        { "iso", "application/x-iso9660-image" },
        { "jpeg", "image/jpeg" },
        { "jpg", "image/jpeg" },
        { "js", "text/javascript; charset=utf-8" },
        { "json", "application/json" },
        { "log", "text/plain; charset=utf-8" },
        { "md", "text/markdown; charset=utf-8" },
        { "mkv", "video/x-matroska" },
        { "mov", "video/quicktime" },
        { "mp3", "audio/mpeg" },
        { "mp4", "video/mp4" },
        { "odp", "application/vnd.oasis.opendocument.presentation" },
        { "ods", "application/vnd.oasis.opendocument.spreadsheet" },
        { "odt", "application/vnd.oasis.opendocument.text" },
        { "ogg", "audio/ogg" },
        { "pdf", "application/pdf" },
        { "png", "image/png" },
        { "ppt", "application/vnd.ms-powerpoint" },
        { "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
        { "svg", "image/svg+xml" },
        { "tar", "application/x-tar" },
        { "tif", "image/tiff" },
        { "tiff", "image/tiff" },
        { "txt", "text/plain; charset=utf-8" },
        { "wav", "audio/wav" },
        { "webm", "video/webm" },
        { "webp", "image/webp" },
        { "xls", "application/vnd.ms-excel" },
        { "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
        { "xml", "application/xml" },
        { "xz", "application/x-xz" },
        { "zip", "application/zip" },
        { "zst", "application/zstd" },
};

const char *wd_mime_type(const char *name)
{
        const char *slash = strrchr(name, '/');
        const char *dot = strrchr(slash ? slash + 1 : name, '.');
        size_t lo = 0, hi = sizeof(types) / sizeof(types[0]);

        if (!dot || dot[1] == '\0')
                return "application/octet-stream";
        dot++;
        while (lo < hi) {       /* the table is sorted */
                size_t mid = (lo + hi) / 2;
                int c = strcasecmp(dot, types[mid].ext);
                if (c == 0)
                        return types[mid].type;
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return "application/octet-stream";
}
