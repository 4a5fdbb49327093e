/* server_deliver.h: the deliverer of an embedded directory's phone codes.
 *
 * The guard (inside slapd) makes each phone verification code and leaves it in
 * DIR/outbox as one file, "NUMBER LOGIN CODE", readable by slapd's account and root only.
 * The deliverer, a background process `tessera server start` leaves running beside slapd
 * as slapd's account (never root: that account owns DIR), hands each to [users]
 * notify_command of DIR/tessera.conf (read again for every code): argv NUMBER LOGIN,
 * checked again, the code on stdin, no shell, at most 30 s. A code is delivered once or
 * dropped (the command failed, none is configured, or it waited longer than the code
 * lives); each outcome is a line in DIR/deliver.log, never the code. It ends when that
 * slapd does; one runs per DIR (a lock). */
#ifndef TSR_SERVER_DELIVER_H
#define TSR_SERVER_DELIVER_H

#include <sys/types.h>

#include "attrs.h"

/* Start the deliverer for dir as uid/gid, following the slapd with pid slapd_pid. 0 or a
 * negative errno (it could not be started). */
TSR_MUST_USE int deliver_start(const char *dir, pid_t slapd_pid, uid_t uid, gid_t gid);

#endif
