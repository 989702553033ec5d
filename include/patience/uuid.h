/* UUID version 4 text from 16 random bytes (RFC 9562). */
#ifndef PATIENCE_UUID_H
#define PATIENCE_UUID_H

#include <stdint.h>

#define PT_UUID_TEXT_LEN 36

/* Sets the version and variant bits of bytes, writes the 36 characters and a
 * NUL to out. */
void pt_uuid_v4_format(uint8_t bytes[16], char out[PT_UUID_TEXT_LEN + 1]);

#endif
