/* Resource ids from command lines: a table of commands and the ids they
 * give, host scope and path scope, with the option-skipping traps of each
 * program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "patience/error.h"
#include "patience/resource_id.h"

#define MAX_ARGS 48

/* A command as one string, words split on '|' so that a word may hold
 * spaces ("-H|X: y"). */
typedef struct id_case {
	const char *words;
	const char *want;
} id_case;

static void split(const char *words, char *store, size_t cap, char *argv[MAX_ARGS])
{
	size_t n = 0;
	snprintf(store, cap, "%s", words);
	for (char *p = store; p && n < MAX_ARGS - 1;) {
		argv[n++] = p;
		p = strchr(p, '|');
		if (p)
			*p++ = '\0';
	}
	argv[n] = NULL;
}

/* The test's environment: a NULL-terminated name, value, ... list. */
static const char *table_env(const char *name, void *ctx)
{
	const char *const *kv = ctx;
	for (size_t i = 0; kv && kv[i]; i += 2)
		if (strcmp(kv[i], name) == 0)
			return kv[i + 1];
	return NULL;
}

static void check_cases(const id_case *cases, size_t n, const pt_resource_opts *o)
{
	char store[2048], buf[600];
	char *argv[MAX_ARGS];
	for (size_t i = 0; i < n; i++) {
		split(cases[i].words, store, sizeof store, argv);
		int rc = pt_resource_id_derive(argv, o, buf, sizeof buf);
		if (rc != PT_OK || strcmp(buf, cases[i].want) != 0)
			fail_msg("%s: got %s (rc %d), want %s", cases[i].words, buf, rc,
				 cases[i].want);
	}
}

#define CHECK(cases, opts) check_cases(cases, sizeof cases / sizeof cases[0], opts)

static void test_curl(void **state)
{
	static const id_case cases[] = {
		{"curl|-fsS|-H|Authorization: token x|-X|POST|-d|{}|https://API.GitHub.com:443/repos/x?y=1",
		 "api:external:api.github.com"},
		{"/usr/bin/curl|--header|X: https://decoy.example/|-o|/dev/null|http://user:pw@example.org/",
		 "api:external:example.org"},
		{"curl|--url|https://a.example.com", "api:external:a.example.com"},
		{"curl|-s|example.net/path", "api:external:example.net"},
		/* a cluster whose last letter takes the next word */
		{"curl|-sSo|decoy.example.com|https://real.example.com/", "api:external:real.example.com"},
		/* a cluster whose valued letter takes the rest of the word */
		{"curl|-sodecoy.example.com|https://real.example.com/", "api:external:real.example.com"},
		{"curl|-sSfL|https://x.example.com", "api:external:x.example.com"},
		{"curl|-u|me:pw|-A|agent.example.com/1|--json|{}|http://localhost:8080/v1",
		 "api:external:localhost"},
		{"curl|http://localhost/x", "api:external:localhost"},
		{"curl|https://user:p@ss@api.example.com/", "api:external:api.example.com"},
		{"curl|-K|cfg|--|https://after.example.com", "api:external:after.example.com"},
		{"curl|-s", "cmd:local:curl"},
		{"curl|ftp://files.example.com/x", "cmd:local:curl"},
		{"curl|-H", "cmd:local:curl"}, /* a value that is missing */
	};
	CHECK(cases, NULL);
}

static void test_wget(void **state)
{
	static const id_case cases[] = {
		{"wget|-q|-O|out.json|https://registry.example.io/v2/", "api:external:registry.example.io"},
		{"wget|-qO-|https://a.example.com", "api:external:a.example.com"},
		{"wget|-qO|decoy.example.com|https://b.example.com", "api:external:b.example.com"},
		{"wget|--header=Host: decoy.example|--output-document=x.example.com|https://c.example.com",
		 "api:external:c.example.com"},
		{"wget|--header|Host: decoy.example|https://d.example.com", "api:external:d.example.com"},
	};
	CHECK(cases, NULL);
}

