/* The Redis backend: daemons on many hosts share each resource's limit.
 *
 * Every acquire is one run of src/daemon/redis_scheduler.lua (EVALSHA,
 * loaded on connect, sent again as EVAL on NOSCRIPT) on the resource's
 * sorted set; the script runs the Diophantine rule on Redis's own clock.
 * hiredis queues what the loop turn sends and writes it at once, so the
 * acquires of one turn reach Redis as one pipeline. The daemon keeps its
 * own grants in its registry, which gives releases, ttls and the outage
 * mode below; only the outage's grants go to its store (Redis holds the
 * rest).
 *
 * Cluster: keys carry the hash tag {patience:UID:NAME}, so a script touches
 * one slot; the daemon reads CLUSTER SLOTS and sends each key to its
 * master. A MOVED or ASK reply (the cluster changed) reconnects.
 *
 * Outage: a request unanswered for timeout_ms (or a lost connection) puts
 * the daemon in outage mode. It then grants on its own, under a share of
 * each limit (outage_share, or the limit divided by the daemons it last
 * saw), and never before every start it could not see has left the window:
 * max(when Redis last answered, the latest start Redis reported) + window.
 * It reconnects with backoff; before serving from Redis again it adds its
 * own starts (those granted in the outage among them) to Redis, and only
 * then says it is back (heartbeat). While a daemon's heartbeat is silent
 * (more than FRESH_MS, less than AWAY_MS), the others keep its outage share
 * free, so daemons that rejoin at different moments never overlap. */
#include "daemon/daemon.h"

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include <hiredis/adapters/libevent.h>
#pragma GCC diagnostic pop

#include "patience/error.h"

extern const char pt_redis_script[]; /* redis_scheduler.lua, embedded by the build */

#define TICK_MS 50       /* timeouts, heartbeats and reconnects are checked this often */
#define HEARTBEAT_MS 250
#define FRESH_MS 1000    /* a daemon heard this recently serves through Redis */
#define AWAY_MS 10000    /* one silent longer is forgotten */
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000
#define MAX_NODES 64
#define SLOTS 16384
#define MAX_ARGS (PT_DIO_MAX_OFFSETS + 8)
#define DAEMONS_KEY "{patience}:daemons"
#define CLOCK_PERIOD_MS 1000 /* the clock's best sample is kept for one to two of these */

typedef enum link_state { LINK_DOWN, LINK_STARTING, LINK_SYNCING, LINK_ONLINE } link_state;
/* REQ_CHANGE: a release or a move, whose answer says nothing we need. */
typedef enum req_kind { REQ_SLOTS, REQ_SETUP, REQ_SYNC, REQ_HEARTBEAT, REQ_ACQUIRE,
			REQ_CHANGE } req_kind;

/* An acquire Redis may have run after the daemon gave up on it. */
typedef struct abandoned {
	uint32_t uid;
	uint64_t id;
	char resource[PT_RESOURCE_NAME_MAX + 1];
} abandoned;

typedef struct node {
	pt_redis *r;
	char host[256]; /* or the socket path, with port 0 */
	int port;
	redisAsyncContext *ac;
	int64_t *sent; /* monotonic send times of the requests in flight (FIFO) */
	size_t head, count, cap;
} node;

/* Redis's clock less ours, from one answer that took rtt_ms to come back
 * (so it is right within rtt_ms / 2); rtt_ms < 0: none. */
typedef struct clock_sample {
	int64_t offset_ms, rtt_ms;
} clock_sample;

/* One request in flight: what its callback needs. */
typedef struct request {
	pt_redis *r;
	unsigned epoch; /* the connection it went on; an older one's answer is stale */
	req_kind kind;
	size_t node;
	pt_pending *pending; /* REQ_ACQUIRE */
	int64_t sent_rt;     /* realtime when it was sent, for the clock's samples */
	bool retried;        /* sent again as EVAL after NOSCRIPT */
	int argc;
	char **argv; /* owned copies, to send again */
	size_t *lens;
} request;

struct pt_redis {
	pt_daemon *d;
	pt_redis_options opt;
	char user[256], password[256], host[256];
	int port, db;
	char instance[24]; /* this daemon's name in Redis: stable across restarts */
	char sha[41];
	link_state state;
	unsigned epoch;
	node nodes[MAX_NODES];
	size_t n_nodes;
	uint8_t slot_node[SLOTS];
	bool cluster;
	size_t setup_left, sync_left;
	struct event *tick_ev;
	int64_t next_try_ms, retry_ms, started_ms, last_beat_ms; /* monotonic */
	int64_t last_ok_ms;   /* realtime: Redis's last answer */
	int64_t last_beat_rt; /* realtime: when the last heartbeat was sent */
	clock_sample clock[2]; /* Redis's clock - ours: this period's best, the last one's */
	int64_t clock_period_ms;
	int64_t outage_since; /* realtime; 0: not in outage */
	size_t daemons, away; /* from the last heartbeat */
	pt_pending *pending;  /* acquires sent */
	pt_pending *parked;   /* acquires waiting for the link (set up, or failed) */
	abandoned *lost;      /* acquires that timed out: Redis may yet grant them */
	size_t n_lost, lost_cap;
	bool closing;
};

static void link_fail(pt_redis *r, const char *why);
static void send_setup(pt_redis *r, size_t n);

const char *pt_grant_mode_name(pt_grant_mode m)
{
	return m == PT_GRANT_REDIS ? "redis" : m == PT_GRANT_OUTAGE ? "outage" : "memory";
}

