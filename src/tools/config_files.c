#include "config_files.h"

#include <stdio.h>

#include "patience/config_search.h"
#include "patience/error.h"

static int load_file(void *cfg, const char *path, char *err, size_t err_len)
{
	return pt_config_load_file(cfg, path, err, err_len);
}

int config_files_load(pt_config *cfg, const char *flag_file, const char *const *prefixes,
		      size_t n_prefixes, const char *tool)
{
	char err[768];
	pt_config_search search = {flag_file, prefixes, n_prefixes, true};
	if (pt_config_search_read(&search, load_file, cfg, err, sizeof err) == PT_OK)
		return 0;
	fprintf(stderr, "%s: %s\n", tool, err);
	return -1;
}
