/* The operator's HTTP port (--metrics-listen host:port), served by evhttp
 * on the daemon's loop:
 *
 *   GET /                   the dashboard: one page (dashboard.html) that
 *                           polls /api/v1/resources and draws it
 *   GET /metrics            Prometheus text format 0.0.4
 *   GET /api/v1/resources   every resource of every uid, as JSON
 *   GET /healthz            "ok"
 *
 * Other paths get 404, other methods on these paths 405. Requests are
 * bounded (headers, body, a timeout), so a client can only waste its own
 * connection. The port shows every uid's resources: bind it where only
 * the operator reaches it (127.0.0.1 unless a firewall says otherwise). */
#include "daemon/daemon.h"
#include "patience/lateness.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience/error.h"

#define HTTP_HEADERS_MAX 8192 /* bytes */
#define HTTP_BODY_MAX 1024    /* bytes: no endpoint reads a body */
#define HTTP_TIMEOUT_S 10

/* The page may run only its own inline script and style and fetch only
 * from this port. */
#define DASHBOARD_CSP                                                                 \
	"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " \
	"connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "    \
	"frame-ancestors 'none'"

extern const char pt_dashboard_html[]; /* dashboard.html, embedded by the build */

static const int64_t wait_bounds_ms[PT_WAIT_BUCKETS] = {0, 10, 100, 1000, 10000, 60000, 600000};
static const char *const wait_bounds_text[PT_WAIT_BUCKETS + 1] = {
	"0", "0.01", "0.1", "1", "10", "60", "600", "+Inf"};
static const char *const outcome_names[PT_ACQ_OUTCOMES] = {
	"granted", "infeasible", "wait_too_long", "error"};

void pt_metrics_acquired(pt_metrics *m, pt_acquire_outcome o, int64_t wait_ms)
{
	size_t b = 0;
	m->acquires[o]++;
	if (o != PT_ACQ_GRANTED)
		return;
	if (wait_ms < 0)
		wait_ms = 0;
	while (b < PT_WAIT_BUCKETS && wait_ms > wait_bounds_ms[b])
		b++;
	m->wait_le[b]++;
	m->wait_sum_ms += wait_ms;
}

int pt_http_parse_listen(const char *text, char *host, size_t host_len, uint16_t *port,
			 char *err, size_t err_len)
{
	const char *colon = strrchr(text, ':'), *h = text;
	size_t n;
	char *end;
	if (!colon || colon == text)
		return snprintf(err, err_len, "expected host:port"), PT_EINVAL;
	n = (size_t)(colon - text);
	if (text[0] == '[') { /* [::1]:9464 */
		if (colon[-1] != ']' || n < 3)
			return snprintf(err, err_len, "expected [address]:port"), PT_EINVAL;
		h = text + 1;
		n -= 2;
	} else if (memchr(text, ':', n)) {
		return snprintf(err, err_len, "write an IPv6 address in brackets: [::1]:port"),
		       PT_EINVAL;
	}
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || p < 1 || p > 65535)
		return snprintf(err, err_len, "expected a port from 1 to 65535"), PT_EINVAL;
	if (n >= host_len)
		return snprintf(err, err_len, "host too long"), PT_EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (uint16_t)p;
	return PT_OK;
}

/* ---- /metrics ---- */

/* A label value, escaped as the text format says: \\, \", \n. */
static void add_label(struct evbuffer *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*v == '"')
			evbuffer_add(b, "\\\"", 2);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
	}
}

