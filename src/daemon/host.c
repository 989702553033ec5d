/* The host's shared starts (patience/host_starts.h), from the daemon's
 * side: it takes the file's lock before it serves and holds it for its
 * whole life, so that runs which cannot reach it know it is alive. It
 * first takes in the starts runs made there while no daemon ran (they
 * count like its own grants; a start still ahead is asked for again by its
 * run, which always tries a daemon first), then leaves the file empty but for what a
 * run must know if the daemon dies: how far ahead it may have granted
 * (horizon_ms, kept ahead of every grant) and how many daemons share each
 * limit (its share, with Redis). */
#include "daemon/daemon.h"

#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "patience/error.h"

#define HORIZON_STEP_MS 100 /* the horizon is written at most this often as grants advance */

/* One start of e, made while no daemon ran, becomes a reservation here. */
static int take_start(pt_daemon *d, const pt_host_entry *e, int64_t at_ms, int64_t now_ms)
{
	static const int64_t zero = 0;
	pt_placement p;
	pt_acquire a = {
		.uid = (uint32_t)geteuid(), .resource = e->name, .limit = e->dio.limit,
		.window_ms = e->dio.window_ms, .guard_ms = e->dio.guard_ms, .burst = e->burst,
		.offsets = &zero, .k = 1, .max_wait_ms = -1,
	};
	return pt_registry_reserve_at(&d->reg, &a, at_ms, now_ms, &p);
}

/* e's starts made, its wait and its bucket, into the registry. Starts
 * still ahead are left out: their runs ask a daemon again when their time
 * comes (and use them only through the file, when none answers). */
static void take_entry(pt_daemon *d, const pt_host_entry *e, int64_t now_ms)
{
	size_t taken = 0;
	for (size_t i = 0; i < e->dio.count && e->dio.starts[i].at_ms <= now_ms; i++) {
		int64_t at = e->dio.starts[i].at_ms;
		if (at > now_ms - e->dio.window_ms - e->dio.guard_ms &&
		    take_start(d, e, at, now_ms) == PT_OK)
			taken++;
	}
	pt_resource *res = pt_registry_find(&d->reg, (uint32_t)geteuid(), e->name);
	if (!res)
		return;
	if (e->not_before_ms > res->blocked_until_ms)
		res->blocked_until_ms = e->not_before_ms;
	if (res->gcra && e->burst && e->gcra.has_tat)
		pt_gcra_started_at(res->gcra, e->gcra.tat_ms - res->gcra->interval_ms);
	pt_log(PT_LOG_INFO, "took %zu starts of \"%s\" made while no daemon ran", taken, e->name);
}

/* The file's header as it stands: our pid, the horizon, our share. */
static int write_header(pt_daemon *d)
{
	const char *mode;
	int64_t since;
	size_t daemons = 1;
	if (d->redis)
		pt_redis_describe(d->redis, &mode, &since, &daemons);
	d->host.s.daemon_pid = getpid();
	d->host.s.horizon_ms = d->host_horizon_ms;
	d->host.s.share_of = daemons ? (int64_t)daemons : 1;
	return pt_host_file_save(&d->host, pt_daemon_now_ms());
}

int pt_daemon_host_open(pt_daemon *d, char *err, size_t err_len)
{
	int64_t now = pt_daemon_now_ms();
	if (pt_host_file_open(&d->host, d->opt.socket_path, -1, err, err_len) != PT_OK)
		return -1;
	for (size_t i = 0; i < d->host.s.n; i++)
		take_entry(d, &d->host.s.entries[i], now);
	if (pt_registry_commit(&d->reg) != PT_OK)
		return snprintf(err, err_len, "%s: cannot write the state", d->opt.state_path), -1;
	pt_host_starts_release(&d->host.s); /* ours now, and saved */
	d->host_horizon_ms = now;
	if (write_header(d) != PT_OK)
		return snprintf(err, err_len, "cannot write \"%s\"", d->host.path), -1;
	return 0;
}

void pt_daemon_host_granted(pt_daemon *d, int64_t last_start_ms)
{
	if (d->host.fd < 0 || last_start_ms <= d->host_horizon_ms)
		return;
	d->host_horizon_ms = last_start_ms + HORIZON_STEP_MS;
	if (write_header(d) != PT_OK)
		pt_log(PT_LOG_WARN, "cannot write \"%s\": runs that fall back to it may not wait "
		       "for this daemon's last grants", d->host.path);
}

void pt_daemon_host_close(pt_daemon *d)
{
	if (d->host.fd >= 0)
		write_header(d);
	pt_host_file_close(&d->host);
}
