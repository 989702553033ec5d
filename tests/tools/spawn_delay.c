/* LD_PRELOAD for tests: delays posix_spawnp by SPAWN_DELAY_MS (default 50)
 * on the calls whose number (1-based) is listed in SPAWN_DELAY_ON ("1,3"),
 * as a loaded host delays an exec after its start was granted and after
 * the run checked that it was on time. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			const posix_spawnattr_t *, char *const[], char *const[]);

/* Is call n listed in SPAWN_DELAY_ON? */
static int listed(int n)
{
	const char *on = getenv("SPAWN_DELAY_ON");
	char item[16];
	snprintf(item, sizeof item, "%d", n);
	for (const char *p = on; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len == strlen(item) && strncmp(p, item, len) == 0)
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	static int calls;
	spawn_fn real;
	void *sym = dlsym(RTLD_NEXT, "posix_spawnp");
	memcpy(&real, &sym, sizeof real); /* POSIX: dlsym's object pointer is a function's */
	const char *ms = getenv("SPAWN_DELAY_MS");
	long delay = ms ? atol(ms) : 50;
	if (listed(++calls))
		nanosleep(&(struct timespec){delay / 1000, (delay % 1000) * 1000000L}, NULL);
	return real(pid, file, fa, attr, argv, envp);
}
