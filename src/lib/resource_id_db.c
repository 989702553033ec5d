/* Resource ids of database clients: psql, mysql/mariadb, mongosh/mongo give
 * database:CATEGORY:TARGET with one rule for the three:
 *   SERVER/DB   a server that is not the local default, and a database
 *   DB          the local default server (no host, a Unix socket, localhost,
 *               127.0.0.1 or ::1, at the default port)
 *   SERVER/     a server and no database
 * where SERVER is the host in lower case (an IPv6 literal in brackets;
 * "localhost" for a local one) with ":PORT" unless the port is the
 * database's default (5432, 3306, 27017). With neither a database nor
 * another server there is nothing to name: cmd:local:PROGRAM. The first
 * host of a list is taken, users and passwords never are, and the database
 * keeps its case. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib/resource_id_scan.h"
#include "patience/error.h"

#define PORT_MAX 16

/* Where a client connects; "" when not given. */
typedef struct db_conn {
	char host[PT_RID_HOST_MAX];
	char port[PORT_MAX];
	char db[PT_RID_TARGET_MAX];
} db_conn;

/* The options a client's target comes from, and its first operand. */
typedef struct db_names {
	char db_letter, host_letter, port_letter;
	const char *db_long, *host_long, *port_long;
	bool (*is_target)(const char *operand); /* NULL: the first operand */
} db_names;

typedef struct db_args {
	const char *operand, *db, *host, *port; /* NULL when absent */
} db_args;

static int hex(char c)
{
	if (isdigit((unsigned char)c))
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* dst = src[0..n), with %XX decoded when decode; "" when it does not fit. */
static void set_text(char *dst, size_t cap, const char *src, size_t n, bool decode)
{
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		if (decode && c == '%' && i + 2 < n && hex(src[i + 1]) >= 0 && hex(src[i + 2]) >= 0) {
			c = (char)(hex(src[i + 1]) * 16 + hex(src[i + 2]));
			i += 2;
		}
		if (out + 1 >= cap || c == '\0') {
			out = 0;
			break;
		}
		dst[out++] = c;
	}
	dst[out] = '\0';
}

/* The host, and the port when one is written, of "[user@]host[:port][,...]". */
static void set_hostport(db_conn *c, const char *s, size_t n, bool decode)
{
	pt_rid_hostport hp;
	pt_rid_split_hostport(s, n, &hp);
	set_text(c->host, sizeof c->host, hp.host, hp.host_len, decode);
	if (hp.port_len)
		set_text(c->port, sizeof c->port, hp.port, hp.port_len, decode);
}

static void set_option_host(db_conn *c, const char *host)
{
	if (host)
		set_hostport(c, host, strlen(host), false);
}

/* A port, or the first of a list ("5432,5433"). */
static void set_port(db_conn *c, const char *port)
{
	if (port)
		set_text(c->port, sizeof c->port, port, strcspn(port, ","), false);
}

static void set_db(db_conn *c, const char *db)
{
	if (db)
		set_text(c->db, sizeof c->db, db, strlen(db), false);
}