/* ---- the URL ---- */

static int url_fail(char *err, size_t len, const char *url, const char *what)
{
	snprintf(err, len, "backend \"%s\": %s (expected redis://[user:password@]host[:port][/db] "
		 "or unix:///path/to/redis.sock)", url, what);
	return PT_EINVAL;
}

static int copy_part(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* user:password@ (either may be empty) */
static int parse_userinfo(pt_redis *r, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	if (!colon)
		return copy_part(r->password, sizeof r->password, p, n);
	if (copy_part(r->user, sizeof r->user, p, (size_t)(colon - p)) != 0)
		return -1;
	return copy_part(r->password, sizeof r->password, colon + 1, n - (size_t)(colon - p) - 1);
}

static int parse_number(const char *p, const char *end, long max, long *out)
{
	char *stop;
	if (p == end || *p < '0' || *p > '9')
		return -1;
	*out = strtol(p, &stop, 10);
	return stop == end && *out <= max ? 0 : -1;
}

static int parse_url(pt_redis *r, const char *url, char *err, size_t len)
{
	const char *p, *at, *slash, *colon, *end;
	long v;
	r->port = 6379;
	if (strncmp(url, "unix://", 7) == 0) {
		if (url[7] != '/' || copy_part(r->host, sizeof r->host, url + 7, strlen(url + 7)))
			return url_fail(err, len, url, "a unix URL needs an absolute path");
		r->port = 0;
		return PT_OK;
	}
	if (strncmp(url, "rediss://", 9) == 0)
		return url_fail(err, len, url, "TLS (rediss://) is not supported");
	if (strncmp(url, "redis://", 8) != 0)
		return url_fail(err, len, url, "unknown scheme");
	p = url + 8;
	end = p + strlen(p);
	slash = memchr(p, '/', (size_t)(end - p));
	if (!slash)
		slash = end;
	at = memchr(p, '@', (size_t)(slash - p));
	if (at) {
		if (parse_userinfo(r, p, (size_t)(at - p)) != 0)
			return url_fail(err, len, url, "user or password too long");
		p = at + 1;
	}
	colon = memchr(p, ':', (size_t)(slash - p));
	if (copy_part(r->host, sizeof r->host, p, (size_t)((colon ? colon : slash) - p)) != 0 ||
	    !r->host[0])
		return url_fail(err, len, url, "missing host");
	if (colon) {
		if (parse_number(colon + 1, slash, 65535, &v) != 0 || v == 0)
			return url_fail(err, len, url, "the port must be 1 to 65535");
		r->port = (int)v;
	}
	if (slash < end && slash + 1 < end) {
		if (parse_number(slash + 1, end, 1000000, &v) != 0)
			return url_fail(err, len, url, "the database must be a number");
		r->db = (int)v;
	}
	return PT_OK;
}

int pt_redis_check_url(const char *url, char *err, size_t err_len)
{
	pt_redis r;
	memset(&r, 0, sizeof r);
	return parse_url(&r, url, err, err_len);
}

/* ---- slots ---- */

static uint16_t crc16(const char *p, size_t n)
{
	uint16_t crc = 0; /* CRC16-CCITT (XMODEM), as Redis Cluster uses */
	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)((unsigned char)p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
	}
	return crc;
}

/* The slot of key: of its hash tag {...} when it has a non-empty one. */
unsigned pt_redis_key_slot(const char *key)
{
	size_t n = strlen(key);
	const char *open = strchr(key, '{');
	if (open) {
		const char *close = strchr(open + 1, '}');
		if (close && close > open + 1)
			return crc16(open + 1, (size_t)(close - open - 1)) & (SLOTS - 1);
	}
	return crc16(key, n) & (SLOTS - 1);
}

static size_t key_node(const pt_redis *r, const char *key)
{
	return r->cluster ? r->slot_node[pt_redis_key_slot(key)] : 0;
}

/* ---- requests ---- */

static void request_free(request *q)
{
	for (int i = 0; q->argv && i < q->argc; i++)
		free(q->argv[i]);
	free(q->argv);
	free(q->lens);
	free(q);
}

static int fifo_push(node *n, int64_t at)
{
	if (n->count == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 64;
		int64_t *p = malloc(cap * sizeof *p);
		if (!p)
			return -1;
		for (size_t i = 0; i < n->count; i++)
			p[i] = n->sent[(n->head + i) % n->cap];
		free(n->sent);
		n->sent = p;
		n->cap = cap;
		n->head = 0;
	}
	n->sent[(n->head + n->count++) % n->cap] = at;
	return 0;
}

static void fifo_pop(node *n)
{
	if (n->count) {
		n->head = (n->head + 1) % n->cap;
		n->count--;
	}
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata);

static int request_send(pt_redis *r, request *q)
{
	node *n = &r->nodes[q->node];
	if (!n->ac || fifo_push(n, pt_daemon_mono_ms()) != 0)
		return -1;
	q->sent_rt = pt_daemon_now_ms();
	if (redisAsyncCommandArgv(n->ac, on_reply, q, q->argc, (const char **)q->argv,
				  q->lens) != REDIS_OK) {
		n->count--;
		return -1;
	}
	return 0;
}

