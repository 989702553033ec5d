/* YAML config files, read with libyaml into the tree of patience/toml.h, so
 * that pt_config_apply_toml checks a YAML file as strictly as a TOML one,
 * with the same "path:line: ..." errors.
 *
 * Scalars follow the YAML 1.2 core schema, without its non-decimal forms:
 * a quoted or block (| >) scalar is a string; a plain one is an integer
 * when it is a decimal integer (42, -7), a float when it is a decimal float
 * (1.5, .5, 1e3), a boolean when it is true or false (True, TRUE, False,
 * FALSE too; yes, no, on and off are strings), an error ("expected a
 * value") when it is null, Null, NULL, ~ or empty, and a string otherwise.
 * Mappings are tables and sequences arrays; a value's line is that of its
 * key (an array item's, its own).
 *
 * Errors naming the line: a key defined twice, anchors and aliases, tags,
 * a second document, a mapping key that is not a string, a top level that
 * is not a mapping, a string holding NUL, nesting deeper than 64 levels,
 * and whatever libyaml finds wrong. An empty document is an empty table.
 *
 * The layout of the rpr+patience integration spec is read too: a
 * top-level "tools" mapping whose keys are "patience" and "repeater" means
 * the top-level tables of those names (tools.patience.max_attempts is
 * patience.max_attempts); any other key under tools is an error, and a
 * key in both tools.patience and patience is defined twice. */
#ifndef PATIENCE_YAML_CONFIG_H
#define PATIENCE_YAML_CONFIG_H

#include <stddef.h>

#include "patience/toml.h"

/* As pt_toml_parse: text[0..len) into *root_out, a PT_TOML_TABLE the
 * caller frees with pt_toml_free. On error PT_EINVAL (or PT_ENOMEM),
 * *root_out NULL, and err (if given) "line N: what is wrong", naming the
 * key when there is one: "line 3: key \"daemon.log_level\": defined twice
 * (first on line 2)". */
int pt_yaml_parse(const char *text, size_t len, pt_toml_value **root_out, char *err,
		  size_t err_len);

#endif