static void test_httpie_xh(void **state)
{
	static const id_case cases[] = {
		{"http|POST|https://api.example.com/items|name=x", "api:external:api.example.com"},
		{"http|example.org", "api:external:example.org"},
		{"https|api.example.org/x|q==1", "api:external:api.example.org"},
		{"http|:3000/path", "api:external:localhost"},
		{"http|GET|:/x|a==b", "api:external:localhost"},
		{"http|localhost", "api:external:localhost"},
		{"http|-a|user:pw|--session=s|-o|decoy.example.com|put|h.example.com|x:=1",
		 "api:external:h.example.com"},
		{"xh|https://[::1]:8080/", "api:external:[::1]"},
		{"xhs|--bearer|tok.example.com|get|api.example.net", "api:external:api.example.net"},
		{"http", "cmd:local:http"},
	};
	CHECK(cases, NULL);
}

static void test_gh(void **state)
{
	static const char *const ghe[] = {"GH_HOST", "GHE.Corp.Example", NULL};
	static const id_case cases[] = {
		{"gh|api|repos/o/r", "api:external:api.github.com"},
		{"gh|pr|list|-R|o/r", "api:external:api.github.com"},
		{"gh|api|--hostname|git.corp.example|/user", "api:external:git.corp.example"},
		{"gh|api|--hostname=github.com|/user", "api:external:api.github.com"},
	};
	static const id_case env_cases[] = {
		{"gh|issue|list", "api:external:ghe.corp.example"},
		{"gh|api|--hostname|other.example|/x", "api:external:other.example"},
	};
	CHECK(cases, NULL);
	pt_resource_opts o = {PT_RESOURCE_SCOPE_HOST, table_env, (void *)ghe};
	CHECK(env_cases, &o);
}

static void test_aws(void **state)
{
	static const char *const region[] = {"AWS_REGION", "eu-west-1", "AWS_DEFAULT_REGION",
					     "us-west-2", NULL};
	static const char *const default_region[] = {"AWS_DEFAULT_REGION", "us-west-2", NULL};
	static const id_case plain[] = {
		{"aws|s3|ls", "api:aws:s3"},
		{"aws|--region|us-east-1|s3|cp|a|b", "api:aws:s3.us-east-1"},
		{"aws|--profile|prod|--output|json|ec2|describe-instances", "api:aws:ec2"},
		{"aws|s3api|list-buckets|--region=ap-south-1", "api:aws:s3.ap-south-1"},
		{"aws|--endpoint-url|http://localhost:4566|s3|ls", "api:external:localhost"},
		{"aws", "cmd:local:aws"},
	};
	static const id_case from_env[] = {
		{"aws|sqs|send-message", "api:aws:sqs.eu-west-1"},
		{"aws|sqs|send-message|--region|us-east-2", "api:aws:sqs.us-east-2"},
	};
	static const id_case from_default[] = {{"aws|dynamodb|scan", "api:aws:dynamodb.us-west-2"}};
	CHECK(plain, NULL);
	pt_resource_opts o = {PT_RESOURCE_SCOPE_HOST, table_env, (void *)region};
	CHECK(from_env, &o);
	o.env_ctx = (void *)default_region;
	CHECK(from_default, &o);
}

static void test_registries(void **state)
{
	static const id_case cases[] = {
		{"docker|pull|ubuntu", "registry:oci:docker.io"},
		{"docker|pull|user/img:1.0", "registry:oci:docker.io"},
		{"docker|pull|--platform|linux/arm64|ghcr.io/o/img:tag", "registry:oci:ghcr.io"},
		{"docker|--context|remote.example|push|localhost:5000/img", "registry:oci:localhost:5000"},
		{"docker|image|pull|Quay.io/o/i@sha256:abc", "registry:oci:quay.io"},
		{"docker|pull|index.docker.io/library/ubuntu", "registry:oci:docker.io"},
		{"podman|pull|-q|registry.example.com:8443/x", "registry:oci:registry.example.com:8443"},
		{"skopeo|copy|docker://gcr.io/p/i|oci:dir", "registry:oci:gcr.io"},
		{"docker|run|ubuntu", "cmd:local:docker"},
		{"docker|pull", "cmd:local:docker"},
	};
	CHECK(cases, NULL);
}

