/* Cross-checks the daemon's Lua scheduler (src/daemon/redis_scheduler.lua)
 * against the C library's (src/lib/diophantine.c) on a real redis-server.
 *
 * Each round reads one resource key's starts (ZRANGE WITHSCORES), runs the
 * script's acquire on it (EVALSHA), finds the starts it added (a prefix of
 * their own per round) and so the base b it chose and Redis's now = b - d
 * (d: the delay it replied), then asks pt_dio_find for the base over the
 * starts read before (less those the script expires) at the same now. The
 * two must agree, and the set after the call must hold no window of SPAN ms
 * with more than LIMIT starts (counted here, without the library).
 *
 * Keys get a random LIMIT 1..12 and SPAN 20..3000 ms each; offsets are 1..5
 * random ones that fit alone; bursts of acquires with no not-before delay on
 * one key crowd it, so bases go far past now. Now and then the script's
 * sync adds a few starts as a daemon back from an outage would, unchecked,
 * crowded enough to break the rule: acquires must still keep it in every
 * window that holds one of their starts, and agree with C on the base. A
 * key that holds too many starts is deleted and replaced by a fresh one with
 * new parameters.
 *
 * SEED (default 20261201) fixes every random draw; the starts still depend
 * on Redis's clock (what has expired, how far bases are from now), so runs
 * of one seed differ in detail, never in what they must agree on.
 *
 * usage: redis_dio_check SOCKET_PATH SCRIPT_FILE [ROUNDS] [SEED]
 * Prints one summary line; exit 0 when every round agreed and kept the rule,
 * 1 if not, 2 on a usage, connection or protocol error. */
#include "patience/diophantine.h"
#include "patience/error.h"
#include "patience/rng.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NKEYS 4
#define MAX_K 5
#define KEY_CAP 200     /* starts a key may hold before it is replaced */
#define MAX_DETAILS 3   /* mismatches printed in full */
#define MAX_SYNC 14       /* starts per sync */
#define DEFAULT_SEED UINT64_C(20261201)

typedef struct chk_key {
	char name[96];
	int64_t limit, span, window, guard;
	bool synced; /* holds starts added by sync, which may break the rule */
} chk_key;

typedef struct chk_set {
	int64_t *at; /* scores, ascending */
	char **member;
	size_t n;
} chk_set;

static redisContext *conn;
static pt_rng rng;
static char *sha; /* of the script */

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("redis_dio_check: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* Uniform in [lo, hi]; the same sequence for the same seed everywhere. */
static int64_t rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(pt_rng_next(&rng) % (uint64_t)(hi - lo + 1));
}

static redisReply *command(int argc, const char **argv)
{
	size_t len[8 + 2 * MAX_SYNC];
	redisReply *r;

	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	r = redisCommandArgv(conn, argc, argv, len);
	if (!r)
		die("%s: %s", argv[0], conn->errstr);
	if (r->type == REDIS_REPLY_ERROR)
		die("%s: %s", argv[0], r->str);
	return r;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		die("cannot read %s", path);
	buf = malloc((size_t)size + 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		die("cannot read %s", path);
	buf[size] = '\0';
	fclose(f);
	return buf;
}

static int64_t parse_i64(const char *s, const char *what)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || *end != '\0')
		die("bad %s: %s", what, s);
	return v;
}

static void set_free(chk_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->member[i]);
	free(s->at);
	free(s->member);
	*s = (chk_set){0};
}

/* The key's members and scores, in score order. */
static chk_set read_set(const chk_key *key)
{
	const char *argv[] = { "ZRANGE", key->name, "0", "-1", "WITHSCORES" };
	redisReply *r = command(5, argv);
	chk_set s = {0};

	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
		die("ZRANGE: unexpected reply");
	s.n = r->elements / 2;
	s.at = calloc(s.n + 1, sizeof *s.at);
	s.member = calloc(s.n + 1, sizeof *s.member);
	if (!s.at || !s.member)
		die("out of memory");
	for (size_t i = 0; i < s.n; i++) {
		s.member[i] = strdup(r->element[2 * i]->str);
		s.at[i] = parse_i64(r->element[2 * i + 1]->str, "score");
		if (!s.member[i])
			die("out of memory");
	}
	freeReplyObject(r);
	return s;
}

