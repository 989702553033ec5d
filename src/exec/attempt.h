/* Run one attempt of a command: spawn it in its own process group, pass its
 * output through (watching it for patterns when asked), enforce the attempt
 * timeout and the run's deadline (SIGTERM to the group, SIGKILL after the
 * grace period), and forward SIGINT/SIGTERM/SIGHUP to the group. */
#ifndef PT_EXEC_ATTEMPT_H
#define PT_EXEC_ATTEMPT_H

#include <stddef.h>
#include <stdint.h>

#include "exec/watch.h"

typedef struct pt_attempt_spec {
	char *const *argv;
	char *const *envp;
	int64_t timeout_ns;    /* 0: no per-attempt timeout */
	int64_t kill_after_ns; /* grace between SIGTERM and SIGKILL */
	int64_t deadline_ns;   /* absolute CLOCK_MONOTONIC end of the run, 0: none */
	pt_watch *watch;       /* NULL: the command writes straight to our stdout/stderr */
	const char *prefix;    /* before every line of its output (relayed); NULL: none */
	const char *stdin_data; /* replayed stdin; NULL: the command inherits ours */
	size_t stdin_len;
	int signal_fd;         /* from pt_signals_install() */
	/* Told once the command has started (posix_spawn returned, so it has
	 * exec'd), with that moment on CLOCK_MONOTONIC; NULL: nobody. */
	void (*on_started)(void *ctx, int64_t started_ns);
	void *started_ctx;
} pt_attempt_spec;

typedef enum pt_attempt_end {
	PT_END_EXITED,      /* exited on its own: status holds the code */
	PT_END_KILLED,      /* killed by a signal we did not send: signal */
	PT_END_TIMED_OUT,   /* --timeout expired */
	PT_END_DEADLINE,    /* --deadline expired */
	PT_END_INTERRUPTED, /* we received signal and forwarded it */
	PT_END_NOT_STARTED, /* spawn failed: spawn_errno */
} pt_attempt_end;

typedef struct pt_attempt_result {
	pt_attempt_end end;
	int status;
	int signal;
	int spawn_errno;
	pt_verdict verdict;
	int64_t started_ns; /* when the spawn began */
	int64_t spawned_ns; /* when it had exec'd (0: not started) */
	int64_t ended_ns;
} pt_attempt_result;

/* Returns 0, or -1 with errno when patience itself could not run it (pipes,
 * poll); a command that cannot be executed is PT_END_NOT_STARTED, not -1. */
int pt_attempt_run(const pt_attempt_spec *spec, pt_attempt_result *result);

#endif
