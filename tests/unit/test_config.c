/* Config layering: defaults < file < environment < explicit sets, with the
 * origin of each value, and errors that name file, line and key; TOML and
 * YAML files alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "patience/config.h"
#include "patience/error.h"
#include "patience/settings.h"

static int setup(void **state)
{
	pt_config *c = malloc(sizeof *c);
	assert_non_null(c);
	assert_int_equal(pt_settings_config_init(c), PT_OK);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	pt_config_release(*state);
	free(*state);
	return 0;
}

static int apply_text(pt_config *c, const char *toml, char *err, size_t len)
{
	pt_toml_value *root;
	char detail[256];
	int rc = pt_toml_parse(toml, strlen(toml), &root, detail, sizeof detail);
	if (rc != PT_OK) {
		snprintf(err, len, "%s", detail);
		return rc;
	}
	rc = pt_config_apply_toml(c, root, "test.toml", err, len);
	pt_toml_free(root);
	return rc;
}

static void test_defaults_have_origin(void **state)
{
	const pt_setting *a = pt_config_get(*state, "attempts");
	assert_int_equal(a->as.integer, 3);
	assert_int_equal(a->source, PT_SOURCE_DEFAULT);
	assert_string_equal(a->origin, "default");
	assert_int_equal(pt_config_get(*state, "max_delay")->as.ms, 60000);
	assert_null(pt_config_get(*state, "timeout")->text);
	assert_null(pt_config_get(*state, "no_such_key"));
}

static void test_file_values_and_lines(void **state)
{
	char err[256] = "";
	pt_config *c = *state;
	assert_int_equal(apply_text(c, "# comment\nattempts = 7\ndelay = \"250ms\"\n"
				       "timeout = 2\ncase_insensitive = true\n", err, sizeof err),
			 PT_OK);
	assert_int_equal(pt_config_get(c, "attempts")->as.integer, 7);
	assert_string_equal(pt_config_get(c, "attempts")->origin, "test.toml:2");
	assert_int_equal(pt_config_get(c, "delay")->as.ms, 250);
	assert_int_equal(pt_config_get(c, "timeout")->as.ms, 2000);
	assert_true(pt_config_get(c, "case_insensitive")->as.boolean);
}

static void test_tables_and_aliases(void **state)
{
	char err[256] = "";
	pt_config *c = *state;
	assert_int_equal(apply_text(c, "[patience]\nmax_attempts = 9\ndefault_strategy = \"fib\"\n"
				       "[daemon]\nlog_level = \"debug\"\n"
				       "[repeater]\ndefault_interval = \"30s\"\n"
				       "[rate_limiting.resources]\n"
				       "\"api:external:api.github.com\" = { limit = 5000, window = \"1h\" }\n",
				    err, sizeof err),
			 PT_OK);
	assert_int_equal(pt_config_get(c, "attempts")->as.integer, 9);
	assert_string_equal(pt_config_get(c, "backoff")->text, "fib");
	assert_string_equal(pt_config_get(c, "daemon.log_level")->text, "debug");
	assert_int_equal(pt_config_get(c, "repeater.default_interval")->as.ms, 30000);
}

static void test_errors_name_file_line_key(void **state)
{
	char err[256] = "";
	pt_config *c = *state;
	assert_int_equal(apply_text(c, "attempts = 3\nattemps = 4\n", err, sizeof err), PT_EINVAL);
	assert_string_equal(err, "test.toml:2: unknown key \"attemps\"");
	assert_int_equal(apply_text(c, "\n\nattempts = \"many\"\n", err, sizeof err), PT_EINVAL);
	assert_non_null(strstr(err, "test.toml:3: key \"attempts\": expected an integer"));
	assert_int_equal(apply_text(c, "delay = \"5x\"\n", err, sizeof err), PT_EINVAL);
	assert_non_null(strstr(err, "test.toml:1: key \"delay\": invalid value \"5x\""));
	assert_int_equal(apply_text(c, "attempts = 0\n", err, sizeof err), PT_EINVAL);
	assert_non_null(strstr(err, "an integer from 1 to 1000000"));
	assert_int_equal(apply_text(c, "backoff = \"sometimes\"\n", err, sizeof err), PT_EINVAL);
	assert_non_null(strstr(err, "one of fixed"));
	assert_int_equal(apply_text(c, "[daemon]\nport = 1\n", err, sizeof err), PT_EINVAL);
	assert_string_equal(err, "test.toml:2: unknown key \"daemon.port\"");
	assert_int_equal(apply_text(c, "[rate_limiting.resources]\nx = { limit = 0, window = \"1m\" }\n",
				    err, sizeof err),
			 PT_EINVAL);
	assert_non_null(strstr(err, "test.toml:2: key \"rate_limiting.resources.x\""));
	/* A failed file leaves the earlier values alone. */
	assert_int_equal(pt_config_get(c, "attempts")->as.integer, 3);
}

