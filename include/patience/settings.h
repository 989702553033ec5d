/* The schema of the shared config file (patience, rpr and the daemon read
 * the same file): every key, its type, default, environment name and check.
 * Each program reads the whole table, so a key meant for another program is
 * accepted and a misspelt one is an error everywhere. */
#ifndef PATIENCE_SETTINGS_H
#define PATIENCE_SETTINGS_H

#include "patience/config.h"
#include "patience/profile.h"

/* The largest --concurrency N (and config concurrency = N). */
#define PT_CONCURRENCY_MAX 100000

/* The table; *count receives its length. */
const pt_setting_def *pt_settings_table(size_t *count);

/* Initialise c with the table and its defaults, and the free tables
 * [rate_limiting.resources] and [profiles.NAME] (checked, not kept). */
int pt_settings_config_init(pt_config *c);

/* Keep the [profiles.NAME] tables of the files applied to c from now on in
 * set (a later file's table replaces an earlier one's); set must outlive
 * the loading. */
void pt_settings_keep_profiles(pt_config *c, pt_profile_set *set);
/* That set, or NULL when none is kept. */
const pt_profile_set *pt_settings_profiles(const pt_config *c);

/* The rate limits of [rate_limiting.resources] as a client sees them (the
 * daemon keeps its own): the first PT_RESOURCE_LIMITS_KEPT entries. */
#define PT_RESOURCE_LIMITS_KEPT 64
typedef struct pt_resource_limit_entry {
	char pattern[256]; /* a resource id, or a glob of ids */
	int64_t limit, window_ms;
} pt_resource_limit_entry;
typedef struct pt_resource_limits {
	pt_resource_limit_entry entries[PT_RESOURCE_LIMITS_KEPT];
	size_t count;
} pt_resource_limits;

/* Keep the rate limits of the files applied to c from now on in kept. */
void pt_settings_keep_resource_limits(pt_config *c, pt_resource_limits *kept);
/* Those kept, or NULL. */
const pt_resource_limits *pt_settings_resource_limits(const pt_config *c);
/* How a [rate_limiting.resources] key matches a resource id: 0 as the
 * id itself, 1 as a glob (fnmatch(3)), -1 not at all. An exact key wins
 * over every glob, then the first glob in file order. */
int pt_resource_pattern_match(const char *pattern, const char *name);
/* The entry for name as the daemon picks it: an exact id, else the first
 * glob that matches; NULL: none. */
const pt_resource_limit_entry *pt_resource_limits_match(const pt_resource_limits *l,
							const char *name);

/* What the shared keys mean for a client tool, each with the tool's own
 * [patience.defaults] / [repeater.defaults] form where there is one. */
typedef enum pt_tool { PT_TOOL_PATIENCE, PT_TOOL_RPR } pt_tool;

/* Use the daemon: daemon_enabled (a --daemon flag or the environment
 * always; a config file's only while rate_limiting.coordination_enabled). */
bool pt_settings_daemon_enabled(const pt_config *c, pt_tool tool);
/* Derive the resource id from the command's target (resource_detection),
 * else from the program's name alone. */
bool pt_settings_resource_detection(const pt_config *c, pt_tool tool);
/* quiet and verbose, with log_level's say: error and warn are quiet,
 * debug verbose. */
void pt_settings_verbosity(const pt_config *c, bool *quiet, bool *verbose);
/* A limit without a burst is kept with evenly spaced starts (GCRA, burst
 * 1) rather than a sliding window: rate_limiting.default_algorithm = gcra. */
bool pt_settings_even_starts(const pt_config *c);

#endif
