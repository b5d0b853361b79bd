/* SPDX-License-Identifier: MIT */
/*
 * The backend operations (gatewayd/backend.h) over one tree connect:
 * CREATE, CLOSE, READ, WRITE, QUERY_DIRECTORY, QUERY_INFO, SET_INFO, FLUSH.
 * The share userdata is the `struct smb_tcon *`.
 *
 * Every operation first makes the tree good (smb_tcon_ensure: it waits on
 * the tcon's claim like any other caller), then goes on the wire.  READ and
 * WRITE are split by the negotiated MaxRead/MaxWrite and keep up to
 * conf->io_depth requests in flight.  Completions are always delivered
 * through api->defer, exactly once: also on connection loss (the error of
 * the transport) and on shutdown (-ECANCELED).
 */
#ifndef GWD_SMB_FILEOPS_H
#define GWD_SMB_FILEOPS_H

#include "gatewayd/backend.h"
#include "plugins/smb/smb_tcon.h"

extern const struct gwd_backend_ops smb_backend_ops;

#endif /* GWD_SMB_FILEOPS_H */