static void test_environment_beats_file(void **state)
{
	char err[256] = "";
	pt_config *c = *state;
	static const char *const prefixes[] = {"RPR", "PATIENCE"};
	assert_int_equal(apply_text(c, "attempts = 7\nmax_delay = \"5s\"\n", err, sizeof err), PT_OK);
	setenv("PATIENCE_ATTEMPTS", "11", 1);
	setenv("RPR_MAX_DELAY", "9s", 1);
	setenv("PATIENCE_MAX_DELAY", "8s", 1);
	assert_int_equal(pt_config_apply_env(c, prefixes, 2, err, sizeof err), PT_OK);
	assert_int_equal(pt_config_get(c, "attempts")->as.integer, 11);
	assert_string_equal(pt_config_get(c, "attempts")->origin, "env PATIENCE_ATTEMPTS");
	assert_int_equal(pt_config_get(c, "max_delay")->as.ms, 9000);
	setenv("PATIENCE_ATTEMPTS", "lots", 1);
	assert_int_equal(pt_config_apply_env(c, prefixes + 1, 1, err, sizeof err), PT_EINVAL);
	assert_non_null(strstr(err, "environment PATIENCE_ATTEMPTS: invalid value \"lots\""));
	unsetenv("PATIENCE_ATTEMPTS");
	unsetenv("RPR_MAX_DELAY");
	unsetenv("PATIENCE_MAX_DELAY");
}

static void test_set_booleans_and_floats(void **state)
{
	char err[256];
	pt_config *c = *state;
	int quiet = pt_config_find(c, "quiet"), mult = pt_config_find(c, "multiplier");
	assert_int_equal(pt_config_set(c, (size_t)quiet, "yes", PT_SOURCE_FLAG, "flag --quiet", err,
				       sizeof err),
			 PT_OK);
	assert_true(pt_config_get(c, "quiet")->as.boolean);
	assert_int_equal(pt_config_set(c, (size_t)quiet, "maybe", PT_SOURCE_FLAG, "f", err, sizeof err),
			 PT_EINVAL);
	assert_int_equal(pt_config_set(c, (size_t)mult, "2.5", PT_SOURCE_FLAG, "f", err, sizeof err),
			 PT_OK);
	assert_true(pt_config_get(c, "multiplier")->as.floating == 2.5);
	assert_int_equal(pt_config_set(c, (size_t)mult, "nan", PT_SOURCE_FLAG, "f", err, sizeof err),
			 PT_EINVAL);
	assert_int_equal(pt_config_set(c, (size_t)mult, "0.5", PT_SOURCE_FLAG, "f", err, sizeof err),
			 PT_EINVAL);
}

static void test_load_file(void **state)
{
	char err[512], path[] = "/tmp/test_config_XXXXXX";
	pt_config *c = *state;
	assert_int_equal(pt_config_load_file(c, "/nonexistent/patience.toml", err, sizeof err),
			 PT_ENOENT);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "attempts = 5\n[bad\n", 18), 18);
	close(fd);
	assert_int_equal(pt_config_load_file(c, path, err, sizeof err), PT_EINVAL);
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, ":2: "));
	unlink(path);
}

/* ---- YAML files (patience/yaml_config.h), applied as TOML ones are ---- */

