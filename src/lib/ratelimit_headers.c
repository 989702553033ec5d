/* Rate-limit headers in streamed command output.
 *
 * Output is cut into lines in a fixed buffer; each complete line is looked
 * at once and forgotten, so memory stays bounded whatever the command
 * prints. Every response (a status line) starts afresh: after redirects and
 * retries the last response is the one the service meant. Numbers are
 * scanned by hand so that no locale, strtol quirk or time zone leaks in. */
#include "patience/ratelimit_headers.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "patience/error.h"

enum section {
	SECTION_START,   /* no status line yet: headers and JSON both count */
	SECTION_HEADERS, /* after a status line, up to the empty line */
	SECTION_BODY,    /* after the empty line: JSON only */
};

#define MS_PER_S 1000
#define EPOCH_MS_ABOVE 1000000000000LL /* 2001-09-09 in ms */
#define EPOCH_S_ABOVE 1000000000LL     /* 2001-09-09 in s */
#define DIGITS_MAX 15 /* longer numbers are neither counts nor times */
#define SF_MEMBERS PT_RL_POLICIES
#define NO_VALUE (-1)

/* A piece of the line being looked at; never NUL-terminated. */
typedef struct span {
	const char *p, *end;
} span;

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII only: tolower() would depend on the locale. */
static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static size_t span_len(span s)
{
	return (size_t)(s.end - s.p);
}

static span trim(span s)
{
	while (s.p < s.end && is_ows(*s.p))
		s.p++;
	while (s.end > s.p && is_ows(s.end[-1]))
		s.end--;
	return s;
}

