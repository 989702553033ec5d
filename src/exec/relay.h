/* Relaying one of the command's output streams to our own stdout or stderr
 * without ever blocking the supervisor: a chunk is read only when the last
 * one has been written, and written only when poll() says the destination
 * can take it. A slow reader of our stdout thus slows the command down
 * (as it would without patience) while timeouts and signals still act. */
#ifndef PT_EXEC_RELAY_H
#define PT_EXEC_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "exec/watch.h"

/* One pipe buffer: a write of this size to a pipe that polls writable
 * does not block. */
#define PT_RELAY_CHUNK 4096

/* The longest prefix a relay puts before each line. */
#define PT_RELAY_PREFIX_MAX 1024

typedef struct pt_relay {
	int from;   /* read end of the command's pipe, -1 when done */
	int to;     /* our fd 1 or 2 */
	int stream; /* 0 stdout, 1 stderr: the watcher's stream number */
	const char *prefix; /* put before every line; NULL: none (not owned) */
	size_t prefix_len;
	bool at_line_start;
	char buf[2 * PT_RELAY_CHUNK]; /* a chunk, and the prefixes put into it */
	size_t len, off; /* buf[off..len) still to write */
} pt_relay;

/* prefix: NULL, or at most PT_RELAY_PREFIX_MAX bytes that outlive r. */
void pt_relay_init(pt_relay *r, int from, int to, int stream, const char *prefix);
/* Is there anything left to read or write? */
bool pt_relay_active(const pt_relay *r);
/* The pollfd for the relay's next step (fd -1 when inactive). */
struct pollfd pt_relay_pollfd(const pt_relay *r);
/* Take the next step after poll() returned revents for pt_relay_pollfd().
 * draining: the command has exited, so an empty pipe counts as its end
 * (a background child may hold it open forever). */
void pt_relay_step(pt_relay *r, short revents, pt_watch *watch, bool draining);
/* Stop relaying; unwritten bytes are dropped. */
void pt_relay_close(pt_relay *r);

#endif
