/* `patience resource -- CMD` and `patience profiles`: what a run would use,
 * without running anything. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "patience.h"
#include "patience/error.h"
#include "patience/settings.h"

static void resource_usage(void)
{
	printf("usage: patience resource [--resource-scope host|path] [--profile NAME]\n"
	       "                         [--resource-id ID] [--config FILE] -- command [args...]\n\n"
	       "Print the resource id a rate-limited run of the command would use.\n");
}

static void profiles_usage(void)
{
	printf("usage: patience profiles [--json] [--config FILE]\n\n"
	       "List the profiles --profile NAME takes: built-in ones with the source of\n"
	       "their numbers, and the [profiles.NAME] tables of the config files.\n");
}

/* An option of a subcommand that sets a setting, as the run's flag would. */
static int add_flag(const pt_config *cfg, cli_args *a, const char *key, const char *flag)
{
	if (a->n_flags == PT_MAX_FLAGS)
		return pt_error("too many options"), PT_EXIT_INTERNAL;
	a->flags[a->n_flags++] = (cli_assignment){pt_config_find(cfg, key), optarg, flag};
	return 0;
}

/* The options of both subcommands: settings as flags in a, --config, and
 * --json into *json (NULL: resource, which has no --json). 0, -1 for
 * --help, or an exit code after saying why. */
static int parse_sub(int argc, char **argv, const pt_config *cfg, cli_args *a, bool *json)
{
	static const struct option longs[] = {
		{"resource-scope", required_argument, NULL, 's'},
		{"profile", required_argument, NULL, 'p'},
		{"resource-id", required_argument, NULL, 'i'},
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c, rc = 0;
	memset(a, 0, sizeof *a);
	opterr = 0;
	optind = 1;
	while (rc == 0 && (c = getopt_long(argc, argv, "+h", longs, NULL)) != -1) {
		bool listing = json != NULL;
		if (c == 'c')
			a->config_file = optarg;
		else if (c == 'h')
			return -1;
		else if (c == 'j' && listing)
			*json = true;
		else if (c == 's' && !listing)
			rc = add_flag(cfg, a, "resource_scope", "resource-scope");
		else if (c == 'p' && !listing)
			rc = add_flag(cfg, a, "profile", "profile");
		else if (c == 'i' && !listing)
			rc = add_flag(cfg, a, "resource_id", "resource-id");
		else
			return pt_error("%s: unknown option \"%s\"", argv[0], argv[optind - 1]),
			       PT_EXIT_INTERNAL;
	}
	if (rc == 0 && optind < argc)
		a->command = argv + optind;
	return rc;
}

int resource_cmd(int argc, char **argv, pt_config *cfg)
{
	cli_args a;
	pt_profile profile;
	char id[512];
	int rc = parse_sub(argc, argv, cfg, &a, NULL);
	if (rc < 0)
		return resource_usage(), 0;
	if (rc)
		return rc;
	if (!a.command) {
		pt_error("resource: no command given: put it after --, as in patience resource -- "
			 "curl URL");
		return PT_EXIT_INTERNAL;
	}
	if ((rc = load_config(cfg, &a)))
		return rc;
	rc = plan_profile(cfg, &profile);
	if (rc > 1)
		return rc;
	plan_resource_id(cfg, rc == 0 ? &profile : NULL, a.command, id, sizeof id);
	if (!id[0]) {
		pt_error("resource: cannot derive a resource id from \"%s\"", a.command[0]);
		return PT_EXIT_INTERNAL;
	}
	printf("%s\n", id);
	return 0;
}

static void print_profile(const pt_profile *p)
{
	char limits[PT_LIMITS_MAX * 48];
	pt_limit_list_format(&p->limits, limits, sizeof limits);
	printf("%-20s %-18s %s\n", p->name, limits,
	       p->resource[0] ? p->resource : "(derived from the command)");
	if (p->description[0])
		printf("  %s%s\n", p->description, p->changed ? " (changed by a config file)" : "");
	if (p->source[0])
		printf("  source: %s\n", p->source);
}

static cJSON *profile_json(const pt_profile *p, bool builtin)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON *limits = cJSON_AddArrayToObject(o, "limits");
	for (size_t i = 0; i < p->limits.count; i++) {
		char text[48];
		pt_limit_format(&p->limits.items[i], text, sizeof text);
		cJSON_AddItemToArray(limits, cJSON_CreateString(text));
	}
	cJSON_AddStringToObject(o, "resource", p->resource);
	cJSON_AddStringToObject(o, "description", p->description);
	cJSON_AddStringToObject(o, "source", p->source);
	cJSON_AddBoolToObject(o, "builtin", builtin);
	cJSON_AddBoolToObject(o, "changed", p->changed);
	return o;
}

/* Built-in profiles first (as the config files changed them), then the
 * config files' own, each once. */
static void list_profiles(const pt_profile_set *set, cJSON *array)
{
	size_t n;
	const pt_profile *builtin = pt_profiles_builtin(&n);
	pt_profile p;
	for (size_t i = 0; i < n + (set ? set->count : 0); i++) {
		const char *name = i < n ? builtin[i].name : set->items[i - n].name;
		bool is_builtin = i < n;
		for (size_t j = 0; !is_builtin && j < n; j++)
			if (strcmp(builtin[j].name, name) == 0)
				is_builtin = true;
		if ((i >= n && is_builtin) || pt_profile_lookup(set, name, &p) != PT_OK)
			continue; /* listed with the built-in ones */
		if (array)
			cJSON_AddItemToArray(array, profile_json(&p, i < n));
		else
			print_profile(&p);
	}
}

int profiles_cmd(int argc, char **argv, pt_config *cfg)
{
	cli_args a;
	bool json = false;
	int rc = parse_sub(argc, argv, cfg, &a, &json);
	if (rc < 0)
		return profiles_usage(), 0;
	if (rc || (rc = load_config(cfg, &a)))
		return rc;
	if (a.command) {
		pt_error("profiles: unexpected argument \"%s\"", a.command[0]);
		return PT_EXIT_INTERNAL;
	}
	if (!json) {
		list_profiles(pt_settings_profiles(cfg), NULL);
		return 0;
	}
	cJSON *o = cJSON_CreateObject(), *array = cJSON_AddArrayToObject(o, "profiles");
	list_profiles(pt_settings_profiles(cfg), array);
	char *text = cJSON_PrintUnformatted(o);
	printf("%s\n", text ? text : "{}");
	cJSON_free(text);
	cJSON_Delete(o);
	return 0;
}
