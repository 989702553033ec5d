#include "start_log.h"

#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int64_t *start_log_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1024;
	int64_t *t = malloc(cap * sizeof *t);
	long long v;
	*n = 0;
	if (!f || !t) {
		perror(path);
		exit(2);
	}
	while (fscanf(f, "%lld", &v) == 1) {
		if (*n == cap && !(t = realloc(t, (cap *= 2) * sizeof *t)))
			exit(2);
		t[(*n)++] = v;
	}
	fclose(f);
	qsort(t, *n, sizeof *t, cmp);
	return t;
}
