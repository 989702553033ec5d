#include "patience/breaker.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/set_error.h"
#include "patience/duration.h"
#include "patience/error.h"

void pt_breaker_spec_default(pt_breaker_spec *out)
{
	*out = (pt_breaker_spec){.failures = 5, .window_ms = 60000, .cooldown_ms = 30000,
				 .probes = 1};
}

bool pt_breaker_spec_valid(const pt_breaker_spec *s)
{
	return s->failures >= 1 && s->failures <= PT_BREAKER_FAILURES_MAX && s->window_ms >= 1 &&
	       s->window_ms <= PT_DURATION_MAX_MS && s->cooldown_ms >= 1 &&
	       s->cooldown_ms <= PT_DURATION_MAX_MS && s->probes >= 1 &&
	       s->probes <= PT_BREAKER_PROBES_MAX;
}

static const char *const keys[] = {"failures", "window", "cooldown", "probes"};
#define N_KEYS (sizeof keys / sizeof keys[0])

static int64_t *field(pt_breaker_spec *s, size_t key)
{
	int64_t *fields[N_KEYS] = {&s->failures, &s->window_ms, &s->cooldown_ms, &s->probes};
	return fields[key];
}

/* A count from 1 to max, digits only. */
static int parse_count(const char *text, int64_t max, int64_t *out)
{
	int64_t v = 0;
	if (!*text || strspn(text, "0123456789") != strlen(text))
		return PT_EINVAL;
	for (; *text; text++)
		if ((v = v * 10 + (*text - '0')) > max)
			return PT_ERANGE;
	*out = v;
	return v >= 1 ? PT_OK : PT_ERANGE;
}

/* value of keys[key] into s; the reason in err. */
static int parse_value(size_t key, const char *value, pt_breaker_spec *s, char *err,
		       size_t err_len)
{
	int64_t v;
	bool duration = key == 1 || key == 2;
	int rc = duration ? pt_duration_parse(value, &v)
			  : parse_count(value, key == 0 ? PT_BREAKER_FAILURES_MAX
							: PT_BREAKER_PROBES_MAX, &v);
	if (rc == PT_OK && duration && v < 1)
		rc = PT_ERANGE;
	if (rc != PT_OK) {
		if (duration)
			pt_set_error(err, err_len, "%s \"%s\": expected a duration above 0 such as "
				     "500ms, 30s or 2m", keys[key], value);
		else
			pt_set_error(err, err_len, "%s \"%s\": expected an integer from 1 to %d",
				     keys[key], value, key == 0 ? PT_BREAKER_FAILURES_MAX
								: PT_BREAKER_PROBES_MAX);
		return PT_EINVAL;
	}
	*field(s, key) = v;
	return PT_OK;
}

/* One "key=value" item (NUL-terminated); seen: the keys given before. */
static int parse_item(char *item, pt_breaker_spec *s, unsigned *seen, char *err,
		      size_t err_len)
{
	char *eq = strchr(item, '=');
	if (eq)
		*eq = '\0';
	for (size_t k = 0; k < N_KEYS; k++) {
		if (strcmp(item, keys[k]) != 0)
			continue;
		if (!eq) {
			pt_set_error(err, err_len, "\"%s\": expected %s=VALUE", item, item);
			return PT_EINVAL;
		}
		if (*seen & (1u << k)) {
			pt_set_error(err, err_len, "\"%s\" given twice", item);
			return PT_EINVAL;
		}
		*seen |= 1u << k;
		return parse_value(k, eq + 1, s, err, err_len);
	}
	pt_set_error(err, err_len, "unknown key \"%s\": expected failures, window, cooldown "
		     "or probes (as in failures=5,window=60s,cooldown=30s,probes=1)", item);
	return PT_EINVAL;
}

#define SPEC_TEXT_MAX 256

int pt_breaker_spec_parse(const char *text, pt_breaker_spec *out, char *err, size_t err_len)
{
	char copy[SPEC_TEXT_MAX], *item, *save = NULL;
	pt_breaker_spec s;
	unsigned seen = 0;
	pt_breaker_spec_default(&s);
	if (strlen(text) >= sizeof copy) {
		pt_set_error(err, err_len, "expected at most %d bytes such as "
			     "failures=5,window=60s,cooldown=30s,probes=1", SPEC_TEXT_MAX - 1);
		return PT_EINVAL;
	}
	strcpy(copy, text);
	if (!*copy || copy[strlen(copy) - 1] == ',' || strstr(copy, ",,") || *copy == ',') {
		pt_set_error(err, err_len, "\"%s\": expected key=value items separated by commas, "
			     "such as failures=5,window=60s", text);
		return PT_EINVAL;
	}
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (parse_item(item, &s, &seen, err, err_len) != PT_OK)
			return PT_EINVAL;
	*out = s;
	return PT_OK;
}

int pt_breaker_spec_format(const pt_breaker_spec *s, char *buf, size_t len)
{
	char window[32], cooldown[32];
	pt_duration_format(s->window_ms, window, sizeof window);
	pt_duration_format(s->cooldown_ms, cooldown, sizeof cooldown);
	return snprintf(buf, len, "failures=%" PRId64 ",window=%s,cooldown=%s,probes=%" PRId64,
			s->failures, window, cooldown, s->probes);
}

