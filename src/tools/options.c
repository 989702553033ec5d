/* What the three programs do alike with their option tables (options.h). */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patience/settings.h"

void options_getopt(const pt_option_table *t, struct option *longs, char *shorts,
		    bool stop_at_operand)
{
	char *p = shorts;
	if (t->count > OPTIONS_MAX)
		abort(); /* OPTIONS_MAX must grow with the tables */
	if (stop_at_operand)
		*p++ = '+'; /* stop at the command */
	*p++ = ':';         /* report a missing value as ':' */
	for (size_t i = 0; i < t->count; i++) {
		const pt_option *o = &t->options[i];
		int has_arg = !o->arg ? no_argument : o->arg[0] == '[' ? optional_argument
								       : required_argument;
		longs[i] = (struct option){o->name, has_arg, NULL, o->letter ? o->letter : (int)o->id};
		if (o->letter) {
			*p++ = o->letter;
			if (has_arg == required_argument)
				*p++ = ':';
		}
	}
	*p = '\0';
	longs[t->count] = (struct option){0};
}

const pt_option *options_find(const pt_option_table *t, int c)
{
	for (size_t i = 0; c > 0 && i < t->count; i++)
		if ((c < OPT_FIRST && t->options[i].letter == c) || (int)t->options[i].id == c)
			return &t->options[i];
	return NULL;
}

const pt_option *options_by_setting(const pt_option_table *t, const char *key)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->options[i].setting && strcmp(t->options[i].setting, key) == 0)
			return &t->options[i];
	return NULL;
}

void options_synopsis(const pt_option *o, char *buf, size_t len)
{
	char letter[8] = "    ";
	if (o->letter)
		snprintf(letter, sizeof letter, "-%c, ", o->letter);
	bool space = o->arg && o->arg[0] != '[';
	snprintf(buf, len, "%s--%s%s%s", letter, o->name, space ? " " : "", o->arg ? o->arg : "");
}

const char *options_default(const pt_option *o)
{
	size_t n;
	const pt_setting_def *defs = pt_settings_table(&n);
	for (size_t i = 0; o->setting && o->arg && i < n; i++)
		if (strcmp(defs[i].key, o->setting) == 0)
			return defs[i].default_text;
	return NULL;
}

void options_help_text(const pt_option *o, char *buf, size_t len)
{
	const char *dflt = options_default(o), *slot = strstr(o->help, "{}");
	if (slot)
		snprintf(buf, len, "%.*s%s%s", (int)(slot - o->help), o->help, dflt ? dflt : "",
			 slot + 2);
	else if (dflt)
		snprintf(buf, len, "%s (%s)", o->help, dflt);
	else
		snprintf(buf, len, "%s", o->help);
}

void options_print_help(const pt_option_table *t, int wide, bool (*keep)(const pt_option *o))
{
	char left[64], help[256];
	for (size_t i = 0; i < t->count; i++) {
		const pt_option *o = &t->options[i];
		if (keep && !keep(o))
			continue;
		options_synopsis(o, left, sizeof left);
		options_help_text(o, help, sizeof help);
		printf("  %-*s %s\n", wide, left, help);
	}
}