/* A request of argc arguments (copied) to node n. NULL when out of memory. */
static request *request_new(pt_redis *r, req_kind kind, size_t n, int argc,
			    const char *const *argv, const size_t *lens)
{
	request *q = calloc(1, sizeof *q);
	if (!q || !(q->argv = calloc((size_t)argc, sizeof *q->argv)) ||
	    !(q->lens = malloc((size_t)argc * sizeof *q->lens))) {
		if (q)
			free(q->argv);
		free(q);
		return NULL;
	}
	q->r = r;
	q->epoch = r->epoch;
	q->kind = kind;
	q->node = n;
	q->argc = argc;
	for (int i = 0; i < argc; i++) {
		size_t len = lens ? lens[i] : strlen(argv[i]);
		if (!(q->argv[i] = malloc(len + 1))) {
			request_free(q);
			return NULL;
		}
		memcpy(q->argv[i], argv[i], len);
		q->argv[i][len] = '\0';
		q->lens[i] = len;
	}
	return q;
}

/* Sends argv (lens NULL: strings) to node n; -1 when it cannot. */
static int command(pt_redis *r, req_kind kind, size_t n, pt_pending *p, int argc,
		   const char *const *argv, const size_t *lens)
{
	request *q = request_new(r, kind, n, argc, argv, lens);
	if (!q)
		return -1;
	q->pending = p;
	if (request_send(r, q) != 0) {
		request_free(q);
		return -1;
	}
	return 0;
}

/* EVALSHA sha 1 key args... */
static int script(pt_redis *r, req_kind kind, const char *key, pt_pending *p, int argc,
		  const char *const *args)
{
	const char *argv[MAX_ARGS + 4] = {"EVALSHA", r->sha, "1", key};
	for (int i = 0; i < argc; i++)
		argv[4 + i] = args[i];
	return command(r, kind, key_node(r, key), p, argc + 4, argv, NULL);
}

static void resource_key(char *buf, size_t len, uint32_t uid, const char *name)
{
	snprintf(buf, len, "{patience:%u:%s}", uid, name);
}

static void member_prefix(const pt_redis *r, char *buf, size_t len, uint64_t id)
{
	snprintf(buf, len, "%s:%" PRIu64 ":", r->instance, id);
}

/* ---- outage terms and limits ---- */

static int64_t outage_share(const pt_redis *r, int64_t limit)
{
	double f = r->opt.outage_share > 0 ? r->opt.outage_share
					   : 1.0 / (double)(r->daemons ? r->daemons : 1);
	int64_t share = (int64_t)((double)limit * f);
	return share >= 1 ? share : 1;
}

/* What this daemon may use through Redis: the limit less the shares of
 * daemons that have gone silent (they may be granting on their own). */
static int64_t shared_limit(const pt_redis *r, int64_t limit)
{
	int64_t free_ = limit - (int64_t)r->away * outage_share(r, limit);
	return free_ >= 1 ? free_ : 1;
}

/* A request sent more than this long ago is stale to the script: the
 * daemon gave up on it (the clock offset's error is within the slack). */
static int64_t max_age(const pt_redis *r)
{
	return r->opt.timeout_ms + 50;
}

/* A local grant in an outage comes only after every start that others may
 * have placed under the full limit has left its window: the starts Redis
 * held that we could not see (the latest we saw, or Redis's last answer
 * plus the largest recent lead of its latest start), and those the others
 * place until they count us as silent: our last heartbeat (if it ran) is
 * FRESH_MS old, and their next heartbeat has told them (HEARTBEAT_MS and
 * its round trip later), each as far ahead as that lead. */
void pt_redis_outage_terms(const pt_redis *r, const pt_resource *res, int64_t *cap,
			   int64_t *not_before_ms)
{
	int64_t seen = r->last_ok_ms + res->shared_lead_ms;
	int64_t noticed = r->last_beat_rt + max_age(r) + FRESH_MS + HEARTBEAT_MS + max_age(r);
	if (res->shared_horizon_ms > seen)
		seen = res->shared_horizon_ms;
	if (noticed + res->shared_lead_ms > seen)
		seen = noticed + res->shared_lead_ms;
	*cap = outage_share(r, res->dio.limit);
	*not_before_ms = seen + res->dio.window_ms + res->dio.guard_ms;
}

/* Redis's clock less ours: the sample with the shortest round trip of the
 * last one to two periods (NTP's minimum filter), so that its error is
 * half that round trip, whatever delays the other answers met. */
static const clock_sample *clock_best(const pt_redis *r)
{
	const clock_sample *a = &r->clock[0], *b = &r->clock[1];
	if (b->rtt_ms >= 0 && (a->rtt_ms < 0 || b->rtt_ms < a->rtt_ms))
		return b;
	return a;
}

/* A reply to q (sent at q->sent_rt) came back now, when Redis's clock
 * said redis_now. */
static void clock_learn(pt_redis *r, const request *q, int64_t redis_now)
{
	int64_t now = pt_daemon_now_ms(), rtt = now - q->sent_rt;
	if (redis_now <= 0 || rtt < 0)
		return;
	if (now - r->clock_period_ms >= CLOCK_PERIOD_MS) {
		r->clock[1] = r->clock[0];
		r->clock[0].rtt_ms = -1;
		r->clock_period_ms = now;
	}
	if (r->clock[0].rtt_ms < 0 || rtt <= r->clock[0].rtt_ms)
		r->clock[0] = (clock_sample){redis_now - q->sent_rt - rtt / 2, rtt};
}

/* Our send time on Redis's clock, and how old Redis may find it. */
static void sent_args(const pt_redis *r, char sent[24], char age[24])
{
	snprintf(sent, 24, "%" PRId64, pt_daemon_now_ms() + clock_best(r)->offset_ms);
	snprintf(age, 24, "%" PRId64, max_age(r));
}

