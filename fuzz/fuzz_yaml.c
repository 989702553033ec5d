/* Feeds arbitrary bytes to the YAML config parser (libyaml and the tree it
 * builds). Beyond not crashing, checks what the API promises
 * (config_tree.h), and that the tools: layout never survives into the
 * tree: its tables are folded into the top level. */
#include <stdint.h>
#include <stdlib.h>

#include "config_tree.h"
#include "patience/yaml_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tools_folded(const pt_toml_value *root)
{
	if (pt_toml_get(root, "tools"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config_tree_fuzz(pt_yaml_parse, data, size, tools_folded);
	return 0;
}