static void test_git(void **state)
{
	static const id_case cases[] = {
		{"git|clone|https://github.com/x/y", "git:remote:github.com"},
		{"git|clone|--depth|1|-b|main|git@GitHub.com:x/y.git|dir", "git:remote:github.com"},
		{"git|-C|/src/repo|fetch|ssh://git@gitlab.example.com:2222/x/y.git",
		 "git:remote:gitlab.example.com"},
		{"git|ls-remote|https://user@bitbucket.org/x/y.git", "git:remote:bitbucket.org"},
		/* no part of a password is taken for the host */
		{"git|clone|https://user:p@ss@github.com/x/y", "git:remote:github.com"},
		{"git|clone|git@[2001:DB8::1]:x/y.git", "git:remote:[2001:db8::1]"},
		{"git|push|origin|main:main", "cmd:local:git"},
		{"git|pull", "cmd:local:git"},
		{"git|clone|/local/path|x", "cmd:local:git"},
		{"git|clone|file:///srv/x.git", "cmd:local:git"},
		{"git|status", "cmd:local:git"},
	};
	CHECK(cases, NULL);
}

static void test_kubectl_and_others(void **state)
{
	static const id_case cases[] = {
		{"kubectl|--context|prod-eu|get|pods", "api:kubernetes:prod-eu"},
		{"kubectl|get|pods|--context=staging", "api:kubernetes:staging"},
		{"kubectl|--server=https://K8s.example.com:6443|get|ns", "api:kubernetes:k8s.example.com"},
		{"kubectl|get|pods", "cmd:local:kubectl"},
		{"kubectl|exec|p|--|sh|--context|x", "cmd:local:kubectl"},
		{"/usr/bin/rsync|-a|x|y", "cmd:local:rsync"},
		{"./call-api.sh", "cmd:local:call-api.sh"},
	};
	CHECK(cases, NULL);
}

static void test_psql(void **state)
{
	static const id_case cases[] = {
		{"psql|prod_db", "database:postgres:prod_db"},
		{"psql|-d|user_db", "database:postgres:user_db"},
		{"psql|--dbname=app|-h|DB.Example.com", "database:postgres:db.example.com/app"},
		{"psql|-h|db.example.com|-p|5433|-U|admin|app", "database:postgres:db.example.com:5433/app"},
		/* the default port is no other server */
		{"psql|-p|5432|-h|db.example.com|app", "database:postgres:db.example.com/app"},
		{"psql|--host=db.example.com|--port=6432|app", "database:postgres:db.example.com:6432/app"},
		/* clusters and attached values */
		{"psql|-Xqh|db.example.com|app", "database:postgres:db.example.com/app"},
		{"psql|-hdb.example.com|-dapp", "database:postgres:db.example.com/app"},
		/* getopt_long abbreviations */
		{"psql|--ho|db.example.com|--db=app", "database:postgres:db.example.com/app"},
		/* values that must not be read as the database */
		{"psql|-c|SELECT 1|-f|decoy.sql|-o|decoy|-v|x=1|-U|bob|-L|log|app", "database:postgres:app"},
		{"psql|-c|-d decoy|--set|AUTOCOMMIT=off|-P|pager=off|-F|,|-R|;|-T|x|app",
		 "database:postgres:app"},
		{"psql|--username|decoy|--variable|a=b|--pset|x|--table-attr|y|--log-file|z|app",
		 "database:postgres:app"},
		/* -d wins, and the first operand is then the user */
		{"psql|-d|app|bob", "database:postgres:app"},
		{"psql|app|bob", "database:postgres:app"},
		/* URIs: users and passwords never in the id */
		{"psql|postgresql://user:secret@DB.example.com:5433/app?sslmode=require",
		 "database:postgres:db.example.com:5433/app"},
		{"psql|postgres://u:p@ss@db.example.com/app", "database:postgres:db.example.com/app"},
		{"psql|postgresql://db.example.com", "database:postgres:db.example.com/"},
		{"psql|postgresql://[2001:DB8::1]:5433/app", "database:postgres:[2001:db8::1]:5433/app"},
		{"psql|postgresql://h1.example.com:5433,h2.example.com/app",
		 "database:postgres:h1.example.com:5433/app"},
		{"psql|postgresql://db.example.com/app?host=other.example.com&port=5434",
		 "database:postgres:other.example.com:5434/app"},
		{"psql|postgresql://%2Fvar%2Frun%2Fpostgresql/my%20app", "database:postgres:my app"},
		/* a connection string sets what it names over -h and -p, no more */
		{"psql|-h|ignored.example.com|-p|5433|postgresql://db.example.com/app",
		 "database:postgres:db.example.com:5433/app"},
		{"psql|-h|h.example.com|postgresql:///app", "database:postgres:h.example.com/app"},
		{"psql|-d|host=db.example.com port=5433 dbname=app user=bob password=x",
		 "database:postgres:db.example.com:5433/app"},
		{"psql|-p|5433|host = 'db.example.com' dbname='my \\'app'",
		 "database:postgres:db.example.com:5433/my 'app"},
		{"psql|hostaddr=10.0.0.5 dbname=app", "database:postgres:10.0.0.5/app"},
		/* local servers */
		{"psql|-h|/var/run/postgresql|app", "database:postgres:app"},
		{"psql|-h|localhost|app", "database:postgres:app"},
		{"psql|-h|::1|app", "database:postgres:app"},
		{"psql|-h|127.0.0.1|-p|5433|app", "database:postgres:localhost:5433/app"},
		{"psql|-p|5433|app", "database:postgres:localhost:5433/app"},
		{"psql|-h|2001:DB8::1|app", "database:postgres:[2001:db8::1]/app"},
		{"psql|-h|a.example.com,b.example.com|-p|5433,5434|app",
		 "database:postgres:a.example.com:5433/app"},
		/* no database: the server alone, or nothing to name */
		{"psql|-l|-h|db.example.com", "database:postgres:db.example.com/"},
		{"psql", "cmd:local:psql"},
		{"psql|-h|localhost|-U|bob", "cmd:local:psql"},
		{"psql|-d", "cmd:local:psql"},
		{"psql|-d|", "cmd:local:psql"},
		{"psql|user=bob", "cmd:local:psql"},
	};
	static const char *const pg_env[] = {"PGHOST", "DB.example.com", "PGDATABASE", "app",
					     NULL};
	static const id_case env_cases[] = {
		{"psql", "database:postgres:db.example.com/app"},
		{"psql|-h|other.example.com", "database:postgres:other.example.com/app"},
		{"psql|other", "database:postgres:db.example.com/other"},
		{"psql|host=x.example.com", "database:postgres:x.example.com/app"},
	};
	CHECK(cases, NULL);
	pt_resource_opts o = {PT_RESOURCE_SCOPE_HOST, table_env, (void *)pg_env};
	CHECK(env_cases, &o);
}