/* ZCARD key. */
static size_t read_count(const chk_key *key)
{
	const char *argv[] = { "ZCARD", key->name };
	redisReply *r = command(2, argv);
	size_t n = r->type == REDIS_REPLY_INTEGER ? (size_t)r->integer : 0;

	freeReplyObject(r);
	return n;
}

static void new_key(chk_key *key, int slot, uint64_t seed, unsigned gen)
{
	const char *argv[2] = { "DEL", key->name };

	snprintf(key->name, sizeof key->name, "{chk:%" PRIu64 ":%d:%u}", seed, slot, gen);
	freeReplyObject(command(2, argv));
	key->limit = rnd_in(1, 12);
	key->span = rnd_in(20, 3000);
	/* any split of the span: the C side must only use window + guard */
	key->guard = pt_rng_next(&rng) % 2 ? 0 : rnd_in(0, key->span - 1);
	key->window = key->span - key->guard;
	key->synced = false;
}

/* sync: 1..limit+2 starts close together, from now + 0..3 spans on. */
static void sync_starts(chk_key *key, long round)
{
	char span[24], member[MAX_SYNC][48], delta[MAX_SYNC][24];
	const char *argv[6 + 2 * MAX_SYNC] = { "EVALSHA", sha, "1", key->name, "sync", span };
	int64_t n = rnd_in(1, key->limit + 2 < MAX_SYNC ? key->limit + 2 : MAX_SYNC);
	int64_t from = rnd_in(0, 3 * key->span);
	int argc = 6;

	snprintf(span, sizeof span, "%" PRId64, key->span);
	for (int64_t i = 0; i < n; i++) {
		snprintf(member[i], sizeof member[i], "sync:%ld:%" PRId64, round, i);
		snprintf(delta[i], sizeof delta[i], "%" PRId64,
			 from + rnd_in(0, key->span / 2));
		argv[argc++] = member[i];
		argv[argc++] = delta[i];
	}
	freeReplyObject(command(argc, argv));
	key->synced = true;
}

/* 1..5 strictly increasing offsets from 0 that fit alone; gaps random, on a
 * grid of span/limit (so starts tie often), or small. */
static size_t draw_offsets(const chk_key *key, int64_t *off)
{
	for (;;) {
		size_t k = (size_t)rnd_in(1, MAX_K);
		int mode = (int)rnd_in(0, 2);
		int64_t grid = key->span / key->limit > 0 ? key->span / key->limit : 1;

		off[0] = 0;
		for (size_t i = 1; i < k; i++) {
			int64_t g = mode == 0 ? rnd_in(1, key->span)
				  : mode == 1 ? grid * rnd_in(1, 3)
					      : rnd_in(1, key->span / 4 + 1);
			off[i] = off[i - 1] + g;
		}
		if (pt_dio_check_offsets(key->limit, key->span, off, k, NULL) == PT_OK)
			return k;
	}
}

/* Does base keep the rule: no window of span holding one of the new starts
 * base+off[i] holds more than limit of them and the reserved res? Counted
 * start by start, without the library. */
static bool base_keeps_rule(const int64_t *res, size_t nres, int64_t limit, int64_t span,
			    const int64_t *off, size_t k, int64_t base)
{
	size_t n = nres + k;
	int64_t *at = malloc(n * sizeof *at);
	bool *fresh = malloc(n * sizeof *fresh), ok = true;

	if (!at || !fresh)
		die("out of memory");
	for (size_t r = 0, i = 0, w = 0; w < n; w++) {
		if (r < nres && (i == k || res[r] <= base + off[i])) {
			at[w] = res[r++];
			fresh[w] = false;
		} else {
			at[w] = base + off[i++];
			fresh[w] = true;
		}
	}
	/* the fullest windows open at a start */
	for (size_t a = 0; a < n && ok; a++) {
		size_t count = 0;
		bool holds_new = false;

		for (size_t b = a; b < n && at[b] < at[a] + span; b++) {
			count++;
			holds_new |= fresh[b];
		}
		ok = !(holds_new && count > (size_t)limit);
	}
	free(at);
	free(fresh);
	return ok;
}