static void add_family(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void add_gauge(struct evbuffer *b, const char *name, const char *help, int64_t v)
{
	add_family(b, name, "gauge", help);
	evbuffer_add_printf(b, "%s %" PRId64 "\n", name, v);
}

static void add_acquires(struct evbuffer *b, const pt_metrics *m)
{
	uint64_t count = 0;
	add_family(b, "patience_acquires_total", "counter", "Acquire requests answered, by outcome.");
	for (size_t i = 0; i < PT_ACQ_OUTCOMES; i++)
		evbuffer_add_printf(b, "patience_acquires_total{outcome=\"%s\"} %" PRIu64 "\n",
				    outcome_names[i], m->acquires[i]);
	add_family(b, "patience_acquire_wait_seconds", "histogram",
		   "How far after its request each grant's first start was placed.");
	for (size_t i = 0; i <= PT_WAIT_BUCKETS; i++) {
		count += m->wait_le[i];
		evbuffer_add_printf(b, "patience_acquire_wait_seconds_bucket{le=\"%s\"} %" PRIu64 "\n",
				    wait_bounds_text[i], count);
	}
	evbuffer_add_printf(b, "patience_acquire_wait_seconds_sum %" PRId64 ".%03d\n",
			    m->wait_sum_ms / 1000, (int)(m->wait_sum_ms % 1000));
	evbuffer_add_printf(b, "patience_acquire_wait_seconds_count %" PRIu64 "\n", count);
}

/* One line of a per-resource family. */
static void add_resource_line(struct evbuffer *b, const char *name, const char *resource,
			      uint32_t uid, int64_t v)
{
	evbuffer_add_printf(b, "%s{resource=\"", name);
	add_label(b, resource);
	evbuffer_add_printf(b, "\",uid=\"%u\"} %" PRId64 "\n", uid, v);
}

/* Every lease pool's held, limit and waiting, as three gauges. */
static void add_leases(struct evbuffer *b, const pt_lease_table *t)
{
	static const struct {
		const char *name, *help;
	} families[] = {
		{"patience_leases_held", "Concurrency leases held now."},
		{"patience_lease_limit", "Concurrency leases allowed at once."},
		{"patience_lease_waiters", "Requests waiting for a concurrency lease."},
	};
	for (size_t f = 0; f < 3; f++) {
		add_family(b, families[f].name, "gauge", families[f].help);
		for (const pt_lease_pool *p = t->pools; p; p = p->next) {
			int64_t v = f == 0 ? (int64_t)p->n_held : f == 1 ? p->limit
								  : (int64_t)p->n_waiting;
			add_resource_line(b, families[f].name, p->name, p->uid, v);
		}
	}
}

static void add_resources(struct evbuffer *b, const pt_resource_usage *u, size_t n)
{
	add_family(b, "patience_resource_limit", "gauge", "Starts allowed per window.");
	for (size_t i = 0; i < n; i++)
		add_resource_line(b, "patience_resource_limit", u[i].res->name, u[i].res->uid,
				  u[i].res->dio.limit);
	add_family(b, "patience_resource_window_seconds", "gauge", "The limit's window.");
	for (size_t i = 0; i < n; i++) {
		evbuffer_add_printf(b, "patience_resource_window_seconds{resource=\"");
		add_label(b, u[i].res->name);
		evbuffer_add_printf(b, "\",uid=\"%u\"} %" PRId64 ".%03d\n", u[i].res->uid,
				    u[i].res->dio.window_ms / 1000,
				    (int)(u[i].res->dio.window_ms % 1000));
	}
	add_family(b, "patience_resource_in_window", "gauge",
		   "Starts in the window that ends now.");
	for (size_t i = 0; i < n; i++)
		add_resource_line(b, "patience_resource_in_window", u[i].res->name, u[i].res->uid,
				  (int64_t)u[i].in_window);
	add_family(b, "patience_resource_reserved", "gauge", "Starts reserved after now.");
	for (size_t i = 0; i < n; i++)
		add_resource_line(b, "patience_resource_reserved", u[i].res->name, u[i].res->uid,
				  (int64_t)u[i].reserved);
	add_family(b, "patience_resource_limit_learned", "gauge",
		   "1 while the limit is one a service's headers told, else 0.");
	for (size_t i = 0; i < n; i++)
		add_resource_line(b, "patience_resource_limit_learned", u[i].res->name,
				  u[i].res->uid, u[i].res->learned != NULL);
	add_family(b, "patience_resource_waiting", "gauge", "Acquires queued for their turn.");
	for (size_t i = 0; i < n; i++)
		add_resource_line(b, "patience_resource_waiting", u[i].res->name, u[i].res->uid,
				  (int64_t)u[i].waiting);
}

/* name{resource="..",uid=".."[,quantile=".."]} ms as seconds. */
static void add_seconds_line(struct evbuffer *b, const char *name, const pt_resource *res,
			     const char *quantile, int64_t ms)
{
	evbuffer_add_printf(b, "%s{resource=\"", name);
	add_label(b, res->name);
	evbuffer_add_printf(b, "\",uid=\"%u\"", res->uid);
	if (quantile)
		evbuffer_add_printf(b, ",quantile=\"%s\"", quantile);
	evbuffer_add_printf(b, "} %" PRId64 ".%03d\n", ms / 1000, (int)(ms % 1000));
}

/* The guard in force per resource, and how late its starts were made
 * (a summary over the last one to two minutes). */
static void add_lateness(struct evbuffer *b, const pt_resource_usage *u, size_t n, int64_t now)
{
	static const struct {
		const char *label;
		int permille;
	} q[] = {{"0.5", 500}, {"0.99", 990}, {"0.999", 999}, {"1", 1000}};
	add_family(b, "patience_resource_guard_seconds", "gauge",
		   "The guard in force: starts this late still keep the limit.");
	for (size_t i = 0; i < n; i++)
		add_seconds_line(b, "patience_resource_guard_seconds", u[i].res, NULL,
				 u[i].res->dio.guard_ms);
	add_family(b, "patience_start_lateness_seconds", "summary",
		   "How late commands started after their grants, as their clients said.");
	for (size_t i = 0; i < n; i++) {
		const pt_resource *res = u[i].res;
		uint32_t count = res->lateness ? pt_lateness_count(res->lateness, now) : 0;
		for (size_t k = 0; count && k < sizeof q / sizeof q[0]; k++)
			add_seconds_line(b, "patience_start_lateness_seconds", res, q[k].label,
					 pt_lateness_quantile(res->lateness, q[k].permille, now));
		if (count)
			add_resource_line(b, "patience_start_lateness_seconds_count", res->name,
					  res->uid, count);
	}
}

/* A per-breaker line: name{resource="..",uid="..",key="value"} v. */
static void add_breaker_line(struct evbuffer *b, const char *name, const pt_breaker_entry *e,
			     const char *key, const char *value, uint64_t v)
{
	evbuffer_add_printf(b, "%s{resource=\"", name);
	add_label(b, e->resource);
	evbuffer_add_printf(b, "\",uid=\"%u\",%s=\"%s\"} %" PRIu64 "\n", e->uid, key, value, v);
}

static void add_breakers(struct evbuffer *b, const pt_breaker_table *t)
{
	add_family(b, "patience_breaker_state", "gauge",
		   "Circuit breakers: 1 for the state each one is in, else 0.");
	for (const pt_breaker_entry *e = t->first; e; e = e->next)
		for (int s = 0; s < PT_BREAKER_STATES; s++)
			add_breaker_line(b, "patience_breaker_state", e, "state",
					 pt_breaker_state_name(s), e->b.state == (pt_breaker_state)s);
	add_family(b, "patience_breaker_transitions_total", "counter",
		   "Circuit breaker state changes, by the state entered.");
	for (const pt_breaker_entry *e = t->first; e; e = e->next)
		for (int s = 0; s < PT_BREAKER_STATES; s++)
			add_breaker_line(b, "patience_breaker_transitions_total", e, "to",
					 pt_breaker_state_name(s), e->entered[s]);
}

/* name{resource="..",uid="..",tool=".."[,outcome=".."]} v: a line per
 * (resource, tool), as the per-resource families label them. */
static void add_exec_line(struct evbuffer *b, const char *name, const pt_exec_entry *e,
			  const char *tool, const char *outcome, int64_t v)
{
	evbuffer_add_printf(b, "%s{resource=\"", name);
	add_label(b, e->resource);
	evbuffer_add_printf(b, "\",uid=\"%u\",tool=\"%s\"", e->uid, tool);
	if (outcome)
		evbuffer_add_printf(b, ",outcome=\"%s\"", outcome);
	evbuffer_add_printf(b, "} %" PRId64 "\n", v);
}

/* Executions per (resource, tool) and outcome, since first reported (they
 * survive restarts), and the active clients of each resource. */
static void add_executions(struct evbuffer *b, const pt_exec_table *t)
{
	add_family(b, "patience_executions_total", "counter",
		   "Runs of commands that clients reported, by resource, tool and outcome.");
	for (const pt_exec_entry *e = t->first; e; e = e->next) {
		for (size_t i = 0; i < e->n_tools; i++) {
			const pt_exec_counts *c = &e->tools[i].counts;
			add_exec_line(b, "patience_executions_total", e, e->tools[i].name, "success",
				      c->succeeded);
			add_exec_line(b, "patience_executions_total", e, e->tools[i].name, "failure",
				      c->total - c->succeeded);
		}
	}
	add_family(b, "patience_execution_active_clients", "gauge",
		   "Connections that acquired, leased or reported runs on the resource.");
	for (const pt_exec_entry *e = t->first; e; e = e->next)
		add_resource_line(b, "patience_execution_active_clients", e->resource, e->uid,
				  (int64_t)e->active_clients);
}

/* ms as seconds, without trailing zeros: "1.5", "0.01", "300". */
static void add_seconds(struct evbuffer *b, int64_t ms)
{
	char text[32];
	int n = snprintf(text, sizeof text, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
	while (n > 0 && text[n - 1] == '0')
		n--;
	if (n > 0 && text[n - 1] == '.')
		n--;
	evbuffer_add(b, text, (size_t)n);
}

/* How long runs took, per tool, since the daemon started. */
static void add_execution_durations(struct evbuffer *b, const pt_exec_table *t)
{
	add_family(b, "patience_execution_duration_seconds", "histogram",
		   "How long reported runs took, by tool, since the daemon started.");
	for (size_t h = 0; h < t->n_hist; h++) {
		const pt_exec_histogram *x = &t->hist[h];
		uint64_t count = 0;
		for (size_t i = 0; i <= PT_EXEC_DURATION_BUCKETS; i++) {
			count += x->le[i];
			evbuffer_add_printf(b, "patience_execution_duration_seconds_bucket{tool=\"%s\","
					    "le=\"", x->tool);
			if (i < PT_EXEC_DURATION_BUCKETS)
				add_seconds(b, pt_exec_bucket_ms(i));
			else
				evbuffer_add_printf(b, "+Inf");
			evbuffer_add_printf(b, "\"} %" PRIu64 "\n", count);
		}
		evbuffer_add_printf(b, "patience_execution_duration_seconds_sum{tool=\"%s\"} ",
				    x->tool);
		add_seconds(b, x->sum_ms);
		evbuffer_add_printf(b, "\npatience_execution_duration_seconds_count{tool=\"%s\"} %"
				    PRIu64 "\n", x->tool, count);
	}
}

/* Every uid's resources at now, with their waiters and executions. */
static int list_resources(const pt_daemon *d, int64_t now, pt_resource_usage **u, size_t *n)
{
	int rc = pt_registry_list(&d->reg, PT_UID_ALL, now, u, n);
	if (rc == PT_OK) {
		pt_queue_count_waiting(d, *u, *n);
		pt_exec_attach(&d->execs, *u, *n);
	}
	return rc;
}

static bool backend_up(const pt_daemon *d)
{
	return !d->redis || pt_redis_online(d->redis);
}

static int metrics_body(pt_daemon *d, struct evbuffer *b)
{
	int64_t now = pt_daemon_now_ms();
	pt_resource_usage *u;
	size_t n, resources, reservations, learned = 0;
	if (list_resources(d, now, &u, &n) != PT_OK)
		return -1;
	pt_registry_count(&d->reg, PT_UID_ALL, now, &resources, &reservations);
	for (size_t i = 0; i < n; i++)
		learned += u[i].res->learned != NULL;
	add_acquires(b, &d->metrics);
	add_gauge(b, "patience_reservations", "Live reservations.", (int64_t)reservations);
	add_gauge(b, "patience_resources", "Resources known.", (int64_t)resources);
	add_gauge(b, "patience_clients", "Connections on the socket.", (int64_t)d->n_conns);
	add_gauge(b, "patience_learned_limits", "Resources whose limit a service's headers told.",
		  (int64_t)learned);
	add_gauge(b, "patience_backend_up", "1 when the backend (memory, or Redis) answers.",
		  backend_up(d) ? 1 : 0);
	add_gauge(b, "patience_memos", "Memos kept for clients.",
		  (int64_t)pt_memo_count(&d->memos, PT_UID_ALL));
	add_gauge(b, "patience_queued_acquires", "Acquires waiting in the queue for their turn.",
		  (int64_t)d->n_queued);
	add_resources(b, u, n);
	add_lateness(b, u, n, now);
	add_leases(b, &d->leases);
	free(u);
	add_breakers(b, &d->breakers);
	add_executions(b, &d->execs);
	add_execution_durations(b, &d->execs);
	add_family(b, "process_start_time_seconds", "gauge",
		   "Start time of the process since unix epoch in seconds.");
	evbuffer_add_printf(b, "process_start_time_seconds %" PRId64 ".%03d\n",
			    d->started_real_ms / 1000, (int)(d->started_real_ms % 1000));
	return 0;
}

/* ---- /api/v1/resources ---- */

static bool add_int(cJSON *o, const char *key, int64_t v)
{
	cJSON *item = pt_json_int(v);
	if (item && cJSON_AddItemToObject(o, key, item))
		return true;
	cJSON_Delete(item);
	return false;
}

/* o[key] = item; false (item freed) when item is NULL or out of memory. */
static bool add_item(cJSON *o, const char *key, cJSON *item)
{
	if (item && cJSON_AddItemToObject(o, key, item))
		return true;
	cJSON_Delete(item);
	return false;
}

/* A resource's uid, and its lease pool and breaker when it has them
 * (pt_lease_pool_json, pt_breaker_json): what the HTTP port adds to the
 * protocol's view, since it shows every uid. */
static bool add_uid_leases_breaker(cJSON *o, const pt_daemon *d, uint32_t uid, const char *name,
				   int64_t now)
{
	const pt_lease_pool *p = pt_lease_find(&d->leases, uid, name);
	const pt_breaker_entry *e = pt_breaker_find(&d->breakers, uid, name);
	return add_int(o, "uid", uid) && (!p || add_item(o, "leases", pt_lease_pool_json(p))) &&
	       (!e || add_item(o, "breaker", pt_breaker_json(e, now)));
}

/* A resource with leases, a breaker or executions and no rate limit. */
static cJSON *unlimited_json(const pt_daemon *d, uint32_t uid, const char *name, int64_t now)
{
	cJSON *o = cJSON_CreateObject();
	const pt_exec_entry *e = pt_exec_reported(&d->execs, uid, name);
	if (o && cJSON_AddStringToObject(o, "resource", name) &&
	    add_uid_leases_breaker(o, d, uid, name, now) &&
	    (!e || add_item(o, "executions", pt_executions_json(e))))
		return o;
	cJSON_Delete(o);
	return NULL;
}

/* Is (uid, name) listed as a rate limit, lease pool or breaker? */
static bool listed_before(const pt_daemon *d, uint32_t uid, const char *name)
{
	return pt_registry_find(&d->reg, uid, name) || pt_lease_find(&d->leases, uid, name) ||
	       pt_breaker_find(&d->breakers, uid, name);
}

static cJSON *resource_json(const pt_daemon *d, const pt_resource_usage *u, int64_t now)
{
	cJSON *o = pt_resource_json(u, now);
	if (o && add_uid_leases_breaker(o, d, u->res->uid, u->res->name, now))
		return o;
	cJSON_Delete(o);
	return NULL;
}

/* What the dashboard shows of the daemon itself. */
static bool add_daemon_facts(cJSON *root, const pt_daemon *d)
{
	return cJSON_AddStringToObject(root, "version", PATIENCE_VERSION) &&
	       cJSON_AddStringToObject(root, "backend", d->redis ? "redis" : "memory") &&
	       cJSON_AddBoolToObject(root, "backend_up", backend_up(d)) &&
	       add_int(root, "started_ms", d->started_real_ms) &&
	       add_int(root, "clients", (int64_t)d->n_conns);
}

/* The resources with leases, a breaker or runs but no rate limit, each
 * once, after those with one. */
static bool add_unlimited(cJSON *array, const pt_daemon *d, int64_t now)
{
	bool ok = true;
	for (const pt_lease_pool *p = d->leases.pools; ok && p; p = p->next) {
		if (pt_registry_find(&d->reg, p->uid, p->name))
			continue; /* listed with its rate limit */
		cJSON *o = unlimited_json(d, p->uid, p->name, now);
		ok = o && cJSON_AddItemToArray(array, o);
	}
	for (const pt_breaker_entry *e = d->breakers.first; ok && e; e = e->next) {
		if (pt_registry_find(&d->reg, e->uid, e->resource) ||
		    pt_lease_find(&d->leases, e->uid, e->resource))
			continue; /* listed with its rate limit or its leases */
		cJSON *o = unlimited_json(d, e->uid, e->resource, now);
		ok = o && cJSON_AddItemToArray(array, o);
	}
	for (const pt_exec_entry *e = d->execs.first; ok && e; e = e->next) {
		if (!e->all.total || listed_before(d, e->uid, e->resource))
			continue;
		cJSON *o = unlimited_json(d, e->uid, e->resource, now);
		ok = o && cJSON_AddItemToArray(array, o);
	}
	return ok;
}

static char *resources_body(pt_daemon *d)
{
	int64_t now = pt_daemon_now_ms();
	pt_resource_usage *u;
	size_t n;
	char *text = NULL;
	if (list_resources(d, now, &u, &n) != PT_OK)
		return NULL;
	cJSON *root = cJSON_CreateObject(), *array = cJSON_CreateArray();
	bool ok = root && array && add_int(root, "now_ms", now) && add_daemon_facts(root, d) &&
		  cJSON_AddItemToObject(root, "resources", array);
	if (!ok)
		cJSON_Delete(array);
	for (size_t i = 0; ok && i < n; i++) {
		cJSON *o = resource_json(d, &u[i], now);
		ok = o && cJSON_AddItemToArray(array, o);
	}
	free(u);
	if (ok && add_unlimited(array, d, now))
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return text;
}

/* ---- requests ---- */

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
		  struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (code == 405)
		evhttp_add_header(h, "Allow", "GET");
	evhttp_send_reply(req, code, reason, body);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason,
		       const char *text)
{
	struct evbuffer *b = evbuffer_new();
	if (b)
		evbuffer_add(b, text, strlen(text));
	reply(req, code, reason, "text/plain; charset=utf-8", b);
	if (b)
		evbuffer_free(b);
}

static void serve_metrics(pt_daemon *d, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	if (!b || metrics_body(d, b) != 0) {
		if (b)
			evbuffer_free(b);
		reply_text(req, 500, "Internal Server Error", "out of memory\n");
		return;
	}
	reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

static void serve_resources(pt_daemon *d, struct evhttp_request *req)
{
	char *text = resources_body(d);
	struct evbuffer *b = text ? evbuffer_new() : NULL;
	if (!b || evbuffer_add(b, text, strlen(text)) != 0 || evbuffer_add(b, "\n", 1) != 0) {
		if (b)
			evbuffer_free(b);
		free(text);
		reply_text(req, 500, "Internal Server Error", "out of memory\n");
		return;
	}
	free(text);
	reply(req, 200, "OK", "application/json", b);
	evbuffer_free(b);
}

static void serve_dashboard(pt_daemon *d, struct evhttp_request *req)
{
	(void)d;
	struct evbuffer *b = evbuffer_new();
	if (!b || evbuffer_add_reference(b, pt_dashboard_html, strlen(pt_dashboard_html), NULL,
					 NULL) != 0) {
		if (b)
			evbuffer_free(b);
		reply_text(req, 500, "Internal Server Error", "out of memory\n");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Security-Policy",
			  DASHBOARD_CSP);
	reply(req, 200, "OK", "text/html; charset=utf-8", b);
	evbuffer_free(b);
}

static void serve_healthz(pt_daemon *d, struct evhttp_request *req)
{
	(void)d;
	reply_text(req, 200, "OK", "ok\n");
}

static const struct route {
	const char *path;
	void (*serve)(pt_daemon *d, struct evhttp_request *req);
} routes[] = {
	{"/", serve_dashboard},
	{"/index.html", serve_dashboard},
	{"/metrics", serve_metrics},
	{"/api/v1/resources", serve_resources},
	{"/healthz", serve_healthz},
};

static const struct route *route_of(const char *path)
{
	for (size_t i = 0; path && i < sizeof routes / sizeof routes[0]; i++)
		if (strcmp(path, routes[i].path) == 0)
			return &routes[i];
	return NULL;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const struct route *r = route_of(uri ? evhttp_uri_get_path(uri) : NULL);
	if (!r) {
		reply_text(req, 404, "Not Found", "not found\n");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		reply_text(req, 405, "Method Not Allowed", "method not allowed\n");
		return;
	}
	r->serve(arg, req);
}

int pt_http_start(pt_daemon *d, char *err, size_t err_len)
{
	char host[300], why[128];
	uint16_t port;
	if (!d->opt.metrics_listen[0])
		return 0;
	if (pt_http_parse_listen(d->opt.metrics_listen, host, sizeof host, &port, why,
				 sizeof why) != PT_OK)
		return snprintf(err, err_len, "metrics listen address \"%s\": %s",
				d->opt.metrics_listen, why), -1;
	d->http = evhttp_new(d->base);
	if (!d->http)
		return snprintf(err, err_len, "cannot create the HTTP server"), -1;
	evhttp_set_max_headers_size(d->http, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(d->http, HTTP_BODY_MAX);
	evhttp_set_timeout(d->http, HTTP_TIMEOUT_S);
	/* Every method reaches on_request, which answers 405 itself. */
	evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(d->http, on_request, d);
	errno = 0;
	if (!evhttp_bind_socket_with_handle(d->http, host, port))
		return snprintf(err, err_len, "cannot serve metrics on %s: %s", d->opt.metrics_listen,
				errno ? strerror(errno) : "cannot bind"), -1;
	pt_log(PT_LOG_INFO, "serving the dashboard and /metrics on %s", d->opt.metrics_listen);
	return 0;
}

void pt_http_release(pt_daemon *d)
{
	if (d->http)
		evhttp_free(d->http);
	d->http = NULL;
}
