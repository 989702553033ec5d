/* Memos: a small string per (uid, resource, key) that clients keep in the
 * daemon between their runs (patience adaptive keeps what it learned of a
 * resource's delays under key "adaptive"). Saved in the store with the next
 * commit, and restored when the daemon starts. A plain list: a uid holds at
 * most PT_MEMO_PER_UID_MAX of them, and a request touches one. */
#include "daemon/daemon.h"

#include <stdlib.h>
#include <string.h>

#include "patience/error.h"

static pt_memo *find(const pt_memo_table *t, uint32_t uid, const char *resource,
		     const char *key)
{
	for (pt_memo *m = t->first; m; m = m->next)
		if (m->uid == uid && strcmp(m->key, key) == 0 && strcmp(m->resource, resource) == 0)
			return m;
	return NULL;
}

const pt_memo *pt_memo_get(const pt_memo_table *t, uint32_t uid, const char *resource,
			   const char *key)
{
	return find(t, uid, resource, key);
}

size_t pt_memo_count(const pt_memo_table *t, uint32_t uid)
{
	size_t n = 0;
	for (const pt_memo *m = t->first; m; m = m->next)
		n += m->uid == uid || uid == PT_UID_ALL;
	return n;
}

static pt_memo *memo_new(pt_memo_table *t, uint32_t uid, const char *resource, const char *key)
{
	pt_memo *m = calloc(1, sizeof *m);
	if (!m || !(m->resource = strdup(resource))) {
		free(m);
		return NULL;
	}
	m->uid = uid;
	strcpy(m->key, key); /* checked: at most PT_MEMO_KEY_MAX bytes */
	m->next = t->first;
	t->first = m;
	return m;
}

int pt_memo_put(pt_memo_table *t, uint32_t uid, const char *resource, const char *key,
		const char *value, int64_t now_ms)
{
	pt_memo *m = find(t, uid, resource, key);
	size_t key_len = strlen(key), len = strlen(value);
	if (key_len < 1 || key_len > PT_MEMO_KEY_MAX || len > PT_MEMO_VALUE_MAX)
		return PT_EINVAL;
	if (!m && pt_memo_count(t, uid) >= PT_MEMO_PER_UID_MAX)
		return PT_ERANGE;
	char *copy = malloc(len + 1);
	if (!copy || (!m && !(m = memo_new(t, uid, resource, key)))) {
		free(copy);
		return PT_ENOMEM;
	}
	memcpy(copy, value, len + 1);
	free(m->value);
	m->value = copy;
	m->updated_ms = now_ms;
	return PT_OK;
}

int pt_memo_save(pt_registry *r, const pt_memo *m)
{
	pt_store *s;
	if (pt_registry_batch(r, &s) != PT_OK)
		return PT_EIO;
	pt_store_memo row = {.uid = m->uid, .resource = m->resource, .key = m->key,
			     .value = m->value, .updated_ms = m->updated_ms};
	return !s || pt_store_put_memo(s, &row) == PT_OK ? PT_OK : PT_EIO;
}

static int restore_one(void *ctx, const pt_store_memo *m)
{
	int rc = pt_memo_put(ctx, m->uid, m->resource, m->key, m->value, m->updated_ms);
	return rc == PT_ENOMEM ? PT_ENOMEM : 0;
}

int pt_memo_restore(pt_memo_table *t, pt_store *s)
{
	return pt_store_load_memos(s, restore_one, t);
}

void pt_memo_release(pt_memo_table *t)
{
	while (t->first) {
		pt_memo *m = t->first;
		t->first = m->next;
		free(m->resource);
		free(m->value);
		free(m);
	}
}
