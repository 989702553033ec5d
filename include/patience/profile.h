/* Named profiles: a service's published limits and the resource id they
 * apply to, so that `patience --profile github -- gh api ...` needs no
 * numbers. Built-in profiles carry the source of their numbers; the config
 * file's [profiles.NAME] tables add profiles or change built-in ones:
 *   [profiles.myapi]
 *   resource = "api:external:api.example.com"   # optional: else derived
 *   limit = 100                                  # with window, or:
 *   window = "1m"
 *   limits = ["60/1m", "1000/1d@calendar"]       # (or one "60/1m,1000/1d")
 *   source = "https://api.example.com/docs/limits"
 *   description = "Example API, per token"
 * A table named as a built-in profile changes only the keys it gives. */
#ifndef PATIENCE_PROFILE_H
#define PATIENCE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "patience/limit.h"
#include "patience/toml.h"

#define PT_PROFILE_NAME_MAX 64

typedef struct pt_profile {
	char name[PT_PROFILE_NAME_MAX];
	char resource[256];    /* "": derived from the command */
	pt_limit_list limits;  /* at least one, once resolved */
	char description[128]; /* what is limited, for whom */
	char source[256];      /* where the numbers come from */
	/* A config table sets only what it names over a built-in profile. */
	bool has_resource, has_limits, has_description, has_source;
	bool changed; /* a built-in profile that a config table changed */
} pt_profile;

/* The built-in profiles, in the order `patience profiles` lists them. */
const pt_profile *pt_profiles_builtin(size_t *count);

/* The profiles of config files: an array the set owns. */
typedef struct pt_profile_set {
	pt_profile *items;
	size_t count, cap;
} pt_profile_set;

void pt_profile_set_init(pt_profile_set *s);
void pt_profile_set_release(pt_profile_set *s);

/* Add p, replacing a profile of the same name (a later file wins).
 * PT_OK or PT_ENOMEM. */
int pt_profile_set_put(pt_profile_set *s, const pt_profile *p);

/* Read the [profiles.NAME] table v. On error returns PT_EINVAL, writes what
 * is wrong to err ("unknown key \"limt\"") and the line at fault to *line
 * (the table's own line when no key is to blame). */
int pt_profile_from_toml(const char *name, const pt_toml_value *v, pt_profile *out, char *err,
			 size_t err_len, int *line);

/* The profile called name: the built-in one with the set's changes, or the
 * set's own. s may be NULL. PT_OK or PT_ENOENT. */
int pt_profile_lookup(const pt_profile_set *s, const char *name, pt_profile *out);

#endif