/* The fullest window of span over sorted at that holds at[p]: it opens at
 * a start in (at[p] - span, at[p]]. No library. */
static size_t fullest_window_at(const int64_t *at, size_t n, int64_t span, size_t p)
{
	size_t worst = 0;

	for (size_t i = 0; i < n; i++) {
		size_t count = 0;

		if (at[i] <= at[p] - span || at[i] > at[p])
			continue;
		for (size_t j = i; j < n && at[j] < at[i] + span; j++)
			count++;
		worst = count > worst ? count : worst;
	}
	return worst;
}

/* The fullest window of span over sorted at, two pointers, no library. */
static size_t fullest_window(const int64_t *at, size_t n, int64_t span)
{
	size_t worst = 0;

	for (size_t i = 0, j = 0; i < n; i++) {
		while (j < n && at[j] < at[i] + span)
			j++;
		worst = j - i > worst ? j - i : worst;
	}
	return worst;
}

static void print_offsets(const int64_t *off, size_t k)
{
	for (size_t i = 0; i < k; i++)
		printf(" %" PRId64, off[i]);
	printf("\n");
}

static void print_mismatch(long round, const chk_key *key, const int64_t *res, size_t nres,
			   int64_t now, int64_t delta, const int64_t *off, size_t k,
			   int64_t c_base, int64_t lua_base)
{
	int64_t lo = c_base < lua_base ? c_base : lua_base;
	int64_t hi = c_base < lua_base ? lua_base : c_base;
	int64_t least = -1;

	printf("mismatch in round %ld on %s: limit %" PRId64 " span %" PRId64
	       " (window %" PRId64 " + guard %" PRId64 ") not-before +%" PRId64 "\n",
	       round, key->name, key->limit, key->span, key->window, key->guard, delta);
	printf("  reserved (ms from now, %zu):", nres);
	for (size_t i = 0; i < nres; i++)
		printf(" %" PRId64, res[i] - now);
	printf("\n  offsets:");
	print_offsets(off, k);
	printf("  C base +%" PRId64 " (%s), Lua base +%" PRId64 " (%s)\n", c_base - now,
	       base_keeps_rule(res, nres, key->limit, key->span, off, k, c_base) ? "keeps the rule"
										 : "BREAKS the rule",
	       lua_base - now,
	       base_keeps_rule(res, nres, key->limit, key->span, off, k, lua_base) ? "keeps the rule"
										   : "BREAKS the rule");
	/* the least base by trying each ms, when that is cheap enough */
	if (hi - (now + delta) <= 200000) {
		for (int64_t t = now + delta; t <= hi && least < 0; t++) {
			if (base_keeps_rule(res, nres, key->limit, key->span, off, k, t))
				least = t;
		}
		printf("  least base by brute force: +%" PRId64 "\n", least - now);
	} else {
		printf("  (range +%" PRId64 "..+%" PRId64 " too wide to brute-force)\n",
		       lo - now, hi - now);
	}
}

/* What the rounds saw. */
typedef struct chk_stats {
	long mismatches, violations, syncs;
	size_t max_starts, max_window; /* max_window: of windows holding a new start */
	int64_t max_delay;
} chk_stats;

/* Runs the script's acquire for off on key: the base it chose, Redis's now
 * (from the delay it replied) and the set after the call. */
