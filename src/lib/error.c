#include "patience/error.h"
#include "lib/set_error.h"

#include <stdarg.h>
#include <stdio.h>

const char *pt_strerror(int code)
{
	switch (code) {
	case PT_OK: return "success";
	case PT_EINVAL: return "invalid value";
	case PT_ERANGE: return "value out of range";
	case PT_ENOMEM: return "out of memory";
	case PT_EINFEASIBLE: return "schedule can never satisfy the limit";
	case PT_ENOENT: return "not found";
	case PT_EIO: return "input/output error";
	case PT_EBUSY: return "held by another process";
	case PT_EREFUSED: return "refused by the daemon";
	case PT_EINTR: return "interrupted";
	case PT_ECIRCUIT: return "circuit breaker open";
	}
	return "unknown error";
}

void pt_set_error(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;
	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}
