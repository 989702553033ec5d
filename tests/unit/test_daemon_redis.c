/* Unit tests of the Redis backend's pure parts (src/daemon/redis.c): the
 * backend URL forms and their errors, and the Redis Cluster slot of a key,
 * checked against the values Redis itself gives (CLUSTER KEYSLOT). The
 * backend against a real redis-server is tested in tests/e2e/redis.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/daemon.h"
#include "patience/error.h"

static void accepts_the_url_forms(void **state)
{
	static const char *const good[] = {
		"redis://127.0.0.1", "redis://127.0.0.1:6380", "redis://h:6379/2",
		"redis://:secret@h:1/0", "redis://user:secret@h", "redis://h/",
		"unix:///run/redis/redis.sock",
	};
	char err[256];
	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(pt_redis_check_url(good[i], err, sizeof err), PT_OK);
}

static void refuses_bad_urls_naming_them(void **state)
{
	static const struct {
		const char *url, *says;
	} bad[] = {
		{"http://h", "unknown scheme"},       {"rediss://h", "TLS"},
		{"redis://", "missing host"},         {"redis://:1", "missing host"},
		{"redis://h:0", "port"},              {"redis://h:65536", "port"},
		{"redis://h:12x", "port"},            {"redis://h/db1", "database"},
		{"unix://relative.sock", "absolute"}, {"redis://h:", "port"},
	};
	char err[256];
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(pt_redis_check_url(bad[i].url, err, sizeof err), PT_EINVAL);
		assert_non_null(strstr(err, bad[i].url));
		assert_non_null(strstr(err, bad[i].says));
	}
}

static void slots_match_redis(void **state)
{
	(void)state;
	/* redis-cli CLUSTER KEYSLOT ... */
	assert_int_equal(pt_redis_key_slot("foo"), 12182);
	assert_int_equal(pt_redis_key_slot("123456789"), 12739);
	assert_int_equal(pt_redis_key_slot("{user1000}.following"),
			 pt_redis_key_slot("{user1000}.followers"));
	assert_int_equal(pt_redis_key_slot("{patience:0:api}"), pt_redis_key_slot("patience:0:api"));
	/* an empty tag is no tag: the whole key is hashed */
	assert_int_equal(pt_redis_key_slot("{}x"), pt_redis_key_slot("{}x"));
	assert_true(pt_redis_key_slot("{patience}:daemons") < 16384);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_the_url_forms),
		cmocka_unit_test(refuses_bad_urls_naming_them),
		cmocka_unit_test(slots_match_redis),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