static chk_set lua_acquire(const chk_key *key, long round, const int64_t *off, size_t k,
			   int64_t delta, int64_t *base, int64_t *now)
{
	char prefix[48], num[4 + MAX_K][24];
	/* SENT now with a MAX_AGE of 10^12 ms: never stale */
	const char *argv[12 + MAX_K] = { "EVALSHA", sha, "1", key->name, "acquire",
					 num[0], num[1], num[2], "-1", prefix, num[3],
					 "1000000000000" };
	int argc = 12;
	size_t found = 0;
	int64_t d, latest;
	chk_set after;
	redisReply *r;

	snprintf(prefix, sizeof prefix, "chk:%ld:", round);
	snprintf(num[0], sizeof num[0], "%" PRId64, key->limit);
	snprintf(num[1], sizeof num[1], "%" PRId64, key->span);
	snprintf(num[2], sizeof num[2], "%" PRId64, delta);
	snprintf(num[3], sizeof num[3], "%" PRId64, (int64_t)time(NULL) * 1000);
	for (size_t i = 0; i < k; i++) {
		snprintf(num[4 + i], sizeof num[4 + i], "%" PRId64, off[i]);
		argv[argc++] = num[4 + i];
	}
	r = command(argc, argv);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || r->element[0]->integer != 1 ||
	    r->element[1]->type != REDIS_REPLY_INTEGER || r->element[2]->type != REDIS_REPLY_INTEGER)
		die("acquire: unexpected reply in round %ld", round);
	d = r->element[1]->integer;
	latest = r->element[2]->integer;
	freeReplyObject(r);

	/* the new starts: base + off[i], named prefix .. (base + off[i]) */
	after = read_set(key);
	*base = INT64_MAX;
	for (size_t i = 0; i < after.n; i++) {
		if (strncmp(after.member[i], prefix, strlen(prefix)) != 0)
			continue;
		if (*base == INT64_MAX)
			*base = after.at[i];
		if (found >= k || after.at[i] != *base + off[found] ||
		    parse_i64(after.member[i] + strlen(prefix), "member") != after.at[i])
			die("round %ld: new start %s at %" PRId64 " is not base + offset", round,
			    after.member[i], after.at[i]);
		found++;
	}
	if (found != k)
		die("round %ld: %zu new starts, expected %zu", round, found, k);
	*now = *base - d;
	if (d < delta || latest != after.at[after.n - 1] - *now)
		die("round %ld: delay %" PRId64 " below %" PRId64 " or latest %" PRId64
		    " not the last start", round, d, delta, latest);
	return after;
}

/* pt_dio_find over before, less what the script expires at now. The starts
 * it used go to res (room for before->n). */
static int64_t c_find(const chk_key *key, const chk_set *before, int64_t now, int64_t delta,
		      const int64_t *off, size_t k, int64_t *res, size_t *nres)
{
	pt_dio dio;
	int64_t base, zero = 0;

	if (pt_dio_init(&dio, key->limit, key->window, key->guard) != PT_OK)
		die("cannot set up pt_dio");
	*nres = 0;
	for (size_t i = 0; i < before->n; i++) {
		if (before->at[i] <= now - key->span)
			continue;
		res[(*nres)++] = before->at[i];
		if (pt_dio_reserve(&dio, (uint64_t)i + 1, before->at[i], &zero, 1) != PT_OK)
			die("pt_dio_reserve failed");
	}
	if (pt_dio_find(&dio, now + delta, off, k, &base) != PT_OK)
		die("pt_dio_find failed");
	pt_dio_release(&dio);
	return base;
}

/* The rule after the call: in every window holding a new start (prefix),
 * and in every window of a key that sync has not crowded. */
static void check_rule(const chk_key *key, const chk_set *after, long round, chk_stats *st)
{
	char prefix[48];
	size_t fullest = fullest_window(after->at, after->n, key->span);

	snprintf(prefix, sizeof prefix, "chk:%ld:", round);
	for (size_t i = 0; i < after->n; i++) {
		size_t here;

		if (strncmp(after->member[i], prefix, strlen(prefix)) != 0)
			continue;
		here = fullest_window_at(after->at, after->n, key->span, i);
		st->max_window = here > st->max_window ? here : st->max_window;
		if (here > (size_t)key->limit) {
			if (st->violations < MAX_DETAILS)
				printf("violation in round %ld on %s: %zu starts in %" PRId64
				       " ms around new start %s, limit %" PRId64 "\n",
				       round, key->name, here, key->span, after->member[i], key->limit);
			st->violations++;
		}
	}
	if (!key->synced && fullest > (size_t)key->limit) {
		if (st->violations < MAX_DETAILS)
			printf("violation in round %ld on %s: %zu starts in %" PRId64
			       " ms, limit %" PRId64 "\n",
			       round, key->name, fullest, key->span, key->limit);
		st->violations++;
	}
	st->max_starts = after->n > st->max_starts ? after->n : st->max_starts;
}

