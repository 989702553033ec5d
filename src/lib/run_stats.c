#include "patience/run_stats.h"

#include <math.h>

void pt_run_stats_init(pt_run_stats *s)
{
	*s = (pt_run_stats){0};
}

void pt_run_stats_add(pt_run_stats *s, double duration_ms, bool succeeded)
{
	double x = duration_ms;
	s->runs++;
	if (succeeded)
		s->succeeded++;
	else
		s->failed++;
	if (s->runs == 1 || duration_ms < s->min_ms)
		s->min_ms = duration_ms;
	if (s->runs == 1 || duration_ms > s->max_ms)
		s->max_ms = duration_ms;
	double delta = x - s->mean_ms;
	s->mean_ms += delta / (double)s->runs;
	s->m2 += delta * (x - s->mean_ms);
}

double pt_run_stats_stddev(const pt_run_stats *s)
{
	return s->runs < 2 ? 0 : sqrt(s->m2 / (double)(s->runs - 1));
}