static void test_mysql(void **state)
{
	static const id_case cases[] = {
		{"mysql|app", "database:mysql:app"},
		{"mysql|-D|app", "database:mysql:app"},
		{"mysql|-Dapp", "database:mysql:app"},
		{"mysql|--database=app", "database:mysql:app"},
		{"mysql|-h|DB.example.com|-P|3307|-u|root|-psecret|app",
		 "database:mysql:db.example.com:3307/app"},
		{"mysql|--host=db.example.com|--port=3306|app", "database:mysql:db.example.com/app"},
		/* -p alone prompts: it takes no value */
		{"mysql|-p|app", "database:mysql:app"},
		{"mysql|-u|root|-p|-h|db.example.com|app", "database:mysql:db.example.com/app"},
		{"mysql|--password|app", "database:mysql:app"},
		{"mysql|--password=secret|app", "database:mysql:app"},
		/* an attached password is never read as options */
		{"mysql|-psecreth|app", "database:mysql:app"},
		{"mysql|-pSeCrEt|-hDB.example.com", "database:mysql:db.example.com/"},
		/* values that must not be read as the database */
		{"mysql|-e|SELECT 1|--execute|decoy|-u|decoy|-S|/tmp/mysql.sock|app", "database:mysql:app"},
		{"mysql|--default-character-set|utf8mb4|--ssl_ca|ca.pem|--tee|log|app",
		 "database:mysql:app"},
		{"mysql|--user|decoy|--login-path|decoy|--init-command|SET x=1|app", "database:mysql:app"},
		/* the operand wins over -D, as mysql reads them */
		{"mysql|-D|ignored|app", "database:mysql:app"},
		{"mysql|-h|::1|-P|3307|app", "database:mysql:localhost:3307/app"},
		{"mysql|-h|2001:db8::1|app", "database:mysql:[2001:db8::1]/app"},
		{"mariadb|-h|db.example.com|app", "database:mysql:db.example.com/app"},
		{"mysql", "cmd:local:mysql"},
		{"mysql|-u|root|-p", "cmd:local:mysql"},
		{"mysql|-h", "cmd:local:mysql"},
	};
	static const char *const my_env[] = {"MYSQL_HOST", "db.example.com", "MYSQL_TCP_PORT",
					     "3307", NULL};
	static const id_case env_cases[] = {
		{"mysql|app", "database:mysql:db.example.com:3307/app"},
		{"mysql|-h|other.example.com|-P|3306", "database:mysql:other.example.com/"},
	};
	CHECK(cases, NULL);
	pt_resource_opts o = {PT_RESOURCE_SCOPE_HOST, table_env, (void *)my_env};
	CHECK(env_cases, &o);
}