/* One acquire on key, checked. */
static void check_round(const chk_key *key, long round, int64_t delta, chk_stats *st)
{
	int64_t off[MAX_K], lua_base, now, c_base;
	size_t k = draw_offsets(key, off), nres;
	chk_set before = read_set(key), after;
	int64_t *res = malloc((before.n + 1) * sizeof *res);

	if (!res)
		die("out of memory");
	after = lua_acquire(key, round, off, k, delta, &lua_base, &now);
	c_base = c_find(key, &before, now, delta, off, k, res, &nres);
	if (c_base != lua_base) {
		if (st->mismatches < MAX_DETAILS)
			print_mismatch(round, key, res, nres, now, delta, off, k, c_base, lua_base);
		st->mismatches++;
	}
	check_rule(key, &after, round, st);
	st->max_delay = lua_base - now > st->max_delay ? lua_base - now : st->max_delay;
	free(res);
	set_free(&before);
	set_free(&after);
}

int main(int argc, char **argv)
{
	chk_key keys[NKEYS];
	chk_stats st = {0};
	long rounds = 3000, burst_left = 0;
	uint64_t seed = DEFAULT_SEED;
	unsigned gen = 0;
	int burst_slot = 0;
	char *script;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: %s SOCKET_PATH SCRIPT_FILE [ROUNDS] [SEED]\n", argv[0]);
		return 2;
	}
	if (argc > 3)
		rounds = (long)parse_i64(argv[3], "ROUNDS");
	if (argc > 4)
		seed = (uint64_t)parse_i64(argv[4], "SEED");
	pt_rng_seed(&rng, seed);
	script = read_file(argv[2]);
	conn = redisConnectUnix(argv[1]);
	if (!conn || conn->err)
		die("cannot connect to %s: %s", argv[1], conn ? conn->errstr : "out of memory");
	{
		const char *load[] = { "SCRIPT", "LOAD", script };
		redisReply *r = command(3, load);

		if (r->type != REDIS_REPLY_STRING)
			die("SCRIPT LOAD: unexpected reply");
		sha = strdup(r->str);
		freeReplyObject(r);
	}
	for (int i = 0; i < NKEYS; i++)
		new_key(&keys[i], i, seed, gen++);

	for (long round = 0; round < rounds; round++) {
		chk_key *key;
		int64_t delta;

		if (burst_left == 0 && pt_rng_next(&rng) % 60 == 0) {
			sync_starts(&keys[rnd_in(0, NKEYS - 1)], round);
			st.syncs++;
		}
		if (burst_left == 0 && pt_rng_next(&rng) % 40 == 0) {
			burst_left = rnd_in(10, 40);
			burst_slot = (int)rnd_in(0, NKEYS - 1);
		}
		/* a burst: one key, no not-before delay, round after round */
		key = &keys[burst_left > 0 ? burst_slot : rnd_in(0, NKEYS - 1)];
		delta = burst_left > 0 || pt_rng_next(&rng) % 5 != 0 ? 0 : rnd_in(0, 2 * key->span);
		if (burst_left > 0)
			burst_left--;
		check_round(key, round, delta, &st);
		if (read_count(key) > KEY_CAP)
			new_key(key, (int)(key - keys), seed, gen++);
	}
	printf("redis_dio_check: seed %" PRIu64 ", %ld rounds, %ld mismatches, %ld violations, "
	       "max %zu starts in a key, fullest window with a new start %zu, max delay %" PRId64
	       " ms, %u keys, %ld syncs\n",
	       seed, rounds, st.mismatches, st.violations, st.max_starts, st.max_window,
	       st.max_delay, gen, st.syncs);
	for (int i = 0; i < NKEYS; i++) {
		const char *del[] = { "DEL", keys[i].name };

		freeReplyObject(command(2, del));
	}
	free(sha);
	free(script);
	redisFree(conn);
	return st.mismatches == 0 && st.violations == 0 ? 0 : 1;
}
