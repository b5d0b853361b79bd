/* SPDX-License-Identifier: MIT */
/* Content-Type by file name extension. */
#ifndef WD_MIME_H
#define WD_MIME_H

/* Never NULL: "application/octet-stream" when the extension is unknown. */
const char *wd_mime_type(const char *name);

#endif
