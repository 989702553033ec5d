/* For the tests of the daemon's ops: one request line answered as
 * connection c's at now, the reply parsed (caller frees). The daemon has
 * no store there, so no reply waits for a commit. */
#ifndef PT_TESTS_PROTOCOL_REPLY_H
#define PT_TESTS_PROTOCOL_REPLY_H

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

static cJSON *protocol_reply(pt_daemon *d, pt_conn *c, int64_t now, const char *line)
{
	bool durable = true;
	char *text = pt_protocol_answer(d, c, line, strlen(line), now, &durable);
	assert_non_null(text);
	assert_false(durable); /* no store here: nothing to commit */
	cJSON *o = cJSON_Parse(text);
	free(text);
	assert_non_null(o);
	return o;
}

#endif