/* Does s equal the first n bytes of the lower-case word, ignoring case? */
static bool span_eq(span s, const char *word, size_t n)
{
	if (span_len(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != word[i])
			return false;
	return true;
}

static bool span_is(span s, const char *word)
{
	return span_eq(s, word, strlen(word));
}

/* Take the lower-case prefix from *s when it starts it, ignoring case. */
static bool take_prefix(span *s, const char *prefix)
{
	span head = {s->p, s->p + strlen(prefix)};
	if (span_len(*s) < strlen(prefix) || !span_is(head, prefix))
		return false;
	s->p = head.end;
	return true;
}

static bool take_char(span *s, char c)
{
	if (s->p == s->end || *s->p != c)
		return false;
	s->p++;
	return true;
}

/* Copy s into dst for messages: truncated, control bytes as '?', so a
 * hostile service cannot put terminal escapes into our -v lines. */
static void copy_text(char *dst, size_t cap, span s)
{
	size_t n = span_len(s) < cap - 1 ? span_len(s) : cap - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		dst[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	dst[n] = '\0';
}

/* A name of at most PT_RL_NAME_MAX bytes, NUL included. */
static void copy_name(char *dst, const char *src)
{
	size_t n = strnlen(src, PT_RL_NAME_MAX - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* a + b, saturating: now_ms comes from the caller and need not be sane. */
static int64_t add_ms(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* DIGITS [ "." DIGITS ] at s->p, advancing past it: the integer part, and
 * the fraction's first three digits as ms. False when s does not start
 * with a digit or the integer part is too long to be a count or a time. */
static bool scan_decimal(span *s, int64_t *whole, int64_t *frac_ms)
{
	const char *start = s->p;
	int64_t v = 0, f = 0, scale = 100;
	for (; s->p < s->end && is_digit(*s->p); s->p++)
		if (s->p - start < DIGITS_MAX)
			v = v * 10 + (*s->p - '0');
	if (s->p == start || s->p - start > DIGITS_MAX)
		return false;
	if (s->p + 1 < s->end && *s->p == '.' && is_digit(s->p[1])) {
		for (s->p++; s->p < s->end && is_digit(*s->p); s->p++, scale /= 10)
			f += (*s->p - '0') * scale;
	}
	*whole = v;
	*frac_ms = f;
	return true;
}

/* A whole span that is one decimal number. */
static bool span_decimal(span s, int64_t *whole, int64_t *frac_ms)
{
	return scan_decimal(&s, whole, frac_ms) && s.p == s.end;
}

static void set_field(pt_rl_field *f, int64_t value, pt_rl_time_kind kind, span header,
		      span text)
{
	f->present = true;
	f->value = value;
	f->kind = kind;
	copy_text(f->header, sizeof f->header, header);
	copy_text(f->text, sizeof f->text, text);
}

/* A time field: read_ms is when, so that "Retry-After: 12" still says
 * 12s however late the caller looks. */
static void set_time(int64_t now_ms, pt_rl_field *f, int64_t at, pt_rl_time_kind kind,
		     span header, span text)
{
	set_field(f, at, kind, header, text);
	f->read_ms = now_ms;
}

/* A reset value, told apart by size: epoch ms, epoch s or seconds from now. */
static int64_t reset_at(int64_t whole, int64_t frac_ms, int64_t now_ms, pt_rl_time_kind *kind)
{
	if (whole > EPOCH_MS_ABOVE) {
		*kind = PT_RL_TIME_EPOCH_MS;
		return whole;
	}
	int64_t ms = whole * MS_PER_S + frac_ms;
	if (whole > EPOCH_S_ABOVE) {
		*kind = PT_RL_TIME_EPOCH_SECONDS;
		return ms;
	}
	*kind = PT_RL_TIME_DELTA_SECONDS;
	return add_ms(now_ms, ms);
}

const char *pt_rl_time_kind_name(pt_rl_time_kind k)
{
	switch (k) {
	case PT_RL_TIME_DELTA_SECONDS: return "delta seconds";
	case PT_RL_TIME_EPOCH_SECONDS: return "epoch seconds";
	case PT_RL_TIME_EPOCH_MS: return "epoch milliseconds";
	case PT_RL_TIME_HTTP_DATE: return "an HTTP date";
	case PT_RL_TIME_NONE: break;
	}
	return "nothing";
}

/* ---- HTTP-dates (RFC 9110 section 5.6.7) ---- */

static const char *const month_names[12] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};
static const char *const day_names[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
};

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's
 * days_from_civil): no timegm, so no TZ and no global state. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return days[m - 1] + (m == 2 && leap);
}

/* Exactly n digits. */
static bool take_digits(span *s, int n, int *out)
{
	int v = 0;
	if (span_len(*s) < (size_t)n)
		return false;
	for (int i = 0; i < n; i++, s->p++) {
		if (!is_digit(*s->p))
			return false;
		v = v * 10 + (*s->p - '0');
	}
	*out = v;
	return true;
}

/* A day name, short ("Sun") or long ("Sunday"), any case. */
static bool take_day_name(span *s)
{
	span word = {s->p, s->p};
	while (word.end < s->end && is_alpha(*word.end))
		word.end++;
	for (int i = 0; i < 7; i++) {
		size_t n = span_len(word) == 3 ? 3 : strlen(day_names[i]);
		if (span_eq(word, day_names[i], n)) {
			s->p = word.end;
			return true;
		}
	}
	return false;
}

static bool take_month(span *s, int *month)
{
	span word = {s->p, s->p + 3};
	if (span_len(*s) < 3)
		return false;
	for (int i = 0; i < 12; i++) {
		if (span_is(word, month_names[i])) {
			*month = i + 1;
			s->p = word.end;
			return true;
		}
	}
	return false;
}

typedef struct civil {
	int64_t year;
	int month, day, hour, minute, second;
} civil;

/* "08:49:37" */
static bool take_time(span *s, civil *c)
{
	return take_digits(s, 2, &c->hour) && take_char(s, ':') &&
	       take_digits(s, 2, &c->minute) && take_char(s, ':') &&
	       take_digits(s, 2, &c->second) && c->hour < 24 && c->minute < 60 &&
	       c->second <= 60;
}

/* RFC 850's two-digit year: the latest year with those digits that is at
 * most 50 years after now (RFC 9110), found without converting now. */
static int64_t full_year(int yy, int64_t now_ms)
{
	const int64_t fifty_years_ms = (int64_t)(50 * 365.2425 * 86400) * MS_PER_S;
	int64_t year = 1900 + yy, limit = add_ms(now_ms, fifty_years_ms);
	for (int i = 0; i < 100 && days_from_civil(year + 100, 1, 1) * 86400 * MS_PER_S <= limit; i++)
		year += 100;
	return year;
}

/* After "Sun, ": "06 Nov 1994" (IMF-fixdate) or "06-Nov-94" (RFC 850),
 * then the time and "GMT". */
static bool take_comma_date(span *s, int64_t now_ms, civil *c)
{
	int y;
	if (!take_digits(s, 2, &c->day))
		return false;
	if (take_char(s, ' ')) {
		if (!take_month(s, &c->month) || !take_char(s, ' ') || !take_digits(s, 4, &y))
			return false;
		c->year = y;
	} else {
		if (!take_char(s, '-') || !take_month(s, &c->month) || !take_char(s, '-') ||
		    !take_digits(s, 2, &y))
			return false;
		c->year = full_year(y, now_ms);
	}
	return take_char(s, ' ') && take_time(s, c) && take_char(s, ' ') &&
	       take_prefix(s, "gmt");
}

/* After "Sun ": "Nov  6 08:49:37 1994" (asctime). */
static bool take_asctime_date(span *s, civil *c)
{
	int y;
	if (!take_month(s, &c->month) || !take_char(s, ' '))
		return false;
	if (take_char(s, ' ')) {
		if (!take_digits(s, 1, &c->day))
			return false;
	} else if (!take_digits(s, 2, &c->day)) {
		return false;
	}
	if (!take_char(s, ' ') || !take_time(s, c) || !take_char(s, ' ') ||
	    !take_digits(s, 4, &y))
		return false;
	c->year = y;
	return true;
}

int pt_rl_http_date_parse(const char *text, size_t len, int64_t now_ms, int64_t *epoch_ms)
{
	span s = trim((span){text, text + len});
	civil c = {0};
	bool ok;
	if (!text || !epoch_ms || !take_day_name(&s))
		return PT_EINVAL;
	if (take_char(&s, ','))
		ok = take_char(&s, ' ') && take_comma_date(&s, now_ms, &c);
	else
		ok = take_char(&s, ' ') && take_asctime_date(&s, &c);
	if (!ok || s.p != s.end || c.day < 1 || c.day > days_in_month(c.year, c.month))
		return PT_EINVAL;
	int64_t days = days_from_civil(c.year, c.month, c.day);
	*epoch_ms = (((days * 24 + c.hour) * 60 + c.minute) * 60 + c.second) * MS_PER_S;
	return PT_OK;
}

/* ---- Structured fields (RFC 8941), as much as the draft needs ---- */

/* One list member: `"default";q=100;w=60`, `10;w=1`, or a dictionary
 * member `remaining=50` of the older drafts. */
typedef struct sf_member {
	char name[PT_RL_NAME_MAX]; /* a string or token item; "" for a number */
	char key[16];              /* a dictionary member's key; "" in a list */
	bool has_number;
	int64_t number, frac_ms;   /* a numeric item or dictionary value */
	int64_t q, w, r, t;        /* integer parameters; NO_VALUE when absent */
	span text;                 /* the member as sent */
} sf_member;

static bool is_tchar(char c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-.^_`|~:/", c));
}

static bool is_key_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*';
}

/* A key ("q", "remaining"), lower-cased into out. Empty: not a key. */
static bool sf_key(span *s, char *out, size_t cap)
{
	size_t n = 0;
	if (s->p == s->end || !(is_alpha(*s->p) || *s->p == '*'))
		return false;
	for (; s->p < s->end && is_key_char(*s->p); s->p++)
		if (n + 1 < cap)
			out[n++] = lower(*s->p);
	out[n] = '\0';
	return true;
}

/* "..." with \" and \\ escapes, into out (truncated). */
static bool sf_string(span *s, char *out, size_t cap)
{
	size_t n = 0;
	for (s->p++; s->p < s->end; s->p++) {
		char c = *s->p;
		if (c == '"') {
			s->p++;
			out[n] = '\0';
			return true;
		}
		if (c == '\\' && (++s->p == s->end || (*s->p != '"' && *s->p != '\\')))
			return false;
		if ((unsigned char)*s->p < 0x20 || (unsigned char)*s->p >= 0x7f)
			return false;
		if (n + 1 < cap)
			out[n++] = *s->p;
	}
	return false;
}

static bool sf_token(span *s, char *out, size_t cap)
{
	const char *start = s->p;
	while (s->p < s->end && is_tchar(*s->p))
		s->p++;
	copy_text(out, cap, (span){start, s->p});
	return true;
}

/* A bare item into m: a number, string or token (kept), or a byte
 * sequence or boolean (checked and dropped). */
static bool sf_bare_item(span *s, sf_member *m)
{
	char c = s->p < s->end ? *s->p : '\0';
	if (is_digit(c)) {
		m->has_number = scan_decimal(s, &m->number, &m->frac_ms);
		return m->has_number;
	}
	if (c == '-') { /* a negative number: no count or time we want */
		int64_t ignored;
		s->p++;
		return scan_decimal(s, &ignored, &ignored);
	}
	if (c == '"')
		return sf_string(s, m->name, sizeof m->name);
	if (c == ':') {
		const char *close = memchr(s->p + 1, ':', (size_t)(s->end - s->p - 1));
		s->p = close ? close + 1 : s->p;
		return close != NULL;
	}
	if (c == '?') {
		bool ok = span_len(*s) >= 2 && (s->p[1] == '0' || s->p[1] == '1');
		s->p += ok ? 2 : 0;
		return ok;
	}
	if (is_alpha(c) || c == '*')
		return sf_token(s, m->name, sizeof m->name);
	return false;
}

/* A parameter's value when it is a non-negative integer; else NO_VALUE. */
static int64_t sf_param_value(span *s, bool *ok)
{
	sf_member v = {.has_number = false};
	*ok = sf_bare_item(s, &v);
	return v.has_number && v.frac_ms == 0 ? v.number : NO_VALUE;
}

/* ;key[=value] parameters; q, w, r and t are kept. */
static bool sf_params(span *s, sf_member *m)
{
	while (take_char(s, ';')) {
		char key[16];
		bool ok = true;
		int64_t v = 1; /* a key alone is boolean true */
		while (take_char(s, ' '))
			;
		if (!sf_key(s, key, sizeof key))
			return false;
		if (take_char(s, '='))
			v = sf_param_value(s, &ok);
		if (!ok)
			return false;
		int64_t *slot = !strcmp(key, "q") ? &m->q : !strcmp(key, "w") ? &m->w
			      : !strcmp(key, "r") ? &m->r : !strcmp(key, "t") ? &m->t : NULL;
		if (slot)
			*slot = v;
	}
	return true;
}

/* A member: `key=item;params` (dictionary) or `item;params` (list). */
static bool sf_member_parse(span *s, sf_member *m)
{
	span save = *s;
	memset(m, 0, sizeof *m);
	m->q = m->w = m->r = m->t = NO_VALUE;
	m->text.p = s->p;
	if (sf_key(s, m->key, sizeof m->key) && take_char(s, '=')) {
		if (!sf_bare_item(s, m))
			return false;
	} else {
		*s = save;
		m->key[0] = '\0';
		if (!sf_bare_item(s, m))
			return false;
	}
	bool ok = sf_params(s, m);
	m->text.end = s->p;
	return ok;
}

/* The whole field value as a list (or dictionary) of up to SF_MEMBERS
 * members; more are checked and dropped. A malformed field is ignored as a
 * whole (RFC 8941): returns false. */
static bool sf_list(span s, sf_member *out, size_t *n)
{
	sf_member spare;
	*n = 0;
	s = trim(s);
	while (s.p < s.end) {
		if (!sf_member_parse(&s, *n < SF_MEMBERS ? &out[*n] : &spare))
			return false;
		if (*n < SF_MEMBERS)
			(*n)++;
		s = trim(s);
		if (s.p == s.end)
			return true;
		if (!take_char(&s, ','))
			return false;
		s = trim(s);
		if (s.p == s.end) /* a trailing comma */
			return false;
	}
	return true;
}

/* ---- Headers ---- */

/* The first member of a field as a number, with the first w= parameter
 * of any member: the older drafts wrote `RateLimit-Limit: 100, 100;w=60`. */
static bool first_number(span value, sf_member *m)
{
	sf_member members[SF_MEMBERS];
	size_t n;
	if (!sf_list(value, members, &n) || n == 0 || !members[0].has_number)
		return false;
	*m = members[0];
	for (size_t i = 1; i < n && m->w == NO_VALUE; i++)
		m->w = members[i].w;
	return true;
}

/* Member m of a quota header says what (lower case: "limit", "remaining",
 * "used", "reset", "reset-after") of quota q. */
static void apply_quota(pt_rl_quota *q, const char *what, const sf_member *m, span name,
			span text, int64_t now_ms)
{
	pt_rl_time_kind kind;
	if (!strcmp(what, "limit")) {
		set_field(&q->limit, m->number, PT_RL_TIME_NONE, name, text);
		if (m->w != NO_VALUE)
			set_field(&q->window, m->w * MS_PER_S, PT_RL_TIME_NONE, name, text);
	} else if (!strcmp(what, "remaining")) {
		set_field(&q->remaining, m->number, PT_RL_TIME_NONE, name, text);
	} else if (!strcmp(what, "used")) {
		set_field(&q->used, m->number, PT_RL_TIME_NONE, name, text);
	} else if (!strcmp(what, "reset")) {
		int64_t at = reset_at(m->number, m->frac_ms, now_ms, &kind);
		set_time(now_ms, &q->reset, at, kind, name, text);
	} else if (!strcmp(what, "reset-after")) { /* always seconds from now */
		int64_t at = add_ms(now_ms, m->number * MS_PER_S + m->frac_ms);
		set_time(now_ms, &q->reset, at, PT_RL_TIME_DELTA_SECONDS, name, text);
	}
}

/* A quota family's header whose name ends in suffix ("Limit"). */
static void on_quota_header(pt_rl_quota *q, span suffix, span name, span value, int64_t now_ms)
{
	sf_member m;
	char what[16];
	if (span_len(suffix) >= sizeof what || !first_number(value, &m))
		return;
	for (size_t i = 0; i < span_len(suffix); i++)
		what[i] = lower(suffix.p[i]);
	what[span_len(suffix)] = '\0';
	apply_quota(q, what, &m, name, value, now_ms);
}

/* Retry-After: delay-seconds or an HTTP-date. */
static void on_retry_after(pt_rl_parser *p, span name, span value, int64_t now_ms)
{
	int64_t whole, frac, at;
	if (span_decimal(value, &whole, &frac))
		set_time(now_ms, &p->retry_after, add_ms(now_ms, whole * MS_PER_S + frac),
			  PT_RL_TIME_DELTA_SECONDS, name, value);
	else if (pt_rl_http_date_parse(value.p, span_len(value), now_ms, &at) == PT_OK)
		set_time(now_ms, &p->retry_after, at, PT_RL_TIME_HTTP_DATE, name, value);
}

/* RateLimit-Policy: `"default";q=100;w=60, "burst";q=10;w=1` (or the
 * older `100;w=60`). */
static void on_policy(pt_rl_parser *p, span value)
{
	sf_member m[SF_MEMBERS];
	size_t n;
	if (!sf_list(value, m, &n))
		return;
	for (size_t i = 0; i < n && p->n_policies < PT_RL_POLICIES; i++) {
		pt_rl_policy *pol = &p->policies[p->n_policies++];
		copy_name(pol->name, m[i].name);
		pol->quota = m[i].q != NO_VALUE ? m[i].q : m[i].has_number ? m[i].number : NO_VALUE;
		pol->window_ms = m[i].w != NO_VALUE ? m[i].w * MS_PER_S : NO_VALUE;
		copy_text(pol->text, sizeof pol->text, m[i].text);
	}
}

/* Does member m bind harder than the one kept: fewer remaining, or as few
 * and a later reset? */
static bool binds_harder(const pt_rl_parser *p, const sf_member *m, int64_t now_ms)
{
	const pt_rl_quota *kept = &p->draft_item;
	int64_t r = m->r != NO_VALUE ? m->r : INT64_MAX;
	int64_t kept_r = kept->remaining.present ? kept->remaining.value : INT64_MAX;
	if (!kept->remaining.present && !kept->reset.present)
		return true;
	return r < kept_r || (r == kept_r && m->t != NO_VALUE &&
			      (!kept->reset.present ||
			       add_ms(now_ms, m->t * MS_PER_S) > kept->reset.value));
}

/* RateLimit: `"default";r=50;t=30, "burst";r=0;t=1`: the member that binds
 * hardest gives remaining and reset. */
static void on_draft(pt_rl_parser *p, span name, span value, int64_t now_ms)
{
	sf_member m[SF_MEMBERS];
	size_t n;
	if (!sf_list(value, m, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (m[i].key[0] && m[i].has_number) { /* `limit=100, remaining=50` */
			apply_quota(&p->older, m[i].key, &m[i], name, m[i].text, now_ms);
			continue;
		}
		if ((m[i].r == NO_VALUE && m[i].t == NO_VALUE) || !binds_harder(p, &m[i], now_ms))
			continue;
		memset(&p->draft_item, 0, sizeof p->draft_item);
		copy_name(p->item_name, m[i].name);
		if (m[i].r != NO_VALUE)
			set_field(&p->draft_item.remaining, m[i].r, PT_RL_TIME_NONE, name, m[i].text);
		if (m[i].t != NO_VALUE)
			set_time(now_ms, &p->draft_item.reset, add_ms(now_ms, m[i].t * MS_PER_S),
				  PT_RL_TIME_DELTA_SECONDS, name, m[i].text);
	}
}

/* Route one header by its name; unknown headers are ignored. */
static void on_header(pt_rl_parser *p, span name, span value, int64_t now_ms)
{
	span suffix = name;
	if (span_is(name, "retry-after"))
		on_retry_after(p, name, value, now_ms);
	else if (span_is(name, "ratelimit"))
		on_draft(p, name, value, now_ms);
	else if (span_is(name, "ratelimit-policy"))
		on_policy(p, value);
	else if (take_prefix(&suffix, "ratelimit-"))
		on_quota_header(&p->older, suffix, name, value, now_ms);
	else if (!take_prefix(&suffix, "x-ratelimit-") && !take_prefix(&suffix, "x-rate-limit-"))
		return;
	else if (span_is(suffix, "resource"))
		copy_text(p->resource, sizeof p->resource, value);
	else
		on_quota_header(&p->x, suffix, name, value, now_ms);
}

/* "Name: value" with a token name. False when the line is no header. */
static bool header_line(pt_rl_parser *p, span line, int64_t now_ms)
{
	span name = {line.p, line.p};
	while (name.end < line.end && is_tchar(*name.end) && *name.end != ':')
		name.end++;
	if (name.end == name.p || name.end == line.end || *name.end != ':')
		return false;
	on_header(p, name, trim((span){name.end + 1, line.end}), now_ms);
	return true;
}

/* ---- JSON bodies ---- */

static const char *const json_keys[] = {
	"retry_after", "retry_after_seconds", "retryAfter", "retryAfterSeconds", "retry_in",
};

static bool is_json_key(span key)
{
	for (size_t i = 0; i < sizeof json_keys / sizeof json_keys[0]; i++)
		if (span_len(key) == strlen(json_keys[i]) &&
		    !memcmp(key.p, json_keys[i], span_len(key)))
			return true;
	return false;
}

/* `\s*:\s*` then a number of seconds, bare or in quotes, at s. A number
 * that runs into the end of a truncated line may have lost digits. */
static bool json_seconds(span s, bool truncated, span *number, int64_t *ms)
{
	int64_t whole, frac;
	s = trim(s);
	if (!take_char(&s, ':'))
		return false;
	s = trim(s);
	bool quoted = take_char(&s, '"');
	number->p = s.p;
	if (!scan_decimal(&s, &whole, &frac))
		return false;
	number->end = s.p;
	if (s.p == s.end ? truncated || quoted : quoted ? *s.p != '"'
		      : is_digit(*s.p) || *s.p == '.' || *s.p == 'e' || *s.p == 'E')
		return false;
	*ms = whole * MS_PER_S + frac;
	return true;
}

/* The first `"retry_after": 12.5` (or another key of json_keys) in a line. */
static void scan_json(pt_rl_parser *p, span line, bool truncated, int64_t now_ms)
{
	const char *q = line.p;
	while ((q = memchr(q, '"', (size_t)(line.end - q)))) {
		span key = {q + 1, memchr(q + 1, '"', (size_t)(line.end - q - 1))};
		span number;
		int64_t ms;
		if (!key.end)
			return;
		q = key.end + 1;
		if (!is_json_key(key) || !json_seconds((span){q, line.end}, truncated, &number, &ms))
			continue;
		char header[PT_RL_TEXT_MAX];
		int n = snprintf(header, sizeof header, "body %.*s", (int)span_len(key), key.p);
		set_time(now_ms, &p->body_retry, add_ms(now_ms, ms), PT_RL_TIME_DELTA_SECONDS,
			  (span){header, header + n}, number);
		return;
	}
}

/* ---- Lines and responses ---- */

/* "HTTP/1.1 429 Too Many Requests", "HTTP/2 503": the code, or -1. */
static int status_code(span s)
{
	int code;
	if (!take_prefix(&s, "http/") || s.p == s.end || !is_digit(*s.p))
		return -1;
	while (s.p < s.end && (is_digit(*s.p) || *s.p == '.'))
		s.p++;
	if (!take_char(&s, ' ') || !take_digits(&s, 3, &code))
		return -1;
	return s.p == s.end || is_ows(*s.p) || *s.p == '\r' ? code : -1;
}

/* Forget the previous response: the one starting now is what counts.
 * Everything from `section` on is the response's; the line being looked
 * at stays. */
static void start_response(pt_rl_parser *p, int status)
{
	size_t from = offsetof(pt_rl_parser, section);
	memset((char *)p + from, 0, sizeof *p - from);
	p->status = status;
	p->section = SECTION_HEADERS;
}

static void process_line(pt_rl_parser *p, span line, bool truncated, int64_t now_ms)
{
	if (!truncated && line.end > line.p && line.end[-1] == '\r')
		line.end--;
	take_prefix(&line, "< "); /* curl -v shows response headers so */
	int code = truncated ? -1 : status_code(line);
	if (code >= 0) {
		start_response(p, code);
		return;
	}
	if (p->section == SECTION_HEADERS) {
		if (line.p == line.end)
			p->section = SECTION_BODY;
		else if (!truncated && !is_ows(*line.p)) /* not an obsolete fold */
			header_line(p, line, now_ms);
		return;
	}
	if (p->section == SECTION_START && !truncated && header_line(p, line, now_ms))
		return;
	scan_json(p, line, truncated, now_ms);
}

void pt_rl_parser_init(pt_rl_parser *p)
{
	memset(p, 0, sizeof *p);
	p->section = SECTION_START;
}

static void end_line(pt_rl_parser *p, int64_t now_ms)
{
	process_line(p, (span){p->line, p->line + p->len}, p->overlong, now_ms);
	p->len = 0;
	p->overlong = false;
}

void pt_rl_parser_feed(pt_rl_parser *p, const char *data, size_t len, int64_t now_ms)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len, copy = take;
		if (copy > PT_RL_LINE_MAX - p->len) {
			copy = PT_RL_LINE_MAX - p->len;
			p->overlong = true;
		}
		memcpy(p->line + p->len, data, copy);
		p->len += copy;
		if (!nl)
			return;
		end_line(p, now_ms);
		data += take + 1;
		len -= take + 1;
	}
}

void pt_rl_parser_finish(pt_rl_parser *p, int64_t now_ms)
{
	if (p->len > 0 || p->overlong)
		end_line(p, now_ms);
}

/* ---- The result ---- */

/* The policy the binding RateLimit member names, else the first one. */
static const pt_rl_policy *chosen_policy(const pt_rl_parser *p)
{
	for (size_t i = 0; i < p->n_policies; i++)
		if (!strcmp(p->policies[i].name, p->item_name))
			return &p->policies[i];
	return p->n_policies ? &p->policies[0] : NULL;
}

/* The draft's quota: the policy's q and w with the member's r and t. */
static void draft_quota(const pt_rl_parser *p, pt_rl_quota *q, char *policy)
{
	static const char header[] = "RateLimit-Policy";
	const pt_rl_policy *pol = chosen_policy(p);
	*q = p->draft_item;
	copy_name(policy, pol ? pol->name : p->item_name);
	if (!pol)
		return;
	span h = {header, header + sizeof header - 1}, text = {pol->text, pol->text + strlen(pol->text)};
	if (pol->quota != NO_VALUE)
		set_field(&q->limit, pol->quota, PT_RL_TIME_NONE, h, text);
	if (pol->window_ms != NO_VALUE)
		set_field(&q->window, pol->window_ms, PT_RL_TIME_NONE, h, text);
}

static const pt_rl_field *first_present(const pt_rl_field *a, const pt_rl_field *b,
					const pt_rl_field *c)
{
	return a->present ? a : b->present ? b : c;
}

void pt_rl_parser_result(const pt_rl_parser *p, pt_rl_result *out)
{
	pt_rl_quota draft;
	memset(out, 0, sizeof *out);
	draft_quota(p, &draft, out->policy);
	out->status = p->status;
	out->retry_after = p->retry_after;
	out->body_retry = p->body_retry;
	copy_name(out->resource, p->resource);
	pt_rl_quota *q = &out->quota;
	q->limit = *first_present(&draft.limit, &p->older.limit, &p->x.limit);
	q->window = *first_present(&draft.window, &p->older.window, &p->x.window);
	q->remaining = *first_present(&draft.remaining, &p->older.remaining, &p->x.remaining);
	q->used = *first_present(&draft.used, &p->older.used, &p->x.used);
	q->reset = *first_present(&draft.reset, &p->older.reset, &p->x.reset);
}

static bool limited_status(int status)
{
	return status == 429 || status == 503;
}

bool pt_rl_is_limited(const pt_rl_result *r)
{
	return limited_status(r->status) ||
	       (r->quota.remaining.present && r->quota.remaining.value == 0);
}

int64_t pt_rl_asked_delay(const pt_rl_result *r, int64_t now_ms, const pt_rl_field **from)
{
	const pt_rl_field *f = NULL;
	bool spent = r->quota.remaining.present ? r->quota.remaining.value == 0
						: limited_status(r->status);
	if (r->retry_after.present)
		f = &r->retry_after;
	else if (r->quota.reset.present && spent)
		f = &r->quota.reset;
	else if (r->body_retry.present)
		f = &r->body_retry;
	if (from)
		*from = f;
	if (!f)
		return -1;
	return f->value > now_ms ? add_ms(f->value, now_ms == INT64_MIN ? INT64_MAX : -now_ms) : 0;
}

int pt_rl_field_describe(const pt_rl_field *f, char *buf, size_t len)
{
	bool absolute = f->kind == PT_RL_TIME_EPOCH_SECONDS || f->kind == PT_RL_TIME_EPOCH_MS;
	if (!f->present) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	return snprintf(buf, len, "%s: %s%s%s", f->header, f->text, absolute ? " read as " : "",
			absolute ? pt_rl_time_kind_name(f->kind) : "");
}