static void test_mongo(void **state)
{
	static const id_case cases[] = {
		{"mongosh|mongodb://user:pw@Mongo.example.com:27018/app?authSource=admin",
		 "database:mongodb:mongo.example.com:27018/app"},
		{"mongosh|mongodb+srv://user:p@ss@Cluster0.abc.mongodb.net/app?retryWrites=true",
		 "database:mongodb:cluster0.abc.mongodb.net/app"},
		{"mongosh|mongodb://h1.example.com:27017,h2.example.com:27017/app?replicaSet=rs0",
		 "database:mongodb:h1.example.com/app"},
		{"mongosh|mongodb://mongo.example.com", "database:mongodb:mongo.example.com/"},
		{"mongosh|mongodb://[::1]:27018/app", "database:mongodb:localhost:27018/app"},
		{"mongosh|mongodb://[2001:DB8::1]/app", "database:mongodb:[2001:db8::1]/app"},
		/* mongosh's bare addresses: a word alone is a database */
		{"mongosh|app", "database:mongodb:app"},
		{"mongosh|Mongo.example.com/app", "database:mongodb:mongo.example.com/app"},
		{"mongosh|mongo.example.com:27018", "database:mongodb:mongo.example.com:27018/"},
		{"mongosh|10.0.0.5/app", "database:mongodb:10.0.0.5/app"},
		{"mongosh|localhost/app", "database:mongodb:app"},
		{"mongosh|--host|mongo.example.com|--port|27018|app",
		 "database:mongodb:mongo.example.com:27018/app"},
		{"mongosh|--host=rs0/h1.example.com:27017,h2.example.com|app",
		 "database:mongodb:h1.example.com/app"},
		{"mongosh|--host|mongodb://mongo.example.com/app", "database:mongodb:mongo.example.com/app"},
		{"mongo|--host|mongo.example.com", "database:mongodb:mongo.example.com/"},
		/* values that must not be read as the address */
		{"mongosh|-u|admin|-p|secret|--authenticationDatabase|admin|mongo.example.com/app",
		 "database:mongodb:mongo.example.com/app"},
		{"mongosh|--eval|db.stats()|-f|decoy.js|--tlsCAFile|ca.pem|app", "database:mongodb:app"},
		/* -p before an option prompts: it takes no value */
		{"mongosh|-p|--host|mongo.example.com|app", "database:mongodb:mongo.example.com/app"},
		/* scripts are no address */
		{"mongosh|app|script.js", "database:mongodb:app"},
		{"mongosh|--quiet|script.js", "cmd:local:mongosh"},
		{"mongosh|--port=27017|localhost/app", "database:mongodb:app"},
		{"mongosh", "cmd:local:mongosh"},
		{"mongosh|a", "cmd:local:mongosh"},
		{"mongosh|bad host/x", "cmd:local:mongosh"},
	};
	CHECK(cases, NULL);
}

static void test_ssh(void **state)
{
	static const id_case cases[] = {
		{"ssh|-p|2222|deploy@Build.Example.com|true", "network:ssh:build.example.com"},
		{"ssh|build.example.com", "network:ssh:build.example.com"},
		{"ssh|-vp2222|h.example.com", "network:ssh:h.example.com"},
		{"ssh|-oStrictHostKeyChecking=no|-p2222|h.example.com", "network:ssh:h.example.com"},
		{"ssh|ssh://deploy@H.example.com:2222", "network:ssh:h.example.com"},
		{"ssh|ssh://[2001:DB8::1]:2222", "network:ssh:[2001:db8::1]"},
		{"ssh|deploy@2001:DB8::1", "network:ssh:[2001:db8::1]"},
		{"ssh|a@b@host.example.com", "network:ssh:host.example.com"},
		/* every option that takes a value */
		{"ssh|-i|id.example.com|-o|Port=22|-l|bob|-J|jump.example.com|host.example.com|uptime",
		 "network:ssh:host.example.com"},
		{"ssh|-L|8080:localhost:80|-R|9000:x:1|-D|1080|-W|decoy.example.com:22|-E|log|-F|cfg|"
		 "-S|ctl|-O|check|-Q|cipher|-w|0:1|-b|10.0.0.1|-B|eth0|-c|aes|-m|mac|-e|~|-I|pkcs|"
		 "-P|tag|host.example.com",
		 "network:ssh:host.example.com"},
		{"ssh|--|host.example.com", "network:ssh:host.example.com"},
		{"ssh|host.example.com|-p|22|decoy.example.com", "network:ssh:host.example.com"},
		{"ssh", "cmd:local:ssh"},
		{"ssh|-p", "cmd:local:ssh"},
		{"ssh|deploy@", "cmd:local:ssh"},
	};
	CHECK(cases, NULL);
}