static const char *env(const pt_resource_opts *o, const char *name)
{
	const char *v = o->env ? o->env(name, o->env_ctx) : NULL;
	return v && *v ? v : NULL;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* The last value of each option, and the first operand that names a target. */
static void db_scan(char *const argv[], const pt_rid_spec *spec, const db_names *names,
		    db_args *out)
{
	pt_rid_scan s = pt_rid_scan_from(argv, 1, spec);
	pt_rid_arg a;
	*out = (db_args){0};
	while (pt_rid_next(&s, &a)) {
		if (a.operand && !out->operand && (!names->is_target || names->is_target(a.operand)))
			out->operand = a.operand;
		else if (pt_rid_is(&a, names->db_letter, names->db_long))
			out->db = nonempty(a.value);
		else if (pt_rid_is(&a, names->host_letter, names->host_long))
			out->host = nonempty(a.value);
		else if (pt_rid_is(&a, names->port_letter, names->port_long))
			out->port = nonempty(a.value);
	}
}

static bool is_local(const char *host)
{
	static const char *const local[] = {"localhost", "127.0.0.1", "[::1]", NULL};
	return host[0] == '/' || pt_rid_in_list(host, local);
}

static bool all_digits(const char *s)
{
	return *s && s[strspn(s, "0123456789")] == '\0';
}

/* database:category:target by the rule above. */
static int db_found(pt_rid_found *f, const char *category, const db_conn *c,
		    const char *default_port)
{
	char host[PT_RID_HOST_MAX] = "localhost";
	if (c->host[0] && c->host[0] != '/' &&
	    pt_rid_host(host, sizeof host, c->host, strlen(c->host)) != PT_OK)
		return PT_ENOENT;
	if (is_local(host))
		snprintf(host, sizeof host, "localhost");
	bool port = all_digits(c->port) && strcmp(c->port, default_port) != 0;
	bool local = !strcmp(host, "localhost") && !port;
	if (local && !c->db[0])
		return PT_ENOENT;
	int n = local ? snprintf(f->target, sizeof f->target, "%s", c->db)
		      : snprintf(f->target, sizeof f->target, "%s%s%s/%s", host, port ? ":" : "",
				 port ? c->port : "", c->db);
	if (n < 0 || (size_t)n >= sizeof f->target)
		return PT_ENOENT;
	f->type = "database";
	f->category = category;
	return PT_OK;
}

/* --- psql --- */

static const char *const psql_long[] = {
	"--command", "--dbname", "--file", "--field-separator", "--host", "--log-file",
	"--output", "--port", "--pset", "--record-separator", "--table-attr", "--username",
	"--set", "--variable", NULL,
};
/* getopt_long: "--ho" is "--host". */
static const pt_rid_spec psql_spec = {
	.short_valued = "cdfFhLopPRTUv", .long_valued = psql_long, .abbreviations = true};
static const db_names psql_names = {'d', 'h', 'p', "--dbname", "--host", "--port", NULL};

/* One of libpq's keywords that name the target, from a connection string;
 * hostaddr stands for host when there is none. */
static void pg_keyword(db_conn *t, char *addr, const char *key, size_t n, const char *value)
{
	if (n == 4 && strncmp(key, "host", 4) == 0)
		set_option_host(t, value);
	else if (n == 8 && strncmp(key, "hostaddr", 8) == 0)
		snprintf(addr, PT_RID_HOST_MAX, "%s", value);
	else if (n == 4 && strncmp(key, "port", 4) == 0)
		set_port(t, value);
	else if (n == 6 && strncmp(key, "dbname", 6) == 0)
		set_db(t, value);
}

/* A value of "key=value key = 'a \'b\''", unquoted; the rest of s. */
static const char *pg_value(const char *s, char *out, size_t cap)
{
	bool quoted = *s == '\'';
	size_t n = 0;
	for (s += quoted; *s && (quoted ? *s != '\'' : !isspace((unsigned char)*s)); s++) {
		if (*s == '\\' && s[1])
			s++;
		if (n + 1 < cap)
			out[n++] = *s;
	}
	out[n] = '\0';
	return quoted && *s ? s + 1 : s;
}

/* libpq's "host=h port=5433 dbname=d" (a syntax error ends it). */
static void pg_conninfo(const char *s, db_conn *t, char *addr)
{
	static const char space[] = " \t\n\r\f\v";
	char value[PT_RID_TARGET_MAX];
	for (s += strspn(s, space); *s; s += strspn(s, space)) {
		const char *key = s;
		size_t n = strcspn(s, "= \t\n\r\f\v");
		s += n;
		s += strspn(s, space);
		if (*s != '=')
			return;
		s++;
		s = pg_value(s + strspn(s, space), value, sizeof value);
		pg_keyword(t, addr, key, n, value);
	}
}

/* postgresql://[user[:password]@][host][:port][,...][/dbname][?key=value&...] */
static void pg_uri(const char *uri, db_conn *t, char *addr)
{
	const char *authority, *p;
	size_t n = pt_rid_authority(uri, &authority);
	char value[PT_RID_TARGET_MAX];
	set_hostport(t, authority, n, true);
	p = authority + n;
	if (*p == '/') {
		n = strcspn(++p, "?#");
		set_text(t->db, sizeof t->db, p, n, true);
		p += n;
	}
	for (p += *p == '?'; *p && *p != '#'; p += *p == '&') {
		const char *key = p;
		size_t k = strcspn(p, "=&#");
		n = strcspn(p += k, "&#");
		set_text(value, sizeof value, p + (*p == '='), n - (*p == '='), true);
		pg_keyword(t, addr, key, k, value);
		p += n;
	}
}

static bool pg_is_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

/* A dbname that is a connection string sets what it names, over -h and -p
 * (psql passes it after them); the database defaults to PGDATABASE. */
static void pg_expand(const char *conn, db_conn *c)
{
	db_conn t = {0};
	char addr[PT_RID_HOST_MAX] = "";
	if (pg_is_uri(conn))
		pg_uri(conn, &t, addr);
	else
		pg_conninfo(conn, &t, addr);
	if (!t.host[0])
		set_option_host(&t, addr[0] ? addr : NULL);
	if (t.host[0])
		memcpy(c->host, t.host, sizeof c->host);
	if (t.port[0])
		memcpy(c->port, t.port, sizeof c->port);
	memcpy(c->db, t.db, sizeof c->db);
}

/* psql [OPTION]... [DBNAME [USERNAME]]: -d, else the first operand; a
 * connection string or URI as either; PGHOST, PGPORT, PGDATABASE. */
int pt_rid_derive_psql(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	db_args a;
	db_conn c = {0};
	db_scan(argv, &psql_spec, &psql_names, &a);
	const char *name = a.db ? a.db : a.operand;
	set_option_host(&c, a.host ? a.host : env(o, "PGHOST"));
	set_port(&c, a.port ? a.port : env(o, "PGPORT"));
	if (name && (pg_is_uri(name) || strchr(name, '=')))
		pg_expand(name, &c);
	else
		set_db(&c, name);
	if (!c.db[0])
		set_db(&c, env(o, "PGDATABASE"));
	return db_found(f, "postgres", &c, "5432");
}

/* --- mysql, mariadb --- */

/* The options that take a value; boolean ones and those whose value is
 * optional (--password[=x], --pager[=x], --debug[=x]) never take the next
 * word. */
static const char *const mysql_long[] = {
	"--database", "--execute", "--host", "--port", "--socket", "--user", "--bind-address",
	"--character-sets-dir", "--compression-algorithms", "--connect-timeout",
	"--default-auth", "--default-character-set", "--defaults-extra-file", "--defaults-file",
	"--defaults-group-suffix", "--delimiter", "--dns-srv-name", "--init-command",
	"--load-data-local-dir", "--login-path", "--max-allowed-packet", "--max-join-size",
	"--net-buffer-length", "--network-namespace", "--plugin-dir", "--prompt", "--protocol",
	"--select-limit", "--server-public-key-path", "--shared-memory-base-name", "--ssl-ca",
	"--ssl-capath", "--ssl-cert", "--ssl-cipher", "--ssl-crl", "--ssl-crlpath",
	"--ssl-fips-mode", "--ssl-key", "--ssl-mode", "--ssl-session-data", "--tee",
	"--tls-ciphersuites", "--tls-version", "--zstd-compression-level", "--histignore",
	"--authentication-oci-client-config-profile", "--oci-config-file",
	"--fido-register-factor", "--register-factor",
	"--plugin-authentication-kerberos-client-mode", "--max-statement-time", NULL,
};
/* -pSECRET and -#d:t only attached; "--ssl_ca" is "--ssl-ca". */
static const pt_rid_spec mysql_spec = {.short_valued = "DehPSu",
				       .short_attached = "p#",
				       .long_valued = mysql_long,
				       .underscores = true};
static const db_names mysql_names = {'D', 'h', 'P', "--database", "--host", "--port", NULL};

/* mysql [OPTIONS] [database]: the operand over -D (as mysql.cc reads
 * them); MYSQL_HOST and MYSQL_TCP_PORT. */
int pt_rid_derive_mysql(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	db_args a;
	db_conn c = {0};
	db_scan(argv, &mysql_spec, &mysql_names, &a);
	set_option_host(&c, a.host ? a.host : env(o, "MYSQL_HOST"));
	set_port(&c, a.port ? a.port : env(o, "MYSQL_TCP_PORT"));
	set_db(&c, a.operand ? a.operand : a.db);
	return db_found(f, "mysql", &c, "3306");
}

/* --- mongosh, mongo --- */

static const char *const mongo_long[] = {
	"--host", "--port", "--username", "--password", "--authenticationDatabase",
	"--authenticationMechanism", "--eval", "--file", "--apiVersion", "--awsAccessKeyId",
	"--awsSecretAccessKey", "--awsSessionToken", "--awsIamSessionToken",
	"--gssapiServiceName", "--gssapiHostName", "--sspiHostnameCanonicalization",
	"--sspiRealmOverride", "--tlsCAFile", "--tlsCertificateKeyFile",
	"--tlsCertificateKeyFilePassword", "--tlsCRLFile", "--tlsCertificateSelector",
	"--tlsDisabledProtocols", "--sslPEMKeyFile", "--sslPEMKeyPassword", "--sslCAFile",
	"--sslCRLFile", "--sslCertificateSelector", "--sslDisabledProtocols",
	"--keyVaultNamespace", "--kmsURL", "--cryptSharedLibPath", "--csfleLibraryPath",
	"--oidcFlows", "--oidcRedirectUri", "--browser", "--jsContext", "--locale", NULL,
};
/* yargs: "-p" or "--password" before an option prompts, taking no value. */
static const pt_rid_spec mongo_spec = {
	.short_valued = "upf", .long_valued = mongo_long, .dash_not_value = true};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The operands after the address are scripts; one before it too. */
static bool mongo_is_address(const char *operand)
{
	return !ends_with(operand, ".js") && !ends_with(operand, ".mongodb");
}

static const db_names mongo_names = {'\0', '\0', '\0', NULL, "--host", "--port",
				     mongo_is_address};

static bool mongo_is_uri(const char *s)
{
	return strncmp(s, "mongodb://", 10) == 0 || strncmp(s, "mongodb+srv://", 14) == 0;
}

/* mongodb[+srv]://[user:password@]host[:port][,...][/db][?options] */
static void mongo_uri(const char *uri, db_conn *c)
{
	const char *authority;
	size_t n = pt_rid_authority(uri, &authority);
	const char *path = authority + n;
	set_hostport(c, authority, n, true);
	if (*path == '/')
		set_text(c->db, sizeof c->db, path + 1, strcspn(path + 1, "?#"), true);
}

static bool is_host_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-';
}

