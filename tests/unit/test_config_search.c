/* Which config files are read: --config, then *_CONFIG_FILE variables, then
 * the default locations, each a TOML or a YAML file but not both. Runs in
 * a temporary directory that is HOME, XDG_CONFIG_HOME and the working
 * directory at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "patience/config_search.h"
#include "patience/error.h"

static const char *const rpr_prefixes[] = {"RPR", "PATIENCE"};

/* What the reader was asked for, in order, ';'-separated. */
typedef struct asked {
	char paths[1024];
} asked;

/* A reader that only notes the path. The system's own /etc/patience files,
 * if any, are not the test's business. */
static int record(void *ctx, const char *path, char *err, size_t err_len)
{
	asked *a = ctx;
	if (access(path, F_OK) != 0 || strncmp(path, "/etc/", 5) == 0)
		return PT_ENOENT;
	strncat(a->paths, path, sizeof a->paths - strlen(a->paths) - 2);
	strcat(a->paths, ";");
	return PT_OK;
}

static char dir[64]; /* the template below, filled in */

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_config_search_XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	mkdir("patience", 0700);
	unsetenv("RPR_CONFIG_FILE");
	unsetenv("PATIENCE_CONFIG_FILE");
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(chdir("/"), 0);
	return system(cmd) == 0 ? 0 : -1;
}

static int search(const char *flag_file, bool project, asked *a, char *err, size_t err_len)
{
	pt_config_search s = {flag_file, rpr_prefixes, 2, project};
	a->paths[0] = '\0';
	return pt_config_search_read(&s, record, a, err, err_len);
}

static void test_named_file_precedence(void **state)
{
	pt_config_search s = {NULL, rpr_prefixes, 2, true};
	char by[64];
	assert_null(pt_config_named_file(&s, by, sizeof by));
	setenv("PATIENCE_CONFIG_FILE", "p.yaml", 1);
	assert_string_equal(pt_config_named_file(&s, by, sizeof by), "p.yaml");
	assert_string_equal(by, "PATIENCE_CONFIG_FILE");
	setenv("RPR_CONFIG_FILE", "", 1); /* empty: as unset */
	assert_string_equal(pt_config_named_file(&s, by, sizeof by), "p.yaml");
	setenv("RPR_CONFIG_FILE", "r.toml", 1);
	assert_string_equal(pt_config_named_file(&s, by, sizeof by), "r.toml");
	assert_string_equal(by, "RPR_CONFIG_FILE");
	s.flag_file = "f.toml";
	assert_string_equal(pt_config_named_file(&s, by, sizeof by), "f.toml");
	assert_string_equal(by, "--config");
	s = (pt_config_search){NULL, rpr_prefixes + 1, 1, true}; /* patience's */
	assert_string_equal(pt_config_named_file(&s, NULL, 0), "p.yaml");
}

static void test_named_file_must_exist(void **state)
{
	asked a;
	char err[512];
	assert_int_equal(search("nope.toml", true, &a, err, sizeof err), PT_ENOENT);
	assert_string_equal(err, "config file \"nope.toml\" does not exist");
	setenv("PATIENCE_CONFIG_FILE", "gone.yaml", 1);
	assert_int_equal(search(NULL, true, &a, err, sizeof err), PT_ENOENT);
	assert_string_equal(err,
			    "config file \"gone.yaml\" named by PATIENCE_CONFIG_FILE does not exist");
	touch("gone.yaml");
	touch("patience.toml"); /* not read: the named file replaces them all */
	assert_int_equal(search(NULL, true, &a, err, sizeof err), PT_OK);
	assert_string_equal(a.paths, "gone.yaml;");
}

static void test_default_locations_in_order(void **state)
{
	asked a;
	char err[512], want[1024];
	touch("patience/config.yaml");
	touch("patience.toml");
	touch(".patience.yaml");
	assert_int_equal(search(NULL, true, &a, err, sizeof err), PT_OK);
	snprintf(want, sizeof want, "%s/patience/config.yaml;patience.toml;.patience.yaml;", dir);
	assert_string_equal(a.paths, want);
	/* The daemon's: no project files. */
	assert_int_equal(search(NULL, false, &a, err, sizeof err), PT_OK);
	snprintf(want, sizeof want, "%s/patience/config.yaml;", dir);
	assert_string_equal(a.paths, want);
	/* ~/.config/patience when XDG_CONFIG_HOME is empty. */
	setenv("XDG_CONFIG_HOME", "", 1);
	assert_int_equal(search(NULL, false, &a, err, sizeof err), PT_OK);
	assert_string_equal(a.paths, "");
	mkdir(".config", 0700);
	mkdir(".config/patience", 0700);
	touch(".config/patience/config.toml");
	assert_int_equal(search(NULL, false, &a, err, sizeof err), PT_OK);
	snprintf(want, sizeof want, "%s/.config/patience/config.toml;", dir);
	assert_string_equal(a.paths, want);
}

static void test_toml_and_yaml_in_one_place(void **state)
{
	asked a;
	char err[512], want[1024];
	touch("patience.toml");
	touch("patience.yaml");
	assert_int_equal(search(NULL, true, &a, err, sizeof err), PT_EINVAL);
	assert_string_equal(err, "both patience.toml and patience.yaml exist: keep one");
	unlink("patience.yaml");
	touch("patience/config.toml");
	touch("patience/config.yaml");
	assert_int_equal(search(NULL, false, &a, err, sizeof err), PT_EINVAL);
	snprintf(want, sizeof want, "both %s/patience/config.toml and %s/patience/config.yaml "
		 "exist: keep one", dir, dir);
	assert_string_equal(err, want);
	/* Only the default locations are pairs: a named file is read alone. */
	assert_int_equal(search("patience.toml", true, &a, err, sizeof err), PT_OK);
	assert_string_equal(a.paths, "patience.toml;");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_named_file_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_file_must_exist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_locations_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_toml_and_yaml_in_one_place, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