static void test_scp(void **state)
{
	static const id_case cases[] = {
		{"scp|-P|2222|file.txt|deploy@Files.Example.com:/srv/", "network:ssh:files.example.com"},
		{"scp|-i|key:x|-o|Port=2|h.example.com:a|.", "network:ssh:h.example.com"},
		{"scp|-J|jump.example.com:22|-F|cfg:1|-S|ssh|-c|aes|-l|100|f|h.example.com:",
		 "network:ssh:h.example.com"},
		{"scp|-D|/usr/lib/sftp-server|-X|nrequests=1|-3|f|h.example.com:",
		 "network:ssh:h.example.com"},
		/* a slash before the first colon makes a local path */
		{"scp|./dir:with:colons/x|h.example.com:y", "network:ssh:h.example.com"},
		{"scp|/tmp/a:b|h.example.com:y", "network:ssh:h.example.com"},
		{"scp|scp://u@H.example.com:2222/path|.", "network:ssh:h.example.com"},
		{"scp|file|[2001:DB8::1]:/tmp/", "network:ssh:[2001:db8::1]"},
		{"scp|file|user@[2001:db8::1]:/tmp/", "network:ssh:[2001:db8::1]"},
		{"scp|a.example.com:x|b.example.com:y", "network:ssh:a.example.com"},
		/* options end at the first operand, as scp reads them */
		{"scp|file|-o|x.example.com:y|real.example.com:z", "network:ssh:x.example.com"},
		{"scp|a|b", "cmd:local:scp"},
		{"scp|:x|y", "cmd:local:scp"},
		{"scp|-P|2222|a|b", "cmd:local:scp"},
	};
	CHECK(cases, NULL);
}

static void test_rsync(void **state)
{
	static const id_case cases[] = {
		{"rsync|-avz|-e|ssh -p 2222|./src/|deploy@Backup.Example.com:/srv/",
		 "network:ssh:backup.example.com"},
		{"rsync|-a|Backup.example.com::module/path|.", "network:rsync:backup.example.com"},
		{"rsync|rsync://user@Mirror.Example.org:873/debian/|.", "network:rsync:mirror.example.org"},
		{"rsync|RSYNC://mirror.example.org/debian/|.", "network:rsync:mirror.example.org"},
		{"rsync|-a|user@[2001:db8::1]::mod|.", "network:rsync:[2001:db8::1]"},
		{"rsync|[2001:DB8::1]:/x|.", "network:ssh:[2001:db8::1]"},
		/* values that must not be read as a remote */
		{"rsync|--exclude|x.example.com:y|--filter=- *.o|-f|+ a:b|--include|i:j|src/|h.example.com:d",
		 "network:ssh:h.example.com"},
		{"rsync|--rsync-path|sudo rsync|--password-file|pw:x|-T|tmp:x|-B|1024|--port|873|src|"
		 "h.example.com:d",
		 "network:ssh:h.example.com"},
		{"rsync|--rsh=ssh -l bob|-M|--fake:super|--log-file|l:x|--files-from|f:x|src|h.example.com:d",
		 "network:ssh:h.example.com"},
		{"rsync|--backup-dir|b:x|--suffix|s:x|--chmod|u:rw|--chown|u:g|--usermap|a:b|src|"
		 "h.example.com:d",
		 "network:ssh:h.example.com"},
		{"rsync|--partial-dir|p:x|--link-dest|l:x|--compare-dest|c:x|--copy-dest|d:x|"
		 "--temp-dir|t:x|src|h.example.com:d",
		 "network:ssh:h.example.com"},
		{"rsync|-essh|-@|1|a|h.example.com:x", "network:ssh:h.example.com"},
		/* options after the operands, as popt reads them */
		{"rsync|a|--out-format|x:y|h.example.com:x|--delete", "network:ssh:h.example.com"},
		{"rsync|-a|/local/a:b|h.example.com:x", "network:ssh:h.example.com"},
		{"rsync|-a|x|y", "cmd:local:rsync"},
		{"rsync|--files-from|list:txt|--log-file=l:x|src|dst", "cmd:local:rsync"},
	};
	CHECK(cases, NULL);
}

