/* SPDX-License-Identifier: MIT */
/* Backend errors to HTTP status codes. */
#ifndef WD_ERRMAP_H
#define WD_ERRMAP_H

enum wd_method_kind {
        WD_M_READ = 0,          /* GET, HEAD, PROPFIND */
        WD_M_CREATE,            /* MKCOL: EEXIST is 405 */
        WD_M_WRITE,             /* PUT, COPY/MOVE targets: EEXIST is 412 */
};

/* Status for negative errno `err`; *retry_after is set to 1 when the
 * response should carry Retry-After (backend temporarily away). */
unsigned wd_status_of_errno(int err, enum wd_method_kind kind, int *retry_after);

/* Reason phrase for the status line and error bodies. */
const char *wd_reason(unsigned status);

#endif
