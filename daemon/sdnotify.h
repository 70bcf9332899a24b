/*
 * sdnotify.h - peerdiscd's systemd glue: sd_notify(3) state messages
 * (READY, STATUS, RELOADING, STOPPING, WATCHDOG), the watchdog interval,
 * the socket-activated control socket (sd_listen_fds(3)) and native
 * journal logging (sd_journal_sendv(3)).
 *
 * Built with libsystemd (HAVE_SYSTEMD) these do the real thing; without
 * it the notify calls are no-ops, the watchdog is off, no socket is ever
 * inherited, and the journal sink writes "<N>" priority-prefixed lines to
 * stderr (journald reads the prefix).  Every call is a no-op outside
 * systemd (no $NOTIFY_SOCKET, $LISTEN_FDS, $JOURNAL_STREAM).
 */
#ifndef PD_DAEMON_SDNOTIFY_H
#define PD_DAEMON_SDNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/log.h"

#define SDNOTIFY_STATUS_MAX 256		/* bytes of one STATUS= text */
#define SDNOTIFY_IDENTIFIER "peerdiscd"	/* SYSLOG_IDENTIFIER= */
#define SDNOTIFY_JOURNAL_SOCKET "/run/systemd/journal/socket"
/* iovecs of one journal record: PRIORITY, SYSLOG_IDENTIFIER, MESSAGE */
#define SDNOTIFY_JOURNAL_IOV (3 + PD_LOG_MAX_FIELDS)
#define SDNOTIFY_JOURNAL_VALUE_MAX 512	/* bytes of one field value kept */
/* bytes of one record's text: the fixed entries, the message, the fields */
#define SDNOTIFY_JOURNAL_BUF (128 + PD_LOG_LINE_MAX + 16 + \
	PD_LOG_MAX_FIELDS * (PD_LOG_FIELD_NAME_MAX + 2 + \
	SDNOTIFY_JOURNAL_VALUE_MAX))

/*
 * READY=1 with STATUS=status (status may be NULL): startup finished, or
 * a reload finished.  Returns what sd_notify() returned (> 0 sent, 0 no
 * $NOTIFY_SOCKET or no libsystemd, < 0 -errno); callers may ignore it.
 */
int sdnotify_ready(const char *status);
/* STATUS=status (a single line; longer than SDNOTIFY_STATUS_MAX is cut). */
int sdnotify_status(const char *status);
/* RELOADING=1 with MONOTONIC_USEC= the CLOCK_MONOTONIC time in us. */
int sdnotify_reloading(void);
/* STOPPING=1: shutdown began. */
int sdnotify_stopping(void);
/* WATCHDOG=1: the event loop is alive. */
int sdnotify_watchdog(void);
/*
 * The watchdog interval in microseconds that systemd asked this process
 * to keep ($WATCHDOG_USEC, and $WATCHDOG_PID if set names us), or 0 when
 * there is none (or no libsystemd).  Pings belong at half of it.
 */
uint64_t sdnotify_watchdog_usec(void);

/*
 * The control socket passed by socket activation: the first inherited fd
 * that is a listening AF_UNIX SOCK_STREAM socket, or -1 when there is
 * none (not activated, or no libsystemd).  Other inherited fds are closed
 * with a warning naming them.  The $LISTEN_* variables are unset.  The
 * caller owns the fd.  If ret_path is not NULL, the socket's bound path
 * (or "" for an abstract or unnamed socket) is copied there, cut to
 * pathlen.
 */
int sdnotify_listen_fd(char *ret_path, size_t pathlen);

/*
 * True if env (the $JOURNAL_STREAM text, "DEVICE:INODE" in decimal; may
 * be NULL) names the file open on fd: systemd connected it to journald.
 */
bool sdnotify_journal_stream_is(const char *env, int fd);

/*
 * True if journald's native socket (SDNOTIFY_JOURNAL_SOCKET) is there;
 * always false without libsystemd.  sd_journal_sendv() drops records
 * silently when it is missing, so the sink checks first.
 */
bool sdnotify_journal_available(void);

/*
 * Build one native journal record: PRIORITY=level,
 * SYSLOG_IDENTIFIER=peerdiscd, MESSAGE=msg, then each field as
 * NAME=value (fields with invalid names or NULL values, or past
 * PD_LOG_MAX_FIELDS, skipped; a value longer than
 * SDNOTIFY_JOURNAL_VALUE_MAX or a message longer than PD_LOG_LINE_MAX is
 * cut).  Each entry is copied into buf and gets one iovec in
 * iov[0..SDNOTIFY_JOURNAL_IOV).  Returns the number of iovecs, or -1 if
 * buflen is below SDNOTIFY_JOURNAL_BUF.
 */
int sdnotify_journal_record(enum pd_log_level level, const char *msg,
    const struct pd_log_field *fields, size_t nfields, char *buf,
    size_t buflen, struct iovec *iov);

/*
 * The journal log sink (pd_log_set_fields_sink): one native record per
 * line with the fields attached.  If the record cannot be sent (no
 * journal socket, an error, or no libsystemd) the line goes to stderr
 * as "<N>level: msg", which journald reads as the priority.
 */
void sdnotify_journal_sink(enum pd_log_level level, const char *msg,
    const struct pd_log_field *fields, size_t nfields, void *arg);

#endif
