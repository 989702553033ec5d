/* Feeds arbitrary bytes to the TOML parser. Beyond not crashing, checks what
 * the API promises (config_tree.h). */
#include <stdint.h>

#include "config_tree.h"
#include "patience/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config_tree_fuzz(pt_toml_parse, data, size, NULL);
	return 0;
}