bool pt_redis_online(const pt_redis *r)
{
	return r->state != LINK_DOWN; /* while joining, acquires wait for the link */
}

void pt_redis_describe(const pt_redis *r, const char **mode, int64_t *since_ms,
		       size_t *daemons)
{
	*mode = r->state == LINK_ONLINE ? "redis" : r->outage_since ? "outage" : "joining";
	*since_ms = r->state == LINK_ONLINE ? 0 : r->outage_since;
	*daemons = r->daemons;
}

/* ---- acquire ---- */

static void pending_unlink(pt_redis *r, pt_pending *p)
{
	for (pt_pending **at = &r->pending; *at; at = &(*at)->next) {
		if (*at == p) {
			*at = p->next;
			return;
		}
	}
}

/* Hands Redis's answer to the protocol and frees p. */
static void acquire_finish(pt_redis *r, pt_pending *p, bool ok, int64_t base_ms,
			   int64_t wait_ms)
{
	pending_unlink(r, p);
	if (!r->closing)
		pt_protocol_acquire_done(r->d, p, ok, base_ms, wait_ms);
	free(p);
}

static void park(pt_redis *r, pt_pending *p)
{
	p->next = r->parked;
	r->parked = p;
}

/* The parked acquires go to Redis (online), or are placed here (down). */
static void unpark(pt_redis *r)
{
	pt_pending *p = r->parked;
	r->parked = NULL;
	while (p) {
		pt_pending *next = p->next;
		if (r->state == LINK_ONLINE) {
			pt_redis_acquire(r, p);
		} else {
			p->next = r->pending;
			r->pending = p;
			acquire_finish(r, p, false, 0, 0);
		}
		p = next;
	}
}

void pt_redis_acquire(pt_redis *r, pt_pending *p)
{
	char key[PT_RESOURCE_NAME_MAX + 32], prefix[64], args[8][32], sent[24], age[24];
	const char *argv[MAX_ARGS];
	const pt_resource *res = pt_registry_find(&r->d->reg, p->a.uid, p->resource);
	int64_t delay = p->a.not_before_ms - pt_daemon_now_ms();
	int argc = 0;
	if (r->state != LINK_ONLINE) {
		park(r, p); /* answered when the link is up, or from the tick */
		return;
	}
	p->next = r->pending;
	r->pending = p;
	resource_key(key, sizeof key, p->a.uid, p->resource);
	member_prefix(r, prefix, sizeof prefix, p->id);
	argv[argc++] = "acquire";
	snprintf(args[0], sizeof args[0], "%" PRId64, shared_limit(r, res ? res->dio.limit : 1));
	snprintf(args[1], sizeof args[1], "%" PRId64, p->span_ms);
	snprintf(args[2], sizeof args[2], "%" PRId64, delay > 0 ? delay : 0);
	snprintf(args[3], sizeof args[3], "%" PRId64, p->a.max_wait_ms);
	for (int i = 0; i < 4; i++)
		argv[argc++] = args[i];
	argv[argc++] = prefix;
	sent_args(r, sent, age);
	argv[argc++] = sent;
	argv[argc++] = age;
	char (*offsets)[24] = malloc(p->a.k * sizeof *offsets);
	for (size_t i = 0; offsets && i < p->a.k; i++) {
		snprintf(offsets[i], sizeof offsets[i], "%" PRId64, p->a.offsets[i]);
		argv[argc++] = offsets[i];
	}
	p->sent_ms = pt_daemon_mono_ms();
	if (!offsets || script(r, REQ_ACQUIRE, key, p, argc, argv) != 0) {
		pending_unlink(r, p);
		park(r, p); /* answered from the tick, never from inside the request */
		link_fail(r, "cannot send a request");
	}
	free(offsets);
}

static int64_t reply_int(const redisReply *x, size_t i)
{
	return i < x->elements && x->element[i]->type == REDIS_REPLY_INTEGER
		       ? (int64_t)x->element[i]->integer : 0;
}

#define LOST_MAX 4096

/* Remembers p's id, to release it once Redis answers again. */
static void abandon(pt_redis *r, const pt_pending *p)
{
	if (r->n_lost == r->lost_cap) {
		size_t cap = r->lost_cap ? r->lost_cap * 2 : 16;
		abandoned *a = cap <= LOST_MAX ? realloc(r->lost, cap * sizeof *a) : NULL;
		if (!a)
			return; /* then its starts only wait in Redis until they pass */
		r->lost = a;
		r->lost_cap = cap;
	}
	abandoned *a = &r->lost[r->n_lost++];
	a->uid = p->a.uid;
	a->id = p->id;
	snprintf(a->resource, sizeof a->resource, "%s", p->resource);
}

static void release_id(pt_redis *r, uint32_t uid, const char *resource, uint64_t id,
		       int64_t from_delta);

/* Releases the abandoned acquires; called once the link is up. */
static void release_abandoned(pt_redis *r)
{
	for (size_t i = 0; i < r->n_lost; i++)
		release_id(r, r->lost[i].uid, r->lost[i].resource, r->lost[i].id,
			   -INT64_C(1000000000000));
	r->n_lost = 0;
}

#define LEAD_MEMORY_MS 10000

/* The latest start Redis holds for res is lead ms after now: the other
 * daemons' grants that we will not hear of before an outage are likely as
 * far ahead, so the outage terms count the largest recent lead. */
