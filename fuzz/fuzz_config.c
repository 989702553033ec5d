/* Fuzz the whole config file path: TOML parse, then apply to the shared
 * settings table (types, validators, aliases, [rate_limiting.resources],
 * [profiles.NAME] kept in a set). */
#include <stdint.h>
#include <stdlib.h>

#include "patience/config.h"
#include "patience/error.h"
#include "patience/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pt_toml_value *root;
	pt_config cfg;
	pt_profile_set profiles;
	char err[512];
	if (pt_toml_parse((const char *)data, size, &root, err, sizeof err) != PT_OK)
		return 0;
	if (pt_settings_config_init(&cfg) != PT_OK)
		abort();
	pt_profile_set_init(&profiles);
	pt_settings_keep_profiles(&cfg, &profiles);
	int rc = pt_config_apply_toml(&cfg, root, "fuzz.toml", err, sizeof err);
	if (rc != PT_OK && rc != PT_EINVAL)
		abort();
	/* Whatever was applied must still be a typed, valid value. */
	for (size_t i = 0; i < cfg.count; i++)
		if (cfg.values[i].text && !cfg.values[i].origin)
			abort();
	for (size_t i = 0; i < profiles.count; i++)
		if (!profiles.items[i].name[0])
			abort();
	pt_profile_set_release(&profiles);
	pt_config_release(&cfg);
	pt_toml_free(root);
	return 0;
}
