/* Profiles: the built-in table, [profiles.NAME] tables of a config file
 * (errors naming file, line and key), and how a table changes a built-in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "patience/config.h"
#include "patience/error.h"
#include "patience/profile.h"
#include "patience/settings.h"

/* Apply toml to fresh settings that keep their profiles in set. */
static int load(const char *toml, pt_profile_set *set, char *err, size_t len)
{
	pt_config c;
	pt_toml_value *root;
	assert_int_equal(pt_settings_config_init(&c), PT_OK);
	pt_settings_keep_profiles(&c, set);
	assert_ptr_equal(pt_settings_profiles(&c), set);
	assert_int_equal(pt_toml_parse(toml, strlen(toml), &root, err, len), PT_OK);
	int rc = pt_config_apply_toml(&c, root, "t.toml", err, len);
	pt_toml_free(root);
	pt_config_release(&c);
	return rc;
}

static void test_builtin(void **state)
{
	size_t n;
	const pt_profile *p = pt_profiles_builtin(&n);
	assert_true(n >= 5);
	for (size_t i = 0; i < n; i++) {
		assert_true(p[i].limits.count >= 1);
		assert_non_null(strstr(p[i].source, "https://"));
		assert_non_null(strstr(p[i].source, "as published in"));
		assert_true(p[i].resource[0] && p[i].description[0]);
	}
	pt_profile gh;
	assert_int_equal(pt_profile_lookup(NULL, "github", &gh), PT_OK);
	assert_string_equal(gh.resource, "api:external:api.github.com");
	assert_int_equal(gh.limits.items[0].count, 5000);
	assert_int_equal(gh.limits.items[0].window_ms, 3600000);
	assert_false(gh.changed);
	assert_int_equal(pt_profile_lookup(NULL, "nope", &gh), PT_ENOENT);
}

static void test_config_profiles(void **state)
{
	pt_profile_set set;
	pt_profile p;
	char err[512];
	pt_profile_set_init(&set);
	assert_int_equal(load("[profiles.myapi]\n"
			      "resource = \"api:external:api.example.com\"\n"
			      "limits = [\"60/1m\", \"1000/1d@calendar\"]\n"
			      "source = \"https://api.example.com/limits\"\n"
			      "[profiles.github]\n"
			      "limit = 15000\n"
			      "window = \"1h\"\n"
			      "[profiles.one]\n"
			      "limits = \"5/1s,100/1m\"\n",
			      &set, err, sizeof err), PT_OK);
	assert_int_equal(set.count, 3);
	assert_int_equal(pt_profile_lookup(&set, "myapi", &p), PT_OK);
	assert_int_equal(p.limits.count, 2);
	assert_int_equal(p.limits.items[1].calendar, PT_CALENDAR_DAY);
	assert_string_equal(p.resource, "api:external:api.example.com");
	/* a built-in changed only where the table says */
	assert_int_equal(pt_profile_lookup(&set, "github", &p), PT_OK);
	assert_int_equal(p.limits.items[0].count, 15000);
	assert_string_equal(p.resource, "api:external:api.github.com");
	assert_non_null(strstr(p.source, "docs.github.com"));
	assert_true(p.changed);
	assert_int_equal(pt_profile_lookup(&set, "one", &p), PT_OK);
	assert_int_equal(p.limits.count, 2);
	assert_string_equal(p.resource, "");
	/* a later file replaces the table */
	assert_int_equal(load("[profiles.myapi]\nlimit = 1\nwindow = \"1s\"\n", &set, err,
			      sizeof err), PT_OK);
	assert_int_equal(set.count, 3);
	assert_int_equal(pt_profile_lookup(&set, "myapi", &p), PT_OK);
	assert_int_equal(p.limits.count, 1);
	assert_string_equal(p.resource, "");
	pt_profile_set_release(&set);
}

static void test_errors(void **state)
{
	static const struct {
		const char *toml, *want;
	} cases[] = {
		{"[profiles.x]\nlimit = 1\nwindow = \"1s\"\nlimt = 2\n",
		 "t.toml:4: key \"profiles.x\": unknown key \"limt\""},
		{"[profiles.x]\nresource = \"r\"\n",
		 "t.toml:1: key \"profiles.x\": a new profile needs limit and window, or limits"},
		{"[profiles.x]\nlimit = 10\n", "t.toml:2: key \"profiles.x\": key \"window\""},
		{"[profiles.x]\nlimit = 0\nwindow = \"1m\"\n", "t.toml:2: key \"profiles.x\": key \"limit\""},
		{"[profiles.x]\nlimits = [\"1/1s\",\n  \"nope\"]\n",
		 "t.toml:3: key \"profiles.x\": key \"limits\""},
		{"[profiles.x]\nresource = 5\nlimits = \"1/1s\"\n",
		 "t.toml:2: key \"profiles.x\": key \"resource\": expected a string"},
		{"[profiles]\nx = 3\n", "t.toml:2: key \"profiles.x\": expected a table"},
		{"[profiles.\"a b\"]\nlimits = \"1/1s\"\n", "t.toml:1: key \"profiles.a b\": expected a table"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[512] = "";
		int rc = load(cases[i].toml, NULL, err, sizeof err);
		if (rc != PT_EINVAL || strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: rc %d, \"%s\", want \"%s...\"", i, rc, err, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_config_profiles),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
