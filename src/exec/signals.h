/* Signals as events: SIGINT, SIGTERM, SIGHUP and SIGCHLD are turned into
 * bytes on a self-pipe, so that one poll() waits for the command's output,
 * its exit, a deadline and the user's Ctrl-C at once. */
#ifndef PT_EXEC_SIGNALS_H
#define PT_EXEC_SIGNALS_H

/* Install the handlers (once per process) and ignore SIGPIPE. Returns the
 * read end of the self-pipe (non-blocking, close-on-exec), or -1 with errno. */
int pt_signals_install(void);

/* Drain the self-pipe. Returns the last terminating signal seen (SIGINT,
 * SIGTERM or SIGHUP) or 0 when there was only SIGCHLD or nothing. */
int pt_signals_drain(int fd);

/* The terminating signal received so far, 0 if none. */
int pt_signals_pending(void);

/* In a child after fork(2): a self-pipe of its own, nothing received yet.
 * Returns its read end, or -1 with errno. */
int pt_signals_reset(void);

#endif
