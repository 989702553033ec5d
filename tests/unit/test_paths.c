/* Default socket and state paths from the environment; the private
 * directory for them: created 0700 with parents, refused when others could
 * write to it or it is not ours. */
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

#include "patience/error.h"
#include "patience/paths.h"

typedef struct env_saved {
	char *runtime, *state, *home;
} env_saved;

static char *saved_copy(const char *name)
{
	const char *v = getenv(name);
	return v ? strdup(v) : NULL;
}

static void restore(const char *name, char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
	free(value);
}

static int save_env(void **state)
{
	env_saved *e = malloc(sizeof *e);
	if (!e)
		return -1;
	e->runtime = saved_copy("XDG_RUNTIME_DIR");
	e->state = saved_copy("XDG_STATE_HOME");
	e->home = saved_copy("HOME");
	*state = e;
	return 0;
}

static int restore_env(void **state)
{
	env_saved *e = *state;
	restore("XDG_RUNTIME_DIR", e->runtime);
	restore("XDG_STATE_HOME", e->state);
	restore("HOME", e->home);
	free(e);
	return 0;
}

static void test_socket_path(void **state)
{
	char buf[256], want[64];
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	assert_int_equal(pt_default_socket_path(buf, sizeof buf), PT_OK);
	assert_string_equal(buf, "/run/user/1000/patience/daemon.sock");

	snprintf(want, sizeof want, "/tmp/patience-%lu/daemon.sock", (unsigned long)getuid());
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(pt_default_socket_path(buf, sizeof buf), PT_OK);
	assert_string_equal(buf, want);
	setenv("XDG_RUNTIME_DIR", "", 1); /* empty and relative values are ignored */
	assert_int_equal(pt_default_socket_path(buf, sizeof buf), PT_OK);
	assert_string_equal(buf, want);
	setenv("XDG_RUNTIME_DIR", "run/user", 1);
	assert_int_equal(pt_default_socket_path(buf, sizeof buf), PT_OK);
	assert_string_equal(buf, want);
}

static void test_socket_path_too_long(void **state)
{
	char buf[64];
	const char *want = "/r/patience/daemon.sock";
	setenv("XDG_RUNTIME_DIR", "/r", 1);
	assert_int_equal(pt_default_socket_path(buf, strlen(want)), PT_ERANGE);
	assert_int_equal(pt_default_socket_path(buf, strlen(want) + 1), PT_OK);
	assert_string_equal(buf, want);
}

static void test_state_path(void **state)
{
	char buf[256];
	setenv("XDG_STATE_HOME", "/data/state", 1);
	setenv("HOME", "/home/me", 1);
	assert_int_equal(pt_default_state_path(buf, sizeof buf), PT_OK);
	assert_string_equal(buf, "/data/state/patience/state.db");

	unsetenv("XDG_STATE_HOME");
	assert_int_equal(pt_default_state_path(buf, sizeof buf), PT_OK);
	assert_string_equal(buf, "/home/me/.local/state/patience/state.db");
	setenv("XDG_STATE_HOME", "relative", 1);
	assert_int_equal(pt_default_state_path(buf, sizeof buf), PT_OK);
	assert_string_equal(buf, "/home/me/.local/state/patience/state.db");
	assert_int_equal(pt_default_state_path(buf, 10), PT_ERANGE);

	unsetenv("HOME");
	assert_int_equal(pt_default_state_path(buf, sizeof buf), PT_ENOENT);
	setenv("HOME", "", 1);
	assert_int_equal(pt_default_state_path(buf, sizeof buf), PT_ENOENT);
}

/* --- private directories, in a fresh temporary directory --- */

typedef struct tmp {
	char base[64];
	char path[PATH_MAX];
	char err[512];
} tmp;

static int make_tmp(void **state)
{
	tmp *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	strcpy(t->base, "/tmp/test_paths_XXXXXX");
	*state = t;
	return mkdtemp(t->base) ? 0 : -1;
}

static int remove_tmp(void **state)
{
	tmp *t = *state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->base);
	int rc = system(cmd);
	free(t);
	return rc == 0 ? 0 : -1;
}

static const char *in_tmp(tmp *t, const char *rel)
{
	snprintf(t->path, sizeof t->path, "%s/%s", t->base, rel);
	return t->path;
}