static void test_path_scope(void **state)
{
	static const id_case cases[] = {
		{"curl|https://API.example.com/users/123/repos?page=2#top",
		 "api:external:api.example.com/users/{id}/repos"},
		{"curl|https://h.example.com//a//b/", "api:external:h.example.com/a/b"},
		{"curl|https://h.example.com", "api:external:h.example.com/"},
		{"curl|https://h.example.com/Items/550e8400-e29b-41d4-a716-446655440000",
		 "api:external:h.example.com/Items/{id}"},
		{"curl|https://h.example.com/commits/1a2b3c4d5e6f/deadbeef/facade",
		 "api:external:h.example.com/commits/{id}/deadbeef/facade"},
		{"curl|https://h.example.com/v1/abc1234", "api:external:h.example.com/v1/abc1234"},
		{"http|:3000/orders/42", "api:external:localhost/orders/{id}"},
		{"gh|api|repos/o/r/issues/17", "api:external:api.github.com/repos/o/r/issues/{id}"},
		{"gh|pr|list", "api:external:api.github.com"},
		{"docker|pull|ubuntu:22.04", "registry:oci:docker.io/library/ubuntu"},
		{"docker|pull|localhost:5000/team/img:v2", "registry:oci:localhost:5000/team/img"},
		{"git|clone|git@github.com:x/y.git", "git:remote:github.com/x/y"},
		{"git|clone|https://github.com/x/y", "git:remote:github.com/x/y"},
		{"rsync|a|b", "cmd:local:rsync"},
		/* databases and remote shells have no path */
		{"psql|-h|db.example.com|app", "database:postgres:db.example.com/app"},
		{"ssh|h.example.com|ls /x", "network:ssh:h.example.com"},
		{"rsync|a|h.example.com:/srv/x", "network:ssh:h.example.com"},
	};
	pt_resource_opts o = {PT_RESOURCE_SCOPE_PATH, NULL, NULL};
	CHECK(cases, &o);
}

static void test_templates_and_errors(void **state)
{
	char buf[64];
	pt_resource_scope s;
	assert_int_equal(pt_url_path_template("https://x.example/a/007?q", buf, sizeof buf), PT_OK);
	assert_string_equal(buf, "/a/{id}");
	assert_int_equal(pt_url_path_template("ftp://x/a", buf, sizeof buf), PT_EINVAL);
	assert_int_equal(pt_url_path_template("https://x.example/abcdefgh", buf, 5), PT_ERANGE);
	assert_int_equal(pt_resource_scope_parse("path", &s), PT_OK);
	assert_int_equal(s, PT_RESOURCE_SCOPE_PATH);
	assert_int_equal(pt_resource_scope_parse("Host", &s), PT_EINVAL);
	char *empty[] = {NULL};
	assert_int_equal(pt_resource_id_from_command(empty, buf, sizeof buf), PT_EINVAL);
	char *blank[] = {"", NULL};
	assert_int_equal(pt_resource_id_from_command(blank, buf, sizeof buf), PT_EINVAL);
	char *d[] = {"curl", "https://example.com", NULL};
	assert_int_equal(pt_resource_id_from_command(d, buf, 10), PT_ERANGE);
	assert_int_equal(pt_resource_id_from_command(d, buf, sizeof buf), PT_OK);
	assert_string_equal(buf, "api:external:example.com");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl),
		cmocka_unit_test(test_wget),
		cmocka_unit_test(test_httpie_xh),
		cmocka_unit_test(test_gh),
		cmocka_unit_test(test_aws),
		cmocka_unit_test(test_registries),
		cmocka_unit_test(test_git),
		cmocka_unit_test(test_kubectl_and_others),
		cmocka_unit_test(test_psql),
		cmocka_unit_test(test_mysql),
		cmocka_unit_test(test_mongo),
		cmocka_unit_test(test_ssh),
		cmocka_unit_test(test_scp),
		cmocka_unit_test(test_rsync),
		cmocka_unit_test(test_path_scope),
		cmocka_unit_test(test_templates_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