static void note_horizon(pt_resource *res, int64_t now, int64_t lead)
{
	if (now + lead > res->shared_horizon_ms)
		res->shared_horizon_ms = now + lead;
	if (lead >= res->shared_lead_ms || now - res->shared_lead_at_ms > LEAD_MEMORY_MS) {
		res->shared_lead_ms = lead > 0 ? lead : 0;
		res->shared_lead_at_ms = now;
	}
}

/* The base Redis placed (its clock's now + delta) on our clock: converted
 * by the best clock sample, not by when this answer came (a loaded host
 * reads it late, which would move the start late as Redis counts it). The
 * start may be off by that sample's error: p's doubt. */
static void acquire_reply(pt_redis *r, request *q, const redisReply *x)
{
	pt_pending *p = q->pending;
	int64_t now = pt_daemon_now_ms();
	if (!x || x->type != REDIS_REPLY_ARRAY || x->elements < 4 || reply_int(x, 0) == 2) {
		abandon(r, p);
		acquire_finish(r, p, false, 0, 0); /* placed here, in outage */
		return;
	}
	clock_learn(r, q, reply_int(x, 3));
	if (reply_int(x, 0) == 0) {
		acquire_finish(r, p, false, 0, reply_int(x, 1) > 0 ? reply_int(x, 1) : 1);
		return;
	}
	pt_resource *res = pt_registry_find(&r->d->reg, p->a.uid, p->resource);
	if (res)
		note_horizon(res, now, reply_int(x, 2));
	const clock_sample *c = clock_best(r);
	p->doubt_ms = c->rtt_ms / 2 + 1;
	pt_log(PT_LOG_DEBUG, "redis: placed at %" PRId64 " of its clock (offset %+" PRId64
	       " ms, round trip %" PRId64 " ms; this answer's %" PRId64 " ms)",
	       reply_int(x, 3) + reply_int(x, 1), c->offset_ms, c->rtt_ms, now - q->sent_rt);
	acquire_finish(r, p, true, reply_int(x, 3) + reply_int(x, 1) - c->offset_ms, 0);
}

/* ---- releases ---- */

static void release_id(pt_redis *r, uint32_t uid, const char *resource, uint64_t id,
		       int64_t from_delta)
{
	char key[PT_RESOURCE_NAME_MAX + 32], prefix[64], from[32];
	resource_key(key, sizeof key, uid, resource);
	member_prefix(r, prefix, sizeof prefix, id);
	snprintf(from, sizeof from, "%" PRId64, from_delta);
	const char *argv[] = {"release", from, prefix};
	if (script(r, REQ_CHANGE, key, NULL, 3, argv) != 0)
		link_fail(r, "cannot send a release");
}

static void on_release(void *ctx, const pt_resource *res, uint64_t id, int64_t from_ms)
{
	pt_redis *r = ctx;
	if (r->state != LINK_ONLINE || r->closing)
		return; /* Redis drops them when they pass; a rejoin sends only what is held */
	release_id(r, res->uid, res->name, id,
		   from_ms == INT64_MIN ? -INT64_C(1000000000000) : from_ms - pt_daemon_now_ms());
}

/* A start Redis placed really happened at to_ms: Redis's copy moves there
 * too (by the delay from now, as every time crosses). */
static void on_move(void *ctx, const pt_resource *res, uint64_t id, int64_t from_ms,
		    int64_t to_ms)
{
	pt_redis *r = ctx;
	char key[PT_RESOURCE_NAME_MAX + 32], prefix[64], used[72], from[24], to[24], span[24];
	int64_t now = pt_daemon_now_ms();
	if (r->state != LINK_ONLINE || r->closing)
		return; /* a rejoin sends it where it now is */
	resource_key(key, sizeof key, res->uid, res->name);
	member_prefix(r, prefix, sizeof prefix, id);
	snprintf(used, sizeof used, "%s:used:%" PRIu64 ":", r->instance, id);
	snprintf(from, sizeof from, "%" PRId64, from_ms - now);
	snprintf(to, sizeof to, "%" PRId64, to_ms - now);
	snprintf(span, sizeof span, "%" PRId64, res->dio.window_ms + res->dio.guard_ms);
	const char *argv[] = {"move", prefix, used, from, to, span};
	if (script(r, REQ_CHANGE, key, NULL, 6, argv) != 0)
		link_fail(r, "cannot send a start's move");
}

/* ---- joining: setup, sync, heartbeat ---- */

static void heartbeat(pt_redis *r)
{
	char away[24], sent[24], age[24];
	snprintf(away, sizeof away, "%d", AWAY_MS);
	sent_args(r, sent, age);
	const char *argv[] = {"heartbeat", r->instance, away, sent, age};
	r->last_beat_ms = pt_daemon_mono_ms();
	r->last_beat_rt = pt_daemon_now_ms();
	if (script(r, REQ_HEARTBEAT, DAEMONS_KEY, NULL, 5, argv) != 0)
		link_fail(r, "cannot send a heartbeat");
}

