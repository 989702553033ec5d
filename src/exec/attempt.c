#define _GNU_SOURCE /* ppoll */
#include "exec/attempt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec/clock.h"
#include "exec/relay.h"
#include "exec/signals.h"

/* After an attempt we stopped, output still queued for a reader that does
 * not read is dropped after this long rather than hang the retry loop. */
#define DRAIN_BUDGET_NS (1000 * PT_NS_PER_MS)
/* How long the rest of a stopped command's group may take to follow it. */
#define GROUP_GRACE_NS (250 * PT_NS_PER_MS)

/* Everything one attempt's supervision loop tracks. */
typedef struct supervisor {
	const pt_attempt_spec *spec;
	pid_t pid;
	pt_relay out[2]; /* the command's stdout/stderr, when watched */
	int in;      /* write end of the replayed stdin, -1 when done */
	size_t in_off;
	int64_t term_at;  /* when to send SIGTERM (timeout/deadline), 0: never */
	int64_t kill_at;  /* when to send SIGKILL, 0: not armed */
	int wstatus;
	int reaped;
	int has_terminal; /* the command got our terminal's foreground */
	pt_attempt_result *result;
} supervisor;

static int64_t min_deadline(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int make_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/* An interactive command in a background process group would stop at its
 * first read from the terminal: when we own the terminal, lend it. */
static int lends_terminal(const pt_attempt_spec *spec)
{
	return !spec->stdin_data && isatty(0) && tcgetpgrp(0) == getpgrp();
}

static void take_back_terminal(void)
{
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(0, getpgrp());
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static int spawn_setup(const pt_attempt_spec *spec, posix_spawn_file_actions_t *fa,
		       posix_spawnattr_t *attr, int out_pipes[2][2], int in_pipe[2],
		       int terminal)
{
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGCHLD);
	posix_spawnattr_init(attr);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
					       POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setpgroup(attr, 0);
	posix_spawnattr_setsigdefault(attr, &defaults);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawn_file_actions_init(fa);
	if (terminal)
		posix_spawn_file_actions_addtcsetpgrp_np(fa, 0);
	if (spec->watch || spec->prefix) {
		for (int i = 0; i < 2; i++) {
			if (make_pipe(out_pipes[i]) < 0)
				return -1;
			posix_spawn_file_actions_adddup2(fa, out_pipes[i][1], 1 + i);
		}
	}
	if (spec->stdin_data) {
		if (make_pipe(in_pipe) < 0)
			return -1;
		posix_spawn_file_actions_adddup2(fa, in_pipe[0], 0);
	}
	return 0;
}

static int spawn(supervisor *s)
{
	const pt_attempt_spec *spec = s->spec;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int out_pipes[2][2] = {{-1, -1}, {-1, -1}}, in_pipe[2] = {-1, -1};
	s->has_terminal = lends_terminal(spec);
	int rc = spawn_setup(spec, &fa, &attr, out_pipes, in_pipe, s->has_terminal);
	if (rc == 0) {
		rc = posix_spawnp(&s->pid, spec->argv[0], &fa, &attr, spec->argv, spec->envp);
		if (rc == 0)
			s->result->spawned_ns = pt_monotonic_ns();
		if (rc != 0) {
			s->result->end = PT_END_NOT_STARTED;
			s->result->spawn_errno = rc;
			rc = 0;
			s->pid = -1;
			if (s->has_terminal)
				take_back_terminal();
			s->has_terminal = 0;
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	for (int i = 0; i < 2; i++) {
		close_fd(&out_pipes[i][1]);
		pt_relay_init(&s->out[i], out_pipes[i][0], 1 + i, i, spec->prefix);
		if (out_pipes[i][0] >= 0)
			fcntl(out_pipes[i][0], F_SETFL, O_NONBLOCK);
	}
	close_fd(&in_pipe[0]);
	s->in = in_pipe[1];
	if (s->in >= 0)
		fcntl(s->in, F_SETFL, O_NONBLOCK);
	return rc;
}

static void pump_stdin(supervisor *s)
{
	const pt_attempt_spec *spec = s->spec;
	while (s->in_off < spec->stdin_len) {
		ssize_t n = write(s->in, spec->stdin_data + s->in_off, spec->stdin_len - s->in_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0)
			break; /* EPIPE: the command stopped reading */
		s->in_off += (size_t)n;
	}
	close_fd(&s->in);
}

static void signal_group(supervisor *s, int sig)
{
	kill(-s->pid, sig);
	if (sig != SIGKILL && s->kill_at == 0)
		s->kill_at = pt_monotonic_ns() + s->spec->kill_after_ns;
}

static void check_deadlines(supervisor *s, int64_t now)
{
	if (s->kill_at && now >= s->kill_at) {
		kill(-s->pid, SIGKILL);
		s->kill_at = 0;
		s->term_at = 0;
	} else if (s->term_at && now >= s->term_at && s->result->end == PT_END_EXITED) {
		int64_t deadline = s->spec->deadline_ns;
		s->result->end = deadline && now >= deadline ? PT_END_DEADLINE : PT_END_TIMED_OUT;
		s->term_at = 0;
		signal_group(s, SIGTERM);
	}
}

static void check_signals(supervisor *s)
{
	int sig = pt_signals_drain(s->spec->signal_fd);
	if (sig && s->result->end != PT_END_INTERRUPTED) {
		s->result->end = PT_END_INTERRUPTED;
		s->result->signal = sig;
		signal_group(s, sig);
	}
	if (!s->reaped && waitpid(s->pid, &s->wstatus, WNOHANG) == s->pid)
		s->reaped = 1;
}

static int wait_events(supervisor *s)
{
	struct pollfd fds[4];
	nfds_t n = 0;
	fds[n++] = (struct pollfd){.fd = s->spec->signal_fd, .events = POLLIN};
	for (int i = 0; i < 2; i++)
		fds[n++] = pt_relay_pollfd(&s->out[i]);
	fds[n++] = (struct pollfd){.fd = s->in, .events = POLLOUT};
	int64_t next = min_deadline(s->term_at, s->kill_at);
	struct timespec ts, *timeout = NULL;
	if (next) {
		int64_t left = next - pt_monotonic_ns();
		if (left < 0)
			left = 0;
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		timeout = &ts;
	}
	if (ppoll(fds, n, timeout, NULL) < 0 && errno != EINTR)
		return -1;
	if (fds[0].revents)
		check_signals(s);
	for (int i = 0; i < 2; i++)
		if (fds[1 + i].revents)
			pt_relay_step(&s->out[i], fds[1 + i].revents, s->spec->watch, false);
	if (fds[3].revents)
		pump_stdin(s);
	check_deadlines(s, pt_monotonic_ns());
	return 0;
}

/* The command has exited: relay what is left in its pipes. A background
 * child holding them open must not keep us waiting, nor may a reader of ours
 * that stopped reading, once we have stopped the command ourselves. A signal
 * for patience ends the drain. */
static void drain_output(supervisor *s)
{
	int64_t give_up = s->result->end == PT_END_EXITED ? 0 : pt_monotonic_ns() + DRAIN_BUDGET_NS;
	while (pt_relay_active(&s->out[0]) || pt_relay_active(&s->out[1])) {
		struct pollfd fds[3] = {{.fd = s->spec->signal_fd, .events = POLLIN},
					pt_relay_pollfd(&s->out[0]), pt_relay_pollfd(&s->out[1])};
		int64_t left = give_up ? give_up - pt_monotonic_ns() : -1;
		if (give_up && left <= 0)
			break;
		int timeout_ms = left < 0 ? -1 : (int)(left / PT_NS_PER_MS) + 1;
		if (poll(fds, 3, timeout_ms) < 0 && errno != EINTR)
			break;
		if (fds[0].revents && pt_signals_drain(s->spec->signal_fd))
			break;
		for (int i = 0; i < 2; i++)
			pt_relay_step(&s->out[i], fds[1 + i].revents, s->spec->watch, true);
	}
	pt_relay_close(&s->out[0]);
	pt_relay_close(&s->out[1]);
}

/* Until the group is gone (or only zombies, which kill(2) still finds, are
 * left), at most GROUP_GRACE_NS and never past the SIGKILL already due. */
static void await_group(supervisor *s)
{
	int64_t until = pt_monotonic_ns() + GROUP_GRACE_NS;
	if (s->kill_at && s->kill_at < until)
		until = s->kill_at;
	while (kill(-s->pid, 0) == 0 && pt_monotonic_ns() < until)
		nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
}

static void finish(supervisor *s)
{
	pt_attempt_result *r = s->result;
	drain_output(s);
	close_fd(&s->in);
	if (s->has_terminal)
		take_back_terminal();
	/* What we had to stop must not leave stragglers in its group; those
	 * still handling the forwarded signal get a moment to finish. */
	if (r->end != PT_END_EXITED) {
		await_group(s);
		kill(-s->pid, SIGKILL);
	}
	if (r->end == PT_END_EXITED && WIFSIGNALED(s->wstatus)) {
		r->end = PT_END_KILLED;
		r->signal = WTERMSIG(s->wstatus);
	}
	r->status = WIFEXITED(s->wstatus) ? WEXITSTATUS(s->wstatus) : 128 + WTERMSIG(s->wstatus);
	if (s->spec->watch) {
		pt_watch_finish(s->spec->watch);
		r->verdict = s->spec->watch->verdict;
	}
}

int pt_attempt_run(const pt_attempt_spec *spec, pt_attempt_result *result)
{
	supervisor s = {.spec = spec, .in = -1, .result = result};
	pt_relay_init(&s.out[0], -1, 1, 0, NULL);
	pt_relay_init(&s.out[1], -1, 2, 1, NULL);
	memset(result, 0, sizeof *result);
	result->end = PT_END_EXITED;
	if (spec->watch)
		pt_watch_reset(spec->watch);
	result->started_ns = pt_monotonic_ns();
	if (spawn(&s) < 0)
		return -1;
	if (result->end == PT_END_NOT_STARTED) {
		result->ended_ns = pt_monotonic_ns();
		return 0;
	}
	if (spec->on_started)
		spec->on_started(spec->started_ctx, result->spawned_ns);
	if (spec->timeout_ns)
		s.term_at = result->started_ns + spec->timeout_ns;
	s.term_at = min_deadline(s.term_at, spec->deadline_ns);
	/* A signal that arrived before the spawn still applies to this attempt. */
	check_signals(&s);
	while (!s.reaped) {
		if (wait_events(&s) < 0) {
			kill(-s.pid, SIGKILL);
			waitpid(s.pid, &s.wstatus, 0);
			return -1;
		}
	}
	result->ended_ns = pt_monotonic_ns();
	finish(&s);
	return 0;
}
