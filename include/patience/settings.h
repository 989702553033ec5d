/* The schema of the shared config file (patience, rpr and the daemon read
 * the same file): every key, its type, default, environment name and check.
 * Each program reads the whole table, so a key meant for another program is
 * accepted and a misspelt one is an error everywhere. */
#ifndef PATIENCE_SETTINGS_H
#define PATIENCE_SETTINGS_H

#include "patience/config.h"

/* The table; *count receives its length. */
const pt_setting_def *pt_settings_table(size_t *count);

/* Initialise c with the table and its defaults. */
int pt_settings_config_init(pt_config *c);

#endif
