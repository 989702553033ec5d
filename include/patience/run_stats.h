/* Statistics over a series of runs of one command (rpr): counts of
 * successes, failures and skipped ticks, and the mean, standard deviation,
 * minimum and maximum of their durations, kept with Welford's method so
 * that no sample is stored and no precision is lost on long series. */
#ifndef PATIENCE_RUN_STATS_H
#define PATIENCE_RUN_STATS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pt_run_stats {
	int64_t runs, succeeded, failed, skipped;
	double mean_ms, m2; /* Welford: running mean and sum of squared deviations */
	double min_ms, max_ms;
} pt_run_stats;

void pt_run_stats_init(pt_run_stats *s);
void pt_run_stats_add(pt_run_stats *s, double duration_ms, bool succeeded);
/* Sample standard deviation of the durations; 0 with fewer than 2 runs. */
double pt_run_stats_stddev(const pt_run_stats *s);

#endif