/* mongosh's "host[:port][/db]" or "db", read as its pattern
 * ^([A-Za-z0-9][A-Za-z0-9.-]+):?(\d+)?[/]?(\S+)?$ reads it: a word with no
 * dot, port or database is a database. */
static int mongo_bare(const char *s, db_conn *c)
{
	size_t h = 0;
	while (is_host_char(s[h]))
		h++;
	const char *p = s + h + (s[h] == ':');
	size_t digits = strspn(p, "0123456789");
	const char *db = p + digits + (p[digits] == '/');
	if (h < 2 || !isalnum((unsigned char)s[0]) || strpbrk(db, " \t\n\r\f\v"))
		return PT_ENOENT;
	if (!digits && !*db && !memchr(s, '.', h)) {
		set_text(c->db, sizeof c->db, s, h, false);
		return PT_OK;
	}
	set_text(c->host, sizeof c->host, s, h, false);
	set_text(c->port, sizeof c->port, p, digits, false);
	set_db(c, db);
	return PT_OK;
}

/* --host: a URI, "replset/host1:port,host2", or "host[:port]". */
static void mongo_host(const char *host, db_conn *c)
{
	const char *slash = strchr(host, '/');
	if (!mongo_is_uri(host)) {
		set_option_host(c, slash ? slash + 1 : host);
	} else if (c->db[0]) {
		db_conn t = {0};
		mongo_uri(host, &t);
		memcpy(c->host, t.host, sizeof c->host);
		memcpy(c->port, t.port, sizeof c->port);
	} else {
		mongo_uri(host, c);
	}
}

/* mongosh [options] [address] [files]: the address's host over --host
 * (mongosh refuses both), its port over --port. */
int pt_rid_derive_mongo(char *const argv[], const pt_resource_opts *o, pt_rid_found *f)
{
	db_args a;
	db_conn c = {0};
	db_scan(argv, &mongo_spec, &mongo_names, &a);
	if (a.operand && mongo_is_uri(a.operand))
		mongo_uri(a.operand, &c);
	else if (a.operand && mongo_bare(a.operand, &c) != PT_OK)
		return PT_ENOENT;
	if (!c.host[0] && a.host)
		mongo_host(a.host, &c);
	if (!c.port[0])
		set_port(&c, a.port);
	return db_found(f, "mongodb", &c, "27017");
}