/* Writes text to a new file named like "/tmp/test_yaml_XXXXXX.yaml". */
static void write_file(char *path, const char *text, size_t len)
{
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static int load_text(pt_config *c, const char *yaml, char *err, size_t err_len, char *path)
{
	strcpy(path, "/tmp/test_yaml_XXXXXX.yaml");
	write_file(path, yaml, strlen(yaml));
	int rc = pt_config_load_file(c, path, err, err_len);
	unlink(path);
	return rc;
}

static void test_yaml_file_applies_like_toml(void **state)
{
	pt_config *c = *state;
	char err[512] = "", path[64], origin[96];
	assert_int_equal(load_text(c, "attempts: 7\ndelay: 250ms\ntimeout: 2\nquiet: true\n"
				      "multiplier: 1.5\n"
				      "tools:\n  patience:\n    default_strategy: fib\n"
				      "  repeater:\n    continue_on_error: false\n",
				   err, sizeof err, path),
			 PT_OK);
	assert_int_equal(pt_config_get(c, "attempts")->as.integer, 7);
	snprintf(origin, sizeof origin, "%s:1", path);
	assert_string_equal(pt_config_get(c, "attempts")->origin, origin);
	assert_int_equal(pt_config_get(c, "delay")->as.ms, 250);
	assert_int_equal(pt_config_get(c, "timeout")->as.ms, 2000);
	assert_true(pt_config_get(c, "quiet")->as.boolean);
	assert_true(pt_config_get(c, "multiplier")->as.floating == 1.5);
	assert_string_equal(pt_config_get(c, "backoff")->text, "fib");
	snprintf(origin, sizeof origin, "%s:8", path);
	assert_string_equal(pt_config_get(c, "backoff")->origin, origin);
	assert_false(pt_config_get(c, "repeater.continue_on_error")->as.boolean);
}

/* The settings' errors, with the YAML file's lines. */
static void test_yaml_file_errors(void **state)
{
	pt_config *c = *state;
	char err[512], path[64], want[256];
	assert_int_equal(load_text(c, "attempts: 3\natempts: 4\n", err, sizeof err, path), PT_EINVAL);
	snprintf(want, sizeof want, "%s:2: unknown key \"atempts\"", path);
	assert_string_equal(err, want);
	assert_int_equal(load_text(c, "\nquiet: yes\n", err, sizeof err, path), PT_EINVAL);
	snprintf(want, sizeof want, "%s:2: key \"quiet\": expected true or false, got string", path);
	assert_string_equal(err, want);
	assert_int_equal(load_text(c, "daemon:\n  log_level: loud\n", err, sizeof err, path),
			 PT_EINVAL);
	snprintf(want, sizeof want, "%s:2: key \"daemon.log_level\": invalid value \"loud\"", path);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	assert_int_equal(load_text(c, "a: 1\na: 2\n", err, sizeof err, path), PT_EINVAL);
	snprintf(want, sizeof want, "%s:2: key \"a\": defined twice (first on line 1)", path);
	assert_string_equal(err, want);
	assert_int_equal(pt_config_get(c, "attempts")->as.integer, 3); /* defaults kept */
}

static void test_yaml_file_size_and_names(void **state)
{
	pt_config *c = *state;
	char err[512], path[64] = "/tmp/test_yaml_XXXXXX.yaml";
	size_t big = 1024 * 1024 + 1;
	char *text = malloc(big);
	assert_non_null(text);
	memset(text, '#', big);
	write_file(path, text, big);
	free(text);
	assert_int_equal(pt_config_load_file(c, path, err, sizeof err), PT_ERANGE);
	assert_non_null(strstr(err, "larger than 1 MiB"));
	unlink(path);
	/* .yml is YAML too; any other name is TOML. */
	strcpy(path, "/tmp/test_yaml_XXXXXX.yml");
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "attempts: 4\n", 12), 12);
	close(fd);
	assert_int_equal(pt_config_load_file(c, path, err, sizeof err), PT_OK);
	assert_int_equal(pt_config_get(c, "attempts")->as.integer, 4);
	unlink(path);
	strcpy(path, "/tmp/test_yaml_XXXXXX.toml");
	write_file(path, "attempts: 4\n", 12);
	assert_int_equal(pt_config_load_file(c, path, err, sizeof err), PT_EINVAL);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_have_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_values_and_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_and_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_file_line_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment_beats_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_booleans_and_floats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_file_applies_like_toml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_file_size_and_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