static mode_t mode_of(tmp *t, const char *rel)
{
	struct stat st;
	assert_int_equal(lstat(in_tmp(t, rel), &st), 0);
	return st.st_mode & 07777;
}

static int make_for(tmp *t, const char *rel)
{
	char file[PATH_MAX];
	snprintf(file, sizeof file, "%s/%s", t->base, rel);
	return pt_make_private_dir_for(file, t->err, sizeof t->err);
}

static void test_creates_parents_and_private_dir(void **state)
{
	tmp *t = *state;
	mode_t old = umask(0277); /* would leave a directory we cannot enter */
	int rc = make_for(t, "a/b//c/daemon.sock");
	umask(old);
	assert_int_equal(rc, PT_OK);
	assert_int_equal(mode_of(t, "a/b/c"), 0700);
	assert_int_equal(mode_of(t, "a"), 0700);
	assert_int_equal(make_for(t, "a/b/c/daemon.sock"), PT_OK); /* again: fine */
	assert_int_equal(pt_make_private_dir_for(in_tmp(t, "a/b/c/state.db"), NULL, 0), PT_OK);
}

static void test_existing_dir_kept_if_private(void **state)
{
	tmp *t = *state;
	assert_int_equal(mkdir(in_tmp(t, "open"), 0755), 0);
	assert_int_equal(chmod(in_tmp(t, "open"), 0755), 0);
	assert_int_equal(make_for(t, "open/daemon.sock"), PT_OK);
	assert_int_equal(mode_of(t, "open"), 0755); /* readable by others is no risk */
}

static void test_refuses_writable_by_others(void **state)
{
	static const mode_t modes[] = {0770, 0702, 0777, 01777};
	tmp *t = *state;
	assert_int_equal(mkdir(in_tmp(t, "shared"), 0700), 0);
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		assert_int_equal(chmod(in_tmp(t, "shared"), modes[i]), 0);
		assert_int_equal(make_for(t, "shared/daemon.sock"), PT_EINVAL);
		assert_non_null(strstr(t->err, "writable by others"));
		assert_non_null(strstr(t->err, "shared"));
		assert_int_equal(mode_of(t, "shared"), modes[i]); /* never "fixed" */
	}
}

static void test_refuses_symlink_and_file(void **state)
{
	tmp *t = *state;
	char target[PATH_MAX];
	assert_int_equal(mkdir(in_tmp(t, "real"), 0700), 0);
	snprintf(target, sizeof target, "%s", t->path);
	assert_int_equal(symlink(target, in_tmp(t, "link")), 0);
	assert_int_equal(make_for(t, "link/daemon.sock"), PT_EINVAL);
	assert_non_null(strstr(t->err, "not a directory"));

	FILE *f = fopen(in_tmp(t, "plain"), "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(make_for(t, "plain/daemon.sock"), PT_EINVAL);
	assert_int_equal(make_for(t, "plain/sub/daemon.sock"), PT_EIO);
	assert_non_null(strstr(t->err, "cannot create directory"));
}

static void test_refuses_dir_of_another_user(void **state)
{
	tmp *t = *state;
	if (geteuid() != 0)
		skip(); /* only root can give a directory away */
	assert_int_equal(mkdir(in_tmp(t, "theirs"), 0700), 0);
	assert_int_equal(chown(in_tmp(t, "theirs"), 65534, 65534), 0);
	assert_int_equal(make_for(t, "theirs/daemon.sock"), PT_EINVAL);
	assert_non_null(strstr(t->err, "owned by uid 65534"));
}

static void test_bare_file_name_uses_cwd(void **state)
{
	tmp *t = *state;
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chmod(t->base, 0700), 0);
	assert_int_equal(chdir(t->base), 0);
	int rc = pt_make_private_dir_for("daemon.sock", t->err, sizeof t->err);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, PT_OK);
	assert_int_equal(pt_make_private_dir_for("", t->err, sizeof t->err), PT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket_path, save_env, restore_env),
		cmocka_unit_test_setup_teardown(test_socket_path_too_long, save_env, restore_env),
		cmocka_unit_test_setup_teardown(test_state_path, save_env, restore_env),
		cmocka_unit_test_setup_teardown(test_creates_parents_and_private_dir, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_existing_dir_kept_if_private, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_refuses_writable_by_others, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_refuses_symlink_and_file, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_refuses_dir_of_another_user, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_bare_file_name_uses_cwd, make_tmp, remove_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