static void heartbeat_reply(pt_redis *r, const request *q, const redisReply *x)
{
	size_t daemons = 0, away = 0;
	if (!x || x->type != REDIS_REPLY_ARRAY || x->elements < 1) {
		link_fail(r, "unexpected heartbeat reply");
		return;
	}
	clock_learn(r, q, reply_int(x, 0));
	for (size_t i = 1; i + 1 < x->elements; i += 2) {
		const redisReply *name = x->element[i];
		daemons++;
		if (reply_int(x, i + 1) > FRESH_MS && name->type == REDIS_REPLY_STRING &&
		    strcmp(name->str, r->instance) != 0)
			away++;
	}
	r->daemons = daemons ? daemons : 1;
	r->away = away;
	if (r->state == LINK_SYNCING) {
		r->state = LINK_ONLINE;
		r->retry_ms = RETRY_MIN_MS;
		if (r->outage_since)
			pt_log(PT_LOG_WARN, "redis: back after %" PRId64 " ms; sharing limits with %zu "
			       "daemons again", pt_daemon_now_ms() - r->outage_since, r->daemons);
		else
			pt_log(PT_LOG_INFO, "redis: connected to %s (%s, %zu daemons)", r->opt.url,
			       r->cluster ? "cluster" : "single node", r->daemons);
		r->outage_since = 0;
		release_abandoned(r);
		unpark(r);
	}
}

#define SYNC_CHUNK ((MAX_ARGS - 2) / 2) /* starts per sync request */

/* Adds res's starts that still count to Redis: the number of requests
 * sent, or -1. */
static int sync_resource(pt_redis *r, const pt_resource *res, int64_t now)
{
	int64_t span = res->dio.window_ms + res->dio.guard_ms;
	char key[PT_RESOURCE_NAME_MAX + 32], spanbuf[24];
	static char text[SYNC_CHUNK][2][64];
	const char *argv[2 + 2 * SYNC_CHUNK] = {"sync", spanbuf};
	size_t i = 0;
	int sent = 0;
	snprintf(spanbuf, sizeof spanbuf, "%" PRId64, span);
	resource_key(key, sizeof key, res->uid, res->name);
	while (i < res->dio.count) {
		size_t n = 0;
		for (; i < res->dio.count && n < SYNC_CHUNK; i++) {
			const pt_dio_start *st = &res->dio.starts[i];
			if (st->at_ms <= now - span || pt_registry_shared(&r->d->reg, st->reservation))
				continue; /* gone by, or Redis has it */
			/* a start gone by was made: out of reach of releases, as moved ones */
			snprintf(text[n][0], sizeof text[n][0], "%s:%s%" PRIu64 ":%" PRId64, r->instance,
				 st->at_ms <= now ? "used:" : "", st->reservation, st->at_ms);
			snprintf(text[n][1], sizeof text[n][1], "%" PRId64, st->at_ms - now);
			argv[2 + 2 * n] = text[n][0];
			argv[3 + 2 * n] = text[n][1];
			n++;
		}
		if (n == 0)
			continue;
		if (script(r, REQ_SYNC, key, NULL, (int)(2 + 2 * n), argv) != 0)
			return -1;
		sent++;
	}
	return sent;
}

/* Every resource's held starts go to Redis before it serves again. */
static void start_sync(pt_redis *r)
{
	const pt_registry *reg = &r->d->reg;
	int64_t now = pt_daemon_now_ms();
	r->state = LINK_SYNCING;
	r->sync_left = 0;
	for (size_t i = 0; i < reg->res_cap; i++) {
		for (const pt_resource *res = reg->res_slots[i]; res; res = res->chain) {
			int rc = sync_resource(r, res, now);
			if (rc < 0) {
				link_fail(r, "cannot send the held starts");
				return;
			}
			r->sync_left += (size_t)rc;
		}
	}
	if (r->sync_left == 0)
		heartbeat(r);
}

static void sync_reply(pt_redis *r, const redisReply *x)
{
	if (!x || x->type != REDIS_REPLY_ARRAY) {
		link_fail(r, "unexpected reply to the held starts");
		return;
	}
	if (--r->sync_left == 0)
		heartbeat(r);
}

static void setup_reply(pt_redis *r, const redisReply *x)
{
	if (!x || x->type == REDIS_REPLY_ERROR) {
		link_fail(r, x ? x->str : "no reply while connecting");
		return;
	}
	if (x->type == REDIS_REPLY_STRING && x->len == 40)
		memcpy(r->sha, x->str, 41);
	if (--r->setup_left == 0)
		start_sync(r);
}

/* ---- nodes ---- */

static void on_connect(const redisAsyncContext *ac, int status)
{
	node *n = ac->data;
	if (status != REDIS_OK) {
		n->ac = NULL; /* hiredis frees it */
		link_fail(n->r, ac->errstr);
	}
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	node *n = ac->data;
	n->ac = NULL;
	if (status != REDIS_OK && !n->r->closing)
		link_fail(n->r, ac->errstr);
}

static int node_connect(pt_redis *r, size_t i, const char *host, int port)
{
	node *n = &r->nodes[i];
	snprintf(n->host, sizeof n->host, "%s", host);
	n->port = port;
	n->r = r;
	n->head = n->count = 0;
	n->ac = port ? redisAsyncConnect(host, port) : redisAsyncConnectUnix(host);
	if (!n->ac)
		return -1;
	if (n->ac->err) {
		redisAsyncFree(n->ac);
		n->ac = NULL;
		return -1;
	}
	n->ac->data = n;
	redisLibeventAttach(n->ac, r->d->base);
	redisAsyncSetConnectCallback(n->ac, on_connect);
	redisAsyncSetDisconnectCallback(n->ac, on_disconnect);
	return 0;
}

static int node_auth(pt_redis *r, size_t n, req_kind kind)
{
	const char *argv[] = {"AUTH", r->user, r->password};
	if (!r->password[0])
		return 0;
	if (r->user[0])
		return command(r, kind, n, NULL, 3, argv, NULL);
	argv[1] = r->password;
	return command(r, kind, n, NULL, 2, argv, NULL);
}

