#include "patience/uuid.h"

void pt_uuid_v4_format(uint8_t bytes[16], char out[PT_UUID_TEXT_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	bytes[6] = (uint8_t)((bytes[6] & 0x0f) | 0x40);
	bytes[8] = (uint8_t)((bytes[8] & 0x3f) | 0x80);
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[bytes[i] >> 4];
		*p++ = hex[bytes[i] & 0x0f];
	}
	*p = '\0';
}