const char *pt_breaker_state_name(pt_breaker_state s)
{
	static const char *const names[PT_BREAKER_STATES] = {"closed", "open", "half_open"};
	return s < PT_BREAKER_STATES ? names[s] : "?";
}

int pt_breaker_init(pt_breaker *b, const pt_breaker_spec *spec)
{
	memset(b, 0, sizeof *b);
	if (!pt_breaker_spec_valid(spec))
		return PT_EINVAL;
	b->spec = *spec;
	b->failed_at = calloc((size_t)spec->failures, sizeof b->failed_at[0]);
	return b->failed_at ? PT_OK : PT_ENOMEM;
}

void pt_breaker_release(pt_breaker *b)
{
	free(b->failed_at);
	b->failed_at = NULL;
}

/* Enter state to, telling change (may be NULL) why. */
__attribute__((format(printf, 4, 5))) static void change_to(pt_breaker *b, pt_breaker_state to,
							     pt_breaker_change *change,
							     const char *fmt, ...)
{
	va_list ap;
	if (change) {
		*change = (pt_breaker_change){.changed = true, .from = b->state, .to = to};
		va_start(ap, fmt);
		vsnprintf(change->why, sizeof change->why, fmt, ap);
		va_end(ap);
	}
	b->state = to;
	b->probes_in_flight = 0;
}

static void open_for_cooldown(pt_breaker *b, int64_t now_ms)
{
	b->open_until_ms = now_ms + b->spec.cooldown_ms;
}

static void no_change(pt_breaker_change *change)
{
	if (change)
		*change = (pt_breaker_change){.changed = false};
}

void pt_breaker_admit(pt_breaker *b, int64_t now_ms, pt_breaker_admission *out,
		      pt_breaker_change *change)
{
	no_change(change);
	*out = (pt_breaker_admission){.admit = b->state == PT_BREAKER_CLOSED};
	if (b->state == PT_BREAKER_OPEN && now_ms < b->open_until_ms) {
		out->retry_at_ms = b->open_until_ms;
		return;
	}
	if (b->state == PT_BREAKER_OPEN) {
		b->probe_round++;
		change_to(b, PT_BREAKER_HALF_OPEN, change, "cooldown over: %" PRId64 " probe%s "
			  "admitted", b->spec.probes, b->spec.probes == 1 ? "" : "s");
	}
	if (b->state != PT_BREAKER_HALF_OPEN)
		return;
	if (b->probes_in_flight < b->spec.probes) {
		b->probes_in_flight++;
		out->admit = true;
		out->probe_round = b->probe_round;
		return;
	}
	out->retry_at_ms = now_ms + PT_BREAKER_RECHECK_MS;
}

/* Drop failures at or before now - window. */
static void forget_old_failures(pt_breaker *b, int64_t now_ms)
{
	while (b->n_failed && b->failed_at[b->oldest] <= now_ms - b->spec.window_ms) {
		b->oldest = (b->oldest + 1) % (size_t)b->spec.failures;
		b->n_failed--;
	}
}

static void record_failure(pt_breaker *b, int64_t now_ms, pt_breaker_change *change)
{
	size_t cap = (size_t)b->spec.failures;
	char window[32];
	forget_old_failures(b, now_ms);
	b->failed_at[(b->oldest + b->n_failed) % cap] = now_ms;
	b->n_failed++;
	if (b->n_failed < cap)
		return;
	pt_duration_format(b->spec.window_ms, window, sizeof window);
	change_to(b, PT_BREAKER_OPEN, change, "%zu failure%s within %s", cap, cap == 1 ? "" : "s",
		  window);
	open_for_cooldown(b, now_ms);
}

/* Is round the current half-open round? */
static bool probing(const pt_breaker *b, uint64_t round)
{
	return b->state == PT_BREAKER_HALF_OPEN && round && round == b->probe_round;
}

void pt_breaker_report(pt_breaker *b, bool success, uint64_t probe_round, int64_t now_ms,
		       pt_breaker_change *change)
{
	no_change(change);
	if (b->state == PT_BREAKER_CLOSED && !success) {
		record_failure(b, now_ms, change);
		return;
	}
	if (!probing(b, probe_round))
		return;
	if (success) {
		change_to(b, PT_BREAKER_CLOSED, change, "a probe succeeded");
		b->n_failed = 0;
		return;
	}
	change_to(b, PT_BREAKER_OPEN, change, "a probe failed");
	open_for_cooldown(b, now_ms);
}

void pt_breaker_return_probe(pt_breaker *b, uint64_t probe_round)
{
	if (probing(b, probe_round) && b->probes_in_flight > 0)
		b->probes_in_flight--;
}

size_t pt_breaker_failures(const pt_breaker *b, int64_t now_ms)
{
	size_t n = 0, cap = (size_t)b->spec.failures;
	if (b->state != PT_BREAKER_CLOSED)
		return b->n_failed;
	for (size_t i = 0; i < b->n_failed; i++)
		n += b->failed_at[(b->oldest + i) % cap] > now_ms - b->spec.window_ms;
	return n;
}