/* AUTH, SELECT and SCRIPT LOAD on node n: each reply counts in setup_left. */
static void send_setup(pt_redis *r, size_t n)
{
	const char *load[] = {"SCRIPT", "LOAD", pt_redis_script};
	char db[16];
	const char *select[] = {"SELECT", db};
	int rc = node_auth(r, n, REQ_SETUP);
	r->setup_left += r->password[0] ? 1 : 0;
	snprintf(db, sizeof db, "%d", r->db);
	if (rc == 0 && !r->cluster && r->db) {
		rc = command(r, REQ_SETUP, n, NULL, 2, select, NULL);
		r->setup_left++;
	}
	if (rc == 0) {
		rc = command(r, REQ_SETUP, n, NULL, 3, load, NULL);
		r->setup_left++;
	}
	if (rc != 0)
		link_fail(r, "cannot send the set-up requests");
}

static size_t node_find_or_add(pt_redis *r, const char *host, int port)
{
	for (size_t i = 0; i < r->n_nodes; i++)
		if (r->nodes[i].port == port && strcmp(r->nodes[i].host, host) == 0)
			return i;
	if (r->n_nodes == MAX_NODES || node_connect(r, r->n_nodes, host, port) != 0)
		return SIZE_MAX;
	return r->n_nodes++;
}

/* CLUSTER SLOTS: [[from, to, [host, port, ...], replicas...], ...]. */
static int map_slots(pt_redis *r, const redisReply *x)
{
	for (size_t i = 0; i < x->elements; i++) {
		const redisReply *range = x->element[i];
		if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
		    range->element[2]->type != REDIS_REPLY_ARRAY ||
		    range->element[2]->elements < 2)
			return -1;
		const redisReply *master = range->element[2];
		const char *host = master->element[0]->type == REDIS_REPLY_STRING &&
				   master->element[0]->len ? master->element[0]->str : r->host;
		size_t n = node_find_or_add(r, host, (int)master->element[1]->integer);
		int64_t from = reply_int(range, 0), to = reply_int(range, 1);
		if (n == SIZE_MAX || from < 0 || to >= SLOTS || from > to)
			return -1;
		for (int64_t s = from; s <= to; s++)
			r->slot_node[s] = (uint8_t)n;
	}
	return 0;
}

static void slots_reply(pt_redis *r, const redisReply *x)
{
	if (!x) {
		link_fail(r, "no reply while connecting");
		return;
	}
	if (x->type == REDIS_REPLY_ERROR && strstr(x->str, "cluster support disabled")) {
		r->cluster = false;
	} else if (x->type == REDIS_REPLY_ERROR) {
		link_fail(r, x->str);
		return;
	} else if (x->type != REDIS_REPLY_ARRAY || map_slots(r, x) != 0) {
		link_fail(r, "unexpected CLUSTER SLOTS reply");
		return;
	} else {
		r->cluster = true;
	}
	r->setup_left = 0;
	for (size_t i = 0; i < r->n_nodes && r->state == LINK_STARTING; i++)
		send_setup(r, i);
}

/* Connects to the URL's node and asks how the keys are spread. */
static void link_start(pt_redis *r)
{
	const char *argv[] = {"CLUSTER", "SLOTS"};
	r->epoch++;
	r->state = LINK_STARTING;
	r->started_ms = pt_daemon_mono_ms();
	r->n_nodes = 0;
	r->cluster = false;
	if (node_connect(r, 0, r->host, r->port) != 0) {
		link_fail(r, "cannot connect");
		return;
	}
	r->n_nodes = 1;
	if (node_auth(r, 0, REQ_SLOTS) != 0 || command(r, REQ_SLOTS, 0, NULL, 2, argv, NULL) != 0)
		link_fail(r, "cannot send a request");
}

/* Drops every connection; their requests are answered with NULL. */
static void link_close(pt_redis *r)
{
	for (size_t i = 0; i < r->n_nodes; i++) {
		node *n = &r->nodes[i];
		redisAsyncContext *ac = n->ac;
		n->ac = NULL;
		if (ac)
			redisAsyncFree(ac);
		n->count = n->head = 0;
	}
	r->n_nodes = 0;
}

static void link_fail(pt_redis *r, const char *why)
{
	if (r->state == LINK_DOWN || r->closing)
		return;
	if (r->state == LINK_ONLINE || !r->outage_since) {
		r->outage_since = pt_daemon_now_ms();
		pt_log(PT_LOG_WARN, "redis %s: %s; granting on local limits (a share of each) until "
		       "it answers", r->opt.url, why ? why : "no answer");
	} else {
		pt_log(PT_LOG_DEBUG, "redis %s: %s", r->opt.url, why ? why : "no answer");
	}
	r->state = LINK_DOWN;
	r->epoch++; /* what is still in flight is stale */
	r->next_try_ms = pt_daemon_mono_ms() + r->retry_ms;
	r->retry_ms = r->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : r->retry_ms * 2;
	event_active(r->tick_ev, EV_TIMEOUT, 1); /* close from a clean stack */
}

/* ---- replies ---- */

static bool is_error(const redisReply *x, const char *prefix)
{
	return x && x->type == REDIS_REPLY_ERROR && strncmp(x->str, prefix, strlen(prefix)) == 0;
}

