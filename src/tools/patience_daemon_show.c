/* What `patience daemon status` shows of executions: one line per
 * resource with its runs per tool, and `patience daemon status RESOURCE`,
 * one resource in detail (its limit, usage, executions per tool and what
 * the kept history says of its limit). Reads the daemon's replies
 * (docs/PROTOCOL.md: resources, metrics). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "exec/clock.h"
#include "patience.h"
#include "patience/duration.h"

double json_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "?";
}

/* key as a duration: "1.2s", "450ms". */
static const char *duration_of(const cJSON *o, const char *key, char *buf, size_t len)
{
	pt_duration_format((int64_t)json_num(o, key), buf, len);
	return buf;
}

/* "3s ago", "1h2m ago", "now": whole seconds. */
static const char *ago(double when_ms, char *buf, size_t len)
{
	int64_t d = (pt_realtime_ms() - (int64_t)when_ms) / 1000 * 1000;
	if (d < 1000)
		return snprintf(buf, len, "now"), buf;
	pt_duration_format(d, buf, len);
	strncat(buf, " ago", len - strlen(buf) - 1);
	return buf;
}

static const char *plural(double n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void daemon_show_executions(const cJSON *resource)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(resource, "executions"), *t;
	const char *sep = " ";
	char mean[32];
	if (!x)
		return;
	printf("      executions");
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(x, "tools")) {
		printf("%s%s %.0f (%.0f failed, mean %s)", sep, t->string, json_num(t, "total"),
		       json_num(t, "failed"), duration_of(t, "mean_duration_ms", mean, sizeof mean));
		sep = ", ";
	}
	if (!strcmp(sep, " "))
		printf(" none");
	double active = json_num(x, "active_clients");
	printf("; %.0f active %s\n", active, plural(active, "client", "clients"));
}

/* "2 runs, 1 failed (50% success), mean 555ms, last 2s ago (failure)". */
static void print_counts(const cJSON *c)
{
	char mean[32], last[48];
	double total = json_num(c, "total");
	printf("%.0f %s", total, plural(total, "run", "runs"));
	if (total == 0)
		return;
	printf(", %.0f failed (%.0f%% success), mean %s, last %s (%s)", json_num(c, "failed"),
	       json_num(c, "success_rate") * 100, duration_of(c, "mean_duration_ms", mean, sizeof mean),
	       ago(json_num(c, "last_ms"), last, sizeof last), json_str(c, "last_outcome"));
}

static void show_limit(const cJSON *r)
{
	char w[32], guard[32], next[48];
	if (!cJSON_GetObjectItemCaseSensitive(r, "limit")) {
		printf("  limit       none (known by its executions)\n");
		return;
	}
	printf("  limit       %.0f per %s (from %s), %s, guard %s\n", json_num(r, "limit"),
	       duration_of(r, "window_ms", w, sizeof w), json_str(r, "source"),
	       strcmp(json_str(r, "algorithm"), "gcra") ? "sliding window" : "GCRA",
	       duration_of(r, "guard_ms", guard, sizeof guard));
	double free_in = json_num(r, "next_free_ms") - (double)pt_realtime_ms();
	if (free_in > 0)
		pt_duration_format((int64_t)free_in, next, sizeof next);
	printf("  usage       %.0f in the last window, %.0f reserved, %.0f waiting; next start %s%s\n",
	       json_num(r, "in_window"), json_num(r, "reserved"), json_num(r, "waiting"),
	       free_in > 0 ? "in " : "", free_in > 0 ? next : "now");
}

static void show_tools(const cJSON *tools)
{
	const cJSON *t;
	cJSON_ArrayForEach(t, tools) {
		printf("    %-10s ", t->string);
		print_counts(t);
		printf("\n");
	}
}

/* The kept history (metrics op): how full the limit's windows were. */
static void show_history(const cJSON *metrics)
{
	const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(metrics, "resources"), 0);
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(r, "limit_usage");
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(r, "summary");
	char since[48], w[32];
	if (!r)
		return;
	printf("  history     %.0f %s since %s", json_num(sum, "total"),
	       plural(json_num(sum, "total"), "run", "runs"),
	       ago(json_num(metrics, "from_ms"), since, sizeof since));
	if (usage)
		printf("; fullest %s window: %.0f of %.0f starts; mean %g per window",
		       duration_of(usage, "window_ms", w, sizeof w),
		       json_num(usage, "fullest_window_starts"), json_num(usage, "limit"),
		       json_num(usage, "mean_starts_per_window"));
	printf("\n");
}

void daemon_show_resource(const cJSON *r, const cJSON *metrics)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(r, "executions");
	printf("%s (yours)\n", json_str(r, "resource"));
	show_limit(r);
	printf("  executions  ");
	if (!x) {
		printf("none reported\n");
	} else {
		double active = json_num(x, "active_clients");
		print_counts(x);
		printf("; %.0f active %s\n", active, plural(active, "client", "clients"));
		show_tools(cJSON_GetObjectItemCaseSensitive(x, "tools"));
	}
	show_history(metrics);
}
