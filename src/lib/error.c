#include "patience/error.h"

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
	}
	return "unknown error";
}