/* NOSCRIPT: the script is gone (SCRIPT FLUSH, a restart): send it whole. */
static bool resend_whole(pt_redis *r, request *q, const redisReply *x)
{
	if (!is_error(x, "NOSCRIPT") || q->retried || q->epoch != r->epoch)
		return false;
	free(q->argv[0]);
	free(q->argv[1]);
	q->argv[0] = strdup("EVAL");
	q->argv[1] = strdup(pt_redis_script);
	if (!q->argv[0] || !q->argv[1])
		return false;
	q->lens[0] = 4;
	q->lens[1] = strlen(pt_redis_script);
	q->retried = true;
	return request_send(r, q) == 0;
}

static void dispatch(pt_redis *r, request *q, const redisReply *x)
{
	bool stale = q->epoch != r->epoch;
	if (q->kind == REQ_ACQUIRE) {
		acquire_reply(r, q, stale ? NULL : x);
		return;
	}
	if (stale)
		return;
	switch (q->kind) {
	case REQ_SLOTS:
		if (x && x->type == REDIS_REPLY_STATUS)
			return; /* the AUTH before it */
		slots_reply(r, x);
		return;
	case REQ_SETUP:
		setup_reply(r, x);
		return;
	case REQ_SYNC:
		sync_reply(r, x);
		return;
	case REQ_HEARTBEAT:
		heartbeat_reply(r, q, x);
		return;
	default:
		return;
	}
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	request *q = privdata;
	pt_redis *r = q->r;
	redisReply *x = reply;
	node *n = ac->data;
	if (q->epoch == r->epoch && n)
		fifo_pop(n);
	if (x && q->epoch == r->epoch && x->type != REDIS_REPLY_ERROR)
		r->last_ok_ms = pt_daemon_now_ms();
	if (resend_whole(r, q, x))
		return;
	if (is_error(x, "MOVED") || is_error(x, "ASK") || is_error(x, "CLUSTERDOWN") ||
	    (x && x->type == REDIS_REPLY_ERROR && q->kind != REQ_SLOTS)) {
		if (q->epoch == r->epoch)
			link_fail(r, x->str);
		x = NULL;
	}
	dispatch(r, q, x);
	request_free(q);
}

/* ---- the tick ---- */

static bool timed_out(const pt_redis *r, int64_t mono)
{
	if (r->state == LINK_STARTING && mono - r->started_ms >= r->opt.timeout_ms)
		return true;
	for (size_t i = 0; i < r->n_nodes; i++) {
		const node *n = &r->nodes[i];
		if (n->count && mono - n->sent[n->head] >= r->opt.timeout_ms)
			return true;
	}
	return false;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	pt_redis *r = arg;
	int64_t mono = pt_daemon_mono_ms();
	(void)fd;
	(void)what;
	if (r->state != LINK_DOWN && timed_out(r, mono))
		link_fail(r, "no answer within the timeout");
	if (r->state == LINK_DOWN) {
		if (r->n_nodes)
			link_close(r);
		unpark(r);
		if (mono >= r->next_try_ms)
			link_start(r);
		return;
	}
	if (r->state == LINK_ONLINE && mono - r->last_beat_ms >= HEARTBEAT_MS)
		heartbeat(r);
}

/* ---- open and close ---- */

/* FNV-1a of the host name and state path: the same daemon keeps its name
 * across restarts, so the starts it restores are the ones Redis holds. */
static void instance_name(pt_redis *r)
{
	char host[256] = "";
	uint64_t h = UINT64_C(14695981039346656037);
	gethostname(host, sizeof host - 1);
	const char *parts[] = {host, "\n", r->d->opt.state_path};
	for (size_t i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
	snprintf(r->instance, sizeof r->instance, "%016" PRIx64, h);
}

int pt_redis_open(pt_daemon *d, const pt_redis_options *o, pt_redis **out, char *err,
		  size_t err_len)
{
	struct timeval tick = {0, TICK_MS * 1000};
	pt_redis *r = calloc(1, sizeof *r);
	if (!r)
		return snprintf(err, err_len, "out of memory"), PT_ENOMEM;
	r->d = d;
	r->opt = *o;
	r->retry_ms = RETRY_MIN_MS;
	r->daemons = 1;
	r->clock[0].rtt_ms = r->clock[1].rtt_ms = -1;
	if (parse_url(r, o->url, err, err_len) != PT_OK) {
		free(r);
		return PT_EINVAL;
	}
	instance_name(r);
	r->tick_ev = event_new(d->base, -1, EV_PERSIST, on_tick, r);
	if (!r->tick_ev || event_add(r->tick_ev, &tick) != 0) {
		if (r->tick_ev)
			event_free(r->tick_ev);
		free(r);
		return snprintf(err, err_len, "cannot set up the event loop"), PT_ENOMEM;
	}
	r->last_ok_ms = pt_daemon_now_ms(); /* what came before is unknown */
	d->reg.on_release = on_release;
	d->reg.on_move = on_move;
	d->reg.release_ctx = r;
	link_start(r);
	*out = r;
	return PT_OK;
}

void pt_redis_close(pt_redis *r)
{
	if (!r)
		return;
	r->closing = true;
	r->d->reg.on_release = NULL;
	r->d->reg.on_move = NULL;
	link_close(r);
	while (r->pending || r->parked) { /* the rest: never answered */
		pt_pending **list = r->pending ? &r->pending : &r->parked;
		pt_pending *p = *list;
		*list = p->next;
		free(p);
	}
	for (size_t i = 0; i < MAX_NODES; i++)
		free(r->nodes[i].sent);
	free(r->lost);
	event_free(r->tick_ev);
	free(r);
}
