/* --output-prefix templates: checking and rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "patience/error.h"
#include "patience/template.h"

static pt_template_vars vars(void)
{
	pt_template_vars v = {.run = 42};
	time_t t = 1796146328; /* 2026-12-01T17:32:08Z */
	gmtime_r(&t, &v.utc);
	gmtime_r(&t, &v.local);
	return v;
}

static void test_render(void **state)
{
	pt_template_vars v = vars();
	char out[128];
	assert_int_equal(pt_template_check("[{run} {time} {date} {iso}] {{x}}", NULL, 0), PT_OK);
	int n = pt_template_render("[{run} {time} {date} {iso}] {{x}}", &v, out, sizeof out);
	assert_string_equal(out, "[42 17:32:08 2026-12-01 2026-12-01T17:32:08Z] {x}");
	assert_int_equal(n, (int)strlen(out));
	/* too small: truncated, NUL-terminated, the wanted length returned */
	assert_int_equal(pt_template_render("run {run}", &v, out, 5), 6);
	assert_string_equal(out, "run ");
	assert_int_equal(pt_template_render("", &v, out, sizeof out), 0);
	assert_string_equal(out, "");
}

static void test_errors(void **state)
{
	static const char *const bad[] = {"{", "}", "{nope}", "a{run", "{RUN}", "x}y", "{{run}"};
	char err[256];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(pt_template_check(bad[i], err, sizeof err), PT_EINVAL);
		assert_true(err[0] != '\0');
	}
	pt_template_check("ab{when}", err, sizeof err);
	assert_non_null(strstr(err, "unknown placeholder \"{when}\" at 3"));
	pt_template_vars v = vars();
	char out[16];
	assert_int_equal(pt_template_render("{nope}", &v, out, sizeof out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
