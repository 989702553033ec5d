/* Resource ids from command lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "patience/error.h"
#include "patience/resource_id.h"

static const char *id_of(char *const argv[])
{
	static char buf[300];
	assert_int_equal(pt_resource_id_from_command(argv, buf, sizeof buf), PT_OK);
	return buf;
}

static void test_curl(void **state)
{
	char *a[] = {"curl", "-fsS", "-H", "Authorization: token x", "-X", "POST", "-d", "{}",
		     "https://API.GitHub.com:443/repos/x?y=1", NULL};
	assert_string_equal(id_of(a), "api:external:api.github.com");
	char *b[] = {"/usr/bin/curl", "--header", "X: https://decoy.example/", "-o", "/dev/null",
		     "http://user:pw@example.org/", NULL};
	assert_string_equal(id_of(b), "api:external:example.org");
	char *c[] = {"curl", "--url", "https://a.example.com", NULL};
	assert_string_equal(id_of(c), "api:external:a.example.com");
	char *d[] = {"curl", "-s", "example.net/path", NULL};
	assert_string_equal(id_of(d), "api:external:example.net");
}

static void test_wget_and_httpie(void **state)
{
	char *a[] = {"wget", "-q", "-O", "out.json", "https://registry.example.io/v2/", NULL};
	assert_string_equal(id_of(a), "api:external:registry.example.io");
	char *b[] = {"http", "POST", "https://api.example.com/items", "name=x", NULL};
	assert_string_equal(id_of(b), "api:external:api.example.com");
	char *c[] = {"xh", "https://[::1]:8080/", NULL};
	assert_string_equal(id_of(c), "api:external:[::1]");
}

static void test_other_programs(void **state)
{
	char *a[] = {"/usr/bin/rsync", "-a", "x", "y", NULL};
	assert_string_equal(id_of(a), "cmd:local:rsync");
	char *b[] = {"curl", "-s", NULL};
	assert_string_equal(id_of(b), "cmd:local:curl");
	char *c[] = {"curl", "ftp://files.example.com/x", NULL};
	assert_string_equal(id_of(c), "cmd:local:curl");
	char *empty[] = {NULL};
	char buf[64];
	assert_int_equal(pt_resource_id_from_command(empty, buf, sizeof buf), PT_EINVAL);
	char *d[] = {"curl", "https://example.com", NULL};
	assert_int_equal(pt_resource_id_from_command(d, buf, 10), PT_ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl),
		cmocka_unit_test(test_wget_and_httpie),
		cmocka_unit_test(test_other_programs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
