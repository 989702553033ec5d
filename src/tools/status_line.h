/* One status line on a terminal while a program waits (rpr between runs,
 * patience before an attempt): drawn on stderr, rewritten in place, and
 * erased before the command runs, so that it never mixes with output. */
#ifndef PT_TOOLS_STATUS_LINE_H
#define PT_TOOLS_STATUS_LINE_H

#include <stdint.h>
#include <stdio.h>

/* Writes the line's text (no newline) for left_ms before the end. */
typedef void (*status_line_fn)(void *ctx, FILE *f, int64_t left_ms);

/* Sleep until deadline_ms (CLOCK_MONOTONIC) as pt_wait_until does, drawing
 * the line every 200 ms on f, and erase it. Returns the signal that ended
 * the wait, or 0. */
int status_line_wait(FILE *f, int64_t deadline_ms, int signal_fd, status_line_fn draw, void *ctx);

#endif
