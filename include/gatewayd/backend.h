/* SPDX-License-Identifier: MIT */
/*
 * gatewayd backend file operations.
 *
 * A backend plugin registers named shares (api->share_register) behind a
 * table of asynchronous operations.  Frontends find shares by name
 * (api->share_find) and call the operations through api->share_ops(),
 * which always returns a complete table: operations the backend did not
 * implement complete with -EOPNOTSUPP.
 *
 * Completion rules
 *   - Every operation takes a completion `done(cbdata, result)`.  It is
 *     called exactly once, on the loop thread, and never from inside the
 *     operation call itself (a backend that knows the answer at once defers
 *     it with api->defer).  This holds on errors, on connection loss and on
 *     shutdown (-ECANCELED).  The one exception: when memory runs out before
 *     an operation could even be queued, it completes inline with -ENOMEM.
 *   - `result` and everything it points to are valid only during the
 *     callback; copy what you need.  On error only `result->error` is set.
 *   - Buffers given to read/write and path strings must stay valid until
 *     the completion runs.  The caller owns them.
 *   - A `struct gwd_file` is created by open and owned by the backend; it is
 *     released by close, whose completion reports whether the close itself
 *     succeeded (the handle is gone either way).
 *
 * Paths
 *   UTF-8, relative to the share root, components separated by '/', no
 *   leading or trailing '/', "" for the root.  No empty, "." or ".."
 *   components, no NUL, backslash, control characters or the characters
 *   SMB cannot store (":*?\"<>|"); at most GWD_PATH_MAX bytes and
 *   GWD_NAME_MAX bytes per component.  api->path_check() tells.
 */
#ifndef GATEWAYD_BACKEND_H
#define GATEWAYD_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include <gatewayd/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GWD_PATH_MAX 1024
#define GWD_NAME_MAX 255

/* Open flags. */
#define GWD_O_READ      0x01u
#define GWD_O_WRITE     0x02u
#define GWD_O_CREATE    0x04u  /* create if missing */
#define GWD_O_EXCL      0x08u  /* with CREATE: fail with -EEXIST if present */
#define GWD_O_TRUNC     0x10u  /* truncate to 0 on open */
#define GWD_O_DIRECTORY 0x20u  /* must be a directory */
#define GWD_O_DURABLE   0x40u  /* long-lived handle: survive reconnects */

/* Rename flags. */
#define GWD_RENAME_REPLACE 0x01u  /* replace an existing target */

enum gwd_file_type {
        GWD_TYPE_FILE = 1,
        GWD_TYPE_DIR = 2,
};

struct gwd_stat {
        uint32_t type;          /* enum gwd_file_type */
        uint32_t attributes;    /* backend-specific bits, 0 if none */
        uint64_t size;
        uint64_t file_id;       /* stable per file while it exists, 0 if unknown */
        int64_t btime_ns;       /* birth; 0 if unknown */
        int64_t mtime_ns;
        int64_t ctime_ns;
        int64_t atime_ns;
};

struct gwd_dirent {
        const char *name;       /* single component, never "." or ".." */
        struct gwd_stat st;
};

struct gwd_file;  /* opaque, owned by the backend */

struct gwd_result {
        int error;                         /* 0 or negative errno */
        uint64_t count;                    /* read/write: bytes done */
        struct gwd_file *file;             /* open */
        const struct gwd_stat *st;         /* stat, fstat, open */
        const struct gwd_dirent *entries;  /* readdir */
        size_t n_entries;
};

typedef void (*gwd_done_fn)(void *cbdata, const struct gwd_result *res);

struct gwd_backend_ops {
        uint32_t struct_size;

        void (*open)(void *share, const char *path, uint32_t flags,
                     gwd_done_fn done, void *cbdata);
        void (*close)(void *share, struct gwd_file *f,
                      gwd_done_fn done, void *cbdata);
        /* Short reads happen only at end of file. */
        void (*read)(void *share, struct gwd_file *f, uint64_t offset,
                     void *buf, size_t len, gwd_done_fn done, void *cbdata);
        /* Completes with count == len or with an error; never short. */
        void (*write)(void *share, struct gwd_file *f, uint64_t offset,
                      const void *buf, size_t len, gwd_done_fn done,
                      void *cbdata);
        void (*stat)(void *share, const char *path,
                     gwd_done_fn done, void *cbdata);
        void (*fstat)(void *share, struct gwd_file *f,
                      gwd_done_fn done, void *cbdata);
        /* The complete listing of a directory in one completion. */
        void (*readdir)(void *share, const char *path,
                        gwd_done_fn done, void *cbdata);
        void (*mkdir)(void *share, const char *path,
                      gwd_done_fn done, void *cbdata);
        /* Removes an empty directory (-ENOTEMPTY otherwise). */
        void (*rmdir)(void *share, const char *path,
                      gwd_done_fn done, void *cbdata);
        void (*unlink)(void *share, const char *path,
                       gwd_done_fn done, void *cbdata);
        void (*rename)(void *share, const char *from, const char *to,
                       uint32_t flags, gwd_done_fn done, void *cbdata);
        void (*truncate)(void *share, struct gwd_file *f, uint64_t size,
                         gwd_done_fn done, void *cbdata);
        /* Data acknowledged before flush completes is on stable storage. */
        void (*flush)(void *share, struct gwd_file *f,
                      gwd_done_fn done, void *cbdata);
        /* Set modification time (ns since the epoch). */
        void (*set_mtime)(void *share, const char *path, int64_t mtime_ns,
                          gwd_done_fn done, void *cbdata);
        /* --- appended in minor versions go below -------------------------- */
};

#ifdef __cplusplus
}
#endif

#endif /* GATEWAYD_BACKEND_H */
